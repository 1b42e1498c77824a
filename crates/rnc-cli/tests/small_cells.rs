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
