//! The error type of the service crate.

use std::path::{Path, PathBuf};

/// What went wrong while starting the service, managing access or
/// verifying the audit log.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file or directory could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The path involved.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The registry could not be read.
    #[error(transparent)]
    Store(#[from] rnc_store::Error),
    /// A statistic could not be computed.
    #[error(transparent)]
    Stats(#[from] rnc_stats::Error),
    /// A state file (tokens, projects, audit head) is not valid JSON of
    /// the expected shape.
    #[error("{}: invalid JSON ({source}); restore it from a backup", path.display())]
    Json {
        /// The file.
        path: PathBuf,
        /// The parse error.
        source: serde_json::Error,
    },
    /// The request cannot be done in the current state; the message says
    /// what to do.
    #[error("{0}")]
    Invalid(String),
}

impl Error {
    /// Returns a closure that wraps an I/O error with `path`, for
    /// `map_err`.
    pub(crate) fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.to_path_buf();
        move |source| Error::Io { path, source }
    }

    /// Returns a closure that wraps a JSON error with `path`.
    pub(crate) fn json(path: &Path) -> impl FnOnce(serde_json::Error) -> Error {
        let path = path.to_path_buf();
        move |source| Error::Json { path, source }
    }
}
