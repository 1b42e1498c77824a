//! Rates from any aggregate CSV: one row per stratum and age group with a
//! count of cases and person-years, the layout of R `epitools` and
//! SEER*Stat exports.
//!
//! The strata are any columns the caller names (site group, sex, year,
//! département, ...), plus the region derived from a département column.
//! Each stratum gets its crude rate and its directly standardised rate
//! with both gamma intervals, and, on the 18 five-year bands, the
//! truncated rate 35-64 and the cumulative risk 0-74.

use std::collections::BTreeMap;
use std::io::Read;

use crate::standard::AGE_BANDS;
use crate::{
    Error, ErrorKind, Estimate, IntervalMethod, StandardPopulation,
    StandardisedRate, age_standardised_rate, crude_rate, cumulative_risk_0_74,
    region_of_departement, truncated_rate_35_64,
};

/// Column names of an aggregate CSV.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AggregateColumns {
    /// Age group label: the 18 labels of [`AGE_BANDS`], or any labels in
    /// the order of a custom standard's weights.
    pub age_group: String,
    /// Number of cases (or deaths, for mortality).
    pub cases: String,
    /// Person-years at risk.
    pub person_years: String,
    /// Columns whose values define the strata, in output order.
    pub by: Vec<String>,
    /// A column of INSEE département codes from which a `region` stratum
    /// is derived, placed after the `by` columns.
    pub region_from: Option<String>,
}

/// Rates of one stratum.
#[derive(Debug, Clone, PartialEq)]
pub struct StratumRates {
    /// Values of the stratum columns, in the order of
    /// [`AggregateColumns::by`], then the region when derived.
    pub stratum: Vec<String>,
    /// Cases over all age groups.
    pub cases: f64,
    /// Person-years over all age groups.
    pub person_years: f64,
    /// Crude rate per 100 000 with its exact Poisson interval.
    pub crude: Estimate,
    /// Standardised rate with the Fay-Feuer interval; `None` when the
    /// stratum is one age band, where the crude rate is the age-specific
    /// rate.
    pub standardised_fay_feuer: Option<StandardisedRate>,
    /// Standardised rate with the Tiwari interval (same rate), `None` as
    /// above.
    pub standardised_tiwari: Option<StandardisedRate>,
    /// Truncated rate 35-64 (Fay-Feuer), on the 18 five-year bands only,
    /// not within one band, and not without person-years aged 35-64.
    pub truncated_35_64: Option<StandardisedRate>,
    /// Cumulative risk 0-74 in percent, on the 18 five-year bands only
    /// and not within one band.
    pub cumulative_risk_0_74: Option<f64>,
}

/// Computes the rates of every stratum of an aggregate CSV.
///
/// Rows of one stratum and age group are summed, so a file by département
/// gives regional rates when only the region is a stratum. An age group
/// that a stratum lacks counts as 0 cases in 0 person-years. Strata come
/// out in the byte order of their values.
///
/// # Errors
///
/// [`ErrorKind::InvalidAggregate`] with the line for a missing column, an
/// age group outside the standard, or a negative or non-finite count;
/// [`ErrorKind::UnknownDepartement`] for a département code outside the
/// INSEE list; and [`ErrorKind::InStratum`] wrapping the error of a rate,
/// such as cases without person-years.
pub fn rates_from_aggregate_csv<R: Read>(
    reader: R,
    source_name: &str,
    columns: &AggregateColumns,
    standard: &StandardPopulation,
    confidence: f64,
) -> Result<Vec<StratumRates>, Error> {
    let weights = standard.weights();
    let sums = read_strata(reader, source_name, columns, weights.len(), true)?;
    let rows = rates_by_stratum(sums, &weights, confidence)?;
    tracing::info!(
        source = source_name,
        strata = rows.len(),
        standard = standard.name(),
        "computed rates from an aggregate file"
    );
    Ok(rows)
}

/// Cases and person-years of each stratum, by age group.
pub(crate) type StratumSums = BTreeMap<Vec<String>, (Vec<f64>, Vec<f64>)>;

/// Computes the rates of every stratum from its sums by age group.
pub(crate) fn rates_by_stratum(
    sums: StratumSums,
    weights: &[f64],
    confidence: f64,
) -> Result<Vec<StratumRates>, Error> {
    let mut rows = Vec::with_capacity(sums.len());
    for (stratum, (cases, person_years)) in sums {
        let rates =
            stratum_rates(&cases, &person_years, weights, true, confidence)
                .map_err(|inner| ErrorKind::InStratum {
                    stratum: stratum.join(", "),
                    inner: Box::new(inner),
                })?;
        rows.push(StratumRates { stratum, ..rates });
    }
    Ok(rows)
}

/// Sums an aggregate CSV by stratum and age group. Without `with_cases`
/// the file is a population: its cases column is not read and the cases
/// stay 0.
pub(crate) fn read_strata<R: Read>(
    reader: R,
    source_name: &str,
    columns: &AggregateColumns,
    groups: usize,
    with_cases: bool,
) -> Result<StratumSums, Error> {
    let invalid = |line: u64, message: String| -> Error {
        ErrorKind::InvalidAggregate {
            source_name: source_name.to_owned(),
            line,
            message,
        }
        .into()
    };
    let (mut csv, headers) = crate::csv_input::csv_with_headers(reader)
        .map_err(|error| invalid(1, error.to_string()))?;
    let column = |name: &str| {
        crate::csv_input::column_index(&headers, name)
            .map_err(|message| invalid(1, message))
    };
    let age_column = column(&columns.age_group)?;
    let cases_column =
        with_cases.then(|| column(&columns.cases)).transpose()?;
    let person_years_column = column(&columns.person_years)?;
    let by_columns = columns
        .by
        .iter()
        .map(|name| column(name))
        .collect::<Result<Vec<_>, _>>()?;
    let region_column =
        columns.region_from.as_deref().map(column).transpose()?;

    let mut labels: Vec<String> = Vec::new();
    let mut sums: StratumSums = BTreeMap::new();
    for (row, record) in csv.records().enumerate() {
        let line = row as u64 + 2;
        let record =
            record.map_err(|error| invalid(line, error.to_string()))?;
        let field = |index: usize| record.get(index).unwrap_or("");
        let group = age_group_index(field(age_column), groups, &mut labels)
            .ok_or_else(|| {
                invalid(
                    line,
                    format!(
                        "age group {:?} is not one of the {groups} groups of the standard",
                        field(age_column)
                    ),
                )
            })?;
        let number = |index: usize, name: &str| -> Result<f64, Error> {
            match field(index).parse::<f64>() {
                Ok(value) if value.is_finite() && value >= 0.0 => Ok(value),
                _ => Err(invalid(
                    line,
                    format!(
                        "{name} {:?} is invalid (expected a finite number >= 0)",
                        field(index)
                    ),
                )),
            }
        };
        let cases = match cases_column {
            Some(index) => number(index, &columns.cases)?,
            None => 0.0,
        };
        let person_years = number(person_years_column, &columns.person_years)?;

        let mut stratum: Vec<String> =
            by_columns.iter().map(|&i| field(i).to_owned()).collect();
        if let Some(index) = region_column {
            stratum.push(region_of_departement(field(index))?.to_owned());
        }
        let entry = sums
            .entry(stratum)
            .or_insert_with(|| (vec![0.0; groups], vec![0.0; groups]));
        entry.0[group] += cases;
        entry.1[group] += person_years;
    }
    Ok(sums)
}

/// Returns the index of an age group label: its place in [`AGE_BANDS`]
/// for 18 groups, else its order of first appearance among at most
/// `groups` labels.
fn age_group_index(
    label: &str,
    groups: usize,
    labels: &mut Vec<String>,
) -> Option<usize> {
    if groups == AGE_BANDS.len() {
        return AGE_BANDS.iter().position(|band| *band == label);
    }
    if let Some(index) = labels.iter().position(|known| known == label) {
        return Some(index);
    }
    if labels.len() < groups {
        labels.push(label.to_owned());
        return Some(labels.len() - 1);
    }
    None
}

/// Computes the rates of one stratum, with the age-standardised rates
/// only when `standardise` (not when the stratum is one age band). Its
/// `stratum` is left empty.
pub(crate) fn stratum_rates(
    cases: &[f64],
    person_years: &[f64],
    weights: &[f64],
    standardise: bool,
    confidence: f64,
) -> Result<StratumRates, Error> {
    let total_cases: f64 = cases.iter().sum();
    let total_person_years: f64 = person_years.iter().sum();
    let standardised = |method| {
        standardise
            .then(|| {
                age_standardised_rate(
                    cases,
                    person_years,
                    weights,
                    confidence,
                    method,
                )
            })
            .transpose()
    };
    let standardised_fay_feuer = standardised(IntervalMethod::FayFeuer)?;
    let standardised_tiwari = standardised(IntervalMethod::Tiwari)?;
    let bands = standardise && cases.len() == AGE_BANDS.len();
    // Bands 35-39 to 60-64 are indices 7 to 12. Without person-years there
    // the truncated rate does not exist, which is no reason to fail the
    // stratum's other rates.
    let truncated_35_64 =
        if bands && person_years[7..=12].iter().sum::<f64>() > 0.0 {
            Some(truncated_rate_35_64(
                cases,
                person_years,
                weights,
                confidence,
                IntervalMethod::FayFeuer,
            )?)
        } else {
            None
        };
    let cumulative = if bands {
        Some(cumulative_risk_0_74(cases, person_years)?)
    } else {
        None
    };
    Ok(StratumRates {
        stratum: Vec::new(),
        cases: total_cases,
        person_years: total_person_years,
        crude: crude_rate(total_cases, total_person_years, confidence)?,
        standardised_fay_feuer,
        standardised_tiwari,
        truncated_35_64,
        cumulative_risk_0_74: cumulative,
    })
}
