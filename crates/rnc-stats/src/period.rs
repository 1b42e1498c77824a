//! Cohort and period analysis of survival: which part of each patient's
//! follow-up an estimate uses.
//!
//! A cohort analysis follows the patients diagnosed in some calendar
//! years from diagnosis. A period analysis uses only the follow-up that
//! falls in a calendar window, whatever the year of diagnosis. A patient
//! diagnosed before the window therefore enters the risk set late, at the
//! time since diagnosis when the window opens (delayed entry, or left
//! truncation). popEpi `lexpand(breaks = list(per = ...))` splits
//! follow-up this way, and R `survival::survfit(Surv(entry, exit, status)
//! ~ 1)` estimates on it.

use chrono::{Datelike, NaiveDate};

use crate::rates::{check_confidence, standard_normal_quantile};
use crate::survival::{follow_up_days, product_limit};
use crate::{Error, ErrorKind, FollowUp, IntervalScale, SurvivalCurve};

/// Follow-up that enters the risk set `entry_days` after diagnosis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DelayedFollowUp {
    /// Days from diagnosis to entry into the risk set; 0 in a cohort
    /// analysis. The patient is at risk on the days after entry, up to and
    /// including the exit day, as R `Surv(entry, exit, status)` counts.
    pub entry_days: u32,
    /// Days from diagnosis to exit, and whether the exit is a death.
    pub follow_up: FollowUp,
}

/// The part of follow-up an analysis uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnalysisWindow {
    /// Patients diagnosed from 1 January of `first_year` to 31 December
    /// of `last_year`, followed from diagnosis.
    Cohort {
        /// First year of diagnosis.
        first_year: i32,
        /// Last year of diagnosis.
        last_year: i32,
    },
    /// Follow-up from `start` (included) to `end` (excluded), for patients
    /// diagnosed at any earlier time. A death on `end` or later is
    /// censored on `end`.
    Period {
        /// First day of the window.
        start: NaiveDate,
        /// First day after the window.
        end: NaiveDate,
    },
}

impl AnalysisWindow {
    /// Returns the follow-up of one patient inside the window, or `None`
    /// when the patient has no day at risk in it.
    ///
    /// `exit` is the date of death when `died`, else the date of
    /// censoring. In a period window, entry is the number of days from
    /// diagnosis to the window's start (0 when diagnosed inside it), and
    /// exit is the exit date or the window's end, whichever comes first.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::NegativeFollowUp`] when `exit` is before `diagnosis`,
    /// and [`ErrorKind::InvalidWindow`] for a period whose end is not
    /// after its start or a cohort whose last year is before its first.
    pub fn follow_up(
        &self,
        diagnosis: NaiveDate,
        exit: NaiveDate,
        died: bool,
    ) -> Result<Option<DelayedFollowUp>, Error> {
        self.check()?;
        let whole = follow_up_days(diagnosis, exit, died)?;
        match *self {
            AnalysisWindow::Cohort {
                first_year,
                last_year,
            } => {
                let year = diagnosis.year();
                let inside = year >= first_year && year <= last_year;
                Ok(inside.then_some(DelayedFollowUp {
                    entry_days: 0,
                    follow_up: whole,
                }))
            }
            AnalysisWindow::Period { start, end } => {
                if diagnosis >= end || exit <= start {
                    return Ok(None);
                }
                let entry = start.max(diagnosis);
                let (last, died) = if exit >= end {
                    (end, false)
                } else {
                    (exit, died)
                };
                let entry_days =
                    entry.signed_duration_since(diagnosis).num_days();
                let exit_days =
                    last.signed_duration_since(diagnosis).num_days();
                // Both fit in u32 because follow_up_days accepted the whole
                // follow-up, which is longer.
                Ok(Some(DelayedFollowUp {
                    entry_days: entry_days as u32,
                    follow_up: FollowUp {
                        days: exit_days as u32,
                        died,
                    },
                }))
            }
        }
    }

    fn check(&self) -> Result<(), Error> {
        let valid = match *self {
            AnalysisWindow::Cohort {
                first_year,
                last_year,
            } => first_year <= last_year,
            AnalysisWindow::Period { start, end } => start < end,
        };
        if valid {
            Ok(())
        } else {
            Err(ErrorKind::InvalidWindow(self.label()).into())
        }
    }

    /// Returns a description such as `period 2015-01-01 to 2019-12-31` or
    /// `cohort diagnosed 2010-2014`.
    pub fn label(&self) -> String {
        match *self {
            AnalysisWindow::Cohort {
                first_year,
                last_year,
            } => format!("cohort diagnosed {first_year}-{last_year}"),
            AnalysisWindow::Period { start, end } => {
                let last = end.pred_opt().unwrap_or(end);
                format!("period {start} to {last}")
            }
        }
    }
}

/// Estimates the Kaplan-Meier curve with delayed entry, as R
/// `survival::survfit(Surv(entry, exit, status) ~ 1, conf.type = ...)`.
///
/// The risk set at day t contains the patients with entry < t ≤ exit.
/// Deaths on a day come before censorings on it, and the standard error is
/// Greenwood's, as in [`crate::kaplan_meier`]. A step is written on each
/// distinct exit day. A day with no patient at risk would make the
/// product undefined. It cannot happen, because every exit is at risk on
/// its own day.
///
/// # Errors
///
/// [`ErrorKind::EmptyCohort`] without patients,
/// [`ErrorKind::ZeroFollowUp`] for a patient whose exit is not after its
/// entry, and [`ErrorKind::InvalidConfidence`].
pub fn kaplan_meier_delayed(
    follow_ups: &[DelayedFollowUp],
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
    if let Some(index) = follow_ups
        .iter()
        .position(|f| f.follow_up.days <= f.entry_days)
    {
        return Err(ErrorKind::ZeroFollowUp { index }.into());
    }
    let z = standard_normal_quantile(1.0 - (1.0 - confidence) / 2.0)?;

    let mut exits: Vec<FollowUp> =
        follow_ups.iter().map(|f| f.follow_up).collect();
    exits.sort_unstable_by_key(|follow_up| follow_up.days);
    let mut entries: Vec<u32> =
        follow_ups.iter().map(|f| f.entry_days).collect();
    entries.sort_unstable();

    let mut entered = 0;
    let steps = product_limit(&exits, z, scale, |day, left| {
        entered += entries[entered..].partition_point(|&entry| entry < day);
        entered - left
    });
    Ok(SurvivalCurve {
        steps,
        patients: follow_ups.len() as u64,
        confidence,
        scale,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kaplan_meier;

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    fn period() -> AnalysisWindow {
        AnalysisWindow::Period {
            start: date("2015-01-01"),
            end: date("2020-01-01"),
        }
    }

    #[test]
    fn period_entry_is_window_start() {
        // Diagnosed 2014-12-22: enters 10 days after diagnosis.
        let follow_up = period()
            .follow_up(date("2014-12-22"), date("2015-03-01"), true)
            .unwrap()
            .unwrap();
        assert_eq!(follow_up.entry_days, 10);
        assert_eq!(follow_up.follow_up.days, 69);
        assert!(follow_up.follow_up.died);
    }

    #[test]
    fn death_after_window_is_censored_at_end() {
        let follow_up = period()
            .follow_up(date("2019-12-01"), date("2020-01-01"), true)
            .unwrap()
            .unwrap();
        assert_eq!(follow_up.entry_days, 0);
        assert_eq!(follow_up.follow_up.days, 31);
        assert!(!follow_up.follow_up.died);
    }

    #[test]
    fn exit_before_window_left_out() {
        let window = period();
        let before = window
            .follow_up(date("2013-01-01"), date("2015-01-01"), true)
            .unwrap();
        assert_eq!(before, None);
        let after = window
            .follow_up(date("2020-01-01"), date("2020-05-01"), true)
            .unwrap();
        assert_eq!(after, None);
    }

    #[test]
    fn cohort_keeps_diagnosis_years() {
        let window = AnalysisWindow::Cohort {
            first_year: 2010,
            last_year: 2014,
        };
        let inside = window
            .follow_up(date("2014-12-31"), date("2022-01-01"), false)
            .unwrap()
            .unwrap();
        assert_eq!(inside.entry_days, 0);
        assert_eq!(inside.follow_up.days, 2558);
        let outside = window
            .follow_up(date("2015-01-01"), date("2016-01-01"), true)
            .unwrap();
        assert_eq!(outside, None);
    }

    #[test]
    fn empty_period_rejected() {
        let window = AnalysisWindow::Period {
            start: date("2020-01-01"),
            end: date("2020-01-01"),
        };
        let error = window
            .follow_up(date("2019-01-01"), date("2021-01-01"), false)
            .unwrap_err();
        assert!(matches!(error.kind(), ErrorKind::InvalidWindow(_)));
    }

    #[test]
    fn no_delay_equals_kaplan_meier() {
        let follow_ups = [(10, true), (10, false), (25, true), (40, false)]
            .map(|(days, died)| FollowUp { days, died });
        let delayed = follow_ups.map(|follow_up| DelayedFollowUp {
            entry_days: 0,
            follow_up,
        });
        let expected =
            kaplan_meier(&follow_ups, 0.95, IntervalScale::LogLog).unwrap();
        let found = kaplan_meier_delayed(&delayed, 0.95, IntervalScale::LogLog)
            .unwrap();
        assert_eq!(found, expected);
    }

    #[test]
    fn late_entry_not_at_risk_before() {
        // Hand computation: A (0, 10] dies, B (15, 30] dies, C (0, 40]
        // censored. On day 10, A and C are at risk (B enters after day
        // 15): S = 1/2. On day 30, B and C: S = 1/2 × 1/2.
        let delayed = [(0, 10, true), (15, 30, true), (0, 40, false)].map(
            |(entry_days, days, died)| DelayedFollowUp {
                entry_days,
                follow_up: FollowUp { days, died },
            },
        );
        let curve =
            kaplan_meier_delayed(&delayed, 0.95, IntervalScale::Log).unwrap();
        assert_eq!(curve.steps[0].at_risk, 2);
        assert_eq!(curve.steps[0].survival, 0.5);
        assert_eq!(curve.steps[1].at_risk, 2);
        assert_eq!(curve.steps[1].survival, 0.25);
        assert_eq!(curve.steps[2].at_risk, 1);
    }

    #[test]
    fn exit_on_entry_rejected() {
        let delayed = [DelayedFollowUp {
            entry_days: 20,
            follow_up: FollowUp {
                days: 20,
                died: true,
            },
        }];
        let error = kaplan_meier_delayed(&delayed, 0.95, IntervalScale::Log)
            .unwrap_err();
        assert!(matches!(error.kind(), ErrorKind::ZeroFollowUp { index: 0 }));
    }
}
