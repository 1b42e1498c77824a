//! The population table: denominators by year, sex, age band and
//! département.

use std::path::Path;
use std::sync::Arc;

use arrow::array::{Float64Builder, Int32Builder, RecordBatch, StringBuilder};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};

use crate::Error;

/// The 18 five-year age bands of the population table, as in the
/// standard populations (World Segi 1960, European 1976 and 2013 with
/// 85+ collapsed).
pub const AGE_BANDS: [&str; 18] = [
    "0-4", "5-9", "10-14", "15-19", "20-24", "25-29", "30-34", "35-39",
    "40-44", "45-49", "50-54", "55-59", "60-64", "65-69", "70-74", "75-79",
    "80-84", "85+",
];

/// Schema of the population table.
pub fn population_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("year", DataType::Int32, false),
        Field::new("sex", DataType::Utf8, false),
        Field::new("age_band", DataType::Utf8, false),
        Field::new("departement", DataType::Utf8, false),
        Field::new("population", DataType::Float64, false),
    ]))
}

/// Reads a population CSV with the header
/// `year,sex,age_band,departement,population` (columns in any order).
///
/// `sex` is `male` or `female`; `age_band` one of [`AGE_BANDS`];
/// `population` a non-negative number (mid-year population, used as
/// person-years).
///
/// # Errors
///
/// [`Error::Population`] naming the line and column of the first bad value,
/// or the missing column.
pub fn read_population_csv(path: &Path) -> Result<RecordBatch, Error> {
    let file_name = path.display().to_string();
    let bad = |message: String| Error::Population {
        file: file_name.clone(),
        message,
    };
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(true)
        .from_path(path)
        .map_err(|e| bad(format!("cannot be read: {e}")))?;
    let headers = reader.headers().map_err(|e| bad(e.to_string()))?.clone();
    let column = |name: &str| {
        headers.iter().position(|h| h.trim_start_matches('\u{feff}') == name).ok_or_else(|| {
            bad(format!(
                "column {name} is missing (expected year,sex,age_band,departement,population)"
            ))
        })
    };
    let (year_at, sex_at, band_at, area_at, population_at) = (
        column("year")?,
        column("sex")?,
        column("age_band")?,
        column("departement")?,
        column("population")?,
    );

    let mut seen = std::collections::HashSet::new();
    let mut years = Int32Builder::new();
    let mut sexes = StringBuilder::new();
    let mut bands = StringBuilder::new();
    let mut areas = StringBuilder::new();
    let mut populations = Float64Builder::new();
    for row in reader.records() {
        let row = row.map_err(|e| bad(e.to_string()))?;
        let line = row.position().map_or(0, |p| p.line());
        let field = |at: usize| row.get(at).unwrap_or("");
        let at_line = |column: &str, what: &str| {
            bad(format!("line {line}, field {column}: {what}"))
        };
        if row.len() != headers.len() {
            return Err(bad(format!(
                "line {line}: {} fields, expected {} (year,sex,age_band,departement,population)",
                row.len(),
                headers.len()
            )));
        }

        let year: i32 = field(year_at)
            .parse()
            .map_err(|_| at_line("year", "not a whole number"))?;
        let sex = field(sex_at);
        if sex != "male" && sex != "female" {
            return Err(at_line("sex", "expected male or female"));
        }
        let band = field(band_at);
        if !AGE_BANDS.contains(&band) {
            return Err(at_line(
                "age_band",
                "expected a five-year band 0-4 … 80-84 or 85+",
            ));
        }
        let departement = field(area_at);
        if !is_departement(departement) {
            return Err(at_line(
                "departement",
                "expected an INSEE département code (01-95 but not 20, 2A, 2B, 971-976)",
            ));
        }
        let key = (
            year,
            sex.to_string(),
            band.to_string(),
            departement.to_string(),
        );
        if !seen.insert(key) {
            return Err(at_line(
                "year",
                "this year, sex, age band and département already have a row; remove the duplicate, which would double the denominator",
            ));
        }
        let population: f64 = field(population_at)
            .parse()
            .map_err(|_| at_line("population", "not a number"))?;
        if !population.is_finite() || population < 0.0 {
            return Err(at_line("population", "must be zero or more"));
        }
        years.append_value(year);
        sexes.append_value(sex);
        bands.append_value(band);
        areas.append_value(departement);
        populations.append_value(population);
    }
    if seen.is_empty() {
        return Err(bad(
            "has no data row: a population table needs at least one row".into(),
        ));
    }
    Ok(RecordBatch::try_new(
        population_schema(),
        vec![
            Arc::new(years.finish()),
            Arc::new(sexes.finish()),
            Arc::new(bands.finish()),
            Arc::new(areas.finish()),
            Arc::new(populations.finish()),
        ],
    )?)
}

/// Whether `code` is an INSEE département of residence: 01-95 except 20
/// (split into 2A and 2B in 1976), 2A, 2B, or an overseas 971-976.
fn is_departement(code: &str) -> bool {
    match code {
        "2A" | "2B" => true,
        _ if code.len() == 2 => code
            .parse::<u8>()
            .is_ok_and(|n| (1..=95).contains(&n) && n != 20),
        _ => code.parse::<u16>().is_ok_and(|n| (971..=976).contains(&n)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_valid_table() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("population.csv");
        std::fs::write(
            &path,
            "year,sex,age_band,departement,population\n2023,female,85+,2A,1200.5\n2023,male,0-4,75,900\n",
        )
        .unwrap();
        let batch = read_population_csv(&path).unwrap();
        assert_eq!(batch.num_rows(), 2);
    }

    #[test]
    fn bad_band_names_line_and_field() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("population.csv");
        std::fs::write(
            &path,
            "year,sex,age_band,departement,population\n2023,female,85-89,2A,10\n",
        )
        .unwrap();
        let err = read_population_csv(&path).unwrap_err().to_string();
        assert!(err.contains("line 2, field age_band"), "{err}");
    }

    #[test]
    fn duplicate_and_empty_tables_are_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("population.csv");
        let header = "year,sex,age_band,departement,population\n";
        std::fs::write(
            &path,
            format!("{header}2019,male,0-4,01,100\n2019,male,0-4,01,100\n"),
        )
        .unwrap();
        let err = read_population_csv(&path).unwrap_err().to_string();
        assert!(err.contains("line 3, field year"), "{err}");
        std::fs::write(&path, header).unwrap();
        let err = read_population_csv(&path).unwrap_err().to_string();
        assert!(err.contains("has no data row"), "{err}");
        std::fs::write(&path, format!("{header}2019,male,0-4,99,100\n"))
            .unwrap();
        let err = read_population_csv(&path).unwrap_err().to_string();
        assert!(err.contains("field departement"), "{err}");
    }

    #[test]
    fn missing_column_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("population.csv");
        std::fs::write(&path, "year,sex,age_band,population\n").unwrap();
        let err = read_population_csv(&path).unwrap_err().to_string();
        assert!(err.contains("column departement is missing"), "{err}");
    }
}
