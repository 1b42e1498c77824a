//! Expectation-maximisation of m (and optionally u) probabilities and of
//! the match proportion λ on counted comparison vectors.

use tracing::{info, warn};

use crate::model::{FellegiSunterModel, clamp_probability};

/// Settings of one EM training session.
#[derive(Debug, Clone)]
pub struct EmSettings {
    /// Label used in log events and in the model's session list.
    pub name: String,
    /// Which comparisons the session estimates. The others are left out
    /// of the posterior altogether, as Splink does for the columns a
    /// training blocking rule uses, because every pair agrees on them.
    pub estimate: Vec<bool>,
    /// Whether u is estimated too (from scratch) instead of kept fixed,
    /// as it is when u comes from random sampling.
    pub estimate_u: bool,
    /// Iteration limit.
    pub max_iterations: u32,
    /// The session stops when no parameter changes by more than this.
    pub tolerance: f64,
}

/// Result of an EM session.
#[derive(Debug, Clone, PartialEq)]
pub struct EmOutcome {
    /// Estimated proportion of matches among the session's vectors.
    pub lambda: f64,
    /// Iterations run.
    pub iterations: u32,
    /// Whether the largest change fell below the tolerance.
    pub converged: bool,
    /// Largest parameter change in the last iteration.
    pub max_parameter_change: f64,
}

/// Runs EM on comparison vectors with their counts, updating the m (and,
/// if requested, u) probabilities of the estimated comparisons in place.
///
/// `lambda_start` is the starting match proportion. Parameters are clamped
/// to [1e-6, 1 − 1e-6] after every step. A level never observed among
/// the estimated comparisons keeps its m and is reported with a `warn`
/// event.
///
/// # Panics
///
/// If a vector is shorter than the model's comparison list or holds a
/// level a comparison does not have, or if `settings.estimate` is shorter
/// than the comparison list.
pub fn train_em(
    model: &mut FellegiSunterModel,
    vectors: &[(Vec<u8>, f64)],
    lambda_start: f64,
    settings: &EmSettings,
) -> EmOutcome {
    let mut lambda = clamp_probability(lambda_start);
    let mut outcome = EmOutcome {
        lambda,
        iterations: 0,
        converged: false,
        max_parameter_change: f64::INFINITY,
    };
    let total: f64 = vectors.iter().map(|(_, count)| count).sum();
    if total <= 0.0 {
        warn!(
            session = %settings.name,
            "no comparison vectors to train on; parameters keep their \
             starting values"
        );
        return outcome;
    }
    let mut warned_unseen = false;
    for iteration in 1..=settings.max_iterations {
        // E-step: expected match counts per level.
        let mut match_counts: Vec<Vec<f64>> = model
            .comparisons
            .iter()
            .map(|c| vec![0.0; c.levels.len()])
            .collect();
        let mut non_match_counts = match_counts.clone();
        let mut expected_matches = 0.0;
        for (levels, count) in vectors {
            let p = posterior(model, levels, lambda, &settings.estimate);
            expected_matches += count * p;
            for (c, &level) in levels.iter().enumerate() {
                if settings.estimate[c] {
                    match_counts[c][usize::from(level)] += count * p;
                    non_match_counts[c][usize::from(level)] +=
                        count * (1.0 - p);
                }
            }
        }

        // M-step.
        let new_lambda = clamp_probability(expected_matches / total);
        let mut change = (new_lambda - lambda).abs();
        lambda = new_lambda;
        for (c, comparison) in model.comparisons.iter_mut().enumerate() {
            if !settings.estimate[c] {
                continue;
            }
            let non_null = |counts: &[f64]| -> f64 {
                comparison
                    .levels
                    .iter()
                    .zip(counts)
                    .filter(|(level, _)| !level.is_null)
                    .map(|(_, n)| n)
                    .sum()
            };
            let m_total = non_null(&match_counts[c]);
            let u_total = non_null(&non_match_counts[c]);
            for (l, level) in comparison.levels.iter_mut().enumerate() {
                if level.is_null {
                    continue;
                }
                let observed = match_counts[c][l] + non_match_counts[c][l];
                if observed <= 0.0 {
                    if !warned_unseen {
                        warn!(
                            session = %settings.name,
                            comparison = %comparison.name,
                            level = %level.name,
                            "level never observed in the training pairs; \
                             its m keeps the starting value"
                        );
                    }
                    continue;
                }
                if m_total > 0.0 {
                    let m = clamp_probability(match_counts[c][l] / m_total);
                    change = change.max((m - level.m).abs());
                    level.m = m;
                }
                if settings.estimate_u && u_total > 0.0 {
                    let u = clamp_probability(non_match_counts[c][l] / u_total);
                    change = change.max((u - level.u).abs());
                    level.u = u;
                }
            }
        }
        warned_unseen = true;
        info!(
            session = %settings.name,
            iteration,
            max_parameter_change = change,
            lambda,
            "EM iteration"
        );
        outcome = EmOutcome {
            lambda,
            iterations: iteration,
            converged: change < settings.tolerance,
            max_parameter_change: change,
        };
        if outcome.converged {
            break;
        }
    }
    outcome
}

/// The mean m of several EM sessions, level by level.
///
/// A session contributes to a level only when its vectors hold that level
/// at least once, because EM leaves an unseen level at its starting value.
/// Averaging that value in made a comparison's m sum above 1 (a session
/// blocked on the NIR never sees sex disagree) or halved the m of a level
/// that another session could not see. The means are then scaled so that
/// the m of each comparison's levels sum to 1.
pub(crate) struct SessionAverage {
    sums: Vec<Vec<f64>>,
    sessions: Vec<Vec<u32>>,
}

impl SessionAverage {
    pub(crate) fn new(model: &FellegiSunterModel) -> SessionAverage {
        let zeros = |c: &crate::model::Comparison| vec![0; c.levels.len()];
        SessionAverage {
            sums: model
                .comparisons
                .iter()
                .map(|c| vec![0.0; c.levels.len()])
                .collect(),
            sessions: model.comparisons.iter().map(zeros).collect(),
        }
    }

    /// Adds the m of the comparisons a session estimated, for the levels
    /// its vectors hold.
    pub(crate) fn add<V: AsRef<[u8]>>(
        &mut self,
        session: &FellegiSunterModel,
        estimate: &[bool],
        vectors: &[(V, f64)],
    ) {
        let mut seen: Vec<Vec<bool>> = session
            .comparisons
            .iter()
            .map(|c| vec![false; c.levels.len()])
            .collect();
        for (levels, count) in vectors {
            if *count > 0.0 {
                for (c, &level) in levels.as_ref().iter().enumerate() {
                    seen[c][usize::from(level)] = true;
                }
            }
        }
        for (c, comparison) in session.comparisons.iter().enumerate() {
            if !estimate[c] {
                continue;
            }
            for (l, level) in comparison.levels.iter().enumerate() {
                if seen[c][l] && !level.is_null {
                    self.sums[c][l] += level.m;
                    self.sessions[c][l] += 1;
                }
            }
        }
    }

    /// Sets the mean m of every level some session saw; the others keep
    /// their value. Returns the names of comparisons no session estimated.
    pub(crate) fn apply(&self, model: &mut FellegiSunterModel) -> Vec<String> {
        let mut unestimated = Vec::new();
        for (c, comparison) in model.comparisons.iter_mut().enumerate() {
            if self.sessions[c].iter().all(|&n| n == 0) {
                unestimated.push(comparison.name.clone());
                continue;
            }
            for (l, level) in comparison.levels.iter_mut().enumerate() {
                let n = self.sessions[c][l];
                if n > 0 {
                    level.m = self.sums[c][l] / f64::from(n);
                }
            }
            let total: f64 = comparison
                .levels
                .iter()
                .filter(|level| !level.is_null)
                .map(|level| level.m)
                .sum();
            for level in comparison.levels.iter_mut().filter(|l| !l.is_null) {
                level.m = clamp_probability(level.m / total);
            }
        }
        unestimated
    }
}

/// Posterior match probability of one vector, counting only the
/// comparisons marked in `active`.
pub(crate) fn posterior(
    model: &FellegiSunterModel,
    levels: &[u8],
    lambda: f64,
    active: &[bool],
) -> f64 {
    let mut match_likelihood = lambda;
    let mut non_match_likelihood = 1.0 - lambda;
    for (c, comparison) in model.comparisons.iter().enumerate() {
        if !active[c] {
            continue;
        }
        let level = &comparison.levels[usize::from(levels[c])];
        if !level.is_null {
            match_likelihood *= level.m;
            non_match_likelihood *= level.u;
        }
    }
    match_likelihood / (match_likelihood + non_match_likelihood)
}

#[cfg(test)]
mod tests {
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    use super::*;
    use crate::model::{Comparison, ComparisonLevel};

    // True parameters of Splink's convergence test
    // (tests/test_correctness_of_convergence.py, data set
    // known_params_comparison_vectors.csv): levels (different, exact).
    const TRUE_M: [[f64; 2]; 3] = [[0.3, 0.7], [0.1, 0.9], [0.05, 0.95]];
    const TRUE_U: [[f64; 2]; 3] = [[0.9, 0.1], [0.975, 0.025], [0.8, 0.2]];
    const TRUE_LAMBDA: f64 = 0.5;

    /// A model far from the truth, so that EM has to find it: the same
    /// neutral start for every column.
    fn starting_model() -> FellegiSunterModel {
        let comparisons = (1..=3)
            .map(|i| Comparison {
                name: format!("col_{i}"),
                levels: vec![
                    ComparisonLevel::new("different", 0.2, 0.8),
                    ComparisonLevel::new("exact", 0.8, 0.2),
                ],
            })
            .collect();
        FellegiSunterModel::new(comparisons, 0.3)
    }

    fn settings() -> EmSettings {
        EmSettings {
            name: "test".to_string(),
            estimate: vec![true; 3],
            estimate_u: true,
            max_iterations: 2000,
            tolerance: 1e-9,
        }
    }

    fn assert_recovered(
        model: &FellegiSunterModel,
        outcome: &EmOutcome,
        tolerance: f64,
    ) {
        assert!(
            (outcome.lambda - TRUE_LAMBDA).abs() <= tolerance,
            "lambda {}",
            outcome.lambda
        );
        for (c, comparison) in model.comparisons.iter().enumerate() {
            for (l, level) in comparison.levels.iter().enumerate() {
                assert!(
                    (level.m - TRUE_M[c][l]).abs() <= tolerance,
                    "m[{c}][{l}] = {}",
                    level.m
                );
                assert!(
                    (level.u - TRUE_U[c][l]).abs() <= tolerance,
                    "u[{c}][{l}] = {}",
                    level.u
                );
            }
        }
    }

    /// 4 000 vectors as in Splink's test, with each pattern's count equal
    /// to its expectation (2 000 · ∏ p is a whole number for these
    /// parameters), so the true parameters are the exact maximum of the
    /// likelihood.
    fn expected_vectors() -> Vec<(Vec<u8>, f64)> {
        let mut vectors = Vec::new();
        for pattern in 0..8u8 {
            let levels: Vec<u8> = (0..3).map(|c| (pattern >> c) & 1).collect();
            let mut m = TRUE_LAMBDA * 4000.0;
            let mut u = (1.0 - TRUE_LAMBDA) * 4000.0;
            for (c, &level) in levels.iter().enumerate() {
                m *= TRUE_M[c][usize::from(level)];
                u *= TRUE_U[c][usize::from(level)];
            }
            vectors.push((levels, (m + u).round()));
        }
        vectors
    }

    #[test]
    fn em_recovers_expected_counts() {
        let vectors = expected_vectors();
        let total: f64 = vectors.iter().map(|(_, n)| n).sum();
        assert_eq!(total, 4000.0);
        let mut model = starting_model();
        let outcome = train_em(&mut model, &vectors, 0.3, &settings());
        assert!(outcome.converged, "{outcome:?}");
        assert_recovered(&model, &outcome, 0.005);
    }

    #[test]
    fn em_recovers_sampled_vectors() {
        // Random draws from the true parameters, 4 000 vectors as in
        // Splink's data set; ±0.02 covers the sampling error (about 0.008
        // for λ at one standard error).
        let mut rng = ChaCha8Rng::seed_from_u64(20240611);
        let mut counts = [0.0; 8];
        for _ in 0..4000 {
            let is_match = rng.random_bool(TRUE_LAMBDA);
            let mut pattern = 0usize;
            for c in 0..3 {
                let p_exact =
                    if is_match { TRUE_M[c][1] } else { TRUE_U[c][1] };
                if rng.random_bool(p_exact) {
                    pattern |= 1 << c;
                }
            }
            counts[pattern] += 1.0;
        }
        let vectors: Vec<(Vec<u8>, f64)> = (0..8u8)
            .map(|p| {
                (
                    (0..3).map(|c| (p >> c) & 1).collect(),
                    counts[usize::from(p)],
                )
            })
            .collect();
        let mut model = starting_model();
        let outcome = train_em(&mut model, &vectors, 0.3, &settings());
        assert_recovered(&model, &outcome, 0.02);
    }

    #[test]
    fn em_with_fixed_u_keeps_u() {
        let vectors = expected_vectors();
        let mut model = starting_model();
        for (c, comparison) in model.comparisons.iter_mut().enumerate() {
            for (l, level) in comparison.levels.iter_mut().enumerate() {
                level.u = TRUE_U[c][l];
            }
        }
        let fixed_u = EmSettings {
            estimate_u: false,
            ..settings()
        };
        let outcome = train_em(&mut model, &vectors, 0.3, &fixed_u);
        assert_recovered(&model, &outcome, 0.005);
    }

    fn sex_model(m_equal: f64, m_different: f64) -> FellegiSunterModel {
        FellegiSunterModel::new(
            vec![Comparison {
                name: "sex".to_string(),
                levels: vec![
                    ComparisonLevel::null("either side missing"),
                    ComparisonLevel::new("equal", m_equal, 0.5),
                    ComparisonLevel::new("different", m_different, 0.5),
                ],
            }],
            0.1,
        )
    }

    #[test]
    fn unseen_level_does_not_enter_the_mean() {
        // Session 1 saw both levels and learned (0.98, 0.02). Session 2
        // never saw "different", so EM left it at its start 0.3 and put
        // "equal" at 1. The plain mean was (0.99, 0.16), summing to 1.15.
        let mut average = SessionAverage::new(&sex_model(0.7, 0.3));
        let both: Vec<(Vec<u8>, f64)> = vec![(vec![1], 5.0), (vec![2], 1.0)];
        let equal_only: Vec<(Vec<u8>, f64)> = vec![(vec![1], 9.0)];
        average.add(&sex_model(0.98, 0.02), &[true], &both);
        average.add(&sex_model(1.0, 0.3), &[true], &equal_only);
        let mut model = sex_model(0.7, 0.3);
        assert!(average.apply(&mut model).is_empty());
        let levels = &model.comparisons[0].levels;
        // Hand computation: equal (0.98 + 1.0) / 2 = 0.99, different 0.02
        // from session 1 alone, then scaled by 1 / 1.01.
        assert!((levels[1].m - 0.99 / 1.01).abs() < 1e-12, "{levels:?}");
        assert!((levels[2].m - 0.02 / 1.01).abs() < 1e-12, "{levels:?}");
        assert!((levels[1].m + levels[2].m - 1.0).abs() < 1e-12);
    }
}
