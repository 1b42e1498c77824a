//! Helpers shared by the command-line tests.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Runs the `rnc` binary built for these tests with `args`.
pub fn rnc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rnc"))
        .args(args)
        .output()
        .expect("the rnc binary runs")
}

/// Runs `rnc` and fails the test, showing its output, unless the exit code
/// is `expected`.
pub fn rnc_expect(args: &[&str], expected: i32) -> Output {
    let output = rnc(args);
    assert_eq!(
        output.status.code(),
        Some(expected),
        "rnc {args:?} exited with {:?}\nstdout:\n{}\nstderr:\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// Lists every file under `dir`, recursively.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(next) = pending.pop() {
        for entry in std::fs::read_dir(&next).expect("directory is readable") {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                pending.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// Path as `&str` for command arguments.
pub fn arg(path: &Path) -> &str {
    path.to_str().expect("test paths are UTF-8")
}

/// Runs `rnc` with `global` options then `args`, fails the test showing
/// its output unless the exit code is one of `expected`, and returns its
/// standard output.
pub fn run_rnc(global: &[&str], args: &[&str], expected: &[i32]) -> String {
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
    String::from_utf8_lossy(&output.stdout).to_string()
}

/// A temporary registry with its key and a synthetic feed set.
pub struct SyntheticRegistry {
    /// Keeps the directory until the test ends.
    pub dir: tempfile::TempDir,
    /// Feed files written by `rnc synth --feed-format plain`.
    pub feeds: PathBuf,
    registry: PathBuf,
    key: PathBuf,
}

impl SyntheticRegistry {
    /// Writes the feeds of `persons` synthetic persons drawn with `seed`.
    pub fn new(persons: &str, seed: &str) -> SyntheticRegistry {
        let dir = tempfile::tempdir().expect("temporary directory");
        let set = SyntheticRegistry {
            feeds: dir.path().join("feeds"),
            registry: dir.path().join("registry"),
            key: dir.path().join("rnc.key"),
            dir,
        };
        let feeds = set.feeds.clone();
        set.run(
            &[
                "synth",
                "--feed-format",
                "plain",
                "--persons",
                persons,
                "--seed",
                seed,
                "--out",
                arg(&feeds),
            ],
            &[0],
        );
        set
    }

    /// Runs `rnc` on this registry (quiet) as [`run_rnc`] does.
    pub fn run(&self, args: &[&str], expected: &[i32]) -> String {
        let global = [
            "--registry",
            arg(&self.registry),
            "--key",
            arg(&self.key),
            "--quiet",
        ];
        run_rnc(&global, args, expected)
    }

    /// Path of the registry directory.
    pub fn registry(&self) -> &Path {
        &self.registry
    }
}
