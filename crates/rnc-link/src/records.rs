//! Records of any CSV, held column by column with interned values so that
//! exact agreement and blocking are integer tests.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::path::Path;

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
        for column in &mut self.columns {
            let raw = value(&column.name).unwrap_or("");
            column.push(raw);
        }
        self.ids.push(id.to_string());
        self.sources.push(source);
        Ok(())
    }

    /// Reads a CSV file with a header line and adds its records as
    /// `source`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Csv`] when the file cannot be read or a line is
    /// malformed, [`ErrorKind::MissingColumn`] when the id column or a
    /// model column is not in the header, [`ErrorKind::InvalidRecords`]
    /// for an empty or repeated id.
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
        let mut positions = HashMap::new();
        for column in &self.columns {
            positions.insert(column.name.clone(), position(&column.name)?);
        }
        let mut added = 0;
        let mut row = csv::StringRecord::new();
        loop {
            let line = reader.position().line();
            match reader.read_record(&mut row) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => return Err(csv_error(Some(line), &e)),
            }
            let id = row.get(id_position).unwrap_or("");
            self.push(id, source, |column| {
                positions.get(column).and_then(|&p| row.get(p))
            })
            .map_err(|e| csv_error(Some(line), &e))?;
            added += 1;
        }
        Ok(added)
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
