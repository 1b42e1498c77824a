//! Comparison levels of two clear values under a model file's comparison.

use crate::records::{Column, MISSING};
use crate::spec::{ComparisonKind, ComparisonSpec, DateLayout};

/// Level 0: either side missing.
pub(crate) const LEVEL_NULL: u8 = 0;
/// Level 1: the standardised values are equal.
pub(crate) const LEVEL_EXACT: u8 = 1;

/// A comparison bound to its column.
pub(crate) struct FieldComparator<'a> {
    pub spec: &'a ComparisonSpec,
    pub column: &'a Column,
    layout: Option<DateLayout>,
    /// Level of "different", the last level.
    different: u8,
}

impl<'a> FieldComparator<'a> {
    pub(crate) fn new(
        spec: &'a ComparisonSpec,
        column: &'a Column,
    ) -> FieldComparator<'a> {
        FieldComparator {
            spec,
            column,
            layout: spec.date_layout(),
            different: (spec.levels_count() - 1) as u8,
        }
    }

    /// Level of records `a` and `b` (table rows). Symmetric in `a`, `b`.
    pub(crate) fn level(&self, a: usize, b: usize) -> u8 {
        let (code_a, code_b) = (self.column.codes[a], self.column.codes[b]);
        if code_a == MISSING || code_b == MISSING {
            return LEVEL_NULL;
        }
        if code_a == code_b {
            return LEVEL_EXACT;
        }
        let x = &self.column.values[code_a as usize];
        let y = &self.column.values[code_b as usize];
        self.level_of_values(x, y)
    }

    /// Level of two different, present values.
    pub(crate) fn level_of_values(&self, x: &str, y: &str) -> u8 {
        let thresholds = &self.spec.thresholds;
        let band = |position: Option<usize>| {
            position.map_or(self.different, |p| 2 + p as u8)
        };
        match self.spec.kind {
            ComparisonKind::Exact => self.different,
            ComparisonKind::JaroWinkler => {
                let similarity = strsim::jaro_winkler(x, y);
                band(thresholds.iter().position(|&t| similarity >= t))
            }
            ComparisonKind::Levenshtein => {
                let distance = strsim::levenshtein(x, y) as f64;
                band(thresholds.iter().position(|&t| distance <= t))
            }
            ComparisonKind::DamerauLevenshtein => {
                let distance = strsim::damerau_levenshtein(x, y) as f64;
                band(thresholds.iter().position(|&t| distance <= t))
            }
            ComparisonKind::Date => {
                let layout = self.layout.expect("checked by ModelSpec");
                date_level(x, y, layout).unwrap_or(self.different)
            }
        }
    }
}

/// Year, month and day of a date written in `layout`, as numbers. The
/// fields need not make a valid calendar date, because a typo such as
/// month 13 must still be compared field by field.
fn date_fields(value: &str, layout: DateLayout) -> Option<[u32; 3]> {
    let number = |s: &str| {
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<u32>().ok())
            .flatten()
    };
    match layout {
        DateLayout::Compact => {
            if value.len() != 8 || !value.is_ascii() {
                return None;
            }
            Some([
                number(&value[0..4])?,
                number(&value[4..6])?,
                number(&value[6..8])?,
            ])
        }
        DateLayout::Iso | DateLayout::DayFirst => {
            let separator = if layout == DateLayout::Iso { '-' } else { '/' };
            let parts: Vec<&str> = value.split(separator).collect();
            let [first, second, third] = parts.as_slice() else {
                return None;
            };
            let (year, month, day) = if layout == DateLayout::Iso {
                (first, second, third)
            } else {
                (third, second, first)
            };
            Some([number(year)?, number(month)?, number(day)?])
        }
    }
}

/// Date level of two different values: 2 day and month transposed, 3 year
/// off by one, 4 one field different, 5 different. `None` when a value
/// does not follow the layout, which the caller scores as different.
fn date_level(x: &str, y: &str, layout: DateLayout) -> Option<u8> {
    let [year_a, month_a, day_a] = date_fields(x, layout)?;
    let [year_b, month_b, day_b] = date_fields(y, layout)?;
    if (year_a, month_a, day_a) == (year_b, month_b, day_b) {
        return Some(LEVEL_EXACT);
    }
    if year_a == year_b && month_a == day_b && day_a == month_b {
        return Some(2);
    }
    if month_a == month_b && day_a == day_b && year_a.abs_diff(year_b) == 1 {
        return Some(3);
    }
    let equal = usize::from(year_a == year_b)
        + usize::from(month_a == month_b)
        + usize::from(day_a == day_b);
    Some(if equal == 2 { 4 } else { 5 })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::Normalisation;

    fn spec(kind: ComparisonKind, thresholds: &[f64]) -> ComparisonSpec {
        ComparisonSpec {
            column: "x".to_string(),
            name: None,
            kind,
            thresholds: thresholds.to_vec(),
            date_format: Some("YYYY-MM-DD".to_string()),
            term_frequency: false,
            normalise: Normalisation::Nfc,
        }
    }

    fn level(spec: &ComparisonSpec, x: &str, y: &str) -> u8 {
        let column = crate::records::tests_support::column(&[x, y]);
        let comparator = FieldComparator::new(spec, &column);
        let forward = comparator.level(0, 1);
        assert_eq!(forward, comparator.level(1, 0), "must be symmetric");
        forward
    }

    // Bug case from StringDistances.jl issue #9: Jaro-Winkler on
    // characters, not UTF-8 bytes. Expected values computed with the
    // reference Jaro-Winkler (prefix scale 0.1, prefix at most 4) on
    // characters: MÜLLER/MULLER 0.900000, ZOË/ZOE 0.822222 (on bytes they
    // would be 0.864286 and 0.777778).
    #[test]
    fn jaro_winkler_counts_characters() {
        let mueller = strsim::jaro_winkler("M\u{00DC}LLER", "MULLER");
        assert!((mueller - 0.900000).abs() < 5e-7, "{mueller}");
        let zoe = strsim::jaro_winkler("ZO\u{00CB}", "ZOE");
        assert!((zoe - 0.822222).abs() < 5e-7, "{zoe}");
        let bands = spec(ComparisonKind::JaroWinkler, &[0.92, 0.88, 0.7]);
        assert_eq!(level(&bands, "M\u{00DC}LLER", "MULLER"), 3);
        assert_eq!(level(&bands, "ZO\u{00CB}", "ZOE"), 4);
    }

    // Winkler (1990): the prefix bonus counts at most 4 common leading
    // characters. These strings share 7 and have Jaro
    // (7/8 + 7/8 + 7/7) / 3 = 0.916667. With the cap the score is
    // 0.916667 + 4 · 0.1 · (1 − 0.916667) = 0.95; without it, 0.975.
    #[test]
    fn jaro_winkler_prefix_is_capped_at_four() {
        let jaro = strsim::jaro("ABCDEFGX", "ABCDEFGY");
        assert!((jaro - 0.9166667).abs() < 1e-6, "{jaro}");
        let score = strsim::jaro_winkler("ABCDEFGX", "ABCDEFGY");
        assert!((score - 0.95).abs() < 1e-9, "{score}");
    }

    #[test]
    fn missing_side_is_null_never_agreement() {
        let exact = spec(ComparisonKind::Exact, &[]);
        assert_eq!(level(&exact, "", ""), LEVEL_NULL);
        assert_eq!(level(&exact, "A", ""), LEVEL_NULL);
        assert_eq!(level(&exact, "A", "A"), LEVEL_EXACT);
        assert_eq!(level(&exact, "A", "B"), 2);
        let bands = spec(ComparisonKind::JaroWinkler, &[0.5]);
        assert_eq!(level(&bands, "", "ANNA"), LEVEL_NULL);
    }

    #[test]
    fn levenshtein_bands() {
        let lev = spec(ComparisonKind::Levenshtein, &[1.0, 2.0]);
        assert_eq!(level(&lev, "1234567", "1234568"), 2);
        assert_eq!(level(&lev, "1234567", "1234588"), 3);
        assert_eq!(level(&lev, "1234567", "7654321"), 4);
        // A transposition costs 2 in Levenshtein and 1 in Damerau.
        assert_eq!(level(&lev, "1234567", "1234576"), 3);
        let dl = spec(ComparisonKind::DamerauLevenshtein, &[1.0]);
        assert_eq!(level(&dl, "1234567", "1234576"), 2);
    }

    #[test]
    fn date_levels() {
        let date = spec(ComparisonKind::Date, &[]);
        assert_eq!(level(&date, "1970-03-04", "1970-03-04"), 1);
        assert_eq!(level(&date, "1970-03-04", "1970-04-03"), 2);
        assert_eq!(level(&date, "1970-03-04", "1971-03-04"), 3);
        assert_eq!(level(&date, "1970-03-04", "1975-03-04"), 4);
        assert_eq!(level(&date, "1970-03-04", "1970-03-14"), 4);
        assert_eq!(level(&date, "1970-03-04", "1980-12-25"), 5);
        assert_eq!(level(&date, "1970-03-04", "garbage"), 5);
        let mut compact = spec(ComparisonKind::Date, &[]);
        compact.date_format = Some("YYYYMMDD".to_string());
        assert_eq!(level(&compact, "19700304", "19700403"), 2);
        assert_eq!(level(&compact, "19700304", "19701304"), 4);
        let mut day_first = spec(ComparisonKind::Date, &[]);
        day_first.date_format = Some("DD/MM/YYYY".to_string());
        assert_eq!(level(&day_first, "04/03/1970", "04/03/1969"), 3);
    }
}
