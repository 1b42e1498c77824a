//! Linkage of any CSV under a model file: blocking on the file's rules,
//! field comparisons, u from value counts or random pairs, m by EM
//! sessions, λ, scoring with term-frequency adjustment, and connected
//! components under the model's cannot-link constraints.
//!
//! Records are processed in the order of (source, record id), so the
//! result does not depend on the order of the rows.

use std::collections::HashMap;
use std::time::Instant;

use foldhash::fast::FixedState;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use tracing::{info, info_span, warn};

use crate::Error;
use crate::cluster::UnionFind;
use crate::em::{EmSettings, SessionAverage, posterior, train_em};
use crate::error::ErrorKind;
use crate::field_compare::{FieldComparator, LEVEL_EXACT, LevelCache};
use crate::file_blocking::{
    CandidateBlocks, RuleBlocks, blocks_of, fold_rule_pairs,
};
use crate::file_cluster::{CannotLink, cluster_linked_pairs};
use crate::file_u::estimate_u;
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
pub(crate) fn check_fits(
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

    /// The pairs at the given positions, in that order.
    fn select(&self, positions: &[usize]) -> ScoredPairs {
        let mut levels = Vec::with_capacity(positions.len() * self.comparisons);
        for &p in positions {
            levels.extend_from_slice(self.levels_of(p));
        }
        ScoredPairs {
            left: positions.iter().map(|&p| self.left[p]).collect(),
            right: positions.iter().map(|&p| self.right[p]).collect(),
            match_weight: positions
                .iter()
                .map(|&p| self.match_weight[p])
                .collect(),
            match_probability: positions
                .iter()
                .map(|&p| self.match_probability[p])
                .collect(),
            levels,
            comparisons: self.comparisons,
        }
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
    /// The scored candidate pairs: all of them or the linked ones, as
    /// [`KeptPairs`] asked.
    pub pairs: ScoredPairs,
    /// Linked pairs left out of the clusters because they would join two
    /// records that `clustering.cannot_link` keeps apart, for review.
    pub kept_apart: ScoredPairs,
    /// The model that scored them.
    pub model: FellegiSunterModel,
    /// Counts.
    pub summary: FileLinkSummary,
}

/// Records in canonical order with their comparators.
pub(crate) struct Prepared<'a> {
    pub(crate) table: &'a RecordTable,
    /// Table row of each canonical index.
    pub(crate) order: Vec<usize>,
    /// Records of source 0 come first; this many of them.
    pub(crate) first_source: usize,
    pub(crate) comparators: Vec<FieldComparator<'a>>,
    /// Codes of each comparison ([`FieldComparator::codes_of`]), one row
    /// of `comparators.len()` code pairs per canonical index, so that
    /// comparing two records reads two contiguous rows instead of one
    /// cache line per column.
    pub(crate) codes: Vec<[u32; 2]>,
    pub(crate) mode: LinkMode,
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
        self.levels_of_rows_cached(
            self.codes_row(a),
            self.codes_row(b),
            out,
            caches,
        );
    }

    /// Levels of two records given by their code rows, with one
    /// [`LevelCache`] per comparison.
    fn levels_of_rows_cached(
        &self,
        row_a: &[[u32; 2]],
        row_b: &[[u32; 2]],
        out: &mut [u8],
        caches: &mut [LevelCache],
    ) {
        for (c, slot) in out.iter_mut().enumerate() {
            *slot = self.comparators[c].level_of_codes_cached(
                row_a[c],
                row_b[c],
                &mut caches[c],
            );
        }
    }

    /// Codes of canonical record `a`, one pair per comparison.
    pub(crate) fn codes_row(&self, a: u32) -> &[[u32; 2]] {
        let width = self.comparators.len();
        &self.codes[a as usize * width..(a as usize + 1) * width]
    }

    pub(crate) fn levels(&self, a: u32, b: u32, out: &mut [u8]) {
        let width = self.comparators.len();
        let row_a = &self.codes[a as usize * width..(a as usize + 1) * width];
        let row_b = &self.codes[b as usize * width..(b as usize + 1) * width];
        for (c, slot) in out.iter_mut().enumerate() {
            *slot = self.comparators[c].level_of_codes(row_a[c], row_b[c]);
        }
    }

    /// Side of a canonical record in pair counts: 0 when deduplicating,
    /// else its file (0 or 1).
    pub(crate) fn side_of(&self, canonical: usize) -> usize {
        match self.mode {
            LinkMode::Dedupe => 0,
            LinkMode::LinkOnly => usize::from(canonical >= self.first_source),
        }
    }

    /// Number of pairs that could be compared at all.
    pub(crate) fn all_pairs(&self) -> f64 {
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

pub(crate) fn prepare<'a>(
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
    // (source, id) is unique, so an unstable sort gives one order.
    order.par_sort_unstable_by(|&a, &b| {
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

pub(crate) fn canonical_codes(
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
            blocks_of(&prepared, rule, spec.settings.max_block_size).estimate
        })
        .collect())
}

/// Which scored pairs a linkage returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeptPairs {
    /// Every candidate pair, for a table of scored pairs. Memory grows
    /// with the candidate pairs: 24 bytes each plus one per comparison.
    All,
    /// The pairs at or above the threshold only. Candidate pairs are
    /// compared and scored as a stream, so memory grows with the records
    /// and the linked pairs, not with the candidate pairs. While λ is
    /// still unknown, the stream keeps the pairs that would reach the
    /// threshold under the largest λ the candidate pairs allow
    /// (candidates over all pairs), and drops the others once λ is
    /// estimated.
    Linked,
}

/// Links the records of `table` under `spec` and returns every scored
/// candidate pair: [`link_table_keeping`] with [`KeptPairs::All`].
///
/// # Errors
///
/// As [`link_table_keeping`].
pub fn link_table(
    table: &RecordTable,
    spec: &ModelSpec,
    mode: LinkMode,
    trained: Option<&FellegiSunterModel>,
) -> Result<FileLinkage, Error> {
    link_table_keeping(table, spec, mode, trained, KeptPairs::All)
}

/// Links the records of `table` under `spec`: trains the model (or uses
/// `trained`), scores the candidate pairs and clusters the pairs whose
/// probability reaches the threshold. `kept` says which scored pairs are
/// returned.
///
/// Training estimates u first ([`crate::file_u`] explains how), then m
/// by one EM session per training rule on that rule's pairs. One
/// parallel pass over the distinct candidate pairs then compares each
/// pair once, counts the comparison vectors (for λ) and keeps the pairs
/// that may be linked; no list of candidate pairs is built.
///
/// # Errors
///
/// [`ErrorKind::TooManyRecords`] above `u32::MAX` records,
/// [`ErrorKind::InvalidModel`] when `trained` does not fit `spec`.
pub fn link_table_keeping(
    table: &RecordTable,
    spec: &ModelSpec,
    mode: LinkMode,
    trained: Option<&FellegiSunterModel>,
    kept: KeptPairs,
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
    let blocks = CandidateBlocks::new(
        &prepared,
        &spec.blocking.rules,
        spec.settings.max_block_size,
    );
    let rules = blocks.estimates();
    info!(
        elapsed_ms = started.elapsed().as_millis() as u64,
        "blocking finished"
    );

    let mut model = match trained {
        Some(model) => model.clone(),
        None => train_u_and_m(&prepared, spec),
    };
    let weights = WeightTable::new(&prepared, spec, &model);
    let threshold_weight = weight_of_probability(spec.settings.threshold);
    let keep_from = match (kept, trained) {
        (KeptPairs::All, _) => f64::NEG_INFINITY,
        (KeptPairs::Linked, Some(model)) => {
            threshold_weight - prior_weight(model.lambda)
        }
        (KeptPairs::Linked, None) => {
            let upper: u64 = rules.iter().map(|r| r.pairs).sum();
            let largest_lambda =
                clamp_probability(upper as f64 / prepared.all_pairs());
            threshold_weight - prior_weight(largest_lambda)
        }
    };
    let (vectors, candidates) =
        compare_candidates(&prepared, &blocks, &weights, keep_from);
    drop(blocks);
    let candidate_pairs: u64 = vectors.iter().map(|(_, n)| *n as u64).sum();
    info!(
        candidate_pairs,
        kept_pairs = candidates.len(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "candidate pairs compared"
    );
    if trained.is_none() {
        let clock = Instant::now();
        estimate_lambda(&prepared, &mut model, &vectors, spec);
        info!(
            lambda_ms = clock.elapsed().as_millis() as u64,
            "model trained"
        );
    }

    let threshold = spec.settings.threshold;
    let mut pairs = score(&prepared, &weights, &model, candidates);
    if kept == KeptPairs::Linked {
        let linked: Vec<usize> = (0..pairs.len())
            .filter(|&i| pairs.match_probability[i] >= threshold)
            .collect();
        pairs = pairs.select(&linked);
    }
    let linked_index: Vec<usize> = (0..pairs.len())
        .filter(|&i| pairs.match_probability[i] >= threshold)
        .collect();
    let linked: Vec<(u32, u32, f64)> = linked_index
        .iter()
        .map(|&i| (pairs.left[i], pairs.right[i], pairs.match_weight[i]))
        .collect();
    let linked_pairs = linked.len() as u64;
    let cannot_link =
        CannotLink::new(&spec.clustering.cannot_link, &prepared.comparators);
    let (mut sets, kept_apart) = cluster_linked_pairs(
        table.len(),
        &linked,
        &cannot_link,
        &prepared.comparators,
        &prepared.codes,
    );
    let skipped_pairs = kept_apart.len() as u64;
    if skipped_pairs > 0 {
        info!(
            skipped_pairs,
            "linked pairs skipped because they would join records that \
             clustering.cannot_link keeps apart"
        );
    }
    let cluster_of = number_clusters(&mut sets, &prepared.order);
    let kept_apart: Vec<usize> =
        kept_apart.into_iter().map(|k| linked_index[k]).collect();
    let kept_apart = pairs.select(&kept_apart);
    let pairs = to_table_rows(pairs, &prepared.order);
    let kept_apart = to_table_rows(kept_apart, &prepared.order);
    let summary = FileLinkSummary {
        records: table.len() as u64,
        rules,
        candidate_pairs,
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
        kept_apart,
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
    let (left, right): (Vec<u32>, Vec<u32>) =
        pairs.iter().map(|&(a, b)| (a.min(b), a.max(b))).unzip();
    let levels = compare_pairs(&prepared, &left, &right);
    let weights = WeightTable::new(&prepared, spec, model);
    let kept = KeptCandidates {
        left,
        right,
        levels,
    };
    Ok(score(&prepared, &weights, model, kept))
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

fn compare_pairs(prepared: &Prepared, left: &[u32], right: &[u32]) -> Vec<u8> {
    let width = prepared.comparators.len();
    let mut levels = vec![0u8; left.len() * width];
    if width == 0 {
        return levels;
    }
    levels
        .par_chunks_mut(width)
        .zip(left.par_iter().zip(right))
        .for_each_init(
            || (0..width).map(|_| LevelCache::new()).collect::<Vec<_>>(),
            |caches, (out, (&a, &b))| prepared.levels_cached(a, b, out, caches),
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

/// Estimates u and then m; λ is estimated later, from the candidate
/// pairs.
fn train_u_and_m(prepared: &Prepared, spec: &ModelSpec) -> FellegiSunterModel {
    let mut model = untrained_model(spec);
    let clock = Instant::now();
    estimate_u(prepared, &mut model, spec);
    let u_ms = clock.elapsed().as_millis() as u64;
    let clock = Instant::now();
    estimate_m(prepared, &mut model, spec);
    info!(
        u_ms,
        m_ms = clock.elapsed().as_millis() as u64,
        "u and m estimated"
    );
    model
}

/// Largest number of possible comparison vectors counted in a dense
/// array; models with more count in a hash map.
const DENSE_VECTORS: usize = 1 << 16;

/// Distinct comparison vectors with their counts. When the comparisons'
/// level counts multiply to at most [`DENSE_VECTORS`], a vector is read
/// as a mixed-radix number (first comparison most significant) that
/// indexes an array of counts, which costs a few multiplications per
/// pair instead of a hash.
enum VectorCounts {
    Dense {
        /// Level counts of the comparisons.
        radices: Vec<usize>,
        counts: Vec<u64>,
    },
    Sparse(HashMap<Box<[u8]>, u64, FixedState>),
}

impl VectorCounts {
    fn new(prepared: &Prepared) -> VectorCounts {
        let radices: Vec<usize> = prepared
            .comparators
            .iter()
            .map(|c| c.spec.levels_count())
            .collect();
        let size = radices
            .iter()
            .try_fold(1usize, |product, &r| product.checked_mul(r))
            .filter(|&size| size <= DENSE_VECTORS);
        match size {
            Some(size) => VectorCounts::Dense {
                radices,
                counts: vec![0; size],
            },
            None => VectorCounts::Sparse(HashMap::default()),
        }
    }

    fn add(&mut self, vector: &[u8]) {
        match self {
            VectorCounts::Dense { radices, counts } => {
                let index = vector.iter().zip(radices.iter()).fold(
                    0,
                    |index, (&level, &radix)| {
                        index * radix + usize::from(level)
                    },
                );
                counts[index] += 1;
            }
            VectorCounts::Sparse(map) => match map.get_mut(vector) {
                Some(count) => *count += 1,
                None => {
                    map.insert(vector.into(), 1);
                }
            },
        }
    }

    fn merge(&mut self, other: VectorCounts) {
        match (self, other) {
            (
                VectorCounts::Dense { counts, .. },
                VectorCounts::Dense { counts: more, .. },
            ) => {
                for (count, extra) in counts.iter_mut().zip(more) {
                    *count += extra;
                }
            }
            (VectorCounts::Sparse(map), VectorCounts::Sparse(more)) => {
                for (vector, count) in more {
                    *map.entry(vector).or_default() += count;
                }
            }
            _ => unreachable!("counts of one model have one layout"),
        }
    }

    /// The vectors with their counts, sorted by vector so that sums over
    /// them do not depend on the order the pairs were seen in.
    fn into_sorted(self) -> Vec<(Vec<u8>, f64)> {
        match self {
            VectorCounts::Dense { radices, counts } => counts
                .into_iter()
                .enumerate()
                .filter(|&(_, count)| count > 0)
                .map(|(index, count)| {
                    let mut vector = vec![0u8; radices.len()];
                    let mut rest = index;
                    for (slot, &radix) in vector.iter_mut().zip(&radices).rev()
                    {
                        *slot = (rest % radix) as u8;
                        rest /= radix;
                    }
                    (vector, count as f64)
                })
                .collect(),
            VectorCounts::Sparse(map) => {
                let mut vectors: Vec<(Vec<u8>, f64)> = map
                    .into_iter()
                    .map(|(k, v)| (k.into_vec(), v as f64))
                    .collect();
                vectors.sort_by(|a, b| a.0.cmp(&b.0));
                vectors
            }
        }
    }
}

/// Comparison vectors of every pair of one rule's blocks.
fn count_rule_vectors(
    prepared: &Prepared,
    blocks: &RuleBlocks,
) -> Vec<(Vec<u8>, f64)> {
    let width = prepared.comparators.len();
    let parts = fold_rule_pairs(
        prepared,
        blocks,
        || (VectorCounts::new(prepared), Comparer::new(width)),
        |(counts, comparer), _, _, row_a, row_b| {
            counts.add(comparer.levels(prepared, row_a, row_b));
        },
    );
    let mut total = VectorCounts::new(prepared);
    for (counts, _) in parts {
        total.merge(counts);
    }
    total.into_sorted()
}

/// A buffer for one comparison vector and the level caches of one worker.
struct Comparer {
    vector: Vec<u8>,
    caches: Vec<LevelCache>,
}

impl Comparer {
    fn new(width: usize) -> Comparer {
        Comparer {
            vector: vec![0; width],
            caches: (0..width).map(|_| LevelCache::new()).collect(),
        }
    }

    fn levels(
        &mut self,
        prepared: &Prepared,
        row_a: &[[u32; 2]],
        row_b: &[[u32; 2]],
    ) -> &[u8] {
        prepared.levels_of_rows_cached(
            row_a,
            row_b,
            &mut self.vector,
            &mut self.caches,
        );
        &self.vector
    }
}

/// Candidate pairs kept by [`compare_candidates`], in canonical indices,
/// with their comparison vectors.
#[derive(Default)]
struct KeptCandidates {
    left: Vec<u32>,
    right: Vec<u32>,
    levels: Vec<u8>,
}

impl KeptCandidates {
    fn len(&self) -> usize {
        self.left.len()
    }

    fn append(&mut self, mut other: KeptCandidates) {
        self.left.append(&mut other.left);
        self.right.append(&mut other.right);
        self.levels.append(&mut other.levels);
    }
}

/// Compares every distinct candidate pair once, in parallel: counts the
/// comparison vectors and keeps the pairs whose weight without the prior
/// reaches `keep_from`, in an order that depends on the threads.
fn compare_candidates(
    prepared: &Prepared,
    blocks: &CandidateBlocks,
    weights: &WeightTable,
    keep_from: f64,
) -> (Vec<(Vec<u8>, f64)>, KeptCandidates) {
    let width = prepared.comparators.len();
    let parts = blocks.fold_distinct_pairs(
        prepared,
        || {
            (
                VectorCounts::new(prepared),
                KeptCandidates::default(),
                Comparer::new(width),
            )
        },
        |(counts, kept, comparer), a, b, row_a, row_b| {
            let vector = comparer.levels(prepared, row_a, row_b);
            counts.add(vector);
            if weights.weight(0.0, vector, row_a) >= keep_from {
                kept.left.push(a);
                kept.right.push(b);
                kept.levels.extend_from_slice(vector);
            }
        },
    );
    let mut counts = VectorCounts::new(prepared);
    let mut kept = KeptCandidates::default();
    for (part_counts, part_kept, _) in parts {
        counts.merge(part_counts);
        kept.append(part_kept);
    }
    (counts.into_sorted(), kept)
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
    let mut average = SessionAverage::new(model);
    for rule in spec.blocking.training_rules() {
        let blocks = blocks_of(prepared, rule, spec.settings.max_block_size);
        let vectors = count_rule_vectors(prepared, &blocks);
        let pairs: f64 = vectors.iter().map(|(_, n)| n).sum();
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
            pairs = pairs as u64,
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
            pairs: pairs as u64,
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

/// log2(m/u) of every level and, for a comparison with term-frequency
/// adjustment, log2(m/tf) of an exact agreement on each value, where tf
/// is the frequency of the agreed value: Splink's adjustment
/// log2(m/u) + log2(u/tf). A pair's weight is then a sum of lookups.
pub(crate) struct WeightTable {
    levels: Vec<Vec<f64>>,
    exact_by_code: Vec<Option<Vec<f64>>>,
}

impl WeightTable {
    pub(crate) fn new(
        prepared: &Prepared,
        spec: &ModelSpec,
        model: &FellegiSunterModel,
    ) -> WeightTable {
        let levels = model
            .comparisons
            .iter()
            .map(|c| c.levels.iter().map(ComparisonLevel::weight).collect())
            .collect();
        let exact_by_code = spec
            .comparisons
            .iter()
            .zip(&prepared.comparators)
            .zip(&model.comparisons)
            .map(|((c, comparator), comparison)| {
                let m = comparison.levels[usize::from(LEVEL_EXACT)].m;
                c.term_frequency.then(|| {
                    term_frequencies(comparator)
                        .into_iter()
                        .map(|tf| (m / tf.max(MIN_PROBABILITY)).log2())
                        .collect()
                })
            })
            .collect();
        WeightTable {
            levels,
            exact_by_code,
        }
    }

    /// `start` plus the weight of each comparison of `vector`, added in
    /// comparison order; `row` holds the codes of the pair's left record,
    /// whose value an exact agreement shares.
    pub(crate) fn weight(
        &self,
        start: f64,
        vector: &[u8],
        row: &[[u32; 2]],
    ) -> f64 {
        let mut weight = start;
        for (c, &level) in vector.iter().enumerate() {
            weight += match &self.exact_by_code[c] {
                Some(by_code) if level == LEVEL_EXACT => {
                    by_code[row[c][0] as usize]
                }
                _ => self.levels[c][usize::from(level)],
            };
        }
        weight
    }
}

/// log2 odds of a prior match probability.
fn prior_weight(lambda: f64) -> f64 {
    (lambda / (1.0 - lambda)).log2()
}

/// The smallest match weight whose probability reaches `threshold`,
/// lowered by a margin so that rounding never drops a pair at the
/// threshold. A threshold of 1 is reached where the probability rounds
/// to 1, above a weight of 53.
fn weight_of_probability(threshold: f64) -> f64 {
    const MARGIN: f64 = 1e-6;
    if threshold >= 1.0 {
        50.0
    } else {
        (threshold / (1.0 - threshold)).log2() - MARGIN
    }
}

/// Scores kept candidate pairs (canonical indices) under `model`.
fn score(
    prepared: &Prepared,
    weights: &WeightTable,
    model: &FellegiSunterModel,
    kept: KeptCandidates,
) -> ScoredPairs {
    let width = prepared.comparators.len();
    let prior = prior_weight(model.lambda);
    let match_weight: Vec<f64> = kept
        .left
        .par_iter()
        .enumerate()
        .map(|(p, &a)| {
            let vector = &kept.levels[p * width..(p + 1) * width];
            weights.weight(prior, vector, prepared.codes_row(a))
        })
        .collect();
    let match_probability = match_weight
        .iter()
        .map(|&w| probability_from_weight(w))
        .collect();
    ScoredPairs {
        left: kept.left,
        right: kept.right,
        match_weight,
        match_probability,
        levels: kept.levels,
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

#[cfg(test)]
mod tests {
    use super::*;

    // The dense array must give the vectors and counts of the hash map,
    // in the same sorted order: [0,6,5] < [1,2,3] (twice) < [2,0,0].
    #[test]
    fn dense_vector_counts_equal_sparse() {
        let mut dense = VectorCounts::Dense {
            radices: vec![3, 7, 6],
            counts: vec![0; 3 * 7 * 6],
        };
        let mut sparse = VectorCounts::Sparse(HashMap::default());
        for vector in [[1, 2, 3], [0, 6, 5], [1, 2, 3], [2, 0, 0]] {
            dense.add(&vector);
            sparse.add(&vector);
        }
        let expected = vec![
            (vec![0, 6, 5], 1.0),
            (vec![1, 2, 3], 2.0),
            (vec![2, 0, 0], 1.0),
        ];
        assert_eq!(dense.into_sorted(), expected);
        assert_eq!(sparse.into_sorted(), expected);
    }
}
