//! The incidence table: one row of rates per site group and sex, and its
//! Arrow and CSV forms.

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow_array::{ArrayRef, Float64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema, SchemaRef};

use crate::rates::{cumulative_rate_0_74, cumulative_risk_from_rate};
use crate::standard::AGE_BANDS;
use crate::{
    Error, ErrorKind, Estimate, IntervalMethod, StandardPopulation,
    StandardisedRate, age_specific_rates, age_standardised_rate, crude_rate,
};

/// Site group of the row that sums every site group of one sex.
pub const ALL_SITES: &str = "all_sites";

/// Confidence level of every interval in the incidence table.
pub const TABLE_CONFIDENCE: f64 = 0.95;

/// Relative difference above which a cell's person-years disagree with the
/// population table; it allows for rounding in a CSV round trip.
const PERSON_YEARS_TOLERANCE: f64 = 1e-9;

/// Cases of one site group, sex and five-year age band.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    /// Site group, such as `colorectum` or an ICD-10 range label.
    pub site_group: String,
    /// Sex label, as written by `rnc_model::Sex::label` (`male`, `female`).
    pub sex: String,
    /// Index in [`AGE_BANDS`].
    pub age_band: usize,
    /// Number of tumours.
    pub cases: f64,
    /// Person-years of this sex and band, or 0 when not filled in.
    /// [`incidence_table`] takes person-years from its population table and
    /// only checks that a non-zero value here agrees with it.
    pub person_years: f64,
}

/// Incidence of one site group and sex, as published in registry reports.
#[derive(Debug, Clone, PartialEq)]
pub struct IncidenceRow {
    /// Site group, or [`ALL_SITES`].
    pub site_group: String,
    /// Sex label.
    pub sex: String,
    /// Number of tumours over all ages.
    pub cases: f64,
    /// Person-years over all ages.
    pub person_years: f64,
    /// Crude rate per 100 000 with its exact Poisson 95 % interval.
    pub crude: Estimate,
    /// Rate standardised to the Segi 1960 world standard, Fay-Feuer 95 %
    /// interval.
    pub asr_world: StandardisedRate,
    /// Rate standardised to the 2013 European standard, Fay-Feuer 95 %
    /// interval.
    pub asr_europe2013: StandardisedRate,
    /// IARC cumulative risk 0-74 in percent.
    pub cumulative_risk_0_74: f64,
    /// Rate per 100 000 in each of the 18 bands, `None` without
    /// person-years.
    pub age_specific: Vec<Option<f64>>,
    /// Cases in each of the 18 bands, so that a publication can suppress
    /// the rate of a band with few cases.
    pub age_specific_cases: Vec<f64>,
}

/// Builds the incidence table from case counts and person-years.
///
/// Returns one row per (site group, sex) present in `cases` and one
/// [`ALL_SITES`] row per sex present in `cases`, sorted by site group and
/// then sex (byte order). Person-years by sex and band come from
/// `population`, as `(sex, age band index, person-years)`. Repeated cells
/// and repeated population entries are summed, so both may be given by
/// smaller areas.
///
/// # Errors
///
/// [`ErrorKind::AgeBandOutOfRange`], [`ErrorKind::InvalidValue`],
/// [`ErrorKind::ReservedSiteGroup`] for a cell of site group
/// [`ALL_SITES`], [`ErrorKind::PersonYearsMismatch`], and
/// [`ErrorKind::InRow`] wrapping the error of a rate, such as cases in a
/// band without person-years.
pub fn incidence_table(
    cases: &[Cell],
    population: &[(String, usize, f64)],
) -> Result<Vec<IncidenceRow>, Error> {
    let person_years = sum_population(population)?;
    let counts = sum_cells(cases, &person_years)?;

    let world = StandardPopulation::WorldSegi1960.weights();
    let europe = StandardPopulation::Europe2013.weights();
    let no_person_years = [0.0; AGE_BANDS.len()];
    // The all-sites rows come last so that an error names the site group
    // whose cases caused it.
    let (all_sites, sites): (Vec<_>, Vec<_>) = counts
        .iter()
        .partition(|((site_group, _), _)| site_group == ALL_SITES);
    let mut rows = Vec::with_capacity(counts.len());
    for ((site_group, sex), band_cases) in sites.into_iter().chain(all_sites) {
        let band_person_years =
            person_years.get(sex).unwrap_or(&no_person_years);
        let row = build_row(
            site_group,
            sex,
            band_cases,
            band_person_years,
            &world,
            &europe,
        )
        .map_err(|inner| ErrorKind::InRow {
            site_group: site_group.clone(),
            sex: sex.clone(),
            inner: Box::new(inner),
        })?;
        rows.push(row);
    }
    rows.sort_by(|a, b| (&a.site_group, &a.sex).cmp(&(&b.site_group, &b.sex)));
    tracing::info!(
        rows = rows.len(),
        cells = cases.len(),
        "built incidence table"
    );
    Ok(rows)
}

/// Sums person-years by sex and band.
fn sum_population(
    population: &[(String, usize, f64)],
) -> Result<BTreeMap<String, [f64; 18]>, Error> {
    let mut person_years: BTreeMap<String, [f64; 18]> = BTreeMap::new();
    for (sex, band, value) in population {
        let band = check_band(*band)?;
        check_finite("person_years", band, *value)?;
        person_years.entry(sex.clone()).or_insert([0.0; 18])[band] += value;
    }
    Ok(person_years)
}

/// Sums cases by site group, sex and band, adding the all-sites rows.
fn sum_cells(
    cells: &[Cell],
    person_years: &BTreeMap<String, [f64; 18]>,
) -> Result<BTreeMap<(String, String), [f64; 18]>, Error> {
    let mut counts: BTreeMap<(String, String), [f64; 18]> = BTreeMap::new();
    let mut all_sites: BTreeMap<String, [f64; 18]> = BTreeMap::new();
    for cell in cells {
        if cell.site_group == ALL_SITES {
            return Err(
                ErrorKind::ReservedSiteGroup(cell.site_group.clone()).into()
            );
        }
        let band = check_band(cell.age_band)?;
        check_finite("cases", band, cell.cases)?;
        check_finite("person_years", band, cell.person_years)?;
        check_cell_person_years(cell, band, person_years)?;

        let key = (cell.site_group.clone(), cell.sex.clone());
        counts.entry(key).or_insert([0.0; 18])[band] += cell.cases;
        all_sites.entry(cell.sex.clone()).or_insert([0.0; 18])[band] +=
            cell.cases;
    }
    for (sex, band_cases) in all_sites {
        counts.insert((ALL_SITES.to_owned(), sex), band_cases);
    }
    Ok(counts)
}

fn check_cell_person_years(
    cell: &Cell,
    band: usize,
    person_years: &BTreeMap<String, [f64; 18]>,
) -> Result<(), Error> {
    if cell.person_years == 0.0 {
        return Ok(());
    }
    let population =
        person_years.get(&cell.sex).map_or(0.0, |bands| bands[band]);
    let difference = (cell.person_years - population).abs();
    if difference > PERSON_YEARS_TOLERANCE * population.abs().max(1.0) {
        return Err(ErrorKind::PersonYearsMismatch {
            sex: cell.sex.clone(),
            age_group: AGE_BANDS[band].to_owned(),
            cell: cell.person_years,
            population,
        }
        .into());
    }
    Ok(())
}

fn check_band(band: usize) -> Result<usize, Error> {
    if band < AGE_BANDS.len() {
        Ok(band)
    } else {
        Err(ErrorKind::AgeBandOutOfRange { index: band }.into())
    }
}

fn check_finite(
    field: &'static str,
    band: usize,
    value: f64,
) -> Result<(), Error> {
    if value.is_finite() && value >= 0.0 {
        Ok(())
    } else {
        Err(ErrorKind::InvalidValue {
            field,
            age_group: AGE_BANDS[band].to_owned(),
            value,
        }
        .into())
    }
}

fn build_row(
    site_group: &str,
    sex: &str,
    cases: &[f64; 18],
    person_years: &[f64; 18],
    world: &[f64],
    europe: &[f64],
) -> Result<IncidenceRow, Error> {
    let total_cases: f64 = cases.iter().sum();
    let total_person_years: f64 = person_years.iter().sum();
    // The standardised rate comes first because its error names the band.
    let asr_world = age_standardised_rate(
        cases,
        person_years,
        world,
        TABLE_CONFIDENCE,
        IntervalMethod::FayFeuer,
    )?;
    let asr_europe2013 = age_standardised_rate(
        cases,
        person_years,
        europe,
        TABLE_CONFIDENCE,
        IntervalMethod::FayFeuer,
    )?;
    let crude = crude_rate(total_cases, total_person_years, TABLE_CONFIDENCE)?;
    let cumulative_rate = cumulative_rate_0_74(cases, person_years)?;
    Ok(IncidenceRow {
        site_group: site_group.to_owned(),
        sex: sex.to_owned(),
        cases: total_cases,
        person_years: total_person_years,
        crude,
        asr_world,
        asr_europe2013,
        cumulative_risk_0_74: cumulative_risk_from_rate(cumulative_rate.value),
        age_specific: age_specific_rates(cases, person_years),
        age_specific_cases: cases.to_vec(),
    })
}

/// Returns the column name of the age-specific rate of a band:
/// `rate_0_4`, ..., `rate_80_84`, `rate_85_plus`.
pub fn age_band_column(band: usize) -> String {
    let label = AGE_BANDS[band].replace('-', "_").replace('+', "_plus");
    format!("rate_{label}")
}

/// Names of the rate columns that follow `site_group`, `sex`, `cases` and
/// `person_years`, before the age-specific rates.
pub(crate) const RATE_COLUMNS: [&str; 10] = [
    "crude_rate",
    "crude_lower",
    "crude_upper",
    "asr_world",
    "asr_world_lower",
    "asr_world_upper",
    "asr_europe2013",
    "asr_europe2013_lower",
    "asr_europe2013_upper",
    "cumulative_risk_0_74",
];

/// Schema of the incidence table: `site_group`, `sex`, `cases`,
/// `person_years`, the crude rate and both standardised rates with their
/// limits (per 100 000), `cumulative_risk_0_74` (percent) and one
/// nullable `rate_0_4` ... `rate_85_plus` column per band.
pub fn incidence_schema() -> SchemaRef {
    let mut fields = vec![
        Field::new("site_group", DataType::Utf8, false),
        Field::new("sex", DataType::Utf8, false),
        Field::new("cases", DataType::Float64, false),
        Field::new("person_years", DataType::Float64, false),
    ];
    for name in RATE_COLUMNS {
        fields.push(Field::new(name, DataType::Float64, false));
    }
    for band in 0..AGE_BANDS.len() {
        fields.push(Field::new(age_band_column(band), DataType::Float64, true));
    }
    Arc::new(Schema::new(fields))
}

/// Returns the values of the rate columns of a row, in schema order.
pub(crate) fn rate_values(row: &IncidenceRow) -> [f64; 10] {
    [
        row.crude.value,
        row.crude.lower,
        row.crude.upper,
        row.asr_world.rate,
        row.asr_world.lower,
        row.asr_world.upper,
        row.asr_europe2013.rate,
        row.asr_europe2013.lower,
        row.asr_europe2013.upper,
        row.cumulative_risk_0_74,
    ]
}

/// Converts incidence rows to one record batch with [`incidence_schema`].
///
/// # Errors
///
/// [`ErrorKind::LengthMismatch`] when a row does not have 18 age-specific
/// rates, and [`ErrorKind::Arrow`] if Arrow rejects the arrays, which
/// would be a bug here.
pub fn incidence_to_batch(rows: &[IncidenceRow]) -> Result<RecordBatch, Error> {
    check_age_specific(rows)?;

    let mut columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from_iter_values(
            rows.iter().map(|r| &r.site_group),
        )),
        Arc::new(StringArray::from_iter_values(rows.iter().map(|r| &r.sex))),
        Arc::new(Float64Array::from_iter_values(rows.iter().map(|r| r.cases))),
        Arc::new(Float64Array::from_iter_values(
            rows.iter().map(|r| r.person_years),
        )),
    ];
    for column in 0..RATE_COLUMNS.len() {
        let values = rows.iter().map(|r| rate_values(r)[column]);
        columns.push(Arc::new(Float64Array::from_iter_values(values)));
    }
    for band in 0..AGE_BANDS.len() {
        let values: Float64Array =
            rows.iter().map(|r| r.age_specific[band]).collect();
        columns.push(Arc::new(values));
    }
    Ok(RecordBatch::try_new(incidence_schema(), columns)
        .map_err(ErrorKind::Arrow)?)
}

fn check_age_specific(rows: &[IncidenceRow]) -> Result<(), Error> {
    for row in rows {
        if row.age_specific.len() != AGE_BANDS.len() {
            return Err(ErrorKind::LengthMismatch {
                field: "age_specific",
                expected: AGE_BANDS.len(),
                found: row.age_specific.len(),
            }
            .into());
        }
    }
    Ok(())
}

/// Writes incidence rows as CSV with the columns of [`incidence_schema`]:
/// rates and the cumulative risk to 4 decimals, counts and person-years in
/// full, an empty field for a band without person-years, and text quoted
/// as RFC 4180 requires. A row with fewer than 18 age-specific rates gets
/// empty fields for the missing bands.
pub fn incidence_to_csv(rows: &[IncidenceRow]) -> String {
    let schema = incidence_schema();
    let header: Vec<&str> =
        schema.fields().iter().map(|f| f.name().as_str()).collect();
    let mut out = header.join(",");
    out.push('\n');
    for row in rows {
        let mut fields = vec![
            quote_csv(&row.site_group),
            quote_csv(&row.sex),
            row.cases.to_string(),
            row.person_years.to_string(),
        ];
        fields
            .extend(rate_values(row).iter().map(|value| format!("{value:.4}")));
        for band in 0..AGE_BANDS.len() {
            let rate = row.age_specific.get(band).copied().flatten();
            fields.push(
                rate.map_or_else(String::new, |value| format!("{value:.4}")),
            );
        }
        out.push_str(&fields.join(","));
        out.push('\n');
    }
    out
}

/// Quotes a CSV field as RFC 4180 requires.
pub(crate) fn quote_csv(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}
