//! Incidence date and DCO. Expected dates follow the ENCR recommendation
//! on the date of incidence (1997): take the first event, unless a
//! higher-priority event (histology > hospital admission > other >
//! death) occurs within three months of it.

mod common;

use arrow_array::Array;
use common::{coded, date, death, pathology, registry, stay};
use rnc_model::{BasisOfDiagnosis, Behaviour, SourceKind, SourceRecord};
use rnc_rules::consolidate_person;

fn consolidate(records: &[SourceRecord]) -> rnc_rules::Consolidation {
    let refs: Vec<&SourceRecord> = records.iter().collect();
    consolidate_person("P7", &refs)
}

// Admission 10 Jan, histology 20 Feb: histology lies within three months
// and ranks higher, so its date is the incidence date.
#[test]
fn histology_within_three_months_wins() {
    let mut histology = pathology("A", "2023-02-20", "C34.1", 8070);
    histology.age_at_event = Some(64);
    let result =
        consolidate(&[stay("S", "2023-01-10", "C34.1", &[]), histology]);
    assert_eq!(result.tumours.len(), 1);
    let tumour = &result.tumours[0];
    assert_eq!(tumour.incidence_date, Some(date("2023-02-20")));
    assert_eq!(tumour.age_at_incidence, Some(64));
    assert_eq!(
        tumour.basis_of_diagnosis,
        BasisOfDiagnosis::HistologyOfPrimary
    );
}

// Histology six months after the admission is outside the window: the
// admission date stays the incidence date.
#[test]
fn histology_after_six_months_loses() {
    let result = consolidate(&[
        stay("S", "2023-01-10", "C34.1", &[]),
        pathology("A", "2023-07-10", "C34.1", 8070),
    ]);
    assert_eq!(result.tumours.len(), 1);
    assert_eq!(result.tumours[0].incidence_date, Some(date("2023-01-10")));
}

// The registry's own incidence date ranks highest in the hierarchy.
#[test]
fn registry_date_ranks_highest() {
    let result = consolidate(&[
        pathology("A", "2023-02-01", "C50.4", 8500),
        registry("R", "2023-03-15", "C50.4", 8500),
    ]);
    assert_eq!(result.tumours[0].incidence_date, Some(date("2023-03-15")));
}

// A clinician's date of diagnosis from a hospital's clinical record
// (clinical_record, as from an FHIR Condition) ranks below histology and a
// hospital admission. Either of them within three months after it gives
// the incidence date, and the pathology codes win over the clinical ones.
#[test]
fn clinical_record_ranks_below_histology_and_admission() {
    let clinical = |day: &str| {
        let mut record = coded(
            SourceKind::ClinicalRecord,
            "C",
            day,
            "C50.9",
            8010,
            Behaviour::Malignant,
        );
        record.basis_of_diagnosis = Some(BasisOfDiagnosis::Unknown);
        record
    };

    let result = consolidate(&[
        clinical("2023-01-05"),
        pathology("A", "2023-02-20", "C50.4", 8500),
    ]);
    assert_eq!(result.tumours.len(), 1);
    let tumour = &result.tumours[0];
    assert_eq!(tumour.incidence_date, Some(date("2023-02-20")));
    assert_eq!(tumour.topography.to_string(), "C50.4");
    assert_eq!(tumour.morphology.histology(), 8500);

    let result = consolidate(&[
        clinical("2023-01-05"),
        stay("S", "2023-02-01", "C50.4", &[]),
    ]);
    assert_eq!(result.tumours.len(), 1);
    assert_eq!(result.tumours[0].incidence_date, Some(date("2023-02-01")));

    // First by more than three months, its date is the incidence date.
    let result = consolidate(&[
        clinical("2023-01-05"),
        stay("S", "2023-06-01", "C50.4", &[]),
    ]);
    assert_eq!(result.tumours[0].incidence_date, Some(date("2023-01-05")));
}

// DCO: a tumour known only from a death record gets basis 0, the death
// date as incidence date and the DCO flag (ENCR).
#[test]
fn death_certificate_only() {
    let result = consolidate(&[death("D", "2024-05-03", "C25.9")]);
    assert_eq!(result.tumours.len(), 1);
    let tumour = &result.tumours[0];
    assert!(tumour.death_certificate_only);
    assert_eq!(
        tumour.basis_of_diagnosis,
        BasisOfDiagnosis::DeathCertificateOnly
    );
    assert_eq!(tumour.incidence_date, Some(date("2024-05-03")));
    assert_eq!(tumour.topography.to_string(), "C25.9");
    assert_eq!(tumour.morphology.histology(), 8000);
    assert_eq!(tumour.site_group, "pancreas");
}

// A death record that joins a tumour known from other sources does not
// make it DCO, and the death date does not move the incidence date.
#[test]
fn death_with_other_source_is_not_dco() {
    let result = consolidate(&[
        stay("S", "2023-01-10", "C25.0", &[]),
        death("D", "2023-03-01", "C25.9"),
    ]);
    assert_eq!(result.tumours.len(), 1);
    let tumour = &result.tumours[0];
    assert!(!tumour.death_certificate_only);
    assert_eq!(tumour.incidence_date, Some(date("2023-01-10")));
    assert_eq!(tumour.basis_of_diagnosis, BasisOfDiagnosis::Clinical);
    assert_eq!(tumour.departement.as_deref(), Some("14"));
}

// A record whose date the source marked wholly unknown (99999999, kept by
// ingestion as a record without an event date) joins the tumour of a
// dated record of the same primary, whose date is the incidence date.
#[test]
fn unknown_date_joins_dated_record() {
    let mut undated = registry("R", "2023-03-15", "C50.4", 8500);
    undated.event_date = None;
    let result =
        consolidate(&[undated, pathology("A", "2023-02-01", "C50.4", 8500)]);
    assert_eq!(result.tumours.len(), 1);
    let tumour = &result.tumours[0];
    assert_eq!(tumour.incidence_date, Some(date("2023-02-01")));
    assert_eq!(tumour.record_ids.len(), 2);
    assert!(rnc_rules::check_tumour(tumour, &[]).is_empty());
}

// When no record of a tumour has a date, the tumour is still counted,
// with an unknown incidence date rather than a made-up one such as year
// 9999. Its own check flags it, and it reads back from the tumours table
// with the date and the year null.
#[test]
fn tumour_without_any_date_is_kept_and_flagged() {
    let mut undated = registry("R", "2023-03-15", "C50.4", 8500);
    undated.event_date = None;
    let dated = registry("Q", "2021-06-01", "C18.7", 8140);
    let result = consolidate(&[undated, dated]);

    assert_eq!(result.tumours.len(), 2);
    // Dated tumours come first in the numbering.
    let [first, second] = result.tumours.as_slice() else {
        unreachable!("two tumours")
    };
    assert_eq!(first.incidence_date, Some(date("2021-06-01")));
    assert_eq!(second.incidence_date, None);
    assert_eq!(second.tumour_id, "P7-T2");
    assert_eq!(second.age_at_incidence, None);
    assert_eq!(second.record_ids, ["registry_extract/R"]);
    let checks = rnc_rules::check_tumour(second, &[]);
    let rules: Vec<&str> = checks.iter().map(|c| c.rule_id.as_str()).collect();
    assert_eq!(rules, ["unknown_incidence_date"]);
    assert_eq!(checks[0].severity, rnc_rules::Severity::Query);

    let batch = rnc_rules::tumours_to_batch(&result.tumours).unwrap();
    let years = batch
        .column_by_name("incidence_year")
        .unwrap()
        .as_any()
        .downcast_ref::<arrow_array::Int32Array>()
        .unwrap();
    assert_eq!(years.value(0), 2021);
    assert!(years.is_null(1));
    let read_back = rnc_rules::batch_to_tumours(&batch).unwrap();
    assert_eq!(read_back, result.tumours);
}
