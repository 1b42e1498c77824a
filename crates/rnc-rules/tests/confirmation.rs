//! Reviewer confirmations: a confirmed rare or query finding passes on
//! later runs while the tumour's codes stay the same, and lapses when
//! they change. The rule (over-ride of "rare but possible" edits, never
//! of impossible codes) follows NAACCR EDITS over-ride flags and CanReg5,
//! which lets Rare and Query results be confirmed.

use rnc_model::{
    BasisOfDiagnosis, Behaviour, Morphology, PartialDate, Sex, SourceKind,
    Tumour,
};
use rnc_rules::{
    ConfirmationFile, ErrorKind, apply_confirmations, check_tumour,
    confirm_finding,
};

/// A hepatocellular carcinoma (8170) coded to the lung: the TR42
/// Appendix 1 site/histology check finds it unlikely (family 8, liver
/// only).
fn flagged() -> Tumour {
    Tumour {
        tumour_id: "P00000007-T1".into(),
        person_id: "P00000007".into(),
        sex: Sex::Male,
        topography: "C34.1".parse().unwrap(),
        morphology: Morphology::new(8170, Behaviour::Malignant, None).unwrap(),
        icd10: "C34.1".into(),
        site_group: "lung".into(),
        incidence_date: Some(PartialDate::parse_iso("2022-05-02").unwrap()),
        age_at_incidence: Some(70),
        basis_of_diagnosis: BasisOfDiagnosis::HistologyOfPrimary,
        death_certificate_only: false,
        departement: Some("75".into()),
        record_ids: vec!["pathology_report/R1".into()],
        sources: vec![SourceKind::PathologyReport],
        laterality: None,
        stage: None,
    }
}

#[test]
fn confirmed_finding_passes_later() {
    let tumour = flagged();
    let findings = check_tumour(&tumour, &[]);
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].rule_id, "site_histology");

    let confirmation = confirm_finding(
        &tumour,
        &findings[0],
        "metastasis excluded by the pathologist's review",
        "2024-01-01T00:00:00Z",
    )
    .unwrap();
    let mut file = ConfirmationFile::default();
    file.insert(confirmation);
    let file = ConfirmationFile::from_json(&file.to_json()).unwrap();

    // A later run: same tumour, same codes, so the check passes.
    let later = check_tumour(&tumour, &[]);
    let (kept, removed) =
        apply_confirmations(later, std::slice::from_ref(&tumour), &file);
    assert!(kept.is_empty());
    assert_eq!(removed, 1);
}

#[test]
fn confirmation_lapses_when_codes_change() {
    let tumour = flagged();
    let findings = check_tumour(&tumour, &[]);
    let mut file = ConfirmationFile::default();
    file.insert(
        confirm_finding(&tumour, &findings[0], "reviewed", "t").unwrap(),
    );

    let mut recoded = flagged();
    recoded.topography = "C34.3".parse().unwrap();
    recoded.icd10 = "C34.3".into();
    let later = check_tumour(&recoded, &[]);
    let (kept, removed) =
        apply_confirmations(later, std::slice::from_ref(&recoded), &file);
    assert_eq!(removed, 0);
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].rule_id, "site_histology");
}

#[test]
fn invalid_finding_cannot_be_confirmed() {
    let mut tumour = flagged();
    tumour.sex = Sex::Female;
    tumour.topography = "C61.9".parse().unwrap();
    tumour.morphology =
        Morphology::new(8140, Behaviour::Malignant, None).unwrap();
    tumour.icd10 = "C61".into();
    let findings = check_tumour(&tumour, &[]);
    let invalid = findings.iter().find(|f| f.rule_id == "sex_site").unwrap();
    let error = confirm_finding(&tumour, invalid, "reviewed", "t").unwrap_err();
    assert!(matches!(error.kind(), ErrorKind::NotConfirmable { .. }));
    assert!(error.to_string().contains("sex_site"));
}

#[test]
fn reason_with_nir_is_rejected() {
    let tumour = flagged();
    let findings = check_tumour(&tumour, &[]);
    let error = confirm_finding(
        &tumour,
        &findings[0],
        "patient 2690499350068 reviewed",
        "t",
    )
    .unwrap_err();
    assert!(matches!(error.kind(), ErrorKind::InvalidReason { .. }));
    assert!(!error.to_string().contains("2690499350068"));
    let empty = confirm_finding(&tumour, &findings[0], "  ", "t");
    assert!(empty.is_err());
}

#[test]
fn reason_with_spaced_nir_or_date_is_rejected() {
    let tumour = flagged();
    let findings = check_tumour(&tumour, &[]);
    for reason in [
        "NIR 2 50 03 75 123 456 78",
        "born 12/03/1950",
        "born 1950-03-12",
        "seen 12.03.1950",
        "two\nlines",
    ] {
        let result = confirm_finding(&tumour, &findings[0], reason, "t");
        assert!(result.is_err(), "accepted: {reason}");
    }
    for reason in [
        "pathology review 2021, slide 12",
        "confirmed by MDT on C18.7 8140/3",
        "stage 3 of 4",
    ] {
        let result = confirm_finding(&tumour, &findings[0], reason, "t");
        assert!(result.is_ok(), "rejected: {reason}");
    }
}

#[test]
fn newer_confirmation_replaces_older() {
    let tumour = flagged();
    let findings = check_tumour(&tumour, &[]);
    let mut file = ConfirmationFile::default();
    file.insert(confirm_finding(&tumour, &findings[0], "first", "t1").unwrap());
    file.insert(
        confirm_finding(&tumour, &findings[0], "second", "t2").unwrap(),
    );
    assert_eq!(file.confirmations.len(), 1);
    assert_eq!(file.confirmations[0].reason, "second");
    assert!(ConfirmationFile::from_json("{not json").is_err());
}
