//! Linkage of any CSV under a model file: blocking on the file's rules,
//! field comparisons, u by random sampling, m by EM sessions, λ, scoring
//! with term-frequency adjustment, and connected components.
//!
//! Records are processed in the order of (source, record id), so the
//! result does not depend on the order of the rows.

use std::collections::HashMap;
use std::time::Instant;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use tracing::{info, info_span, warn};

use crate::Error;
use crate::cluster::UnionFind;
use crate::em::{EmSettings, SessionAverage, posterior, train_em};
use crate::error::ErrorKind;
use crate::field_compare::{FieldComparator, LEVEL_EXACT, LevelCache};
use crate::file_cluster::{CannotLink, cluster_linked_pairs};
use crate::model::{
    Comparison, ComparisonLevel, FellegiSunterModel, MIN_PROBABILITY,
    TrainingSession, clamp_probability, probability_from_weight,
};
use crate::records::{MISSING, RecordTable};
use crate::spec::ModelSpec;

/// The record pairs that may be compared: all of them, or only pairs
/// across two files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LinkMode {
    /// Every pair of records (one file).
    Dedupe,
    /// Only pairs of a source-0 and a source-1 record (two files).
    LinkOnly,
}

/// A model file together with the parameters trained under it, saved as
/// JSON so that new data can be scored without retraining.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainedModel {
    /// The model file the parameters belong to.
    pub spec: ModelSpec,
    /// The trained parameters.
    pub model: FellegiSunterModel,
}

impl TrainedModel {
    /// Serialises the model to pretty-printed JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self)
            .expect("a model holds only strings, numbers and lists")
    }

    /// Reads a model written by [`TrainedModel::to_json`].
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidModel`] when the JSON is malformed, the
    /// parameters are out of range or do not fit the model file's
    /// comparisons.
    pub fn from_json(json: &str) -> Result<TrainedModel, Error> {
        let trained: TrainedModel =
            serde_json::from_str(json).map_err(|e| {
                ErrorKind::InvalidModel {
                    reason: e.to_string(),
                }
            })?;
        trained.spec.validate()?;
        let model = FellegiSunterModel::from_json(&trained.model.to_json())?;
        check_fits(&trained.spec, &model)?;
        Ok(trained)
    }
}

/// Checks that a model has the comparisons and levels of a model file.
fn check_fits(
    spec: &ModelSpec,
    model: &FellegiSunterModel,
) -> Result<(), Error> {
    let fits = spec.comparisons.len() == model.comparisons.len()
        && spec
            .comparisons
            .iter()
            .zip(&model.comparisons)
            .all(|(s, c)| {
                s.comparison_name() == c.name
                    && s.levels_count() == c.levels.len()
            });
    if fits {
        Ok(())
    } else {
        Err(ErrorKind::InvalidModel {
            reason: "the trained comparisons or their levels differ from the \
                     model file's (train again with this model file)"
                .to_string(),
        }
        .into())
    }
}

/// Scored candidate pairs, column by column, sorted by (`left`, `right`).
#[derive(Debug, Clone, Default)]
pub struct ScoredPairs {
    /// Table row of the first record of each pair.
    pub left: Vec<u32>,
    /// Table row of the second record.
    pub right: Vec<u32>,
    /// log2 posterior odds of a match, term-frequency adjustments included.
    pub match_weight: Vec<f64>,
    /// Posterior match probability.
    pub match_probability: Vec<f64>,
    /// Comparison levels, `comparisons` values per pair.
    pub levels: Vec<u8>,
    /// Number of comparisons.
    pub comparisons: usize,
}

impl ScoredPairs {
    /// Number of pairs.
    pub fn len(&self) -> usize {
        self.left.len()
    }

    /// Whether there is no pair.
    pub fn is_empty(&self) -> bool {
        self.left.is_empty()
    }

    /// Comparison levels of pair `i`.
    pub fn levels_of(&self, i: usize) -> &[u8] {
        &self.levels[i * self.comparisons..(i + 1) * self.comparisons]
    }
}

/// Candidate pairs of one blocking rule, before pairs found by earlier
/// rules are removed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleEstimate {
    /// The rule's columns joined with `+`.
    pub rule: String,
    /// Σ over the rule's blocks of the pairs in the block.
    pub pairs: u64,
    /// Records without a value in one of the rule's columns; they get no
    /// pair from this rule.
    pub records_without_key: u64,
}

/// Counts of a run of [`link_table`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileLinkSummary {
    /// Input records.
    pub records: u64,
    /// Candidate pairs per blocking rule.
    pub rules: Vec<RuleEstimate>,
    /// Distinct candidate pairs scored.
    pub candidate_pairs: u64,
    /// Pairs at or above the threshold.
    pub linked_pairs: u64,
    /// Linked pairs left out of the clusters because they would join two
    /// records that `clustering.cannot_link` keeps apart.
    pub cannot_link_skipped_pairs: u64,
    /// Clusters, singletons included.
    pub clusters: u64,
    /// Comparisons whose column has no value in the input: every pair is
    /// in their null level, so they carry no evidence in this run.
    pub disabled_comparisons: Vec<String>,
    /// Whether the parameters came from a saved model instead of training.
    pub reused_model: bool,
}

/// Result of [`link_table`].
#[derive(Debug, Clone)]
pub struct FileLinkage {
    /// Cluster of each table row, numbered from 0 in the order of the
    /// smallest (source, record id) they contain.
    pub cluster_of: Vec<u32>,
    /// The scored candidate pairs.
    pub pairs: ScoredPairs,
    /// The model that scored them.
    pub model: FellegiSunterModel,
    /// Counts.
    pub summary: FileLinkSummary,
}

/// Records in canonical order with their comparators.
struct Prepared<'a> {
    table: &'a RecordTable,
    /// Table row of each canonical index.
    order: Vec<usize>,
    /// Records of source 0 come first; this many of them.
    first_source: usize,
    comparators: Vec<FieldComparator<'a>>,
    /// Codes of each comparison ([`FieldComparator::codes_of`]), one row
    /// of `comparators.len()` code pairs per canonical index, so that
    /// comparing two records reads two contiguous rows instead of one
    /// cache line per column.
    codes: Vec<[u32; 2]>,
    mode: LinkMode,
}

impl Prepared<'_> {
    /// Levels of records `a` and `b` with one [`LevelCache`] per
    /// comparison.
    fn levels_cached(
        &self,
        a: u32,
        b: u32,
        out: &mut [u8],
        caches: &mut [LevelCache],
    ) {
        let width = self.comparators.len();
        let row_a = &self.codes[a as usize * width..(a as usize + 1) * width];
        let row_b = &self.codes[b as usize * width..(b as usize + 1) * width];
        for (c, slot) in out.iter_mut().enumerate() {
            *slot = self.comparators[c].level_of_codes_cached(
                row_a[c],
                row_b[c],
                &mut caches[c],
            );
        }
    }

    fn levels(&self, a: u32, b: u32, out: &mut [u8]) {
        let width = self.comparators.len();
        let row_a = &self.codes[a as usize * width..(a as usize + 1) * width];
        let row_b = &self.codes[b as usize * width..(b as usize + 1) * width];
        for (c, slot) in out.iter_mut().enumerate() {
            *slot = self.comparators[c].level_of_codes(row_a[c], row_b[c]);
        }
    }

    /// Number of pairs that could be compared at all.
    fn all_pairs(&self) -> f64 {
        let n = self.order.len() as f64;
        match self.mode {
            LinkMode::Dedupe => n * (n - 1.0) / 2.0,
            LinkMode::LinkOnly => {
                let a = self.first_source as f64;
                a * (n - a)
            }
        }
    }
}

fn prepare<'a>(
    table: &'a RecordTable,
    spec: &'a ModelSpec,
    mode: LinkMode,
) -> Result<Prepared<'a>, Error> {
    if u32::try_from(table.len()).is_err() {
        return Err(ErrorKind::TooManyRecords {
            records: table.len(),
            max: u32::MAX as usize,
        }
        .into());
    }
    let mut order: Vec<usize> = (0..table.len()).collect();
    order.sort_by(|&a, &b| {
        (table.sources[a], &table.ids[a])
            .cmp(&(table.sources[b], &table.ids[b]))
    });
    let first_source = table.sources.iter().filter(|&&s| s == 0).count();
    if mode == LinkMode::LinkOnly && table.sources.iter().any(|&s| s > 1) {
        return Err(ErrorKind::InvalidRecords {
            reason: "linking two files takes sources 0 and 1 only".to_string(),
        }
        .into());
    }
    let comparators = spec
        .comparisons
        .iter()
        .map(|c| {
            FieldComparator::new(
                c,
                &table.columns[table.column_index(&c.column)],
                c.swap_column
                    .as_ref()
                    .or(c.salt_column.as_ref())
                    .map(|other| &table.columns[table.column_index(other)]),
            )
        })
        .collect::<Vec<FieldComparator>>();
    let codes = canonical_codes(&order, &comparators);
    Ok(Prepared {
        table,
        order,
        first_source,
        comparators,
        codes,
        mode,
    })
}

fn canonical_codes(
    order: &[usize],
    comparators: &[FieldComparator],
) -> Vec<[u32; 2]> {
    let width = comparators.len();
    let mut codes = vec![[MISSING; 2]; order.len() * width];
    if width == 0 {
        return codes;
    }
    codes.par_chunks_mut(width).zip(order.par_iter()).for_each(
        |(out, &row)| {
            for (slot, comparator) in out.iter_mut().zip(comparators) {
                *slot = comparator.codes_of(row);
            }
        },
    );
    codes
}

/// Counts the candidate pairs of each blocking rule without comparing
/// them, so that a caller can show the size of the work before it runs.
pub fn estimate_comparisons(
    table: &RecordTable,
    spec: &ModelSpec,
    mode: LinkMode,
) -> Result<Vec<RuleEstimate>, Error> {
    let prepared = prepare(table, spec, mode)?;
    Ok(spec
        .blocking
        .rules
        .iter()
        .map(|rule| {
            let blocks =
                blocks_of(&prepared, rule, spec.settings.max_block_size);
            blocks.estimate
        })
        .collect())
}

/// Blocks of one rule: canonical indices grouped by key.
struct RuleBlocks {
    entries: Vec<(u64, u32)>,
    /// Ranges of `entries` holding one kept block each.
    blocks: Vec<(usize, usize)>,
    estimate: RuleEstimate,
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

fn blocks_of(
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

/// Pairs `(left, right)`, `left < right`, of the blocks of one rule,
/// without the pairs that an earlier rule (its [`kept_keys`] in
/// `earlier`) already gave, so the union of the rules holds each pair
/// once without sorting them all.
fn pairs_of(
    prepared: &Prepared,
    blocks: &RuleBlocks,
    earlier: &[Vec<u64>],
) -> Vec<(u32, u32)> {
    let first_source = prepared.first_source as u32;
    let cross = prepared.mode == LinkMode::LinkOnly;
    let found_before = |a: u32, b: u32| {
        earlier.iter().any(|keys| {
            let key = keys[a as usize];
            key != NO_KEY && key == keys[b as usize]
        })
    };
    blocks
        .blocks
        .par_iter()
        .flat_map_iter(|&(start, end)| {
            let block = &blocks.entries[start..end];
            let mut pairs = Vec::new();
            for (i, &(_, a)) in block.iter().enumerate() {
                for &(_, b) in &block[i + 1..] {
                    if cross && ((a < first_source) == (b < first_source)) {
                        continue;
                    }
                    if found_before(a, b) {
                        continue;
                    }
                    pairs.push((a.min(b), a.max(b)));
                }
            }
            pairs
        })
        .collect()
}

/// Links the records of `table` under `spec`: trains the model (or uses
/// `trained`), scores the candidate pairs and clusters the pairs whose
/// probability reaches the threshold.
///
/// # Errors
///
/// [`ErrorKind::TooManyRecords`] above `u32::MAX` records,
/// [`ErrorKind::InvalidModel`] when `trained` does not fit `spec`.
pub fn link_table(
    table: &RecordTable,
    spec: &ModelSpec,
    mode: LinkMode,
    trained: Option<&FellegiSunterModel>,
) -> Result<FileLinkage, Error> {
    let span = info_span!("link_file", records = table.len());
    let _entered = span.enter();
    let started = Instant::now();
    spec.validate()?;
    if let Some(model) = trained {
        check_fits(spec, model)?;
    }
    let prepared = prepare(table, spec, mode)?;
    let disabled = disabled_comparisons(&prepared);

    let mut rules = Vec::new();
    let mut candidates = Vec::new();
    let mut earlier_keys = Vec::new();
    for rule in &spec.blocking.rules {
        let blocks = blocks_of(&prepared, rule, spec.settings.max_block_size);
        info!(
            rule = %blocks.estimate.rule,
            pairs = blocks.estimate.pairs,
            records_without_key = blocks.estimate.records_without_key,
            "blocking rule"
        );
        candidates.extend(pairs_of(&prepared, &blocks, &earlier_keys));
        earlier_keys.push(kept_keys(&prepared, &blocks));
        rules.push(blocks.estimate);
    }
    drop(earlier_keys);
    info!(
        elapsed_ms = started.elapsed().as_millis() as u64,
        "blocking finished"
    );
    let levels = compare_pairs(&prepared, &candidates);
    info!(
        candidate_pairs = candidates.len(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "candidate pairs compared"
    );

    let model = match trained {
        Some(model) => model.clone(),
        None => train(&prepared, spec, &levels),
    };
    let pairs = score(&prepared, spec, &model, candidates, levels);
    info!(
        elapsed_ms = started.elapsed().as_millis() as u64,
        "candidate pairs scored"
    );
    let threshold = spec.settings.threshold;
    let linked: Vec<(u32, u32, f64)> = (0..pairs.len())
        .filter(|&i| pairs.match_probability[i] >= threshold)
        .map(|i| (pairs.left[i], pairs.right[i], pairs.match_weight[i]))
        .collect();
    let linked_pairs = linked.len() as u64;
    let cannot_link =
        CannotLink::new(&spec.clustering.cannot_link, &prepared.comparators);
    let (mut sets, skipped_pairs) = cluster_linked_pairs(
        table.len(),
        &linked,
        &cannot_link,
        &prepared.comparators,
        &prepared.codes,
    );
    if skipped_pairs > 0 {
        info!(
            skipped_pairs,
            "linked pairs skipped because they would join records that \
             clustering.cannot_link keeps apart"
        );
    }
    let cluster_of = number_clusters(&mut sets, &prepared.order);
    let pairs = to_table_rows(pairs, &prepared.order);
    let summary = FileLinkSummary {
        records: table.len() as u64,
        rules,
        candidate_pairs: pairs.len() as u64,
        linked_pairs,
        cannot_link_skipped_pairs: skipped_pairs,
        clusters: cluster_of.iter().max().map_or(0, |&c| u64::from(c) + 1),
        disabled_comparisons: disabled,
        reused_model: trained.is_some(),
    };
    info!(
        candidate_pairs = summary.candidate_pairs,
        linked_pairs,
        clusters = summary.clusters,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "file linkage finished"
    );
    Ok(FileLinkage {
        cluster_of,
        pairs,
        model,
        summary,
    })
}

/// Scores given record pairs (table rows) with a trained model, without
/// blocking or training: the way to score new data with a saved model.
/// Term frequencies come from `table`. The pairs are returned in the
/// order given, each with its smaller row first.
///
/// # Errors
///
/// [`ErrorKind::InvalidModel`] when `model` does not fit `spec`,
/// [`ErrorKind::InvalidRecords`] when a row is outside the table or a
/// pair joins a record to itself.
pub fn score_pairs(
    table: &RecordTable,
    spec: &ModelSpec,
    model: &FellegiSunterModel,
    pairs: &[(u32, u32)],
) -> Result<ScoredPairs, Error> {
    spec.validate()?;
    check_fits(spec, model)?;
    let mut prepared = prepare(table, spec, LinkMode::Dedupe)?;
    // Identity order: the pairs are already table rows.
    prepared.order = (0..table.len()).collect();
    prepared.codes = canonical_codes(&prepared.order, &prepared.comparators);
    for &(a, b) in pairs {
        if a == b || a as usize >= table.len() || b as usize >= table.len() {
            return Err(ErrorKind::InvalidRecords {
                reason: format!(
                    "pair ({a}, {b}) is not two different rows of the {} \
                     records given",
                    table.len()
                ),
            }
            .into());
        }
    }
    let pairs: Vec<(u32, u32)> =
        pairs.iter().map(|&(a, b)| (a.min(b), a.max(b))).collect();
    let levels = compare_pairs(&prepared, &pairs);
    Ok(score(&prepared, spec, model, pairs, levels))
}

/// Comparisons whose column has no value at all: reported, and left to
/// their null level, which carries no evidence.
fn disabled_comparisons(prepared: &Prepared) -> Vec<String> {
    let mut disabled = Vec::new();
    for comparator in &prepared.comparators {
        if comparator.column.present() == 0 {
            let name = comparator.spec.comparison_name().to_string();
            warn!(
                comparison = %name,
                column = %comparator.column.name,
                "column is 100% missing in this input; the comparison is \
                 disabled for this run (it carries no evidence)"
            );
            disabled.push(name);
        }
    }
    disabled
}

fn compare_pairs(prepared: &Prepared, pairs: &[(u32, u32)]) -> Vec<u8> {
    let width = prepared.comparators.len();
    let mut levels = vec![0u8; pairs.len() * width];
    if width == 0 {
        return levels;
    }
    levels
        .par_chunks_mut(width)
        .zip(pairs.par_iter())
        .for_each_init(
            || (0..width).map(|_| LevelCache::new()).collect::<Vec<_>>(),
            |caches, (out, &(a, b))| prepared.levels_cached(a, b, out, caches),
        );
    levels
}

/// Starting m of each level: exact 0.7, the similarity bands share 0.25,
/// "different" 0.05. EM replaces these; they only need to rank the levels.
fn untrained_model(spec: &ModelSpec) -> FellegiSunterModel {
    let comparisons = spec
        .comparisons
        .iter()
        .map(|c| {
            let names = c.level_names();
            let bands = names.len() - 3;
            let levels = names
                .iter()
                .enumerate()
                .map(|(l, name)| match l {
                    0 => ComparisonLevel::null(name),
                    1 => ComparisonLevel::new(name, 0.7, 0.7),
                    l if l == names.len() - 1 => {
                        let m = if bands == 0 { 0.3 } else { 0.05 };
                        ComparisonLevel::new(name, m, m)
                    }
                    _ => {
                        let m = 0.25 / bands as f64;
                        ComparisonLevel::new(name, m, m)
                    }
                })
                .collect();
            Comparison {
                name: c.comparison_name().to_string(),
                levels,
            }
        })
        .collect();
    FellegiSunterModel::new(comparisons, 1e-4)
}

fn train(
    prepared: &Prepared,
    spec: &ModelSpec,
    levels: &[u8],
) -> FellegiSunterModel {
    let mut model = untrained_model(spec);
    let clock = Instant::now();
    estimate_u(prepared, &mut model, spec);
    let u_ms = clock.elapsed().as_millis() as u64;
    let clock = Instant::now();
    estimate_m(prepared, &mut model, spec);
    let m_ms = clock.elapsed().as_millis() as u64;
    let clock = Instant::now();
    let vectors = count_vectors(levels, prepared.comparators.len());
    estimate_lambda(prepared, &mut model, &vectors, spec);
    info!(
        u_ms,
        m_ms,
        lambda_ms = clock.elapsed().as_millis() as u64,
        "model trained"
    );
    model
}

/// Samples per random-number stream: each chunk has its own ChaCha8
/// stream, so the sample does not depend on the number of threads.
const SAMPLES_PER_STREAM: u64 = 1 << 16;

/// Estimates u from record pairs drawn at random with replacement (pairs
/// across the two sources when linking two files), or from every pair
/// when there are no more than `u_sample_pairs`.
///
/// NOTE: at a million records this step takes most of the run time (10
/// million pairs, 6 to 16 s on 2 busy cores with
/// `scripts/compare_splink.py`). Caching the string comparisons of
/// repeated value pairs did not shorten it, so the random memory accesses
/// to two records per pair are the likely cost.
///
/// NOTE: the sample contains the few true matches that random pairs hold.
/// Like Splink we ignore them, which overstates u of the agreeing levels
/// by roughly λ.
fn estimate_u(
    prepared: &Prepared,
    model: &mut FellegiSunterModel,
    spec: &ModelSpec,
) {
    let n = prepared.order.len();
    let first = prepared.first_source;
    let width = prepared.comparators.len();
    let (low, high) = match prepared.mode {
        LinkMode::Dedupe => (n, n),
        LinkMode::LinkOnly => (first, n - first),
    };
    if low == 0 || high == 0 || (prepared.mode == LinkMode::Dedupe && n < 2) {
        warn!("too few records to sample pairs; u keeps its starting values");
        return;
    }
    let all = prepared.all_pairs() as u64;
    let wanted = spec.settings.u_sample_pairs;
    let counts: Vec<Vec<u64>> = if all <= wanted {
        let all_pairs: Vec<(u32, u32)> = match prepared.mode {
            LinkMode::Dedupe => (0..n as u32)
                .flat_map(|i| (i + 1..n as u32).map(move |j| (i, j)))
                .collect(),
            LinkMode::LinkOnly => (0..first as u32)
                .flat_map(|i| (first as u32..n as u32).map(move |j| (i, j)))
                .collect(),
        };
        count_levels(model, &compare_pairs(prepared, &all_pairs), width)
    } else {
        let streams = wanted.div_ceil(SAMPLES_PER_STREAM);
        let seed = spec.settings.seed;
        let per_stream: Vec<Vec<Vec<u64>>> = (0..streams)
            .into_par_iter()
            .map(|stream| {
                let mut rng = ChaCha8Rng::seed_from_u64(seed);
                rng.set_stream(stream);
                let size = SAMPLES_PER_STREAM
                    .min(wanted - stream * SAMPLES_PER_STREAM)
                    as usize;
                let mut counts: Vec<Vec<u64>> = model
                    .comparisons
                    .iter()
                    .map(|c| vec![0; c.levels.len()])
                    .collect();
                let mut vector = vec![0u8; width];
                let mut caches: Vec<LevelCache> =
                    (0..width).map(|_| LevelCache::new()).collect();
                for _ in 0..size {
                    let (a, b) = match prepared.mode {
                        LinkMode::Dedupe => {
                            let i = rng.random_range(0..n);
                            let mut j = rng.random_range(0..n - 1);
                            if j >= i {
                                j += 1;
                            }
                            (i as u32, j as u32)
                        }
                        LinkMode::LinkOnly => (
                            rng.random_range(0..first) as u32,
                            rng.random_range(first..n) as u32,
                        ),
                    };
                    prepared.levels_cached(a, b, &mut vector, &mut caches);
                    for (c, &level) in vector.iter().enumerate() {
                        counts[c][usize::from(level)] += 1;
                    }
                }
                counts
            })
            .collect();
        per_stream.into_iter().fold(
            model
                .comparisons
                .iter()
                .map(|c| vec![0; c.levels.len()])
                .collect(),
            |mut total, part| {
                for (t, p) in total.iter_mut().zip(part) {
                    for (x, y) in t.iter_mut().zip(p) {
                        *x += y;
                    }
                }
                total
            },
        )
    };
    for (comparison, counts) in model.comparisons.iter_mut().zip(&counts) {
        let observed: u64 = comparison
            .levels
            .iter()
            .zip(counts)
            .filter(|(level, _)| !level.is_null)
            .map(|(_, n)| n)
            .sum();
        if observed == 0 {
            warn!(
                comparison = %comparison.name,
                "no sampled pair has both sides of this comparison; its u \
                 probabilities keep their starting values"
            );
            continue;
        }
        for (level, &count) in comparison.levels.iter_mut().zip(counts) {
            if !level.is_null {
                level.u = clamp_probability(count as f64 / observed as f64);
            }
        }
    }
    info!(
        sampled_pairs = all.min(wanted),
        all_pairs = all,
        "u probabilities estimated"
    );
}

fn count_levels(
    model: &FellegiSunterModel,
    levels: &[u8],
    width: usize,
) -> Vec<Vec<u64>> {
    let mut counts: Vec<Vec<u64>> = model
        .comparisons
        .iter()
        .map(|c| vec![0; c.levels.len()])
        .collect();
    for vector in levels.chunks(width.max(1)) {
        for (c, &level) in vector.iter().enumerate() {
            counts[c][usize::from(level)] += 1;
        }
    }
    counts
}

/// Distinct comparison vectors with their counts, sorted.
fn count_vectors(levels: &[u8], width: usize) -> Vec<(Vec<u8>, f64)> {
    if width == 0 {
        return Vec::new();
    }
    let counts = levels
        .par_chunks(width)
        .fold(HashMap::<&[u8], u64>::new, |mut map, vector| {
            *map.entry(vector).or_default() += 1;
            map
        })
        .reduce(HashMap::new, |mut a, b| {
            for (k, v) in b {
                *a.entry(k).or_default() += v;
            }
            a
        });
    let mut vectors: Vec<(Vec<u8>, f64)> = counts
        .into_iter()
        .map(|(k, v)| (k.to_vec(), v as f64))
        .collect();
    vectors.sort_by(|a, b| a.0.cmp(&b.0));
    vectors
}

/// Estimates m by one EM session per training rule, on the pairs the rule
/// blocks together, with the comparisons on the rule's columns left out.
/// u stays fixed. Each comparison gets the mean m of the sessions that
/// estimated it.
fn estimate_m(
    prepared: &Prepared,
    model: &mut FellegiSunterModel,
    spec: &ModelSpec,
) {
    let width = prepared.comparators.len();
    let mut average = SessionAverage::new(model);
    for rule in spec.blocking.training_rules() {
        let blocks = blocks_of(prepared, rule, spec.settings.max_block_size);
        let pairs = pairs_of(prepared, &blocks, &[]);
        let vectors = count_vectors(&compare_pairs(prepared, &pairs), width);
        // A comparison that reads a blocked column, directly or as its
        // swap column, is left out: the rule keeps only the pairs that agree
        // on that column, so it would learn that a swap never happens.
        let estimate: Vec<bool> = spec
            .comparisons
            .iter()
            .map(|c| {
                !rule.contains(&c.column)
                    && c.swap_column.as_ref().is_none_or(|s| !rule.contains(s))
            })
            .collect();
        let settings = EmSettings {
            name: blocks.estimate.rule.clone(),
            estimate: estimate.clone(),
            estimate_u: false,
            max_iterations: spec.settings.max_em_iterations,
            tolerance: spec.settings.em_tolerance,
        };
        let mut session = model.clone();
        let outcome = train_em(&mut session, &vectors, 0.5, &settings);
        average.add(&session, &estimate, &vectors);
        info!(
            session = %settings.name,
            pairs = pairs.len(),
            iterations = outcome.iterations,
            converged = outcome.converged,
            "EM session finished"
        );
        model.sessions.push(TrainingSession {
            name: settings.name,
            estimated: spec
                .comparisons
                .iter()
                .zip(&estimate)
                .filter(|(_, e)| **e)
                .map(|(c, _)| c.comparison_name().to_string())
                .collect(),
            pairs: pairs.len() as u64,
            iterations: outcome.iterations,
            converged: outcome.converged,
            // A session without pairs runs no iteration and reports an
            // infinite change, which JSON cannot store.
            max_parameter_change: if outcome.max_parameter_change.is_finite() {
                outcome.max_parameter_change
            } else {
                0.0
            },
            lambda: outcome.lambda,
        });
    }
    for name in average.apply(model) {
        warn!(
            comparison = %name,
            "no training session estimated this comparison (every training \
             rule blocks on its column or swap column); its m keeps the \
             starting values"
        );
    }
    model.em_iterations = model.sessions.iter().map(|s| s.iterations).sum();
    model.em_converged = model.sessions.iter().all(|s| s.converged);
}

/// Estimates λ as the expected number of matches among the candidate
/// pairs over the number of comparable pairs, a fixed point because each
/// posterior depends on λ. Blocking is assumed to hold nearly every true
/// pair, so this underestimates λ by the share of true pairs it misses.
fn estimate_lambda(
    prepared: &Prepared,
    model: &mut FellegiSunterModel,
    vectors: &[(Vec<u8>, f64)],
    spec: &ModelSpec,
) {
    let all_pairs = prepared.all_pairs();
    if all_pairs < 1.0 || vectors.is_empty() {
        return;
    }
    let active = vec![true; model.comparisons.len()];
    let candidates: f64 = vectors.iter().map(|(_, n)| n).sum();
    let mut lambda = clamp_probability(0.5 * candidates / all_pairs);
    for iteration in 1..=spec.settings.max_em_iterations.max(100) {
        let expected: f64 = vectors
            .iter()
            .map(|(levels, n)| n * posterior(model, levels, lambda, &active))
            .sum();
        let next = clamp_probability(expected / all_pairs);
        let change = (next - lambda).abs() / lambda;
        lambda = next;
        if change < 1e-9 {
            info!(
                iteration,
                lambda,
                expected_matches = expected,
                "prior estimated"
            );
            break;
        }
    }
    model.lambda = lambda;
}

/// Term frequency of each value of a comparison's column: its share of
/// the records that have a value.
fn term_frequencies(comparator: &FieldComparator) -> Vec<f64> {
    let present = comparator.column.present().max(1) as f64;
    comparator
        .column
        .counts
        .iter()
        .map(|&n| f64::from(n) / present)
        .collect()
}

/// Scores pairs (canonical indices). With term-frequency adjustment, an
/// exact agreement weighs log2(m / tf) instead of log2(m / u), where tf is
/// the frequency of the agreed value: Splink's adjustment
/// log2(m/u) + log2(u/tf).
fn score(
    prepared: &Prepared,
    spec: &ModelSpec,
    model: &FellegiSunterModel,
    candidates: Vec<(u32, u32)>,
    levels: Vec<u8>,
) -> ScoredPairs {
    let width = prepared.comparators.len();
    let frequencies: Vec<Option<Vec<f64>>> = spec
        .comparisons
        .iter()
        .zip(&prepared.comparators)
        .map(|(c, comparator)| {
            c.term_frequency.then(|| term_frequencies(comparator))
        })
        .collect();
    let prior = (model.lambda / (1.0 - model.lambda)).log2();
    let weights: Vec<f64> = candidates
        .par_iter()
        .enumerate()
        .map(|(p, &(a, _))| {
            let vector = &levels[p * width..(p + 1) * width];
            let row = prepared.order[a as usize];
            let mut weight = prior;
            for (c, &level) in vector.iter().enumerate() {
                let comparison_level =
                    &model.comparisons[c].levels[usize::from(level)];
                weight += match (&frequencies[c], level) {
                    (Some(tf), LEVEL_EXACT) => {
                        let code = prepared.comparators[c].column.codes[row];
                        let frequency = tf[code as usize].max(MIN_PROBABILITY);
                        (comparison_level.m / frequency).log2()
                    }
                    _ => comparison_level.weight(),
                };
            }
            weight
        })
        .collect();
    let probabilities = weights
        .iter()
        .map(|&w| probability_from_weight(w))
        .collect();
    let (left, right) = candidates.into_iter().unzip();
    ScoredPairs {
        left,
        right,
        match_weight: weights,
        match_probability: probabilities,
        levels,
        comparisons: width,
    }
}

/// Maps canonical indices of the pairs to table rows, keeping pairs
/// sorted by (left, right) with left < right. The pairs are sorted
/// through a permutation and moved column by column, so that at most one
/// column is held twice at a time.
fn to_table_rows(pairs: ScoredPairs, order: &[usize]) -> ScoredPairs {
    let width = pairs.comparisons;
    let mut keyed: Vec<(u64, usize)> = pairs
        .left
        .par_iter()
        .zip(&pairs.right)
        .enumerate()
        .map(|(p, (&a, &b))| {
            let (x, y) = (order[a as usize] as u64, order[b as usize] as u64);
            ((x.min(y) << 32) | x.max(y), p)
        })
        .collect();
    keyed.par_sort_unstable();
    let left = keyed.iter().map(|&(key, _)| (key >> 32) as u32).collect();
    let right = keyed.iter().map(|&(key, _)| key as u32).collect();
    let permutation: Vec<usize> = keyed.into_iter().map(|(_, p)| p).collect();
    let permute = |values: Vec<f64>| -> Vec<f64> {
        permutation.iter().map(|&p| values[p]).collect()
    };
    let match_weight = permute(pairs.match_weight);
    let match_probability = permute(pairs.match_probability);
    let mut levels = Vec::with_capacity(pairs.levels.len());
    for &p in &permutation {
        levels.extend_from_slice(&pairs.levels[p * width..(p + 1) * width]);
    }
    ScoredPairs {
        left,
        right,
        match_weight,
        match_probability,
        levels,
        comparisons: width,
    }
}

/// Numbers clusters by their first canonical record and maps the numbers
/// to table rows.
fn number_clusters(sets: &mut UnionFind, order: &[usize]) -> Vec<u32> {
    let mut number_of_root = vec![u32::MAX; order.len()];
    let mut cluster_of = vec![0; order.len()];
    let mut next = 0;
    for (canonical, &row) in order.iter().enumerate() {
        // The union-find runs over canonical indices.
        let root = sets.find(canonical as u32) as usize;
        if number_of_root[root] == u32::MAX {
            number_of_root[root] = next;
            next += 1;
        }
        cluster_of[row] = number_of_root[root];
    }
    cluster_of
}

/// Learned and true parameters of one comparison level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParameterCheck {
    /// Comparison name.
    pub comparison: String,
    /// Level name.
    pub level: String,
    /// m of the model.
    pub learned_m: f64,
    /// Share of the level among true matching pairs with both values.
    pub true_m: f64,
    /// u of the model.
    pub learned_u: f64,
    /// Share of the level among sampled non-matching pairs with both
    /// values.
    pub true_u: f64,
}

/// Compares the m and u of `model` with their values under the truth:
/// true m from every pair of records of one true entity, true u from
/// `spec.settings.u_sample_pairs` random pairs (seed `spec.settings.seed`
/// plus one) of records of different entities. The null level is left
/// out, as it carries no evidence. `truth` holds the entity of each
/// table row.
///
/// NOTE: true m enumerates every pair of an entity, so one entity of
/// many thousand records would make this slow; it is meant for synthetic
/// data with known entities.
///
/// # Errors
///
/// [`ErrorKind::InvalidRecords`] when `truth` and the table differ in
/// length, [`ErrorKind::InvalidModel`] when `model` does not fit `spec`.
pub fn compare_parameters_with_truth(
    table: &RecordTable,
    spec: &ModelSpec,
    model: &FellegiSunterModel,
    truth: &[u32],
) -> Result<Vec<ParameterCheck>, Error> {
    check_fits(spec, model)?;
    if truth.len() != table.len() {
        return Err(ErrorKind::InvalidRecords {
            reason: format!(
                "{} true entities for {} records (give one per record)",
                truth.len(),
                table.len()
            ),
        }
        .into());
    }
    let mut prepared = prepare(table, spec, LinkMode::Dedupe)?;
    prepared.order = (0..table.len()).collect();
    prepared.codes = canonical_codes(&prepared.order, &prepared.comparators);
    let width = prepared.comparators.len();

    let mut rows_of: HashMap<u32, Vec<u32>> = HashMap::new();
    for (row, &entity) in truth.iter().enumerate() {
        rows_of.entry(entity).or_default().push(row as u32);
    }
    let mut entities: Vec<Vec<u32>> = rows_of.into_values().collect();
    entities.sort_unstable();
    let match_counts = entities
        .par_iter()
        .map(|rows| {
            let mut counts = zero_counts(model);
            let mut vector = vec![0u8; width];
            for (i, &a) in rows.iter().enumerate() {
                for &b in &rows[i + 1..] {
                    prepared.levels(a, b, &mut vector);
                    add_vector(&mut counts, &vector);
                }
            }
            counts
        })
        .reduce(|| zero_counts(model), add_counts);

    let n = table.len();
    let wanted = spec.settings.u_sample_pairs;
    let streams = if n < 2 {
        0
    } else {
        wanted.div_ceil(SAMPLES_PER_STREAM)
    };
    let seed = spec.settings.seed.wrapping_add(1);
    let non_match_counts = (0..streams)
        .into_par_iter()
        .map(|stream| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            rng.set_stream(stream);
            let size =
                SAMPLES_PER_STREAM.min(wanted - stream * SAMPLES_PER_STREAM);
            let mut counts = zero_counts(model);
            let mut vector = vec![0u8; width];
            for _ in 0..size {
                let a = rng.random_range(0..n);
                let b = rng.random_range(0..n);
                if truth[a] == truth[b] {
                    continue;
                }
                prepared.levels(a as u32, b as u32, &mut vector);
                add_vector(&mut counts, &vector);
            }
            counts
        })
        .reduce(|| zero_counts(model), add_counts);

    let share = |counts: &[u64], level: usize| {
        let observed: u64 = counts[1..].iter().sum();
        if observed == 0 {
            f64::NAN
        } else {
            counts[level] as f64 / observed as f64
        }
    };
    let mut checks = Vec::new();
    for (c, comparison) in model.comparisons.iter().enumerate() {
        for (l, level) in comparison.levels.iter().enumerate() {
            if level.is_null {
                continue;
            }
            checks.push(ParameterCheck {
                comparison: comparison.name.clone(),
                level: level.name.clone(),
                learned_m: level.m,
                true_m: share(&match_counts[c], l),
                learned_u: level.u,
                true_u: share(&non_match_counts[c], l),
            });
        }
    }
    Ok(checks)
}

fn zero_counts(model: &FellegiSunterModel) -> Vec<Vec<u64>> {
    model
        .comparisons
        .iter()
        .map(|c| vec![0; c.levels.len()])
        .collect()
}

fn add_vector(counts: &mut [Vec<u64>], vector: &[u8]) {
    for (c, &level) in vector.iter().enumerate() {
        counts[c][usize::from(level)] += 1;
    }
}

fn add_counts(mut a: Vec<Vec<u64>>, b: Vec<Vec<u64>>) -> Vec<Vec<u64>> {
    for (x, y) in a.iter_mut().zip(b) {
        for (p, q) in x.iter_mut().zip(y) {
            *p += q;
        }
    }
    a
}
