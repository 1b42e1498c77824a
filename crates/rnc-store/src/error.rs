//! The error type of the storage layer.

use std::path::PathBuf;

/// What went wrong while reading or writing the registry directory.
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
    /// A Parquet file could not be read or written.
    #[error("{}: {source}", path.display())]
    Parquet {
        /// The Parquet file.
        path: PathBuf,
        /// The underlying error.
        source: parquet::errors::ParquetError,
    },
    /// Arrow rejected a batch, or tables had incompatible schemas.
    #[error("arrow: {0}")]
    Arrow(#[from] arrow::error::ArrowError),
    /// DataFusion could not plan or run a query.
    #[error("sql: {0}")]
    Sql(#[from] datafusion::error::DataFusionError),
    /// The catalogue is not valid JSON of the expected shape.
    #[error("{}: invalid catalogue ({source}); restore it from a backup", path.display())]
    Catalogue {
        /// The catalogue file.
        path: PathBuf,
        /// The parse error.
        source: serde_json::Error,
    },
    /// Another process holds the registry's write lock.
    #[error("registry {} is locked by {holder}; wait for it to finish and run the command again", root.display())]
    Locked {
        /// The registry directory.
        root: PathBuf,
        /// Who holds it, such as `rnc process 4242`.
        holder: String,
    },
    /// The user asked for something the registry cannot do in its state;
    /// the message says what to do.
    #[error("{0}")]
    Invalid(String),
    /// Rewriting a batch's records failed in the caller's step, such as
    /// opening a pseudonym with the wrong key; nothing was changed.
    #[error("batch {batch}: {source}")]
    Rewrite {
        /// The batch being rewritten.
        batch: String,
        /// The caller's error.
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A population CSV is malformed; the message names line and column.
    #[error("{file}: {message}")]
    Population {
        /// The CSV file.
        file: String,
        /// What is wrong, with line and column.
        message: String,
    },
}

impl Error {
    pub(crate) fn io(
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io { path, source }
    }
}
