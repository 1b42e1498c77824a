//! Arrow columns of laterality and stage, shared by the source-record
//! table and the tumour table of `rnc-rules`.

use std::sync::Arc;

use arrow_array::builder::{StringBuilder, UInt8Builder};
use arrow_array::{Array, ArrayRef, RecordBatch, StringArray, UInt8Array};
use arrow_schema::{ArrowError, DataType, Field};

use crate::{Laterality, Stage, SummaryStage, Tnm, TnmBasis};

/// Laterality and stage of one row.
pub type Staging = (Option<Laterality>, Option<Stage>);

/// Names of the laterality and stage columns, in schema order. A table
/// written before these columns existed reads as if they were empty.
pub const STAGING_COLUMNS: [&str; 8] = [
    "laterality",
    "tnm_basis",
    "tnm_t",
    "tnm_n",
    "tnm_m",
    "tnm_stage_group",
    "tnm_edition",
    "summary_stage",
];

/// Fields of the [`STAGING_COLUMNS`], all nullable.
pub fn staging_fields() -> Vec<Field> {
    STAGING_COLUMNS
        .iter()
        .map(|name| {
            let small =
                matches!(*name, "laterality" | "tnm_edition" | "summary_stage");
            let data_type = if small {
                DataType::UInt8
            } else {
                DataType::Utf8
            };
            Field::new(*name, data_type, true)
        })
        .collect()
}

/// Builds the [`STAGING_COLUMNS`] arrays, one row per item.
pub fn staging_arrays<'a>(
    rows: impl ExactSizeIterator<Item = (Option<Laterality>, Option<&'a Stage>)>,
) -> Vec<ArrayRef> {
    let n = rows.len();
    let mut laterality = UInt8Builder::with_capacity(n);
    let mut basis = StringBuilder::new();
    let mut t = StringBuilder::new();
    let mut n_category = StringBuilder::new();
    let mut m = StringBuilder::new();
    let mut group = StringBuilder::new();
    let mut edition = UInt8Builder::with_capacity(n);
    let mut summary = UInt8Builder::with_capacity(n);
    for (side, stage) in rows {
        laterality.append_option(side.map(Laterality::code));
        let tnm = stage.and_then(|s| s.tnm.as_ref());
        basis.append_option(tnm.map(|tnm| basis_label(tnm.basis)));
        t.append_option(tnm.and_then(|tnm| tnm.t.as_deref()));
        n_category.append_option(tnm.and_then(|tnm| tnm.n.as_deref()));
        m.append_option(tnm.and_then(|tnm| tnm.m.as_deref()));
        group.append_option(tnm.and_then(|tnm| tnm.stage_group.as_deref()));
        edition.append_option(tnm.and_then(|tnm| tnm.edition));
        summary.append_option(
            stage.and_then(|s| s.summary).map(SummaryStage::code),
        );
    }
    vec![
        Arc::new(laterality.finish()),
        Arc::new(basis.finish()),
        Arc::new(t.finish()),
        Arc::new(n_category.finish()),
        Arc::new(m.finish()),
        Arc::new(group.finish()),
        Arc::new(edition.finish()),
        Arc::new(summary.finish()),
    ]
}

/// Reads the laterality and stage of each row. Absent columns read as
/// empty.
///
/// # Errors
///
/// [`ArrowError::SchemaError`] when a column has another type, and
/// [`ArrowError::ParseError`] when a value is not one rnc writes, naming
/// the column and row.
pub fn read_staging_columns(
    batch: &RecordBatch,
) -> Result<Vec<Staging>, ArrowError> {
    let small = |name: &str| typed::<UInt8Array>(batch, name);
    let text = |name: &str| typed::<StringArray>(batch, name);
    let laterality = small("laterality")?;
    let basis = text("tnm_basis")?;
    let t = text("tnm_t")?;
    let n = text("tnm_n")?;
    let m = text("tnm_m")?;
    let group = text("tnm_stage_group")?;
    let edition = small("tnm_edition")?;
    let summary = small("summary_stage")?;
    let bad = |column: &str, row: usize, what: String| {
        ArrowError::ParseError(format!("column {column}, row {row}: {what}"))
    };
    let get_small = |a: Option<&UInt8Array>, i: usize| {
        a.and_then(|a| a.is_valid(i).then(|| a.value(i)))
    };

    let mut rows = Vec::with_capacity(batch.num_rows());
    for i in 0..batch.num_rows() {
        let side = get_small(laterality, i)
            .map(Laterality::from_code)
            .transpose()
            .map_err(|e| bad("laterality", i, e.to_string()))?;
        let tnm = match get_text(basis, i) {
            None => None,
            Some(label) => {
                let tnm_basis = parse_basis(label).ok_or_else(|| {
                    bad(
                        "tnm_basis",
                        i,
                        format!("'{label}' is not clinical or pathological"),
                    )
                })?;
                let tnm = Tnm::parse(
                    tnm_basis,
                    get_text(t, i),
                    get_text(n, i),
                    get_text(m, i),
                    get_text(group, i),
                    get_small(edition, i),
                )
                .map_err(|e| bad("tnm", i, e.to_string()))?;
                Some(tnm)
            }
        };
        let summary_stage = match get_small(summary, i) {
            None => None,
            Some(code) => SummaryStage::from_code(code)
                .map_err(|e| bad("summary_stage", i, e.to_string()))?,
        };
        let stage =
            (tnm.is_some() || summary_stage.is_some()).then_some(Stage {
                tnm,
                summary: summary_stage,
            });
        rows.push((side, stage));
    }
    Ok(rows)
}

fn get_text(array: Option<&StringArray>, row: usize) -> Option<&str> {
    array.and_then(|a| a.is_valid(row).then(|| a.value(row)))
}

fn basis_label(basis: TnmBasis) -> &'static str {
    match basis {
        TnmBasis::Clinical => "clinical",
        TnmBasis::Pathological => "pathological",
    }
}

fn parse_basis(label: &str) -> Option<TnmBasis> {
    [TnmBasis::Clinical, TnmBasis::Pathological]
        .into_iter()
        .find(|b| basis_label(*b) == label)
}

fn typed<'a, T: 'static>(
    batch: &'a RecordBatch,
    name: &str,
) -> Result<Option<&'a T>, ArrowError> {
    let Some(column) = batch.column_by_name(name) else {
        return Ok(None);
    };
    column
        .as_any()
        .downcast_ref::<T>()
        .map(Some)
        .ok_or_else(|| {
            ArrowError::SchemaError(format!(
                "column {name} has type {}, not the type rnc writes",
                column.data_type()
            ))
        })
}
