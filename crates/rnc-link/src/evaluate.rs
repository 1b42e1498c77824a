//! Pairwise precision and recall of a clustering against the truth.

use std::collections::HashMap;

/// Pair counts and scores of a predicted clustering.
#[derive(Debug, Clone, PartialEq)]
pub struct PairwiseScores {
    /// Record pairs in the same true entity.
    pub true_pairs: u64,
    /// Record pairs in the same predicted cluster.
    pub predicted_pairs: u64,
    /// Record pairs in the same cluster in both.
    pub correct_pairs: u64,
    /// `correct_pairs / predicted_pairs`, 1 when nothing is predicted.
    pub precision: f64,
    /// `correct_pairs / true_pairs`, 1 when there is no true pair.
    pub recall: f64,
    /// Harmonic mean of precision and recall, 0 when both are 0.
    pub f1: f64,
}

fn pairs_in(n: u64) -> u64 {
    n * n.saturating_sub(1) / 2
}

/// Scores predicted cluster labels against true labels, one per record,
/// from the contingency table of (predicted, true) labels: a cell of n
/// records holds n(n−1)/2 correct pairs, so no pair is enumerated.
///
/// # Panics
///
/// If the two slices differ in length.
///
/// # Example
///
/// ```
/// use rnc_link::evaluate::pairwise_scores;
///
/// // Truth {0,1,2} {3}; prediction {0,1} {2,3}: 1 of 2 predicted pairs
/// // is right and 1 of 3 true pairs is found.
/// let scores = pairwise_scores(&[0, 0, 1, 1], &[5, 5, 5, 6]);
/// assert_eq!(scores.correct_pairs, 1);
/// assert_eq!(scores.precision, 0.5);
/// ```
pub fn pairwise_scores(predicted: &[u32], truth: &[u32]) -> PairwiseScores {
    assert_eq!(
        predicted.len(),
        truth.len(),
        "predicted and true labels must cover the same records"
    );
    let mut cells: HashMap<(u32, u32), u64> = HashMap::new();
    let mut predicted_sizes: HashMap<u32, u64> = HashMap::new();
    let mut true_sizes: HashMap<u32, u64> = HashMap::new();
    for (&p, &t) in predicted.iter().zip(truth) {
        *cells.entry((p, t)).or_default() += 1;
        *predicted_sizes.entry(p).or_default() += 1;
        *true_sizes.entry(t).or_default() += 1;
    }
    let total = |sizes: &mut dyn Iterator<Item = &u64>| {
        sizes.map(|&n| pairs_in(n)).sum::<u64>()
    };
    let correct_pairs = total(&mut cells.values());
    let predicted_pairs = total(&mut predicted_sizes.values());
    let true_pairs = total(&mut true_sizes.values());
    let ratio = |num: u64, den: u64| {
        if den == 0 {
            1.0
        } else {
            num as f64 / den as f64
        }
    };
    let precision = ratio(correct_pairs, predicted_pairs);
    let recall = ratio(correct_pairs, true_pairs);
    let f1 = if precision + recall == 0.0 {
        0.0
    } else {
        2.0 * precision * recall / (precision + recall)
    };
    PairwiseScores {
        true_pairs,
        predicted_pairs,
        correct_pairs,
        precision,
        recall,
        f1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Hand-counted: truth {0,1,2} {3,4}, prediction {0,1} {2,3,4}.
    // True pairs 3 + 1 = 4; predicted 1 + 3 = 4; correct {0,1} and {3,4}.
    #[test]
    fn hand_example() {
        let scores = pairwise_scores(&[7, 7, 9, 9, 9], &[1, 1, 1, 2, 2]);
        assert_eq!(scores.true_pairs, 4);
        assert_eq!(scores.predicted_pairs, 4);
        assert_eq!(scores.correct_pairs, 2);
        assert_eq!(scores.precision, 0.5);
        assert_eq!(scores.recall, 0.5);
        assert_eq!(scores.f1, 0.5);
    }

    #[test]
    fn labels_are_arbitrary() {
        let a = pairwise_scores(&[0, 0, 1], &[3, 3, 3]);
        let b = pairwise_scores(&[5, 5, 2], &[0, 0, 0]);
        assert_eq!(a, b);
        assert!((a.recall - 1.0 / 3.0).abs() < 1e-12);
        assert_eq!(a.precision, 1.0);
    }

    #[test]
    fn singletons_only() {
        let scores = pairwise_scores(&[0, 1, 2], &[0, 1, 2]);
        assert_eq!(scores.true_pairs, 0);
        assert_eq!(scores.predicted_pairs, 0);
        assert_eq!(scores.precision, 1.0);
        assert_eq!(scores.recall, 1.0);
    }
}
