//! The native file conventions: hospital stays as Windows-1252 semicolon
//! files with `dd/mm/yyyy` dates, the registry extract as UTF-8 CSV of the
//! registry départements only, one file per feed and year, late records
//! and resubmissions in the next year's file.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use rnc_synth::check::check_data_set;
use rnc_synth::{SynthConfig, write_synthetic};

struct DataSet {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

/// 40 000 persons over 2022-2023 with the default (native) conventions.
fn data_set() -> &'static DataSet {
    static DATA: OnceLock<DataSet> = OnceLock::new();
    DATA.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let config = SynthConfig {
            persons: 40_000,
            seed: 21,
            first_year: 2022,
            last_year: 2023,
            ..SynthConfig::default()
        };
        write_synthetic(&config, dir.path()).unwrap();
        DataSet {
            path: dir.path().to_path_buf(),
            _dir: dir,
        }
    })
}

/// Rows of a CSV file as byte records, with its header.
fn read_rows(
    path: &Path,
    delimiter: u8,
) -> (Vec<String>, Vec<csv::ByteRecord>) {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .from_path(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let header = reader
        .byte_headers()
        .unwrap()
        .iter()
        .map(|h| String::from_utf8(h.to_vec()).unwrap())
        .collect();
    let rows = reader.byte_records().map(Result::unwrap).collect();
    (header, rows)
}

fn column(header: &[String], name: &str) -> usize {
    header
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name} in {header:?}"))
}

#[test]
fn one_file_per_feed_and_year() {
    let dir = &data_set().path;
    for feed in [
        "registry_extract",
        "hospital_stay",
        "pathology_report",
        "death_record",
        "long_term_illness",
        "screening",
    ] {
        for year in [2022, 2023, 2024] {
            let file = dir.join(format!("{feed}_{year}.csv"));
            assert!(file.exists(), "{} is missing", file.display());
        }
        assert!(!dir.join(format!("{feed}.csv")).exists());
    }
}

#[test]
fn hospital_stays_are_windows_1252_semicolon_day_first() {
    let path = data_set().path.join("hospital_stay_2023.csv");
    let bytes = std::fs::read(&path).unwrap();
    let header = bytes.split(|b| *b == b'\n').next().unwrap();
    assert!(header.starts_with(b"stay_id;finess;nir;"), "header");

    // Windows-1252 maps every byte but five (0x81, 0x8D, 0x8F, 0x90 and
    // 0x9D are undefined), so a strict decode fails only on those.
    let (_, had_errors) = encoding_rs::WINDOWS_1252
        .decode_without_bom_handling_and_without_replacement(&bytes)
        .map_or((String::new(), true), |text| (text.into_owned(), false));
    assert!(!had_errors, "not Windows-1252");

    let (header, rows) = read_rows(&path, b';');
    assert!(!rows.is_empty());
    let admission = column(&header, "admission_date");
    for row in &rows {
        let date = std::str::from_utf8(&row[admission]).unwrap();
        let parts: Vec<&str> = date.split('/').collect();
        assert_eq!(parts.len(), 3, "admission date {date:?}");
        assert_eq!(parts[0].len(), 2, "day of {date:?}");
        assert_eq!(parts[1].len(), 2, "month of {date:?}");
        // A late stay of 2022 may arrive in the 2023 file.
        assert!(matches!(parts[2], "2022" | "2023"), "year of {date:?}");
    }
}

#[test]
fn registry_extract_covers_registry_departements_only() {
    // Départements of the Francim general registries the generator
    // models (Calvados, Doubs and Territoire de Belfort, Gironde,
    // Hérault, Isère, Loire-Atlantique and Vendée, Manche, Bas-Rhin,
    // Haut-Rhin, Somme, Tarn, Poitou-Charentes, Haute-Vienne and the four
    // overseas registries).
    let covered: HashSet<&str> = [
        "14", "25", "90", "33", "34", "38", "44", "85", "50", "67", "68", "80",
        "81", "16", "17", "79", "86", "87", "971", "972", "973", "974",
    ]
    .into_iter()
    .collect();
    let mut rows_read = 0;
    for year in [2022, 2023, 2024] {
        let path = data_set().path.join(format!("registry_extract_{year}.csv"));
        let text = std::fs::read(&path).unwrap();
        assert!(std::str::from_utf8(&text).is_ok(), "not UTF-8");
        let (header, rows) = read_rows(&path, b',');
        assert_eq!(header.last().map(String::as_str), Some("tnm_stage_group"));
        let departement = column(&header, "departement");
        let incidence = column(&header, "incidence_date");
        let stage = column(&header, "tnm_stage_group");
        for row in &rows {
            let code = std::str::from_utf8(&row[departement]).unwrap();
            assert!(
                covered.contains(code),
                "département {code} has no registry"
            );
            let date = std::str::from_utf8(&row[incidence]).unwrap();
            assert_eq!(&date[4..5], "-", "ISO date {date:?}");
            let stage = std::str::from_utf8(&row[stage]).unwrap();
            assert!(
                matches!(stage, "" | "I" | "II" | "III" | "IV"),
                "stage {stage:?}"
            );
            rows_read += 1;
        }
    }
    assert!(rows_read > 0);
}

#[test]
fn next_year_file_holds_late_and_resent_records() {
    let path = data_set().path.join("truth/records.csv");
    let (header, rows) = read_rows(&path, b',');
    let (file_at, noise_at) =
        (column(&header, "file"), column(&header, "noise"));
    let mut by_file: HashMap<String, u64> = HashMap::new();
    for row in &rows {
        let file = String::from_utf8(row[file_at].to_vec()).unwrap();
        let noise = std::str::from_utf8(&row[noise_at]).unwrap();
        if file.ends_with("_2024.csv") {
            assert!(
                noise.contains("late")
                    || noise.contains("duplicate_later_file"),
                "{file} holds a record neither late nor resent: {noise:?}"
            );
        }
        *by_file.entry(file).or_insert(0) += 1;
    }
    assert!(
        by_file
            .get("hospital_stay_2024.csv")
            .is_some_and(|n| *n > 0)
    );
}

#[test]
fn check_reads_native_files() {
    // The check finds the files of each year and reads semicolon and
    // Windows-1252 files. Tolerance |z| < 4, as in the check tests.
    let report = check_data_set(&data_set().path).unwrap();
    let stays = report
        .noise
        .iter()
        .find(|n| n.feed == "hospital_stay" && n.measure == "nir missing")
        .unwrap();
    assert!(stays.records > 1_000, "{} stays read", stays.records);
    for deviation in &report.noise {
        assert!(
            deviation.z().abs() < 4.0,
            "{} {}: {:.4} observed, {:.4} expected over {} records",
            deviation.feed,
            deviation.measure,
            deviation.observed_share(),
            deviation.expected_share,
            deviation.records
        );
    }
}
