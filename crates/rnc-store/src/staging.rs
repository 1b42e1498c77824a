//! Writing one ingested batch so that it appears whole or not at all, and
//! removing what an interrupted batch left behind.
//!
//! A batch is written under `staged/<batch>.partial/`, its files and
//! folder are flushed to disk, the folder is renamed to `staged/<batch>/`,
//! and only then is the batch added to the catalogue, itself replaced by
//! an atomic rename. Readers list batches from the catalogue only, so a
//! process killed at any step leaves the registry as it was before the
//! batch or with the whole batch. A folder under `staged/` that the
//! catalogue does not list is an orphan of such an interruption.
//!
//! The SHA-256 of the input is known only once the input has been read,
//! so the check that the same input is not registered twice runs at
//! commit, under the write lock that the writer holds from the start.

use std::fs;
use std::path::{Path, PathBuf};

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;

use crate::catalogue::{BatchEntry, TableEntry};
use crate::fault::{FaultPoint, fault_point};
use crate::parquet_io::TableWriter;
use crate::registry::{RegistryLock, sync_dir};
use crate::{Error, Registry};

/// File of a batch's accepted records.
pub const SOURCE_RECORDS_FILE: &str = "source_records.parquet";
/// File of a batch's quarantined rows.
pub const QUARANTINE_FILE: &str = "quarantine.parquet";

const PARTIAL_SUFFIX: &str = ".partial";

/// Outcome of [`BatchWriter::commit`].
#[derive(Debug, Clone, PartialEq)]
pub enum BatchCommit {
    /// The batch is registered; the entry as the catalogue holds it.
    Registered(Box<BatchEntry>),
    /// A batch with the same input SHA-256 was already registered, so
    /// nothing was registered and what was written is removed. Holds the
    /// earlier batch.
    Duplicate(Box<BatchEntry>),
}

/// A batch being written. It holds the registry's write lock until it is
/// committed or dropped; dropping it without [`BatchWriter::commit`]
/// removes what was written.
#[derive(Debug)]
pub struct BatchWriter {
    registry: Registry,
    batch_id: String,
    partial: PathBuf,
    records: Option<TableWriter>,
    quarantine: Option<TableWriter>,
    /// Rows handed to either table so far.
    rows_written: u64,
    _lock: RegistryLock,
}

impl Registry {
    /// Starts writing a new batch of accepted records and quarantined
    /// rows, after removing orphans of interrupted batches. The writer
    /// holds the registry's write lock until it is committed or dropped.
    ///
    /// # Errors
    ///
    /// [`Error::Locked`] when another process holds the lock; I/O and
    /// Parquet errors.
    pub fn begin_batch(
        &self,
        records_schema: SchemaRef,
        quarantine_schema: SchemaRef,
    ) -> Result<BatchWriter, Error> {
        let lock = self.lock()?;
        self.remove_orphans_locked(&lock)?;
        let catalogue = self.catalogue()?;
        let batch_id = format!("B{:06}", catalogue.batches.len() + 1);
        let staged = self.staged_dir();
        let partial = staged.join(format!("{batch_id}{PARTIAL_SUFFIX}"));
        fs::create_dir_all(&partial).map_err(Error::io(&partial))?;
        let records = TableWriter::create(
            &partial.join(SOURCE_RECORDS_FILE),
            records_schema,
        )?;
        let quarantine = TableWriter::create(
            &partial.join(QUARANTINE_FILE),
            quarantine_schema,
        )?;
        tracing::debug!(batch = %batch_id, "batch started");
        fault_point(FaultPoint::BatchStarted);
        Ok(BatchWriter {
            registry: self.clone(),
            batch_id,
            partial,
            records: Some(records),
            quarantine: Some(quarantine),
            rows_written: 0,
            _lock: lock,
        })
    }

    /// Removes what interrupted batches and key rotations left: `staged/`
    /// entries that the catalogue does not list (`<batch>.partial`
    /// folders, or a renamed folder whose catalogue update never
    /// happened), files of a batch folder that its entry does not list,
    /// and a leftover temporary catalogue. Returns the removed paths,
    /// relative to the registry.
    ///
    /// Does nothing and returns an empty list while another process holds
    /// the write lock, because the entries may be its batch in progress.
    ///
    /// # Errors
    ///
    /// I/O errors, and [`Error::Catalogue`] when the catalogue is
    /// unreadable.
    pub fn remove_orphans(&self) -> Result<Vec<String>, Error> {
        match self.lock() {
            Ok(lock) => self.remove_orphans_locked(&lock),
            Err(Error::Locked { .. }) => Ok(Vec::new()),
            Err(other) => Err(other),
        }
    }

    pub(crate) fn remove_orphans_locked(
        &self,
        _lock: &RegistryLock,
    ) -> Result<Vec<String>, Error> {
        let catalogue = self.catalogue()?;
        let mut removed = Vec::new();
        let leftover = self.catalogue_temporary_path();
        if leftover.exists() {
            fs::remove_file(&leftover).map_err(Error::io(&leftover))?;
            removed.push(relative_name(self.root(), &leftover));
        }

        let staged = self.staged_dir();
        let entries = match fs::read_dir(&staged) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(removed);
            }
            Err(e) => return Err(Error::io(&staged)(e)),
        };
        for entry in entries {
            let entry = entry.map_err(Error::io(&staged))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if let Some(batch) =
                catalogue.batches.iter().find(|b| b.batch_id == name)
            {
                removed.extend(self.remove_unlisted_files(batch)?);
                continue;
            }
            let path = entry.path();
            let file_type = entry.file_type().map_err(Error::io(&path))?;
            if file_type.is_dir() {
                fs::remove_dir_all(&path).map_err(Error::io(&path))?;
            } else {
                fs::remove_file(&path).map_err(Error::io(&path))?;
            }
            tracing::warn!(path = %path.display(), "removed what an interrupted batch left");
            removed.push(relative_name(self.root(), &path));
        }
        if !removed.is_empty() {
            sync_dir(&staged)?;
        }
        Ok(removed)
    }

    /// Removes the files of a registered batch's folder that its entry
    /// does not list: those of a key rotation interrupted before or after
    /// its catalogue update. Entries written before rnc listed a batch's
    /// files are left alone.
    fn remove_unlisted_files(
        &self,
        batch: &BatchEntry,
    ) -> Result<Vec<String>, Error> {
        let mut removed = Vec::new();
        if batch.files.is_empty() {
            return Ok(removed);
        }
        let dir = self.staged_dir().join(&batch.batch_id);
        for entry in fs::read_dir(&dir).map_err(Error::io(&dir))? {
            let entry = entry.map_err(Error::io(&dir))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if batch.files.iter().any(|table| table.file == name) {
                continue;
            }
            let path = entry.path();
            fs::remove_file(&path).map_err(Error::io(&path))?;
            tracing::warn!(path = %path.display(), "removed what an interrupted key rotation left");
            removed.push(relative_name(self.root(), &path));
        }
        if !removed.is_empty() {
            sync_dir(&dir)?;
        }
        Ok(removed)
    }

    pub(crate) fn staged_dir(&self) -> PathBuf {
        self.root().join("staged")
    }
}

impl BatchWriter {
    /// The id the batch gets in the catalogue, such as `B000007`.
    pub fn batch_id(&self) -> &str {
        &self.batch_id
    }

    /// Appends accepted records (a batch of the records schema).
    ///
    /// # Errors
    ///
    /// [`Error::Parquet`] naming the file.
    pub fn write_records(&mut self, batch: &RecordBatch) -> Result<(), Error> {
        self.records
            .as_mut()
            .expect("the writer is open until commit")
            .write(batch)?;
        self.note_rows(batch.num_rows());
        Ok(())
    }

    /// Appends quarantined rows (a batch of the quarantine schema).
    ///
    /// # Errors
    ///
    /// [`Error::Parquet`] naming the file.
    pub fn write_quarantine(
        &mut self,
        batch: &RecordBatch,
    ) -> Result<(), Error> {
        self.quarantine
            .as_mut()
            .expect("the writer is open until commit")
            .write(batch)?;
        self.note_rows(batch.num_rows());
        Ok(())
    }

    fn note_rows(&mut self, rows: usize) {
        let first = self.rows_written == 0 && rows > 0;
        self.rows_written += rows as u64;
        if first {
            fault_point(FaultPoint::RowsWritten);
        }
    }

    /// Finishes both files, flushes them and their folder to disk, moves
    /// the folder into place and registers the batch in the catalogue.
    /// `entry.files` is filled in here with each file's rows and SHA-256.
    /// Returns the entry as registered.
    ///
    /// When `allow_duplicate` is false and a registered batch was loaded
    /// from input with the SHA-256 of `entry.input_sha256`, registers
    /// nothing, removes what was written and returns
    /// [`BatchCommit::Duplicate`]. The writer has held the write lock
    /// since [`Registry::begin_batch`], so two processes given the same
    /// file cannot both register it.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] when `entry` names another batch id, or when its
    /// counts differ from the rows written (a bug in the caller); I/O and
    /// Parquet errors. The batch is then not registered.
    pub fn commit(
        mut self,
        mut entry: BatchEntry,
        allow_duplicate: bool,
    ) -> Result<BatchCommit, Error> {
        if entry.batch_id != self.batch_id {
            return Err(Error::Invalid(format!(
                "internal error: batch entry {} committed by the writer of batch {}; please report this bug",
                entry.batch_id, self.batch_id
            )));
        }
        if !allow_duplicate
            && let Some(earlier) =
                self.registry.batch_with_input(&entry.input_sha256)?
        {
            tracing::info!(
                batch = %earlier.batch_id,
                "input already registered; batch discarded"
            );
            return Ok(BatchCommit::Duplicate(Box::new(earlier)));
        }
        let records = self
            .records
            .take()
            .expect("the writer is open until commit")
            .finish()?;
        let quarantine = self
            .quarantine
            .take()
            .expect("the writer is open until commit")
            .finish()?;
        if records.rows != entry.rows_accepted
            || quarantine.rows != entry.rows_quarantined
            || entry.rows_read != entry.rows_accepted + entry.rows_quarantined
        {
            return Err(Error::Invalid(format!(
                "internal error: batch {} has {} rows read, {} accepted and {} quarantined, but {} records and {} quarantined rows were written; please report this bug",
                self.batch_id,
                entry.rows_read,
                entry.rows_accepted,
                entry.rows_quarantined,
                records.rows,
                quarantine.rows
            )));
        }
        entry.files = vec![
            TableEntry {
                name: "source_records".into(),
                file: SOURCE_RECORDS_FILE.into(),
                rows: records.rows,
                sha256: records.sha256,
            },
            TableEntry {
                name: "quarantine".into(),
                file: QUARANTINE_FILE.into(),
                rows: quarantine.rows,
                sha256: quarantine.sha256,
            },
        ];

        fault_point(FaultPoint::FilesFinished);

        sync_dir(&self.partial)?;
        fault_point(FaultPoint::FolderSynced);
        let staged = self.registry.staged_dir();
        let final_dir = staged.join(&self.batch_id);
        fs::rename(&self.partial, &final_dir).map_err(Error::io(&final_dir))?;
        // From here the folder is in place, so a failure below must not
        // remove it; the next batch's orphan check removes it instead.
        self.partial = PathBuf::new();
        fault_point(FaultPoint::FolderRenamed);
        sync_dir(&staged)?;
        fault_point(FaultPoint::RenameSynced);

        let mut catalogue = self.registry.catalogue()?;
        catalogue.batches.push(entry.clone());
        self.registry.write_catalogue(&catalogue)?;
        fault_point(FaultPoint::CatalogueWritten);
        tracing::info!(
            batch = %entry.batch_id,
            records = entry.rows_accepted,
            quarantined = entry.rows_quarantined,
            "batch registered"
        );
        Ok(BatchCommit::Registered(Box::new(entry)))
    }
}

impl Drop for BatchWriter {
    fn drop(&mut self) {
        if self.partial.as_os_str().is_empty() {
            return;
        }
        // Best effort: whatever stays is an orphan that the next batch
        // removes.
        drop(self.records.take());
        drop(self.quarantine.take());
        if let Err(error) = fs::remove_dir_all(&self.partial) {
            tracing::warn!(path = %self.partial.display(), %error, "failed to remove an unfinished batch");
        }
    }
}

fn relative_name(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string()
}
