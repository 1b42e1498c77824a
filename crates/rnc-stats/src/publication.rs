//! Publication rules applied to the incidence table: small counts hidden
//! with secondary suppression, and rates on few cases flagged.

use crate::standard::AGE_BANDS;
use crate::table::{
    ALL_SITES, IncidenceRow, RATE_COLUMNS, age_band_column, quote_csv,
    rate_values,
};
use crate::{
    CellStatus, Error, SuppressedTable, TOTAL, suppress_counts_with_unpublished,
};

/// Publication status of the counts behind incidence rows.
///
/// The rows form one cube of site group, sex and age band: a row's cases
/// are the margin over age, the all-sites row the margin over site groups,
/// and the age-specific cases the interior cells. Suppressing on the cube
/// keeps the table and the plots consistent, so that a count hidden in
/// one cannot be read off the other or off a total.
#[derive(Debug, Clone)]
pub struct IncidenceSuppression {
    table: SuppressedTable,
}

impl IncidenceSuppression {
    /// Builds the cube from the site-group rows and suppresses it with
    /// `threshold`. The all-sites rows are margins, so they are not added
    /// again. Incidence rows give no both-sexes total, so the margins over
    /// sex are left unknown to the reader.
    ///
    /// # Errors
    ///
    /// [`crate::ErrorKind::InvalidSuppressionInput`] for a site group or
    /// sex named `total`, the key reserved for margins.
    pub fn new(rows: &[IncidenceRow], threshold: u64) -> Result<Self, Error> {
        let mut cells = Vec::new();
        for row in rows.iter().filter(|row| row.site_group != ALL_SITES) {
            for (band, label) in AGE_BANDS.iter().enumerate() {
                let cases =
                    row.age_specific_cases.get(band).copied().unwrap_or(0.0);
                let key = vec![
                    row.site_group.clone(),
                    row.sex.clone(),
                    (*label).to_owned(),
                ];
                cells.push((key, cases));
            }
        }
        let table = suppress_counts_with_unpublished(
            &["site_group", "sex", "age_band"],
            &cells,
            threshold,
            &["sex"],
        )?;
        Ok(IncidenceSuppression { table })
    }

    fn site_key(row: &IncidenceRow) -> &str {
        if row.site_group == ALL_SITES {
            TOTAL
        } else {
            &row.site_group
        }
    }

    /// Returns the status of the row's total count, which decides whether
    /// its rates may be shown. A row not in the cube is reported as
    /// suppressed, so that nothing unchecked is shown.
    pub fn row_status(&self, row: &IncidenceRow) -> CellStatus {
        self.table
            .cell(&[Self::site_key(row), &row.sex, TOTAL])
            .map_or(CellStatus::SecondarySuppressed, |cell| cell.status)
    }

    /// Tells whether the count of one age band of a row may be shown, and
    /// so its age-specific rate.
    pub fn band_published(&self, row: &IncidenceRow, band: usize) -> bool {
        self.table
            .published(&[Self::site_key(row), &row.sex, AGE_BANDS[band]])
            .is_some()
    }

    /// Returns the (primary, secondary) numbers of hidden cells.
    pub fn suppressed_counts(&self) -> (usize, usize) {
        let counts = self.table.status_counts();
        let get = |status| counts.get(&status).copied().unwrap_or(0);
        (
            get(CellStatus::PrimarySuppressed),
            get(CellStatus::SecondarySuppressed),
        )
    }
}

/// Writes incidence rows for publication as CSV, with `status` (see
/// [`CellStatus::label`]) and `unreliable` columns after `sex`.
///
/// A suppressed row keeps its site group, sex and status, with every count
/// and rate empty. An age-specific rate is empty where its band is
/// suppressed, because the rate times the published population gives the
/// count back. `unreliable` is `true` for a shown row with fewer than
/// `unreliable_cases` cases. The rate columns and their 4 decimals are
/// those of [`crate::incidence_to_csv`].
///
/// # Errors
///
/// As [`IncidenceSuppression::new`].
pub fn published_incidence_csv(
    rows: &[IncidenceRow],
    threshold: u64,
    unreliable_cases: u64,
) -> Result<String, Error> {
    let suppression = IncidenceSuppression::new(rows, threshold)?;
    let mut header = vec![
        "site_group".to_owned(),
        "sex".to_owned(),
        "status".to_owned(),
        "unreliable".to_owned(),
        "cases".to_owned(),
    ];
    header.extend(RATE_COLUMNS.iter().map(|&name| name.to_owned()));
    header.extend((0..AGE_BANDS.len()).map(age_band_column));
    let mut out = header.join(",");
    out.push('\n');

    for row in rows {
        let status = suppression.row_status(row);
        let mut fields = vec![
            quote_csv(&row.site_group),
            quote_csv(&row.sex),
            status.label().to_owned(),
        ];
        if status.is_published() {
            let unreliable =
                crate::rate_is_unreliable(row.cases, unreliable_cases);
            fields.push(unreliable.to_string());
            fields.push(row.cases.to_string());
            let rates = rate_values(row);
            fields.extend(rates.iter().map(|value| format!("{value:.4}")));
            for band in 0..AGE_BANDS.len() {
                let rate = row.age_specific.get(band).copied().flatten();
                let shown =
                    rate.filter(|_| suppression.band_published(row, band));
                fields.push(
                    shown.map_or_else(String::new, |v| format!("{v:.4}")),
                );
            }
        } else {
            let empty = 2 + RATE_COLUMNS.len() + AGE_BANDS.len();
            fields.extend(std::iter::repeat_n(String::new(), empty));
        }
        out.push_str(&fields.join(","));
        out.push('\n');
    }
    let (primary, secondary) = suppression.suppressed_counts();
    tracing::info!(
        rows = rows.len(),
        primary,
        secondary,
        "wrote published incidence"
    );
    Ok(out)
}
