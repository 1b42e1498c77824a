//! Opening the registry directory and writing batches, work tables and
//! releases.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use parquet::arrow::arrow_reader::ParquetRecordBatchReader;
use sha2::{Digest, Sha256};

use crate::Error;
use crate::catalogue::{BatchEntry, Catalogue, ReleaseEntry, TableEntry};
use crate::fault::{FaultPoint, fault_point};
use crate::parquet_io::{
    TableWriter, file_sha256, parquet_row_count, read_parquet,
    read_parquet_without, stream_parquet_columns, stream_parquet_without,
    write_parquet,
};
use crate::staging::{BatchCommit, QUARANTINE_FILE, SOURCE_RECORDS_FILE};

const CATALOGUE: &str = "catalogue.json";
const LOCK: &str = ".lock";
const TEMPORARY_EXTENSION: &str = "partial";

/// The stages that write intermediate tables between ingestion and
/// release.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkStage {
    /// Record linkage: person map, scored pairs, model.
    Link,
    /// Tumour consolidation: tumours, checks, persons.
    Consolidate,
}

impl WorkStage {
    fn dir_name(self) -> &'static str {
        match self {
            WorkStage::Link => "link",
            WorkStage::Consolidate => "consolidate",
        }
    }
}

/// A registry directory.
#[derive(Debug, Clone)]
pub struct Registry {
    root: PathBuf,
}

/// Exclusive write access to a registry, released on drop.
///
/// It is an advisory lock (`flock`) on `registry/.lock`, which the kernel
/// releases when the process ends, even by `SIGKILL`, so no stale lock
/// outlives its holder. The file itself stays.
#[derive(Debug)]
pub struct RegistryLock {
    _file: fs::File,
}

impl Registry {
    /// Opens the registry at `root`, creating the directory and an empty
    /// catalogue if there is none.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when the directory cannot be created.
    pub fn open_or_create(root: &Path) -> Result<Registry, Error> {
        fs::create_dir_all(root).map_err(Error::io(root))?;
        let registry = Registry {
            root: root.to_path_buf(),
        };
        if !registry.catalogue_path().exists() {
            let catalogue = Catalogue {
                format_version: 1,
                ..Catalogue::default()
            };
            registry.write_catalogue(&catalogue)?;
        }
        Ok(registry)
    }

    /// Opens an existing registry.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] when `root` has no catalogue.
    pub fn open(root: &Path) -> Result<Registry, Error> {
        let registry = Registry {
            root: root.to_path_buf(),
        };
        if !registry.catalogue_path().exists() {
            return Err(Error::Invalid(format!(
                "no registry at {}: run `rnc ingest` first or pass --registry",
                root.display()
            )));
        }
        Ok(registry)
    }

    /// The registry directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Takes the write lock, so that two rnc processes never write the
    /// same registry at once.
    ///
    /// # Errors
    ///
    /// [`Error::Locked`] when another process holds it; [`Error::Io`].
    pub fn lock(&self) -> Result<RegistryLock, Error> {
        let path = self.root.join(LOCK);
        let mut file = fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(Error::io(&path))?;
        match file.try_lock() {
            Ok(()) => {
                file.set_len(0).map_err(Error::io(&path))?;
                writeln!(file, "{}", std::process::id())
                    .map_err(Error::io(&path))?;
                Ok(RegistryLock { _file: file })
            }
            Err(fs::TryLockError::WouldBlock) => {
                let holder = fs::read_to_string(&path).unwrap_or_default();
                let holder = match holder.trim() {
                    "" => "another rnc process".to_string(),
                    pid => format!("rnc process {pid}"),
                };
                Err(Error::Locked {
                    root: self.root.clone(),
                    holder,
                })
            }
            Err(fs::TryLockError::Error(source)) => {
                Err(Error::Io { path, source })
            }
        }
    }

    /// Reads the catalogue.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] or [`Error::Catalogue`].
    pub fn catalogue(&self) -> Result<Catalogue, Error> {
        let path = self.catalogue_path();
        let text = fs::read_to_string(&path).map_err(Error::io(&path))?;
        serde_json::from_str(&text)
            .map_err(|source| Error::Catalogue { path, source })
    }

    fn catalogue_path(&self) -> PathBuf {
        self.root.join(CATALOGUE)
    }

    pub(crate) fn catalogue_temporary_path(&self) -> PathBuf {
        self.catalogue_path().with_extension(TEMPORARY_EXTENSION)
    }

    pub(crate) fn write_catalogue(
        &self,
        catalogue: &Catalogue,
    ) -> Result<(), Error> {
        let path = self.catalogue_path();
        let text = serde_json::to_string_pretty(catalogue)
            .expect("the catalogue always serialises");
        let faults = [
            FaultPoint::CatalogueTemporaryWritten,
            FaultPoint::CatalogueRenamed,
        ];
        write_atomically_at(&path, text.as_bytes(), Some(faults))
    }

    /// The id the next ingested batch will get: `B` and six digits.
    ///
    /// # Errors
    ///
    /// As [`Registry::catalogue`].
    pub fn next_batch_id(&self) -> Result<String, Error> {
        let count = self.catalogue()?.batches.len();
        Ok(format!("B{:06}", count + 1))
    }

    /// The batch already loaded from a file with this SHA-256, if any.
    ///
    /// # Errors
    ///
    /// As [`Registry::catalogue`].
    pub fn batch_with_input(
        &self,
        sha256: &str,
    ) -> Result<Option<BatchEntry>, Error> {
        Ok(self
            .catalogue()?
            .batches
            .into_iter()
            .find(|b| b.input_sha256 == sha256))
    }

    /// Stores one ingested batch held in memory: its accepted records and
    /// its quarantined rows, then records it in the catalogue, through a
    /// [`crate::BatchWriter`]. Returns the entry as registered.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] when `entry.batch_id` is not the next batch id
    /// or its counts differ from the rows given; I/O and Parquet errors.
    pub fn stage_batch(
        &self,
        entry: BatchEntry,
        records: (SchemaRef, &[RecordBatch]),
        quarantine: (SchemaRef, &[RecordBatch]),
    ) -> Result<BatchEntry, Error> {
        let mut writer = self.begin_batch(records.0, quarantine.0)?;
        for batch in records.1 {
            writer.write_records(batch)?;
        }
        for batch in quarantine.1 {
            writer.write_quarantine(batch)?;
        }
        match writer.commit(entry, true)? {
            BatchCommit::Registered(entry) => Ok(*entry),
            BatchCommit::Duplicate(_) => {
                unreachable!("duplicates are allowed, so the batch is new")
            }
        }
    }

    /// Reads the accepted records of every staged batch, in ingestion
    /// order.
    ///
    /// # Errors
    ///
    /// I/O and Parquet errors naming the file.
    pub fn read_staged_records(&self) -> Result<Vec<RecordBatch>, Error> {
        self.read_staged(SOURCE_RECORDS_FILE, &[])
    }

    /// Reads the accepted records of every staged batch, in ingestion
    /// order, without the columns named in `skipped`.
    ///
    /// # Errors
    ///
    /// I/O and Parquet errors naming the file.
    pub fn read_staged_records_without(
        &self,
        skipped: &[&str],
    ) -> Result<Vec<RecordBatch>, Error> {
        self.read_staged(SOURCE_RECORDS_FILE, skipped)
    }

    /// Streams the accepted records of every staged batch, in ingestion
    /// order, without the columns named in `skipped`. Unlike
    /// [`Registry::read_staged_records_without`], it decodes one Parquet
    /// batch at a time, so a caller that keeps a part of each batch never
    /// has the whole staged table in memory.
    ///
    /// # Errors
    ///
    /// I/O errors when the catalogue cannot be read; each item may be an
    /// I/O or Parquet error naming its file.
    pub fn stream_staged_records_without(
        &self,
        skipped: &[&str],
    ) -> Result<impl Iterator<Item = Result<RecordBatch, Error>>, Error> {
        let skipped: Vec<String> =
            skipped.iter().map(|s| (*s).to_string()).collect();
        self.stream_staged_records(move |path| {
            let skipped: Vec<&str> =
                skipped.iter().map(String::as_str).collect();
            stream_parquet_without(path, &skipped)
        })
    }

    /// Streams the accepted records of every staged batch, in ingestion
    /// order, with only the columns named in `columns` (see
    /// [`stream_parquet_columns`]).
    ///
    /// # Errors
    ///
    /// As [`Registry::stream_staged_records_without`].
    pub fn stream_staged_records_columns(
        &self,
        columns: &[&str],
    ) -> Result<impl Iterator<Item = Result<RecordBatch, Error>>, Error> {
        let columns: Vec<String> =
            columns.iter().map(|s| (*s).to_string()).collect();
        self.stream_staged_records(move |path| {
            let columns: Vec<&str> =
                columns.iter().map(String::as_str).collect();
            stream_parquet_columns(path, &columns)
        })
    }

    /// Streams the batches of the staged source-record files, each opened
    /// by `open` when the previous one is read to its end.
    fn stream_staged_records(
        &self,
        open: impl Fn(&Path) -> Result<ParquetRecordBatchReader, Error>,
    ) -> Result<impl Iterator<Item = Result<RecordBatch, Error>>, Error> {
        let mut paths = self.staged_paths(SOURCE_RECORDS_FILE)?.into_iter();
        let mut current: Option<ParquetRecordBatchReader> = None;
        Ok(std::iter::from_fn(move || {
            loop {
                if let Some(reader) = &mut current {
                    match reader.next() {
                        Some(batch) => return Some(batch.map_err(Error::from)),
                        None => current = None,
                    }
                }
                match open(&paths.next()?) {
                    Ok(reader) => current = Some(reader),
                    Err(error) => return Some(Err(error)),
                }
            }
        }))
    }

    /// Reads the quarantined rows of every staged batch.
    ///
    /// # Errors
    ///
    /// I/O and Parquet errors naming the file.
    pub fn read_quarantine(&self) -> Result<Vec<RecordBatch>, Error> {
        self.read_staged(QUARANTINE_FILE, &[])
    }

    fn read_staged(
        &self,
        file: &str,
        skipped: &[&str],
    ) -> Result<Vec<RecordBatch>, Error> {
        let mut batches = Vec::new();
        for path in self.staged_paths(file)? {
            batches.extend(read_parquet_without(&path, skipped)?);
        }
        Ok(batches)
    }

    /// Paths of one staged file (`file`, such as `source_records.parquet`)
    /// of every batch in the catalogue, in ingestion order.
    fn staged_paths(&self, file: &str) -> Result<Vec<PathBuf>, Error> {
        let name = file.trim_end_matches(".parquet");
        Ok(self
            .catalogue()?
            .batches
            .iter()
            .map(|entry| {
                self.staged_dir()
                    .join(&entry.batch_id)
                    .join(entry.file_of(name, file))
            })
            .collect())
    }

    /// The folder of a work stage's tables.
    pub fn work_dir(&self, stage: WorkStage) -> PathBuf {
        self.root.join("work").join(stage.dir_name())
    }

    /// Writes a work table, `work/<stage>/<name>.parquet`, replacing the
    /// previous one.
    ///
    /// # Errors
    ///
    /// I/O and Parquet errors.
    pub fn write_work_table(
        &self,
        stage: WorkStage,
        name: &str,
        schema: SchemaRef,
        batches: &[RecordBatch],
    ) -> Result<u64, Error> {
        let dir = self.work_dir(stage);
        fs::create_dir_all(&dir).map_err(Error::io(&dir))?;
        write_parquet(&dir.join(format!("{name}.parquet")), schema, batches)
    }

    /// Opens a work table, `work/<stage>/<name>.parquet`, to be written
    /// batch by batch in bounded memory ([`TableWriter`]). The previous
    /// table stays in place until [`WorkTableWriter::finish`] renames the
    /// new one over it. A writer dropped before then leaves a partial
    /// file, which the next write replaces.
    ///
    /// # Errors
    ///
    /// I/O and Parquet errors.
    pub fn work_table_writer(
        &self,
        stage: WorkStage,
        name: &str,
        schema: SchemaRef,
    ) -> Result<WorkTableWriter, Error> {
        let dir = self.work_dir(stage);
        fs::create_dir_all(&dir).map_err(Error::io(&dir))?;
        let path = dir.join(format!("{name}.parquet"));
        let temporary = path.with_extension("parquet.partial");
        Ok(WorkTableWriter {
            writer: TableWriter::create(&temporary, schema)?,
            temporary,
            path,
        })
    }

    /// Writes a work file other than a table, such as a model in JSON.
    ///
    /// # Errors
    ///
    /// [`Error::Io`].
    pub fn write_work_file(
        &self,
        stage: WorkStage,
        name: &str,
        bytes: &[u8],
    ) -> Result<(), Error> {
        let dir = self.work_dir(stage);
        fs::create_dir_all(&dir).map_err(Error::io(&dir))?;
        write_atomically(&dir.join(name), bytes)
    }

    /// Reads a work table written by [`Registry::write_work_table`].
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] saying which command to run when the table does
    /// not exist yet.
    pub fn read_work_table(
        &self,
        stage: WorkStage,
        name: &str,
    ) -> Result<Vec<RecordBatch>, Error> {
        let path = self.work_dir(stage).join(format!("{name}.parquet"));
        if !path.exists() {
            return Err(Error::Invalid(format!(
                "{} does not exist yet: run `rnc {}` first",
                path.display(),
                stage.dir_name()
            )));
        }
        read_parquet(&path)
    }

    /// Path of the population table.
    pub fn population_path(&self) -> PathBuf {
        self.root.join("population").join("population.parquet")
    }

    /// Stores the population table used for denominators, replacing the
    /// previous one, and records its hash and origin in the catalogue.
    ///
    /// # Errors
    ///
    /// I/O and Parquet errors.
    pub fn set_population(
        &self,
        batch: &RecordBatch,
        origin: &str,
    ) -> Result<(), Error> {
        let _lock = self.lock()?;
        let path = self.population_path();
        let dir = path.parent().expect("population path has a parent");
        fs::create_dir_all(dir).map_err(Error::io(dir))?;
        let rows =
            write_parquet(&path, batch.schema(), std::slice::from_ref(batch))?;
        let mut catalogue = self.catalogue()?;
        catalogue.population = Some(TableEntry {
            name: "population".into(),
            file: origin.to_string(),
            rows,
            sha256: file_sha256(&path)?,
        });
        self.write_catalogue(&catalogue)
    }

    /// The latest release.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] when there is none yet.
    pub fn latest_release(&self) -> Result<ReleaseEntry, Error> {
        self.catalogue()?.releases.pop().ok_or_else(|| {
            Error::Invalid(format!(
                "registry {} has no release yet: run `rnc release` first",
                self.root.display()
            ))
        })
    }

    /// The release with this id.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] listing the known ids when it does not exist.
    pub fn release(&self, release_id: &str) -> Result<ReleaseEntry, Error> {
        let catalogue = self.catalogue()?;
        let known: Vec<String> = catalogue
            .releases
            .iter()
            .map(|r| r.release_id.clone())
            .collect();
        catalogue
            .releases
            .into_iter()
            .find(|r| r.release_id == release_id)
            .ok_or_else(|| {
                Error::Invalid(format!(
                    "release {release_id} not found (known: {})",
                    if known.is_empty() {
                        "none".to_string()
                    } else {
                        known.join(", ")
                    }
                ))
            })
    }

    /// The folder of a release.
    pub fn release_dir(&self, release_id: &str) -> PathBuf {
        self.root.join("releases").join(release_id)
    }

    /// Creates a release from existing files: copies each into a new
    /// folder `releases/R<nnnn>` as `<name>.<extension>`, writes
    /// `manifest.json` with every file's SHA-256 (and row count for Parquet
    /// tables; 0 for other files such as a model in JSON), makes the files read-only and adds
    /// the release to the catalogue.
    ///
    /// `settings` describes the stage settings the tables were built with;
    /// it enters the release's `inputs_sha256` with the batches' input
    /// hashes, the key fingerprints and the population hash.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] when a table is missing or there is no batch;
    /// I/O and Parquet errors.
    pub fn create_release(
        &self,
        tables: &[(&str, PathBuf)],
        settings: &str,
    ) -> Result<ReleaseEntry, Error> {
        let _lock = self.lock()?;
        let mut catalogue = self.catalogue()?;
        if catalogue.batches.is_empty() {
            return Err(Error::Invalid(
                "nothing to release: the registry has no ingested batch; run `rnc ingest` first".into(),
            ));
        }
        for (name, path) in tables {
            if !path.exists() {
                return Err(Error::Invalid(format!(
                    "table {name} is missing ({}): run `rnc link` and `rnc consolidate` first",
                    path.display()
                )));
            }
        }

        let release_id = format!("R{:04}", catalogue.releases.len() + 1);
        let releases = self.root.join("releases");
        let partial = releases.join(format!("{release_id}.partial"));
        if partial.exists() {
            fs::remove_dir_all(&partial).map_err(Error::io(&partial))?;
        }
        fs::create_dir_all(&partial).map_err(Error::io(&partial))?;

        let mut entries = Vec::new();
        for (name, source) in tables {
            let extension = source
                .extension()
                .and_then(|e| e.to_str())
                .unwrap_or("parquet");
            let file = format!("{name}.{extension}");
            let target = partial.join(&file);
            fs::copy(source, &target).map_err(Error::io(&target))?;
            let rows = if extension == "parquet" {
                parquet_row_count(&target)?
            } else {
                0
            };
            entries.push(TableEntry {
                name: name.to_string(),
                file,
                rows,
                sha256: file_sha256(&target)?,
            });
        }

        let entry = ReleaseEntry {
            release_id: release_id.clone(),
            created_at: chrono::Utc::now()
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            batches: catalogue
                .batches
                .iter()
                .map(|b| b.batch_id.clone())
                .collect(),
            inputs_sha256: inputs_hash(&catalogue, settings),
            tables: entries,
        };
        let manifest = serde_json::to_string_pretty(&entry)
            .expect("a release entry serialises");
        write_atomically(&partial.join("manifest.json"), manifest.as_bytes())?;

        let final_dir = self.release_dir(&release_id);
        fs::rename(&partial, &final_dir).map_err(Error::io(&final_dir))?;
        make_read_only(&final_dir)?;
        catalogue.releases.push(entry.clone());
        self.write_catalogue(&catalogue)?;
        tracing::info!(release = %release_id, tables = entry.tables.len(), "release created");
        Ok(entry)
    }

    /// Checks a release folder against its manifest: every file must still
    /// have the SHA-256 recorded when the release was made, and no other
    /// file may have appeared. Returns one line per problem, such as
    /// `tumours.parquet changed`; an empty list means the release is
    /// intact.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when the folder or a file cannot be read.
    pub fn verify_release(
        &self,
        release: &ReleaseEntry,
    ) -> Result<Vec<String>, Error> {
        let dir = self.release_dir(&release.release_id);
        let mut problems = Vec::new();
        for table in &release.tables {
            let path = dir.join(&table.file);
            if !path.exists() {
                problems.push(format!("{} missing", table.file));
            } else if file_sha256(&path)? != table.sha256 {
                problems.push(format!("{} changed", table.file));
            }
        }
        for entry in fs::read_dir(&dir).map_err(Error::io(&dir))? {
            let name = entry.map_err(Error::io(&dir))?.file_name();
            let name = name.to_string_lossy();
            let listed = release.tables.iter().any(|t| t.file == name);
            if !listed && name != "manifest.json" {
                problems.push(format!("{name} not in the manifest"));
            }
        }
        Ok(problems)
    }

    /// Returns the release `release_id` (or the latest) after checking it
    /// with [`Registry::verify_release`], so that no statistic or query is
    /// computed on altered tables.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] naming the altered files and what to do.
    pub fn verified_release(
        &self,
        release_id: Option<&str>,
    ) -> Result<ReleaseEntry, Error> {
        let release = match release_id {
            Some(id) => self.release(id)?,
            None => self.latest_release()?,
        };
        let problems = self.verify_release(&release)?;
        if !problems.is_empty() {
            return Err(Error::Invalid(format!(
                "release {} failed verification ({}): restore its files from a backup, or run `rnc release` to make a new release",
                release.release_id,
                problems.join(", ")
            )));
        }
        Ok(release)
    }
}

/// Hashes what a release's tables depend on. The key entered is the
/// provider key when the batch has one: the registry key's layer keeps
/// pseudonym equality and Dice coefficients, so a key rotation leaves
/// the hash, like the linkage, unchanged.
fn inputs_hash(catalogue: &Catalogue, settings: &str) -> String {
    let mut hasher = Sha256::new();
    for batch in &catalogue.batches {
        hasher.update(batch.source_kind.as_bytes());
        hasher.update(batch.input_sha256.as_bytes());
        let key = batch
            .provider_key_fingerprint
            .as_ref()
            .unwrap_or(&batch.key_fingerprint);
        hasher.update(key.as_bytes());
    }
    if let Some(population) = &catalogue.population {
        hasher.update(population.sha256.as_bytes());
    }
    hasher.update(settings.as_bytes());
    hex::encode(hasher.finalize())
}

/// A work table being written batch by batch; see
/// [`Registry::work_table_writer`].
#[derive(Debug)]
pub struct WorkTableWriter {
    writer: TableWriter,
    temporary: PathBuf,
    path: PathBuf,
}

impl WorkTableWriter {
    /// Appends a batch, which must have the table's schema.
    ///
    /// # Errors
    ///
    /// [`Error::Parquet`] naming the file.
    pub fn write(&mut self, batch: &RecordBatch) -> Result<(), Error> {
        self.writer.write(batch)
    }

    /// Flushes the table to disk, moves it into place and returns its
    /// row count.
    ///
    /// # Errors
    ///
    /// I/O and Parquet errors naming the file.
    pub fn finish(self) -> Result<u64, Error> {
        let written = self.writer.finish()?;
        fs::rename(&self.temporary, &self.path)
            .map_err(Error::io(&self.path))?;
        Ok(written.rows)
    }
}

/// Replaces `path` with `bytes`: writes a temporary file, flushes it to
/// disk, renames it over `path` and flushes the folder, so that after a
/// crash `path` holds either the old or the new content.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    write_atomically_at(path, bytes, None)
}

/// Writes a file through a temporary name, as [`write_atomically`]; the
/// two fault points, when given, follow the temporary file's flush and
/// its rename.
fn write_atomically_at(
    path: &Path,
    bytes: &[u8],
    faults: Option<[FaultPoint; 2]>,
) -> Result<(), Error> {
    let temporary = path.with_extension(TEMPORARY_EXTENSION);
    let mut file =
        fs::File::create(&temporary).map_err(Error::io(&temporary))?;
    file.write_all(bytes).map_err(Error::io(&temporary))?;
    file.sync_all().map_err(Error::io(&temporary))?;
    if let Some([written, _]) = faults {
        fault_point(written);
    }
    fs::rename(&temporary, path).map_err(Error::io(path))?;
    if let Some([_, renamed]) = faults {
        fault_point(renamed);
    }
    sync_dir(path.parent().unwrap_or(Path::new(".")))
}

/// Flushes a folder's entries to disk (`fsync` on the folder), so that a
/// file created or renamed in it survives a crash.
pub(crate) fn sync_dir(dir: &Path) -> Result<(), Error> {
    fs::File::open(dir)
        .and_then(|folder| folder.sync_all())
        .map_err(Error::io(dir))
}

fn make_read_only(dir: &Path) -> Result<(), Error> {
    use std::os::unix::fs::PermissionsExt;
    for entry in fs::read_dir(dir).map_err(Error::io(dir))? {
        let path = entry.map_err(Error::io(dir))?.path();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o444))
            .map_err(Error::io(&path))?;
    }
    fs::set_permissions(dir, fs::Permissions::from_mode(0o555))
        .map_err(Error::io(dir))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{Int32Array, StringArray};
    use arrow::datatypes::{DataType, Field, Schema};

    use super::*;

    fn tiny() -> (SchemaRef, RecordBatch) {
        let schema = Arc::new(Schema::new(vec![Field::new(
            "n",
            DataType::Int32,
            false,
        )]));
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![Arc::new(Int32Array::from(vec![1, 2]))],
        )
        .unwrap();
        (schema, batch)
    }

    fn entry(id: &str) -> BatchEntry {
        BatchEntry {
            batch_id: id.into(),
            source_kind: "hospital_stay".into(),
            source_file: "stays.csv".into(),
            input_sha256: format!("{id}-hash"),
            rows_read: 2,
            rows_accepted: 2,
            rows_quarantined: 0,
            key_fingerprint: "f".into(),
            provider_key_fingerprint: None,
            bloom_construction: None,
            ingested_at: "2026-01-01T00:00:00Z".into(),
            files: Vec::new(),
        }
    }

    #[test]
    fn work_table_writer_replaces_table_at_finish() {
        let dir = tempfile::tempdir().unwrap();
        let registry =
            Registry::open_or_create(&dir.path().join("reg")).unwrap();
        let (schema, batch) = tiny();
        registry
            .write_work_table(
                WorkStage::Link,
                "t",
                schema.clone(),
                &[batch.clone()],
            )
            .unwrap();

        let mut writer = registry
            .work_table_writer(WorkStage::Link, "t", schema.clone())
            .unwrap();
        for _ in 0..3 {
            writer.write(&batch).unwrap();
        }

        // Until finish, readers see the previous table.
        let rows = |batches: Vec<RecordBatch>| -> usize {
            batches.iter().map(RecordBatch::num_rows).sum()
        };
        let before = registry.read_work_table(WorkStage::Link, "t").unwrap();
        assert_eq!(rows(before), 2);

        assert_eq!(writer.finish().unwrap(), 6);
        let after = registry.read_work_table(WorkStage::Link, "t").unwrap();
        assert_eq!(rows(after), 6);
        let partial =
            registry.work_dir(WorkStage::Link).join("t.parquet.partial");
        assert!(!partial.exists());
    }

    #[test]
    fn batch_is_staged_and_listed() {
        let dir = tempfile::tempdir().unwrap();
        let registry = Registry::open_or_create(dir.path()).unwrap();
        let (schema, batch) = tiny();
        let id = registry.next_batch_id().unwrap();
        assert_eq!(id, "B000001");
        registry
            .stage_batch(
                entry(&id),
                (schema.clone(), std::slice::from_ref(&batch)),
                (schema, &[]),
            )
            .unwrap();
        assert_eq!(registry.catalogue().unwrap().batches.len(), 1);
        assert_eq!(registry.read_staged_records().unwrap()[0], batch);
        assert!(registry.batch_with_input("B000001-hash").unwrap().is_some());
        assert!(registry.lock().is_ok(), "the lock is released");
    }

    #[test]
    fn staged_records_stream_in_ingestion_order() {
        let dir = tempfile::tempdir().unwrap();
        let registry = Registry::open_or_create(dir.path()).unwrap();
        let schema = Arc::new(Schema::new(vec![
            Field::new("record_id", DataType::Utf8, false),
            Field::new("nir_pseudonym", DataType::Utf8, true),
        ]));
        let batches: Vec<RecordBatch> = [["r1", "r2"], ["r3", "r4"]]
            .iter()
            .map(|ids| {
                RecordBatch::try_new(
                    schema.clone(),
                    vec![
                        Arc::new(StringArray::from(ids.to_vec())),
                        Arc::new(StringArray::from(vec![Some("p"), None])),
                    ],
                )
                .unwrap()
            })
            .collect();
        for batch in &batches {
            let id = registry.next_batch_id().unwrap();
            registry
                .stage_batch(
                    entry(&id),
                    (schema.clone(), std::slice::from_ref(batch)),
                    (schema.clone(), &[]),
                )
                .unwrap();
        }

        let streamed: Vec<RecordBatch> = registry
            .stream_staged_records_without(&["nir_pseudonym"])
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();

        // The same batches as the reader that collects them, in the order
        // the batches were staged.
        let read = registry
            .read_staged_records_without(&["nir_pseudonym"])
            .unwrap();
        assert_eq!(streamed, read);
        assert_eq!(streamed.len(), 2);
        assert_eq!(streamed[0], batches[0].project(&[0]).unwrap());
        assert_eq!(streamed[1], batches[1].project(&[0]).unwrap());
    }

    #[test]
    fn release_is_read_only_and_verified() {
        let dir = tempfile::tempdir().unwrap();
        let registry = Registry::open_or_create(dir.path()).unwrap();
        let (schema, batch) = tiny();
        registry
            .stage_batch(
                entry("B000001"),
                (schema.clone(), std::slice::from_ref(&batch)),
                (schema.clone(), &[]),
            )
            .unwrap();
        registry
            .write_work_table(
                WorkStage::Consolidate,
                "tumours",
                schema,
                &[batch],
            )
            .unwrap();
        let source = registry
            .work_dir(WorkStage::Consolidate)
            .join("tumours.parquet");
        let release = registry
            .create_release(&[("tumours", source.clone())], "s")
            .unwrap();
        assert_eq!(release.release_id, "R0001");
        assert_eq!(release.table("tumours").unwrap().rows, 2);
        let file = registry.release_dir("R0001").join("tumours.parquet");
        // Checked on the mode bits, because root may write a 0444 file.
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o222, 0, "release file is writable: {mode:o}");
        assert!(registry.verify_release(&release).unwrap().is_empty());
        assert!(registry.verified_release(None).is_ok());

        // Root writes through the read-only modes, as an intruder might.
        let dir = registry.release_dir("R0001");
        fs::write(dir.join("extra.parquet"), b"x").unwrap();
        fs::remove_file(&file).unwrap();
        let problems = registry.verify_release(&release).unwrap();
        assert!(
            problems.contains(&"tumours.parquet missing".to_string()),
            "{problems:?}"
        );
        assert!(
            problems.contains(&"extra.parquet not in the manifest".to_string()),
            "{problems:?}"
        );
        let err = registry
            .verified_release(Some("R0001"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("failed verification"), "{err}");

        let again = registry
            .create_release(&[("tumours", source)], "s")
            .unwrap();
        assert_eq!(again.release_id, "R0002");
        assert_eq!(again.inputs_sha256, release.inputs_sha256);
        assert_eq!(again.tables, release.tables);
    }

    #[test]
    fn lock_is_exclusive() {
        let dir = tempfile::tempdir().unwrap();
        let registry = Registry::open_or_create(dir.path()).unwrap();
        let held = registry.lock().unwrap();
        let err = registry.lock().unwrap_err().to_string();
        assert!(err.contains("is locked"), "{err}");
        drop(held);
        assert!(registry.lock().is_ok());
    }

    #[test]
    fn release_without_batches_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let registry = Registry::open_or_create(dir.path()).unwrap();
        let err = registry.create_release(&[], "").unwrap_err().to_string();
        assert!(err.contains("run `rnc ingest` first"), "{err}");
    }
}
