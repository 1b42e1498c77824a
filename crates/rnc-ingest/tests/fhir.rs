//! FHIR R4 pathology reports: the profile's elements become the
//! pathology_report columns, and a malformed resource is quarantined with
//! its Bundle entry instead of failing the file. Expected values are read
//! by hand from the fixtures, following the profile in docs/sources.md.

mod common;

use common::{fixture, keys};
use rnc_ingest::{ErrorKind, ReadOptions, ingest_file, open_rows};
use rnc_model::SourceKind;

/// One hand-written transaction Bundle with two reports sharing a
/// patient, referenced by `urn:uuid` full URLs. Report R2's Condition is
/// found through `evidence.detail`; R2 has no grade Observation.
const BUNDLE: &str = r#"{
  "resourceType": "Bundle",
  "type": "transaction",
  "entry": [
    {"fullUrl": "urn:uuid:pat-1", "resource": {
      "resourceType": "Patient",
      "identifier": [
        {"system": "urn:oid:1.2.250.1.213.1.4.8", "value": "255081416802538"}
      ],
      "name": [
        {"use": "usual", "family": "Dupré"},
        {"use": "official", "family": "Lefèvre", "given": ["Jeanne", "Marie"]}
      ],
      "gender": "female",
      "birthDate": "1955-08",
      "address": [{"district": "14"}]
    }},
    {"fullUrl": "urn:uuid:lab-1", "resource": {
      "resourceType": "Organization",
      "identifier": [{"value": "ACP1401"}]
    }},
    {"fullUrl": "urn:uuid:spec-1", "resource": {
      "resourceType": "Specimen",
      "collection": {"collectedDateTime": "2021-03-04T09:15:00+01:00"}
    }},
    {"fullUrl": "urn:uuid:rep-1", "resource": {
      "resourceType": "DiagnosticReport",
      "identifier": [{"value": "R1"}],
      "status": "final",
      "subject": {"reference": "urn:uuid:pat-1"},
      "performer": [{"reference": "urn:uuid:lab-1"}],
      "issued": "2021-03-10T16:00:00Z",
      "specimen": [{"reference": "urn:uuid:spec-1"}],
      "result": [{"reference": "urn:uuid:grade-1"}]
    }},
    {"fullUrl": "urn:uuid:grade-1", "resource": {
      "resourceType": "Observation",
      "code": {"coding": [{"system": "http://loinc.org", "code": "33732-9"}]},
      "valueCodeableConcept": {"coding": [
        {"system": "http://terminology.hl7.org/CodeSystem/icd-o-3", "code": "2"}
      ]}
    }},
    {"fullUrl": "urn:uuid:cond-1", "resource": {
      "resourceType": "Condition",
      "extension": [{
        "url": "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-histology-morphology-behavior",
        "valueCodeableConcept": {"coding": [
          {"system": "http://snomed.info/sct", "code": "82711006"},
          {"system": "http://terminology.hl7.org/CodeSystem/icd-o-3", "code": "8500/3"}
        ]}
      }],
      "bodySite": [{"coding": [
        {"system": "http://terminology.hl7.org/CodeSystem/icd-o-3", "code": "C50.4"}
      ]}],
      "evidence": [{"detail": [{"reference": "urn:uuid:rep-1"}]}]
    }},
    {"fullUrl": "urn:uuid:spec-2", "resource": {
      "resourceType": "Specimen",
      "collection": {"collectedDateTime": "2021-04"}
    }},
    {"fullUrl": "urn:uuid:rep-2", "resource": {
      "resourceType": "DiagnosticReport",
      "id": "R2",
      "subject": {"reference": "urn:uuid:pat-1"},
      "performer": [{"identifier": {"value": "ACP1402"}}],
      "specimen": [{"reference": "urn:uuid:spec-2"}]
    }},
    {"fullUrl": "urn:uuid:cond-2", "resource": {
      "resourceType": "Condition",
      "extension": [{
        "url": "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-histology-morphology-behavior",
        "valueCodeableConcept": {"coding": [
          {"system": "http://terminology.hl7.org/CodeSystem/icd-o-3", "code": "8500/2"}
        ]}
      }],
      "bodySite": [{"coding": [
        {"system": "http://terminology.hl7.org/CodeSystem/icd-o-3", "code": "C50.9"}
      ]}],
      "evidence": [{"detail": [{"reference": "DiagnosticReport/R2"}]}]
    }}
  ]
}"#;

#[test]
fn bundle_elements_become_columns() {
    let (_dir, path) = fixture("acp.json", BUNDLE.as_bytes());
    let kind = SourceKind::PathologyReport;

    let reader = open_rows(&path, kind, &ReadOptions::default()).unwrap();
    let rows: Vec<_> = reader.map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2);
    // The bundle states no laterality or stage, so the feed's optional
    // staging columns after the grade are empty.
    let first: Vec<&str> = rows[0].fields.iter().collect();
    assert!(first[15..].iter().all(|f| f.is_empty()), "{first:?}");
    assert_eq!(
        first[..15],
        [
            "R1",
            "ACP1401",
            "255081416802538",
            "Lefèvre",
            "Dupré",
            "Jeanne",
            "2",
            "1955-08-99",
            "14",
            "2021-03-04",
            "2021-03-10",
            "C50.4",
            "8500",
            "3",
            "2",
        ]
    );
    assert_eq!(rows[0].line, 1);
    assert_eq!(rows[0].entry, Some(3));
    let second: Vec<&str> = rows[1].fields.iter().collect();
    assert_eq!(&second[..2], ["R2", "ACP1402"]);
    assert_eq!(&second[9..15], ["2021-04-99", "", "C50.9", "8500", "2", ""]);
    assert_eq!(rows[1].entry, Some(7));

    let outcome = ingest_file(kind, &path, keys(), "b").unwrap();
    assert_eq!(outcome.records.len(), 2);
    assert_eq!(outcome.records[0].record_id, "pathology_report/R1");
    assert_eq!(
        outcome.records[0].nir_status,
        Some(rnc_model::NirStatus::Valid)
    );
}

/// Returns the line, field and rule of each quarantined row.
fn quarantined_rules(
    outcome: &rnc_ingest::FileOutcome,
) -> Vec<(u64, &str, &str)> {
    outcome
        .quarantine
        .iter()
        .map(|q| (q.line, q.field.as_str(), q.rule.as_str()))
        .collect()
}

#[test]
fn malformed_resources_are_quarantined() {
    // Line 1: a Patient whose birthDate is a number. Line 2: not JSON.
    // Line 3: an entry without a resource, and a report whose subject
    // does not resolve. Line 4: a Bundle of type searchset.
    let patient_bad = r#"{"resourceType":"Bundle","type":"collection","entry":[{"fullUrl":"Patient/p","resource":{"resourceType":"Patient","birthDate":19550812,"gender":"female"}},{"resource":{"resourceType":"DiagnosticReport","id":"R1","subject":{"reference":"Patient/p"}}}]}"#;
    let not_json = r#"{"resourceType":"Bundle","type":"collection","entry":["#;
    let unresolved = r#"{"resourceType":"Bundle","type":"collection","entry":[{"fullUrl":"x"},{"resource":{"resourceType":"DiagnosticReport","id":"R3","subject":{"reference":"Patient/absent"}}}]}"#;
    let searchset =
        r#"{"resourceType":"Bundle","type":"searchset","entry":[]}"#;
    let content =
        format!("{patient_bad}\n{not_json}\n{unresolved}\n{searchset}\n");
    let (_dir, path) = fixture("acp.ndjson", content.as_bytes());

    let outcome =
        ingest_file(SourceKind::PathologyReport, &path, keys(), "b").unwrap();

    assert_eq!(outcome.rows_read, 5);
    assert!(outcome.records.is_empty());
    assert_eq!(
        quarantined_rules(&outcome),
        [
            (1, "Patient.birthDate", "fhir_structure"),
            (2, "Bundle", "fhir_json"),
            (3, "Bundle.entry", "fhir_structure"),
            (3, "DiagnosticReport.subject", "fhir_reference"),
            (4, "Bundle", "fhir_structure"),
        ]
    );
    assert_eq!(
        outcome.quarantine[0].message,
        "acp.ndjson: line 1, entry 1, field Patient.birthDate: \
         Bundle.entry[0] (Patient): birthDate is a number (expected a string)"
    );
    // The birth date never reaches a message.
    for row in &outcome.quarantine {
        assert!(!row.message.contains("19550812"), "{}", row.message);
        assert!(!row.safe_fields.contains("19550812"), "{}", row.safe_fields);
    }
}

#[test]
fn invalid_json_document_is_an_error() {
    let (_dir, path) = fixture(
        "acp.json",
        b"{\"resourceType\": \"Bundle\",\n  \"type\" \"collection\"}",
    );

    let error = ingest_file(SourceKind::PathologyReport, &path, keys(), "b")
        .unwrap_err();

    match error.kind() {
        ErrorKind::Json { line, .. } => assert_eq!(*line, 2),
        other => panic!("expected Json, got {other:?}"),
    }
}

#[test]
fn fhir_for_other_feed_is_unsupported() {
    let (_dir, path) = fixture("deces.json", BUNDLE.as_bytes());

    let error =
        ingest_file(SourceKind::DeathRecord, &path, keys(), "b").unwrap_err();

    assert!(
        matches!(error.kind(), ErrorKind::Unsupported { .. }),
        "{error}"
    );
}

/// Treatment acts as `treatment` CSV columns: id, FINESS, NIR, birth name,
/// first name, sex, birth date, département, treatment, start, end, CCAM
/// act, ICD-10. The NIRs are synthetic with a valid key; the CCAM codes
/// have the CCAM form. T4 starts on 30 February and is rejected.
const TREATMENTS: [[&str; 13]; 4] = [
    [
        "T1",
        "140000001",
        "255081416802538",
        "Lefèvre",
        "Jeanne",
        "2",
        "1955-08-14",
        "14",
        "surgery",
        "2021-03-20",
        "",
        "QEFA003",
        "",
    ],
    [
        "T2",
        "140000001",
        "",
        "Martin",
        "Paul",
        "1",
        "1948-01-02",
        "35",
        "radiotherapy",
        "2021-05-03",
        "2021-06-11",
        "ZZNL050",
        "Z51.0",
    ],
    [
        "T3",
        "350000002",
        "",
        "Nguyen",
        "Anh",
        "2",
        "1960-12-31",
        "35",
        "chemotherapy",
        "2021-04-01",
        "",
        "",
        "Z51.1",
    ],
    [
        "T4",
        "350000002",
        "",
        "Nguyen",
        "Anh",
        "2",
        "1960-12-31",
        "35",
        "chemotherapy",
        "2021-02-30",
        "",
        "",
        "Z51.1",
    ],
];

/// SNOMED CT concept of each treatment, as the FHIR profile reads it.
fn treatment_concept(label: &str) -> &'static str {
    match label {
        "surgery" => "387713003",
        "radiotherapy" => "108290001",
        _ => "367336001",
    }
}

/// Writes the acts as one FHIR Bundle: a Patient and an Organization per
/// act, and a Procedure referencing them.
fn procedure_bundle(acts: &[[&str; 13]]) -> serde_json::Value {
    let mut entries = Vec::new();
    for [
        id,
        finess,
        nir,
        family,
        given,
        sex,
        birth,
        departement,
        treatment,
        start,
        end,
        ccam,
        icd10,
    ] in acts
    {
        let mut patient = serde_json::json!({
            "resourceType": "Patient",
            "name": [{"use": "official", "family": family, "given": [given]}],
            "gender": if *sex == "1" { "male" } else { "female" },
            "birthDate": birth,
            "address": [{"district": departement}],
        });
        if !nir.is_empty() {
            patient["identifier"] = serde_json::json!([
                {"system": "urn:oid:1.2.250.1.213.1.4.8", "value": nir}
            ]);
        }
        let mut procedure = serde_json::json!({
            "resourceType": "Procedure",
            "identifier": [{"value": id}],
            "status": "completed",
            "subject": {"reference": format!("urn:uuid:pat-{id}")},
            "performer": [{"onBehalfOf": {"reference": format!("urn:uuid:org-{id}")}}],
            "category": {"coding": [
                {"system": "http://snomed.info/sct", "code": treatment_concept(treatment)}
            ]},
        });
        if end.is_empty() {
            procedure["performedDateTime"] =
                format!("{start}T08:00:00+01:00").into();
        } else {
            procedure["performedPeriod"] =
                serde_json::json!({"start": start, "end": end});
        }
        if !ccam.is_empty() {
            procedure["code"] = serde_json::json!({"coding": [
                {"system": "urn:oid:1.2.250.1.213.2.5", "code": ccam}
            ]});
        }
        if !icd10.is_empty() {
            procedure["reasonCode"] = serde_json::json!([{"coding": [
                {"system": "http://hl7.org/fhir/sid/icd-10", "code": icd10}
            ]}]);
        }
        entries.push(serde_json::json!({"fullUrl": format!("urn:uuid:pat-{id}"), "resource": patient}));
        entries.push(serde_json::json!({
            "fullUrl": format!("urn:uuid:org-{id}"),
            "resource": {"resourceType": "Organization", "identifier": [{"value": finess}]},
        }));
        entries.push(serde_json::json!({"resource": procedure}));
    }
    serde_json::json!({"resourceType": "Bundle", "type": "collection", "entry": entries})
}

/// Ingests the CSV `csv` and the same records as one FHIR Bundle, as
/// NDJSON and as a gzip-compressed Bundle. Asserts that each FHIR form
/// loads to the records and pseudonyms of the CSV, and that each form
/// quarantines one row as an `impossible_date` in `date_column`. Returns
/// the outcome of the CSV.
fn assert_fhir_forms_match_csv(
    kind: SourceKind,
    stem: &str,
    csv: &str,
    bundle: String,
    ndjson: String,
    date_column: &str,
) -> rnc_ingest::FileOutcome {
    let mut gzip = flate2::write::GzEncoder::new(
        Vec::new(),
        flate2::Compression::default(),
    );
    std::io::Write::write_all(&mut gzip, bundle.as_bytes()).unwrap();
    let gzip = gzip.finish().unwrap();

    let (_dir, csv_path) = fixture(&format!("{stem}.csv"), csv.as_bytes());
    let baseline = ingest_file(kind, &csv_path, keys(), "b").unwrap();
    assert_eq!(baseline.quarantine.len(), 1);
    assert_eq!(baseline.quarantine[0].field, date_column);
    assert_eq!(baseline.quarantine[0].rule, "impossible_date");

    let comparable = |outcome: &rnc_ingest::FileOutcome| {
        let mut records = outcome.records.clone();
        for record in &mut records {
            record.source_file.clear();
            record.source_line = 0;
        }
        records
    };
    let forms: [(String, Vec<u8>); 3] = [
        (format!("{stem}.json"), bundle.into_bytes()),
        (format!("{stem}.ndjson"), ndjson.into_bytes()),
        (format!("{stem}.json.gz"), gzip),
    ];
    for (name, bytes) in forms {
        let (_dir, path) = fixture(&name, &bytes);
        let outcome = ingest_file(kind, &path, keys(), "b")
            .unwrap_or_else(|error| panic!("{name}: {error}"));
        assert_eq!(comparable(&outcome), comparable(&baseline), "{name}");
        assert_eq!(outcome.rows_read, baseline.rows_read, "{name}");
        assert_eq!(outcome.quarantine.len(), 1, "{name}");
        assert_eq!(outcome.quarantine[0].field, date_column, "{name}");
        assert_eq!(outcome.quarantine[0].rule, "impossible_date", "{name}");
    }
    baseline
}

#[test]
fn procedures_load_as_treatment_csv() {
    // The same acts as treatment CSV, as one FHIR Bundle, as NDJSON with
    // one Bundle per act, and gzip-compressed, load to identical records
    // and pseudonyms, and T4 is quarantined for its start date in each.
    let header = "treatment_id,finess,nir,birth_name,first_name,sex,birth_date,departement,treatment,start_date,end_date,procedure_code,icd10";
    let mut csv = format!("{header}\n");
    for act in TREATMENTS {
        csv += &(act.join(",") + "\n");
    }
    let bundle = procedure_bundle(&TREATMENTS).to_string();
    let ndjson: String = TREATMENTS
        .iter()
        .map(|act| procedure_bundle(&[*act]).to_string() + "\n")
        .collect();

    let baseline = assert_fhir_forms_match_csv(
        SourceKind::Treatment,
        "treatments",
        &csv,
        bundle,
        ndjson,
        "start_date",
    );

    assert_eq!(baseline.records.len(), 3);
    let radiotherapy = &baseline.records[1];
    assert_eq!(radiotherapy.procedure_code.as_deref(), Some("ZZNL050"));
    assert_eq!(radiotherapy.icd10.as_deref(), Some("Z51.0"));
    assert_eq!(radiotherapy.end_date.unwrap().to_iso(), "2021-06-11");
}
