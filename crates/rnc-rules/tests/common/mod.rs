//! Builders of synthetic source records for the consolidation tests.

#![allow(dead_code)]

use rnc_model::{
    Behaviour, Morphology, PartialDate, Sex, SourceKind, SourceRecord,
};

pub fn date(text: &str) -> PartialDate {
    PartialDate::parse_iso(text).unwrap()
}

/// A pathology report with an ICD-O-3 site and malignant morphology.
pub fn pathology(
    id: &str,
    day: &str,
    site: &str,
    histology: u16,
) -> SourceRecord {
    coded(
        SourceKind::PathologyReport,
        id,
        day,
        site,
        histology,
        Behaviour::Malignant,
    )
}

/// A registry extract with an ICD-O-3 site and malignant morphology.
pub fn registry(
    id: &str,
    day: &str,
    site: &str,
    histology: u16,
) -> SourceRecord {
    coded(
        SourceKind::RegistryExtract,
        id,
        day,
        site,
        histology,
        Behaviour::Malignant,
    )
}

pub fn coded(
    kind: SourceKind,
    id: &str,
    day: &str,
    site: &str,
    histology: u16,
    behaviour: Behaviour,
) -> SourceRecord {
    SourceRecord {
        record_id: format!("{}/{id}", kind.name()),
        source_kind: Some(kind),
        sex: Some(Sex::Female),
        event_date: Some(date(day)),
        age_at_event: Some(60),
        departement: Some("14".into()),
        topography: Some(site.parse().unwrap()),
        morphology: Some(Morphology::new(histology, behaviour, None).unwrap()),
        ..SourceRecord::default()
    }
}

/// A hospital stay with an ICD-10 main diagnosis and further codes.
pub fn stay(id: &str, day: &str, main: &str, other: &[&str]) -> SourceRecord {
    SourceRecord {
        record_id: format!("hospital_stay/{id}"),
        source_kind: Some(SourceKind::HospitalStay),
        sex: Some(Sex::Female),
        event_date: Some(date(day)),
        age_at_event: Some(60),
        departement: Some("14".into()),
        icd10: Some(main.into()),
        icd10_other: other.iter().map(|c| c.to_string()).collect(),
        ..SourceRecord::default()
    }
}

/// A death record with an ICD-10 underlying cause.
pub fn death(id: &str, day: &str, cause: &str) -> SourceRecord {
    SourceRecord {
        record_id: format!("death_record/{id}"),
        source_kind: Some(SourceKind::DeathRecord),
        sex: Some(Sex::Female),
        event_date: Some(date(day)),
        death_date: Some(date(day)),
        age_at_event: Some(81),
        departement: Some("50".into()),
        icd10: Some(cause.into()),
        ..SourceRecord::default()
    }
}
