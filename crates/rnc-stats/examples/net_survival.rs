//! Pohar-Perme net survival of a cohort CSV with a life table CSV, timed;
//! the Rust half of `scripts/bench_net_survival.R`.
//!
//! Usage: `cargo run --release -p rnc-stats --example net_survival --
//! COHORT.csv LIFE_TABLE.csv`
//!
//! COHORT.csv has the columns `sex` (a label of the life table),
//! `age_days` (age at diagnosis in days), `date_of_diagnosis` (YYYY-MM-DD),
//! `time` (follow-up in whole days) and `status` (1 death, 0 censored).
//! The output gives the estimate at 1 to 5 and 10 years of 365.241 days and
//! the seconds spent reading and computing.

use std::error::Error;
use std::time::Instant;

use chrono::NaiveDate;
use rnc_stats::{
    CohortPatient, FollowUp, IntervalScale, LifeTable, RelativeSurvivalMethod,
    SurvivalAt, YEAR_DAYS, relative_survival,
};

fn main() -> Result<(), Box<dyn Error>> {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    let [cohort_path, table_path] = arguments.as_slice() else {
        return Err("usage: net_survival COHORT.csv LIFE_TABLE.csv".into());
    };

    let started = Instant::now();
    let table =
        LifeTable::from_csv(std::fs::File::open(table_path)?, table_path)?;
    let patients = read_cohort(cohort_path, &table)?;
    let read_seconds = started.elapsed().as_secs_f64();

    let computing = Instant::now();
    let curve = relative_survival(
        &patients,
        &table,
        RelativeSurvivalMethod::PoharPerme,
        0.95,
        IntervalScale::Log,
    )?;
    let compute_seconds = computing.elapsed().as_secs_f64();

    println!(
        "rnc-stats Pohar-Perme: {} patients, {} distinct exit days, {} threads",
        patients.len(),
        curve.steps.len(),
        rayon::current_num_threads()
    );
    for years in [1.0, 2.0, 3.0, 4.0, 5.0, 10.0] {
        match curve.at(years * YEAR_DAYS) {
            SurvivalAt::Estimate {
                survival,
                lower,
                upper,
                ..
            } => println!(
                "{years:>4} y: surv {survival:.12} lower {:.12} upper {:.12}",
                lower.unwrap_or(f64::NAN),
                upper.unwrap_or(f64::NAN)
            ),
            other => println!("{years:>4} y: no estimate ({other:?})"),
        }
    }
    println!(
        "[time] read {read_seconds:.3} s, Pohar-Perme {compute_seconds:.3} s"
    );
    Ok(())
}

fn read_cohort(
    path: &str,
    table: &LifeTable,
) -> Result<Vec<CohortPatient>, Box<dyn Error>> {
    let mut reader = csv::Reader::from_path(path)?;
    let headers = reader.headers()?.clone();
    let column = |name: &str| {
        headers
            .iter()
            .position(|header| header == name)
            .ok_or_else(|| format!("{path}: column {name} is missing"))
    };
    let sex = column("sex")?;
    let age_days = column("age_days")?;
    let diagnosis = column("date_of_diagnosis")?;
    let time = column("time")?;
    let status = column("status")?;

    let mut patients = Vec::new();
    for record in reader.records() {
        let record = record?;
        patients.push(CohortPatient {
            follow_up: FollowUp {
                days: record[time].parse()?,
                died: &record[status] == "1",
            },
            entry_days: 0,
            sex: table.sex_index(&record[sex])?,
            age_days: record[age_days].parse()?,
            diagnosis_date: NaiveDate::parse_from_str(
                &record[diagnosis],
                "%Y-%m-%d",
            )?,
        });
    }
    Ok(patients)
}
