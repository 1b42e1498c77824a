//! FHIR R4 pathology reports, treatment acts and clinical diagnoses: the
//! profile's elements become the pathology_report, treatment and
//! clinical_record columns, and a malformed resource is quarantined with
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
fn condition_fault_reaches_only_reports_named_after_it() {
    // A Condition whose evidence is a number, placed between the
    // Condition of R1 and that of R2: R1 is named before the fault and
    // keeps its codes, R2 meets the fault and is quarantined.
    let mut bundle: serde_json::Value = serde_json::from_str(BUNDLE).unwrap();
    let entries = bundle["entry"].as_array_mut().unwrap();
    entries.insert(
        6,
        serde_json::json!({"fullUrl": "urn:uuid:cond-bad", "resource": {
            "resourceType": "Condition",
            "evidence": 5
        }}),
    );
    let (_dir, path) =
        fixture("acp.json", serde_json::to_vec(&bundle).unwrap().as_slice());

    let kind = SourceKind::PathologyReport;
    let rows: Vec<_> = open_rows(&path, kind, &ReadOptions::default())
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(rows.len(), 2);
    assert!(rows[0].defect.is_none());
    let first: Vec<&str> = rows[0].fields.iter().collect();
    assert_eq!(&first[11..14], ["C50.4", "8500", "3"]);
    let defect = rows[1].defect.as_ref().expect("R2 meets the fault");
    assert_eq!(
        (defect.field.as_str(), defect.rule),
        ("Condition.evidence", "fhir_structure")
    );
}

#[test]
fn large_bundle_reports_find_their_conditions() {
    // 300 reports, each named by its own Condition's evidence.detail, in
    // an order unrelated to the reports'.
    let mut entries = Vec::new();
    entries.push(serde_json::json!({"fullUrl": "urn:uuid:pat", "resource": {
        "resourceType": "Patient", "gender": "female", "birthDate": "1950-01-02"
    }}));
    let sites = ["C50.1", "C18.7", "C34.1"];
    for i in 0..300 {
        entries.push(
            serde_json::json!({"fullUrl": format!("urn:uuid:rep-{i}"),
            "resource": {
                "resourceType": "DiagnosticReport",
                "id": format!("R{i}"),
                "subject": {"reference": "urn:uuid:pat"}
            }}),
        );
    }
    for i in (0..300).rev() {
        entries.push(serde_json::json!({"resource": {
            "resourceType": "Condition",
            "bodySite": [{"coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/icd-o-3",
                "code": sites[i % 3]
            }]}],
            "evidence": [{"detail": [{"reference": format!("DiagnosticReport/R{i}")}]}]
        }}));
    }
    let content = serde_json::to_vec(&collection(entries)).unwrap();
    let (_dir, path) = fixture("acp.json", content.as_slice());

    let kind = SourceKind::PathologyReport;
    let rows: Vec<_> = open_rows(&path, kind, &ReadOptions::default())
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(rows.len(), 300);
    for (i, row) in rows.iter().enumerate() {
        let fields: Vec<&str> = row.fields.iter().collect();
        assert_eq!(fields[0], format!("R{i}"));
        assert_eq!(fields[11], sites[i % 3], "report R{i}");
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

const ICD_O_3: &str = "http://terminology.hl7.org/CodeSystem/icd-o-3";
const HISTOLOGY_URL: &str = "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-histology-morphology-behavior";

/// Returns the mCODE histology extension carrying an ICD-O-3 code such as `8500/3`.
fn histology_extension(code: &str) -> serde_json::Value {
    serde_json::json!([{
        "url": HISTOLOGY_URL,
        "valueCodeableConcept": {"coding": [{"system": ICD_O_3, "code": code}]}
    }])
}

/// Returns a histologic grade Observation entry (LOINC 33732-9) with the
/// given `focus`.
fn grade_observation(
    focus: serde_json::Value,
    grade: &str,
) -> serde_json::Value {
    serde_json::json!({"resource": {
        "resourceType": "Observation",
        "code": {"coding": [{"system": "http://loinc.org", "code": "33732-9"}]},
        "focus": focus,
        "valueCodeableConcept": {"coding": [{"system": ICD_O_3, "code": grade}]}
    }})
}

fn collection(entries: Vec<serde_json::Value>) -> serde_json::Value {
    serde_json::json!({"resourceType": "Bundle", "type": "collection", "entry": entries})
}

/// Returns a clinical Bundle without any DiagnosticReport: two patients, two
/// primary cancer Conditions, a comorbidity and a metastasis (neither is
/// a row), and grade Observations found by `focus`.
fn clinical_bundle() -> serde_json::Value {
    let icd10 = "http://hl7.org/fhir/sid/icd-10";
    collection(vec![
        serde_json::json!({"fullUrl": "urn:uuid:org-1", "resource": {
            "resourceType": "Organization",
            "identifier": [{"value": "140000001"}]
        }}),
        serde_json::json!({"fullUrl": "urn:uuid:pat-1", "resource": {
            "resourceType": "Patient",
            "identifier": [
                {"system": "urn:oid:1.2.250.1.213.1.4.8", "value": "255081416802538"}
            ],
            "name": [
                {"use": "usual", "family": "Dupré"},
                {"use": "official", "family": "Lefèvre", "given": ["Jeanne"]}
            ],
            "gender": "female",
            "birthDate": "1955-08",
            "deceasedDateTime": "2023-02-11T04:00:00+01:00",
            "address": [{"district": "14"}],
            "managingOrganization": {"reference": "urn:uuid:org-1"}
        }}),
        serde_json::json!({"fullUrl": "urn:uuid:cond-1", "resource": {
            "resourceType": "Condition",
            "meta": {"profile": ["http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-primary-cancer-condition"]},
            "identifier": [{"value": "K1"}],
            "subject": {"reference": "urn:uuid:pat-1"},
            "code": {"coding": [{"system": icd10, "code": "C50.4"}]},
            "bodySite": [{"coding": [{"system": ICD_O_3, "code": "C50.4"}]}],
            "extension": histology_extension("8500/3"),
            "onsetDateTime": "2021-03-02",
            "recordedDate": "2021-03-20T10:00:00+01:00"
        }}),
        grade_observation(
            serde_json::json!([{"reference": "urn:uuid:cond-1"}]),
            "2",
        ),
        serde_json::json!({"fullUrl": "Patient/p2", "resource": {
            "resourceType": "Patient",
            "id": "p2",
            "name": [{"family": "Martin", "given": ["Paul"]}],
            "gender": "male",
            "birthDate": "1948-01-02",
            "address": [{"district": "35"}],
            "managingOrganization": {"identifier": {"value": "750000003"}}
        }}),
        serde_json::json!({"resource": {
            "resourceType": "Condition",
            "id": "K2",
            "subject": {"reference": "Patient/p2"},
            "code": {"coding": [{"system": ICD_O_3, "code": "C34.1"}]},
            "extension": histology_extension("8070/3"),
            "recordedDate": "2021-06"
        }}),
        // This grade names a Condition that is not in the Bundle, so it
        // grades nothing.
        grade_observation(
            serde_json::json!([{"reference": "Condition/absent"}]),
            "4",
        ),
        serde_json::json!({"resource": {
            "resourceType": "Condition",
            "id": "diabetes",
            "subject": {"reference": "Patient/p2"},
            "code": {"coding": [{"system": icd10, "code": "E11.9"}]}
        }}),
        serde_json::json!({"resource": {
            "resourceType": "Condition",
            "id": "metastasis",
            "meta": {"profile": ["http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-secondary-cancer-condition"]},
            "subject": {"reference": "Patient/p2"},
            "bodySite": [{"coding": [{"system": ICD_O_3, "code": "C77.3"}]}]
        }}),
    ])
}

#[test]
fn clinical_conditions_become_clinical_rows() {
    // Expected values are read by hand from `clinical_bundle`, following
    // the profile in docs/sources.md.
    let bundle = clinical_bundle().to_string();
    let (_dir, path) = fixture("clinique.json", bundle.as_bytes());
    let kind = SourceKind::ClinicalRecord;

    let reader = open_rows(&path, kind, &ReadOptions::default()).unwrap();
    let rows: Vec<_> = reader.map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2);
    let first: Vec<&str> = rows[0].fields.iter().collect();
    assert_eq!(
        first,
        [
            "K1",
            "140000001",
            "255081416802538",
            "Lefèvre",
            "Dupré",
            "Jeanne",
            "2",
            "1955-08-99",
            "14",
            "2021-03-02",
            "2021-03-20",
            "C50.4",
            "8500",
            "3",
            "2",
            "9",
            "2023-02-11",
        ]
    );
    assert_eq!(rows[0].entry, Some(2));
    let second: Vec<&str> = rows[1].fields.iter().collect();
    assert_eq!(
        second,
        [
            "K2",
            "750000003",
            "",
            "Martin",
            "",
            "Paul",
            "1",
            "1948-01-02",
            "35",
            "2021-06-99",
            "2021-06-99",
            "C34.1",
            "8070",
            "3",
            "",
            "9",
            "",
        ]
    );
    assert_eq!(rows[1].entry, Some(5));

    let outcome = ingest_file(kind, &path, keys(), "b").unwrap();
    assert!(outcome.quarantine.is_empty(), "{:?}", outcome.quarantine);
    assert_eq!(outcome.rows_read, 2);
    assert_eq!(outcome.records.len(), 2);
    assert_eq!(outcome.records[0].record_id, "clinical_record/K1");
    assert_eq!(outcome.records[1].record_id, "clinical_record/K2");
}

/// Returns the two-report Bundle with a third Condition that no report
/// takes, graded by `focus`, and a Condition without any cancer code.
fn mixed_bundle() -> serde_json::Value {
    let mut bundle: serde_json::Value = serde_json::from_str(BUNDLE).unwrap();
    let entries = bundle["entry"].as_array_mut().unwrap();
    entries.push(
        serde_json::json!({"fullUrl": "urn:uuid:cond-3", "resource": {
            "resourceType": "Condition",
            "id": "K3",
            "subject": {"reference": "urn:uuid:pat-1"},
            "bodySite": [{"coding": [{"system": ICD_O_3, "code": "C18.7"}]}],
            "extension": histology_extension("8140/3"),
            "onsetDateTime": "2022-09-14"
        }}),
    );
    entries.push(grade_observation(
        serde_json::json!([{"reference": "Condition/K3"}]),
        "1",
    ));
    entries.push(serde_json::json!({"resource": {
        "resourceType": "Condition",
        "id": "hypertension",
        "subject": {"reference": "urn:uuid:pat-1"},
        "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "I10"}]}
    }}));
    bundle
}

#[test]
fn reports_and_conditions_split_by_feed() {
    // BUNDLE's two Conditions are taken by their reports through
    // `evidence.detail`; only the third, K3, is a clinical_record row.
    // Its patient has no managingOrganization, so `organisation`, which
    // is optional, is empty.
    let bundle = mixed_bundle().to_string();
    let (_dir, path) = fixture("mixte.json", bundle.as_bytes());

    let reports =
        ingest_file(SourceKind::PathologyReport, &path, keys(), "b").unwrap();
    let clinical =
        ingest_file(SourceKind::ClinicalRecord, &path, keys(), "b").unwrap();

    assert_eq!(reports.rows_read, 2);
    assert_eq!(reports.records.len(), 2);
    assert!(reports.quarantine.is_empty(), "{:?}", reports.quarantine);
    assert_eq!(clinical.rows_read, 1);
    assert_eq!(clinical.records.len(), 1);
    assert!(clinical.quarantine.is_empty(), "{:?}", clinical.quarantine);
    assert_eq!(clinical.records[0].establishment, None);
    let reader =
        open_rows(&path, SourceKind::ClinicalRecord, &ReadOptions::default())
            .unwrap();
    let rows: Vec<_> = reader.map(Result::unwrap).collect();
    assert_eq!(rows.len(), 1);
    let fields: Vec<&str> = rows[0].fields.iter().collect();
    assert_eq!(fields[0], "K3");
    assert_eq!(
        &fields[9..15],
        ["2022-09-14", "", "C18.7", "8140", "3", "1"]
    );
    assert_eq!(rows[0].entry, Some(9));
}

#[test]
fn only_condition_goes_to_report() {
    // With one Condition in the Bundle and no `evidence`, the report
    // takes it, so reading the Bundle as clinical_record gives no row.
    let mut bundle: serde_json::Value = serde_json::from_str(BUNDLE).unwrap();
    let entries = bundle["entry"].as_array_mut().unwrap();
    entries.truncate(6);
    entries[5]["resource"]
        .as_object_mut()
        .unwrap()
        .remove("evidence");
    let (_dir, path) = fixture("acp.json", bundle.to_string().as_bytes());

    let reports =
        ingest_file(SourceKind::PathologyReport, &path, keys(), "b").unwrap();
    let clinical =
        ingest_file(SourceKind::ClinicalRecord, &path, keys(), "b").unwrap();

    assert_eq!(reports.records.len(), 1);
    assert_eq!(reports.records[0].record_id, "pathology_report/R1");
    assert_eq!(clinical.rows_read, 0);
}

/// A clinical diagnosis as `clinical_record` CSV columns, with the FHIR
/// element that carries its site. Dates ending in `-99` are written in
/// FHIR in their partial form. The NIR is synthetic with a valid key.
struct Diagnosis {
    condition_ref: &'static str,
    organisation: &'static str,
    nir: &'static str,
    birth_name: &'static str,
    first_name: &'static str,
    sex: &'static str,
    birth_date: &'static str,
    departement: &'static str,
    diagnosis_date: &'static str,
    topography: &'static str,
    /// `bodySite`, `code` (ICD-O-3) or `icd10` (an ICD-10 coding of
    /// `Condition.code`, whose code is this text).
    site_element: (&'static str, &'static str),
    morphology: &'static str,
    behaviour: &'static str,
    grade: &'static str,
    death_date: &'static str,
    recorded_date: &'static str,
}

/// K4 has a diagnosis date of 30 February and is rejected.
const DIAGNOSES: [Diagnosis; 4] = [
    Diagnosis {
        condition_ref: "K1",
        organisation: "140000001",
        nir: "255081416802538",
        birth_name: "Lefèvre",
        first_name: "Jeanne",
        sex: "2",
        birth_date: "1955-08-14",
        departement: "14",
        diagnosis_date: "2021-03-02",
        topography: "C50.4",
        site_element: ("bodySite", "C50.4"),
        morphology: "8500",
        behaviour: "3",
        grade: "2",
        death_date: "",
        recorded_date: "2021-03-20",
    },
    Diagnosis {
        condition_ref: "K2",
        organisation: "140000001",
        nir: "",
        birth_name: "Martin",
        first_name: "Paul",
        sex: "1",
        birth_date: "1948-01-02",
        departement: "35",
        diagnosis_date: "2021-05-99",
        // ICD-10 C18.7 (sigmoid colon) is the ICD-O-3 site C18.7.
        topography: "C18.7",
        site_element: ("icd10", "C187"),
        morphology: "8140",
        behaviour: "3",
        grade: "",
        death_date: "2022-01-15",
        recorded_date: "",
    },
    Diagnosis {
        condition_ref: "K3",
        organisation: "350000002",
        nir: "",
        birth_name: "Nguyen",
        first_name: "Anh",
        sex: "2",
        birth_date: "1960-12-31",
        departement: "35",
        diagnosis_date: "2021-04-01",
        topography: "C34.1",
        site_element: ("code", "C34.1"),
        morphology: "8070",
        behaviour: "3",
        grade: "3",
        death_date: "",
        recorded_date: "2021-04-15",
    },
    Diagnosis {
        condition_ref: "K4",
        organisation: "350000002",
        nir: "",
        birth_name: "Nguyen",
        first_name: "Anh",
        sex: "2",
        birth_date: "1960-12-31",
        departement: "35",
        diagnosis_date: "2021-02-30",
        topography: "C16.0",
        site_element: ("bodySite", "C16.0"),
        morphology: "8140",
        behaviour: "3",
        grade: "",
        death_date: "",
        recorded_date: "",
    },
];

impl Diagnosis {
    fn csv_line(&self) -> String {
        [
            self.condition_ref,
            self.organisation,
            self.nir,
            self.birth_name,
            self.first_name,
            self.sex,
            self.birth_date,
            self.departement,
            self.diagnosis_date,
            self.topography,
            self.morphology,
            self.behaviour,
            self.grade,
            "9",
            self.death_date,
            self.recorded_date,
        ]
        .join(",")
    }

    /// Writes the diagnosis as FHIR entries: an Organization, a Patient,
    /// a Condition and, when graded, a grade Observation on its `focus`.
    fn entries(&self) -> Vec<serde_json::Value> {
        let id = self.condition_ref;
        let partial = |date: &'static str| date.trim_end_matches("-99");
        let mut patient = serde_json::json!({
            "resourceType": "Patient",
            "name": [{"use": "official", "family": self.birth_name, "given": [self.first_name]}],
            "gender": if self.sex == "1" { "male" } else { "female" },
            "birthDate": partial(self.birth_date),
            "address": [{"district": self.departement}],
            "managingOrganization": {"reference": format!("urn:uuid:org-{id}")},
        });
        if !self.nir.is_empty() {
            patient["identifier"] = serde_json::json!([
                {"system": "urn:oid:1.2.250.1.213.1.4.8", "value": self.nir}
            ]);
        }
        if !self.death_date.is_empty() {
            patient["deceasedDateTime"] = partial(self.death_date).into();
        }

        let mut condition = serde_json::json!({
            "resourceType": "Condition",
            "identifier": [{"value": id}],
            "subject": {"reference": format!("urn:uuid:pat-{id}")},
            "extension": histology_extension(&format!("{}/{}", self.morphology, self.behaviour)),
            "onsetDateTime": partial(self.diagnosis_date),
        });
        let (element, code) = self.site_element;
        let coding = |system: &str| serde_json::json!({"coding": [{"system": system, "code": code}]});
        match element {
            "bodySite" => {
                condition["bodySite"] = serde_json::json!([coding(ICD_O_3)])
            }
            "code" => condition["code"] = coding(ICD_O_3),
            _ => condition["code"] = coding("http://hl7.org/fhir/sid/icd-10"),
        }
        if !self.recorded_date.is_empty() {
            condition["recordedDate"] = partial(self.recorded_date).into();
        }

        let mut entries = vec![
            serde_json::json!({
                "fullUrl": format!("urn:uuid:org-{id}"),
                "resource": {"resourceType": "Organization", "identifier": [{"value": self.organisation}]},
            }),
            serde_json::json!({"fullUrl": format!("urn:uuid:pat-{id}"), "resource": patient}),
            serde_json::json!({"fullUrl": format!("urn:uuid:cond-{id}"), "resource": condition}),
        ];
        if !self.grade.is_empty() {
            entries.push(grade_observation(
                serde_json::json!([{"reference": format!("urn:uuid:cond-{id}")}]),
                self.grade,
            ));
        }
        entries
    }
}

#[test]
fn conditions_load_as_clinical_csv() {
    // The same diagnoses as clinical_record CSV, as one FHIR Bundle, as
    // NDJSON with one Bundle per diagnosis, and gzip-compressed, load to
    // identical records and pseudonyms, and K4 is quarantined for its
    // diagnosis date in each.
    let header = "condition_ref,organisation,nir,birth_name,first_name,sex,birth_date,departement,diagnosis_date,topography,morphology,behaviour,grade,basis_of_diagnosis,death_date,recorded_date";
    let mut csv = format!("{header}\n");
    for diagnosis in &DIAGNOSES {
        csv += &(diagnosis.csv_line() + "\n");
    }
    let bundle =
        collection(DIAGNOSES.iter().flat_map(Diagnosis::entries).collect())
            .to_string();
    let ndjson: String = DIAGNOSES
        .iter()
        .map(|d| collection(d.entries()).to_string() + "\n")
        .collect();

    let baseline = assert_fhir_forms_match_csv(
        SourceKind::ClinicalRecord,
        "clinique",
        &csv,
        bundle,
        ndjson,
        "diagnosis_date",
    );

    assert_eq!(baseline.rows_read, 4);
    assert_eq!(baseline.records.len(), 3);
    let k1 = &baseline.records[0];
    assert!(k1.nir_pseudonym.is_some());
    assert!(k1.month_salted_names.birth_name_pseudonym.is_some());
    assert_eq!(k1.topography.unwrap().to_string(), "C50.4");
    assert_eq!(k1.morphology.unwrap().grade(), Some(2));
    let k2 = &baseline.records[1];
    assert_eq!(k2.topography.unwrap().to_string(), "C18.7");
    assert_eq!(k2.death_date.unwrap().to_iso(), "2022-01-15");
}

#[test]
fn malformed_conditions_are_quarantined() {
    let patient = serde_json::json!({"fullUrl": "Patient/p", "resource": {
        "resourceType": "Patient",
        "name": [{"family": "Martin", "given": ["Paul"]}],
        "gender": "male",
        "birthDate": "1948-01-02",
        "address": [{"district": "35"}],
        "managingOrganization": {"identifier": {"value": "350000002"}}
    }});
    let condition = |id: &str, subject: &str| {
        serde_json::json!({"fullUrl": format!("Condition/{id}"), "resource": {
            "resourceType": "Condition",
            "id": id,
            "subject": {"reference": subject},
            "bodySite": [{"coding": [{"system": ICD_O_3, "code": "C18.7"}]}],
            "extension": histology_extension("8140/3"),
            "onsetDateTime": "2021-03-02"
        }})
    };
    // Line 1: onsetDateTime is a number. Line 2: the subject does not
    // resolve. Line 3: a grade Observation whose focus is an object.
    // Line 4: bodySite is a string. Line 5: a grade Observation that
    // focuses on no Condition of the Bundle, which grades nothing.
    let mut onset_number = condition("C1", "Patient/p");
    onset_number["resource"]["onsetDateTime"] = 20210302.into();
    let mut site_string = condition("C4", "Patient/p");
    site_string["resource"]["bodySite"] = "C18.7".into();
    let lines = [
        collection(vec![patient.clone(), onset_number]),
        collection(vec![patient.clone(), condition("C2", "Patient/absent")]),
        collection(vec![
            patient.clone(),
            condition("C3", "Patient/p"),
            grade_observation(
                serde_json::json!({"reference": "Condition/C3"}),
                "2",
            ),
        ]),
        collection(vec![patient.clone(), site_string]),
        collection(vec![
            patient,
            condition("C5", "Patient/p"),
            grade_observation(
                serde_json::json!([{"reference": "Condition/absent"}]),
                "2",
            ),
        ]),
    ];
    let content: String =
        lines.iter().map(|line| line.to_string() + "\n").collect();
    let (_dir, path) = fixture("clinique.ndjson", content.as_bytes());

    let outcome =
        ingest_file(SourceKind::ClinicalRecord, &path, keys(), "b").unwrap();

    assert_eq!(outcome.rows_read, 5);
    assert_eq!(outcome.records.len(), 1);
    assert_eq!(outcome.records[0].record_id, "clinical_record/C5");
    assert_eq!(outcome.records[0].morphology.unwrap().grade(), None);
    assert_eq!(
        quarantined_rules(&outcome),
        [
            (1, "Condition.onsetDateTime", "fhir_structure"),
            (2, "Condition.subject", "fhir_reference"),
            (3, "Observation.focus", "fhir_structure"),
            (4, "Condition.bodySite", "fhir_structure"),
        ]
    );
    assert_eq!(
        outcome.quarantine[2].message,
        "clinique.ndjson: line 3, entry 1, field Observation.focus: \
         Bundle.entry[2] (Observation): focus is an object (expected an array)"
    );
}
