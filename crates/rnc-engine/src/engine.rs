//! The engine that runs rnc's DataFusion plans: in process, or on a
//! Ballista cluster.

use std::fmt;
use std::future::Future;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;

#[cfg(feature = "ballista")]
use ballista::extension::SessionContextExt;
use datafusion::execution::SessionStateBuilder;
use datafusion::execution::memory_pool::FairSpillPool;
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::prelude::{SessionConfig, SessionContext};

use crate::Error;
use crate::functions::rnc_udfs;

/// Port of a Ballista scheduler when `--engine ballista://HOST` names none;
/// it is Ballista's own default.
pub const DEFAULT_SCHEDULER_PORT: u16 = 50050;

/// Where plans run.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum EngineKind {
    /// In-process DataFusion, on the threads of this process.
    #[default]
    Local,
    /// A Ballista scheduler and its executors.
    Ballista {
        /// Host name or address of the scheduler.
        host: String,
        /// gRPC port of the scheduler.
        port: u16,
    },
}

impl FromStr for EngineKind {
    type Err = Error;

    /// Parses `local`, `ballista://HOST:PORT` or `ballista://HOST`.
    fn from_str(text: &str) -> Result<EngineKind, Error> {
        if text == "local" {
            return Ok(EngineKind::Local);
        }
        let invalid = || {
            Error::InvalidEngine(format!(
                "invalid engine {text:?}: expected `local` or `ballista://HOST:PORT`"
            ))
        };
        let address = text.strip_prefix("ballista://").ok_or_else(invalid)?;
        let address = address.trim_end_matches('/');
        let (host, port) = match address.rsplit_once(':') {
            Some((host, port)) => {
                (host, port.parse::<u16>().map_err(|_| invalid())?)
            }
            None => (address, DEFAULT_SCHEDULER_PORT),
        };
        if host.is_empty() || port == 0 {
            return Err(invalid());
        }
        Ok(EngineKind::Ballista {
            host: host.to_string(),
            port,
        })
    }
}

impl fmt::Display for EngineKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EngineKind::Local => f.write_str("local"),
            EngineKind::Ballista { host, port } => {
                write!(f, "ballista://{host}:{port}")
            }
        }
    }
}

/// Memory and spilling of in-process plans.
///
/// On a Ballista cluster each executor sets its own pool and spill folder
/// (`rnc executor --memory-limit --work-dir`), because the memory that
/// matters is the executor's.
#[derive(Debug, Clone, Default)]
pub struct MemorySettings {
    /// Bytes that operators may hold before sorts, aggregations and joins
    /// spill to disk; `None` sizes the pool at half the physical memory.
    pub memory_limit: Option<u64>,
    /// Folder of spill files; `None` uses the system's temporary folder.
    pub spill_dir: Option<PathBuf>,
}

/// Runs DataFusion plans on the chosen [`EngineKind`], with rnc's UDFs
/// registered.
///
/// # Example
///
/// ```
/// use rnc_engine::{Engine, EngineKind};
///
/// let engine = Engine::new("local".parse().unwrap(), Default::default());
/// let batches = engine
///     .block_on(async {
///         let context = engine.context(Default::default()).await?;
///         let frame = context
///             .sql("SELECT rnc_levenshtein('kitten', 'sitting') AS d")
///             .await?;
///         Ok(frame.collect().await?)
///     })
///     .unwrap();
/// let distance = batches[0]
///     .column(0)
///     .as_any()
///     .downcast_ref::<arrow::array::Int64Array>()
///     .unwrap()
///     .value(0);
/// assert_eq!(distance, 3);
/// assert_eq!(engine.kind(), &EngineKind::Local);
/// ```
#[derive(Debug, Clone, Default)]
pub struct Engine {
    kind: EngineKind,
    memory: MemorySettings,
}

impl Engine {
    /// Makes an engine of `kind`; `memory` applies to in-process plans.
    pub fn new(kind: EngineKind, memory: MemorySettings) -> Engine {
        Engine { kind, memory }
    }

    /// The kind of engine.
    pub fn kind(&self) -> &EngineKind {
        &self.kind
    }

    /// Makes a session with rnc's UDFs registered: in process with a
    /// spilling memory pool, or connected to the Ballista scheduler.
    ///
    /// # Errors
    ///
    /// [`Error::DataFusion`] when the runtime cannot be built or the
    /// scheduler cannot be reached.
    pub async fn context(
        &self,
        config: SessionConfig,
    ) -> Result<SessionContext, Error> {
        let context = match &self.kind {
            EngineKind::Local => {
                let runtime = self.local_runtime()?;
                let state = SessionStateBuilder::new()
                    .with_default_features()
                    .with_config(config)
                    .with_runtime_env(runtime)
                    .build();
                SessionContext::new_with_state(state)
            }
            #[cfg(feature = "ballista")]
            EngineKind::Ballista { host, port } => {
                let state = SessionStateBuilder::new()
                    .with_default_features()
                    .with_config(config)
                    .build();
                let url = format!("df://{host}:{port}");
                tracing::debug!(scheduler = %url, "connecting to Ballista");
                SessionContext::remote_with_state(&url, state).await?
            }
            #[cfg(not(feature = "ballista"))]
            EngineKind::Ballista { .. } => {
                return Err(Error::InvalidEngine(format!(
                    "engine {} is not available: this rnc was built without \
                     the `ballista` feature; rebuild with `--features \
                     ballista` or use `--engine local`",
                    self.kind
                )));
            }
        };
        // Registered after the Ballista upgrade, which replaces the
        // session's function list with Ballista's own.
        for udf in rnc_udfs() {
            context.register_udf(udf.as_ref().clone());
        }
        Ok(context)
    }

    /// Runs `work` to completion on a new multi-threaded Tokio runtime.
    ///
    /// # Errors
    ///
    /// The error of `work`, or [`Error::Io`] when the runtime cannot start.
    pub fn block_on<T>(
        &self,
        work: impl Future<Output = Result<T, Error>>,
    ) -> Result<T, Error> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(Error::Io)?;
        runtime.block_on(work)
    }

    fn local_runtime(
        &self,
    ) -> Result<Arc<datafusion::execution::runtime_env::RuntimeEnv>, Error>
    {
        let limit = self.memory.memory_limit.unwrap_or_else(default_pool_size);
        let pool_size = usize::try_from(limit).unwrap_or(usize::MAX);
        // FairSpillPool rather than DataFusion's unbounded default, so that
        // sorts, aggregations and joins over a national year spill to disk
        // instead of failing or swapping.
        let mut builder = RuntimeEnvBuilder::new()
            .with_memory_pool(Arc::new(FairSpillPool::new(pool_size)));
        if let Some(dir) = &self.memory.spill_dir {
            builder = builder.with_temp_file_path(dir.clone());
        }
        tracing::debug!(pool_bytes = pool_size, "in-process memory pool");
        Ok(Arc::new(builder.build()?))
    }
}

/// Half the physical memory, read from `/proc/meminfo`; 4 GiB where that
/// file is missing (not Linux).
fn default_pool_size() -> u64 {
    const FALLBACK: u64 = 4 << 30;
    let Ok(text) = std::fs::read_to_string("/proc/meminfo") else {
        return FALLBACK;
    };
    text.lines()
        .find_map(|line| line.strip_prefix("MemTotal:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .map_or(FALLBACK, |kib: u64| kib * 1024 / 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_kinds_parse() {
        assert_eq!("local".parse::<EngineKind>().unwrap(), EngineKind::Local);
        let cluster: EngineKind = "ballista://127.0.0.1:50099".parse().unwrap();
        assert_eq!(
            cluster,
            EngineKind::Ballista {
                host: "127.0.0.1".into(),
                port: 50099
            }
        );
        assert_eq!(cluster.to_string(), "ballista://127.0.0.1:50099");
        let default_port: EngineKind = "ballista://scheduler".parse().unwrap();
        assert_eq!(
            default_port,
            EngineKind::Ballista {
                host: "scheduler".into(),
                port: DEFAULT_SCHEDULER_PORT
            }
        );
    }

    #[test]
    fn invalid_engines_rejected() {
        for text in [
            "",
            "Local",
            "df://127.0.0.1:50050",
            "ballista://",
            "ballista://host:port",
            "ballista://host:0",
            "ballista://host:70000",
        ] {
            let error = text.parse::<EngineKind>().unwrap_err();
            assert!(
                error.to_string().contains("ballista://HOST:PORT"),
                "{text}: {error}"
            );
        }
    }

    #[cfg(not(feature = "ballista"))]
    #[test]
    fn cluster_rejected_without_feature() {
        let engine = Engine::new(
            "ballista://127.0.0.1:50050".parse().unwrap(),
            MemorySettings::default(),
        );
        let Err(error) = engine.block_on(engine.context(SessionConfig::new()))
        else {
            panic!("a ballista:// engine opened a session without the feature");
        };
        assert!(error.to_string().contains("`ballista` feature"), "{error}");
    }

    #[test]
    fn default_pool_is_positive() {
        assert!(default_pool_size() > 0);
    }
}
