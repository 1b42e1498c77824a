//! `rnc ingest` is killed with SIGKILL at random moments, or aborted at
//! each step of the batch commit protocol. Each time the registry must be
//! as it was before the batch or hold the whole batch, and the next run
//! must complete with every row counted once.
//!
//! Staged batches are what `rnc link` and `rnc consolidate` read, through
//! `Registry::read_staged_records`, which lists batches from the
//! catalogue; `rnc sql` reads releases only. So "no partial batch is
//! visible" is checked as: the staged records readable through the
//! catalogue are exactly those of the registered batches.

mod common;

use std::collections::BTreeSet;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use arrow::array::{Array, StringArray, UInt64Array};
use common::{arg, rnc_expect};
use rand::{Rng, SeedableRng};
use rnc_store::parquet_io::{file_sha256, read_parquet};
use rnc_store::{FAULT_POINT_VARIABLE, FaultPoint, Registry};

const HEADER: &str = "tumour_ref,registry,nir,birth_name,usage_name,first_name,sex,birth_date,departement,incidence_date,topography,morphology,behaviour,grade,basis_of_diagnosis,death_date,last_contact_date";

/// Rows of the synthetic file. Every 97th row has 30 February as its
/// incidence date, which the `impossible_date` rule rejects, so the
/// expected counts follow from the construction.
const ROWS: u64 = 40_000;
const BAD_EVERY: u64 = 97;
const KILLS: usize = 30;
/// Upper bound on the time spent killing runs, so that a slow machine
/// shortens the test rather than stalling it.
const KILL_BUDGET: Duration = Duration::from_secs(240);

/// Held by each test of this file while it runs, so that the two tests
/// never share the machine: the random kills must fit in their time
/// budget.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn write_feed(path: &Path) {
    let mut text = String::with_capacity(ROWS as usize * 100);
    text.push_str(HEADER);
    text.push('\n');
    for i in 0..ROWS {
        let day = if i % BAD_EVERY == BAD_EVERY - 1 {
            30
        } else {
            1 + i % 28
        };
        text.push_str(&format!(
            "T{i},REG14,,Martin{},Dupont,Anne{},2,19{:02}-0{}-1{},35,2021-02-{day:02},C50.4,8500,3,,7,,\n",
            i % 997,
            i % 101,
            30 + i % 60,
            1 + i % 9,
            i % 10,
        ));
    }
    std::fs::write(path, text).unwrap();
}

fn expected_quarantined() -> u64 {
    ROWS / BAD_EVERY
}

fn ingest_args<'a>(
    feed: &'a Path,
    registry: &'a Path,
    key: &'a Path,
) -> Vec<&'a str> {
    vec![
        "ingest",
        "--source",
        "registry_extract",
        arg(feed),
        "--registry",
        arg(registry),
        "--key",
        arg(key),
        "--quiet",
    ]
}

/// Checks that the registry is consistent and returns the number of
/// registered batches: the catalogue parses, each registered batch's files
/// have the recorded SHA-256 and row counts, the staged records readable
/// through the catalogue are exactly the registered ones, and the write
/// lock is free.
fn check_consistent(registry_dir: &Path) -> usize {
    if !registry_dir.join("catalogue.json").exists() {
        // Killed before the registry was created.
        return 0;
    }
    let registry = Registry::open(registry_dir).unwrap();
    let catalogue = registry.catalogue().expect("the catalogue is readable");
    assert!(catalogue.batches.len() <= 1, "{:?}", catalogue.batches);
    let mut accepted = 0;
    for batch in &catalogue.batches {
        assert_eq!(batch.rows_read, ROWS, "{batch:?}");
        assert_eq!(batch.rows_quarantined, expected_quarantined());
        assert_eq!(batch.rows_accepted, ROWS - expected_quarantined());
        assert_eq!(batch.files.len(), 2, "{batch:?}");
        for file in &batch.files {
            let path = registry_dir
                .join("staged")
                .join(&batch.batch_id)
                .join(&file.file);
            assert_eq!(file_sha256(&path).unwrap(), file.sha256, "{path:?}");
            let rows: usize = read_parquet(&path)
                .unwrap()
                .iter()
                .map(|b| b.num_rows())
                .sum();
            assert_eq!(rows as u64, file.rows, "{path:?}");
        }
        accepted += batch.rows_accepted;
    }
    let staged: usize = registry
        .read_staged_records()
        .unwrap()
        .iter()
        .map(|b| b.num_rows())
        .sum();
    assert_eq!(staged as u64, accepted);
    drop(registry.lock().expect("no stale lock after a kill"));
    catalogue.batches.len()
}

/// Checks that the registered batch holds each row of the file once:
/// accepted record lines and quarantined lines together are lines 2 to
/// `ROWS + 1`, each once.
fn check_each_row_once(registry_dir: &Path) {
    let registry = Registry::open(registry_dir).unwrap();
    let mut lines = BTreeSet::new();
    let mut ids = BTreeSet::new();
    for batch in registry.read_staged_records().unwrap() {
        let column = batch.column_by_name("source_line").unwrap();
        let column = column.as_any().downcast_ref::<UInt64Array>().unwrap();
        let id = batch.column_by_name("record_id").unwrap();
        let id = id.as_any().downcast_ref::<StringArray>().unwrap();
        for row in 0..batch.num_rows() {
            assert!(lines.insert(column.value(row)), "line repeated");
            assert!(ids.insert(id.value(row).to_string()), "id repeated");
        }
    }
    assert_eq!(ids.len() as u64, ROWS - expected_quarantined());
    for batch in registry.read_quarantine().unwrap() {
        let column = batch.column_by_name("line").unwrap();
        let column = column.as_any().downcast_ref::<UInt64Array>().unwrap();
        for row in 0..column.len() {
            assert!(lines.insert(column.value(row)), "line repeated");
        }
    }
    let expected: BTreeSet<u64> = (2..ROWS + 2).collect();
    assert_eq!(lines, expected);
}

#[test]
fn killed_ingest_leaves_whole_batches() {
    let _alone = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let feed = dir.path().join("registry_extract.csv");
    write_feed(&feed);
    let key = dir.path().join("rnc.key");

    // An uninterrupted run gives the time span to kill within.
    let reference = dir.path().join("reference");
    let started = Instant::now();
    rnc_expect(&ingest_args(&feed, &reference, &key), 1);
    let full_run = started.elapsed();
    assert_eq!(check_consistent(&reference), 1);
    check_each_row_once(&reference);

    // Seeded, so that a failure repeats with the same kill times.
    let mut rng = rand::rngs::StdRng::seed_from_u64(20_261_204);
    let budget = Instant::now();
    let mut round = 0;
    let mut registry = dir.path().join("registry-0");
    let mut kills = 0;
    let mut completed = 0;
    while kills < KILLS && budget.elapsed() < KILL_BUDGET {
        let delay = full_run.mul_f64(rng.random_range(0.0..1.2));
        let mut child = Command::new(env!("CARGO_BIN_EXE_rnc"))
            .args(ingest_args(&feed, &registry, &key))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        // `Child::kill` sends SIGKILL on Unix.
        let _ = child.kill();
        child.wait().unwrap();
        kills += 1;

        if check_consistent(&registry) == 1 {
            check_each_row_once(&registry);
            completed += 1;
            round += 1;
            registry = dir.path().join(format!("registry-{round}"));
        }
    }
    eprintln!(
        "{kills} runs killed in {:?} ({completed} had registered the batch)",
        budget.elapsed()
    );
    assert!(kills >= KILLS / 3, "only {kills} kills within the budget");

    // The run after the last kill completes, or finds the batch there.
    let output = rnc_expect(&ingest_args(&feed, &registry, &key), 1);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("read 40000, accepted 39588"), "{stdout}");
    assert_eq!(check_consistent(&registry), 1);
    check_each_row_once(&registry);
    let staged = registry.join("staged");
    let entries: Vec<String> = std::fs::read_dir(&staged)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(entries, vec!["B000001".to_string()]);

    // The same file again adds nothing.
    let again = rnc_expect(&ingest_args(&feed, &registry, &key), 0);
    let stdout = String::from_utf8_lossy(&again.stdout);
    assert!(stdout.contains("skipped, same content as batch B000001"));
    assert!(
        stdout.contains("(1 skipped as already ingested)"),
        "{stdout}"
    );
    assert_eq!(check_consistent(&registry), 1);
}

/// Lists the entries of the registry's `staged/` folder.
fn staged_entries(registry_dir: &Path) -> Vec<String> {
    let mut entries: Vec<String> =
        std::fs::read_dir(registry_dir.join("staged"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
    entries.sort();
    entries
}

/// Aborts `rnc ingest` at each step of the commit protocol in turn (the
/// `fault-injection` feature of rnc-store, which this crate's tests turn
/// on, makes `RNC_FAULT_POINT` abort there), then checks the registry and
/// runs the same ingestion again. A random kill rarely lands in the short
/// windows around the folder rename and the catalogue update, so each one
/// is tested here.
#[test]
fn ingest_aborted_at_each_commit_step() {
    let _alone = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let feed = dir.path().join("registry_extract.csv");
    write_feed(&feed);
    let key = dir.path().join("rnc.key");

    for point in FaultPoint::ALL {
        let registry = dir.path().join(point.name());
        // Created beforehand so that the catalogue points are reached in
        // the batch's commit, not in the registry's creation.
        Registry::open_or_create(&registry).unwrap();
        let aborted = Command::new(env!("CARGO_BIN_EXE_rnc"))
            .args(ingest_args(&feed, &registry, &key))
            .env(FAULT_POINT_VARIABLE, point.name())
            .output()
            .unwrap();
        assert_eq!(
            aborted.status.signal(),
            Some(libc::SIGABRT),
            "{point}: {}",
            String::from_utf8_lossy(&aborted.stderr)
        );

        let registered = point.batch_registered();
        assert_eq!(check_consistent(&registry), usize::from(registered));
        if registered {
            check_each_row_once(&registry);
        }

        // The next run removes what the aborted one left, then loads the
        // batch or finds it already there.
        let again = rnc_expect(
            &ingest_args(&feed, &registry, &key),
            if registered { 0 } else { 1 },
        );
        let stdout = String::from_utf8_lossy(&again.stdout);
        let expected = if registered {
            "skipped, same content as batch B000001"
        } else {
            "read 40000, accepted 39588"
        };
        assert!(stdout.contains(expected), "{point}: {stdout}");
        assert_eq!(check_consistent(&registry), 1, "{point}");
        check_each_row_once(&registry);
        assert_eq!(staged_entries(&registry), ["B000001"], "{point}");
    }
}
