//! Comparison levels of two clear values under a model file's comparison.

use std::collections::HashMap;

use base64::Engine;
use tracing::warn;

use crate::dice::BloomArena;
use crate::records::{Column, MISSING};
use crate::spec::{
    BloomEncoding, ComparisonKind, ComparisonSpec, DateLayout, SALT_SEPARATOR,
};

/// Level 0: either side missing.
pub(crate) const LEVEL_NULL: u8 = 0;
/// Level 1: the standardised values are equal.
pub(crate) const LEVEL_EXACT: u8 = 1;

/// A comparison bound to its column.
pub(crate) struct FieldComparator<'a> {
    pub spec: &'a ComparisonSpec,
    pub column: &'a Column,
    /// The column of `spec.swap_column` or `spec.salt_column`.
    pub second_column: Option<&'a Column>,
    /// Whether the second column holds salts, else swap values.
    salted: bool,
    /// For each code of the swap column, the code of the same value in
    /// this comparison's column, or [`MISSING`] when it has no such value.
    swap_codes: Vec<u32>,
    layout: Option<DateLayout>,
    /// Year, month and day of each distinct value of a date column, by
    /// code, parsed once so that comparing two dates is integer tests.
    dates: Vec<Option<[u32; 3]>>,
    /// Bloom filters of the column's values for a Dice comparison, `None`
    /// for the other kinds.
    blooms: Option<BloomArena>,
    /// Index in `blooms` of each code, [`MISSING`] for an invalid value.
    bloom_of_code: Vec<u32>,
    /// Filters and salts of each value when the comparison has
    /// `multiple_salts`.
    multiple: Option<SaltedFilters>,
    /// Level of "different", the last level.
    different: u8,
    /// Character counts of each value of a Jaro-Winkler column, by code,
    /// to rule out most dissimilar pairs without computing Jaro-Winkler.
    letter_counts: Vec<LetterCounts>,
}

/// The filters of a comparison with `multiple_salts`: for each code of
/// the value column its filters, and for each code of the salt column its
/// salts, position by position.
struct SaltedFilters {
    /// Indices in the comparator's `blooms`, [`MISSING`] where a position
    /// is empty or not valid in the column's encoding.
    filters: Vec<Vec<u32>>,
    /// Salt ids, equal for equal salt values at any position, so that a
    /// salt in one record's first position meets the same salt in the
    /// other's second position (a day-month transposition). An empty
    /// salt is [`MISSING`], because it marks a missing filter rather than
    /// a salt that two records could share.
    salts: Vec<Vec<u32>>,
}

/// Length in characters and counts of the letters A to Z and of all
/// other characters (one bucket) of a value, saturating at 255.
#[derive(Clone, Copy)]
struct LetterCounts {
    length: u32,
    counts: [u8; 27],
}

impl LetterCounts {
    fn of(value: &str) -> LetterCounts {
        let mut counts = [0u8; 27];
        let mut length = 0u32;
        for c in value.chars() {
            let bucket = match c {
                'A'..='Z' => c as usize - 'A' as usize,
                _ => 26,
            };
            counts[bucket] = counts[bucket].saturating_add(1);
            length += 1;
        }
        LetterCounts { length, counts }
    }

    /// Upper bound of the Jaro-Winkler similarity of two values (strsim
    /// 0.11's definition, Winkler's prefix bonus of 0.1 per character for
    /// at most 4). Jaro's matches m cannot exceed the characters the two
    /// values share, so Jaro <= (m/|a| + m/|b| + 1) / 3, and the bonus
    /// applies only above 0.7 and adds at most 0.4 (1 - Jaro). A saturated
    /// count only raises the bound.
    fn jaro_winkler_bound(&self, other: &LetterCounts) -> f64 {
        if self.length == 0 || other.length == 0 {
            return 1.0;
        }
        let shared: u32 = self
            .counts
            .iter()
            .zip(&other.counts)
            .map(|(&x, &y)| u32::from(x.min(y)))
            .sum();
        let shared = f64::from(shared);
        let jaro = (shared / f64::from(self.length)
            + shared / f64::from(other.length)
            + 1.0)
            / 3.0;
        if jaro > 0.7 {
            jaro + 0.4 * (1.0 - jaro)
        } else {
            jaro
        }
    }
}

impl<'a> FieldComparator<'a> {
    /// Binds `spec` to its column and to `second_column`, the column of
    /// its `swap_column` or `salt_column` when it has one.
    pub(crate) fn new(
        spec: &'a ComparisonSpec,
        column: &'a Column,
        second_column: Option<&'a Column>,
    ) -> FieldComparator<'a> {
        let salted = spec.salt_column.is_some();
        let swap_column = second_column.filter(|_| !salted);
        let layout = spec.date_layout();
        let dates = match (spec.kind, layout) {
            (ComparisonKind::Date, Some(layout)) => column
                .values
                .iter()
                .map(|value| date_fields(value, layout))
                .collect(),
            _ => Vec::new(),
        };
        let swap_codes = swap_column.map_or_else(Vec::new, |other| {
            other
                .values
                .iter()
                .map(|value| column.code_of(value).unwrap_or(MISSING))
                .collect()
        });
        let mut multiple = None;
        let (blooms, bloom_of_code) = match (spec.kind, second_column) {
            (ComparisonKind::Dice, Some(salts)) if spec.multiple_salts => {
                let (arena, filters) =
                    decode_salted_blooms(column, salts, spec.bloom_encoding);
                multiple = Some(filters);
                (Some(arena), Vec::new())
            }
            (ComparisonKind::Dice, _) => {
                let (arena, index) = decode_blooms(column, spec.bloom_encoding);
                (Some(arena), index)
            }
            _ => (None, Vec::new()),
        };
        let letter_counts = if spec.kind == ComparisonKind::JaroWinkler {
            column.values.iter().map(|v| LetterCounts::of(v)).collect()
        } else {
            Vec::new()
        };
        FieldComparator {
            spec,
            column,
            second_column,
            salted,
            swap_codes,
            layout,
            dates,
            blooms,
            bloom_of_code,
            multiple,
            different: (spec.levels_count() - 1) as u8,
            letter_counts,
        }
    }

    /// Level "different", the last level.
    pub(crate) fn different_level(&self) -> u8 {
        self.different
    }

    /// Year, month and day of a date column's value, `None` when the
    /// value does not follow the layout or the column is not a date.
    pub(crate) fn date_fields_of(&self, code: u32) -> Option<[u32; 3]> {
        self.dates.get(code as usize).copied().flatten()
    }

    /// Codes of record `row` (a table row): its value and its swap or
    /// salt column's value, [`MISSING`] when absent.
    pub(crate) fn codes_of(&self, row: usize) -> [u32; 2] {
        let second = self.second_column.map_or(MISSING, |c| c.codes[row]);
        [self.column.codes[row], second]
    }

    /// Level of records `a` and `b` (table rows). Symmetric in `a`, `b`.
    #[cfg(test)]
    pub(crate) fn level(&self, a: usize, b: usize) -> u8 {
        self.level_of_codes(self.codes_of(a), self.codes_of(b))
    }

    /// Level of two records given by [`FieldComparator::codes_of`].
    /// Symmetric.
    pub(crate) fn level_of_codes(&self, a: [u32; 2], b: [u32; 2]) -> u8 {
        let (code_a, code_b) = (a[0], b[0]);
        if code_a == MISSING || code_b == MISSING {
            return LEVEL_NULL;
        }
        if let Some(multiple) = &self.multiple {
            return self.level_of_salted_filters(multiple, a, b);
        }
        if self.salted && a[1] != b[1] {
            return LEVEL_NULL;
        }
        if let Some(blooms) = &self.blooms {
            return self.level_of_filters(blooms, code_a, code_b);
        }
        if code_a == code_b {
            return LEVEL_EXACT;
        }
        if !self.swap_codes.is_empty() && self.is_swapped(a, b) {
            return LEVEL_EXACT + 1;
        }
        if !self.dates.is_empty() {
            let fields = |code: u32| self.dates[code as usize];
            return match (fields(code_a), fields(code_b)) {
                (Some(x), Some(y)) => date_level_of_fields(x, y),
                _ => self.different,
            };
        }
        if self.surely_different(code_a, code_b) {
            return self.different;
        }
        let x = &self.column.values[code_a as usize];
        let y = &self.column.values[code_b as usize];
        self.level_of_values(x, y)
    }

    /// Level of two present values of a Dice comparison with one filter
    /// per value. A value that is not a filter in the column's encoding
    /// is missing, even when the other record contains the same text.
    fn level_of_filters(
        &self,
        blooms: &BloomArena,
        code_a: u32,
        code_b: u32,
    ) -> u8 {
        let (x, y) = (
            self.bloom_of_code[code_a as usize],
            self.bloom_of_code[code_b as usize],
        );
        if x == MISSING || y == MISSING {
            LEVEL_NULL
        } else if code_a == code_b {
            LEVEL_EXACT
        } else {
            self.band_of_similarity(blooms.dice(x, y))
        }
    }

    /// Level of two present values of a comparison with `multiple_salts`:
    /// the most similar of their filters under a salt both records have,
    /// level 0 when they share none.
    fn level_of_salted_filters(
        &self,
        multiple: &SaltedFilters,
        a: [u32; 2],
        b: [u32; 2],
    ) -> u8 {
        if a[1] == MISSING || b[1] == MISSING {
            return LEVEL_NULL;
        }
        let blooms = self.blooms.as_ref().expect("built for multiple salts");
        let slots = |[value, salt]: [u32; 2]| {
            let filters = &multiple.filters[value as usize];
            filters.iter().zip(&multiple.salts[salt as usize])
        };
        let mut best: Option<f64> = None;
        for (&x, salt_x) in slots(a) {
            for (&y, salt_y) in slots(b) {
                if salt_x != salt_y
                    || *salt_x == MISSING
                    || x == MISSING
                    || y == MISSING
                {
                    continue;
                }
                let dice = blooms.dice(x, y);
                best = Some(best.map_or(dice, |b| b.max(dice)));
            }
        }
        match best {
            None => LEVEL_NULL,
            // Equal filters under a shared salt are the same name.
            Some(dice) if dice >= 1.0 => LEVEL_EXACT,
            Some(dice) => self.band_of_similarity(dice),
        }
    }

    /// Tests whether two different values of a Jaro-Winkler column are
    /// surely below the lowest threshold, from their character counts
    /// alone. Most random pairs are, and the test costs a fraction of
    /// Jaro-Winkler.
    fn surely_different(&self, code_a: u32, code_b: u32) -> bool {
        let Some(lowest) = self.spec.thresholds.last() else {
            return false;
        };
        match (
            self.letter_counts.get(code_a as usize),
            self.letter_counts.get(code_b as usize),
        ) {
            (Some(a), Some(b)) => a.jaro_winkler_bound(b) < *lowest,
            _ => false,
        }
    }

    /// Level of two records drawn to estimate u, the level probabilities
    /// among non-matching pairs. As [`FieldComparator::level_of_codes`],
    /// except that a `multiple_salts` pair with identical salts, such as
    /// two equal birth dates, gets level 0 and so counts for nothing.
    /// Salts that specific make such pairs rare among random pairs, and
    /// the duplicates of a deduplication share them, so among those pairs
    /// matches are common enough to inflate u of the agreeing levels. A
    /// pair that shares some of its salts but not all (one birth-date part
    /// different) is almost always two persons. Records with a single
    /// salt keep their pairs, because they have no other pair that shares
    /// a salt.
    pub(crate) fn level_for_u(&self, a: [u32; 2], b: [u32; 2]) -> u8 {
        if self.left_out_of_u(a, b) {
            return LEVEL_NULL;
        }
        self.level_of_codes(a, b)
    }

    /// [`FieldComparator::level_for_u`] with the string comparisons of
    /// value pairs remembered in `cache`, as
    /// [`FieldComparator::level_of_codes_cached`] does.
    pub(crate) fn level_for_u_cached(
        &self,
        a: [u32; 2],
        b: [u32; 2],
        cache: &mut LevelCache,
    ) -> u8 {
        if self.left_out_of_u(a, b) {
            return LEVEL_NULL;
        }
        self.level_of_codes_cached(a, b, cache)
    }

    /// Tests whether a pair is left out of the u counts: both records of
    /// a `multiple_salts` comparison have the same several salts.
    fn left_out_of_u(&self, a: [u32; 2], b: [u32; 2]) -> bool {
        self.multiple.as_ref().is_some_and(|multiple| {
            a[1] == b[1]
                && a[1] != MISSING
                && multiple.salts[a[1] as usize].len() > 1
        })
    }

    /// [`FieldComparator::level_of_codes`] with the string comparisons of
    /// value pairs remembered in `cache`, for loops over many pairs that
    /// meet the same values again (u sampling draws common names over and
    /// over).
    pub(crate) fn level_of_codes_cached(
        &self,
        a: [u32; 2],
        b: [u32; 2],
        cache: &mut LevelCache,
    ) -> u8 {
        let (code_a, code_b) = (a[0], b[0]);
        let compares_strings = matches!(
            self.spec.kind,
            ComparisonKind::JaroWinkler
                | ComparisonKind::Levenshtein
                | ComparisonKind::DamerauLevenshtein
        );
        // A salted pair's level also depends on the salts, which the
        // cache key leaves out.
        if !compares_strings
            || self.salted
            || code_a == MISSING
            || code_b == MISSING
            || code_a == code_b
        {
            return self.level_of_codes(a, b);
        }
        if !self.swap_codes.is_empty() && self.is_swapped(a, b) {
            return LEVEL_EXACT + 1;
        }
        if self.surely_different(code_a, code_b) {
            return self.different;
        }
        let key = (u64::from(code_a.min(code_b)) << 32)
            | u64::from(code_a.max(code_b));
        let slot = cache.slot(key);
        if cache.keys[slot] != key {
            let x = &self.column.values[code_a as usize];
            let y = &self.column.values[code_b as usize];
            cache.keys[slot] = key;
            cache.levels[slot] = self.level_of_values(x, y);
        }
        cache.levels[slot]
    }

    /// Tests whether one record's value equals the other's swap-column
    /// value.
    fn is_swapped(&self, a: [u32; 2], b: [u32; 2]) -> bool {
        let own_of_swap = |code: u32| {
            if code == MISSING {
                MISSING
            } else {
                self.swap_codes[code as usize]
            }
        };
        let (swap_a, swap_b) = (own_of_swap(a[1]), own_of_swap(b[1]));
        (swap_b != MISSING && swap_b == a[0])
            || (swap_a != MISSING && swap_a == b[0])
    }

    /// Level of a similarity under decreasing thresholds.
    fn band_of_similarity(&self, similarity: f64) -> u8 {
        let first = self.spec.first_band_level();
        self.spec
            .thresholds
            .iter()
            .position(|&t| similarity >= t)
            .map_or(self.different, |p| first + p as u8)
    }

    /// Level of two different, present values.
    pub(crate) fn level_of_values(&self, x: &str, y: &str) -> u8 {
        let thresholds = &self.spec.thresholds;
        let first = self.spec.first_band_level();
        let band = |position: Option<usize>| {
            position.map_or(self.different, |p| first + p as u8)
        };
        match self.spec.kind {
            ComparisonKind::Exact => self.different,
            ComparisonKind::JaroWinkler => {
                self.band_of_similarity(crate::similarity::jaro_winkler(x, y))
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
            ComparisonKind::Dice => {
                let encoding = self.spec.bloom_encoding;
                match (decode_bloom(x, encoding), decode_bloom(y, encoding)) {
                    (Some(x), Some(y)) => self.band_of_similarity(
                        crate::dice::dice_coefficient(&x, &y),
                    ),
                    _ => LEVEL_NULL,
                }
            }
        }
    }
}

/// Direct-mapped cache of the levels of value pairs (two codes of one
/// column) that take a string comparison. A slot keeps the last pair that
/// hashed to it, so a cache costs a fixed 36 KiB whatever the data.
pub(crate) struct LevelCache {
    keys: Vec<u64>,
    levels: Vec<u8>,
}

const CACHE_SLOTS: usize = 1 << 12;

impl LevelCache {
    pub(crate) fn new() -> LevelCache {
        LevelCache {
            // No pair of codes makes this key: both would be MISSING.
            keys: vec![u64::MAX; CACHE_SLOTS],
            levels: vec![0; CACHE_SLOTS],
        }
    }

    fn slot(&self, key: u64) -> usize {
        (key.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 52) as usize
    }
}

/// Bytes of a Bloom filter written in `encoding`; `None` when the text is
/// not valid in it.
fn decode_bloom(value: &str, encoding: BloomEncoding) -> Option<Vec<u8>> {
    match encoding {
        BloomEncoding::Hex => hex::decode(value).ok(),
        BloomEncoding::Base64 => {
            base64::engine::general_purpose::STANDARD.decode(value).ok()
        }
    }
}

/// Decodes every distinct value of a Bloom-filter column once. Invalid
/// values are counted in one warning and compared as missing, because a
/// filter that cannot be read carries no evidence.
fn decode_blooms(
    column: &Column,
    encoding: BloomEncoding,
) -> (BloomArena, Vec<u32>) {
    let decoded: Vec<Option<Vec<u8>>> = column
        .values
        .iter()
        .map(|value| decode_bloom(value, encoding))
        .collect();
    let longest = decoded.iter().flatten().map(Vec::len).max().unwrap_or(0);
    let mut arena = BloomArena::new(longest);
    let mut invalid = 0usize;
    let index = decoded
        .iter()
        .map(|bytes| match bytes {
            Some(bytes) => arena.push(bytes),
            None => {
                invalid += 1;
                MISSING
            }
        })
        .collect();
    if invalid > 0 {
        warn!(
            column = %column.name,
            invalid_values = invalid,
            encoding = ?encoding,
            "Bloom filters that are not valid in the column's encoding are \
             compared as missing"
        );
    }
    (arena, index)
}

/// Decodes the filters of every distinct value of a `multiple_salts`
/// column, and splits every distinct value of its salt column, as
/// [`decode_blooms`] does for one filter per value. Rows whose counts of
/// filters and salts differ are counted in one warning; their extra
/// filters are never compared, because their salts are unknown.
fn decode_salted_blooms(
    column: &Column,
    salt_column: &Column,
    encoding: BloomEncoding,
) -> (BloomArena, SaltedFilters) {
    let decoded: Vec<Vec<Option<Vec<u8>>>> = column
        .values
        .iter()
        .map(|value| {
            value
                .split(SALT_SEPARATOR)
                .map(|piece| {
                    (!piece.is_empty())
                        .then(|| decode_bloom(piece, encoding))
                        .flatten()
                })
                .collect()
        })
        .collect();

    let longest = decoded
        .iter()
        .flatten()
        .flatten()
        .map(Vec::len)
        .max()
        .unwrap_or(0);
    let mut arena = BloomArena::new(longest);
    let mut invalid = 0usize;
    let filters = decoded
        .iter()
        .zip(&column.values)
        .map(|(pieces, value)| {
            pieces
                .iter()
                .zip(value.split(SALT_SEPARATOR))
                .map(|(bytes, piece)| match bytes {
                    Some(bytes) => arena.push(bytes),
                    None => {
                        invalid += usize::from(!piece.is_empty());
                        MISSING
                    }
                })
                .collect()
        })
        .collect();

    // Salt ids shared across positions; an empty salt marks no filter.
    let mut ids: HashMap<&str, u32> = HashMap::new();
    let salts = salt_column
        .values
        .iter()
        .map(|value| {
            value
                .split(SALT_SEPARATOR)
                .map(|salt| {
                    if salt.is_empty() {
                        return MISSING;
                    }
                    let next = ids.len() as u32;
                    *ids.entry(salt).or_insert(next)
                })
                .collect()
        })
        .collect();

    let filters = SaltedFilters { filters, salts };

    // Rows whose filters have no salt at their position.
    let (mut unequal, mut unsalted) = (0usize, 0usize);
    for (&value, &salt) in column.codes.iter().zip(&salt_column.codes) {
        if value == MISSING || salt == MISSING {
            continue;
        }
        let (row_filters, row_salts) = (
            &filters.filters[value as usize],
            &filters.salts[salt as usize],
        );
        unequal += usize::from(row_filters.len() != row_salts.len());
        unsalted += usize::from(
            row_filters
                .iter()
                .zip(row_salts)
                .any(|(&filter, &salt)| filter != MISSING && salt == MISSING),
        );
    }

    if invalid > 0 || unequal > 0 || unsalted > 0 {
        warn!(
            column = %column.name,
            salt_column = %salt_column.name,
            invalid_filters = invalid,
            rows_with_unequal_counts = unequal,
            rows_with_empty_salt_of_a_filter = unsalted,
            encoding = ?encoding,
            "filters that are not valid in the column's encoding, or that \
             have no salt or an empty one at their position, are compared as \
             missing (write one salt per filter, in the same order)"
        );
    }
    (arena, filters)
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
    Some(date_level_of_fields(
        date_fields(x, layout)?,
        date_fields(y, layout)?,
    ))
}

fn date_level_of_fields(a: [u32; 3], b: [u32; 3]) -> u8 {
    let [year_a, month_a, day_a] = a;
    let [year_b, month_b, day_b] = b;
    if (year_a, month_a, day_a) == (year_b, month_b, day_b) {
        return LEVEL_EXACT;
    }
    if year_a == year_b && month_a == day_b && day_a == month_b {
        return 2;
    }
    if month_a == month_b && day_a == day_b && year_a.abs_diff(year_b) == 1 {
        return 3;
    }
    let equal = usize::from(year_a == year_b)
        + usize::from(month_a == month_b)
        + usize::from(day_a == day_b);
    if equal == 2 { 4 } else { 5 }
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
            swap_column: None,
            salt_column: None,
            multiple_salts: false,
            bloom_encoding: BloomEncoding::Hex,
        }
    }

    fn level(spec: &ComparisonSpec, x: &str, y: &str) -> u8 {
        let column = crate::records::tests_support::column(&[x, y]);
        let comparator = FieldComparator::new(spec, &column, None);
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

    // A first name swapped with the surname: record a is (JEAN, MARTIN),
    // record b (MARTIN, JEAN). The swap level sits after exact, so the
    // Jaro-Winkler bands move down by one.
    #[test]
    fn swap_column_level() {
        let mut first = spec(ComparisonKind::JaroWinkler, &[0.92, 0.88, 0.7]);
        first.swap_column = Some("surname".to_string());
        assert_eq!(first.levels_count(), 7);
        assert_eq!(first.level_names()[2], "swapped with surname");
        let names = crate::records::tests_support::column(&[
            "JEAN", "MARTIN", "JEANNE", "PAUL", "",
        ]);
        let surnames = crate::records::tests_support::column(&[
            "MARTIN", "JEAN", "DUPONT", "JEAN", "JEAN",
        ]);
        let comparator = FieldComparator::new(&first, &names, Some(&surnames));
        assert_eq!(comparator.level(0, 1), 2);
        assert_eq!(comparator.level(1, 0), 2);
        // JEAN / JEANNE: Jaro-Winkler 0.933333, the first band (level 3).
        assert_eq!(comparator.level(0, 2), 3);
        // PAUL's surname is JEAN, which is record 0's first name.
        assert_eq!(comparator.level(0, 3), 2);
        // A missing first name stays in the null level.
        assert_eq!(comparator.level(0, 4), LEVEL_NULL);
        assert_eq!(comparator.level(2, 3), 6);
    }

    // Dice by hand from 2|A∧B| / (|A| + |B|): ff00 and ff00 agree exactly;
    // ff00 and fe00 share 7 of 8 + 7 bits, 14 / 15 = 0.933; ff00 and 00ff
    // share none. The same filters in base64 give the same levels.
    #[test]
    fn dice_levels_hex_and_base64() {
        let dice = spec(ComparisonKind::Dice, &[0.9, 0.6]);
        assert_eq!(dice.level_names()[2], "Dice >= 0.9");
        assert_eq!(level(&dice, "ff00", "ff00"), LEVEL_EXACT);
        assert_eq!(level(&dice, "ff00", "FE00"), 2);
        // f000 and ff00: 2·4 / (4 + 8) = 0.667.
        assert_eq!(level(&dice, "f000", "ff00"), 3);
        assert_eq!(level(&dice, "ff00", "00ff"), 4);
        assert_eq!(level(&dice, "ff00", "not hex"), LEVEL_NULL);
        let mut base64 = spec(ComparisonKind::Dice, &[0.9, 0.6]);
        base64.bloom_encoding = BloomEncoding::Base64;
        // "/wA=" is ff00 and "/gA=" is fe00.
        assert_eq!(level(&base64, "/wA=", "/gA="), 2);
        assert_eq!(level(&base64, "/wA=", "AP8="), 4);
    }

    // Dice by hand from 2|A∧B| / (|A| + |B|) on one-byte filters:
    // ff/fe 14/15 = 0.933 (level 2, Dice >= 0.8), ff/f0 and ff/0f
    // 8/12 = 0.667 (level 3, Dice >= 0.6), equal filters level 1.
    #[test]
    fn multiple_salts_compare_only_under_shared_salts() {
        let mut salted = spec(ComparisonKind::Dice, &[0.8, 0.6, 0.4]);
        salted.salt_column = Some("salt".to_string());
        salted.multiple_salts = true;
        let rows = [
            ("ff;0f", "s1;s2"),
            ("fe;ff", "s1;s3"),
            ("ff;f0", "s9;s1"),
            ("ff;ff", "s7;s8"),
            ("0f;0f", "s1;s2"),
            ("ff;", "s1;"),
            ("ff;0f", "s1"),
            ("ff;zz", "s9;s1"),
            ("zz", "s1"),
        ];
        let values: Vec<&str> = rows.iter().map(|r| r.0).collect();
        let salts: Vec<&str> = rows.iter().map(|r| r.1).collect();
        let values = crate::records::tests_support::column(&values);
        let salts = crate::records::tests_support::column(&salts);
        let comparator = FieldComparator::new(&salted, &values, Some(&salts));

        let level = |a: usize, b: usize| {
            let forward = comparator.level(a, b);
            assert_eq!(forward, comparator.level(b, a), "must be symmetric");
            forward
        };

        assert_eq!(level(0, 0), LEVEL_EXACT);
        // Only s1 is shared: ff against fe.
        assert_eq!(level(0, 1), 2);
        // s1 is the first salt of one and the second of the other.
        assert_eq!(level(0, 2), 3);
        // Equal filters under different salts are unrelated encodings.
        assert_eq!(level(0, 3), LEVEL_NULL);
        // The most similar of the shared salts wins: 0f equals 0f under s2.
        assert_eq!(level(0, 4), LEVEL_EXACT);
        assert_eq!(level(0, 5), LEVEL_EXACT);
        // A filter with no salt at its position is never compared.
        assert_eq!(level(6, 1), 2);
        assert_eq!(level(6, 4), 3);
        // An invalid filter is missing: 0f under s1 meets nothing, and
        // equal values with no valid filter are no evidence.
        assert_eq!(level(4, 7), LEVEL_NULL);
        assert_eq!(level(8, 8), LEVEL_NULL);
        // For u, pairs with identical salts count for nothing; the others
        // keep their level.
        let for_u = |a: usize, b: usize| {
            comparator
                .level_for_u(comparator.codes_of(a), comparator.codes_of(b))
        };
        assert_eq!(for_u(0, 4), LEVEL_NULL);
        // A record with one salt has no pair sharing only part of its
        // salts, so its pairs stay in the u counts.
        assert_eq!(for_u(8, 8), level(8, 8));
        assert_eq!(for_u(6, 6), LEVEL_EXACT);
        assert_eq!(for_u(0, 1), 2);
        assert_eq!(for_u(0, 2), 3);
    }

    // A value with no readable filter carries no evidence, even when both
    // records contain the same text: "NA" is not hexadecimal, and ";" is two
    // missing filters under the salts s1 and s2.
    #[test]
    fn unreadable_equal_filters_are_null() {
        let dice = spec(ComparisonKind::Dice, &[0.9, 0.6]);
        assert_eq!(level(&dice, "NA", "NA"), LEVEL_NULL);
        assert_eq!(level(&dice, "ff00", "ff00"), LEVEL_EXACT);

        let mut salted = spec(ComparisonKind::Dice, &[0.8]);
        salted.salt_column = Some("salt".to_string());
        salted.multiple_salts = true;
        let values = crate::records::tests_support::column(&[
            ";", ";", "zz;", "zz;", "ff;ff", "ff;ff",
        ]);
        let salts = crate::records::tests_support::column(&[
            "s1;s2", "s1;s2", "s1;s2", "s1;s2", "s1;s2", "s1;s2",
        ]);
        let comparator = FieldComparator::new(&salted, &values, Some(&salts));
        assert_eq!(comparator.level(0, 1), LEVEL_NULL);
        assert_eq!(comparator.level(2, 3), LEVEL_NULL);
        assert_eq!(comparator.level(4, 5), LEVEL_EXACT);
    }

    // An empty salt marks a missing filter: a filter written beside it
    // is never compared, even with another record's filter beside an
    // empty salt. Dice of ff and fe is 14/15 (level 2, Dice >= 0.8).
    #[test]
    fn empty_salt_never_shared() {
        let mut salted = spec(ComparisonKind::Dice, &[0.8]);
        salted.salt_column = Some("salt".to_string());
        salted.multiple_salts = true;
        let values =
            crate::records::tests_support::column(&["ff;ff", "ff;ff", "fe;ff"]);
        let salts =
            crate::records::tests_support::column(&["s1;", "s2;", "s1;"]);
        let comparator = FieldComparator::new(&salted, &values, Some(&salts));
        assert_eq!(comparator.level(0, 1), LEVEL_NULL);
        assert_eq!(comparator.level(0, 2), 2);
    }

    #[test]
    fn letter_bound_never_below_jaro_winkler() {
        // Pairs from the same, similar, transposed and unrelated names,
        // with accents and a hyphen in the non-letter bucket.
        let names = [
            "MARTIN",
            "MARTINE",
            "MRATIN",
            "DUBOIS",
            "DUBOSI",
            "LEROY",
            "JEAN-PIERRE",
            "JEANPIERRE",
            "MÜLLER",
            "MULLER",
            "ZOË",
            "ZOE",
            "AB",
            "BA",
            "A",
            "XAVIER",
            "MARIE",
            "MAIRE",
        ];
        for a in names {
            for b in names {
                let bound = LetterCounts::of(a)
                    .jaro_winkler_bound(&LetterCounts::of(b));
                let exact = crate::similarity::jaro_winkler(a, b);
                assert!(bound >= exact, "{a} {b}: bound {bound} < {exact}");
            }
        }
    }
}
