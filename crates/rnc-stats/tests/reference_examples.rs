//! Rates against published worked examples and peer computations in R.

use rnc_stats::{
    IntervalMethod, StandardPopulation, age_standardised_rate, crude_rate,
    cumulative_rate_0_74, cumulative_risk_0_74,
};

fn assert_close(found: f64, expected: f64, tolerance: f64, what: &str) {
    assert!(
        (found - expected).abs() <= tolerance,
        "{what}: found {found}, expected {expected} (tolerance {tolerance})"
    );
}

fn assert_significant(found: f64, expected: f64, digits: i32, what: &str) {
    let tolerance =
        0.5 * 10f64.powi(expected.abs().log10().floor() as i32 - digits + 1);
    assert_close(found, expected, tolerance, what);
}

/// Liver cancer, males, Calvados (registry 25002), 2007, from Rcan
/// `data/csu_registry_data_1.rda` (CI5-XII), as cases and person-years per
/// band 0-4 to 85+.
const CALVADOS_CASES: [f64; 18] = [
    0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 6.0, 8.0, 9.0, 4.0, 20.0,
    21.0, 9.0, 3.0,
];
const CALVADOS_PERSON_YEARS: [f64; 18] = [
    21117.0, 21213.0, 21006.0, 21997.0, 23063.0, 21571.0, 22521.0, 23121.0,
    22536.0, 22448.0, 23117.0, 22616.0, 15935.0, 11848.0, 11307.0, 9329.0,
    6459.0, 3651.0,
];

#[test]
fn calvados_liver_world_asr() {
    // Rcan inst/testdata/csu_asr_test1.rds: ASR (world) 13.41 per 100 000,
    // published to 2 decimals. The Fay-Feuer limits 10.51-17.45 and the
    // Tiwari upper limit 17.01 are derived from the same data by the
    // formulas of Fay & Feuer (1997) and Tiwari et al. (2006).
    let weights = StandardPopulation::WorldSegi1960.weights();
    let rate = age_standardised_rate(
        &CALVADOS_CASES,
        &CALVADOS_PERSON_YEARS,
        &weights,
        0.95,
        IntervalMethod::FayFeuer,
    )
    .unwrap();
    assert_close(rate.rate, 13.41, 0.005, "ASR world");
    assert_close(rate.lower, 10.51, 0.005, "Fay-Feuer lower");
    assert_close(rate.upper, 17.45, 0.005, "Fay-Feuer upper");
    assert_eq!(rate.cases, 82.0);

    let tiwari = age_standardised_rate(
        &CALVADOS_CASES,
        &CALVADOS_PERSON_YEARS,
        &weights,
        0.95,
        IntervalMethod::Tiwari,
    )
    .unwrap();
    assert_close(tiwari.rate, 13.41, 0.005, "ASR world (Tiwari)");
    assert_close(tiwari.lower, 10.51, 0.005, "Tiwari lower");
    assert_close(tiwari.upper, 17.01, 0.005, "Tiwari upper");
}

#[test]
fn calvados_liver_cumulative() {
    // Rcan inst/testdata/csu_cumrisk_test1.rds: cumulative risk 0-74
    // 1.67 % (2 decimals), cumulative rate 1.6867 % (4 decimals).
    let rate =
        cumulative_rate_0_74(&CALVADOS_CASES, &CALVADOS_PERSON_YEARS).unwrap();
    assert_close(rate.value, 1.6867, 0.00005, "cumulative rate 0-74");
    let risk =
        cumulative_risk_0_74(&CALVADOS_CASES, &CALVADOS_PERSON_YEARS).unwrap();
    assert_close(risk, 1.67, 0.005, "cumulative risk 0-74");
}

/// Down syndrome births, birth order 5+, by maternal age, and all births as
/// the standard: Fay & Feuer (1997) Table II, via the dsrTest vignette.
const DOWN_CASES: [f64; 6] = [0.0, 8.0, 63.0, 112.0, 262.0, 295.0];
const DOWN_BIRTHS: [f64; 6] =
    [327.0, 30666.0, 123419.0, 149919.0, 104088.0, 34392.0];
const DOWN_STANDARD: [f64; 6] =
    [319933.0, 931318.0, 786511.0, 488235.0, 237863.0, 61313.0];

#[test]
fn down_syndrome_fay_feuer() {
    // dsrTest vignette (Fay & Feuer 1997 data): DSR 75.52901 per 100 000,
    // 95 % gamma interval 67.70212-188.30017; compared to 5 significant
    // digits.
    let rate = age_standardised_rate(
        &DOWN_CASES,
        &DOWN_BIRTHS,
        &DOWN_STANDARD,
        0.95,
        IntervalMethod::FayFeuer,
    )
    .unwrap();
    assert_significant(rate.rate, 75.52901, 5, "DSR");
    assert_significant(rate.lower, 67.70212, 5, "gamma lower");
    assert_significant(rate.upper, 188.30017, 5, "gamma upper");
}

#[test]
fn down_syndrome_tiwari_upper() {
    // Tiwari, Clegg & Zou (2006) upper limit for the same data, 112.858
    // (asht wspoissonTest wmtype = "tcz", derived).
    let rate = age_standardised_rate(
        &DOWN_CASES,
        &DOWN_BIRTHS,
        &DOWN_STANDARD,
        0.95,
        IntervalMethod::Tiwari,
    )
    .unwrap();
    assert_close(rate.upper, 112.858, 0.0005, "Tiwari upper");
    assert_significant(rate.lower, 67.70212, 5, "Tiwari lower");
}

#[test]
fn esp2013_nineteen_groups() {
    // PHEindicatormethods tests/testthat/testdata_DSR_ISR.xlsx, testdata_big
    // against the 2013 European standard in 19 groups to 90+: DSR
    // 10 430.247991 per 100 000.
    let cases = [
        127.0, 25.0, 18.0, 21.0, 12.0, 27.0, 48.0, 27.0, 29.0, 32.0, 32.0,
        34.0, 45.0, 65.0, 38.0, 68.0, 74.0, 82.0, 91.0,
    ];
    let population = [
        636.0, 558.0, 609.0, 543.0, 384.0, 594.0, 669.0, 843.0, 660.0, 576.0,
        606.0, 522.0, 426.0, 273.0, 300.0, 288.0, 153.0, 123.0, 207.0,
    ];
    // ESP 2013 with its own 85-89 (1 500) and 90+ (1 000) groups.
    let weights = [
        5000.0, 5500.0, 5500.0, 5500.0, 6000.0, 6000.0, 6500.0, 7000.0, 7000.0,
        7000.0, 7000.0, 6500.0, 6000.0, 5500.0, 5000.0, 4000.0, 2500.0, 1500.0,
        1000.0,
    ];
    let rate = age_standardised_rate(
        &cases,
        &population,
        &weights,
        0.95,
        IntervalMethod::FayFeuer,
    )
    .unwrap();
    assert_close(rate.rate, 10_430.247991, 1e-6, "DSR ESP 2013");
}

#[test]
fn crude_rate_exact_poisson() {
    // R `poisson.test(10)$conf.int`: 4.795389 18.390356 for 10 events in
    // one unit of time, i.e. per 100 000 for 10 cases in 100 000
    // person-years.
    let rate = crude_rate(10.0, 100_000.0, 0.95).unwrap();
    assert_eq!(rate.value, 10.0);
    assert_close(rate.lower, 4.795389, 1e-6, "lower");
    assert_close(rate.upper, 18.390356, 1e-6, "upper");

    // R `poisson.test(0)$conf.int`: 0 3.688879.
    let none = crude_rate(0.0, 100_000.0, 0.95).unwrap();
    assert_eq!(none.lower, 0.0);
    assert_close(none.upper, 3.688879, 1e-6, "upper with no case");
}
