//! Period and cohort analysis on a synthetic cohort, against R.
//!
//! Data and expected values: `scripts/period_expected.R` (R 4.2.2,
//! survival 3.5-3) wrote `tests/data/period_cohort.csv` (400 synthetic
//! patients, seed 20261204) and printed `survival::survfit` with
//! `conf.type = "log-log"` at 1, 3 and 5 years of 365.241 days, to 12
//! decimals. The period analysis uses `Surv(entry, exit, status)` with
//! entry at 2015-01-01 and exit at the earlier of the exit date and
//! 2018-01-01. Tolerance: 1e-9 relative.

use std::path::PathBuf;

use chrono::NaiveDate;
use rnc_stats::{
    AnalysisWindow, DelayedFollowUp, IntervalScale, SurvivalAt, SurvivalCurve,
    YEAR_DAYS, kaplan_meier_delayed,
};

/// One printed row: years, n.risk, survival, lower, upper.
type Expected = (f64, u64, f64, f64, f64);

fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

/// Reads the cohort and keeps the follow-up inside `window`.
fn follow_ups(window: &AnalysisWindow) -> Vec<DelayedFollowUp> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/period_cohort.csv");
    let mut reader = csv::Reader::from_path(path).unwrap();
    let mut kept = Vec::new();
    for record in reader.records() {
        let record = record.unwrap();
        let follow_up = window
            .follow_up(date(&record[1]), date(&record[2]), &record[3] == "1")
            .unwrap();
        kept.extend(follow_up);
    }
    kept
}

fn assert_relative(found: f64, expected: f64, what: &str) {
    assert!(
        (found - expected).abs() <= 1e-9 * expected.abs(),
        "{what}: found {found:.12}, expected {expected:.12} (relative tolerance 1e-9)"
    );
}

fn assert_curve(curve: &SurvivalCurve, rows: &[Expected], label: &str) {
    for &(years, at_risk, survival, lower, upper) in rows {
        let what = format!("{label} at {years} y");
        let SurvivalAt::Estimate {
            survival: found,
            lower: found_lower,
            upper: found_upper,
            at_risk: found_at_risk,
            ..
        } = curve.at(years * YEAR_DAYS)
        else {
            panic!("{what}: no estimate");
        };
        assert_eq!(found_at_risk, at_risk, "{what}: at risk");
        assert_relative(found, survival, &what);
        assert_relative(found_lower.unwrap(), lower, &format!("{what} lower"));
        assert_relative(found_upper.unwrap(), upper, &format!("{what} upper"));
    }
}

#[test]
fn period_window_matches_survfit() {
    let window = AnalysisWindow::Period {
        start: date("2015-01-01"),
        end: date("2018-01-01"),
    };
    let kept = follow_ups(&window);
    // R: "period patients 230, deaths 100".
    assert_eq!(kept.len(), 230);
    let deaths = kept.iter().filter(|f| f.follow_up.died).count();
    assert_eq!(deaths, 100);
    let curve =
        kaplan_meier_delayed(&kept, 0.95, IntervalScale::LogLog).unwrap();
    assert_curve(
        &curve,
        &[
            (1.0, 95, 0.736868192468, 0.644382169514, 0.808835647708),
            (3.0, 69, 0.455913740105, 0.367886040477, 0.539590172381),
            (5.0, 41, 0.338432971810, 0.259535323303, 0.418855730848),
        ],
        "period 2015-2017",
    );
}

#[test]
fn cohort_window_matches_survfit() {
    let window = AnalysisWindow::Cohort {
        first_year: 2008,
        last_year: 2010,
    };
    let kept = follow_ups(&window);
    // R: "cohort patients 141".
    assert_eq!(kept.len(), 141);
    let curve =
        kaplan_meier_delayed(&kept, 0.95, IntervalScale::LogLog).unwrap();
    assert_curve(
        &curve,
        &[
            (1.0, 107, 0.758865248227, 0.679373584612, 0.821231251496),
            (3.0, 55, 0.390070921986, 0.309685266860, 0.469499993488),
            (5.0, 33, 0.234042553191, 0.168003592139, 0.306558089027),
        ],
        "cohort 2008-2010",
    );
}
