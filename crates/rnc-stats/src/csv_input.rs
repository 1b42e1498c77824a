//! Reading the header of a user's CSV and finding its columns by name.

use std::io::Read;

/// Opens a CSV whose fields are trimmed of spaces and returns the reader
/// with its header line.
pub(crate) fn csv_with_headers<R: Read>(
    reader: R,
) -> Result<(csv::Reader<R>, csv::StringRecord), csv::Error> {
    let mut csv = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(reader);
    let headers = csv.headers()?.clone();
    Ok((csv, headers))
}

/// Returns the position of column `name`, or a message that lists the
/// columns found.
pub(crate) fn column_index(
    headers: &csv::StringRecord,
    name: &str,
) -> Result<usize, String> {
    headers.iter().position(|h| h == name).ok_or_else(|| {
        format!(
            "column {name} is missing (found {})",
            headers.iter().collect::<Vec<_>>().join(", ")
        )
    })
}
