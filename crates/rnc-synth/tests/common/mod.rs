//! Helpers shared by the integration tests: reading the written CSV files.

#![allow(dead_code)]

use std::collections::HashMap;
use std::path::Path;

/// A CSV file read into its header and rows.
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// Index of a column, panicking with the column name when absent.
    pub fn column(&self, name: &str) -> usize {
        self.header
            .iter()
            .position(|c| c == name)
            .unwrap_or_else(|| {
                panic!("column {name} is missing from {:?}", self.header)
            })
    }

    /// Values of one column.
    pub fn values(&self, name: &str) -> Vec<&str> {
        let index = self.column(name);
        self.rows.iter().map(|r| r[index].as_str()).collect()
    }

    /// Rows as maps from column name to value.
    pub fn maps(&self) -> Vec<HashMap<&str, &str>> {
        self.rows
            .iter()
            .map(|row| {
                self.header
                    .iter()
                    .map(String::as_str)
                    .zip(row.iter().map(String::as_str))
                    .collect()
            })
            .collect()
    }
}

/// Reads a CSV file written by `write_synthetic`.
pub fn read_table(path: &Path) -> Table {
    let mut reader = csv::Reader::from_path(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let header = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    let rows = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect();
    Table { header, rows }
}

/// Median of a list of ages.
pub fn median(values: &mut [f64]) -> f64 {
    values.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}
