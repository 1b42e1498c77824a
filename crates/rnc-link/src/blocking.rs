//! Blocking: which record pairs are compared at all.
//!
//! Candidate pairs are the union of the pairs that share a key under any
//! rule. A record missing a field of a rule has no key under it, so
//! missing values never put records together. Rules that take a surname
//! use both the birth and the usage name (same hashing domain). Rules that
//! join a name to the birth date use both the date and its day-month
//! transposed form. A married name or a transposed date therefore still
//! meets the true pair in some block, and a typo in one name is covered
//! by the rules that do not use that name. The rule on birth date, sex and
//! département takes the date as written.

use rayon::prelude::*;
use tracing::{info, warn};

use crate::RuleEstimate;
use crate::compare::Encoded;

/// Blocks with more records than this are skipped (with a `warn` event),
/// because a block of n records costs n(n−1)/2 comparisons. 5 000 records
/// means 12.5 million pairs, far more than any true person has records.
pub const MAX_BLOCK_SIZE: usize = 5_000;

/// A blocking rule: its name and the keys a record has under it.
pub(crate) struct BlockingRule {
    name: &'static str,
    keys: fn(&Encoded, &mut Vec<u64>),
}

/// Slot of [`Encoded::names`] with the names under the month salt (birth
/// year and month). The other slot has them under the day salt.
const MONTH_SALT: usize = 0;

fn join(a: u32, b: u32) -> u64 {
    (u64::from(a) << 32) | u64::from(b)
}

/// Packs a sex code and a département id into one 32-bit key part. Ids
/// beyond 2^24 (more distinct départements than any country has) share
/// parts, which only adds candidate pairs and never removes one.
fn sex_and_departement(sex: u8, departement: u32) -> u32 {
    (departement << 8) | u32::from(sex)
}

fn surnames(r: &Encoded) -> impl Iterator<Item = u32> + '_ {
    r.surnames()
}

fn first_names(r: &Encoded) -> impl Iterator<Item = u32> + '_ {
    r.names.iter().filter_map(|names| names.first_name)
}

fn dates(r: &Encoded) -> impl Iterator<Item = u32> {
    r.date.into_iter().chain(r.swapped)
}

pub(crate) const RULES: [BlockingRule; 6] = [
    BlockingRule {
        name: "nir",
        keys: |r, keys| keys.extend(r.nir.map(u64::from)),
    },
    // This rule finds the pairs whose two names both differ: a typo in
    // each, or a usage name against a birth name the other record lacks.
    // Birth date and sex alone would put an estimated 80 persons in each
    // block of a national year, and the pairs grow with the square of the
    // years kept. So the département of residence narrows the block, and a
    // person who moved and has both names wrong is left to the NIR.
    BlockingRule {
        name: "birth_date+sex+departement",
        keys: |r, keys| {
            if let (Some(date), Some(sex), Some(departement)) =
                (r.date, r.sex, r.departement)
            {
                keys.push(join(date, sex_and_departement(sex, departement)));
            }
        },
    },
    BlockingRule {
        name: "surname+first_name",
        // Under each salt apart: a surname and first name encoded under
        // two salts never meet, so the cross keys would be wasted.
        keys: |r, keys| {
            for names in &r.names {
                if let Some(first) = names.first_name {
                    let surnames = names.birth_name.into_iter();
                    let surnames = surnames.chain(names.usage_name);
                    keys.extend(surnames.map(|s| join(s, first)));
                }
            }
        },
    },
    // A date with one part wrong still shares one masked form, so this
    // rule finds the pairs whose first name and birth date both differ.
    // A surname under the month salt already encodes the birth year and
    // month, and one under the day salt the year and day. Joined to
    // another part, either encodes the complete date, whose pairs the
    // surname+birth_date rule finds, so each takes only the part of its
    // own salt. A national year gave 214 million comparisons under this
    // rule when every salted surname took all three parts.
    BlockingRule {
        name: "surname+birth_date_parts",
        keys: |r, keys| {
            for (slot, names) in r.names.iter().enumerate() {
                let parts = match (names.salt, slot) {
                    (None, _) => [r.year_month, r.year_day, r.month_day],
                    (Some(_), MONTH_SALT) => [r.year_month, None, None],
                    (Some(_), _) => [r.year_day, None, None],
                };
                let surnames = names.birth_name.into_iter();
                for surname in surnames.chain(names.usage_name) {
                    keys.extend(
                        parts.into_iter().flatten().map(|p| join(surname, p)),
                    );
                }
            }
        },
    },
    BlockingRule {
        name: "first_name+birth_date",
        keys: |r, keys| {
            for first in first_names(r) {
                keys.extend(dates(r).map(|d| join(first, d)));
            }
        },
    },
    BlockingRule {
        name: "surname+birth_date",
        keys: |r, keys| {
            for surname in surnames(r) {
                keys.extend(dates(r).map(|d| join(surname, d)));
            }
        },
    },
];

/// Names of the blocking rules, in the order they are applied.
pub fn blocking_rule_names() -> Vec<&'static str> {
    RULES.iter().map(|rule| rule.name).collect()
}

/// Candidate pairs and the size of the work.
pub(crate) struct Blocking {
    /// Distinct pairs `(left, right)` with `left <= right`, sorted. A pair
    /// `(p, p)` is the pair within a profile of several records.
    pub pairs: Vec<(u32, u32)>,
    /// Σ n(n−1)/2 over the kept blocks of every rule, in records, before
    /// removing pairs found by several rules.
    pub estimated_pairs: u64,
}

/// Blocks encoded profiles under every rule; `sizes` holds the records
/// of each profile. Block sizes count records, so a block is kept or
/// skipped as it would be if every record were blocked on its own. With
/// `old_sizes`, the records of each profile that an earlier run linked,
/// pairs of profiles made only of such records are left out, because the
/// earlier run scored them, and the count leaves out their record pairs.
pub(crate) fn block(
    profiles: &[Encoded],
    sizes: &[u32],
    old_sizes: Option<&[u32]>,
) -> Blocking {
    let records = ProfileRecords { sizes, old_sizes };
    let per_rule: Vec<RulePairs> = RULES
        .par_iter()
        .map(|rule| block_one_rule(rule, profiles, &records))
        .collect();
    let estimated_pairs = per_rule.iter().map(|(_, n)| n).sum();
    info!(
        estimated_pairs,
        rules = RULES.len(),
        "blocking estimated the number of comparisons"
    );
    // Reserved at the exact size and shrunk after removing the pairs that
    // several rules found: the vector lives through the whole linkage,
    // and on a national year a grown one held twice its pairs.
    let found: usize = per_rule
        .iter()
        .flat_map(|(blocks, _)| blocks)
        .map(Vec::len)
        .sum();
    let mut pairs: Vec<(u32, u32)> = Vec::with_capacity(found);
    for block in per_rule.into_iter().flat_map(|(blocks, _)| blocks) {
        pairs.extend(block);
    }
    pairs.par_sort_unstable();
    pairs.dedup();
    pairs.shrink_to_fit();
    Blocking {
        pairs,
        estimated_pairs,
    }
}

/// Pairs of each kept block of one rule, and Σ n(n−1)/2 over those blocks.
type RulePairs = (Vec<Vec<(u32, u32)>>, u64);

/// Records of each blocked entry (a profile, or a record on its own), and
/// how many of them an earlier run linked.
struct ProfileRecords<'a> {
    sizes: &'a [u32],
    old_sizes: Option<&'a [u32]>,
}

impl ProfileRecords<'_> {
    fn size(&self, index: u32) -> u64 {
        u64::from(self.sizes[index as usize])
    }

    fn old_size(&self, index: u32) -> u64 {
        self.old_sizes
            .map_or(0, |old| u64::from(old[index as usize]))
    }

    /// Tests whether an earlier run linked every record of the entry.
    fn is_old(&self, index: u32) -> bool {
        self.old_sizes.is_some() && self.old_size(index) == self.size(index)
    }
}

/// Counts, per rule, the pairs of its kept blocks that hold at least one
/// new record (every pair without `is_new`), without comparing them.
pub(crate) fn estimate_pairs(
    records: &[Encoded],
    is_new: Option<&[bool]>,
) -> Vec<RuleEstimate> {
    let sizes = vec![1; records.len()];
    let old_sizes: Option<Vec<u32>> = is_new
        .map(|is_new| is_new.iter().map(|&new| u32::from(!new)).collect());
    let counts = ProfileRecords {
        sizes: &sizes,
        old_sizes: old_sizes.as_deref(),
    };
    RULES
        .par_iter()
        .map(|rule| {
            let entries = rule_entries(rule, records);
            let pairs = kept_blocks(rule, &entries, &counts)
                .iter()
                .map(|block| block_pairs(block, &counts))
                .sum();
            let mut keyed: Vec<u32> =
                entries.iter().map(|&(_, index)| index).collect();
            keyed.sort_unstable();
            keyed.dedup();
            RuleEstimate {
                rule: rule.name.to_string(),
                pairs,
                records_without_key: (records.len() - keyed.len()) as u64,
            }
        })
        .collect()
}

/// (key, record) of every key each record has under `rule`, sorted.
pub(crate) fn rule_entries(
    rule: &BlockingRule,
    records: &[Encoded],
) -> Vec<(u64, u32)> {
    let mut entries: Vec<(u64, u32)> = Vec::with_capacity(records.len());
    let mut keys = Vec::new();
    for (index, record) in records.iter().enumerate() {
        keys.clear();
        (rule.keys)(record, &mut keys);
        let index = u32::try_from(index).expect("record count checked by link");
        entries.extend(keys.iter().map(|&key| (key, index)));
    }
    entries.sort_unstable();
    entries.dedup();
    entries
}

/// Blocks of two or more records up to [`MAX_BLOCK_SIZE`], with a `warn`
/// event for the larger blocks left out.
fn kept_blocks<'a>(
    rule: &BlockingRule,
    entries: &'a [(u64, u32)],
    counts: &ProfileRecords,
) -> Vec<&'a [(u64, u32)]> {
    let records = |block: &[(u64, u32)]| -> u64 {
        block.iter().map(|&(_, index)| counts.size(index)).sum()
    };
    let mut blocks: Vec<&[(u64, u32)]> = entries
        .chunk_by(|a, b| a.0 == b.0)
        .filter(|block| records(block) > 1)
        .collect();
    let oversized: Vec<u64> = blocks
        .iter()
        .map(|block| records(block))
        .filter(|&n| n > MAX_BLOCK_SIZE as u64)
        .collect();
    if let Some(&largest) = oversized.iter().max() {
        warn!(
            rule = rule.name,
            skipped_blocks = oversized.len(),
            largest_block = largest,
            max_block_size = MAX_BLOCK_SIZE,
            "blocks larger than the maximum block size were skipped"
        );
    }
    blocks.retain(|block| records(block) <= MAX_BLOCK_SIZE as u64);
    blocks
}

/// Record pairs of one block that hold at least one new record: all
/// n(n−1)/2 less those among the earlier records.
fn block_pairs(block: &[(u64, u32)], counts: &ProfileRecords) -> u64 {
    let n: u64 = block.iter().map(|&(_, index)| counts.size(index)).sum();
    let old: u64 = block.iter().map(|&(_, index)| counts.old_size(index)).sum();
    n * (n - 1) / 2 - old * old.saturating_sub(1) / 2
}

fn block_one_rule(
    rule: &BlockingRule,
    profiles: &[Encoded],
    counts: &ProfileRecords,
) -> RulePairs {
    let entries = rule_entries(rule, profiles);
    let blocks = kept_blocks(rule, &entries, counts);
    let estimated: u64 =
        blocks.iter().map(|block| block_pairs(block, counts)).sum();

    let pairs = blocks
        .par_iter()
        .map(|block| {
            let mut pairs =
                Vec::with_capacity(block.len() * (block.len() + 1) / 2);
            for (i, &(_, left)) in block.iter().enumerate() {
                if counts.size(left) > 1 && !counts.is_old(left) {
                    pairs.push((left, left));
                }
                for &(_, right) in &block[i + 1..] {
                    if counts.is_old(left) && counts.is_old(right) {
                        continue;
                    }
                    pairs.push((left.min(right), left.max(right)));
                }
            }
            pairs
        })
        .collect();
    (pairs, estimated)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::EncodedNames;

    /// Name slots with the given ids under one salt and none under the
    /// other.
    fn names(
        birth_name: Option<u32>,
        usage_name: Option<u32>,
        first_name: Option<u32>,
    ) -> [EncodedNames; 2] {
        let salted = EncodedNames {
            birth_name,
            usage_name,
            first_name,
            ..EncodedNames::default()
        };
        [salted, EncodedNames::default()]
    }

    #[test]
    fn missing_keys_never_block() {
        let records = vec![Encoded::default(), Encoded::default()];
        let blocking = block(&records, &[1, 1], None);
        assert!(blocking.pairs.is_empty());
        assert_eq!(blocking.estimated_pairs, 0);
    }

    #[test]
    fn transposed_date_meets_through_surname() {
        let a = Encoded {
            names: names(Some(1), None, None),
            date: Some(10),
            swapped: Some(11),
            ..Default::default()
        };
        let b = Encoded {
            names: names(Some(1), None, None),
            date: Some(11),
            swapped: Some(10),
            ..Default::default()
        };
        let blocking = block(&[a, b], &[1, 1], None);
        assert_eq!(blocking.pairs, vec![(0, 1)]);
        // Keys (1, 10) and (1, 11) each hold both records.
        assert_eq!(blocking.estimated_pairs, 2);
    }

    // A profile counts as its records: its own pairs are the candidate
    // (p, p), and a block is kept or skipped on its records.
    #[test]
    fn profile_sizes_count_in_blocks() {
        let record = Encoded {
            nir: Some(1),
            ..Default::default()
        };
        let pair = [record.clone(), record.clone()];
        let blocking = block(&pair, &[3, 1], None);
        assert_eq!(blocking.pairs, vec![(0, 0), (0, 1)]);
        // Four records under one NIR key: 4 × 3 / 2 pairs.
        assert_eq!(blocking.estimated_pairs, 6);
        let oversized = MAX_BLOCK_SIZE as u32 + 1;
        let skipped = block(&[record], &[oversized], None);
        assert!(skipped.pairs.is_empty());
        assert_eq!(skipped.estimated_pairs, 0);
    }

    #[test]
    fn married_name_meets_through_usage_name() {
        let a = Encoded {
            names: names(Some(1), Some(2), Some(5)),
            ..Default::default()
        };
        let b = Encoded {
            names: names(Some(2), None, Some(5)),
            ..Default::default()
        };
        let c = Encoded {
            names: names(Some(3), None, Some(5)),
            ..Default::default()
        };
        let blocking = block(&[a, b, c], &[1, 1, 1], None);
        assert_eq!(blocking.pairs, vec![(0, 1)]);
    }

    // A salted surname takes the date part of its own salt only: the
    // other parts would repeat the complete date, which the
    // surname+birth_date rule blocks on. An unsalted one takes all three.
    #[test]
    fn salted_surname_takes_its_salt_part() {
        let record = |salt: Option<u32>, month_day: u32| {
            let mut names = names(Some(1), None, None);
            names[0].salt = salt;
            Encoded {
                names,
                year_month: Some(20),
                year_day: Some(30),
                month_day: Some(month_day),
                ..Default::default()
            }
        };

        // Month salt: only the year-month key; the two records differ in
        // the day, so the other parts do not join them.
        let salted = [record(Some(5), 40), record(Some(5), 41)];
        let blocking = block(&salted, &[1, 1], None);
        assert_eq!(blocking.pairs, vec![(0, 1)]);
        assert_eq!(blocking.estimated_pairs, 1);

        // No salt: year-month and year-day both join them.
        let unsalted = [record(None, 40), record(None, 41)];
        let blocking = block(&unsalted, &[1, 1], None);
        assert_eq!(blocking.pairs, vec![(0, 1)]);
        assert_eq!(blocking.estimated_pairs, 2);
    }

    // Records whose names all differ meet on birth date and sex only in
    // the same département, and never when the département is missing.
    #[test]
    fn birth_date_and_sex_block_within_a_departement() {
        let record = |first: u32, departement: Option<u32>| Encoded {
            names: names(Some(first + 100), None, Some(first)),
            date: Some(7),
            sex: Some(2),
            departement,
            ..Default::default()
        };
        let records = [
            record(1, Some(59)),
            record(2, Some(59)),
            record(3, Some(75)),
            record(4, None),
        ];

        let blocking = block(&records, &[1, 1, 1, 1], None);

        assert_eq!(blocking.pairs, vec![(0, 1)]);
        assert_eq!(blocking.estimated_pairs, 1);
    }
}
