//! Fixture helpers shared by the integration tests. Every fixture is
//! written by the test itself into a temporary directory; the data are
//! invented.

#![allow(dead_code)]

use std::path::PathBuf;

use std::sync::OnceLock;

use rnc_ingest::{FileOutcome, IngestKeys, ingest_file};
use rnc_model::SourceKind;
use rnc_pseudonym::{Key, Pseudonymiser, RegistryLayer};

/// A provider key and a registry key, made once for every test.
pub fn keys() -> IngestKeys<'static> {
    static PROVIDER: OnceLock<Pseudonymiser> = OnceLock::new();
    static REGISTRY: OnceLock<RegistryLayer> = OnceLock::new();
    IngestKeys {
        provider: Some(
            PROVIDER
                .get_or_init(|| Pseudonymiser::new(&Key::from_bytes([9; 32]))),
        ),
        registry: REGISTRY
            .get_or_init(|| RegistryLayer::new(&Key::from_bytes([10; 32]))),
    }
}

/// Writes `content` to `name` in a new temporary directory.
pub fn fixture(name: &str, content: &[u8]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, content).unwrap();
    (dir, path)
}

pub fn ingest(kind: SourceKind, name: &str, content: &str) -> FileOutcome {
    let (_dir, path) = fixture(name, content.as_bytes());
    ingest_file(kind, &path, keys(), "batch-1").unwrap()
}

pub const REGISTRY_HEADER: &str = "tumour_ref,registry,nir,birth_name,usage_name,first_name,sex,birth_date,departement,incidence_date,topography,morphology,behaviour,grade,basis_of_diagnosis,death_date,last_contact_date";
