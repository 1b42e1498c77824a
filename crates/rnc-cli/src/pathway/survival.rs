//! Net survival by mode of detection for `rnc pathway --life-table`.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context;
use chrono::NaiveDate;
use rnc_pathway::table::Table;
use rnc_stats::{CohortPatient, FollowUp, LifeTable, YEAR_DAYS};

use super::{Analysis, ReleaseData};

/// Net survival (Pohar-Perme) at 1, 3 and 5 years by site group and mode
/// of detection, with the life table at `path`. Patients are followed
/// from the incidence date to death or `closing_date`; groups of fewer
/// than `min_patients` are left out.
pub(crate) fn survival_by_mode(
    data: &ReleaseData,
    analysis: &Analysis,
    path: &Path,
    closing_date: NaiveDate,
    min_patients: usize,
) -> anyhow::Result<Table> {
    let file = std::fs::File::open(path)
        .with_context(|| format!("opening life table {}", path.display()))?;
    let table = LifeTable::from_csv(file, &path.display().to_string())?;
    let mut groups: BTreeMap<(String, String), Vec<CohortPatient>> =
        BTreeMap::new();
    for (index, detection) in &analysis.detections {
        let tumour = &data.tumours[*index];
        let pathway = &analysis.pathways[*index];
        let (Some(diagnosis), Some(age)) =
            (pathway.diagnosis, tumour.age_at_incidence)
        else {
            continue;
        };
        let Ok(sex) = table.sex_index(tumour.sex.label()) else {
            continue;
        };
        let (exit, died) = match pathway.death {
            Some(death) if death <= closing_date => (death, true),
            _ => (closing_date, false),
        };
        let days = (exit - diagnosis).num_days();
        if days <= 0 {
            continue;
        }
        groups
            .entry((
                tumour.site_group.clone(),
                detection.mode.label().to_string(),
            ))
            .or_default()
            .push(CohortPatient {
                follow_up: FollowUp {
                    days: days as u32,
                    died,
                },
                entry_days: 0,
                sex,
                // A release has age in completed years only, so each
                // patient is put in the middle of that year, as
                // `rnc survival` does.
                age_days: (f64::from(age) + 0.5) * YEAR_DAYS,
                diagnosis_date: diagnosis,
            });
    }
    Ok(rnc_pathway::survival::net_survival_table(
        &groups,
        &table,
        &[1.0, 3.0, 5.0],
        min_patients,
    )?)
}
