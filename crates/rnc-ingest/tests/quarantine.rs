//! Bad rows are quarantined with their file, line, field and rule, and
//! file-wide faults stop the run with an error.

mod common;

use common::{REGISTRY_HEADER, fixture, ingest, keys};
use rnc_ingest::{
    ErrorKind, ReadOptions, ingest_file, ingest_file_with, quarantine_schema,
    quarantine_to_batch,
};
use rnc_model::SourceKind;

/// A registry extract with one fault per row. Line numbers count the
/// header as line 1; row T7 has a quoted newline, so it spans lines 8-9
/// and every later row starts one line further down.
fn malformed_registry() -> String {
    format!(
        "{REGISTRY_HEADER}\n\
         T1,REG14,,Martin,,Anne,2,1961-04-02,35,2021-05-03,C50.4,8500,3,,7,,\n\
         T2,REG14,,Martin,,Anne,2,1961-04-02,35,2021-02-30,C50.4,8500,3,,7,,\n\
         T3,REG14,,Martin,,Anne,2,1961-04-02,35,2021-05-03,C43.5,8720,3,,7,,\n\
         T4,REG14,,Martin,,Anne,2,1961-04-02,35,2021-05-03,C50.4,7999,3,,7,,\n\
         T5,REG14,,Martin,,Anne,2,1961-04-02,35,2021-05-03,C50.4,8500,3,,7,\n\
         T6,REG14,,Martin,,Anne,,1961-04-02,35,2021-05-03,C50.4,8500,3,,7,,\n\
         T7,REG14,,\"De la\nFontaine\",,Anne,2,1961-04-02,35,2021-05-03,C50.4,8500,3,,7,,\n\
         T8,REG14,,Martin,,Anne,2,1961-04-02,35,2021-02-30,C50.4,8500,3,,7,,\n\
         T1,REG14,,Martin,,Anne,2,1961-04-02,35,2021-05-03,C50.4,8500,3,,7,,\n\
         T9,REG14,,Martin,,Anne,2,1961-04-02,35,1960-05-03,C50.4,8500,3,,7,,\n\
         T10,REG14,,Martin,,Anne,2,1961-04-02,35,2150-01-01,C50.4,8500,3,,7,,\n\
         T11,REG14,,Martin,,Anne,2,1961-04-02,20,2021-05-03,C50.4,8500,3,,7,,\n\
         T12,REG14,,Martin,,Anne,2,1961-04-02,35,2021-05-03,C50.4,8500,5,,7,,\n\
         T13,REG14,,Martin,,Anne,2,1961-04-02,35,2021-05-03,C50.4,8500,3,,3,,\n\
         T14,REG14,,Martin,,Anne,2,1961-04-02,35,2021-05-03,C43.5,7999,3,,7,,\n\
         T15,REG14,,Martin,,Anne,2,1961-04-02,35,2021-05-03,C50.4,8500,3,,7,2021-01-01,\n\
         T16,REG14,,Martin,,Anne,2,1961-04-02,35,2021-05-03,C50.4,8500,3,0,7,,\n\
         T17,REG14,,Martin,,Anne,2,1961-04-02,35,2021-5-3,C50.4,8500,3,,7,,\n"
    )
}

#[test]
fn rows_read_equals_accepted_plus_quarantined() {
    let outcome = ingest(
        SourceKind::RegistryExtract,
        "registry.csv",
        &malformed_registry(),
    );

    assert_eq!(outcome.rows_read, 18);
    assert_eq!(
        outcome.rows_read,
        (outcome.records.len() + outcome.quarantine.len()) as u64
    );
    let accepted: Vec<&str> = outcome
        .records
        .iter()
        .map(|r| r.record_id.as_str())
        .collect();
    assert_eq!(accepted, vec!["registry_extract/T1", "registry_extract/T7"]);
}

#[test]
fn each_fault_has_line_field_and_rule() {
    let outcome = ingest(
        SourceKind::RegistryExtract,
        "registry.csv",
        &malformed_registry(),
    );

    let found: Vec<(u64, &str, &str)> = outcome
        .quarantine
        .iter()
        .map(|q| (q.line, q.field.as_str(), q.rule.as_str()))
        .collect();
    let expected = vec![
        (3, "incidence_date", "impossible_date"),
        (4, "topography", "topography_code"),
        (5, "morphology", "morphology_code"),
        (6, "-", "column_count"),
        (7, "sex", "required"),
        (10, "incidence_date", "impossible_date"),
        (11, "tumour_ref", "duplicate_id"),
        (12, "birth_date", "birth_after_event"),
        (13, "incidence_date", "future_date"),
        (14, "departement", "departement_code"),
        (15, "behaviour", "behaviour_code"),
        (16, "basis_of_diagnosis", "basis_code"),
        (17, "topography", "topography_code"),
        (18, "incidence_date", "date_order"),
        (19, "grade", "grade_code"),
        (20, "incidence_date", "date_format"),
    ];
    assert_eq!(found, expected);
}

#[test]
fn quoted_newline_shifts_later_lines() {
    let outcome = ingest(
        SourceKind::RegistryExtract,
        "registry.csv",
        &malformed_registry(),
    );

    let t7 = &outcome.records[1];
    assert_eq!(t7.record_id, "registry_extract/T7");
    assert_eq!(t7.source_line, 8);
    let t8 = &outcome.quarantine[5];
    assert_eq!(t8.line, 10);
    assert_eq!(t8.record, 7);
}

#[test]
fn message_names_file_line_field() {
    let outcome = ingest(
        SourceKind::RegistryExtract,
        "registry.csv",
        &malformed_registry(),
    );

    let first = &outcome.quarantine[0];
    assert_eq!(first.source_file, "registry.csv");
    assert_eq!(first.batch_id, "batch-1");
    assert_eq!(first.source_kind, SourceKind::RegistryExtract);
    assert!(
        first
            .message
            .starts_with("registry.csv: line 3, field incidence_date: "),
        "{}",
        first.message
    );
    assert!(first.message.contains("expected"), "{}", first.message);
    let topography = &outcome.quarantine[1];
    assert!(
        topography.message.contains("C43.5"),
        "{}",
        topography.message
    );
    let column_count = &outcome.quarantine[3];
    assert!(
        column_count.message.contains("16 fields"),
        "{}",
        column_count.message
    );
    assert!(
        column_count.message.contains("17"),
        "{}",
        column_count.message
    );
    assert_eq!(column_count.safe_fields, "{}");
}

#[test]
fn every_problem_is_listed() {
    let outcome = ingest(
        SourceKind::RegistryExtract,
        "registry.csv",
        &malformed_registry(),
    );

    let row = outcome.quarantine.iter().find(|q| q.line == 17).unwrap();
    assert_eq!(row.rule, "topography_code");
    assert_eq!(
        row.problems,
        "topography:topography_code; morphology:morphology_code"
    );
    let single = &outcome.quarantine[0];
    assert_eq!(single.problems, "incidence_date:impossible_date");
}

#[test]
fn safe_fields_hold_codes_not_identity() {
    let outcome = ingest(
        SourceKind::RegistryExtract,
        "registry.csv",
        &malformed_registry(),
    );

    let row = &outcome.quarantine[0];
    let fields: serde_json::Value =
        serde_json::from_str(&row.safe_fields).unwrap();
    assert_eq!(fields["tumour_ref"], "T2");
    assert_eq!(fields["topography"], "C50.4");
    assert_eq!(fields["incidence_date"], "2021-02-30");
    for identifying in [
        "nir",
        "birth_name",
        "usage_name",
        "first_name",
        "birth_date",
    ] {
        assert!(fields.get(identifying).is_none(), "{identifying}");
    }
}

#[test]
fn hospital_dates_out_of_order() {
    let content = "stay_id,finess,sex,birth_date,departement,admission_date,discharge_date,main_diagnosis,associated_diagnoses\n\
        S1,140000100,1,1950-01-01,14,2021-02-20,2021-02-10,C18.7,\n\
        S2,140000100,1,1950-01-01,14,2021-02-20,2021-02-25,C18.7,C77.3|X\n\
        S3,140000100,1,1950-01-01,14,2021-02-20,2021-02-25,18.7,\n\
        S4,140000100,1,1950-01-01,14,2021-02-99,2021-02-20,C18.7,\n";

    let outcome = ingest(SourceKind::HospitalStay, "pmsi.csv", content);

    let found: Vec<(&str, &str)> = outcome
        .quarantine
        .iter()
        .map(|q| (q.field.as_str(), q.rule.as_str()))
        .collect();
    assert_eq!(
        found,
        vec![
            ("admission_date", "date_order"),
            ("associated_diagnoses", "icd10_code"),
            ("main_diagnosis", "icd10_code"),
        ]
    );
    // S4: admission some day in February 2021 may precede the discharge
    // on the 20th, so the partial date is not an error.
    assert_eq!(outcome.records.len(), 1);
    assert_eq!(outcome.records[0].record_id, "hospital_stay/S4");
}

#[test]
fn pathology_report_before_specimen() {
    let content = "report_id,laboratory,birth_name,first_name,sex,birth_date,specimen_date,report_date,topography,morphology,behaviour\n\
        P1,LAB1,Martin,Anne,2,1950-01-01,2021-03-01,2021-02-01,C50.4,8500,3\n\
        P2,LAB1,,Anne,2,1950-01-01,2021-03-01,,C50.4,8500,3\n\
        P3,LAB1,Martin,,2,1950-01-01,2021-03-01,,C50.4,8500,3\n";

    let outcome = ingest(SourceKind::PathologyReport, "acp.csv", content);

    assert_eq!(outcome.quarantine[0].field, "specimen_date");
    assert_eq!(outcome.quarantine[0].rule, "date_order");
    assert_eq!(outcome.quarantine[1].field, "birth_name");
    assert_eq!(outcome.quarantine[1].rule, "required");
    // A missing first name is accepted: it must not lose the case.
    assert_eq!(outcome.records.len(), 1);
    assert_eq!(outcome.records[0].record_id, "pathology_report/P3");
}

#[test]
fn missing_required_column_is_an_error() {
    let content = "certificate_id,birth_name,first_name,sex,birth_date,departement,death_date\n\
        D1,Martin,Anne,2,1950-01-01,14,2021-01-01\n";
    let (_dir, path) = fixture("deces.csv", content.as_bytes());

    let error =
        ingest_file(SourceKind::DeathRecord, &path, keys(), "b").unwrap_err();

    assert!(matches!(
        error.kind(),
        ErrorKind::MissingColumn { column, .. } if column == "underlying_cause"
    ));
    let message = error.to_string();
    assert!(message.starts_with("deces.csv: line 1: "), "{message}");
    assert!(message.contains("underlying_cause"), "{message}");
    assert_eq!(error.position().unwrap().line, 1);
}

#[test]
fn semicolon_file_read_as_comma_fails_header() {
    // A semicolon file read with a declared comma delimiter has one
    // column, so the header check must fail rather than load one column.
    let content = "certificate_id;birth_name;first_name;sex;birth_date;departement;death_date;underlying_cause\n";
    let (_dir, path) = fixture("deces.csv", content.as_bytes());
    let options = ReadOptions {
        delimiter: Some(b','),
        ..ReadOptions::default()
    };

    let error =
        ingest_file_with(SourceKind::DeathRecord, &path, keys(), "b", &options)
            .unwrap_err();

    assert!(matches!(error.kind(), ErrorKind::MissingColumn { .. }));
}

#[test]
fn invalid_utf8_names_offset_and_line() {
    // A Windows-1252 é (byte 0xE9) on line 3, as in the naaccr-xml report
    // of files in mixed encodings.
    let mut content = format!(
        "{REGISTRY_HEADER}\n\
         T1,REG14,,Martin,,Anne,2,1961-04-02,35,2021-05-03,C50.4,8500,3,,7,,\n\
         T2,REG14,,H"
    )
    .into_bytes();
    let offset = content.len() as u64;
    content.push(0xE9);
    content.extend_from_slice(
        b"nault,,Anne,2,1961-04-02,35,2021-05-03,C50.4,8500,3,,7,,\n",
    );
    let (_dir, path) = fixture("registry.csv", &content);

    let error = ingest_file(SourceKind::RegistryExtract, &path, keys(), "b")
        .unwrap_err();

    match error.kind() {
        ErrorKind::NotUtf8 {
            line,
            offset: found,
            ..
        } => {
            assert_eq!(*line, 3);
            assert_eq!(*found, offset);
        }
        other => panic!("expected NotUtf8, got {other:?}"),
    }
    assert!(error.to_string().contains(&format!("byte offset {offset}")));
}

#[test]
fn unreadable_file_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("absent.csv");

    let error =
        ingest_file(SourceKind::DeathRecord, &path, keys(), "b").unwrap_err();

    assert!(matches!(error.kind(), ErrorKind::Io { .. }));
    assert!(error.to_string().contains("absent.csv"));
}

#[test]
fn empty_file_is_an_error() {
    let (_dir, path) = fixture("empty.csv", b"");

    let error =
        ingest_file(SourceKind::DeathRecord, &path, keys(), "b").unwrap_err();

    assert!(matches!(error.kind(), ErrorKind::EmptyFile { .. }));
}

#[test]
fn duplicate_header_column_is_an_error() {
    let content = "certificate_id,sex,sex,birth_name,first_name,birth_date,departement,death_date,underlying_cause\n";
    let (_dir, path) = fixture("deces.csv", content.as_bytes());

    let error =
        ingest_file(SourceKind::DeathRecord, &path, keys(), "b").unwrap_err();

    assert!(
        matches!(
            error.kind(),
            ErrorKind::DuplicateColumn { column: Some(column), positions: [2, 3], .. }
                if column == "sex"
        ),
        "{error}"
    );
}

// A file without a header line: its first row, read as the header, repeats
// the birth name as the usage name. The error names the columns by
// position, never by the repeated value.
#[test]
fn duplicate_value_in_first_line_is_not_shown() {
    let content = "T1,R01,,MARTINEAU,MARTINEAU,Sophie,2,1985-12-04,13,\
                   2023-02-10,C50.4,8500,3,2,7,,,\n";
    let (_dir, path) = fixture("extract.csv", content.as_bytes());

    let error = ingest_file(SourceKind::RegistryExtract, &path, keys(), "b")
        .unwrap_err();

    assert!(
        matches!(
            error.kind(),
            ErrorKind::DuplicateColumn {
                column: None,
                positions: [4, 5],
                ..
            }
        ),
        "{error}"
    );
    assert!(!error.to_string().contains("MARTINEAU"), "{error}");
}

#[test]
fn quarantine_batch_has_one_row_each() {
    let outcome = ingest(
        SourceKind::RegistryExtract,
        "registry.csv",
        &malformed_registry(),
    );

    let batch = quarantine_to_batch(&outcome.quarantine).unwrap();

    assert_eq!(batch.num_rows(), outcome.quarantine.len());
    assert_eq!(batch.schema(), quarantine_schema());
    let lines = batch
        .column_by_name("line")
        .unwrap()
        .as_any()
        .downcast_ref::<arrow_array::UInt64Array>()
        .unwrap();
    assert_eq!(lines.value(0), 3);
    let kinds = batch
        .column_by_name("source_kind")
        .unwrap()
        .as_any()
        .downcast_ref::<arrow_array::StringArray>()
        .unwrap();
    assert_eq!(kinds.value(0), "registry_extract");
}

#[test]
fn wholly_unknown_dates_are_kept() {
    // 99999999 is the registry mark of a wholly unknown date. In the
    // record's own event date and in the birth date alike, the row is kept
    // with the date absent and the age at the event unknown; an empty
    // event date is still rejected.
    let content = "report_id,laboratory,birth_name,first_name,sex,birth_date,specimen_date,report_date,topography,morphology,behaviour\n\
        P1,LAB1,Martin,Anne,2,1950-01-01,99999999,,C50.4,8500,3\n\
        P2,LAB1,Martin,Anne,2,99999999,2021-03-01,,C50.4,8500,3\n\
        P3,LAB1,Martin,Anne,2,1950-01-01,,,C50.4,8500,3\n";

    let outcome = ingest(SourceKind::PathologyReport, "acp.csv", content);

    assert_eq!(outcome.records.len(), 2);
    assert_eq!(outcome.records[0].event_date, None);
    assert_eq!(outcome.records[0].age_at_event, None);
    assert!(outcome.records[1].event_date.is_some());
    assert_eq!(outcome.records[1].age_at_event, None);
    assert_eq!(outcome.quarantine.len(), 1);
    assert_eq!(outcome.quarantine[0].line, 4);
    assert_eq!(outcome.quarantine[0].field, "specimen_date");
    assert_eq!(outcome.quarantine[0].rule, "required");
}

#[test]
fn unclosed_quote_is_named() {
    // Row T2 opens a quote that never closes: the reader takes the rest of
    // the file into that field, so the two rows after it are inside it.
    let text = format!(
        "{REGISTRY_HEADER}\n\
         T1,REG14,,Martin,,Anne,2,1961-04-02,35,2021-05-03,C50.4,8500,3,,7,,\n\
         T2,REG14,,\"Martin,,Anne,2,1961-04-02,35,2021-05-03,C50.4,8500,3,,7,,\n\
         T3,REG14,,Martin,,Anne,2,1961-04-02,35,2021-05-03,C50.4,8500,3,,7,,\n\
         T4,REG14,,Martin,,Anne,2,1961-04-02,35,2021-05-03,C50.4,8500,3,,7,,\n"
    );
    let outcome = ingest(SourceKind::RegistryExtract, "registry.csv", &text);

    assert_eq!(outcome.rows_read, 2);
    assert_eq!(outcome.quarantine.len(), 1);
    let message = &outcome.quarantine[0].message;
    assert!(message.contains("line 3"), "{message}");
    assert!(message.contains("runs over 2 more lines"), "{message}");
    assert!(message.contains("not closed"), "{message}");
    assert!(!message.contains("Martin"), "{message}");
}
