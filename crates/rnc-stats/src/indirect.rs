//! Indirect standardisation: standardised incidence and mortality ratios
//! (SIR, SMR) with exact Poisson and Byar limits.

use crate::rates::{
    check_confidence, gamma_quantile, standard_normal_quantile,
};
use crate::standard::age_group_label;
use crate::{Error, ErrorKind};

/// Rates are given per this many person-years.
const PER: f64 = 100_000.0;

/// A standardised incidence (or mortality) ratio O/E with two intervals.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StandardisedRatio {
    /// Observed cases O.
    pub observed: f64,
    /// Expected cases E.
    pub expected: f64,
    /// O / E.
    pub ratio: f64,
    /// Exact Poisson limits of the ratio, as R `poisson.test(O, E)`.
    pub exact_lower: f64,
    /// Upper exact limit.
    pub exact_upper: f64,
    /// Lower limit of Byar's approximation to the exact limits,
    /// which needs no gamma quantile.
    pub byar_lower: f64,
    /// Upper Byar limit.
    pub byar_upper: f64,
}

/// Computes the expected number of cases: Σ n_i r_i over age groups, with
/// the study's person-years n_i and the reference rates r_i per 100 000.
///
/// # Errors
///
/// [`ErrorKind::LengthMismatch`] and [`ErrorKind::InvalidValue`] naming the
/// age group.
pub fn expected_cases(
    person_years: &[f64],
    reference_rates: &[f64],
) -> Result<f64, Error> {
    let count = person_years.len();
    if reference_rates.len() != count {
        return Err(ErrorKind::LengthMismatch {
            field: "reference_rates",
            expected: count,
            found: reference_rates.len(),
        }
        .into());
    }
    let mut expected = 0.0;
    for (i, (&n, &r)) in person_years.iter().zip(reference_rates).enumerate() {
        for (field, value) in [("person_years", n), ("reference_rates", r)] {
            if !(value.is_finite() && value >= 0.0) {
                return Err(ErrorKind::InvalidValue {
                    field,
                    age_group: age_group_label(i, count),
                    value,
                }
                .into());
            }
        }
        expected += n * r / PER;
    }
    Ok(expected)
}

/// Computes the ratio O/E with exact and Byar limits.
///
/// Exact limits are gamma (chi-square) quantiles: G⁻¹(α/2; O) / E, 0 when O
/// = 0, and G⁻¹(1 − α/2; O + 1) / E. Byar's limits are O (1 − 1/(9O) −
/// z/(3√O))³ / E, 0 when O = 0, and (O + 1)(1 − 1/(9(O + 1)) + z/(3√(O +
/// 1)))³ / E.
///
/// # Errors
///
/// [`ErrorKind::InvalidValue`] for a negative or non-finite count,
/// [`ErrorKind::NoPersonYears`] when E = 0, and
/// [`ErrorKind::InvalidConfidence`].
pub fn standardised_ratio(
    observed: f64,
    expected: f64,
    confidence: f64,
) -> Result<StandardisedRatio, Error> {
    check_confidence(confidence)?;
    for (field, value) in [("observed", observed), ("expected", expected)] {
        if !(value.is_finite() && value >= 0.0) {
            return Err(ErrorKind::InvalidValue {
                field,
                age_group: "all ages".into(),
                value,
            }
            .into());
        }
    }
    if expected == 0.0 {
        return Err(ErrorKind::NoPersonYears {
            what: "standardised ratio (expected cases are 0)",
        }
        .into());
    }

    let alpha = 1.0 - confidence;
    let z = standard_normal_quantile(1.0 - alpha / 2.0)?;
    let exact_lower = if observed == 0.0 {
        0.0
    } else {
        gamma_quantile(alpha / 2.0, observed, 1.0)?
    };
    let exact_upper = gamma_quantile(1.0 - alpha / 2.0, observed + 1.0, 1.0)?;
    let byar_lower = if observed == 0.0 {
        0.0
    } else {
        observed
            * (1.0 - 1.0 / (9.0 * observed) - z / (3.0 * observed.sqrt()))
                .powi(3)
    };
    let above = observed + 1.0;
    let byar_upper =
        above * (1.0 - 1.0 / (9.0 * above) + z / (3.0 * above.sqrt())).powi(3);
    Ok(StandardisedRatio {
        observed,
        expected,
        ratio: observed / expected,
        exact_lower: exact_lower / expected,
        exact_upper: exact_upper / expected,
        byar_lower: byar_lower.max(0.0) / expected,
        byar_upper: byar_upper / expected,
    })
}
