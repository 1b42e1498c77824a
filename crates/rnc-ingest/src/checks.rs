//! Field checks of one source row.
//!
//! Each check reads one column, records a [`Problem`] when the value
//! breaks a rule, and returns the parsed value when there is one. A row
//! collects every problem, so a quarantined row lists all its faults and
//! not only the first.

use chrono::NaiveDate;
use csv::StringRecord;
use rnc_codes::{Icd10, icd10_to_site};
use rnc_model::{
    BasisOfDiagnosis, Behaviour, CodeError, DateError, Morphology, PartialDate,
    Sex, Topography,
};

use crate::feeds::is_identifying;
use crate::mapping::{Conventions, DiagnosisCodeSystem};

/// One broken rule in one field.
#[derive(Debug, Clone)]
pub(crate) struct Problem {
    pub field: String,
    /// Rule id in snake_case, such as `impossible_date`.
    pub rule: &'static str,
    /// Description of the fault and the expected value, without file and
    /// line.
    pub detail: String,
}

/// Maps column names to their positions in the header.
#[derive(Debug)]
pub(crate) struct Header {
    positions: Vec<(&'static str, usize)>,
}

impl Header {
    pub fn new(positions: Vec<(&'static str, usize)>) -> Header {
        Header { positions }
    }

    pub fn position(&self, column: &str) -> Option<usize> {
        self.positions
            .iter()
            .find(|(name, _)| *name == column)
            .map(|(_, index)| *index)
    }

    /// Returns the known columns present in the file, in specification
    /// order.
    pub fn columns(&self) -> impl Iterator<Item = (&'static str, usize)> + '_ {
        self.positions.iter().copied()
    }
}

/// A row under validation.
pub(crate) struct Row<'a> {
    fields: &'a StringRecord,
    header: &'a Header,
    conventions: &'a Conventions,
    today: NaiveDate,
    pub problems: Vec<Problem>,
    /// Every date read so far with its column, for the date-order checks.
    pub dates: Vec<(&'static str, PartialDate)>,
}

/// Maximum length of a code echoed in a message: a longer value is more likely a
/// misplaced free-text field than a mistyped code, so it is cut.
const MAX_ECHO: usize = 12;

impl<'a> Row<'a> {
    pub fn new(
        fields: &'a StringRecord,
        header: &'a Header,
        conventions: &'a Conventions,
        today: NaiveDate,
    ) -> Row<'a> {
        Row {
            fields,
            header,
            conventions,
            today,
            problems: Vec::new(),
            dates: Vec::new(),
        }
    }

    /// Returns the trimmed value of a column, empty when the column is
    /// absent.
    pub fn text(&self, column: &str) -> &'a str {
        self.header
            .position(column)
            .and_then(|index| self.fields.get(index))
            .unwrap_or("")
    }

    pub fn problem(
        &mut self,
        field: &str,
        rule: &'static str,
        detail: impl Into<String>,
    ) {
        self.problems.push(Problem {
            field: field.to_string(),
            rule,
            detail: detail.into(),
        });
    }

    /// Reads a value that must be present.
    pub fn required(&mut self, column: &str) -> Option<&'a str> {
        let text = self.text(column);
        if text.is_empty() {
            self.problem(
                column,
                "required",
                "value is missing (expected a value in every row)",
            );
            return None;
        }
        Some(text)
    }

    /// Reads a value that may be empty.
    pub fn optional(&self, column: &str) -> Option<&'a str> {
        Some(self.text(column)).filter(|text| !text.is_empty())
    }

    /// Reads a name, kept in clear only until it is pseudonymised.
    pub fn name(&mut self, column: &str, required: bool) -> Option<String> {
        let text = if required {
            self.required(column)?
        } else {
            self.optional(column)?
        };
        if !text.chars().any(char::is_alphanumeric) {
            if required {
                self.problem(
                    column,
                    "required",
                    "value has no letters (expected a name)",
                );
            }
            return None;
        }
        Some(text.to_string())
    }

    /// Reads the record's own event date, which every row must fill. A
    /// date written as wholly unknown (`99999999`, `00000000`; see
    /// [`PartialDate::is_unknown_mark`]) is accepted and returned as
    /// `None`: as an empty field is rejected, an accepted record without
    /// an event date is one whose date the source marked unknown. It is
    /// never read as a date in year 9999 or 0.
    pub fn event_date(&mut self, column: &'static str) -> Option<PartialDate> {
        self.date(column, true)
    }

    /// Parses a date in the mapping's format, or in the feed
    /// specification's forms when the mapping sets none.
    fn parse_date(&self, text: &str) -> Result<Option<PartialDate>, DateError> {
        match &self.conventions.date_format {
            Some(format) => format.parse_date(text),
            None => PartialDate::parse(text),
        }
    }

    /// A date. An empty field is missing; `99999999` is a date written as
    /// wholly unknown, accepted even when the column is required and
    /// returned as `None`. Date values are never echoed, because a full
    /// date can help identify a person.
    pub fn date(
        &mut self,
        column: &'static str,
        required: bool,
    ) -> Option<PartialDate> {
        let text = if required {
            self.required(column)?
        } else {
            self.optional(column)?
        };
        let parsed = self.parse_date(text);
        self.check_date(column, parsed)
    }

    /// Checks a parsed date: a future date and a date that does not exist
    /// are problems, and an accepted date is kept for the order checks.
    pub fn check_date(
        &mut self,
        column: &'static str,
        parsed: Result<Option<PartialDate>, DateError>,
    ) -> Option<PartialDate> {
        match parsed {
            Ok(Some(date)) => {
                if earliest(&date) > self.today {
                    self.problem(
                        column,
                        "future_date",
                        "date is in the future (expected a date on or before today)",
                    );
                    return None;
                }
                self.dates.push((column, date));
                Some(date)
            }
            Ok(None) => None,
            Err(DateError::Impossible) => {
                self.problem(
                    column,
                    "impossible_date",
                    "date does not exist in the calendar, such as 30 February \
                     (expected a real date, or 99 for an unknown day or month)",
                );
                None
            }
            Err(error) => {
                let expected = match &self.conventions.date_format {
                    Some(format) => format!("the mapping's form {format}"),
                    None => "YYYY-MM-DD, DD/MM/YYYY, YYYYMMDD, YYYY-MM, \
                             YYYYMM or YYYY"
                        .to_string(),
                };
                self.problem(
                    column,
                    "date_format",
                    format!(
                        "{error} (expected {expected}, with 99 for an unknown \
                         day or month)"
                    ),
                );
                None
            }
        }
    }

    pub fn sex(&mut self) -> Option<Sex> {
        let text = self.required("sex")?;
        let values = &self.conventions.sex_values;
        if !values.is_empty() {
            let found = values.iter().find(|(code, _)| code == text);
            if let Some((_, sex)) = found {
                return Some(*sex);
            }
            let codes: Vec<&str> =
                values.iter().map(|(code, _)| code.as_str()).collect();
            self.problem(
                "sex",
                "sex_code",
                format!(
                    "code {} is not a sex code of the mapping (expected one \
                     of {}; add it under [sex_values] if it is valid)",
                    echo(text),
                    codes.join(", ")
                ),
            );
            return None;
        }
        match Sex::parse_code(text) {
            Ok(sex) => Some(sex),
            Err(_) => {
                self.problem(
                    "sex",
                    "sex_code",
                    format!(
                        "code {} is not a sex code (expected 1, 2 or 9; M and F \
                         are accepted)",
                        echo(text)
                    ),
                );
                None
            }
        }
    }

    /// An INSEE département code, upper case: `01`-`95` except `20`,
    /// `2A`, `2B`, `971`-`976`.
    pub fn departement(&mut self, required: bool) -> Option<String> {
        let text = if required {
            self.required("departement")?
        } else {
            self.optional("departement")?
        };
        let code = text.to_ascii_uppercase();
        if is_departement(&code) {
            return Some(code);
        }
        self.problem(
            "departement",
            "departement_code",
            format!(
                "code {} is not a département of residence (expected 01 to 95, \
                 2A, 2B or 971 to 976)",
                echo(text)
            ),
        );
        None
    }

    pub fn topography(&mut self) -> Option<Topography> {
        let text = self.required("topography")?;
        if self.conventions.topography_code_system == DiagnosisCodeSystem::Icd10
        {
            return self.topography_from_icd10(text);
        }
        match text.parse::<Topography>() {
            Ok(topography) => Some(topography),
            Err(error) => {
                let expected = match error {
                    CodeError::TopographyNotInIcdO3(_) => {
                        "an ICD-O-3 site; code the site of the tumour, such as \
                         C44.5 for skin of the trunk"
                    }
                    _ => "C00.0 to C80.9, written C18.7 or C187",
                };
                self.problem(
                    "topography",
                    "topography_code",
                    format!(
                        "code {} is invalid: {error} (expected {expected})",
                        echo(text)
                    ),
                );
                None
            }
        }
    }

    /// Reads a topography column that the mapping declares as ICD-10 and
    /// converts it to the ICD-O-3 site, with the same table as the
    /// consolidation of hospital stays.
    fn topography_from_icd10(&mut self, text: &str) -> Option<Topography> {
        let Some(code) = normalise_icd10(text) else {
            self.icd10_problem("topography", text);
            return None;
        };
        let site = code.parse::<Icd10>().ok().and_then(|c| icd10_to_site(&c));
        if site.is_none() {
            self.problem(
                "topography",
                "topography_code",
                format!(
                    "ICD-10 code {} names no primary site (expected a primary \
                     or in situ neoplasm, C00-C76, C80-C96 or D00-D09; code \
                     the primary site of a metastasis)",
                    echo(text)
                ),
            );
        }
        site.map(|s| s.topography)
    }

    /// The morphology with its behaviour and grade columns.
    pub fn morphology(&mut self) -> Option<Morphology> {
        let histology = self.required("morphology").and_then(|text| {
            match Morphology::parse_histology(text) {
                Ok(histology) => Some(histology),
                Err(_) => {
                    self.problem(
                        "morphology",
                        "morphology_code",
                        format!(
                            "code {} is not an ICD-O-3 histology (expected four \
                             digits within 8000-9993)",
                            echo(text)
                        ),
                    );
                    None
                }
            }
        });
        let behaviour = self.required("behaviour").and_then(|text| {
            let code = single_digit(text).ok_or(CodeError::InvalidBehaviour);
            match code.and_then(Behaviour::from_code) {
                Ok(behaviour) => Some(behaviour),
                Err(_) => {
                    self.problem(
                        "behaviour",
                        "behaviour_code",
                        format!(
                            "code {} is not an ICD-O-3 behaviour (expected 0, 1, \
                             2, 3, 6 or 9)",
                            echo(text)
                        ),
                    );
                    None
                }
            }
        });
        let grade = match self.optional("grade") {
            None => None,
            Some(text) => {
                match single_digit(text).filter(|g| (1..=9).contains(g)) {
                    Some(grade) => Some(grade),
                    None => {
                        self.problem(
                        "grade",
                        "grade_code",
                        format!(
                            "code {} is not an ICD-O-3 grade (expected one digit \
                             1 to 9, or an empty field)",
                            echo(text)
                        ),
                    );
                        return None;
                    }
                }
            }
        };
        Morphology::new(histology?, behaviour?, grade).ok()
    }

    pub fn basis_of_diagnosis(&mut self) -> Option<BasisOfDiagnosis> {
        let text = self.required("basis_of_diagnosis")?;
        let code = single_digit(text).ok_or(CodeError::InvalidBasisOfDiagnosis);
        match code.and_then(BasisOfDiagnosis::from_code) {
            Ok(basis) => Some(basis),
            Err(_) => {
                self.problem(
                    "basis_of_diagnosis",
                    "basis_code",
                    format!(
                        "code {} is not an ENCR basis of diagnosis (expected 0, \
                         1, 2, 4, 5, 6, 7, 8 or 9)",
                        echo(text)
                    ),
                );
                None
            }
        }
    }

    /// One ICD-10 code, normalised to the dotted form.
    pub fn icd10(&mut self, column: &str) -> Option<String> {
        let text = self.required(column)?;
        let code = normalise_icd10(text);
        if code.is_none() {
            self.icd10_problem(column, text);
        }
        code
    }

    /// A `|`-separated list of ICD-10 codes; empty items are skipped.
    pub fn icd10_list(&mut self, column: &str) -> Vec<String> {
        let mut codes = Vec::new();
        for item in self
            .text(column)
            .split(rnc_model::tables::CODE_LIST_SEPARATOR)
        {
            let item = item.trim();
            if item.is_empty() {
                continue;
            }
            match normalise_icd10(item) {
                Some(code) => codes.push(code),
                None => self.icd10_problem(column, item),
            }
        }
        codes
    }

    /// Reads an ICD-10 code in a column that may be empty.
    pub fn optional_icd10(&mut self, column: &str) -> Option<String> {
        let text = self.optional(column)?;
        let code = normalise_icd10(text);
        if code.is_none() {
            self.icd10_problem(column, text);
        }
        code
    }

    /// Reads a CCAM act code (Classification commune des actes
    /// médicaux): four letters and three digits, such as `QEFA003`.
    pub fn ccam(&mut self, column: &str) -> Option<String> {
        let text = self.optional(column)?;
        let code = text.to_ascii_uppercase();
        let bytes = code.as_bytes();
        let valid = bytes.len() == 7
            && bytes[..4].iter().all(u8::is_ascii_uppercase)
            && bytes[4..].iter().all(u8::is_ascii_digit);
        if valid {
            return Some(code);
        }
        self.problem(
            column,
            "ccam_code",
            format!(
                "code {} is not a CCAM act (expected four letters and three                  digits, such as QEFA003)",
                echo(text)
            ),
        );
        None
    }

    /// Reads a drug code: a UCD code of 7 or 13 digits, or an ATC code at
    /// the chemical-substance level (a main-group letter, two digits, two
    /// letters and two digits, such as `L01XC03`).
    pub fn drug_code(&mut self, column: &str) -> Option<String> {
        let text = self.optional(column)?;
        let code = text.to_ascii_uppercase();
        if is_ucd(&code) || is_atc(&code) {
            return Some(code);
        }
        self.problem(
            column,
            "drug_code",
            format!(
                "code {} is not a UCD or ATC code (expected 7 or 13 digits                  for UCD, or an ATC substance code such as L01XC03)",
                echo(text)
            ),
        );
        None
    }

    /// Whether a problem was already found in one of `columns`.
    pub fn has_problem_in(&self, columns: &[&str]) -> bool {
        self.problems
            .iter()
            .any(|p| columns.contains(&p.field.as_str()))
    }

    fn icd10_problem(&mut self, column: &str, text: &str) {
        self.problem(
            column,
            "icd10_code",
            format!(
                "code {} is not an ICD-10 code (expected a letter, two digits \
                 and up to two more characters, such as C18.7 or C187)",
                echo(text)
            ),
        );
    }

    /// Checks that `first` is not after `second` when both are known.
    /// Partial dates are compared by their ranges, so only an order that
    /// holds whatever the unknown parts are counts as broken.
    pub fn order(
        &mut self,
        first: (&str, Option<PartialDate>),
        second: (&str, Option<PartialDate>),
        rule: &'static str,
    ) {
        let (Some(a), Some(b)) = (first.1, second.1) else {
            return;
        };
        if earliest(&a) > latest(&b) {
            let detail = format!(
                "{} is after {} (expected {} on or before {})",
                first.0, second.0, first.0, second.0
            );
            self.problem(first.0, rule, detail);
        }
    }
}

/// Reads a required coded value that must be one of `labels`, matched
/// by `from_label`.
pub(crate) fn coded<T: Copy>(
    row: &mut Row<'_>,
    column: &str,
    rule: &'static str,
    from_label: fn(&str) -> Option<T>,
    labels: &[&str],
) -> Option<T> {
    let text = row.required(column)?;
    let value = from_label(text);
    if value.is_none() {
        row.problem(
            column,
            rule,
            format!(
                "value {} is not a {column} code (expected one of {})",
                echo(text),
                labels.join(", ")
            ),
        );
    }
    value
}

/// The first day a partial date can stand for.
pub(crate) fn earliest(date: &PartialDate) -> NaiveDate {
    NaiveDate::from_ymd_opt(
        date.year(),
        date.month().unwrap_or(1),
        date.day().unwrap_or(1),
    )
    .expect("the known parts of a PartialDate form a real date")
}

/// The last day a partial date can stand for.
pub(crate) fn latest(date: &PartialDate) -> NaiveDate {
    if let Some(complete) = date.complete() {
        return complete;
    }
    let (year, month) = match date.month() {
        Some(12) | None => (date.year() + 1, 1),
        Some(month) => (date.year(), month + 1),
    };
    let next = NaiveDate::from_ymd_opt(year, month, 1)
        .expect("the first of a month is a real date");
    next.pred_opt()
        .expect("dates after 1800 have a predecessor")
}

/// Whether `code` has the form of a UCD code: 7 digits (UCD7) or 13
/// digits (UCD13).
fn is_ucd(code: &str) -> bool {
    matches!(code.len(), 7 | 13) && code.bytes().all(|b| b.is_ascii_digit())
}

/// Whether `code` has the form of a level-5 ATC code, with one of the 14
/// anatomical main groups of the WHO ATC index.
fn is_atc(code: &str) -> bool {
    const MAIN_GROUPS: &[u8] = b"ABCDGHJLMNPRSV";
    let b = code.as_bytes();
    b.len() == 7
        && MAIN_GROUPS.contains(&b[0])
        && b[1..3].iter().all(u8::is_ascii_digit)
        && b[3..5].iter().all(u8::is_ascii_uppercase)
        && b[5..7].iter().all(u8::is_ascii_digit)
}

pub(crate) fn single_digit(text: &str) -> Option<u8> {
    match text.as_bytes() {
        [digit @ b'0'..=b'9'] => Some(digit - b'0'),
        _ => None,
    }
}

/// A code value as shown in a message, cut to [`MAX_ECHO`] characters.
pub(crate) fn echo(text: &str) -> String {
    if text.chars().count() <= MAX_ECHO {
        return text.to_string();
    }
    let cut: String = text.chars().take(MAX_ECHO).collect();
    format!("{cut}…")
}

/// Whether `code` is a département of residence.
pub(crate) fn is_departement(code: &str) -> bool {
    let digits = code.bytes().all(|b| b.is_ascii_digit());
    match code.len() {
        2 if code == "2A" || code == "2B" => true,
        2 if digits => {
            let number: u16 = code.parse().unwrap_or(0);
            (1..=95).contains(&number) && number != 20
        }
        3 if digits => {
            let number: u16 = code.parse().unwrap_or(0);
            (971..=976).contains(&number)
        }
        _ => false,
    }
}

/// Normalises an ICD-10 code to `C18`, `C18.7` or `C18.72`, or returns
/// `None` when it is not a letter, two digits and up to two letters or
/// digits after an optional dot.
pub(crate) fn normalise_icd10(text: &str) -> Option<String> {
    let upper = text.trim().to_ascii_uppercase();
    let bytes = upper.as_bytes();
    if bytes.len() < 3
        || !bytes[0].is_ascii_uppercase()
        || !bytes[1].is_ascii_digit()
        || !bytes[2].is_ascii_digit()
    {
        return None;
    }
    let (category, rest) = upper.split_at(3);
    let rest = rest.strip_prefix('.').unwrap_or(rest);
    let rest_ok = rest.len() <= 2
        && rest
            .bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase());
    if !rest_ok {
        return None;
    }
    if rest.is_empty() {
        Some(category.to_string())
    } else {
        Some(format!("{category}.{rest}"))
    }
}

/// The non-identifying fields of a row as a JSON object, in specification
/// order. Identifying columns and columns the feed does not define are
/// left out, because an unknown column may hold anything.
pub(crate) fn safe_fields(fields: &StringRecord, header: &Header) -> String {
    let mut object = serde_json::Map::new();
    for (name, index) in header.columns() {
        if is_identifying(name) {
            continue;
        }
        let value = fields.get(index).unwrap_or("");
        object.insert(name.to_string(), serde_json::Value::from(value));
    }
    serde_json::Value::Object(object).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn icd10_forms() {
        // Forms listed in the feed specification: with or without the dot.
        assert_eq!(normalise_icd10("C18.7").as_deref(), Some("C18.7"));
        assert_eq!(normalise_icd10("c187").as_deref(), Some("C18.7"));
        assert_eq!(normalise_icd10("C50").as_deref(), Some("C50"));
        assert_eq!(normalise_icd10("C50.").as_deref(), Some("C50"));
        assert_eq!(normalise_icd10("D0510").as_deref(), Some("D05.10"));
        assert_eq!(normalise_icd10("C5"), None);
        assert_eq!(normalise_icd10("18.7"), None);
        assert_eq!(normalise_icd10("C18.789"), None);
        assert_eq!(normalise_icd10("C18-7"), None);
        assert_eq!(normalise_icd10("CÉ8"), None);
    }

    #[test]
    fn departement_codes() {
        // INSEE codes: 01-95 without 20 (split into 2A and 2B in 1976),
        // and the overseas départements 971-976.
        for code in ["01", "13", "2A", "2B", "95", "971", "974", "976"] {
            assert!(is_departement(code), "{code}");
        }
        for code in ["00", "20", "96", "2C", "970", "977", "1", "0133", ""] {
            assert!(!is_departement(code), "{code}");
        }
    }

    #[test]
    fn partial_date_ranges() {
        let month = PartialDate::parse_iso("2024-02-99").unwrap();
        assert_eq!(
            earliest(&month),
            NaiveDate::from_ymd_opt(2024, 2, 1).unwrap()
        );
        assert_eq!(
            latest(&month),
            NaiveDate::from_ymd_opt(2024, 2, 29).unwrap()
        );
        let year = PartialDate::parse_iso("2023-99-99").unwrap();
        assert_eq!(
            latest(&year),
            NaiveDate::from_ymd_opt(2023, 12, 31).unwrap()
        );
        let december = PartialDate::parse_iso("2023-12-99").unwrap();
        assert_eq!(
            latest(&december),
            NaiveDate::from_ymd_opt(2023, 12, 31).unwrap()
        );
    }

    #[test]
    fn drug_code_forms() {
        // ATC substance codes are a main-group letter, two digits, two
        // letters and two digits. UCD codes are 7 or 13 digits.
        assert!(is_atc("L01XC03"));
        assert!(is_atc("L01BC02"));
        assert!(!is_atc("L01XC3"));
        assert!(!is_atc("E01XC03"));
        assert!(is_ucd("9261406"));
        assert!(is_ucd("3400892614063"));
        assert!(!is_ucd("34008926140"));
    }

    #[test]
    fn long_codes_are_cut() {
        assert_eq!(echo("C18.7"), "C18.7");
        assert_eq!(echo("ABCDEFGHIJKLMNOP"), "ABCDEFGHIJKL…");
    }
}
