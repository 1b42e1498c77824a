//! Rewriting the staged records of every batch in one step, for a
//! rotation of the registry key.
//!
//! The new records of batch `B` are written beside the old ones, as
//! `staged/B/source_records.<new key fingerprint>.parquet`, and flushed to
//! disk with their folder. One catalogue update, an atomic rename, then
//! names the new files and the new key for every batch at once, and only
//! then are the old files removed. A process killed before the rename
//! leaves the old catalogue, which lists only the old files. A process
//! killed after it leaves the new catalogue, which lists only the new
//! ones. Either way the files
//! the catalogue does not list are removed by the next write
//! ([`Registry::remove_orphans`]).

use std::fs;

use arrow::array::{RecordBatch, RecordBatchReader};

use crate::catalogue::{BatchEntry, KeyRotation};
use crate::parquet_io::{TableWriter, stream_parquet};
use crate::registry::sync_dir;
use crate::staging::SOURCE_RECORDS_FILE;
use crate::{Error, Registry};

/// Name of a batch's table in [`BatchEntry::files`].
const SOURCE_RECORDS: &str = "source_records";

impl Registry {
    /// Rewrites the accepted records of every batch with `rewrite` and
    /// records that the registry's key is now the one with fingerprint
    /// `new_key_fingerprint`, in one atomic catalogue update. Returns the
    /// rotation as the catalogue records it.
    ///
    /// `rewrite` receives each stored batch of records and returns the
    /// batch to store; it must keep the rows and their order. Quarantined
    /// rows hold no pseudonym and are left as they are. The write lock is
    /// held throughout.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] when the registry has no batch, when
    /// `new_key_fingerprint` is the current key's, or when a rewritten
    /// batch has another row count; [`Error::Rewrite`] when `rewrite`
    /// fails; I/O and Parquet errors. The registry is then left as it
    /// was, apart from new files that the next write removes.
    pub fn rewrite_staged_records<F, E>(
        &self,
        new_key_fingerprint: &str,
        mut rewrite: F,
    ) -> Result<KeyRotation, Error>
    where
        F: FnMut(&BatchEntry, &RecordBatch) -> Result<RecordBatch, E>,
        E: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let lock = self.lock()?;
        self.remove_orphans_locked(&lock)?;
        let mut catalogue = self.catalogue()?;
        let Some(first) = catalogue.batches.first() else {
            return Err(Error::Invalid(
                "nothing to rotate: the registry has no ingested batch".into(),
            ));
        };
        let old_key_fingerprint = first.key_fingerprint.clone();
        if old_key_fingerprint == new_key_fingerprint {
            return Err(Error::Invalid(format!(
                "the new key has the fingerprint {new_key_fingerprint} of the registry's current key: pass a new key file"
            )));
        }

        let new_file =
            format!("{SOURCE_RECORDS}.{new_key_fingerprint}.parquet");
        let mut records = 0u64;
        let mut old_files = Vec::new();
        for entry in &mut catalogue.batches {
            let dir = self.staged_dir().join(&entry.batch_id);
            let old_file = entry
                .file_of(SOURCE_RECORDS, SOURCE_RECORDS_FILE)
                .to_string();
            let stored = stream_parquet(&dir.join(&old_file))?;
            let target = dir.join(&new_file);
            let mut writer = TableWriter::create(&target, stored.schema())?;
            for batch in stored {
                let batch = batch?;
                let rewritten = rewrite(entry, &batch).map_err(|source| {
                    Error::Rewrite {
                        batch: entry.batch_id.clone(),
                        source: source.into(),
                    }
                })?;
                if rewritten.num_rows() != batch.num_rows() {
                    return Err(Error::Invalid(format!(
                        "internal error: batch {}: a rewrite returned {} rows for {}; please report this bug",
                        entry.batch_id,
                        rewritten.num_rows(),
                        batch.num_rows()
                    )));
                }
                writer.write(&rewritten)?;
            }
            let written = writer.finish()?;
            sync_dir(&dir)?;
            if written.rows != entry.rows_accepted {
                return Err(Error::Invalid(format!(
                    "batch {}: {} records written but the catalogue lists {}; restore the batch from a backup",
                    entry.batch_id, written.rows, entry.rows_accepted
                )));
            }
            records += written.rows;

            let table = crate::TableEntry {
                name: SOURCE_RECORDS.into(),
                file: new_file.clone(),
                rows: written.rows,
                sha256: written.sha256,
            };
            match entry.files.iter_mut().find(|t| t.name == SOURCE_RECORDS) {
                Some(listed) => *listed = table,
                None => entry.files.push(table),
            }
            entry.key_fingerprint = new_key_fingerprint.to_string();
            old_files.push(dir.join(old_file));
            tracing::debug!(batch = %entry.batch_id, rows = written.rows, "batch rewritten");
        }

        let rotation = KeyRotation {
            from_key_fingerprint: old_key_fingerprint,
            to_key_fingerprint: new_key_fingerprint.to_string(),
            rotated_at: chrono::Utc::now()
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            batches: catalogue.batches.len() as u64,
            records,
        };
        catalogue.key_rotations.push(rotation.clone());
        self.write_catalogue(&catalogue)?;

        // From here the new catalogue is in place, so an old file that
        // stays is an orphan that the next write removes.
        for path in old_files {
            if let Err(error) = fs::remove_file(&path) {
                tracing::warn!(path = %path.display(), %error, "failed to remove a file of the retired key");
            } else if let Some(dir) = path.parent() {
                sync_dir(dir)?;
            }
        }
        tracing::info!(
            batches = rotation.batches,
            records = rotation.records,
            from = %rotation.from_key_fingerprint,
            to = %rotation.to_key_fingerprint,
            "staged records rewritten under a new key"
        );
        Ok(rotation)
    }
}
