//! Reading one source file: decoding, header, rows, and the split into
//! accepted and quarantined rows.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::time::Instant;

use chrono::NaiveDate;
use csv::StringRecord;
use rayon::prelude::*;
use rnc_model::{SourceKind, SourceRecord};
use rnc_pseudonym::Pseudonymiser;

use crate::checks::{Header, Row, safe_fields};
use crate::feeds::{Column, columns, id_column};
use crate::pseudonymised::{self, PROVIDER_KEY_COLUMN, is_pseudonymised};
use crate::records::build;
use crate::{Error, ErrorKind, FileOutcome, IngestKeys, QuarantinedRow};

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Reads, checks and pseudonymises one CSV file of a feed with the
/// registry's key only: as [`ingest_file_keyed`] without a provider key.
///
/// # Errors
///
/// As [`ingest_file_keyed`].
pub fn ingest_file(
    kind: SourceKind,
    path: &Path,
    pseudonymiser: &Pseudonymiser,
    batch_id: &str,
) -> Result<FileOutcome, Error> {
    let keys = IngestKeys {
        registry: pseudonymiser,
        provider: None,
    };
    ingest_file_keyed(kind, path, keys, batch_id)
}

/// Reads, checks and pseudonymises one CSV file of a feed.
///
/// The file contains either clear identifiers or, when its header has a
/// `provider_key` column, the output of the provider step `rnc
/// pseudonymise`. A clear row is pseudonymised with the provider key and
/// then re-keyed with the registry key when `keys.provider` is set, and
/// with the registry key alone otherwise. A pre-pseudonymised row is
/// re-keyed with the registry key; every row must name the provider key
/// of the first row.
///
/// Columns are matched by name in any order; columns the feed does not
/// define are ignored and logged once. Each row ends up in exactly one of
/// [`FileOutcome::records`] and [`FileOutcome::quarantine`]; a quarantined
/// row names the first rule it broke and lists all of them. A row whose id
/// already appeared earlier in the file is quarantined with the rule
/// `duplicate_id`, and the earlier row is kept. Rows are checked in
/// parallel, and both lists keep file order.
///
/// The whole file is read into memory first, so that the UTF-8 check can
/// report the byte offset of a bad byte before any row is used.
///
/// # Errors
///
/// [`ErrorKind::Io`] when the file cannot be read, [`ErrorKind::NotUtf8`]
/// with the offset of the first invalid byte, [`ErrorKind::EmptyFile`],
/// [`ErrorKind::MissingColumn`] naming the first required column absent
/// from the header, and [`ErrorKind::DuplicateColumn`].
pub fn ingest_file_keyed(
    kind: SourceKind,
    path: &Path,
    keys: IngestKeys<'_>,
    batch_id: &str,
) -> Result<FileOutcome, Error> {
    let started = Instant::now();
    let file = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    let span = tracing::info_span!("ingest", file = %file, kind = %kind);
    let _entered = span.enter();
    tracing::info!(batch_id, "reading source file");

    let bytes = std::fs::read(path).map_err(|source| ErrorKind::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let text = decode(&bytes, &file)?;

    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header_fields = reader
        .headers()
        .map_err(|source| csv_error(&file, 1, source))?
        .clone();
    let pseudonymised = is_pseudonymised(&header_fields);
    let spec = if pseudonymised {
        pseudonymised::columns(kind)
    } else {
        columns(kind).to_vec()
    };
    let header = read_header(kind, &spec, &header_fields, &file)?;

    let mut lines = LineCounter::new(text.as_bytes());
    let rows = read_rows(
        kind,
        &mut reader,
        &header,
        header_fields.len(),
        &file,
        &mut lines,
    )?;

    let provider_key = if pseudonymised {
        let column = header
            .position(PROVIDER_KEY_COLUMN)
            .expect("the provider key column is required");
        rows.first()
            .and_then(|row| row.fields.get(column))
            .map(str::to_string)
    } else {
        keys.provider.map(|p| p.key_fingerprint().to_string())
    };
    if let Some(key) = &provider_key {
        tracing::info!(
            provider_key = %key,
            pseudonymised,
            "records carry the provider key under the registry key"
        );
    }
    let context = Context {
        kind,
        file: &file,
        batch_id,
        header: &header,
        header_len: header_fields.len(),
        keys,
        provider_key: pseudonymised.then(|| provider_key.clone()).flatten(),
        today: chrono::Utc::now().date_naive(),
    };
    let outcomes: Vec<Result<SourceRecord, Box<QuarantinedRow>>> = rows
        .par_iter()
        .map(|raw| check_row(&context, raw))
        .collect();

    let rows_read = rows.len() as u64;
    let mut records = Vec::with_capacity(outcomes.len());
    let mut quarantine = Vec::new();
    for outcome in outcomes {
        match outcome {
            Ok(record) => records.push(record),
            Err(row) => quarantine.push(*row),
        }
    }
    assert_eq!(
        rows_read,
        (records.len() + quarantine.len()) as u64,
        "every row read is either accepted or quarantined"
    );

    log_summary(&quarantine, records.len(), rows_read, started);
    Ok(FileOutcome {
        records,
        quarantine,
        rows_read,
        source_file: file,
        provider_key,
    })
}

/// Strips a UTF-8 byte-order mark and checks that the rest is UTF-8.
fn decode<'a>(bytes: &'a [u8], file: &str) -> Result<&'a str, Error> {
    let start = if bytes.starts_with(UTF8_BOM) {
        UTF8_BOM.len()
    } else {
        0
    };
    std::str::from_utf8(&bytes[start..]).map_err(|error| {
        let offset = start + error.valid_up_to();
        let newlines = bytes[..offset].iter().filter(|b| **b == b'\n').count();
        ErrorKind::NotUtf8 {
            file: file.to_string(),
            line: newlines as u64 + 1,
            offset: offset as u64,
        }
        .into()
    })
}

/// Matches the header names to the feed's columns.
fn read_header(
    kind: SourceKind,
    spec: &[Column],
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

/// A data row as read, before any check.
struct RawRow {
    fields: StringRecord,
    line: u64,
    record: u64,
    /// The row's id already appeared on an earlier row.
    duplicate: bool,
}

/// Reads every data row in order, noting where it starts and whether its
/// id repeats an earlier one. This pass is sequential because both depend
/// on the rows before.
fn read_rows(
    kind: SourceKind,
    reader: &mut csv::Reader<&[u8]>,
    header: &Header,
    header_len: usize,
    file: &str,
    lines: &mut LineCounter<'_>,
) -> Result<Vec<RawRow>, Error> {
    let id_index = header
        .position(id_column(kind))
        .expect("the id column is required, so the header check found it");
    let mut ids = HashSet::new();
    let mut rows = Vec::new();
    for (record, result) in reader.records().enumerate() {
        let fields = result.map_err(|source| {
            let line = source.position().map_or(0, |p| p.line());
            csv_error(file, line, source)
        })?;
        let byte = fields.position().map_or(0, |p| p.byte());
        let line = lines.line_at(byte as usize);
        // A row with the wrong number of fields may have its id in another
        // column, so it neither claims nor repeats an id.
        let duplicate = fields.len() == header_len
            && fields
                .get(id_index)
                .filter(|id| !id.is_empty())
                .is_some_and(|id| !ids.insert(id.to_string()));
        rows.push(RawRow {
            fields,
            line,
            record: record as u64,
            duplicate,
        });
    }
    Ok(rows)
}

/// Finds the line where a record starts from its byte offset.
///
/// The csv crate's own line numbers (csv 1.4) run one line short after a
/// CRLF line end, because it reports a record as starting at the `\n` that
/// ends the previous one. Counting `\n` bytes up to the record's first
/// byte gives the line an editor shows for both line-end styles.
struct LineCounter<'a> {
    text: &'a [u8],
    cursor: usize,
    line: u64,
}

impl<'a> LineCounter<'a> {
    fn new(text: &'a [u8]) -> LineCounter<'a> {
        LineCounter {
            text,
            cursor: 0,
            line: 1,
        }
    }

    /// Returns the line of the record starting at `byte`. Offsets must not
    /// decrease from one call to the next.
    fn line_at(&mut self, byte: usize) -> u64 {
        let mut start = byte.min(self.text.len());
        while start < self.text.len()
            && matches!(self.text[start], b'\r' | b'\n')
        {
            start += 1;
        }
        if start > self.cursor {
            let skipped = &self.text[self.cursor..start];
            self.line += skipped.iter().filter(|b| **b == b'\n').count() as u64;
            self.cursor = start;
        }
        self.line
    }
}

/// File-wide settings shared by every row check.
struct Context<'a> {
    kind: SourceKind,
    file: &'a str,
    batch_id: &'a str,
    header: &'a Header,
    header_len: usize,
    keys: IngestKeys<'a>,
    /// The provider key named on the first row of a pre-pseudonymised
    /// file; `None` for a clear file.
    provider_key: Option<String>,
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
    let mut record = match &context.provider_key {
        Some(provider_key) => pseudonymised::build(
            context.kind,
            &mut row,
            provider_key,
            context.keys.registry,
        ),
        None => build_clear(context, &mut row),
    };

    if row.problems.is_empty() {
        record.batch_id = context.batch_id.to_string();
        record.source_file = context.file.to_string();
        record.source_line = raw.line;
        return Ok(record);
    }

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

/// Builds and pseudonymises the record of a clear row, in one layer or
/// two as [`ingest_file_keyed`] describes. The clear identity is wiped
/// before returning.
fn build_clear(context: &Context<'_>, row: &mut Row<'_>) -> SourceRecord {
    let (mut record, mut identity) = build(context.kind, row);
    if row.problems.is_empty() {
        match context.keys.provider {
            Some(provider) => {
                provider.apply(&identity, &mut record);
                context
                    .keys
                    .registry
                    .rekey_record(&mut record)
                    .expect("Pseudonymiser::apply writes well-formed pseudonyms and filters");
            }
            None => context.keys.registry.apply(&identity, &mut record),
        }
    }
    identity.wipe();
    record
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

/// Logs one warning per broken rule with its count, rather than one per
/// row, and the file's totals.
fn log_summary(
    quarantine: &[QuarantinedRow],
    accepted: usize,
    rows_read: u64,
    started: Instant,
) {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for row in quarantine {
        *counts.entry(row.rule.as_str()).or_default() += 1;
    }
    for (rule, count) in counts {
        tracing::warn!(rule, rows = count, "rows quarantined");
    }
    tracing::info!(
        rows_read,
        accepted,
        quarantined = quarantine.len(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "finished reading source file"
    );
}

fn csv_error(file: &str, line: u64, source: csv::Error) -> Error {
    ErrorKind::Csv {
        file: file.to_string(),
        line,
        source,
    }
    .into()
}
