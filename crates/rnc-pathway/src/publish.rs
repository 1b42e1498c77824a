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

/// Counts of items by one key per item, suppressed as a cube with all its
/// margins ([`TOTAL`] in a key position), for tables whose published
/// values are margins of more than two dimensions.
pub(crate) struct Cube {
    table: SuppressedTable,
}

impl Cube {
    /// Builds the cube from one key (one level per dimension) per item.
    pub(crate) fn new(
        dimensions: &[&str],
        items: impl IntoIterator<Item = Vec<String>>,
        rules: &PublicationRules,
    ) -> Result<Cube, Error> {
        let mut sums: BTreeMap<Vec<String>, f64> = BTreeMap::new();
        for key in items {
            *sums.entry(key).or_default() += 1.0;
        }
        let interior: Vec<(Vec<String>, f64)> = sums.into_iter().collect();
        let table =
            suppress_counts(dimensions, &interior, rules.small_cell_threshold)?;
        Ok(Cube { table })
    }

    /// Levels of the first dimension in order, then [`TOTAL`].
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

    /// Returns the count of a cell and whether it may be published. A
    /// key absent from the cube has count 0, published.
    pub(crate) fn get(&self, key: &[&str]) -> (u64, bool) {
        match self.table.cell(key) {
            Some(cell) => (cell.count as u64, cell.status.is_published()),
            None => (0, true),
        }
    }

    /// Returns the published count of a cell, `None` when suppressed.
    pub(crate) fn published(&self, key: &[&str]) -> Option<i64> {
        let (count, published) = self.get(key);
        published.then_some(count as i64)
    }

    /// Returns the status label of a cell: `published`, `primary` or
    /// `secondary`.
    pub(crate) fn status(&self, key: &[&str]) -> String {
        self.table
            .cell(key)
            .map_or("published", |c| c.status.label())
            .to_string()
    }
}

/// Counts of items by level of one dimension and a category, suppressed
/// as a two-way table with its margins, so that the total of a level
/// (`[level, total]`) and its categories stay consistent.
pub(crate) struct Counts {
    cube: Cube,
}

impl Counts {
    /// Builds the table from one `(level, category)` pair per item.
    pub(crate) fn new(
        dimension: &str,
        items: impl IntoIterator<Item = (String, String)>,
        rules: &PublicationRules,
    ) -> Result<Counts, Error> {
        let keys = items
            .into_iter()
            .map(|(level, category)| vec![level, category]);
        let cube = Cube::new(&[dimension, "category"], keys, rules)?;
        Ok(Counts { cube })
    }

    /// Levels of the dimension in order, then [`TOTAL`].
    pub(crate) fn levels(&self) -> Vec<String> {
        self.cube.levels()
    }

    /// Returns the count of a cell (`category` may be [`TOTAL`]) and
    /// whether it may be published.
    pub(crate) fn get(&self, level: &str, category: &str) -> (u64, bool) {
        self.cube.get(&[level, category])
    }

    /// Returns the published count of a cell, `None` when suppressed.
    pub(crate) fn published(&self, level: &str, category: &str) -> Option<i64> {
        self.cube.published(&[level, category])
    }

    /// Returns the status label of the level's total: `published`,
    /// `primary` or `secondary`.
    pub(crate) fn status(&self, level: &str) -> String {
        self.cube.status(&[level, TOTAL])
    }
}
