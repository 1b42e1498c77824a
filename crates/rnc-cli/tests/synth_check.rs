//! `rnc synth` writes a set with `--years`, and `rnc synth --check` reads
//! it back and prints its deviations from the targets.

mod common;

use common::{arg, rnc, rnc_expect};

#[test]
fn synth_check_prints_deviations() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("set");
    let written = rnc_expect(
        &[
            "synth",
            "--persons",
            "20000",
            "--years",
            "3",
            "--seed",
            "4",
            "--out",
            arg(&out),
        ],
        0,
    );
    let written = String::from_utf8_lossy(&written.stdout);
    let tumours: u64 = written
        .split("persons, ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no tumour count in:\n{written}"));
    assert!(
        written.contains("screening"),
        "no screening feed:\n{written}"
    );
    assert!(
        written.contains("long_term_illness"),
        "no long-term illness feed:\n{written}"
    );

    // Exit 0 when no deviation passes |z| > 3, 1 otherwise; both mean the
    // comparison ran.
    let checked = rnc(&["synth", "--check", arg(&out)]);
    let code = checked.status.code();
    assert!(matches!(code, Some(0) | Some(1)), "exit code {code:?}");
    let report = String::from_utf8_lossy(&checked.stdout);
    for section in [
        "new cancers by sex and site group",
        "new cancers by sex and age band",
        "hospital stays per tumour with two years of follow-up",
        "noise shares",
        "detection mode",
    ] {
        assert!(report.contains(section), "no `{section}` in:\n{report}");
    }
    let summary = report.lines().last().unwrap_or("");
    assert!(
        summary.starts_with(&format!("synth check: {tumours} tumours")),
        "summary does not count the {tumours} written tumours: {summary}"
    );
}

#[test]
fn synth_check_of_missing_folder_fails() {
    let dir = tempfile::tempdir().unwrap();
    let output =
        rnc_expect(&["synth", "--check", arg(&dir.path().join("absent"))], 2);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("population.csv"), "{stderr}");
}

#[test]
fn synth_noise_file_sets_shares() {
    let dir = tempfile::tempdir().unwrap();
    let settings = dir.path().join("noise.toml");
    std::fs::write(&settings, "[hospital_stay]\nnir_missing = 0.25\n").unwrap();
    let out = dir.path().join("set");
    rnc_expect(
        &[
            "synth",
            "--persons",
            "5000",
            "--years",
            "1",
            "--noise",
            arg(&settings),
            "--out",
            arg(&out),
        ],
        0,
    );
    let written =
        std::fs::read_to_string(out.join("truth/noise.toml")).unwrap();
    let stays = written.split("[hospital_stay]").nth(1).unwrap();
    assert!(stays.contains("nir_missing = 0.25"), "{written}");

    // The check compares the stays' NIR share with the file's 25 %.
    let checked = rnc(&["synth", "--check", arg(&out)]);
    let report = String::from_utf8_lossy(&checked.stdout);
    let line = report
        .lines()
        .find(|l| l.starts_with("hospital_stay") && l.contains("nir missing"))
        .unwrap_or_else(|| panic!("no stays NIR line in:\n{report}"));
    assert!(line.contains("25.00%"), "{line}");
}

#[test]
fn synth_invalid_noise_file_fails() {
    let dir = tempfile::tempdir().unwrap();
    let settings = dir.path().join("noise.toml");
    std::fs::write(&settings, "[hospital_stay]\nlate = 2\n").unwrap();
    let output = rnc_expect(
        &[
            "synth",
            "--persons",
            "100",
            "--noise",
            arg(&settings),
            "--out",
            arg(&dir.path().join("set")),
        ],
        2,
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("late = 2 is not a share"), "{stderr}");
}
