//! A small-cell threshold that hides nothing is rejected unless the user
//! turns suppression off on purpose, and then rnc prints a warning on
//! stderr.

mod common;

use common::{arg, rnc};

/// Runs `rnc` on a registry folder that does not exist, so that each run
/// stops right after the argument checks, and returns (exit code, stderr).
fn run_without_registry(args: &[&str]) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().unwrap();
    let registry = dir.path().join("absent");
    let mut all = vec!["--registry", arg(&registry), "--quiet"];
    all.extend_from_slice(args);
    let output = rnc(&all);
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn threshold_below_two_rejected() {
    for command in ["stats", "report", "pathway", "serve"] {
        for threshold in ["0", "1"] {
            let (code, stderr) = run_without_registry(&[
                command,
                "--small-cell-threshold",
                threshold,
            ]);
            assert_eq!(code, Some(2), "{command} {threshold}: {stderr}");
            assert!(
                stderr.contains(&format!(
                    "--small-cell-threshold {threshold} would hide no count"
                )),
                "{command} {threshold}: {stderr}"
            );
            assert!(
                stderr.contains("--no-small-cell-suppression"),
                "{command} {threshold}: {stderr}"
            );
        }
    }
}

#[test]
fn no_suppression_flag_warns() {
    for command in ["stats", "report", "pathway"] {
        let (_, stderr) =
            run_without_registry(&[command, "--no-small-cell-suppression"]);
        assert!(
            stderr.contains("rnc: warning: --no-small-cell-suppression"),
            "{command}: {stderr}"
        );
    }
}

#[test]
fn low_threshold_warns() {
    let (_, stderr) =
        run_without_registry(&["stats", "--small-cell-threshold", "5"]);
    assert!(stderr.contains("hides only counts from 1 to 4"), "{stderr}");
}

#[test]
fn default_threshold_silent() {
    let (_, stderr) = run_without_registry(&["stats"]);
    assert!(!stderr.contains("warning"), "{stderr}");
}

#[test]
fn threshold_and_no_suppression_conflict() {
    let (code, stderr) = run_without_registry(&[
        "stats",
        "--small-cell-threshold",
        "11",
        "--no-small-cell-suppression",
    ]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("cannot be used with"), "{stderr}");
}

/// Reads a CSV file as a header and rows of fields.
fn read_csv(path: &std::path::Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let header = reader.headers().unwrap().iter().map(String::from).collect();
    let rows = reader
        .records()
        .map(|record| record.unwrap().iter().map(String::from).collect())
        .collect();
    (header, rows)
}

/// Tells whether a count is from 1 to 10, hidden at the default threshold.
fn small(count: f64) -> bool {
    let count = count.round();
    count > 0.0 && count < 11.0
}

/// Returns the number in a field, `None` when the field is empty.
fn number(field: &str) -> Option<f64> {
    field.parse().ok()
}

#[test]
fn outputs_give_no_small_count_back() {
    // A 20 000-person synthetic registry (rnc demo, seed 1) has 628
    // tumours, enough for pathway delays, participation and quality
    // indicators with many small cells. Each check multiplies a published
    // share by its published count, as a reader would, and looks for a
    // count from 1 to 10.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("demo");
    common::rnc_expect(
        &["demo", "--out", arg(&out), "--persons", "20000", "--quiet"],
        0,
    );
    let registry = out.join("registry");
    let key = out.join("rnc.key");
    let global = ["--registry", arg(&registry), "--key", arg(&key), "--quiet"];
    let pathway = dir.path().join("pathway");
    common::run_rnc(&global, &["pathway", "--out", arg(&pathway)], &[0]);
    let report = dir.path().join("report");
    common::run_rnc(&global, &["report", "--out", arg(&report)], &[0, 1]);

    let (header, rows) = read_csv(&pathway.join("pathway_delays.csv"));
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    let mut shares = 0;
    for row in &rows {
        let treated = number(&row[column("treated")]);
        for share_column in ["within_30_days", "within_60_days"] {
            let Some(share) = number(&row[column(share_column)]) else {
                continue;
            };
            shares += 1;
            let treated = treated.unwrap_or_else(|| {
                panic!("{share_column} shown with treated hidden: {row:?}")
            });
            let within = share * treated;
            assert!(!small(within), "{share_column} gives {within}: {row:?}");
            let rest = treated - within;
            assert!(!small(rest), "{share_column} gives {rest}: {row:?}");
        }
    }
    assert!(
        shares > 0,
        "no share published, so the check proves nothing"
    );

    let (header, rows) = read_csv(&pathway.join("screening_participation.csv"));
    let target = header
        .iter()
        .position(|h| h == "target_population")
        .unwrap();
    for row in &rows {
        if let Some(count) = number(&row[target]) {
            assert!(!small(count), "target population {count}: {row:?}");
        }
    }

    let html = std::fs::read_to_string(report.join("report.html")).unwrap();
    let start = html.find("<h2>Quality indicators</h2>").unwrap();
    let end = start + html[start..].find("</table>").unwrap();
    let mut checked = 0;
    for row in html[start..end].split("<tr>").skip(2) {
        let cells: Vec<&str> = row
            .split("<td")
            .skip(1)
            .map(|cell| {
                let open = cell.find('>').unwrap() + 1;
                &cell[open..cell.find("</td>").unwrap()]
            })
            .collect();
        // Site group, period, tumours and six values; a suppressed row
        // has one cell spanning the seven.
        if cells.len() < 9 {
            continue;
        }
        let tumours: f64 = cells[2].parse().unwrap();
        for percent in [cells[3], cells[4], cells[6], cells[7]] {
            if let Some(percent) = number(percent) {
                checked += 1;
                let part = percent / 100.0 * tumours;
                assert!(!small(part), "{percent} % of {tumours}: {row}");
                assert!(
                    !small(tumours - part),
                    "{percent} % of {tumours}: {row}"
                );
            }
        }
    }
    assert!(checked > 0, "no quality percentage shown");

    // The same indicators as rnc stats publishes them.
    let stats = dir.path().join("stats");
    common::run_rnc(&global, &["stats", "--out", arg(&stats)], &[0]);
    let published = stats.join("quality_indicators_published.csv");
    let (header, rows) = read_csv(&published);
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    let mut checked = 0;
    for row in &rows {
        let Some(tumours) = number(&row[column("tumours")]) else {
            continue;
        };
        assert!(!small(tumours), "tumours {tumours}: {row:?}");
        for name in [
            "microscopically_verified_percent",
            "death_certificate_only_percent",
            "unknown_primary_percent",
            "unspecified_morphology_percent",
        ] {
            if let Some(percent) = number(&row[column(name)]) {
                checked += 1;
                let part = percent / 100.0 * tumours;
                assert!(!small(part), "{name} gives {part}: {row:?}");
                let rest = tumours - part;
                assert!(!small(rest), "{name} gives {rest}: {row:?}");
            }
        }
        if let Some(ratio) = number(&row[column("mortality_incidence_ratio")]) {
            let deaths = ratio * tumours;
            assert!(!small(deaths), "M:I gives {deaths} deaths: {row:?}");
        }
    }
    assert!(checked > 0, "no published quality percentage");
    assert!(
        !header.iter().any(|h| h == "deaths"),
        "the published table names the cancer deaths"
    );
}
