//! Model files for linking any CSV: the fields, their comparisons and the
//! blocking rules, read from TOML.
//!
//! ```toml
//! [settings]
//! threshold = 0.95
//!
//! [[comparison]]
//! column = "surname"
//! kind = "jaro_winkler"
//! thresholds = [0.92, 0.88, 0.7]
//! term_frequency = true
//!
//! [[comparison]]
//! column = "date_of_birth"
//! kind = "date"
//! date_format = "YYYYMMDD"
//!
//! [blocking]
//! rules = [["surname"], ["date_of_birth"]]
//! training = [["date_of_birth"]]
//! ```

use serde::{Deserialize, Serialize};

use crate::Error;
use crate::error::ErrorKind;

/// A linkage model file: settings, comparisons and blocking rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelSpec {
    /// Thresholds and training settings.
    #[serde(default)]
    pub settings: SpecSettings,
    /// Comparisons, in comparison-vector order.
    #[serde(rename = "comparison")]
    pub comparisons: Vec<ComparisonSpec>,
    /// Blocking rules for prediction and for training.
    pub blocking: BlockingSpec,
    /// Constraints on the clusters built from the linked pairs.
    #[serde(default)]
    pub clustering: ClusteringSpec,
}

/// Constraints on clustering, checked while linked pairs are joined by
/// decreasing match weight.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClusteringSpec {
    /// Lists of comparison names. Two records for which every comparison
    /// of one list is at its level "different" never end in one cluster:
    /// a linked pair that would join their clusters is skipped, so a
    /// chain through a third record cannot merge, say, twins with
    /// different NIRs and first names.
    pub cannot_link: Vec<Vec<String>>,
}

/// Thresholds and training settings of a model file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SpecSettings {
    /// Pairs whose match probability reaches this value are linked.
    pub threshold: f64,
    /// Random record pairs drawn to estimate u.
    pub u_sample_pairs: u64,
    /// Seed of the ChaCha8 generator that draws the u sample.
    pub seed: u64,
    /// Iteration limit of each EM session.
    pub max_em_iterations: u32,
    /// EM stops when no parameter changes by more than this.
    pub em_tolerance: f64,
    /// Blocks with more records than this are skipped, with a warning.
    pub max_block_size: usize,
}

impl Default for SpecSettings {
    fn default() -> SpecSettings {
        SpecSettings {
            threshold: 0.95,
            u_sample_pairs: 1_000_000,
            seed: 0,
            max_em_iterations: 25,
            em_tolerance: 1e-4,
            max_block_size: crate::MAX_BLOCK_SIZE,
        }
    }
}

/// How a column's values are standardised before comparison and blocking.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Normalisation {
    /// Unicode NFC and surrounding whitespace removed, so that a
    /// precomposed and a decomposed accent compare equal.
    #[default]
    Nfc,
    /// NFC, then accents removed, letters upper-cased and every character
    /// other than a letter or digit dropped, so that `Jean-Pierre` and
    /// `JEAN PIERRE` or `Le Gall` and `LEGALL` compare equal. Particles
    /// are kept: `DE LA CRUZ` becomes `DELACRUZ`, not `CRUZ`.
    Fold,
}

/// The kind of a comparison and so its levels. Every kind has level 0,
/// "either side missing", which carries no evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ComparisonKind {
    /// Levels: exact, different.
    Exact,
    /// Levels: exact, then one level per Jaro-Winkler threshold (highest
    /// first), then different. Jaro-Winkler uses a prefix bonus of 0.1
    /// per common leading character, capped at 4 characters (Winkler
    /// 1990), on Unicode characters rather than bytes.
    JaroWinkler,
    /// Levels: exact, then one level per Levenshtein distance threshold
    /// (smallest first), then different.
    Levenshtein,
    /// As [`ComparisonKind::Levenshtein`] with the Damerau-Levenshtein
    /// distance, in which swapping two adjacent characters costs 1.
    DamerauLevenshtein,
    /// Levels: exact, day and month transposed, year off by one (day and
    /// month equal), one of year, month and day different, different.
    Date,
    /// Levels: exact, then one level per Dice coefficient threshold
    /// (highest first), then different, on Bloom filters written in hex
    /// or base64 (see [`ComparisonSpec::bloom_encoding`]). Dice is
    /// 2|A∧B| / (|A| + |B|) (Schnell, Bachteler & Reiher 2009).
    Dice,
}

/// How a Bloom-filter column writes its bits.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum BloomEncoding {
    /// Two hexadecimal digits per byte, either case.
    #[default]
    Hex,
    /// Standard base64 (RFC 4648) with padding, as clkhash writes CLKs.
    Base64,
}

/// One comparison of a model file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComparisonSpec {
    /// The CSV column compared.
    pub column: String,
    /// Name of the comparison in the model and pair tables (default: the
    /// column).
    #[serde(default)]
    pub name: Option<String>,
    /// The comparison kind.
    pub kind: ComparisonKind,
    /// Similarity thresholds (Jaro-Winkler) or distance thresholds
    /// (Levenshtein kinds).
    #[serde(default)]
    pub thresholds: Vec<f64>,
    /// Layout of a date column: `YYYYMMDD`, `YYYY-MM-DD` or `DD/MM/YYYY`
    /// (also written `%Y%m%d`, `%Y-%m-%d`, `%d/%m/%Y`).
    #[serde(default)]
    pub date_format: Option<String>,
    /// Replace u of the exact level by the frequency of the agreed value,
    /// as Splink's term-frequency adjustment does, so that agreeing on a
    /// rare surname weighs more than agreeing on a common one.
    #[serde(default)]
    pub term_frequency: bool,
    /// Standardisation of the column's values.
    #[serde(default)]
    pub normalise: Normalisation,
    /// Another column whose values may be swapped with this one's, such
    /// as surname for first name or usage name for birth name. A pair in
    /// which one record's value equals the other's value of this column
    /// gets the level "swapped with COLUMN", after exact, so that swaps
    /// do not inflate m of "different".
    #[serde(default)]
    pub swap_column: Option<String>,
    /// Encoding of the Bloom filters of a `dice` comparison.
    #[serde(default)]
    pub bloom_encoding: BloomEncoding,
    /// Another column holding the salt each value was encoded with, such
    /// as a pseudonym of the birth date beside name Bloom filters salted
    /// with it. Values under two salts are unrelated encodings, so such a
    /// pair gets level 0 ("either side missing", no evidence) rather than
    /// "different". Two records with no salt share the empty one. Cannot
    /// be combined with `swap_column`.
    #[serde(default)]
    pub salt_column: Option<String>,
    /// With `salt_column`, on a `dice` comparison: each value contains the
    /// filters of one name under several salts, separated by
    /// [`SALT_SEPARATOR`], and the salt column contains those salts in the
    /// same order, an empty salt where the filter is missing. rnc stores a
    /// name under a birth year+month salt and a birth year+day salt, so
    /// that a typo in the day or in the month still leaves one shared
    /// salt. A pair compares the filters under every salt the two records
    /// share, in any position, and takes the most similar; a pair that
    /// shares none gets level 0.
    #[serde(default)]
    pub multiple_salts: bool,
}

/// Separator of the filters, and of their salts, in a value of a
/// comparison with `multiple_salts`. Hexadecimal and base64 never hold it.
pub const SALT_SEPARATOR: char = ';';

impl ComparisonSpec {
    /// Returns the comparison's name: `name`, else the column.
    pub fn comparison_name(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.column)
    }

    /// Returns the names of the comparison's levels, level 0 first.
    pub fn level_names(&self) -> Vec<String> {
        let mut names = vec!["either side missing".to_string()];
        names.push("exact".to_string());
        if let Some(other) = &self.swap_column {
            names.push(format!("swapped with {other}"));
        }
        match self.kind {
            ComparisonKind::Exact => {}
            ComparisonKind::JaroWinkler => names.extend(
                self.thresholds
                    .iter()
                    .map(|t| format!("Jaro-Winkler >= {t}")),
            ),
            ComparisonKind::Levenshtein => names.extend(
                self.thresholds
                    .iter()
                    .map(|t| format!("Levenshtein <= {t}")),
            ),
            ComparisonKind::DamerauLevenshtein => names.extend(
                self.thresholds
                    .iter()
                    .map(|t| format!("Damerau-Levenshtein <= {t}")),
            ),
            ComparisonKind::Dice => names
                .extend(self.thresholds.iter().map(|t| format!("Dice >= {t}"))),
            ComparisonKind::Date => names.extend(
                [
                    "day and month transposed",
                    "year off by one",
                    "one of year, month, day different",
                ]
                .map(String::from),
            ),
        }
        names.push("different".to_string());
        names
    }

    /// Returns the date layout of a date comparison.
    pub(crate) fn date_layout(&self) -> Option<DateLayout> {
        let format = self.date_format.as_deref().unwrap_or("YYYY-MM-DD");
        match format {
            "YYYYMMDD" | "%Y%m%d" => Some(DateLayout::Compact),
            "YYYY-MM-DD" | "%Y-%m-%d" => Some(DateLayout::Iso),
            "DD/MM/YYYY" | "%d/%m/%Y" => Some(DateLayout::DayFirst),
            _ => None,
        }
    }
}

/// Supported date layouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DateLayout {
    Compact,
    Iso,
    DayFirst,
}

/// Blocking rules: each rule is a list of columns on which candidate
/// pairs agree exactly.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlockingSpec {
    /// Rules whose union gives the candidate pairs that are scored.
    pub rules: Vec<Vec<String>>,
    /// Rules of the EM sessions that estimate m. Each session leaves out
    /// the comparisons on the rule's columns, because its pairs agree on
    /// them whether they match or not. Default: the prediction rules.
    #[serde(default)]
    pub training: Vec<Vec<String>>,
}

impl BlockingSpec {
    /// Returns the EM session rules: `training`, else `rules`.
    pub fn training_rules(&self) -> &[Vec<String>] {
        if self.training.is_empty() {
            &self.rules
        } else {
            &self.training
        }
    }
}

impl ModelSpec {
    /// Parses and checks a model file.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidModelFile`] when the TOML is malformed or a
    /// value breaks a rule given in the field's documentation.
    pub fn from_toml(text: &str) -> Result<ModelSpec, Error> {
        let spec: ModelSpec =
            toml::from_str(text).map_err(|e| ErrorKind::InvalidModelFile {
                reason: e.to_string(),
            })?;
        spec.validate()?;
        Ok(spec)
    }

    /// Returns the distinct columns the model reads, in first-use order,
    /// with their standardisation.
    pub fn columns(&self) -> Vec<(String, Normalisation)> {
        let mut columns: Vec<(String, Normalisation)> = Vec::new();
        for comparison in &self.comparisons {
            if !columns.iter().any(|(name, _)| *name == comparison.column) {
                columns.push((comparison.column.clone(), comparison.normalise));
            }
        }
        for comparison in &self.comparisons {
            if let Some(other) = &comparison.swap_column
                && !columns.iter().any(|(name, _)| name == other)
            {
                columns.push((other.clone(), comparison.normalise));
            }
        }
        for comparison in &self.comparisons {
            if let Some(salt) = &comparison.salt_column
                && !columns.iter().any(|(name, _)| name == salt)
            {
                columns.push((salt.clone(), Normalisation::Nfc));
            }
        }
        for rule in self.blocking.rules.iter().chain(&self.blocking.training) {
            for column in rule {
                if !columns.iter().any(|(name, _)| name == column) {
                    columns.push((column.clone(), Normalisation::Nfc));
                }
            }
        }
        columns
    }

    /// Checks the rules stated on each field.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidModelFile`] naming the field and the rule.
    pub fn validate(&self) -> Result<(), Error> {
        let invalid = |reason: String| {
            Err(Error::from(ErrorKind::InvalidModelFile { reason }))
        };
        let s = &self.settings;
        if !(s.threshold > 0.0 && s.threshold <= 1.0) {
            return invalid(format!(
                "settings.threshold is {} (expected a probability in (0, 1])",
                s.threshold
            ));
        }
        if s.u_sample_pairs == 0 || s.max_em_iterations == 0 {
            return invalid(
                "settings.u_sample_pairs and settings.max_em_iterations must \
                 be at least 1"
                    .to_string(),
            );
        }
        if !(s.em_tolerance > 0.0 && s.em_tolerance.is_finite()) {
            return invalid(
                "settings.em_tolerance must be a positive number".to_string(),
            );
        }
        if s.max_block_size < 2 {
            return invalid(
                "settings.max_block_size must be at least 2".to_string(),
            );
        }
        if self.comparisons.is_empty() {
            return invalid(
                "no [[comparison]] table: declare at least one comparison"
                    .to_string(),
            );
        }
        let mut names: Vec<&str> = Vec::new();
        for c in &self.comparisons {
            let name = c.comparison_name();
            if names.contains(&name) {
                return invalid(format!(
                    "comparison {name} is declared twice (give one a `name`)"
                ));
            }
            names.push(name);
            self.validate_comparison(c)?;
        }
        if self.blocking.rules.is_empty() {
            return invalid(
                "blocking.rules is empty: give at least one rule, e.g. \
                 [[\"surname\"]]"
                    .to_string(),
            );
        }
        for list in &self.clustering.cannot_link {
            if list.is_empty() {
                return invalid(
                    "a clustering.cannot_link list is empty (name the \
                     comparisons that must all disagree)"
                        .to_string(),
                );
            }
            if let Some(unknown) =
                list.iter().find(|name| !names.contains(&name.as_str()))
            {
                return invalid(format!(
                    "clustering.cannot_link names {unknown}, which is not a \
                     comparison (use a comparison's name)"
                ));
            }
        }
        let rules = self.blocking.rules.iter().chain(&self.blocking.training);
        for rule in rules {
            if rule.is_empty() {
                return invalid(
                    "a blocking rule has no column (each rule lists the \
                     columns pairs must agree on)"
                        .to_string(),
                );
            }
        }
        Ok(())
    }

    fn validate_comparison(&self, c: &ComparisonSpec) -> Result<(), Error> {
        let invalid = |rule: &str| {
            Err(Error::from(ErrorKind::InvalidModelFile {
                reason: format!("comparison {}: {rule}", c.comparison_name()),
            }))
        };
        let normalisation = self
            .comparisons
            .iter()
            .find(|other| other.column == c.column)
            .map(|other| other.normalise);
        if normalisation != Some(c.normalise) {
            return invalid(
                "two comparisons of one column ask for different `normalise` \
                 settings (use the same)",
            );
        }
        let swap_normalisation = c.swap_column.as_ref().and_then(|other| {
            self.comparisons
                .iter()
                .find(|x| &x.column == other)
                .map(|x| x.normalise)
        });
        if swap_normalisation.is_some_and(|n| n != c.normalise) {
            return invalid(
                "the `swap_column` is compared with another `normalise` \
                 setting (use the same, so that swapped values compare equal)",
            );
        }
        let t = &c.thresholds;
        match c.kind {
            ComparisonKind::Exact | ComparisonKind::Date if !t.is_empty() => {
                invalid("`thresholds` applies only to similarity kinds")
            }
            ComparisonKind::JaroWinkler | ComparisonKind::Dice
                if t.is_empty()
                    || t.iter().any(|&x| !(x > 0.0 && x < 1.0))
                    || t.windows(2).any(|w| w[0] <= w[1]) =>
            {
                invalid(
                    "Jaro-Winkler and Dice thresholds must be decreasing \
                     values strictly between 0 and 1, e.g. [0.92, 0.88, 0.7]",
                )
            }
            _ if c.swap_column.as_deref() == Some(c.column.as_str()) => {
                invalid("`swap_column` must name another column")
            }
            _ if c.salt_column.as_deref() == Some(c.column.as_str()) => {
                invalid("`salt_column` must name another column")
            }
            _ if c.salt_column.is_some() && c.swap_column.is_some() => invalid(
                "`salt_column` and `swap_column` cannot be combined (use one)",
            ),
            _ if c.multiple_salts
                && (c.salt_column.is_none()
                    || c.kind != ComparisonKind::Dice
                    || c.term_frequency) =>
            {
                invalid(
                    "`multiple_salts` applies only to a `dice` comparison \
                     with a `salt_column` and without `term_frequency`",
                )
            }
            _ if c.swap_column.is_some()
                && !matches!(
                    c.kind,
                    ComparisonKind::Exact
                        | ComparisonKind::JaroWinkler
                        | ComparisonKind::Levenshtein
                        | ComparisonKind::DamerauLevenshtein
                ) =>
            {
                invalid("`swap_column` applies only to string kinds")
            }
            ComparisonKind::Levenshtein
            | ComparisonKind::DamerauLevenshtein
                if t.is_empty()
                    || t.iter().any(|&x| x < 1.0 || x.fract() != 0.0)
                    || t.windows(2).any(|w| w[0] >= w[1]) =>
            {
                invalid(
                    "edit-distance thresholds must be increasing whole \
                     numbers from 1, e.g. [1, 2]",
                )
            }
            ComparisonKind::Date if c.date_layout().is_none() => invalid(
                "unsupported date_format (expected YYYYMMDD, YYYY-MM-DD or \
                 DD/MM/YYYY)",
            ),
            _ if c.levels_count() > 250 => invalid("too many thresholds"),
            _ => Ok(()),
        }
    }
}

impl ComparisonSpec {
    /// Number of levels, the null level included.
    pub(crate) fn levels_count(&self) -> usize {
        let swap = usize::from(self.swap_column.is_some());
        swap + match self.kind {
            ComparisonKind::Exact => 3,
            ComparisonKind::Date => 6,
            _ => 3 + self.thresholds.len(),
        }
    }

    /// Level of the first similarity band: after exact and, when the
    /// comparison has a swap column, after "swapped".
    pub(crate) fn first_band_level(&self) -> u8 {
        2 + u8::from(self.swap_column.is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"
[settings]
threshold = 0.9

[[comparison]]
column = "surname"
kind = "jaro_winkler"
thresholds = [0.92, 0.88, 0.7]
term_frequency = true

[[comparison]]
column = "dob"
kind = "date"
date_format = "YYYYMMDD"

[[comparison]]
column = "ssn"
kind = "damerau_levenshtein"
thresholds = [2]

[blocking]
rules = [["surname"], ["dob", "ssn"]]
"#;

    #[test]
    fn parses_model_file() {
        let spec = ModelSpec::from_toml(FILE).unwrap();
        assert_eq!(spec.settings.threshold, 0.9);
        assert_eq!(spec.settings.u_sample_pairs, 1_000_000);
        assert_eq!(spec.comparisons.len(), 3);
        assert_eq!(spec.comparisons[0].levels_count(), 6);
        assert_eq!(spec.comparisons[0].level_names().len(), 6);
        assert_eq!(spec.comparisons[1].levels_count(), 6);
        assert_eq!(spec.comparisons[1].level_names().len(), 6);
        assert_eq!(spec.comparisons[2].level_names().len(), 4);
        assert_eq!(spec.blocking.training_rules(), spec.blocking.rules);
        let columns: Vec<String> =
            spec.columns().into_iter().map(|(c, _)| c).collect();
        assert_eq!(columns, ["surname", "dob", "ssn"]);
    }

    #[test]
    fn rejects_increasing_jaro_winkler_thresholds() {
        let text = FILE.replace("[0.92, 0.88, 0.7]", "[0.7, 0.9]");
        let error = ModelSpec::from_toml(&text).unwrap_err();
        assert!(error.to_string().contains("comparison surname"), "{error}");
    }

    #[test]
    fn rejects_unknown_field_and_kind() {
        let text = FILE.replace("term_frequency = true", "tf = true");
        assert!(ModelSpec::from_toml(&text).is_err());
        let text = FILE.replace("\"date\"", "\"soundex\"");
        assert!(ModelSpec::from_toml(&text).is_err());
    }

    #[test]
    fn rejects_unsupported_date_format() {
        let text = FILE.replace("YYYYMMDD", "MM/DD/YY");
        let error = ModelSpec::from_toml(&text).unwrap_err();
        assert!(error.to_string().contains("date_format"), "{error}");
    }

    #[test]
    fn multiple_salts_need_a_salted_dice_comparison() {
        let salted = |kind: &str, extra: &str| {
            FILE.replace(
                "[[comparison]]\ncolumn = \"ssn\"",
                &format!(
                    "[[comparison]]\ncolumn = \"name_filters\"\n\
                     kind = \"{kind}\"\nthresholds = [0.8]\n{extra}\n\
                     multiple_salts = true\n\n\
                     [[comparison]]\ncolumn = \"ssn\""
                ),
            )
        };
        let spec =
            ModelSpec::from_toml(&salted("dice", "salt_column = \"salts\""))
                .unwrap();
        assert!(spec.comparisons[2].multiple_salts);
        for (kind, extra) in [
            ("dice", ""),
            ("jaro_winkler", "salt_column = \"salts\""),
            ("dice", "salt_column = \"salts\"\nterm_frequency = true"),
        ] {
            let error = ModelSpec::from_toml(&salted(kind, extra)).unwrap_err();
            assert!(error.to_string().contains("multiple_salts"), "{error}");
        }
    }

    #[test]
    fn rejects_empty_blocking() {
        let text = FILE.replace(r#"[["surname"], ["dob", "ssn"]]"#, "[]");
        assert!(ModelSpec::from_toml(&text).is_err());
    }
}
