//! The registry directory: where staged records, work tables and releases
//! live, and the catalogue that lists them.
//!
//! A registry is one directory, no server needed:
//!
//! ```text
//! registry/
//!   catalogue.json                 batches, population and releases
//!   staged/<batch>/source_records.parquet
//!   staged/<batch>/quarantine.parquet
//!   population/population.parquet  denominators
//!   work/<stage>/…                 outputs of link and consolidate
//!   releases/<release>/*.parquet   immutable snapshots, with manifest.json
//! ```
//!
//! [`Registry`] opens and writes it; [`parquet_io`] reads and writes
//! tables; [`sql`] runs SQL on a release with Apache DataFusion;
//! [`population`] reads a population CSV. Every write goes to a temporary
//! name first and is renamed into place, so a crash leaves no half-written
//! batch or release behind. [`BatchWriter`] streams a batch's tables to
//! disk and registers the batch only once every row is written and
//! flushed.
//!
//! # Example
//!
//! ```
//! let dir = tempfile::tempdir().unwrap();
//! let registry = rnc_store::Registry::open_or_create(dir.path()).unwrap();
//! assert!(registry.catalogue().unwrap().batches.is_empty());
//! assert!(registry.latest_release().is_err());
//! ```

#![deny(missing_docs)]

mod catalogue;
mod error;
mod fault;
pub mod parquet_io;
pub mod population;
mod registry;
mod rotation;
pub mod sql;
mod staging;

pub use catalogue::{
    BatchEntry, Catalogue, KeyRotation, ReleaseEntry, TableEntry,
};
pub use error::Error;
pub use fault::{FAULT_POINT_VARIABLE, FaultPoint};
pub use registry::{Registry, RegistryLock, WorkStage, WorkTableWriter};
pub use staging::{
    BatchCommit, BatchWriter, QUARANTINE_FILE, SOURCE_RECORDS_FILE,
};
