//! The long-term illness, screening and treatment feeds: clean rows become
//! records, and each feed's own rules quarantine bad rows.

mod common;

use common::ingest;
use rnc_model::{
    NirStatus, PartialDate, ScreeningProgramme, ScreeningResult, ScreeningTest,
    Sex, SourceKind, TreatmentType,
};

const ALD_HEADER: &str =
    "ald_id,nir,sex,birth_date,departement,icd10,start_date";
const SCREENING_HEADER: &str = "screening_id,programme,test,nir,birth_name,\
    usage_name,first_name,sex,birth_date,departement,test_date,result";
const TREATMENT_HEADER: &str = "treatment_id,finess,nir,birth_name,\
    first_name,sex,birth_date,departement,treatment,start_date,end_date,\
    procedure_code,drug_code,icd10";

fn rules(outcome: &rnc_ingest::FileOutcome) -> Vec<(u64, String, String)> {
    outcome
        .quarantine
        .iter()
        .map(|q| (q.line, q.field.clone(), q.rule.clone()))
        .collect()
}

#[test]
fn long_term_illness_rows() {
    // The columns of the long-term illness feed that `rnc synth` writes.
    let content = format!(
        "{ALD_HEADER}\n\
         A1,2 55 08 14 168 025 38,2,1955-08-12,14,C504,2021-03-20\n\
         A2,,1,1948-02-01,35,I10,2021-04-01\n\
         A3,,1,1948-02-01,35,C61,2021-02-30\n"
    );

    let outcome = ingest(SourceKind::LongTermIllness, "ald.csv", &content);

    assert_eq!(outcome.records.len(), 1);
    let a1 = &outcome.records[0];
    assert_eq!(a1.record_id, "long_term_illness/A1");
    assert_eq!(a1.icd10.as_deref(), Some("C50.4"));
    assert_eq!(a1.nir_status, Some(NirStatus::Valid));
    assert_eq!(a1.sex, Some(Sex::Female));
    assert_eq!(a1.event_date, PartialDate::parse("2021-03-20").unwrap());
    // Born 12 August 1955, exemption from 20 March 2021: 65 years.
    assert_eq!(a1.age_at_event, Some(65));
    assert_eq!(a1.month_salted_names.birth_name_pseudonym, None);
    assert_eq!(
        rules(&outcome),
        vec![
            (3, "icd10".into(), "icd10_not_neoplasm".into()),
            (4, "start_date".into(), "impossible_date".into()),
        ]
    );
}

#[test]
fn screening_rows() {
    let content = format!(
        "{SCREENING_HEADER}\n\
         K1,colorectal,FIT,,DURAND,,MARC,1,1960-05-02,69,2022-09-14,positive\n\
         K2,breast,HPV,,MARTIN,,ANNE,2,1960-05-02,69,2022-09-14,negative\n\
         K3,cervical,cytology,,MARTIN,,ANNE,2,1990-05-02,69,2022-09-14,unclear\n"
    );

    let outcome = ingest(SourceKind::Screening, "screening.csv", &content);

    assert_eq!(outcome.records.len(), 1);
    let k1 = &outcome.records[0];
    assert_eq!(k1.screening_programme, Some(ScreeningProgramme::Colorectal));
    assert_eq!(k1.screening_test, Some(ScreeningTest::Fit));
    assert_eq!(k1.screening_result, Some(ScreeningResult::Positive));
    assert!(k1.month_salted_names.birth_name_pseudonym.is_some());
    assert_eq!(k1.age_at_event, Some(62));
    assert_eq!(
        rules(&outcome),
        vec![
            (3, "test".into(), "test_programme".into()),
            (4, "result".into(), "result_code".into()),
        ]
    );
}

#[test]
fn treatment_rows() {
    // QEFA003 has the CCAM form (four letters, three digits) and L01XC03
    // the ATC substance form; the code checks look at the form only.
    let content = format!(
        "{TREATMENT_HEADER}\n\
         T1,750000001,,MARTIN,ANNE,2,1960-05-02,75,surgery,2022-01-10,2022-01-14,QEFA003,,C50.4\n\
         T2,750000001,,MARTIN,ANNE,2,1960-05-02,75,chemotherapy,2022-02-01,,,L01XC03,\n\
         T3,750000001,,MARTIN,ANNE,2,1960-05-02,75,radiotherapy,2022-03-01,,,,Z51.0\n\
         T4,750000001,,MARTIN,ANNE,2,1960-05-02,75,surgery,2022-01-10,,,,\n\
         T5,750000001,,MARTIN,ANNE,2,1960-05-02,75,chemotherapy,2022-02-01,,,,Z51.0\n\
         T6,750000001,,MARTIN,ANNE,2,1960-05-02,75,surgery,2022-01-10,,QEF003,,\n\
         T7,750000001,,MARTIN,ANNE,2,1960-05-02,75,chemotherapy,2022-02-01,,,L01XC3,\n\
         T8,750000001,,MARTIN,ANNE,2,1960-05-02,75,surgery,2022-01-10,2022-01-09,QEFA003,,\n\
         T9,750000001,,MARTIN,ANNE,2,1960-05-02,75,hormone,2022-01-10,,,,\n"
    );

    let outcome = ingest(SourceKind::Treatment, "treatment.csv", &content);

    assert_eq!(outcome.records.len(), 3);
    let surgery = &outcome.records[0];
    assert_eq!(surgery.treatment, Some(TreatmentType::Surgery));
    assert_eq!(surgery.procedure_code.as_deref(), Some("QEFA003"));
    assert_eq!(surgery.end_date, PartialDate::parse("2022-01-14").unwrap());
    assert_eq!(surgery.establishment.as_deref(), Some("750000001"));
    assert_eq!(surgery.icd10.as_deref(), Some("C50.4"));
    assert_eq!(outcome.records[1].drug_code.as_deref(), Some("L01XC03"));
    assert_eq!(outcome.records[2].icd10.as_deref(), Some("Z51.0"));
    assert_eq!(
        rules(&outcome),
        vec![
            (5, "treatment".into(), "treatment_uncoded".into()),
            (6, "icd10".into(), "treatment_code_mismatch".into()),
            (7, "procedure_code".into(), "ccam_code".into()),
            (8, "drug_code".into(), "drug_code".into()),
            (9, "start_date".into(), "date_order".into()),
            (10, "treatment".into(), "treatment_code".into()),
        ]
    );
}
