//! Clerical review of uncertain pairs: the queue of pairs whose match
//! probability falls between two thresholds, and the reviewers' decisions
//! that [`crate::link_with_decisions`] applies on every later run.
//!
//! Queue items name records by their record id and show comparison
//! levels, never an identifier in clear: the records themselves hold
//! only pseudonyms.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::Error;
use crate::cluster::UnionFind;
use crate::error::ErrorKind;
use crate::{Linkage, PairMethod, RecordId, ScoredPair};

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

/// The review queue of one linkage run.
#[derive(Debug, Clone, PartialEq)]
pub struct ReviewQueue {
    /// Pairs waiting for a reviewer, most probable first.
    pub items: Vec<ReviewItem>,
    /// Record pairs between the thresholds left out because surer pairs
    /// already join their records in one person.
    pub settled_record_pairs: u64,
}

/// Returns the record pairs whose match probability is in [`lower`,
/// `upper`) and that no decision covers yet, by decreasing probability.
/// A profile pair of [`Linkage::pairs`] is listed as each of its record
/// pairs, because reviewers decide on records. Pairs linked on NIR
/// agreement are not queued.
///
/// A pair whose two records are already in one person through pairs that
/// need no review is not queued either: no decision on it would change
/// the persons. A non-match decision removes the direct link only, and
/// the other pairs would still join the two records.
///
/// # Errors
///
/// [`ErrorKind::InvalidConfig`] unless 0 <= `lower` < `upper` <= 1.
pub fn review_queue<R: RecordId>(
    linkage: &Linkage,
    records: &[R],
    lower: f64,
    upper: f64,
    decisions: &[ReviewDecision],
) -> Result<ReviewQueue, Error> {
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
    let decided: HashSet<(&str, &str)> = decisions
        .iter()
        .map(|d| ordered(&d.record_id_left, &d.record_id_right))
        .collect();
    let settled = Settled::new(linkage, records, upper, decisions);
    let uncertain = linkage
        .pairs
        .iter()
        .filter(|p| p.method == PairMethod::FellegiSunter)
        .filter(|p| {
            p.match_probability >= lower && p.match_probability < upper
        });
    let (settled_pairs, queued): (Vec<&ScoredPair>, Vec<&ScoredPair>) =
        uncertain.partition(|pair| settled.joins(linkage, pair));
    let settled_record_pairs =
        settled_pairs.iter().map(|p| p.record_pairs).sum::<u64>();
    let members = profile_members(linkage, &queued);
    let mut items = Vec::new();
    for pair in queued {
        let comparisons: Vec<ComparisonDetail> = linkage
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
        for (a, b) in record_pairs_of(linkage, &members, pair) {
            let left = records[a as usize].record_id();
            let right = records[b as usize].record_id();
            let (left, right) = ordered(left, right);
            if decided.contains(&(left, right)) {
                continue;
            }
            items.push(ReviewItem {
                record_id_left: left.to_string(),
                record_id_right: right.to_string(),
                match_weight: pair.match_weight,
                match_probability: pair.match_probability,
                linked: pair.linked,
                comparisons: comparisons.clone(),
            });
        }
    }
    items.sort_by(|a, b| {
        b.match_probability
            .total_cmp(&a.match_probability)
            .then_with(|| a.record_id_left.cmp(&b.record_id_left))
            .then_with(|| a.record_id_right.cmp(&b.record_id_right))
    });
    Ok(ReviewQueue {
        items,
        settled_record_pairs,
    })
}

/// Linkage profiles joined by pairs that need no review: those linked on
/// NIR agreement or at the upper threshold or above. A profile with a
/// record that a non-match decision names joins nothing, so its pairs
/// stay queued.
struct Settled {
    /// Root profile of each profile's set.
    root: Vec<u32>,
    /// Whether the profile's own records are joined to one another.
    joined: Vec<bool>,
}

impl Settled {
    fn new<R: RecordId>(
        linkage: &Linkage,
        records: &[R],
        upper: f64,
        decisions: &[ReviewDecision],
    ) -> Settled {
        let profiles = linkage
            .profile_of
            .iter()
            .max()
            .map_or(0, |&last| last as usize + 1);
        let mut contested = vec![false; profiles];
        let named: HashSet<&str> = decisions
            .iter()
            .filter(|d| d.decision == Decision::NonMatch)
            .flat_map(|d| {
                [d.record_id_left.as_str(), d.record_id_right.as_str()]
            })
            .collect();
        if !named.is_empty() {
            for (record, &profile) in records.iter().zip(&linkage.profile_of) {
                if named.contains(record.record_id()) {
                    contested[profile as usize] = true;
                }
            }
        }

        let mut sets = UnionFind::new(profiles);
        let mut joined = vec![false; profiles];
        for pair in &linkage.pairs {
            let certain = pair.method == PairMethod::NirAgreement
                || pair.match_probability >= upper;
            let p = linkage.profile_of[pair.left as usize];
            let q = linkage.profile_of[pair.right as usize];
            if !pair.linked
                || !certain
                || contested[p as usize]
                || contested[q as usize]
            {
                continue;
            }
            sets.union(p, q);
            joined[p as usize] = true;
            joined[q as usize] = true;
        }
        let root = (0..profiles as u32).map(|p| sets.find(p)).collect();
        Settled { root, joined }
    }

    /// Returns whether the two records of `pair` are already in one person
    /// through pairs that need no review.
    fn joins(&self, linkage: &Linkage, pair: &ScoredPair) -> bool {
        let p = linkage.profile_of[pair.left as usize] as usize;
        let q = linkage.profile_of[pair.right as usize] as usize;
        // The chain guard can split a set that such pairs join, and a
        // decision may then still matter.
        let same_person = linkage.person_of[pair.left as usize]
            == linkage.person_of[pair.right as usize];
        same_person && self.joined[p] && self.root[p] == self.root[q]
    }
}

/// Input indices of the records of each profile, by profile. The map is
/// looked up once per record (five million in a national year), so it
/// hashes the profile numbers with foldhash rather than SipHash: they are
/// counters, not values anyone outside chooses.
type Members = HashMap<u32, Vec<u32>, foldhash::fast::FixedState>;

/// Input indices of the records of each profile that `pairs` name, in
/// input order.
fn profile_members(linkage: &Linkage, pairs: &[&ScoredPair]) -> Members {
    let profile_of = |index: u32| linkage.profile_of[index as usize];
    let mut members: Members = pairs
        .iter()
        .flat_map(|pair| [profile_of(pair.left), profile_of(pair.right)])
        .map(|profile| (profile, Vec::new()))
        .collect();
    for (index, profile) in linkage.profile_of.iter().enumerate() {
        if let Some(list) = members.get_mut(profile) {
            list.push(index as u32);
        }
    }
    members
}

/// Lists the record pairs (input indices) that a profile pair represents.
fn record_pairs_of(
    linkage: &Linkage,
    members: &Members,
    pair: &ScoredPair,
) -> Vec<(u32, u32)> {
    let p = linkage.profile_of[pair.left as usize];
    let q = linkage.profile_of[pair.right as usize];
    let (left, right) = (&members[&p], &members[&q]);
    let mut pairs = Vec::new();
    if p == q {
        for (i, &a) in left.iter().enumerate() {
            pairs.extend(left[i + 1..].iter().map(|&b| (a, b)));
        }
    } else {
        for &a in left {
            pairs.extend(right.iter().map(|&b| (a, b)));
        }
    }
    pairs
}

/// The two ids, smaller first.
pub(crate) fn ordered<'a>(a: &'a str, b: &'a str) -> (&'a str, &'a str) {
    if a <= b { (a, b) } else { (b, a) }
}
