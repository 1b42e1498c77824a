//! Where a value came from in a source file.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The place of a record or field in a source file.
///
/// `line` counts physical lines from 1, the header being line 1, so it
/// matches what an editor shows; a quoted field with a newline makes a
/// record span several lines, and `line` is where the record starts.
/// `record` counts data records from 0, the header excluded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    /// File name as given to the reader.
    pub file: String,
    /// Line where the record starts, from 1.
    pub line: u64,
    /// Data record number, from 0.
    pub record: u64,
    /// Field (column) name, when the position is a single field.
    pub field: Option<String>,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: line {}", self.file, self.line)?;
        if let Some(field) = &self.field {
            write!(f, ", field {field}")?;
        }
        Ok(())
    }
}
