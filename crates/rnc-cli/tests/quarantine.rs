//! Malformed rows are quarantined with file, line and field named, and
//! every row read is either accepted or quarantined.

mod common;

use common::{arg, rnc_expect};

const HEADER: &str = "report_id,laboratory,nir,birth_name,usage_name,first_name,sex,birth_date,departement,specimen_date,report_date,topography,morphology,behaviour,grade";

#[test]
fn malformed_rows_are_quarantined() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pathology.csv");
    let rows = [
        HEADER,
        // line 2: clean
        "P1,LAB01,,MARTIN,,JEANNE,2,1950-03-14,75,2021-05-03,2021-05-10,C50.4,8500,3,2",
        // line 3: 30 February does not exist
        "P2,LAB01,,DURAND,,PAUL,1,1948-11-02,69,2021-02-30,2021-03-02,C18.7,8140,3,",
        // line 4: C43 is an ICD-10 melanoma code, not an ICD-O-3 topography
        "P3,LAB01,,PETIT,,ANNE,2,1961-01-20,33,2021-06-01,2021-06-03,C43.5,8720,3,",
        // line 5: one column short
        "P4,LAB01,,ROBERT,,LUC,1,1955-07-07,13,2021-07-01,2021-07-05,C61.9,8140,3",
        // line 6: clean, unknown birth day kept partial
        "P5,LAB02,,BERNARD,,MARC,1,1949-08-99,35,2021-09-01,2021-09-08,C34.1,8070,3,",
    ];
    std::fs::write(&file, rows.join("\n") + "\n").unwrap();
    let registry = dir.path().join("registry");
    let key = dir.path().join("k.key");
    let output = rnc_expect(
        &[
            "ingest",
            "--source",
            "pathology_report",
            arg(&file),
            "--registry",
            arg(&registry),
            "--key",
            arg(&key),
            "--quiet",
        ],
        1,
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("read 5, accepted 2, quarantined 3"),
        "{stdout}"
    );
    assert!(stdout.contains("line 3, field specimen_date"), "{stdout}");
    assert!(stdout.contains("line 4, field topography"), "{stdout}");
    assert!(stdout.contains("line 5"), "{stdout}");
    assert!(stdout.contains("pathology.csv"), "{stdout}");
    for name in ["DURAND", "PETIT", "ROBERT", "1948-11-02"] {
        assert!(!stdout.contains(name), "an identifier is echoed: {stdout}");
    }

    // The same file again is refused as a duplicate, so no row is doubled.
    let again = rnc_expect(
        &[
            "ingest",
            "--source",
            "pathology_report",
            arg(&file),
            "--registry",
            arg(&registry),
            "--key",
            arg(&key),
            "--quiet",
        ],
        0,
    );
    assert!(String::from_utf8_lossy(&again.stdout).contains("skipped"));

    // The key was created with mode 0600, outside the registry.
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&key).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
}

#[test]
fn other_key_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("first.csv");
    let second = dir.path().join("second.csv");
    std::fs::write(&first, format!("{HEADER}\nP1,LAB01,,MARTIN,,JEANNE,2,1950-03-14,75,2021-05-03,2021-05-10,C50.4,8500,3,2\n")).unwrap();
    std::fs::write(&second, format!("{HEADER}\nP2,LAB01,,MARTIN,,JEANNE,2,1950-03-14,75,2021-06-03,2021-06-10,C50.4,8500,3,2\n")).unwrap();
    let registry = dir.path().join("registry");
    let key = dir.path().join("right.key");
    let other = dir.path().join("other.key");
    let ingest = |file: &std::path::Path, key: &std::path::Path, code: i32| {
        rnc_expect(
            &[
                "ingest",
                "--source",
                "pathology_report",
                arg(file),
                "--registry",
                arg(&registry),
                "--key",
                arg(key),
                "--quiet",
            ],
            code,
        )
    };
    ingest(&first, &key, 0);

    // A new key file would be created silently: rejected before that.
    let output = ingest(&second, &other, 2);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("does not exist"), "{stderr}");
    assert!(
        !other.exists(),
        "a key was created for a registry that has one"
    );

    // An existing key that is not the registry's.
    rnc_pseudonym::Key::load_or_create(&other).unwrap();
    let output = ingest(&second, &other, 2);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("is not the key of registry"), "{stderr}");
    ingest(&second, &key, 0);
}

#[test]
fn key_inside_registry_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pathology.csv");
    std::fs::write(&file, format!("{HEADER}\n")).unwrap();
    let registry = dir.path().join("registry");
    let key = registry.join("inside.key");
    let output = rnc_expect(
        &[
            "ingest",
            "--source",
            "pathology_report",
            arg(&file),
            "--registry",
            arg(&registry),
            "--key",
            arg(&key),
        ],
        2,
    );
    assert!(
        String::from_utf8_lossy(&output.stderr)
            .contains("inside the registry directory")
    );
}

#[test]
fn every_subcommand_help_shows_an_example() {
    for command in [
        "synth",
        "ingest",
        "link",
        "consolidate",
        "release",
        "stats",
        "report",
        "sql",
        "demo",
    ] {
        let output = rnc_expect(&[command, "--help"], 0);
        let text = String::from_utf8_lossy(&output.stdout);
        assert!(
            text.contains("Example:"),
            "rnc {command} --help has no example:\n{text}"
        );
    }
}
