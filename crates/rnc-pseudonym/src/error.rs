//! The crate's error type.

use std::fmt;
use std::path::PathBuf;

/// An error from a key, an encoder, a re-keying or a feed file.
///
/// No variant holds key material: a malformed key file is described by
/// what is wrong with it, never by its content.
#[derive(Debug)]
pub struct Error(Box<ErrorKind>);

/// What went wrong, one variant per failed step.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The operating system's random number generator failed.
    #[error(
        "failed to draw a random key from the operating system ({reason}); \
         retry, and check that /dev/urandom or getrandom(2) is available"
    )]
    Random {
        /// The generator's own message.
        reason: String,
    },
    /// Reading, creating or writing the key file failed.
    #[error("{}: failed to {action} the key file: {source}", path.display())]
    Io {
        /// The key file.
        path: PathBuf,
        /// What was being done: `read`, `create`, `write`, …
        action: &'static str,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The key file is readable or writable by users other than its owner.
    #[error(
        "{}: key file permissions are {mode:04o}, so users other than the \
         owner can read or change it (run `chmod 600` on it, and replace the \
         key if others may have read it)",
        path.display()
    )]
    InsecurePermissions {
        /// The key file.
        path: PathBuf,
        /// The permission bits found.
        mode: u32,
    },
    /// The key file does not contain 64 hexadecimal digits.
    #[error(
        "{}: key file is invalid: {reason} (expected 64 hexadecimal digits \
         and a newline, as written by rnc)",
        path.display()
    )]
    InvalidKeyFile {
        /// The key file.
        path: PathBuf,
        /// What is wrong, never the content.
        reason: String,
    },
    /// A clkhash linkage schema is malformed or uses an unsupported
    /// setting.
    #[error(
        "invalid clkhash schema: {reason} (expected a version 3 linkage \
         schema as written by clkhash)"
    )]
    InvalidSchema {
        /// The setting and what is wrong with it.
        reason: String,
    },
    /// A value of a record cannot be encoded with its schema feature.
    #[error("feature {feature}: invalid value: {reason}")]
    InvalidEntry {
        /// The schema feature; `-` when the record as a whole is wrong.
        feature: String,
        /// What is wrong, never the value.
        reason: String,
    },
    /// The settings of a CLK encoder are out of range.
    #[error("invalid CLK settings: {reason}")]
    InvalidClkSettings {
        /// The setting and its accepted range.
        reason: String,
    },
    /// A pseudonym is not as many lowercase hexadecimal digits as its
    /// layer writes: 64 for a provider's, 96 for one sealed by the
    /// registry.
    #[error(
        "invalid {domain} pseudonym: {reason} (expected {expected} lowercase \
         hexadecimal digits, as written by rnc)"
    )]
    InvalidPseudonym {
        /// The identifier the pseudonym stands for.
        domain: &'static str,
        /// What is wrong, never the value.
        reason: String,
        /// Digits expected.
        expected: usize,
    },
    /// A Bloom filter has the wrong length for re-keying.
    #[error(
        "invalid {domain} Bloom filter: {length} bytes (expected {expected} \
         bytes, as written by `rnc pseudonymise`)"
    )]
    InvalidBloom {
        /// The identifier the filter encodes.
        domain: &'static str,
        /// Bytes found.
        length: usize,
        /// Bytes expected.
        expected: usize,
    },
    /// A stored pseudonym does not open with the registry key given: it
    /// was sealed with another key, or altered.
    #[error(
        "a {domain} pseudonym does not open with registry key {fingerprint}: \
         it was sealed with another key or altered (pass the key named in \
         the registry's catalogue)"
    )]
    WrongRegistryKey {
        /// The identifier the pseudonym stands for.
        domain: &'static str,
        /// Fingerprint of the key that failed.
        fingerprint: String,
    },
    /// Reading or writing a feed file failed.
    #[error("{}: failed to {action} the file: {source}", path.display())]
    FileIo {
        /// The file.
        path: PathBuf,
        /// What was being done: `read`, `create`, `write`, `rename`.
        action: &'static str,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// A feed file is not valid CSV.
    #[error("{file}: line {line}: invalid CSV: {source}")]
    Csv {
        /// The file name.
        file: String,
        /// The line, from 1; 0 when unknown.
        line: u64,
        /// The CSV reader's error.
        #[source]
        source: csv::Error,
    },
    /// A feed file lacks a column that the step needs.
    #[error(
        "{file}: missing column {column} in the header (expected the columns \
         of the {kind} feed)"
    )]
    MissingColumn {
        /// The file name.
        file: String,
        /// The feed kind.
        kind: String,
        /// The missing column.
        column: &'static str,
    },
    /// A feed file names a column twice.
    #[error("{}", duplicate_column_message(file, column.as_deref(), positions))]
    DuplicateColumn {
        /// The file name.
        file: String,
        /// The repeated name when it is a column of the feed. `None`
        /// otherwise, because a first line of data read as the header
        /// repeats values such as a birth name also used as usage name.
        column: Option<String>,
        /// Positions of the two columns in the header, from 1.
        positions: [usize; 2],
    },
    /// The output path is the input path, which would destroy the input.
    #[error(
        "{}: the output file is the input file (choose another output path)",
        path.display()
    )]
    SameFile {
        /// The path given twice.
        path: PathBuf,
    },
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
            "{file}: column {column} appears twice in the header, as columns \
             {first} and {second} (rename or remove one)"
        ),
        None => format!(
            "{file}: columns {first} and {second} of the header have the same \
             name, which is not a column of the feed (check that the first \
             line is a header naming the columns, or rename one)"
        ),
    }
}

impl Error {
    /// The kind of failure.
    pub fn kind(&self) -> &ErrorKind {
        &self.0
    }
}

impl From<ErrorKind> for Error {
    fn from(kind: ErrorKind) -> Error {
        Error(Box::new(kind))
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
