//! `rnc rotate`: a registry moved to a new key links into the same persons,
//! keeps its review decisions and releases, rejects the old key, and keeps
//! no value sealed with the old key. The feeds come from `rnc synth`, whose
//! generator is independent of the code under test.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use arrow::array::{Array, StringArray};
use common::{arg, files_under, rnc, rnc_expect};
use rnc_model::tables::batch_to_source_records;
use rnc_store::{Registry, WorkStage};

const FEEDS: [&str; 4] = [
    "registry_extract",
    "hospital_stay",
    "pathology_report",
    "death_record",
];

/// Reads the text column `name` of a link work table, row by row.
fn work_column(registry: &Path, table: &str, name: &str) -> Vec<String> {
    let registry = Registry::open(registry).unwrap();
    let mut values = Vec::new();
    for batch in registry.read_work_table(WorkStage::Link, table).unwrap() {
        let column = batch
            .column_by_name(name)
            .unwrap()
            .as_any()
            .downcast_ref::<StringArray>()
            .unwrap()
            .clone();
        values.extend((0..column.len()).map(|i| column.value(i).to_string()));
    }
    values
}

/// Lists the scored pairs of the last `rnc link`, sorted.
fn pairs(registry: &Path) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> =
        work_column(registry, "link_pairs", "record_id_left")
            .into_iter()
            .zip(work_column(registry, "link_pairs", "record_id_right"))
            .collect();
    pairs.sort();
    pairs
}

/// Maps record id to person id after `rnc link`.
fn persons(registry: &Path) -> BTreeMap<String, String> {
    work_column(registry, "person_map", "record_id")
        .into_iter()
        .zip(work_column(registry, "person_map", "person_id"))
        .collect()
}

/// Collects the pseudonyms of the staged records.
fn stored_pseudonyms(registry: &Path) -> BTreeSet<String> {
    let registry = Registry::open(registry).unwrap();
    let mut values = BTreeSet::new();
    for batch in registry.read_staged_records().unwrap() {
        for record in batch_to_source_records(&batch).unwrap() {
            let month = record.month_salted_names.into_inner();
            values.extend(
                [
                    record.nir_pseudonym,
                    record.birth_date_pseudonym,
                    month.birth_name_pseudonym,
                    month.first_name_pseudonym,
                ]
                .into_iter()
                .flatten(),
            );
        }
    }
    values
}

#[test]
fn rotation_keeps_linkage_and_retires_old_key() {
    let dir = tempfile::tempdir().unwrap();
    let feeds = dir.path().join("feeds");
    let registry = dir.path().join("registry");
    let old_key = dir.path().join("registry.key");
    let new_key = dir.path().join("registry.2027.key");
    rnc_expect(
        &[
            "synth",
            "--persons",
            "20000",
            "--seed",
            "8",
            "--out",
            arg(&feeds),
            "--feed-format",
            "plain",
            "--quiet",
        ],
        0,
    );
    let with_key = |args: &[&str], key: &Path| {
        let mut all = args.to_vec();
        all.extend(["--registry", arg(&registry), "--key", arg(key)]);
        all.push("--quiet");
        rnc(&all)
    };
    let population = feeds.join("population.csv");
    let output =
        with_key(&["ingest", "--population", arg(&population)], &old_key);
    assert_eq!(output.status.code(), Some(0));
    for feed in FEEDS {
        let file = feeds.join(format!("{feed}.csv"));
        let output =
            with_key(&["ingest", "--source", feed, arg(&file)], &old_key);
        assert!(
            matches!(output.status.code(), Some(0 | 1)),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let output = with_key(&["link"], &old_key);
    assert!(matches!(output.status.code(), Some(0 | 1)));
    // A reviewer splits the first linked pair; the decision is kept by
    // record ids.
    let left = work_column(&registry, "link_pairs", "record_id_left");
    let right = work_column(&registry, "link_pairs", "record_id_right");
    let output = with_key(
        &[
            "review",
            "--pair",
            &left[0],
            &right[0],
            "--decision",
            "non-match",
        ],
        &old_key,
    );
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for stage in [["link"], ["consolidate"], ["release"]] {
        let output = with_key(&stage, &old_key);
        assert!(
            matches!(output.status.code(), Some(0 | 1)),
            "{stage:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let persons_before = persons(&registry);
    let pairs_before = pairs(&registry);
    let pseudonyms_before = stored_pseudonyms(&registry);
    let release_before =
        std::fs::read(registry.join("releases/R0001/tumours.parquet")).unwrap();

    let output = with_key(&["rotate", "--new-key", arg(&new_key)], &old_key);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("rotate: 4 batches"), "{stdout}");

    // The new key file is private and outside the registry.
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&new_key).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);

    // No stored value is one sealed with the old key, and no file of the
    // old key is left.
    let pseudonyms_after = stored_pseudonyms(&registry);
    assert_eq!(pseudonyms_after.len(), pseudonyms_before.len());
    assert!(pseudonyms_after.is_disjoint(&pseudonyms_before));
    for path in files_under(&registry.join("staged")) {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        assert_ne!(name, "source_records.parquet", "{}", path.display());
    }

    // The release is untouched and still verifies.
    assert_eq!(
        std::fs::read(registry.join("releases/R0001/tumours.parquet")).unwrap(),
        release_before
    );
    let output = with_key(&["release", "--verify", "R0001"], &new_key);
    assert_eq!(output.status.code(), Some(0));

    // Linkage under the new key gives the same pairs and persons, the
    // review decision included.
    let output = with_key(&["link"], &new_key);
    assert!(matches!(output.status.code(), Some(0 | 1)));
    assert_eq!(pairs(&registry), pairs_before);
    assert_eq!(persons(&registry), persons_before);

    // The old key is rejected, for ingestion and for another rotation.
    let file = feeds.join("death_record.csv");
    let output = with_key(
        &[
            "ingest",
            "--source",
            "death_record",
            "--allow-duplicate",
            arg(&file),
        ],
        &old_key,
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("is not the key of registry"), "{stderr}");
    let third = dir.path().join("registry.third.key");
    let output = with_key(&["rotate", "--new-key", arg(&third)], &old_key);
    assert_eq!(output.status.code(), Some(2));
    let catalogue = Registry::open(&registry).unwrap().catalogue().unwrap();
    assert_eq!(catalogue.key_rotations.len(), 1);
}

#[test]
fn interrupted_rotation_leaves_old_key_in_force() {
    let dir = tempfile::tempdir().unwrap();
    let feeds = dir.path().join("feeds");
    let registry = dir.path().join("registry");
    let old_key = dir.path().join("registry.key");
    rnc_expect(
        &[
            "synth",
            "--persons",
            "3000",
            "--seed",
            "9",
            "--out",
            arg(&feeds),
            "--feed-format",
            "plain",
            "--quiet",
        ],
        0,
    );
    let file = feeds.join("registry_extract.csv");
    let output = rnc(&[
        "ingest",
        "--registry",
        arg(&registry),
        "--key",
        arg(&old_key),
        "--quiet",
        "--source",
        "registry_extract",
        arg(&file),
    ]);
    assert!(matches!(output.status.code(), Some(0 | 1)));
    let before = stored_pseudonyms(&registry);
    // A rotation killed before its catalogue update leaves a new records
    // file that the catalogue does not list.
    let batch = registry.join("staged/B000001");
    std::fs::copy(
        batch.join("source_records.parquet"),
        batch.join("source_records.0123456789ab.parquet"),
    )
    .unwrap();

    let output = rnc(&[
        "ingest",
        "--registry",
        arg(&registry),
        "--key",
        arg(&old_key),
        "--quiet",
        "--source",
        "death_record",
        arg(&feeds.join("death_record.csv")),
    ]);

    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(matches!(output.status.code(), Some(0 | 1)), "{stderr}");
    assert!(
        stderr.contains("source_records.0123456789ab.parquet"),
        "{stderr}"
    );
    assert!(!batch.join("source_records.0123456789ab.parquet").exists());
    assert!(stored_pseudonyms(&registry).is_superset(&before));
}
