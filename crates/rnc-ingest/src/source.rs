//! Checking one source file: header, rows, and the split into accepted
//! and quarantined rows. The `read` module opens the file in its form.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::time::Instant;

use chrono::NaiveDate;
use csv::StringRecord;
use rayon::prelude::*;
use rnc_model::{SourceKind, SourceRecord};

use crate::checks::{Header, Row, safe_fields};
use crate::encr_jrc;
use crate::feeds::{Column, id_column, is_identifying};
use crate::mapping::{Layout, Mapping};
use crate::pseudonymised::{self, PROVIDER_KEY_COLUMN, is_pseudonymised};
use crate::read::{ReadOptions, ReadRow, RowReader, file_name, open_rows};
use crate::records::build;
use crate::{Error, ErrorKind, FileOutcome, IngestKeys, QuarantinedRow};

/// Rows read, checked and handed on together by [`ingest_file_chunked`].
/// Memory use grows with this number, not with the file's length.
pub const CHUNK_ROWS: usize = 32 * 1024;

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
    /// As [`FileOutcome::provider_key`].
    pub provider_key: String,
    /// SHA-256 of the file's bytes, lowercase hex, computed while the
    /// file was read.
    pub input_sha256: String,
}

/// The mapping of a file read with the feed's own column names.
static DEFAULT_MAPPING: std::sync::LazyLock<Mapping> =
    std::sync::LazyLock::new(Mapping::default);

/// Reads, checks and pseudonymises one file of a feed, with the default
/// [`ReadOptions`]: UTF-8 unless a byte-order mark shows otherwise, and the
/// delimiter detected. See [`ingest_file_with`].
///
/// # Errors
///
/// As [`ingest_file_with`].
pub fn ingest_file(
    kind: SourceKind,
    path: &Path,
    keys: IngestKeys<'_>,
    batch_id: &str,
) -> Result<FileOutcome, Error> {
    let options = ReadOptions::default();
    ingest_file_with(kind, path, keys, batch_id, &options)
}

/// Reads, checks and pseudonymises one file of a feed: CSV text (plain,
/// gzip or zstd), Parquet, or FHIR R4 JSON for pathology reports and
/// treatment acts, as detected by [`open_rows`].
///
/// Columns are matched by name in any order; columns the feed does not
/// define are ignored and logged once. Each row ends up in exactly one of
/// [`FileOutcome::records`] and [`FileOutcome::quarantine`]; a quarantined
/// row names the first rule it broke and lists all of them. A row whose id
/// already appeared earlier in the file is quarantined with the rule
/// `duplicate_id`, and the earlier row is kept. Rows are checked in
/// parallel, and both lists keep file order.
///
/// The file contains either clear identifiers or, when its header has a
/// `provider_key` column, the output of the provider step `rnc
/// pseudonymise`. A clear row is pseudonymised with `keys.provider`; the
/// pseudonyms and filters of every row are then sealed with
/// `keys.registry`. Every row of a pre-pseudonymised file must name the
/// provider key of its first row. A clear file needs `keys.provider`.
///
/// The rows are read as a stream but kept in memory until every row is
/// checked, so that no record is returned before the whole file has
/// decoded: a decoding error fails the file.
///
/// # Errors
///
/// The errors of [`open_rows`], [`ErrorKind::NotUtf8`] and
/// [`ErrorKind::InvalidEncoding`] with the offset of the first bad byte,
/// [`ErrorKind::EmptyFile`], [`ErrorKind::MissingColumn`] naming the first
/// required column absent from the header, and
/// [`ErrorKind::DuplicateColumn`], and [`ErrorKind::ProviderKeyRequired`]
/// for a clear file without `keys.provider`.
pub fn ingest_file_with(
    kind: SourceKind,
    path: &Path,
    keys: IngestKeys<'_>,
    batch_id: &str,
    options: &ReadOptions,
) -> Result<FileOutcome, Error> {
    ingest_file_as(kind, path, None, options, keys, batch_id)
}

/// Reads a file as [`ingest_file`] does, with the column names and value
/// forms of a [`Mapping`] when one is given.
///
/// Without a mapping, a `registry_extract` file whose header is that of
/// the ENCR-JRC call-for-data layout is read in that layout.
///
/// # Errors
///
/// As [`ingest_file`]; a missing column is named as the mapping names it.
pub fn ingest_file_with_mapping(
    kind: SourceKind,
    path: &Path,
    mapping: Option<&Mapping>,
    keys: IngestKeys<'_>,
    batch_id: &str,
) -> Result<FileOutcome, Error> {
    let options = ReadOptions::default();
    ingest_file_as(kind, path, mapping, &options, keys, batch_id)
}

/// Reads a file with a [`Mapping`] (or the feed's own column names, or
/// the ENCR-JRC layout when its header shows it), [`ReadOptions`] and
/// [`IngestKeys`]. A mapping does not apply to a pre-pseudonymised file,
/// whose columns are those the provider step writes.
///
/// # Errors
///
/// As [`ingest_file_with`] and [`ingest_file_with_mapping`].
pub fn ingest_file_as(
    kind: SourceKind,
    path: &Path,
    mapping: Option<&Mapping>,
    options: &ReadOptions,
    keys: IngestKeys<'_>,
    batch_id: &str,
) -> Result<FileOutcome, Error> {
    let mut records = Vec::new();
    let mut quarantine = Vec::new();
    let summary = ingest_file_chunked(
        kind,
        path,
        mapping,
        options,
        keys,
        batch_id,
        |chunk| -> Result<(), std::convert::Infallible> {
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
        provider_key: summary.provider_key,
    })
}

/// Reads, checks and pseudonymises one file as [`ingest_file_as`] does,
/// [`CHUNK_ROWS`] rows at a time, and hands each chunk to `sink` in file
/// order, so that memory does not grow with the file. The rows of a chunk
/// are checked in parallel while the chunk before goes to `sink` and the
/// next is read. `sink` therefore runs on a thread of rayon's pool and
/// must be `Send`, and at most three chunks are in memory at once.
///
/// A decoding error stops the file after the chunks before it were handed
/// on: a caller that stores chunks must discard them when this function
/// returns an error.
///
/// # Errors
///
/// As [`ingest_file_as`], and [`ErrorKind::Output`] when `sink` fails.
pub fn ingest_file_chunked<F, E>(
    kind: SourceKind,
    path: &Path,
    mapping: Option<&Mapping>,
    options: &ReadOptions,
    keys: IngestKeys<'_>,
    batch_id: &str,
    mut sink: F,
) -> Result<FileSummary, Error>
where
    F: FnMut(Chunk) -> Result<(), E> + Send,
    E: Into<Box<dyn std::error::Error + Send + Sync>> + Send,
{
    let started = Instant::now();
    let file = file_name(path);
    let span = tracing::info_span!("ingest", file = %file, kind = %kind);
    let _entered = span.enter();
    tracing::info!(batch_id, "reading source file");

    let mut reader = open_rows(path, kind, options)?;
    tracing::info!(format = ?reader.format(), "opened source file");
    let header_fields = reader.header().clone();
    let pseudonymised = is_pseudonymised(&header_fields);
    let encr_jrc;
    let mapping = match mapping {
        _ if pseudonymised => &DEFAULT_MAPPING,
        Some(mapping) => mapping,
        None if kind == SourceKind::RegistryExtract
            && Mapping::is_encr_jrc_header(header_fields.iter()) =>
        {
            tracing::info!("reading the ENCR-JRC call-for-data layout");
            encr_jrc = Mapping::encr_jrc();
            &encr_jrc
        }
        None => &DEFAULT_MAPPING,
    };
    let spec = if pseudonymised {
        pseudonymised::columns(kind)
    } else {
        mapping.fields(kind)
    };
    let header = read_header(kind, mapping, &spec, &header_fields, &file)?;
    let id_index = header
        .position(id_column(kind))
        .expect("the id column is required, so the header check found it");
    let header_len = header_fields.len();
    let mut ids = SeenIds::default();
    let mut rows = read_chunk(&mut reader, id_index, header_len, &mut ids)?;

    let provider_key = if pseudonymised {
        let column = header
            .position(PROVIDER_KEY_COLUMN)
            .expect("the provider key column is required");
        rows.first()
            .and_then(|row| row.read.fields.get(column))
            .map(str::to_string)
            .unwrap_or_default()
    } else {
        let Some(provider) = keys.provider else {
            return Err(
                ErrorKind::ProviderKeyRequired { file: file.clone() }.into()
            );
        };
        provider.key_fingerprint().to_string()
    };
    tracing::info!(
        provider_key = %provider_key,
        pseudonymised,
        "records carry the provider key under the registry key"
    );

    let context = Context {
        kind,
        file: &file,
        batch_id,
        header: &header,
        header_len: header_fields.len(),
        mapping,
        keys,
        provider_key: pseudonymised.then(|| provider_key.clone()),
        today: chrono::Utc::now().date_naive(),
    };
    let mut totals = Totals::default();
    let mut checked: Option<Chunk> = None;
    loop {
        // Three steps overlap so that both cores stay busy. Writing the
        // previous chunk and reading the next must each keep file order,
        // so they share one thread while this chunk's rows are checked.
        let (outcomes, (sunk, next)) = rayon::join(
            || -> Vec<Result<SourceRecord, Box<QuarantinedRow>>> {
                rows.par_iter()
                    .map(|raw| check_row(&context, raw))
                    .collect()
            },
            || {
                let sunk = checked.take().map_or(Ok(()), &mut sink);
                let next = if rows.is_empty() {
                    Ok(Vec::new())
                } else {
                    read_chunk(&mut reader, id_index, header_len, &mut ids)
                };
                (sunk, next)
            },
        );
        sunk.map_err(|source| ErrorKind::Output {
            file: file.clone(),
            source: source.into(),
        })?;
        if rows.is_empty() {
            break;
        }

        let mut chunk = Chunk {
            records: Vec::with_capacity(outcomes.len()),
            quarantine: Vec::new(),
            rows_read: 0,
        };
        for outcome in outcomes {
            match outcome {
                Ok(record) => chunk.records.push(record),
                Err(row) => chunk.quarantine.push(*row),
            }
        }
        assert_eq!(
            rows.len(),
            chunk.records.len() + chunk.quarantine.len(),
            "every row read is either accepted or quarantined"
        );
        totals.add(&chunk);
        chunk.rows_read = totals.rows_read;
        checked = Some(chunk);
        rows = match next {
            Ok(rows) => rows,
            Err(error) => {
                // The chunks before the fault are handed on, as the
                // caller expects, before the error.
                if let Some(chunk) = checked.take() {
                    sink(chunk).map_err(|source| ErrorKind::Output {
                        file: file.clone(),
                        source: source.into(),
                    })?;
                }
                return Err(error);
            }
        };
    }

    let input_sha256 = reader.finish_sha256()?;
    totals.log(started);
    Ok(FileSummary {
        rows_read: totals.rows_read,
        rows_accepted: totals.accepted,
        rows_quarantined: totals.quarantined,
        source_file: file,
        provider_key,
        input_sha256,
    })
}

/// Matches the header names to the feed's columns.
fn read_header(
    kind: SourceKind,
    mapping: &Mapping,
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

    let is_feed_column = |name: &str| {
        is_identifying(name)
            || spec.iter().any(|c| mapping.column_name(c.name) == name)
    };
    let mut seen = HashMap::new();
    for (index, name) in names.iter().enumerate() {
        if name.is_empty() {
            continue;
        }
        if let Some(first) = seen.insert(name, index) {
            return Err(ErrorKind::DuplicateColumn {
                file: file.to_string(),
                column: is_feed_column(name).then(|| name.to_string()),
                positions: [first + 1, index + 1],
            }
            .into());
        }
    }

    let mut positions = Vec::with_capacity(spec.len());
    for column in spec {
        let wanted = mapping.column_name(column.name);
        match names.iter().position(|name| name == wanted) {
            Some(index) => positions.push((column.name, index)),
            None if column.required => {
                let expected: Vec<&str> = spec
                    .iter()
                    .filter(|c| c.required)
                    .map(|c| mapping.column_name(c.name))
                    .collect();
                return Err(ErrorKind::MissingColumn {
                    file: file.to_string(),
                    kind,
                    column: wanted.to_string(),
                    expected: expected.join(", "),
                }
                .into());
            }
            None => {}
        }
    }

    let extra: Vec<&str> = names
        .iter()
        .filter(|name| {
            !spec.iter().any(|c| mapping.column_name(c.name) == *name)
        })
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
    read: ReadRow,
    /// The row's id already appeared on an earlier row.
    duplicate: bool,
}

/// The ids seen so far in a file, kept as 128-bit keyed digests so that
/// memory grows by a fixed amount per row (about 30 bytes with the hash
/// table's overhead) whatever the ids' length.
///
/// The digest is two SipHash-1-3 hashes (the standard library's hasher)
/// under two different keys of `RandomState`, which are random in each
/// process. Two different ids of a file of n rows share a digest with
/// probability about n² / 2¹²⁹, below 10⁻²⁵ for 5 million rows, and as
/// the keys are secret, no file can be made to collide on purpose.
#[derive(Default)]
struct SeenIds {
    keys: [std::hash::RandomState; 2],
    digests: HashSet<u128>,
}

impl SeenIds {
    /// Adds `id` and returns whether it was new.
    fn insert(&mut self, id: &str) -> bool {
        use std::hash::BuildHasher;
        let [first, second] = &self.keys;
        let high = u128::from(first.hash_one(id));
        let low = u128::from(second.hash_one(id));
        self.digests.insert(high << 64 | low)
    }
}

/// Reads the next [`CHUNK_ROWS`] data rows in order, noting whether the
/// id of each repeats one of `ids`, the ids seen so far. This pass is
/// sequential because repeats depend on the rows before.
fn read_chunk(
    reader: &mut RowReader,
    id_index: usize,
    header_len: usize,
    ids: &mut SeenIds,
) -> Result<Vec<RawRow>, Error> {
    let mut rows = Vec::with_capacity(CHUNK_ROWS.min(1024));
    for read in reader.by_ref().take(CHUNK_ROWS) {
        let read = read?;
        // A row with the wrong number of fields may have its id in another
        // column, so it neither claims nor repeats an id.
        let fields = &read.fields;
        let duplicate = read.defect.is_none()
            && fields.len() == header_len
            && fields
                .get(id_index)
                .filter(|id| !id.is_empty())
                .is_some_and(|id| !ids.insert(id));
        rows.push(RawRow { read, duplicate });
    }
    Ok(rows)
}

/// File-wide settings shared by every row check.
struct Context<'a> {
    kind: SourceKind,
    file: &'a str,
    batch_id: &'a str,
    header: &'a Header,
    header_len: usize,
    mapping: &'a Mapping,
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
    let read = &raw.read;
    if let Some(defect) = &read.defect {
        return Err(Box::new(quarantined(
            context,
            read,
            &defect.field,
            defect.rule,
            &defect.detail,
            format!("{}:{}", defect.field, defect.rule),
            safe_fields(&read.fields, context.header),
        )));
    }
    if read.fields.len() != context.header_len {
        // A quote left open makes every following line part of one field,
        // up to the next quote or the end of the file: say so, because
        // those lines are in this row rather than read as rows.
        let spanned: usize = read
            .fields
            .iter()
            .map(|field| field.bytes().filter(|&b| b == b'\n').count())
            .sum();
        let detail = if spanned > 0 {
            format!(
                "row has {} fields but the header has {}, and a quoted field \
                 runs over {} more lines: a quote is probably not closed, so \
                 those lines were read into this row; close the quote and \
                 ingest the file again",
                read.fields.len(),
                context.header_len,
                spanned
            )
        } else {
            format!(
                "row has {} fields but the header has {} (expected one field \
                 per header column; check for an unquoted comma or a missing \
                 separator)",
                read.fields.len(),
                context.header_len
            )
        };
        return Err(Box::new(quarantined(
            context,
            read,
            "-",
            "column_count",
            &detail,
            "-:column_count".to_string(),
            "{}".to_string(),
        )));
    }

    let mut row = Row::new(
        &read.fields,
        context.header,
        &context.mapping.conventions,
        context.today,
    );
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
        record.source_line = read.line;
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
        read,
        &first.field,
        first.rule,
        &first.detail,
        problems.join("; "),
        safe_fields(&read.fields, context.header),
    )))
}

/// Builds and pseudonymises the record of a clear row with the provider
/// key, then seals it with the registry key. The clear identity is wiped
/// before returning.
fn build_clear(context: &Context<'_>, row: &mut Row<'_>) -> SourceRecord {
    let (mut record, mut identity) = match context.mapping.layout {
        Layout::Feed => build(context.kind, row),
        Layout::EncrJrc => encr_jrc::build(row),
    };
    if row.problems.is_empty() {
        let provider = context
            .keys
            .provider
            .expect("a clear file is read only with a provider key");
        provider.apply_sealed(&identity, context.keys.registry, &mut record);
    }
    identity.wipe();
    record
}

fn quarantined(
    context: &Context<'_>,
    raw: &ReadRow,
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
        message: match raw.entry {
            None => format!(
                "{}: line {}, field {field}: {detail}",
                context.file, raw.line
            ),
            Some(entry) => format!(
                "{}: line {}, entry {entry}, field {field}: {detail}",
                context.file, raw.line
            ),
        },
        problems,
        safe_fields,
    }
}

/// Counts of the rows handed on so far, with the quarantined rows by
/// rule.
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
        self.rows_read += (chunk.records.len() + chunk.quarantine.len()) as u64;
        for row in &chunk.quarantine {
            *self.by_rule.entry(row.rule.clone()).or_default() += 1;
        }
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
