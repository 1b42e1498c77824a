//! `rnc serve`, `rnc audit`, `rnc token` and `rnc project`: thin glue
//! over `rnc_service`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use rnc_service::{AccessStore, AppState, Role, ServiceConfig, ServiceKey};

use crate::commands::Outcome;

/// Arguments of `rnc serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address and port to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// Release to serve (default: the latest).
    #[arg(long)]
    pub release: Option<String>,
    /// Service key file (default: `<registry>.service.key` beside the
    /// registry, created with mode 0600). It signs the audit head and
    /// re-keys research extracts; keep it outside the registry.
    #[arg(long)]
    pub service_key: Option<PathBuf>,
    /// Signed head of the audit log (default:
    /// `<registry>.audit-head.json` beside the registry).
    #[arg(long)]
    pub audit_head: Option<PathBuf>,
    /// Published counts from 1 to this value - 1 are suppressed, with
    /// secondary suppression across every table. At least 2: to publish
    /// every count, give --no-small-cell-suppression. A value below the
    /// default prints a warning.
    #[arg(long, default_value_t = rnc_stats::DEFAULT_SMALL_CELL_THRESHOLD)]
    pub small_cell_threshold: u64,
    /// Publish every count, small ones included: sets the small-cell
    /// threshold to 0 and prints a warning. For outputs that stay inside
    /// the registry.
    #[arg(long, conflicts_with = "small_cell_threshold")]
    pub no_small_cell_suppression: bool,
    /// Requests per second allowed to one token, or to one IP address
    /// without a token.
    #[arg(long, default_value_t = 50)]
    pub rate_limit: u32,
    /// Requests allowed in a burst above --rate-limit.
    #[arg(long, default_value_t = 100)]
    pub rate_burst: u32,
    /// Largest request body, in bytes.
    #[arg(long, default_value_t = 64 * 1024)]
    pub body_limit: usize,
    /// Seconds after which a request fails with 408 Request Timeout.
    #[arg(long, default_value_t = 10)]
    pub timeout: u64,
}

/// Arguments of `rnc audit`.
#[derive(Debug, Args)]
pub struct AuditArgs {
    #[command(subcommand)]
    pub command: AuditCommand,
}

/// `rnc audit` subcommands.
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check the audit log's hash chain and signed head.
    Verify {
        /// Service key file (default: `<registry>.service.key`).
        #[arg(long)]
        service_key: Option<PathBuf>,
        /// Signed head (default: `<registry>.audit-head.json`).
        #[arg(long)]
        audit_head: Option<PathBuf>,
        /// A hash recorded earlier, as SEQ:HASH, that must still be in
        /// the log; repeat for several.
        #[arg(long)]
        anchor: Vec<String>,
    },
}

/// Arguments of `rnc token`.
#[derive(Debug, Args)]
pub struct TokenArgs {
    #[command(subcommand)]
    pub command: TokenCommand,
}

/// `rnc token` subcommands.
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Issue a bearer token and print it once; only its SHA-256 is kept.
    Create {
        /// Holder: a team or service name, never a patient identifier.
        #[arg(long)]
        name: String,
        /// Role: public, analyst, researcher or administrator.
        #[arg(long)]
        role: String,
        /// Approved project of a researcher token.
        #[arg(long)]
        project: Option<String>,
    },
    /// List issued tokens (ids, holders, roles; never the tokens).
    List,
    /// Revoke a token by id.
    Revoke {
        /// Token id, such as T0003.
        id: String,
    },
}

/// Arguments of `rnc project`.
#[derive(Debug, Args)]
pub struct ProjectArgs {
    #[command(subcommand)]
    pub command: ProjectCommand,
}

/// `rnc project` subcommands.
#[derive(Debug, Subcommand)]
pub enum ProjectCommand {
    /// Record an approved research project.
    Add {
        /// Project id: 1 to 32 letters, digits or '-'.
        #[arg(long)]
        id: String,
        /// Title of the approved protocol.
        #[arg(long)]
        title: String,
        /// Smallest number of persons per combination of
        /// quasi-identifiers in the extract.
        #[arg(long, default_value_t = 5)]
        k: u32,
    },
    /// List approved projects.
    List,
}

/// Runs `rnc serve` until Ctrl-C or SIGTERM.
pub fn serve(registry: &Path, args: &ServeArgs) -> anyhow::Result<Outcome> {
    let mut config = ServiceConfig::new(registry);
    config.release = args.release.clone();
    if let Some(path) = &args.service_key {
        config.service_key = path.clone();
    }
    if let Some(path) = &args.audit_head {
        config.audit_head = path.clone();
    }
    config.small_cell_threshold = args.small_cell_threshold;
    config.rate_per_second = args.rate_limit;
    config.rate_burst = args.rate_burst;
    config.body_limit = args.body_limit;
    config.request_timeout = Duration::from_secs(args.timeout);
    check_outside(registry, &config.service_key, "--service-key")?;
    check_outside(registry, &config.audit_head, "--audit-head")?;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(&args.listen)
            .await
            .with_context(|| format!("listening on {}", args.listen))?;
        let address = listener.local_addr()?;
        let state = Arc::new(
            tokio::task::spawn_blocking(move || AppState::open(config))
                .await
                .context("starting the service")??,
        );
        eprintln!(
            "rnc: serving release {} on http://{address} (dashboard at /, API description at /openapi.json); Ctrl-C stops",
            state.published.facts.release.release_id
        );
        let started = std::time::Instant::now();
        rnc_service::serve(state.clone(), listener, shutdown_signal()).await?;
        println!(
            "serve: {} requests recorded in the audit log in {:.1} s",
            state.audit.entries(),
            started.elapsed().as_secs_f64()
        );
        Ok(Outcome::Clean)
    })
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate = tokio::signal::unix::signal(
            tokio::signal::unix::SignalKind::terminate(),
        )
        .expect("SIGTERM can be handled");
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
}

/// Rejects a secret path inside the registry, which an analyst with read
/// access to the registry could then read.
fn check_outside(
    registry: &Path,
    path: &Path,
    flag: &str,
) -> anyhow::Result<()> {
    let registry = registry
        .canonicalize()
        .unwrap_or_else(|_| registry.to_path_buf());
    let parent = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let parent = parent
        .canonicalize()
        .unwrap_or_else(|_| parent.to_path_buf());
    if parent.starts_with(&registry) {
        bail!(
            "{flag} {} is inside the registry; keep it outside, where readers of the registry cannot reach it",
            path.display()
        );
    }
    Ok(())
}

/// Runs `rnc audit verify`. Exit code 0 when the chain and head are
/// intact, 1 when entries follow the signed head (not yet covered by it),
/// 2 when anything was altered, removed or reordered.
pub fn audit(registry: &Path, args: &AuditArgs) -> anyhow::Result<Outcome> {
    let AuditCommand::Verify {
        service_key,
        audit_head,
        anchor,
    } = &args.command;
    let key_path = service_key
        .clone()
        .unwrap_or_else(|| rnc_service::sibling(registry, "service.key"));
    let head_path = audit_head
        .clone()
        .unwrap_or_else(|| rnc_service::sibling(registry, "audit-head.json"));
    if !key_path.exists() {
        bail!(
            "service key {} not found: give --service-key, the key the service ran with",
            key_path.display()
        );
    }
    let key = ServiceKey::load_or_create(&key_path)?;
    let mut anchors = Vec::new();
    for text in anchor {
        let (seq, hash) = text
            .split_once(':')
            .and_then(|(s, h)| s.parse::<u64>().ok().map(|s| (s, h.to_owned())))
            .with_context(|| "--anchor must be SEQ:HASH, as printed by an earlier `rnc audit verify`".to_string())?;
        anchors.push((seq, hash));
    }
    let log = rnc_service::audit_log_path(registry);
    let report = rnc_service::verify_audit_log(
        &log,
        Some((&head_path, &key)),
        &anchors,
    )?;
    for problem in &report.problems {
        println!("problem: {problem}");
    }
    println!(
        "audit: {} entries, last {} with hash {}; signed head at entry {}, {} entries after it",
        report.entries,
        report.last_seq,
        report.last_hash,
        report
            .head_seq
            .map_or_else(|| "none".to_owned(), |s| s.to_string()),
        report.unanchored
    );
    if !report.problems.is_empty() {
        bail!(
            "audit log {} failed verification ({} problems): keep the files as evidence",
            log.display(),
            report.problems.len()
        );
    }
    println!(
        "record `{}:{}` elsewhere to check it later with --anchor",
        report.last_seq, report.last_hash
    );
    Ok(if report.unanchored > 0 {
        Outcome::Flagged
    } else {
        Outcome::Clean
    })
}

/// Runs `rnc token`.
pub fn token(registry: &Path, args: &TokenArgs) -> anyhow::Result<Outcome> {
    let store = AccessStore::new(registry);
    match &args.command {
        TokenCommand::Create {
            name,
            role,
            project,
        } => {
            let role: Role = role.parse()?;
            let (entry, token) =
                store.create_token(name, role, project.as_deref())?;
            println!("{token}");
            eprintln!(
                "token: {} issued to {} as {}; it is shown only now, keep it secret",
                entry.id,
                entry.name,
                entry.role.name()
            );
        }
        TokenCommand::List => {
            let access = store.read()?;
            for t in &access.tokens {
                println!(
                    "{}  {:<13} {:<10} {:<24} created {}{}",
                    t.id,
                    t.role.name(),
                    t.project.as_deref().unwrap_or("-"),
                    t.name,
                    t.created_at,
                    t.revoked_at
                        .as_deref()
                        .map_or_else(String::new, |r| format!(", revoked {r}"))
                );
            }
            eprintln!("token: {} issued", access.tokens.len());
        }
        TokenCommand::Revoke { id } => {
            let entry = store.revoke_token(id)?;
            println!("token: {} revoked", entry.id);
        }
    }
    Ok(Outcome::Clean)
}

/// Runs `rnc project`.
pub fn project(registry: &Path, args: &ProjectArgs) -> anyhow::Result<Outcome> {
    let store = AccessStore::new(registry);
    match &args.command {
        ProjectCommand::Add { id, title, k } => {
            let project = store.add_project(id, title, *k)?;
            println!("project: {} approved with k = {}", project.id, project.k);
        }
        ProjectCommand::List => {
            let access = store.read()?;
            for p in access.projects.values() {
                println!(
                    "{}  k={}  {}  approved {}",
                    p.id, p.k, p.title, p.approved_at
                );
            }
            eprintln!("project: {} approved", access.projects.len());
        }
    }
    Ok(Outcome::Clean)
}
