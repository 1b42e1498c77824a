//! Annual percent change and joinpoint trends.

use rnc_stats::{
    ErrorKind, JoinpointOptions, annual_percent_change, joinpoint_regression,
};

fn assert_close(found: f64, expected: f64, tolerance: f64, what: &str) {
    assert!(
        (found - expected).abs() <= tolerance,
        "{what}: found {found}, expected {expected} (tolerance {tolerance})"
    );
}

/// Rcan `inst/testdata/csu_eapc_test1.rds`: Australia, New South Wales,
/// males, 1983-2007, world ASR per 100 000 with Rcan's correction for
/// unknown age, rounded to 2 decimals.
const NSW_ASR: [f64; 25] = [
    1.35, 1.52, 1.74, 2.07, 2.49, 1.91, 1.97, 2.33, 3.08, 2.89, 3.92, 3.55,
    3.82, 3.41, 3.64, 3.94, 3.98, 4.34, 4.55, 4.80, 5.23, 5.40, 5.73, 5.73,
    5.07,
];

fn nsw_years() -> Vec<f64> {
    (1983..=2007).map(f64::from).collect()
}

#[test]
fn eapc_matches_rcan() {
    // Rcan csu_eapc on the series above: EAPC 5.801331 % (95 % CI
    // 5.067877-6.539906), OLS of ln(ASR) on year with the normal quantile.
    // Tolerance 5e-7 (the reference has 6 decimals).
    let trend = annual_percent_change(&nsw_years(), &NSW_ASR, 0.95).unwrap();
    assert_close(trend.percent_change, 5.801331, 5e-7, "EAPC");
    assert_close(trend.lower, 5.067877, 5e-7, "EAPC lower");
    assert_close(trend.upper, 6.539906, 5e-7, "EAPC upper");
}

#[test]
fn eapc_rejects_zero_rate() {
    let mut rates = NSW_ASR;
    rates[4] = 0.0;
    let error = annual_percent_change(&nsw_years(), &rates, 0.95).unwrap_err();
    assert!(matches!(error.kind(), ErrorKind::InvalidTrend { .. }));
    assert!(error.to_string().contains("1987"), "{error}");
}

/// Rates with a known change of slope in 2000: +5 % a year from 1990 to
/// 2000 and −3 % a year from 2000 to 2012, times a fixed ±1 % pattern of
/// noise so that the fit is not exact.
fn two_segment_series() -> (Vec<f64>, Vec<f64>) {
    let years: Vec<f64> = (1990..=2012).map(f64::from).collect();
    let up = 1.05_f64.ln();
    let down = 0.97_f64.ln();
    let rates = years
        .iter()
        .enumerate()
        .map(|(i, &year)| {
            let log_rate = if year <= 2000.0 {
                up * (year - 1990.0)
            } else {
                up * 10.0 + down * (year - 2000.0)
            };
            let noise = if i % 2 == 0 { 1.01 } else { 0.99 };
            50.0 * log_rate.exp() * noise
        })
        .collect();
    (years, rates)
}

#[test]
fn joinpoint_recovers_known_change() {
    // Expected values from the generator above: one joinpoint at 2000, APC
    // +5 % then −3 %. The ±1 % noise moves the APCs by less than 0.3
    // points.
    let (years, rates) = two_segment_series();
    let fit =
        joinpoint_regression(&years, &rates, &JoinpointOptions::default())
            .unwrap();
    assert_eq!(fit.joinpoints, vec![2000.0]);
    assert_eq!(fit.segments.len(), 2);
    assert_close(fit.segments[0].trend.percent_change, 5.0, 0.3, "APC 1");
    assert_close(fit.segments[1].trend.percent_change, -3.0, 0.3, "APC 2");
    for segment in &fit.segments {
        assert!(segment.trend.lower < segment.trend.percent_change);
        assert!(segment.trend.percent_change < segment.trend.upper);
    }
    let bic_zero = fit.bic[0].unwrap();
    let bic_one = fit.bic[1].unwrap();
    assert!(bic_one < bic_zero, "BIC {bic_one} not below {bic_zero}");
}

#[test]
fn aapc_weights_segments_by_length() {
    // AAPC over 1990-2012 = 100 (exp((10 b_1 + 12 b_2) / 22) − 1) with the
    // fitted slopes; within one segment it is that segment's APC.
    let (years, rates) = two_segment_series();
    let fit =
        joinpoint_regression(&years, &rates, &JoinpointOptions::default())
            .unwrap();
    let b1 = fit.segments[0].trend.slope;
    let b2 = fit.segments[1].trend.slope;
    let whole = fit.average_annual_percent_change(1990.0, 2012.0).unwrap();
    let expected = 100.0 * (((10.0 * b1 + 12.0 * b2) / 22.0).exp() - 1.0);
    assert_close(whole.percent_change, expected, 1e-12, "AAPC 1990-2012");
    assert!(whole.lower < whole.percent_change);
    let inside = fit.average_annual_percent_change(2002.0, 2010.0).unwrap();
    assert_close(
        inside.percent_change,
        fit.segments[1].trend.percent_change,
        1e-12,
        "AAPC inside segment 2",
    );
    assert_close(
        inside.upper,
        fit.segments[1].trend.upper,
        1e-12,
        "AAPC upper inside segment 2",
    );
    assert!(fit.average_annual_percent_change(1985.0, 2000.0).is_err());
}

#[test]
fn joinpoint_keeps_straight_line() {
    // The Rcan series has no marked change of slope; with no joinpoint the
    // fit is the EAPC's own regression, so the slopes agree.
    let options = JoinpointOptions {
        max_joinpoints: 0,
        ..JoinpointOptions::default()
    };
    let fit = joinpoint_regression(&nsw_years(), &NSW_ASR, &options).unwrap();
    let eapc = annual_percent_change(&nsw_years(), &NSW_ASR, 0.95).unwrap();
    assert!(fit.joinpoints.is_empty());
    assert_close(fit.segments[0].trend.slope, eapc.slope, 1e-12, "slope");
    assert_close(fit.segments[0].trend.std_err, eapc.std_err, 1e-12, "SE");
}

#[test]
fn fitted_rate_follows_noise_free_series() {
    // Without the ±1 % noise, the generator above is exactly the
    // two-segment model, so the fitted rates are the generated ones.
    let years: Vec<f64> = (1990..=2012).map(f64::from).collect();
    let rate = |year: f64| {
        let log_rate = if year <= 2000.0 {
            1.05_f64.ln() * (year - 1990.0)
        } else {
            1.05_f64.ln() * 10.0 + 0.97_f64.ln() * (year - 2000.0)
        };
        50.0 * log_rate.exp()
    };
    let rates: Vec<f64> = years.iter().map(|&year| rate(year)).collect();
    let fit =
        joinpoint_regression(&years, &rates, &JoinpointOptions::default())
            .unwrap();
    assert_eq!(fit.joinpoints, vec![2000.0]);
    for &year in &[1990.0, 1995.5, 2000.0, 2006.0, 2012.0] {
        let expected = rate(year);
        assert_close(fit.fitted_rate(year), expected, 1e-9 * expected, "fit");
    }
}
