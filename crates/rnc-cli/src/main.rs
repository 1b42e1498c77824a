//! `rnc`: the command-line entry point of the national cancer registry
//! engine. Thin glue: it parses arguments, sets up logging and progress
//! display, and calls the library crates through [`pipeline`].

mod cli;
#[cfg(feature = "ballista")]
mod cluster;
mod commands;
mod confirm;
mod dedupe;
mod evaluate;
mod export;
mod pathway;
mod pipeline;
mod progress;
mod pseudonymise;
mod review;
mod rotate;
mod run;
mod service;
mod stages;
mod stats_cohort;
mod stats_file;
mod survival;
mod synth;
mod threshold;

use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};

use clap::Parser;

use crate::cli::Cli;

/// mimalloc rather than the system allocator: ingestion and linkage make
/// and drop millions of small strings, and glibc's allocator returned
/// freed memory to the system after each chunk only to fault it in again
/// for the next (see `crates/rnc-ingest/benches/BENCHMARKS.md`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Exit code when the run completed and nothing was rejected or flagged.
const EXIT_CLEAN: u8 = 0;
/// Exit code when the run completed but records were quarantined or
/// flagged.
const EXIT_FLAGGED: u8 = 1;
/// Exit code when the run could not complete.
const EXIT_FAILED: u8 = 2;

/// mimalloc's option `mi_option_purge_delay`, by its number in the C
/// library that libmimalloc-sys 0.1.49 builds (mimalloc 3,
/// `include/mimalloc.h`), for which the crate names no constant. Both
/// crates are pinned in the workspace's `Cargo.toml` for that reason.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// mimalloc's default purge delay in milliseconds: 1 000 in mimalloc 3's
/// `src/options.c`, although its header's comment gives 10. Reading it
/// back before changing the option checks the option number above.
const MI_DEFAULT_PURGE_DELAY_MS: std::ffi::c_long = 1_000;

/// The purge delay rnc sets: -1, freed memory stays with the process until
/// it ends. Ingestion frees the rows of a chunk and allocates the next
/// chunk's about a second later. With the default 1 000 ms, the memory
/// went back to the system and was faulted in again for each chunk. On a
/// million rows that made 234 000 page faults instead of 12 000, a sixth
/// of the CPU time of `rnc ingest`. The cost is that the
/// resident memory of a run stays at its peak until it ends, so the
/// processes that run until stopped keep mimalloc's default, and `rnc run`
/// returns memory between stages ([`return_freed_memory`]).
const PURGE_DELAY_NEVER: std::ffi::c_long = -1;

/// Whether `main` set the purge delay to [`PURGE_DELAY_NEVER`], so that
/// [`return_freed_memory`] leaves a delay set by MIMALLOC_PURGE_DELAY alone.
static PURGE_DELAY_SET: AtomicBool = AtomicBool::new(false);

/// The purge delay after the first stage of `rnc run`, in milliseconds.
/// Memory that a stage frees and allocates again within it stays resident,
/// as in ingestion. [`return_freed_memory`] returns the rest when the stage
/// ends, whatever the delay.
const PURGE_DELAY_BETWEEN_STAGES_MS: std::ffi::c_long = 10_000;

/// Sets mimalloc's purge delay to [`PURGE_DELAY_BETWEEN_STAGES_MS`] and
/// returns to the system the memory freed since it was set, unless the
/// environment set the delay. `rnc run` calls it when each stage ends, so
/// that a stage does not start with the memory of the one before it.
/// Memory freed while the delay was [`PURGE_DELAY_NEVER`] stays with the
/// process, but later stages reuse it. mimalloc 3, as libmimalloc-sys
/// 0.1.49 builds it, schedules a purge only when memory is freed with a
/// delay of 0 or more (`src/arena.c`).
pub(crate) fn return_freed_memory() {
    if !PURGE_DELAY_SET.load(Ordering::Relaxed) {
        return;
    }
    // SAFETY: as in `main`, setting a mimalloc option takes no pointer.
    // mi_collect walks this thread's own heap and the shared arenas, which
    // mimalloc locks itself.
    unsafe {
        libmimalloc_sys::mi_option_set(
            MI_OPTION_PURGE_DELAY,
            PURGE_DELAY_BETWEEN_STAGES_MS,
        );
        libmimalloc_sys::mi_collect(true);
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if !runs_until_stopped(&cli) {
        // SAFETY: reading and setting a mimalloc option takes no pointer
        // and may be done at any time. The option is checked to be the
        // purge delay by its default value first. It is left alone
        // otherwise, as when the environment variable MIMALLOC_PURGE_DELAY
        // sets it.
        unsafe {
            if libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY)
                == MI_DEFAULT_PURGE_DELAY_MS
            {
                libmimalloc_sys::mi_option_set(
                    MI_OPTION_PURGE_DELAY,
                    PURGE_DELAY_NEVER,
                );
                PURGE_DELAY_SET.store(true, Ordering::Relaxed);
            }
        }
    }
    if !talks_over_network(&cli) {
        // A closed pipe (`rnc … | head`) ends the process quietly, as for
        // other command-line tools, instead of making `println!` panic.
        // SAFETY: argument parsing starts no thread, so no thread exists
        // yet; SIG_DFL is a valid disposition for SIGPIPE.
        unsafe {
            libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        }
    }
    init_logging(&cli.global.log_level);
    match commands::run(cli) {
        Ok(commands::Outcome::Clean) => ExitCode::from(EXIT_CLEAN),
        Ok(commands::Outcome::Flagged) => ExitCode::from(EXIT_FLAGGED),
        Err(error) => {
            if is_broken_pipe(&error) {
                return ExitCode::from(EXIT_CLEAN);
            }
            eprintln!("rnc: {}", chain(&error));
            ExitCode::from(EXIT_FAILED)
        }
    }
}

/// Tells whether the command reads or writes sockets: the service, the
/// Ballista processes and any command sent to a Ballista scheduler. They
/// keep Rust's default of ignoring SIGPIPE, because a peer that closes a
/// connection would otherwise kill the process on its next write (an
/// executor died so when the scheduler closed its connectivity check).
fn talks_over_network(cli: &Cli) -> bool {
    runs_until_stopped(cli)
        || !matches!(cli.global.engine, rnc_engine::EngineKind::Local)
}

/// Tells whether the command runs until it is stopped: the service and
/// the Ballista processes.
fn runs_until_stopped(cli: &Cli) -> bool {
    use crate::cli::Command;
    #[cfg(feature = "ballista")]
    if matches!(cli.command, Command::Scheduler(_) | Command::Executor(_)) {
        return true;
    }
    matches!(cli.command, Command::Serve(_))
}

/// Installs the stderr subscriber: `--log-level`, else `RUST_LOG`, else
/// `warn`.
fn init_logging(level: &Option<String>) {
    use tracing_subscriber::EnvFilter;
    let filter = match level {
        Some(level) => EnvFilter::new(level),
        None => EnvFilter::try_from_default_env()
            .unwrap_or_else(|_| EnvFilter::new("warn")),
    };
    use std::io::IsTerminal;
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(progress::LogWriter::default)
        .with_target(false)
        .init();
}

/// Joins the error and its causes, outermost first, with `: `.
fn chain(error: &anyhow::Error) -> String {
    // Some library errors repeat their source in their own message; a cause
    // already shown in full is not printed again.
    let mut parts: Vec<String> = Vec::new();
    for cause in error.chain() {
        let text = cause.to_string();
        if !parts.iter().any(|shown| shown.contains(&text)) {
            parts.push(text);
        }
    }
    parts.join(": ")
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
