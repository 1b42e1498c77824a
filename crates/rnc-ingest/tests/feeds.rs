//! A clean file of each feed becomes the expected source records.

mod common;

use common::{REGISTRY_HEADER, ingest};
use rnc_model::{
    BasisOfDiagnosis, Behaviour, NirStatus, PartialDate, Sex, SourceKind,
};

fn date(text: &str) -> Option<PartialDate> {
    Some(PartialDate::parse_iso(text).unwrap())
}

#[test]
fn clean_registry_extract() {
    let content = format!(
        "{REGISTRY_HEADER}\n\
         T1,REG14,2 55 08 14 168 025 38,Lefèvre,,Jeanne,2,1955-08-12,14,2021-03-04,C50.4,8500,3,2,7,,2023-01-10\n\
         T2,REG14,,Dupont,Martin,Paul,1,1948-99-99,2A,2020-11-99,C187,8140,3,,6,2022-05-01,\n"
    );

    let outcome = ingest(SourceKind::RegistryExtract, "registry.csv", &content);

    assert_eq!(outcome.rows_read, 2);
    assert!(outcome.quarantine.is_empty(), "{:?}", outcome.quarantine);
    let t1 = &outcome.records[0];
    assert_eq!(t1.record_id, "registry_extract/T1");
    assert_eq!(t1.batch_id, "batch-1");
    assert_eq!(t1.source_file, "registry.csv");
    assert_eq!(t1.source_line, 2);
    assert_eq!(t1.source_kind, Some(SourceKind::RegistryExtract));
    assert_eq!(t1.sex, Some(Sex::Female));
    assert_eq!(t1.departement.as_deref(), Some("14"));
    assert_eq!(t1.event_date, date("2021-03-04"));
    // Born 12 August 1955, diagnosed 4 March 2021: 65 completed years.
    assert_eq!(t1.age_at_event, Some(65));
    assert_eq!(t1.last_contact_date, date("2023-01-10"));
    assert_eq!(t1.death_date, None);
    assert_eq!(t1.topography.unwrap().to_string(), "C50.4");
    let morphology = t1.morphology.unwrap();
    assert_eq!(morphology.to_string(), "8500/32");
    assert_eq!(morphology.behaviour(), Behaviour::Malignant);
    assert_eq!(
        t1.basis_of_diagnosis,
        Some(BasisOfDiagnosis::HistologyOfPrimary)
    );
    assert_eq!(t1.establishment.as_deref(), Some("REG14"));
    assert_eq!(t1.icd10, None);
    assert_eq!(t1.nir_status, Some(NirStatus::Valid));
    assert!(t1.nir_pseudonym.is_some());
    assert!(t1.birth_date_pseudonym.is_some());
    assert!(t1.month_salted_names.birth_name_bloom.is_some());
    assert_eq!(t1.month_salted_names.usage_name_pseudonym, None);

    let t2 = &outcome.records[1];
    assert_eq!(t2.source_line, 3);
    assert_eq!(t2.nir_status, Some(NirStatus::Missing));
    assert_eq!(t2.departement.as_deref(), Some("2A"));
    assert_eq!(t2.event_date.unwrap().to_iso(), "2020-11");
    assert_eq!(t2.topography.unwrap().to_string(), "C18.7");
    assert_eq!(t2.morphology.unwrap().grade(), None);
    assert_eq!(t2.death_date, date("2022-05-01"));
    assert_eq!(t2.birth_date_pseudonym, None);
    // A year alone gets no pseudonym: the age would reveal it.
    assert_eq!(t2.birth_year_month_pseudonym, None);
    assert!(t2.month_salted_names.usage_name_pseudonym.is_some());
    // Birth month unknown: the age in 2020 is 71 or 72.
    assert_eq!(t2.age_at_event, None);
}

#[test]
fn clean_hospital_stay() {
    let content = "stay_id,finess,nir,birth_name,first_name,sex,birth_date,departement,admission_date,discharge_date,main_diagnosis,associated_diagnoses\n\
        S1,140000100,,Lefevre,Jeanne,F,12/08/1955,14,2021-02-20,2021-02-25,c504,C77.3|Z511\n\
        S2,140000100,,,,M,19480101,971,20201103,20201110,C18.7,\n";

    let outcome = ingest(SourceKind::HospitalStay, "pmsi.csv", content);

    assert!(outcome.quarantine.is_empty(), "{:?}", outcome.quarantine);
    let s1 = &outcome.records[0];
    assert_eq!(s1.record_id, "hospital_stay/S1");
    assert_eq!(s1.sex, Some(Sex::Female));
    assert_eq!(s1.event_date, date("2021-02-20"));
    assert_eq!(s1.age_at_event, Some(65));
    assert_eq!(s1.icd10.as_deref(), Some("C50.4"));
    assert_eq!(
        s1.icd10_other,
        vec!["C77.3".to_string(), "Z51.1".to_string()]
    );
    assert_eq!(s1.basis_of_diagnosis, Some(BasisOfDiagnosis::Clinical));
    assert_eq!(s1.establishment.as_deref(), Some("140000100"));
    assert_eq!(s1.topography, None);
    let s2 = &outcome.records[1];
    assert_eq!(s2.departement.as_deref(), Some("971"));
    assert_eq!(s2.month_salted_names.birth_name_pseudonym, None);
    assert!(s2.icd10_other.is_empty());
}

#[test]
fn clean_pathology_report() {
    // Columns in another order than the specification, without the
    // optional nir, usage_name and departement columns.
    let content = "laboratory,report_id,birth_name,first_name,sex,birth_date,specimen_date,report_date,topography,morphology,behaviour,grade\n\
        LAB1,P1,Lefèvre,Jeanne,2,1955-08-12,2021-02-22,2021-03-01,C50.4,8500,3,2\n";

    let outcome = ingest(SourceKind::PathologyReport, "acp.csv", content);

    assert!(outcome.quarantine.is_empty(), "{:?}", outcome.quarantine);
    let p1 = &outcome.records[0];
    assert_eq!(p1.record_id, "pathology_report/P1");
    assert_eq!(p1.establishment.as_deref(), Some("LAB1"));
    assert_eq!(p1.departement, None);
    assert_eq!(
        p1.basis_of_diagnosis,
        Some(BasisOfDiagnosis::HistologyOfPrimary)
    );
    assert_eq!(p1.icd10, None);
    assert_eq!(p1.morphology.unwrap().to_string(), "8500/32");
    // The report date is the laboratory's own registration date.
    assert_eq!(p1.registration_date, date("2021-03-01"));
}

#[test]
fn clean_death_record() {
    let content = "certificate_id,nir,birth_name,usage_name,first_name,sex,birth_date,departement,death_date,underlying_cause,associated_causes\n\
        D1,255081416802538,LEFEVRE,,JEANNE,2,1955-08-12,14,2023-01-15,C50.9,C78.0|J18.9\n";

    let outcome = ingest(SourceKind::DeathRecord, "deces.csv", content);

    assert!(outcome.quarantine.is_empty(), "{:?}", outcome.quarantine);
    let d1 = &outcome.records[0];
    assert_eq!(d1.record_id, "death_record/D1");
    assert_eq!(d1.event_date, date("2023-01-15"));
    assert_eq!(d1.death_date, date("2023-01-15"));
    assert_eq!(d1.age_at_event, Some(67));
    assert_eq!(d1.icd10.as_deref(), Some("C50.9"));
    assert_eq!(
        d1.icd10_other,
        vec!["C78.0".to_string(), "J18.9".to_string()]
    );
    assert_eq!(
        d1.basis_of_diagnosis,
        Some(BasisOfDiagnosis::DeathCertificateOnly)
    );
    assert_eq!(d1.establishment, None);
}

#[test]
fn same_person_links_across_feeds() {
    let registry = ingest(
        SourceKind::RegistryExtract,
        "registry.csv",
        &format!(
            "{REGISTRY_HEADER}\n\
             T1,REG14,2 55 08 14 168 025 38,Lefèvre,,Jeanne,2,1955-08-12,14,2021-03-04,C50.4,8500,3,2,7,,\n"
        ),
    );
    let deaths = ingest(
        SourceKind::DeathRecord,
        "deces.csv",
        "certificate_id,nir,birth_name,usage_name,first_name,sex,birth_date,departement,death_date,underlying_cause\n\
         D1,255081416802538,LEFEVRE,,JEANNE,2,12/08/1955,14,2023-01-15,C50.9\n",
    );

    let t1 = &registry.records[0];
    let d1 = &deaths.records[0];
    assert_eq!(t1.nir_pseudonym, d1.nir_pseudonym);
    assert_eq!(
        t1.month_salted_names.birth_name_pseudonym,
        d1.month_salted_names.birth_name_pseudonym
    );
    assert_eq!(
        t1.month_salted_names.first_name_pseudonym,
        d1.month_salted_names.first_name_pseudonym
    );
    assert_eq!(t1.birth_date_pseudonym, d1.birth_date_pseudonym);
}

#[test]
fn unknown_day_stays_partial() {
    // Feed specification: an unknown day is written 99 and stays unknown.
    let content = format!(
        "{REGISTRY_HEADER}\n\
         T1,REG14,,Martin,,Anne,2,1961-04-99,35,2021-05-99,C50.4,8500,3,,7,,\n"
    );

    let outcome = ingest(SourceKind::RegistryExtract, "registry.csv", &content);

    assert!(outcome.quarantine.is_empty(), "{:?}", outcome.quarantine);
    let record = &outcome.records[0];
    assert_eq!(record.event_date.unwrap().to_iso(), "2021-05");
    assert_eq!(record.event_date.unwrap().day(), None);
    // Born April 1961, diagnosed May 2021: the birthday has passed, 60.
    assert_eq!(record.age_at_event, Some(60));
    assert_eq!(record.birth_date_pseudonym, None);
    assert!(record.birth_year_month_pseudonym.is_some());
    assert_eq!(record.birth_year_day_pseudonym, None);
    assert_eq!(record.birth_month_day_pseudonym, None);
}

#[test]
fn age_across_29_february() {
    // Cases L1-L4 of the firely-cql-sdk age bug (issue about ages one too
    // high at a leap day), with the 1 March convention for a 29 February
    // birthday in common years: 19, 24, 22, 23.
    let content = "report_id,laboratory,birth_name,first_name,sex,birth_date,specimen_date,topography,morphology,behaviour\n\
        L1,LAB1,Martin,Anne,2,2004-03-01,2024-02-29,C50.4,8500,3\n\
        L2,LAB1,Martin,Anne,2,2000-02-29,2024-02-29,C50.4,8500,3\n\
        L3,LAB1,Martin,Anne,2,2000-02-29,2023-02-28,C50.4,8500,3\n\
        L4,LAB1,Martin,Anne,2,2000-02-29,2023-03-01,C50.4,8500,3\n";

    let outcome = ingest(SourceKind::PathologyReport, "acp.csv", content);

    let ages: Vec<Option<u16>> =
        outcome.records.iter().map(|r| r.age_at_event).collect();
    assert_eq!(ages, vec![Some(19), Some(24), Some(22), Some(23)]);
}

#[test]
fn bom_is_stripped() {
    let content = format!(
        "\u{FEFF}{REGISTRY_HEADER}\n\
         T1,REG14,,Hénault,,Anne,2,1961-04-02,35,2021-05-03,C50.4,8500,3,,7,,\n"
    );

    let with_bom = ingest(SourceKind::RegistryExtract, "a.csv", &content);
    let without = ingest(SourceKind::RegistryExtract, "b.csv", &content[3..]);

    assert_eq!(with_bom.records.len(), 1);
    assert_eq!(with_bom.records[0].record_id, "registry_extract/T1");
    assert_eq!(
        with_bom.records[0].month_salted_names.birth_name_pseudonym,
        without.records[0].month_salted_names.birth_name_pseudonym
    );
}

#[test]
fn crlf_line_endings_are_read() {
    let content = format!(
        "{REGISTRY_HEADER}\r\n\
         T1,REG14,,Martin,,Anne,2,1961-04-02,35,2021-05-03,C50.4,8500,3,,7,,\r\n\
         T2,REG14,,Martin,,Anne,2,1961-04-02,35,2021-02-30,C50.4,8500,3,,7,,\r\n"
    );

    let outcome = ingest(SourceKind::RegistryExtract, "registry.csv", &content);

    assert_eq!(outcome.records.len(), 1);
    assert_eq!(outcome.quarantine[0].line, 3);
}
