//! Long-term illness, screening and treatment records link to a person
//! but never make a tumour of their own, and do not change the tumour the
//! other records make. Like a hospital stay without a cancer code, they
//! are attached to the person's tumour when there is only one.

mod common;

use common::{date, pathology};
use rnc_model::{
    ScreeningProgramme, ScreeningResult, ScreeningTest, Sex, SourceKind,
    SourceRecord, TreatmentType,
};
use rnc_rules::consolidate_person;

/// An ALD 30 declaration, a positive screening test and a surgery act,
/// each coding a breast cancer where the kind has a code.
fn evidence() -> Vec<SourceRecord> {
    let base = |kind: SourceKind, id: &str, day: &str| SourceRecord {
        record_id: format!("{}/{id}", kind.name()),
        source_kind: Some(kind),
        sex: Some(Sex::Female),
        event_date: Some(date(day)),
        age_at_event: Some(60),
        ..SourceRecord::default()
    };
    vec![
        SourceRecord {
            icd10: Some("C50.4".into()),
            ..base(SourceKind::LongTermIllness, "A1", "2019-12-01")
        },
        SourceRecord {
            screening_programme: Some(ScreeningProgramme::Breast),
            screening_test: Some(ScreeningTest::Mammography),
            screening_result: Some(ScreeningResult::Positive),
            ..base(SourceKind::Screening, "K1", "2019-11-02")
        },
        SourceRecord {
            treatment: Some(TreatmentType::Surgery),
            procedure_code: Some("QEFA003".into()),
            icd10: Some("C50.4".into()),
            ..base(SourceKind::Treatment, "T1", "2019-12-20")
        },
    ]
}

#[test]
fn evidence_alone_makes_no_tumour() {
    let records = evidence();
    let refs: Vec<&SourceRecord> = records.iter().collect();

    let result = consolidate_person("P1", &refs);

    assert!(result.tumours.is_empty());
    assert_eq!(result.record_tumour.len(), 3);
    assert!(
        result
            .record_tumour
            .iter()
            .all(|(_, tumour)| tumour.is_none())
    );
}

#[test]
fn evidence_leaves_the_tumour_unchanged() {
    // The incidence date stays the pathology date: none of the evidence
    // dates enters the ENCR incidence-date hierarchy, though two are
    // earlier.
    let report = pathology("P", "2020-01-10", "C50.4", 8500);
    let mut records = evidence();
    records.push(report.clone());
    let refs: Vec<&SourceRecord> = records.iter().collect();

    let result = consolidate_person("P1", &refs);
    let alone = consolidate_person("P1", &[&report]);

    assert_eq!(result.tumours.len(), 1);
    let tumour = &result.tumours[0];
    assert_eq!(tumour.incidence_date, alone.tumours[0].incidence_date);
    assert_eq!(tumour.incidence_date.unwrap().to_iso(), "2020-01-10");
    assert_eq!(tumour.morphology, alone.tumours[0].morphology);
    assert_eq!(
        tumour.basis_of_diagnosis,
        alone.tumours[0].basis_of_diagnosis
    );
    assert_eq!(tumour.record_ids.len(), 4);
}

#[test]
fn evidence_is_not_attached_to_one_of_several() {
    // With two tumours, a record without a site of its own does not show
    // which tumour it is about, so it stays without tumour.
    let mut records = evidence();
    records.push(pathology("P", "2020-01-10", "C50.4", 8500));
    records.push(pathology("Q", "2020-02-10", "C18.7", 8140));
    let refs: Vec<&SourceRecord> = records.iter().collect();

    let result = consolidate_person("P1", &refs);

    assert_eq!(result.tumours.len(), 2);
    for (record, tumour) in &result.record_tumour {
        let evidence = !record.starts_with("pathology_report/");
        assert_eq!(tumour.is_none(), evidence, "{record}");
    }
}
