//! FHIR R4 JSON for synthetic pathology reports, in the profile that
//! `rnc-ingest` reads and `docs/sources.md` describes. Each report becomes
//! a `DiagnosticReport` with its `Patient`, `Organization` (the
//! laboratory), `Specimen` and mCODE-style `Condition` carrying the
//! ICD-O-3 codes. A graded report adds a histologic grade `Observation`.
//! The reports go into a Bundle of type `collection`.
//!
//! The writer keeps the feed's text as it is, faults included: a date the
//! feed writes as `30/02/1941` becomes the FHIR date `1941-02-30`, so
//! that the reader rejects it by the same rule as in CSV.

use serde_json::{Value, json};

/// OID of the INS-NIR, the NIR used as national health identifier.
pub const INS_NIR_SYSTEM: &str = "urn:oid:1.2.250.1.213.1.4.8";
/// The ICD-O-3 code system (HL7 terminology).
pub const ICD_O_3_SYSTEM: &str =
    "http://terminology.hl7.org/CodeSystem/icd-o-3";
/// The mCODE extension giving histology and behaviour on a Condition.
pub const HISTOLOGY_EXTENSION: &str = "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-histology-morphology-behavior";

/// Share of laboratories, in percent, that deliver their reports as FHIR
/// rather than in `pathology_report.csv`.
pub const FHIR_LABORATORY_PERCENT: u64 = 40;

/// Returns whether `laboratory` delivers FHIR: the FNV-1a 64-bit hash of
/// its code modulo 100 is below [`FHIR_LABORATORY_PERCENT`]. A hash keeps
/// the choice the same for a laboratory across chunks and seeds.
pub fn delivers_fhir(laboratory: &str) -> bool {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in laboratory.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash % 100 < FHIR_LABORATORY_PERCENT
}

/// Returns the name of the FHIR delivery of chunk `chunk` of persons: one
/// Bundle with the chunk's reports from laboratories that deliver FHIR.
pub fn delivery_file_name(chunk: u64) -> String {
    format!("{DELIVERY_PREFIX}{chunk:04}.json")
}

/// Start of the names of the FHIR deliveries written by the generator.
pub const DELIVERY_PREFIX: &str = "pathology_report_fhir_";

/// One pathology report as the text fields of `pathology_report.csv`.
#[derive(Debug, Clone, Copy, Default)]
pub struct PathologyReport<'a> {
    /// `report_id`, unique in a delivery.
    pub report_id: &'a str,
    /// `laboratory` code.
    pub laboratory: &'a str,
    /// `nir`, or empty.
    pub nir: &'a str,
    /// `birth_name`.
    pub birth_name: &'a str,
    /// `usage_name`, or empty.
    pub usage_name: &'a str,
    /// `first_name`, or empty.
    pub first_name: &'a str,
    /// `sex` code: 1, 2, 9, M or F.
    pub sex: &'a str,
    /// `birth_date` in a feed date form.
    pub birth_date: &'a str,
    /// `departement` of residence, or empty.
    pub departement: &'a str,
    /// `specimen_date` in a feed date form.
    pub specimen_date: &'a str,
    /// `report_date` in a feed date form, or empty.
    pub report_date: &'a str,
    /// `topography`, ICD-O-3.
    pub topography: &'a str,
    /// `morphology`, the four-digit ICD-O-3 histology.
    pub morphology: &'a str,
    /// `behaviour` digit.
    pub behaviour: &'a str,
    /// `grade` digit, or empty.
    pub grade: &'a str,
}

impl<'a> PathologyReport<'a> {
    /// Reads a report from fields in the column order of
    /// `pathology_report.csv`.
    ///
    /// # Panics
    ///
    /// If `fields` does not have the feed's 15 columns.
    pub fn from_fields(fields: &'a [String]) -> PathologyReport<'a> {
        assert_eq!(fields.len(), 15, "pathology_report has 15 columns");
        PathologyReport {
            report_id: &fields[0],
            laboratory: &fields[1],
            nir: &fields[2],
            birth_name: &fields[3],
            usage_name: &fields[4],
            first_name: &fields[5],
            sex: &fields[6],
            birth_date: &fields[7],
            departement: &fields[8],
            specimen_date: &fields[9],
            report_date: &fields[10],
            topography: &fields[11],
            morphology: &fields[12],
            behaviour: &fields[13],
            grade: &fields[14],
        }
    }
}

/// Writes a Bundle of type `collection` with every report, as one line of
/// JSON (so that it is also one line of NDJSON).
pub fn pathology_bundle(reports: &[PathologyReport<'_>]) -> String {
    let entries: Vec<Value> = reports.iter().flat_map(report_entries).collect();
    let bundle = json!({
        "resourceType": "Bundle",
        "type": "collection",
        "entry": entries,
    });
    bundle.to_string()
}

/// Returns the Bundle entries of one report.
fn report_entries(report: &PathologyReport<'_>) -> Vec<Value> {
    let id = report.report_id;
    let patient = format!("pat-{id}");
    let laboratory = format!("lab-{id}");
    let specimen = format!("spec-{id}");
    let condition = format!("cond-{id}");
    let grade = format!("grade-{id}");

    let mut report_resource = json!({
        "resourceType": "DiagnosticReport",
        "id": id,
        "identifier": [{"value": id}],
        "status": "final",
        "code": {"coding": [{
            "system": "http://loinc.org",
            "code": "60568-3",
            "display": "Pathology Synoptic report"
        }]},
        "subject": {"reference": format!("Patient/{patient}")},
        "performer": [{"reference": format!("Organization/{laboratory}")}],
        "specimen": [{"reference": format!("Specimen/{specimen}")}],
    });
    if let Some(issued) = fhir_date(report.report_date) {
        // An instant needs a time; noon UTC keeps the date in every time
        // zone of metropolitan and overseas France.
        let issued = if issued.len() == 10 {
            format!("{issued}T12:00:00Z")
        } else {
            issued
        };
        report_resource["issued"] = json!(issued);
    }
    if !report.grade.is_empty() {
        report_resource["result"] =
            json!([{"reference": format!("Observation/{grade}")}]);
    }

    let mut patient_resource = json!({
        "resourceType": "Patient",
        "id": patient,
    });
    if !report.nir.is_empty() {
        patient_resource["identifier"] =
            json!([{"system": INS_NIR_SYSTEM, "value": report.nir}]);
    }
    let mut names = Vec::new();
    if !report.birth_name.is_empty() || !report.first_name.is_empty() {
        let mut official = json!({"use": "official"});
        if !report.birth_name.is_empty() {
            official["family"] = json!(report.birth_name);
        }
        if !report.first_name.is_empty() {
            official["given"] = json!([report.first_name]);
        }
        names.push(official);
    }
    if !report.usage_name.is_empty() {
        names.push(json!({"use": "usual", "family": report.usage_name}));
    }
    if !names.is_empty() {
        patient_resource["name"] = json!(names);
    }
    if !report.sex.is_empty() {
        patient_resource["gender"] = json!(gender(report.sex));
    }
    if let Some(birth) = fhir_date(report.birth_date) {
        patient_resource["birthDate"] = json!(birth);
    }
    if !report.departement.is_empty() {
        patient_resource["address"] =
            json!([{"district": report.departement, "country": "FR"}]);
    }

    let mut specimen_resource = json!({
        "resourceType": "Specimen",
        "id": specimen,
        "subject": {"reference": format!("Patient/{patient}")},
    });
    if let Some(collected) = fhir_date(report.specimen_date) {
        specimen_resource["collection"] =
            json!({"collectedDateTime": collected});
    }

    let morphology = if report.behaviour.is_empty() {
        report.morphology.to_string()
    } else {
        format!("{}/{}", report.morphology, report.behaviour)
    };
    let condition_resource = json!({
        "resourceType": "Condition",
        "id": condition,
        "meta": {"profile": [
            "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-primary-cancer-condition"
        ]},
        "extension": [{
            "url": HISTOLOGY_EXTENSION,
            "valueCodeableConcept": {"coding": [
                {"system": ICD_O_3_SYSTEM, "code": morphology}
            ]}
        }],
        "code": {"text": "primary malignant neoplasm"},
        "bodySite": [{"coding": [
            {"system": ICD_O_3_SYSTEM, "code": report.topography}
        ]}],
        "subject": {"reference": format!("Patient/{patient}")},
        "evidence": [{"detail": [
            {"reference": format!("DiagnosticReport/{id}")}
        ]}],
    });

    let mut entries = vec![
        entry(report_resource),
        entry(patient_resource),
        entry(json!({
            "resourceType": "Organization",
            "id": laboratory,
            "identifier": [{"value": report.laboratory}],
        })),
        entry(specimen_resource),
        entry(condition_resource),
    ];
    if !report.grade.is_empty() {
        entries.push(entry(json!({
            "resourceType": "Observation",
            "id": grade,
            "status": "final",
            "code": {"coding": [{
                "system": "http://loinc.org",
                "code": "33732-9",
                "display": "Histology grade Ca spec"
            }]},
            "subject": {"reference": format!("Patient/{patient}")},
            "valueCodeableConcept": {"coding": [
                {"system": ICD_O_3_SYSTEM, "code": report.grade}
            ]},
        })));
    }
    entries
}

fn entry(resource: Value) -> Value {
    let kind = resource["resourceType"].as_str().unwrap_or_default();
    let id = resource["id"].as_str().unwrap_or_default();
    json!({
        "fullUrl": format!("{kind}/{id}"),
        "resource": resource,
    })
}

/// Maps a feed sex code to `Patient.gender`; an invalid code is kept as
/// it is, for the reader to reject.
fn gender(code: &str) -> &str {
    match code {
        "1" | "M" | "m" => "male",
        "2" | "F" | "f" => "female",
        "9" => "unknown",
        other => other,
    }
}

/// Converts a feed date (`YYYY-MM-DD`, `DD/MM/YYYY` or `YYYYMMDD`, with
/// `99` for an unknown part) to a FHIR date: `YYYY-MM` or `YYYY` when the
/// day or month is unknown, nothing when the date is empty or wholly
/// unknown. Text of another shape is kept as it is.
pub fn fhir_date(text: &str) -> Option<String> {
    let text = text.trim();
    if text.is_empty() || text == "99999999" {
        return None;
    }
    let bytes = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| {
        bytes[range].iter().all(u8::is_ascii_digit)
    };
    let iso = if bytes.len() == 10
        && bytes[2] == b'/'
        && bytes[5] == b'/'
        && digits(0..2)
        && digits(3..5)
        && digits(6..10)
    {
        format!("{}-{}-{}", &text[6..10], &text[3..5], &text[0..2])
    } else if bytes.len() == 8 && digits(0..8) {
        format!("{}-{}-{}", &text[0..4], &text[4..6], &text[6..8])
    } else {
        text.to_string()
    };
    if let Some(year) = iso.strip_suffix("-99-99") {
        return Some(year.to_string());
    }
    if let Some(month) = iso.strip_suffix("-99")
        && month.len() == 7
    {
        return Some(month.to_string());
    }
    Some(iso)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feed_dates_to_fhir() {
        // FHIR R4 `date` allows YYYY, YYYY-MM and YYYY-MM-DD.
        assert_eq!(fhir_date("1961-04-02").as_deref(), Some("1961-04-02"));
        assert_eq!(fhir_date("02/04/1961").as_deref(), Some("1961-04-02"));
        assert_eq!(fhir_date("19610402").as_deref(), Some("1961-04-02"));
        assert_eq!(fhir_date("1961-04-99").as_deref(), Some("1961-04"));
        assert_eq!(fhir_date("99/99/1961").as_deref(), Some("1961"));
        assert_eq!(fhir_date("99999999"), None);
        assert_eq!(fhir_date(""), None);
        assert_eq!(fhir_date("30/02/1941").as_deref(), Some("1941-02-30"));
    }

    #[test]
    fn fhir_laboratory_share() {
        // Laboratory codes as the generator writes them: ACP, the
        // département and a two-digit number.
        let codes: Vec<String> = (1..=95)
            .flat_map(|dep| (1..=9).map(move |n| format!("ACP{dep:02}{n:02}")))
            .collect();
        let fhir = codes.iter().filter(|c| delivers_fhir(c)).count();
        let share = fhir as f64 / codes.len() as f64;
        assert!((0.35..0.45).contains(&share), "share {share}");
    }

    #[test]
    fn bundle_links_report_resources() {
        let report = PathologyReport {
            report_id: "P1",
            laboratory: "ACP3501",
            birth_name: "MARTIN",
            sex: "2",
            birth_date: "1961-04-02",
            specimen_date: "2021-06-01",
            topography: "C50.4",
            morphology: "8500",
            behaviour: "3",
            grade: "2",
            ..PathologyReport::default()
        };
        let bundle: Value =
            serde_json::from_str(&pathology_bundle(&[report])).unwrap();
        let entries = bundle["entry"].as_array().unwrap();
        assert_eq!(bundle["type"], "collection");
        assert_eq!(entries.len(), 6);
        let condition = &entries[4]["resource"];
        assert_eq!(condition["bodySite"][0]["coding"][0]["code"], "C50.4");
        assert_eq!(
            condition["extension"][0]["valueCodeableConcept"]["coding"][0]["code"],
            "8500/3"
        );
        assert_eq!(entries[1]["resource"]["gender"], "female");
        assert!(entries[1]["resource"].get("identifier").is_none());
    }
}
