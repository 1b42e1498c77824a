//! The Fellegi-Sunter model: comparison levels with their m and u
//! probabilities and the prior match probability λ.

use serde::{Deserialize, Serialize};

use crate::Error;
use crate::error::ErrorKind;

/// Smallest probability a trained parameter may take. Splink clamps in
/// the same way so that no level becomes impossible for matches or
/// non-matches, which would make a log-weight infinite.
pub const MIN_PROBABILITY: f64 = 1e-6;
/// Largest probability a trained parameter may take.
pub const MAX_PROBABILITY: f64 = 1.0 - 1e-6;

/// Clamps a probability into [`MIN_PROBABILITY`], [`MAX_PROBABILITY`].
pub(crate) fn clamp_probability(p: f64) -> f64 {
    p.clamp(MIN_PROBABILITY, MAX_PROBABILITY)
}

/// One level of a comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComparisonLevel {
    /// Description of the level, e.g. `Dice >= 0.88`.
    pub name: String,
    /// A null level (a side is missing) carries no evidence: its factor
    /// in the Bayes factor is 1 whatever m and u say.
    pub is_null: bool,
    /// P(level | the pair is a match).
    pub m: f64,
    /// P(level | the pair is not a match).
    pub u: f64,
}

impl ComparisonLevel {
    /// Creates a level that carries evidence.
    pub fn new(name: &str, m: f64, u: f64) -> ComparisonLevel {
        ComparisonLevel {
            name: name.to_string(),
            is_null: false,
            m,
            u,
        }
    }

    /// Creates a null level.
    pub fn null(name: &str) -> ComparisonLevel {
        ComparisonLevel {
            name: name.to_string(),
            is_null: true,
            m: 1.0,
            u: 1.0,
        }
    }

    /// Returns log2(m / u), or 0 for a null level.
    pub fn weight(&self) -> f64 {
        if self.is_null {
            0.0
        } else {
            (self.m / self.u).log2()
        }
    }
}

/// One comparison (a column or a group of columns) and its levels, level
/// index `i` being the value `i` in a comparison vector.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// Name, used in the pair table as `gamma_<name>`.
    pub name: String,
    /// Levels, indexed by the comparison-vector value.
    pub levels: Vec<ComparisonLevel>,
}

/// Outcome of one EM training session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingSession {
    /// Description of the pairs trained on, e.g. the blocking rule.
    pub name: String,
    /// Comparisons whose m probabilities this session estimated.
    pub estimated: Vec<String>,
    /// Number of pairs trained on.
    pub pairs: u64,
    /// EM iterations run.
    pub iterations: u32,
    /// Whether the largest parameter change fell below the tolerance.
    pub converged: bool,
    /// Largest parameter change in the last iteration.
    pub max_parameter_change: f64,
    /// Proportion of matches among the session's pairs, as estimated.
    pub lambda: f64,
}

/// A Fellegi-Sunter model with trained parameters.
///
/// The posterior of a comparison vector γ is
/// P = λ∏m/u / (λ∏m/u + 1 − λ) (Fellegi & Sunter 1969, in the form that
/// Splink documents), and the match weight is its log2 odds,
/// log2(λ/(1−λ)) + Σ log2(m/u).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FellegiSunterModel {
    /// Comparisons in comparison-vector order.
    pub comparisons: Vec<Comparison>,
    /// Prior probability λ that two records drawn at random match.
    pub lambda: f64,
    /// Total EM iterations over all training sessions.
    pub em_iterations: u32,
    /// Whether every training session converged.
    pub em_converged: bool,
    /// Training sessions, in the order they ran.
    pub sessions: Vec<TrainingSession>,
}

impl FellegiSunterModel {
    /// Creates an untrained model from comparisons and a prior.
    pub fn new(
        comparisons: Vec<Comparison>,
        lambda: f64,
    ) -> FellegiSunterModel {
        FellegiSunterModel {
            comparisons,
            lambda,
            em_iterations: 0,
            em_converged: false,
            sessions: Vec::new(),
        }
    }

    /// Returns the match weight and the match probability of a comparison
    /// vector.
    ///
    /// # Panics
    ///
    /// If `levels` is shorter than the list of comparisons or holds a level
    /// index that a comparison does not have.
    pub fn score(&self, levels: &[u8]) -> (f64, f64) {
        assert!(
            levels.len() >= self.comparisons.len(),
            "comparison vector has {} levels for {} comparisons",
            levels.len(),
            self.comparisons.len()
        );
        let prior = (self.lambda / (1.0 - self.lambda)).log2();
        let evidence: f64 = self
            .comparisons
            .iter()
            .zip(levels)
            .map(|(c, &level)| c.levels[usize::from(level)].weight())
            .sum();
        let weight = prior + evidence;
        (weight, probability_from_weight(weight))
    }

    /// Serialises the model to pretty-printed JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self)
            .expect("a model holds only strings, numbers and lists")
    }

    /// Reads a model written by [`FellegiSunterModel::to_json`].
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidModel`] when the JSON is malformed, λ is not in
    /// (0, 1), a comparison has no level, or a non-null m or u is not in
    /// (0, 1].
    pub fn from_json(json: &str) -> Result<FellegiSunterModel, Error> {
        let model: FellegiSunterModel =
            serde_json::from_str(json).map_err(|e| {
                ErrorKind::InvalidModel {
                    reason: e.to_string(),
                }
            })?;
        model.validate()?;
        Ok(model)
    }

    fn validate(&self) -> Result<(), Error> {
        let invalid =
            |reason: String| Error::from(ErrorKind::InvalidModel { reason });
        if !(self.lambda > 0.0 && self.lambda < 1.0) {
            return Err(invalid(format!(
                "lambda is {} (expected a probability strictly between 0 and 1)",
                self.lambda
            )));
        }
        for comparison in &self.comparisons {
            if comparison.levels.is_empty() || comparison.levels.len() > 256 {
                return Err(invalid(format!(
                    "comparison {} has {} levels (expected 1 to 256)",
                    comparison.name,
                    comparison.levels.len()
                )));
            }
            for level in comparison.levels.iter().filter(|l| !l.is_null) {
                for (label, p) in [("m", level.m), ("u", level.u)] {
                    if !(p > 0.0 && p <= 1.0) {
                        return Err(invalid(format!(
                            "comparison {}, level {}: {label} is {p} (expected \
                             a probability in (0, 1])",
                            comparison.name, level.name
                        )));
                    }
                }
            }
        }
        Ok(())
    }
}

/// Converts log2 odds to a probability without overflow.
pub(crate) fn probability_from_weight(weight: f64) -> f64 {
    1.0 / (1.0 + (-weight).exp2())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The true parameters of Splink's convergence test
    /// (tests/test_correctness_of_convergence.py): levels (different,
    /// exact), λ = 0.5.
    pub(crate) fn splink_known_model() -> FellegiSunterModel {
        let binary = |name: &str, m: [f64; 2], u: [f64; 2]| Comparison {
            name: name.to_string(),
            levels: vec![
                ComparisonLevel::new("different", m[0], u[0]),
                ComparisonLevel::new("exact", m[1], u[1]),
            ],
        };
        FellegiSunterModel::new(
            vec![
                binary("col_1", [0.3, 0.7], [0.9, 0.1]),
                binary("col_2", [0.1, 0.9], [0.975, 0.025]),
                binary("col_3", [0.05, 0.95], [0.8, 0.2]),
            ],
            0.5,
        )
    }

    // Posteriors from Splink's known_params_comparison_vectors.csv column
    // true_match_probability_l, checked by hand with Bayes' formula:
    // 0.0015 / (0.0015 + 0.702) and 0.0135 / (0.0135 + 0.018).
    #[test]
    fn score_matches_bayes_formula() {
        let model = splink_known_model();
        let (_, p000) = model.score(&[0, 0, 0]);
        assert!((p000 - 0.0021322).abs() < 5e-8, "{p000}");
        let (weight, p010) = model.score(&[0, 1, 0]);
        assert!((p010 - 0.428571).abs() < 5e-7, "{p010}");
        assert!((weight - (0.0135f64 / 0.018).log2()).abs() < 1e-12);
    }

    #[test]
    fn null_level_carries_no_evidence() {
        let model = FellegiSunterModel::new(
            vec![Comparison {
                name: "x".to_string(),
                levels: vec![
                    ComparisonLevel::null("missing"),
                    ComparisonLevel::new("exact", 0.9, 0.1),
                ],
            }],
            0.25,
        );
        let (weight, p) = model.score(&[0]);
        assert!((weight - (1.0f64 / 3.0).log2()).abs() < 1e-12);
        assert!((p - 0.25).abs() < 1e-12);
    }

    #[test]
    fn json_round_trip() {
        let model = splink_known_model();
        let back = FellegiSunterModel::from_json(&model.to_json()).unwrap();
        assert_eq!(back, model);
    }

    #[test]
    fn json_rejects_bad_lambda() {
        let mut model = splink_known_model();
        model.lambda = 1.0;
        let error =
            FellegiSunterModel::from_json(&model.to_json()).unwrap_err();
        assert!(error.to_string().contains("lambda"), "{error}");
    }
}
