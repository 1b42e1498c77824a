//! `rnc stats --input` on an aggregate CSV, against R.
//!
//! The input is rnc-stats' fixture `tests/data/aggregate_by_departement.csv`,
//! written by `crates/rnc-stats/scripts/aggregate_expected.R` (R 4.2.2,
//! epitools 0.5-10.1), which prints for women of region 84 the world ASR
//! 26.2699447907 per 100 000 with the Fay-Feuer interval
//! 24.2351647331-28.5649916102 (`epitools::ageadjust.direct`). Tolerance:
//! 1e-9 relative.

mod common;

use std::path::PathBuf;

use common::rnc_expect;

fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../rnc-stats/tests/data/aggregate_by_departement.csv")
}

fn assert_relative(found: f64, expected: f64, what: &str) {
    assert!(
        (found - expected).abs() <= 1e-9 * expected.abs(),
        "{what}: found {found:.12}, expected {expected:.12}"
    );
}

#[test]
fn json_rates_match_epitools() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("rates.json");
    let input = fixture();
    let output = rnc_expect(
        &[
            "stats",
            "--input",
            input.to_str().unwrap(),
            "--by",
            "sex",
            "--region-from",
            "departement",
            "--format",
            "json",
            "--out",
            out.to_str().unwrap(),
        ],
        0,
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("analyst output"), "{stdout}");

    let rows: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 4);
    let women_84 = rows
        .iter()
        .find(|row| row["sex"] == "female" && row["region"] == "84")
        .expect("female, region 84");
    assert_eq!(women_84["cases"], 1710.0);
    let number = |name: &str| women_84[name].as_f64().unwrap();
    assert_relative(number("asr"), 26.2699447907, "asr");
    assert_relative(number("asr_lower"), 24.2351647331, "asr_lower");
    assert_relative(number("asr_upper_fay_feuer"), 28.5649916102, "upper");
}

#[test]
fn csv_and_parquet_written() {
    let dir = tempfile::tempdir().unwrap();
    let input = fixture();
    for (format, name) in [("csv", "rates.csv"), ("parquet", "rates.parquet")] {
        let out = dir.path().join(name);
        rnc_expect(
            &[
                "stats",
                "--input",
                input.to_str().unwrap(),
                "--by",
                "departement",
                "--standard",
                "europe2013",
                "--format",
                format,
                "--out",
                out.to_str().unwrap(),
            ],
            0,
        );
        let bytes = std::fs::read(&out).unwrap();
        assert!(!bytes.is_empty(), "{name} is empty");
        if format == "csv" {
            let text = String::from_utf8(bytes).unwrap();
            assert!(text.starts_with("departement,cases,person_years,"));
            assert_eq!(text.lines().count(), 4, "{text}");
        } else {
            assert_eq!(&bytes[..4], b"PAR1");
        }
    }
}

#[test]
fn missing_column_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("rates.csv");
    let input = fixture();
    let output = rnc_expect(
        &[
            "stats",
            "--input",
            input.to_str().unwrap(),
            "--by",
            "year",
            "--out",
            out.to_str().unwrap(),
        ],
        2,
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("column year is missing"), "{stderr}");
}
