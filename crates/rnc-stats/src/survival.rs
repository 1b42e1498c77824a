//! Follow-up in whole days, survival curves and the Kaplan-Meier estimator.
//!
//! Follow-up is counted in whole days so that two patients followed for the
//! same number of days tie exactly. Converting to years before sorting lets
//! rounding order a censoring before a death it is tied with, which is why R's
//! survival package has `aeqSurv`. Converting after the estimate is safe.

use chrono::NaiveDate;

use crate::rates::{check_confidence, standard_normal_quantile};
use crate::{Error, ErrorKind};

/// Days in a year when survival times are reported in years, as in relsurv
/// and its `slopop` life table (365.241).
pub const YEAR_DAYS: f64 = 365.241;

/// One patient's follow-up: days from diagnosis to death or censoring.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FollowUp {
    /// Whole days from diagnosis to the exit date.
    pub days: u32,
    /// Whether follow-up ends with death (otherwise it is censored).
    pub died: bool,
}

/// Computes follow-up from the diagnosis and exit dates.
///
/// # Errors
///
/// [`ErrorKind::NegativeFollowUp`] when `exit` is before `diagnosis`; the
/// message gives the length but not the dates, which could identify the
/// patient.
pub fn follow_up_days(
    diagnosis: NaiveDate,
    exit: NaiveDate,
    died: bool,
) -> Result<FollowUp, Error> {
    let days = exit.signed_duration_since(diagnosis).num_days();
    match u32::try_from(days) {
        Ok(days) => Ok(FollowUp { days, died }),
        Err(_) => Err(ErrorKind::NegativeFollowUp { days }.into()),
    }
}

/// Scale on which a survival confidence interval is symmetric.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntervalScale {
    /// log S(t): R `conf.type = "log"`, the default of survfit and rs.surv.
    Log,
    /// log(-log S(t)): R `conf.type = "log-log"`, whose limits stay in
    /// (0, 1).
    LogLog,
}

/// The estimate at one distinct follow-up time of a survival curve.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SurvivalStep {
    /// Days since diagnosis.
    pub day: u32,
    /// Patients still followed at the start of the day (exit on or after
    /// it).
    pub at_risk: u64,
    /// Deaths on that day.
    pub deaths: u64,
    /// Censorings on that day.
    pub censored: u64,
    /// Survival just after the day's deaths.
    pub survival: f64,
    /// Standard error of log S(t) (of the cumulative hazard).
    pub std_err: f64,
    /// Lower confidence limit; `None` where R gives NA (survival 0, or 1 on
    /// the log-log scale).
    pub lower: Option<f64>,
    /// Upper confidence limit, `None` as for [`Self::lower`].
    pub upper: Option<f64>,
}

/// A survival curve: one step per distinct follow-up time, in time order.
#[derive(Debug, Clone, PartialEq)]
pub struct SurvivalCurve {
    /// Steps, one per distinct exit day, deaths or censorings.
    pub steps: Vec<SurvivalStep>,
    /// Number of patients.
    pub patients: u64,
    /// Confidence level of the limits.
    pub confidence: f64,
    /// Scale of the limits.
    pub scale: IntervalScale,
}

/// The value of a survival curve at one time, or why there is none.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SurvivalAt {
    /// An estimate inside follow-up.
    Estimate {
        /// Survival at the time.
        survival: f64,
        /// Standard error of log S(t).
        std_err: f64,
        /// Lower confidence limit, `None` where R gives NA.
        lower: Option<f64>,
        /// Upper confidence limit, `None` where R gives NA.
        upper: Option<f64>,
        /// Patients still followed at that time.
        at_risk: u64,
    },
    /// The curve reached 0 on `day` and stays there: a known 0, not a
    /// missing value.
    ReachedZero {
        /// Day of the last death.
        day: u32,
    },
    /// The time is after the last follow-up with survival above 0, so no
    /// patient is at risk and the value is unknown.
    BeyondFollowUp {
        /// Last day of follow-up of the curve.
        last_day: u32,
    },
}

impl SurvivalAt {
    /// Returns the survival, 0 after the curve reached 0, or `None` beyond
    /// follow-up.
    pub fn survival(&self) -> Option<f64> {
        match self {
            SurvivalAt::Estimate { survival, .. } => Some(*survival),
            SurvivalAt::ReachedZero { .. } => Some(0.0),
            SurvivalAt::BeyondFollowUp { .. } => None,
        }
    }
}

impl SurvivalCurve {
    /// Returns the curve at `time_days` days after diagnosis (a fraction
    /// is allowed, as in `5.0 * YEAR_DAYS`): the last step on or before it,
    /// as R `summary(fit, times = ...)` reads a step function.
    ///
    /// Before the first step survival is 1, with no limits. After the last
    /// step it is [`SurvivalAt::ReachedZero`] when the curve ended at 0,
    /// and [`SurvivalAt::BeyondFollowUp`] otherwise.
    pub fn at(&self, time_days: f64) -> SurvivalAt {
        let after = self
            .steps
            .partition_point(|step| f64::from(step.day) <= time_days);
        let Some(last) = self.steps.last() else {
            return SurvivalAt::BeyondFollowUp { last_day: 0 };
        };
        if time_days > f64::from(last.day) {
            return if last.survival == 0.0 {
                SurvivalAt::ReachedZero { day: last.day }
            } else {
                SurvivalAt::BeyondFollowUp { last_day: last.day }
            };
        }
        // No patient leaves between a time and the next step, so the next
        // step's risk set is the one at `time_days`.
        let at_risk = self.steps.get(after).map_or(0, |step| step.at_risk);
        if after == 0 {
            return SurvivalAt::Estimate {
                survival: 1.0,
                std_err: 0.0,
                lower: None,
                upper: None,
                at_risk,
            };
        }
        let step = &self.steps[after - 1];
        if step.survival == 0.0 {
            return SurvivalAt::ReachedZero { day: step.day };
        }
        SurvivalAt::Estimate {
            survival: step.survival,
            std_err: step.std_err,
            lower: step.lower,
            upper: step.upper,
            at_risk,
        }
    }
}

/// Estimates the Kaplan-Meier survival curve with Greenwood standard errors,
/// as R `survival::survfit(Surv(time, status) ~ 1, conf.type = ...)`.
///
/// Deaths on a day come before censorings on the same day, so a patient
/// censored on a day of death is at risk for that death. The standard error
/// of log S(t) is √(Σ d/(n(n − d))). `scale` chooses the interval, as R's
/// `conf.type` does, and the upper limit on the log scale is capped at 1,
/// as survfit caps it.
///
/// # Errors
///
/// [`ErrorKind::EmptyCohort`] without patients and
/// [`ErrorKind::InvalidConfidence`] unless `0 < confidence < 1`.
pub fn kaplan_meier(
    follow_ups: &[FollowUp],
    confidence: f64,
    scale: IntervalScale,
) -> Result<SurvivalCurve, Error> {
    check_confidence(confidence)?;
    if follow_ups.is_empty() {
        return Err(ErrorKind::EmptyCohort {
            what: "Kaplan-Meier survival",
        }
        .into());
    }
    let z = standard_normal_quantile(1.0 - (1.0 - confidence) / 2.0)?;

    let mut sorted = follow_ups.to_vec();
    sorted.sort_unstable_by_key(|follow_up| follow_up.days);
    let patients = sorted.len();
    let steps = product_limit(&sorted, z, scale, |_, left| patients - left);
    Ok(SurvivalCurve {
        steps,
        patients: follow_ups.len() as u64,
        confidence,
        scale,
    })
}

/// Builds one product-limit step per distinct exit day of `sorted` (in
/// day order), with Greenwood standard errors. `at_risk(day, left)`
/// returns the size of the risk set on `day`, given the number of
/// patients who left on earlier days.
pub(crate) fn product_limit(
    sorted: &[FollowUp],
    z: f64,
    scale: IntervalScale,
    mut at_risk: impl FnMut(u32, usize) -> usize,
) -> Vec<SurvivalStep> {
    let mut steps = Vec::new();
    let mut left = 0;
    let mut survival = 1.0;
    let mut greenwood = 0.0;
    for day_group in sorted.chunk_by(|a, b| a.days == b.days) {
        let day = day_group[0].days;
        let at_risk = at_risk(day, left) as u64;
        let deaths = day_group.iter().filter(|f| f.died).count() as u64;
        let censored = day_group.len() as u64 - deaths;
        if deaths > 0 {
            let (d, n) = (deaths as f64, at_risk as f64);
            survival *= 1.0 - d / n;
            greenwood += d / (n * (n - d));
        }
        let std_err = greenwood.sqrt();
        let (lower, upper) = interval(survival, std_err, z, scale, true);
        steps.push(SurvivalStep {
            day,
            at_risk,
            deaths,
            censored,
            survival,
            std_err,
            lower,
            upper,
        });
        left += day_group.len();
    }
    steps
}

/// Returns the confidence limits of a survival `survival` whose log has
/// standard error `std_err`, with the normal quantile `z`, as R
/// `survival:::survfit_confint` and relsurv's `rs.surv` compute them.
///
/// `cap_at_one` caps the log-scale upper limit at 1, as survfit does and
/// rs.surv does not.
pub(crate) fn interval(
    survival: f64,
    std_err: f64,
    z: f64,
    scale: IntervalScale,
    cap_at_one: bool,
) -> (Option<f64>, Option<f64>) {
    if survival <= 0.0 || !survival.is_finite() || !std_err.is_finite() {
        return (None, None);
    }
    match scale {
        IntervalScale::Log => {
            let log_survival = survival.ln();
            let upper = (log_survival + z * std_err).exp();
            let upper = if cap_at_one { upper.min(1.0) } else { upper };
            (Some((log_survival - z * std_err).exp()), Some(upper))
        }
        IntervalScale::LogLog => {
            if survival == 1.0 {
                return (None, None);
            }
            let log_survival = survival.ln();
            let shift = z * std_err / log_survival;
            let centre = (-log_survival).ln();
            let lower = (-(centre - shift).exp()).exp();
            let upper = (-(centre + shift).exp()).exp();
            (Some(lower), Some(upper))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn follow_up(days: u32, died: bool) -> FollowUp {
        FollowUp { days, died }
    }

    #[test]
    fn negative_follow_up_rejected() {
        let diagnosis = NaiveDate::from_ymd_opt(2020, 3, 10).unwrap();
        let exit = NaiveDate::from_ymd_opt(2020, 3, 1).unwrap();
        let error = follow_up_days(diagnosis, exit, true).unwrap_err();
        assert!(matches!(
            error.kind(),
            ErrorKind::NegativeFollowUp { days: -9 }
        ));
        assert!(!error.to_string().contains("2020"), "{error}");
    }

    #[test]
    fn death_before_censoring_same_day() {
        // Hand computation: 4 at risk, one death and one censoring on day
        // 10, so S(10) = 3/4; then 2 at risk and one death on day 20.
        let curve = kaplan_meier(
            &[
                follow_up(10, true),
                follow_up(10, false),
                follow_up(20, true),
                follow_up(30, false),
            ],
            0.95,
            IntervalScale::LogLog,
        )
        .unwrap();
        assert_eq!(curve.steps.len(), 3);
        assert_eq!(curve.steps[0].at_risk, 4);
        assert_eq!(curve.steps[0].survival, 0.75);
        assert_eq!(curve.steps[1].at_risk, 2);
        assert_eq!(curve.steps[1].survival, 0.375);
        assert_eq!(curve.steps[2].censored, 1);
    }

    #[test]
    fn before_first_step_is_one() {
        let curve = kaplan_meier(
            &[follow_up(10, true), follow_up(20, false)],
            0.95,
            IntervalScale::Log,
        )
        .unwrap();
        let at = curve.at(5.0);
        assert_eq!(at.survival(), Some(1.0));
        assert!(matches!(at, SurvivalAt::Estimate { at_risk: 2, .. }));
    }

    #[test]
    fn empty_cohort_rejected() {
        let error = kaplan_meier(&[], 0.95, IntervalScale::Log).unwrap_err();
        assert!(matches!(error.kind(), ErrorKind::EmptyCohort { .. }));
    }
}
