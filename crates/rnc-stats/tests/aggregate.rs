//! Rates by stratum from an aggregate CSV, with the region derived from
//! the département, against R.
//!
//! Data and expected values: `scripts/aggregate_expected.R` (R 4.2.2,
//! epitools 0.5-10.1) wrote `tests/data/aggregate_by_departement.csv`
//! (synthetic counts, seed 20261204) and printed, per sex and region, the
//! crude rate with `poisson.test` limits and `epitools::ageadjust.direct`
//! with the Segi 1960 world standard, to 12 significant digits.
//! Tolerance: 1e-9 relative.

use std::path::PathBuf;

use rnc_stats::{
    AggregateColumns, ErrorKind, StandardPopulation, rates_from_aggregate_csv,
};

fn fixture() -> std::fs::File {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/aggregate_by_departement.csv");
    std::fs::File::open(path).unwrap()
}

fn columns(by: &[&str], region_from: Option<&str>) -> AggregateColumns {
    AggregateColumns {
        age_group: "age_group".to_owned(),
        cases: "cases".to_owned(),
        person_years: "person_years".to_owned(),
        by: by.iter().map(|&name| name.to_owned()).collect(),
        region_from: region_from.map(str::to_owned),
    }
}

fn assert_relative(found: f64, expected: f64, what: &str) {
    assert!(
        (found - expected).abs() <= 1e-9 * expected.abs(),
        "{what}: found {found:.12}, expected {expected:.12} (relative tolerance 1e-9)"
    );
}

#[test]
fn region_rates_match_epitools() {
    let rows = rates_from_aggregate_csv(
        fixture(),
        "aggregate_by_departement.csv",
        &columns(&["sex"], Some("departement")),
        &StandardPopulation::WorldSegi1960,
        0.95,
    )
    .unwrap();
    // (sex, region, cases, person-years, crude, lower, upper, ASR, lower,
    // upper) as printed by the script.
    let expected = [
        (
            "female",
            "53",
            731.0,
            735_897.0,
            99.3345536128,
            92.2631630662,
            106.804146285,
            26.579235965,
            23.8606601034,
            29.8917877132,
        ),
        (
            "female",
            "84",
            1710.0,
            1_440_459.0,
            118.712160499,
            113.151610268,
            124.475279664,
            26.2699447907,
            24.2351647331,
            28.5649916102,
        ),
        (
            "male",
            "53",
            1146.0,
            751_006.0,
            152.595318812,
            143.887299555,
            161.692566841,
            31.9306086922,
            29.0424518491,
            35.6357079618,
        ),
        (
            "male",
            "84",
            1838.0,
            1_448_568.0,
            126.883929508,
            121.148868552,
            132.820367835,
            29.4297061729,
            27.3729575152,
            31.6955109633,
        ),
    ];
    assert_eq!(rows.len(), expected.len());
    for (row, (sex, region, cases, py, crude, cl, cu, asr, al, au)) in
        rows.iter().zip(expected)
    {
        let what = format!("{sex} region {region}");
        assert_eq!(row.stratum, vec![sex.to_owned(), region.to_owned()]);
        assert_eq!(row.cases, cases, "{what}");
        assert_eq!(row.person_years, py, "{what}");
        assert_relative(row.crude.value, crude, &format!("{what} crude"));
        assert_relative(row.crude.lower, cl, &format!("{what} crude lower"));
        assert_relative(row.crude.upper, cu, &format!("{what} crude upper"));
        let fay_feuer = row.standardised_fay_feuer.as_ref().unwrap();
        assert_relative(fay_feuer.rate, asr, &format!("{what} ASR"));
        assert_relative(fay_feuer.lower, al, &format!("{what} ASR lower"));
        assert_relative(fay_feuer.upper, au, &format!("{what} ASR upper"));
        // Tiwari changes only the upper limit, and never widens it.
        let tiwari = row.standardised_tiwari.as_ref().unwrap();
        assert_eq!(tiwari.lower, fay_feuer.lower, "{what}");
        assert!(tiwari.upper <= fay_feuer.upper, "{what}");
        assert!(row.truncated_35_64.is_some(), "{what}");
        assert!(row.cumulative_risk_0_74.is_some(), "{what}");
    }
}

#[test]
fn departement_strata_sum_to_regions() {
    let by_departement = rates_from_aggregate_csv(
        fixture(),
        "aggregate_by_departement.csv",
        &columns(&["departement"], None),
        &StandardPopulation::WorldSegi1960,
        0.95,
    )
    .unwrap();
    let regions = rates_from_aggregate_csv(
        fixture(),
        "aggregate_by_departement.csv",
        &columns(&[], Some("departement")),
        &StandardPopulation::WorldSegi1960,
        0.95,
    )
    .unwrap();
    let cases = |code: &str| {
        by_departement
            .iter()
            .find(|row| row.stratum == vec![code.to_owned()])
            .unwrap()
            .cases
    };
    let region = |code: &str| {
        regions
            .iter()
            .find(|row| row.stratum == vec![code.to_owned()])
            .unwrap()
            .cases
    };
    assert_eq!(region("84"), cases("69") + cases("38"));
    assert_eq!(region("53"), cases("35"));
}

#[test]
fn missing_column_names_line_one() {
    let error = rates_from_aggregate_csv(
        fixture(),
        "aggregate_by_departement.csv",
        &columns(&["year"], None),
        &StandardPopulation::WorldSegi1960,
        0.95,
    )
    .unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("aggregate_by_departement.csv: line 1: column year"),
        "{error}"
    );
}

#[test]
fn unknown_age_group_rejected() {
    let text = "age_group,cases,person_years\n0-4,1,100\n90+,2,50\n";
    let error = rates_from_aggregate_csv(
        text.as_bytes(),
        "bands.csv",
        &columns(&[], None),
        &StandardPopulation::WorldSegi1960,
        0.95,
    )
    .unwrap_err();
    assert!(matches!(
        error.kind(),
        ErrorKind::InvalidAggregate { line: 3, .. }
    ));
}

#[test]
fn custom_standard_groups_in_file_order() {
    // Fay & Feuer (1997) Table II, birth order 5+ (dsrTest vignette): DSR
    // 75.52901 per 100 000, 95 % gamma interval 67.70212-188.30017.
    let data = "age_group,cases,person_years\n<20,0,327\n20-24,8,30666\n\
                25-29,63,123419\n30-34,112,149919\n35-39,262,104088\n\
                40+,295,34392\n";
    let standard = "age_group,weight\n<20,319933\n20-24,931318\n\
                    25-29,786511\n30-34,488235\n35-39,237863\n40+,61313\n";
    let standard =
        StandardPopulation::from_csv(standard.as_bytes(), "births.csv")
            .unwrap();
    let rows = rates_from_aggregate_csv(
        data.as_bytes(),
        "down.csv",
        &columns(&[], None),
        &standard,
        0.95,
    )
    .unwrap();
    let rate = rows[0].standardised_fay_feuer.as_ref().unwrap();
    assert!((rate.rate - 75.52901).abs() < 5e-6, "{}", rate.rate);
    assert!((rate.lower - 67.70212).abs() < 5e-6, "{}", rate.lower);
    assert!((rate.upper - 188.30017).abs() < 5e-6, "{}", rate.upper);
    assert_eq!(rows[0].truncated_35_64, None);
}
