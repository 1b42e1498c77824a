//! Ingestion: one batch per file.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, bail};
use rnc_ingest::{Mapping, ReadOptions};
use rnc_model::tables::{source_record_schema, source_records_to_batch};
use rnc_model::{NirStatus, SourceKind};
use rnc_pseudonym::{BLOOM_CONSTRUCTION, Key, Pseudonymiser, RegistryLayer};
use rnc_store::population::read_population_csv;
use rnc_store::{BatchCommit, BatchEntry, Registry};

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
    /// Accepted rows whose event date the source marked wholly unknown
    /// (`99999999`): they are kept without an event date.
    pub unknown_event_dates: u64,
}

/// Quarantined rows listed on stdout per file; the rest are in the
/// batch's quarantine table.
const PROBLEMS_SHOWN: usize = 10;

/// Validates, pseudonymises and stages each file as its own batch, read
/// with `mapping` when one is given. Rows are streamed to the batch's
/// Parquet files in chunks, so that memory does not grow with the file,
/// and a batch enters the catalogue only once all its rows are written
/// and flushed to disk.
///
/// `keys` are the registry key and the [`ProviderKey`] that clear files
/// are pseudonymised with before the registry key seals them. A file
/// whose bytes were
/// already ingested is skipped unless `allow_duplicate` is set, because
/// loading it twice would double its records. A file is rejected before
/// it is staged when its records would carry other pseudonym layers than
/// the registry's earlier batches, because they would then never match.
/// `read` declares the encoding or delimiter of CSV text.
pub fn ingest_files(
    registry: &Registry,
    keys: (&Key, &ProviderKey),
    kind: SourceKind,
    mapping: Option<&Mapping>,
    files: &[PathBuf],
    allow_duplicate: bool,
    read: &ReadOptions,
) -> anyhow::Result<Vec<FileReport>> {
    let (key, provider_key) = keys;
    let layer = RegistryLayer::new(key);
    let provider = provider_key.key.as_ref().map(Pseudonymiser::new);
    let keys = rnc_ingest::IngestKeys {
        registry: &layer,
        provider: provider.as_ref(),
    };
    let mut reports = Vec::new();
    for file in files {
        let form = FileForm {
            kind,
            mapping,
            read,
        };
        reports.push(ingest_one(
            registry,
            key,
            (keys, provider_key.given),
            &form,
            file,
            allow_duplicate,
        )?);
    }
    Ok(reports)
}

/// The provider key of one `rnc ingest` call, as [`super::load_provider_key`]
/// found it.
pub struct ProviderKey {
    /// The key, `None` when the registry holds none: clear files are then
    /// rejected, and pre-pseudonymised files need none.
    pub key: Option<Key>,
    /// Whether `--provider-key` named it, so that a pre-pseudonymised
    /// file must have been made with it.
    pub given: bool,
}

/// Reading settings of the files of one `rnc ingest` call: their kind, the
/// user's mapping and the declared encoding or delimiter.
struct FileForm<'a> {
    kind: SourceKind,
    mapping: Option<&'a Mapping>,
    read: &'a ReadOptions,
}

fn ingest_one(
    registry: &Registry,
    key: &Key,
    (keys, provider_given): (rnc_ingest::IngestKeys<'_>, bool),
    form: &FileForm<'_>,
    file: &Path,
    allow_duplicate: bool,
) -> anyhow::Result<FileReport> {
    let FileForm {
        kind,
        mapping,
        read,
    } = *form;
    let started = Instant::now();
    check_bloom_construction(registry)?;
    // The file's SHA-256 is computed while it is read, so a file already
    // ingested is found only after reading it; its batch is then dropped
    // unregistered. The writer holds the registry's lock throughout.
    let mut writer = registry
        .begin_batch(source_record_schema(), rnc_ingest::quarantine_schema())?;
    let batch_id = writer.batch_id().to_string();

    let bar = progress::spinner("ingest");
    bar.set_message(file.display().to_string());
    let mut problems = Vec::new();
    let mut invalid_nirs = 0;
    let mut unknown_event_dates = 0;
    let summary = rnc_ingest::ingest_file_chunked(
        kind,
        file,
        mapping,
        read,
        keys,
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
            unknown_event_dates += chunk
                .records
                .iter()
                .filter(|r| r.event_date.is_none())
                .count() as u64;
            writer.write_records(&source_records_to_batch(&chunk.records)?)?;
            if !chunk.quarantine.is_empty() {
                let rows = rnc_ingest::quarantine_to_batch(&chunk.quarantine)?;
                writer.write_quarantine(&rows)?;
            }
            bar.set_message(format!(
                "{}: {} rows",
                file.display(),
                chunk.rows_read
            ));
            Ok(())
        },
    )
    .with_context(|| format!("ingesting {}", file.display()))?;
    bar.finish_and_clear();
    let sha256 = summary.input_sha256.clone();
    if !allow_duplicate
        && let Some(earlier) = registry.batch_with_input(&sha256)?
    {
        return Ok(skipped(file, &earlier));
    }
    // A batch whose pseudonym layers differ is dropped unregistered: the
    // writer removes its files.
    let given = keys
        .provider
        .filter(|_| provider_given)
        .map(Pseudonymiser::key_fingerprint);
    check_layers(registry, file, given, &summary.provider_key)?;
    let accepted = summary.rows_accepted;
    let quarantined = summary.rows_quarantined;
    anyhow::ensure!(
        summary.rows_read == accepted + quarantined,
        "internal error: {} rows read but {accepted} accepted and {quarantined} quarantined; please report this bug",
        summary.rows_read
    );

    let entry = BatchEntry {
        batch_id: batch_id.clone(),
        source_kind: kind.name().to_string(),
        source_file: summary.source_file.clone(),
        input_sha256: sha256,
        rows_read: summary.rows_read,
        rows_accepted: accepted,
        rows_quarantined: quarantined,
        key_fingerprint: key.fingerprint(),
        provider_key_fingerprint: Some(summary.provider_key.clone()),
        bloom_construction: Some(BLOOM_CONSTRUCTION.to_string()),
        ingested_at: chrono::Utc::now()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        files: Vec::new(),
    };
    if let BatchCommit::Duplicate(earlier) =
        writer.commit(entry, allow_duplicate)?
    {
        return Ok(skipped(file, &earlier));
    }
    tracing::info!(
        file = %file.display(),
        batch = %batch_id,
        read = summary.rows_read,
        accepted,
        quarantined,
        seconds = started.elapsed().as_secs_f64(),
        "file ingested"
    );
    Ok(FileReport {
        file: file.to_path_buf(),
        batch_id: Some(batch_id),
        rows_read: summary.rows_read,
        rows_accepted: accepted,
        rows_quarantined: quarantined,
        duplicate_of: None,
        problems,
        invalid_nirs,
        unknown_event_dates,
    })
}

/// The report of a file whose bytes an earlier batch already loaded.
fn skipped(file: &Path, earlier: &BatchEntry) -> FileReport {
    tracing::info!(file = %file.display(), batch = %earlier.batch_id, "file already ingested; skipped");
    FileReport {
        file: file.to_path_buf(),
        batch_id: None,
        rows_read: 0,
        rows_accepted: 0,
        rows_quarantined: 0,
        duplicate_of: Some(earlier.batch_id.clone()),
        problems: Vec::new(),
        invalid_nirs: 0,
        unknown_event_dates: 0,
    }
}

/// Checks that every batch already staged has Bloom filters of this rnc's
/// construction, before a file is read: a new batch's filters would agree
/// with theirs only by chance.
fn check_bloom_construction(registry: &Registry) -> anyhow::Result<()> {
    let catalogue = registry.catalogue()?;
    let Some(earlier) = catalogue
        .batches
        .iter()
        .find(|batch| construction_of(batch) != Some(BLOOM_CONSTRUCTION))
    else {
        return Ok(());
    };
    let found = construction_of(earlier).unwrap_or(
        "HMAC-SHA-256 of each bigram, as rnc did before it named its constructions",
    );
    bail!(
        "batch {} of the registry contains Bloom filters made with {found}, but this rnc makes {BLOOM_CONSTRUCTION}, and filters of two constructions agree only by chance, so linkage would split persons: ingest all the registry's source files again into a new registry with this rnc, or keep using the rnc that built it",
        earlier.batch_id
    )
}

/// Returns the Bloom-filter construction that `batch` names. An empty
/// name, as a hand-edited catalogue may contain, counts as none.
fn construction_of(batch: &BatchEntry) -> Option<&str> {
    batch
        .bloom_construction
        .as_deref()
        .filter(|name| !name.is_empty())
}

/// Checks that the records of `file` carry the same provider key as every
/// batch already staged: `provider_key` is the fingerprint of their
/// provider key, and `given` that of the `--provider-key` given on the
/// command line, which a pre-pseudonymised file must have been made with.
fn check_layers(
    registry: &Registry,
    file: &Path,
    given: Option<&str>,
    provider_key: &str,
) -> anyhow::Result<()> {
    if let Some(given) = given
        && given != provider_key
    {
        bail!(
            "{} was pseudonymised with provider key {provider_key}, not the --provider-key {given}: ask the provider which key it used, or pass the provider key it shares with the others",
            file.display()
        );
    }
    let catalogue = registry.catalogue()?;
    let Some(earlier) = catalogue.batches.iter().find(|batch| {
        batch.provider_key_fingerprint.as_deref() != Some(provider_key)
    }) else {
        return Ok(());
    };
    let found = match earlier.provider_key_fingerprint.as_deref() {
        Some(fingerprint) => format!("provider key {fingerprint}"),
        None => "the registry key alone, as rnc did before it sealed provider pseudonyms (re-ingest the registry's files into a new registry)".to_string(),
    };
    bail!(
        "{} carries pseudonyms of provider key {provider_key}, but batch {} was pseudonymised with {found}; pseudonyms of different provider keys never match: ingest clear files with the --provider-key that the providers share, and pre-pseudonymised files made with that same key",
        file.display(),
        earlier.batch_id,
    )
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
