//! `rnc audit verify` on a log written by the service's audit writer:
//! intact it passes, and each alteration, deletion, reordering, cut tail
//! or forged head makes it fail with exit code 2.

mod common;

use std::path::{Path, PathBuf};

use common::{arg, rnc};
use rnc_service::{AuditLog, AuditRecord, ServiceKey, audit_log_path, sibling};

struct Setup {
    _dir: tempfile::TempDir,
    registry: PathBuf,
    log: PathBuf,
    head: PathBuf,
}

/// Builds a registry folder with a log of `entries` requests and its signed
/// head, and the service key beside the registry.
fn setup(entries: u64) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let registry = dir.path().join("registry");
    std::fs::create_dir_all(&registry).unwrap();
    let key =
        ServiceKey::load_or_create(&sibling(&registry, "service.key")).unwrap();
    let head = sibling(&registry, "audit-head.json");
    let log_path = audit_log_path(&registry);
    let log = AuditLog::open(&log_path, &head, &key).unwrap();
    for i in 0..entries {
        log.append(&AuditRecord {
            who: format!("T{:04}", i % 3 + 1),
            role: "analyst".into(),
            client: "127.0.0.1".into(),
            method: "GET".into(),
            endpoint: "/api/v1/indicators/incidence".into(),
            params: [("sex".to_owned(), "female".to_owned())].into(),
            status: 200,
            duration_ms: i,
        })
        .unwrap();
    }
    log.write_head().unwrap();
    drop(log);
    Setup {
        _dir: dir,
        registry,
        log: log_path,
        head,
    }
}

fn verify(setup: &Setup) -> (Option<i32>, String) {
    let output = rnc(&["audit", "verify", "--registry", arg(&setup.registry)]);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.code(), text)
}

fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

fn write_lines(path: &Path, lines: &[String]) {
    let mut text = lines.join("\n");
    text.push('\n');
    std::fs::write(path, text).unwrap();
}

fn assert_fails(setup: &Setup, what: &str, expected: &str) {
    let (code, text) = verify(setup);
    assert_eq!(code, Some(2), "{what}: expected exit code 2\n{text}");
    assert!(
        text.contains(expected),
        "{what}: expected {expected:?} in\n{text}"
    );
}

#[test]
fn intact_log_passes() {
    let setup = setup(10);
    let (code, text) = verify(&setup);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("audit: 10 entries"), "{text}");
    assert!(
        text.contains("signed head at entry 10, 0 entries after it"),
        "{text}"
    );
}

#[test]
fn altered_entry_fails() {
    let setup = setup(10);
    let mut all = lines(&setup.log);
    all[4] = all[4].replace("\"status\":200", "\"status\":403");
    assert_ne!(all[4], lines(&setup.log)[4], "the edit changed nothing");
    write_lines(&setup.log, &all);
    assert_fails(&setup, "changed status", "entry 5 does not match its hash");
}

#[test]
fn altered_entry_with_new_hash_fails() {
    // Recomputing the altered entry's own hash still breaks the next
    // entry's link.
    let setup = setup(10);
    let mut all = lines(&setup.log);
    let mut entry: rnc_service::AuditEntry =
        serde_json::from_str(&all[4]).unwrap();
    entry.who = "T0009".into();
    entry.hash = entry.compute_hash();
    all[4] = serde_json::to_string(&entry).unwrap();
    write_lines(&setup.log, &all);
    assert_fails(
        &setup,
        "rehashed entry",
        "entry 6 does not link to the entry before it",
    );
}

#[test]
fn deleted_entry_fails() {
    let setup = setup(10);
    let mut all = lines(&setup.log);
    all.remove(6);
    write_lines(&setup.log, &all);
    assert_fails(
        &setup,
        "deleted entry",
        "entry 8 where entry 7 was expected",
    );
}

#[test]
fn deleted_first_entry_fails() {
    let setup = setup(10);
    let mut all = lines(&setup.log);
    all.remove(0);
    write_lines(&setup.log, &all);
    assert_fails(
        &setup,
        "deleted first entry",
        "entry 2 where entry 1 was expected",
    );
}

#[test]
fn reordered_entries_fail() {
    let setup = setup(10);
    let mut all = lines(&setup.log);
    all.swap(2, 3);
    write_lines(&setup.log, &all);
    assert_fails(&setup, "swapped entries", "where entry 3 was expected");
}

#[test]
fn cut_tail_fails() {
    let setup = setup(10);
    let mut all = lines(&setup.log);
    all.truncate(7);
    write_lines(&setup.log, &all);
    assert_fails(
        &setup,
        "cut tail",
        "the log ends at entry 7 but the signed head records entry 10",
    );
}

#[test]
fn emptied_log_fails() {
    let setup = setup(10);
    std::fs::write(&setup.log, "").unwrap();
    assert_fails(&setup, "emptied log", "the log ends at entry 0");
}

#[test]
fn forged_head_fails() {
    // A head moved back to match a cut log, without the service key.
    let setup = setup(10);
    let mut all = lines(&setup.log);
    all.truncate(7);
    write_lines(&setup.log, &all);
    let last: rnc_service::AuditEntry = serde_json::from_str(&all[6]).unwrap();
    let mut head: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&setup.head).unwrap())
            .unwrap();
    head["seq"] = 7.into();
    head["hash"] = last.hash.into();
    std::fs::write(&setup.head, head.to_string()).unwrap();
    assert_fails(&setup, "forged head", "the signature does not match");
}

#[test]
fn deleted_head_fails() {
    let setup = setup(10);
    std::fs::remove_file(&setup.head).unwrap();
    assert_fails(&setup, "deleted head", "is missing");
}

#[test]
fn entries_after_head_are_flagged() {
    // Entries appended after the last head update are chained but not
    // signed: reported with exit code 1, not as intact.
    let setup = setup(10);
    let mut all = lines(&setup.log);
    let mut entry: rnc_service::AuditEntry =
        serde_json::from_str(&all[9]).unwrap();
    entry.prev = entry.hash.clone();
    entry.seq = 11;
    entry.hash = entry.compute_hash();
    all.push(serde_json::to_string(&entry).unwrap());
    write_lines(&setup.log, &all);
    let (code, text) = verify(&setup);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("1 entries after it"), "{text}");
}

#[test]
fn anchor_detects_rollback() {
    // Log and head rolled back together to an earlier copy: only a hash
    // recorded elsewhere shows it.
    let setup = setup(5);
    let earlier_log = std::fs::read(&setup.log).unwrap();
    let earlier_head = std::fs::read(&setup.head).unwrap();
    let key =
        ServiceKey::load_or_create(&sibling(&setup.registry, "service.key"))
            .unwrap();
    let log = AuditLog::open(&setup.log, &setup.head, &key).unwrap();
    log.append(&AuditRecord {
        status: 200,
        ..AuditRecord::default()
    })
    .unwrap();
    log.write_head().unwrap();
    drop(log);
    let sixth: rnc_service::AuditEntry =
        serde_json::from_str(&lines(&setup.log)[5]).unwrap();
    std::fs::write(&setup.log, earlier_log).unwrap();
    std::fs::write(&setup.head, earlier_head).unwrap();
    let (code, _) = verify(&setup);
    assert_eq!(
        code,
        Some(0),
        "a consistent rollback passes without an anchor"
    );
    let anchor = format!("6:{}", sixth.hash);
    let output = rnc(&[
        "audit",
        "verify",
        "--registry",
        arg(&setup.registry),
        "--anchor",
        &anchor,
    ]);
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{text}");
    assert!(
        text.contains("entry 6 of the anchor is not in the log"),
        "{text}"
    );
}
