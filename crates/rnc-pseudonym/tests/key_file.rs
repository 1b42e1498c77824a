//! Key files: creation mode, permission checks, reloading and redaction.

#![cfg(unix)]

use std::fs;
use std::os::unix::fs::PermissionsExt;

use rnc_pseudonym::{ErrorKind, Key};

fn mode_of(path: &std::path::Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn created_key_file_has_mode_0600() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("registry.key");

    let (key, created) = Key::load_or_create(&path).unwrap();

    assert!(created);
    assert_eq!(mode_of(&path), 0o600);
    let text = fs::read_to_string(&path).unwrap();
    assert_eq!(text.len(), 65, "64 hexadecimal digits and a newline");
    assert!(text.ends_with('\n'));
    assert!(text.trim().bytes().all(|b| b.is_ascii_hexdigit()));
    let reloaded = Key::load(&path).unwrap();
    assert_eq!(reloaded.fingerprint(), key.fingerprint());
}

#[test]
fn existing_key_is_loaded_not_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("registry.key");
    let (first, _) = Key::load_or_create(&path).unwrap();

    let (second, created) = Key::load_or_create(&path).unwrap();

    assert!(!created);
    assert_eq!(first.fingerprint(), second.fingerprint());
}

#[test]
fn no_temporary_file_is_left_behind() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("registry.key");
    Key::load_or_create(&path).unwrap();

    let names: Vec<String> = fs::read_dir(dir.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();

    assert_eq!(names, vec!["registry.key".to_string()]);
}

#[test]
fn world_readable_key_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("registry.key");
    Key::load_or_create(&path).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();

    let error = Key::load(&path).unwrap_err();

    assert!(matches!(
        error.kind(),
        ErrorKind::InsecurePermissions { mode: 0o644, .. }
    ));
    assert!(error.to_string().contains("chmod 600"), "{error}");
    let error = Key::load_or_create(&path).unwrap_err();
    assert!(error.to_string().contains("chmod 600"), "{error}");
}

#[test]
fn group_readable_key_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("registry.key");
    Key::load_or_create(&path).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();

    assert!(Key::load(&path).is_err());
}

#[test]
fn malformed_key_file_is_rejected_without_content() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("registry.key");
    let content = "0123456789abcdefXYZ\n";
    fs::write(&path, content).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();

    let error = Key::load(&path).unwrap_err();

    assert!(matches!(error.kind(), ErrorKind::InvalidKeyFile { .. }));
    assert!(!error.to_string().contains("0123456789abcdef"), "{error}");
}

#[test]
fn non_hex_key_file_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("registry.key");
    fs::write(&path, format!("{}\n", "g".repeat(64))).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();

    let error = Key::load(&path).unwrap_err();

    assert!(matches!(error.kind(), ErrorKind::InvalidKeyFile { .. }));
}

#[test]
fn missing_key_file_names_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("absent.key");

    let error = Key::load(&path).unwrap_err();

    assert!(error.to_string().contains("absent.key"), "{error}");
}

#[test]
fn key_debug_shows_only_fingerprint() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("registry.key");
    let (key, _) = Key::load_or_create(&path).unwrap();
    let hex_text = fs::read_to_string(&path).unwrap();

    let debug = format!("{key:?}");

    assert!(debug.contains(&key.fingerprint()), "{debug}");
    assert!(!debug.contains(hex_text.trim()), "{debug}");
    assert!(!debug.contains(&hex_text.trim()[..16]), "{debug}");
}
