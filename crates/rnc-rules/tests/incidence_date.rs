//! Incidence date and DCO. Expected dates follow the ENCR recommendation
//! on the date of incidence (1997): take the first event, unless a
//! higher-priority event (histology > hospital admission > other >
//! death) occurs within three months of it.

mod common;

use common::{date, death, pathology, registry, stay};
use rnc_model::{BasisOfDiagnosis, SourceRecord};
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
    assert_eq!(tumour.incidence_date, date("2023-02-20"));
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
    assert_eq!(result.tumours[0].incidence_date, date("2023-01-10"));
}

// The registry's own incidence date ranks highest in the hierarchy.
#[test]
fn registry_date_ranks_highest() {
    let result = consolidate(&[
        pathology("A", "2023-02-01", "C50.4", 8500),
        registry("R", "2023-03-15", "C50.4", 8500),
    ]);
    assert_eq!(result.tumours[0].incidence_date, date("2023-03-15"));
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
    assert_eq!(tumour.incidence_date, date("2024-05-03"));
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
    assert_eq!(tumour.incidence_date, date("2023-01-10"));
    assert_eq!(tumour.basis_of_diagnosis, BasisOfDiagnosis::Clinical);
    assert_eq!(tumour.departement.as_deref(), Some("14"));
}
