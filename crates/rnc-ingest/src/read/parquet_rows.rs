//! Apache Parquet input, read batch by batch with the arrow reader.

use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use arrow_array::{Array, RecordBatch, StringArray};
use arrow_schema::DataType;
use csv::StringRecord;
use parquet::arrow::arrow_reader::{
    ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder,
};

use super::{Format, ReadRow, RowReader};
use crate::{Error, ErrorKind};

/// Rows decoded at a time. Memory grows with this times the row width.
const BATCH_ROWS: usize = 8_192;

/// Opens a Parquet file. Every column is read as text, so that the checks
/// are those of CSV: a date column (`Date32` or `Date64`) becomes
/// `YYYY-MM-DD`, a number its decimal digits, and a null an empty field.
pub(super) fn open(path: &Path, file: &str) -> Result<RowReader, Error> {
    let parquet_error = |source| ErrorKind::Parquet {
        file: file.to_string(),
        source,
    };
    let handle = File::open(path).map_err(|source| ErrorKind::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(handle)
        .map_err(parquet_error)?;
    let schema = Arc::clone(builder.schema());
    for field in schema.fields() {
        if !arrow_cast::can_cast_types(field.data_type(), &DataType::Utf8)
            || field.data_type().is_nested()
        {
            return Err(ErrorKind::Unsupported {
                file: file.to_string(),
                what: format!(
                    "Parquet column {} of type {} (expected text, numbers or \
                     dates, one value per row)",
                    field.name(),
                    field.data_type()
                ),
            }
            .into());
        }
    }
    let reader = builder
        .with_batch_size(BATCH_ROWS)
        .build()
        .map_err(parquet_error)?;
    let header: StringRecord =
        schema.fields().iter().map(|field| field.name()).collect();
    let rows = ParquetRows {
        reader,
        file: file.to_string(),
        columns: Vec::new(),
        batch_rows: 0,
        index: 0,
        record: 0,
        done: false,
    };
    Ok(RowReader {
        header,
        format: Format::Parquet,
        rows: Box::new(rows),
        digest: None,
    })
}

struct ParquetRows {
    reader: ParquetRecordBatchReader,
    file: String,
    /// The current batch, every column cast to text.
    columns: Vec<StringArray>,
    batch_rows: usize,
    /// Next row of the current batch.
    index: usize,
    record: u64,
    done: bool,
}

impl ParquetRows {
    fn load(&mut self, batch: &RecordBatch) -> Result<(), Error> {
        let mut columns = Vec::with_capacity(batch.num_columns());
        for column in batch.columns() {
            let text = arrow_cast::cast(column, &DataType::Utf8)?;
            let text = text
                .as_any()
                .downcast_ref::<StringArray>()
                .expect("a cast to Utf8 returns a StringArray")
                .clone();
            columns.push(text);
        }
        self.columns = columns;
        self.batch_rows = batch.num_rows();
        self.index = 0;
        Ok(())
    }
}

impl Iterator for ParquetRows {
    type Item = Result<ReadRow, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.done && self.index >= self.batch_rows {
            match self.reader.next() {
                None => self.done = true,
                Some(Err(source)) => {
                    self.done = true;
                    return Some(Err(ErrorKind::Parquet {
                        file: self.file.clone(),
                        source: source.into(),
                    }
                    .into()));
                }
                Some(Ok(batch)) => {
                    if let Err(error) = self.load(&batch) {
                        self.done = true;
                        return Some(Err(error));
                    }
                }
            }
        }
        if self.done {
            return None;
        }
        let fields: StringRecord = self
            .columns
            .iter()
            .map(|column| {
                if column.is_null(self.index) {
                    ""
                } else {
                    column.value(self.index).trim()
                }
            })
            .collect();
        let row = ReadRow {
            fields,
            line: self.record + 1,
            record: self.record,
            entry: None,
            defect: None,
        };
        self.index += 1;
        self.record += 1;
        Some(Ok(row))
    }
}
