//! The crate's error type.

use std::fmt;
use std::path::PathBuf;

/// An error from creating, reading or checking a pseudonymisation key.
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
