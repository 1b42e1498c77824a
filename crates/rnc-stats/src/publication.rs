//! Publication rules applied to the incidence table: small counts hidden
//! with secondary suppression, and rates on few cases flagged.

use std::collections::BTreeSet;

use crate::rates::BANDS_0_74;
use crate::standard::{AGE_BANDS, StandardPopulation};
use crate::table::{
    ALL_SITES, IncidenceRow, RATE_COLUMNS, age_band_column, quote_csv,
    rate_values,
};
use crate::{
    CellStatus, Error, SuppressedTable, TOTAL, reduce_to_echelon,
    suppress_counts_with_unpublished,
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
    /// Rows, by (site key, sex), whose standardised rates, their
    /// intervals and cumulative risk would give a hidden band count back.
    standardised_withheld: BTreeSet<(String, String)>,
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
        let mut suppression = IncidenceSuppression {
            table,
            standardised_withheld: BTreeSet::new(),
        };
        for row in rows {
            let hidden: Vec<usize> = (0..AGE_BANDS.len())
                .filter(|&band| !suppression.band_published(row, band))
                .collect();
            if standardised_give_bands_back(row, &hidden) {
                let key = (Self::site_key(row).to_owned(), row.sex.clone());
                suppression.standardised_withheld.insert(key);
            }
        }
        Ok(suppression)
    }

    /// Tells whether the age-standardised rates of a row, their intervals
    /// and its cumulative risk may be shown: the row is published and
    /// they give no hidden band count back.
    pub fn standardised_published(&self, row: &IncidenceRow) -> bool {
        let key = (Self::site_key(row).to_owned(), row.sex.clone());
        self.row_status(row).is_published()
            && !self.standardised_withheld.contains(&key)
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

/// Tells whether the published values of a row determine one of its
/// hidden age-band counts.
///
/// With the rates of the published bands known, each published value
/// below is a known linear function of the hidden counts c_a, with n_a
/// the band's person-years and w_a its standard weight:
///
/// * the row's cases, Σ c_a;
/// * each age-standardised rate (world and European), Σ w_a c_a / n_a;
/// * the variance behind its Fay-Feuer interval, Σ w_a² c_a / n_a²;
/// * the cumulative rate 0-74, Σ c_a / n_a over the bands below 75.
/// A count is determined when the
/// elimination leaves its unit vector in the span of these relations.
/// The person-years of a band come back from its count and rate, so a
/// hidden band with no case but a rate has unknown person-years and is
/// treated as determined, which only withholds more.
// NOTE: the check is row by row. The all-sites row's bands are sums of
// the site groups' bands, and a combination of rows is not checked.
fn standardised_give_bands_back(row: &IncidenceRow, hidden: &[usize]) -> bool {
    if hidden.is_empty() {
        return false;
    }
    let mut inverse_years = Vec::with_capacity(hidden.len());
    for &band in hidden {
        let cases = row.age_specific_cases.get(band).copied().unwrap_or(0.0);
        match row.age_specific.get(band).copied().flatten() {
            // No person-years: the band takes no part in the rates.
            None => inverse_years.push(0.0),
            Some(rate) if cases > 0.0 && rate > 0.0 => {
                inverse_years.push(rate / (cases * 100_000.0));
            }
            Some(_) => return true,
        }
    }
    let world = StandardPopulation::WorldSegi1960.weights();
    let europe = StandardPopulation::Europe2013.weights();
    let term = |f: &dyn Fn(usize, f64) -> f64| -> Vec<f64> {
        hidden
            .iter()
            .zip(&inverse_years)
            .map(|(&band, &inverse)| f(band, inverse))
            .collect()
    };
    let mut relations = vec![vec![1.0; hidden.len()]];
    for weights in [&world, &europe] {
        relations.push(term(&|band, inverse| weights[band] * inverse));
        relations
            .push(term(&|band, inverse| (weights[band] * inverse).powi(2)));
    }
    relations.push(term(&|band, inverse| {
        if band < BANDS_0_74 { inverse } else { 0.0 }
    }));
    // The elimination's tolerance is absolute, so each relation is
    // scaled to a largest coefficient of 1 first.
    for relation in &mut relations {
        let largest = relation.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
        if largest > 0.0 {
            relation.iter_mut().for_each(|v| *v /= largest);
        }
    }
    let pivots = reduce_to_echelon(&mut relations, hidden.len());
    pivots.iter().any(|&(pivot_row, _)| {
        relations[pivot_row]
            .iter()
            .filter(|v| v.abs() > 1e-9)
            .count()
            == 1
    })
}

/// Writes incidence rows for publication as CSV, with `status` (see
/// [`CellStatus::label`]) and `unreliable` columns after `sex`.
///
/// A suppressed row keeps its site group, sex and status, with every count
/// and rate empty. An age-specific rate is empty where its band is
/// suppressed, because the rate times the published population gives the
/// count back. The standardised rates, their intervals and the cumulative
/// risk are empty where they would give such a count back
/// ([`IncidenceSuppression::standardised_published`]). `unreliable` is
/// `true` for a shown row with fewer than
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
            let standardised = suppression.standardised_published(row);
            let rates = rate_values(row);
            // The first three are the crude rate and its interval, which
            // give back only the published cases.
            fields.extend(rates.iter().enumerate().map(|(i, value)| {
                if i < 3 || standardised {
                    format!("{value:.4}")
                } else {
                    String::new()
                }
            }));
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

/// Writes the published CSV of rates by stratum (from
/// [`crate::rates_by_dimensions`]). Counts from 1 to `threshold - 1` are
/// hidden with their rates, and so are the counts that would give them
/// back from the margins over `dimensions`. `unreliable` is `true` for a
/// shown row with fewer than `unreliable_cases` cases.
///
/// Every margin of the cube is assumed published, which hides the most.
/// Not-estimable strata take part in the suppression and are written
/// without rates. Rates have 4 decimals, per 100 000.
///
/// # Errors
///
/// The errors of [`crate::suppress_counts`].
pub fn published_rates_csv(
    dimensions: &[&str],
    rates: &crate::RatesByStratum,
    threshold: u64,
    unreliable_cases: u64,
) -> Result<String, Error> {
    let rows = &rates.rows;
    let mut interior: Vec<(Vec<String>, f64)> = rows
        .iter()
        .map(|row| (row.stratum.clone(), row.cases))
        .collect();
    interior.extend(
        rates
            .not_estimable
            .iter()
            .map(|odd| (odd.stratum.clone(), odd.cases)),
    );
    let table = crate::suppress_counts(dimensions, &interior, threshold)?;
    let mut header: Vec<&str> = dimensions.to_vec();
    header.extend([
        "status",
        "unreliable",
        "cases",
        "crude_rate",
        "crude_lower",
        "crude_upper",
        "asr",
        "asr_lower",
        "asr_upper",
    ]);
    let mut out = header.join(",");
    out.push('\n');

    for row in rows {
        let key: Vec<&str> = row.stratum.iter().map(String::as_str).collect();
        let status = table
            .cell(&key)
            .map_or(CellStatus::Published, |cell| cell.status);
        let mut fields: Vec<String> =
            row.stratum.iter().map(|value| quote_csv(value)).collect();
        fields.push(status.label().to_owned());
        if status.is_published() {
            let unreliable =
                crate::rate_is_unreliable(row.cases, unreliable_cases);
            fields.push(unreliable.to_string());
            fields.push(row.cases.to_string());
            let standardised = row.standardised_fay_feuer.as_ref();
            let values = [
                Some(row.crude.value),
                Some(row.crude.lower),
                Some(row.crude.upper),
                standardised.map(|rate| rate.rate),
                standardised.map(|rate| rate.lower),
                standardised.map(|rate| rate.upper),
            ];
            fields.extend(values.iter().map(|value| {
                value.map_or_else(String::new, |v| format!("{v:.4}"))
            }));
        } else {
            fields.extend(std::iter::repeat_n(String::new(), 8));
        }
        out.push_str(&fields.join(","));
        out.push('\n');
    }
    for odd in &rates.not_estimable {
        let key: Vec<&str> = odd.stratum.iter().map(String::as_str).collect();
        let status = table
            .cell(&key)
            .map_or(CellStatus::Published, |cell| cell.status);
        let mut fields: Vec<String> =
            odd.stratum.iter().map(|value| quote_csv(value)).collect();
        fields.push(status.label().to_owned());
        fields.push(String::new());
        fields.push(if status.is_published() {
            odd.cases.to_string()
        } else {
            String::new()
        });
        fields.extend(std::iter::repeat_n(String::new(), 6));
        out.push_str(&fields.join(","));
        out.push('\n');
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Dimension, Event, PopulationCell, StandardPopulation};

    #[test]
    fn small_rate_and_its_complement_hidden() {
        // Two sexes in one département: 5 cases in women (below 11) and
        // 30 in men. With the total of 35 known, the men's 30 would give
        // the women's 5 back, so it is hidden too.
        let mut events = Vec::new();
        for (sex, cases) in [("female", 5), ("male", 30)] {
            events.extend((0..cases).map(|_| Event {
                site_group: "lung".to_owned(),
                sex: sex.to_owned(),
                age: 67,
                year: 2020,
                departement: Some("69".to_owned()),
            }));
        }
        let population: Vec<PopulationCell> = ["female", "male"]
            .iter()
            .map(|sex| PopulationCell {
                year: 2020,
                sex: (*sex).to_owned(),
                age_band: 13,
                departement: Some("69".to_owned()),
                person_years: 100_000.0,
            })
            .collect();
        let rates = crate::rates_by_dimensions(
            &events,
            &population,
            &[Dimension::Sex],
            &StandardPopulation::WorldSegi1960,
            0.95,
        )
        .unwrap();
        let csv = published_rates_csv(&["sex"], &rates, 11, 20).unwrap();
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(lines[1].starts_with("female,primary,,,"), "{}", lines[1]);
        assert!(lines[2].starts_with("male,secondary,,,"), "{}", lines[2]);
    }
}

/// Prevalence counts of one site group (or all sites) and sex.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrevalenceRow {
    /// Site group, or [`crate::ALL_SITES`] for persons counted once over
    /// every site.
    pub site_group: String,
    /// Sex label.
    pub sex: String,
    /// The counts, with partial prevalence for the same durations in every
    /// row.
    pub prevalence: crate::Prevalence,
}

/// Writes prevalence for publication as CSV: `site_group`, `sex`,
/// `index_date`, `status`, `complete` and one `partial_N_years` column per
/// duration, with hidden counts left empty.
///
/// Partial prevalence is cumulative, so two durations give by difference
/// the persons diagnosed between them: a small count hides there as well
/// as in a cell. Each row is therefore split into disjoint intervals since
/// diagnosis (under the shortest duration, between two durations, beyond
/// the longest), which sum to the complete prevalence. That cube of site
/// group, sex and interval is suppressed with every margin assumed known. A partial count is shown only when every interval it
/// sums is shown, and the complete count only when its margin is, so each
/// figure shown follows from cells the suppression leaves visible.
///
/// The all-sites rows count a person with tumours of two groups once, so
/// they are not the sum of the site rows: they are suppressed as a cube of
/// their own (sex and interval). The dead, the lost to follow-up and the
/// persons diagnosed after the index date are analyst figures and are not
/// written.
///
/// # Errors
///
/// [`crate::ErrorKind::InvalidSuppressionInput`] when the rows do not all
/// have the same durations, or for a site group or sex named `total`.
pub fn published_prevalence_csv(
    rows: &[PrevalenceRow],
    threshold: u64,
) -> Result<String, Error> {
    let durations: Vec<u32> = rows.first().map_or_else(Vec::new, |row| {
        row.prevalence
            .partial
            .iter()
            .map(|(years, _)| *years)
            .collect()
    });
    if durations.windows(2).any(|pair| pair[0] >= pair[1]) {
        return Err(crate::ErrorKind::InvalidSuppressionInput(
            "prevalence durations are not in increasing order: sort them (for example 1,3,5,10)".into(),
        )
        .into());
    }
    let interval_labels: Vec<String> = interval_labels(&durations);

    let mut site_cells = Vec::new();
    let mut all_sites_cells = Vec::new();
    for row in rows {
        let row_durations: Vec<u32> = row
            .prevalence
            .partial
            .iter()
            .map(|(years, _)| *years)
            .collect();
        if row_durations != durations {
            return Err(crate::ErrorKind::InvalidSuppressionInput(
                "prevalence rows have different durations: count every row with the same list".into(),
            )
            .into());
        }
        for (label, count) in
            interval_labels.iter().zip(interval_counts(&row.prevalence))
        {
            if row.site_group == crate::ALL_SITES {
                all_sites_cells
                    .push((vec![row.sex.clone(), label.clone()], count));
            } else {
                site_cells.push((
                    vec![
                        row.site_group.clone(),
                        row.sex.clone(),
                        label.clone(),
                    ],
                    count,
                ));
            }
        }
    }
    let by_site = crate::suppress_counts(
        &["site_group", "sex", "interval"],
        &site_cells,
        threshold,
    )?;
    let all_sites = crate::suppress_counts(
        &["sex", "interval"],
        &all_sites_cells,
        threshold,
    )?;

    let mut header = vec![
        "site_group".to_owned(),
        "sex".to_owned(),
        "index_date".to_owned(),
        "status".to_owned(),
        "complete".to_owned(),
    ];
    header.extend(
        durations
            .iter()
            .map(|years| format!("partial_{years}_years")),
    );
    let mut out = header.join(",");
    out.push('\n');
    for row in rows {
        let (table, prefix): (&SuppressedTable, Vec<&str>) =
            if row.site_group == crate::ALL_SITES {
                (&all_sites, vec![row.sex.as_str()])
            } else {
                (&by_site, vec![row.site_group.as_str(), row.sex.as_str()])
            };

        let status = table
            .cell(&with_interval(&prefix, TOTAL))
            .map_or(CellStatus::SecondarySuppressed, |cell| cell.status);
        let mut fields = vec![
            quote_csv(&row.site_group),
            quote_csv(&row.sex),
            row.prevalence.index_date.to_string(),
            status.label().to_owned(),
            if status.is_published() {
                row.prevalence.complete.to_string()
            } else {
                String::new()
            },
        ];
        for (position, (_, count)) in row.prevalence.partial.iter().enumerate()
        {
            let shown = interval_labels[..=position].iter().all(|label| {
                table.published(&with_interval(&prefix, label)).is_some()
            });
            fields.push(if shown {
                count.to_string()
            } else {
                String::new()
            });
        }
        out.push_str(&fields.join(","));
        out.push('\n');
    }
    Ok(out)
}

/// Names the intervals since diagnosis that the durations cut: `0-1y`,
/// `1-3y`, ..., and `10y+` after the longest (`all` without durations).
fn interval_labels(durations: &[u32]) -> Vec<String> {
    let mut labels = Vec::with_capacity(durations.len() + 1);
    let mut start = 0;
    for years in durations {
        labels.push(format!("{start}-{years}y"));
        start = *years;
    }
    labels.push(if durations.is_empty() {
        "all".to_owned()
    } else {
        format!("{start}y+")
    });
    labels
}

/// Splits cumulative partial prevalence into the counts of the intervals
/// named by [`interval_labels`].
fn interval_counts(prevalence: &crate::Prevalence) -> Vec<f64> {
    let mut counts = Vec::with_capacity(prevalence.partial.len() + 1);
    let mut below = 0;
    for (_, cumulative) in &prevalence.partial {
        counts.push((cumulative - below) as f64);
        below = *cumulative;
    }
    counts.push((prevalence.complete - below) as f64);
    counts
}

/// Returns the key of one interval's cell: `prefix` (site group and sex,
/// or sex) followed by the interval label.
fn with_interval<'a>(prefix: &[&'a str], interval: &'a str) -> Vec<&'a str> {
    let mut key = prefix.to_vec();
    key.push(interval);
    key
}
