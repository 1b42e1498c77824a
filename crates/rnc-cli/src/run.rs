//! `rnc run`: every stage on a folder of feeds, with a timing table; the
//! same stages serve `rnc demo`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, bail};
use rnc_engine::Engine;
use rnc_model::SourceKind;
use rnc_store::{Registry, ReleaseEntry};

use crate::cli::RunArgs;
use crate::commands::{
    Outcome, print_consolidate, print_ingest, print_link, provider_key_path,
    remove_orphans,
};
use crate::pipeline::{self, ConsolidateReport, LinkReport};
use crate::stages::{StageEnd, StageTable};

/// Outputs of the stages of one run.
pub struct PipelineOutcome {
    /// The registry built.
    pub registry: Registry,
    /// Source rows read and quarantined.
    pub rows_read: u64,
    /// Source rows quarantined.
    pub rows_quarantined: u64,
    /// The linkage stage's report.
    pub link: LinkReport,
    /// The consolidation stage's report.
    pub consolidation: ConsolidateReport,
    /// The release made.
    pub release: ReleaseEntry,
    /// The HTML report.
    pub report_path: PathBuf,
}

/// Runs `rnc run`, with the key file `key` when given.
pub fn run(
    args: &RunArgs,
    key: Option<&Path>,
    engine: &Engine,
) -> anyhow::Result<Outcome> {
    let started = Instant::now();
    let mut table = StageTable::default();
    let outcome = run_stages(&args.feeds, &args.out, key, engine, &mut table)?;
    println!();
    print!("{}", table.format());
    let flagged = outcome.rows_quarantined > 0
        || !outcome.consolidation.checks.is_empty();
    println!(
        "run: {} source rows ({} quarantined), {} persons, {} tumours, release {} on engine {} in {:.1} s",
        outcome.rows_read,
        outcome.rows_quarantined,
        outcome.link.summary.persons,
        outcome.consolidation.tumours,
        outcome.release.release_id,
        engine.kind(),
        started.elapsed().as_secs_f64()
    );
    Ok(if flagged {
        Outcome::Flagged
    } else {
        Outcome::Clean
    })
}

/// Runs ingest, link, consolidate, release, stats and report on the feeds
/// in `feeds` (as `rnc synth` writes them), into a new registry under
/// `out`, recording each stage in `table`. Pseudonymises with the key file
/// `key`, or `out/rnc.key` when none is given; either is created if
/// missing.
///
/// # Errors
///
/// When `out/registry` exists already, or when a stage fails.
pub fn run_stages(
    feeds: &Path,
    out: &Path,
    key: Option<&Path>,
    engine: &Engine,
    table: &mut StageTable,
) -> anyhow::Result<PipelineOutcome> {
    let registry_dir = out.join("registry");
    let key_path = key.map_or_else(|| out.join("rnc.key"), Path::to_path_buf);
    if registry_dir.exists() {
        bail!(
            "{} already exists: choose another --out or delete the folder, because a run builds a fresh registry",
            registry_dir.display()
        );
    }
    let registry = Registry::open_or_create(&registry_dir)?;
    remove_orphans(&registry)?;

    let (rows_read, rows_quarantined) = table.run("ingest", || {
        let counts = ingest_feeds(&registry, feeds, &registry_dir, &key_path)?;
        let detail = format!("source rows read, {} quarantined", counts.1);
        Ok((
            counts,
            StageEnd {
                rows: counts.0,
                detail,
            },
        ))
    })?;

    let lock = registry.lock()?;
    let link = table.run("link", || {
        let link = pipeline::link(
            &registry,
            &rnc_link::LinkConfig::default(),
            &pipeline::LinkRun {
                engine: pipeline::pair_engine(engine),
                ..pipeline::LinkRun::default()
            },
        )?;
        print_link(&link);
        let end = StageEnd {
            rows: link.summary.candidate_pairs as u64,
            detail: format!(
                "candidate pairs; {} records, {} persons",
                link.summary.records, link.summary.persons
            ),
        };
        Ok((link, end))
    })?;

    let consolidation =
        table.run_keeping_freed_memory("consolidate", || {
            let report = pipeline::consolidate(&registry)?;
            print_consolidate(&report);
            let end = StageEnd {
                rows: report.tumours,
                detail: format!("tumours of {} persons", report.persons),
            };
            Ok((report, end))
        })?;
    drop(lock);

    let release = table.run_keeping_freed_memory("release", || {
        let release = pipeline::release(&registry)?;
        let rows = release.tables.iter().map(|t| t.rows).sum();
        let detail = format!(
            "rows in {} tables of release {}",
            release.tables.len(),
            release.release_id
        );
        Ok((release, StageEnd { rows, detail }))
    })?;

    let stats = table.run_keeping_freed_memory("stats", || {
        let stats = pipeline::compute_stats(
            engine,
            &registry,
            Some(&release.release_id),
            None,
            Some(&out.join("stats")),
            rnc_stats::DEFAULT_SMALL_CELL_THRESHOLD,
        )?;
        let end = StageEnd {
            rows: stats.rows.len() as u64,
            detail: format!("incidence rows, engine {}", engine.kind()),
        };
        Ok((stats, end))
    })?;

    let report_path = table.run("report", || {
        let path = pipeline::write_report(
            &registry,
            &stats,
            Some(&out.join("report")),
        )?;
        let bytes = std::fs::metadata(&path)
            .with_context(|| format!("reading {}", path.display()))?
            .len();
        let detail = format!("bytes, {}", path.display());
        Ok((
            path,
            StageEnd {
                rows: bytes,
                detail,
            },
        ))
    })?;

    Ok(PipelineOutcome {
        registry,
        rows_read,
        rows_quarantined,
        link,
        consolidation,
        release,
        report_path,
    })
}

/// Ingests the population and every feed file in `feeds`, and returns the
/// rows read and quarantined.
fn ingest_feeds(
    registry: &Registry,
    feeds: &Path,
    registry_dir: &Path,
    key_path: &Path,
) -> anyhow::Result<(u64, u64)> {
    pipeline::load_population(registry, &feeds.join("population.csv"))?;
    let key = pipeline::load_key(registry_dir, key_path)?;
    let provider_key = pipeline::load_provider_key(
        registry_dir,
        &provider_key_path(key_path),
        false,
    )?;
    let mut reports = Vec::new();
    let kinds = rnc_synth::Feed::ALL.iter().filter_map(|f| f.source_kind());
    for kind in kinds {
        let mut files = feed_files(feeds, kind)?;
        if kind == SourceKind::PathologyReport {
            files.extend(fhir_deliveries(feeds)?);
        }
        // The hospital discharge feed comes in Windows-1252, which a file
        // cannot show by itself, so it is declared as a user would.
        let read = rnc_ingest::ReadOptions {
            encoding: (kind == SourceKind::HospitalStay)
                .then_some(rnc_ingest::TextEncoding::Windows1252),
            delimiter: None,
        };
        reports.extend(pipeline::ingest_files(
            registry,
            (&key, &provider_key),
            kind,
            None,
            &files,
            false,
            &read,
        )?);
    }
    print_ingest(&reports);
    let read = reports.iter().map(|r| r.rows_read).sum();
    let quarantined = reports.iter().map(|r| r.rows_quarantined).sum();
    Ok((read, quarantined))
}

/// Lists the CSV files of one feed that `rnc synth` wrote in `feeds`:
/// `KIND.csv`, or one `KIND_YEAR.csv` per period, in name order.
fn feed_files(feeds: &Path, kind: SourceKind) -> anyhow::Result<Vec<PathBuf>> {
    let single = format!("{}.csv", kind.name());
    let period_prefix = format!("{}_", kind.name());
    files_named(feeds, |name| {
        let year = name
            .strip_prefix(&period_prefix)
            .and_then(|rest| rest.strip_suffix(".csv"));
        name == single
            || year.is_some_and(|y| y.bytes().all(|b| b.is_ascii_digit()))
    })
}

/// Lists the FHIR pathology deliveries that `rnc synth` wrote in `feeds`,
/// in name order.
fn fhir_deliveries(feeds: &Path) -> anyhow::Result<Vec<PathBuf>> {
    files_named(feeds, |name| {
        name.starts_with(rnc_synth::fhir::DELIVERY_PREFIX)
            && name.ends_with(".json")
    })
}

/// Lists the files of `folder` whose name passes `keep`, in name order.
fn files_named(
    folder: &Path,
    keep: impl Fn(&str) -> bool,
) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let entries = std::fs::read_dir(folder)
        .with_context(|| format!("listing {}", folder.display()))?;
    for entry in entries {
        let path = entry?.path();
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        if keep(&name) {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}
