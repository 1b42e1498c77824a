//! Reads the source feeds, checks every row, pseudonymises the accepted
//! ones and quarantines the rest, so that no row is lost.
//!
//! [`ingest_file`] reads one file of a feed (`registry_extract`,
//! `hospital_stay`, `pathology_report`, `death_record`,
//! `long_term_illness`, `screening` or `treatment`) and returns a
//! [`FileOutcome`]: the accepted rows as pseudonymised
//! [`SourceRecord`]s and the rejected ones as [`QuarantinedRow`]s, each
//! naming its file, line, field and the rule it broke. Every row read is in
//! exactly one of the two lists. A file-wide problem (unreadable file,
//! missing header column, bytes not in the file's encoding) is an
//! [`Error`] instead.
//!
//! [`open_rows`] is the reading layer under it. It detects CSV text in
//! UTF-8, Windows-1252 or ISO-8859-1 with a comma, semicolon or tab, gzip
//! and zstd compression, Parquet, and FHIR R4 JSON pathology reports and
//! treatment acts. It yields the header and then the rows one at a time.
//! [`ingest_file_with`] takes [`ReadOptions`] to declare the encoding or
//! the delimiter.
//! [`ingest_file_with_mapping`] reads a file with the user's own column
//! names and value forms, declared in a [`Mapping`] file, and
//! [`ingest_file_as`] takes both.
//! [`ingest_file_chunked`] does the same in bounded memory, handing the
//! rows on in [`Chunk`]s of [`CHUNK_ROWS`] rows.
//!
//! Clear identifiers (NIR, names, birth date) exist only while a row is
//! checked and pseudonymised. They never appear in a record, a message, a
//! log line or a quarantined row.
//!
//! # Example
//!
//! ```
//! use rnc_ingest::{IngestKeys, ingest_file};
//! use rnc_model::SourceKind;
//! use rnc_pseudonym::{Key, Pseudonymiser, RegistryLayer};
//!
//! let dir = tempfile::tempdir().unwrap();
//! let path = dir.path().join("deaths.csv");
//! std::fs::write(
//!     &path,
//!     "certificate_id,birth_name,first_name,sex,birth_date,departement,\
//!      death_date,underlying_cause\n\
//!      D1,Martin,Anne,2,1940-03-02,35,2021-06-01,C509\n\
//!      D2,Martin,Paul,1,1941-02-30,35,2021-06-02,C61\n",
//! )
//! .unwrap();
//! let provider = Pseudonymiser::new(&Key::from_bytes([1; 32]));
//! let registry = RegistryLayer::new(&Key::from_bytes([2; 32]));
//! let keys = IngestKeys {
//!     provider: Some(&provider),
//!     registry: &registry,
//! };
//!
//! let outcome = ingest_file(SourceKind::DeathRecord, &path, keys, "b1").unwrap();
//!
//! assert_eq!(outcome.rows_read, 2);
//! assert_eq!(outcome.records[0].record_id, "death_record/D1");
//! assert_eq!(outcome.records[0].icd10.as_deref(), Some("C50.9"));
//! assert_eq!(outcome.quarantine[0].line, 3);
//! assert_eq!(outcome.quarantine[0].rule, "impossible_date");
//! ```

#![deny(missing_docs)]

mod checks;
mod encr_jrc;
mod error;
mod feeds;
mod mapping;
mod pseudonymised;
mod quarantine;
mod read;
mod records;
mod source;
mod staging;

pub use error::{Error, ErrorKind};
pub use mapping::{DateFormat, DiagnosisCodeSystem, Mapping};
pub use quarantine::{QuarantinedRow, quarantine_schema, quarantine_to_batch};
pub use read::{
    Compression, Format, ReadOptions, ReadRow, RowDefect, RowReader,
    TextEncoding, open_rows, parse_delimiter,
};
pub use source::{
    CHUNK_ROWS, Chunk, FileSummary, ingest_file, ingest_file_as,
    ingest_file_chunked, ingest_file_with, ingest_file_with_mapping,
};

use rnc_model::SourceRecord;
use rnc_pseudonym::{Pseudonymiser, RegistryLayer};

/// The keys one file is ingested with: every stored record carries the
/// provider key's pseudonyms sealed with the registry key, so that the
/// registry key can be rotated without clear identifiers.
#[derive(Debug, Clone, Copy)]
pub struct IngestKeys<'a> {
    /// The registry key's layer, which seals every record's pseudonyms
    /// and filters.
    pub registry: &'a RegistryLayer,
    /// The provider key, with which clear rows are pseudonymised before
    /// the registry seals them, so that they match the rows of
    /// pre-pseudonymised files made with the same provider key. A
    /// registry that receives only pre-pseudonymised files holds no
    /// provider key: `None`, and a clear file is then rejected.
    pub provider: Option<&'a Pseudonymiser>,
}

/// Result of reading one source file.
#[derive(Debug, Clone, PartialEq)]
pub struct FileOutcome {
    /// Accepted rows, pseudonymised, in file order.
    pub records: Vec<SourceRecord>,
    /// Rejected rows, one per row, in file order.
    pub quarantine: Vec<QuarantinedRow>,
    /// Data rows read, the header excluded. Always
    /// `records.len() + quarantine.len()`.
    pub rows_read: u64,
    /// File name, without directory.
    pub source_file: String,
    /// Fingerprint of the provider key under the registry key: the one
    /// named in a pre-pseudonymised file, or that of
    /// [`IngestKeys::provider`] for a clear file.
    pub provider_key: String,
}
