//! The optional laterality and stage columns of the registry extract and
//! the pathology report (ENCR-JRC call for data, items 23, 30-37, 46).

mod common;

use common::{REGISTRY_HEADER, ingest};
use rnc_model::{Laterality, SourceKind, SummaryStage, TnmBasis};

const STAGING_HEADER: &str =
    "laterality,tnm_t,tnm_n,tnm_m,tnm_stage_group,tnm_edition,summary_stage";

#[test]
fn registry_extract_reads_stage() {
    let content = format!(
        "{REGISTRY_HEADER},{STAGING_HEADER}\n\
         T1,REG14,,Lefèvre,,Jeanne,2,1955-08-12,14,2021-03-04,C50.4,8500,3,2,7,,2023-01-10,2,pT2,pN1a,M0,IIB,8,2\n\
         T2,REG14,,Dupont,,Paul,1,1948-02-10,14,2020-11-02,C18.7,8140,3,,6,,,0,T3,N0,,,,\n\
         T3,REG14,,Martin,,Luc,1,1950-02-10,14,2020-11-02,C34.1,8140,3,,7,,,,,,,,,9\n"
    );

    let outcome = ingest(SourceKind::RegistryExtract, "registry.csv", &content);

    assert!(outcome.quarantine.is_empty(), "{:?}", outcome.quarantine);
    let t1 = &outcome.records[0];
    assert_eq!(t1.laterality, Some(Laterality::Left));
    let stage = t1.stage.as_ref().unwrap();
    assert_eq!(stage.summary, Some(SummaryStage::Regional));
    let tnm = stage.tnm.as_ref().unwrap();
    assert_eq!(tnm.basis, TnmBasis::Pathological);
    assert_eq!(tnm.to_string(), "pT2 pN1a M0 stage IIB (TNM 8)");

    let t2 = &outcome.records[1];
    assert_eq!(t2.laterality, Some(Laterality::NotPaired));
    let tnm = t2.stage.as_ref().unwrap().tnm.as_ref().unwrap();
    assert_eq!(tnm.basis, TnmBasis::Clinical);
    assert_eq!(tnm.m, None);

    // Summary stage 9 is unknown, which is no stage.
    let t3 = &outcome.records[2];
    assert_eq!(t3.laterality, None);
    assert_eq!(t3.stage, None);
}

#[test]
fn pathology_tnm_is_pathological() {
    let content = "report_id,laboratory,birth_name,sex,birth_date,specimen_date,topography,morphology,behaviour,laterality,tnm_t,tnm_n\n\
        P1,LAB1,Lefèvre,2,1955-08-12,2021-02-22,C50.4,8500,3,1,T1c,N0\n";

    let outcome = ingest(SourceKind::PathologyReport, "acp.csv", content);

    assert!(outcome.quarantine.is_empty(), "{:?}", outcome.quarantine);
    let p1 = &outcome.records[0];
    assert_eq!(p1.laterality, Some(Laterality::Right));
    let tnm = p1.stage.as_ref().unwrap().tnm.as_ref().unwrap();
    assert_eq!(tnm.basis, TnmBasis::Pathological);
    assert_eq!(tnm.t.as_deref(), Some("T1c"));
}

#[test]
fn invalid_stage_codes_are_quarantined() {
    let content = "report_id,laboratory,birth_name,sex,birth_date,specimen_date,topography,morphology,behaviour,laterality,tnm_t,summary_stage\n\
        P1,LAB1,Lefèvre,2,1955-08-12,2021-02-22,C50.4,8500,3,5,T1,\n\
        P2,LAB1,Lefèvre,2,1955-08-12,2021-02-22,C50.4,8500,3,1,T7,\n\
        P3,LAB1,Lefèvre,2,1955-08-12,2021-02-22,C50.4,8500,3,1,T1,6\n";

    let outcome = ingest(SourceKind::PathologyReport, "acp.csv", content);

    let found: Vec<(u64, &str, &str)> = outcome
        .quarantine
        .iter()
        .map(|q| (q.line, q.field.as_str(), q.rule.as_str()))
        .collect();
    assert_eq!(
        found,
        vec![
            (2, "laterality", "laterality_code"),
            (3, "tnm_t", "tnm_code"),
            (4, "summary_stage", "summary_stage_code"),
        ]
    );
}
