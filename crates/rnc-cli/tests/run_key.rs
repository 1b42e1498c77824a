//! `rnc run` with `--key`: two runs of the same feeds under one key build
//! the same registry, so a release can be rebuilt from its inputs and its
//! key. Without `--key` each run draws a key of its own.

mod common;

use common::{arg, files_under, run_rnc};

#[test]
fn same_key_builds_same_release() {
    let dir = tempfile::tempdir().unwrap();
    let feeds = dir.path().join("feeds");
    let key = dir.path().join("shared.key");
    run_rnc(
        &[],
        &[
            "synth",
            "--persons",
            "8000",
            "--seed",
            "9",
            "--out",
            arg(&feeds),
        ],
        &[0],
    );
    let outs = [dir.path().join("first"), dir.path().join("second")];
    for out in &outs {
        let global = ["--key", arg(&key), "--quiet"];
        run_rnc(
            &global,
            &["run", "--feeds", arg(&feeds), "--out", arg(out)],
            &[0, 1],
        );
        assert!(!out.join("rnc.key").exists(), "a key was drawn in {out:?}");
    }
    assert!(key.exists());

    let release = |out: &std::path::Path| out.join("registry/releases/R0001");
    let files = files_under(&release(&outs[0]));
    assert!(files.len() >= 8, "{files:?}");
    for file in files {
        let name = file.file_name().unwrap();
        // The manifest and the quality-check report record the minute they
        // were written, so two runs a minute apart differ in them.
        if name == "manifest.json" || name == "check_report.html" {
            continue;
        }
        let other = release(&outs[1]).join(name);
        assert!(
            std::fs::read(&file).unwrap()
                == std::fs::read(&other).unwrap_or_default(),
            "{} differs between two runs under one key",
            name.to_string_lossy()
        );
    }
}
