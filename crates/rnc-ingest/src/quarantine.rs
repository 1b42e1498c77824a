//! Rows set aside because they broke a rule, and their Arrow table.

use std::sync::{Arc, LazyLock};

use arrow_array::{ArrayRef, RecordBatch, StringArray, UInt64Array};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use rnc_model::SourceKind;
use serde::{Deserialize, Serialize};

use crate::Error;

/// A source row that was not accepted, with where it is and why.
///
/// It contains no clear identifier: messages name an identifying field and
/// its rule but never its value, and `safe_fields` leaves identifying
/// columns out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuarantinedRow {
    /// Ingestion batch that read the row.
    pub batch_id: String,
    /// Feed of the file.
    pub source_kind: SourceKind,
    /// File name, without directory.
    pub source_file: String,
    /// Line where the row starts, from 1; the header is line 1.
    pub line: u64,
    /// Data record number, from 0; the header is not counted.
    pub record: u64,
    /// Column of the first broken rule, or `-` when the row as a whole is
    /// wrong (its number of fields).
    pub field: String,
    /// Id of the first broken rule, such as `impossible_date`.
    pub rule: String,
    /// The first problem in full: `file: line N, field F: what is wrong
    /// (expected …)`.
    pub message: String,
    /// Every broken rule of the row as `field:rule`, separated by `; `,
    /// the first one included.
    pub problems: String,
    /// JSON object of the row's non-identifying columns, to help find and
    /// fix the row; `{}` when the fields cannot be matched to columns.
    pub safe_fields: String,
}

static SCHEMA: LazyLock<SchemaRef> = LazyLock::new(|| {
    let text = |name: &str| Field::new(name, DataType::Utf8, false);
    let count = |name: &str| Field::new(name, DataType::UInt64, false);
    Arc::new(Schema::new(vec![
        text("batch_id"),
        text("source_kind"),
        text("source_file"),
        count("line"),
        count("record"),
        text("field"),
        text("rule"),
        text("message"),
        text("problems"),
        text("safe_fields"),
    ]))
});

/// The Arrow schema of the quarantine table, one column per field of
/// [`QuarantinedRow`] with the same name; `source_kind` contains
/// [`SourceKind::name`].
pub fn quarantine_schema() -> SchemaRef {
    SCHEMA.clone()
}

/// Converts quarantined rows to a record batch of [`quarantine_schema`].
///
/// # Errors
///
/// [`crate::ErrorKind::Arrow`] if Arrow rejects the columns, which would be
/// a bug in this function.
pub fn quarantine_to_batch(
    rows: &[QuarantinedRow],
) -> Result<RecordBatch, Error> {
    let text = |value: fn(&QuarantinedRow) -> &str| -> ArrayRef {
        Arc::new(StringArray::from_iter_values(rows.iter().map(value)))
    };
    let count = |value: fn(&QuarantinedRow) -> u64| -> ArrayRef {
        Arc::new(UInt64Array::from_iter_values(rows.iter().map(value)))
    };
    let columns = vec![
        text(|row| &row.batch_id),
        text(|row| row.source_kind.name()),
        text(|row| &row.source_file),
        count(|row| row.line),
        count(|row| row.record),
        text(|row| &row.field),
        text(|row| &row.rule),
        text(|row| &row.message),
        text(|row| &row.problems),
        text(|row| &row.safe_fields),
    ];
    Ok(RecordBatch::try_new(quarantine_schema(), columns)?)
}
