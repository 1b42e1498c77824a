//! Publication rules applied to the incidence rows of the report: small
//! counts hidden with secondary suppression, and rates on few cases
//! flagged.

use rnc_stats::{
    AGE_BANDS, ALL_SITES, CellStatus, IncidenceRow, SuppressedTable, TOTAL,
    suppress_counts_with_unpublished,
};

use crate::{Error, ErrorKind};

/// Publication status of the counts behind the report's incidence rows.
///
/// The rows form one cube of site group, sex and age band: a row's cases
/// are the margin over age, the all-sites row the margin over site groups,
/// and the age-specific cases the interior cells. Suppressing on the cube
/// keeps the table and the plots consistent, so that a count hidden in
/// one cannot be read off the other or off a total.
#[derive(Debug, Clone)]
pub(crate) struct IncidenceSuppression {
    table: SuppressedTable,
}

impl IncidenceSuppression {
    /// Builds the cube from the site-group rows and suppresses it with
    /// `threshold`. The all-sites rows are margins, so they are not added
    /// again. The report shows no both-sexes total, so the margins over
    /// sex are left unknown to the reader.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Suppression`] for a site group or sex named `total`,
    /// the key reserved for margins.
    pub(crate) fn new(
        rows: &[IncidenceRow],
        threshold: u64,
    ) -> Result<Self, Error> {
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
        )
        .map_err(ErrorKind::Suppression)?;
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
    pub(crate) fn row_status(&self, row: &IncidenceRow) -> CellStatus {
        self.table
            .cell(&[Self::site_key(row), &row.sex, TOTAL])
            .map_or(CellStatus::SecondarySuppressed, |cell| cell.status)
    }

    /// Tells whether the count of one age band of a row may be shown, and
    /// so its age-specific rate.
    pub(crate) fn band_published(
        &self,
        row: &IncidenceRow,
        band: usize,
    ) -> bool {
        self.table
            .published(&[Self::site_key(row), &row.sex, AGE_BANDS[band]])
            .is_some()
    }

    /// Counts the cells hidden by the primary and the secondary rule.
    pub(crate) fn suppressed_counts(&self) -> (usize, usize) {
        let counts = self.table.status_counts();
        let get = |status| counts.get(&status).copied().unwrap_or(0);
        (
            get(CellStatus::PrimarySuppressed),
            get(CellStatus::SecondarySuppressed),
        )
    }
}
