//! The crate's error type.

use std::fmt;

/// An error from linkage, from reading a model or from building the pair
/// table.
#[derive(Debug)]
pub struct Error {
    kind: Box<ErrorKind>,
}

/// What went wrong.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A [`crate::LinkConfig`] field is out of range.
    #[error("invalid link configuration, field {field}: {reason}")]
    InvalidConfig {
        /// The configuration field.
        field: &'static str,
        /// The rule that the value breaks and the accepted range.
        reason: String,
    },
    /// Record indices are stored as `u32`, so larger inputs cannot be
    /// linked in one run.
    #[error(
        "too many records to link: {records} (at most {max}); split the \
         input by département or batch"
    )]
    TooManyRecords {
        /// Number of records given.
        records: usize,
        /// Largest supported number.
        max: usize,
    },
    /// Two Bloom filters of one input differ in length, so they were not
    /// encoded with the same settings and cannot be compared.
    #[error(
        "record {record_id}, field {field}: Bloom filter has {found} bytes \
         but the first one read has {expected} (encode every record with \
         the same Bloom-filter settings)"
    )]
    BloomLengthMismatch {
        /// Record whose filter differs.
        record_id: String,
        /// The Bloom-filter field.
        field: &'static str,
        /// Length of the first filter in the input.
        expected: usize,
        /// Length of this filter.
        found: usize,
    },
    /// A model read from JSON is malformed or inconsistent.
    #[error("invalid Fellegi-Sunter model: {reason}")]
    InvalidModel {
        /// What is wrong and where.
        reason: String,
    },
    /// The pair list does not fit the model's comparisons.
    #[error("pair {left}-{right}: {reason}")]
    PairMismatch {
        /// Index of the left record.
        left: u32,
        /// Index of the right record.
        right: u32,
        /// What does not fit.
        reason: String,
    },
    /// A linkage model file (TOML) is malformed or breaks a rule.
    #[error("invalid linkage model file: {reason}")]
    InvalidModelFile {
        /// The broken rule and how to fix it.
        reason: String,
    },
    /// A CSV file could not be read.
    #[error("{file}{}: {reason}", line.map(|l| format!(", line {l}")).unwrap_or_default())]
    Csv {
        /// The file.
        file: String,
        /// Line of the problem, from 1, when known.
        line: Option<u64>,
        /// What failed.
        reason: String,
    },
    /// A column named by the command or the model file is not in a CSV
    /// header.
    #[error(
        "{file}: column {column} not found in the header (check the model \
         file and the --id-column option)"
    )]
    MissingColumn {
        /// The file.
        file: String,
        /// The missing column.
        column: String,
    },
    /// Records cannot be linked as given.
    #[error("invalid records: {reason}")]
    InvalidRecords {
        /// The problem and how to fix it.
        reason: String,
    },
    /// A query engine's candidate pairs, or the columns given to the
    /// comparison UDF, do not have the shape that
    /// [`crate::pair_plan`] defines.
    #[error("invalid candidate-pair table: {reason}")]
    InvalidPairTable {
        /// The column or value that does not fit.
        reason: String,
    },
    /// The query engine of a [`crate::PairFinder`] failed.
    #[error(
        "the query engine could not find the candidate pairs: {reason} \
         (check the engine, or link with `--engine local`)"
    )]
    PairFinder {
        /// The engine's error.
        reason: String,
    },
    /// Arrow rejected the pair table, which is a bug in this crate.
    #[error("failed to build the pair table (please report this bug): {0}")]
    Arrow(#[from] arrow_schema::ArrowError),
}

impl Error {
    /// The kind of error.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.kind.fmt(f)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self.kind.as_ref() {
            ErrorKind::Arrow(e) => Some(e),
            _ => None,
        }
    }
}

impl<E: Into<ErrorKind>> From<E> for Error {
    fn from(kind: E) -> Error {
        Error {
            kind: Box::new(kind.into()),
        }
    }
}
