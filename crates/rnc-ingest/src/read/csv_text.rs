//! CSV text in UTF-8, Windows-1252 or ISO-8859-1, comma-, semicolon- or
//! tab-separated.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use csv::StringRecord;

use super::decode::DecodingReader;
use super::{
    Compression, Format, PEEK, ReadOptions, ReadRow, RowReader, TextEncoding,
    UTF8_BOM,
};
use crate::{Error, ErrorKind};

type Text = BufReader<DecodingReader<Box<dyn BufRead + Send>>>;

/// Opens CSV text whose first bytes are in `input`, a UTF-8 byte-order
/// mark included when `bom` is set.
pub(super) fn open(
    mut input: Box<dyn BufRead + Send>,
    path: &Path,
    file: &str,
    compression: Compression,
    bom: bool,
    options: &ReadOptions,
) -> Result<RowReader, Error> {
    let encoding = match (bom, options.encoding) {
        (true, Some(declared)) if declared != TextEncoding::Utf8 => {
            return Err(ErrorKind::EncodingConflict {
                file: file.to_string(),
                declared,
            }
            .into());
        }
        (true, _) | (false, None) => TextEncoding::Utf8,
        (false, Some(declared)) => declared,
    };
    let skipped = if bom { UTF8_BOM.len() } else { 0 };
    input.consume(skipped);
    let decoder = DecodingReader::new(input, encoding, skipped as u64);
    let mut text: Text = BufReader::with_capacity(PEEK, decoder);

    let delimiter = match options.delimiter {
        Some(declared) => declared,
        None => {
            let head = match text.fill_buf() {
                Ok(head) => head,
                Err(source) => {
                    return Err(read_error(&text, path, file, source));
                }
            };
            detect_delimiter(head)
        }
    };
    tracing::info!(
        encoding = %encoding,
        delimiter = %char::from(delimiter).escape_default(),
        declared = options.delimiter.is_some(),
        "reading CSV text"
    );

    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .trim(csv::Trim::All)
        .delimiter(delimiter)
        .from_reader(text);
    let header = match reader.headers() {
        Ok(header) => header.clone(),
        Err(source) => return Err(csv_error(&reader, path, file, 1, source)),
    };
    let rows = CsvRows {
        reader,
        path: path.to_path_buf(),
        file: file.to_string(),
        record: 0,
        done: false,
    };
    Ok(RowReader {
        header,
        format: Format::Csv {
            compression,
            encoding,
            delimiter,
        },
        rows: Box::new(rows),
        digest: None,
    })
}

/// Returns the delimiter among `,`, `;` and tab that appears most often
/// outside double quotes in the first line of `head`, or `,` when none
/// does. A tie goes to the earlier of comma, semicolon, tab.
fn detect_delimiter(head: &[u8]) -> u8 {
    let candidates = [b',', b';', b'\t'];
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for byte in head {
        match byte {
            b'"' => quoted = !quoted,
            b'\n' | b'\r' if !quoted => break,
            _ if !quoted => {
                if let Some(index) = candidates.iter().position(|c| c == byte) {
                    counts[index] += 1;
                }
            }
            _ => {}
        }
    }
    let mut best = 0;
    for index in 1..candidates.len() {
        if counts[index] > counts[best] {
            best = index;
        }
    }
    candidates[best]
}

struct CsvRows {
    reader: csv::Reader<Text>,
    path: PathBuf,
    file: String,
    record: u64,
    done: bool,
}

impl Iterator for CsvRows {
    type Item = Result<ReadRow, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let mut fields = StringRecord::new();
        match self.reader.read_record(&mut fields) {
            Ok(true) => {}
            Ok(false) => {
                self.done = true;
                return None;
            }
            Err(source) => {
                self.done = true;
                let line = source.position().map_or(0, |p| p.line());
                return Some(Err(csv_error(
                    &self.reader,
                    &self.path,
                    &self.file,
                    line,
                    source,
                )));
            }
        }
        let byte = fields.position().map_or(0, |p| p.byte());
        let line = self.reader.get_mut().get_mut().line_at(byte);
        let row = ReadRow {
            fields,
            line,
            record: self.record,
            entry: None,
            defect: None,
        };
        self.record += 1;
        Some(Ok(row))
    }
}

/// Turns a failure of the csv reader into the error of its cause: the
/// decoder's, the file's, or else a bug of ours.
fn csv_error(
    reader: &csv::Reader<Text>,
    path: &Path,
    file: &str,
    line: u64,
    source: csv::Error,
) -> Error {
    if !matches!(source.kind(), csv::ErrorKind::Io(_)) {
        return ErrorKind::Csv {
            file: file.to_string(),
            line,
            source,
        }
        .into();
    }
    match source.into_kind() {
        csv::ErrorKind::Io(source) => {
            read_error(reader.get_ref(), path, file, source)
        }
        _ => unreachable!("the kind was checked to be Io"),
    }
}

fn read_error(
    text: &Text,
    path: &Path,
    file: &str,
    source: std::io::Error,
) -> Error {
    match text.get_ref().failure() {
        Some(failure) => decode_error(file, failure),
        None => ErrorKind::Io {
            path: path.to_path_buf(),
            source,
        }
        .into(),
    }
}

fn decode_error(file: &str, failure: &super::DecodeFailure) -> Error {
    let kind = match (failure.encoding, failure.byte) {
        (TextEncoding::Utf8, None) => ErrorKind::NotUtf8 {
            file: file.to_string(),
            line: failure.line,
            offset: failure.offset,
        },
        (encoding, byte) => ErrorKind::InvalidEncoding {
            file: file.to_string(),
            line: failure.line,
            offset: failure.offset,
            encoding,
            byte: byte.unwrap_or(0),
        },
    };
    kind.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delimiter_from_header_line() {
        assert_eq!(detect_delimiter(b"a,b,c\n1;2;3;4;5\n"), b',');
        assert_eq!(detect_delimiter(b"a;b;c\r\n1,2\n"), b';');
        assert_eq!(detect_delimiter(b"a\tb\tc"), b'\t');
        // Delimiters inside quotes are part of a name.
        assert_eq!(detect_delimiter(b"\"a,b,c\";d;e\n"), b';');
        assert_eq!(detect_delimiter(b"single\n"), b',');
        assert_eq!(detect_delimiter(b""), b',');
    }
}
