//! Output paths never overwrite the key, the registry's own files or a
//! command's inputs: write protection does not stop root, so rnc checks.

mod common;

use common::{arg, rnc, rnc_expect};

#[test]
fn outputs_never_overwrite_key_registry_or_input() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("demo");
    rnc_expect(
        &["demo", "--out", arg(&out), "--persons", "20000", "--quiet"],
        0,
    );
    let registry = out.join("registry");
    let key = out.join("rnc.key");
    let key_bytes = std::fs::read(&key).unwrap();
    let common = ["--registry", arg(&registry), "--key", arg(&key), "--quiet"];
    let run = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend_from_slice(&common);
        rnc(&all)
    };

    for target in [
        key.clone(),
        registry.join("catalogue.json"),
        registry.join("releases/R0001/tumours.parquet"),
    ] {
        let output =
            run(&["export", "--format", "encr-jrc", "--out", arg(&target)]);
        assert_eq!(
            output.status.code(),
            Some(2),
            "export overwrote {}",
            target.display()
        );
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("choose"), "{stderr}");
    }
    assert_eq!(std::fs::read(&key).unwrap(), key_bytes, "the key changed");
    rnc_expect(
        &["release", "--verify", "R0001", "--registry", arg(&registry)],
        0,
    );

    let allowed = registry.join("outputs").join("encr.csv");
    let output =
        run(&["export", "--format", "encr-jrc", "--out", arg(&allowed)]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    let stats_inside = registry.join("staged");
    let output = run(&["stats", "--out", arg(&stats_inside)]);
    assert_eq!(output.status.code(), Some(2));

    // The closing date of survival cannot be in the future.
    let table = dir.path().join("life.csv");
    std::fs::write(&table, "sex,age,year,prob\n").unwrap();
    let output = run(&[
        "survival",
        "--life-table",
        arg(&table),
        "--closing-date",
        "2999-01-01",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("in the future"));
}

#[test]
fn dedupe_never_overwrites_its_input() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("people.csv");
    std::fs::write(&input, "rec_id,given_name\nr1,ann\n").unwrap();
    let model =
        concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/febrl.toml");
    let output = rnc(&[
        "dedupe",
        arg(&input),
        "--id-column",
        "rec_id",
        "--model",
        model,
        "--out",
        arg(&input),
        "--quiet",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        std::fs::read_to_string(&input).unwrap(),
        "rec_id,given_name\nr1,ann\n"
    );
}
