//! u probabilities of a file linkage: the share of each level among
//! record pairs with both values present. The share is counted exactly
//! where the value counts decide the level, and sampled where a string or
//! swap comparison must be computed pair by pair.
//!
//! NOTE: every method counts the few true matches among the pairs. Like
//! Splink we ignore them, which overstates u of the agreeing levels by
//! roughly λ.

use std::collections::HashMap;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use tracing::{info, warn};

use crate::field_compare::{FieldComparator, LEVEL_EXACT, LevelCache};
use crate::file_link::{LinkMode, Prepared};
use crate::model::{FellegiSunterModel, clamp_probability};
use crate::records::MISSING;
use crate::spec::{ComparisonKind, ModelSpec};

/// Samples per random-number stream: each chunk has its own ChaCha8
/// stream, so the sample does not depend on the number of threads.
pub(crate) const SAMPLES_PER_STREAM: u64 = 1 << 16;

/// Method that gave the u of one comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Method {
    /// From the number of records holding each value: an exact
    /// comparison agrees exactly when the values are equal.
    ValueCounts,
    /// From the number of records holding each (year, month, day), and
    /// each pair of the three: the date levels follow from which fields
    /// two dates share.
    DateFields,
    /// Every pair of distinct values compared once and weighted by the
    /// records holding them, when there are no more such pairs than the
    /// sample size.
    AllValuePairs,
    /// Every pair of records with a value, when there are no more than
    /// the sample size.
    AllRecordPairs,
    /// Random pairs of records with a value.
    Sampled,
}

/// Level counts of one comparison over the pairs it was estimated on.
struct LevelCounts {
    method: Method,
    /// Pairs (or weighted pairs) per level; the null level stays 0.
    counts: Vec<f64>,
    /// Pairs drawn, for [`Method::Sampled`].
    sampled: u64,
}

/// Records per side holding a value: side 0 only when deduplicating,
/// sides 0 and 1 (the two files) when linking two files.
#[derive(Clone, Copy, Default)]
struct SideCounts([f64; 2]);

impl SideCounts {
    fn add(&mut self, other: SideCounts) {
        self.0[0] += other.0[0];
        self.0[1] += other.0[1];
    }
}

/// Pair counting over groups of records with one mode's pair rule.
#[derive(Clone, Copy)]
struct PairRule(LinkMode);

impl PairRule {
    /// Pairs of two records of one group.
    fn within(self, group: SideCounts) -> f64 {
        let [a, b] = group.0;
        match self.0 {
            LinkMode::Dedupe => a * (a - 1.0) / 2.0,
            LinkMode::LinkOnly => a * b,
        }
    }

    /// Pairs of a record of one group and a record of another.
    fn between(self, x: SideCounts, y: SideCounts) -> f64 {
        match self.0 {
            LinkMode::Dedupe => x.0[0] * y.0[0],
            LinkMode::LinkOnly => x.0[0] * y.0[1] + y.0[0] * x.0[1],
        }
    }
}

/// Estimates u of every comparison (see the module documentation) and
/// logs the method and, for a sample, the standard error.
pub(crate) fn estimate_u(
    prepared: &Prepared,
    model: &mut FellegiSunterModel,
    spec: &ModelSpec,
) {
    let wanted = spec.settings.u_sample_pairs;
    let estimates: Vec<LevelCounts> = prepared
        .comparators
        .iter()
        .enumerate()
        .map(|(c, comparator)| {
            let levels = model.comparisons[c].levels.len();
            count_levels(prepared, c, comparator, levels, wanted, spec)
        })
        .collect();
    for (comparison, estimate) in model.comparisons.iter_mut().zip(estimates) {
        // Pairs with different salts are in the null level, which
        // carries no evidence and has no u.
        let observed: f64 = comparison
            .levels
            .iter()
            .zip(&estimate.counts)
            .filter(|(level, _)| !level.is_null)
            .map(|(_, count)| count)
            .sum();
        if observed == 0.0 {
            warn!(
                comparison = %comparison.name,
                "no pair of records has both values of this comparison; \
                 its u probabilities keep their starting values"
            );
            continue;
        }
        let mut largest_error = 0.0f64;
        for (level, &count) in
            comparison.levels.iter_mut().zip(&estimate.counts)
        {
            if level.is_null {
                continue;
            }
            let share = count / observed;
            level.u = clamp_probability(share);
            if estimate.method == Method::Sampled {
                let error = (share * (1.0 - share) / observed).sqrt();
                largest_error = largest_error.max(error);
            }
        }
        info!(
            comparison = %comparison.name,
            method = ?estimate.method,
            pairs = observed,
            sampled_pairs = estimate.sampled,
            largest_standard_error = largest_error,
            "u probabilities estimated"
        );
    }
}

fn count_levels(
    prepared: &Prepared,
    c: usize,
    comparator: &FieldComparator,
    levels: usize,
    wanted: u64,
    spec: &ModelSpec,
) -> LevelCounts {
    let rule = PairRule(prepared.mode);
    let per_code = side_counts_per_code(prepared, c);
    let mut present = SideCounts::default();
    for &count in &per_code {
        present.add(count);
    }
    let record_pairs = rule.within(present);
    let distinct = per_code.len() as f64;
    let value_pairs = distinct * (distinct - 1.0) / 2.0;
    // With a swap or salt column the level depends on a second value of
    // each record, so the value counts of one column do not decide it.
    let second = comparator.second_column.is_some();
    let mut counts = vec![0.0; levels];
    let method = match comparator.spec.kind {
        ComparisonKind::Exact if !second => {
            count_equal_values(
                &per_code,
                rule,
                record_pairs,
                comparator,
                &mut counts,
            );
            Method::ValueCounts
        }
        ComparisonKind::Date if !second => {
            count_date_levels(
                &per_code,
                rule,
                record_pairs,
                comparator,
                &mut counts,
            );
            Method::DateFields
        }
        _ if !second && value_pairs <= wanted as f64 => {
            count_value_pairs(&per_code, rule, comparator, &mut counts);
            Method::AllValuePairs
        }
        _ if record_pairs <= wanted as f64 => {
            let sides = present_codes(prepared, c);
            count_record_pairs(&sides, prepared.mode, comparator, &mut counts);
            Method::AllRecordPairs
        }
        _ => {
            let sides = present_codes(prepared, c);
            let seed = (spec.settings.seed, c as u64);
            sample_record_pairs(
                &sides,
                prepared.mode,
                comparator,
                wanted,
                seed,
                &mut counts,
            );
            return LevelCounts {
                method: Method::Sampled,
                counts,
                sampled: wanted,
            };
        }
    };
    LevelCounts {
        method,
        counts,
        sampled: 0,
    }
}

/// Records holding each code of comparison `c`'s own column, per side.
fn side_counts_per_code(prepared: &Prepared, c: usize) -> Vec<SideCounts> {
    let width = prepared.comparators.len();
    let column = prepared.comparators[c].column;
    let mut per_code = vec![SideCounts::default(); column.values.len()];
    for (canonical, row) in prepared.codes.chunks(width).enumerate() {
        let code = row[c][0];
        if code != MISSING {
            per_code[code as usize].0[prepared.side_of(canonical)] += 1.0;
        }
    }
    per_code
}

/// Codes ([`FieldComparator::codes_of`]) of the records with a value of
/// comparison `c`, per side.
fn present_codes(prepared: &Prepared, c: usize) -> [Vec<[u32; 2]>; 2] {
    let width = prepared.comparators.len();
    let mut sides = [Vec::new(), Vec::new()];
    for (canonical, row) in prepared.codes.chunks(width).enumerate() {
        if row[c][0] != MISSING {
            sides[prepared.side_of(canonical)].push(row[c]);
        }
    }
    sides
}

fn count_equal_values(
    per_code: &[SideCounts],
    rule: PairRule,
    record_pairs: f64,
    comparator: &FieldComparator,
    counts: &mut [f64],
) {
    let equal: f64 = per_code.iter().map(|&n| rule.within(n)).sum();
    counts[usize::from(LEVEL_EXACT)] = equal;
    counts[usize::from(comparator.different_level())] = record_pairs - equal;
}

/// Date levels from the fields two dates share. Exact dates share all
/// three fields; "transposed" pairs share only the year; "year off by
/// one" and "one field different" pairs share exactly two. A value that
/// does not follow the layout equals only itself.
fn count_date_levels(
    per_code: &[SideCounts],
    rule: PairRule,
    record_pairs: f64,
    comparator: &FieldComparator,
    counts: &mut [f64],
) {
    let mut dates: HashMap<[u32; 3], SideCounts> = HashMap::new();
    let mut unparsed_equal = 0.0;
    for (code, &n) in per_code.iter().enumerate() {
        match comparator.date_fields_of(code as u32) {
            Some(fields) => dates.entry(fields).or_default().add(n),
            None => unparsed_equal += rule.within(n),
        }
    }
    let group_pairs = |key: fn([u32; 3]) -> [u32; 3]| {
        let mut groups: HashMap<[u32; 3], SideCounts> = HashMap::new();
        for (&fields, &n) in &dates {
            groups.entry(key(fields)).or_default().add(n);
        }
        groups.values().map(|&n| rule.within(n)).sum::<f64>()
    };
    let exact: f64 = dates.values().map(|&n| rule.within(n)).sum();
    let mut transposed = 0.0;
    let mut year_off = 0.0;
    for (&[year, month, day], &n) in &dates {
        if month < day
            && let Some(&other) = dates.get(&[year, day, month])
        {
            transposed += rule.between(n, other);
        }
        if let Some(&other) = dates.get(&[year + 1, month, day]) {
            year_off += rule.between(n, other);
        }
    }
    let share_two = group_pairs(|[y, m, _]| [y, m, 0])
        + group_pairs(|[y, _, d]| [y, 0, d])
        + group_pairs(|[_, m, d]| [0, m, d])
        - 3.0 * exact;
    let equal = exact + unparsed_equal;
    let one_field = share_two - year_off;
    counts[usize::from(LEVEL_EXACT)] = equal;
    counts[2] = transposed;
    counts[3] = year_off;
    counts[4] = one_field;
    counts[5] = record_pairs - equal - transposed - year_off - one_field;
}

/// Levels of every pair of distinct values, each weighted by the record
/// pairs holding it. Only for comparisons without a swap or salt column,
/// whose level depends on the two values alone.
fn count_value_pairs(
    per_code: &[SideCounts],
    rule: PairRule,
    comparator: &FieldComparator,
    counts: &mut [f64],
) {
    let levels = counts.len();
    let totals = (0..per_code.len())
        .into_par_iter()
        .fold(
            || vec![0.0; levels],
            |mut totals, i| {
                // Equal values agree exactly, except an unreadable Bloom
                // filter, which is missing even against itself.
                let equal = comparator
                    .level_of_codes([i as u32, MISSING], [i as u32, MISSING]);
                totals[usize::from(equal)] += rule.within(per_code[i]);
                for j in i + 1..per_code.len() {
                    let level = comparator.level_of_codes(
                        [i as u32, MISSING],
                        [j as u32, MISSING],
                    );
                    totals[usize::from(level)] +=
                        rule.between(per_code[i], per_code[j]);
                }
                totals
            },
        )
        .reduce(|| vec![0.0; levels], add_counts);
    counts.copy_from_slice(&totals);
}

fn count_record_pairs(
    sides: &[Vec<[u32; 2]>; 2],
    mode: LinkMode,
    comparator: &FieldComparator,
    counts: &mut [f64],
) {
    let levels = counts.len();
    let (left, right) = (&sides[0], &sides[1]);
    let totals = (0..left.len())
        .into_par_iter()
        .fold(
            || vec![0.0; levels],
            |mut totals, i| {
                let others = match mode {
                    LinkMode::Dedupe => &left[i + 1..],
                    LinkMode::LinkOnly => &right[..],
                };
                for &other in others {
                    let level = comparator.level_for_u(left[i], other);
                    totals[usize::from(level)] += 1.0;
                }
                totals
            },
        )
        .reduce(|| vec![0.0; levels], add_counts);
    counts.copy_from_slice(&totals);
}

/// Draws `wanted` pairs of records with a value at random, with
/// replacement: two different records of side 0 when deduplicating, one
/// record of each side when linking two files.
fn sample_record_pairs(
    sides: &[Vec<[u32; 2]>; 2],
    mode: LinkMode,
    comparator: &FieldComparator,
    wanted: u64,
    (seed, comparison): (u64, u64),
    counts: &mut [f64],
) {
    let levels = counts.len();
    let (left, right) = (&sides[0], &sides[1]);
    let streams = wanted.div_ceil(SAMPLES_PER_STREAM);
    let totals = (0..streams)
        .into_par_iter()
        .map(|stream| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            // Streams of different comparisons never overlap: a
            // comparison has fewer than 2^40 streams.
            rng.set_stream((comparison << 40) | stream);
            let size = SAMPLES_PER_STREAM
                .min(wanted - stream * SAMPLES_PER_STREAM)
                as usize;
            let mut totals = vec![0u64; levels];
            let mut cache = LevelCache::new();
            for _ in 0..size {
                let (a, b) = match mode {
                    LinkMode::Dedupe => {
                        let i = rng.random_range(0..left.len());
                        let mut j = rng.random_range(0..left.len() - 1);
                        if j >= i {
                            j += 1;
                        }
                        (left[i], left[j])
                    }
                    LinkMode::LinkOnly => (
                        left[rng.random_range(0..left.len())],
                        right[rng.random_range(0..right.len())],
                    ),
                };
                let level = comparator.level_for_u_cached(a, b, &mut cache);
                totals[usize::from(level)] += 1;
            }
            totals
        })
        .reduce(
            || vec![0; levels],
            |mut a, b| {
                for (x, y) in a.iter_mut().zip(b) {
                    *x += y;
                }
                a
            },
        );
    for (count, total) in counts.iter_mut().zip(totals) {
        *count = total as f64;
    }
}

fn add_counts(mut a: Vec<f64>, b: Vec<f64>) -> Vec<f64> {
    for (x, y) in a.iter_mut().zip(b) {
        *x += y;
    }
    a
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::file_link::prepare;
    use crate::records::RecordTable;

    const MODEL: &str = r#"
[[comparison]]
column = "sex"
kind = "exact"

[[comparison]]
column = "dob"
kind = "date"

[[comparison]]
column = "surname"
kind = "jaro_winkler"
thresholds = [0.92, 0.7]

[[comparison]]
column = "first_name"
kind = "jaro_winkler"
thresholds = [0.9]
swap_column = "surname"

[[comparison]]
column = "surname"
name = "salted_surname"
kind = "jaro_winkler"
thresholds = [0.9]
salt_column = "sex"

[blocking]
rules = [["sex"]]
"#;

    // Dates chosen so that every date level occurs: transposed day and
    // month (03-04 / 04-03), a year off by one, one field off, an
    // unparseable value repeated (equal to itself only) and a missing
    // value.
    const ROWS: [[&str; 4]; 12] = [
        ["F", "1970-03-04", "MARTIN", "ANNE"],
        ["F", "1970-04-03", "MARTIN", "ANNA"],
        ["M", "1971-03-04", "MARTINE", "PAUL"],
        ["M", "1970-03-14", "DUBOIS", "MARTIN"],
        ["F", "1970-03-04", "DUBOSI", "ANNE"],
        ["", "1969-03-04", "LEROY", "JEAN"],
        ["M", "garbage", "", "JEAN"],
        ["F", "garbage", "LEROY", ""],
        ["M", "", "MARTIN", "ANNE"],
        ["F", "1980-12-25", "MARTIN", "ANNE"],
        ["M", "1980-12-25", "PETIT", "LEROY"],
        ["F", "1970-04-03", "PETITE", "ANNE"],
    ];

    fn table(spec: &ModelSpec, sources: &[u8]) -> RecordTable {
        let header = ["sex", "dob", "surname", "first_name"];
        let mut table = RecordTable::new(spec);
        for (i, row) in ROWS.iter().enumerate() {
            let id = format!("r{i:02}");
            table
                .push(&id, sources[i], |column| {
                    header.iter().position(|h| *h == column).map(|p| row[p])
                })
                .unwrap();
        }
        table
    }

    /// Level counts of every comparison from its own method (with a
    /// sample size large enough that nothing is sampled) and from the
    /// level of every pair of records with the value.
    fn methods_and_enumeration(
        mode: LinkMode,
    ) -> Vec<(Method, Vec<f64>, Vec<f64>)> {
        let spec = ModelSpec::from_toml(MODEL).unwrap();
        let sources: Vec<u8> = match mode {
            LinkMode::Dedupe => vec![0; ROWS.len()],
            LinkMode::LinkOnly => {
                (0..ROWS.len()).map(|i| (i % 2) as u8).collect()
            }
        };
        let table = table(&spec, &sources);
        let prepared = prepare(&table, &spec, mode).unwrap();
        prepared
            .comparators
            .iter()
            .enumerate()
            .map(|(c, comparator)| {
                let levels = spec.comparisons[c].levels_count();
                let estimate = count_levels(
                    &prepared, c, comparator, levels, 1_000, &spec,
                );
                let mut enumerated = vec![0.0; levels];
                let sides = present_codes(&prepared, c);
                count_record_pairs(&sides, mode, comparator, &mut enumerated);
                (estimate.method, estimate.counts, enumerated)
            })
            .collect()
    }

    #[test]
    fn closed_forms_equal_every_pair_when_deduplicating() {
        let results = methods_and_enumeration(LinkMode::Dedupe);
        let methods: Vec<Method> = results.iter().map(|r| r.0).collect();
        assert_eq!(
            methods,
            [
                Method::ValueCounts,
                Method::DateFields,
                Method::AllValuePairs,
                Method::AllRecordPairs,
                Method::AllRecordPairs
            ]
        );
        for (method, counts, enumerated) in results {
            assert_eq!(counts, enumerated, "{method:?}");
        }
    }

    #[test]
    fn closed_forms_equal_every_pair_across_two_files() {
        for (method, counts, enumerated) in
            methods_and_enumeration(LinkMode::LinkOnly)
        {
            assert_eq!(counts, enumerated, "{method:?}");
        }
    }

    // The dates by hand, 11 records with a date and so 55 pairs. Exact:
    // the two 1970-03-04, the two 1970-04-03, the two 1980-12-25 and the
    // two "garbage" (4 pairs). Transposed: each 1970-03-04 with each
    // 1970-04-03 (4). Year off by one: 1971-03-04 and 1969-03-04 with each
    // 1970-03-04 (4). One field different: 1970-03-14 with each 1970-03-04
    // (the day), and 1971-03-04 with 1969-03-04, two years apart (3). The
    // other 40 pairs differ.
    #[test]
    fn date_levels_counted_by_hand() {
        let results = methods_and_enumeration(LinkMode::Dedupe);
        let (_, counts, _) = &results[1];
        assert_eq!(counts, &[0.0, 4.0, 4.0, 4.0, 3.0, 40.0]);
    }

    // Five Bloom filters, two of them the unreadable "NA", so 10 pairs.
    // By hand: ff00 with ff00 exact (1 pair); ff00 with 00ff different
    // (2); every pair with an NA missing (7), the NA pair included.
    #[test]
    fn unreadable_filters_counted_as_missing() {
        let spec = ModelSpec::from_toml(
            "[[comparison]]\ncolumn = \"filter\"\nkind = \"dice\"\n\
             thresholds = [0.9]\n\n[blocking]\nrules = [[\"filter\"]]\n",
        )
        .unwrap();
        let mut table = RecordTable::new(&spec);
        for (i, filter) in
            ["ff00", "ff00", "00ff", "NA", "NA"].iter().enumerate()
        {
            table.push(&format!("r{i}"), 0, |_| Some(*filter)).unwrap();
        }
        let prepared = prepare(&table, &spec, LinkMode::Dedupe).unwrap();
        let comparator = &prepared.comparators[0];

        let estimate = count_levels(&prepared, 0, comparator, 4, 1_000, &spec);

        assert_eq!(estimate.method, Method::AllValuePairs);
        assert_eq!(estimate.counts, [7.0, 1.0, 0.0, 2.0]);
    }

    #[test]
    fn sample_is_close_to_every_pair() {
        let spec = ModelSpec::from_toml(MODEL).unwrap();
        let table = table(&spec, &[0; ROWS.len()]);
        let prepared = prepare(&table, &spec, LinkMode::Dedupe).unwrap();
        let comparator = &prepared.comparators[3];
        let sides = present_codes(&prepared, 3);
        let levels = spec.comparisons[3].levels_count();
        let mut sampled = vec![0.0; levels];
        let wanted = 200_000;
        sample_record_pairs(
            &sides,
            LinkMode::Dedupe,
            comparator,
            wanted,
            (5, 3),
            &mut sampled,
        );
        let mut every = vec![0.0; levels];
        count_record_pairs(&sides, LinkMode::Dedupe, comparator, &mut every);
        let pairs: f64 = every.iter().sum();
        for (level, (&s, &e)) in sampled.iter().zip(&every).enumerate() {
            let (share, truth) = (s / wanted as f64, e / pairs);
            // Five binomial standard errors of the sampled share.
            let tolerance =
                5.0 * (truth * (1.0 - truth) / wanted as f64).sqrt();
            assert!(
                (share - truth).abs() <= tolerance.max(1e-12),
                "level {level}: sampled {share}, every pair {truth}"
            );
        }
    }
}
