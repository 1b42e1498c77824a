//! The service's configuration and shared state: the published indicators
//! of the release served, the token table, the audit log and the rate
//! limiter.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use rnc_store::Registry;

use crate::Error;
use crate::access::{AccessStore, Role};
use crate::audit::AuditLog;
use crate::cohorts::{CohortTables, cohort_tables};
use crate::indicators::{IncidenceTables, incidence_tables};
use crate::release::ReleaseFacts;
use crate::secret::ServiceKey;

/// Settings of `rnc serve`.
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    /// Registry directory.
    pub registry: PathBuf,
    /// Release served, else the latest.
    pub release: Option<String>,
    /// Service key file, outside the registry.
    pub service_key: PathBuf,
    /// Signed head of the audit log, outside the registry.
    pub audit_head: PathBuf,
    /// Counts from 1 to this value - 1 are suppressed in every published
    /// table.
    pub small_cell_threshold: u64,
    /// Requests per second allowed to one token, or to one IP address
    /// without a token.
    pub rate_per_second: u32,
    /// Requests allowed in a burst above the rate.
    pub rate_burst: u32,
    /// Largest request body, in bytes.
    pub body_limit: usize,
    /// Time after which a request fails with 408 Request Timeout.
    pub request_timeout: Duration,
}

impl ServiceConfig {
    /// Settings with the defaults of `rnc serve` for `registry`: key and
    /// head beside the registry directory, threshold 11, 50 requests per
    /// second with bursts of 100, 64 KiB bodies, 10 s timeout.
    pub fn new(registry: &Path) -> ServiceConfig {
        ServiceConfig {
            registry: registry.to_path_buf(),
            release: None,
            service_key: sibling(registry, "service.key"),
            audit_head: sibling(registry, "audit-head.json"),
            small_cell_threshold: rnc_stats::DEFAULT_SMALL_CELL_THRESHOLD,
            rate_per_second: 50,
            rate_burst: 100,
            body_limit: 64 * 1024,
            request_timeout: Duration::from_secs(10),
        }
    }
}

/// Returns `<registry>.<suffix>` beside the registry directory.
pub fn sibling(registry: &Path, suffix: &str) -> PathBuf {
    let mut name = registry
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_else(|| "registry".into());
    name.push(".");
    name.push(suffix);
    registry.with_file_name(name)
}

/// Returns the path of the audit log of a registry.
pub fn audit_log_path(registry: &Path) -> PathBuf {
    registry.join("service").join("audit.log")
}

/// The indicators of one release, computed once when the service starts.
#[derive(Debug)]
pub struct Published {
    /// The release's facts, for the researcher extract.
    pub facts: ReleaseFacts,
    /// Incidence tables.
    pub incidence: IncidenceTables,
    /// Survival and prevalence.
    pub cohorts: CohortTables,
    /// Small-cell threshold applied.
    pub threshold: u64,
    /// The dashboard page, rendered once.
    pub dashboard: String,
}

impl Published {
    /// Reads the release and computes every published table.
    ///
    /// # Errors
    ///
    /// Errors reading the release, and an empty population table.
    pub fn compute(
        registry: &Registry,
        release: Option<&str>,
        threshold: u64,
    ) -> Result<Published, Error> {
        let started = std::time::Instant::now();
        let facts = ReleaseFacts::read(registry, release)?;
        let incidence = incidence_tables(&facts, threshold)?;
        let cohorts = cohort_tables(&facts, threshold);
        let mut published = Published {
            facts,
            incidence,
            cohorts,
            threshold,
            dashboard: String::new(),
        };
        published.dashboard = crate::dashboard::render(&published)?;
        tracing::info!(
            release = %published.facts.release.release_id,
            seconds = started.elapsed().as_secs_f64(),
            primary = published.incidence.suppressed.0,
            secondary = published.incidence.suppressed.1,
            "computed published indicators"
        );
        Ok(published)
    }
}

/// The caller of a request: token id, role and project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// Token id, or `anonymous`.
    pub token_id: String,
    /// The role.
    pub role: Role,
    /// The project of a researcher.
    pub project: Option<String>,
}

impl Caller {
    /// Returns the caller of a request without a token.
    pub fn anonymous() -> Caller {
        Caller {
            token_id: "anonymous".to_owned(),
            role: Role::Public,
            project: None,
        }
    }
}

/// Everything the handlers share.
pub struct AppState {
    /// Settings.
    pub config: ServiceConfig,
    /// The registry.
    pub registry: Registry,
    /// Tokens and projects.
    pub access: AccessStore,
    /// The audit log.
    pub audit: AuditLog,
    /// The service key.
    pub key: ServiceKey,
    /// Published indicators of the release served.
    pub published: Arc<Published>,
    /// Active tokens by SHA-256.
    tokens: RwLock<TokenTable>,
    /// Requests per token or IP address.
    pub limiter: DefaultKeyedRateLimiter<String>,
}

#[derive(Debug, Default)]
struct TokenTable {
    by_hash: HashMap<String, Caller>,
    version: Option<FileVersion>,
}

/// Identity of one version of the access file. Every write renames a
/// new file into place, so the inode changes even when two writes fall
/// in the same tick of the modification time.
type FileVersion = (SystemTime, u64);

fn file_version(path: &Path) -> Option<FileVersion> {
    let metadata = std::fs::metadata(path).ok()?;
    #[cfg(unix)]
    let inode = std::os::unix::fs::MetadataExt::ino(&metadata);
    #[cfg(not(unix))]
    let inode = metadata.len();
    Some((metadata.modified().ok()?, inode))
}

impl AppState {
    /// Opens the registry, the key and the audit log and computes the
    /// published indicators.
    ///
    /// # Errors
    ///
    /// Errors reading the registry, the key, the access file or the
    /// release, and an audit log that fails verification.
    pub fn open(config: ServiceConfig) -> Result<AppState, Error> {
        let registry = Registry::open(&config.registry)?;
        let key = ServiceKey::load_or_create(&config.service_key)?;
        let audit = AuditLog::open(
            &audit_log_path(&config.registry),
            &config.audit_head,
            &key,
        )?;
        let published = Published::compute(
            &registry,
            config.release.as_deref(),
            config.small_cell_threshold,
        )?;
        let rate = NonZeroU32::new(config.rate_per_second.max(1))
            .expect("max(1) is not zero");
        let burst = NonZeroU32::new(config.rate_burst.max(1))
            .expect("max(1) is not zero");
        let state = AppState {
            access: AccessStore::new(&config.registry),
            registry,
            audit,
            key,
            published: Arc::new(published),
            tokens: RwLock::new(TokenTable::default()),
            limiter: RateLimiter::keyed(
                Quota::per_second(rate).allow_burst(burst),
            ),
            config,
        };
        state.reload_tokens()?;
        Ok(state)
    }

    /// Rereads the access file when it changed since the last read, so
    /// that tokens created or revoked with `rnc token` take effect.
    ///
    /// # Errors
    ///
    /// I/O and JSON errors; the previous table stays in force.
    pub fn reload_tokens(&self) -> Result<(), Error> {
        let version = file_version(self.access.path());
        {
            let table = self.tokens.read().unwrap_or_else(|p| p.into_inner());
            if table.version.is_some() && table.version == version {
                return Ok(());
            }
        }
        let access = self.access.read()?;
        let by_hash: HashMap<String, Caller> = access
            .tokens
            .iter()
            .filter(|t| t.revoked_at.is_none())
            .map(|t| {
                (
                    t.sha256.clone(),
                    Caller {
                        token_id: t.id.clone(),
                        role: t.role,
                        project: t.project.clone(),
                    },
                )
            })
            .collect();
        tracing::info!(tokens = by_hash.len(), "loaded access tokens");
        *self.tokens.write().unwrap_or_else(|p| p.into_inner()) =
            TokenTable { by_hash, version };
        Ok(())
    }

    /// Returns the caller a token belongs to, `None` for an unknown or
    /// revoked token.
    pub fn caller_of(&self, token: &str) -> Option<Caller> {
        let hash = crate::access::token_sha256(token);
        let table = self.tokens.read().unwrap_or_else(|p| p.into_inner());
        table.by_hash.get(&hash).cloned()
    }
}
