//! Statistics on a cohort CSV against R on the same file.
//!
//! `tests/data/cohort.csv`, `cohort_life_table.csv` and
//! `cohort_population.csv` are synthetic. `scripts/cohort_expected.R` wrote
//! them and printed every expected value below (R 4.2.2, survival 3.5-3,
//! relsurv 2.2-9, epitools 0.5-10.1). Survival comes from
//! `survival::survfit` (log-log limits) and `relsurv::rs.surv` (log
//! limits), the ICSS 1 standardisation from rs.surv by age group,
//! prevalence from counting in R, and incidence from
//! `epitools::ageadjust.direct` and `poisson.test`. R prints 12 decimals,
//! so the tolerance is 1e-9 relative.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rnc_stats::{
    AgeUnit, AggregateColumns, AnalysisWindow, CohortColumns, CohortRecord,
    ErrorKind, LifeTable, StandardPopulation, SurvivalMethod, cohort_incidence,
    cohort_prevalence, cohort_survival, read_cohort_csv,
};

const COHORT: &str = include_str!("data/cohort.csv");
const LIFE_TABLE: &str = include_str!("data/cohort_life_table.csv");
const POPULATION: &str = include_str!("data/cohort_population.csv");
const TOLERANCE: f64 = 1e-9;

const R_SURVIVAL: [(&str, SurvivalMethod, f64, u64, f64, f64, f64); 27] = [
    (
        "all",
        SurvivalMethod::KaplanMeier,
        1.0,
        455,
        0.758333333333,
        0.722022259910,
        0.790604695765,
    ),
    (
        "all",
        SurvivalMethod::KaplanMeier,
        3.0,
        286,
        0.476666666667,
        0.436177506054,
        0.515990577355,
    ),
    (
        "all",
        SurvivalMethod::KaplanMeier,
        5.0,
        130,
        0.304951778336,
        0.266875541941,
        0.343799678156,
    ),
    (
        "all",
        SurvivalMethod::EdererII,
        1.0,
        455,
        0.778416744710,
        0.744079712166,
        0.814338327652,
    ),
    (
        "all",
        SurvivalMethod::EdererII,
        3.0,
        286,
        0.516763197959,
        0.475268576856,
        0.561880620284,
    ),
    (
        "all",
        SurvivalMethod::EdererII,
        5.0,
        130,
        0.349732064327,
        0.308294916523,
        0.396738675415,
    ),
    (
        "all",
        SurvivalMethod::PoharPerme,
        1.0,
        455,
        0.778273565235,
        0.743803159457,
        0.814341448597,
    ),
    (
        "all",
        SurvivalMethod::PoharPerme,
        3.0,
        286,
        0.519154704348,
        0.477155639766,
        0.564850511206,
    ),
    (
        "all",
        SurvivalMethod::PoharPerme,
        5.0,
        130,
        0.349441103363,
        0.305911408855,
        0.399164860103,
    ),
    (
        "male",
        SurvivalMethod::KaplanMeier,
        1.0,
        230,
        0.730158730159,
        0.677510476972,
        0.775659590082,
    ),
    (
        "male",
        SurvivalMethod::KaplanMeier,
        3.0,
        153,
        0.485714285714,
        0.429473074698,
        0.539565496939,
    ),
    (
        "male",
        SurvivalMethod::KaplanMeier,
        5.0,
        68,
        0.299362311619,
        0.247866465345,
        0.352437705473,
    ),
    (
        "male",
        SurvivalMethod::EdererII,
        1.0,
        230,
        0.751503394639,
        0.702815612892,
        0.803564038411,
    ),
    (
        "male",
        SurvivalMethod::EdererII,
        3.0,
        153,
        0.530390455053,
        0.473578447657,
        0.594017815219,
    ),
    (
        "male",
        SurvivalMethod::EdererII,
        5.0,
        68,
        0.346652178239,
        0.291109186872,
        0.412792649965,
    ),
    (
        "male",
        SurvivalMethod::PoharPerme,
        1.0,
        230,
        0.751485031592,
        0.702603035482,
        0.803767880563,
    ),
    (
        "male",
        SurvivalMethod::PoharPerme,
        3.0,
        153,
        0.532610365012,
        0.474811036935,
        0.597445675968,
    ),
    (
        "male",
        SurvivalMethod::PoharPerme,
        5.0,
        68,
        0.352704015769,
        0.293979299206,
        0.423159464205,
    ),
    (
        "female",
        SurvivalMethod::KaplanMeier,
        1.0,
        225,
        0.789473684211,
        0.737396228336,
        0.832406343195,
    ),
    (
        "female",
        SurvivalMethod::KaplanMeier,
        3.0,
        133,
        0.466666666667,
        0.407818952592,
        0.523297664916,
    ),
    (
        "female",
        SurvivalMethod::KaplanMeier,
        5.0,
        62,
        0.312271582434,
        0.256567190630,
        0.369435883410,
    ),
    (
        "female",
        SurvivalMethod::EdererII,
        1.0,
        225,
        0.807612996337,
        0.760712560988,
        0.857404998025,
    ),
    (
        "female",
        SurvivalMethod::EdererII,
        3.0,
        133,
        0.501969591489,
        0.443545056509,
        0.568089908977,
    ),
    (
        "female",
        SurvivalMethod::EdererII,
        5.0,
        62,
        0.354595407256,
        0.295967519474,
        0.424836830307,
    ),
    (
        "female",
        SurvivalMethod::PoharPerme,
        1.0,
        225,
        0.807393859846,
        0.760343062475,
        0.857356208123,
    ),
    (
        "female",
        SurvivalMethod::PoharPerme,
        3.0,
        133,
        0.503967736687,
        0.445127955952,
        0.570585325469,
    ),
    (
        "female",
        SurvivalMethod::PoharPerme,
        5.0,
        62,
        0.346734052886,
        0.285758711678,
        0.420720343834,
    ),
];
const R_ICSS: [(&str, f64, f64, f64, f64); 9] = [
    ("all", 1.0, 0.776061948747, 0.732593965558, 0.819529931936),
    ("all", 3.0, 0.514670532782, 0.460342159620, 0.568998905944),
    ("all", 5.0, 0.326231058015, 0.270357501792, 0.382104614237),
    ("male", 1.0, 0.747509263588, 0.682821957409, 0.812196569767),
    ("male", 3.0, 0.518077262811, 0.440063130435, 0.596091395187),
    ("male", 5.0, 0.326215075436, 0.246652080350, 0.405778070521),
    (
        "female",
        1.0,
        0.801818818290,
        0.743465977334,
        0.860171659245,
    ),
    (
        "female",
        3.0,
        0.495281065850,
        0.421541739803,
        0.569020391897,
    ),
    (
        "female",
        5.0,
        0.312957666968,
        0.239406087927,
        0.386509246010,
    ),
];

fn columns(by: &[&str], use_time: bool) -> CohortColumns {
    CohortColumns {
        diagnosis_date: "date_of_diagnosis".to_owned(),
        exit_date: (!use_time).then(|| "exit_date".to_owned()),
        time: use_time.then(|| "time".to_owned()),
        status: "status".to_owned(),
        age: "age_days".to_owned(),
        age_unit: AgeUnit::Days,
        sex: "sex".to_owned(),
        by: by.iter().map(|name| (*name).to_owned()).collect(),
        region_from: None,
    }
}

fn records(by: &[&str]) -> Vec<CohortRecord> {
    read_cohort_csv(COHORT.as_bytes(), "cohort.csv", &columns(by, false))
        .unwrap()
}

fn life_table() -> LifeTable {
    LifeTable::from_csv(LIFE_TABLE.as_bytes(), "cohort_life_table.csv").unwrap()
}

fn assert_close(found: f64, expected: f64, what: &str) {
    let relative = (found - expected).abs() / expected.abs();
    assert!(
        relative <= TOLERANCE,
        "{what}: found {found}, R gives {expected} (relative difference {relative:e})"
    );
}

fn times() -> [f64; 3] {
    [1.0, 3.0, 5.0]
}

#[test]
fn survival_matches_r_overall_and_by_sex() {
    let table = life_table();
    let mut by_stratum = BTreeMap::new();
    for stratum in
        cohort_survival(&records(&[]), Some(&table), None, &times(), 0.95)
            .unwrap()
    {
        by_stratum.insert("all".to_owned(), stratum);
    }
    for stratum in
        cohort_survival(&records(&["sex"]), Some(&table), None, &times(), 0.95)
            .unwrap()
    {
        by_stratum.insert(stratum.stratum[0].clone(), stratum);
    }
    assert_eq!(by_stratum.len(), 3);

    for (name, method, years, at_risk, survival, lower, upper) in R_SURVIVAL {
        let what = format!("{name} {} at {years} years", method.label());
        let row = by_stratum[name]
            .rows
            .iter()
            .find(|row| row.method == method && row.years == years)
            .unwrap_or_else(|| panic!("{what}: no row"));
        assert_eq!(row.at_risk, Some(at_risk), "{what}: at risk");
        assert_eq!(row.status, "estimate", "{what}: status");
        assert_close(row.survival.unwrap(), survival, &what);
        assert_close(row.lower.unwrap(), lower, &format!("{what} lower"));
        assert_close(row.upper.unwrap(), upper, &format!("{what} upper"));
    }
    for (name, years, survival, lower, upper) in R_ICSS {
        let what = format!("{name} ICSS 1 at {years} years");
        let row = by_stratum[name]
            .rows
            .iter()
            .find(|row| {
                row.method == SurvivalMethod::PoharPermeIcss1
                    && row.years == years
            })
            .unwrap_or_else(|| panic!("{what}: no row"));
        assert_close(row.survival.unwrap(), survival, &what);
        assert_close(row.lower.unwrap(), lower, &format!("{what} lower"));
        assert_close(row.upper.unwrap(), upper, &format!("{what} upper"));
    }
}

#[test]
fn time_column_equals_exit_dates() {
    let from_time =
        read_cohort_csv(COHORT.as_bytes(), "cohort.csv", &columns(&[], true))
            .unwrap();
    assert_eq!(from_time, records(&[]));
}

#[test]
fn period_window_matches_r_delayed_entry() {
    // R: survfit(Surv(entry, exit, status) ~ 1) on the follow-up inside
    // 2017-01-01 to 2019-12-31, 279 patients.
    let expected = [
        (1.0, 69, 0.933797909408, 0.802104482826, 0.978949224479),
        (3.0, 120, 0.590670095275, 0.489657982183, 0.678270715265),
        (5.0, 73, 0.355107198024, 0.278760683608, 0.432081637504),
    ];
    let window = AnalysisWindow::Period {
        start: NaiveDate::from_ymd_opt(2017, 1, 1).unwrap(),
        end: NaiveDate::from_ymd_opt(2020, 1, 1).unwrap(),
    };
    let strata =
        cohort_survival(&records(&[]), None, Some(&window), &times(), 0.95)
            .unwrap();
    assert_eq!(strata.len(), 1);
    assert_eq!(strata[0].excluded["outside the analysis window"], 600 - 279);
    // Without a life table only Kaplan-Meier is estimated.
    assert_eq!(strata[0].rows.len(), 3);
    for ((years, at_risk, survival, lower, upper), row) in
        expected.into_iter().zip(&strata[0].rows)
    {
        let what = format!("period Kaplan-Meier at {years} years");
        assert_eq!(row.method, SurvivalMethod::KaplanMeier);
        assert_eq!(row.at_risk, Some(at_risk), "{what}: at risk");
        assert_close(row.survival.unwrap(), survival, &what);
        assert_close(row.lower.unwrap(), lower, &format!("{what} lower"));
        assert_close(row.upper.unwrap(), upper, &format!("{what} upper"));
    }
}

#[test]
fn prevalence_matches_r_count() {
    // R: alive at 2017-06-30 (exit after it), diagnosed on or before it:
    // 254; diagnosed after 2016-06-30: 33, after 2014-06-30: 135, after
    // 2012-06-30: 196.
    let index = NaiveDate::from_ymd_opt(2017, 6, 30).unwrap();
    let strata = cohort_prevalence(&records(&[]), index, &[1, 3, 5]).unwrap();
    assert_eq!(strata.len(), 1);
    let prevalence = &strata[0].1;
    assert_eq!(prevalence.complete, 254);
    assert_eq!(prevalence.partial, vec![(1, 33), (3, 135), (5, 196)]);
}

#[test]
fn incidence_matches_epitools() {
    // R: epitools::ageadjust.direct(count, pyears, stdpop = world) and
    // poisson.test, per 100 000, by sex.
    let expected = [
        (
            "female",
            285.0,
            [28.999192092683, 25.729822399323, 32.568916522851],
            [23.169176017331, 19.978446826221, 26.902008109133],
        ),
        (
            "male",
            315.0,
            [32.149877626339, 28.697155233462, 35.903590336195],
            [25.686681379374, 22.395565286203, 29.545369292161],
        ),
    ];
    let population = AggregateColumns {
        age_group: "age_group".to_owned(),
        cases: String::new(),
        person_years: "person_years".to_owned(),
        by: vec!["sex".to_owned()],
        region_from: None,
    };
    let rows = cohort_incidence(
        &records(&["sex"]),
        POPULATION.as_bytes(),
        "cohort_population.csv",
        &population,
        &StandardPopulation::WorldSegi1960,
        0.95,
    )
    .unwrap();
    assert_eq!(rows.len(), 2);
    for ((sex, cases, crude, asr), row) in expected.into_iter().zip(&rows) {
        assert_eq!(row.stratum, vec![sex.to_owned()]);
        assert_eq!(row.cases, cases);
        assert_close(row.crude.value, crude[0], &format!("{sex} crude"));
        assert_close(row.crude.lower, crude[1], &format!("{sex} crude lower"));
        assert_close(row.crude.upper, crude[2], &format!("{sex} crude upper"));
        let standardised = row.standardised_fay_feuer.as_ref().unwrap();
        assert_close(standardised.rate, asr[0], &format!("{sex} ASR"));
        assert_close(standardised.lower, asr[1], &format!("{sex} ASR lower"));
        assert_close(standardised.upper, asr[2], &format!("{sex} ASR upper"));
    }
}

#[test]
fn invalid_rows_name_line_and_column() {
    let text = "date_of_diagnosis,exit_date,status,age_days,sex\n\
        2015-01-01,2016-01-01,1,20000,male\n\
        2015-01-01,2014-01-01,0,20000,male\n";
    let error =
        read_cohort_csv(text.as_bytes(), "bad.csv", &columns(&[], false))
            .unwrap_err();
    assert!(matches!(
        error.kind(),
        ErrorKind::InvalidCohort { line: 3, .. }
    ));
    // The message names the rule, never the dates.
    assert!(!error.to_string().contains("2014"));

    let text = "date_of_diagnosis,exit_date,status,age_days,sex\n\
        2015-01-01,2016-01-01,2,20000,male\n";
    let error =
        read_cohort_csv(text.as_bytes(), "bad.csv", &columns(&[], false))
            .unwrap_err();
    assert!(error.to_string().contains("line 2"), "{error}");
    assert!(error.to_string().contains("status"), "{error}");

    let error =
        read_cohort_csv(text.as_bytes(), "bad.csv", &columns(&[], true))
            .unwrap_err();
    assert!(
        error.to_string().contains("column time is missing"),
        "{error}"
    );
}

#[test]
fn unknown_sex_names_the_stratum() {
    let text = "date_of_diagnosis,exit_date,status,age_days,sex,site\n\
        2015-01-01,2016-01-01,1,20000,unknown,colon\n";
    let records =
        read_cohort_csv(text.as_bytes(), "odd.csv", &columns(&["site"], false))
            .unwrap();
    let error =
        cohort_survival(&records, Some(&life_table()), None, &times(), 0.95)
            .unwrap_err();
    assert!(
        error.to_string().starts_with("stratum colon: sex"),
        "{error}"
    );
}

#[test]
fn zero_days_and_window_exclusions_counted() {
    // One death on the day of diagnosis, one patient who left before the
    // period, and one inside it.
    let text = "date_of_diagnosis,exit_date,status,age_days,sex\n\
        2015-01-01,2015-01-01,1,20000,male\n\
        2015-01-01,2016-06-01,1,20000,male\n\
        2017-03-01,2018-01-01,0,20000,male\n";
    let records =
        read_cohort_csv(text.as_bytes(), "small.csv", &columns(&[], false))
            .unwrap();
    let window = AnalysisWindow::Period {
        start: NaiveDate::from_ymd_opt(2017, 1, 1).unwrap(),
        end: NaiveDate::from_ymd_opt(2018, 1, 1).unwrap(),
    };
    let strata =
        cohort_survival(&records, None, Some(&window), &[0.5], 0.95).unwrap();
    assert_eq!(strata[0].excluded["zero days of follow-up"], 1);
    assert_eq!(strata[0].excluded["outside the analysis window"], 1);
    assert_eq!(strata[0].rows[0].patients, 1);
}
