//! Multiple-primary cases. Expected counts follow the IARC/IACR 2004
//! rules for multiple primaries (IACR/ENCR/IARC working group, Table 1
//! site groups, Table 2 histology groups, rules 3-5), in the decision
//! order of imsweb algorithms `IarcUtils`.

mod common;

use common::{coded, death, pathology, registry, stay};
use rnc_model::{Behaviour, SourceKind, SourceRecord};
use rnc_rules::consolidate_person;

fn count(records: &[SourceRecord]) -> usize {
    let refs: Vec<&SourceRecord> = records.iter().collect();
    consolidate_person("P1", &refs).tumours.len()
}

// Rule 3: one tumour per organ; multifocal tumours of one site are one.
#[test]
fn same_site_same_group_is_one() {
    let records = [
        pathology("A", "2020-01-10", "C18.2", 8140),
        pathology("B", "2021-05-10", "C18.6", 8480),
    ];
    assert_eq!(count(&records), 1);
}

// Table 1: C19 and C20 are one site.
#[test]
fn rectosigmoid_and_rectum_are_one() {
    let records = [
        pathology("A", "2020-01-10", "C19.9", 8140),
        pathology("B", "2020-03-10", "C20.9", 8140),
    ];
    assert_eq!(count(&records), 1);
}

// Table 1 does not group colon C18 with rectum C20.
#[test]
fn colon_and_rectum_are_two() {
    let records = [
        pathology("A", "2020-01-10", "C18.7", 8140),
        pathology("B", "2020-03-10", "C20.9", 8140),
    ];
    assert_eq!(count(&records), 2);
}

// Table 2: 8500 and 8520 are both group 3 (adenocarcinoma).
#[test]
fn ductal_and_lobular_breast_is_one() {
    let records = [
        pathology("A", "2020-01-10", "C50.4", 8500),
        pathology("B", "2020-09-10", "C50.2", 8520),
    ];
    assert_eq!(count(&records), 1);
}

// Rule 4.2: 8070 (group 1) and 8041 (group 4) in the lung are two.
#[test]
fn squamous_and_small_cell_lung_are_two() {
    let records = [
        pathology("A", "2020-01-10", "C34.1", 8070),
        pathology("B", "2020-02-10", "C34.3", 8041),
    ];
    assert_eq!(count(&records), 2);
}

// Rule 5: carcinoma NOS (group 5) does not count against adenocarcinoma
// (group 3); the specific morphology is kept.
#[test]
fn carcinoma_nos_merges_keeping_specific() {
    let records = [
        pathology("A", "2020-01-10", "C16.2", 8010),
        pathology("B", "2020-02-10", "C16.3", 8140),
    ];
    let refs: Vec<&SourceRecord> = records.iter().collect();
    let result = consolidate_person("P1", &refs);
    assert_eq!(result.tumours.len(), 1);
    assert_eq!(result.tumours[0].morphology.histology(), 8140);
}

// Rule 4.1: different haemato-lymphoid groups (myeloid 8, B-cell 9).
#[test]
fn two_haemato_groups_are_two() {
    let records = [
        pathology("A", "2020-01-10", "C42.1", 9861),
        pathology("B", "2022-01-10", "C77.3", 9680),
    ];
    assert_eq!(count(&records), 2);
}

// Rule 4.1: group 14 (NOS) merges with any of groups 8-13, whatever the
// site; the specific B-cell code is kept.
#[test]
fn haemato_nos_and_b_cell_are_one() {
    let records = [
        pathology("A", "2020-01-10", "C77.9", 9591),
        pathology("B", "2020-04-10", "C42.1", 9680),
    ];
    let refs: Vec<&SourceRecord> = records.iter().collect();
    let result = consolidate_person("P1", &refs);
    assert_eq!(result.tumours.len(), 1);
    assert_eq!(result.tumours[0].morphology.histology(), 9680);
}

// Deviation from rule 5, which lists groups 1-7, 15 and 16 for group 17:
// a neoplasm NOS (8000, group 17) at the site of a leukaemia (C42.1) or a
// lymphoma (C77) is the same tumour, and the specific code is kept. At
// another site it stays a separate primary, as the published rule says.
#[test]
fn unspecified_joins_haemato_at_same_site() {
    let leukaemia = [
        pathology("A", "2021-03-11", "C42.1", 8000),
        stay("S1", "2021-03-18", "C92.0", &[]),
    ];
    let refs: Vec<&SourceRecord> = leukaemia.iter().collect();
    let result = consolidate_person("P1", &refs);
    assert_eq!(result.tumours.len(), 1);
    assert_eq!(result.tumours[0].morphology.histology(), 9861);
    assert_eq!(result.tumours[0].site_group, "leukaemias");

    let lymphoma = [
        registry("R", "2022-03-30", "C77.3", 8000),
        pathology("A", "2022-03-30", "C77.9", 9680),
    ];
    assert_eq!(count(&lymphoma), 1);

    let elsewhere = [
        pathology("A", "2021-03-11", "C42.1", 9861),
        pathology("B", "2022-05-11", "C34.1", 8000),
    ];
    assert_eq!(count(&elsewhere), 2);
}

// Rule 4.1: Kaposi sarcoma is counted once per person.
#[test]
fn kaposi_at_two_sites_is_one() {
    let records = [
        pathology("A", "2020-01-10", "C44.7", 9140),
        pathology("B", "2021-01-10", "C16.2", 9140),
    ];
    assert_eq!(count(&records), 1);
}

// Rule 5 with a hospital stay: its ICD-10 code implies 8000 (group 17),
// which merges with the specific pathology morphology at the same site.
#[test]
fn hospital_nos_merges_with_pathology() {
    let records = [
        stay("S1", "2020-01-10", "C50.9", &[]),
        pathology("A", "2020-01-20", "C50.4", 8500),
    ];
    let refs: Vec<&SourceRecord> = records.iter().collect();
    let result = consolidate_person("P1", &refs);
    assert_eq!(result.tumours.len(), 1);
    let tumour = &result.tumours[0];
    assert_eq!(tumour.topography.to_string(), "C50.4");
    assert_eq!(tumour.icd10, "C50.4");
    assert_eq!(tumour.site_group, "breast");
    assert_eq!(tumour.record_ids.len(), 2);
}

// A stay whose main diagnosis is chemotherapy (Z51.1) takes its site from
// the first cancer code among the associated diagnoses; a metastasis
// code (C78.7) describes no new tumour.
#[test]
fn hospital_main_diagnosis_fallback() {
    let records = [
        stay("S1", "2020-01-10", "Z51.1", &["C78.7", "C18.7"]),
        stay("S2", "2020-06-10", "C78.7", &[]),
    ];
    let refs: Vec<&SourceRecord> = records.iter().collect();
    let result = consolidate_person("P1", &refs);
    assert_eq!(result.tumours.len(), 1);
    assert_eq!(result.tumours[0].topography.to_string(), "C18.7");
    // The metastasis stay is attached to the person's only tumour.
    assert_eq!(result.tumours[0].record_ids.len(), 2);
    assert!(
        result
            .record_tumour
            .iter()
            .all(|(_, t)| t.as_deref() == Some("P1-T1"))
    );
}

// imsweb `IarcUtils`: behaviour other than /3 is not counted, except
// bladder C67 (ENCR counts in situ and uncertain bladder tumours).
#[test]
fn in_situ_counts_only_in_bladder() {
    let breast = coded(
        SourceKind::PathologyReport,
        "A",
        "2020-01-10",
        "C50.4",
        8500,
        Behaviour::InSitu,
    );
    let bladder = coded(
        SourceKind::PathologyReport,
        "B",
        "2020-01-10",
        "C67.2",
        8130,
        Behaviour::InSitu,
    );
    let refs = [&breast, &bladder];
    let result = consolidate_person("P1", &refs);
    assert_eq!(result.tumours.len(), 1);
    let tumour = &result.tumours[0];
    assert_eq!(tumour.topography.to_string(), "C67.2");
    assert_eq!(tumour.icd10, "D09.0");
    assert_eq!(tumour.site_group, "bladder");
    let breast_link = result
        .record_tumour
        .iter()
        .find(|(id, _)| id.ends_with("/A"))
        .unwrap();
    assert_eq!(breast_link.1, None);
}

// Two tumours: a record without a primary code is left without tumour
// because it does not name the tumour it belongs to.
#[test]
fn unplaced_record_with_two_tumours() {
    let records = [
        pathology("A", "2020-01-10", "C18.7", 8140),
        registry("B", "2021-01-10", "C50.4", 8500),
        death("D", "2023-01-10", "I21.9"),
    ];
    let refs: Vec<&SourceRecord> = records.iter().collect();
    let result = consolidate_person("P1", &refs);
    assert_eq!(result.tumours.len(), 2);
    assert_eq!(result.tumours[0].tumour_id, "P1-T1");
    assert_eq!(result.tumours[0].topography.to_string(), "C18.7");
    assert_eq!(result.tumours[1].tumour_id, "P1-T2");
    let death_link = result
        .record_tumour
        .iter()
        .find(|(id, _)| id.starts_with("death"))
        .unwrap();
    assert_eq!(death_link.1, None);
    assert_eq!(result.record_tumour.len(), 3);
}

// Rule 3: a pair of organs is one organ, so tumours of the same
// histology group in both breasts (or both kidneys) count once, even
// years apart (rule 1: not time-dependent). Laterality does not split
// them under the IARC/IACR 2004 rules, unlike SEER MP/H.
#[test]
fn paired_organs_are_one() {
    let breasts = [
        pathology("L", "2019-02-10", "C50.4", 8500),
        pathology("R", "2023-06-10", "C50.2", 8500),
    ];
    assert_eq!(count(&breasts), 1);
    let kidneys = [
        pathology("L", "2020-02-10", "C64.9", 8312),
        registry("R", "2022-06-10", "C64.9", 8312),
    ];
    assert_eq!(count(&kidneys), 1);
    // A different histology group in the other breast is a new primary
    // (rule 4.2): sarcoma 8800 (group 6) against adenocarcinoma (group 3).
    let sarcoma = [
        pathology("L", "2019-02-10", "C50.4", 8500),
        pathology("R", "2021-06-10", "C50.2", 8800),
    ];
    assert_eq!(count(&sarcoma), 2);
}

// A hospital stay coded C45 (mesothelioma, no site in ICD-10) states no
// primary site, so it joins the pleural mesothelioma whichever comes
// first, instead of counting as a second primary at C80.9.
#[test]
fn unstated_site_joins_compatible_tumour() {
    let stay_first = [
        stay("S1", "2021-01-10", "C45", &[]),
        pathology("A", "2021-02-01", "C38.4", 9050),
    ];
    let refs: Vec<&SourceRecord> = stay_first.iter().collect();
    let result = consolidate_person("P1", &refs);
    assert_eq!(result.tumours.len(), 1);
    assert_eq!(result.tumours[0].topography.to_string(), "C38.4");

    let stay_later = [
        pathology("A", "2021-02-01", "C38.4", 9050),
        stay("S1", "2021-06-10", "C45", &[]),
    ];
    assert_eq!(count(&stay_later), 1);

    // A stated different site with another histology group stays apart.
    let two = [
        stay("S1", "2021-01-10", "C45", &[]),
        pathology("A", "2021-02-01", "C18.7", 8140),
    ];
    assert_eq!(count(&two), 2);
}
