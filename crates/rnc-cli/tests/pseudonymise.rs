//! `rnc pseudonymise`: the provider-side step on a small pathology feed
//! with planted identifiers.

mod common;

use std::path::Path;

use common::rnc_expect;

const FEED: &str = "\
report_id,laboratory,nir,birth_name,usage_name,first_name,sex,birth_date,departement,specimen_date,report_date,topography,morphology,behaviour,grade
P1,ACP3305,253072B07300470,Villeneuve,Roux,Héloïse,2,1953-07-14,2B,2021-01-27,2021-02-09,C50.4,8500,3,2
P2,ACP3305,2 55 08 14 168 025 38,Kerdraon,,Gwenaëlle,2,1955-08-01,29,2021-03-02,,C18.7,8140,3,
";

/// Identifiers planted in the feed, in the spellings a search would use.
const PLANTED: [&str; 10] = [
    "253072B07300470",
    "255081416802538",
    "Villeneuve",
    "VILLENEUVE",
    "Kerdraon",
    "KERDRAON",
    "Héloïse",
    "Gwenaëlle",
    "1953-07-14",
    "1955-08-01",
];

#[test]
fn output_and_logs_hold_no_identifier() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("pathology.csv");
    let output = dir.path().join("pathology.pseudonymised.csv");
    let key = dir.path().join("provider.key");
    std::fs::write(&input, FEED).unwrap();
    let args = [
        "--log-level",
        "debug",
        "pseudonymise",
        "--key",
        key.to_str().unwrap(),
        "--create-key",
        "--source",
        "pathology_report",
        input.to_str().unwrap(),
        output.to_str().unwrap(),
    ];

    let run = rnc_expect(&args, 0);

    let written = std::fs::read_to_string(&output).unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(written.lines().count(), 3);
    assert!(stdout.contains("2 rows pseudonymised"), "{stdout}");
    for planted in PLANTED {
        assert!(!written.contains(planted), "{planted} in the output file");
        assert!(!stdout.contains(planted), "{planted} in stdout");
        assert!(!stderr.contains(planted), "{planted} in the log");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

/// Runs `rnc pseudonymise` on the pathology file `input` with the key
/// `key` and the `extra` options, writing `output`, checks its exit code
/// and returns the process output.
fn run_pseudonymise(
    input: &Path,
    key: &Path,
    output: &Path,
    extra: &[&str],
    code: i32,
) -> std::process::Output {
    let mut args = vec!["pseudonymise", "--key", key.to_str().unwrap()];
    args.extend_from_slice(extra);
    args.extend([
        "--source",
        "pathology_report",
        input.to_str().unwrap(),
        output.to_str().unwrap(),
    ]);
    rnc_expect(&args, code)
}

/// Runs `rnc pseudonymise` as [`run_pseudonymise`] does, expecting
/// success, and returns the file written.
fn pseudonymise(
    input: &Path,
    key: &Path,
    output: &Path,
    extra: &[&str],
) -> String {
    run_pseudonymise(input, key, output, extra, 0);
    std::fs::read_to_string(output).unwrap()
}

#[test]
fn same_key_gives_same_output() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("pathology.csv");
    let key = dir.path().join("provider.key");
    std::fs::write(&input, FEED).unwrap();
    let output = |name: &str| dir.path().join(name);

    let first =
        pseudonymise(&input, &key, &output("first.csv"), &["--create-key"]);
    let second = pseudonymise(&input, &key, &output("second.csv"), &[]);

    assert_eq!(first, second);
}

#[test]
fn windows_1252_semicolons_give_same_output() {
    // The feed as many French hospital exports write it: Windows-1252
    // (é, ï and ë are one byte each, equal to their code points) with
    // semicolons. Its output must equal that of the UTF-8 comma file.
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("provider.key");
    let utf8 = dir.path().join("pathology.csv");
    std::fs::write(&utf8, FEED).unwrap();
    let windows: Vec<u8> = FEED
        .replace(',', ";")
        .chars()
        .map(|c| u8::try_from(u32::from(c)).unwrap())
        .collect();
    let legacy = dir.path().join("pathology_1252.csv");
    std::fs::write(&legacy, windows).unwrap();
    let output = |name: &str| dir.path().join(name);

    let expected =
        pseudonymise(&utf8, &key, &output("utf8.out.csv"), &["--create-key"]);
    let converted = pseudonymise(
        &legacy,
        &key,
        &output("legacy.out.csv"),
        &["--encoding", "windows-1252"],
    );

    assert_eq!(converted, expected);
}

#[test]
fn json_syntax_error_names_its_line() {
    // A FHIR Bundle whose second line lacks the colon after "type": the
    // message must give the JSON reader's position (column 10, counted by
    // hand), not a CSV error at line 0.
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("reports.json");
    let output = dir.path().join("reports.out.csv");
    let key = dir.path().join("provider.key");
    std::fs::write(
        &input,
        "{\"resourceType\": \"Bundle\",\n  \"type\" \"collection\"}",
    )
    .unwrap();

    let run = run_pseudonymise(&input, &key, &output, &["--create-key"], 2);

    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains("reports.json: line 2, column 10: invalid JSON"),
        "{stderr}"
    );
    assert!(!stderr.contains("invalid CSV"), "{stderr}");
}

#[test]
fn missing_key_option_fails() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("pathology.csv");
    std::fs::write(&input, FEED).unwrap();
    let output = dir.path().join("out.csv");
    let args = [
        "pseudonymise",
        "--source",
        "pathology_report",
        input.to_str().unwrap(),
        output.to_str().unwrap(),
    ];

    let run = rnc_expect(&args, 2);

    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains("needs --key FILE"), "{stderr}");
    assert!(!output.exists());
}

#[test]
fn invalid_nir_exits_flagged() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("pathology.csv");
    let output = dir.path().join("out.csv");
    let key = dir.path().join("provider.key");
    // Wrong key digits, from python-stdnum's doctests.
    let feed = FEED.replace("253072B07300470", "295109912611199");
    std::fs::write(&input, feed).unwrap();

    let run = run_pseudonymise(&input, &key, &output, &["--create-key"], 1);

    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(stdout.contains("invalid 1"), "{stdout}");
    assert!(
        !std::fs::read_to_string(&output)
            .unwrap()
            .contains("295109912611199")
    );
}
