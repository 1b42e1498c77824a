//! The error type of the engine.

/// What went wrong while starting an engine or running a plan.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The `--engine` value or a cluster setting is invalid; the message
    /// says what is expected.
    #[error("{0}")]
    InvalidEngine(String),
    /// DataFusion could not plan or run a query, or the Ballista
    /// scheduler could not be reached.
    #[error("datafusion: {0}")]
    DataFusion(#[from] datafusion::error::DataFusionError),
    /// A Ballista scheduler or executor failed.
    #[cfg(feature = "ballista")]
    #[error("ballista: {0}")]
    Ballista(#[from] ballista_core::error::BallistaError),
    /// A release could not be read or queried.
    #[error(transparent)]
    Store(#[from] rnc_store::Error),
    /// A runtime, socket or file could not be set up.
    #[error("{0}")]
    Io(std::io::Error),
}
