//! Standardised incidence ratios against R.

use rnc_stats::{ErrorKind, expected_cases, standardised_ratio};

fn assert_relative(found: f64, expected: f64, what: &str) {
    let tolerance = 1e-9 * expected.abs().max(1e-300);
    assert!(
        (found - expected).abs() <= tolerance,
        "{what}: found {found:.12}, expected {expected:.12} (relative tolerance 1e-9)"
    );
}

#[test]
fn ratios_match_r() {
    // scripts/indirect_expected.R (R 4.2.2): exact limits from
    // poisson.test(O, E)$conf.int, Byar limits from the closed formula,
    // printed to 12 decimals.
    let cases = [
        (
            23.0,
            15.3,
            0.952942943598,
            2.255640058486,
            0.952638606445,
            2.255739234180,
        ),
        (
            4.0,
            10.2,
            0.106849546434,
            1.004077321118,
            0.105504941977,
            1.003995366580,
        ),
        (0.0, 2.5, 0.0, 1.475551781646, 0.0, 1.467204732870),
        (
            150.0,
            120.4,
            1.054453166954,
            1.461936595491,
            1.054440809935,
            1.461944836228,
        ),
    ];
    for (
        observed,
        expected,
        exact_lower,
        exact_upper,
        byar_lower,
        byar_upper,
    ) in cases
    {
        let what = format!("O {observed} E {expected}");
        let ratio = standardised_ratio(observed, expected, 0.95).unwrap();
        assert_relative(
            ratio.ratio,
            observed / expected,
            &format!("{what} ratio"),
        );
        assert_relative(
            ratio.exact_lower,
            exact_lower,
            &format!("{what} exact lower"),
        );
        assert_relative(
            ratio.exact_upper,
            exact_upper,
            &format!("{what} exact upper"),
        );
        assert_relative(
            ratio.byar_lower,
            byar_lower,
            &format!("{what} Byar lower"),
        );
        assert_relative(
            ratio.byar_upper,
            byar_upper,
            &format!("{what} Byar upper"),
        );
    }
}

#[test]
fn expected_cases_sum_groups() {
    // 20 000 person-years at 50 per 100 000 and 5 000 at 400: 10 + 20.
    let expected =
        expected_cases(&[20_000.0, 5_000.0], &[50.0, 400.0]).unwrap();
    assert!((expected - 30.0).abs() < 1e-12);
    let error = expected_cases(&[1.0], &[1.0, 2.0]).unwrap_err();
    assert!(matches!(error.kind(), ErrorKind::LengthMismatch { .. }));
    let error = standardised_ratio(3.0, 0.0, 0.95).unwrap_err();
    assert!(matches!(error.kind(), ErrorKind::NoPersonYears { .. }));
}
