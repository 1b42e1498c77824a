//! Reading one source file in chunks: decoding, header, rows, and the
//! split into accepted and quarantined rows.

use std::collections::{BTreeMap, HashSet};
use std::fs::File;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher, RandomState};
use std::io::BufReader;
use std::path::Path;
use std::sync::mpsc;
use std::time::Instant;

use chrono::NaiveDate;
use csv::StringRecord;
use rayon::prelude::*;
use rnc_model::{SourceKind, SourceRecord};
use rnc_pseudonym::Pseudonymiser;

use crate::checks::{Header, Row, safe_fields};
use crate::decode::TextReader;
use crate::feeds::{columns, id_column};
use crate::records::build;
use crate::{Error, ErrorKind, FileOutcome, QuarantinedRow};

/// Rows read, checked and handed on together. Memory use grows with this
/// number, not with the file's length.
pub const CHUNK_ROWS: usize = 64 * 1024;

/// Raw chunks read ahead of the one being checked.
const CHUNKS_AHEAD: usize = 1;

/// Read buffer of the source file.
const READ_BUFFER_BYTES: usize = 256 * 1024;

/// Checked rows of one chunk of a file, in file order.
#[derive(Debug, Clone, PartialEq)]
pub struct Chunk {
    /// Accepted rows, pseudonymised.
    pub records: Vec<SourceRecord>,
    /// Rejected rows.
    pub quarantine: Vec<QuarantinedRow>,
    /// Data rows read from the start of the file to the end of this
    /// chunk.
    pub rows_read: u64,
    /// Offset in the file, in bytes, where this chunk's last row starts.
    pub offset: u64,
}

/// Counts of one file read by [`ingest_file_chunked`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSummary {
    /// Data rows read, the header excluded. Always `rows_accepted +
    /// rows_quarantined`.
    pub rows_read: u64,
    /// Rows handed on as records.
    pub rows_accepted: u64,
    /// Rows handed on as quarantined.
    pub rows_quarantined: u64,
    /// File name, without directory.
    pub source_file: String,
}

/// Reads, checks and pseudonymises one CSV file of a feed, and collects
/// every row in memory. It is [`ingest_file_chunked`] with a sink that
/// keeps all chunks; prefer that one for large files.
///
/// # Errors
///
/// As [`ingest_file_chunked`].
pub fn ingest_file(
    kind: SourceKind,
    path: &Path,
    pseudonymiser: &Pseudonymiser,
    batch_id: &str,
) -> Result<FileOutcome, Error> {
    let mut records = Vec::new();
    let mut quarantine = Vec::new();
    let summary = ingest_file_chunked(
        kind,
        path,
        pseudonymiser,
        batch_id,
        |chunk: Chunk| -> Result<(), std::convert::Infallible> {
            records.extend(chunk.records);
            quarantine.extend(chunk.quarantine);
            Ok(())
        },
    )?;
    Ok(FileOutcome {
        records,
        quarantine,
        rows_read: summary.rows_read,
        source_file: summary.source_file,
    })
}

/// Reads, checks and pseudonymises one CSV file of a feed, [`CHUNK_ROWS`]
/// rows at a time, and hands each chunk to `sink` in file order, so that
/// memory does not grow with the file.
///
/// Columns are matched by name in any order; columns the feed does not
/// define are ignored and logged once. Each row ends up in exactly one
/// chunk, among its records or its quarantined rows; a quarantined row
/// names the first rule it broke and lists all of them. A row whose id
/// already appeared earlier in the file is quarantined with the rule
/// `duplicate_id`, and the earlier row is kept. The next chunk is read
/// while one is checked, and the rows of a chunk are checked in parallel.
///
/// The UTF-8 check runs as bytes are read, so an invalid byte stops the
/// file after the chunks before it were handed on: a caller that stores
/// chunks must discard them when this function returns an error.
///
/// # Errors
///
/// [`ErrorKind::Io`] when the file cannot be read, [`ErrorKind::NotUtf8`]
/// with the offset of the first invalid byte, [`ErrorKind::EmptyFile`],
/// [`ErrorKind::MissingColumn`] naming the first required column absent
/// from the header, [`ErrorKind::DuplicateColumn`], and
/// [`ErrorKind::Output`] when `sink` fails.
pub fn ingest_file_chunked<F, E>(
    kind: SourceKind,
    path: &Path,
    pseudonymiser: &Pseudonymiser,
    batch_id: &str,
    mut sink: F,
) -> Result<FileSummary, Error>
where
    F: FnMut(Chunk) -> Result<(), E>,
    E: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let started = Instant::now();
    let file = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    let span = tracing::info_span!("ingest", file = %file, kind = %kind);
    let _entered = span.enter();
    tracing::info!(batch_id, "reading source file");

    let (header_fields, rows) = read_csv(path, &file)?;
    let header = read_header(kind, &header_fields, &file)?;
    let id_index = header
        .position(id_column(kind))
        .expect("the id column is required, so the header check found it");
    let context = Context {
        kind,
        file: &file,
        batch_id,
        header: &header,
        header_len: header_fields.len(),
        pseudonymiser,
        today: chrono::Utc::now().date_naive(),
    };

    let mut totals = Totals::default();
    std::thread::scope(|scope| -> Result<(), Error> {
        let (sender, receiver) = mpsc::sync_channel(CHUNKS_AHEAD);
        let header_len = header_fields.len();
        scope.spawn(move || {
            read_chunks(rows, id_index, header_len, &sender);
        });
        for raw in receiver {
            let chunk = check_chunk(&context, raw?);
            totals.add(&chunk);
            sink(chunk).map_err(|source| ErrorKind::Output {
                file: file.clone(),
                source: source.into(),
            })?;
        }
        Ok(())
    })?;

    totals.log(started);
    Ok(FileSummary {
        rows_read: totals.rows_read,
        rows_accepted: totals.accepted,
        rows_quarantined: totals.quarantined,
        source_file: file,
    })
}

/// Opens a CSV file and returns its header fields and its data rows in
/// order. This is the one place that knows the file format.
fn read_csv(path: &Path, file: &str) -> Result<(StringRecord, CsvRows), Error> {
    let io_error = |source| ErrorKind::Io {
        path: path.to_path_buf(),
        source,
    };
    let handle = File::open(path).map_err(io_error)?;
    let text =
        TextReader::new(BufReader::with_capacity(READ_BUFFER_BYTES, handle));
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .trim(csv::Trim::All)
        .buffer_capacity(READ_BUFFER_BYTES)
        .from_reader(text);
    let header = match reader.headers() {
        Ok(header) => header.clone(),
        Err(source) => return Err(csv_failure(&reader, file, 1, source)),
    };
    Ok((
        header,
        CsvRows {
            reader,
            file: file.to_string(),
        },
    ))
}

/// A data row as read, before any check.
pub(crate) struct SourceRow {
    fields: StringRecord,
    /// Line where the row starts, from 1.
    line: u64,
    /// Offset in the file, in bytes, where the row starts.
    offset: u64,
}

/// The data rows of a CSV file, in order.
struct CsvRows {
    reader: csv::Reader<TextReader<BufReader<File>>>,
    file: String,
}

impl Iterator for CsvRows {
    type Item = Result<SourceRow, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        let mut fields = StringRecord::new();
        match self.reader.read_record(&mut fields) {
            Ok(true) => {
                let offset = fields.position().map_or(0, |p| p.byte());
                let line = self.reader.get_mut().line_at(offset);
                Some(Ok(SourceRow {
                    fields,
                    line,
                    offset,
                }))
            }
            Ok(false) => None,
            Err(source) => {
                let line = source.position().map_or(0, |p| p.line());
                Some(Err(csv_failure(&self.reader, &self.file, line, source)))
            }
        }
    }
}

/// Turns a CSV reader's error into [`ErrorKind::NotUtf8`] when the text
/// reader stopped on an invalid byte, or into [`ErrorKind::Csv`].
fn csv_failure(
    reader: &csv::Reader<TextReader<BufReader<File>>>,
    file: &str,
    line: u64,
    source: csv::Error,
) -> Error {
    match reader.get_ref().invalid_utf8() {
        Some(invalid) => ErrorKind::NotUtf8 {
            file: file.to_string(),
            line: invalid.line,
            offset: invalid.offset,
        }
        .into(),
        None => csv_error(file, line, source),
    }
}

/// Matches the header names to the feed's columns.
fn read_header(
    kind: SourceKind,
    names: &StringRecord,
    file: &str,
) -> Result<Header, Error> {
    if names.iter().all(str::is_empty) {
        return Err(ErrorKind::EmptyFile {
            file: file.to_string(),
            kind,
        }
        .into());
    }

    let mut seen = HashSet::new();
    for name in names {
        if !name.is_empty() && !seen.insert(name) {
            return Err(ErrorKind::DuplicateColumn {
                file: file.to_string(),
                column: name.to_string(),
            }
            .into());
        }
    }

    let spec = columns(kind);
    let mut positions = Vec::with_capacity(spec.len());
    for column in spec {
        match names.iter().position(|name| name == column.name) {
            Some(index) => positions.push((column.name, index)),
            None if column.required => {
                let expected: Vec<&str> = spec
                    .iter()
                    .filter(|c| c.required)
                    .map(|c| c.name)
                    .collect();
                return Err(ErrorKind::MissingColumn {
                    file: file.to_string(),
                    kind,
                    column: column.name.to_string(),
                    expected: expected.join(", "),
                }
                .into());
            }
            None => {}
        }
    }

    let extra: Vec<&str> = names
        .iter()
        .filter(|name| !spec.iter().any(|c| c.name == *name))
        .collect();
    if !extra.is_empty() {
        tracing::warn!(
            columns = %extra.join(", "),
            "ignoring columns that the feed does not define"
        );
    }
    Ok(Header::new(positions))
}

/// A data row with its place in the file and whether its id repeats an
/// earlier row's.
struct RawRow {
    fields: StringRecord,
    line: u64,
    record: u64,
    /// The row's id already appeared on an earlier row.
    duplicate: bool,
}

/// Raw rows of one chunk, with where the last one starts.
struct RawChunk {
    rows: Vec<RawRow>,
    rows_read: u64,
    offset: u64,
}

/// Reads the rows into chunks of [`CHUNK_ROWS`], numbering them and
/// noting whether each id repeats an earlier one, and sends each chunk.
/// This pass is sequential because both depend on the rows before. It
/// stops at the first error, which it sends, or when the receiver is
/// gone.
fn read_chunks(
    rows: impl Iterator<Item = Result<SourceRow, Error>>,
    id_index: usize,
    header_len: usize,
    sender: &mpsc::SyncSender<Result<RawChunk, Error>>,
) {
    let mut ids = SeenIds::default();
    let mut chunk = Vec::with_capacity(CHUNK_ROWS);
    let mut record = 0u64;
    let mut offset = 0u64;
    for row in rows {
        let row = match row {
            Ok(row) => row,
            Err(error) => {
                let _ = sender.send(Err(error));
                return;
            }
        };
        // A row with the wrong number of fields may have its id in another
        // column, so it neither claims nor repeats an id.
        let duplicate = row.fields.len() == header_len
            && row
                .fields
                .get(id_index)
                .filter(|id| !id.is_empty())
                .is_some_and(|id| !ids.insert(id));
        offset = row.offset;
        chunk.push(RawRow {
            fields: row.fields,
            line: row.line,
            record,
            duplicate,
        });
        record += 1;
        if chunk.len() == CHUNK_ROWS {
            let full =
                std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK_ROWS));
            let raw = RawChunk {
                rows: full,
                rows_read: record,
                offset,
            };
            if sender.send(Ok(raw)).is_err() {
                return;
            }
        }
    }
    if !chunk.is_empty() {
        let _ = sender.send(Ok(RawChunk {
            rows: chunk,
            rows_read: record,
            offset,
        }));
    }
}

/// The ids seen so far in a file, kept as 128-bit keyed hashes rather
/// than strings, so that 5 million ids take about 100 MB.
///
/// NOTE: two different ids collide with probability about n² / 2¹²⁹ for
/// n ids (below 10⁻²⁵ for 5 million), and a collision would quarantine
/// the later row as `duplicate_id`.
#[derive(Default)]
struct SeenIds {
    low: RandomState,
    high: RandomState,
    seen: HashSet<u128, BuildHasherDefault<FoldHasher>>,
}

impl SeenIds {
    /// Adds `id` and returns whether it was new.
    fn insert(&mut self, id: &str) -> bool {
        let low = self.low.hash_one(id) as u128;
        let high = self.high.hash_one(id) as u128;
        self.seen.insert(high << 64 | low)
    }
}

/// Hashes a `u128` that is already a keyed hash by folding its halves.
#[derive(Default)]
struct FoldHasher(u64);

impl Hasher for FoldHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*byte);
        }
    }

    fn write_u128(&mut self, value: u128) {
        self.0 = (value as u64) ^ ((value >> 64) as u64);
    }
}

/// Checks the rows of a chunk in parallel, keeping file order.
fn check_chunk(context: &Context<'_>, raw: RawChunk) -> Chunk {
    let outcomes: Vec<Result<SourceRecord, Box<QuarantinedRow>>> = raw
        .rows
        .par_iter()
        .map(|row| check_row(context, row))
        .collect();
    drop(raw.rows);
    let mut records = Vec::with_capacity(outcomes.len());
    let mut quarantine = Vec::new();
    for outcome in outcomes {
        match outcome {
            Ok(record) => records.push(record),
            Err(row) => quarantine.push(*row),
        }
    }
    Chunk {
        records,
        quarantine,
        rows_read: raw.rows_read,
        offset: raw.offset,
    }
}

/// File-wide settings shared by every row check.
struct Context<'a> {
    kind: SourceKind,
    file: &'a str,
    batch_id: &'a str,
    header: &'a Header,
    header_len: usize,
    pseudonymiser: &'a Pseudonymiser,
    today: NaiveDate,
}

/// Checks one row and returns its pseudonymised record, or the row to
/// quarantine.
fn check_row(
    context: &Context<'_>,
    raw: &RawRow,
) -> Result<SourceRecord, Box<QuarantinedRow>> {
    if raw.fields.len() != context.header_len {
        let detail = format!(
            "row has {} fields but the header has {} (expected one field per \
             header column; check for an unquoted comma or a missing \
             separator)",
            raw.fields.len(),
            context.header_len
        );
        return Err(Box::new(quarantined(
            context,
            raw,
            "-",
            "column_count",
            &detail,
            "-:column_count".to_string(),
            "{}".to_string(),
        )));
    }

    let mut row = Row::new(&raw.fields, context.header, context.today);
    if raw.duplicate {
        let id_column = id_column(context.kind);
        let detail = format!(
            "id {} appears on an earlier row (expected each id once in a \
             file; the earlier row was kept)",
            row.text(id_column)
        );
        row.problem(id_column, "duplicate_id", detail);
    }
    let (mut record, mut identity) = build(context.kind, &mut row);

    if row.problems.is_empty() {
        record.batch_id = context.batch_id.to_string();
        record.source_file = context.file.to_string();
        record.source_line = raw.line;
        context.pseudonymiser.apply(&identity, &mut record);
        identity.wipe();
        return Ok(record);
    }

    identity.wipe();
    let problems: Vec<String> = row
        .problems
        .iter()
        .map(|p| format!("{}:{}", p.field, p.rule))
        .collect();
    let first = &row.problems[0];
    Err(Box::new(quarantined(
        context,
        raw,
        &first.field,
        first.rule,
        &first.detail,
        problems.join("; "),
        safe_fields(&raw.fields, context.header),
    )))
}

fn quarantined(
    context: &Context<'_>,
    raw: &RawRow,
    field: &str,
    rule: &str,
    detail: &str,
    problems: String,
    safe_fields: String,
) -> QuarantinedRow {
    tracing::debug!(line = raw.line, field, rule, "row quarantined");
    QuarantinedRow {
        batch_id: context.batch_id.to_string(),
        source_kind: context.kind,
        source_file: context.file.to_string(),
        line: raw.line,
        record: raw.record,
        field: field.to_string(),
        rule: rule.to_string(),
        message: format!(
            "{}: line {}, field {field}: {detail}",
            context.file, raw.line
        ),
        problems,
        safe_fields,
    }
}

/// Running counts of a file, by outcome and by broken rule.
#[derive(Default)]
struct Totals {
    rows_read: u64,
    accepted: u64,
    quarantined: u64,
    by_rule: BTreeMap<String, u64>,
}

impl Totals {
    fn add(&mut self, chunk: &Chunk) {
        self.accepted += chunk.records.len() as u64;
        self.quarantined += chunk.quarantine.len() as u64;
        for row in &chunk.quarantine {
            *self.by_rule.entry(row.rule.clone()).or_default() += 1;
        }
        self.rows_read = chunk.rows_read;
        assert_eq!(
            self.rows_read,
            self.accepted + self.quarantined,
            "every row read is either accepted or quarantined"
        );
    }

    /// Logs one warning per broken rule with its count, rather than one
    /// per row, and the file's totals.
    fn log(&self, started: Instant) {
        for (rule, count) in &self.by_rule {
            tracing::warn!(rule = %rule, rows = count, "rows quarantined");
        }
        tracing::info!(
            rows_read = self.rows_read,
            accepted = self.accepted,
            quarantined = self.quarantined,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "finished reading source file"
        );
    }
}

fn csv_error(file: &str, line: u64, source: csv::Error) -> Error {
    ErrorKind::Csv {
        file: file.to_string(),
        line,
        source,
    }
    .into()
}
