//! Ballista scheduler and executor processes with rnc's UDFs registered,
//! for `rnc scheduler` and `rnc executor`.
//!
//! Both bind 127.0.0.1 unless their settings name another address. Ballista's gRPC and Arrow
//! Flight ports carry no authentication, so a cluster across machines
//! belongs on a private network (see the deployment guide).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use ballista_core::registry::BallistaFunctionRegistry;
use ballista_core::utils::default_session_builder;
use ballista_executor::executor_process::{
    ExecutorProcessConfig, start_executor_process,
};
use ballista_scheduler::cluster::BallistaCluster;
use ballista_scheduler::config::SchedulerConfig;
use ballista_scheduler::scheduler_process::{
    create_scheduler, start_grpc_service_with_listener,
};
use datafusion::execution::FunctionRegistry;
use datafusion_proto::protobuf::{LogicalPlanNode, PhysicalPlanNode};
use tokio::net::TcpListener;

use crate::Error;
use crate::functions::rnc_udfs;

/// Settings of `rnc scheduler`.
#[derive(Debug, Clone)]
pub struct SchedulerSettings {
    /// Address the scheduler's gRPC service listens on.
    pub bind: SocketAddr,
    /// Host name that executors and clients use to reach the scheduler.
    pub external_host: String,
}

/// Binds the scheduler's port, so that a caller that asked for port 0
/// learns the port before the scheduler serves.
///
/// # Errors
///
/// [`Error::Io`] when the address cannot be bound.
pub async fn bind_scheduler(address: SocketAddr) -> Result<TcpListener, Error> {
    TcpListener::bind(address).await.map_err(Error::Io)
}

/// Serves a Ballista scheduler on `listener` until the process ends, with
/// rnc's UDFs in every session it plans.
///
/// # Errors
///
/// [`Error::Ballista`] when the scheduler fails to start or stops with an
/// error.
pub async fn run_scheduler(
    listener: TcpListener,
    settings: &SchedulerSettings,
) -> Result<(), Error> {
    let port = listener.local_addr().map_err(Error::Io)?.port();
    let session_builder = Arc::new(|config| {
        let mut state = default_session_builder(config)?;
        for udf in rnc_udfs() {
            state.register_udf(udf)?;
        }
        Ok(state)
    });
    let config = SchedulerConfig {
        bind_host: settings.bind.ip().to_string(),
        bind_port: port,
        external_host: settings.external_host.clone(),
        ..SchedulerConfig::default()
    }
    .with_override_session_builder(session_builder);
    let config = Arc::new(config);
    let cluster = BallistaCluster::new_from_config(&config).await?;
    let scheduler = create_scheduler::<LogicalPlanNode, PhysicalPlanNode>(
        cluster,
        config.clone(),
    )
    .await?;
    tracing::info!(
        address = %listener.local_addr().map_err(Error::Io)?,
        external_host = %settings.external_host,
        "Ballista scheduler started"
    );
    start_grpc_service_with_listener(listener, scheduler).await?;
    Ok(())
}

/// Settings of `rnc executor`.
#[derive(Debug, Clone)]
pub struct ExecutorSettings {
    /// Address the executor binds; its two ports are below.
    pub bind_host: String,
    /// Host name that the scheduler, other executors and clients use to
    /// reach this executor.
    pub external_host: String,
    /// Arrow Flight port, from which shuffle data and results are fetched.
    pub flight_port: u16,
    /// gRPC port, on which the scheduler pushes tasks.
    pub grpc_port: u16,
    /// Scheduler host.
    pub scheduler_host: String,
    /// Scheduler gRPC port.
    pub scheduler_port: u16,
    /// Tasks run at once; 0 uses every core.
    pub concurrent_tasks: usize,
    /// Bytes of memory the executor's tasks share before they spill; `None`
    /// lets Ballista size the pool from the host's or cgroup's memory.
    pub memory_limit: Option<u64>,
    /// Folder of shuffle and spill files; `None` makes a temporary one.
    pub work_dir: Option<PathBuf>,
}

/// Runs a Ballista executor until the process receives Ctrl-C or the
/// scheduler stops it, with rnc's UDFs in its function registry.
///
/// # Errors
///
/// [`Error::Ballista`] when the executor cannot start, for instance when a
/// port is taken or the scheduler cannot be reached.
pub async fn run_executor(settings: &ExecutorSettings) -> Result<(), Error> {
    let mut registry = BallistaFunctionRegistry::default();
    for udf in rnc_udfs() {
        registry
            .scalar_functions
            .insert(udf.name().to_string(), udf);
    }
    let work_dir = settings
        .work_dir
        .as_ref()
        .map(|dir| {
            dir.to_str().map(str::to_string).ok_or_else(|| {
                Error::InvalidEngine(format!(
                    "work folder {} is not a UTF-8 path",
                    dir.display()
                ))
            })
        })
        .transpose()?;
    let config = ExecutorProcessConfig {
        bind_host: settings.bind_host.clone(),
        external_host: Some(settings.external_host.clone()),
        port: settings.flight_port,
        grpc_port: settings.grpc_port,
        scheduler_host: settings.scheduler_host.clone(),
        scheduler_port: settings.scheduler_port,
        // Wait for a scheduler that starts at the same time.
        scheduler_connect_timeout_seconds: 30,
        vcores: settings.concurrent_tasks,
        work_dir,
        memory_pool_size: settings.memory_limit,
        override_function_registry: Some(Arc::new(registry)),
        ..ExecutorProcessConfig::default()
    };
    tracing::info!(
        flight = %format!("{}:{}", settings.bind_host, settings.flight_port),
        grpc = %format!("{}:{}", settings.bind_host, settings.grpc_port),
        scheduler = %format!("{}:{}", settings.scheduler_host, settings.scheduler_port),
        "Ballista executor starting"
    );
    start_executor_process(Arc::new(config)).await?;
    Ok(())
}
