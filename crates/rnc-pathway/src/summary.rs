//! One tumour's treatment pathway: first treatment, delay from diagnosis,
//! first-line sequence and surgery.

use chrono::NaiveDate;
use rnc_model::Tumour;
use serde::Serialize;

use crate::input::{age_band, full_date, stage_category};
use crate::modality::Modality;
use crate::timeline::{Event, EventKind};

/// Settings of the pathway summary.
#[derive(Debug, Clone, PartialEq)]
pub struct PathwaySettings {
    /// A treatment dated up to this many days before the incidence date
    /// still counts as first treatment, with the status
    /// [`TreatmentStatus::TreatedBeforeDiagnosis`]. The ENCR hierarchy may
    /// date the incidence on a pathology report of the surgical specimen,
    /// after the surgery itself. Earlier acts belong to another episode
    /// and are ignored.
    pub before_diagnosis_days: i64,
    /// Treatments that start within this many days of the first one form
    /// the first-line sequence.
    pub first_line_days: i64,
}

impl Default for PathwaySettings {
    /// 31 days before diagnosis, a first line of 180 days.
    fn default() -> PathwaySettings {
        PathwaySettings {
            before_diagnosis_days: 31,
            first_line_days: 180,
        }
    }
}

/// Treatment status of a tumour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum TreatmentStatus {
    /// Treated on or after the incidence date.
    Treated,
    /// First treated before the incidence date, within
    /// [`PathwaySettings::before_diagnosis_days`]; the delay counts as 0.
    TreatedBeforeDiagnosis,
    /// Died before any treatment.
    DiedBeforeTreatment,
    /// No treatment recorded, alive at the last data.
    Untreated,
    /// The incidence date lacks its day or month, so no delay in days.
    IncompleteDiagnosisDate,
    /// Known from the death certificate only.
    DeathCertificateOnly,
}

impl TreatmentStatus {
    /// Returns the name used in tables.
    pub fn label(self) -> &'static str {
        match self {
            TreatmentStatus::Treated => "treated",
            TreatmentStatus::TreatedBeforeDiagnosis => {
                "treated_before_diagnosis"
            }
            TreatmentStatus::DiedBeforeTreatment => "died_before_treatment",
            TreatmentStatus::Untreated => "untreated",
            TreatmentStatus::IncompleteDiagnosisDate => {
                "incomplete_diagnosis_date"
            }
            TreatmentStatus::DeathCertificateOnly => "death_certificate_only",
        }
    }

    /// Tells whether the tumour has a first treatment and a delay.
    pub fn is_treated(self) -> bool {
        matches!(
            self,
            TreatmentStatus::Treated | TreatmentStatus::TreatedBeforeDiagnosis
        )
    }
}

/// A dated treatment act with its establishment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreatmentAct {
    /// Start of the act or course.
    pub date: NaiveDate,
    /// Modality.
    pub modality: Modality,
    /// Establishment (FINESS) that gave it, when known.
    pub establishment: Option<String>,
}

/// The treatment pathway of one tumour.
#[derive(Debug, Clone, PartialEq)]
pub struct TumourPathway {
    /// Tumour id.
    pub tumour_id: String,
    /// Site group code.
    pub site_group: String,
    /// Simplified stage (`0`, `I` … `IV`, `unknown`).
    pub stage: String,
    /// Sex label.
    pub sex: String,
    /// Five-year age band at incidence, `unknown` when age is unknown.
    pub age_band: String,
    /// Département at incidence, `unknown` when not stated.
    pub departement: String,
    /// Incidence date, when complete.
    pub diagnosis: Option<NaiveDate>,
    /// Date of death, when complete.
    pub death: Option<NaiveDate>,
    /// Treatment status.
    pub status: TreatmentStatus,
    /// First treatment.
    pub first_treatment: Option<TreatmentAct>,
    /// Days from diagnosis to first treatment; negative for a treatment
    /// before the incidence date.
    pub delay_days: Option<i64>,
    /// Modalities of the first line in order of their first act.
    pub sequence: Vec<Modality>,
    /// First surgery, which the post-operative mortality and
    /// establishment volume use.
    pub surgery: Option<TreatmentAct>,
    /// Treatment acts ignored: dated after death (a data error) or long
    /// before diagnosis (another episode).
    pub ignored_acts: usize,
}

impl TumourPathway {
    /// Returns the establishment that gave the first treatment, `unknown` when no
    /// source names one and `untreated` when there is none.
    pub fn treating_establishment(&self) -> String {
        match &self.first_treatment {
            Some(act) => act
                .establishment
                .clone()
                .unwrap_or_else(|| "unknown".to_string()),
            None => "untreated".to_string(),
        }
    }

    /// Returns the modality combination of the first line (`surgery+radiotherapy`
    /// in [`Modality::ALL`] order), `none` when untreated.
    pub fn combination(&self) -> String {
        let mut modalities = self.sequence.clone();
        modalities.sort();
        if modalities.is_empty() {
            return "none".to_string();
        }
        modalities
            .iter()
            .map(|m| m.label())
            .collect::<Vec<_>>()
            .join("+")
    }

    /// Returns the first-line sequence in time order (`surgery>chemotherapy`),
    /// `none` when untreated.
    pub fn sequence_label(&self) -> String {
        if self.sequence.is_empty() {
            return "none".to_string();
        }
        self.sequence
            .iter()
            .map(|m| m.label())
            .collect::<Vec<_>>()
            .join(">")
    }
}

/// Summarises a tumour's pathway from its timeline (see
/// [`crate::timeline::build_timeline`]) and the person's death date.
///
/// Treatment acts dated after death are ignored as data errors, and so are
/// acts more than [`PathwaySettings::before_diagnosis_days`] before the
/// incidence date. A death on the day of the first treatment still counts
/// as treated.
pub fn summarise_pathway(
    tumour: &Tumour,
    events: &[Event],
    death: Option<NaiveDate>,
    settings: &PathwaySettings,
) -> TumourPathway {
    let diagnosis = full_date(tumour.incidence_date.as_ref());
    let mut pathway = TumourPathway {
        tumour_id: tumour.tumour_id.clone(),
        site_group: tumour.site_group.clone(),
        stage: stage_category(tumour).to_string(),
        sex: tumour.sex.label().to_string(),
        age_band: tumour
            .age_at_incidence
            .map_or_else(|| "unknown".to_string(), age_band),
        departement: tumour
            .departement
            .clone()
            .unwrap_or_else(|| "unknown".to_string()),
        diagnosis,
        death,
        status: TreatmentStatus::Untreated,
        first_treatment: None,
        delay_days: None,
        sequence: Vec::new(),
        surgery: None,
        ignored_acts: 0,
    };
    if tumour.death_certificate_only {
        pathway.status = TreatmentStatus::DeathCertificateOnly;
        return pathway;
    }
    let Some(diagnosis) = diagnosis else {
        pathway.status = TreatmentStatus::IncompleteDiagnosisDate;
        return pathway;
    };

    let mut acts: Vec<TreatmentAct> = Vec::new();
    for event in events {
        let EventKind::Treatment(modality) = event.kind else {
            continue;
        };
        let Some(date) = event.date.complete() else {
            pathway.ignored_acts += 1;
            continue;
        };
        let after_death = death.is_some_and(|d| date > d);
        let long_before =
            (diagnosis - date).num_days() > settings.before_diagnosis_days;
        if after_death || long_before {
            pathway.ignored_acts += 1;
            continue;
        }
        acts.push(TreatmentAct {
            date,
            modality,
            establishment: event.establishment.clone(),
        });
    }
    acts.sort_by_key(|a| (a.date, a.modality));

    let Some(first) = acts.first().cloned() else {
        pathway.status = if death.is_some() {
            TreatmentStatus::DiedBeforeTreatment
        } else {
            TreatmentStatus::Untreated
        };
        return pathway;
    };
    let delay = (first.date - diagnosis).num_days();
    pathway.status = if delay < 0 {
        TreatmentStatus::TreatedBeforeDiagnosis
    } else {
        TreatmentStatus::Treated
    };
    pathway.delay_days = Some(delay);
    for act in &acts {
        if (act.date - first.date).num_days() > settings.first_line_days {
            break;
        }
        if !pathway.sequence.contains(&act.modality) {
            pathway.sequence.push(act.modality);
        }
    }
    pathway.surgery = acts
        .iter()
        .find(|a| a.modality == Modality::Surgery)
        .cloned();
    pathway.first_treatment = Some(first);
    pathway
}
