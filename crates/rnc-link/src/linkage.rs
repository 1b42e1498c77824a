//! The linkage pipeline: blocking, comparison, training, scoring and
//! clustering.

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use rayon::prelude::*;
use rnc_model::SourceRecord;
use serde::{Deserialize, Serialize};
use tracing::{info, info_span};

use crate::Error;
use crate::RuleEstimate;
use crate::blocking::{block, estimate_pairs};
use crate::carried::{
    add_prior_pairs, decisions_by_pair, records_in_decisions,
};
use crate::cluster::{Edge, cluster};
use crate::compare::{
    COMPARISON_COUNT, COMPARISON_NAMES, EXACT, EncodedRecords, FIRST_NAME,
    FIRST_NAME_UNRELATED, Levels, NIR, SEX, compare, encode_records,
    untrained_comparisons,
};
use crate::dice::BloomArena;
use crate::error::ErrorKind;
use crate::model::FellegiSunterModel;
use crate::pair_plan::{ComparedPairs, PairFinder, find_with};
use crate::profiles::{Profiles, group_profiles};
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

/// A candidate pair of linkage profiles with its score.
///
/// Records whose encoded pseudonyms and name filters are all equal form
/// one profile and are compared once. A pair of two profiles represents
/// every pair of their records, and a pair within one profile for every
/// pair of its records; `left` and `right` name one of them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoredPair {
    /// Index in the input of a record of the first profile, smaller than
    /// `right`.
    pub left: u32,
    /// Index in the input of a record of the second profile; for a pair
    /// within one profile, another record of it.
    pub right: u32,
    /// Record pairs that this pair represents: the product of the two
    /// profiles' record counts, or n(n−1)/2 within a profile of n records.
    pub record_pairs: u64,
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
    /// order. A fixed array rather than a vector: a national year scores
    /// some 58 million pairs, and a heap block per pair took more memory
    /// than the rest of the pair.
    pub levels: [u8; COMPARISON_COUNT],
}

/// Counts of a linkage run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinkSummary {
    /// Input records.
    pub records: u64,
    /// Distinct candidate record pairs scored, counted through their
    /// profiles ([`ScoredPair::record_pairs`]).
    pub candidate_pairs: u64,
    /// Σ n(n−1)/2 over the blocks of every rule, counted before pairs
    /// found by several rules were merged.
    pub estimated_pairs: u64,
    /// Record pairs linked by NIR agreement.
    pub nir_pairs: u64,
    /// Record pairs linked after clustering (NIR agreement or posterior).
    pub linked_pairs: u64,
    /// Persons (clusters), singletons included.
    pub persons: u64,
    /// Linkage profiles: groups of records with equal encodings, which
    /// are compared once.
    pub profiles: u64,
    /// Candidate profile pairs scored ([`Linkage::pairs`]).
    pub profile_pairs: u64,
    /// EM iterations over all training sessions.
    pub em_iterations: u32,
    /// Whether every EM session converged.
    pub em_converged: bool,
    /// Largest parameter change in the last iteration of any session.
    pub max_parameter_change: f64,
    /// Records that an earlier run had not linked; all of them when the
    /// run had no [`LinkOptions::prior`].
    pub new_records: u64,
    /// Record pairs carried from the earlier run with their stored scores.
    pub prior_pairs: u64,
    /// Whether the parameters came from [`LinkOptions::trained_model`] or
    /// the earlier run instead of training.
    pub reused_model: bool,
}

/// A record as the linker names it once encoded: by its `record_id`, in
/// pairs, decisions and earlier runs.
pub trait RecordId {
    /// Returns the record's `record_id`.
    fn record_id(&self) -> &str;
}

impl RecordId for SourceRecord {
    fn record_id(&self) -> &str {
        &self.record_id
    }
}

impl RecordId for String {
    fn record_id(&self) -> &str {
        self
    }
}

/// Result of [`link`].
#[derive(Debug, Clone)]
pub struct Linkage {
    /// Person (cluster) of each input record. Persons are numbered from 0
    /// in the order of the smallest `record_id` they contain.
    pub person_of: Vec<u32>,
    /// Candidate profile pairs sorted by (`left`, `right`).
    pub pairs: Vec<ScoredPair>,
    /// Linkage profile of each input record. Records of one profile have
    /// equal encodings and share a person, unless neither their own pairs
    /// nor any pair with another profile is linked.
    pub profile_of: Vec<u32>,
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
    Ok(estimate_encoded_comparisons(records, &encoded, prior))
}

/// Counts the candidate pairs of each blocking rule, as
/// [`estimate_link_comparisons`] does, on records encoded by a
/// [`RecordEncoder`](crate::RecordEncoder). `records` name them: the
/// record ids that [`RecordEncoder::finish`](crate::RecordEncoder::finish)
/// returns.
pub fn estimate_encoded_comparisons<R: RecordId>(
    records: &[R],
    encoded: &EncodedRecords,
    prior: Option<&PriorLinkage>,
) -> Vec<RuleEstimate> {
    let is_new: Option<Vec<bool>> = prior.map(|prior| {
        records
            .iter()
            .map(|r| !prior.record_ids.contains(r.record_id()))
            .collect()
    });
    estimate_pairs(&encoded.records, is_new.as_deref())
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
    /// Compare every record on its own instead of grouping records with
    /// equal encodings into linkage profiles. It costs pairs that grow
    /// with the square of a person's records, and serves as the reference
    /// that the profile path is tested against.
    pub record_by_record: bool,
    /// Find and compare the candidate pairs with this query engine (a
    /// Ballista cluster, for instance) instead of in process. The pairs,
    /// and so the linkage, are the same.
    pub pair_finder: Option<&'a dyn PairFinder>,
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
    check_inputs(records.len(), config, options)?;

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
    link_in_order(records, &order, encoded, config, options)
}

/// Links records encoded by a [`RecordEncoder`](crate::RecordEncoder),
/// as [`link_with_options`] links the records themselves, with the same
/// result. `record_ids` and `encoded` are what
/// [`RecordEncoder::finish`](crate::RecordEncoder::finish) returns, and
/// record `i` of the [`Linkage`] is `record_ids[i]`. A caller that encodes
/// a large table batch by batch never keeps its records in memory.
///
/// # Errors
///
/// As [`link_with_options`], and [`ErrorKind::InvalidConfig`] when
/// `record_ids` do not match `encoded` in number or are not sorted.
pub fn link_encoded(
    record_ids: &[String],
    encoded: EncodedRecords,
    config: &LinkConfig,
    options: &LinkOptions,
) -> Result<Linkage, Error> {
    check_encoded(record_ids, &encoded)?;
    check_inputs(record_ids.len(), config, options)?;
    let order: Vec<usize> = (0..record_ids.len()).collect();
    link_in_order(record_ids, &order, encoded, config, options)
}

/// Checks that `record_ids` are those that
/// [`RecordEncoder::finish`](crate::RecordEncoder::finish) gave with
/// `encoded`.
fn check_encoded(
    record_ids: &[String],
    encoded: &EncodedRecords,
) -> Result<(), Error> {
    let reason = if record_ids.len() != encoded.len() {
        format!(
            "{} record ids for {} encoded records; pass the two values \
             that RecordEncoder::finish returns",
            record_ids.len(),
            encoded.len()
        )
    } else if !record_ids.is_sorted() {
        "the record ids are not sorted; pass those that \
         RecordEncoder::finish returns"
            .to_string()
    } else {
        return Ok(());
    };
    Err(ErrorKind::InvalidConfig {
        field: "record_ids",
        reason,
    }
    .into())
}

/// Checks the settings, the number of records and a reused model before
/// any work.
fn check_inputs(
    records: usize,
    config: &LinkConfig,
    options: &LinkOptions,
) -> Result<(), Error> {
    config.validate()?;
    if u32::try_from(records).is_err() {
        return Err(ErrorKind::TooManyRecords {
            records,
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
    Ok(())
}

/// Links records whose encodings are given in canonical order: `order[c]`
/// is the input index of the record encoded at `c`.
fn link_in_order<R: RecordId>(
    records: &[R],
    order: &[usize],
    encoded: EncodedRecords,
    config: &LinkConfig,
    options: &LinkOptions,
) -> Result<Linkage, Error> {
    let span = info_span!("link", records = records.len());
    let _entered = span.enter();
    let started = Instant::now();
    let reused = options
        .trained_model
        .or(options.prior.map(|prior| &prior.model));
    let is_new: Option<Vec<bool>> = options.prior.map(|prior| {
        order
            .iter()
            .map(|&i| !prior.record_ids.contains(records[i].record_id()))
            .collect()
    });
    let new_records = is_new
        .as_ref()
        .map_or(records.len(), |n| n.iter().filter(|&&x| x).count());
    let decisions = options.decisions;
    let apart = if options.record_by_record {
        vec![true; records.len()]
    } else {
        records_in_decisions(records, order, decisions)
    };
    let blooms = encoded.blooms;
    let profiles = group_profiles(encoded.records, &blooms, &apart);
    // A profile may hold earlier and new records, because a new record
    // equal to an earlier one is compared exactly as that one was.
    let old_sizes: Option<Vec<u32>> = is_new.as_ref().map(|is_new| {
        let mut old = vec![0; profiles.sizes.len()];
        for (c, &p) in profiles.of_record.iter().enumerate() {
            if !is_new[c] {
                old[p as usize] += 1;
            }
        }
        old
    });
    info!(
        profiles = profiles.sizes.len(),
        "records with equal encodings grouped into linkage profiles"
    );

    let ComparedPairs {
        pairs: mut candidates,
        mut levels,
        estimated_pairs,
    } = match options.pair_finder {
        Some(finder) => find_with(
            finder,
            &profiles.encoded,
            &blooms,
            &profiles.sizes,
            old_sizes.as_deref(),
        )?,
        None => block_and_compare(&profiles, &blooms, old_sizes.as_deref()),
    };
    info!(
        candidate_pairs = count_record_pairs(&profiles, &candidates),
        profile_pairs = levels.len(),
        estimated_pairs,
        new_records,
        "candidate pairs compared"
    );

    let model = match reused {
        Some(model) => model.clone(),
        None => train_model(&profiles, &blooms, &candidates, &levels, config),
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
            order,
            &profiles,
            &blooms,
            &mut candidates,
            &mut levels,
            &mut scored,
        )?,
        None => 0,
    };
    // The scored pairs replace the levels and scores here rather than at
    // the end: a national year scores tens of millions of profile pairs,
    // and holding both forms through clustering took gigabytes.
    let mut pairs = scored_pairs(&profiles, order, &candidates, levels, scored);
    let decided =
        decisions_by_pair(records, order, &profiles.of_record, decisions);
    let KeptEdges {
        edges,
        edge_pairs,
        linked_within,
    } = keep_edges(
        &candidates,
        &mut pairs,
        decided,
        config.match_probability_threshold,
        profiles.sizes.len(),
    );
    let clustering = cluster(&profiles.encoded, &blooms, &edges);

    for (&p, &dropped) in edge_pairs.iter().zip(&clustering.dropped) {
        pairs[p].linked = !dropped;
    }
    // A profile of several records that no kept edge touches leaves its
    // records apart, as linking them one by one would.
    let mut joined: Vec<bool> = profiles
        .sizes
        .iter()
        .zip(&linked_within)
        .map(|(&size, &within)| size == 1 || within)
        .collect();
    for (edge, &dropped) in edges.iter().zip(&clustering.dropped) {
        if !dropped {
            joined[edge.left as usize] = true;
            joined[edge.right as usize] = true;
        }
    }
    let person_of =
        number_persons(&profiles, &clustering.root_of, &joined, order);
    let mut profile_of = vec![0; records.len()];
    for (c, &p) in profiles.of_record.iter().enumerate() {
        profile_of[order[c]] = p;
    }
    drop(candidates);
    pairs.par_sort_unstable_by_key(|pair| (pair.left, pair.right));

    let summary = LinkSummary {
        records: records.len() as u64,
        candidate_pairs: pairs.iter().map(|p| p.record_pairs).sum(),
        estimated_pairs,
        nir_pairs: pairs
            .iter()
            .filter(|p| p.method == PairMethod::NirAgreement)
            .map(|p| p.record_pairs)
            .sum(),
        linked_pairs: pairs
            .iter()
            .filter(|p| p.linked)
            .map(|p| p.record_pairs)
            .sum(),
        persons: person_of.iter().max().map_or(0, |&m| u64::from(m) + 1),
        profiles: profiles.sizes.len() as u64,
        profile_pairs: pairs.len() as u64,
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
        profile_pairs = summary.profile_pairs,
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
        profile_of,
        model,
        summary,
    })
}

/// Blocks the profiles and compares each candidate pair, in process.
fn block_and_compare(
    profiles: &Profiles,
    blooms: &BloomArena,
    old_sizes: Option<&[u32]>,
) -> ComparedPairs {
    let blocking = block(&profiles.encoded, &profiles.sizes, old_sizes);
    let levels: Vec<Levels> = blocking
        .pairs
        .par_iter()
        .map(|&(a, b)| {
            compare(
                &profiles.encoded[a as usize],
                &profiles.encoded[b as usize],
                blooms,
            )
        })
        .collect();
    ComparedPairs {
        pairs: blocking.pairs,
        levels,
        estimated_pairs: blocking.estimated_pairs,
    }
}

/// Match weight, probability and NIR agreement of a candidate pair.
pub(crate) type Score = (f64, f64, bool);

/// The candidate pairs that clustering joins on.
struct KeptEdges {
    /// Kept pairs of two profiles, then matches decided on pairs that
    /// blocking did not produce.
    edges: Vec<Edge>,
    /// Candidate index of each edge from a candidate pair.
    edge_pairs: Vec<usize>,
    /// Per profile, whether its own record pairs are linked.
    linked_within: Vec<bool>,
}

/// Keeps the candidate pairs above the threshold or on NIR agreement,
/// unless a reviewer decided otherwise, and adds the decided matches
/// that blocking did not produce. A kept pair within one profile makes
/// the profile one node of the clustering whatever its other pairs. Such
/// a pair is marked linked in `pairs` here. A kept pair of two profiles
/// is marked after the chain guard.
fn keep_edges(
    candidates: &[(u32, u32)],
    pairs: &mut [ScoredPair],
    mut decided: HashMap<(u32, u32), Decision>,
    threshold: f64,
    profiles: usize,
) -> KeptEdges {
    let mut edge_pairs = Vec::new();
    let mut edges = Vec::new();
    let mut linked_within = vec![false; profiles];
    for (p, pair) in pairs.iter_mut().enumerate() {
        let (left, right) = candidates[p];
        let decision = decided.remove(&(left, right));
        let nir_agreement = pair.method == PairMethod::NirAgreement;
        let above = nir_agreement || pair.match_probability >= threshold;
        let keep = match decision {
            Some(Decision::Match) => true,
            Some(Decision::NonMatch) => false,
            None => above,
        };
        if keep && left == right {
            // Records with equal encodings never conflict, so the chain
            // guard has nothing to drop here.
            linked_within[left as usize] = true;
            pair.linked = true;
        } else if keep {
            edge_pairs.push(p);
            edges.push(Edge {
                left,
                right,
                // A reviewed match is as certain as NIR agreement, so the
                // chain guard keeps it.
                nir_agreement: nir_agreement
                    || decision == Some(Decision::Match),
                weight: pair.match_weight,
            });
        }
    }
    // Records named in decisions have profiles of their own, so these
    // join two profiles.
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
    KeptEdges {
        edges,
        edge_pairs,
        linked_within,
    }
}

/// Builds the scored profile pairs, each named by records of its
/// profiles in input indices, none linked yet. Takes the levels and
/// scores so that they are freed as soon as the pairs hold them.
fn scored_pairs(
    profiles: &Profiles,
    order: &[usize],
    candidates: &[(u32, u32)],
    levels: Vec<Levels>,
    scored: Vec<Score>,
) -> Vec<ScoredPair> {
    let named = |p: u32| order[profiles.first[p as usize] as usize] as u32;
    candidates
        .par_iter()
        .zip(levels)
        .zip(scored)
        .map(|(((a, b), vector), (weight, probability, nir))| {
            let (x, y) = if a == b {
                let second = profiles.second[*a as usize];
                (named(*a), order[second as usize] as u32)
            } else {
                (named(*a), named(*b))
            };
            ScoredPair {
                left: x.min(y),
                right: x.max(y),
                record_pairs: profiles.record_pairs(*a, *b),
                match_weight: weight,
                match_probability: probability,
                method: if nir {
                    PairMethod::NirAgreement
                } else {
                    PairMethod::FellegiSunter
                },
                linked: false,
                levels: vector,
            }
        })
        .collect()
}

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

/// Record pairs that the candidate profile pairs represent.
fn count_record_pairs(profiles: &Profiles, candidates: &[(u32, u32)]) -> u64 {
    candidates
        .iter()
        .map(|&(a, b)| profiles.record_pairs(a, b))
        .sum()
}

/// Trains the model on record pairs: u from random record pairs, m and λ
/// from the candidate vectors, each weighted by the record pairs its
/// profile pair represents. Training therefore gives the parameters it
/// gave when records were compared one by one.
fn train_model(
    profiles: &Profiles,
    blooms: &BloomArena,
    candidates: &[(u32, u32)],
    levels: &[Levels],
    config: &LinkConfig,
) -> FellegiSunterModel {
    let mut model = FellegiSunterModel::new(untrained_comparisons(), 1e-4);
    estimate_u_probabilities(
        &mut model,
        &profiles.encoded,
        &profiles.of_record,
        blooms,
        config.u_sample_pairs,
        config.seed,
    );
    let vectors = count_vectors(
        candidates
            .iter()
            .zip(levels)
            .map(|(&(a, b), vector)| (*vector, profiles.record_pairs(a, b))),
    );
    let limits = EmLimits {
        max_iterations: config.max_em_iterations,
        tolerance: config.em_tolerance,
    };
    estimate_m_probabilities(&mut model, &vectors, &limits);
    estimate_lambda(&mut model, &vectors, profiles.of_record.len(), &limits);
    model
}

/// Numbers persons by their first record in canonical order and maps the
/// numbers back to input positions. A record takes the cluster of its
/// profile (`root_of`) when the profile is `joined`, else a person of its
/// own.
fn number_persons(
    profiles: &Profiles,
    root_of: &[u32],
    joined: &[bool],
    order: &[usize],
) -> Vec<u32> {
    let mut number_of_root = vec![u32::MAX; root_of.len()];
    let mut person_of = vec![0; order.len()];
    let mut next = 0;
    for (canonical, &profile) in profiles.of_record.iter().enumerate() {
        let number = if joined[profile as usize] {
            let number =
                &mut number_of_root[root_of[profile as usize] as usize];
            if *number == u32::MAX {
                *number = next;
                next += 1;
            }
            *number
        } else {
            next += 1;
            next - 1
        };
        person_of[order[canonical]] = number;
    }
    person_of
}
