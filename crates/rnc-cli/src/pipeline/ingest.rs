//! Ingestion: one batch per file.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use rnc_model::tables::{source_record_schema, source_records_to_batch};
use rnc_model::{NirStatus, SourceKind};
use rnc_pseudonym::{Key, Pseudonymiser};
use rnc_store::parquet_io::file_sha256;
use rnc_store::population::read_population_csv;
use rnc_store::{BatchEntry, BatchStart, Registry};

use crate::progress;

/// The outcome of ingesting one file.
#[derive(Debug, Clone)]
pub struct FileReport {
    /// The file as given.
    pub file: PathBuf,
    /// The batch it became, or `None` when it was skipped as a duplicate.
    pub batch_id: Option<String>,
    /// Data rows read.
    pub rows_read: u64,
    /// Rows accepted.
    pub rows_accepted: u64,
    /// Rows quarantined.
    pub rows_quarantined: u64,
    /// The earlier batch with the same content, when skipped.
    pub duplicate_of: Option<String>,
    /// The first quarantined rows, described by file, line, field and rule.
    pub problems: Vec<String>,
    /// Accepted rows whose NIR is present but invalid (bad layout or key):
    /// they are kept, but their NIR carries no linkage evidence.
    pub invalid_nirs: u64,
}

/// Quarantined rows listed on stdout per file; the rest are in the
/// batch's quarantine table.
const PROBLEMS_SHOWN: usize = 10;

/// Validates, pseudonymises and stages each file as its own batch,
/// streaming its rows to the batch's Parquet files in chunks so that
/// memory does not grow with the file. A batch enters the catalogue only
/// once all its rows are written and flushed to disk.
///
/// A file whose bytes were already ingested is skipped unless
/// `allow_duplicate` is set, because loading it twice would double its
/// records.
pub fn ingest_files(
    registry: &Registry,
    key: &Key,
    kind: SourceKind,
    files: &[PathBuf],
    allow_duplicate: bool,
) -> anyhow::Result<Vec<FileReport>> {
    let pseudonymiser = Pseudonymiser::new(key);
    let mut reports = Vec::new();
    for file in files {
        reports.push(ingest_one(
            registry,
            key,
            &pseudonymiser,
            kind,
            file,
            allow_duplicate,
        )?);
    }
    Ok(reports)
}

fn ingest_one(
    registry: &Registry,
    key: &Key,
    pseudonymiser: &Pseudonymiser,
    kind: SourceKind,
    file: &Path,
    allow_duplicate: bool,
) -> anyhow::Result<FileReport> {
    let started = Instant::now();
    let sha256 = file_sha256(file)?;
    let start = registry.begin_batch(
        &sha256,
        allow_duplicate,
        source_record_schema(),
        rnc_ingest::quarantine_schema(),
    )?;
    let mut writer = match start {
        BatchStart::New(writer) => writer,
        BatchStart::Duplicate(earlier) => {
            tracing::info!(file = %file.display(), batch = %earlier.batch_id, "file already ingested; skipped");
            return Ok(FileReport {
                file: file.to_path_buf(),
                batch_id: None,
                rows_read: 0,
                rows_accepted: 0,
                rows_quarantined: 0,
                duplicate_of: Some(earlier.batch_id),
                problems: Vec::new(),
                invalid_nirs: 0,
            });
        }
    };
    let batch_id = writer.batch_id().to_string();

    let size = std::fs::metadata(file).map_or(0, |m| m.len());
    let bar = progress::bytes("ingest", size);
    bar.set_message(file.display().to_string());
    let mut problems = Vec::new();
    let mut invalid_nirs = 0;
    let summary = rnc_ingest::ingest_file_chunked(
        kind,
        file,
        pseudonymiser,
        &batch_id,
        |chunk| -> anyhow::Result<()> {
            let room = PROBLEMS_SHOWN.saturating_sub(problems.len());
            problems.extend(
                chunk
                    .quarantine
                    .iter()
                    .take(room)
                    .map(|row| format!("{} [rule {}]", row.message, row.rule)),
            );
            invalid_nirs += chunk
                .records
                .iter()
                .filter(|r| r.nir_status == Some(NirStatus::Invalid))
                .count() as u64;
            writer.write_records(&source_records_to_batch(&chunk.records)?)?;
            if !chunk.quarantine.is_empty() {
                let rows = rnc_ingest::quarantine_to_batch(&chunk.quarantine)?;
                writer.write_quarantine(&rows)?;
            }
            bar.set_position(chunk.offset);
            Ok(())
        },
    )
    .with_context(|| format!("ingesting {}", file.display()))?;
    bar.finish_and_clear();

    let entry = BatchEntry {
        batch_id: batch_id.clone(),
        source_kind: kind.name().to_string(),
        source_file: summary.source_file.clone(),
        input_sha256: sha256,
        rows_read: summary.rows_read,
        rows_accepted: summary.rows_accepted,
        rows_quarantined: summary.rows_quarantined,
        key_fingerprint: key.fingerprint(),
        ingested_at: chrono::Utc::now()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        files: Vec::new(),
    };
    writer.commit(entry)?;
    tracing::info!(
        file = %file.display(),
        batch = %batch_id,
        read = summary.rows_read,
        accepted = summary.rows_accepted,
        quarantined = summary.rows_quarantined,
        seconds = started.elapsed().as_secs_f64(),
        "file ingested"
    );
    Ok(FileReport {
        file: file.to_path_buf(),
        batch_id: Some(batch_id),
        rows_read: summary.rows_read,
        rows_accepted: summary.rows_accepted,
        rows_quarantined: summary.rows_quarantined,
        duplicate_of: None,
        problems,
        invalid_nirs,
    })
}

/// Reads a population CSV and stores it as the registry's denominators.
/// Returns the number of rows.
pub fn load_population(registry: &Registry, csv: &Path) -> anyhow::Result<u64> {
    let batch = read_population_csv(csv)?;
    let origin = csv.file_name().map_or_else(
        || csv.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    registry.set_population(&batch, &origin)?;
    Ok(batch.num_rows() as u64)
}
