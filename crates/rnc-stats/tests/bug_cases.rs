//! Known failure modes of survival and rate software, each pinned with the
//! minimal input that exposes it and the value worked out by hand.

use chrono::NaiveDate;
use rnc_stats::{
    ErrorKind, FollowUp, IntervalMethod, IntervalScale, SurvivalAt,
    age_standardised_rate, follow_up_days, kaplan_meier, split_by_age,
};

fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

#[test]
fn tied_days_from_dates_stay_tied() {
    // A and B are both followed for exactly 110 days. As decimal years
    // (year + day of year / days in year) A is 0.3013698630138606 and B
    // 0.3013698630136332, which would sort B's censoring before A's
    // death. In whole days the death comes first, so
    // S(110) = 1 − 1/4 = 0.75 (by hand), not 1 − 1/3.
    let rows = [
        ("2015-08-02", "2015-11-20", true),
        ("2011-03-14", "2011-07-02", false),
        ("2018-01-10", "2019-02-14", false),
        ("2016-06-01", "2017-07-06", false),
    ];
    let follow_ups: Vec<FollowUp> = rows
        .iter()
        .map(|&(diagnosis, exit, died)| {
            follow_up_days(date(diagnosis), date(exit), died).unwrap()
        })
        .collect();
    assert_eq!(follow_ups[0].days, 110);
    assert_eq!(follow_ups[1].days, 110);
    let curve = kaplan_meier(&follow_ups, 0.95, IntervalScale::LogLog).unwrap();
    assert_eq!(curve.at(110.0).survival(), Some(0.75));
    assert_eq!(curve.steps[0].at_risk, 4);
}

#[test]
fn negative_follow_up_never_enters() {
    let error = follow_up_days(date("2020-05-01"), date("2020-04-30"), true)
        .unwrap_err();
    assert!(matches!(
        error.kind(),
        ErrorKind::NegativeFollowUp { days: -1 }
    ));
}

#[test]
fn survival_beyond_follow_up_by_site() {
    // Survival at 365 and 1826 days by site, by hand. C25: deaths at 100,
    // 300 and 600 days, so S(365) = 1/3 and S(1826) = 0, a known 0. C71:
    // death at 200, censorings at 400 and 1000, so S(365) = 2/3 with 2 at
    // risk, and S(1826) is unknown (nobody followed), neither 2/3 nor an
    // error.
    let c25 = [(100, true), (300, true), (600, true)];
    let c71 = [(200, true), (400, false), (1000, false)];
    let curve = |rows: &[(u32, bool)]| {
        let follow_ups: Vec<FollowUp> = rows
            .iter()
            .map(|&(days, died)| FollowUp { days, died })
            .collect();
        kaplan_meier(&follow_ups, 0.95, IntervalScale::LogLog).unwrap()
    };
    let (c25, c71) = (curve(&c25), curve(&c71));

    assert!((c25.at(365.0).survival().unwrap() - 1.0 / 3.0).abs() < 1e-15);
    assert_eq!(c25.at(1826.0), SurvivalAt::ReachedZero { day: 600 });
    assert_eq!(c25.at(1826.0).survival(), Some(0.0));

    let SurvivalAt::Estimate {
        survival, at_risk, ..
    } = c71.at(365.0)
    else {
        panic!("C71 at 365 days: no estimate");
    };
    assert!((survival - 2.0 / 3.0).abs() < 1e-15);
    assert_eq!(at_risk, 2);
    assert_eq!(
        c71.at(1826.0),
        SurvivalAt::BeyondFollowUp { last_day: 1000 }
    );
    assert_eq!(c71.at(1826.0).survival(), None);
}

#[test]
fn person_time_before_first_band_kept() {
    // Born 2008-03-10, followed 2020-03-10 to 2025-03-10, bands 15-19 …
    // 85+. By hand: 1095 days before age 15 (2020-03-10 to 2023-03-10),
    // 731 days in 15-19 (2023-03-10 to 2025-03-10), 1826 in all
    // (nothing may vanish between input and tables).
    let bands: Vec<u32> = (15..=85).step_by(5).collect();
    let split = split_by_age(
        date("2008-03-10"),
        date("2020-03-10"),
        date("2025-03-10"),
        &bands,
    )
    .unwrap();
    assert_eq!(split.days_before_first_band, 1095);
    assert_eq!(split.days_in_band[0], 731);
    assert_eq!(split.days_in_band[1..].iter().sum::<i64>(), 0);
    assert_eq!(split.total_days, 1826);
    let inside: i64 = split.days_in_band.iter().sum();
    assert_eq!(inside + split.days_before_first_band, split.total_days);
}

#[test]
fn person_time_split_across_bands_adds_up() {
    // Born 1950-02-28, followed 2012-01-01 to 2021-01-01: turns 65 on
    // 2015-02-28 and 70 on 2020-02-28. By hand: 1154 days in 60-64, 1826
    // in 65-69, 308 in 70-74; 3288 in all.
    let bands: Vec<u32> = (15..=85).step_by(5).collect();
    let split = split_by_age(
        date("1950-02-28"),
        date("2012-01-01"),
        date("2021-01-01"),
        &bands,
    )
    .unwrap();
    assert_eq!(split.days_in_band[9], 1154);
    assert_eq!(split.days_in_band[10], 1826);
    assert_eq!(split.days_in_band[11], 308);
    assert_eq!(split.total_days, 3288);
    assert_eq!(split.days_before_first_band, 0);
}

const WEIGHTS: [f64; 3] = [0.5, 0.3, 0.2];

#[test]
fn zero_population_group_fails_alone() {
    // Group Q5 has no person-years at all: its ASR is not computable and
    // says why, while the other groups still compute.
    let error = age_standardised_rate(
        &[0.0; 3],
        &[0.0; 3],
        &WEIGHTS,
        0.95,
        IntervalMethod::FayFeuer,
    )
    .unwrap_err();
    assert!(matches!(error.kind(), ErrorKind::NoPersonYears { .. }));
    assert!(error.to_string().contains("no person-years"), "{error}");
    let q4 = age_standardised_rate(
        &[0.0; 3],
        &[2000.0, 1500.0, 500.0],
        &WEIGHTS,
        0.95,
        IntervalMethod::FayFeuer,
    );
    assert!(q4.is_ok());
}

#[test]
fn zero_cases_gamma_limits() {
    // Q4: no case. ASR 0, lower limit 0 (not NaN), and the Fay-Feuer upper
    // limit is the 97.5 % quantile of an exponential with mean max(w_i/n_i)
    // = 0.2/500: −ln(0.025) × 0.0004 × 1e5 = 147.5552 per 100 000 (closed
    // form).
    let rate = age_standardised_rate(
        &[0.0; 3],
        &[2000.0, 1500.0, 500.0],
        &WEIGHTS,
        0.95,
        IntervalMethod::FayFeuer,
    )
    .unwrap();
    assert_eq!(rate.rate, 0.0);
    assert_eq!(rate.lower, 0.0);
    let expected = -(0.025_f64.ln()) * 0.0004 * 1e5;
    assert!(
        (rate.upper - expected).abs() < 1e-9 * expected,
        "{}",
        rate.upper
    );
}

#[test]
fn national_denominators_stay_exact() {
    // Group N: weights 0.6 and 0.4 over 3 000 000 and 2 000 000
    // person-years. By hand: ASR = 0.6 × 50/3e6 + 0.4 × 200/2e6 = 5.0 per
    // 100 000; variance 0.36 × 50/9e12 + 0.16 × 200/4e12 = 1.0e-11 per
    // person-year², SE 0.316228 per 100 000. 3e6² overflows a 32-bit
    // integer, so every term must be computed in f64.
    let rate = age_standardised_rate(
        &[50.0, 200.0],
        &[3_000_000.0, 2_000_000.0],
        &[0.6, 0.4],
        0.95,
        IntervalMethod::FayFeuer,
    )
    .unwrap();
    assert!((rate.rate - 5.0).abs() < 1e-12);
    assert!((rate.variance - 1.0e-11 * 1e10).abs() < 1e-12);
    assert!((rate.standard_error() - 0.1f64.sqrt()).abs() < 1e-12);
}
