//! Age-standardised survival with the International Cancer Survival
//! Standards (ICSS) of Corazziari, Quinn & Capocaccia (Eur J Cancer 2004;
//! 40:2307-2316).

use crate::rates::{check_confidence, standard_normal_quantile};
use crate::survival::SurvivalAt;
use crate::{Error, ErrorKind};

/// Labels of the five ICSS age groups at diagnosis.
pub const ICSS_AGE_GROUPS: [&str; 5] =
    ["15-44", "45-54", "55-64", "65-74", "75+"];

/// One of the three ICSS standard populations of cancer patients.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IcssStandard {
    /// ICSS 1: incidence rises with age (most sites).
    Icss1,
    /// ICSS 2: incidence broadly constant with age (melanoma, cervix).
    Icss2,
    /// ICSS 3: mainly young adults (testis, Hodgkin lymphoma).
    Icss3,
}

impl IcssStandard {
    /// Returns the weights of the five age groups of [`ICSS_AGE_GROUPS`],
    /// summing to 1 (Corazziari, Quinn & Capocaccia 2004).
    pub fn weights(self) -> [f64; 5] {
        match self {
            IcssStandard::Icss1 => [0.07, 0.12, 0.23, 0.29, 0.29],
            IcssStandard::Icss2 => [0.28, 0.17, 0.21, 0.20, 0.14],
            IcssStandard::Icss3 => [0.60, 0.10, 0.10, 0.10, 0.10],
        }
    }
}

/// Returns the ICSS age group index of an age at diagnosis in completed
/// years, or `None` under 15: the standards do not cover children, so a
/// caller reports those patients apart rather than dropping them.
pub fn icss_age_group(age_years: u32) -> Option<usize> {
    match age_years {
        0..=14 => None,
        15..=44 => Some(0),
        45..=54 => Some(1),
        55..=64 => Some(2),
        65..=74 => Some(3),
        _ => Some(4),
    }
}

/// An age-standardised survival with its interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StandardisedSurvival {
    /// Σ w_k S_k(t).
    pub survival: f64,
    /// √(Σ w_k² Var S_k(t)).
    pub std_err: f64,
    /// Lower limit, S − z SE.
    pub lower: f64,
    /// Upper limit, S + z SE.
    pub upper: f64,
}

/// Standardises the survival of the five ICSS age groups at one time.
///
/// Each group's variance is (S_k σ_k)², σ_k being the standard error of
/// log S_k (delta method); the interval is symmetric on the survival scale.
/// A group whose curve reached 0 counts as 0 with no variance.
///
/// # Errors
///
/// [`ErrorKind::AgeGroupNotEstimable`] naming the first age group with no
/// estimate (follow-up ends before the time), and
/// [`ErrorKind::InvalidConfidence`].
pub fn age_standardised_survival(
    standard: IcssStandard,
    by_age_group: &[SurvivalAt; 5],
    confidence: f64,
) -> Result<StandardisedSurvival, Error> {
    check_confidence(confidence)?;
    let z = standard_normal_quantile(1.0 - (1.0 - confidence) / 2.0)?;
    let mut survival = 0.0;
    let mut variance = 0.0;
    for ((weight, at), label) in standard
        .weights()
        .iter()
        .zip(by_age_group)
        .zip(ICSS_AGE_GROUPS)
    {
        match *at {
            SurvivalAt::Estimate {
                survival: s,
                std_err,
                ..
            } => {
                survival += weight * s;
                variance += (weight * s * std_err).powi(2);
            }
            SurvivalAt::ReachedZero { .. } => {}
            SurvivalAt::BeyondFollowUp { last_day } => {
                return Err(ErrorKind::AgeGroupNotEstimable {
                    age_group: label.to_owned(),
                    reason: format!("follow-up ends on day {last_day}"),
                }
                .into());
            }
        }
    }
    let std_err = variance.sqrt();
    Ok(StandardisedSurvival {
        survival,
        std_err,
        lower: survival - z * std_err,
        upper: survival + z * std_err,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_sum_to_one() {
        for standard in [
            IcssStandard::Icss1,
            IcssStandard::Icss2,
            IcssStandard::Icss3,
        ] {
            let total: f64 = standard.weights().iter().sum();
            assert!((total - 1.0).abs() < 1e-12, "{standard:?}: {total}");
        }
    }

    #[test]
    fn age_group_edges() {
        assert_eq!(icss_age_group(14), None);
        assert_eq!(icss_age_group(15), Some(0));
        assert_eq!(icss_age_group(44), Some(0));
        assert_eq!(icss_age_group(45), Some(1));
        assert_eq!(icss_age_group(74), Some(3));
        assert_eq!(icss_age_group(75), Some(4));
        assert_eq!(icss_age_group(104), Some(4));
    }

    fn estimate(survival: f64, std_err: f64) -> SurvivalAt {
        SurvivalAt::Estimate {
            survival,
            std_err,
            lower: None,
            upper: None,
            at_risk: 10,
        }
    }

    #[test]
    fn standardised_survival_by_hand() {
        // ICSS 1: 0.07 × 0.9 + 0.12 × 0.8 + 0.23 × 0.7 + 0.29 × 0.6 + 0.29 × 0
        // = 0.494; variance 0.07² (0.9 × 0.1)² + … with the last group 0.
        let groups = [
            estimate(0.9, 0.1),
            estimate(0.8, 0.1),
            estimate(0.7, 0.1),
            estimate(0.6, 0.1),
            SurvivalAt::ReachedZero { day: 300 },
        ];
        let result =
            age_standardised_survival(IcssStandard::Icss1, &groups, 0.95)
                .unwrap();
        assert!((result.survival - 0.494).abs() < 1e-12);
        let variance: f64 = 0.063_f64.powi(2) * 0.01
            + 0.096_f64.powi(2) * 0.01
            + 0.161_f64.powi(2) * 0.01
            + 0.174_f64.powi(2) * 0.01;
        assert!((result.std_err - variance.sqrt()).abs() < 1e-12);
        assert!(
            result.lower < result.survival && result.survival < result.upper
        );
    }

    #[test]
    fn group_beyond_follow_up_named() {
        let mut groups = [estimate(0.5, 0.1); 5];
        groups[2] = SurvivalAt::BeyondFollowUp { last_day: 900 };
        let error =
            age_standardised_survival(IcssStandard::Icss2, &groups, 0.95)
                .unwrap_err();
        assert!(matches!(
            error.kind(),
            ErrorKind::AgeGroupNotEstimable { age_group, .. } if age_group == "55-64"
        ));
    }
}
