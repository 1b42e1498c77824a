//! Small-cell suppression of published count tables, with secondary
//! suppression so that no suppressed count can be recovered by difference.
//!
//! A release publishes several tables that are margins of one another:
//! counts by site group, sex and age band, totals by sex, totals by age.
//! [`suppress_counts`] takes the finest table (the interior cells of a
//! cube), adds every margin (each dimension, alone or together, replaced
//! by [`TOTAL`]), and suppresses:
//!
//! * primary: counts from 1 to `threshold - 1`;
//! * secondary: further counts, until no suppressed count is determined
//!   by the published counts through the additive relations between a
//!   margin and its parts. A count is determined when the unit vector of
//!   its cell lies in the row space of the relations restricted to the
//!   unknown cells (suppressed counts and unpublished margins). Gaussian
//!   elimination checks this, so it covers subtraction along one row or
//!   column and every combination of such subtractions.
//!
//! Publishing every table of a release from the cells of one
//! [`SuppressedTable`] keeps the tables consistent, so that a count hidden
//! in one cannot be read off another.

use std::collections::{BTreeMap, BTreeSet};

use crate::{Error, ErrorKind};

/// Key value of a margin: the total over every level of a dimension.
pub const TOTAL: &str = "total";

/// Smallest count published by French registries and Santé publique
/// France: counts from 1 to 10 are suppressed.
pub const DEFAULT_SMALL_CELL_THRESHOLD: u64 = 11;

/// Number of cases under which a rate is flagged as unreliable, after the
/// NCHS data presentation standard (rates on fewer than 20 events have a
/// relative standard error above 23 %).
pub const DEFAULT_UNRELIABLE_RATE_CASES: u64 = 20;

/// Relative size under which an eliminated coefficient counts as zero.
/// The relations have coefficients 0 and ±1, so exact values are small
/// integers and fractions.
const ELIMINATION_TOLERANCE: f64 = 1e-9;

/// Publication status of a count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum CellStatus {
    /// Shown.
    Published,
    /// Hidden because it is from 1 to threshold - 1.
    PrimarySuppressed,
    /// Hidden so that a primary suppressed count cannot be recovered from
    /// the margins.
    SecondarySuppressed,
    /// A margin that no published table shows (see
    /// [`suppress_counts_with_unpublished`]): unknown to a reader, but not
    /// a suppression.
    Unpublished,
}

impl CellStatus {
    /// Tells whether the count is hidden by the primary or the secondary
    /// rule.
    pub fn is_suppressed(self) -> bool {
        matches!(
            self,
            CellStatus::PrimarySuppressed | CellStatus::SecondarySuppressed
        )
    }

    /// Tells whether a reader sees the count.
    pub fn is_published(self) -> bool {
        self == CellStatus::Published
    }

    /// Returns the name written in files: `published`, `primary`,
    /// `secondary` or `unpublished`.
    pub fn label(self) -> &'static str {
        match self {
            CellStatus::Published => "published",
            CellStatus::PrimarySuppressed => "primary",
            CellStatus::SecondarySuppressed => "secondary",
            CellStatus::Unpublished => "unpublished",
        }
    }
}

/// A cell of the cube: one level per dimension, [`TOTAL`] for a margin.
#[derive(Debug, Clone, PartialEq)]
pub struct SuppressedCell {
    /// One level per dimension, in the order of
    /// [`SuppressedTable::dimensions`].
    pub key: Vec<String>,
    /// The count, also kept when suppressed so that internal analyses can
    /// use it; publish it only when [`Self::status`] is
    /// [`CellStatus::Published`].
    pub count: f64,
    /// Whether the count may be published.
    pub status: CellStatus,
}

/// A relation `margin = Σ parts` between cells, by index.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Relation {
    margin: usize,
    parts: Vec<usize>,
}

impl Relation {
    fn cells(&self) -> impl Iterator<Item = usize> + '_ {
        std::iter::once(self.margin).chain(self.parts.iter().copied())
    }
}

/// A cube of counts with all its margins, each cell marked as published or
/// suppressed.
#[derive(Debug, Clone, PartialEq)]
pub struct SuppressedTable {
    /// Names of the dimensions, such as `site_group`, `sex`, `age_band`.
    pub dimensions: Vec<String>,
    /// Interior cells and margins, in key order.
    pub cells: Vec<SuppressedCell>,
    /// The threshold used: counts from 1 to `threshold - 1` were primary
    /// suppressed.
    pub threshold: u64,
    relations: Vec<Relation>,
    index: BTreeMap<Vec<String>, usize>,
}

impl SuppressedTable {
    /// Returns the cell with this key, margins included.
    pub fn cell(&self, key: &[&str]) -> Option<&SuppressedCell> {
        let key: Vec<String> = key.iter().map(|&k| k.to_owned()).collect();
        self.index.get(&key).map(|&i| &self.cells[i])
    }

    /// Returns the published count of a cell, `None` when it is suppressed
    /// or not in the table.
    pub fn published(&self, key: &[&str]) -> Option<f64> {
        self.cell(key)
            .filter(|cell| cell.status.is_published())
            .map(|cell| cell.count)
    }

    /// Returns each relation `margin = Σ parts` as cell indices into
    /// [`Self::cells`], so that a check can try to recover the suppressed
    /// counts.
    pub fn relations(&self) -> Vec<(usize, Vec<usize>)> {
        self.relations
            .iter()
            .map(|relation| (relation.margin, relation.parts.clone()))
            .collect()
    }

    /// Counts the cells of each status.
    pub fn status_counts(&self) -> BTreeMap<CellStatus, usize> {
        let mut counts = BTreeMap::new();
        for cell in &self.cells {
            *counts.entry(cell.status).or_default() += 1;
        }
        counts
    }
}

/// Tells whether a rate on `cases` cases is flagged as unreliable: fewer
/// than `min_cases` but more than 0.
pub fn rate_is_unreliable(cases: f64, min_cases: u64) -> bool {
    cases > 0.0 && cases < min_cases as f64
}

/// Builds the cube of `interior` counts with all margins and suppresses
/// small counts with secondary suppression.
///
/// `interior` gives one key (one level per dimension) and a count per
/// cell. Repeated keys are summed, and a combination of levels that is
/// absent counts as 0. A zero is published, because a count of 0 identifies
/// no one. Counts from 1 to `threshold - 1` are suppressed,
/// then the complements: each time a suppressed count is still
/// determined, the smallest non-zero published count of a relation that
/// contains it is suppressed too (an interior cell before a margin on
/// ties), which keeps the total hidden small. A zero
/// is chosen only when no non-zero count is left, because a reader can
/// often tell that a cell is structurally 0 (prostate in women). A
/// threshold of 0 or 1 suppresses nothing.
///
/// # Errors
///
/// [`ErrorKind::InvalidSuppressionInput`] for a key whose length differs
/// from the number of dimensions, a level equal to [`TOTAL`], or a
/// negative or non-finite count.
pub fn suppress_counts(
    dimensions: &[&str],
    interior: &[(Vec<String>, f64)],
    threshold: u64,
) -> Result<SuppressedTable, Error> {
    suppress_counts_with_unpublished(dimensions, interior, threshold, &[])
}

/// Suppresses as [`suppress_counts`] does, for a release that does not
/// publish the totals over the dimensions named in `unpublished`.
///
/// A reader does not know those margins, so they are unknowns of the
/// relations like the suppressed counts, which leaves more counts
/// published than when every margin is assumed known. Their cells are
/// marked [`CellStatus::Unpublished`] and are never chosen as complements.
///
/// # Errors
///
/// As [`suppress_counts`], and [`ErrorKind::InvalidSuppressionInput`] for
/// a name in `unpublished` that is not a dimension.
pub fn suppress_counts_with_unpublished(
    dimensions: &[&str],
    interior: &[(Vec<String>, f64)],
    threshold: u64,
    unpublished: &[&str],
) -> Result<SuppressedTable, Error> {
    let mut hidden_margins = Vec::new();
    for name in unpublished {
        let position =
            dimensions.iter().position(|d| d == name).ok_or_else(|| {
                ErrorKind::InvalidSuppressionInput(format!(
                    "unpublished margin {name:?} is not a dimension (expected one of {})",
                    dimensions.join(", ")
                ))
            })?;
        hidden_margins.push(position);
    }
    let (levels, sums) = collect_interior(dimensions, interior)?;
    let mut table = build_cube(dimensions, &levels, &sums, threshold);

    for cell in &mut table.cells {
        if hidden_margins.iter().any(|&d| cell.key[d] == TOTAL) {
            cell.status = CellStatus::Unpublished;
        } else if cell.count > 0.0 && cell.count < threshold as f64 {
            cell.status = CellStatus::PrimarySuppressed;
        }
    }
    let primary = table
        .cells
        .iter()
        .filter(|cell| cell.status.is_suppressed())
        .count();
    add_complements(&mut table);
    let secondary = table
        .cells
        .iter()
        .filter(|cell| cell.status == CellStatus::SecondarySuppressed)
        .count();
    tracing::info!(
        cells = table.cells.len(),
        primary,
        secondary,
        threshold,
        "suppressed small counts"
    );
    Ok(table)
}

type Levels = Vec<BTreeSet<String>>;

fn collect_interior(
    dimensions: &[&str],
    interior: &[(Vec<String>, f64)],
) -> Result<(Levels, BTreeMap<Vec<String>, f64>), Error> {
    let invalid = |message: String| -> Error {
        ErrorKind::InvalidSuppressionInput(message).into()
    };
    let mut levels: Levels = vec![BTreeSet::new(); dimensions.len()];
    let mut sums: BTreeMap<Vec<String>, f64> = BTreeMap::new();
    for (row, (key, count)) in interior.iter().enumerate() {
        if key.len() != dimensions.len() {
            return Err(invalid(format!(
                "cell {row}: {} levels but {} dimensions ({})",
                key.len(),
                dimensions.len(),
                dimensions.join(", ")
            )));
        }
        if let Some(position) = key.iter().position(|level| level == TOTAL) {
            return Err(invalid(format!(
                "cell {row}, dimension {}: level {TOTAL:?} is reserved for margins",
                dimensions[position]
            )));
        }
        if !(count.is_finite() && *count >= 0.0) {
            return Err(invalid(format!(
                "cell {row}: count {count} is invalid (expected a finite number >= 0)"
            )));
        }
        for (set, level) in levels.iter_mut().zip(key) {
            set.insert(level.clone());
        }
        *sums.entry(key.clone()).or_default() += count;
    }
    Ok((levels, sums))
}

/// Lists every key of the cube, margins included, with its count, and the
/// relations between margins and parts.
fn build_cube(
    dimensions: &[&str],
    levels: &Levels,
    sums: &BTreeMap<Vec<String>, f64>,
    threshold: u64,
) -> SuppressedTable {
    let with_total: Vec<Vec<String>> = levels
        .iter()
        .map(|set| {
            let mut values: Vec<String> = set.iter().cloned().collect();
            values.push(TOTAL.to_owned());
            values
        })
        .collect();

    let mut counts: BTreeMap<Vec<String>, f64> = BTreeMap::new();
    for key in cartesian_product(&with_total) {
        counts.insert(key, 0.0);
    }
    for (key, &count) in sums {
        // Add the interior count to each of the 2^d cells that contain it.
        for mask in 0..(1_u32 << dimensions.len()) {
            let margin: Vec<String> = key
                .iter()
                .enumerate()
                .map(|(d, level)| {
                    if mask & (1 << d) != 0 {
                        TOTAL.to_owned()
                    } else {
                        level.clone()
                    }
                })
                .collect();
            *counts.entry(margin).or_default() += count;
        }
    }

    let index: BTreeMap<Vec<String>, usize> = counts
        .keys()
        .enumerate()
        .map(|(i, key)| (key.clone(), i))
        .collect();
    let mut relations = Vec::new();
    for (key, &margin) in &index {
        for (d, level) in key.iter().enumerate() {
            if level != TOTAL {
                continue;
            }
            let parts = levels[d]
                .iter()
                .map(|part_level| {
                    let mut part = key.clone();
                    part[d] = part_level.clone();
                    index[&part]
                })
                .collect();
            relations.push(Relation { margin, parts });
        }
    }
    let cells = counts
        .into_iter()
        .map(|(key, count)| SuppressedCell {
            key,
            count,
            status: CellStatus::Published,
        })
        .collect();
    SuppressedTable {
        dimensions: dimensions.iter().map(|&d| d.to_owned()).collect(),
        cells,
        threshold,
        relations,
        index,
    }
}

fn cartesian_product(values: &[Vec<String>]) -> Vec<Vec<String>> {
    let mut keys: Vec<Vec<String>> = vec![Vec::new()];
    for options in values {
        keys = keys
            .into_iter()
            .flat_map(|prefix| {
                options.iter().map(move |value| {
                    let mut key = prefix.clone();
                    key.push(value.clone());
                    key
                })
            })
            .collect();
    }
    keys
}

/// Suppresses complements until no suppressed count is determined.
///
/// The cheap rule (no relation with exactly one suppressed cell) runs
/// first, because it settles most tables. The elimination then finds the
/// counts still determined by combinations of relations.
fn add_complements(table: &mut SuppressedTable) {
    loop {
        // A relation whose only unknown is a suppressed count gives it
        // away. One whose only unknown is an unpublished margin does not
        // matter, because that margin is no secret.
        while let Some(relation) = table.relations.iter().position(|r| {
            let mut unknown =
                r.cells().filter(|&c| !table.cells[c].status.is_published());
            match (unknown.next(), unknown.next()) {
                (Some(cell), None) => table.cells[cell].status.is_suppressed(),
                _ => false,
            }
        }) {
            let candidates: Vec<usize> =
                table.relations[relation].cells().collect();
            if suppress_best(table, &candidates).is_none() {
                break;
            }
        }
        let determined = determined_cells(table);
        if determined.is_empty() {
            return;
        }
        // One complement per determined count, except where a relation
        // of that count already got one in this pass. The next
        // elimination checks whether that was enough.
        let mut touched: BTreeSet<usize> = BTreeSet::new();
        let mut added = false;
        for cell in determined {
            let own: Vec<usize> = (0..table.relations.len())
                .filter(|&r| table.relations[r].cells().any(|c| c == cell))
                .collect();
            if own.iter().any(|r| touched.contains(r)) {
                continue;
            }
            let candidates: Vec<usize> = own
                .iter()
                .flat_map(|&r| table.relations[r].cells())
                .collect();
            if let Some(chosen) = suppress_best(table, &candidates) {
                added = true;
                touched.extend((0..table.relations.len()).filter(|&r| {
                    table.relations[r].cells().any(|c| c == chosen)
                }));
            }
        }
        if !added {
            // NOTE: unreachable in theory, because a determined count has
            // a relation with a published cell (else the relations could
            // not pin it down). Kept as a guard against an endless loop.
            tracing::error!("no complement found for a determined count");
            return;
        }
    }
}

/// Suppresses the best published candidate and returns it, `None` when
/// every candidate is already suppressed.
fn suppress_best(
    table: &mut SuppressedTable,
    candidates: &[usize],
) -> Option<usize> {
    let margins = |cell: &SuppressedCell| {
        cell.key.iter().filter(|level| *level == TOTAL).count()
    };
    let best = candidates
        .iter()
        .copied()
        .filter(|&c| table.cells[c].status == CellStatus::Published)
        .min_by(|&a, &b| {
            let (a, b) = (&table.cells[a], &table.cells[b]);
            (a.count == 0.0)
                .cmp(&(b.count == 0.0))
                .then(a.count.total_cmp(&b.count))
                .then(margins(a).cmp(&margins(b)))
                .then(a.key.cmp(&b.key))
        });
    if let Some(cell) = best {
        table.cells[cell].status = CellStatus::SecondarySuppressed;
    }
    best
}

/// Returns the suppressed cells whose count the published counts
/// determine.
///
/// With the suppressed counts as unknowns x, the relations give A x = b
/// with b known. Count c is determined when every solution of A x = 0 has
/// x_c = 0, which after reduction to row echelon form means that c is a
/// pivot column whose row has no other non-zero coefficient.
fn determined_cells(table: &SuppressedTable) -> Vec<usize> {
    let unknowns: Vec<usize> = (0..table.cells.len())
        .filter(|&c| !table.cells[c].status.is_published())
        .collect();
    let column: BTreeMap<usize, usize> =
        unknowns.iter().enumerate().map(|(j, &c)| (c, j)).collect();
    let mut rows: Vec<Vec<f64>> = Vec::new();
    for relation in &table.relations {
        let mut row = vec![0.0; unknowns.len()];
        let mut any = false;
        for (cell, coefficient) in std::iter::once((relation.margin, -1.0))
            .chain(relation.parts.iter().map(|&p| (p, 1.0)))
        {
            if let Some(&j) = column.get(&cell) {
                row[j] += coefficient;
                any = true;
            }
        }
        if any {
            rows.push(row);
        }
    }

    let pivots = reduce_to_echelon(&mut rows, unknowns.len());
    pivots
        .into_iter()
        .filter(|&(row, _)| {
            rows[row]
                .iter()
                .filter(|value| value.abs() > ELIMINATION_TOLERANCE)
                .count()
                == 1
        })
        .map(|(_, j)| unknowns[j])
        .filter(|&c| table.cells[c].status.is_suppressed())
        .collect()
}

/// Reduces `rows` to reduced row echelon form in place, with partial
/// pivoting, and returns the (row, column) of each pivot. A coefficient
/// below 1e-9 in absolute value counts as zero, so rows should be scaled
/// to a largest coefficient near 1.
pub fn reduce_to_echelon(
    rows: &mut [Vec<f64>],
    columns: usize,
) -> Vec<(usize, usize)> {
    let mut pivots = Vec::new();
    let mut next_row = 0;
    for j in 0..columns {
        if next_row == rows.len() {
            break;
        }
        let Some(pivot) = (next_row..rows.len())
            .filter(|&r| rows[r][j].abs() > ELIMINATION_TOLERANCE)
            .max_by(|&a, &b| rows[a][j].abs().total_cmp(&rows[b][j].abs()))
        else {
            continue;
        };
        rows.swap(next_row, pivot);
        let scale = rows[next_row][j];
        for value in rows[next_row].iter_mut() {
            *value /= scale;
        }
        let pivot_row = rows[next_row].clone();
        for (r, row) in rows.iter_mut().enumerate() {
            if r == next_row || row[j].abs() <= ELIMINATION_TOLERANCE {
                continue;
            }
            let factor = row[j];
            for (value, &p) in row.iter_mut().zip(&pivot_row) {
                *value -= factor * p;
            }
            row[j] = 0.0;
        }
        pivots.push((next_row, j));
        next_row += 1;
    }
    pivots
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cells(rows: &[(&str, &str, f64)]) -> Vec<(Vec<String>, f64)> {
        rows.iter()
            .map(|&(a, b, n)| (vec![a.to_owned(), b.to_owned()], n))
            .collect()
    }

    #[test]
    fn single_small_cell_gets_complements() {
        // A 2 x 2 table with one count of 3: its row, its column and the
        // opposite cell must all go, else 3 = row total - other cell.
        let table = suppress_counts(
            &["site", "sex"],
            &cells(&[
                ("colon", "female", 3.0),
                ("colon", "male", 40.0),
                ("lung", "female", 50.0),
                ("lung", "male", 60.0),
            ]),
            11,
        )
        .unwrap();
        let status = |a: &str, b: &str| table.cell(&[a, b]).unwrap().status;
        assert_eq!(status("colon", "female"), CellStatus::PrimarySuppressed);
        assert!(status("colon", "male").is_suppressed());
        assert!(status("lung", "female").is_suppressed());
        assert!(status("lung", "male").is_suppressed());
        assert_eq!(table.published(&[TOTAL, TOTAL]), Some(153.0));
        assert!(determined_cells(&table).is_empty());
    }

    #[test]
    fn zero_is_published() {
        let table = suppress_counts(
            &["site", "sex"],
            &cells(&[("prostate", "male", 30.0), ("prostate", "female", 0.0)]),
            11,
        )
        .unwrap();
        assert_eq!(table.published(&["prostate", "female"]), Some(0.0));
        assert_eq!(table.published(&["prostate", TOTAL]), Some(30.0));
    }

    #[test]
    fn absent_combination_counts_as_zero() {
        let table = suppress_counts(
            &["site", "sex"],
            &cells(&[("prostate", "male", 30.0), ("breast", "female", 40.0)]),
            11,
        )
        .unwrap();
        assert_eq!(table.published(&["prostate", "female"]), Some(0.0));
        assert_eq!(table.cells.len(), 9);
    }

    #[test]
    fn threshold_one_suppresses_nothing() {
        let table = suppress_counts(
            &["site", "sex"],
            &cells(&[("colon", "female", 1.0), ("colon", "male", 2.0)]),
            1,
        )
        .unwrap();
        assert!(table.cells.iter().all(|c| !c.status.is_suppressed()));
    }

    #[test]
    fn reserved_total_level_rejected() {
        let error = suppress_counts(
            &["site", "sex"],
            &cells(&[("colon", TOTAL, 5.0)]),
            11,
        )
        .unwrap_err();
        assert!(error.to_string().contains("dimension sex"), "{error}");
    }

    #[test]
    fn key_length_mismatch_rejected() {
        let error =
            suppress_counts(&["site"], &cells(&[("colon", "male", 5.0)]), 11)
                .unwrap_err();
        assert!(matches!(
            error.kind(),
            ErrorKind::InvalidSuppressionInput(_)
        ));
    }

    #[test]
    fn unreliable_rate_flag() {
        assert!(rate_is_unreliable(19.0, 20));
        assert!(!rate_is_unreliable(20.0, 20));
        assert!(!rate_is_unreliable(0.0, 20));
    }
}
