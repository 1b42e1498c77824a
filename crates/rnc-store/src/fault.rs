//! Fault injection at the steps of the batch commit protocol, so that a
//! test can stop the process in each window between two steps rather than
//! hope that a random kill lands there.
//!
//! The process aborts at a point only when the crate is built with the
//! `fault-injection` feature and the environment variable
//! [`FAULT_POINT_VARIABLE`] names that point. Without the feature,
//! [`fault_point`] compiles to nothing, so a production build ignores the
//! variable. `rnc-cli` enables the feature for its tests only, through a
//! dev-dependency.

use std::fmt;

/// Environment variable naming the [`FaultPoint`] at which to abort.
pub const FAULT_POINT_VARIABLE: &str = "RNC_FAULT_POINT";

/// A step of the batch commit protocol after which the process may be
/// made to abort, in the order a batch passes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultPoint {
    /// The lock is taken and the empty `<batch>.partial` folder and its
    /// two table files are created.
    BatchStarted,
    /// The first rows reached one of the two tables.
    RowsWritten,
    /// Both Parquet files are finished and flushed.
    FilesFinished,
    /// The `<batch>.partial` folder is flushed to disk.
    FolderSynced,
    /// The folder is renamed to `staged/<batch>`, before the rename is
    /// flushed.
    FolderRenamed,
    /// The rename is flushed, but the catalogue does not list the batch
    /// yet.
    RenameSynced,
    /// The new catalogue is written and flushed under its temporary name.
    CatalogueTemporaryWritten,
    /// The new catalogue is renamed into place, before the rename is
    /// flushed.
    CatalogueRenamed,
    /// The batch is registered, so nothing of the protocol remains.
    CatalogueWritten,
}

impl FaultPoint {
    /// Every point, in the order a batch passes them.
    pub const ALL: [FaultPoint; 9] = [
        FaultPoint::BatchStarted,
        FaultPoint::RowsWritten,
        FaultPoint::FilesFinished,
        FaultPoint::FolderSynced,
        FaultPoint::FolderRenamed,
        FaultPoint::RenameSynced,
        FaultPoint::CatalogueTemporaryWritten,
        FaultPoint::CatalogueRenamed,
        FaultPoint::CatalogueWritten,
    ];

    /// Returns the value of [`FAULT_POINT_VARIABLE`] that names the point,
    /// in kebab case.
    pub fn name(self) -> &'static str {
        match self {
            FaultPoint::BatchStarted => "batch-started",
            FaultPoint::RowsWritten => "rows-written",
            FaultPoint::FilesFinished => "files-finished",
            FaultPoint::FolderSynced => "folder-synced",
            FaultPoint::FolderRenamed => "folder-renamed",
            FaultPoint::RenameSynced => "rename-synced",
            FaultPoint::CatalogueTemporaryWritten => {
                "catalogue-temporary-written"
            }
            FaultPoint::CatalogueRenamed => "catalogue-renamed",
            FaultPoint::CatalogueWritten => "catalogue-written",
        }
    }

    /// Returns whether a batch stopped at this point is registered, which
    /// is once the catalogue that lists it is renamed into place.
    pub fn batch_registered(self) -> bool {
        matches!(
            self,
            FaultPoint::CatalogueRenamed | FaultPoint::CatalogueWritten
        )
    }
}

impl fmt::Display for FaultPoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Aborts the process, as a crash would, when the `fault-injection`
/// feature is on and [`FAULT_POINT_VARIABLE`] names `point`. `abort`
/// runs no destructor, so nothing is cleaned up, as after a kill.
#[cfg_attr(not(feature = "fault-injection"), inline(always))]
pub(crate) fn fault_point(point: FaultPoint) {
    #[cfg(feature = "fault-injection")]
    if std::env::var(FAULT_POINT_VARIABLE)
        .is_ok_and(|name| name == point.name())
    {
        tracing::error!(%point, "aborting at the fault point named in {FAULT_POINT_VARIABLE}");
        std::process::abort();
    }
    #[cfg(not(feature = "fault-injection"))]
    let _ = point;
}
