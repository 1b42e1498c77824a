//! Estimation of the model: u by random sampling, m by EM sessions on
//! blocked pairs, then the prior λ.

use std::collections::HashMap;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use tracing::{info, warn};

use crate::compare::{
    BIRTH_DATE, BIRTH_NAME, COMPARISON_COUNT, DATE_TRANSPOSED, DEPARTEMENT,
    EXACT, Encoded, FIRST_NAME, Levels, NIR, SEX, compare,
};
use crate::dice::BloomArena;
use crate::em::{EmSettings, SessionAverage, posterior, train_em};
use crate::model::{FellegiSunterModel, TrainingSession, clamp_probability};

/// Largest number of levels of any comparison.
const MAX_LEVELS: usize = 6;

type LevelCounts = [[u64; MAX_LEVELS]; COMPARISON_COUNT];

/// Samples per random-number stream: each chunk has its own ChaCha8
/// stream, so the sample does not depend on the number of threads.
const SAMPLES_PER_STREAM: u64 = 1 << 16;

/// Estimates u from record pairs drawn at random (with replacement) among
/// all pairs, or from every pair when there are no more pairs than
/// `sample_pairs`. Records are in canonical order, so the sample does not
/// depend on the input order. `profiles` contains the encoding of each
/// profile and `of_record` the profile of each record, so the sample is
/// drawn among records as if each carried its own encoding.
///
/// NOTE: the sample contains the few true matches that random pairs hold;
/// like Splink, we ignore them, which overstates u of the agreeing levels
/// by roughly λ.
pub(crate) fn estimate_u_probabilities(
    model: &mut FellegiSunterModel,
    profiles: &[Encoded],
    of_record: &[u32],
    blooms: &BloomArena,
    sample_pairs: u64,
    seed: u64,
) -> u64 {
    let records = Records {
        profiles,
        of_record,
        blooms,
    };
    let n = of_record.len() as u64;
    if n < 2 {
        warn!(
            "fewer than two records; u probabilities keep their starting values"
        );
        return 0;
    }
    let all_pairs = n * (n - 1) / 2;
    let (counts, sampled) = if all_pairs <= sample_pairs {
        (count_all_pairs(&records), all_pairs)
    } else {
        (
            count_sampled_pairs(&records, sample_pairs, seed),
            sample_pairs,
        )
    };
    for (c, comparison) in model.comparisons.iter_mut().enumerate() {
        let observed: u64 = comparison
            .levels
            .iter()
            .zip(&counts[c])
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
        for (l, level) in comparison.levels.iter_mut().enumerate() {
            if level.is_null {
                continue;
            }
            if counts[c][l] == 0 {
                warn!(
                    comparison = %comparison.name,
                    level = %level.name,
                    sampled_pairs = sampled,
                    "level never seen among random pairs; u set to the minimum \
                     probability"
                );
            }
            level.u = clamp_probability(counts[c][l] as f64 / observed as f64);
        }
    }
    info!(
        sampled_pairs = sampled,
        all_pairs, "u probabilities estimated"
    );
    sampled
}

/// Adds a sampled pair's levels to the u counts, except the name levels
/// of a pair whose birth dates are equal or transposed.
///
/// Names are compared only under a birth-date salt both records share, so
/// random pairs rarely have a name level. A person's own records share
/// their salts, so they are a large part of the pairs that do: a fifth in
/// a 25 000-record demo registry, which gave the exact names a u near
/// 0.1. Most such pairs have equal dates. Among other pairs that share
/// a salt, whether the names agree does not depend on whether the birth
/// days agree too, so leaving equal dates out removes most matches and
/// keeps u of the others.
///
/// NOTE: pairs that share a salt are about 1 in 600 random pairs when
/// births span a century, so in a registry of a few thousand records
/// the name levels' u rest on a few hundred pairs or fewer. Sampling
/// pairs within each salt would give them more.
fn add_levels(counts: &mut LevelCounts, levels: &Levels) {
    let same_date = matches!(levels[BIRTH_DATE], EXACT | DATE_TRANSPOSED);
    for (c, &level) in levels.iter().enumerate() {
        if same_date && (c == BIRTH_NAME || c == FIRST_NAME) {
            continue;
        }
        counts[c][usize::from(level)] += 1;
    }
}

fn merge_counts(mut a: LevelCounts, b: LevelCounts) -> LevelCounts {
    for (row_a, row_b) in a.iter_mut().zip(&b) {
        for (x, y) in row_a.iter_mut().zip(row_b) {
            *x += y;
        }
    }
    a
}

/// Profiles, the profile of each record and the filters they point to.
struct Records<'a> {
    profiles: &'a [Encoded],
    of_record: &'a [u32],
    blooms: &'a BloomArena,
}

impl Records<'_> {
    /// Levels of the pair of records `i` and `j`.
    fn compare(&self, i: usize, j: usize) -> Levels {
        let profile = |r: usize| &self.profiles[self.of_record[r] as usize];
        compare(profile(i), profile(j), self.blooms)
    }
}

fn count_all_pairs(records: &Records) -> LevelCounts {
    let n = records.of_record.len();
    (0..n)
        .into_par_iter()
        .fold(
            || [[0; MAX_LEVELS]; COMPARISON_COUNT],
            |mut counts, i| {
                for j in i + 1..n {
                    add_levels(&mut counts, &records.compare(i, j));
                }
                counts
            },
        )
        .reduce(|| [[0; MAX_LEVELS]; COMPARISON_COUNT], merge_counts)
}

fn count_sampled_pairs(
    records: &Records,
    sample_pairs: u64,
    seed: u64,
) -> LevelCounts {
    let n = records.of_record.len();
    let streams = sample_pairs.div_ceil(SAMPLES_PER_STREAM);
    (0..streams)
        .into_par_iter()
        .map(|stream| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            rng.set_stream(stream);
            let start = stream * SAMPLES_PER_STREAM;
            let size = SAMPLES_PER_STREAM.min(sample_pairs - start);
            let mut counts = [[0; MAX_LEVELS]; COMPARISON_COUNT];
            for _ in 0..size {
                let i = rng.random_range(0..n);
                let mut j = rng.random_range(0..n - 1);
                if j >= i {
                    j += 1;
                }
                add_levels(&mut counts, &records.compare(i, j));
            }
            counts
        })
        .reduce(|| [[0; MAX_LEVELS]; COMPARISON_COUNT], merge_counts)
}

/// Counts the record pairs of each distinct comparison vector, from
/// (vector, record pairs) items, sorted so that training does not depend
/// on the pair order.
pub(crate) fn count_vectors(
    levels: impl Iterator<Item = (Levels, u64)>,
) -> Vec<(Levels, u64)> {
    let mut counts: HashMap<Levels, u64> = HashMap::new();
    for (vector, pairs) in levels {
        *counts.entry(vector).or_default() += pairs;
    }
    let mut counted: Vec<(Levels, u64)> = counts.into_iter().collect();
    counted.sort_unstable();
    counted
}

/// An EM training session: the pairs of one blocking rule, with the
/// comparisons that rule blocks on left out.
struct SessionRule {
    name: &'static str,
    blocked: &'static [usize],
}

/// Splink's practice: m of a comparison is estimated only from pairs
/// blocked on other columns, because pairs blocked on a column agree on
/// it whether they match or not. Each comparison is estimated by at least
/// two sessions and gets the mean of their estimates. The NIR session, as
/// in Splink's own set-up for French data, holds almost only true matches,
/// so it gives the cleanest m; the birth-date session also holds twins,
/// which EM counts partly as matches.
const SESSIONS: [SessionRule; 3] = [
    SessionRule {
        name: "birth_date+sex+departement",
        blocked: &[BIRTH_DATE, SEX, DEPARTEMENT],
    },
    SessionRule {
        name: "surname+first_name",
        blocked: &[BIRTH_NAME, FIRST_NAME],
    },
    SessionRule {
        name: "nir",
        blocked: &[NIR],
    },
];

/// Settings of EM shared by every session.
pub(crate) struct EmLimits {
    pub max_iterations: u32,
    pub tolerance: f64,
}

/// Estimates m by EM sessions on the candidate pairs of each session's
/// rule, a pair belonging to a rule when it agrees exactly on the rule's
/// comparisons. u stays fixed. Writes the mean m of the sessions that
/// estimated each comparison into the model and records the sessions.
pub(crate) fn estimate_m_probabilities(
    model: &mut FellegiSunterModel,
    vectors: &[(Levels, u64)],
    limits: &EmLimits,
) {
    let comparisons = model.comparisons.len();
    let mut average = SessionAverage::new(model);
    for rule in &SESSIONS {
        let session_vectors: Vec<(Vec<u8>, f64)> = vectors
            .iter()
            .filter(|(levels, _)| {
                rule.blocked.iter().all(|&c| levels[c] == EXACT)
            })
            .map(|(levels, count)| (levels.to_vec(), *count as f64))
            .collect();
        let pairs: u64 = vectors
            .iter()
            .filter(|(levels, _)| {
                rule.blocked.iter().all(|&c| levels[c] == EXACT)
            })
            .map(|(_, count)| count)
            .sum();
        let estimate: Vec<bool> = (0..comparisons)
            .map(|c| !rule.blocked.contains(&c))
            .collect();
        let settings = EmSettings {
            name: rule.name.to_string(),
            estimate: estimate.clone(),
            estimate_u: false,
            max_iterations: limits.max_iterations,
            tolerance: limits.tolerance,
        };
        let mut session_model = model.clone();
        let outcome =
            train_em(&mut session_model, &session_vectors, 0.5, &settings);
        average.add(&session_model, &estimate, &session_vectors);
        model.sessions.push(TrainingSession {
            name: rule.name.to_string(),
            estimated: model
                .comparisons
                .iter()
                .zip(&estimate)
                .filter(|(_, e)| **e)
                .map(|(c, _)| c.name.clone())
                .collect(),
            pairs,
            iterations: outcome.iterations,
            converged: outcome.converged,
            max_parameter_change: outcome.max_parameter_change,
            lambda: outcome.lambda,
        });
    }
    for name in average.apply(model) {
        warn!(
            comparison = %name,
            "no training session had pairs for this comparison; its m \
             probabilities keep their starting values"
        );
    }
    model.em_iterations = model.sessions.iter().map(|s| s.iterations).sum();
    model.em_converged = model.sessions.iter().all(|s| s.converged);
}

/// Estimates λ, the probability that two records drawn at random match,
/// as the expected number of matches among the candidate pairs over the
/// number of all pairs, n(n−1)/2. It is a fixed point because each pair's
/// posterior depends on λ. Blocking is assumed to hold nearly every true
/// pair, so this underestimates λ by the share of true pairs it misses.
pub(crate) fn estimate_lambda(
    model: &mut FellegiSunterModel,
    vectors: &[(Levels, u64)],
    records: usize,
    limits: &EmLimits,
) {
    let all_pairs = (records as f64) * (records as f64 - 1.0) / 2.0;
    if all_pairs < 1.0 || vectors.is_empty() {
        return;
    }
    let active = vec![true; model.comparisons.len()];
    let candidate: f64 = vectors.iter().map(|(_, n)| *n as f64).sum();
    let mut lambda = clamp_probability(0.5 * candidate / all_pairs);
    for iteration in 1..=limits.max_iterations.max(100) {
        let expected: f64 = vectors
            .iter()
            .map(|(levels, n)| {
                *n as f64 * posterior(model, levels, lambda, &active)
            })
            .sum();
        let next = clamp_probability(expected / all_pairs);
        let relative_change = (next - lambda).abs() / lambda;
        lambda = next;
        if relative_change < 1e-9 {
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
