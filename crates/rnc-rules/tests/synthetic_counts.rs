//! Consolidation on synthetic national feeds: with each record given its
//! true person (the generator's truth, so that linkage errors do not
//! enter), the tumours counted by site group must be within 1 % of the
//! generator's true tumours, which it counts with the IARC/IACR 2004
//! multiple-primary rules. Expected counts come from `truth/tumours.csv`
//! written by `rnc_synth::write_synthetic`; the tolerance is 1 % of each
//! group's true count, for groups with at least 100 true tumours, and for
//! the total.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use rnc_codes::{Icd10, site_group};
use rnc_model::{SourceKind, SourceRecord};
use rnc_pseudonym::{Key, Pseudonymiser, RegistryLayer};
use rnc_rules::consolidate_person;
use rnc_synth::{
    Feed, FeedFormats, NoiseConfig, NoiseKind, SynthConfig, write_synthetic,
};

/// Persons in the synthetic population: enough for about a dozen site
/// groups with 100 or more tumours, small enough for a debug build.
const PERSONS: u64 = 150_000;

/// Smallest true count of a group whose difference is held to 1 %.
const MIN_GROUP_TUMOURS: u64 = 100;

fn read_csv(path: &Path) -> Vec<HashMap<String, String>> {
    let mut reader = csv::Reader::from_path(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let header = reader.headers().unwrap().clone();
    reader
        .records()
        .map(|row| {
            let row = row.unwrap();
            header
                .iter()
                .zip(row.iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

fn true_counts(truth: &Path) -> BTreeMap<String, u64> {
    let mut counts = BTreeMap::new();
    for row in read_csv(&truth.join("tumours.csv")) {
        let code: Icd10 = row["icd10"].parse().expect("truth ICD-10 parses");
        *counts
            .entry(site_group(&code).code.to_string())
            .or_default() += 1;
    }
    counts
}

fn ingest_all(feeds: &Path) -> Vec<SourceRecord> {
    let provider = Pseudonymiser::new(&Key::from_bytes([7; 32]));
    let registry = RegistryLayer::new(&Key::from_bytes([8; 32]));
    let keys = rnc_ingest::IngestKeys {
        provider: Some(&provider),
        registry: &registry,
    };
    let mut records = Vec::new();
    let mut files: Vec<(SourceKind, PathBuf)> = Feed::ALL
        .iter()
        .filter_map(|f| f.source_kind())
        .map(|kind| (kind, feeds.join(format!("{}.csv", kind.name()))))
        .collect();
    // Laboratories that deliver FHIR write their reports apart.
    for entry in std::fs::read_dir(feeds).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with(rnc_synth::fhir::DELIVERY_PREFIX) {
            files.push((SourceKind::PathologyReport, path));
        }
    }
    for (kind, path) in files {
        let outcome = rnc_ingest::ingest_file(kind, &path, keys, "B1")
            .unwrap_or_else(|e| panic!("ingesting {kind}: {e}"));
        records.extend(outcome.records);
    }
    records
}

#[test]
fn synthetic_counts_by_site_within_one_percent() {
    let dir = tempfile::tempdir().unwrap();
    let config = SynthConfig {
        persons: PERSONS,
        seed: 11,
        // UTF-8, comma, one file per feed: the layout ingestion reads,
        // with the identifier noise only. Unspecified morphologies
        // (8000, 8010) put 2 % more tumours in the "other" group.
        formats: FeedFormats::plain(),
        noise: NoiseConfig::default().without(&NoiseKind::BEYOND_IDENTIFIERS),
        ..SynthConfig::default()
    };
    write_synthetic(&config, dir.path()).unwrap();
    let truth = dir.path().join("truth");

    let person_of: HashMap<String, String> =
        read_csv(&truth.join("records.csv"))
            .into_iter()
            .map(|row| (row["record_id"].clone(), row["person_id"].clone()))
            .collect();
    let records = ingest_all(dir.path());
    let mut by_person: BTreeMap<&str, Vec<&SourceRecord>> = BTreeMap::new();
    for record in &records {
        // Quarantined rows have no record, so every record has a person.
        let person = person_of
            .get(&record.record_id)
            .unwrap_or_else(|| panic!("{} not in truth", record.record_id));
        by_person.entry(person).or_default().push(record);
    }

    let mut found: BTreeMap<String, u64> = BTreeMap::new();
    for (person, own) in &by_person {
        for tumour in consolidate_person(person, own).tumours {
            // The truth counts malignant tumours; in situ and uncertain
            // bladder tumours are counted by ENCR but not drawn by the
            // generator.
            if tumour.morphology.behaviour().code() == 3 {
                *found.entry(tumour.site_group).or_default() += 1;
            }
        }
    }

    let expected = true_counts(&truth);
    println!(
        "{:<26} {:>8} {:>8} {:>9}",
        "site group", "truth", "found", "diff %"
    );
    let mut failures = Vec::new();
    let mut groups: Vec<&String> =
        expected.keys().chain(found.keys()).collect();
    groups.sort();
    groups.dedup();
    for group in groups {
        let truth_count = expected.get(group).copied().unwrap_or(0);
        let found_count = found.get(group).copied().unwrap_or(0);
        let difference = if truth_count == 0 {
            f64::INFINITY
        } else {
            100.0 * (found_count as f64 - truth_count as f64)
                / truth_count as f64
        };
        println!(
            "{group:<26} {truth_count:>8} {found_count:>8} {difference:>+9.2}"
        );
        if truth_count >= MIN_GROUP_TUMOURS && difference.abs() > 1.0 {
            failures.push(format!("{group}: {difference:+.2} %"));
        }
    }
    let total_truth: u64 = expected.values().sum();
    let total_found: u64 = found.values().sum();
    let total_difference =
        100.0 * (total_found as f64 - total_truth as f64) / total_truth as f64;
    println!(
        "{:<26} {total_truth:>8} {total_found:>8} {total_difference:>+9.2}",
        "all"
    );
    assert!(
        total_difference.abs() <= 1.0,
        "total off by {total_difference:+.2} %"
    );
    assert!(
        failures.is_empty(),
        "groups off by more than 1 %: {failures:?}"
    );
}
