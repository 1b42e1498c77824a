//! No clear name, NIR or birth date reaches the registry directory, the
//! report or the logs. Known identifiers are planted in every feed, in a row
//! that is accepted and in one that is quarantined. The whole pipeline, a
//! key rotation included, then runs with the most verbose logging, and
//! every file and every log line is searched for them and for the keys.

mod common;

use std::path::Path;

use arrow::util::display::{ArrayFormatter, FormatOptions};
use common::{arg, files_under, rnc, rnc_expect};
use rnc_model::nir::nir_key;

const BIRTH_NAME: &str = "QWERTZUIOPLAN";
const USAGE_NAME: &str = "ASDFGHJKLMARI";
const FIRST_NAME: &str = "ZXCVBNMPRENOM";
const BIRTH_DATES: [&str; 3] = ["1931-07-13", "13/07/1931", "19310713"];

/// Builds a valid NIR for a woman born in July 1931 in Corse-du-Sud.
fn planted_nir() -> String {
    let first = "231072A004123";
    format!("{first}{:02}", nir_key(first).unwrap())
}

/// Returns the column with the record's own event date, per feed.
fn event_column(feed: &str) -> &'static str {
    match feed {
        "registry_extract" => "incidence_date",
        "hospital_stay" => "admission_date",
        "pathology_report" => "specimen_date",
        _ => "death_date",
    }
}

/// Appends two rows for the planted person to `file`: a copy of the first
/// data row with the planted identifiers, and a copy with an impossible
/// event date so that it is quarantined.
fn plant(file: &Path, feed: &str) {
    let mut reader = csv::Reader::from_path(file).unwrap();
    let headers = reader.headers().unwrap().clone();
    let first: Vec<String> = reader
        .records()
        .next()
        .unwrap()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    let mut writer = csv::WriterBuilder::new().has_headers(false).from_writer(
        std::fs::OpenOptions::new().append(true).open(file).unwrap(),
    );
    for (n, event) in [(1, None), (2, Some("2021-02-30"))] {
        let row: Vec<String> = headers
            .iter()
            .zip(&first)
            .enumerate()
            .map(|(i, (column, value))| match column {
                "nir" => planted_nir(),
                "birth_name" => BIRTH_NAME.to_string(),
                "usage_name" => USAGE_NAME.to_string(),
                "first_name" => FIRST_NAME.to_string(),
                "birth_date" => BIRTH_DATES[0].to_string(),
                _ if i == 0 => format!("PLANTED{n}"),
                c if c == event_column(feed) => {
                    event.map_or(value.clone(), str::to_string)
                }
                _ => value.clone(),
            })
            .collect();
        writer.write_record(&row).unwrap();
    }
    writer.flush().unwrap();
}

/// Every text form of a planted identifier that must not appear.
fn needles() -> Vec<String> {
    let nir = planted_nir();
    let mut needles = vec![
        nir.clone(),
        format!(
            "{} {} {} {} {} {} {}",
            &nir[..1],
            &nir[1..3],
            &nir[3..5],
            &nir[5..7],
            &nir[7..10],
            &nir[10..13],
            &nir[13..]
        ),
        BIRTH_NAME.to_string(),
        USAGE_NAME.to_string(),
        FIRST_NAME.to_string(),
    ];
    needles.extend(BIRTH_DATES.iter().map(|d| d.to_string()));
    needles.extend(needles.clone().iter().map(|n| n.to_lowercase()));
    needles
}

/// Reads the text of a file: every value of every column for Parquet,
/// whose pages are compressed, and the bytes as text otherwise.
fn text_of(path: &Path) -> String {
    if path.extension().and_then(|e| e.to_str()) != Some("parquet") {
        return String::from_utf8_lossy(&std::fs::read(path).unwrap())
            .into_owned();
    }
    let mut text = String::new();
    for batch in rnc_store::parquet_io::read_parquet(path).unwrap() {
        for column in batch.columns() {
            let formatter = ArrayFormatter::try_new(
                column.as_ref(),
                &FormatOptions::default(),
            )
            .unwrap();
            for row in 0..batch.num_rows() {
                text.push_str(&formatter.value(row).to_string());
                text.push('\n');
            }
        }
    }
    text
}

#[test]
fn planted_identifiers_never_stored_or_logged() {
    let dir = tempfile::tempdir().unwrap();
    let feeds = dir.path().join("feeds");
    let registry = dir.path().join("registry");
    let key = dir.path().join("test.key");
    let report = dir.path().join("report");
    rnc_expect(
        &[
            "synth",
            "--feed-format",
            "plain",
            "--persons",
            "8000",
            "--seed",
            "3",
            "--out",
            arg(&feeds),
        ],
        0,
    );

    let mut logs = String::new();
    // Every rnc crate logs at trace level. The query engine's own debug
    // output is left out, because it carries no registry data and is long.
    let filter = "rnc=trace,rnc_cli=trace,rnc_ingest=trace,rnc_pseudonym=trace,rnc_link=trace,\
                  rnc_rules=trace,rnc_store=trace,rnc_stats=trace,rnc_report=trace,warn";
    let common = [
        "--registry",
        arg(&registry),
        "--key",
        arg(&key),
        "--log-level",
        filter,
        "--quiet",
    ];
    let mut run = |args: &[&str]| {
        let mut all: Vec<&str> = args.to_vec();
        all.extend_from_slice(&common);
        let output = rnc(&all);
        logs.push_str(&String::from_utf8_lossy(&output.stdout));
        logs.push_str(&String::from_utf8_lossy(&output.stderr));
        assert!(
            matches!(output.status.code(), Some(0) | Some(1)),
            "rnc {args:?} failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        output
    };

    run(&["ingest", "--population", arg(&feeds.join("population.csv"))]);
    for feed in [
        "registry_extract",
        "hospital_stay",
        "pathology_report",
        "death_record",
    ] {
        let file = feeds.join(format!("{feed}.csv"));
        plant(&file, feed);
        let output = run(&["ingest", "--source", feed, arg(&file)]);
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert_eq!(
            output.status.code(),
            Some(1),
            "the planted bad row of {feed} was not quarantined:\n{stdout}"
        );
        assert!(stdout.contains("line"), "{stdout}");
    }
    // The reports of laboratories that deliver FHIR.
    let mut deliveries: Vec<String> = std::fs::read_dir(&feeds)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            path.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with(rnc_synth::fhir::DELIVERY_PREFIX)
        })
        .map(|path| path.to_str().unwrap().to_string())
        .collect();
    deliveries.sort();
    assert!(!deliveries.is_empty(), "no FHIR delivery written");
    let mut args = vec!["ingest", "--source", "pathology_report"];
    args.extend(deliveries.iter().map(String::as_str));
    run(&args);
    run(&["link"]);
    run(&["consolidate"]);
    run(&["release"]);
    run(&["stats"]);
    run(&["report", "--out", arg(&report)]);
    run(&[
        "sql",
        "SELECT * FROM source_records WHERE record_id LIKE '%PLANTED%'",
    ]);
    // Rotating the key opens and seals every stored pseudonym again.
    let new_key = dir.path().join("test.rotated.key");
    run(&["rotate", "--new-key", arg(&new_key)]);

    // The release keeps no linkage token: birth-date pseudonyms next to
    // clear event dates and ages would let an analyst narrow birth dates.
    for column in [
        "birth_year_month_pseudonym",
        "birth_date_pseudonym",
        "birth_name_month_salt_bloom",
        "first_name_day_salt_pseudonym",
        "age_at_event",
    ] {
        let query = format!("SELECT {column} FROM source_records");
        let output =
            rnc(&["sql", &query, "--registry", arg(&registry), "--quiet"]);
        assert_eq!(output.status.code(), Some(2), "the release has {column}");
    }

    // SQL on a release is read-only.
    let copy = dir.path().join("copy.csv");
    let query = format!(
        "COPY (SELECT * FROM tumours) TO '{}' STORED AS CSV",
        arg(&copy)
    );
    let output = rnc(&["sql", &query, "--registry", arg(&registry), "--quiet"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(!copy.exists());

    // The planted rows did reach the registry, pseudonymised.
    assert!(
        logs.contains("PLANTED1"),
        "the planted record is not in the release"
    );

    let mut needles = needles();
    // Keys are generated outside the registry, private, and never logged.
    let provider_key = dir.path().join("test.provider.key");
    for key_file in [&key, &provider_key, &new_key] {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(key_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{}", key_file.display());
        let hex = std::fs::read_to_string(key_file).unwrap();
        needles.push(hex.trim().to_string());
    }
    for path in files_under(&registry)
        .into_iter()
        .chain(files_under(&report))
    {
        let text = text_of(&path);
        for needle in &needles {
            assert!(
                !text.contains(needle.as_str()),
                "{} contains a planted identifier ({} characters)",
                path.display(),
                needle.len()
            );
        }
    }
    for needle in &needles {
        assert!(
            !logs.contains(needle.as_str()),
            "output or logs contain a planted identifier ({} characters)",
            needle.len()
        );
    }
}
