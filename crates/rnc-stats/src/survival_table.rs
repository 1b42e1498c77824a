//! Observed, relative and net survival of one cohort read at chosen times,
//! as rows of one table: the output of `rnc survival` on a release and of
//! `rnc stats --input` on a cohort file.

use crate::{
    CohortPatient, DelayedFollowUp, Error, ICSS_AGE_GROUPS, IcssStandard,
    IntervalScale, LifeTable, RelativeSurvivalMethod, SurvivalAt,
    SurvivalCurve, YEAR_DAYS, age_standardised_survival, icss_age_group,
    kaplan_meier_delayed, relative_survival,
};

/// Estimator of a [`SurvivalRow`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SurvivalMethod {
    /// Kaplan-Meier with log-log limits, as R `survival::survfit(...,
    /// conf.type = "log-log")`.
    KaplanMeier,
    /// Ederer II relative survival with log limits, as relsurv `rs.surv(...,
    /// method = "ederer2")`.
    EdererII,
    /// Pohar-Perme net survival with log limits, as relsurv `rs.surv(...,
    /// method = "pohar-perme")`.
    PoharPerme,
    /// Pohar-Perme net survival standardised with the ICSS 1 weights over
    /// the patients aged 15 or more, with limits symmetric on the survival
    /// scale.
    PoharPermeIcss1,
}

impl SurvivalMethod {
    /// Returns the label used in output files (`kaplan_meier`,
    /// `ederer_ii`, `pohar_perme`, `pohar_perme_icss1`).
    pub fn label(self) -> &'static str {
        match self {
            SurvivalMethod::KaplanMeier => "kaplan_meier",
            SurvivalMethod::EdererII => "ederer_ii",
            SurvivalMethod::PoharPerme => "pohar_perme",
            SurvivalMethod::PoharPermeIcss1 => "pohar_perme_icss1",
        }
    }
}

/// One estimate of a survival table.
#[derive(Debug, Clone, PartialEq)]
pub struct SurvivalRow {
    /// The estimator.
    pub method: SurvivalMethod,
    /// Time since diagnosis, in years of [`YEAR_DAYS`] days.
    pub years: f64,
    /// Patients behind the estimate: the whole cohort, or those aged 15 or
    /// more for the ICSS rows.
    pub patients: usize,
    /// Patients still followed at that time; `None` for the ICSS rows,
    /// whose five age groups each have their own risk set.
    pub at_risk: Option<u64>,
    /// The estimate; `None` beyond follow-up or when not estimable.
    pub survival: Option<f64>,
    /// Lower confidence limit, `None` where R gives NA.
    pub lower: Option<f64>,
    /// Upper confidence limit, `None` where R gives NA.
    pub upper: Option<f64>,
    /// `estimate`, `reached_zero`, `beyond_follow_up`, or
    /// `not_estimable: ` followed by the reason.
    pub status: String,
}

/// Reads the survival of a cohort at each of `years`: Kaplan-Meier always,
/// and with a life table Ederer II, Pohar-Perme and Pohar-Perme
/// standardised with the ICSS 1 weights.
///
/// Patients may enter late ([`CohortPatient::entry_days`], period
/// analysis); every estimator then uses the same risk sets. The ICSS rows
/// leave out patients under 15, whom the standard does not cover, and are
/// `not_estimable` at a time when an age group has no patient or no
/// estimate.
///
/// # Errors
///
/// The errors of [`kaplan_meier_delayed`] and [`relative_survival`], such
/// as an empty cohort or a life table that ends before follow-up does.
pub fn survival_at_times(
    patients: &[CohortPatient],
    table: Option<&LifeTable>,
    years: &[f64],
    confidence: f64,
) -> Result<Vec<SurvivalRow>, Error> {
    let follow_ups: Vec<DelayedFollowUp> = patients
        .iter()
        .map(|p| DelayedFollowUp {
            entry_days: p.entry_days,
            follow_up: p.follow_up,
        })
        .collect();
    let mut curves: Vec<(SurvivalMethod, SurvivalCurve)> = vec![(
        SurvivalMethod::KaplanMeier,
        kaplan_meier_delayed(&follow_ups, confidence, IntervalScale::LogLog)?,
    )];
    if let Some(table) = table {
        for (method, estimator) in [
            (SurvivalMethod::EdererII, RelativeSurvivalMethod::EdererII),
            (
                SurvivalMethod::PoharPerme,
                RelativeSurvivalMethod::PoharPerme,
            ),
        ] {
            let curve = relative_survival(
                patients,
                table,
                estimator,
                confidence,
                IntervalScale::Log,
            )?;
            curves.push((method, curve));
        }
    }

    let mut rows = Vec::new();
    for (method, curve) in &curves {
        for &time in years {
            rows.push(row_at(*method, time, patients.len(), curve));
        }
    }
    if let Some(table) = table {
        rows.extend(icss_rows(patients, table, years, confidence)?);
    }
    Ok(rows)
}

fn row_at(
    method: SurvivalMethod,
    years: f64,
    patients: usize,
    curve: &SurvivalCurve,
) -> SurvivalRow {
    let row = |at_risk, survival, lower, upper, status: &str| SurvivalRow {
        method,
        years,
        patients,
        at_risk: Some(at_risk),
        survival,
        lower,
        upper,
        status: status.to_owned(),
    };
    match curve.at(years * YEAR_DAYS) {
        SurvivalAt::Estimate {
            survival,
            lower,
            upper,
            at_risk,
            ..
        } => row(at_risk, Some(survival), lower, upper, "estimate"),
        SurvivalAt::ReachedZero { .. } => {
            row(0, Some(0.0), None, None, "reached_zero")
        }
        SurvivalAt::BeyondFollowUp { .. } => {
            row(0, None, None, None, "beyond_follow_up")
        }
    }
}

/// Pohar-Perme net survival of each ICSS age group, standardised with the
/// ICSS 1 weights (most sites) at each time.
fn icss_rows(
    patients: &[CohortPatient],
    table: &LifeTable,
    years: &[f64],
    confidence: f64,
) -> Result<Vec<SurvivalRow>, Error> {
    let mut groups: [Vec<CohortPatient>; 5] = Default::default();
    for patient in patients {
        let age_years = (patient.age_days / YEAR_DAYS).floor() as u32;
        if let Some(group) = icss_age_group(age_years) {
            groups[group].push(*patient);
        }
    }
    let included: usize = groups.iter().map(Vec::len).sum();
    let mut curves = Vec::with_capacity(groups.len());
    for group in &groups {
        if group.is_empty() {
            curves.push(None);
            continue;
        }
        curves.push(Some(relative_survival(
            group,
            table,
            RelativeSurvivalMethod::PoharPerme,
            confidence,
            IntervalScale::Log,
        )?));
    }

    let mut rows = Vec::with_capacity(years.len());
    for &time in years {
        let mut at_time = [SurvivalAt::BeyondFollowUp { last_day: 0 }; 5];
        for (slot, curve) in at_time.iter_mut().zip(&curves) {
            if let Some(curve) = curve {
                *slot = curve.at(time * YEAR_DAYS);
            }
        }
        let standardised = match groups.iter().position(Vec::is_empty) {
            Some(group) => Err(format!(
                "age group {} has no patient",
                ICSS_AGE_GROUPS[group]
            )),
            None => age_standardised_survival(
                IcssStandard::Icss1,
                &at_time,
                confidence,
            )
            .map_err(|error| error.to_string()),
        };
        let mut row = SurvivalRow {
            method: SurvivalMethod::PoharPermeIcss1,
            years: time,
            patients: included,
            at_risk: None,
            survival: None,
            lower: None,
            upper: None,
            status: "estimate".to_owned(),
        };
        match standardised {
            Ok(value) => {
                row.survival = Some(value.survival);
                row.lower = Some(value.lower);
                row.upper = Some(value.upper);
            }
            Err(reason) => row.status = format!("not_estimable: {reason}"),
        }
        rows.push(row);
    }
    Ok(rows)
}
