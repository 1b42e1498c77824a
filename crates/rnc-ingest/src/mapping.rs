//! Mapping files: a user's own column names, date form, topography code
//! system and sex codes for one feed, declared in TOML.
//!
//! ```toml
//! source = "hospital_stay"        # optional; must match --source
//! date_format = "%d/%m/%Y"        # %Y, %m and %d once each
//! diagnosis_code_system = "icd10" # of the topography column
//!
//! [columns]                       # field = "column name in the file"
//! stay_id = "NUM_SEJOUR"
//!
//! [sex_values]                    # code in the file = male, female, unknown
//! H = "male"
//! ```
//!
//! A mapping must name every required field of the feed. Fields it leaves
//! out are read from a column of their own name, if the file has one.
//!
//! A registry extract in the ENCR-JRC call-for-data layout whose columns
//! are named otherwise takes `layout = "encr_jrc"`. Its `[columns]` then
//! map the layout's fields (such as `tumour_ref` for `3_Tumour_ID` or
//! `incidence_year` for `10_Year_DoI`), a field left out is read from the
//! layout's own column name, and `[sex_values]` replace the layout's sex
//! codes. Its dates are split into day, month and year columns, so it
//! takes no `date_format`.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use rnc_model::{DateError, PartialDate, Sex, SourceKind};

use crate::feeds::{Column, ENCR_JRC, columns};
use crate::{Error, ErrorKind};

/// Keys a mapping file may have at its top level.
const TOP_LEVEL_KEYS: [&str; 6] = [
    "source",
    "layout",
    "date_format",
    "diagnosis_code_system",
    "columns",
    "sex_values",
];

/// A validated mapping of one feed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Mapping {
    /// File column of each mapped field.
    columns: BTreeMap<&'static str, String>,
    pub(crate) conventions: Conventions,
    pub(crate) layout: Layout,
}

/// The set of fields a file is read with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) enum Layout {
    /// The feed's own fields ([`columns`]).
    #[default]
    Feed,
    /// A registry extract in the ENCR-JRC call-for-data layout
    /// ([`ENCR_JRC`]).
    EncrJrc,
}

/// Value forms of a file where a mapping may differ from the feed
/// specification.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Conventions {
    /// Form of every date column; `None` reads the specification's forms.
    pub date_format: Option<DateFormat>,
    /// Code system of the `topography` column.
    pub topography_code_system: DiagnosisCodeSystem,
    /// Sex codes of the file; empty reads the specification's codes.
    pub sex_values: Vec<(String, Sex)>,
}

/// Code system of a diagnosis column.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum DiagnosisCodeSystem {
    /// ICD-O-3 topography (`C50.4`), the specification's system for the
    /// `topography` column.
    #[default]
    IcdO3Topography,
    /// ICD-10 (WHO 2019), converted to the ICD-O-3 site on entry.
    Icd10,
}

impl Mapping {
    /// Reads and validates a mapping file for a feed of `kind`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Io`] when the file cannot be read, and
    /// [`ErrorKind::InvalidMapping`] naming the first problem: invalid
    /// TOML, an unknown key or field, a required field left unmapped, two
    /// fields mapped to one column, a bad date format or sex value.
    pub fn read(kind: SourceKind, path: &Path) -> Result<Mapping, Error> {
        let text =
            std::fs::read_to_string(path).map_err(|source| ErrorKind::Io {
                path: path.to_path_buf(),
                source,
            })?;
        let file = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        Mapping::parse(kind, &text).map_err(|problem| {
            ErrorKind::InvalidMapping { file, problem }.into()
        })
    }

    /// Parses and validates the text of a mapping file.
    ///
    /// # Errors
    ///
    /// The problem as a message that says what to change, as
    /// [`Mapping::read`] lists them.
    pub fn parse(kind: SourceKind, text: &str) -> Result<Mapping, String> {
        let table: toml::Table =
            text.parse().map_err(|e: toml::de::Error| {
                format!("invalid TOML: {}", e.message())
            })?;
        for key in table.keys() {
            if !TOP_LEVEL_KEYS.contains(&key.as_str()) {
                return Err(format!(
                    "unknown key {key} (expected {})",
                    TOP_LEVEL_KEYS.join(", ")
                ));
            }
        }
        if let Some(source) = table.get("source") {
            let named = string(source, "source")?;
            if named != kind.name() {
                return Err(format!(
                    "the mapping is for source {named}, but the files are \
                     ingested as {kind} (use --source {named}, or another \
                     mapping)"
                ));
            }
        }

        let layout = match table.get("layout") {
            None => Layout::Feed,
            Some(value) => match string(value, "layout")? {
                "encr_jrc" if kind == SourceKind::RegistryExtract => {
                    Layout::EncrJrc
                }
                "encr_jrc" => {
                    return Err(format!(
                        "layout encr_jrc is a registry extract layout, but the \
                         files are ingested as {kind} (use --source \
                         registry_extract, or remove layout)"
                    ));
                }
                other => {
                    return Err(format!(
                        "layout {other} is unknown (expected \"encr_jrc\", or \
                         no layout for the feed's own fields)"
                    ));
                }
            },
        };
        if layout == Layout::EncrJrc {
            return Mapping::parse_encr_jrc(&table);
        }

        let mut mapping = Mapping::default();
        if let Some(mapped) = table.get("columns") {
            let fields: Vec<&'static str> =
                columns(kind).iter().map(|c| c.name).collect();
            mapping.columns = mapped_columns(kind, &fields, mapped)?;
        }
        for column in columns(kind).iter().filter(|c| c.required) {
            if !mapping.columns.contains_key(column.name) {
                return Err(format!(
                    "required field {} of a {kind} feed is not mapped (add \
                     {} = \"<column name in your file>\" under [columns])",
                    column.name, column.name
                ));
            }
        }
        if let Some(format) = table.get("date_format") {
            let format = string(format, "date_format")?;
            mapping.conventions.date_format = Some(DateFormat::parse(format)?);
        }
        mapping.read_codes(kind, &table)?;
        Ok(mapping)
    }

    /// Reads the code system of the topography column and the sex codes,
    /// which every layout may set.
    fn read_codes(
        &mut self,
        kind: SourceKind,
        table: &toml::Table,
    ) -> Result<(), String> {
        if let Some(system) = table.get("diagnosis_code_system") {
            let system = string(system, "diagnosis_code_system")?;
            self.conventions.topography_code_system =
                code_system(kind, system)?;
        }
        if let Some(values) = table.get("sex_values") {
            self.conventions.sex_values = sex_values(values)?;
        }
        Ok(())
    }

    /// Parses the rest of a mapping file of `layout = "encr_jrc"`: column
    /// names over the layout's own, and the sex codes.
    fn parse_encr_jrc(table: &toml::Table) -> Result<Mapping, String> {
        if table.contains_key("date_format") {
            return Err("date_format does not apply to the encr_jrc layout, \
                        whose dates are split into day, month and year \
                        columns (remove date_format)"
                .to_string());
        }
        let kind = SourceKind::RegistryExtract;
        let mut mapping = Mapping::encr_jrc();
        if let Some(columns) = table.get("columns") {
            let fields: Vec<&'static str> =
                ENCR_JRC.iter().map(|(c, _)| c.name).collect();
            let mapped = mapped_columns(kind, &fields, columns)?;
            mapping.columns.extend(mapped);
        }
        mapping.read_codes(kind, table)?;
        Ok(mapping)
    }

    /// The built-in mapping of the ENCR-JRC call-for-data layout, whose
    /// sex codes are 1 male, 2 female, 3 other and 9 unknown.
    ///
    /// NOTE: sex 3 ("other") is read as unknown, because [`Sex`] has no
    /// third value.
    pub(crate) fn encr_jrc() -> Mapping {
        let columns = ENCR_JRC
            .iter()
            .map(|(column, name)| (column.name, name.to_string()))
            .collect();
        let sex_values = [
            ("1", Sex::Male),
            ("2", Sex::Female),
            ("3", Sex::Unknown),
            ("9", Sex::Unknown),
        ];
        Mapping {
            columns,
            conventions: Conventions {
                sex_values: sex_values
                    .iter()
                    .map(|(code, sex)| (code.to_string(), *sex))
                    .collect(),
                ..Conventions::default()
            },
            layout: Layout::EncrJrc,
        }
    }

    /// Whether a header is that of the ENCR-JRC layout: it names the
    /// layout's tumour id and topography columns.
    pub(crate) fn is_encr_jrc_header<'a>(
        mut names: impl Iterator<Item = &'a str> + Clone,
    ) -> bool {
        names.clone().any(|n| n == "3_Tumour_ID")
            && names.any(|n| n == "13_Topo")
    }

    /// The fields the file is read with.
    pub(crate) fn fields(&self, kind: SourceKind) -> Vec<Column> {
        match self.layout {
            Layout::Feed => columns(kind).to_vec(),
            Layout::EncrJrc => ENCR_JRC.iter().map(|(c, _)| *c).collect(),
        }
    }

    /// The name of the file column that holds `field`.
    pub(crate) fn column_name<'a>(&'a self, field: &'a str) -> &'a str {
        self.columns.get(field).map_or(field, String::as_str)
    }
}

fn string<'a>(value: &'a toml::Value, key: &str) -> Result<&'a str, String> {
    value
        .as_str()
        .ok_or_else(|| format!("{key} must be a string in double quotes"))
}

/// Reads the `[columns]` table, whose keys must be among `fields`.
fn mapped_columns(
    kind: SourceKind,
    fields: &[&'static str],
    value: &toml::Value,
) -> Result<BTreeMap<&'static str, String>, String> {
    let table = value
        .as_table()
        .ok_or("columns must be a table: write [columns] on its own line")?;
    let mut mapped = BTreeMap::new();
    let mut used: BTreeMap<&str, &str> = BTreeMap::new();
    for (field, column) in table {
        let Some(&known) = fields.iter().find(|name| *name == field) else {
            return Err(format!(
                "unknown field {field} under [columns] for a {kind} feed \
                 (expected one of: {})",
                fields.join(", ")
            ));
        };
        let column = string(column, &format!("columns.{field}"))?;
        if column.trim().is_empty() {
            return Err(format!(
                "columns.{field} is empty (name the column of your file)"
            ));
        }
        if let Some(other) = used.insert(column, known) {
            return Err(format!(
                "fields {other} and {field} are both mapped to column \
                 {column} (map each field to its own column)"
            ));
        }
        mapped.insert(known, column.to_string());
    }
    Ok(mapped)
}

fn code_system(
    kind: SourceKind,
    system: &str,
) -> Result<DiagnosisCodeSystem, String> {
    let has_topography = columns(kind).iter().any(|c| c.name == "topography");
    match system {
        "icdo3_topography" if has_topography => {
            Ok(DiagnosisCodeSystem::IcdO3Topography)
        }
        "icd10" if has_topography => Ok(DiagnosisCodeSystem::Icd10),
        // The ICD-10 columns of the other feeds cannot be read as ICD-O-3
        // topography, because the two differ where it matters (C77 is
        // lymph nodes in ICD-O-3 but secondary neoplasm in ICD-10).
        "icd10" => Ok(DiagnosisCodeSystem::IcdO3Topography),
        "icdo3_topography" => Err(format!(
            "a {kind} feed codes its diagnoses in ICD-10 only (remove \
             diagnosis_code_system, or set it to \"icd10\")"
        )),
        other => Err(format!(
            "diagnosis_code_system {other} is unknown (expected \
             \"icdo3_topography\" or \"icd10\")"
        )),
    }
}

fn sex_values(value: &toml::Value) -> Result<Vec<(String, Sex)>, String> {
    let table = value.as_table().ok_or(
        "sex_values must be a table: write [sex_values] on its own line",
    )?;
    let mut values = Vec::new();
    for (code, sex) in table {
        let label = string(sex, &format!("sex_values.{code}"))?;
        let sex = Sex::from_label(label).ok_or_else(|| {
            format!(
                "sex_values.{code} is {label} (expected \"male\", \"female\" \
                 or \"unknown\")"
            )
        })?;
        values.push((code.clone(), sex));
    }
    Ok(values)
}

/// One part of a [`DateFormat`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Year,
    Month,
    Day,
    Literal(char),
}

/// A date form in `strftime` notation, reduced to `%Y`, `%m`, `%d` and
/// literal characters.
///
/// rnc parses it itself rather than with chrono, because a source date may
/// have `99` for an unknown day or month, which chrono rejects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateFormat {
    text: String,
    parts: Vec<Part>,
}

impl DateFormat {
    /// Parses a format such as `%d/%m/%Y` or `%Y%m%d`.
    ///
    /// # Errors
    ///
    /// A message when the format has a specifier other than `%Y`, `%m`,
    /// `%d` and `%%`, or does not have each of the three exactly once.
    pub fn parse(text: &str) -> Result<DateFormat, String> {
        let mut parts = Vec::new();
        let mut chars = text.chars();
        while let Some(c) = chars.next() {
            if c != '%' {
                parts.push(Part::Literal(c));
                continue;
            }
            let part = match chars.next() {
                Some('Y') => Part::Year,
                Some('m') => Part::Month,
                Some('d') => Part::Day,
                Some('%') => Part::Literal('%'),
                other => {
                    let found =
                        other.map_or("%".to_string(), |o| format!("%{o}"));
                    return Err(format!(
                        "date_format {text} has the specifier {found}, which \
                         rnc does not read (expected %Y for a four-digit \
                         year, %m for the month and %d for the day, such as \
                         \"%d/%m/%Y\")"
                    ));
                }
            };
            parts.push(part);
        }
        for (part, name) in
            [(Part::Year, "%Y"), (Part::Month, "%m"), (Part::Day, "%d")]
        {
            let count = parts.iter().filter(|p| **p == part).count();
            if count != 1 {
                return Err(format!(
                    "date_format {text} has {name} {count} times (expected \
                     %Y, %m and %d once each, such as \"%Y%m%d\")"
                ));
            }
        }
        Ok(DateFormat {
            text: text.to_string(),
            parts,
        })
    }

    /// Parses a date in this form. An empty field and a date whose parts
    /// are all 9s or all 0s (such as `99/99/9999` or `00/00/0000`) are
    /// wholly unknown and give `Ok(None)`; `99` is an unknown day or month.
    ///
    /// # Errors
    ///
    /// [`DateError::UnreadableForm`] when the text does not follow the
    /// form, and the errors of [`PartialDate::new`].
    pub fn parse_date(
        &self,
        text: &str,
    ) -> Result<Option<PartialDate>, DateError> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(None);
        }
        let bytes = text.as_bytes();
        let mut at = 0;
        let (mut year, mut month, mut day) = ("", "", "");
        for (i, part) in self.parts.iter().enumerate() {
            let next_is_literal =
                matches!(self.parts.get(i + 1), Some(Part::Literal(_)) | None);
            match part {
                Part::Literal(c) => {
                    let mut buffer = [0; 4];
                    let literal = c.encode_utf8(&mut buffer).as_bytes();
                    if !bytes[at..].starts_with(literal) {
                        return Err(DateError::UnreadableForm);
                    }
                    at += literal.len();
                }
                Part::Year => {
                    year = digits(text, &mut at, 4, 4)?;
                }
                Part::Month | Part::Day => {
                    // A day or month may lose its leading zero only where
                    // a separator follows, as in 1/3/2021.
                    let minimum = if next_is_literal { 1 } else { 2 };
                    let value = digits(text, &mut at, minimum, 2)?;
                    if *part == Part::Month {
                        month = value;
                    } else {
                        day = value;
                    }
                }
            }
        }
        if at != bytes.len() {
            return Err(DateError::UnreadableForm);
        }
        let all = |digit: u8| {
            [year, month, day]
                .iter()
                .all(|p| p.bytes().all(|b| b == digit))
        };
        if all(b'9') || all(b'0') {
            return Ok(None);
        }
        let number =
            |p: &str| p.parse::<u32>().map_err(|_| DateError::UnreadableForm);
        let unknown = |p: &str| p == "99";
        let year = number(year)? as i32;
        let month = if unknown(month) {
            None
        } else {
            Some(number(month)?)
        };
        let day = if unknown(day) {
            None
        } else {
            Some(number(day)?)
        };
        PartialDate::new(year, month, day).map(Some)
    }
}

/// Takes `minimum` to `maximum` ASCII digits of `text` from byte `at`.
fn digits<'a>(
    text: &'a str,
    at: &mut usize,
    minimum: usize,
    maximum: usize,
) -> Result<&'a str, DateError> {
    let rest = &text.as_bytes()[*at..];
    let count = rest
        .iter()
        .take(maximum)
        .take_while(|b| b.is_ascii_digit())
        .count();
    if count < minimum {
        return Err(DateError::UnreadableForm);
    }
    let value = &text[*at..*at + count];
    *at += count;
    Ok(value)
}

impl fmt::Display for DateFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(
        format: &str,
        text: &str,
    ) -> Result<Option<PartialDate>, DateError> {
        DateFormat::parse(format).unwrap().parse_date(text)
    }

    #[test]
    fn date_formats() {
        let iso = |text| Some(PartialDate::parse_iso(text).unwrap());
        assert_eq!(date("%d/%m/%Y", "14/06/2019"), Ok(iso("2019-06-14")));
        assert_eq!(date("%d/%m/%Y", "1/6/2019"), Ok(iso("2019-06-01")));
        assert_eq!(date("%Y%m%d", "20190614"), Ok(iso("2019-06-14")));
        assert_eq!(date("%Y%m%d", "20199999"), Ok(iso("2019")));
        assert_eq!(date("%Y%m%d", "20190699"), Ok(iso("2019-06")));
        assert_eq!(date("%Y%m%d", "99999999"), Ok(None));
        assert_eq!(date("%d.%m.%Y", "99.99.9999"), Ok(None));
        // Zeros in every part are the older registry mark of a wholly
        // unknown date.
        assert_eq!(date("%d.%m.%Y", "00.00.0000"), Ok(None));
        assert_eq!(date("%d/%m/%Y", "00/06/2019"), Err(DateError::OutOfRange));
        assert_eq!(date("%Y%m%d", "20190230"), Err(DateError::Impossible));
        assert_eq!(
            date("%Y%m%d", "2019-06-14"),
            Err(DateError::UnreadableForm)
        );
        assert_eq!(date("%Y%m%d", "201906140"), Err(DateError::UnreadableForm));
        assert_eq!(date("%Y%m%d", "00000614"), Err(DateError::OutOfRange));
    }

    #[test]
    fn bad_date_formats() {
        for format in ["%d/%m/%y", "%d/%m", "%Y-%m-%d %H", "%Y%m%d%d", "%Y%m%"]
        {
            assert!(DateFormat::parse(format).is_err(), "{format}");
        }
    }

    #[test]
    fn mapping_checks() {
        let kind = SourceKind::LongTermIllness;
        let full = "[columns]\nald_id = \"NUM\"\nsex = \"SEXE\"\n\
                    birth_date = \"DNAIS\"\ndepartement = \"DEP\"\n\
                    icd10 = \"CIM\"\nstart_date = \"DDEB\"\n";
        let mapping = Mapping::parse(kind, full).unwrap();
        assert_eq!(mapping.column_name("icd10"), "CIM");
        assert_eq!(mapping.column_name("nir"), "nir");

        let unknown = format!("{full}ald_number = \"X\"\n");
        let error = Mapping::parse(kind, &unknown).unwrap_err();
        assert!(error.contains("unknown field ald_number"), "{error}");

        let missing = full.replace("icd10 = \"CIM\"\n", "");
        let error = Mapping::parse(kind, &missing).unwrap_err();
        assert!(error.contains("required field icd10"), "{error}");

        let twice = full.replace("\"CIM\"", "\"DEP\"");
        let error = Mapping::parse(kind, &twice).unwrap_err();
        assert!(error.contains("both mapped to column DEP"), "{error}");

        let format = format!("date_format = \"%d/%m/%y\"\n{full}");
        let error = Mapping::parse(kind, &format).unwrap_err();
        assert!(error.contains("%y"), "{error}");

        let sex = format!("{full}[sex_values]\nH = \"man\"\n");
        let error = Mapping::parse(kind, &sex).unwrap_err();
        assert!(error.contains("sex_values.H"), "{error}");

        let wrong_kind = format!("source = \"screening\"\n{full}");
        let error = Mapping::parse(kind, &wrong_kind).unwrap_err();
        assert!(error.contains("--source screening"), "{error}");

        let topography =
            format!("diagnosis_code_system = \"icdo3_topography\"\n{full}");
        assert!(Mapping::parse(kind, &topography).is_err());
    }
}
