//! Reads the source feeds, checks every row, pseudonymises the accepted
//! ones and quarantines the rest, so that no row is lost.
//!
//! [`ingest_file`] reads one CSV file of a feed (`registry_extract`,
//! `hospital_stay`, `pathology_report` or `death_record`) and returns a
//! [`FileOutcome`]: the accepted rows as pseudonymised
//! [`SourceRecord`]s and the rejected ones as [`QuarantinedRow`]s, each
//! naming its file, line, field and the rule it broke. Every row read is in
//! exactly one of the two lists. A file-wide problem (unreadable file,
//! missing header column, invalid UTF-8) is an [`Error`] instead.
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
//! use rnc_ingest::ingest_file;
//! use rnc_model::SourceKind;
//! use rnc_pseudonym::{Key, Pseudonymiser};
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
//! let pseudonymiser = Pseudonymiser::new(&Key::from_bytes([1; 32]));
//!
//! let outcome =
//!     ingest_file(SourceKind::DeathRecord, &path, &pseudonymiser, "b1").unwrap();
//!
//! assert_eq!(outcome.rows_read, 2);
//! assert_eq!(outcome.records[0].record_id, "death_record/D1");
//! assert_eq!(outcome.records[0].icd10.as_deref(), Some("C50.9"));
//! assert_eq!(outcome.quarantine[0].line, 3);
//! assert_eq!(outcome.quarantine[0].rule, "impossible_date");
//! ```

#![deny(missing_docs)]

mod checks;
mod decode;
mod error;
mod feeds;
mod quarantine;
mod records;
mod source;

pub use error::{Error, ErrorKind};
pub use quarantine::{QuarantinedRow, quarantine_schema, quarantine_to_batch};
pub use source::{
    CHUNK_ROWS, Chunk, FileSummary, ingest_file, ingest_file_chunked,
};

use rnc_model::SourceRecord;

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
}
