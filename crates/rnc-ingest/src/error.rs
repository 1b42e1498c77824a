//! Errors that stop the ingestion of a whole file.
//!
//! A bad row is not an error: it becomes a
//! [`QuarantinedRow`](crate::QuarantinedRow) and reading goes on. These
//! errors are for what makes every remaining row wrong or unreadable.

use std::fmt;
use std::path::PathBuf;

use rnc_model::{Position, SourceKind};

use crate::read::TextEncoding;

/// An error that stopped the ingestion of a file.
#[derive(Debug)]
pub struct Error(Box<ErrorKind>);

/// What stopped the ingestion.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The file could not be opened or read.
    #[error("{}: failed to read the file: {source}", path.display())]
    Io {
        /// The source file.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid UTF-8.
    #[error(
        "{file}: line {line}: invalid UTF-8 at byte offset {offset} \
         (expected a UTF-8 file; declare its encoding, for example with \
         `--encoding windows-1252`, or convert it to UTF-8)"
    )]
    NotUtf8 {
        /// The source file name.
        file: String,
        /// Line of the first invalid byte, from 1.
        line: u64,
        /// Offset of the first invalid byte from the start of the file,
        /// from 0, counting a byte-order mark if there is one.
        offset: u64,
    },
    /// A byte of the file is not text in the declared encoding.
    #[error(
        "{file}: line {line}: byte 0x{byte:02X} at byte offset {offset} is \
         not text in {encoding} (expected a file in the declared encoding; \
         check the --encoding option)"
    )]
    InvalidEncoding {
        /// The source file name.
        file: String,
        /// Line of the byte, from 1.
        line: u64,
        /// Offset of the byte from the start of the file, from 0.
        offset: u64,
        /// The encoding the file was declared in.
        encoding: TextEncoding,
        /// The rejected byte.
        byte: u8,
    },
    /// The file starts with a UTF-8 byte-order mark but another encoding
    /// was declared.
    #[error(
        "{file}: line 1: the file starts with a UTF-8 byte-order mark but \
         {declared} was declared (remove the --encoding option, or the \
         byte-order mark)"
    )]
    EncodingConflict {
        /// The source file name.
        file: String,
        /// The declared encoding.
        declared: TextEncoding,
    },
    /// The file is in a form that rnc does not read.
    #[error("{file}: unsupported input: {what}")]
    Unsupported {
        /// The source file name.
        file: String,
        /// The form found, and what to deliver instead.
        what: String,
    },
    /// The file is not a readable Parquet file.
    #[error("{file}: failed to read the Parquet file: {source}")]
    Parquet {
        /// The source file name.
        file: String,
        /// The Parquet reader's error.
        #[source]
        source: parquet::errors::ParquetError,
    },
    /// A JSON document of the file is not valid JSON, so the rest of the
    /// file cannot be read.
    #[error(
        "{file}: line {line}, column {column}: invalid JSON: {reason} \
         (expected FHIR R4 JSON Bundles)"
    )]
    Json {
        /// The source file name.
        file: String,
        /// Line of the fault, from 1.
        line: u64,
        /// Column of the fault, from 1.
        column: u64,
        /// The JSON parser's description, which names no value.
        reason: String,
    },
    /// The file holds clear identifiers but no provider key was given to
    /// pseudonymise them with.
    #[error(
        "{file}: the file holds clear identifiers, but no provider key was \
         given (pass --provider-key with the key the registry's clear files \
         are pseudonymised with)"
    )]
    ProviderKeyRequired {
        /// The source file name.
        file: String,
    },
    /// The file has no header line.
    #[error(
        "{file}: the file is empty (expected a header line naming the \
         {kind} columns)"
    )]
    EmptyFile {
        /// The source file name.
        file: String,
        /// The feed that was expected.
        kind: SourceKind,
    },
    /// A column that every row needs is absent from the header.
    #[error(
        "{file}: line 1: required column {column} is missing from the \
         header (a {kind} feed needs {expected}; add the column, or check \
         that the delimiter (detected or given by --delimiter) and the feed \
         are right)"
    )]
    MissingColumn {
        /// The source file name.
        file: String,
        /// The feed that was expected.
        kind: SourceKind,
        /// The first missing column.
        column: String,
        /// Every required column, comma-separated.
        expected: String,
    },
    /// The header names one column twice, so its values are ambiguous.
    #[error("{}", duplicate_column_message(file, column.as_deref(), positions))]
    DuplicateColumn {
        /// The source file name.
        file: String,
        /// The repeated name when it is a column of the feed. `None`
        /// otherwise, because a first line of data read as the header
        /// repeats values such as a birth name also used as usage name.
        column: Option<String>,
        /// Positions of the two columns in the header, from 1.
        positions: [usize; 2],
    },
    /// A mapping file is invalid; nothing was read with it.
    #[error("{file}: invalid mapping: {problem}")]
    InvalidMapping {
        /// The mapping file name.
        file: String,
        /// What is wrong and what to change.
        problem: String,
    },
    /// The CSV reader failed after the text was decoded; a bug in rnc.
    #[error(
        "{file}: line {line}: internal error while reading CSV: {source} \
         (please report this as a bug in rnc)"
    )]
    Csv {
        /// The source file name.
        file: String,
        /// Line where reading failed, from 1.
        line: u64,
        /// The reader's error.
        #[source]
        source: csv::Error,
    },
    /// The caller's sink failed to store a chunk of checked rows.
    #[error("{file}: failed to store the checked rows: {source}")]
    Output {
        /// The source file name.
        file: String,
        /// The sink's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// Building an Arrow batch of quarantined rows failed; a bug in rnc.
    #[error(
        "internal error while building the quarantine table: {0} (please \
         report this as a bug in rnc)"
    )]
    Arrow(#[from] arrow_schema::ArrowError),
}

/// Message of [`ErrorKind::DuplicateColumn`], which names the repeated
/// text only when it is a column of the feed.
fn duplicate_column_message(
    file: &str,
    column: Option<&str>,
    [first, second]: &[usize; 2],
) -> String {
    match column {
        Some(column) => format!(
            "{file}: line 1: column {column} appears more than once in the \
             header, as columns {first} and {second} (remove or rename the \
             duplicate)"
        ),
        None => format!(
            "{file}: line 1: columns {first} and {second} of the header have \
             the same name, which is not a column of the feed (check that the \
             first line is a header naming the columns, or rename the \
             duplicate)"
        ),
    }
}

impl Error {
    /// The kind of failure.
    pub fn kind(&self) -> &ErrorKind {
        &self.0
    }

    /// The place in the source file where the failure was found, when it
    /// has one.
    pub fn position(&self) -> Option<Position> {
        let (file, line) = match &*self.0 {
            ErrorKind::NotUtf8 { file, line, .. }
            | ErrorKind::InvalidEncoding { file, line, .. }
            | ErrorKind::Json { file, line, .. }
            | ErrorKind::Csv { file, line, .. } => (file, *line),
            ErrorKind::EncodingConflict { file, .. }
            | ErrorKind::MissingColumn { file, .. }
            | ErrorKind::DuplicateColumn { file, .. } => (file, 1),
            _ => return None,
        };
        Some(Position {
            file: file.clone(),
            line,
            record: 0,
            field: None,
        })
    }
}

impl From<ErrorKind> for Error {
    fn from(kind: ErrorKind) -> Error {
        Error(Box::new(kind))
    }
}

impl From<arrow_schema::ArrowError> for Error {
    fn from(error: arrow_schema::ArrowError) -> Error {
        ErrorKind::Arrow(error).into()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        std::error::Error::source(&*self.0)
    }
}
