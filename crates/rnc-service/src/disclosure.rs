//! Small-cell suppression across linked published tables.
//!
//! `rnc_stats::suppress_counts` protects one cube and its margins. The
//! service publishes several tables that share cells: the total of a site
//! group and sex is a margin of the table by age and of the table by
//! year. It also publishes weighted sums of counts: an age-standardised
//! rate sums age-band counts weighted by standard weight over
//! person-years, and its variance is another such sum. Any of these can
//! give a suppressed count away. So every published cell is one unknown of one
//! linear system, keyed across tables, and every published value adds a
//! relation:
//!
//! * a margin equals the sum of its parts, in each table that shows it;
//! * a weighted sum of cells is known while the cell that guards it (the
//!   row total whose rate it is) is published.
//!
//! Cells that no table shows (the age bands behind a standardised rate)
//! are unknowns too, but no secret.
//!
//! Primary suppression hides counts from 1 to threshold - 1. Then, while
//! Gaussian elimination finds a suppressed count that the published cells
//! and relations determine, the smallest non-zero published count of a
//! relation of that cell is hidden too.

use std::collections::{BTreeSet, HashMap};

use rnc_stats::{CellStatus, reduce_to_echelon};

/// Relative size under which an eliminated coefficient counts as zero.
/// Each relation is scaled to a largest coefficient of 1 first.
const ELIMINATION_TOLERANCE: f64 = 1e-9;

#[derive(Debug, Clone)]
struct Relation {
    terms: Vec<(usize, f64)>,
    guard: Option<usize>,
}

/// Counts keyed across tables, with their relations and publication
/// status.
#[derive(Debug, Clone, Default)]
pub struct LinkedCells {
    keys: Vec<Vec<String>>,
    counts: Vec<f64>,
    status: Vec<CellStatus>,
    index: HashMap<Vec<String>, usize>,
    relations: Vec<Relation>,
    sums: BTreeSet<(usize, Vec<usize>)>,
}

impl LinkedCells {
    /// Adds a cell with its count, or returns the index of the cell that
    /// already has this key.
    pub fn add_cell(&mut self, key: Vec<String>, count: f64) -> usize {
        if let Some(&i) = self.index.get(&key) {
            return i;
        }
        let i = self.keys.len();
        self.index.insert(key.clone(), i);
        self.keys.push(key);
        self.counts.push(count);
        self.status.push(CellStatus::Published);
        i
    }

    /// Marks a cell as unpublished: no table shows it, so it is unknown
    /// to a reader, but it is no secret and never a complement.
    pub fn mark_unpublished(&mut self, cell: usize) {
        self.status[cell] = CellStatus::Unpublished;
    }

    /// Adds `count` to a cell's count.
    pub fn add_count(&mut self, cell: usize, count: f64) {
        self.counts[cell] += count;
    }

    /// Returns the index of the cell with this key.
    pub fn find(&self, key: &[String]) -> Option<usize> {
        self.index.get(key).copied()
    }

    /// Records `margin = Σ parts`; a relation already recorded by another
    /// table is kept once.
    pub fn add_sum(&mut self, margin: usize, mut parts: Vec<usize>) {
        parts.sort_unstable();
        if !self.sums.insert((margin, parts.clone())) {
            return;
        }
        let mut terms = vec![(margin, -1.0)];
        terms.extend(parts.into_iter().map(|p| (p, 1.0)));
        self.relations.push(Relation { terms, guard: None });
    }

    /// Records that `Σ coefficient × count` is published while `guard`
    /// is.
    pub fn add_weighted(&mut self, terms: Vec<(usize, f64)>, guard: usize) {
        let terms: Vec<(usize, f64)> =
            terms.into_iter().filter(|(_, c)| *c != 0.0).collect();
        if !terms.is_empty() {
            self.relations.push(Relation {
                terms,
                guard: Some(guard),
            });
        }
    }

    /// Returns the count of a cell.
    pub fn count(&self, cell: usize) -> f64 {
        self.counts[cell]
    }

    /// Returns the status of a cell.
    pub fn status(&self, cell: usize) -> CellStatus {
        self.status[cell]
    }

    /// Returns the count of a cell when it is published.
    pub fn published(&self, cell: usize) -> Option<f64> {
        self.status[cell]
            .is_published()
            .then_some(self.counts[cell])
    }

    /// Returns the count of a cell as an integer when it is
    /// published, for JSON fields that carry counts. Counts are sums of
    /// tumours or persons, so rounding only removes float noise.
    pub fn published_integer(&self, cell: usize) -> Option<u64> {
        self.published(cell).map(|count| count.round() as u64)
    }

    /// Counts the cells of each status: (primary, secondary).
    pub fn suppressed_counts(&self) -> (usize, usize) {
        let count =
            |wanted| self.status.iter().filter(|&&s| s == wanted).count();
        (
            count(CellStatus::PrimarySuppressed),
            count(CellStatus::SecondarySuppressed),
        )
    }

    /// Suppresses counts from 1 to `threshold - 1`, then complements until
    /// no suppressed count is determined. A threshold of 0 or 1 hides
    /// nothing.
    pub fn suppress(&mut self, threshold: u64) {
        for (status, &count) in self.status.iter_mut().zip(&self.counts) {
            if *status == CellStatus::Published
                && count > 0.0
                && count < threshold as f64
            {
                *status = CellStatus::PrimarySuppressed;
            }
        }
        loop {
            self.protect_single_unknowns();
            let determined = self.determined_cells();
            if determined.is_empty() {
                break;
            }
            // One complement per determined count, from its relation with
            // the fewest unknowns, unless one of its relations already got
            // one in this pass. The next elimination checks whether that
            // was enough.
            let mut touched: BTreeSet<usize> = BTreeSet::new();
            let mut added = false;
            for cell in determined {
                let own: Vec<usize> = self.active_relations_of(cell);
                if own.iter().any(|r| touched.contains(r)) {
                    continue;
                }
                let mut by_unknowns: Vec<usize> = own.clone();
                by_unknowns.sort_by_key(|&r| self.unknowns_in(r));
                let chosen =
                    by_unknowns.iter().find_map(|&r| self.suppress_best(&[r]));
                if let Some(chosen) = chosen {
                    added = true;
                    touched.extend(self.active_relations_of(chosen));
                    touched.extend(own);
                }
            }
            if !added {
                // NOTE: a determined count always has a relation with a
                // published cell, else nothing could pin it down; this
                // guards against an endless loop.
                tracing::error!("no complement found for a determined count");
                break;
            }
        }
        let (primary, secondary) = self.suppressed_counts();
        tracing::info!(
            cells = self.keys.len(),
            relations = self.relations.len(),
            primary,
            secondary,
            threshold,
            "suppressed small counts across published tables"
        );
    }

    /// Hides a complement in each relation whose only unknown is a
    /// suppressed count, which the relation would give away. This settles
    /// most tables before any elimination, and keeps each complement in
    /// the relation that needs it.
    fn protect_single_unknowns(&mut self) {
        loop {
            let exposed = (0..self.relations.len()).find(|&r| {
                let relation = &self.relations[r];
                if !self.is_active(relation) {
                    return false;
                }
                let mut unknown = relation
                    .terms
                    .iter()
                    .map(|&(c, _)| c)
                    .filter(|&c| !self.status[c].is_published());
                match (unknown.next(), unknown.next()) {
                    (Some(cell), None) => self.status[cell].is_suppressed(),
                    _ => false,
                }
            });
            let Some(relation) = exposed else { return };
            if self.suppress_best(&[relation]).is_none() {
                return;
            }
        }
    }

    fn unknowns_in(&self, relation: usize) -> usize {
        self.relations[relation]
            .terms
            .iter()
            .filter(|&&(c, _)| !self.status[c].is_published())
            .count()
    }

    fn is_active(&self, relation: &Relation) -> bool {
        relation
            .guard
            .is_none_or(|guard| self.status[guard].is_published())
    }

    fn active_relations_of(&self, cell: usize) -> Vec<usize> {
        (0..self.relations.len())
            .filter(|&r| {
                let relation = &self.relations[r];
                self.is_active(relation)
                    && relation.terms.iter().any(|&(c, _)| c == cell)
            })
            .collect()
    }

    /// Hides the best published candidate of `relations` (smallest
    /// non-zero count, then interior cells before margins) and returns
    /// it. A guarded relation's guard is a candidate too, because hiding
    /// a row total withdraws its rates.
    fn suppress_best(&mut self, relations: &[usize]) -> Option<usize> {
        let mut candidates: Vec<usize> = Vec::new();
        for &r in relations {
            let relation = &self.relations[r];
            candidates.extend(relation.terms.iter().map(|&(c, _)| c));
            candidates.extend(relation.guard);
        }
        let totals = |cell: usize| {
            self.keys[cell]
                .iter()
                .filter(|level| *level == rnc_stats::TOTAL)
                .count()
        };
        let best = candidates
            .into_iter()
            .filter(|&c| self.status[c].is_published())
            .min_by(|&a, &b| {
                let (ca, cb) = (self.counts[a], self.counts[b]);
                (ca == 0.0)
                    .cmp(&(cb == 0.0))
                    .then(ca.total_cmp(&cb))
                    .then(totals(a).cmp(&totals(b)))
                    .then(self.keys[a].cmp(&self.keys[b]))
            })?;
        self.status[best] = CellStatus::SecondarySuppressed;
        Some(best)
    }

    /// Returns the suppressed cells whose count the published cells and
    /// active relations determine: with the hidden counts as unknowns x
    /// and the relations as A x = b, a count is determined when its unit
    /// vector lies in the row space of A, which in reduced row echelon
    /// form means a row with a single non-zero coefficient.
    fn determined_cells(&self) -> Vec<usize> {
        let unknowns: Vec<usize> = (0..self.keys.len())
            .filter(|&c| !self.status[c].is_published())
            .collect();
        let column: HashMap<usize, usize> =
            unknowns.iter().enumerate().map(|(j, &c)| (c, j)).collect();
        let mut rows: Vec<Vec<f64>> = Vec::new();
        for relation in self.relations.iter().filter(|r| self.is_active(r)) {
            let mut row = vec![0.0; unknowns.len()];
            let mut largest: f64 = 0.0;
            for &(cell, coefficient) in &relation.terms {
                if let Some(&j) = column.get(&cell) {
                    row[j] += coefficient;
                    largest = largest.max(row[j].abs());
                }
            }
            if largest > 0.0 {
                row.iter_mut().for_each(|value| *value /= largest);
                rows.push(row);
            }
        }
        reduce_to_echelon(&mut rows, unknowns.len())
            .into_iter()
            .filter(|&(row, _)| {
                rows[row]
                    .iter()
                    .filter(|value| value.abs() > ELIMINATION_TOLERANCE)
                    .count()
                    == 1
            })
            .map(|(_, j)| unknowns[j])
            .filter(|&c| self.status[c].is_suppressed())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(parts: &[&str]) -> Vec<String> {
        parts.iter().map(|p| (*p).to_owned()).collect()
    }

    #[test]
    fn shared_margin_links_two_tables() {
        // Table A: colon by sex; table B: colon female by year. A hides
        // female = 4 and male; B shows the female total's parts, so the
        // female total must be hidden in B too, which it is because the
        // cell is shared.
        let mut cells = LinkedCells::default();
        let female = cells.add_cell(key(&["colon", "female", "total"]), 4.0);
        let male = cells.add_cell(key(&["colon", "male", "total"]), 40.0);
        let both = cells.add_cell(key(&["colon", "total", "total"]), 44.0);
        cells.add_sum(both, vec![female, male]);
        let y1 = cells.add_cell(key(&["colon", "female", "2021"]), 2.0);
        let y2 = cells.add_cell(key(&["colon", "female", "2022"]), 2.0);
        cells.add_sum(female, vec![y1, y2]);
        cells.suppress(3);
        assert!(cells.status(y1).is_suppressed());
        assert!(cells.status(y2).is_suppressed());
        assert!(
            cells.status(female).is_suppressed()
                || cells.status(y1).is_suppressed()
        );
        assert!(cells.determined_cells().is_empty());
    }

    #[test]
    fn weighted_sum_needs_two_hidden_cells() {
        // Row total 30 is published with a weighted rate over three
        // bands. Hiding one band of 5 is not enough, because the total
        // and the weighted sum give two equations.
        let mut cells = LinkedCells::default();
        let a = cells.add_cell(key(&["a"]), 5.0);
        let b = cells.add_cell(key(&["b"]), 12.0);
        let c = cells.add_cell(key(&["c"]), 13.0);
        let total = cells.add_cell(key(&["total"]), 30.0);
        cells.add_sum(total, vec![a, b, c]);
        cells.add_weighted(vec![(a, 0.1), (b, 0.2), (c, 0.4)], total);
        cells.suppress(11);
        let hidden = [a, b, c, total]
            .iter()
            .filter(|&&x| cells.status(x).is_suppressed())
            .count();
        assert!(hidden >= 3 || cells.status(total).is_suppressed());
        assert!(cells.determined_cells().is_empty());
    }
}
