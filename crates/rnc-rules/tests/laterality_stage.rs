//! Laterality and stage of consolidated tumours. Expected values follow
//! the IARC/IACR 2004 rules for multiple primaries (rule 3: one tumour
//! per organ or pair of organs) and the ENCR-JRC laterality codes (item
//! 23). Stage follows the ENCR incidence-date hierarchy of sources
//! (registry, pathology, hospital, death) and the UICC TNM 8 preference
//! for pTNM.

mod common;

use common::{pathology, registry, stay};
use rnc_model::{Laterality, SourceRecord, Stage, SummaryStage, Tnm, TnmBasis};
use rnc_rules::{batch_to_tumours, consolidate_person, tumours_to_batch};

fn sided(mut record: SourceRecord, side: Laterality) -> SourceRecord {
    record.laterality = Some(side);
    record
}

fn staged(mut record: SourceRecord, basis: TnmBasis, t: &str) -> SourceRecord {
    let tnm = Tnm::parse(basis, Some(t), Some("N0"), Some("M0"), None, Some(8))
        .unwrap();
    record.stage = Some(Stage {
        tnm: Some(tnm),
        summary: None,
    });
    record
}

fn consolidate(records: &[SourceRecord]) -> Vec<rnc_model::Tumour> {
    let refs: Vec<&SourceRecord> = records.iter().collect();
    consolidate_person("P1", &refs).tumours
}

// Rule 3: left and right breast, same histology group, are one tumour,
// whose laterality is bilateral (code 4).
#[test]
fn left_and_right_breast_bilateral() {
    let records = [
        sided(
            pathology("L", "2020-02-10", "C50.4", 8500),
            Laterality::Left,
        ),
        sided(
            pathology("R", "2021-06-10", "C50.2", 8500),
            Laterality::Right,
        ),
    ];
    let tumours = consolidate(&records);
    assert_eq!(tumours.len(), 1);
    assert_eq!(tumours[0].laterality, Some(Laterality::Bilateral));
}

// Rule 4.2 still applies to paired organs: another histology group in
// the other kidney is a second primary, each with its own side.
#[test]
fn paired_organ_other_group_keeps_sides() {
    let records = [
        sided(
            pathology("L", "2020-02-10", "C64.9", 8312),
            Laterality::Left,
        ),
        sided(
            pathology("R", "2021-06-10", "C64.9", 8800),
            Laterality::Right,
        ),
    ];
    let tumours = consolidate(&records);
    assert_eq!(tumours.len(), 2);
    assert_eq!(tumours[0].laterality, Some(Laterality::Left));
    assert_eq!(tumours[1].laterality, Some(Laterality::Right));
}

// A known side wins over "unilateral, side unknown" (3) and unknown (9).
#[test]
fn known_side_wins_over_unknown() {
    let records = [
        sided(
            stay("S1", "2020-02-01", "C50.9", &[]),
            Laterality::UnilateralSideUnknown,
        ),
        sided(
            pathology("A", "2020-02-10", "C50.4", 8500),
            Laterality::Left,
        ),
        sided(
            registry("B", "2020-02-10", "C50.4", 8500),
            Laterality::Unknown,
        ),
    ];
    let tumours = consolidate(&records);
    assert_eq!(tumours.len(), 1);
    assert_eq!(tumours[0].laterality, Some(Laterality::Left));
}

// The registry's stage ranks above the pathology report's.
#[test]
fn registry_stage_wins() {
    let records = [
        staged(
            pathology("A", "2020-02-10", "C18.7", 8140),
            TnmBasis::Pathological,
            "T3",
        ),
        staged(
            registry("B", "2020-02-10", "C18.7", 8140),
            TnmBasis::Clinical,
            "T2",
        ),
    ];
    let tumours = consolidate(&records);
    let tnm = tumours[0].stage.as_ref().unwrap().tnm.as_ref().unwrap();
    assert_eq!(tnm.basis, TnmBasis::Clinical);
    assert_eq!(tnm.t.as_deref(), Some("T2"));
}

// Between two records of one source rank, pTNM wins over cTNM, and
// between two of one basis the earlier record wins.
#[test]
fn pathological_then_earliest_stage() {
    let records = [
        staged(
            pathology("A", "2020-02-10", "C34.1", 8140),
            TnmBasis::Clinical,
            "T1",
        ),
        staged(
            pathology("B", "2020-03-10", "C34.1", 8140),
            TnmBasis::Pathological,
            "T2",
        ),
        staged(
            pathology("C", "2020-04-10", "C34.1", 8140),
            TnmBasis::Pathological,
            "T4",
        ),
    ];
    let tumours = consolidate(&records);
    let tnm = tumours[0].stage.as_ref().unwrap().tnm.as_ref().unwrap();
    assert_eq!(tnm.basis, TnmBasis::Pathological);
    assert_eq!(tnm.t.as_deref(), Some("T2"));
}

// A tumour none of whose records states a stage has none, and the stage
// and laterality survive the tumour table.
#[test]
fn stage_round_trips_through_table() {
    let unstaged = consolidate(&[pathology("A", "2020-02-10", "C18.7", 8140)]);
    assert_eq!(unstaged[0].stage, None);
    assert_eq!(unstaged[0].laterality, None);

    let mut record = sided(
        pathology("A", "2020-02-10", "C50.4", 8500),
        Laterality::Left,
    );
    record.stage = Some(Stage {
        tnm: None,
        summary: Some(SummaryStage::Distant),
    });
    let tumours = consolidate(&[record]);
    let batch = tumours_to_batch(&tumours).unwrap();
    let back = batch_to_tumours(&batch).unwrap();
    assert_eq!(back, tumours);
    assert_eq!(back[0].laterality, Some(Laterality::Left));
}
