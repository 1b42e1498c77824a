//! Statistics on any individual-level cohort CSV that a user brings: one
//! row per patient (or tumour), with the columns named by the caller, so
//! that the figures can be compared with R on the same file.
//!
//! [`read_cohort_csv`] reads the rows into [`CohortRecord`]s. From them,
//! [`cohort_survival`] gives Kaplan-Meier, Ederer II, Pohar-Perme and
//! ICSS-standardised net survival by stratum. [`cohort_prevalence`]
//! counts complete and partial prevalence at an index date.
//! [`cohort_incidence`] counts cases by stratum and age band and divides
//! them by the person-years of a population CSV.

use std::collections::BTreeMap;
use std::io::Read;

use chrono::{Days, NaiveDate};

use crate::aggregate::{StratumSums, rates_by_stratum, read_strata};
use crate::survival_table::{SurvivalRow, survival_at_times};
use crate::{
    AggregateColumns, AnalysisWindow, CohortPatient, Error, ErrorKind,
    LifeTable, Prevalence, PrevalencePerson, StandardPopulation, StratumRates,
    YEAR_DAYS, age_band_index, count_prevalence, region_of_departement,
};

/// Unit of the age column of a cohort CSV.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgeUnit {
    /// Age at diagnosis in years, possibly with a fraction; converted to
    /// days with [`YEAR_DAYS`] days a year.
    Years,
    /// Age at diagnosis in days, as relsurv's `rmap = list(age = ...)`
    /// takes it.
    Days,
}

/// Column names of a cohort CSV.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CohortColumns {
    /// Date of diagnosis, `YYYY-MM-DD`.
    pub diagnosis_date: String,
    /// Date of death or of last contact, `YYYY-MM-DD`. Exactly one of
    /// `exit_date` and `time` is set.
    pub exit_date: Option<String>,
    /// Follow-up from diagnosis in whole days, as an alternative to
    /// `exit_date`.
    pub time: Option<String>,
    /// Vital status at exit: 1 dead, 0 censored.
    pub status: String,
    /// Age at diagnosis, in `age_unit`.
    pub age: String,
    /// Unit of `age`.
    pub age_unit: AgeUnit,
    /// Sex, with the labels of the life table (for relative survival).
    pub sex: String,
    /// Columns whose values define the strata, in output order.
    pub by: Vec<String>,
    /// A column of INSEE département codes from which a `region` stratum
    /// is derived, placed after the `by` columns.
    pub region_from: Option<String>,
}

/// One row of a cohort CSV.
#[derive(Debug, Clone, PartialEq)]
pub struct CohortRecord {
    /// Line of the CSV, from 1 (the header).
    pub line: u64,
    /// Values of the stratum columns, then the region when derived.
    pub stratum: Vec<String>,
    /// Date of diagnosis.
    pub diagnosis_date: NaiveDate,
    /// Date of death when `died`, else of censoring.
    pub exit_date: NaiveDate,
    /// Whether follow-up ends with death.
    pub died: bool,
    /// Age at diagnosis in days.
    pub age_days: f64,
    /// Sex label as written in the file.
    pub sex: String,
}

/// Reads every row of a cohort CSV.
///
/// Error messages name the line and the column but never a date's value,
/// because a full date can identify a patient.
///
/// # Errors
///
/// [`ErrorKind::InvalidCohort`] for a missing column, a date that is not
/// `YYYY-MM-DD`, a negative or non-whole follow-up time, a status other
/// than 0 or 1, an exit before diagnosis, or an invalid age.
/// [`ErrorKind::UnknownDepartement`] for a département code outside the
/// INSEE list.
pub fn read_cohort_csv<R: Read>(
    reader: R,
    source_name: &str,
    columns: &CohortColumns,
) -> Result<Vec<CohortRecord>, Error> {
    let invalid = |line: u64, message: String| -> Error {
        ErrorKind::InvalidCohort {
            source_name: source_name.to_owned(),
            line,
            message,
        }
        .into()
    };
    if columns.exit_date.is_some() == columns.time.is_some() {
        return Err(invalid(
            1,
            "give either an exit date column or a follow-up time column, not both or neither".to_owned(),
        ));
    }
    let (mut csv, headers) = crate::csv_input::csv_with_headers(reader)
        .map_err(|error| invalid(1, error.to_string()))?;
    let column = |name: &str| {
        crate::csv_input::column_index(&headers, name)
            .map_err(|message| invalid(1, message))
    };
    let diagnosis_column = column(&columns.diagnosis_date)?;
    let exit_column = columns.exit_date.as_deref().map(column).transpose()?;
    let time_column = columns.time.as_deref().map(column).transpose()?;
    let status_column = column(&columns.status)?;
    let age_column = column(&columns.age)?;
    let sex_column = column(&columns.sex)?;
    let by_columns = columns
        .by
        .iter()
        .map(|name| column(name))
        .collect::<Result<Vec<_>, _>>()?;
    let region_column =
        columns.region_from.as_deref().map(column).transpose()?;

    let mut records = Vec::new();
    for (row, record) in csv.records().enumerate() {
        let line = row as u64 + 2;
        let record =
            record.map_err(|error| invalid(line, error.to_string()))?;
        let field = |index: usize| record.get(index).unwrap_or("");
        let date = |index: usize, name: &str| {
            NaiveDate::parse_from_str(field(index), "%Y-%m-%d").map_err(|_| {
                invalid(
                    line,
                    format!("{name} is not a date (expected YYYY-MM-DD)"),
                )
            })
        };
        let diagnosis_date = date(diagnosis_column, &columns.diagnosis_date)?;
        let died = match field(status_column) {
            "1" => true,
            "0" => false,
            other => {
                return Err(invalid(
                    line,
                    format!(
                        "{} {other:?} is invalid (expected 1 for death or 0 for censored)",
                        columns.status
                    ),
                ));
            }
        };
        let exit_date = match (exit_column, time_column) {
            (Some(index), _) => {
                date(index, columns.exit_date.as_deref().unwrap_or(""))?
            }
            (None, Some(index)) => {
                let name = columns.time.as_deref().unwrap_or("");
                let days: u64 = field(index).parse().map_err(|_| {
                    invalid(
                        line,
                        format!(
                            "{name} {:?} is invalid (expected whole days >= 0)",
                            field(index)
                        ),
                    )
                })?;
                diagnosis_date
                    .checked_add_days(Days::new(days))
                    .ok_or_else(|| {
                        invalid(line, format!("{name} is out of range"))
                    })?
            }
            (None, None) => unreachable!("checked before the loop"),
        };
        if exit_date < diagnosis_date {
            return Err(invalid(
                line,
                "follow-up ends before diagnosis; check the order of the diagnosis and exit dates".to_owned(),
            ));
        }
        let age: f64 = match field(age_column).parse::<f64>() {
            Ok(value) if value.is_finite() && value >= 0.0 => value,
            _ => {
                return Err(invalid(
                    line,
                    format!(
                        "{} {:?} is invalid (expected a finite number >= 0)",
                        columns.age,
                        field(age_column)
                    ),
                ));
            }
        };
        let age_days = match columns.age_unit {
            AgeUnit::Years => age * YEAR_DAYS,
            AgeUnit::Days => age,
        };
        let mut stratum: Vec<String> =
            by_columns.iter().map(|&i| field(i).to_owned()).collect();
        if let Some(index) = region_column {
            stratum.push(region_of_departement(field(index))?.to_owned());
        }
        records.push(CohortRecord {
            line,
            stratum,
            diagnosis_date,
            exit_date,
            died,
            age_days,
            sex: field(sex_column).to_owned(),
        });
    }
    tracing::info!(
        source = source_name,
        rows = records.len(),
        "read a cohort file"
    );
    Ok(records)
}

/// Reason for leaving out a row whose exit is on the day of diagnosis.
const ZERO_DAYS: &str = "zero days of follow-up";

/// Reason for leaving out a row with no day at risk in the window.
const OUTSIDE_WINDOW: &str = "outside the analysis window";

/// Survival of one stratum of a cohort file.
#[derive(Debug, Clone, PartialEq)]
pub struct StratumSurvival {
    /// Values of the stratum columns.
    pub stratum: Vec<String>,
    /// The estimates at each requested time.
    pub rows: Vec<SurvivalRow>,
    /// Rows left out of this stratum, by reason.
    pub excluded: BTreeMap<&'static str, u64>,
}

/// Computes survival by stratum with [`survival_at_times`]: Kaplan-Meier,
/// and with a life table Ederer II, Pohar-Perme and ICSS-standardised
/// Pohar-Perme.
///
/// Follow-up runs from the diagnosis date to the exit date in whole days.
/// A window restricts it to a cohort of diagnosis years or to a calendar
/// period (delayed entry). Rows outside the window are left out and
/// counted, and so are rows with zero days of follow-up, as registries
/// leave out cases known only at death. R `survfit` and relsurv 2.2-9
/// `rs.surv` keep such rows, so remove them in R too before comparing. A
/// stratum left with no row gets no estimate.
///
/// # Errors
///
/// [`ErrorKind::InStratum`] wrapping the error of one stratum, such as a
/// sex label that the life table lacks or a life table that ends before
/// follow-up does.
pub fn cohort_survival(
    records: &[CohortRecord],
    table: Option<&LifeTable>,
    window: Option<&AnalysisWindow>,
    years: &[f64],
    confidence: f64,
) -> Result<Vec<StratumSurvival>, Error> {
    let mut strata: BTreeMap<&[String], (Vec<CohortPatient>, BTreeMap<_, _>)> =
        BTreeMap::new();
    for record in records {
        let (patients, excluded) =
            strata.entry(record.stratum.as_slice()).or_default();
        let patient = cohort_patient(record, table, window)
            .map_err(|error| in_stratum(&record.stratum, error))?;
        match patient {
            Ok(patient) => patients.push(patient),
            Err(reason) => *excluded.entry(reason).or_default() += 1,
        }
    }

    let mut out = Vec::with_capacity(strata.len());
    for (stratum, (patients, excluded)) in strata {
        let rows = if patients.is_empty() {
            Vec::new()
        } else {
            survival_at_times(&patients, table, years, confidence)
                .map_err(|error| in_stratum(stratum, error))?
        };
        out.push(StratumSurvival {
            stratum: stratum.to_vec(),
            rows,
            excluded,
        });
    }
    Ok(out)
}

fn in_stratum(stratum: &[String], error: Error) -> Error {
    ErrorKind::InStratum {
        stratum: stratum.join(", "),
        inner: Box::new(error),
    }
    .into()
}

/// Converts a record to a patient, or returns why it has no day at risk.
fn cohort_patient(
    record: &CohortRecord,
    table: Option<&LifeTable>,
    window: Option<&AnalysisWindow>,
) -> Result<Result<CohortPatient, &'static str>, Error> {
    let sex = match table {
        Some(table) => table.sex_index(&record.sex)?,
        None => 0,
    };
    let whole = crate::follow_up_days(
        record.diagnosis_date,
        record.exit_date,
        record.died,
    )?;
    if whole.days == 0 {
        return Ok(Err(ZERO_DAYS));
    }
    let delayed = match window {
        Some(window) => window.follow_up(
            record.diagnosis_date,
            record.exit_date,
            record.died,
        )?,
        None => Some(crate::DelayedFollowUp {
            entry_days: 0,
            follow_up: whole,
        }),
    };
    // A period window can leave a patient whose exit is on the window's
    // first day, with no day at risk inside it.
    let Some(delayed) = delayed.filter(|d| d.follow_up.days > d.entry_days)
    else {
        return Ok(Err(OUTSIDE_WINDOW));
    };
    Ok(Ok(CohortPatient {
        follow_up: delayed.follow_up,
        entry_days: delayed.entry_days,
        sex,
        age_days: record.age_days,
        diagnosis_date: record.diagnosis_date,
    }))
}

/// Counts complete and partial prevalence at `index_date` in each stratum,
/// with [`count_prevalence`]: a row is prevalent when diagnosed on or
/// before the index date and followed alive past it. Each row counts as
/// one person, so a file with several tumours per person gives
/// tumour-based prevalence.
///
/// # Errors
///
/// The errors of [`count_prevalence`], inside [`ErrorKind::InStratum`].
pub fn cohort_prevalence(
    records: &[CohortRecord],
    index_date: NaiveDate,
    durations_years: &[u32],
) -> Result<Vec<(Vec<String>, Prevalence)>, Error> {
    let mut strata: BTreeMap<&[String], Vec<PrevalencePerson>> =
        BTreeMap::new();
    for record in records {
        strata.entry(record.stratum.as_slice()).or_default().push(
            PrevalencePerson {
                diagnosis_date: record.diagnosis_date,
                death_date: record.died.then_some(record.exit_date),
                last_known_date: record.exit_date,
            },
        );
    }
    strata
        .into_iter()
        .map(|(stratum, persons)| {
            count_prevalence(&persons, index_date, durations_years)
                .map(|prevalence| (stratum.to_vec(), prevalence))
                .map_err(|error| in_stratum(stratum, error))
        })
        .collect()
}

/// Computes incidence rates by stratum. The cohort's rows are the cases,
/// counted by stratum and five-year age band at diagnosis. The
/// person-years come from a population CSV with the same stratum columns,
/// an age group column and a person-years column, named in `columns`
/// (whose `cases` is not read).
///
/// # Errors
///
/// [`ErrorKind::Unsupported`] for a standard that is not on the 18
/// five-year bands, because a cohort's ages cannot be put in other groups
/// by label; the errors of reading the population CSV, as for
/// [`crate::rates_from_aggregate_csv`]; and [`ErrorKind::InStratum`] for a
/// stratum with cases but no person-years.
pub fn cohort_incidence<R: Read>(
    records: &[CohortRecord],
    population: R,
    population_name: &str,
    columns: &AggregateColumns,
    standard: &StandardPopulation,
    confidence: f64,
) -> Result<Vec<StratumRates>, Error> {
    let weights = standard.weights();
    if weights.len() != crate::AGE_BANDS.len() {
        return Err(ErrorKind::Unsupported {
            what: format!(
                "incidence from a cohort file with the standard {}: its {} age groups are not the 18 five-year bands",
                standard.label(),
                weights.len()
            ),
        }
        .into());
    }
    let mut sums: StratumSums = read_strata(
        population,
        population_name,
        columns,
        weights.len(),
        false,
    )?;
    for record in records {
        let age_years = (record.age_days / YEAR_DAYS).floor();
        let band = age_band_index(age_years.min(f64::from(u16::MAX)) as u16);
        let entry = sums.entry(record.stratum.clone()).or_insert_with(|| {
            (vec![0.0; weights.len()], vec![0.0; weights.len()])
        });
        entry.0[band] += 1.0;
    }
    rates_by_stratum(sums, &weights, confidence)
}
