//! Blocking of a file linkage: the blocks of each rule, and a parallel
//! walk over their pairs that never holds the candidate pairs in memory.

use rayon::prelude::*;
use tracing::{info, warn};

use crate::file_link::{LinkMode, Prepared, RuleEstimate};
use crate::records::MISSING;

/// Blocks of one rule: canonical indices grouped by key.
pub(crate) struct RuleBlocks {
    entries: Vec<(u64, u32)>,
    /// Ranges of `entries` holding one kept block each.
    blocks: Vec<(usize, usize)>,
    pub(crate) estimate: RuleEstimate,
}

/// splitmix64 finaliser, to spread a key of several column codes over 64
/// bits. Two different keys of three or more columns share a hash with
/// probability about 2^-64 per pair of keys. Such a collision only adds a
/// candidate pair, which is then scored like any other.
fn mix(mut x: u64) -> u64 {
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

pub(crate) fn blocks_of(
    prepared: &Prepared,
    rule: &[String],
    max_block: usize,
) -> RuleBlocks {
    let table = prepared.table;
    let columns: Vec<usize> =
        rule.iter().map(|c| table.column_index(c)).collect();
    let mut entries = Vec::with_capacity(prepared.order.len());
    let mut without_key = 0u64;
    for (canonical, &row) in prepared.order.iter().enumerate() {
        let codes: Vec<u32> = columns
            .iter()
            .map(|&c| table.columns[c].codes[row])
            .collect();
        if codes.contains(&MISSING) {
            without_key += 1;
            continue;
        }
        let key = match codes.as_slice() {
            [one] => u64::from(*one),
            [a, b] => (u64::from(*a) << 32) | u64::from(*b),
            many => many.iter().fold(0u64, |h, &code| mix(h ^ u64::from(code))),
        };
        entries.push((key, canonical as u32));
    }
    entries.par_sort_unstable();
    let mut blocks = Vec::new();
    let mut pairs = 0u64;
    let mut skipped = 0usize;
    let mut start = 0;
    while start < entries.len() {
        let key = entries[start].0;
        let mut end = start + 1;
        while end < entries.len() && entries[end].0 == key {
            end += 1;
        }
        let size = end - start;
        if size > max_block {
            skipped += 1;
        } else if size > 1 {
            let block_pairs = match prepared.mode {
                LinkMode::Dedupe => (size as u64) * (size as u64 - 1) / 2,
                LinkMode::LinkOnly => {
                    let first = entries[start..end]
                        .iter()
                        .filter(|(_, i)| (*i as usize) < prepared.first_source)
                        .count() as u64;
                    first * (size as u64 - first)
                }
            };
            if block_pairs > 0 {
                pairs += block_pairs;
                blocks.push((start, end));
            }
        }
        start = end;
    }
    let name = rule.join("+");
    if skipped > 0 {
        warn!(
            rule = %name,
            skipped_blocks = skipped,
            max_block_size = max_block,
            "blocks larger than the maximum block size were skipped"
        );
    }
    RuleBlocks {
        entries,
        blocks,
        estimate: RuleEstimate {
            rule: name,
            pairs,
            records_without_key: without_key,
        },
    }
}

/// Key of a record that has no pair under a rule: a column is missing
/// or its block was skipped as too large. Real keys never take this
/// value: one- and two-column keys hold codes below [`MISSING`], and a
/// hashed key of three or more columns equals it with probability 2^-64.
const NO_KEY: u64 = u64::MAX;

/// Key of each canonical record under the kept blocks of one rule, or
/// [`NO_KEY`], so that a later rule can tell whether this one already
/// gave a pair.
fn kept_keys(prepared: &Prepared, blocks: &RuleBlocks) -> Vec<u64> {
    let mut keys = vec![NO_KEY; prepared.order.len()];
    for &(start, end) in &blocks.blocks {
        for &(key, canonical) in &blocks.entries[start..end] {
            keys[canonical as usize] = key;
        }
    }
    keys
}

/// Work items per thread. More items balance the threads better when a
/// few large blocks hold many pairs; each item costs one accumulator.
const TASKS_PER_THREAD: usize = 16;

/// The blocks of several rules, walked as one set of distinct pairs or
/// rule by rule.
pub(crate) struct CandidateBlocks {
    rules: Vec<RuleBlocks>,
    /// [`kept_keys`] of each rule, used to skip a pair that an earlier
    /// rule gave.
    keys: Vec<Vec<u64>>,
}

impl CandidateBlocks {
    /// Builds the blocks of every rule.
    pub(crate) fn new(
        prepared: &Prepared,
        rules: &[Vec<String>],
        max_block: usize,
    ) -> CandidateBlocks {
        let mut blocks = Vec::with_capacity(rules.len());
        let mut keys = Vec::with_capacity(rules.len());
        for rule in rules {
            let rule_blocks = blocks_of(prepared, rule, max_block);
            info!(
                rule = %rule_blocks.estimate.rule,
                pairs = rule_blocks.estimate.pairs,
                records_without_key = rule_blocks.estimate.records_without_key,
                "blocking rule"
            );
            keys.push(kept_keys(prepared, &rule_blocks));
            blocks.push(rule_blocks);
        }
        CandidateBlocks {
            rules: blocks,
            keys,
        }
    }

    /// Candidate pairs of each rule before pairs of earlier rules are
    /// removed.
    pub(crate) fn estimates(&self) -> Vec<RuleEstimate> {
        self.rules.iter().map(|r| r.estimate.clone()).collect()
    }

    /// Calls `visit(accumulator, left, right, row_left, row_right)` once
    /// for every distinct pair of the union of the rules, `left < right`
    /// in canonical indices, with the two records' code rows
    /// ([`Prepared::codes_row`]). The pairs are split into work items that
    /// run in parallel, each with its own accumulator from `init`. Which
    /// pairs one accumulator sees depends on the number of threads, so
    /// callers must combine the accumulators in a way that does not
    /// depend on their order (sums, or a sort).
    pub(crate) fn fold_distinct_pairs<A, I, F>(
        &self,
        prepared: &Prepared,
        init: I,
        visit: F,
    ) -> Vec<A>
    where
        A: Send,
        I: Fn() -> A + Sync,
        F: Fn(&mut A, u32, u32, &[[u32; 2]], &[[u32; 2]]) + Sync,
    {
        let tasks: Vec<(usize, &[(usize, usize)])> = self
            .rules
            .iter()
            .enumerate()
            .flat_map(|(r, rule)| {
                split_blocks(rule).into_iter().map(move |chunk| (r, chunk))
            })
            .collect();
        tasks
            .par_iter()
            .map(|&(r, chunk)| {
                let mut accumulator = init();
                let rule = &self.rules[r];
                let earlier = &self.keys[..r];
                walk_blocks(
                    prepared,
                    rule,
                    chunk,
                    earlier,
                    &mut accumulator,
                    &visit,
                );
                accumulator
            })
            .collect()
    }
}

/// Calls `visit` on every pair of one rule's blocks, pairs given by
/// other rules included, as [`CandidateBlocks::fold_distinct_pairs`]
/// does for a union of rules.
pub(crate) fn fold_rule_pairs<A, I, F>(
    prepared: &Prepared,
    rule: &RuleBlocks,
    init: I,
    visit: F,
) -> Vec<A>
where
    A: Send,
    I: Fn() -> A + Sync,
    F: Fn(&mut A, u32, u32, &[[u32; 2]], &[[u32; 2]]) + Sync,
{
    split_blocks(rule)
        .par_iter()
        .map(|chunk| {
            let mut accumulator = init();
            walk_blocks(prepared, rule, chunk, &[], &mut accumulator, &visit);
            accumulator
        })
        .collect()
}

/// Splits a rule's blocks into consecutive runs of about equal numbers
/// of pairs, so that one block of many records does not leave the other
/// threads idle for long.
fn split_blocks(rule: &RuleBlocks) -> Vec<&[(usize, usize)]> {
    let tasks = rayon::current_num_threads() * TASKS_PER_THREAD;
    let target = rule.estimate.pairs.div_ceil(tasks as u64).max(1);
    let mut chunks = Vec::with_capacity(tasks + 1);
    let mut start = 0;
    let mut pairs = 0u64;
    for (i, &(first, end)) in rule.blocks.iter().enumerate() {
        let size = (end - first) as u64;
        pairs += size * (size - 1) / 2;
        if pairs >= target {
            chunks.push(&rule.blocks[start..=i]);
            start = i + 1;
            pairs = 0;
        }
    }
    if start < rule.blocks.len() {
        chunks.push(&rule.blocks[start..]);
    }
    chunks
}

/// Visits the pairs of some blocks of one rule, skipping pairs within
/// one source when linking two files and pairs that share a key of an
/// `earlier` rule.
///
/// The code rows and earlier keys of a block's records are first copied
/// together, so that its k(k-1)/2 pairs read k scattered records from
/// memory instead of k(k-1).
fn walk_blocks<A, F>(
    prepared: &Prepared,
    rule: &RuleBlocks,
    blocks: &[(usize, usize)],
    earlier: &[Vec<u64>],
    accumulator: &mut A,
    visit: &F,
) where
    F: Fn(&mut A, u32, u32, &[[u32; 2]], &[[u32; 2]]),
{
    let first_source = prepared.first_source as u32;
    let cross = prepared.mode == LinkMode::LinkOnly;
    let width = prepared.comparators.len();
    let rules = earlier.len();
    let mut rows: Vec<[u32; 2]> = Vec::new();
    let mut keys: Vec<u64> = Vec::new();
    for &(start, end) in blocks {
        let block = &rule.entries[start..end];
        rows.clear();
        keys.clear();
        for &(_, record) in block {
            rows.extend_from_slice(prepared.codes_row(record));
            keys.extend(earlier.iter().map(|k| k[record as usize]));
        }
        // Entries are sorted by (key, canonical index), so a < b.
        for (i, &(_, a)) in block.iter().enumerate() {
            let row_a = &rows[i * width..(i + 1) * width];
            let keys_a = &keys[i * rules..(i + 1) * rules];
            for (j, &(_, b)) in block.iter().enumerate().skip(i + 1) {
                if cross && ((a < first_source) == (b < first_source)) {
                    continue;
                }
                let keys_b = &keys[j * rules..(j + 1) * rules];
                let found_before = keys_a
                    .iter()
                    .zip(keys_b)
                    .any(|(&x, &y)| x != NO_KEY && x == y);
                if found_before {
                    continue;
                }
                let row_b = &rows[j * width..(j + 1) * width];
                visit(accumulator, a, b, row_a, row_b);
            }
        }
    }
}
