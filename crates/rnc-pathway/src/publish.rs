//! Publication rules of the pathway tables, the same as those of
//! `rnc-stats`. Counts from 1 to the small-cell threshold minus one are
//! suppressed with their complements ([`rnc_stats::suppress_counts`]). A
//! statistic on a group below the threshold is withheld, and one computed
//! on fewer than [`PublicationRules::few_cases`] is flagged.

use std::collections::BTreeMap;

use rnc_stats::{
    DEFAULT_SMALL_CELL_THRESHOLD, DEFAULT_UNRELIABLE_RATE_CASES, Error,
    SuppressedTable, TOTAL, suppress_counts,
};

/// Thresholds of the publication rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublicationRules {
    /// Counts from 1 to this minus one are suppressed.
    pub small_cell_threshold: u64,
    /// A statistic on fewer cases than this is flagged `few_cases`.
    pub few_cases: u64,
}

impl Default for PublicationRules {
    /// Suppress 1 to 10 (French registries and Santé publique France),
    /// flag statistics on fewer than 20 cases (NCHS presentation
    /// standard), as `rnc stats` does.
    fn default() -> PublicationRules {
        PublicationRules {
            small_cell_threshold: DEFAULT_SMALL_CELL_THRESHOLD,
            few_cases: DEFAULT_UNRELIABLE_RATE_CASES,
        }
    }
}

/// Counts of items by level of one dimension and a category, suppressed
/// as a two-way table with its margins, so that the total of a level
/// (`[level, total]`) and its categories stay consistent.
pub(crate) struct Counts {
    table: SuppressedTable,
}

impl Counts {
    /// Builds the table from one `(level, category)` pair per item.
    pub(crate) fn new(
        dimension: &str,
        items: impl IntoIterator<Item = (String, String)>,
        rules: &PublicationRules,
    ) -> Result<Counts, Error> {
        let mut sums: BTreeMap<(String, String), f64> = BTreeMap::new();
        for key in items {
            *sums.entry(key).or_default() += 1.0;
        }
        let interior: Vec<(Vec<String>, f64)> = sums
            .into_iter()
            .map(|((level, category), n)| (vec![level, category], n))
            .collect();
        let table = suppress_counts(
            &[dimension, "category"],
            &interior,
            rules.small_cell_threshold,
        )?;
        Ok(Counts { table })
    }

    /// Levels of the dimension in order, then [`TOTAL`].
    pub(crate) fn levels(&self) -> Vec<String> {
        let mut levels: Vec<String> = self
            .table
            .cells
            .iter()
            .map(|c| c.key[0].clone())
            .filter(|l| l != TOTAL)
            .collect();
        levels.dedup();
        levels.push(TOTAL.to_string());
        levels
    }

    /// Returns the count of a cell (`category` may be [`TOTAL`]) and
    /// whether it may be published.
    pub(crate) fn get(&self, level: &str, category: &str) -> (u64, bool) {
        match self.table.cell(&[level, category]) {
            Some(cell) => (cell.count as u64, cell.status.is_published()),
            None => (0, true),
        }
    }

    /// Returns the published count of a cell, `None` when suppressed.
    pub(crate) fn published(&self, level: &str, category: &str) -> Option<i64> {
        let (count, published) = self.get(level, category);
        published.then_some(count as i64)
    }

    /// Returns the status label of the level's total: `published`,
    /// `primary` or `secondary`.
    pub(crate) fn status(&self, level: &str) -> String {
        self.table
            .cell(&[level, TOTAL])
            .map_or("published", |c| c.status.label())
            .to_string()
    }
}
