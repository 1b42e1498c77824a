//! The error type of the crate.

use std::fmt;

/// An error while building the report or one of its plots.
///
/// The kind is boxed so that `Result<_, Error>` stays one pointer wide.
#[derive(Debug)]
pub struct Error {
    kind: Box<ErrorKind>,
}

impl Error {
    /// Returns the kind of failure, for callers that branch on it.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }
}

impl From<ErrorKind> for Error {
    fn from(kind: ErrorKind) -> Error {
        Error {
            kind: Box::new(kind),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.kind.fmt(f)
    }
}

impl std::error::Error for Error {}

/// Kind of failure of an [`Error`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// An incidence row whose age-specific rates do not cover the 18 bands.
    #[error(
        "incidence row {site_group}, {sex}: {found} age-specific rates but 18 age bands expected; build rows with rnc_stats::incidence_table"
    )]
    AgeSpecificLength {
        /// Site group of the row.
        site_group: String,
        /// Sex of the row.
        sex: String,
        /// Number of rates found.
        found: usize,
    },

    /// plotters failed to draw into the SVG string, which should not happen
    /// because the backend writes to memory.
    #[error(
        "drawing the plot {title:?} failed; please report this bug in rnc-report: {message}"
    )]
    Plot {
        /// Title of the plot.
        title: String,
        /// The message of plotters.
        message: String,
    },

    /// Small-cell suppression rejected the incidence rows.
    #[error("suppressing small counts of the incidence table failed: {0}")]
    Suppression(rnc_stats::Error),
}
