//! The registry's HTTP service: published indicators for the public, a
//! dashboard, release tables for analysts, minimised extracts for
//! approved research projects, access management for administrators, and
//! a hash-chained audit log of every request.
//!
//! [`serve`] runs it on a listener; [`router`] builds the axum router on
//! an [`AppState`] (used by tests without a socket). Access rules are the
//! [`ACCESS`] table, enforced by one guard before any handler runs and
//! written into the OpenAPI document served at `/openapi.json`. Tokens are
//! stored only as SHA-256 ([`AccessStore`]). [`AuditLog`] appends one
//! chained entry per request, and [`verify_audit_log`] checks a log.
//! Published counts are suppressed across every table together
//! ([`disclosure::LinkedCells`]).
//!
//! # Example
//!
//! ```
//! use rnc_service::{AuditLog, AuditRecord, ServiceKey, verify_audit_log};
//!
//! let dir = tempfile::tempdir().unwrap();
//! let key = ServiceKey::from_bytes([1; 32]);
//! let (log_path, head) = (dir.path().join("audit.log"), dir.path().join("head.json"));
//! let log = AuditLog::open(&log_path, &head, &key).unwrap();
//! log.append(&AuditRecord { status: 200, ..AuditRecord::default() }).unwrap();
//! log.write_head().unwrap();
//! let report = verify_audit_log(&log_path, Some((&head, &key)), &[]).unwrap();
//! assert_eq!(report.entries, 1);
//! assert!(report.problems.is_empty());
//! ```

#![deny(missing_docs)]

mod access;
mod api;
mod app;
mod audit;
mod cohorts;
mod dashboard;
pub mod disclosure;
mod error;
mod extract;
mod indicators;
mod release;
mod secret;
mod state;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

pub use access::{
    AccessFile, AccessStore, Project, Role, TokenEntry, token_sha256,
};
pub use app::{ACCESS, allowed_roles, router};
pub use audit::{
    AuditEntry, AuditLog, AuditRecord, AuditReport, GENESIS_HASH,
    verify_audit_log,
};
pub use cohorts::{CohortTables, PrevalenceRow, SurvivalRow};
pub use error::Error;
pub use extract::{
    Extract, ExtractRow, QUASI_IDENTIFIERS, build_extract, small_classes,
};
pub use indicators::{
    DIMENSIONS, DepartementRow, IncidenceRow, IncidenceTables, TrendRow,
};
pub use release::{PersonFact, PopulationFact, ReleaseFacts, TumourFact};
pub use secret::ServiceKey;
pub use state::{AppState, Published, ServiceConfig, audit_log_path, sibling};

/// Runs the service on `listener` until `shutdown` completes, then writes
/// the audit head a last time.
///
/// Once a second a background task flushes the audit log and rewrites its
/// signed head, rereads the access file if it changed, and drops idle
/// rate-limit keys.
///
/// # Errors
///
/// I/O errors of the listener and of the last head write.
pub async fn serve(
    state: Arc<AppState>,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), Error> {
    let address = listener.local_addr().ok();
    tracing::info!(
        address = ?address,
        release = %state.published.facts.release.release_id,
        "service started"
    );
    let housekeeping = tokio::spawn(housekeeping(state.clone()));
    let app = router(state.clone());
    let result = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await;
    housekeeping.abort();
    state.audit.write_head()?;
    tracing::info!(entries = state.audit.entries(), "service stopped");
    result.map_err(|source| Error::Io {
        path: "listener".into(),
        source,
    })
}

async fn housekeeping(state: Arc<AppState>) {
    let mut ticks = tokio::time::interval(Duration::from_secs(1));
    loop {
        ticks.tick().await;
        if let Err(error) = state.audit.write_head() {
            tracing::error!(%error, "audit head could not be written");
        }
        if let Err(error) = state.reload_tokens() {
            tracing::error!(%error, "access file could not be reread; the previous tokens stay in force");
        }
        state.limiter.retain_recent();
    }
}
