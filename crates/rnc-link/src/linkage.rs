//! The linkage pipeline: blocking, comparison, training, scoring and
//! clustering.

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use rayon::prelude::*;
use rnc_model::SourceRecord;
use serde::{Deserialize, Serialize};
use tracing::{info, info_span, warn};

use crate::Error;
use crate::RuleEstimate;
use crate::blocking::{block, estimate_pairs};
use crate::cluster::{Edge, cluster};
use crate::compare::{
    COMPARISON_NAMES, EXACT, FIRST_NAME, FIRST_NAME_UNRELATED, Levels, NIR,
    SEX, compare, encode_records, untrained_comparisons,
};
use crate::error::ErrorKind;
use crate::model::FellegiSunterModel;
use crate::review::{Decision, ReviewDecision};
use crate::training::{
    EmLimits, count_vectors, estimate_lambda, estimate_m_probabilities,
    estimate_u_probabilities,
};

/// Settings of [`link`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinkConfig {
    /// Pairs whose posterior match probability reaches this value are
    /// linked. Default 0.95.
    pub match_probability_threshold: f64,
    /// Iteration limit of each EM session. Default 25.
    pub max_em_iterations: u32,
    /// EM stops when no parameter changes by more than this. Default 1e-4.
    pub em_tolerance: f64,
    /// Random record pairs drawn to estimate u. Default 1 000 000.
    pub u_sample_pairs: u64,
    /// Seed of the ChaCha8 generator that draws the u sample.
    pub seed: u64,
    /// Link pairs with the same valid NIR and the same sex whatever their
    /// score, unless their first names are unrelated. Default true.
    ///
    /// A source that gives the insured person's NIR gives same-sex twins
    /// one NIR, so a NIR match with unrelated first names is scored and
    /// guarded like any other pair.
    pub deterministic_nir: bool,
}

impl Default for LinkConfig {
    fn default() -> LinkConfig {
        LinkConfig {
            match_probability_threshold: 0.95,
            max_em_iterations: 25,
            em_tolerance: 1e-4,
            u_sample_pairs: 1_000_000,
            seed: 0,
            deterministic_nir: true,
        }
    }
}

impl LinkConfig {
    fn validate(&self) -> Result<(), Error> {
        let invalid = |field, reason: &str| {
            Err(Error::from(ErrorKind::InvalidConfig {
                field,
                reason: reason.to_string(),
            }))
        };
        let threshold = self.match_probability_threshold;
        if !(threshold > 0.0 && threshold <= 1.0) {
            return invalid(
                "match_probability_threshold",
                "expected a probability in (0, 1]",
            );
        }
        if self.max_em_iterations == 0 {
            return invalid("max_em_iterations", "expected at least 1");
        }
        if !(self.em_tolerance > 0.0 && self.em_tolerance.is_finite()) {
            return invalid(
                "em_tolerance",
                "expected a positive finite number",
            );
        }
        if self.u_sample_pairs == 0 {
            return invalid("u_sample_pairs", "expected at least 1");
        }
        Ok(())
    }
}

/// How a pair came to be linked or scored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PairMethod {
    /// Same valid NIR and same sex (deterministic pass).
    NirAgreement,
    /// Fellegi-Sunter posterior.
    FellegiSunter,
}

impl PairMethod {
    /// The label used in the pair table.
    pub fn label(self) -> &'static str {
        match self {
            PairMethod::NirAgreement => "nir_agreement",
            PairMethod::FellegiSunter => "fellegi_sunter",
        }
    }
}

/// A candidate pair with its score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoredPair {
    /// Index of the first record in the input, smaller than `right`.
    pub left: u32,
    /// Index of the second record in the input.
    pub right: u32,
    /// log2 posterior odds of a match.
    pub match_weight: f64,
    /// Posterior match probability.
    pub match_probability: f64,
    /// How the pair was decided.
    pub method: PairMethod,
    /// Whether the pair joins its records in one person. False for a pair
    /// above the threshold that the chain guard dropped.
    pub linked: bool,
    /// Comparison level per comparison, in [`crate::COMPARISON_NAMES`]
    /// order.
    pub levels: Vec<u8>,
}

/// Counts of a linkage run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinkSummary {
    /// Input records.
    pub records: u64,
    /// Distinct candidate pairs scored.
    pub candidate_pairs: u64,
    /// Σ n(n−1)/2 over the blocks of every rule, counted before pairs
    /// found by several rules were merged.
    pub estimated_pairs: u64,
    /// Pairs linked by NIR agreement.
    pub nir_pairs: u64,
    /// Pairs linked after clustering (NIR agreement or posterior).
    pub linked_pairs: u64,
    /// Persons (clusters), singletons included.
    pub persons: u64,
    /// EM iterations over all training sessions.
    pub em_iterations: u32,
    /// Whether every EM session converged.
    pub em_converged: bool,
    /// Largest parameter change in the last iteration of any session.
    pub max_parameter_change: f64,
    /// Records that an earlier run had not linked; all of them when the
    /// run had no [`LinkOptions::prior`].
    pub new_records: u64,
    /// Pairs carried from the earlier run with their stored scores.
    pub prior_pairs: u64,
    /// Whether the parameters came from [`LinkOptions::trained_model`] or
    /// the earlier run instead of training.
    pub reused_model: bool,
}

/// Result of [`link`].
#[derive(Debug, Clone)]
pub struct Linkage {
    /// Person (cluster) of each input record. Persons are numbered from 0
    /// in the order of the smallest `record_id` they contain.
    pub person_of: Vec<u32>,
    /// Candidate pairs sorted by (`left`, `right`).
    pub pairs: Vec<ScoredPair>,
    /// The trained model.
    pub model: FellegiSunterModel,
    /// Counts.
    pub summary: LinkSummary,
}

/// Links records into persons.
///
/// # Errors
///
/// [`ErrorKind::InvalidConfig`] for an out-of-range setting,
/// [`ErrorKind::TooManyRecords`] above `u32::MAX` records and
/// [`ErrorKind::BloomLengthMismatch`] when name filters differ in length.
pub fn link(
    records: &[SourceRecord],
    config: &LinkConfig,
) -> Result<Linkage, Error> {
    link_with_decisions(records, config, &[])
}

/// Links records into persons as [`link`] does, then applies reviewers'
/// decisions: a pair decided a match is always linked (and never dropped
/// by the chain guard), a pair decided a non-match is never linked
/// directly. Decisions naming a record that is not in `records` are
/// ignored with a `warn` event.
///
/// NOTE: a non-match decision removes the direct link only. The two
/// records can still meet in one person through other linked pairs,
/// because the chain guard splits only on conflicting NIRs, dates or
/// first names.
///
/// # Errors
///
/// As [`link`].
pub fn link_with_decisions(
    records: &[SourceRecord],
    config: &LinkConfig,
    decisions: &[ReviewDecision],
) -> Result<Linkage, Error> {
    link_with_options(
        records,
        config,
        &LinkOptions {
            decisions,
            ..LinkOptions::default()
        },
    )
}

/// Counts the candidate pairs of each blocking rule without comparing
/// them, so that a caller can show the size of the work before it runs.
/// With `prior`, only pairs that hold a record the earlier run had not
/// linked are counted, as [`link_with_options`] compares only those.
///
/// # Errors
///
/// As [`link`].
pub fn estimate_link_comparisons(
    records: &[SourceRecord],
    prior: Option<&PriorLinkage>,
) -> Result<Vec<RuleEstimate>, Error> {
    let order: Vec<usize> = (0..records.len()).collect();
    let encoded = encode_records(records, &order)?;
    let is_new: Option<Vec<bool>> = prior.map(|prior| {
        records
            .iter()
            .map(|r| !prior.record_ids.contains(&r.record_id))
            .collect()
    });
    Ok(estimate_pairs(&encoded.records, is_new.as_deref()))
}

/// A scored pair of an earlier run, as its pair table stores it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PriorPair {
    /// `record_id` of one record.
    pub record_id_left: String,
    /// `record_id` of the other record.
    pub record_id_right: String,
    /// log2 posterior odds of a match when it was scored.
    pub match_weight: f64,
    /// Posterior match probability when it was scored.
    pub match_probability: f64,
    /// Method that decided the pair.
    pub method: PairMethod,
    /// Comparison levels, in [`crate::COMPARISON_NAMES`] order.
    pub levels: Vec<u8>,
}

/// The records, scored pairs and model of an earlier run, which an
/// incremental run builds on.
#[derive(Debug, Clone)]
pub struct PriorLinkage {
    /// `record_id` of every record the earlier run linked.
    pub record_ids: HashSet<String>,
    /// Every candidate pair the earlier run scored, linked or not.
    pub pairs: Vec<PriorPair>,
    /// The model that scored them; new pairs are scored with it too.
    pub model: FellegiSunterModel,
}

/// Inputs of [`link_with_options`] beyond the records.
#[derive(Debug, Clone, Copy, Default)]
pub struct LinkOptions<'a> {
    /// Reviewers' decisions, applied as [`link_with_decisions`] does.
    pub decisions: &'a [ReviewDecision],
    /// Score with these parameters instead of training (a model saved with
    /// a release, for instance).
    pub trained_model: Option<&'a FellegiSunterModel>,
    /// Link incrementally: compare only the pairs that hold a record the
    /// earlier run had not linked, keep its pairs with their stored
    /// scores, and score with its model unless `trained_model` is given.
    pub prior: Option<&'a PriorLinkage>,
}

/// Links records into persons, with reviewers' decisions, a saved model
/// or the pairs of an earlier run (see [`LinkOptions`]). Whatever the
/// options, every linked pair goes through the same clustering and chain
/// guard, so an incremental run joins new records to earlier persons and
/// still splits a person whose records come to disagree.
///
/// # Errors
///
/// As [`link`], and [`ErrorKind::InvalidModel`] when the saved or earlier
/// model does not have this linkage's comparisons and levels, or a
/// stored pair has another number of comparison levels.
pub fn link_with_options(
    records: &[SourceRecord],
    config: &LinkConfig,
    options: &LinkOptions,
) -> Result<Linkage, Error> {
    let span = info_span!("link", records = records.len());
    let _entered = span.enter();
    let started = Instant::now();
    config.validate()?;
    if u32::try_from(records.len()).is_err() {
        return Err(ErrorKind::TooManyRecords {
            records: records.len(),
            max: u32::MAX as usize,
        }
        .into());
    }
    let reused = options
        .trained_model
        .or(options.prior.map(|prior| &prior.model));
    if let Some(model) = reused {
        check_model_fits(model)?;
    }

    // Canonical order by record_id, so that sampling, training and
    // tie-breaking do not depend on the input order.
    let mut order: Vec<usize> = (0..records.len()).collect();
    order.sort_by(|&a, &b| {
        records[a]
            .record_id
            .cmp(&records[b].record_id)
            .then(a.cmp(&b))
    });
    let encoded = encode_records(records, &order)?;
    let is_new: Option<Vec<bool>> = options.prior.map(|prior| {
        order
            .iter()
            .map(|&i| !prior.record_ids.contains(&records[i].record_id))
            .collect()
    });
    let new_records = is_new
        .as_ref()
        .map_or(records.len(), |n| n.iter().filter(|&&x| x).count());

    let blocking = block(&encoded.records, is_new.as_deref());
    let mut candidates = blocking.pairs;
    let mut levels: Vec<Levels> = candidates
        .par_iter()
        .map(|&(a, b)| {
            compare(
                &encoded.records[a as usize],
                &encoded.records[b as usize],
                &encoded.blooms,
            )
        })
        .collect();
    info!(
        candidate_pairs = levels.len(),
        estimated_pairs = blocking.estimated_pairs,
        new_records,
        "candidate pairs compared"
    );

    let model = match reused {
        Some(model) => model.clone(),
        None => train_model(&encoded, &levels, config),
    };

    let mut scored: Vec<Score> = levels
        .par_iter()
        .map(|vector| {
            let (weight, probability) = model.score(vector);
            let nir_agreement = config.deterministic_nir
                && vector[NIR] == EXACT
                && vector[SEX] == EXACT
                && vector[FIRST_NAME] != FIRST_NAME_UNRELATED;
            (weight, probability, nir_agreement)
        })
        .collect();
    let prior_pairs = match options.prior {
        Some(prior) => add_prior_pairs(
            prior,
            records,
            &order,
            &mut candidates,
            &mut levels,
            &mut scored,
        )?,
        None => 0,
    };
    let decisions = options.decisions;
    let pairs_of_candidates = candidates;
    let mut decided = decisions_by_pair(records, &order, decisions);
    let mut edge_pairs = Vec::new();
    let mut edges = Vec::new();
    for (p, &(weight, probability, nir_agreement)) in scored.iter().enumerate()
    {
        let (left, right) = pairs_of_candidates[p];
        let decision = decided.remove(&(left, right));
        let above =
            nir_agreement || probability >= config.match_probability_threshold;
        let keep = match decision {
            Some(Decision::Match) => true,
            Some(Decision::NonMatch) => false,
            None => above,
        };
        if keep {
            edge_pairs.push(p);
            edges.push(Edge {
                left,
                right,
                // A reviewed match is as certain as NIR agreement, so the
                // chain guard keeps it.
                nir_agreement: nir_agreement
                    || decision == Some(Decision::Match),
                weight,
            });
        }
    }
    // Matches decided on pairs that blocking did not produce.
    let mut extra: Vec<(u32, u32)> = decided
        .into_iter()
        .filter(|(_, d)| *d == Decision::Match)
        .map(|(pair, _)| pair)
        .collect();
    extra.sort_unstable();
    for (left, right) in extra {
        edges.push(Edge {
            left,
            right,
            nir_agreement: true,
            weight: f64::INFINITY,
        });
    }
    let clustering = cluster(&encoded.records, &encoded.blooms, &edges);

    let mut linked = vec![false; levels.len()];
    for (&p, &dropped) in edge_pairs.iter().zip(&clustering.dropped) {
        linked[p] = !dropped;
    }
    let person_of = number_persons(&clustering.root_of, &order);
    let mut pairs: Vec<ScoredPair> = pairs_of_candidates
        .iter()
        .zip(&levels)
        .zip(&scored)
        .zip(&linked)
        .map(
            |((((a, b), vector), &(weight, probability, nir)), &linked)| {
                let (x, y) =
                    (order[*a as usize] as u32, order[*b as usize] as u32);
                ScoredPair {
                    left: x.min(y),
                    right: x.max(y),
                    match_weight: weight,
                    match_probability: probability,
                    method: if nir {
                        PairMethod::NirAgreement
                    } else {
                        PairMethod::FellegiSunter
                    },
                    linked,
                    levels: vector.to_vec(),
                }
            },
        )
        .collect();
    pairs.par_sort_unstable_by_key(|pair| (pair.left, pair.right));

    let summary = LinkSummary {
        records: records.len() as u64,
        candidate_pairs: pairs.len() as u64,
        estimated_pairs: blocking.estimated_pairs,
        nir_pairs: pairs
            .iter()
            .filter(|p| p.method == PairMethod::NirAgreement)
            .count() as u64,
        linked_pairs: pairs.iter().filter(|p| p.linked).count() as u64,
        persons: person_of.iter().max().map_or(0, |&m| u64::from(m) + 1),
        em_iterations: model.em_iterations,
        em_converged: model.em_converged,
        max_parameter_change: model
            .sessions
            .iter()
            .map(|s| s.max_parameter_change)
            .filter(|c| c.is_finite())
            .fold(0.0, f64::max),
        new_records: new_records as u64,
        prior_pairs,
        reused_model: reused.is_some(),
    };
    info!(
        candidate_pairs = summary.candidate_pairs,
        nir_pairs = summary.nir_pairs,
        linked_pairs = summary.linked_pairs,
        persons = summary.persons,
        split_clusters = clustering.split_clusters,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "linkage finished"
    );
    Ok(Linkage {
        person_of,
        pairs,
        model,
        summary,
    })
}

/// Match weight, probability and NIR agreement of a candidate pair.
type Score = (f64, f64, bool);

/// Checks that a saved model has the comparisons and levels of this
/// linkage.
fn check_model_fits(model: &FellegiSunterModel) -> Result<(), Error> {
    let expected = untrained_comparisons();
    let fits =
        model.comparisons.len() == expected.len()
            && model.comparisons.iter().zip(&expected).all(|(c, e)| {
                c.name == e.name && c.levels.len() == e.levels.len()
            });
    if fits {
        Ok(())
    } else {
        Err(ErrorKind::InvalidModel {
            reason: format!(
                "the model's comparisons or levels differ from this \
                 linkage's ({}); use a model saved by this version of rnc \
                 or link with training",
                COMPARISON_NAMES.join(", ")
            ),
        }
        .into())
    }
}

/// Appends the earlier run's pairs, with their stored levels and scores,
/// to the candidates, keeping them sorted by (left, right). Pairs naming
/// a record that is no longer given are left out with a `warn` event.
/// Returns the number of pairs carried over.
fn add_prior_pairs(
    prior: &PriorLinkage,
    records: &[SourceRecord],
    order: &[usize],
    candidates: &mut Vec<(u32, u32)>,
    levels: &mut Vec<Levels>,
    scored: &mut Vec<Score>,
) -> Result<u64, Error> {
    let canonical = indices_by_record_id(records, order);
    // The flag marks a carried pair, so that a pair blocking found again
    // keeps its fresh score and is counted once.
    let mut rows: Vec<((u32, u32), bool, Levels, Score)> = candidates
        .drain(..)
        .zip(levels.drain(..))
        .zip(scored.drain(..))
        .map(|((pair, vector), score)| (pair, false, vector, score))
        .collect();
    let mut missing = 0u64;
    for pair in &prior.pairs {
        let vector: Levels =
            pair.levels.as_slice().try_into().map_err(|_| {
                Error::from(ErrorKind::InvalidModel {
                    reason: format!(
                        "a stored pair has {} comparison levels, expected {} \
                         (relink the registry in full)",
                        pair.levels.len(),
                        COMPARISON_NAMES.len()
                    ),
                })
            })?;
        let (Some(lefts), Some(rights)) = (
            canonical.get(pair.record_id_left.as_str()),
            canonical.get(pair.record_id_right.as_str()),
        ) else {
            missing += 1;
            continue;
        };
        let score = (
            pair.match_weight,
            pair.match_probability,
            pair.method == PairMethod::NirAgreement,
        );
        for (a, b) in index_pairs(lefts, rights) {
            rows.push(((a, b), true, vector, score));
        }
    }
    if missing > 0 {
        warn!(
            pairs = missing,
            "pairs of the earlier run name records that are no longer \
             staged; they were left out"
        );
    }
    rows.par_sort_unstable_by_key(|row| (row.0, row.1));
    rows.dedup_by_key(|row| row.0);
    let mut carried = 0u64;
    for (pair, from_prior, vector, score) in rows {
        carried += u64::from(from_prior);
        candidates.push(pair);
        levels.push(vector);
        scored.push(score);
    }
    Ok(carried)
}

/// Maps each `record_id` to the canonical indices of the records that
/// carry it. A record sent again in a later file keeps its `record_id`,
/// so one id may name several staged records, and a stored pair or
/// decision applies to each of them.
///
/// NOTE: a copy sent again with corrected values takes the stored levels
/// of the earlier copy's pairs until `rnc link --full` compares it anew.
fn indices_by_record_id<'r>(
    records: &'r [SourceRecord],
    order: &[usize],
) -> HashMap<&'r str, Vec<u32>> {
    let mut canonical: HashMap<&str, Vec<u32>> = HashMap::new();
    for (c, &i) in order.iter().enumerate() {
        canonical
            .entry(records[i].record_id.as_str())
            .or_default()
            .push(c as u32);
    }
    canonical
}

/// Lists the ordered pairs of distinct indices, one from each side.
fn index_pairs<'a>(
    lefts: &'a [u32],
    rights: &'a [u32],
) -> impl Iterator<Item = (u32, u32)> + 'a {
    lefts.iter().flat_map(move |&a| {
        rights
            .iter()
            .filter(move |&&b| a != b)
            .map(move |&b| (a.min(b), a.max(b)))
    })
}

/// Reviewers' decisions keyed by canonical (left, right) indices.
fn decisions_by_pair(
    records: &[SourceRecord],
    order: &[usize],
    decisions: &[ReviewDecision],
) -> HashMap<(u32, u32), Decision> {
    if decisions.is_empty() {
        return HashMap::new();
    }
    let canonical = indices_by_record_id(records, order);
    let mut by_pair = HashMap::new();
    let mut unknown = 0u64;
    for d in decisions {
        let (Some(lefts), Some(rights)) = (
            canonical.get(d.record_id_left.as_str()),
            canonical.get(d.record_id_right.as_str()),
        ) else {
            unknown += 1;
            continue;
        };
        for pair in index_pairs(lefts, rights) {
            by_pair.insert(pair, d.decision);
        }
    }
    if unknown > 0 {
        warn!(
            decisions = unknown,
            "review decisions name records that are not in this run; \
             they were ignored"
        );
    }
    by_pair
}

fn train_model(
    encoded: &crate::compare::EncodedRecords,
    levels: &[Levels],
    config: &LinkConfig,
) -> FellegiSunterModel {
    let mut model = FellegiSunterModel::new(untrained_comparisons(), 1e-4);
    estimate_u_probabilities(
        &mut model,
        &encoded.records,
        &encoded.blooms,
        config.u_sample_pairs,
        config.seed,
    );
    let vectors = count_vectors(levels);
    let limits = EmLimits {
        max_iterations: config.max_em_iterations,
        tolerance: config.em_tolerance,
    };
    estimate_m_probabilities(&mut model, &vectors, &limits);
    estimate_lambda(&mut model, &vectors, encoded.records.len(), &limits);
    model
}

/// Numbers persons by their first record in canonical order and maps the
/// numbers back to input positions.
fn number_persons(root_of: &[u32], order: &[usize]) -> Vec<u32> {
    let mut number_of_root = vec![u32::MAX; root_of.len()];
    let mut person_of = vec![0; root_of.len()];
    let mut next = 0;
    for (canonical, &root) in root_of.iter().enumerate() {
        let number = &mut number_of_root[root as usize];
        if *number == u32::MAX {
            *number = next;
            next += 1;
        }
        person_of[order[canonical]] = *number;
    }
    person_of
}
