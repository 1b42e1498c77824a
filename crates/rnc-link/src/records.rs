//! Records of any CSV, held column by column with interned values so that
//! exact agreement and blocking are integer tests.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::path::Path;

use rayon::prelude::*;
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use crate::Error;
use crate::error::ErrorKind;
use crate::spec::{ModelSpec, Normalisation};

/// foldhash in place of the standard SipHash: interning a million records
/// hashes every value once, and SipHash's resistance to crafted keys buys
/// nothing for a file the user links on their own machine.
type FastHasher = foldhash::fast::FixedState;

/// Code of a missing value.
pub(crate) const MISSING: u32 = u32::MAX;

/// One column: its distinct values and, per record, the code of its value.
#[derive(Debug, Clone)]
pub(crate) struct Column {
    pub name: String,
    pub normalisation: Normalisation,
    /// Distinct values, indexed by code.
    pub values: Vec<String>,
    /// Records holding each value, indexed by code.
    pub counts: Vec<u32>,
    /// Code per record, [`MISSING`] when the value is empty.
    pub codes: Vec<u32>,
    index: HashMap<String, u32, FastHasher>,
}

impl Column {
    fn push(&mut self, raw: &str) {
        let value = standardise_cow(raw, self.normalisation);
        if value.is_empty() {
            self.codes.push(MISSING);
            return;
        }
        let code = match self.index.get(value.as_ref()) {
            Some(&code) => code,
            None => {
                let code = self.values.len() as u32;
                self.index.insert(value.to_string(), code);
                self.values.push(value.into_owned());
                self.counts.push(0);
                code
            }
        };
        self.counts[code as usize] += 1;
        self.codes.push(code);
    }

    /// Code of a standardised value, if the column holds it.
    pub(crate) fn code_of(&self, value: &str) -> Option<u32> {
        self.index.get(value).copied()
    }

    /// Records with a value.
    pub(crate) fn present(&self) -> u64 {
        self.counts.iter().map(|&n| u64::from(n)).sum()
    }
}

/// Standardises a value: NFC and trimmed, then for [`Normalisation::Fold`]
/// without accents, upper-cased and with letters and digits only.
pub fn standardise(raw: &str, normalisation: Normalisation) -> String {
    standardise_cow(raw, normalisation).into_owned()
}

/// [`standardise`] without allocation for the common values that are
/// already standard: ASCII (which NFC leaves unchanged) and, for
/// [`Normalisation::Fold`], only upper-case letters and digits.
fn standardise_cow(raw: &str, normalisation: Normalisation) -> Cow<'_, str> {
    let trimmed = raw.trim();
    if trimmed.is_ascii() {
        let standard = match normalisation {
            Normalisation::Nfc => true,
            Normalisation::Fold => trimmed
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()),
        };
        if standard {
            return Cow::Borrowed(trimmed);
        }
    }
    Cow::Owned(standardise_slow(raw, normalisation))
}

fn standardise_slow(raw: &str, normalisation: Normalisation) -> String {
    let nfc: String = raw.trim().nfc().collect();
    match normalisation {
        Normalisation::Nfc => nfc,
        Normalisation::Fold => nfc
            .nfd()
            .filter(|c| !is_combining_mark(*c))
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_uppercase)
            .collect(),
    }
}

/// Records to link: their ids, the file (source) each came from and the
/// model's columns. Dedupe uses one source; linking two files uses
/// sources 0 and 1.
#[derive(Debug, Clone)]
pub struct RecordTable {
    pub(crate) ids: Vec<String>,
    pub(crate) sources: Vec<u8>,
    pub(crate) columns: Vec<Column>,
    seen_ids: HashSet<(u8, String), FastHasher>,
}

impl RecordTable {
    /// Creates an empty table with the columns that `spec` reads.
    pub fn new(spec: &ModelSpec) -> RecordTable {
        RecordTable {
            ids: Vec::new(),
            sources: Vec::new(),
            columns: spec
                .columns()
                .into_iter()
                .map(|(name, normalisation)| Column {
                    name,
                    normalisation,
                    values: Vec::new(),
                    counts: Vec::new(),
                    codes: Vec::new(),
                    index: HashMap::default(),
                })
                .collect(),
            seen_ids: HashSet::default(),
        }
    }

    /// Number of records.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether the table has no record.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Record ids, in the order the records were added.
    pub fn ids(&self) -> &[String] {
        &self.ids
    }

    /// Source (0 or 1) of each record.
    pub fn sources(&self) -> &[u8] {
        &self.sources
    }

    /// Names of the columns read, in model order.
    pub fn column_names(&self) -> Vec<&str> {
        self.columns.iter().map(|c| c.name.as_str()).collect()
    }

    /// Index of a column by name.
    pub(crate) fn column_index(&self, name: &str) -> usize {
        self.columns
            .iter()
            .position(|c| c.name == name)
            .expect("every model column is in the table")
    }

    /// Adds one record; `value` returns the raw text of a column (empty or
    /// `None` when missing).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidRecords`] when the id is empty or repeats an id
    /// of the same source.
    pub fn push<'a>(
        &mut self,
        id: &str,
        source: u8,
        value: impl Fn(&str) -> Option<&'a str>,
    ) -> Result<(), Error> {
        self.push_id(id, source)?;
        for column in &mut self.columns {
            let raw = value(&column.name).unwrap_or("");
            column.push(raw);
        }
        Ok(())
    }

    /// Checks a record's id and adds it with its source.
    fn push_id(&mut self, id: &str, source: u8) -> Result<(), Error> {
        let id = id.trim();
        if id.is_empty() {
            return Err(ErrorKind::InvalidRecords {
                reason: format!(
                    "record {} of source {source} has an empty id (every \
                     record needs a unique id)",
                    self.ids.len() + 1
                ),
            }
            .into());
        }
        if !self.seen_ids.insert((source, id.to_string())) {
            return Err(ErrorKind::InvalidRecords {
                reason: format!(
                    "record id {id} appears twice in source {source} (ids \
                     must be unique within a file)"
                ),
            }
            .into());
        }
        self.ids.push(id.to_string());
        self.sources.push(source);
        Ok(())
    }

    /// Removes the ids added from record `start` on, so that ids and
    /// columns stay the same length after a batch fails.
    fn remove_ids_from(&mut self, start: usize) {
        for (id, &source) in
            self.ids[start..].iter().zip(&self.sources[start..])
        {
            self.seen_ids.remove(&(source, id.clone()));
        }
        self.ids.truncate(start);
        self.sources.truncate(start);
    }

    /// Reads a CSV file with a header line and adds its records as
    /// `source`.
    ///
    /// The file is read in batches of records. While one batch is parsed,
    /// the columns of the previous one are interned in parallel, one task
    /// per column, so reading is not bound to one core.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Csv`] when the file cannot be read or a line is
    /// malformed, [`ErrorKind::MissingColumn`] when the id column or a
    /// model column is not in the header, [`ErrorKind::InvalidRecords`]
    /// for an empty or repeated id. On an error the batches before the
    /// failing one stay in the table.
    pub fn read_csv(
        &mut self,
        path: &Path,
        id_column: &str,
        source: u8,
    ) -> Result<usize, Error> {
        let csv_error = |line: Option<u64>, e: &dyn std::fmt::Display| {
            Error::from(ErrorKind::Csv {
                file: path.display().to_string(),
                line,
                reason: e.to_string(),
            })
        };
        let mut reader = csv::ReaderBuilder::new()
            .flexible(false)
            .from_path(path)
            .map_err(|e| csv_error(None, &e))?;
        let headers = reader.headers().map_err(|e| csv_error(Some(1), &e))?;
        let headers: Vec<String> = headers
            .iter()
            .map(|h| h.trim_start_matches('\u{feff}').trim().to_string())
            .collect();
        let position = |column: &str| {
            headers.iter().position(|h| h == column).ok_or_else(|| {
                Error::from(ErrorKind::MissingColumn {
                    file: path.display().to_string(),
                    column: column.to_string(),
                })
            })
        };
        let id_position = position(id_column)?;
        let positions = self
            .columns
            .iter()
            .map(|column| position(&column.name))
            .collect::<Result<Vec<usize>, Error>>()?;

        let mut added = 0;
        let mut current = RecordBatch::default();
        let mut next = RecordBatch::default();
        current
            .fill(&mut reader)
            .map_err(|(line, e)| csv_error(line, &e))?;
        while !current.records.is_empty() {
            let start = self.ids.len();
            for (record, &line) in current.records.iter().zip(&current.lines) {
                let id = record.get(id_position).unwrap_or("");
                if let Err(e) = self.push_id(id, source) {
                    self.remove_ids_from(start);
                    return Err(csv_error(Some(line), &e));
                }
            }
            let columns = &mut self.columns;
            let records = &current.records;
            let (parsed, ()) = rayon::join(
                || next.fill(&mut reader),
                || {
                    columns.par_iter_mut().zip(&positions).for_each(
                        |(column, &p)| {
                            for record in records {
                                column.push(record.get(p).unwrap_or(""));
                            }
                        },
                    )
                },
            );
            added += current.records.len();
            parsed.map_err(|(line, e)| csv_error(line, &e))?;
            std::mem::swap(&mut current, &mut next);
        }
        Ok(added)
    }
}

/// Records per batch of [`RecordTable::read_csv`]: enough to keep every
/// column's task busy, while two batches of short records take a few
/// megabytes.
const BATCH_RECORDS: usize = 16_384;

/// Parsed CSV records of one batch with their line numbers.
#[derive(Default)]
struct RecordBatch {
    records: Vec<csv::StringRecord>,
    lines: Vec<u64>,
}

impl RecordBatch {
    /// Reads up to [`BATCH_RECORDS`] records, reusing the buffers of the
    /// previous batch. Returns the failing line and the error of a
    /// malformed record.
    fn fill<R: std::io::Read>(
        &mut self,
        reader: &mut csv::Reader<R>,
    ) -> Result<(), (Option<u64>, csv::Error)> {
        self.records
            .resize_with(BATCH_RECORDS, csv::StringRecord::new);
        self.lines.clear();
        let mut filled = 0;
        while filled < BATCH_RECORDS {
            let line = reader.position().line();
            match reader.read_record(&mut self.records[filled]) {
                Ok(true) => {
                    self.lines.push(line);
                    filled += 1;
                }
                Ok(false) => break,
                Err(e) => return Err((Some(line), e)),
            }
        }
        self.records.truncate(filled);
        Ok(())
    }
}

#[cfg(test)]
pub(crate) mod tests_support {
    use super::*;

    /// A column of the given raw values, standardised with NFC.
    pub(crate) fn column(values: &[&str]) -> Column {
        let mut column = Column {
            name: "x".to_string(),
            normalisation: Normalisation::Nfc,
            values: Vec::new(),
            counts: Vec::new(),
            codes: Vec::new(),
            index: HashMap::default(),
        };
        for value in values {
            column.push(value);
        }
        column
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> ModelSpec {
        ModelSpec::from_toml(
            "[[comparison]]\ncolumn = \"name\"\nkind = \"exact\"\n\n\
             [blocking]\nrules = [[\"name\"]]\n",
        )
        .unwrap()
    }

    // More records than one batch, so that interning runs on several
    // batches while the next one is parsed.
    #[test]
    fn read_csv_keeps_records_across_batches() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("people.csv");
        let records = BATCH_RECORDS * 2 + 7;
        let mut text = String::from("id,name\n");
        for i in 0..records {
            text.push_str(&format!("r{i},N{}\n", i % 5));
        }
        std::fs::write(&path, text).unwrap();
        let mut table = RecordTable::new(&spec());
        assert_eq!(table.read_csv(&path, "id", 0).unwrap(), records);
        assert_eq!(table.len(), records);
        let column = &table.columns[0];
        assert_eq!(column.codes.len(), records);
        assert_eq!(column.values, ["N0", "N1", "N2", "N3", "N4"]);
        assert_eq!(table.ids()[records - 1], format!("r{}", records - 1));
        assert_eq!(column.codes[records - 1], ((records - 1) % 5) as u32);
    }

    // A repeated id in the second batch names its line (the header is
    // line 1) and leaves the table with the first batch only.
    #[test]
    fn read_csv_rejects_repeated_id_in_later_batch() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("people.csv");
        let mut text = String::from("id,name\n");
        for i in 0..BATCH_RECORDS + 10 {
            text.push_str(&format!("r{i},N\n"));
        }
        text.push_str("r3,N\n");
        std::fs::write(&path, text).unwrap();
        let mut table = RecordTable::new(&spec());
        let error = table.read_csv(&path, "id", 0).unwrap_err();
        let line = BATCH_RECORDS + 10 + 2;
        assert!(
            error.to_string().contains(&format!("line {line}")),
            "{error}"
        );
        assert!(error.to_string().contains("appears twice"), "{error}");
        assert_eq!(table.len(), BATCH_RECORDS);
        assert_eq!(table.columns[0].codes.len(), BATCH_RECORDS);
        // The ids of the failed batch may be added again.
        let id = format!("r{}", BATCH_RECORDS);
        table.push(&id, 0, |_| Some("N")).unwrap();
    }

    // Bug case from StringDistances.jl issue #9 and jellyfish issue #37:
    // the precomposed and decomposed forms of RENÉE must be one value.
    #[test]
    fn nfc_makes_encodings_equal() {
        let precomposed = "REN\u{00C9}E";
        let decomposed = "RENE\u{0301}E";
        assert_ne!(precomposed, decomposed);
        assert_eq!(
            standardise(precomposed, Normalisation::Nfc),
            standardise(decomposed, Normalisation::Nfc)
        );
    }

    #[test]
    fn fold_strips_accents_and_separators_but_keeps_particles() {
        let fold = |s| standardise(s, Normalisation::Fold);
        assert_eq!(fold("M\u{00DC}LLER"), fold("MULLER"));
        assert_eq!(fold("ZO\u{00CB}"), "ZOE");
        assert_eq!(fold("Jean-Pierre"), fold("JEAN PIERRE"));
        assert_eq!(fold("DE LA CRUZ"), "DELACRUZ");
        assert_eq!(fold("LE GALL"), fold("LEGALL"));
        assert_eq!(fold("O'BRIEN"), "OBRIEN");
    }
}
