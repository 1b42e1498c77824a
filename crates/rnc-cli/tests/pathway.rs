//! `rnc pathway` on a synthetic population with the generator's default
//! noise, against the truth the generator wrote: the indicators, one
//! tumour's timeline, the tables and the report section.

mod common;

use std::collections::HashMap;
use std::path::Path;

use common::{arg, files_under, rnc};

/// Runs `rnc` and fails unless it completed (exit 0, or 1 when rows were
/// quarantined or tumours flagged).
fn run(args: &[&str]) -> String {
    let output = rnc(args);
    assert!(
        matches!(output.status.code(), Some(0 | 1)),
        "rnc {args:?} exited with {:?}\nstderr:\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Lists the files of `feeds` whose name starts with `prefix`.
fn feed_files(feeds: &Path, prefix: &str, extension: &str) -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(feeds)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_str().unwrap();
            name.starts_with(prefix) && name.ends_with(extension)
        })
        .map(|p| arg(&p).to_string())
        .collect();
    files.sort();
    files
}

/// Writes 60 000 synthetic persons over 2019-2023 with the default noise
/// and runs every stage up to a release.
fn build_registry(dir: &Path) {
    let feeds = dir.join("feeds");
    let registry = dir.join("registry");
    let key = dir.join("rnc.key");
    let base = ["--registry", arg(&registry), "--key", arg(&key), "--quiet"];
    run(&[
        "synth",
        "--persons",
        "60000",
        "--out",
        arg(&feeds),
        "--quiet",
    ]);
    let population = feeds.join("population.csv");
    run(&[&base[..], &["ingest", "--population", arg(&population)]].concat());
    for kind in [
        "registry_extract",
        "pathology_report",
        "death_record",
        "long_term_illness",
        "screening",
        "treatment",
    ] {
        let mut files = feed_files(&feeds, &format!("{kind}_"), ".csv");
        if kind == "pathology_report" {
            files.extend(feed_files(&feeds, "pathology_report_fhir_", ".json"));
        }
        let mut args = vec!["ingest", "--source", kind];
        args.extend(base);
        args.extend(files.iter().map(String::as_str));
        run(&args);
    }
    let stays = feed_files(&feeds, "hospital_stay_", ".csv");
    let mut args = vec![
        "ingest",
        "--source",
        "hospital_stay",
        "--encoding",
        "windows-1252",
    ];
    args.extend(base);
    args.extend(stays.iter().map(String::as_str));
    run(&args);
    for stage in ["link", "consolidate", "release"] {
        run(&[&[stage][..], &base[..]].concat());
    }
}

/// Reads the rows `indicator registry truth deviation` that
/// `rnc pathway --truth` prints, as registry and truth values.
fn deviations(stdout: &str) -> HashMap<String, (f64, f64)> {
    let mut rows = HashMap::new();
    let start = stdout
        .find("pathway indicators against the truth")
        .unwrap_or_else(|| panic!("no comparison in:\n{stdout}"));
    for line in stdout[start..].lines().skip(2) {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.len() < 4 {
            break;
        }
        let n = fields.len();
        let (Ok(registry), Ok(truth)) =
            (fields[n - 3].parse::<f64>(), fields[n - 2].parse::<f64>())
        else {
            continue;
        };
        rows.insert(fields[..n - 3].join(" "), (registry, truth));
    }
    rows
}

#[test]
fn pathway_indicators_against_truth() {
    let dir = tempfile::tempdir().unwrap();
    build_registry(dir.path());
    let registry = dir.path().join("registry");
    let feeds = dir.path().join("feeds");
    let out = dir.path().join("pathway");
    let life_table = feeds.join("life_table.csv");
    let stdout = run(&[
        "pathway",
        "--registry",
        arg(&registry),
        "--out",
        arg(&out),
        "--truth",
        arg(&feeds),
        "--life-table",
        arg(&life_table),
    ]);
    let found = deviations(&stdout);
    let get = |name: &str| {
        *found
            .get(name)
            .unwrap_or_else(|| panic!("no row {name:?} in:\n{stdout}"))
    };

    // The registry reaches the truth only through linkage, consolidation and the
    // feeds' noise: duplicate and late records, another person's NIR,
    // unspecified codes, and incidence dates set by the ENCR hierarchy.
    // On 60 000 persons (seed 1) the deviations were at most 0.021 for
    // shares, 1 day for quartiles and 0.04 for the sensitivity; the bounds
    // leave room for changes upstream while still catching a wrong
    // definition (a delay counted from the wrong date moves the median by
    // weeks).
    for (name, bound) in [
        ("share treated", 0.04),
        ("within 30 days", 0.05),
        ("within 60 days", 0.02),
        ("30-day post-operative mortality", 0.01),
        ("90-day post-operative mortality", 0.02),
        ("share screen_detected", 0.05),
        ("share interval", 0.05),
        ("share non_participant", 0.05),
        ("share not_eligible", 0.05),
        ("sensitivity (detection method)", 0.1),
    ] {
        let (registry, truth) = get(name);
        assert!(
            (registry - truth).abs() <= bound,
            "{name}: registry {registry}, truth {truth}, bound {bound}\n{stdout}"
        );
    }
    for (name, days) in [
        ("median delay (days)", 3.0),
        ("first quartile (days)", 4.0),
        ("third quartile (days)", 4.0),
    ] {
        let (registry, truth) = get(name);
        assert!(
            (registry - truth).abs() <= days,
            "{name}: registry {registry}, truth {truth}\n{stdout}"
        );
    }
    for (name, least) in [
        ("tumours with delay within 7 days of truth", 0.93),
        ("tumours with the true first modality", 0.95),
        ("tumours with the true treated status", 0.95),
        ("tumours with the true detection mode", 0.95),
    ] {
        let (registry, _) = get(name);
        assert!(registry >= least, "{name}: {registry} < {least}\n{stdout}");
    }

    for stem in [
        "pathway_delays",
        "pathway_combinations",
        "pathway_sequences",
        "pathway_high_volume",
        "pathway_postoperative",
        "screening_detection",
        "screening_stage",
        "screening_sensitivity",
        "screening_participation",
        "screening_survival",
    ] {
        assert!(out.join(format!("{stem}.csv")).exists(), "{stem}.csv");
        assert!(
            out.join(format!("{stem}.parquet")).exists(),
            "{stem}.parquet"
        );
    }

    // No published count is from 1 to 10.
    let delays =
        std::fs::read_to_string(out.join("pathway_delays.csv")).unwrap();
    let mut reader = csv::Reader::from_reader(delays.as_bytes());
    for row in reader.records() {
        let row = row.unwrap();
        for column in 2..5 {
            if let Ok(count) = row[column].parse::<u64>() {
                assert!(count == 0 || count >= 11, "count {count} published");
            }
        }
    }

    // No name of the feeds reaches an output.
    let names: Vec<String> = {
        let file = feed_files(&feeds, "registry_extract_", ".csv")[0].clone();
        let mut reader = csv::Reader::from_path(file).unwrap();
        let column = reader
            .headers()
            .unwrap()
            .iter()
            .position(|c| c == "birth_name")
            .unwrap();
        reader
            .records()
            .take(50)
            .map(|r| r.unwrap()[column].to_uppercase())
            .filter(|n| n.len() >= 5)
            .collect()
    };
    for file in files_under(&out) {
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        let text = text.to_uppercase();
        for name in &names {
            assert!(
                !text.contains(name.as_str()),
                "{} contains a name",
                file.display()
            );
        }
    }
}

#[test]
fn timeline_and_report_section() {
    let dir = tempfile::tempdir().unwrap();
    build_registry(dir.path());
    let registry = dir.path().join("registry");
    let sql = run(&[
        "sql",
        "--registry",
        arg(&registry),
        "SELECT MIN(tumour_id) AS t FROM source_records WHERE source_kind = 'treatment' AND tumour_id IS NOT NULL",
    ]);
    let tumour = sql
        .split(|c: char| c.is_whitespace() || c == '|')
        .find(|w| w.starts_with('P') && w.contains("-T"))
        .unwrap_or_else(|| panic!("no tumour id in:\n{sql}"))
        .to_string();
    let timeline =
        run(&["pathway", "--registry", arg(&registry), "--tumour", &tumour]);
    assert!(
        timeline.starts_with(&format!("tumour {tumour}")),
        "{timeline}"
    );
    assert!(
        timeline.contains("treatment/"),
        "no treatment act:\n{timeline}"
    );
    assert!(timeline.contains("(first diagnostic act)"), "{timeline}");
    assert!(timeline.contains("status "), "{timeline}");
    assert!(
        timeline
            .trim_end()
            .ends_with(&format!("of tumour {tumour}")),
        "{timeline}"
    );
    // Each event line names its file and line.
    let events: Vec<&str> = timeline
        .lines()
        .filter(|l| l.len() > 10 && l.as_bytes()[4] == b'-')
        .collect();
    assert!(!events.is_empty(), "{timeline}");
    for line in events {
        assert!(line.contains(" batch B"), "{line}");
        assert!(line.rsplit_once(':').is_some(), "{line}");
    }

    let missing = rnc(&[
        "pathway",
        "--registry",
        arg(&registry),
        "--tumour",
        "P99999999-T9",
    ]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&missing.stderr)
            .contains("is not in the release")
    );

    let report_dir = dir.path().join("report");
    run(&[
        "report",
        "--registry",
        arg(&registry),
        "--out",
        arg(&report_dir),
    ]);
    let html = std::fs::read_to_string(report_dir.join("report.html")).unwrap();
    let start = html
        .find("<h2>Care pathways and screening</h2>")
        .expect("section");
    let end = html[start..].find("<h2>Quality checks</h2>").unwrap() + start;
    let section = &html[start..end];
    assert_eq!(section.matches("<svg").count(), 3, "three charts");
    assert!(section.contains("Days from diagnosis to first treatment"));
    assert!(section.contains("Stage at diagnosis by mode of detection"));
    assert!(section.contains("Screening participation by d"));
}
