//! Pairs and decisions that name records by `record_id`: the earlier
//! run's scored pairs and the reviewers' decisions, mapped onto this
//! run's canonical indices and linkage profiles.

use std::collections::{HashMap, HashSet};

use rayon::prelude::*;
use tracing::warn;

use crate::Error;
use crate::compare::{COMPARISON_NAMES, Encoded, Levels};
use crate::dice::BloomArena;
use crate::error::ErrorKind;
use crate::linkage::{PairMethod, PriorLinkage, RecordId, Score};
use crate::profiles::{Profiles, group_profiles};
use crate::review::{Decision, ReviewDecision};

/// Appends the earlier run's pairs, with their stored levels and scores,
/// to the candidate profile pairs, keeping them sorted by (left, right).
/// A stored pair counts as the pair of the profiles its records have in
/// this run. Pairs naming a record that is no longer given are left out
/// with a `warn` event. Returns the number of record pairs carried over.
pub(crate) fn add_prior_pairs<R: RecordId>(
    prior: &PriorLinkage,
    records: &[R],
    order: &[usize],
    profiles: &Profiles,
    blooms: &BloomArena,
    candidates: &mut Vec<(u32, u32)>,
    levels: &mut Vec<Levels>,
    scored: &mut Vec<Score>,
) -> Result<u64, Error> {
    let canonical = indices_by_record_id(records, order);
    let split = SplitProfiles::of(profiles, blooms);
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
            let (p, q) = (
                profiles.of_record[a as usize],
                profiles.of_record[b as usize],
            );
            for pair in split.profile_pairs(profiles, p, q) {
                rows.push((pair, true, vector, score));
            }
        }
    }
    if missing > 0 {
        warn!(
            pairs = missing,
            "pairs of the earlier run name records that are no longer \
             staged; they were left out"
        );
    }
    // A stable sort, so that of several stored pairs that fall on one
    // profile pair the first stored one is kept.
    rows.par_sort_by_key(|row| (row.0, row.1));
    rows.dedup_by_key(|row| row.0);
    let mut carried = 0u64;
    for (pair, from_prior, vector, score) in rows {
        if from_prior {
            carried += profiles.record_pairs(pair.0, pair.1);
        }
        candidates.push(pair);
        levels.push(vector);
        scored.push(score);
    }
    Ok(carried)
}

/// Groups of profiles with equal encodings, split because some of their
/// records are kept apart (named in a reviewer's decision). An earlier
/// run without those decisions stored one pair for all of them, named by
/// one record, and that pair applies to every record with the encoding.
struct SplitProfiles {
    /// Encoding class of each profile: profiles of one class have equal
    /// encodings.
    class_of: Vec<u32>,
    /// Profiles of each class that contains several.
    profiles_of: HashMap<u32, Vec<u32>>,
}

impl SplitProfiles {
    fn of(profiles: &Profiles, blooms: &BloomArena) -> SplitProfiles {
        let encodings: Vec<Encoded> = profiles.encoded.to_vec();
        let together = vec![false; encodings.len()];
        let classes = group_profiles(encodings, blooms, &together);
        let class_of = classes.of_record;
        let mut profiles_of: HashMap<u32, Vec<u32>> = HashMap::new();
        for (p, &class) in class_of.iter().enumerate() {
            if classes.sizes[class as usize] > 1 {
                profiles_of.entry(class).or_default().push(p as u32);
            }
        }
        SplitProfiles {
            class_of,
            profiles_of,
        }
    }

    /// Lists the profile pairs, `(p, q)` with `p <= q`, that a stored pair
    /// of a record of `p` and a record of `q` applies to.
    fn profile_pairs(
        &self,
        profiles: &Profiles,
        p: u32,
        q: u32,
    ) -> Vec<(u32, u32)> {
        let members = |profile: u32| {
            let class = self.class_of[profile as usize];
            self.profiles_of
                .get(&class)
                .cloned()
                .unwrap_or_else(|| vec![profile])
        };
        let (lefts, rights) = (members(p), members(q));
        let same_class = self.class_of[p as usize] == self.class_of[q as usize];
        let mut pairs = Vec::new();
        for &a in &lefts {
            for &b in &rights {
                let within_has_pairs =
                    a != b || profiles.record_pairs(a, a) > 0;
                if (!same_class || a <= b) && within_has_pairs {
                    pairs.push((a.min(b), a.max(b)));
                }
            }
        }
        pairs
    }
}

/// Maps each `record_id` to the canonical indices of the records that
/// carry it. A record sent again in a later file keeps its `record_id`,
/// so one id may name several staged records, and a stored pair or
/// decision applies to each of them.
///
/// NOTE: a copy sent again with corrected values takes the stored levels
/// of the earlier copy's pairs until `rnc link --full` compares it anew.
pub(crate) fn indices_by_record_id<'r, R: RecordId>(
    records: &'r [R],
    order: &[usize],
) -> HashMap<&'r str, Vec<u32>> {
    let mut canonical: HashMap<&str, Vec<u32>> = HashMap::new();
    for (c, &i) in order.iter().enumerate() {
        canonical
            .entry(records[i].record_id())
            .or_default()
            .push(c as u32);
    }
    canonical
}

/// Lists the ordered pairs of distinct indices, one from each side.
pub(crate) fn index_pairs<'a>(
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

/// Marks, by canonical index, the records that a decision names.
pub(crate) fn records_in_decisions<R: RecordId>(
    records: &[R],
    order: &[usize],
    decisions: &[ReviewDecision],
) -> Vec<bool> {
    let named: HashSet<&str> = decisions
        .iter()
        .flat_map(|d| [d.record_id_left.as_str(), d.record_id_right.as_str()])
        .collect();
    order
        .iter()
        .map(|&i| named.contains(records[i].record_id()))
        .collect()
}

/// Reviewers' decisions keyed by (left, right) profile pairs. The records
/// a decision names have profiles of their own
/// ([`records_in_decisions`]), so a decision still holds for its two
/// records only.
pub(crate) fn decisions_by_pair<R: RecordId>(
    records: &[R],
    order: &[usize],
    profile_of: &[u32],
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
        for (a, b) in index_pairs(lefts, rights) {
            let (p, q) = (profile_of[a as usize], profile_of[b as usize]);
            by_pair.insert((p.min(q), p.max(q)), d.decision);
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
