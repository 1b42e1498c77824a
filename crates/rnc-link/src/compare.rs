//! Pseudonym interning and the six comparisons of the linkage model.
//!
//! Every comparison has a null level 0 (either side missing, no evidence),
//! then levels from the most to the least similar. The Dice thresholds
//! 0.88 and 0.7 borrow the values of the Jaro-Winkler bands in Splink's
//! name comparisons (0.92 / 0.88 / 0.7). On the padded bigrams of an
//! eight-letter name, one substituted letter changes 2 of 9 bigrams (Dice
//! about 0.78) and a swap of two letters changes 3 (about 0.67). So the
//! 0.88 band holds one-letter changes in long names, and the 0.7 band most
//! typos in names of average length.
//!
//! DEVIATION: Splink's first-name comparison ends with one "else" level.
//! We split it at a Dice of 0.5, because one edit in a name of four or more
//! letters keeps the Dice above about 0.55, while two different first
//! names rarely reach 0.5. Without the split, same-sex twins (same surname,
//! birth date, sex and département) are linked whenever one record lacks
//! its NIR, because "different" then also holds the heavy typos of true
//! matches and weighs too little.

use std::collections::HashMap;
use std::hash::BuildHasher;

use rnc_model::permutation::permute_in_place;
use rnc_model::{
    LinkageFields, NirStatus, SaltedNameColumns, Sex, SourceRecord,
};

use crate::Error;
use crate::dice::BloomArena;
use crate::error::ErrorKind;
use crate::model::{Comparison, ComparisonLevel};

/// Number of comparisons in the linkage model.
pub const COMPARISON_COUNT: usize = 6;

/// Names of the comparisons, in the order of [`crate::ScoredPair::levels`].
pub const COMPARISON_NAMES: [&str; COMPARISON_COUNT] = [
    "nir",
    "birth_date",
    "birth_name",
    "first_name",
    "sex",
    "departement",
];

/// Dice coefficient from which two names count as a near match.
pub const DICE_HIGH: f64 = 0.88;
/// Dice coefficient from which two names count as a distant match.
pub const DICE_LOW: f64 = 0.7;
/// Dice coefficient below which two first names count as unrelated.
pub const FIRST_NAME_DICE_FLOOR: f64 = 0.5;

pub(crate) const NIR: usize = 0;
pub(crate) const BIRTH_DATE: usize = 1;
pub(crate) const BIRTH_NAME: usize = 2;
pub(crate) const FIRST_NAME: usize = 3;
pub(crate) const SEX: usize = 4;
pub(crate) const DEPARTEMENT: usize = 5;

/// Level 0 of every comparison: a side is missing.
pub(crate) const NULL: u8 = 0;
/// Level 1 of every comparison: exact agreement.
pub(crate) const EXACT: u8 = 1;
pub(crate) const DATE_TRANSPOSED: u8 = 2;
pub(crate) const DATE_YEAR_OFF: u8 = 3;
pub(crate) const DATE_ONE_PART_OFF: u8 = 4;
pub(crate) const DATE_DIFFERENT: u8 = 5;
pub(crate) const NAME_DIFFERENT: u8 = 4;
pub(crate) const FIRST_NAME_UNRELATED: u8 = 5;
pub(crate) const BINARY_DIFFERENT: u8 = 2;

/// Comparison levels of one pair, in [`COMPARISON_NAMES`] order.
pub(crate) type Levels = [u8; COMPARISON_COUNT];

/// Builds the untrained comparisons: level names with starting m values
/// (educated guesses that EM replaces) and u = m until sampling sets it.
pub(crate) fn untrained_comparisons() -> Vec<Comparison> {
    let comparison = |name: &str, levels: &[(&str, f64)]| {
        let mut all = vec![ComparisonLevel::null("either side missing")];
        all.extend(
            levels
                .iter()
                .map(|&(label, m)| ComparisonLevel::new(label, m, m)),
        );
        Comparison {
            name: name.to_string(),
            levels: all,
        }
    };
    let name_levels = [
        ("exact pseudonym (birth or usage name)", 0.85),
        ("Dice >= 0.88", 0.07),
        ("Dice >= 0.7", 0.04),
        ("different", 0.04),
    ];
    vec![
        comparison("nir", &[("exact", 0.95), ("different", 0.05)]),
        comparison(
            "birth_date",
            &[
                ("exact", 0.92),
                ("day and month transposed", 0.02),
                ("year off by one", 0.01),
                ("one of year, month, day different", 0.03),
                ("different", 0.02),
            ],
        ),
        comparison("birth_name", &name_levels),
        comparison(
            "first_name",
            &[
                ("exact", 0.88),
                ("Dice >= 0.88", 0.05),
                ("Dice >= 0.7", 0.04),
                ("Dice >= 0.5", 0.02),
                ("Dice < 0.5", 0.01),
            ],
        ),
        comparison("sex", &[("equal", 0.98), ("different", 0.02)]),
        comparison("departement", &[("equal", 0.85), ("different", 0.15)]),
    ]
}

/// A source record reduced to interned pseudonym ids and Bloom-filter
/// indices, so that comparisons are integer tests.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub(crate) struct Encoded {
    pub nir: Option<u32>,
    /// The NIR, birth date and sex pseudonym.
    pub triplet: Option<u32>,
    pub sex: Option<u8>,
    pub date: Option<u32>,
    pub swapped: Option<u32>,
    /// The birth date one year later, in the domain of `date`.
    pub next_year: Option<u32>,
    pub year_month: Option<u32>,
    pub year_day: Option<u32>,
    pub month_day: Option<u32>,
    /// The names under the month salt and under the day salt.
    pub names: [EncodedNames; 2],
    pub departement: Option<u32>,
}

/// Interned name pseudonyms and filter indices of a record under one
/// salt ([`rnc_model::SaltedNames`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub(crate) struct EncodedNames {
    pub salt: Option<u32>,
    pub birth_name: Option<u32>,
    pub usage_name: Option<u32>,
    pub first_name: Option<u32>,
    pub birth_bloom: Option<u32>,
    pub usage_bloom: Option<u32>,
    pub first_bloom: Option<u32>,
}

impl Encoded {
    /// Surname pseudonyms under every salt, birth and usage names.
    pub fn surnames(&self) -> impl Iterator<Item = u32> + '_ {
        self.names.iter().flat_map(|names| {
            names.birth_name.into_iter().chain(names.usage_name)
        })
    }

    /// Tests whether the record has a first-name filter under some salt.
    pub fn has_first_name_bloom(&self) -> bool {
        self.names.iter().any(|names| names.first_bloom.is_some())
    }
}

/// Returns the pairs of name slots, one of each record, whose salts are
/// equal: the names that can be compared. Both slots lacking a salt
/// pseudonym count as equal, so names made without a salt (records built
/// by hand) still compare. A slot with no names yields nothing to compare.
pub(crate) fn shared_salts<'a>(
    a: &'a Encoded,
    b: &'a Encoded,
) -> impl Iterator<Item = (&'a EncodedNames, &'a EncodedNames)> {
    a.names.iter().flat_map(move |x| {
        b.names
            .iter()
            .filter(move |y| x.salt == y.salt)
            .map(move |y| (x, y))
    })
}

/// Interner of one hashing domain: equal values get equal ids.
///
/// It keeps the 128-bit XXH3 digest of each value, not the value, so that
/// records can be encoded one batch at a time and then dropped: a national
/// year interns about twenty million distinct pseudonyms. Two distinct
/// values share a digest with a probability near n²/2¹²⁹, below 10⁻²⁰ for
/// n = 10⁹ values, and the values are keyed hashes that no one can choose.
/// The map hashes the digests with foldhash, not SipHash, for the same
/// reason.
#[derive(Default)]
struct Interner {
    ids: HashMap<u128, u32, foldhash::fast::FixedState>,
}

impl Interner {
    fn id(&mut self, value: Option<&str>) -> Option<u32> {
        let value = value.filter(|v| !v.is_empty())?;
        let digest = twox_hash::XxHash3_128::oneshot(value.as_bytes());
        let next = u32::try_from(self.ids.len()).expect("ids fit in u32");
        Some(*self.ids.entry(digest).or_insert(next))
    }

    fn len(&self) -> usize {
        self.ids.len()
    }
}

/// Encoded records and the Bloom filters they point to.
#[derive(Debug)]
pub struct EncodedRecords {
    pub(crate) records: Vec<Encoded>,
    pub(crate) blooms: BloomArena,
}

impl EncodedRecords {
    /// Number of records.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Tests whether there is no record.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }
}

/// Encoder of source records into what linkage compares, one record at a
/// time. A caller can then read a large staged table batch by batch and
/// keep only each record's `record_id` and its encoding: about 200 bytes,
/// plus the distinct name filters.
///
/// [`RecordEncoder::finish`] puts the records in the order of their
/// `record_id` and numbers every pseudonym as [`crate::link`] would, so
/// the linkage does not depend on the order of [`RecordEncoder::push`].
///
/// The NIR pseudonym is kept only when the status is valid (or unset, as in
/// a default-constructed record), because a provisional or malformed NIR
/// carries no linkage weight.
#[derive(Default)]
pub struct RecordEncoder {
    record_ids: Vec<String>,
    records: Vec<Encoded>,
    blooms: Option<BloomArena>,
    /// Index of each distinct filter by a hash of its bytes, so that a
    /// filter that many records share is stored once.
    filter_index: HashMap<u64, u32, foldhash::fast::FixedState>,
    nirs: Interner,
    triplets: Interner,
    dates: Interner,
    date_parts: Interner,
    surnames: Interner,
    first_names: Interner,
    salts: Interner,
    departements: Interner,
}

impl RecordEncoder {
    /// Starts an empty encoder.
    pub fn new() -> RecordEncoder {
        RecordEncoder::default()
    }

    /// Starts an empty encoder with room for `records` records.
    pub fn with_capacity(records: usize) -> RecordEncoder {
        RecordEncoder {
            record_ids: Vec::with_capacity(records),
            records: Vec::with_capacity(records),
            ..RecordEncoder::default()
        }
    }

    /// Number of records pushed.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Tests whether no record was pushed.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Encodes one record.
    ///
    /// # Errors
    ///
    /// As [`RecordEncoder::push_fields`].
    pub fn push(&mut self, r: &SourceRecord) -> Result<(), Error> {
        self.push_fields(&r.linkage_fields())
    }

    /// Encodes the fields of one record that linkage reads, borrowed from
    /// a record or from a staged batch's columns.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::BloomLengthMismatch`] when one of its name filters
    /// differs in length from the first filter pushed, and
    /// [`ErrorKind::TooManyRecords`] beyond `u32::MAX` records.
    pub fn push_fields(&mut self, r: &LinkageFields<'_>) -> Result<(), Error> {
        if u32::try_from(self.records.len() + 1).is_err() {
            return Err(ErrorKind::TooManyRecords {
                records: self.records.len() + 1,
                max: u32::MAX as usize,
            }
            .into());
        }
        let mut names = [EncodedNames::default(); 2];
        for (slot, (salted, columns)) in names.iter_mut().zip([
            (&r.month_salted_names, SaltedNameColumns::MONTH),
            (&r.day_salted_names, SaltedNameColumns::DAY),
        ]) {
            *slot = EncodedNames {
                salt: self.salts.id(salted.salt_pseudonym),
                birth_name: self.surnames.id(salted.birth_name_pseudonym),
                usage_name: self.surnames.id(salted.usage_name_pseudonym),
                first_name: self.first_names.id(salted.first_name_pseudonym),
                birth_bloom: self.bloom(
                    r.record_id,
                    columns.birth_name_bloom,
                    salted.birth_name_bloom,
                )?,
                usage_bloom: self.bloom(
                    r.record_id,
                    columns.usage_name_bloom,
                    salted.usage_name_bloom,
                )?,
                first_bloom: self.bloom(
                    r.record_id,
                    columns.first_name_bloom,
                    salted.first_name_bloom,
                )?,
            };
        }
        let nir_counts = matches!(r.nir_status, Some(NirStatus::Valid) | None);
        self.records.push(Encoded {
            nir: self.nirs.id(r.nir_pseudonym.filter(|_| nir_counts)),
            triplet: self
                .triplets
                .id(r.nir_birth_date_sex_pseudonym.filter(|_| nir_counts)),
            sex: match r.sex {
                Some(Sex::Male) => Some(1),
                Some(Sex::Female) => Some(2),
                Some(Sex::Unknown) | None => None,
            },
            date: self.dates.id(r.birth_date_pseudonym),
            swapped: self.dates.id(r.birth_date_swapped_pseudonym),
            next_year: self.dates.id(r.birth_date_next_year_pseudonym),
            year_month: self.date_parts.id(r.birth_year_month_pseudonym),
            year_day: self.date_parts.id(r.birth_year_day_pseudonym),
            month_day: self.date_parts.id(r.birth_month_day_pseudonym),
            names,
            departement: self.departements.id(r.departement),
        });
        self.record_ids.push(r.record_id.to_string());
        Ok(())
    }

    /// Stores a name filter once and returns its index. The first filter
    /// pushed sets the length that every other must have.
    fn bloom(
        &mut self,
        record_id: &str,
        field: &'static str,
        value: Option<&[u8]>,
    ) -> Result<Option<u32>, Error> {
        let Some(bytes) = value.filter(|b| !b.is_empty()) else {
            return Ok(None);
        };
        let blooms = self
            .blooms
            .get_or_insert_with(|| BloomArena::new(bytes.len()));
        if bytes.len() != blooms.filter_bytes() {
            return Err(Error::from(ErrorKind::BloomLengthMismatch {
                record_id: record_id.to_string(),
                field,
                expected: blooms.filter_bytes(),
                found: bytes.len(),
            }));
        }
        let hash = foldhash::fast::FixedState::default().hash_one(bytes);
        if let Some(&index) = self.filter_index.get(&hash)
            && blooms.holds(index, bytes)
        {
            return Ok(Some(index));
        }
        let index = blooms.push(bytes);
        // A different filter of the same hash (never expected) is stored
        // again under its own index; the first keeps the hash.
        self.filter_index.entry(hash).or_insert(index);
        Ok(Some(index))
    }

    /// Returns the `record_id`s and the encoded records, both sorted by
    /// `record_id` (records of one id in the order pushed), with every
    /// pseudonym numbered in the order it first appears in that order.
    pub fn finish(self) -> (Vec<String>, EncodedRecords) {
        let RecordEncoder {
            mut record_ids,
            mut records,
            blooms,
            nirs,
            triplets,
            dates,
            date_parts,
            surnames,
            first_names,
            salts,
            departements,
            ..
        } = self;
        let mut order: Vec<usize> = (0..records.len()).collect();
        order.sort_by(|&a, &b| {
            record_ids[a].cmp(&record_ids[b]).then(a.cmp(&b))
        });
        permute_in_place(&mut order, |a, b| {
            record_ids.swap(a, b);
            records.swap(a, b);
        });
        let mut renumber = Renumbering {
            nirs: Remap::new(nirs.len()),
            triplets: Remap::new(triplets.len()),
            dates: Remap::new(dates.len()),
            date_parts: Remap::new(date_parts.len()),
            surnames: Remap::new(surnames.len()),
            first_names: Remap::new(first_names.len()),
            salts: Remap::new(salts.len()),
            departements: Remap::new(departements.len()),
        };
        for record in &mut records {
            renumber.apply(record);
        }
        (
            record_ids,
            EncodedRecords {
                records,
                blooms: blooms.unwrap_or_else(|| BloomArena::new(0)),
            },
        )
    }
}

/// New ids of one interner, given in the order values are first met.
struct Remap {
    new_of: Vec<u32>,
    next: u32,
}

impl Remap {
    fn new(len: usize) -> Remap {
        Remap {
            new_of: vec![u32::MAX; len],
            next: 0,
        }
    }

    fn apply(&mut self, id: &mut Option<u32>) {
        if let Some(id) = id {
            let new = &mut self.new_of[*id as usize];
            if *new == u32::MAX {
                *new = self.next;
                self.next += 1;
            }
            *id = *new;
        }
    }
}

/// Renumbers the pseudonyms of records in canonical order, visiting each
/// record's fields in the order [`RecordEncoder::push`] interns them, so
/// that the ids are those that pushing the records in that order gives.
struct Renumbering {
    nirs: Remap,
    triplets: Remap,
    dates: Remap,
    date_parts: Remap,
    surnames: Remap,
    first_names: Remap,
    salts: Remap,
    departements: Remap,
}

impl Renumbering {
    fn apply(&mut self, record: &mut Encoded) {
        for names in &mut record.names {
            self.salts.apply(&mut names.salt);
            self.surnames.apply(&mut names.birth_name);
            self.surnames.apply(&mut names.usage_name);
            self.first_names.apply(&mut names.first_name);
        }
        self.nirs.apply(&mut record.nir);
        self.triplets.apply(&mut record.triplet);
        self.dates.apply(&mut record.date);
        self.dates.apply(&mut record.swapped);
        self.dates.apply(&mut record.next_year);
        self.date_parts.apply(&mut record.year_month);
        self.date_parts.apply(&mut record.year_day);
        self.date_parts.apply(&mut record.month_day);
        self.departements.apply(&mut record.departement);
    }
}

/// Encodes records in the given order (see [`RecordEncoder`]).
///
/// # Errors
///
/// [`ErrorKind::BloomLengthMismatch`] when the name filters do not all
/// have the same length.
pub(crate) fn encode_records(
    records: &[SourceRecord],
    order: &[usize],
) -> Result<EncodedRecords, Error> {
    let mut encoder = RecordEncoder::with_capacity(order.len());
    for &index in order {
        encoder.push(&records[index])?;
    }
    Ok(EncodedRecords {
        records: encoder.records,
        blooms: encoder.blooms.unwrap_or_else(|| BloomArena::new(0)),
    })
}

/// Compares two records on every comparison. The result does not depend
/// on which record comes first.
pub(crate) fn compare(a: &Encoded, b: &Encoded, blooms: &BloomArena) -> Levels {
    let mut levels = [NULL; COMPARISON_COUNT];
    levels[NIR] = compare_nirs(a, b);
    levels[BIRTH_DATE] = compare_birth_dates(a, b);
    // Names are compared only under a salt the two records share; the
    // other encodings are unrelated values.
    let surnames = shared_salts(a, b).flat_map(|(x, y)| {
        [
            (x.birth_name, y.birth_name, x.birth_bloom, y.birth_bloom),
            (x.birth_name, y.usage_name, x.birth_bloom, y.usage_bloom),
            (x.usage_name, y.birth_name, x.usage_bloom, y.birth_bloom),
        ]
    });
    levels[BIRTH_NAME] =
        compare_names(surnames, blooms).map_or(NULL, |similarity| {
            match similarity {
                NameSimilarity::Exact => EXACT,
                NameSimilarity::Dice(d) if d >= DICE_HIGH => 2,
                NameSimilarity::Dice(d) if d >= DICE_LOW => 3,
                NameSimilarity::Dice(_) => NAME_DIFFERENT,
            }
        });
    let first_names = shared_salts(a, b).map(|(x, y)| {
        (x.first_name, y.first_name, x.first_bloom, y.first_bloom)
    });
    levels[FIRST_NAME] =
        compare_names(first_names, blooms).map_or(NULL, |similarity| {
            match similarity {
                NameSimilarity::Exact => EXACT,
                NameSimilarity::Dice(d) if d >= DICE_HIGH => 2,
                NameSimilarity::Dice(d) if d >= DICE_LOW => 3,
                NameSimilarity::Dice(d) if d >= FIRST_NAME_DICE_FLOOR => 4,
                NameSimilarity::Dice(_) => FIRST_NAME_UNRELATED,
            }
        });
    levels[SEX] = compare_exact(a.sex.map(u32::from), b.sex.map(u32::from));
    levels[DEPARTEMENT] = compare_exact(a.departement, b.departement);
    levels
}

/// Compares the NIRs. When both records carry the pseudonym of the NIR,
/// birth date and sex together, the NIRs agree only if it agrees too: a
/// source that gives the insured person's NIR (French hospital data)
/// gives a child the NIR of a parent, and the triplet distinguishes
/// them.
fn compare_nirs(a: &Encoded, b: &Encoded) -> u8 {
    let level = compare_exact(a.nir, b.nir);
    if level == EXACT
        && let (Some(x), Some(y)) = (a.triplet, b.triplet)
        && x != y
    {
        return BINARY_DIFFERENT;
    }
    level
}

fn compare_exact(a: Option<u32>, b: Option<u32>) -> u8 {
    match (a, b) {
        (Some(x), Some(y)) if x == y => EXACT,
        (Some(_), Some(_)) => BINARY_DIFFERENT,
        _ => NULL,
    }
}

/// Birth dates are compared only when both are complete, because a
/// partial date has no complete-date pseudonym to test. The levels are
/// those of the model files' date comparison: exact, day and month
/// transposed, year off by one (one date's next-year pseudonym is the
/// other's date), one part different, different.
pub(crate) fn compare_birth_dates(a: &Encoded, b: &Encoded) -> u8 {
    let (Some(date_a), Some(date_b)) = (a.date, b.date) else {
        return NULL;
    };
    if date_a == date_b {
        return EXACT;
    }
    if Some(date_a) == b.swapped || a.swapped == Some(date_b) {
        return DATE_TRANSPOSED;
    }
    if Some(date_a) == b.next_year || a.next_year == Some(date_b) {
        return DATE_YEAR_OFF;
    }
    // Two dates that differ in one part agree with that part masked.
    let same = |x: Option<u32>, y: Option<u32>| x.is_some() && x == y;
    if same(a.year_month, b.year_month)
        || same(a.year_day, b.year_day)
        || same(a.month_day, b.month_day)
    {
        DATE_ONE_PART_OFF
    } else {
        DATE_DIFFERENT
    }
}

/// Tests whether the two records have first-name filters under a shared
/// salt, and under every such salt different pseudonyms and a Dice below
/// [`FIRST_NAME_DICE_FLOOR`]. Records that share no salt are never
/// unrelated by this test, because their names cannot be compared.
pub(crate) fn first_names_unrelated(
    a: &Encoded,
    b: &Encoded,
    blooms: &BloomArena,
) -> bool {
    let mut compared = false;
    for (x, y) in shared_salts(a, b) {
        if let (Some(p), Some(q)) = (x.first_bloom, y.first_bloom) {
            if x.first_name == y.first_name
                || blooms.dice(p, q) >= FIRST_NAME_DICE_FLOOR
            {
                return false;
            }
            compared = true;
        }
    }
    compared
}

/// Tests whether the two records have equal first-name pseudonyms under
/// a shared salt.
pub(crate) fn same_first_name(a: &Encoded, b: &Encoded) -> bool {
    shared_salts(a, b)
        .any(|(x, y)| x.first_name.is_some() && x.first_name == y.first_name)
}

/// Pseudonym ids and filter indices of two names: (pseudonym of a,
/// pseudonym of b, filter of a, filter of b).
type NamePair = (Option<u32>, Option<u32>, Option<u32>, Option<u32>);

/// Similarity of two names.
enum NameSimilarity {
    Exact,
    /// Best Dice coefficient, or -1 when only pseudonyms were available.
    Dice(f64),
}

/// Compares names given as (pseudonym, pseudonym, filter, filter) pairs:
/// exact when any pseudonym pair is equal, else the best Dice over the
/// filter pairs, `None` when no pair has both sides.
fn compare_names(
    candidates: impl IntoIterator<Item = NamePair>,
    blooms: &BloomArena,
) -> Option<NameSimilarity> {
    let mut comparable = false;
    let mut best_dice: f64 = -1.0;
    for (name_a, name_b, bloom_a, bloom_b) in candidates {
        if let (Some(x), Some(y)) = (name_a, name_b) {
            if x == y {
                return Some(NameSimilarity::Exact);
            }
            comparable = true;
        }
        if let (Some(x), Some(y)) = (bloom_a, bloom_b) {
            comparable = true;
            best_dice = best_dice.max(blooms.dice(x, y));
        }
    }
    comparable.then_some(NameSimilarity::Dice(best_dice))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: &str) -> SourceRecord {
        SourceRecord {
            record_id: id.to_string(),
            ..Default::default()
        }
    }

    fn text(v: &str) -> Option<String> {
        Some(v.to_string())
    }

    fn encode_pair(a: SourceRecord, b: SourceRecord) -> Levels {
        let records = [a, b];
        let encoded = encode_records(&records, &[0, 1]).unwrap();
        let forward =
            compare(&encoded.records[0], &encoded.records[1], &encoded.blooms);
        let backward =
            compare(&encoded.records[1], &encoded.records[0], &encoded.blooms);
        assert_eq!(forward, backward, "comparison must be symmetric");
        forward
    }

    /// Sets the date pseudonyms as `Pseudonymiser::apply` lays them out,
    /// with the clear text standing for each keyed value.
    fn set_date(record: &mut SourceRecord, year: u32, month: u32, day: u32) {
        record.birth_date_pseudonym =
            text(&format!("{year:04}-{month:02}-{day:02}"));
        record.birth_date_swapped_pseudonym = (day <= 12 && day != month)
            .then(|| format!("{year:04}-{day:02}-{month:02}"));
        record.birth_date_next_year_pseudonym =
            text(&format!("{:04}-{month:02}-{day:02}", year + 1));
        record.birth_year_month_pseudonym =
            text(&format!("{year:04}-{month:02}-**"));
        record.birth_year_day_pseudonym =
            text(&format!("{year:04}-**-{day:02}"));
        record.birth_month_day_pseudonym =
            text(&format!("****-{month:02}-{day:02}"));
    }

    // Levels follow the definitions in the module documentation.
    #[test]
    fn birth_date_levels() {
        let mut a = record("a");
        set_date(&mut a, 1970, 3, 4);
        let mut transposed = record("b");
        set_date(&mut transposed, 1970, 4, 3);
        assert_eq!(encode_pair(a.clone(), transposed)[BIRTH_DATE], 2);
        for year in [1969, 1971] {
            let mut other = record("y");
            set_date(&mut other, year, 3, 4);
            assert_eq!(
                encode_pair(a.clone(), other)[BIRTH_DATE],
                DATE_YEAR_OFF,
                "year {year}"
            );
        }
        let cases = [
            ((1972, 3, 4), "year off by two"),
            ((1970, 5, 4), "month off"),
            ((1970, 3, 14), "day off"),
        ];
        for ((year, month, day), case) in cases {
            let mut other = record("o");
            set_date(&mut other, year, month, day);
            assert_eq!(
                encode_pair(a.clone(), other)[BIRTH_DATE],
                DATE_ONE_PART_OFF,
                "{case}"
            );
        }
        let mut other = record("c");
        set_date(&mut other, 1980, 12, 25);
        assert_eq!(encode_pair(a.clone(), other)[BIRTH_DATE], DATE_DIFFERENT);
        let mut two_off = record("e");
        set_date(&mut two_off, 1971, 3, 5);
        assert_eq!(encode_pair(a.clone(), two_off)[BIRTH_DATE], DATE_DIFFERENT);
        assert_eq!(encode_pair(a.clone(), a.clone())[BIRTH_DATE], 1);
        assert_eq!(encode_pair(a, record("d"))[BIRTH_DATE], NULL);
    }

    #[test]
    fn triplet_separates_parent_and_child() {
        // Same insured NIR, other birth date: a parent and a child.
        let mut parent = record("a");
        parent.nir_pseudonym = text("n:1");
        parent.nir_birth_date_sex_pseudonym = text("t:1");
        let mut child = record("b");
        child.nir_pseudonym = text("n:1");
        child.nir_birth_date_sex_pseudonym = text("t:2");
        assert_eq!(encode_pair(parent.clone(), child)[NIR], BINARY_DIFFERENT);
        let mut own = record("c");
        own.nir_pseudonym = text("n:1");
        assert_eq!(encode_pair(parent.clone(), own)[NIR], EXACT);
        let mut same = record("d");
        same.nir_pseudonym = text("n:1");
        same.nir_birth_date_sex_pseudonym = text("t:1");
        assert_eq!(encode_pair(parent, same)[NIR], EXACT);
    }

    #[test]
    fn married_name_cross_match_is_exact() {
        let mut a = record("a");
        a.month_salted_names.birth_name_pseudonym = text("n:DUPONT");
        a.month_salted_names.usage_name_pseudonym = text("n:MARTIN");
        let mut b = record("b");
        b.month_salted_names.birth_name_pseudonym = text("n:MARTIN");
        assert_eq!(encode_pair(a, b)[BIRTH_NAME], EXACT);
    }

    /// Stores `first` and `surname` under the salts of a birth date, as
    /// `Pseudonymiser::apply` does: `YYYY|MM` and `YYYY|DD`, with the
    /// clear text standing for each keyed value.
    fn set_salted_names(
        record: &mut SourceRecord,
        (year, month, day): (u32, u32, u32),
        first: &str,
        surname: &str,
    ) {
        for (names, part) in [
            (&mut record.month_salted_names, month),
            (&mut record.day_salted_names, day),
        ] {
            let salt = format!("{year:04}|{part:02}");
            names.salt_pseudonym = text(&salt);
            names.first_name_pseudonym = text(&format!("{salt}:{first}"));
            names.birth_name_pseudonym = text(&format!("{salt}:{surname}"));
        }
    }

    #[test]
    fn names_compare_under_shared_salt() {
        let mut a = record("a");
        set_salted_names(&mut a, (1961, 4, 5), "ANNE", "DURAND");
        let cases = [
            ((1961, 4, 5), "same date"),
            ((1961, 4, 9), "other day, month salt shared"),
            ((1961, 7, 5), "other month, day salt shared"),
            ((1961, 5, 4), "transposed, month salt of one is day salt"),
        ];
        for (date, case) in cases {
            let mut b = record("b");
            set_salted_names(&mut b, date, "ANNE", "DURAND");
            let levels = encode_pair(a.clone(), b);
            assert_eq!(levels[FIRST_NAME], EXACT, "{case}, first name");
            assert_eq!(levels[BIRTH_NAME], EXACT, "{case}, surname");
        }
        let mut other_name = record("c");
        set_salted_names(&mut other_name, (1961, 4, 9), "ANNIE", "DURAND");
        assert_eq!(
            encode_pair(a.clone(), other_name)[FIRST_NAME],
            FIRST_NAME_UNRELATED,
            "a pseudonym alone, under a shared salt, is a different name"
        );
        let unshared = [
            ((1962, 4, 5), "year off by one"),
            ((1961, 7, 9), "day and month both different"),
        ];
        for (date, case) in unshared {
            let mut b = record("b");
            set_salted_names(&mut b, date, "ANNE", "DURAND");
            let levels = encode_pair(a.clone(), b);
            assert_eq!(levels[FIRST_NAME], NULL, "{case}, first name");
            assert_eq!(levels[BIRTH_NAME], NULL, "{case}, surname");
        }
    }

    #[test]
    fn unrelated_first_names_need_shared_salt() {
        // Two 16-bit filters with no bit in common: Dice 0.
        let mut a = record("a");
        set_salted_names(&mut a, (1961, 4, 5), "ANNE", "DURAND");
        a.month_salted_names.first_name_bloom = Some(vec![0xff, 0x00]);
        let mut b = record("b");
        set_salted_names(&mut b, (1961, 4, 9), "PAUL", "DURAND");
        b.month_salted_names.first_name_bloom = Some(vec![0x00, 0xff]);
        let encoded = encode_records(&[a.clone(), b], &[0, 1]).unwrap();
        let [x, y] = &encoded.records[..] else {
            unreachable!("two records encoded")
        };
        assert!(first_names_unrelated(x, y, &encoded.blooms));

        let mut far = record("c");
        set_salted_names(&mut far, (1962, 4, 5), "PAUL", "DURAND");
        far.month_salted_names.first_name_bloom = Some(vec![0x00, 0xff]);
        let encoded = encode_records(&[a, far], &[0, 1]).unwrap();
        let [x, y] = &encoded.records[..] else {
            unreachable!("two records encoded")
        };
        assert!(!first_names_unrelated(x, y, &encoded.blooms));
    }

    #[test]
    fn name_dice_bands() {
        let mut a = record("a");
        a.month_salted_names.first_name_pseudonym = text("f:1");
        a.month_salted_names.first_name_bloom =
            Some(vec![0xff, 0xff, 0x00, 0x00]);
        let mut b = record("b");
        b.month_salted_names.first_name_pseudonym = text("f:2");
        let mut with_bloom = |bloom: Option<Vec<u8>>| {
            b.month_salted_names.first_name_bloom = bloom;
            encode_pair(a.clone(), b.clone())[FIRST_NAME]
        };
        // 14 of 16 bits shared, B has 14: 28 / 30 = 0.933.
        assert_eq!(with_bloom(Some(vec![0xff, 0x3f, 0x00, 0x00])), 2);
        // 12 shared of 16 and 12: 24 / 28 = 0.857.
        assert_eq!(with_bloom(Some(vec![0xff, 0x0f, 0x00, 0x00])), 3);
        // 8 shared of 16 and 16: 16 / 32 = 0.5.
        assert_eq!(with_bloom(Some(vec![0xff, 0x00, 0xff, 0x00])), 4);
        // 4 shared of 16 and 16: 8 / 32 = 0.25.
        assert_eq!(with_bloom(Some(vec![0x0f, 0x00, 0xff, 0xf0])), 5);
        assert_eq!(with_bloom(None), 5);
    }

    #[test]
    fn invalid_nir_status_is_null() {
        let mut a = record("a");
        a.nir_status = Some(NirStatus::Invalid);
        a.nir_pseudonym = text("x");
        let mut b = record("b");
        b.nir_status = Some(NirStatus::Valid);
        b.nir_pseudonym = text("x");
        assert_eq!(encode_pair(a, b)[NIR], NULL);
    }

    #[test]
    fn equal_filters_are_stored_once() {
        let mut a = record("a");
        a.month_salted_names.first_name_bloom = Some(vec![0xf0, 0x0f]);
        a.day_salted_names.first_name_bloom = Some(vec![0x0f, 0xf0]);
        let mut b = record("b");
        b.month_salted_names.first_name_bloom = Some(vec![0xf0, 0x0f]);
        let mut encoder = RecordEncoder::new();
        encoder.push(&a).unwrap();
        encoder.push(&b).unwrap();
        let (_, encoded) = encoder.finish();
        let [x, y] = &encoded.records[..] else {
            unreachable!("two records encoded")
        };
        assert_eq!(x.names[0].first_bloom, y.names[0].first_bloom);
        assert_ne!(x.names[0].first_bloom, x.names[1].first_bloom);
        assert_eq!(encoded.blooms.dice(0, 1), 0.0);
        assert_eq!(
            x.names[1].first_bloom.map(|f| encoded.blooms.filter(f)),
            Some(&[0xf00f_u64][..])
        );
    }

    #[test]
    fn finish_sorts_records_and_numbers_as_in_order() {
        let mut records = Vec::new();
        for (id, nir, date, surname) in [
            ("c", "n3", "d1", "s2"),
            ("a", "n1", "d2", "s1"),
            ("b", "n3", "d2", "s3"),
            ("a", "n2", "d3", "s1"),
        ] {
            let mut r = record(id);
            r.nir_pseudonym = text(nir);
            r.birth_date_pseudonym = text(date);
            r.month_salted_names.birth_name_pseudonym = text(surname);
            r.departement = text("75");
            records.push(r);
        }
        let mut encoder = RecordEncoder::new();
        for r in &records {
            encoder.push(r).unwrap();
        }
        let (ids, encoded) = encoder.finish();
        assert_eq!(ids, ["a", "a", "b", "c"]);
        // Records of one id keep the order they were pushed in.
        let canonical = [1, 3, 2, 0];
        let expected = encode_records(&records, &canonical).unwrap();
        assert_eq!(encoded.records, expected.records);
        assert_eq!(encoded.records[0].nir, Some(0));
        assert_eq!(encoded.records[3].nir, encoded.records[2].nir);
    }

    #[test]
    fn bloom_length_mismatch_is_rejected() {
        let mut a = record("a");
        a.month_salted_names.first_name_bloom = Some(vec![1; 128]);
        let mut b = record("b");
        b.day_salted_names.first_name_bloom = Some(vec![1; 64]);
        let error = encode_records(&[a, b], &[0, 1]).unwrap_err();
        assert!(matches!(
            error.kind(),
            ErrorKind::BloomLengthMismatch {
                expected: 128,
                found: 64,
                ..
            }
        ));
    }
}
