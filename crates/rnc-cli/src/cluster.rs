//! `rnc scheduler` and `rnc executor`: Ballista processes with rnc's
//! functions registered. Both run until Ctrl-C.

use anyhow::Context;
use rnc_engine::cluster::{
    ExecutorSettings, SchedulerSettings, bind_scheduler, run_executor,
    run_scheduler,
};

use crate::cli::{ExecutorArgs, SchedulerArgs};
use crate::commands::Outcome;

/// Runs `rnc scheduler` until Ctrl-C.
pub fn scheduler(args: &SchedulerArgs) -> anyhow::Result<Outcome> {
    let settings = SchedulerSettings {
        bind: args.bind,
        external_host: args
            .external_host
            .clone()
            .unwrap_or_else(|| args.bind.ip().to_string()),
    };
    let runtime = runtime()?;
    runtime.block_on(async {
        let listener = bind_scheduler(args.bind).await.with_context(|| {
            format!("binding the scheduler to {}", args.bind)
        })?;
        // The port line lets a script that asked for port 0 find the port.
        let address = listener.local_addr()?;
        eprintln!("rnc: scheduler listening on {address}");
        tokio::select! {
            served = run_scheduler(listener, &settings) => served?,
            _ = tokio::signal::ctrl_c() => {
                eprintln!("rnc: scheduler on {address} stopped by Ctrl-C");
            }
        }
        Ok(Outcome::Clean)
    })
}

/// Runs `rnc executor` until Ctrl-C or until the scheduler stops it.
pub fn executor(args: &ExecutorArgs) -> anyhow::Result<Outcome> {
    let (scheduler_host, scheduler_port) = args
        .scheduler
        .rsplit_once(':')
        .and_then(|(host, port)| Some((host, port.parse::<u16>().ok()?)))
        .with_context(|| {
            format!(
                "invalid --scheduler {:?}: expected HOST:PORT, e.g. 127.0.0.1:50050",
                args.scheduler
            )
        })?;
    let settings = ExecutorSettings {
        bind_host: args.bind_host.clone(),
        external_host: args
            .external_host
            .clone()
            .unwrap_or_else(|| args.bind_host.clone()),
        flight_port: args.flight_port,
        grpc_port: args.grpc_port,
        scheduler_host: scheduler_host.to_string(),
        scheduler_port,
        concurrent_tasks: args.concurrent_tasks,
        memory_limit: args.memory_limit,
        work_dir: args.work_dir.clone(),
    };
    eprintln!(
        "rnc: executor on {}:{} (flight) and {}:{} (grpc), scheduler {}",
        args.bind_host,
        args.flight_port,
        args.bind_host,
        args.grpc_port,
        args.scheduler
    );
    runtime()?.block_on(run_executor(&settings))?;
    eprintln!("rnc: executor stopped");
    Ok(Outcome::Clean)
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the Tokio runtime")
}
