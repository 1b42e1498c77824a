//! `rnc confirm`, `rnc export --format encr-jrc` and the quality
//! indicators of `rnc stats`, on a small synthetic registry with one
//! crafted unlikely tumour: a hepatocellular carcinoma (8170) coded to the
//! lung, which the IARC TR42 Appendix 1 site/histology check flags (family
//! 8 belongs to the liver).

mod common;

use std::path::Path;

use common::{arg, rnc, rnc_expect};

/// Runs a query on a release and returns the CSV rows without header.
fn sql_rows(registry: &Path, release: &str, query: &str) -> Vec<String> {
    let output = rnc_expect(
        &[
            "--registry",
            arg(registry),
            "sql",
            "--csv",
            "--release",
            release,
            query,
        ],
        0,
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .skip(1)
        .map(str::to_string)
        .collect()
}

/// Writes a registry extract with one crafted tumour, using the header of
/// the synthetic extract so that every column the reader requires exists.
fn write_crafted_extract(synthetic: &Path, out: &Path) {
    let text = std::fs::read_to_string(synthetic).unwrap();
    let header = text.lines().next().unwrap();
    let values: Vec<&str> = header
        .split(',')
        .map(|column| match column {
            "tumour_ref" => "CRAFTED1",
            "registry" => "R99",
            "birth_name" => "ZZTESTCASE",
            "first_name" => "UNLIKELY",
            "sex" => "1",
            "birth_date" => "1950-01-15",
            "departement" => "75",
            "incidence_date" => "2021-05-02",
            "topography" => "C34.1",
            "morphology" => "8170",
            "behaviour" => "3",
            "basis_of_diagnosis" => "7",
            _ => "",
        })
        .collect();
    std::fs::write(out, format!("{header}\n{}\n", values.join(","))).unwrap();
}

#[test]
fn confirm_export_and_indicators() {
    let dir = tempfile::tempdir().unwrap();
    let feeds = dir.path().join("feeds");
    let registry = dir.path().join("registry");
    let key = dir.path().join("rnc.key");
    let global = ["--registry", arg(&registry), "--key", arg(&key), "--quiet"];
    let run = |args: &[&str], expected: &[i32]| {
        let mut all: Vec<&str> = global.to_vec();
        all.extend_from_slice(args);
        let output = rnc(&all);
        assert!(
            expected.contains(&output.status.code().unwrap_or(-1)),
            "rnc {all:?} exited with {:?}\nstdout:\n{}\nstderr:\n{}",
            output.status.code(),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        output
    };

    rnc_expect(
        &[
            "synth",
            "--feed-format",
            "plain",
            "--persons",
            "20000",
            "--seed",
            "3",
            "--out",
            arg(&feeds),
        ],
        0,
    );
    let crafted = dir.path().join("crafted_extract.csv");
    write_crafted_extract(&feeds.join("registry_extract.csv"), &crafted);
    run(
        &["ingest", "--population", arg(&feeds.join("population.csv"))],
        &[0],
    );
    for kind in [
        "registry_extract",
        "hospital_stay",
        "pathology_report",
        "death_record",
    ] {
        let file = feeds.join(format!("{kind}.csv"));
        run(&["ingest", "--source", kind, arg(&file)], &[0, 1]);
    }
    run(
        &["ingest", "--source", "registry_extract", arg(&crafted)],
        &[0],
    );
    run(&["link"], &[0]);
    run(&["consolidate"], &[0, 1]);
    run(&["release"], &[0]);

    // The crafted tumour is flagged by the site/histology check.
    let flagged = sql_rows(
        &registry,
        "R0001",
        "SELECT q.tumour_id FROM quality_checks q JOIN tumours t \
         ON q.tumour_id = t.tumour_id WHERE q.rule_id = 'site_histology' \
         AND t.morphology = '8170' AND t.topography = 'C34.1'",
    );
    assert_eq!(flagged.len(), 1, "crafted tumour not flagged: {flagged:?}");
    let tumour_id = flagged[0].trim().to_string();

    // A rule without a finding on the tumour cannot be confirmed, and the
    // error lists the rules that do have one.
    let refused = run(
        &[
            "confirm", "--tumour", &tumour_id, "--rule", "sex_site",
            "--reason", "reviewed",
        ],
        &[2],
    );
    let message = String::from_utf8_lossy(&refused.stderr);
    assert!(message.contains("site_histology"), "{message}");

    run(
        &[
            "confirm",
            "--tumour",
            &tumour_id,
            "--rule",
            "site_histology",
            "--reason",
            "primary confirmed by pathology review",
        ],
        &[0],
    );
    assert!(
        registry
            .join("work/consolidate/confirmations.json")
            .exists()
    );

    // A later consolidation no longer lists the confirmed finding.
    run(&["consolidate"], &[0, 1]);
    run(&["release"], &[0]);
    let still = sql_rows(
        &registry,
        "R0002",
        &format!(
            "SELECT rule_id FROM quality_checks WHERE tumour_id = '{tumour_id}'"
        ),
    );
    assert!(
        !still.iter().any(|rule| rule.trim() == "site_histology"),
        "finding still listed: {still:?}"
    );

    // Quality indicators are written by `rnc stats`.
    let stats = dir.path().join("stats");
    run(&["stats", "--out", arg(&stats)], &[0]);
    let indicators =
        std::fs::read_to_string(stats.join("quality_indicators.csv")).unwrap();
    let mut lines = indicators.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("site_group,period,tumours,")
    );
    let all_sites: Vec<&str> = indicators
        .lines()
        .filter(|l| l.starts_with("all_sites_but_c44,2019-2023,"))
        .collect();
    assert_eq!(all_sites.len(), 1, "{indicators}");
    let fields: Vec<&str> = all_sites[0].split(',').collect();
    let microscopically_verified: f64 = fields[3].parse().unwrap();
    assert!((0.0..=100.0).contains(&microscopically_verified));
    assert_eq!(
        fields[10],
        "record_registration_date_else_batch_ingestion_time"
    );

    // The ENCR-JRC file has the 56 columns and one row per tumour.
    let export = dir.path().join("encr_jrc.csv");
    run(
        &["export", "--format", "encr-jrc", "--out", arg(&export)],
        &[0],
    );
    let mut reader = csv::Reader::from_path(&export).unwrap();
    let header = reader.headers().unwrap().clone();
    assert_eq!(header.len(), 56);
    assert_eq!(&header[0], "1_Flag");
    assert_eq!(&header[55], "56_BMtransp");
    let rows: Vec<csv::StringRecord> =
        reader.records().map(|r| r.unwrap()).collect();
    let tumours = sql_rows(&registry, "R0002", "SELECT COUNT(*) FROM tumours");
    assert_eq!(rows.len().to_string(), tumours[0].trim());
    let crafted_row = rows.iter().find(|r| r[2] == *tumour_id).unwrap();
    assert_eq!(
        &crafted_row[0], "1",
        "a confirmed tumour is flagged checked"
    );
    assert_eq!(&crafted_row[12], "C341");
    assert_eq!(&crafted_row[13], "8170");
    assert_eq!(&crafted_row[5], "9999", "no birth year in clear");
}
