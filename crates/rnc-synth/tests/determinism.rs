//! The same configuration gives byte-identical files, whatever the number
//! of threads; another seed gives other files.

use std::path::Path;

use rnc_synth::{SynthConfig, write_synthetic};

/// Every file of a data set, as paths relative to `dir`, sorted.
fn files(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    for sub in ["", "truth"] {
        for entry in std::fs::read_dir(dir.join(sub)).unwrap() {
            let path = entry.unwrap().path();
            if path.is_file() {
                let name = path.file_name().unwrap().to_string_lossy();
                found.push(if sub.is_empty() {
                    name.into_owned()
                } else {
                    format!("{sub}/{name}")
                });
            }
        }
    }
    found.sort();
    found
}

fn config(seed: u64) -> SynthConfig {
    SynthConfig {
        persons: 5_000,
        seed,
        first_year: 2021,
        last_year: 2023,
        ..SynthConfig::default()
    }
}

fn read(dir: &Path, file: &str) -> Vec<u8> {
    std::fs::read(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"))
}

#[test]
fn same_seed_same_bytes() {
    let first = tempfile::tempdir().unwrap();
    let second = tempfile::tempdir().unwrap();
    let summary = write_synthetic(&config(3), first.path()).unwrap();

    // The second run uses a single thread, so any dependence on thread
    // scheduling would show.
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let again = pool
        .install(|| write_synthetic(&config(3), second.path()))
        .unwrap();
    assert_eq!(summary, again);
    let written = files(first.path());
    assert_eq!(written, files(second.path()));

    // Native layout: one file per feed and year, 2021 to 2023, plus the
    // late records in 2024.
    assert!(written.contains(&"hospital_stay_2024.csv".to_string()));
    assert!(written.contains(&"truth/noise.toml".to_string()));
    for file in &written {
        assert!(
            read(first.path(), file) == read(second.path(), file),
            "{file} differs between two runs with the same seed"
        );
    }
}

#[test]
fn other_seed_other_bytes() {
    let first = tempfile::tempdir().unwrap();
    let second = tempfile::tempdir().unwrap();
    write_synthetic(&config(3), first.path()).unwrap();
    write_synthetic(&config(4), second.path()).unwrap();
    for file in [
        "hospital_stay_2022.csv",
        "truth/persons.csv",
        "truth/tumours.csv",
    ] {
        assert!(
            read(first.path(), file) != read(second.path(), file),
            "{file} is the same for seeds 3 and 4"
        );
    }
}

#[test]
fn invalid_years_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let bad = SynthConfig {
        persons: 10,
        seed: 1,
        first_year: 2023,
        last_year: 2020,
        ..SynthConfig::default()
    };
    let error = write_synthetic(&bad, dir.path()).unwrap_err();
    assert!(error.to_string().contains("last_year"), "{error}");
    let empty = SynthConfig { persons: 0, ..bad };
    assert!(write_synthetic(&empty, dir.path()).is_err());
}

#[test]
fn chunked_output_ignores_thread_count() {
    // 270 000 persons span two chunks of 262 144, so the second chunk is
    // drawn while the first is written. One thread and three threads must
    // still write the same bytes.
    let config = SynthConfig {
        persons: 270_000,
        seed: 5,
        first_year: 2023,
        last_year: 2023,
        ..SynthConfig::default()
    };
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    for (dir, threads) in dirs.iter().zip([1, 3]) {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| write_synthetic(&config, dir.path()))
            .unwrap();
    }
    let written = files(dirs[0].path());
    assert_eq!(written, files(dirs[1].path()));
    for file in &written {
        assert!(
            read(dirs[0].path(), file) == read(dirs[1].path(), file),
            "{file} differs between one and three threads"
        );
    }
}
