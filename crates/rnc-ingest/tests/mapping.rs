//! Files read through a mapping: the user's column names, date form, code
//! system of the site and sex codes.

mod common;

use std::path::PathBuf;

use common::{fixture, keys};
use rnc_ingest::{ErrorKind, Mapping, ingest_file_with_mapping};
use rnc_model::{PartialDate, Sex, SourceKind};

fn example() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/mapping_pathology_report.toml")
}

const EXPORT: &str = "NUM_CR,CODE_LABO,NIR,NOM_NAISSANCE,NOM_USAGE,PRENOM,\
    SEXE,DATE_NAISSANCE,DEPARTEMENT,DATE_PRELEVEMENT,DATE_COMPTE_RENDU,CIM10,\
    CODE_MORPHO,COMPORTEMENT,GRADE\n\
    CR1,L35,,MARTIN,,ANNE,F,12/08/1955,35,04/03/2021,10/03/2021,C50.4,8500,3,2\n\
    CR2,L35,,DURAND,,PAUL,H,99/05/1948,35,20/11/2020,,C187,8140,3,\n\
    CR3,L35,,DURAND,,PAUL,H,01/05/1948,35,2020-11-20,,C78.7,8140,3,\n\
    CR4,L35,,DURAND,,PAUL,M,01/05/1948,35,20/11/2020,,C18.7,8140,3,\n";

#[test]
fn example_mapping_reads_its_export() {
    let mapping =
        Mapping::read(SourceKind::PathologyReport, &example()).unwrap();
    let (_dir, path) = fixture("export_acp.csv", EXPORT.as_bytes());

    let outcome = ingest_file_with_mapping(
        SourceKind::PathologyReport,
        &path,
        Some(&mapping),
        keys(),
        "b1",
    )
    .unwrap();

    assert_eq!(outcome.records.len(), 2, "{:?}", outcome.quarantine);
    let cr1 = &outcome.records[0];
    assert_eq!(cr1.record_id, "pathology_report/CR1");
    assert_eq!(cr1.sex, Some(Sex::Female));
    assert_eq!(cr1.event_date, PartialDate::parse("2021-03-04").unwrap());
    assert_eq!(cr1.age_at_event, Some(65));
    // ICD-10 C50.4 (upper-outer quadrant of breast) is ICD-O-3 C50.4.
    assert_eq!(cr1.topography.unwrap().to_string(), "C50.4");
    let cr2 = &outcome.records[1];
    assert_eq!(cr2.sex, Some(Sex::Male));
    assert_eq!(cr2.topography.unwrap().to_string(), "C18.7");
    assert!(cr2.birth_date_pseudonym.is_none());
    assert!(cr2.birth_year_month_pseudonym.is_some());

    // Line 4: the date is not in the mapping's form, and C78.7 is a
    // secondary neoplasm. Line 5: sex M is not one of the mapping's codes.
    let cr3 = &outcome.quarantine[0];
    assert_eq!(cr3.line, 4);
    assert_eq!(
        cr3.problems,
        "specimen_date:date_format; topography:topography_code"
    );
    assert!(cr3.message.contains("%d/%m/%Y"), "{}", cr3.message);
    let cr4 = &outcome.quarantine[1];
    assert_eq!(cr4.problems, "sex:sex_code");
    // Quarantined rows keep the feed's field names, never the identifiers.
    assert!(cr3.safe_fields.contains("\"specimen_date\""));
    assert!(!cr3.safe_fields.contains("DURAND"));
    assert!(!cr3.safe_fields.contains("1948"));
}

#[test]
fn missing_mapped_column_is_named() {
    let mapping =
        Mapping::read(SourceKind::PathologyReport, &example()).unwrap();
    let renamed = EXPORT.replace("DATE_PRELEVEMENT", "DATE_PREL");
    let (_dir, path) = fixture("export_acp.csv", renamed.as_bytes());

    let error = ingest_file_with_mapping(
        SourceKind::PathologyReport,
        &path,
        Some(&mapping),
        keys(),
        "b1",
    )
    .unwrap_err();

    let ErrorKind::MissingColumn { column, .. } = error.kind() else {
        panic!("unexpected error: {error}");
    };
    assert_eq!(column, "DATE_PRELEVEMENT");
}

#[test]
fn invalid_mapping_file_is_rejected() {
    let (_dir, path) = fixture("bad.toml", b"date_format = \"%d/%m/%y\"\n");

    let error = Mapping::read(SourceKind::PathologyReport, &path).unwrap_err();

    let message = error.to_string();
    assert!(
        message.starts_with("bad.toml: invalid mapping:"),
        "{message}"
    );
}
