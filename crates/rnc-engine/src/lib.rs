//! The execution engine of rnc: the set-based stages are DataFusion plans,
//! run in process (the default) or on an Apache Ballista cluster.
//!
//! - [`Engine`] makes DataFusion sessions for an [`EngineKind`] (`local`,
//!   or `ballista://HOST:PORT`), with a spilling memory pool for
//!   in-process plans ([`MemorySettings`]) and rnc's functions registered;
//!   [`Engine::query_release`] runs read-only SQL on a release.
//! - [`functions`] contains those functions as DataFusion UDFs: string
//!   comparisons (Jaro-Winkler, Levenshtein, Damerau-Levenshtein, Dice of
//!   Bloom filters), name normalisation, ICD-O-3 to ICD-10 and site group.
//! - [`PlanPairFinder`] finds and compares linkage's candidate pairs with
//!   DataFusion plans, so that `rnc link` runs them on a cluster.
//! - [`cluster`] runs Ballista schedulers and executors with the same
//!   functions, for `rnc scheduler` and `rnc executor`.
//!
//! Ballista 55 runs the physical plans of DataFusion 55, so a plan built
//! here gives the same rows on either engine; only row order may differ
//! where a query has no `ORDER BY`.
//!
//! # Example
//!
//! ```
//! use rnc_engine::Engine;
//!
//! let engine = Engine::default();
//! let batches = engine
//!     .block_on(async {
//!         let context = engine.context(Default::default()).await?;
//!         let frame = context
//!             .sql("SELECT rnc_site_group('C50.9') AS site_group")
//!             .await?;
//!         Ok(frame.collect().await?)
//!     })
//!     .unwrap();
//! let text = arrow::util::pretty::pretty_format_batches(&batches)
//!     .unwrap()
//!     .to_string();
//! assert!(text.contains("breast"), "{text}");
//! ```

#![deny(missing_docs)]

#[cfg(feature = "ballista")]
pub mod cluster;
mod engine;
mod error;
pub mod functions;
mod link;
mod release;

pub use engine::{DEFAULT_SCHEDULER_PORT, Engine, EngineKind, MemorySettings};
pub use error::Error;
pub use link::PlanPairFinder;
