//! Observed, relative and net survival on relsurv's colorectal cohort
//! (`colrec`, 5 971 patients) and Slovenian life table (`slopop`), exported
//! to CSV from relsurv 2.2-9.
//!
//! Expected values: `scripts/survival_expected.R` (R 4.2.2, survival 3.5-3,
//! relsurv 2.2-9), printed to 12 decimals; its 1-, 3-, 5- and 10-year
//! Pohar-Perme and Ederer II figures round to those published with relsurv
//! 2.2-9 on the same data (0.68184, 0.50864, 0.44133, 0.42112 and 0.68265,
//! 0.51079, 0.44107, 0.41079). Tolerance: 1e-9 relative.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use rnc_stats::{
    CohortPatient, FollowUp, IntervalScale, LifeTable, RelativeSurvivalMethod,
    SurvivalAt, SurvivalCurve, YEAR_DAYS, kaplan_meier, relative_survival,
};

fn data_folder() -> Option<PathBuf> {
    let folder = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/relsurv");
    if folder.is_dir() {
        Some(folder)
    } else {
        eprintln!("skipped: folder {} is missing", folder.display());
        None
    }
}

/// Reads colrec.csv into patients, with the life table's sex indices.
fn read_cohort(folder: &Path, table: &LifeTable) -> Vec<CohortPatient> {
    let mut reader = csv::Reader::from_path(folder.join("colrec.csv")).unwrap();
    let headers = reader.headers().unwrap().clone();
    let column = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (sex, time, status) = (column("sex"), column("time"), column("status"));
    let (age_days, diagnosis) =
        (column("age_days"), column("date_of_diagnosis"));
    reader
        .records()
        .map(|record| {
            let record = record.unwrap();
            CohortPatient {
                follow_up: FollowUp {
                    days: record[time].parse().unwrap(),
                    died: &record[status] == "1",
                },
                entry_days: 0,
                sex: table.sex_index(&record[sex]).unwrap(),
                age_days: record[age_days].parse().unwrap(),
                diagnosis_date: NaiveDate::parse_from_str(
                    &record[diagnosis],
                    "%Y-%m-%d",
                )
                .unwrap(),
            }
        })
        .collect()
}

fn read_table(folder: &Path) -> LifeTable {
    let file = std::fs::File::open(folder.join("slopop.csv")).unwrap();
    LifeTable::from_csv(file, "slopop.csv").unwrap()
}

/// One row of the R script's output: years, n.risk, S, lower, upper.
type Expected = (f64, u64, f64, f64, f64);

fn assert_relative(found: f64, expected: f64, what: &str) {
    let tolerance = 1e-9 * expected.abs();
    assert!(
        (found - expected).abs() <= tolerance,
        "{what}: found {found:.12}, expected {expected:.12} (relative tolerance 1e-9)"
    );
}

fn assert_curve(curve: &SurvivalCurve, rows: &[Expected], label: &str) {
    for &(
        years,
        at_risk_expected,
        survival_expected,
        lower_expected,
        upper_expected,
    ) in rows
    {
        let SurvivalAt::Estimate {
            survival,
            lower,
            upper,
            at_risk,
            ..
        } = curve.at(years * YEAR_DAYS)
        else {
            panic!("{label} {years} y: no estimate");
        };
        let what = format!("{label} {years} y");
        assert_eq!(at_risk, at_risk_expected, "{what} at risk");
        assert_relative(survival, survival_expected, &format!("{what} S"));
        assert_relative(
            lower.unwrap(),
            lower_expected,
            &format!("{what} lower"),
        );
        assert_relative(
            upper.unwrap(),
            upper_expected,
            &format!("{what} upper"),
        );
    }
}

#[test]
fn kaplan_meier_matches_survfit() {
    // survfit(Surv(time, status) ~ 1, conf.type = "log-log").
    let Some(folder) = data_folder() else { return };
    let table = read_table(&folder);
    let patients = read_cohort(&folder, &table);
    let follow_ups: Vec<FollowUp> =
        patients.iter().map(|patient| patient.follow_up).collect();
    let curve = kaplan_meier(&follow_ups, 0.95, IntervalScale::LogLog).unwrap();
    assert_eq!(curve.patients, 5971);
    let deaths: u64 = curve.steps.iter().map(|step| step.deaths).sum();
    assert_eq!(deaths, 4979);
    assert_curve(
        &curve,
        &[
            (1.0, 3919, 0.656819748222, 0.644621916443, 0.668713015592),
            (3.0, 2715, 0.455158451527, 0.442476863980, 0.467745215846),
            (5.0, 2163, 0.362617948675, 0.350423792303, 0.374817969312),
            (10.0, 1583, 0.265383362345, 0.254239429004, 0.276643754350),
        ],
        "Kaplan-Meier",
    );
}

#[test]
fn pohar_perme_matches_relsurv() {
    // rs.surv(..., method = "pohar-perme", conf.type = "log").
    let Some(folder) = data_folder() else { return };
    let table = read_table(&folder);
    let patients = read_cohort(&folder, &table);
    let curve = relative_survival(
        &patients,
        &table,
        RelativeSurvivalMethod::PoharPerme,
        0.95,
        IntervalScale::Log,
    )
    .unwrap();
    assert_curve(
        &curve,
        &[
            (1.0, 3919, 0.681836204625, 0.669383098597, 0.694520986431),
            (3.0, 2715, 0.508637133080, 0.494368062295, 0.523318055674),
            (5.0, 2163, 0.441330990473, 0.426102558887, 0.457103669269),
            (10.0, 1583, 0.421122753859, 0.397809179688, 0.445802618122),
        ],
        "Pohar-Perme",
    );
}

#[test]
fn ederer_ii_matches_relsurv() {
    // rs.surv(..., method = "ederer2", conf.type = "log").
    let Some(folder) = data_folder() else { return };
    let table = read_table(&folder);
    let patients = read_cohort(&folder, &table);
    let curve = relative_survival(
        &patients,
        &table,
        RelativeSurvivalMethod::EdererII,
        0.95,
        IntervalScale::Log,
    )
    .unwrap();
    assert_curve(
        &curve,
        &[
            (1.0, 3919, 0.682650583415, 0.670255691350, 0.695274691511),
            (3.0, 2715, 0.510786671088, 0.496809617617, 0.525156949683),
            (5.0, 2163, 0.441070325871, 0.426486166588, 0.456153206375),
            (10.0, 1583, 0.410788613537, 0.393814030350, 0.428494852916),
        ],
        "Ederer II",
    );
}
