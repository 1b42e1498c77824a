//! `rnc pseudonymise`: the provider-side step, run by a hospital,
//! laboratory or regional registry on its own feed file before sending it.

use std::cell::RefCell;
use std::io::Read;
use std::path::Path;
use std::rc::Rc;

use anyhow::{Context, bail};
use rnc_ingest::{RowReader, open_rows};
use rnc_model::SourceKind;
use rnc_pseudonym::provider::{ensure_distinct_files, write_pseudonymised};
use rnc_pseudonym::{ClkEncoder, ClkSettings, Key, Pseudonymiser};

use crate::cli::PseudonymiseArgs;
use crate::commands::Outcome;

/// Pseudonymises `args.input` into `args.output` with the provider key at
/// `key_path`, and prints the counts.
///
/// Returns [`Outcome::Flagged`] when some NIR or birth date was invalid,
/// because those rows lose that linkage evidence.
pub fn pseudonymise(
    key_path: Option<&Path>,
    args: &PseudonymiseArgs,
) -> anyhow::Result<Outcome> {
    let Some(key_path) = key_path else {
        bail!(
            "rnc pseudonymise needs --key FILE: the provider key shared by the \
             providers and the linkage environment (add --create-key to make a \
             new one)"
        );
    };
    let kind: SourceKind = args
        .source
        .parse()
        .map_err(anyhow::Error::msg)
        .with_context(|| format!("invalid --source {}", args.source))?;
    let key = if args.create_key {
        let (key, created) = Key::load_or_create(key_path)?;
        if created {
            println!(
                "created provider key {} (fingerprint {}); give it to the other \
                 providers and the linkage environment only",
                key_path.display(),
                key.fingerprint()
            );
        }
        key
    } else {
        Key::load(key_path).with_context(|| {
            // A new key is the fix only when there is none: a new provider
            // key would stop this provider's pseudonyms matching the others'.
            if key_path.exists() {
                format!("cannot use the provider key {}", key_path.display())
            } else {
                format!(
                    "cannot use the provider key {} (if this provider has no key yet, add --create-key to make one)",
                    key_path.display()
                )
            }
        })?
    };

    let pseudonymiser = Pseudonymiser::new(&key);
    let clk = ClkEncoder::new(&key, ClkSettings::default())?;
    ensure_distinct_files(&args.input, &args.output)?;
    // The ingest's reader takes every form a registry accepts (encodings,
    // delimiters, compression, Parquet, FHIR), and the provider step reads
    // its rows as comma-separated UTF-8.
    let rows = open_rows(&args.input, kind, &args.text.read_options())?;
    let file_name = args
        .input
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| args.input.display().to_string());
    let input = RowsAsCsv::new(rows, &file_name)?;
    let reading_failure = Rc::clone(&input.failure);
    let summary = write_pseudonymised(
        kind,
        &file_name,
        input,
        &args.output,
        &pseudonymiser,
        &clk,
    )
    .map_err(|error| match reading_failure.borrow_mut().take() {
        // The CSV reader saw only an I/O error without a position, so the
        // row reader's own message, which names the line, is reported.
        Some(message) => anyhow::anyhow!(message),
        None => error.into(),
    })?;

    if !summary.dropped_columns.is_empty() {
        println!(
            "dropped columns the {kind} feed does not define: {}",
            summary.dropped_columns.join(", ")
        );
    }
    println!(
        "{}: {} rows pseudonymised into {} with provider key {}; NIR \
         pseudonymised {}, invalid {}; unreadable birth dates {}",
        args.input.display(),
        summary.rows,
        args.output.display(),
        summary.key_fingerprint,
        summary.nir_pseudonymised,
        summary.nir_invalid,
        summary.birth_date_invalid
    );
    if summary.nir_invalid > 0 || summary.birth_date_invalid > 0 {
        Ok(Outcome::Flagged)
    } else {
        Ok(Outcome::Clean)
    }
}

/// The rows of a [`RowReader`] written back as comma-separated UTF-8 CSV,
/// header first, one row at a time as the reader asks for bytes.
struct RowsAsCsv {
    rows: RowReader,
    /// The input's file name, for messages.
    file: String,
    /// Bytes of the header or of the current row not yet read.
    pending: Vec<u8>,
    position: usize,
    /// The message of the reading error that stopped the file, if any.
    /// The provider step's CSV reader reports it as an invalid CSV at line
    /// 0, so the caller reports this message instead.
    failure: Rc<RefCell<Option<String>>>,
}

impl RowsAsCsv {
    fn new(rows: RowReader, file: &str) -> anyhow::Result<RowsAsCsv> {
        let mut pending = csv::Writer::from_writer(Vec::new());
        pending.write_record(rows.header())?;
        let pending = pending.into_inner().context("writing the header")?;
        Ok(RowsAsCsv {
            rows,
            file: file.to_string(),
            pending,
            position: 0,
            failure: Rc::default(),
        })
    }

    /// Keeps `message` as the reading failure and returns it as an I/O
    /// error for the CSV reader.
    fn fail(&mut self, message: String) -> std::io::Error {
        *self.failure.borrow_mut() = Some(message.clone());
        std::io::Error::other(message)
    }

    /// Replaces the pending bytes by the next row, and returns false at
    /// the end of the file.
    fn next_row(&mut self) -> std::io::Result<bool> {
        let row = match self.rows.next() {
            None => return Ok(false),
            Some(Err(error)) => return Err(self.fail(error.to_string())),
            Some(Ok(row)) => row,
        };
        // The provider step writes every row, so a row the reader found
        // malformed stops the file. Its detail contains no value of the row.
        if let Some(defect) = row.defect {
            return Err(self.fail(format!(
                "{}: line {}: field {}: {} ({})",
                self.file, row.line, defect.field, defect.detail, defect.rule
            )));
        }
        let mut writer = csv::Writer::from_writer(Vec::new());
        writer.write_record(&row.fields)?;
        self.pending = writer
            .into_inner()
            .map_err(|error| std::io::Error::other(error.to_string()))?;
        self.position = 0;
        Ok(true)
    }
}

impl Read for RowsAsCsv {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        while self.position == self.pending.len() {
            if !self.next_row()? {
                return Ok(0);
            }
        }
        let available = &self.pending[self.position..];
        let count = available.len().min(buffer.len());
        buffer[..count].copy_from_slice(&available[..count]);
        self.position += count;
        Ok(count)
    }
}
