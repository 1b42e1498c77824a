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
