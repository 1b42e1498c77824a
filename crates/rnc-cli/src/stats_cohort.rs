//! `rnc stats --input FILE --layout cohort`: survival, prevalence and
//! incidence from an individual-level cohort CSV that a user brings, with
//! its columns named by flags, so that the figures can be compared with R
//! on the same file.
//!
//! Writes `survival`, and when asked `prevalence` and `incidence`, into
//! the `--out` folder in `--format`. The output is an analyst output:
//! counts are not suppressed, and the summary line states it.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use arrow::array::{
    ArrayRef, Float64Array, RecordBatch, StringArray, UInt64Array,
};
use arrow::datatypes::{DataType, Field, Schema};
use chrono::NaiveDate;
use rnc_stats::{
    AgeUnit, CohortColumns, CohortRecord, LifeTable, Prevalence,
    StratumSurvival, YearExtrapolation, cohort_incidence, cohort_prevalence,
    cohort_survival, read_cohort_csv,
};

use crate::cli::{AgeUnitArg, OutputFormat, StatsArgs};
use crate::commands::Outcome;
use crate::stats_file::{
    aggregate_columns, read_standard, to_batch, write_table,
};
use crate::survival::parse_window;

/// Confidence level of every interval.
const CONFIDENCE: f64 = 0.95;

/// Runs `rnc stats --input FILE --layout cohort`.
pub fn stats_on_cohort(
    input: &Path,
    args: &StatsArgs,
) -> anyhow::Result<Outcome> {
    let started = std::time::Instant::now();
    let cohort = &args.cohort;
    let out = args.out.as_deref().context(
        "--out is missing: with --layout cohort, give the output folder (e.g. --out cohort_stats)",
    )?;
    let mut inputs: Vec<&Path> = vec![input];
    inputs.extend(cohort.life_table.as_deref());
    inputs.extend(args.population.as_deref());
    crate::pipeline::check_output_path(out, None, None, &inputs)?;
    if let Some(bad) =
        cohort.years.iter().find(|y| !(y.is_finite() && **y > 0.0))
    {
        anyhow::bail!(
            "--years {bad} is not a positive number of years (e.g. --years 1,3,5)"
        );
    }
    let window = parse_window(&cohort.window)?;
    let index_date = cohort
        .index_date
        .as_deref()
        .map(|text| {
            NaiveDate::parse_from_str(text, "%Y-%m-%d").with_context(|| {
                format!(
                    "--index-date {text:?} is not a date (expected YYYY-MM-DD)"
                )
            })
        })
        .transpose()?;
    let table = cohort
        .life_table
        .as_deref()
        .map(|path| read_life_table(path, cohort.carry_last_year))
        .transpose()?;

    let columns = CohortColumns {
        diagnosis_date: cohort.diagnosis_date_column.clone(),
        exit_date: cohort.exit_date_column.clone(),
        time: cohort
            .exit_date_column
            .is_none()
            .then(|| cohort.time_column.clone()),
        status: cohort.status_column.clone(),
        age: cohort.age_column.clone(),
        age_unit: match cohort.age_unit {
            AgeUnitArg::Years => AgeUnit::Years,
            AgeUnitArg::Days => AgeUnit::Days,
        },
        sex: cohort.sex_column.clone(),
        by: args.by.clone(),
        region_from: args.region_from.clone(),
    };
    let file = std::fs::File::open(input)
        .with_context(|| format!("opening {}", input.display()))?;
    let records =
        read_cohort_csv(file, &input.display().to_string(), &columns)?;
    anyhow::ensure!(
        !records.is_empty(),
        "{} has no data row; give one row per patient",
        input.display()
    );
    let mut names = args.by.clone();
    if args.region_from.is_some() {
        names.push("region".to_owned());
    }
    std::fs::create_dir_all(out)
        .with_context(|| format!("creating {}", out.display()))?;
    let extension = match args.format {
        OutputFormat::Csv => "csv",
        OutputFormat::Json => "json",
        OutputFormat::Parquet => "parquet",
    };
    let path = |name: &str| out.join(format!("{name}.{extension}"));

    let survival = cohort_survival(
        &records,
        table.as_ref(),
        window.as_ref(),
        &cohort.years,
        CONFIDENCE,
    )?;
    write_table(
        &survival_batch(&names, &survival)?,
        args.format,
        &path("survival"),
    )?;
    let mut excluded: BTreeMap<&str, u64> = BTreeMap::new();
    for stratum in &survival {
        for (reason, count) in &stratum.excluded {
            *excluded.entry(reason).or_default() += count;
        }
    }
    let mut written = vec!["survival"];

    if let Some(index_date) = index_date {
        let prevalence =
            cohort_prevalence(&records, index_date, &cohort.prevalence_years)?;
        write_table(
            &prevalence_batch(&names, &prevalence, &cohort.prevalence_years)?,
            args.format,
            &path("prevalence"),
        )?;
        written.push("prevalence");
    }
    if let Some(population) = &args.population {
        let rows = incidence(&records, population, args)?;
        write_table(
            &to_batch(&names, &rows)?,
            args.format,
            &path("incidence"),
        )?;
        written.push("incidence");
    }

    for (reason, count) in &excluded {
        println!("excluded from survival: {count} rows ({reason})");
    }
    let methods = if table.is_some() {
        "Kaplan-Meier, Ederer II, Pohar-Perme and ICSS 1"
    } else {
        "Kaplan-Meier only (no --life-table)"
    };
    let analysis =
        window.map_or_else(|| "all follow-up".to_owned(), |w| w.label());
    println!(
        "stats: {} rows from {}, {} strata, survival by {methods}, {analysis}; {} written to {} in {:.1} s (analyst output: counts not suppressed)",
        records.len(),
        input.display(),
        survival.len(),
        written.join(", "),
        out.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(Outcome::Clean)
}

fn read_life_table(
    path: &Path,
    carry_last_year: bool,
) -> anyhow::Result<LifeTable> {
    let file = std::fs::File::open(path)
        .with_context(|| format!("opening life table {}", path.display()))?;
    let table = LifeTable::from_csv(file, &path.display().to_string())?;
    Ok(if carry_last_year {
        table.with_extrapolation(YearExtrapolation::CarryLastYearForward)
    } else {
        table
    })
}

/// Counts the cohort's cases by stratum and age band over the person-years
/// of `--population`, read with the aggregate column flags.
fn incidence(
    records: &[CohortRecord],
    population: &Path,
    args: &StatsArgs,
) -> anyhow::Result<Vec<rnc_stats::StratumRates>> {
    let standard = read_standard(&args.standard)?;
    let columns = aggregate_columns(args);
    let file = std::fs::File::open(population)
        .with_context(|| format!("opening {}", population.display()))?;
    Ok(cohort_incidence(
        records,
        file,
        &population.display().to_string(),
        &columns,
        &standard,
        CONFIDENCE,
    )?)
}

/// Appends one text column per stratum name, filled from each row's
/// stratum.
fn stratum_columns<'a>(
    names: &[String],
    strata: impl Iterator<Item = &'a [String]> + Clone,
    fields: &mut Vec<Field>,
    arrays: &mut Vec<ArrayRef>,
) {
    for (index, name) in names.iter().enumerate() {
        fields.push(Field::new(name, DataType::Utf8, false));
        arrays.push(Arc::new(StringArray::from_iter_values(
            strata.clone().map(|stratum| stratum[index].as_str()),
        )));
    }
}

fn survival_batch(
    names: &[String],
    survival: &[StratumSurvival],
) -> anyhow::Result<RecordBatch> {
    let rows: Vec<(&[String], &rnc_stats::SurvivalRow)> = survival
        .iter()
        .flat_map(|s| s.rows.iter().map(|row| (s.stratum.as_slice(), row)))
        .collect();

    let mut fields = Vec::new();
    let mut arrays: Vec<ArrayRef> = Vec::new();
    stratum_columns(names, rows.iter().map(|r| r.0), &mut fields, &mut arrays);
    let mut text = |name: &str, values: Vec<String>| {
        fields.push(Field::new(name, DataType::Utf8, false));
        arrays.push(Arc::new(StringArray::from(values)));
    };
    text(
        "method",
        rows.iter().map(|r| r.1.method.label().to_owned()).collect(),
    );
    fields.push(Field::new("years", DataType::Float64, false));
    arrays.push(Arc::new(Float64Array::from_iter_values(
        rows.iter().map(|r| r.1.years),
    )));
    fields.push(Field::new("patients", DataType::UInt64, false));
    arrays.push(Arc::new(UInt64Array::from_iter_values(
        rows.iter().map(|r| r.1.patients as u64),
    )));
    fields.push(Field::new("at_risk", DataType::UInt64, true));
    arrays.push(Arc::new(
        rows.iter().map(|r| r.1.at_risk).collect::<UInt64Array>(),
    ));
    for (name, value) in [
        (
            "survival",
            (|row: &rnc_stats::SurvivalRow| row.survival) as fn(&_) -> _,
        ),
        ("lower", |row| row.lower),
        ("upper", |row| row.upper),
    ] {
        fields.push(Field::new(name, DataType::Float64, true));
        arrays.push(Arc::new(
            rows.iter().map(|r| value(r.1)).collect::<Float64Array>(),
        ));
    }
    fields.push(Field::new("status", DataType::Utf8, false));
    arrays.push(Arc::new(StringArray::from_iter_values(
        rows.iter().map(|r| r.1.status.as_str()),
    )));
    Ok(RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays)?)
}

fn prevalence_batch(
    names: &[String],
    prevalence: &[(Vec<String>, Prevalence)],
    durations: &[u32],
) -> anyhow::Result<RecordBatch> {
    let mut fields = Vec::new();
    let mut arrays: Vec<ArrayRef> = Vec::new();
    stratum_columns(
        names,
        prevalence.iter().map(|p| p.0.as_slice()),
        &mut fields,
        &mut arrays,
    );
    fields.push(Field::new("index_date", DataType::Utf8, false));
    arrays.push(Arc::new(StringArray::from_iter_values(
        prevalence.iter().map(|p| p.1.index_date.to_string()),
    )));
    let mut count = |name: String, values: Vec<u64>| {
        fields.push(Field::new(name, DataType::UInt64, false));
        arrays.push(Arc::new(UInt64Array::from(values)));
    };
    count(
        "complete".to_owned(),
        prevalence.iter().map(|p| p.1.complete).collect(),
    );
    for (index, years) in durations.iter().enumerate() {
        count(
            format!("partial_{years}_years"),
            prevalence.iter().map(|p| p.1.partial[index].1).collect(),
        );
    }
    count(
        "dead".to_owned(),
        prevalence.iter().map(|p| p.1.dead).collect(),
    );
    count(
        "lost_to_follow_up".to_owned(),
        prevalence.iter().map(|p| p.1.lost_to_follow_up).collect(),
    );
    count(
        "diagnosed_after".to_owned(),
        prevalence.iter().map(|p| p.1.diagnosed_after).collect(),
    );
    Ok(RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays)?)
}
