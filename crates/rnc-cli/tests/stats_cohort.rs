//! `rnc stats --input --layout cohort` on a cohort CSV, against R on the
//! same file.
//!
//! The inputs are rnc-stats' fixtures `tests/data/cohort.csv`,
//! `cohort_life_table.csv` and `cohort_population.csv`, written with the
//! expected values by `crates/rnc-stats/scripts/cohort_expected.R` (R
//! 4.2.2, survival 3.5-3, relsurv 2.2-9, epitools 0.5-10.1). The values
//! pinned here are a few of those that the rnc-stats test `cohort.rs`
//! checks in full. Tolerance: 1e-9 relative, because R prints 12 decimals.

mod common;

use std::path::{Path, PathBuf};

use arrow::array::AsArray;
use arrow::datatypes::Float64Type;
use common::rnc_expect;
use rnc_store::parquet_io::read_parquet;

fn fixture(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../rnc-stats/tests/data")
        .join(name)
        .to_str()
        .unwrap()
        .to_owned()
}

fn assert_relative(found: f64, expected: f64, what: &str) {
    assert!(
        (found - expected).abs() <= 1e-9 * expected.abs(),
        "{what}: found {found:.12}, expected {expected:.12}"
    );
}

/// Runs the cohort analysis of the fixture by sex into `out`.
fn run_cohort(out: &Path, format: &str) -> String {
    let output = rnc_expect(
        &[
            "stats",
            "--input",
            &fixture("cohort.csv"),
            "--layout",
            "cohort",
            "--age-column",
            "age_days",
            "--age-unit",
            "days",
            "--exit-date-column",
            "exit_date",
            "--life-table",
            &fixture("cohort_life_table.csv"),
            "--by",
            "sex",
            "--index-date",
            "2017-06-30",
            "--prevalence-years",
            "1,3,5",
            "--population",
            &fixture("cohort_population.csv"),
            "--format",
            format,
            "--out",
            out.to_str().unwrap(),
        ],
        0,
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn csv_outputs_match_r() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("cohort_stats");
    let stdout = run_cohort(&out, "csv");
    assert!(stdout.contains("600 rows"), "{stdout}");
    assert!(stdout.contains("analyst output"), "{stdout}");

    let mut survival =
        csv::Reader::from_path(out.join("survival.csv")).unwrap();
    let headers = survival.headers().unwrap().clone();
    assert_eq!(
        headers.iter().collect::<Vec<_>>(),
        [
            "sex", "method", "years", "patients", "at_risk", "survival",
            "lower", "upper", "status"
        ]
    );
    let rows: Vec<csv::StringRecord> =
        survival.records().map(Result::unwrap).collect();
    let find = |sex: &str, method: &str, years: &str| {
        rows.iter()
            .find(|r| r[0] == *sex && r[1] == *method && r[2] == *years)
            .unwrap_or_else(|| panic!("no row {sex} {method} {years}"))
    };
    // R: relsurv::rs.surv(method = "pohar-perme", conf.type = "log") on
    // the men, at 5 years: 0.352704015769 (0.293979299206, 0.423159464205),
    // 68 at risk.
    let men = find("male", "pohar_perme", "5.0");
    assert_eq!(&men[4], "68");
    assert_relative(men[5].parse().unwrap(), 0.352704015769, "men PP 5 y");
    assert_relative(men[6].parse().unwrap(), 0.293979299206, "lower");
    assert_relative(men[7].parse().unwrap(), 0.423159464205, "upper");
    // R: survfit(conf.type = "log-log") on the women at 3 years.
    let women = find("female", "kaplan_meier", "3.0");
    assert_relative(women[5].parse().unwrap(), 0.466666666667, "women KM");
    assert_relative(women[6].parse().unwrap(), 0.407818952592, "lower");
    // R: ICSS 1 weights on rs.surv by age group, the women at 1 year.
    let icss = find("female", "pohar_perme_icss1", "1.0");
    assert_relative(icss[5].parse().unwrap(), 0.801818818290, "women ICSS");
    // R: Ederer II on the men at 1 year.
    let ederer = find("male", "ederer_ii", "1.0");
    assert_relative(ederer[5].parse().unwrap(), 0.751503394639, "men EII");

    // R counts 254 prevalent at 2017-06-30, 33 diagnosed in the year before.
    let mut prevalence =
        csv::Reader::from_path(out.join("prevalence.csv")).unwrap();
    let mut complete = 0;
    let mut one_year = 0;
    for row in prevalence.records() {
        let row = row.unwrap();
        complete += row[2].parse::<u64>().unwrap();
        one_year += row[3].parse::<u64>().unwrap();
    }
    assert_eq!(complete, 254);
    assert_eq!(one_year, 33);

    // R: epitools::ageadjust.direct, world standard, the men.
    let mut incidence =
        csv::Reader::from_path(out.join("incidence.csv")).unwrap();
    let men = incidence
        .records()
        .map(Result::unwrap)
        .find(|row| &row[0] == "male")
        .unwrap();
    assert_eq!(&men[1], "315.0");
    assert_relative(men[6].parse().unwrap(), 25.686681379374, "men ASR");
    assert_relative(men[7].parse().unwrap(), 22.395565286203, "lower");
    assert_relative(men[8].parse().unwrap(), 29.545369292161, "upper");
}

#[test]
fn json_and_parquet_outputs_are_written() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("json");
    run_cohort(&json, "json");
    let rows: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(json.join("survival.json")).unwrap(),
    )
    .unwrap();
    let men = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|row| {
            row["sex"] == "male"
                && row["method"] == "pohar_perme"
                && row["years"] == 5.0
        })
        .expect("men, Pohar-Perme, 5 years");
    assert_relative(men["survival"].as_f64().unwrap(), 0.352704015769, "men");
    assert_eq!(men["at_risk"], 68);

    let parquet = dir.path().join("parquet");
    run_cohort(&parquet, "parquet");
    let batches = read_parquet(&parquet.join("survival.parquet")).unwrap();
    let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
    // 2 sexes x 4 methods x 3 times.
    assert_eq!(rows, 24);
    let batch = &batches[0];
    let sexes = batch.column_by_name("sex").unwrap().as_string::<i32>();
    let methods = batch.column_by_name("method").unwrap().as_string::<i32>();
    let years = batch
        .column_by_name("years")
        .unwrap()
        .as_primitive::<Float64Type>();
    let survival = batch
        .column_by_name("survival")
        .unwrap()
        .as_primitive::<Float64Type>();
    let men = (0..batch.num_rows())
        .find(|&i| {
            sexes.value(i) == "male"
                && methods.value(i) == "pohar_perme"
                && years.value(i) == 5.0
        })
        .expect("men, Pohar-Perme, 5 years");
    assert_relative(survival.value(men), 0.352704015769, "men");
    for name in ["prevalence", "incidence"] {
        let batches =
            read_parquet(&parquet.join(format!("{name}.parquet"))).unwrap();
        assert_eq!(batches[0].num_rows(), 2, "{name}: one row per sex");
    }
}

#[test]
fn missing_column_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let output = rnc_expect(
        &[
            "stats",
            "--input",
            &fixture("cohort.csv"),
            "--layout",
            "cohort",
            "--out",
            dir.path().join("out").to_str().unwrap(),
        ],
        2,
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("line 1: column age is missing"), "{stderr}");
}
