//! The registry's stages, each reading what the previous one stored in the
//! registry directory and storing its own output there. The subcommands
//! and `rnc demo` call these functions.

mod consolidate;
mod ingest;
mod link;
mod link_state;
mod prevalence;
mod release;
mod report;
mod report_curves;
mod stats;
mod strata;

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use rnc_model::SourceRecord;
use rnc_model::permutation::permute_in_place;
use rnc_model::tables::{batch_to_source_records, encoding_columns};
use rnc_store::Registry;

pub use consolidate::{ConsolidateReport, consolidate, read_person_map};
pub use ingest::{FileReport, ProviderKey, ingest_files, load_population};
pub use link::{LinkReport, LinkRun, link, pair_engine};
pub use prevalence::{check_index_date, write_prevalence};
pub use release::release;
pub use report::write_report;
pub use stats::{StatsOutput, choose_release, compute_stats};
pub use strata::{StrataOutput, StrataRequest, rates_by_strata};

/// Reads every staged record, sorted by record id so that later stages do
/// not depend on ingestion order, without the pseudonyms and Bloom
/// filters ([`encoding_columns`]), which only linkage compares. They are most of a record's size: consolidation of a
/// national year would otherwise hold them all in memory at once.
fn read_staged_records_without_encodings(
    registry: &Registry,
) -> anyhow::Result<Vec<SourceRecord>> {
    read_staged_records_skipping(registry, &encoding_columns())
}

/// Reads the staged records one Parquet batch at a time, so that the
/// Arrow copy of the whole staged table is never in memory beside the
/// records made from it.
fn read_staged_records_skipping(
    registry: &Registry,
    skipped: &[&str],
) -> anyhow::Result<Vec<SourceRecord>> {
    // A record takes about 1 KB (672 bytes of struct, and its strings), so
    // a vector grown by doubling would take up to twice the records'
    // memory, and three times while it moves.
    let mut records = Vec::with_capacity(staged_record_count(registry)?);
    for batch in registry.stream_staged_records_without(skipped)? {
        records.extend(
            batch_to_source_records(&batch?).context("staged records")?,
        );
    }
    Ok(sorted_by_record_id(records))
}

/// Counts the staged records from the catalogue, so that readers can
/// reserve their vectors at the final size.
fn staged_record_count(registry: &Registry) -> anyhow::Result<usize> {
    let accepted: u64 = registry
        .catalogue()?
        .batches
        .iter()
        .map(|batch| batch.rows_accepted)
        .sum();
    Ok(usize::try_from(accepted)?)
}

/// Sorts records by `record_id` in place. A record is over a kilobyte:
/// sorting the records themselves moved each of them once per merge pass
/// and took a buffer of half of them. Here the indices are sorted, and
/// each cycle of the permutation is then followed with swaps, so a record
/// moves at most twice and no second vector of records is made. Records
/// already in order, such as those of a single batch, are left as they
/// are.
fn sorted_by_record_id(mut records: Vec<SourceRecord>) -> Vec<SourceRecord> {
    if records.is_sorted_by(|a, b| a.record_id <= b.record_id) {
        return records;
    }
    let mut order: Vec<usize> = (0..records.len()).collect();
    order.sort_by(|&a, &b| records[a].record_id.cmp(&records[b].record_id));
    permute_in_place(&mut order, |a, b| records.swap(a, b));
    records
}

/// Loads the pseudonymisation key, creating it on first use, after checking
/// that it does not live inside the registry directory: the key must stay
/// apart from the pseudonymised data.
pub fn load_key(
    registry_dir: &Path,
    key_path: &Path,
) -> anyhow::Result<rnc_pseudonym::Key> {
    check_key_path(registry_dir, key_path, "--key")?;
    // Pseudonyms made with two keys never match, so a registry whose batches
    // were loaded with one key must keep using it.
    let known: std::collections::BTreeSet<String> =
        Registry::open(registry_dir)
            .and_then(|r| r.catalogue())
            .map(|c| c.batches.into_iter().map(|b| b.key_fingerprint).collect())
            .unwrap_or_default();
    if !known.is_empty() && !key_path.exists() {
        bail!(
            "key file {} does not exist, but registry {} already holds batches pseudonymised with another key: pass --key with that key file",
            key_path.display(),
            registry_dir.display()
        );
    }
    let (key, created) = rnc_pseudonym::Key::load_or_create(key_path)
        .with_context(|| format!("key file {}", key_path.display()))?;
    if !known.is_empty() && !known.contains(&key.fingerprint()) {
        bail!(
            "key file {} (fingerprint {}) is not the key of registry {} (fingerprint {}): pass --key with the registry's key, because pseudonyms made with different keys never match",
            key_path.display(),
            key.fingerprint(),
            registry_dir.display(),
            known.into_iter().collect::<Vec<_>>().join(", ")
        );
    }
    if created {
        tracing::info!(path = %key_path.display(), fingerprint = %key.fingerprint(), "new pseudonymisation key created (mode 0600)");
    }
    Ok(key)
}

/// Rejects a key path inside the registry directory: the key must stay
/// apart from the pseudonymised data. `option` names the command-line
/// option that sets the path.
pub fn check_key_path(
    registry_dir: &Path,
    key_path: &Path,
    option: &str,
) -> anyhow::Result<()> {
    if absolute(key_path)?.starts_with(absolute(registry_dir)?) {
        bail!(
            "key file {} is inside the registry directory {}: keep the key apart from the data (pass {option} with a path outside it)",
            key_path.display(),
            registry_dir.display()
        );
    }
    Ok(())
}

/// Loads the provider key for `rnc ingest` from `key_path`: the
/// `--provider-key` when `given`, else `<registry>.provider.key`.
///
/// The file is created (mode 0600) when it is absent and either it was
/// given or the registry has no batch yet, so that a new registry that
/// ingests clear files gets a provider key on first use. An absent
/// default file of a registry with batches means the registry receives
/// pre-pseudonymised files only: no key, and a clear file is rejected.
pub fn load_provider_key(
    registry_dir: &Path,
    key_path: &Path,
    given: bool,
) -> anyhow::Result<ProviderKey> {
    check_key_path(registry_dir, key_path, "--provider-key")?;
    let has_batches = Registry::open(registry_dir)
        .and_then(|r| r.catalogue())
        .is_ok_and(|c| !c.batches.is_empty());
    if !key_path.exists() && !given && has_batches {
        return Ok(ProviderKey { key: None, given });
    }
    let (key, created) = rnc_pseudonym::Key::load_or_create(key_path)
        .with_context(|| format!("provider key file {}", key_path.display()))?;
    if created {
        tracing::info!(path = %key_path.display(), fingerprint = %key.fingerprint(), "new provider key created (mode 0600)");
    }
    Ok(ProviderKey {
        key: Some(key),
        given,
    })
}

/// Rejects an output path that would overwrite something rnc must keep:
/// the key, a file of the registry other than under its `outputs/`
/// folder (catalogue, staged batches, releases), or one of the command's
/// inputs or other outputs. Write protection does not stop root, so this
/// check is the guard.
pub fn check_output_path(
    out: &Path,
    registry_dir: Option<&Path>,
    key_path: Option<&Path>,
    others: &[&Path],
) -> anyhow::Result<()> {
    let target = absolute(out)?;
    if let Some(key) = key_path
        && absolute(key)? == target
    {
        bail!(
            "output {} is the key file: choose another output path",
            out.display()
        );
    }
    if let Some(registry) = registry_dir {
        let registry = absolute(registry)?;
        if target.starts_with(&registry)
            && !target.starts_with(registry.join("outputs"))
        {
            bail!(
                "output {} is inside the registry directory {}: choose a path outside it, or under its outputs/ folder",
                out.display(),
                registry.display()
            );
        }
    }
    for other in others {
        if absolute(other)? == target {
            bail!(
                "output {} is also {}: choose another output path",
                out.display(),
                "an input or another output of this command"
            );
        }
    }
    Ok(())
}

/// Makes `path` absolute and lexically clean; it need not exist.
fn absolute(path: &Path) -> anyhow::Result<PathBuf> {
    let joined = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()?.join(path)
    };
    let mut clean = PathBuf::new();
    for part in joined.components() {
        match part {
            std::path::Component::ParentDir => {
                clean.pop();
            }
            std::path::Component::CurDir => {}
            other => clean.push(other),
        }
    }
    Ok(clean)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(ids: &[&str]) -> Vec<SourceRecord> {
        ids.iter()
            .map(|id| SourceRecord {
                record_id: (*id).to_string(),
                ..SourceRecord::default()
            })
            .collect()
    }

    fn ids(records: &[SourceRecord]) -> Vec<&str> {
        records.iter().map(|r| r.record_id.as_str()).collect()
    }

    #[test]
    fn several_batches_sort_by_record_id() {
        // Two batches, each sorted, read one after the other: a hospital
        // stay file before a registry extract, as a catalogue may hold them.
        let read = records(&[
            "hospital_stay/S0000001",
            "hospital_stay/S0000002",
            "death_record/D0000001",
            "registry_extract/R0000001",
        ]);

        let sorted = sorted_by_record_id(read);

        assert_eq!(
            ids(&sorted),
            [
                "death_record/D0000001",
                "hospital_stay/S0000001",
                "hospital_stay/S0000002",
                "registry_extract/R0000001",
            ]
        );
    }

    #[test]
    fn scrambled_records_sort_in_place() {
        // 17 is prime to 60, so i * 17 mod 60 visits every id once, in an
        // order of several permutation cycles of different lengths.
        let scrambled: Vec<String> =
            (0..60).map(|i| format!("r/{:02}", i * 17 % 60)).collect();
        let read =
            records(&scrambled.iter().map(String::as_str).collect::<Vec<_>>());
        let mut expected = scrambled.clone();
        expected.sort();

        assert_eq!(ids(&sorted_by_record_id(read)), expected);
    }

    #[test]
    fn sorted_records_stay_in_order() {
        let read = records(&["a/1", "a/2", "b/1"]);

        assert_eq!(ids(&sorted_by_record_id(read)), ["a/1", "a/2", "b/1"]);
    }
}
