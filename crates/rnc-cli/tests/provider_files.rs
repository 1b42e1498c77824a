//! Ingest of providers' pre-pseudonymised files. Feeds pseudonymised by
//! their providers with `rnc pseudonymise` must give the registry the same
//! records, and so the same persons, as the same feeds sent in clear. The
//! tests send one feed from its provider among clear ones, then all.
//!
//! The feeds come from `rnc synth`, whose generator and truth are
//! independent of the pseudonymisation under test.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::{arg, rnc, rnc_expect};
use rnc_model::SourceRecord;
use rnc_model::tables::batch_to_source_records;
use rnc_store::{Registry, WorkStage};

const CLEAR_FEEDS: [&str; 3] =
    ["registry_extract", "hospital_stay", "death_record"];

/// Every feed that `rnc synth --feed-format plain` writes as one CSV.
const ALL_FEEDS: [&str; 7] = [
    "registry_extract",
    "hospital_stay",
    "pathology_report",
    "death_record",
    "long_term_illness",
    "screening",
    "treatment",
];

fn ingest(
    dir: &Path,
    registry: &Path,
    kind: &str,
    file: &Path,
    provider: bool,
) {
    let registry_key = dir.join("registry.key");
    let provider_key = dir.join("provider.key");
    let mut args = vec![
        "ingest",
        "--registry",
        arg(registry),
        "--key",
        arg(&registry_key),
        "--quiet",
        "--source",
        kind,
        arg(file),
    ];
    if provider {
        args.extend(["--provider-key", arg(&provider_key)]);
    }
    let output = rnc(&args);
    assert!(
        matches!(output.status.code(), Some(0 | 1)),
        "rnc {args:?} failed\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The staged records by record id, without the fields that name the
/// batch and file they came from.
fn staged(registry: &Path) -> BTreeMap<String, SourceRecord> {
    let registry = Registry::open(registry).unwrap();
    let mut records = BTreeMap::new();
    for batch in registry.read_staged_records().unwrap() {
        for mut record in batch_to_source_records(&batch).unwrap() {
            record.batch_id.clear();
            record.source_file.clear();
            records.insert(record.record_id.clone(), record);
        }
    }
    records
}

/// The person of each record after `rnc link`.
fn persons(registry: &Path) -> BTreeMap<String, String> {
    use arrow::array::{Array, StringArray};

    let registry = Registry::open(registry).unwrap();
    let mut persons = BTreeMap::new();
    for batch in registry
        .read_work_table(WorkStage::Link, "person_map")
        .unwrap()
    {
        let column = |name: &str| {
            batch
                .column_by_name(name)
                .unwrap()
                .as_any()
                .downcast_ref::<StringArray>()
                .unwrap()
                .clone()
        };
        let (records, people) = (column("record_id"), column("person_id"));
        for i in 0..records.len() {
            persons.insert(
                records.value(i).to_string(),
                people.value(i).to_string(),
            );
        }
    }
    persons
}

/// Runs `rnc pseudonymise` on a file of feed `kind`. It exits 1 when some
/// NIR of the synthetic feed is invalid on purpose.
fn pseudonymise(key: &Path, kind: &str, input: &Path, output: &Path) {
    let args = [
        "pseudonymise",
        "--key",
        arg(key),
        "--create-key",
        "--source",
        kind,
        arg(input),
        arg(output),
    ];
    let run = rnc(&args);
    assert!(
        matches!(run.status.code(), Some(0 | 1)),
        "rnc {args:?} failed\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
}

/// Writes `rnc synth` feeds of `persons` persons to `feeds`, one UTF-8
/// CSV per feed, which the tests name directly.
fn synth_plain(feeds: &Path, persons: &str, seed: &str) {
    rnc_expect(
        &[
            "synth",
            "--persons",
            persons,
            "--seed",
            seed,
            "--out",
            arg(feeds),
            "--feed-format",
            "plain",
            "--quiet",
        ],
        0,
    );
}

fn link(dir: &Path, registry: &Path) {
    let key = dir.join("registry.key");
    let output = rnc(&[
        "link",
        "--registry",
        arg(registry),
        "--key",
        arg(&key),
        "--quiet",
    ]);
    assert!(
        matches!(output.status.code(), Some(0 | 1)),
        "rnc link failed\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn provider_file_links_like_clear_file() {
    let dir = tempfile::tempdir().unwrap();
    let feeds = dir.path().join("feeds");
    synth_plain(&feeds, "20000", "5");
    let pathology = feeds.join("pathology_report.csv");
    let pseudonymised = dir.path().join("pathology_report.pseudonymised.csv");
    let provider_key = dir.path().join("provider.key");
    pseudonymise(
        &provider_key,
        "pathology_report",
        &pathology,
        &pseudonymised,
    );

    // Every feed in clear, pseudonymised in two layers by the ingest.
    let all_clear = dir.path().join("all_clear");
    // The pathology feed from its provider, the others in clear.
    let mixed = dir.path().join("mixed");
    for feed in CLEAR_FEEDS {
        let file = feeds.join(format!("{feed}.csv"));
        ingest(dir.path(), &all_clear, feed, &file, true);
        ingest(dir.path(), &mixed, feed, &file, true);
    }
    ingest(dir.path(), &all_clear, "pathology_report", &pathology, true);
    ingest(
        dir.path(),
        &mixed,
        "pathology_report",
        &pseudonymised,
        false,
    );

    let clear_records = staged(&all_clear);
    let mixed_records = staged(&mixed);
    let pathology_records = clear_records
        .keys()
        .filter(|id| id.starts_with("pathology_report/"))
        .count();
    assert!(
        pathology_records > 50,
        "{pathology_records} pathology records"
    );
    assert_eq!(
        clear_records.keys().collect::<Vec<_>>(),
        mixed_records.keys().collect::<Vec<_>>()
    );
    for (id, record) in &clear_records {
        assert_eq!(Some(record), mixed_records.get(id), "record {id}");
    }

    link(dir.path(), &all_clear);
    link(dir.path(), &mixed);
    assert_eq!(persons(&all_clear), persons(&mixed));
}

/// Writes synthetic feeds under `dir/feeds` and ingests their registry
/// extract in clear into `dir/registry`, without --provider-key: the rows
/// are pseudonymised with the registry's own provider key, created beside
/// the registry key, which is not the providers' key. Returns the feeds'
/// folder and the registry.
fn registry_of_one_batch(dir: &Path) -> (PathBuf, PathBuf) {
    let feeds = dir.join("feeds");
    synth_plain(&feeds, "2000", "6");
    let registry = dir.join("registry");
    ingest(
        dir,
        &registry,
        "registry_extract",
        &feeds.join("registry_extract.csv"),
        false,
    );
    (feeds, registry)
}

#[test]
fn provider_keys_never_mix_in_one_registry() {
    let dir = tempfile::tempdir().unwrap();
    let (feeds, registry) = registry_of_one_batch(dir.path());
    let pseudonymised = dir.path().join("pathology.pseudonymised.csv");
    pseudonymise(
        &dir.path().join("provider.key"),
        "pathology_report",
        &feeds.join("pathology_report.csv"),
        &pseudonymised,
    );

    let stderr = rejected_ingest(
        dir.path(),
        &registry,
        "pathology_report",
        &pseudonymised,
    );

    assert!(stderr.contains("never match"), "{stderr}");
}

/// Runs `rnc ingest` of `file` into `registry`, which has one batch,
/// checks that it exits with 2 and adds no batch, and returns its
/// standard error.
fn rejected_ingest(
    dir: &Path,
    registry: &Path,
    kind: &str,
    file: &Path,
) -> String {
    let output = rnc(&[
        "ingest",
        "--registry",
        arg(registry),
        "--key",
        arg(&dir.join("registry.key")),
        "--quiet",
        "--source",
        kind,
        arg(file),
    ]);

    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    let batches = Registry::open(registry)
        .unwrap()
        .catalogue()
        .unwrap()
        .batches;
    assert_eq!(batches.len(), 1, "the rejected file adds no batch");
    stderr
}

#[test]
fn filters_of_an_older_construction_are_not_mixed() {
    let dir = tempfile::tempdir().unwrap();
    let (feeds, registry) = registry_of_one_batch(dir.path());
    // The catalogue as an rnc older than the construction's name wrote
    // it: the batch names no construction.
    let catalogue = registry.join("catalogue.json");
    let mut written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&catalogue).unwrap())
            .unwrap();
    let batch = &mut written["batches"][0];
    assert_eq!(
        batch["bloom_construction"],
        rnc_pseudonym::BLOOM_CONSTRUCTION,
        "each batch names its construction"
    );
    batch.as_object_mut().unwrap().remove("bloom_construction");
    std::fs::write(&catalogue, written.to_string()).unwrap();

    let stays = feeds.join("hospital_stay.csv");
    let stderr =
        rejected_ingest(dir.path(), &registry, "hospital_stay", &stays);

    assert!(stderr.contains("batch B000001"), "{stderr}");
    assert!(stderr.contains("HMAC-SHA-256 of each bigram"), "{stderr}");
    assert!(stderr.contains("into a new registry"), "{stderr}");

    // An empty name, as a hand-edited catalogue may hold, counts as none.
    written["batches"][0]["bloom_construction"] = "".into();
    std::fs::write(&catalogue, written.to_string()).unwrap();
    let stderr =
        rejected_ingest(dir.path(), &registry, "hospital_stay", &stays);
    assert!(stderr.contains("HMAC-SHA-256 of each bigram"), "{stderr}");
}

#[test]
fn all_provider_feeds_load_like_clear() {
    let dir = tempfile::tempdir().unwrap();
    let feeds = dir.path().join("feeds");
    synth_plain(&feeds, "20000", "6");
    let provider_key = dir.path().join("provider.key");
    let all_clear = dir.path().join("all_clear");
    let all_provided = dir.path().join("all_provided");
    for feed in ALL_FEEDS {
        let clear = feeds.join(format!("{feed}.csv"));
        let provided = dir.path().join(format!("{feed}.pseudonymised.csv"));
        pseudonymise(&provider_key, feed, &clear, &provided);
        ingest(dir.path(), &all_clear, feed, &clear, true);
        ingest(dir.path(), &all_provided, feed, &provided, false);
    }

    // A row quarantined on one path only would be missing from one map.
    let clear_records = staged(&all_clear);
    let provided_records = staged(&all_provided);
    for feed in ALL_FEEDS {
        let prefix = format!("{feed}/");
        let count = clear_records
            .keys()
            .filter(|id| id.starts_with(&prefix))
            .count();
        assert!(count > 50, "{count} {feed} records");
    }
    assert_eq!(
        clear_records.keys().collect::<Vec<_>>(),
        provided_records.keys().collect::<Vec<_>>()
    );
    for (id, record) in &clear_records {
        assert_eq!(Some(record), provided_records.get(id), "record {id}");
    }

    link(dir.path(), &all_clear);
    link(dir.path(), &all_provided);
    assert_eq!(persons(&all_clear), persons(&all_provided));
}
