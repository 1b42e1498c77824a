//! `rnc stats --input FILE`: rates by stratum from an aggregate CSV that
//! a user brings, with its columns named by flags, so that the figures
//! can be compared with R on the same file.
//!
//! The output is an analyst output: counts are not suppressed, and the
//! summary line states it.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use arrow::array::{
    Array, ArrayRef, AsArray, Float64Array, RecordBatch, StringArray,
};
use arrow::datatypes::{
    DataType, Field, Float64Type, Int64Type, Schema, UInt64Type,
};
use rnc_stats::{
    AggregateColumns, StandardPopulation, StratumRates,
    rates_from_aggregate_csv,
};

use crate::cli::{OutputFormat, StatsArgs};
use crate::commands::Outcome;

/// Confidence level of every interval.
const CONFIDENCE: f64 = 0.95;

/// Runs `rnc stats --input`: reads the file, computes the rates and writes
/// them to `--out` in `--format`.
pub fn stats_on_file(
    input: &Path,
    args: &StatsArgs,
) -> anyhow::Result<Outcome> {
    let started = std::time::Instant::now();
    let out = args.out.as_deref().context(
        "--out is missing: with --input, give the output file (e.g. --out rates.csv)",
    )?;
    crate::pipeline::check_output_path(out, None, None, &[input])?;
    let standard = read_standard(&args.standard)?;
    let columns = aggregate_columns(args);
    let file = std::fs::File::open(input)
        .with_context(|| format!("opening {}", input.display()))?;
    let rows = rates_from_aggregate_csv(
        file,
        &input.display().to_string(),
        &columns,
        &standard,
        CONFIDENCE,
    )?;

    let mut names = columns.by.clone();
    if columns.region_from.is_some() {
        names.push("region".to_owned());
    }
    let batch = to_batch(&names, &rows)?;
    write_table(&batch, args.format, out)?;
    println!(
        "stats: {} strata from {}, standard {}, written to {} (analyst output: counts not suppressed) in {:.1} s",
        rows.len(),
        input.display(),
        standard.label(),
        out.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(Outcome::Clean)
}

/// Returns the aggregate column names given by the flags.
pub fn aggregate_columns(args: &StatsArgs) -> AggregateColumns {
    AggregateColumns {
        age_group: args.age_group_column.clone(),
        cases: args.cases_column.clone(),
        person_years: args.person_years_column.clone(),
        by: args.by.clone(),
        region_from: args.region_from.clone(),
    }
}

/// Reads `--standard`: a built-in name, else a CSV path.
pub fn read_standard(text: &str) -> anyhow::Result<StandardPopulation> {
    if let Ok(standard) = StandardPopulation::parse(text) {
        return Ok(standard);
    }
    let file = std::fs::File::open(text).with_context(|| {
        format!(
            "--standard {text:?} is neither world, europe1976, europe2013 nor a readable CSV file"
        )
    })?;
    Ok(StandardPopulation::from_csv(file, text)?)
}

/// Numeric output columns, per 100 000 except the counts, person-years
/// and the cumulative risk (percent).
const NUMERIC_COLUMNS: [&str; 12] = [
    "cases",
    "person_years",
    "crude_rate",
    "crude_lower",
    "crude_upper",
    "asr",
    "asr_lower",
    "asr_upper_fay_feuer",
    "asr_upper_tiwari",
    "asr_standard_error",
    "truncated_35_64",
    "cumulative_risk_0_74",
];

/// Returns the values of [`NUMERIC_COLUMNS`] for one stratum.
fn numeric_values(row: &StratumRates) -> [Option<f64>; 12] {
    let fay_feuer = row.standardised_fay_feuer.as_ref();
    [
        Some(row.cases),
        Some(row.person_years),
        Some(row.crude.value),
        Some(row.crude.lower),
        Some(row.crude.upper),
        fay_feuer.map(|rate| rate.rate),
        fay_feuer.map(|rate| rate.lower),
        fay_feuer.map(|rate| rate.upper),
        row.standardised_tiwari.as_ref().map(|rate| rate.upper),
        fay_feuer.map(|rate| rate.standard_error()),
        row.truncated_35_64.map(|rate| rate.rate),
        row.cumulative_risk_0_74,
    ]
}

/// Builds the table of rates, one row per stratum.
pub fn to_batch(
    names: &[String],
    rows: &[StratumRates],
) -> anyhow::Result<RecordBatch> {
    let mut fields = Vec::new();
    let mut arrays: Vec<ArrayRef> = Vec::new();
    for (index, name) in names.iter().enumerate() {
        fields.push(Field::new(name, DataType::Utf8, false));
        arrays.push(Arc::new(StringArray::from_iter_values(
            rows.iter().map(|row| row.stratum[index].as_str()),
        )));
    }
    for (index, name) in NUMERIC_COLUMNS.iter().enumerate() {
        fields.push(Field::new(*name, DataType::Float64, true));
        let values: Float64Array =
            rows.iter().map(|row| numeric_values(row)[index]).collect();
        arrays.push(Arc::new(values));
    }
    Ok(RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays)?)
}

/// Writes a table in `format` to `path`: CSV with a header line, a JSON
/// array with one object per row (null for a missing value), or Parquet.
pub fn write_table(
    batch: &RecordBatch,
    format: OutputFormat,
    path: &Path,
) -> anyhow::Result<()> {
    match format {
        OutputFormat::Csv => {
            let file = std::fs::File::create(path)
                .with_context(|| format!("creating {}", path.display()))?;
            let mut writer = arrow::csv::Writer::new(file);
            writer
                .write(batch)
                .with_context(|| format!("writing {}", path.display()))?;
        }
        OutputFormat::Json => {
            let text = serde_json::to_string_pretty(&to_json(batch)?)?;
            std::fs::write(path, text + "\n")
                .with_context(|| format!("writing {}", path.display()))?;
        }
        OutputFormat::Parquet => {
            rnc_store::parquet_io::write_parquet(
                path,
                batch.schema(),
                std::slice::from_ref(batch),
            )?;
        }
    }
    Ok(())
}

/// Writes the CSV table at `csv_path` again beside it in `format` (same
/// name, the format's extension), and returns the new path.
///
/// Column types are read back from the text: whole numbers, decimals and
/// `true`/`false` keep their type, everything else (labels, dates, status,
/// codes with a leading zero) stays text, and an empty field is null. The published tables exist
/// only as the CSV their suppression writes, so this is how they reach
/// JSON and Parquet without a second writer that could drift from it.
pub fn write_copy_of_csv(
    csv_path: &Path,
    format: OutputFormat,
) -> anyhow::Result<std::path::PathBuf> {
    let extension = match format {
        OutputFormat::Csv => return Ok(csv_path.to_path_buf()),
        OutputFormat::Json => "json",
        OutputFormat::Parquet => "parquet",
    };

    let schema = Arc::new(csv_schema(csv_path)?);
    let file = std::fs::File::open(csv_path)
        .with_context(|| format!("reading {}", csv_path.display()))?;
    let batches = arrow::csv::ReaderBuilder::new(schema.clone())
        .with_header(true)
        .build(file)?
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("reading {}", csv_path.display()))?;
    let batch = arrow::compute::concat_batches(&schema, &batches)?;

    let path = csv_path.with_extension(extension);
    write_table(&batch, format, &path)?;
    Ok(path)
}

/// Reads the column types of a CSV table from its values: Int64 when every
/// value is a whole number without a leading zero (region `01` is a code),
/// Float64 when every value is a number, Boolean for `true`/`false`, and
/// text otherwise. Empty values are nulls and do not decide a type.
fn csv_schema(csv_path: &Path) -> anyhow::Result<Schema> {
    let mut reader = csv::Reader::from_path(csv_path)
        .with_context(|| format!("reading {}", csv_path.display()))?;
    let names: Vec<String> = reader
        .headers()
        .with_context(|| format!("reading {}", csv_path.display()))?
        .iter()
        .map(str::to_owned)
        .collect();

    // Per column: whether it may still be whole numbers, decimals, booleans.
    let mut possible = vec![(true, true, true); names.len()];
    for record in reader.records() {
        let record = record
            .with_context(|| format!("reading {}", csv_path.display()))?;
        for (value, (whole, decimal, boolean)) in
            record.iter().zip(possible.iter_mut())
        {
            if value.is_empty() {
                continue;
            }
            // `01` is a code, `0.5` a number.
            let code = value.starts_with('0')
                && value.as_bytes().get(1).is_some_and(u8::is_ascii_digit);
            *whole &= !code && value.parse::<i64>().is_ok();
            *decimal &= !code && value.parse::<f64>().is_ok();
            *boolean &= value == "true" || value == "false";
        }
    }

    let fields = names.iter().zip(possible).map(|(name, possible)| {
        let data_type = match possible {
            (true, _, _) => DataType::Int64,
            (_, true, _) => DataType::Float64,
            (_, _, true) => DataType::Boolean,
            _ => DataType::Utf8,
        };
        Field::new(name, data_type, true)
    });
    Ok(Schema::new(fields.collect::<Vec<_>>()))
}

/// Converts a batch of text, whole-number, Float64 and Boolean columns to
/// JSON objects.
fn to_json(batch: &RecordBatch) -> anyhow::Result<serde_json::Value> {
    let schema = batch.schema();
    let mut objects = vec![serde_json::Map::new(); batch.num_rows()];
    for (field, column) in schema.fields().iter().zip(batch.columns()) {
        for (row, object) in objects.iter_mut().enumerate() {
            let value: serde_json::Value = if column.is_null(row) {
                serde_json::Value::Null
            } else {
                match field.data_type() {
                    DataType::Utf8 => {
                        column.as_string::<i32>().value(row).into()
                    }
                    DataType::Float64 => {
                        column.as_primitive::<Float64Type>().value(row).into()
                    }
                    DataType::UInt64 => {
                        column.as_primitive::<UInt64Type>().value(row).into()
                    }
                    DataType::Int64 => {
                        column.as_primitive::<Int64Type>().value(row).into()
                    }
                    DataType::Boolean => column.as_boolean().value(row).into(),
                    other => anyhow::bail!(
                        "internal error: column {} of type {other} has no JSON form; please report this bug",
                        field.name()
                    ),
                }
            };
            object.insert(field.name().clone(), value);
        }
    }
    Ok(serde_json::Value::Array(
        objects.into_iter().map(serde_json::Value::Object).collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_copy_keeps_code_zeros() {
        let dir = tempfile::tempdir().unwrap();
        let csv = dir.path().join("rates.csv");
        std::fs::write(
            &csv,
            "region,cases,rate,unreliable\n01,5,0.5,true\n11,,2.25,false\n",
        )
        .unwrap();

        let json = write_copy_of_csv(&csv, OutputFormat::Json).unwrap();
        let rows: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(json).unwrap())
                .unwrap();

        assert_eq!(rows[0]["region"], "01");
        assert_eq!(rows[1]["region"], "11");
        assert_eq!(rows[0]["cases"], 5);
        assert!(rows[1]["cases"].is_null());
        assert_eq!(rows[0]["rate"], 0.5);
        assert_eq!(rows[1]["rate"], 2.25);
        assert_eq!(rows[0]["unreliable"], true);
    }
}
