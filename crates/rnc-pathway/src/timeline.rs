//! The dated events of one tumour's care pathway, each with its source.

use rnc_model::{PartialDate, SourceKind, Tumour};
use serde::Serialize;

use crate::input::{LinkedRecord, PathwayRecord};
use crate::modality::{Modality, classify_record, is_palliative_care};

/// Kind of event in a pathway.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum EventKind {
    /// A test of an organised screening programme.
    ScreeningTest,
    /// The incidence date a regional registry states.
    RegistryIncidence,
    /// A specimen examined by a pathology laboratory.
    PathologyReport,
    /// A diagnosis recorded in a hospital's clinical record.
    ClinicalDiagnosis,
    /// A hospital stay that is not a treatment session.
    HospitalStay,
    /// A surgery, chemotherapy, radiotherapy or hormone therapy act or
    /// session.
    Treatment(Modality),
    /// A palliative-care stay (ICD-10 Z51.5).
    PalliativeCare,
    /// A long-term illness (ALD 30) exemption starting.
    LongTermIllness,
    /// The last contact a registry states.
    FollowUpContact,
    /// The person's death.
    Death,
}

impl EventKind {
    /// Returns the name used in timelines and tables.
    pub fn label(self) -> &'static str {
        match self {
            EventKind::ScreeningTest => "screening_test",
            EventKind::RegistryIncidence => "registry_incidence",
            EventKind::PathologyReport => "pathology_report",
            EventKind::ClinicalDiagnosis => "clinical_diagnosis",
            EventKind::HospitalStay => "hospital_stay",
            EventKind::Treatment(modality) => modality.label(),
            EventKind::PalliativeCare => "palliative_care",
            EventKind::LongTermIllness => "long_term_illness",
            EventKind::FollowUpContact => "follow_up_contact",
            EventKind::Death => "death",
        }
    }

    /// Tells whether the event can be the first diagnostic act: a registry
    /// incidence, a pathology specimen, a clinical diagnosis or a hospital
    /// stay.
    pub fn is_diagnostic(self) -> bool {
        matches!(
            self,
            EventKind::RegistryIncidence
                | EventKind::PathologyReport
                | EventKind::ClinicalDiagnosis
                | EventKind::HospitalStay
        )
    }
}

/// Returns the ICD-O-3 site and morphology of a record, such as
/// `C50.4 8500/3`, or an empty text when either is missing.
fn coded_detail(record: &PathwayRecord) -> String {
    match (record.topography, record.morphology) {
        (Some(site), Some(morphology)) => format!(
            "{site} {:04}/{}",
            morphology.histology(),
            morphology.behaviour().code()
        ),
        _ => String::new(),
    }
}

/// Source of an event: the record and its place in its file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EventSource {
    /// `<source kind>/<source id>`.
    pub record_id: String,
    /// Source kind.
    pub kind: SourceKind,
    /// Ingestion batch.
    pub batch_id: String,
    /// File name.
    pub file: String,
    /// Line in the file, from 1.
    pub line: u64,
}

/// One dated event of a tumour's pathway.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    /// Date of the event; the day or month may be unknown.
    pub date: PartialDate,
    /// What happened.
    pub kind: EventKind,
    /// The code or result that shows it: the CCAM act, drug, ICD-10 code,
    /// or screening programme, test and result.
    pub detail: String,
    /// Establishment (FINESS) or laboratory, when the source names one.
    pub establishment: Option<String>,
    /// Whether this is the earliest diagnostic event of the tumour.
    pub first_diagnostic_act: bool,
    /// The record it comes from.
    pub source: EventSource,
}

/// Builds the events one record shows. A registry extract gives its
/// incidence date and its last contact; a death record gives the death.
pub fn record_events(linked: &LinkedRecord) -> Vec<Event> {
    let record = &linked.record;
    let Some(kind) = record.source_kind else {
        return Vec::new();
    };
    let source = EventSource {
        record_id: record.record_id.clone(),
        kind,
        batch_id: record.batch_id.clone(),
        file: record.source_file.clone(),
        line: record.source_line,
    };
    let event = |date: Option<PartialDate>, kind: EventKind, detail: String| {
        date.map(|date| Event {
            date,
            kind,
            detail,
            establishment: record.establishment.clone(),
            first_diagnostic_act: false,
            source: source.clone(),
        })
    };
    let icd10 = record.icd10.clone().unwrap_or_default();
    let mut events = Vec::new();
    match kind {
        SourceKind::RegistryExtract => {
            events.extend(event(
                record.event_date,
                EventKind::RegistryIncidence,
                String::new(),
            ));
            events.extend(event(
                record.last_contact_date,
                EventKind::FollowUpContact,
                String::new(),
            ));
        }
        SourceKind::ClinicalRecord => {
            events.extend(event(
                record.event_date,
                EventKind::ClinicalDiagnosis,
                coded_detail(record),
            ));
        }
        SourceKind::PathologyReport => {
            events.extend(event(
                record.event_date,
                EventKind::PathologyReport,
                coded_detail(record),
            ));
        }
        SourceKind::HospitalStay => {
            let kind = match classify_record(record) {
                Some(modality) => EventKind::Treatment(modality),
                None if is_palliative_care(&icd10) => EventKind::PalliativeCare,
                None => EventKind::HospitalStay,
            };
            events.extend(event(record.event_date, kind, icd10));
        }
        SourceKind::Treatment => {
            if let Some(modality) = classify_record(record) {
                let detail = join_present([
                    record.procedure_code.as_deref(),
                    record.drug_code.as_deref(),
                    record.icd10.as_deref(),
                ]);
                events.extend(event(
                    record.event_date,
                    EventKind::Treatment(modality),
                    detail,
                ));
            }
        }
        SourceKind::LongTermIllness => {
            events.extend(event(
                record.event_date,
                EventKind::LongTermIllness,
                icd10,
            ));
        }
        SourceKind::Screening => {
            let detail = join_present([
                record.screening_programme.map(|p| p.label()),
                record.screening_test.map(|t| t.label()),
                record.screening_result.map(|r| r.label()),
            ]);
            events.extend(event(
                record.event_date,
                EventKind::ScreeningTest,
                detail,
            ));
        }
        SourceKind::DeathRecord => {
            events.extend(event(record.event_date, EventKind::Death, icd10));
        }
    }
    events
}

/// Joins the parts that are present with spaces.
fn join_present(parts: [Option<&str>; 3]) -> String {
    parts.into_iter().flatten().collect::<Vec<_>>().join(" ")
}

/// Sorts a tumour's events by date (a partial date by its midpoint), then
/// kind, then record id, and marks the earliest diagnostic event.
///
/// Only records attributed to `tumour` should be passed, together with the
/// person's death record, which every tumour of the person shares.
pub fn build_timeline(
    tumour: &Tumour,
    records: &[&LinkedRecord],
) -> Vec<Event> {
    let mut events: Vec<Event> =
        records.iter().flat_map(|r| record_events(r)).collect();
    events.sort_by(|a, b| {
        (a.date.midpoint(), a.kind, &a.source.record_id).cmp(&(
            b.date.midpoint(),
            b.kind,
            &b.source.record_id,
        ))
    });
    if let Some(first) = events.iter_mut().find(|e| e.kind.is_diagnostic()) {
        first.first_diagnostic_act = true;
    }
    tracing::debug!(
        tumour_id = %tumour.tumour_id,
        events = events.len(),
        "timeline built"
    );
    events
}
