//! Population life tables: expected daily hazards of death by sex, age and
//! calendar year, read from CSV.
//!
//! The layout is that of relsurv's `slopop` and of R `ratetable` objects;
//! `docs/life-table.md` describes the CSV.

use std::collections::BTreeMap;
use std::io::Read;

use chrono::{Datelike, NaiveDate};

use crate::survival::YEAR_DAYS;
use crate::{Error, ErrorKind};

/// Rule for follow-up that runs past the last calendar year of a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum YearExtrapolation {
    /// Reject the cohort, naming the first year missing.
    #[default]
    Reject,
    /// Use the last year's hazards for every later year, as R rate tables
    /// do (`survival::ratetable` cells extend beyond the last cut point).
    CarryLastYearForward,
}

/// A life table: the daily hazard of death by sex, age in completed years
/// and calendar year.
///
/// The row of age `a` applies from `a × 365.241` days after birth, and the
/// last age is open-ended. The row of year `y` applies from 1 January of `y`
/// until 1 January of the next listed year; the last year applies until the
/// end of that year, or beyond under
/// [`YearExtrapolation::CarryLastYearForward`].
#[derive(Debug, Clone, PartialEq)]
pub struct LifeTable {
    sexes: Vec<String>,
    ages: Vec<u32>,
    years: Vec<i32>,
    /// Ages' start in days after birth.
    age_cuts: Vec<f64>,
    /// Years' start in days since 1970-01-01.
    year_cuts: Vec<f64>,
    /// Hazards per day, indexed `[sex][year][age]` (ages contiguous).
    hazards: Vec<f64>,
    extrapolation: YearExtrapolation,
}

/// Column holding the mortality of each row.
enum MortalityColumn {
    /// Daily hazard, used as is.
    Hazard(usize),
    /// Annual probability of death q, converted to -ln(1 - q) / 365.241.
    Probability(usize),
}

impl LifeTable {
    /// Reads a life table from CSV with the columns `sex`, `age`, `year` and
    /// either `hazard` (per day) or `prob` (annual probability of death);
    /// other columns are ignored. `source_name` names the CSV in errors.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidLifeTable`] for a missing column or an invalid
    /// value, with its line; [`ErrorKind::IncompleteLifeTable`] unless every
    /// combination of the listed sexes, ages and years has one row.
    pub fn from_csv<R: Read>(
        reader: R,
        source_name: &str,
    ) -> Result<LifeTable, Error> {
        let invalid = |line: u64, field: &str, message: String| -> Error {
            ErrorKind::InvalidLifeTable {
                source_name: source_name.to_owned(),
                line,
                field: field.to_owned(),
                message,
            }
            .into()
        };
        let mut csv = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .from_reader(reader);
        let headers = csv
            .headers()
            .map_err(|error| invalid(1, "header", error.to_string()))?
            .clone();
        let column =
            |name: &str| headers.iter().position(|header| header == name);
        let missing = |name: &str| {
            invalid(1, name, "column is missing (expected sex, age, year and hazard or prob)".into())
        };
        let sex_column = column("sex").ok_or_else(|| missing("sex"))?;
        let age_column = column("age").ok_or_else(|| missing("age"))?;
        let year_column = column("year").ok_or_else(|| missing("year"))?;
        let mortality = match (column("hazard"), column("prob")) {
            (Some(index), _) => MortalityColumn::Hazard(index),
            (None, Some(index)) => MortalityColumn::Probability(index),
            (None, None) => return Err(missing("hazard")),
        };

        let mut cells: BTreeMap<(String, u32, i32), f64> = BTreeMap::new();
        for (row, record) in csv.records().enumerate() {
            let line = row as u64 + 2;
            let record = record
                .map_err(|error| invalid(line, "record", error.to_string()))?;
            let field = |index: usize| record.get(index).unwrap_or("");
            let sex = field(sex_column).to_owned();
            if sex.is_empty() {
                return Err(invalid(line, "sex", "value is empty".into()));
            }
            let age: u32 = field(age_column).parse().map_err(|_| {
                invalid(
                    line,
                    "age",
                    format!(
                        "{:?} is not an age in completed years",
                        field(age_column)
                    ),
                )
            })?;
            let year: i32 = field(year_column).parse().map_err(|_| {
                invalid(
                    line,
                    "year",
                    format!("{:?} is not a calendar year", field(year_column)),
                )
            })?;
            let hazard = match mortality {
                MortalityColumn::Hazard(index) => {
                    let value: f64 = field(index).parse().unwrap_or(f64::NAN);
                    if !(value.is_finite() && value >= 0.0) {
                        return Err(invalid(
                            line,
                            "hazard",
                            format!(
                                "{:?} is not a daily hazard (expected a number >= 0)",
                                field(index)
                            ),
                        ));
                    }
                    value
                }
                MortalityColumn::Probability(index) => {
                    let value: f64 = field(index).parse().unwrap_or(f64::NAN);
                    if !(0.0..1.0).contains(&value) {
                        return Err(invalid(
                            line,
                            "prob",
                            format!(
                                "{:?} is not a probability of death (expected 0 <= q < 1)",
                                field(index)
                            ),
                        ));
                    }
                    -(1.0 - value).ln() / YEAR_DAYS
                }
            };
            if cells.insert((sex, age, year), hazard).is_some() {
                return Err(invalid(
                    line,
                    "age",
                    format!(
                        "sex, age {age} and year {year} repeat an earlier row"
                    ),
                ));
            }
        }
        LifeTable::from_cells(cells, source_name)
    }

    fn from_cells(
        cells: BTreeMap<(String, u32, i32), f64>,
        source_name: &str,
    ) -> Result<LifeTable, Error> {
        let mut sexes: Vec<String> =
            cells.keys().map(|key| key.0.clone()).collect();
        sexes.dedup();
        let mut ages: Vec<u32> = cells.keys().map(|key| key.1).collect();
        ages.sort_unstable();
        ages.dedup();
        let mut years: Vec<i32> = cells.keys().map(|key| key.2).collect();
        years.sort_unstable();
        years.dedup();
        if sexes.is_empty() {
            return Err(ErrorKind::InvalidLifeTable {
                source_name: source_name.to_owned(),
                line: 1,
                field: "hazard".into(),
                message: "the table has no row".into(),
            }
            .into());
        }

        let mut hazards =
            Vec::with_capacity(sexes.len() * years.len() * ages.len());
        for sex in &sexes {
            for &year in &years {
                for &age in &ages {
                    let Some(&hazard) = cells.get(&(sex.clone(), age, year))
                    else {
                        return Err(ErrorKind::IncompleteLifeTable {
                            source_name: source_name.to_owned(),
                            sex: sex.clone(),
                            age,
                            year,
                        }
                        .into());
                    };
                    hazards.push(hazard);
                }
            }
        }
        let age_cuts =
            ages.iter().map(|&age| f64::from(age) * YEAR_DAYS).collect();
        let year_cuts = years
            .iter()
            .map(|&year| january_first(year) as f64)
            .collect();
        tracing::debug!(
            source = source_name,
            sexes = sexes.len(),
            ages = ages.len(),
            years = years.len(),
            "life table read"
        );
        Ok(LifeTable {
            sexes,
            ages,
            years,
            age_cuts,
            year_cuts,
            hazards,
            extrapolation: YearExtrapolation::Reject,
        })
    }

    /// Returns the table with the given rule for years after its last.
    pub fn with_extrapolation(
        mut self,
        extrapolation: YearExtrapolation,
    ) -> LifeTable {
        self.extrapolation = extrapolation;
        self
    }

    /// Returns the sex labels, in byte order.
    pub fn sexes(&self) -> &[String] {
        &self.sexes
    }

    /// Returns the first and last calendar years of the table.
    pub fn year_range(&self) -> (i32, i32) {
        (self.years[0], self.years[self.years.len() - 1])
    }

    /// Returns the index of a sex label, for [`crate::CohortPatient::sex`].
    ///
    /// # Errors
    ///
    /// [`ErrorKind::UnknownSex`] for a label the table does not list.
    pub fn sex_index(&self, sex: &str) -> Result<usize, Error> {
        self.sexes
            .iter()
            .position(|known| known == sex)
            .ok_or_else(|| {
                ErrorKind::UnknownSex {
                    sex: sex.to_owned(),
                    known: self.sexes.join(", "),
                }
                .into()
            })
    }

    /// Returns the daily hazard for a sex index, an age in days and a day
    /// since 1970-01-01, with the open-ended last age and the table's rule
    /// for years.
    pub fn hazard(&self, sex: usize, age_days: f64, epoch_day: f64) -> f64 {
        let age = last_cut_at_or_before(&self.age_cuts, age_days);
        let year = last_cut_at_or_before(&self.year_cuts, epoch_day);
        self.hazards[self.offset(sex, year) + age]
    }

    /// Checks that the table covers the calendar days `first_day` to
    /// `last_day` (days since 1970-01-01) of a cohort's follow-up.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::LifeTableTooShort`] when follow-up starts before the
    /// first year, or ends after the last year unless it is carried
    /// forward.
    pub(crate) fn check_covers(
        &self,
        first_day: i64,
        last_day: i64,
    ) -> Result<(), Error> {
        let (first_year, last_year) = self.year_range();
        let too_short = |year| -> Error {
            ErrorKind::LifeTableTooShort {
                year,
                first_year,
                last_year,
            }
            .into()
        };
        if first_day < january_first(first_year) {
            return Err(too_short(epoch_day_year(first_day)));
        }
        let carried =
            self.extrapolation == YearExtrapolation::CarryLastYearForward;
        if !carried && last_day >= january_first(last_year + 1) {
            return Err(too_short(last_year + 1));
        }
        Ok(())
    }

    pub(crate) fn age_cuts(&self) -> &[f64] {
        &self.age_cuts
    }

    pub(crate) fn year_cuts(&self) -> &[f64] {
        &self.year_cuts
    }

    /// Index in `hazards` of age 0 for a sex and year index.
    pub(crate) fn offset(&self, sex: usize, year: usize) -> usize {
        (sex * self.years.len() + year) * self.ages.len()
    }

    pub(crate) fn hazard_at(&self, offset: usize, age: usize) -> f64 {
        self.hazards[offset + age]
    }
}

/// Returns the index of the last cut at or before `value`, 0 before the
/// first, as R's rate-table lookup (`pystep`) does.
pub(crate) fn last_cut_at_or_before(cuts: &[f64], value: f64) -> usize {
    cuts.partition_point(|&cut| cut <= value).saturating_sub(1)
}

/// Returns the days since 1970-01-01 of a date.
pub fn epoch_day(date: NaiveDate) -> i64 {
    date.signed_duration_since(NaiveDate::default()).num_days()
}

fn january_first(year: i32) -> i64 {
    NaiveDate::from_ymd_opt(year, 1, 1).map_or(i64::MAX, epoch_day)
}

fn epoch_day_year(day: i64) -> i32 {
    NaiveDate::default()
        .checked_add_signed(chrono::TimeDelta::days(day))
        .map_or(i32::MIN, |date| date.year())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: &str = "sex,age,year,hazard\n\
        male,0,2000,0.001\nmale,1,2000,0.002\nmale,0,2001,0.003\nmale,1,2001,0.004\n\
        female,0,2000,0.005\nfemale,1,2000,0.006\nfemale,0,2001,0.007\nfemale,1,2001,0.008\n";

    #[test]
    fn lookup_follows_age_and_year() {
        let table = LifeTable::from_csv(SMALL.as_bytes(), "small.csv").unwrap();
        let male = table.sex_index("male").unwrap();
        let day_2000 = january_first(2000) as f64;
        let day_2001 = january_first(2001) as f64;
        assert_eq!(table.hazard(male, 10.0, day_2000), 0.001);
        assert_eq!(table.hazard(male, YEAR_DAYS, day_2000), 0.002);
        assert_eq!(
            table.hazard(male, 100.0 * YEAR_DAYS, day_2001 - 1.0),
            0.002
        );
        assert_eq!(table.hazard(male, 0.0, day_2001), 0.003);
        let female = table.sex_index("female").unwrap();
        assert_eq!(table.hazard(female, 400.0, day_2001 + 400.0), 0.008);
    }

    #[test]
    fn probability_converted_to_daily_hazard() {
        let text = "sex,age,year,prob\n1,0,2000,0.5\n";
        let table = LifeTable::from_csv(text.as_bytes(), "q.csv").unwrap();
        let expected = 2f64.ln() / YEAR_DAYS;
        assert!(
            (table.hazard(0, 0.0, january_first(2000) as f64) - expected).abs()
                < 1e-18
        );
    }

    #[test]
    fn missing_cell_named() {
        let text = "sex,age,year,hazard\nmale,0,2000,0.1\nmale,1,2000,0.1\nmale,0,2001,0.1\n";
        let error =
            LifeTable::from_csv(text.as_bytes(), "gap.csv").unwrap_err();
        assert!(matches!(
            error.kind(),
            ErrorKind::IncompleteLifeTable {
                age: 1,
                year: 2001,
                ..
            }
        ));
    }

    #[test]
    fn invalid_hazard_names_line() {
        let text = "sex,age,year,hazard\nmale,0,2000,0.1\nmale,1,2000,-1\n";
        let error =
            LifeTable::from_csv(text.as_bytes(), "bad.csv").unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("bad.csv: line 3, field hazard"),
            "{error}"
        );
    }

    #[test]
    fn follow_up_past_last_year_rejected() {
        let table = LifeTable::from_csv(SMALL.as_bytes(), "small.csv").unwrap();
        let end_2001 = january_first(2002) - 1;
        assert!(table.check_covers(january_first(2000), end_2001).is_ok());
        let error = table
            .check_covers(january_first(2000), end_2001 + 1)
            .unwrap_err();
        assert!(matches!(
            error.kind(),
            ErrorKind::LifeTableTooShort { year: 2002, .. }
        ));
        let error = table
            .check_covers(january_first(1999), end_2001)
            .unwrap_err();
        assert!(matches!(
            error.kind(),
            ErrorKind::LifeTableTooShort { year: 1999, .. }
        ));
        let carried =
            table.with_extrapolation(YearExtrapolation::CarryLastYearForward);
        assert!(
            carried
                .check_covers(january_first(2000), end_2001 + 5000)
                .is_ok()
        );
    }
}
