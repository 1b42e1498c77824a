//! Clerical review of uncertain pairs: the queue of pairs whose match
//! probability falls between two thresholds, and the reviewers' decisions
//! that [`crate::link_with_decisions`] applies on every later run.
//!
//! Queue items name records by their record id and show comparison
//! levels, never an identifier in clear: the records themselves hold
//! only pseudonyms.

use serde::{Deserialize, Serialize};

use crate::Error;
use crate::error::ErrorKind;
use crate::{Linkage, PairMethod};
use rnc_model::SourceRecord;

/// A reviewer's decision on a pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// The two records belong to one person: they are always linked.
    Match,
    /// The two records belong to different persons: the pair is never
    /// linked directly.
    NonMatch,
}

/// A decision on a pair of records, named by record id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewDecision {
    /// Record id of one record.
    pub record_id_left: String,
    /// Record id of the other record.
    pub record_id_right: String,
    /// The decision.
    pub decision: Decision,
    /// When it was recorded (RFC 3339), for the audit trail.
    pub decided_at: String,
}

/// The level of one comparison in a queued pair.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComparisonDetail {
    /// Comparison name, e.g. `birth_date`.
    pub comparison: String,
    /// Level name, e.g. `day and month transposed`.
    pub level: String,
    /// The level's match weight log2(m/u), 0 for a null level.
    pub weight: f64,
}

/// A pair waiting for a reviewer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReviewItem {
    /// Record id of the first record (the smaller id).
    pub record_id_left: String,
    /// Record id of the second record.
    pub record_id_right: String,
    /// log2 posterior odds of a match.
    pub match_weight: f64,
    /// Posterior match probability.
    pub match_probability: f64,
    /// Whether the pair was linked in this run.
    pub linked: bool,
    /// Level of each comparison.
    pub comparisons: Vec<ComparisonDetail>,
}

/// Returns the pairs whose match probability is in [`lower`, `upper`)
/// and that no decision covers yet, by decreasing probability. Pairs
/// linked on NIR agreement are not queued.
///
/// # Errors
///
/// [`ErrorKind::InvalidConfig`] unless 0 <= `lower` < `upper` <= 1.
pub fn review_queue(
    linkage: &Linkage,
    records: &[SourceRecord],
    lower: f64,
    upper: f64,
    decisions: &[ReviewDecision],
) -> Result<Vec<ReviewItem>, Error> {
    if !(0.0 <= lower && lower < upper && upper <= 1.0) {
        return Err(ErrorKind::InvalidConfig {
            field: "review thresholds",
            reason: format!(
                "lower {lower} and upper {upper} must satisfy 0 <= lower < \
                 upper <= 1"
            ),
        }
        .into());
    }
    let decided: std::collections::HashSet<(&str, &str)> = decisions
        .iter()
        .map(|d| ordered(&d.record_id_left, &d.record_id_right))
        .collect();
    let mut items: Vec<ReviewItem> = linkage
        .pairs
        .iter()
        .filter(|p| p.method == PairMethod::FellegiSunter)
        .filter(|p| p.match_probability >= lower && p.match_probability < upper)
        .filter_map(|pair| {
            let left = &records[pair.left as usize].record_id;
            let right = &records[pair.right as usize].record_id;
            let (left, right) = ordered(left, right);
            if decided.contains(&(left, right)) {
                return None;
            }
            let comparisons = linkage
                .model
                .comparisons
                .iter()
                .zip(&pair.levels)
                .map(|(comparison, &level)| {
                    let level = &comparison.levels[usize::from(level)];
                    ComparisonDetail {
                        comparison: comparison.name.clone(),
                        level: level.name.clone(),
                        weight: level.weight(),
                    }
                })
                .collect();
            Some(ReviewItem {
                record_id_left: left.to_string(),
                record_id_right: right.to_string(),
                match_weight: pair.match_weight,
                match_probability: pair.match_probability,
                linked: pair.linked,
                comparisons,
            })
        })
        .collect();
    items.sort_by(|a, b| {
        b.match_probability
            .total_cmp(&a.match_probability)
            .then_with(|| a.record_id_left.cmp(&b.record_id_left))
            .then_with(|| a.record_id_right.cmp(&b.record_id_right))
    });
    Ok(items)
}

/// The two ids, smaller first.
pub(crate) fn ordered<'a>(a: &'a str, b: &'a str) -> (&'a str, &'a str) {
    if a <= b { (a, b) } else { (b, a) }
}
