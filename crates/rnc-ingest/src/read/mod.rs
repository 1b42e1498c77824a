//! The reading layer: opens a source file in any form a registry receives
//! and yields its header and data rows as text, one row at a time.
//!
//! [`open_rows`] detects the form from the file's first bytes, not from its
//! name: gzip (`1F 8B`) and zstd (`28 B5 2F FD`) are decompressed as a
//! stream, `PAR1` is Parquet, and a text whose first character is `{` is
//! FHIR R4 JSON. Anything else is CSV text. The rows it yields are checked
//! by the same rules whatever the form, so a row that breaks a rule is
//! quarantined the same way in every form.
//!
//! Positions of rows by form:
//!
//! | form | [`ReadRow::line`] | [`ReadRow::entry`] |
//! |---|---|---|
//! | CSV text | line of the file where the row starts, from 1 (the header is line 1) | none |
//! | Parquet | row number, from 1 (the schema is not a row) | none |
//! | FHIR Bundle (`.json`) | number of the Bundle in the file, from 1 | position of the `DiagnosticReport`, `Procedure` or `Condition` in `Bundle.entry`, from 0 |
//! | FHIR NDJSON (`.ndjson`) | line of the Bundle, from 1 | as for a Bundle |
//!
//! Compressed input keeps these positions, counted in the decompressed
//! content.

mod csv_text;
mod decode;
mod digest;
mod fhir;
mod parquet_rows;

use std::fmt;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::str::FromStr;

use csv::StringRecord;
use rnc_model::SourceKind;

use crate::{Error, ErrorKind};

pub(crate) use decode::DecodeFailure;
use digest::InputDigest;

/// Bytes read ahead to detect the form, the byte-order mark and the
/// delimiter of a file.
const PEEK: usize = 64 * 1024;

const GZIP_MAGIC: &[u8] = b"\x1F\x8B";
const ZSTD_MAGIC: &[u8] = b"\x28\xB5\x2F\xFD";
const PARQUET_MAGIC: &[u8] = b"PAR1";
const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";
const UTF16_LE_BOM: &[u8] = b"\xFF\xFE";
const UTF16_BE_BOM: &[u8] = b"\xFE\xFF";

/// Settings for reading a source file that its first bytes cannot show.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReadOptions {
    /// Encoding of CSV text. `None` means UTF-8, which a UTF-8 byte-order
    /// mark also declares. A file that is not UTF-8 must declare its
    /// encoding here, because guessing it could change names, and so
    /// pseudonyms, without any error.
    pub encoding: Option<TextEncoding>,
    /// Field delimiter of CSV text. `None` means the one of `,`, `;` and
    /// tab found most often outside quotes in the header line, or `,` when
    /// the header has none of them.
    pub delimiter: Option<u8>,
}

/// A character encoding of CSV text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextEncoding {
    /// UTF-8, with or without a byte-order mark.
    Utf8,
    /// The Windows-1252 code page (Western European).
    Windows1252,
    /// ISO-8859-1 (Latin-1).
    Latin1,
}

impl TextEncoding {
    /// Returns the encoding's usual name.
    pub fn name(self) -> &'static str {
        match self {
            TextEncoding::Utf8 => "UTF-8",
            TextEncoding::Windows1252 => "Windows-1252",
            TextEncoding::Latin1 => "ISO-8859-1",
        }
    }

    /// ISO-8859-1 decodes like Windows-1252 for every byte it does not
    /// reject, because the two differ only in 0x80-0x9F.
    fn encoding_rs(self) -> &'static encoding_rs::Encoding {
        match self {
            TextEncoding::Utf8 => encoding_rs::UTF_8,
            TextEncoding::Windows1252 | TextEncoding::Latin1 => {
                encoding_rs::WINDOWS_1252
            }
        }
    }

    /// Returns the position of the first byte of `bytes` that the
    /// encoding rejects. UTF-8 rejects only NUL, which `memchr` finds many
    /// bytes at a time. The scan covers every byte read, and provider
    /// files have about 2 200 bytes per row, most of them hexadecimal.
    fn first_rejected(self, bytes: &[u8]) -> Option<usize> {
        match self {
            TextEncoding::Utf8 => memchr::memchr(0, bytes),
            _ => bytes.iter().position(|byte| self.rejects(*byte)),
        }
    }

    /// Returns whether `byte` can never appear in text of this encoding.
    fn rejects(self, byte: u8) -> bool {
        match self {
            _ if byte == 0 => true,
            TextEncoding::Utf8 => false,
            TextEncoding::Windows1252 => {
                matches!(byte, 0x81 | 0x8D | 0x8F | 0x90 | 0x9D)
            }
            TextEncoding::Latin1 => (0x80..=0x9F).contains(&byte),
        }
    }
}

impl fmt::Display for TextEncoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for TextEncoding {
    type Err = String;

    /// Parses `utf-8`, `windows-1252` (or `cp1252`) and `latin-1` (or
    /// `iso-8859-1`), in any case.
    fn from_str(label: &str) -> Result<TextEncoding, String> {
        match label.trim().to_ascii_lowercase().as_str() {
            "utf-8" | "utf8" => Ok(TextEncoding::Utf8),
            "windows-1252" | "cp1252" => Ok(TextEncoding::Windows1252),
            "latin-1" | "latin1" | "iso-8859-1" => Ok(TextEncoding::Latin1),
            _ => Err(format!(
                "unknown encoding {label} (expected utf-8, windows-1252 or \
                 latin-1)"
            )),
        }
    }
}

/// Parses a delimiter option: `,`, `;`, a tab, or the words `comma`,
/// `semicolon` and `tab`.
///
/// # Errors
///
/// A message naming the accepted values.
pub fn parse_delimiter(label: &str) -> Result<u8, String> {
    match label {
        "," | "comma" => Ok(b','),
        ";" | "semicolon" => Ok(b';'),
        "\t" | "tab" | "\\t" => Ok(b'\t'),
        _ => Err(format!(
            "unknown delimiter {label:?} (expected comma, semicolon or tab)"
        )),
    }
}

/// A compression detected from the first bytes of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// Not compressed.
    None,
    /// gzip (RFC 1952), one or more members.
    Gzip,
    /// Zstandard (RFC 8878).
    Zstd,
}

/// The form in which a file was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Format {
    /// CSV text.
    Csv {
        /// Compression around the text.
        compression: Compression,
        /// Encoding of the text.
        encoding: TextEncoding,
        /// Field delimiter.
        delimiter: u8,
    },
    /// Apache Parquet, columns matched by name.
    Parquet,
    /// FHIR R4 JSON: Bundles, one after another or one per line.
    Fhir {
        /// Compression around the JSON.
        compression: Compression,
        /// One Bundle per line (NDJSON), rather than whole JSON documents.
        ndjson: bool,
    },
}

/// A data row as read, before any check.
#[derive(Debug, Clone)]
pub struct ReadRow {
    /// The fields in header order, trimmed.
    pub fields: StringRecord,
    /// Position of the row: see the table in this module's documentation.
    pub line: u64,
    /// Data row number in the file, from 0.
    pub record: u64,
    /// Position of the resource in its FHIR Bundle, when the row comes
    /// from one.
    pub entry: Option<u64>,
    /// A fault found while reading, which quarantines the row before any
    /// field check.
    pub defect: Option<RowDefect>,
}

/// A fault in the structure of a row, found by the reader.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowDefect {
    /// The element at fault, such as `Patient.birthDate`.
    pub field: String,
    /// Rule id in snake_case, such as `fhir_structure`.
    pub rule: &'static str,
    /// Description of the fault and of the expected content, without any
    /// value of the row.
    pub detail: String,
}

/// The header and the data rows of one source file, read lazily.
pub struct RowReader {
    header: StringRecord,
    format: Format,
    rows: Box<dyn Iterator<Item = Result<ReadRow, Error>> + Send>,
    /// SHA-256 of the file's bytes, fed as they are read; `None` only
    /// until [`open_rows`] sets it.
    digest: Option<InputDigest>,
}

impl RowReader {
    /// Returns the column names, in file order.
    pub fn header(&self) -> &StringRecord {
        &self.header
    }

    /// Returns the form the file was read in.
    pub fn format(&self) -> Format {
        self.format
    }

    /// Returns the SHA-256 of the file's bytes, lowercase hex. The bytes
    /// are hashed as the rows are read; those the rows did not need are
    /// read here: anything after a compressed stream, and a Parquet file
    /// past its first 64 KiB, because the Parquet reader seeks through a
    /// file handle of its own.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Io`] when the rest of the file cannot be read.
    pub fn finish_sha256(self) -> Result<String, Error> {
        self.digest.expect("open_rows sets the digest").finish()
    }
}

impl Iterator for RowReader {
    type Item = Result<ReadRow, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        self.rows.next()
    }
}

impl fmt::Debug for RowReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RowReader")
            .field("header", &self.header)
            .field("format", &self.format)
            .finish_non_exhaustive()
    }
}

/// Opens a source file of feed `kind` and returns its header and a
/// streaming iterator over its data rows.
///
/// The form is detected from the first bytes (see the module
/// documentation); `options` apply to CSV text only. FHIR input is read
/// for the `pathology_report` and `treatment` feeds, following the
/// profile in `docs/sources.md`.
///
/// # Errors
///
/// [`ErrorKind::Io`] when the file cannot be read or decompressed,
/// [`ErrorKind::Unsupported`] for UTF-16 text, compressed Parquet, or FHIR
/// for another feed, [`ErrorKind::EncodingConflict`] when a UTF-8
/// byte-order mark contradicts the declared encoding, the decoding errors
/// [`ErrorKind::NotUtf8`] and [`ErrorKind::InvalidEncoding`],
/// [`ErrorKind::Parquet`], and [`ErrorKind::Json`]. The iterator yields
/// the same errors for faults found further on.
pub fn open_rows(
    path: &Path,
    kind: SourceKind,
    options: &ReadOptions,
) -> Result<RowReader, Error> {
    let file = file_name(path);
    let io_error = |source| ErrorKind::Io {
        path: path.to_path_buf(),
        source,
    };
    let (hashed, digest) = InputDigest::open(path).map_err(io_error)?;
    let mut reader = open_hashed(path, &file, kind, options, hashed)?;
    reader.digest = Some(digest);
    Ok(reader)
}

/// Opens the rows of a file whose bytes are hashed as they are read.
fn open_hashed(
    path: &Path,
    file: &str,
    kind: SourceKind,
    options: &ReadOptions,
    hashed: digest::HashingFile,
) -> Result<RowReader, Error> {
    let io_error = |source| ErrorKind::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut raw = BufReader::with_capacity(PEEK, hashed);
    let head = raw.fill_buf().map_err(io_error)?;

    let (compression, mut input): (Compression, Box<dyn BufRead + Send>) =
        if head.starts_with(GZIP_MAGIC) {
            let decoder = flate2::bufread::MultiGzDecoder::new(raw);
            let input = BufReader::with_capacity(PEEK, decoder);
            (Compression::Gzip, Box::new(input))
        } else if head.starts_with(ZSTD_MAGIC) {
            let decoder = zstd::stream::read::Decoder::with_buffer(raw)
                .map_err(io_error)?;
            let input = BufReader::with_capacity(PEEK, decoder);
            (Compression::Zstd, Box::new(input))
        } else if head.starts_with(PARQUET_MAGIC) {
            return parquet_rows::open(path, file);
        } else {
            (Compression::None, Box::new(raw))
        };

    let head = input.fill_buf().map_err(io_error)?;
    if head.starts_with(PARQUET_MAGIC) {
        return Err(unsupported(
            file,
            "Parquet inside gzip or zstd (Parquet compresses its own \
             columns; deliver the .parquet file uncompressed)",
        ));
    }
    if head.starts_with(UTF16_LE_BOM) || head.starts_with(UTF16_BE_BOM) {
        return Err(unsupported(
            file,
            "UTF-16 text, found from its byte-order mark (convert it to \
             UTF-8, for example with `iconv -f UTF-16 -t UTF-8`)",
        ));
    }
    let bom = head.starts_with(UTF8_BOM);
    let start = if bom { UTF8_BOM.len() } else { 0 };
    let first = head[start..].iter().find(|b| !b.is_ascii_whitespace());
    if first == Some(&b'{') {
        if !fhir::FHIR_FEEDS.iter().any(|(feed, _)| *feed == kind) {
            let feeds: Vec<&str> = fhir::FHIR_FEEDS
                .iter()
                .map(|(feed, _)| feed.name())
                .collect();
            return Err(unsupported(
                file,
                &format!(
                    "FHIR JSON for the {kind} feed (FHIR input is read as \
                     {} only)",
                    feeds.join(", ")
                ),
            ));
        }
        input.consume(start);
        let ndjson = is_ndjson(path);
        return Ok(fhir::open(input, file, kind, compression, ndjson));
    }
    csv_text::open(input, path, file, compression, bom, options)
}

/// Returns the file name without directory, as used in messages.
pub(crate) fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// Returns whether the name, without a `.gz` or `.zst` suffix, ends in `.ndjson`
/// or `.jsonl`.
fn is_ndjson(path: &Path) -> bool {
    let name = file_name(path).to_ascii_lowercase();
    let name = name
        .strip_suffix(".gz")
        .or_else(|| name.strip_suffix(".zst"))
        .unwrap_or(&name);
    name.ends_with(".ndjson") || name.ends_with(".jsonl")
}

fn unsupported(file: &str, what: &str) -> Error {
    ErrorKind::Unsupported {
        file: file.to_string(),
        what: what.to_string(),
    }
    .into()
}
