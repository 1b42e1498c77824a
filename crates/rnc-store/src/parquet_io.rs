//! Reading and writing Parquet tables.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::arrow_writer::{
    ArrowColumnChunk, ArrowColumnWriter, ArrowRowGroupWriterFactory,
    compute_leaves,
};
use parquet::arrow::{ArrowWriter, ProjectionMask};
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use rayon::iter::{
    IndexedParallelIterator, IntoParallelIterator, IntoParallelRefMutIterator,
    ParallelIterator,
};
use sha2::{Digest, Sha256};

use crate::Error;

/// Writes `batches` to a Parquet file (zstd-compressed) at `path`, through
/// a temporary file renamed into place. Returns the number of rows.
///
/// An empty `batches` writes an empty table with `schema`. When writing
/// fails, the temporary file is removed and whatever was at `path` stays.
///
/// # Errors
///
/// [`Error::Io`] or [`Error::Parquet`] naming the file.
pub fn write_parquet(
    path: &Path,
    schema: SchemaRef,
    batches: &[RecordBatch],
) -> Result<u64, Error> {
    let temporary = path.with_extension("parquet.partial");
    let written = write_parquet_through(path, &temporary, schema, batches);
    if written.is_err() {
        // Best effort: the error that stopped the write is the one to
        // report, and a file that cannot be removed is replaced by the
        // next write.
        let _ = std::fs::remove_file(&temporary);
    }
    written
}

fn write_parquet_through(
    path: &Path,
    temporary: &Path,
    schema: SchemaRef,
    batches: &[RecordBatch],
) -> Result<u64, Error> {
    let file = File::create(temporary).map_err(Error::io(temporary))?;
    let properties = writer_properties().build();
    let parquet_error = |source| Error::Parquet {
        path: path.to_path_buf(),
        source,
    };
    let mut writer = ArrowWriter::try_new(file, schema, Some(properties))
        .map_err(parquet_error)?;
    let mut rows = 0;
    for batch in batches {
        writer.write(batch).map_err(parquet_error)?;
        rows += batch.num_rows() as u64;
    }
    let file = writer.into_inner().map_err(parquet_error)?;
    file.sync_all().map_err(Error::io(temporary))?;
    std::fs::rename(temporary, path).map_err(Error::io(path))?;
    Ok(rows)
}

fn writer_properties() -> parquet::file::properties::WriterPropertiesBuilder {
    WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        .set_created_by("rnc".to_string())
}

/// Rows per row group of a table written by [`TableWriter`]. The writer
/// keeps one row group in memory before it reaches the file, so this
/// bounds its memory whatever the table's length.
pub const STREAMED_ROW_GROUP_ROWS: usize = 64 * 1024;

/// A Parquet table written batch by batch, in bounded memory, that
/// computes the SHA-256 of the file's bytes as they are written.
///
/// Each batch's columns are encoded and compressed in parallel on the
/// rayon pool into the open row group's column writers, which are
/// appended in order once the row group is full. Linkage writes millions
/// of scored pairs through it, and the two record-id columns no longer
/// wait for each other. The column writers keep the row group encoded, as
/// a plain Parquet writer does, so memory stays that of one encoded row
/// group.
///
/// Nothing is renamed: the caller writes it under a temporary name and
/// moves it into place once [`TableWriter::finish`] has returned.
pub struct TableWriter {
    path: PathBuf,
    schema: SchemaRef,
    file: SerializedFileWriter<HashingWriter<File>>,
    row_groups: ArrowRowGroupWriterFactory,
    /// Column writers of the row group being filled, one per leaf column.
    open_row_group: Option<Vec<ArrowColumnWriter>>,
    /// Rows in the open row group, fewer than [`STREAMED_ROW_GROUP_ROWS`].
    open_rows: usize,
    rows: u64,
}

impl std::fmt::Debug for TableWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TableWriter")
            .field("path", &self.path)
            .field("rows", &self.rows)
            .finish_non_exhaustive()
    }
}

/// Summary of the file [`TableWriter::finish`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrittenTable {
    /// Rows written.
    pub rows: u64,
    /// SHA-256 of the file's bytes, lowercase hex.
    pub sha256: String,
}

impl TableWriter {
    /// Creates the file at `path`, replacing any file there.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] or [`Error::Parquet`] naming the file.
    pub fn create(
        path: &Path,
        schema: SchemaRef,
    ) -> Result<TableWriter, Error> {
        let file = File::create(path).map_err(Error::io(path))?;
        let properties = writer_properties().build();
        let (file, row_groups) = ArrowWriter::try_new(
            HashingWriter::new(file),
            schema.clone(),
            Some(properties),
        )
        .and_then(ArrowWriter::into_serialized_writer)
        .map_err(parquet_error(path))?;
        Ok(TableWriter {
            path: path.to_path_buf(),
            schema,
            file,
            row_groups,
            open_row_group: None,
            open_rows: 0,
            rows: 0,
        })
    }

    /// Appends a batch, which must have the table's schema. A row group
    /// reaches the file once it has [`STREAMED_ROW_GROUP_ROWS`] rows.
    ///
    /// # Errors
    ///
    /// [`Error::Parquet`] naming the file, also when the batch's schema
    /// differs from the table's.
    pub fn write(&mut self, batch: &RecordBatch) -> Result<(), Error> {
        if batch.schema().fields() != self.schema.fields() {
            return Err(Error::Parquet {
                path: self.path.clone(),
                source: parquet::errors::ParquetError::General(format!(
                    "batch columns {:?} differ from the table's columns \
                     {:?}: write batches with the table's schema",
                    field_names(&batch.schema()),
                    field_names(&self.schema)
                )),
            });
        }
        let mut start = 0;
        while start < batch.num_rows() {
            let room = STREAMED_ROW_GROUP_ROWS - self.open_rows;
            let rows_taken = (batch.num_rows() - start).min(room);
            self.encode(&batch.slice(start, rows_taken))?;
            self.open_rows += rows_taken;
            start += rows_taken;
            if self.open_rows == STREAMED_ROW_GROUP_ROWS {
                self.close_row_group()?;
            }
        }
        self.rows += batch.num_rows() as u64;
        Ok(())
    }

    /// Encodes the rows of `batch` into the open row group, opening one
    /// when none is, a column per rayon task.
    fn encode(&mut self, batch: &RecordBatch) -> Result<(), Error> {
        let error = parquet_error(&self.path);
        let mut leaves = Vec::new();
        for (field, column) in self.schema.fields().iter().zip(batch.columns())
        {
            leaves.extend(compute_leaves(field, column).map_err(&error)?);
        }
        let mut writers = match self.open_row_group.take() {
            Some(writers) => writers,
            None => self
                .row_groups
                .create_column_writers(self.file.flushed_row_groups().len())
                .map_err(&error)?,
        };
        writers
            .par_iter_mut()
            .zip(leaves.into_par_iter())
            .try_for_each(|(writer, leaf)| writer.write(&leaf))
            .map_err(&error)?;
        self.open_row_group = Some(writers);
        Ok(())
    }

    /// Closes the open row group's column writers, in parallel, and
    /// appends their chunks to the file in column order.
    fn close_row_group(&mut self) -> Result<(), Error> {
        let Some(writers) = self.open_row_group.take() else {
            return Ok(());
        };
        let error = parquet_error(&self.path);
        let chunks: Vec<ArrowColumnChunk> = writers
            .into_par_iter()
            .map(ArrowColumnWriter::close)
            .collect::<Result<_, _>>()
            .map_err(&error)?;

        let mut row_group = self.file.next_row_group().map_err(&error)?;
        for chunk in chunks {
            chunk.append_to_row_group(&mut row_group).map_err(&error)?;
        }
        row_group.close().map_err(&error)?;
        self.open_rows = 0;
        Ok(())
    }

    /// Rows written so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Writes the footer, flushes the file to disk (`fsync`) and returns
    /// its row count and SHA-256.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] or [`Error::Parquet`] naming the file.
    pub fn finish(mut self) -> Result<WrittenTable, Error> {
        self.close_row_group()?;
        let hashing =
            self.file.into_inner().map_err(parquet_error(&self.path))?;
        let (file, sha256) = hashing.finish();
        file.sync_all().map_err(Error::io(&self.path))?;
        Ok(WrittenTable {
            rows: self.rows,
            sha256,
        })
    }
}

fn field_names(schema: &SchemaRef) -> Vec<&str> {
    schema.fields().iter().map(|f| f.name().as_str()).collect()
}

fn parquet_error(
    path: &Path,
) -> impl Fn(parquet::errors::ParquetError) -> Error + '_ {
    move |source| Error::Parquet {
        path: path.to_path_buf(),
        source,
    }
}

/// A writer that passes bytes through and hashes them with SHA-256, so
/// that a file written front to back gets its hash without a second read.
#[derive(Debug)]
struct HashingWriter<W> {
    inner: W,
    hasher: Sha256,
}

impl<W: Write> HashingWriter<W> {
    fn new(inner: W) -> HashingWriter<W> {
        HashingWriter {
            inner,
            hasher: Sha256::new(),
        }
    }

    fn finish(self) -> (W, String) {
        (self.inner, hex::encode(self.hasher.finalize()))
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let written = self.inner.write(bytes)?;
        self.hasher.update(&bytes[..written]);
        Ok(written)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Reads every batch of a Parquet file.
///
/// # Errors
///
/// [`Error::Io`] when the file cannot be opened, [`Error::Parquet`] when
/// it is not a readable Parquet file.
pub fn read_parquet(path: &Path) -> Result<Vec<RecordBatch>, Error> {
    read_parquet_without(path, &[])
}

/// Counts the rows of a Parquet file from its footer, without decoding
/// any column: a release counts tables of tens of millions of rows.
///
/// # Errors
///
/// As [`read_parquet`].
pub fn parquet_row_count(path: &Path) -> Result<u64, Error> {
    let file = File::open(path).map_err(Error::io(path))?;
    let builder =
        ParquetRecordBatchReaderBuilder::try_new(file).map_err(|source| {
            Error::Parquet {
                path: path.to_path_buf(),
                source,
            }
        })?;
    let rows = builder.metadata().file_metadata().num_rows();
    // The footer stores the count as a signed integer; a negative one
    // means a damaged file.
    u64::try_from(rows).map_err(|_| {
        Error::Invalid(format!(
            "{} declares {rows} rows; the file is damaged, copy it again \
             from its source",
            path.display()
        ))
    })
}

/// Reads every batch of a Parquet file without the top-level columns
/// named in `skipped`, which are never decoded, so that a reader that
/// does not need wide columns does not hold them in memory. Names absent
/// from the file are ignored.
///
/// # Errors
///
/// As [`read_parquet`].
pub fn read_parquet_without(
    path: &Path,
    skipped: &[&str],
) -> Result<Vec<RecordBatch>, Error> {
    let mut batches = Vec::new();
    for batch in stream_parquet_without(path, skipped)? {
        batches.push(batch?);
    }
    Ok(batches)
}

/// Opens a Parquet file for reading batch by batch, so that memory does
/// not grow with the file. The reader also gives the file's schema.
///
/// # Errors
///
/// [`Error::Io`] when the file cannot be opened, [`Error::Parquet`] when
/// it is not a readable Parquet file.
pub fn stream_parquet(
    path: &Path,
) -> Result<parquet::arrow::arrow_reader::ParquetRecordBatchReader, Error> {
    stream_parquet_without(path, &[])
}

/// Opens a Parquet file as [`stream_parquet`] does, without the top-level
/// columns named in `skipped`. Names absent from the file are ignored.
///
/// # Errors
///
/// As [`stream_parquet`].
pub fn stream_parquet_without(
    path: &Path,
    skipped: &[&str],
) -> Result<parquet::arrow::arrow_reader::ParquetRecordBatchReader, Error> {
    stream_parquet_where(path, |name| !skipped.contains(&name))
}

/// Opens a Parquet file as [`stream_parquet`] does, with only the
/// top-level columns named in `columns`, in the file's order. Names
/// absent from the file are ignored, so a caller checks for the columns
/// it needs.
///
/// # Errors
///
/// As [`stream_parquet`].
pub fn stream_parquet_columns(
    path: &Path,
    columns: &[&str],
) -> Result<parquet::arrow::arrow_reader::ParquetRecordBatchReader, Error> {
    stream_parquet_where(path, |name| columns.contains(&name))
}

/// Opens a Parquet file with the top-level columns whose name passes
/// `keep`. The other columns are never decoded.
fn stream_parquet_where(
    path: &Path,
    keep: impl Fn(&str) -> bool,
) -> Result<parquet::arrow::arrow_reader::ParquetRecordBatchReader, Error> {
    let file = File::open(path).map_err(Error::io(path))?;
    let parquet_error = |source| Error::Parquet {
        path: path.to_path_buf(),
        source,
    };
    let mut builder = ParquetRecordBatchReaderBuilder::try_new(file)
        .map_err(parquet_error)?;
    let fields = builder.schema().fields();
    if !fields.iter().all(|field| keep(field.name())) {
        let indices = fields
            .iter()
            .enumerate()
            .filter(|(_, field)| keep(field.name()))
            .map(|(index, _)| index)
            .collect::<Vec<_>>();
        let mask = ProjectionMask::roots(builder.parquet_schema(), indices);
        builder = builder.with_projection(mask);
    }
    builder
        .with_batch_size(64 * 1024)
        .build()
        .map_err(parquet_error)
}

/// Concatenates batches into one (an empty batch of `schema` when there are
/// none).
///
/// # Errors
///
/// [`Error::Arrow`] when the schemas differ.
pub fn concat(
    schema: SchemaRef,
    batches: &[RecordBatch],
) -> Result<RecordBatch, Error> {
    Ok(arrow::compute::concat_batches(&schema, batches)?)
}

/// SHA-256 of a file's bytes, lowercase hex.
///
/// # Errors
///
/// [`Error::Io`] naming the file.
pub fn file_sha256(path: &Path) -> Result<String, Error> {
    let mut file = File::open(path).map_err(Error::io(path))?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut HashWriter(&mut hasher))
        .map_err(Error::io(path))?;
    Ok(hex::encode(hasher.finalize()))
}

struct HashWriter<'a>(&'a mut Sha256);

impl Write for HashWriter<'_> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.update(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{Int32Array, StringArray};
    use arrow::datatypes::{DataType, Field, Schema};

    use super::*;

    #[test]
    fn parquet_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.parquet");
        let schema = Arc::new(Schema::new(vec![
            Field::new("site", DataType::Utf8, false),
            Field::new("cases", DataType::Int32, true),
        ]));
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(StringArray::from(vec!["C18", "C50"])),
                Arc::new(Int32Array::from(vec![Some(3), None])),
            ],
        )
        .unwrap();
        assert_eq!(
            write_parquet(&path, schema.clone(), std::slice::from_ref(&batch))
                .unwrap(),
            2
        );
        let back = read_parquet(&path).unwrap();
        assert_eq!(concat(schema, &back).unwrap(), batch);
        assert!(!path.with_extension("parquet.partial").exists());
    }

    #[test]
    fn failed_write_leaves_no_partial_file() {
        let dir = tempfile::tempdir().unwrap();
        // A folder where the table should go: the rename fails.
        let path = dir.path().join("t.parquet");
        std::fs::create_dir(&path).unwrap();
        let schema = Arc::new(Schema::new(vec![Field::new(
            "cases",
            DataType::Int32,
            true,
        )]));

        let error = write_parquet(&path, schema, &[]).unwrap_err();

        assert!(error.to_string().contains("t.parquet"), "{error}");
        assert!(path.is_dir(), "the folder stays as it was");
        assert!(!path.with_extension("parquet.partial").exists());
    }

    #[test]
    fn row_count_spans_row_groups() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.parquet");
        let schema = Arc::new(Schema::new(vec![Field::new(
            "cases",
            DataType::Int32,
            false,
        )]));
        // Three row groups of the streamed size and a short fourth one.
        let rows = 3 * STREAMED_ROW_GROUP_ROWS + 5;
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![Arc::new(Int32Array::from_iter_values(0..rows as i32))],
        )
        .unwrap();
        let mut writer = TableWriter::create(&path, schema.clone()).unwrap();
        writer.write(&batch).unwrap();
        writer.finish().unwrap();

        assert_eq!(parquet_row_count(&path).unwrap(), rows as u64);

        let empty = dir.path().join("empty.parquet");
        write_parquet(&empty, schema, &[]).unwrap();
        assert_eq!(parquet_row_count(&empty).unwrap(), 0);
    }

    /// Writes a two-row table with a record id, a pseudonym and a count
    /// to `t.parquet` in a new folder, and returns the folder, the path and
    /// the batch written.
    fn three_column_table() -> (tempfile::TempDir, PathBuf, RecordBatch) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.parquet");
        let schema = Arc::new(Schema::new(vec![
            Field::new("record_id", DataType::Utf8, false),
            Field::new("nir_pseudonym", DataType::Utf8, true),
            Field::new("cases", DataType::Int32, true),
        ]));
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(StringArray::from(vec!["a", "b"])),
                Arc::new(StringArray::from(vec![Some("p1"), None])),
                Arc::new(Int32Array::from(vec![Some(3), None])),
            ],
        )
        .unwrap();
        write_parquet(&path, schema, std::slice::from_ref(&batch)).unwrap();
        (dir, path, batch)
    }

    #[test]
    fn skipped_columns_are_not_read() {
        let (_dir, path, batch) = three_column_table();

        let back =
            read_parquet_without(&path, &["nir_pseudonym", "absent"]).unwrap();

        let kept = batch.project(&[0, 2]).unwrap();
        assert_eq!(concat(kept.schema(), &back).unwrap(), kept);
    }

    #[test]
    fn named_columns_are_read_alone() {
        let (_dir, path, batch) = three_column_table();

        // Asked in another order and with a name the file lacks, the
        // columns come back in the file's order.
        let back: Vec<RecordBatch> =
            stream_parquet_columns(&path, &["cases", "absent", "record_id"])
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();

        let kept = batch.project(&[0, 2]).unwrap();
        assert_eq!(concat(kept.schema(), &back).unwrap(), kept);
    }

    #[test]
    fn same_content_same_hash() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        let b = dir.path().join("b");
        std::fs::write(&a, b"tumour").unwrap();
        std::fs::write(&b, b"tumour").unwrap();
        assert_eq!(file_sha256(&a).unwrap(), file_sha256(&b).unwrap());
        // SHA-256("abc") from FIPS 180-2, appendix B.1.
        std::fs::write(&a, b"abc").unwrap();
        assert_eq!(
            file_sha256(&a).unwrap(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    /// Returns the schema of [`numbered`] batches.
    fn numbered_schema() -> SchemaRef {
        Arc::new(Schema::new(vec![
            Field::new("record_id", DataType::Utf8, false),
            Field::new("count", DataType::Int32, true),
            Field::new("linked", DataType::Boolean, false),
        ]))
    }

    /// Builds `rows` rows numbered from `first`: an id, a count that is
    /// null every seventh row, and a flag.
    fn numbered(schema: &SchemaRef, first: usize, rows: usize) -> RecordBatch {
        let range = first..first + rows;
        let ids: Vec<String> =
            range.clone().map(|i| format!("R{i:07}")).collect();
        let counts: Vec<Option<i32>> = range
            .clone()
            .map(|i| (i % 7 != 0).then_some(i as i32))
            .collect();
        let flags: Vec<bool> = range.map(|i| i % 2 == 0).collect();
        RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(StringArray::from(ids)),
                Arc::new(Int32Array::from(counts)),
                Arc::new(arrow::array::BooleanArray::from(flags)),
            ],
        )
        .unwrap()
    }

    #[test]
    fn table_writer_splits_row_groups() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pairs.parquet");
        let schema = numbered_schema();
        // Batch sizes that fall across the row-group boundary, then an
        // empty batch and a short tail.
        let sizes = [100_000, 50_000, 0, 3];
        let mut writer = TableWriter::create(&path, schema.clone()).unwrap();
        let mut first = 0;
        let mut written = Vec::new();
        for rows in sizes {
            let batch = numbered(&schema, first, rows);
            writer.write(&batch).unwrap();
            written.push(batch);
            first += rows;
        }

        let table = writer.finish().unwrap();

        // Expected: the batches written, read back by the Parquet reader,
        // and the SHA-256 of the file's bytes read from disk.
        assert_eq!(table.rows, 150_003);
        assert_eq!(table.sha256, file_sha256(&path).unwrap());
        let file = File::open(&path).unwrap();
        let metadata = ParquetRecordBatchReaderBuilder::try_new(file)
            .unwrap()
            .metadata()
            .clone();
        let groups: Vec<i64> =
            metadata.row_groups().iter().map(|g| g.num_rows()).collect();
        assert_eq!(groups, [65_536, 65_536, 18_931]);
        let expected =
            arrow::compute::concat_batches(&schema, &written).unwrap();
        let back = read_parquet(&path).unwrap();
        let back = arrow::compute::concat_batches(&schema, &back).unwrap();
        assert_eq!(back, expected);
    }

    #[test]
    fn table_writer_empty_and_mismatched() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("empty.parquet");
        let schema = numbered_schema();
        let mut writer = TableWriter::create(&path, schema.clone()).unwrap();
        let other = RecordBatch::try_new(
            Arc::new(Schema::new(vec![Field::new(
                "site",
                DataType::Utf8,
                false,
            )])),
            vec![Arc::new(StringArray::from(vec!["C18"]))],
        )
        .unwrap();

        let error = writer.write(&other).unwrap_err().to_string();
        let table = writer.finish().unwrap();

        assert!(error.contains("site"), "{error}");
        assert!(error.contains("record_id"), "{error}");
        assert_eq!(table.rows, 0);
        assert_eq!(parquet_row_count(&path).unwrap(), 0);
        let reader = stream_parquet(&path).unwrap();
        assert_eq!(
            arrow::array::RecordBatchReader::schema(&reader).fields(),
            schema.fields()
        );
    }
}
