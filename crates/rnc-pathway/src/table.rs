//! Output tables: named columns of text, integers or numbers, written as
//! CSV or as an Arrow record batch for Parquet.

use std::sync::Arc;

use arrow_array::{
    ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray,
};
use arrow_schema::{ArrowError, DataType, Field, Schema};

/// The values of one column; `None` is an empty field (a suppressed or
/// unavailable value).
#[derive(Debug, Clone, PartialEq)]
pub enum Values {
    /// Text.
    Text(Vec<Option<String>>),
    /// Whole numbers (counts, days).
    Integer(Vec<Option<i64>>),
    /// Real numbers (shares, survival).
    Number(Vec<Option<f64>>),
}

impl Values {
    fn len(&self) -> usize {
        match self {
            Values::Text(v) => v.len(),
            Values::Integer(v) => v.len(),
            Values::Number(v) => v.len(),
        }
    }

    fn field(&self, row: usize) -> String {
        match self {
            Values::Text(v) => v[row].clone().unwrap_or_default(),
            Values::Integer(v) => {
                v[row].map(|x| x.to_string()).unwrap_or_default()
            }
            Values::Number(v) => {
                v[row].map(|x| format!("{x:.4}")).unwrap_or_default()
            }
        }
    }
}

/// A table of named columns of equal length.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Table {
    /// Column names and values, in output order.
    pub columns: Vec<(String, Values)>,
}

impl Table {
    /// Appends a column.
    ///
    /// # Panics
    ///
    /// When its length differs from the columns already present, which
    /// is a bug in the caller.
    pub fn push(&mut self, name: &str, values: Values) {
        if let Some((_, first)) = self.columns.first() {
            assert_eq!(first.len(), values.len(), "column {name} length");
        }
        self.columns.push((name.to_string(), values));
    }

    /// Appends the rows of `more`, which has the same columns, and returns
    /// the result; an empty table takes the columns of `more`.
    ///
    /// # Panics
    ///
    /// When the columns differ in name or type, which is a bug in the
    /// caller.
    pub fn append(self, more: Table) -> Table {
        if self.columns.is_empty() {
            return more;
        }
        let mut out = Table::default();
        for ((name, values), (other, extra)) in
            self.columns.into_iter().zip(more.columns)
        {
            assert_eq!(name, other, "appended tables differ in columns");
            let values = match (values, extra) {
                (Values::Text(mut a), Values::Text(b)) => {
                    a.extend(b);
                    Values::Text(a)
                }
                (Values::Integer(mut a), Values::Integer(b)) => {
                    a.extend(b);
                    Values::Integer(a)
                }
                (Values::Number(mut a), Values::Number(b)) => {
                    a.extend(b);
                    Values::Number(a)
                }
                _ => panic!("column {name} differs in type between tables"),
            };
            out.push(&name, values);
        }
        out
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.columns.first().map_or(0, |(_, v)| v.len())
    }

    /// Returns the column of this name.
    pub fn column(&self, name: &str) -> Option<&Values> {
        self.columns.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// Returns the text of one cell as written in CSV.
    pub fn cell(&self, name: &str, row: usize) -> Option<String> {
        self.column(name).map(|v| v.field(row))
    }

    /// Writes the table as CSV with a header line; numbers have four
    /// decimals and an empty field is a suppressed or missing value.
    pub fn to_csv(&self) -> String {
        let quote = |text: &str| {
            if text.contains([',', '"', '\n']) {
                format!("\"{}\"", text.replace('"', "\"\""))
            } else {
                text.to_string()
            }
        };
        let mut out = self
            .columns
            .iter()
            .map(|(name, _)| quote(name))
            .collect::<Vec<_>>()
            .join(",");
        out.push('\n');
        for row in 0..self.rows() {
            let fields: Vec<String> = self
                .columns
                .iter()
                .map(|(_, values)| quote(&values.field(row)))
                .collect();
            out.push_str(&fields.join(","));
            out.push('\n');
        }
        out
    }

    /// Converts the table to an Arrow record batch: text as `Utf8`,
    /// whole numbers as `Int64`, numbers as `Float64`, all nullable.
    ///
    /// # Errors
    ///
    /// Only if Arrow rejects the arrays, which would be a bug here.
    pub fn to_record_batch(&self) -> Result<RecordBatch, ArrowError> {
        let mut fields = Vec::new();
        let mut arrays: Vec<ArrayRef> = Vec::new();
        for (name, values) in &self.columns {
            let (data_type, array): (DataType, ArrayRef) = match values {
                Values::Text(v) => {
                    (DataType::Utf8, Arc::new(StringArray::from(v.clone())))
                }
                Values::Integer(v) => {
                    (DataType::Int64, Arc::new(Int64Array::from(v.clone())))
                }
                Values::Number(v) => {
                    (DataType::Float64, Arc::new(Float64Array::from(v.clone())))
                }
            };
            fields.push(Field::new(name, data_type, true));
            arrays.push(array);
        }
        RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays)
    }
}
