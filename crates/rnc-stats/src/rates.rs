//! Crude, age-specific, directly age-standardised and cumulative rates with
//! their confidence intervals.
//!
//! Rates are per 100 000 person-years unless a function's documentation
//! gives another unit.

use statrs::distribution::{ContinuousCDF, Gamma, Normal};

use crate::standard::{AGE_BANDS, age_group_label};
use crate::{Error, ErrorKind};

/// Rates are expressed per this many person-years.
const PER: f64 = 100_000.0;

/// Number of five-year bands from 0-4 to 70-74, the range of the IARC
/// cumulative rate.
pub(crate) const BANDS_0_74: usize = 15;

/// Bands 35-39 to 60-64, the range of the IARC truncated rate.
const BANDS_35_64: std::ops::RangeInclusive<usize> = 7..=12;

/// A point estimate with the limits of its confidence interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// Point estimate.
    pub value: f64,
    /// Lower confidence limit.
    pub lower: f64,
    /// Upper confidence limit.
    pub upper: f64,
}

/// Method for the confidence interval of a directly standardised rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntervalMethod {
    /// Gamma interval of Fay & Feuer (1997), as in R `epitools` and `asht`
    /// (`wmtype = "max"`). Conservative: it covers at least the nominal
    /// level even with few cases.
    FayFeuer,
    /// Fay-Feuer lower limit with the less conservative upper limit of
    /// Tiwari, Clegg & Zou (2006), the SEER*Stat default (`asht` `wmtype =
    /// "tcz"`).
    Tiwari,
}

impl IntervalMethod {
    /// Returns the name written in tables and reports.
    pub fn label(self) -> &'static str {
        match self {
            IntervalMethod::FayFeuer => "Fay-Feuer 1997 gamma",
            IntervalMethod::Tiwari => "Tiwari, Clegg & Zou 2006 modified gamma",
        }
    }
}

/// A directly age-standardised rate per 100 000 with its interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StandardisedRate {
    /// Standardised rate per 100 000.
    pub rate: f64,
    /// Lower confidence limit per 100 000.
    pub lower: f64,
    /// Upper confidence limit per 100 000.
    pub upper: f64,
    /// Poisson variance of the rate, in (per 100 000)², i.e. Σ w_i² d_i /
    /// n_i² / W² scaled by 10^10.
    pub variance: f64,
    /// Total number of cases over all age groups.
    pub cases: f64,
    /// Method of the confidence interval.
    pub method: IntervalMethod,
}

impl StandardisedRate {
    /// Returns the standard error, the square root of [`Self::variance`].
    pub fn standard_error(&self) -> f64 {
        self.variance.sqrt()
    }
}

/// Computes the crude rate per 100 000 with its exact Poisson interval.
///
/// The limits are chi-square (equivalently gamma) quantiles, as in R
/// `poisson.test`. The lower limit is the α/2 quantile of a gamma of shape
/// `cases`, or 0 when there is no case. The upper limit is the 1 - α/2
/// quantile of a gamma of shape `cases + 1`. Exact limits matter because
/// counts below 10 are common for rare sites and small areas.
///
/// # Errors
///
/// [`ErrorKind::InvalidConfidence`] unless `0 < confidence < 1`;
/// [`ErrorKind::InvalidValue`] for negative or non-finite input;
/// [`ErrorKind::NoPersonYears`] when `person_years` is 0.
pub fn crude_rate(
    cases: f64,
    person_years: f64,
    confidence: f64,
) -> Result<Estimate, Error> {
    check_confidence(confidence)?;
    check_value("cases", "all ages", cases)?;
    check_value("person_years", "all ages", person_years)?;
    if person_years == 0.0 {
        return Err(ErrorKind::NoPersonYears { what: "crude rate" }.into());
    }

    let alpha = 1.0 - confidence;
    let lower = if cases == 0.0 {
        0.0
    } else {
        gamma_quantile(alpha / 2.0, cases, 1.0)?
    };
    let upper = gamma_quantile(1.0 - alpha / 2.0, cases + 1.0, 1.0)?;
    let scale = PER / person_years;
    Ok(Estimate {
        value: cases * scale,
        lower: lower * scale,
        upper: upper * scale,
    })
}

/// Returns the rate per 100 000 of each age group, `None` where the
/// person-years are zero, missing (`person_years` shorter than `cases`) or
/// not finite.
pub fn age_specific_rates(
    cases: &[f64],
    person_years: &[f64],
) -> Vec<Option<f64>> {
    cases
        .iter()
        .enumerate()
        .map(|(i, &d)| match person_years.get(i) {
            Some(&n) if n > 0.0 && n.is_finite() => Some(d / n * PER),
            _ => None,
        })
        .collect()
}

/// Computes a directly age-standardised rate per 100 000 and its interval.
///
/// Works for any number of age groups, provided `cases`, `person_years` and
/// `weights` have one value each per group. Examples are the 18 bands of
/// [`AGE_BANDS`], the 19 groups to 90+ of the 2013 European standard, and
/// the 6 maternal-age groups of Fay & Feuer (1997). Weights may be on any
/// scale. With w'_i = w_i / (n_i W), y = Σ w'_i d_i is the rate, v = Σ w'_i²
/// d_i its Poisson variance, and the interval is the gamma interval of Fay
/// & Feuer (1997): the lower limit is the α/2 quantile of a gamma with mean
/// y and variance v (0 when y = 0) and the upper one adds max w'_i to the
/// mean and its square to the variance. [`IntervalMethod::Tiwari`] adds
/// the means of w'_i and w'_i² instead (Tiwari, Clegg & Zou 2006).
///
/// An age group with neither cases nor person-years contributes nothing,
/// so it counts as a rate of 0.
///
/// # Errors
///
/// [`ErrorKind::LengthMismatch`] when the three slices differ in length,
/// [`ErrorKind::InvalidValue`] for a negative or non-finite value,
/// [`ErrorKind::CasesWithoutPersonYears`] naming the age group with cases
/// but no person-years, [`ErrorKind::ZeroWeights`],
/// [`ErrorKind::NoPersonYears`] when no group with a positive weight has
/// person-years, and [`ErrorKind::InvalidConfidence`].
pub fn age_standardised_rate(
    cases: &[f64],
    person_years: &[f64],
    weights: &[f64],
    confidence: f64,
    method: IntervalMethod,
) -> Result<StandardisedRate, Error> {
    check_confidence(confidence)?;
    check_groups(cases, person_years)?;
    let total_weight = check_weights(weights, cases.len())?;

    // Scaled by PER so that y and v come out per 100 000.
    let mut y = 0.0;
    let mut v = 0.0;
    let mut max_weight: f64 = 0.0;
    let mut sum_weight = 0.0;
    let mut sum_weight_squared = 0.0;
    let mut groups = 0_usize;
    for ((&d, &n), &w) in cases.iter().zip(person_years).zip(weights) {
        if n == 0.0 {
            // check_groups guarantees d == 0 here.
            continue;
        }
        let scaled = w / (n * total_weight) * PER;
        y += scaled * d;
        v += scaled * scaled * d;
        max_weight = max_weight.max(scaled);
        sum_weight += scaled;
        sum_weight_squared += scaled * scaled;
        groups += 1;
    }
    if max_weight == 0.0 {
        return Err(ErrorKind::NoPersonYears {
            what: "age-standardised rate",
        }
        .into());
    }
    if groups < cases.len() {
        tracing::debug!(
            skipped = cases.len() - groups,
            "age groups without person-years count as a rate of 0"
        );
    }

    let alpha = 1.0 - confidence;
    let lower = if y == 0.0 {
        0.0
    } else {
        gamma_quantile(alpha / 2.0, y * y / v, v / y)?
    };
    // NOTE: the Tiwari means run over the groups with person-years only,
    // because w'_i is undefined where n_i = 0; asht averages over all
    // groups and would fail on such input.
    let (extra_mean, extra_variance) = match method {
        IntervalMethod::FayFeuer => (max_weight, max_weight * max_weight),
        IntervalMethod::Tiwari => (
            sum_weight / groups as f64,
            sum_weight_squared / groups as f64,
        ),
    };
    let upper_mean = y + extra_mean;
    let upper_variance = v + extra_variance;
    let upper = gamma_quantile(
        1.0 - alpha / 2.0,
        upper_mean * upper_mean / upper_variance,
        upper_variance / upper_mean,
    )?;

    Ok(StandardisedRate {
        rate: y,
        lower,
        upper,
        variance: v,
        cases: cases.iter().sum(),
        method,
    })
}

/// Computes the IARC cumulative rate 0-74, in percent, with a 95 %
/// interval.
///
/// The rate is 5 Σ d_i / n_i over the 15 bands 0-4 to 70-74, and its
/// standard error is 5 √(Σ d_i / n_i²) (Day 1992, as in Cancer Incidence in
/// Five Continents). The interval is normal on the rate scale, with the
/// lower limit kept at 0 or above.
///
/// # Errors
///
/// [`ErrorKind::LengthMismatch`] unless both slices have the 18 bands of
/// [`AGE_BANDS`], and the value errors of [`age_standardised_rate`].
pub fn cumulative_rate_0_74(
    cases: &[f64],
    person_years: &[f64],
) -> Result<Estimate, Error> {
    check_bands(cases, person_years)?;

    let mut sum_rate = 0.0;
    let mut sum_variance = 0.0;
    for (&d, &n) in cases.iter().zip(person_years).take(BANDS_0_74) {
        if n > 0.0 {
            sum_rate += d / n;
            sum_variance += d / (n * n);
        }
    }
    let rate = 5.0 * sum_rate * 100.0;
    let standard_error = 5.0 * sum_variance.sqrt() * 100.0;
    let z = standard_normal_quantile(0.975)?;
    Ok(Estimate {
        value: rate,
        lower: (rate - z * standard_error).max(0.0),
        upper: rate + z * standard_error,
    })
}

/// Computes the IARC cumulative risk 0-74 in percent: 100 (1 - exp(-c))
/// where c is the cumulative rate 0-74 as a proportion.
///
/// # Errors
///
/// As [`cumulative_rate_0_74`].
pub fn cumulative_risk_0_74(
    cases: &[f64],
    person_years: &[f64],
) -> Result<f64, Error> {
    let rate = cumulative_rate_0_74(cases, person_years)?;
    Ok(cumulative_risk_from_rate(rate.value))
}

/// Converts a cumulative rate in percent to a cumulative risk in percent.
pub(crate) fn cumulative_risk_from_rate(rate_percent: f64) -> f64 {
    100.0 * (1.0 - (-rate_percent / 100.0).exp())
}

/// Computes the truncated age-standardised rate 35-64 per 100 000 over the
/// six bands 35-39 to 60-64, with the weights of those bands only (31 000
/// of the Segi world standard).
///
/// # Errors
///
/// [`ErrorKind::LengthMismatch`] unless all three slices have the 18 bands
/// of [`AGE_BANDS`], and the errors of [`age_standardised_rate`] on those
/// bands.
pub fn truncated_rate_35_64(
    cases: &[f64],
    person_years: &[f64],
    weights: &[f64],
    confidence: f64,
    method: IntervalMethod,
) -> Result<StandardisedRate, Error> {
    check_bands(cases, person_years)?;
    if weights.len() != AGE_BANDS.len() {
        return Err(ErrorKind::LengthMismatch {
            field: "weights",
            expected: AGE_BANDS.len(),
            found: weights.len(),
        }
        .into());
    }
    age_standardised_rate(
        &cases[BANDS_35_64],
        &person_years[BANDS_35_64],
        &weights[BANDS_35_64],
        confidence,
        method,
    )
}

/// Returns the `p` quantile of a gamma distribution with the given shape
/// and scale.
///
/// The `inverse_cdf` of the statrs 0.18 gamma stops after 8 bisection and
/// 4 Newton steps, so this bisects on its CDF to full double precision.
pub(crate) fn gamma_quantile(
    p: f64,
    shape: f64,
    scale: f64,
) -> Result<f64, Error> {
    let gamma = Gamma::new(shape, 1.0).map_err(|error| {
        ErrorKind::Internal(format!("gamma of shape {shape}: {error}"))
    })?;

    let mut low = 0.0;
    let mut high = shape + 10.0 * shape.sqrt() + 10.0;
    while gamma.cdf(high) < p {
        high *= 2.0;
    }
    for _ in 0..200 {
        let middle = 0.5 * (low + high);
        if gamma.cdf(middle) < p {
            low = middle;
        } else {
            high = middle;
        }
        if high - low <= 1e-15 * high {
            break;
        }
    }
    Ok(0.5 * (low + high) * scale)
}

pub(crate) fn standard_normal_quantile(p: f64) -> Result<f64, Error> {
    let normal = Normal::new(0.0, 1.0).map_err(|error| {
        ErrorKind::Internal(format!("standard normal: {error}"))
    })?;
    Ok(normal.inverse_cdf(p))
}

pub(crate) fn check_confidence(confidence: f64) -> Result<(), Error> {
    if confidence > 0.0 && confidence < 1.0 {
        Ok(())
    } else {
        Err(ErrorKind::InvalidConfidence(confidence).into())
    }
}

fn check_value(
    field: &'static str,
    age_group: &str,
    value: f64,
) -> Result<(), Error> {
    if value.is_finite() && value >= 0.0 {
        Ok(())
    } else {
        Err(ErrorKind::InvalidValue {
            field,
            age_group: age_group.to_owned(),
            value,
        }
        .into())
    }
}

/// Checks one value each of cases and person-years per age group, all
/// finite and non-negative, and no cases without person-years.
fn check_groups(cases: &[f64], person_years: &[f64]) -> Result<(), Error> {
    let count = cases.len();
    if person_years.len() != count {
        return Err(ErrorKind::LengthMismatch {
            field: "person_years",
            expected: count,
            found: person_years.len(),
        }
        .into());
    }
    for (i, (&d, &n)) in cases.iter().zip(person_years).enumerate() {
        let label = || age_group_label(i, count);
        check_value("cases", &label(), d)?;
        check_value("person_years", &label(), n)?;
        if n == 0.0 && d > 0.0 {
            return Err(ErrorKind::CasesWithoutPersonYears {
                age_group: label(),
                cases: d,
            }
            .into());
        }
    }
    Ok(())
}

/// Checks the weights against the number of groups and returns their sum.
fn check_weights(weights: &[f64], count: usize) -> Result<f64, Error> {
    if weights.len() != count {
        return Err(ErrorKind::LengthMismatch {
            field: "weights",
            expected: count,
            found: weights.len(),
        }
        .into());
    }
    for (i, &w) in weights.iter().enumerate() {
        check_value("weights", &age_group_label(i, count), w)?;
    }
    let total: f64 = weights.iter().sum();
    if total > 0.0 {
        Ok(total)
    } else {
        Err(ErrorKind::ZeroWeights.into())
    }
}

/// Checks that cases and person-years cover exactly the 18 bands.
fn check_bands(cases: &[f64], person_years: &[f64]) -> Result<(), Error> {
    if cases.len() != AGE_BANDS.len() {
        return Err(ErrorKind::LengthMismatch {
            field: "cases",
            expected: AGE_BANDS.len(),
            found: cases.len(),
        }
        .into());
    }
    check_groups(cases, person_years)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gamma_quantile_matches_chi_square() {
        // R `poisson.test(10)$conf.int` = 4.795389 18.390356, which are
        // qchisq(0.025, 20) / 2 and qchisq(0.975, 22) / 2.
        assert!(
            (gamma_quantile(0.975, 11.0, 1.0).unwrap() - 18.390356).abs()
                < 1e-6
        );
        assert!(
            (gamma_quantile(0.025, 10.0, 1.0).unwrap() - 4.795389).abs() < 1e-6
        );
    }

    #[test]
    fn zero_person_years_with_cases_names_band() {
        let mut cases = vec![0.0; 18];
        let mut person_years = vec![1000.0; 18];
        cases[17] = 3.0;
        person_years[17] = 0.0;
        let error = age_standardised_rate(
            &cases,
            &person_years,
            &[1.0; 18],
            0.95,
            IntervalMethod::FayFeuer,
        )
        .unwrap_err();
        assert!(matches!(
            error.kind(),
            ErrorKind::CasesWithoutPersonYears { age_group, .. } if age_group == "85+"
        ));
        assert!(error.to_string().contains("85+"), "{error}");
    }

    #[test]
    fn length_mismatch_rejected() {
        let error = age_standardised_rate(
            &[1.0; 18],
            &[100.0; 17],
            &[1.0; 18],
            0.95,
            IntervalMethod::FayFeuer,
        )
        .unwrap_err();
        assert!(matches!(error.kind(), ErrorKind::LengthMismatch { .. }));
        let error = age_standardised_rate(
            &[1.0; 18],
            &[100.0; 18],
            &[1.0; 19],
            0.95,
            IntervalMethod::FayFeuer,
        )
        .unwrap_err();
        assert!(matches!(
            error.kind(),
            ErrorKind::LengthMismatch {
                field: "weights",
                ..
            }
        ));
    }

    #[test]
    fn negative_value_rejected() {
        let mut cases = vec![1.0; 6];
        cases[2] = -1.0;
        let error = age_standardised_rate(
            &cases,
            &[100.0; 6],
            &[1.0; 6],
            0.95,
            IntervalMethod::FayFeuer,
        )
        .unwrap_err();
        assert!(matches!(
            error.kind(),
            ErrorKind::InvalidValue { field: "cases", age_group, .. } if age_group == "group 3 of 6"
        ));
    }

    #[test]
    fn no_cases_lower_limit_zero() {
        // Fay & Feuer (1997) set the lower limit to 0 when no case is seen.
        let rate = age_standardised_rate(
            &[0.0; 18],
            &[1000.0; 18],
            &[1.0; 18],
            0.95,
            IntervalMethod::FayFeuer,
        )
        .unwrap();
        assert_eq!(rate.rate, 0.0);
        assert_eq!(rate.lower, 0.0);
        assert!(rate.upper > 0.0);
    }

    #[test]
    fn truncated_rate_uses_bands_35_64() {
        // A rate of 50 per 100 000 in every band from 35-39 to 60-64 gives a
        // truncated rate of 50, whatever the other bands hold.
        let mut cases = vec![900.0; 18];
        let person_years = vec![10_000.0; 18];
        for band in cases.iter_mut().take(13).skip(7) {
            *band = 5.0;
        }
        let weights = crate::StandardPopulation::WorldSegi1960.weights();
        let rate = truncated_rate_35_64(
            &cases,
            &person_years,
            &weights,
            0.95,
            IntervalMethod::FayFeuer,
        )
        .unwrap();
        assert!((rate.rate - 50.0).abs() < 1e-9, "{}", rate.rate);
        assert_eq!(rate.cases, 30.0);
        // The truncated world population 35-64 is 31 000 (Segi 1960).
        let truncated: f64 = weights[BANDS_35_64].iter().sum();
        assert_eq!(truncated, 31_000.0);
    }

    #[test]
    fn confidence_outside_unit_interval_rejected() {
        assert!(crude_rate(1.0, 10.0, 1.0).is_err());
        assert!(crude_rate(1.0, 10.0, 0.0).is_err());
        assert!(crude_rate(1.0, 10.0, f64::NAN).is_err());
    }
}
