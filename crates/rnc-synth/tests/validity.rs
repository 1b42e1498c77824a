//! Every written value has the form `docs/sources.md` requires and parses
//! with the `rnc_model` types; the truth files agree with the feeds.

mod common;

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::OnceLock;

use common::{Table, read_table};
use rnc_model::nir::check_nir;
use rnc_model::{
    BasisOfDiagnosis, Behaviour, Morphology, NirStatus, PartialDate, Sex,
    Topography,
};
use rnc_synth::{FeedFormats, SynthConfig, SynthSummary, write_synthetic};

struct DataSet {
    _dir: tempfile::TempDir,
    path: PathBuf,
    summary: SynthSummary,
}

fn data_set() -> &'static DataSet {
    static DATA: OnceLock<DataSet> = OnceLock::new();
    DATA.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let config = SynthConfig {
            persons: 60_000,
            seed: 11,
            first_year: 2019,
            last_year: 2023,
            formats: FeedFormats::plain(),
            ..SynthConfig::default()
        };
        let summary = write_synthetic(&config, dir.path()).unwrap();
        DataSet {
            path: dir.path().to_path_buf(),
            _dir: dir,
            summary,
        }
    })
}

fn table(file: &str) -> Table {
    read_table(&data_set().path.join(file))
}

#[test]
fn headers_follow_sources_doc() {
    // Column lists of docs/sources.md, in the order of its tables.
    let expected: [(&str, &[&str]); 12] = [
        (
            "registry_extract.csv",
            &[
                "tumour_ref",
                "registry",
                "nir",
                "birth_name",
                "usage_name",
                "first_name",
                "sex",
                "birth_date",
                "departement",
                "incidence_date",
                "topography",
                "morphology",
                "behaviour",
                "grade",
                "basis_of_diagnosis",
                "death_date",
                "last_contact_date",
                "tnm_stage_group",
            ],
        ),
        (
            "hospital_stay.csv",
            &[
                "stay_id",
                "finess",
                "nir",
                "birth_name",
                "first_name",
                "sex",
                "birth_date",
                "departement",
                "admission_date",
                "discharge_date",
                "main_diagnosis",
                "associated_diagnoses",
            ],
        ),
        (
            "pathology_report.csv",
            &[
                "report_id",
                "laboratory",
                "nir",
                "birth_name",
                "usage_name",
                "first_name",
                "sex",
                "birth_date",
                "departement",
                "specimen_date",
                "report_date",
                "topography",
                "morphology",
                "behaviour",
                "grade",
            ],
        ),
        (
            "death_record.csv",
            &[
                "certificate_id",
                "nir",
                "birth_name",
                "usage_name",
                "first_name",
                "sex",
                "birth_date",
                "departement",
                "death_date",
                "underlying_cause",
                "associated_causes",
            ],
        ),
        (
            "long_term_illness.csv",
            &[
                "ald_id",
                "nir",
                "sex",
                "birth_date",
                "departement",
                "icd10",
                "start_date",
            ],
        ),
        (
            "screening.csv",
            &[
                "screening_id",
                "programme",
                "test",
                "nir",
                "birth_name",
                "usage_name",
                "first_name",
                "sex",
                "birth_date",
                "departement",
                "test_date",
                "result",
            ],
        ),
        (
            "treatment.csv",
            &[
                "treatment_id",
                "finess",
                "nir",
                "birth_name",
                "first_name",
                "sex",
                "birth_date",
                "departement",
                "treatment",
                "start_date",
                "end_date",
                "procedure_code",
                "drug_code",
                "icd10",
            ],
        ),
        (
            "population.csv",
            &["year", "sex", "age_band", "departement", "population"],
        ),
        (
            "truth/pathways.csv",
            &[
                "tumour_id",
                "first_treatment_date",
                "first_treatment",
                "delay_days",
                "surgery_date",
                "chemotherapy_date",
                "radiotherapy_date",
                "channel",
            ],
        ),
        (
            "truth/records.csv",
            &["record_id", "person_id", "tumour_id", "file", "noise"],
        ),
        (
            "truth/tumours.csv",
            &[
                "tumour_id",
                "person_id",
                "sex",
                "topography",
                "morphology",
                "behaviour",
                "incidence_date",
                "icd10",
                "departement",
                "site_group",
                "stage",
                "detection_mode",
                "age",
            ],
        ),
        (
            "truth/persons.csv",
            &[
                "person_id",
                "sex",
                "birth_year",
                "departement",
                "death_date",
            ],
        ),
    ];
    for (file, columns) in expected {
        assert_eq!(table(file).header, columns, "{file}");
    }
}

/// Checks that a code is ICD-10 as our feeds write it: a letter, two digits and an
/// optional dot and digit.
fn is_icd10(code: &str) -> bool {
    let bytes = code.as_bytes();
    let head = bytes.len() >= 3
        && bytes[0].is_ascii_uppercase()
        && bytes[1].is_ascii_digit()
        && bytes[2].is_ascii_digit();
    match bytes.len() {
        3 => head,
        5 => head && bytes[3] == b'.' && bytes[4].is_ascii_digit(),
        _ => false,
    }
}

#[test]
fn codes_parse_with_model_types() {
    for file in [
        "registry_extract.csv",
        "pathology_report.csv",
        "truth/tumours.csv",
    ] {
        let rows = table(file);
        for row in rows.maps() {
            row["topography"].parse::<Topography>().unwrap();
            let histology =
                Morphology::parse_histology(row["morphology"]).unwrap();
            let behaviour =
                Behaviour::from_code(row["behaviour"].parse().unwrap())
                    .unwrap();
            assert_eq!(behaviour, Behaviour::Malignant);
            let grade = row
                .get("grade")
                .filter(|g| !g.is_empty())
                .map(|g| g.parse().unwrap());
            Morphology::new(histology, behaviour, grade).unwrap();
            Sex::parse_code(row["sex"]).unwrap();
        }
    }
    for row in table("registry_extract.csv").maps() {
        let basis = BasisOfDiagnosis::from_code(
            row["basis_of_diagnosis"].parse().unwrap(),
        )
        .unwrap();
        assert!(matches!(basis.code(), 1 | 2 | 7), "basis {}", basis.code());
    }
    for code in table("truth/tumours.csv").values("icd10") {
        assert!(is_icd10(code), "ICD-10 {code}");
        assert!(code.starts_with('C'), "ICD-10 {code} is not malignant");
    }
    let stays = table("hospital_stay.csv");
    for row in stays.maps() {
        assert!(
            is_icd10(row["main_diagnosis"]),
            "main diagnosis {}",
            row["main_diagnosis"]
        );
        if row["main_diagnosis"] == "Z51.1" {
            assert!(
                row["associated_diagnoses"]
                    .split('|')
                    .any(|c| c.starts_with('C'))
            );
        }
        for code in row["associated_diagnoses"]
            .split('|')
            .filter(|c| !c.is_empty())
        {
            assert!(is_icd10(code), "associated diagnosis {code}");
        }
    }
    for row in table("death_record.csv").maps() {
        assert!(
            is_icd10(row["underlying_cause"]),
            "cause {}",
            row["underlying_cause"]
        );
    }
}

#[test]
fn dates_parse_and_are_ordered() {
    let date = |text: &str| PartialDate::parse(text).unwrap().unwrap();
    for file in [
        "registry_extract.csv",
        "hospital_stay.csv",
        "pathology_report.csv",
        "death_record.csv",
    ] {
        for birth in table(file).values("birth_date") {
            date(birth);
        }
    }
    for row in table("hospital_stay.csv").maps() {
        assert!(date(row["admission_date"]) <= date(row["discharge_date"]));
    }
    for row in table("pathology_report.csv").maps() {
        assert!(date(row["specimen_date"]) <= date(row["report_date"]));
    }
    for row in table("registry_extract.csv").maps() {
        assert!(date(row["incidence_date"]) <= date(row["last_contact_date"]));
    }
}

#[test]
fn nirs_valid_unless_noised() {
    // About 1 % of written NIRs carry a one-digit typo. Every other NIR is
    // valid, and a person has one valid NIR in all sources, except in the
    // records given another person's NIR (0.2 % by default).
    let records = table("truth/records.csv");
    let person_of: HashMap<&str, &str> = records
        .values("record_id")
        .into_iter()
        .zip(records.values("person_id"))
        .collect();
    let other_nir: HashSet<&str> = records
        .values("record_id")
        .into_iter()
        .zip(records.values("noise"))
        .filter(|(_, noise)| noise.contains("nir_other_person"))
        .map(|(id, _)| id)
        .collect();
    let mut valid_by_person: HashMap<String, HashSet<String>> = HashMap::new();
    let (mut written, mut invalid, mut provisional) = (0usize, 0usize, 0);
    for (kind, file, id_column) in [
        ("registry_extract", "registry_extract.csv", "tumour_ref"),
        ("hospital_stay", "hospital_stay.csv", "stay_id"),
        ("pathology_report", "pathology_report.csv", "report_id"),
        ("death_record", "death_record.csv", "certificate_id"),
    ] {
        let rows = table(file);
        for row in rows.maps() {
            let check = check_nir(row["nir"]);
            match check.status {
                NirStatus::Missing => continue,
                NirStatus::Valid | NirStatus::Provisional => {
                    if check.status == NirStatus::Provisional {
                        provisional += 1;
                    }
                    let id = format!("{kind}/{}", row[id_column]);
                    if other_nir.contains(id.as_str()) {
                        written += 1;
                        continue;
                    }
                    let person = person_of[id.as_str()];
                    valid_by_person
                        .entry(person.to_string())
                        .or_default()
                        .insert(check.normalised.unwrap());
                }
                NirStatus::Invalid => invalid += 1,
            }
            written += 1;
        }
    }
    let share = invalid as f64 / written as f64;
    assert!((0.003..0.02).contains(&share), "invalid NIR share {share}");

    // 5 % of the 10 % born abroad have a provisional number: 0.5 %.
    let share = provisional as f64 / written as f64;
    assert!((0.002..0.01).contains(&share), "provisional share {share}");
    for (person, nirs) in valid_by_person {
        assert_eq!(
            nirs.len(),
            1,
            "person {person} has {} valid NIRs",
            nirs.len()
        );
    }
}

/// Returns the ids of the DiagnosticReports in the FHIR deliveries.
fn fhir_report_ids() -> Vec<String> {
    let mut ids = Vec::new();
    for entry in std::fs::read_dir(&data_set().path).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !name.starts_with(rnc_synth::fhir::DELIVERY_PREFIX) {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let bundle: serde_json::Value = serde_json::from_str(&text).unwrap();
        for entry in bundle["entry"].as_array().unwrap() {
            let resource = &entry["resource"];
            if resource["resourceType"] == "DiagnosticReport" {
                ids.push(resource["id"].as_str().unwrap().to_string());
            }
        }
    }
    ids
}

#[test]
fn truth_matches_feeds() {
    let summary = &data_set().summary;
    let tumours = table("truth/tumours.csv");
    assert_eq!(tumours.rows.len() as u64, summary.tumours);
    let records = table("truth/records.csv");
    let truth_ids: HashSet<&str> =
        records.values("record_id").into_iter().collect();

    // A record sent twice has a second truth line, marked as the copy.
    let copies = records
        .values("noise")
        .into_iter()
        .filter(|noise| noise.contains("duplicate_"))
        .count();
    assert!(copies > 0, "no duplicate submission");
    assert_eq!(
        truth_ids.len() + copies,
        records.rows.len(),
        "record ids are unique but for the copies"
    );

    // Every feed, the long-term illness and screening ones included, has
    // its records in the truth.
    let mut feed_ids = HashSet::new();
    for (feed, count) in &summary.records_by_feed {
        // The plain layout writes one file per feed.
        let rows = table(&format!("{}.csv", feed.name()));
        let mut ids: Vec<String> =
            rows.rows.iter().map(|r| r[0].clone()).collect();
        if feed.name() == "pathology_report" {
            let fhir = fhir_report_ids();
            assert!(!fhir.is_empty(), "no report delivered as FHIR");
            ids.extend(fhir);
        }
        assert_eq!(ids.len() as u64, *count, "{}", feed.name());
        for id in ids {
            feed_ids.insert(format!("{}/{id}", feed.name()));
        }
    }
    for (kind, count) in &summary.records_by_kind {
        let feed = summary
            .records_by_feed
            .iter()
            .find(|(feed, _)| feed.source_kind() == Some(*kind))
            .unwrap();
        assert_eq!(feed.1, *count, "{kind}");
    }
    for id in &truth_ids {
        assert!(
            feed_ids.contains(*id),
            "{id} is in the truth but in no feed"
        );
    }
    assert_eq!(feed_ids.len(), truth_ids.len());

    let tumour_ids: HashSet<&str> =
        tumours.values("tumour_id").into_iter().collect();
    for tumour in records
        .values("tumour_id")
        .into_iter()
        .filter(|t| !t.is_empty())
    {
        assert!(tumour_ids.contains(tumour), "{tumour} is not a true tumour");
    }
    let persons = table("truth/persons.csv");
    assert_eq!(persons.rows.len() as u64, summary.persons);
}

/// Site of a topography group under the IARC/IACR 2004 multiple-primary
/// rules, Table 1 (grouped three-character codes).
fn iarc_site(topography: &str) -> &str {
    match &topography[..3] {
        "C01" | "C02" => "C01-C02",
        "C00" | "C03" | "C04" | "C05" | "C06" => "C00-C06",
        "C09" | "C10" | "C12" | "C13" | "C14" => "C09-C14",
        "C19" | "C20" => "C19-C20",
        "C23" | "C24" => "C23-C24",
        "C33" | "C34" => "C33-C34",
        "C40" | "C41" => "C40-C41",
        "C65" | "C66" | "C67" | "C68" => "C65-C68",
        other => other,
    }
}

#[test]
fn second_primaries_are_distinct() {
    let tumours = table("truth/tumours.csv");
    let mut by_person: HashMap<&str, Vec<HashMap<&str, &str>>> = HashMap::new();
    for row in tumours.maps() {
        by_person.entry(row["person_id"]).or_default().push(row);
    }
    let mut pairs = 0;
    for tumours in by_person.values().filter(|t| t.len() == 2) {
        pairs += 1;
        let (a, b) = (&tumours[0], &tumours[1]);
        assert_ne!(iarc_site(a["topography"]), iarc_site(b["topography"]));

        // Haematological tumours (ICD-O-3 9590 and above) are systemic
        // under rule 4.1; no person gets two of them.
        let haematological =
            |t: &HashMap<&str, &str>| t["morphology"] >= "9590";
        assert!(
            !(haematological(a) && haematological(b)),
            "person {} has two haematological tumours",
            a["person_id"]
        );
        assert!(a["incidence_date"] <= b["incidence_date"]);
    }
    assert!(pairs > 20, "only {pairs} persons with two tumours");
}

#[test]
fn identifier_noise_present() {
    // Women with a usage name sometimes have it written as birth name, with
    // the usage name column empty: at least one such record must exist,
    // and usage names appear only for women.
    let registry = table("registry_extract.csv");
    let pathology = table("pathology_report.csv");
    let mut usage_written = 0;
    for rows in [&registry, &pathology] {
        for row in rows.maps() {
            if !row["usage_name"].is_empty() {
                assert_eq!(row["sex"], "2");
                usage_written += 1;
            }
        }
    }
    assert!(usage_written > 0);

    let unknown_days = [&registry, &pathology]
        .iter()
        .flat_map(|t| t.values("birth_date"))
        .filter(|d| d.ends_with("-99"))
        .count();
    assert!(unknown_days > 0, "no birth date with an unknown day");

    let hospital = table("hospital_stay.csv");
    assert!(
        hospital.values("birth_name").iter().all(|n| n.is_ascii()),
        "hospital names are written without accents"
    );
    assert!(
        registry
            .values("birth_name")
            .iter()
            .any(|n| n.chars().any(|c| c.is_lowercase())),
        "registry names are in title case"
    );
}

#[test]
fn pathway_truth_agrees_with_treatment_feed() {
    // Every treatment act of a tumour starts on or after its true first
    // treatment, the true delay is the first treatment minus the true
    // incidence date, and the first treatment is the earliest of the
    // three modality dates.
    let tumours = table("truth/tumours.csv");
    let incidence: HashMap<&str, PartialDate> = tumours
        .maps()
        .iter()
        .map(|t| {
            (
                t["tumour_id"],
                PartialDate::parse_iso(t["incidence_date"]).unwrap(),
            )
        })
        .collect();
    let pathways = table("truth/pathways.csv");
    assert_eq!(pathways.rows.len(), tumours.rows.len());
    let mut first: HashMap<&str, chrono::NaiveDate> = HashMap::new();
    let mut treated = 0;
    for p in pathways.maps() {
        let date = |column: &str| {
            (!p[column].is_empty()).then(|| {
                chrono::NaiveDate::parse_from_str(p[column], "%Y-%m-%d")
                    .unwrap()
            })
        };
        let Some(start) = date("first_treatment_date") else {
            assert!(p["first_treatment"].is_empty(), "{:?}", p);
            continue;
        };
        treated += 1;
        let earliest =
            ["surgery_date", "chemotherapy_date", "radiotherapy_date"]
                .iter()
                .filter_map(|c| date(c))
                .min()
                .unwrap();
        assert_eq!(start, earliest, "{}", p["tumour_id"]);
        let days =
            (start - incidence[p["tumour_id"]].complete().unwrap()).num_days();
        assert_eq!(p["delay_days"], days.to_string(), "{}", p["tumour_id"]);
        first.insert(p["tumour_id"], start);
    }
    assert!(treated > tumours.rows.len() / 2, "{treated} treated");

    let records = table("truth/records.csv");
    let tumour_of: HashMap<&str, &str> = records
        .maps()
        .iter()
        .filter(|r| r["record_id"].starts_with("treatment/"))
        .map(|r| (r["record_id"], r["tumour_id"]))
        .collect();
    let treatments = table("treatment.csv");
    assert!(
        treatments.rows.len() > 100,
        "{} acts",
        treatments.rows.len()
    );
    let mut kinds: HashMap<&str, usize> = HashMap::new();
    for act in treatments.maps() {
        let id = format!("treatment/{}", act["treatment_id"]);
        let tumour = tumour_of[id.as_str()];
        let start =
            chrono::NaiveDate::parse_from_str(act["start_date"], "%Y-%m-%d")
                .unwrap();
        assert!(first[tumour] <= start, "{id} before its first treatment");
        *kinds.entry(act["treatment"]).or_default() += 1;
    }
    for kind in ["surgery", "radiotherapy", "chemotherapy"] {
        assert!(kinds.get(kind).copied().unwrap_or(0) > 0, "no {kind} act");
    }
}
