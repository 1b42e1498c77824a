//! Published survival and prevalence, on cohorts of persons: each person
//! counts once per site group, with the first malignant tumour of that
//! group, and once in `all_sites` with the first malignant tumour of all.
//!
//! Follow-up ends at death or at the closing date, the latest complete
//! incidence or death date of the release. Death-certificate-only tumours
//! and partial incidence or death dates are left out, as `rnc survival`
//! does.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rnc_stats::{
    ALL_SITES, CellStatus, FollowUp, IntervalScale, PrevalencePerson,
    SurvivalAt, SurvivalCurve, TABLE_CONFIDENCE, TOTAL, YEAR_DAYS,
    count_prevalence, kaplan_meier,
};
use serde::Serialize;

use crate::disclosure::LinkedCells;
use crate::release::ReleaseFacts;

/// Years since diagnosis of the published survival estimates.
pub const SURVIVAL_YEARS: [u32; 3] = [1, 3, 5];

/// Duration bands of published prevalence: years from diagnosis to the
/// index date.
pub const DURATION_BANDS: [&str; 3] = ["0-1", "1-5", "5+"];

/// Observed survival at one time.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SurvivalEstimate {
    /// Years since diagnosis.
    pub years: u32,
    /// Kaplan-Meier survival, absent past the end of follow-up.
    pub survival: Option<f64>,
    /// Lower limit of the 95 % log-log interval.
    pub lower: Option<f64>,
    /// Upper limit of the 95 % log-log interval.
    pub upper: Option<f64>,
}

/// Observed survival of one site group, both sexes.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SurvivalRow {
    /// Site group code, or `all_sites`.
    pub site_group: String,
    /// `published`, or `primary` when the cohort has fewer patients than
    /// the small-cell threshold. Cohort sizes are not published.
    pub status: String,
    /// Estimates at 1, 3 and 5 years; empty when suppressed.
    pub estimates: Vec<SurvivalEstimate>,
}

/// Persons alive at the index date, by site group, sex and duration.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PrevalenceRow {
    /// Site group code, or `all_sites` for the sum over site groups (a
    /// person with two site groups counts twice there).
    pub site_group: String,
    /// `female`, `male` or `both`.
    pub sex: String,
    /// `0-1`, `1-5`, `5+` years since diagnosis, or `all`.
    pub duration: String,
    /// `published`, `primary` or `secondary`.
    pub status: String,
    /// Persons, absent when suppressed.
    pub persons: Option<u64>,
}

/// Published cohort indicators of a release.
#[derive(Debug, Clone, Default)]
pub struct CohortTables {
    /// The closing date of follow-up and index date of prevalence.
    pub closing_date: Option<NaiveDate>,
    /// Survival by site group.
    pub survival: Vec<SurvivalRow>,
    /// Curves of the published survival rows, for the dashboard.
    pub curves: Vec<(String, SurvivalCurve)>,
    /// Prevalence by site group, sex and duration.
    pub prevalence: Vec<PrevalenceRow>,
}

struct Patient {
    site_group: String,
    sex: String,
    diagnosis: NaiveDate,
    death: Option<NaiveDate>,
}

fn full_date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

/// Builds the survival and prevalence tables of `facts`.
pub fn cohort_tables(facts: &ReleaseFacts, threshold: u64) -> CohortTables {
    let mut first: BTreeMap<(String, String), Patient> = BTreeMap::new();
    let mut closing: Option<NaiveDate> = None;
    for tumour in &facts.tumours {
        if tumour.behaviour != 3 || tumour.death_certificate_only {
            continue;
        }
        let Some(diagnosis) = full_date(&tumour.incidence_date) else {
            continue;
        };
        let death_text = facts
            .persons
            .get(&tumour.person_id)
            .and_then(|p| p.death_date.as_deref());
        let death = death_text.and_then(full_date);
        if death_text.is_some() && death.is_none() {
            continue;
        }
        closing = closing.max(Some(diagnosis)).max(death);
        for site in [tumour.site_group.as_str(), TOTAL] {
            let key = (site.to_owned(), tumour.person_id.clone());
            let earlier =
                first.get(&key).is_some_and(|p| p.diagnosis <= diagnosis);
            if !earlier {
                first.insert(
                    key,
                    Patient {
                        site_group: site.to_owned(),
                        sex: tumour.sex.clone(),
                        diagnosis,
                        death,
                    },
                );
            }
        }
    }
    let Some(closing_date) = closing else {
        return CohortTables::default();
    };
    let mut by_site: BTreeMap<String, Vec<&Patient>> = BTreeMap::new();
    for patient in first.values() {
        by_site
            .entry(patient.site_group.clone())
            .or_default()
            .push(patient);
    }
    let (survival, curves) = survival_rows(&by_site, closing_date, threshold);
    CohortTables {
        closing_date: Some(closing_date),
        survival,
        curves,
        prevalence: prevalence_rows(&by_site, closing_date, threshold),
    }
}

fn site_label(site: &str) -> String {
    if site == TOTAL {
        ALL_SITES.to_owned()
    } else {
        site.to_owned()
    }
}

fn survival_rows(
    by_site: &BTreeMap<String, Vec<&Patient>>,
    closing_date: NaiveDate,
    threshold: u64,
) -> (Vec<SurvivalRow>, Vec<(String, SurvivalCurve)>) {
    let mut rows = Vec::new();
    let mut curves = Vec::new();
    for (site, patients) in by_site {
        let follow_ups: Vec<FollowUp> = patients
            .iter()
            .filter_map(|p| {
                let exit = p.death.unwrap_or(closing_date);
                let days = (exit - p.diagnosis).num_days();
                // Zero days of follow-up carry no information on survival.
                (days > 0).then(|| FollowUp {
                    days: u32::try_from(days).unwrap_or(u32::MAX),
                    died: p.death.is_some(),
                })
            })
            .collect();
        let label = site_label(site);
        let curve = (follow_ups.len() as u64 >= threshold.max(1))
            .then(|| {
                kaplan_meier(
                    &follow_ups,
                    TABLE_CONFIDENCE,
                    IntervalScale::LogLog,
                )
                .ok()
            })
            .flatten();
        let Some(curve) = curve else {
            rows.push(SurvivalRow {
                site_group: label,
                status: CellStatus::PrimarySuppressed.label().to_owned(),
                estimates: Vec::new(),
            });
            continue;
        };
        let estimates = SURVIVAL_YEARS
            .iter()
            .map(|&years| {
                let at = curve.at(f64::from(years) * YEAR_DAYS);
                let (lower, upper) = match at {
                    SurvivalAt::Estimate { lower, upper, .. } => (lower, upper),
                    _ => (None, None),
                };
                SurvivalEstimate {
                    years,
                    survival: at.survival(),
                    lower,
                    upper,
                }
            })
            .collect();
        rows.push(SurvivalRow {
            site_group: label.clone(),
            status: CellStatus::Published.label().to_owned(),
            estimates,
        });
        curves.push((label, curve));
    }
    (rows, curves)
}

fn prevalence_rows(
    by_site: &BTreeMap<String, Vec<&Patient>>,
    closing_date: NaiveDate,
    threshold: u64,
) -> Vec<PrevalenceRow> {
    let sexes = ["female", "male"];
    let total = TOTAL.to_owned();
    let sites: Vec<&String> = by_site.keys().filter(|s| **s != total).collect();
    let mut cells = LinkedCells::default();
    let key = |site: &str, sex: &str, band: &str| {
        vec![site.to_owned(), sex.to_owned(), band.to_owned()]
    };
    for site in &sites {
        for sex in sexes {
            let persons: Vec<PrevalencePerson> = by_site[*site]
                .iter()
                .filter(|p| p.sex == sex)
                .map(|p| PrevalencePerson {
                    diagnosis_date: p.diagnosis,
                    death_date: p.death,
                    last_known_date: p.death.unwrap_or(closing_date),
                })
                .collect();
            let counted = count_prevalence(&persons, closing_date, &[1, 5])
                .expect("follow-up ends on or after diagnosis");
            let partial = |years| {
                counted
                    .partial
                    .iter()
                    .find(|(n, _)| *n == years)
                    .map_or(0, |(_, c)| *c) as f64
            };
            let bands = [
                partial(1),
                partial(5) - partial(1),
                counted.complete as f64 - partial(5),
            ];
            for (band, count) in DURATION_BANDS.iter().zip(bands) {
                cells.add_cell(key(site, sex, band), count);
            }
        }
    }
    // Every margin of the cube, as sums of the cells above.
    let levels: [Vec<String>; 3] = [
        sites.iter().map(|s| (*s).clone()).collect(),
        sexes.iter().map(|s| (*s).to_owned()).collect(),
        DURATION_BANDS.iter().map(|s| (*s).to_owned()).collect(),
    ];
    let with_total = |d: usize| {
        let mut values = levels[d].clone();
        values.push(total.clone());
        values
    };
    let mut keys = Vec::new();
    for site in with_total(0) {
        for sex in with_total(1) {
            for band in with_total(2) {
                keys.push(vec![site.clone(), sex.clone(), band]);
            }
        }
    }
    for key in &keys {
        let count = keys
            .iter()
            .filter(|inner| {
                !inner.contains(&total)
                    && inner.iter().zip(key).all(|(i, k)| k == &total || i == k)
            })
            .map(|inner| cells.find(inner).map_or(0.0, |c| cells.count(c)))
            .sum();
        cells.add_cell(key.clone(), count);
    }
    for key in &keys {
        let margin = cells.find(key).expect("added above");
        for d in (0..3).filter(|&d| key[d] == total) {
            let parts = levels[d]
                .iter()
                .map(|level| {
                    let mut part = key.clone();
                    part[d] = level.clone();
                    cells.find(&part).expect("added above")
                })
                .collect();
            cells.add_sum(margin, parts);
        }
    }
    cells.suppress(threshold);
    keys.iter()
        .map(|key| {
            let cell = cells.find(key).expect("added above");
            PrevalenceRow {
                site_group: site_label(&key[0]),
                sex: if key[1] == total {
                    "both".into()
                } else {
                    key[1].clone()
                },
                duration: if key[2] == total {
                    "all".into()
                } else {
                    key[2].clone()
                },
                status: cells.status(cell).label().to_owned(),
                persons: cells.published_integer(cell),
            }
        })
        .collect()
}
