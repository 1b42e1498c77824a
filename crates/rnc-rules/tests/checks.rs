//! Quality checks on crafted tumours. Each rule comes from the IARC/IACR
//! consistency checks (IARC TR42, outcomes as in CanReg5): sex/site
//! Invalid; age/site, age/histology, behaviour/site, grade/histology
//! Rare; basis/histology Query; dates Invalid. Laterality/site follows the
//! ENCR-JRC check families (error Invalid, warning Query).

mod common;

use common::{date, death};
use rnc_model::{
    BasisOfDiagnosis, Behaviour, Laterality, Morphology, Sex, SourceKind,
    SourceRecord, Tumour,
};
use rnc_rules::{Severity, check_tumour, checks_to_batch, tumours_to_batch};

/// A clean tumour: colon adenocarcinoma, histology, woman of 60.
fn clean() -> Tumour {
    Tumour {
        tumour_id: "P1-T1".into(),
        person_id: "P1".into(),
        sex: Sex::Female,
        topography: "C18.7".parse().unwrap(),
        morphology: Morphology::new(8140, Behaviour::Malignant, Some(2))
            .unwrap(),
        icd10: "C18.7".into(),
        site_group: "colon_rectum".into(),
        incidence_date: Some(date("2022-03-04")),
        age_at_incidence: Some(60),
        basis_of_diagnosis: BasisOfDiagnosis::HistologyOfPrimary,
        death_certificate_only: false,
        departement: Some("14".into()),
        record_ids: vec!["pathology_report/A".into()],
        sources: vec![SourceKind::PathologyReport],
        laterality: None,
        stage: None,
    }
}

fn rules(
    tumour: &Tumour,
    records: &[&SourceRecord],
) -> Vec<(String, Severity)> {
    check_tumour(tumour, records)
        .into_iter()
        .map(|c| (c.rule_id, c.severity))
        .collect()
}

#[test]
fn clean_tumour_passes() {
    assert!(check_tumour(&clean(), &[]).is_empty());
}

#[test]
fn code_validity_fires() {
    let mut tumour = clean();
    tumour.topography = "C18.7".parse().unwrap();
    tumour.morphology =
        Morphology::new(8006, Behaviour::Malignant, None).unwrap();
    assert!(
        rules(&tumour, &[])
            .contains(&("code_validity".into(), Severity::Invalid))
    );

    let mut tumour = clean();
    tumour.topography = "C19.0".parse().unwrap();
    tumour.icd10 = String::new();
    let found = check_tumour(&tumour, &[]);
    assert!(
        found.iter().any(
            |c| c.rule_id == "code_validity" && c.message.contains("C19.0")
        )
    );
}

#[test]
fn date_order_fires() {
    let died = death("D", "2022-01-15", "C18.7");
    assert_eq!(
        rules(&clean(), &[&died]),
        vec![("date_order".into(), Severity::Invalid)]
    );

    let mut contact = SourceRecord {
        last_contact_date: Some(date("2022-02")),
        ..SourceRecord::default()
    };
    assert_eq!(
        rules(&clean(), &[&contact]),
        vec![("date_order".into(), Severity::Invalid)]
    );

    // Same month but unknown day: not certainly after, so no finding.
    contact.last_contact_date = Some(date("2022-03"));
    assert!(rules(&clean(), &[&contact]).is_empty());
}

#[test]
fn sex_site_fires() {
    let mut tumour = clean();
    tumour.sex = Sex::Male;
    tumour.topography = "C53.9".parse().unwrap();
    tumour.icd10 = "C53.9".into();
    assert!(
        rules(&tumour, &[]).contains(&("sex_site".into(), Severity::Invalid))
    );

    let mut tumour = clean();
    tumour.topography = "C61.9".parse().unwrap();
    tumour.icd10 = "C61".into();
    assert!(
        rules(&tumour, &[]).contains(&("sex_site".into(), Severity::Invalid))
    );
}

#[test]
fn age_site_fires() {
    let mut tumour = clean();
    tumour.age_at_incidence = Some(17);
    assert_eq!(rules(&tumour, &[]), vec![]);
    tumour.topography = "C20.9".parse().unwrap();
    tumour.icd10 = "C20".into();
    assert_eq!(
        rules(&tumour, &[]),
        vec![("age_site".into(), Severity::Rare)]
    );
}

#[test]
fn behaviour_site_fires() {
    let mut tumour = clean();
    tumour.topography = "C71.0".parse().unwrap();
    tumour.morphology = Morphology::new(8140, Behaviour::InSitu, None).unwrap();
    tumour.icd10 = "D09.7".into();
    assert!(
        rules(&tumour, &[])
            .contains(&("behaviour_site".into(), Severity::Rare))
    );
}

#[test]
fn basis_histology_fires() {
    let mut tumour = clean();
    tumour.basis_of_diagnosis = BasisOfDiagnosis::ClinicalInvestigation;
    assert_eq!(
        rules(&tumour, &[]),
        vec![("basis_histology".into(), Severity::Query)]
    );

    // 8000 and hepatocellular 8170 are acceptable without histology.
    tumour.morphology =
        Morphology::new(8000, Behaviour::Malignant, None).unwrap();
    assert!(rules(&tumour, &[]).is_empty());
}

#[test]
fn age_histology_fires() {
    let mut tumour = clean();
    tumour.topography = "C42.1".parse().unwrap();
    tumour.morphology =
        Morphology::new(9823, Behaviour::Malignant, None).unwrap();
    tumour.icd10 = "C91.1".into();
    tumour.age_at_incidence = Some(12);
    assert!(
        rules(&tumour, &[]).contains(&("age_histology".into(), Severity::Rare))
    );
    tumour.age_at_incidence = Some(70);
    assert!(rules(&tumour, &[]).is_empty());
}

#[test]
fn grade_histology_fires() {
    let mut tumour = clean();
    tumour.morphology =
        Morphology::new(8140, Behaviour::Malignant, Some(6)).unwrap();
    assert_eq!(
        rules(&tumour, &[]),
        vec![("grade_histology".into(), Severity::Rare)]
    );
}

#[test]
fn tables_have_one_row_each() {
    let tumour = clean();
    let mut wrong = clean();
    wrong.sex = Sex::Male;
    wrong.topography = "C56.9".parse().unwrap();
    let checks = check_tumour(&wrong, &[]);
    let batch = tumours_to_batch(&[tumour, wrong]).unwrap();
    assert_eq!(batch.num_rows(), 2);
    assert_eq!(batch.schema(), rnc_rules::tumour_schema());
    let checks_batch = checks_to_batch(&checks).unwrap();
    assert_eq!(checks_batch.num_rows(), checks.len());
    assert!(checks[0].message.contains("P1-T1"));
    assert!(checks[0].message.contains("C56.9"));
}

// IARC CHECK sex/histology (TR42): a granulosa cell tumour (8620, ovary
// family 25) in a man and a seminoma (9061, testis family 29) in a
// woman are unlikely.
#[test]
fn sex_histology_fires() {
    let mut tumour = clean();
    tumour.sex = Sex::Male;
    tumour.topography = "C48.2".parse().unwrap();
    tumour.morphology =
        Morphology::new(8620, Behaviour::Malignant, None).unwrap();
    tumour.icd10 = "C48.2".into();
    assert!(
        rules(&tumour, &[]).contains(&("sex_histology".into(), Severity::Rare))
    );

    let mut tumour = clean();
    tumour.topography = "C56.9".parse().unwrap();
    tumour.morphology =
        Morphology::new(9061, Behaviour::Malignant, None).unwrap();
    tumour.icd10 = "C56".into();
    let found = rules(&tumour, &[]);
    assert!(found.contains(&("sex_histology".into(), Severity::Rare)));
    // A seminoma outside C62-C63 also breaks family 29's site profile.
    assert!(found.contains(&("site_histology".into(), Severity::Rare)));
}

// IARC TR42 Appendix 1: hepatocellular carcinoma (8170, family 8) only
// in the liver; adenocarcinoma (8140, family 66) not in the brain.
#[test]
fn site_histology_fires() {
    let mut tumour = clean();
    tumour.morphology =
        Morphology::new(8170, Behaviour::Malignant, None).unwrap();
    assert_eq!(
        rules(&tumour, &[]),
        vec![("site_histology".into(), Severity::Rare)]
    );
    tumour.topography = "C22.0".parse().unwrap();
    tumour.icd10 = "C22.0".into();
    assert!(rules(&tumour, &[]).is_empty());

    let mut tumour = clean();
    tumour.topography = "C71.9".parse().unwrap();
    tumour.icd10 = "C71.9".into();
    let found = check_tumour(&tumour, &[]);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].rule_id, "site_histology");
    assert!(found[0].message.contains("family 66"));
}

// ICD-O-3 lists 9140 (Kaposi sarcoma) with behaviour /3 only.
#[test]
fn behaviour_histology_fires() {
    let mut tumour = clean();
    tumour.topography = "C44.7".parse().unwrap();
    tumour.morphology = Morphology::new(9140, Behaviour::InSitu, None).unwrap();
    tumour.icd10 = "D04.7".into();
    assert!(
        rules(&tumour, &[])
            .contains(&("behaviour_histology".into(), Severity::Invalid))
    );
    tumour.morphology =
        Morphology::new(9140, Behaviour::Malignant, None).unwrap();
    tumour.icd10 = "C46.0".into();
    assert!(rules(&tumour, &[]).is_empty());
}

// IARC CHECK grade/histology: B-cell lymphoma 9680 takes grade 6, T-cell
// 9702 grade 5; grade 1-4 never fits 9590 and above; a grade on an in
// situ tumour is unlikely; grade 9 always passes.
#[test]
fn grade_histology_details() {
    let lymphoma = |histology, grade| {
        let mut tumour = clean();
        tumour.topography = "C77.2".parse().unwrap();
        tumour.morphology =
            Morphology::new(histology, Behaviour::Malignant, grade).unwrap();
        tumour.icd10 = "C83.3".into();
        rules(&tumour, &[])
    };
    let grade_rule = vec![("grade_histology".to_string(), Severity::Rare)];
    assert_eq!(lymphoma(9680, Some(6)), vec![]);
    assert_eq!(lymphoma(9680, Some(5)), grade_rule);
    assert_eq!(lymphoma(9680, Some(2)), grade_rule);
    assert_eq!(lymphoma(9680, Some(9)), vec![]);
    assert_eq!(lymphoma(9702, Some(5)), vec![]);
    assert_eq!(lymphoma(9702, Some(6)), grade_rule);

    let mut tumour = clean();
    tumour.topography = "C67.2".parse().unwrap();
    tumour.morphology =
        Morphology::new(8130, Behaviour::InSitu, Some(2)).unwrap();
    tumour.icd10 = "D09.0".into();
    assert_eq!(rules(&tumour, &[]), grade_rule);
}

// Laterality/site, with the paired organs of the SEER Program Coding and
// Staging Manual and the ENCR-JRC laterality codes. A side at an unpaired
// site (colon C18.7) is an error, 0 (not applicable) at a paired site
// (breast C50.4) is a warning, and 9 (unknown) passes everywhere.
#[test]
fn laterality_site_fires() {
    let laterality_rules = |site: &str, side: Laterality| {
        let mut tumour = clean();
        tumour.topography = site.parse().unwrap();
        tumour.laterality = Some(side);
        check_tumour(&tumour, &[])
            .into_iter()
            .filter(|c| c.rule_id == "laterality_site")
            .map(|c| (c.severity, c.message))
            .collect::<Vec<_>>()
    };
    for side in [
        Laterality::Right,
        Laterality::Left,
        Laterality::UnilateralSideUnknown,
        Laterality::Bilateral,
    ] {
        let found = laterality_rules("C18.7", side);
        assert_eq!(found.len(), 1, "{side:?} at C18.7");
        assert_eq!(found[0].0, Severity::Invalid);
        assert!(found[0].1.contains("not a paired organ"), "{}", found[0].1);
        assert!(laterality_rules("C50.4", side).is_empty(), "{side:?}");
    }

    let found = laterality_rules("C50.4", Laterality::NotPaired);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].0, Severity::Query);
    assert!(found[0].1.contains("paired site C50.4"), "{}", found[0].1);
    assert!(laterality_rules("C18.7", Laterality::NotPaired).is_empty());

    assert!(laterality_rules("C18.7", Laterality::Unknown).is_empty());
    assert!(laterality_rules("C50.4", Laterality::Unknown).is_empty());
    // Paired sites at both ends of the table: C07.9 parotid, C75.4
    // carotid body; C44.4 (skin of scalp and neck) is not paired.
    assert!(laterality_rules("C07.9", Laterality::Left).is_empty());
    assert!(laterality_rules("C75.4", Laterality::Right).is_empty());
    assert_eq!(
        laterality_rules("C44.4", Laterality::Left)[0].0,
        Severity::Invalid
    );
}

// A tumour known from a death certificate only is a query until it is
// traced back: basis 0 with morphology 8000 raises nothing else, and a
// tumour with any other source raises no trace-back.
#[test]
fn dco_trace_back_fires() {
    let mut tumour = clean();
    tumour.morphology =
        Morphology::new(8000, Behaviour::Malignant, None).unwrap();
    tumour.basis_of_diagnosis = BasisOfDiagnosis::DeathCertificateOnly;
    tumour.death_certificate_only = true;
    tumour.sources = vec![SourceKind::DeathRecord];
    let found = check_tumour(&tumour, &[]);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].rule_id, "dco_trace_back");
    assert_eq!(found[0].severity, Severity::Query);
    assert!(found[0].message.contains("C18.7"), "{}", found[0].message);

    tumour.death_certificate_only = false;
    tumour.basis_of_diagnosis = BasisOfDiagnosis::Clinical;
    assert!(check_tumour(&tumour, &[]).is_empty());
}
