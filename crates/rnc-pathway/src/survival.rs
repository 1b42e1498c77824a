//! Net survival (Pohar-Perme, from `rnc-stats`) by mode of detection.

use std::collections::BTreeMap;

use rnc_stats::{
    CohortPatient, Error, IntervalScale, LifeTable, RelativeSurvivalMethod,
    SurvivalAt, YEAR_DAYS, relative_survival,
};

use crate::table::{Table, Values};

/// Confidence level of the limits.
const CONFIDENCE: f64 = 0.95;

/// Builds the net survival table: for each group (such as
/// `("breast", "interval")`) and each time in `years`, the patients, the
/// Pohar-Perme net survival and its 95 % limits on the log scale (the
/// default of relsurv `rs.surv`). A time beyond follow-up is left empty.
/// Groups with fewer than `min_patients` are left out, because their
/// curve would identify few persons and be too unstable to read.
///
/// # Errors
///
/// The errors of [`relative_survival`]: a life table that does not cover
/// follow-up, a sex outside the table.
pub fn net_survival_table(
    groups: &BTreeMap<(String, String), Vec<CohortPatient>>,
    table: &LifeTable,
    years: &[f64],
    min_patients: usize,
) -> Result<Table, Error> {
    let mut columns: (Vec<_>, Vec<_>, Vec<_>, Vec<_>, Vec<_>, Vec<_>, Vec<_>) =
        Default::default();
    for ((site_group, mode), patients) in groups {
        if patients.len() < min_patients {
            continue;
        }
        let curve = relative_survival(
            patients,
            table,
            RelativeSurvivalMethod::PoharPerme,
            CONFIDENCE,
            IntervalScale::Log,
        )?;
        for year in years {
            let at = curve.at(year * YEAR_DAYS);
            let (lower, upper) = match at {
                SurvivalAt::Estimate { lower, upper, .. } => (lower, upper),
                _ => (None, None),
            };
            columns.0.push(Some(site_group.clone()));
            columns.1.push(Some(mode.clone()));
            columns.2.push(Some(*year));
            columns.3.push(Some(patients.len() as i64));
            columns.4.push(at.survival());
            columns.5.push(lower);
            columns.6.push(upper);
        }
    }
    let mut out = Table::default();
    out.push("site_group", Values::Text(columns.0));
    out.push("detection_mode", Values::Text(columns.1));
    out.push("years", Values::Number(columns.2));
    out.push("patients", Values::Integer(columns.3));
    out.push("net_survival", Values::Number(columns.4));
    out.push("lower", Values::Number(columns.5));
    out.push("upper", Values::Number(columns.6));
    Ok(out)
}
