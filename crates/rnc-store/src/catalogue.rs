//! The catalogue: one JSON file listing what the registry holds.

use serde::{Deserialize, Serialize};

/// What the registry directory holds.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Catalogue {
    /// Version of this file's layout; 1 for now.
    pub format_version: u32,
    /// Ingested batches, in ingestion order.
    pub batches: Vec<BatchEntry>,
    /// SHA-256 of the population table in use, and where it came from.
    pub population: Option<TableEntry>,
    /// Releases, oldest first.
    pub releases: Vec<ReleaseEntry>,
    /// Rotations of the registry key, oldest first. Absent from
    /// catalogues of registries never rotated.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub key_rotations: Vec<KeyRotation>,
}

/// One rotation of the registry key: every batch's records were moved
/// from one key to the other in a single catalogue update.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct KeyRotation {
    /// Fingerprint of the retired key.
    pub from_key_fingerprint: String,
    /// Fingerprint of the key in use since.
    pub to_key_fingerprint: String,
    /// UTC time of the rotation, RFC 3339.
    pub rotated_at: String,
    /// Batches rewritten.
    pub batches: u64,
    /// Records rewritten.
    pub records: u64,
}

/// One ingested file.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct BatchEntry {
    /// Batch id, e.g. `B000003`.
    pub batch_id: String,
    /// Source kind name, e.g. `hospital_stay`.
    pub source_kind: String,
    /// Name of the ingested file (no directory).
    pub source_file: String,
    /// SHA-256 of the file's bytes, to refuse loading the same file twice.
    pub input_sha256: String,
    /// Data rows read (header excluded).
    pub rows_read: u64,
    /// Rows accepted into `source_records.parquet`.
    pub rows_accepted: u64,
    /// Rows written to `quarantine.parquet`.
    pub rows_quarantined: u64,
    /// Fingerprint of the registry key the records are sealed with (not
    /// the key); a key rotation updates it.
    pub key_fingerprint: String,
    /// Fingerprint of the provider key under the registry key. `None` in
    /// catalogues written before rnc sealed provider pseudonyms, whose
    /// records carry the registry key alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_key_fingerprint: Option<String>,
    /// Construction of the name Bloom filters' bit positions
    /// (`rnc_pseudonym::BLOOM_CONSTRUCTION`). `None` in catalogues written
    /// before rnc recorded it, whose filters hash each bigram with
    /// HMAC-SHA-256 and agree only by chance with those of a later
    /// construction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bloom_construction: Option<String>,
    /// UTC time of ingestion, RFC 3339.
    pub ingested_at: String,
    /// The batch's files under `staged/<batch>/`, with their rows and
    /// SHA-256 as written. Empty in catalogues written before rnc
    /// recorded them, whose files have the names [`SOURCE_RECORDS_FILE`]
    /// and [`QUARANTINE_FILE`]; a key rotation renames the records file.
    ///
    /// [`SOURCE_RECORDS_FILE`]: crate::SOURCE_RECORDS_FILE
    /// [`QUARANTINE_FILE`]: crate::QUARANTINE_FILE
    #[serde(default)]
    pub files: Vec<TableEntry>,
}

/// One Parquet table of a release or a batch, or the population table.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TableEntry {
    /// Table name, e.g. `tumours`.
    pub name: String,
    /// File name inside the release folder.
    pub file: String,
    /// Number of rows.
    pub rows: u64,
    /// SHA-256 of the file's bytes.
    pub sha256: String,
}

/// One immutable release.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ReleaseEntry {
    /// Release id, e.g. `R0002`.
    pub release_id: String,
    /// UTC creation time, RFC 3339.
    pub created_at: String,
    /// Batches the release was built from.
    pub batches: Vec<String>,
    /// SHA-256 over the inputs: the batches' input hashes, the key
    /// fingerprint, the population table and the settings of each stage.
    /// Two releases with the same value were built from the same inputs
    /// and have identical tables.
    pub inputs_sha256: String,
    /// The release's tables.
    pub tables: Vec<TableEntry>,
}

impl BatchEntry {
    /// The file of the table `name` (`source_records` or `quarantine`)
    /// under `staged/<batch>/`: as the catalogue lists it, else `default`.
    pub fn file_of<'a>(&'a self, name: &str, default: &'a str) -> &'a str {
        self.files
            .iter()
            .find(|table| table.name == name)
            .map_or(default, |table| table.file.as_str())
    }
}

impl ReleaseEntry {
    /// The table entry named `name`.
    pub fn table(&self, name: &str) -> Option<&TableEntry> {
        self.tables.iter().find(|t| t.name == name)
    }
}
