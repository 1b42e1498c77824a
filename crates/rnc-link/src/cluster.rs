//! Clustering of linked pairs into persons, with a guard against chains.
//!
//! Union-find over the linked pairs can chain two persons through a record
//! that resembles both (twins and a record without NIR, for instance). A
//! cluster that ends up holding two different valid NIRs, two complete
//! birth dates that differ by more than a transposition or one part, or
//! two unrelated first names (Bloom-filter Dice below
//! [`crate::FIRST_NAME_DICE_FLOOR`]) is rebuilt greedily: NIR-agreement
//! edges first, then Fellegi-Sunter edges by decreasing match weight,
//! skipping any edge that would join two groups with conflicting
//! identifiers.
//!
//! Two different NIRs do not conflict when their records agree exactly on
//! birth date, first name and sex: that is one person with a wrong NIR.
//!
//! DEVIATION: a date one part off does not count as a conflict, because it
//! is the commonest birth-date typo of a true match. Unrelated first names
//! do count: without that, same-sex twins whose records lack the NIR are
//! joined, since they agree on everything else.

use std::collections::HashMap;

use tracing::warn;

use crate::compare::{
    DATE_DIFFERENT, Encoded, compare_birth_dates, first_names_unrelated,
    same_first_name,
};
use crate::dice::BloomArena;

/// A linked pair in canonical record indices.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Edge {
    pub left: u32,
    pub right: u32,
    pub nir_agreement: bool,
    pub weight: f64,
}

/// Disjoint sets over record indices.
pub(crate) struct UnionFind {
    parent: Vec<u32>,
}

impl UnionFind {
    pub(crate) fn new(n: usize) -> UnionFind {
        UnionFind {
            parent: (0..n as u32).collect(),
        }
    }

    pub(crate) fn find(&mut self, x: u32) -> u32 {
        let mut root = x;
        while self.parent[root as usize] != root {
            root = self.parent[root as usize];
        }
        let mut node = x;
        while self.parent[node as usize] != root {
            let next = self.parent[node as usize];
            self.parent[node as usize] = root;
            node = next;
        }
        root
    }

    /// Joins two sets; the smaller index becomes the root so that the
    /// result does not depend on the order of the calls.
    pub(crate) fn union(&mut self, a: u32, b: u32) -> bool {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra == rb {
            return false;
        }
        let (low, high) = (ra.min(rb), ra.max(rb));
        self.parent[high as usize] = low;
        true
    }
}

/// Encoded records and their Bloom filters.
type Records<'a> = (&'a [Encoded], &'a BloomArena);

/// Result of clustering.
pub(crate) struct Clustering {
    /// Root record of each record's cluster.
    pub root_of: Vec<u32>,
    /// For each edge, whether it was dropped by the chain guard.
    pub dropped: Vec<bool>,
    /// Clusters that the guard split.
    pub split_clusters: u64,
}

/// Identifiers of a group of records that must not contradict another
/// group's: one record per distinct NIR, birth date and first name.
#[derive(Clone, Default)]
struct GroupIdentity {
    nir_records: Vec<u32>,
    date_records: Vec<u32>,
    first_name_records: Vec<u32>,
}

impl GroupIdentity {
    fn of(index: u32, record: &Encoded) -> GroupIdentity {
        GroupIdentity {
            nir_records: if record.nir.is_some() {
                vec![index]
            } else {
                vec![]
            },
            date_records: if record.date.is_some() {
                vec![index]
            } else {
                vec![]
            },
            first_name_records: if record.has_first_name_bloom() {
                vec![index]
            } else {
                vec![]
            },
        }
    }

    fn conflicts_with(&self, other: &GroupIdentity, records: &Records) -> bool {
        let (records, blooms) = records;
        let nir_conflict = self.nir_records.iter().any(|&a| {
            other.nir_records.iter().any(|&b| {
                let (x, y) = (&records[a as usize], &records[b as usize]);
                x.nir != y.nir && !only_nir_differs(x, y)
            })
        });
        if nir_conflict {
            return true;
        }
        // Dates and first names conflict only when every pair across the
        // groups disagrees. A group joined on its NIR may hold one record
        // with a mistyped date or another first name, and that record
        // alone must not keep out a record that agrees with the rest.
        let all_pairs =
            |left: &[u32], right: &[u32], differ: &dyn Fn(u32, u32) -> bool| {
                !left.is_empty()
                    && !right.is_empty()
                    && left.iter().all(|&a| right.iter().all(|&b| differ(a, b)))
            };
        let dates_differ = |a: u32, b: u32| {
            compare_birth_dates(&records[a as usize], &records[b as usize])
                == DATE_DIFFERENT
        };
        let names_differ = |a: u32, b: u32| {
            first_names_unrelated(
                &records[a as usize],
                &records[b as usize],
                blooms,
            )
        };
        all_pairs(&self.date_records, &other.date_records, &dates_differ)
            || all_pairs(
                &self.first_name_records,
                &other.first_name_records,
                &names_differ,
            )
    }

    fn merge(&mut self, other: GroupIdentity, (records, _): &Records) {
        add_distinct(&mut self.nir_records, other.nir_records, |i| {
            records[i as usize].nir
        });
        add_distinct(&mut self.date_records, other.date_records, |i| {
            records[i as usize].date
        });
        // One record per distinct pair of first-name pseudonyms, one per
        // salt, because equal names under other salts are other values.
        add_distinct(
            &mut self.first_name_records,
            other.first_name_records,
            |i| records[i as usize].names.map(|names| names.first_name),
        );
    }
}

/// Appends the records of `other` whose value (by `value_of`) no record of
/// `list` has.
fn add_distinct<T: PartialEq>(
    list: &mut Vec<u32>,
    other: Vec<u32>,
    value_of: impl Fn(u32) -> T,
) {
    for index in other {
        let value = value_of(index);
        if !list.iter().any(|&i| value_of(i) == value) {
            list.push(index);
        }
    }
}

/// Tests whether two records with different NIRs agree exactly on birth
/// date, first name and sex. Such a pair is one person whose record
/// carries a wrong but valid NIR, for instance the insured parent's NIR
/// that French hospital data give a child. Twins differ in first name
/// and a parent in birth date, so neither passes this test. Its NIRs then
/// do not count as a conflict, and the pair is joined only when its match
/// probability reaches the threshold like any other.
fn only_nir_differs(a: &Encoded, b: &Encoded) -> bool {
    let same = |x: Option<u32>, y: Option<u32>| x.is_some() && x == y;
    same(a.date, b.date)
        && same_first_name(a, b)
        && same(a.sex.map(u32::from), b.sex.map(u32::from))
}

/// Clusters records over the edges and splits chained clusters.
pub(crate) fn cluster(
    records: &[Encoded],
    blooms: &BloomArena,
    edges: &[Edge],
) -> Clustering {
    let context = (records, blooms);
    let mut sets = UnionFind::new(records.len());
    for edge in edges {
        sets.union(edge.left, edge.right);
    }
    let mut members: HashMap<u32, Vec<u32>> = HashMap::new();
    for index in 0..records.len() as u32 {
        let root = sets.find(index);
        members.entry(root).or_default().push(index);
    }
    let mut conflicting: Vec<u32> = members
        .iter()
        .filter(|(_, group)| group.len() > 1 && has_conflict(group, &context))
        .map(|(&root, _)| root)
        .collect();
    conflicting.sort_unstable();

    let mut dropped = vec![false; edges.len()];
    let mut split_clusters = 0;
    if !conflicting.is_empty() {
        let mut edges_of: HashMap<u32, Vec<usize>> = HashMap::new();
        for (e, edge) in edges.iter().enumerate() {
            let root = sets.find(edge.left);
            if conflicting.binary_search(&root).is_ok() {
                edges_of.entry(root).or_default().push(e);
            }
        }
        for root in &conflicting {
            let parts = rebuild_cluster(
                &members[root],
                edges_of.remove(root).unwrap_or_default(),
                edges,
                &context,
                &mut dropped,
            );
            if parts > 1 {
                split_clusters += 1;
            }
        }
        warn!(
            conflicting_clusters = conflicting.len(),
            split_clusters,
            "clusters with conflicting NIRs or birth dates were re-clustered \
             on their strongest edges"
        );
    }

    let mut final_sets = UnionFind::new(records.len());
    for (edge, &is_dropped) in edges.iter().zip(&dropped) {
        if !is_dropped {
            final_sets.union(edge.left, edge.right);
        }
    }
    let root_of = (0..records.len() as u32)
        .map(|i| final_sets.find(i))
        .collect();
    Clustering {
        root_of,
        dropped,
        split_clusters,
    }
}

fn has_conflict(group: &[u32], context: &Records) -> bool {
    let (records, _) = context;
    let mut identity = GroupIdentity::default();
    for &index in group {
        let single = GroupIdentity::of(index, &records[index as usize]);
        if identity.conflicts_with(&single, context) {
            return true;
        }
        identity.merge(single, context);
    }
    false
}

/// Re-clusters one cluster greedily and marks the edges it skips. Returns
/// the number of parts.
fn rebuild_cluster(
    group: &[u32],
    mut edge_ids: Vec<usize>,
    edges: &[Edge],
    context: &Records,
    dropped: &mut [bool],
) -> usize {
    let (records, _) = context;
    // NIR-agreement edges first, then by decreasing weight; the record
    // indices break ties so that the result is deterministic.
    edge_ids.sort_by(|&a, &b| {
        let (x, y) = (&edges[a], &edges[b]);
        y.nir_agreement
            .cmp(&x.nir_agreement)
            .then(y.weight.total_cmp(&x.weight))
            .then((x.left, x.right).cmp(&(y.left, y.right)))
    });
    let local: HashMap<u32, u32> = group
        .iter()
        .enumerate()
        .map(|(i, &g)| (g, i as u32))
        .collect();
    let mut sets = UnionFind::new(group.len());
    let mut identities: Vec<GroupIdentity> = group
        .iter()
        .map(|&g| GroupIdentity::of(g, &records[g as usize]))
        .collect();
    let mut parts = group.len();
    for e in edge_ids {
        let edge = &edges[e];
        let a = sets.find(local[&edge.left]);
        let b = sets.find(local[&edge.right]);
        if a == b {
            continue;
        }
        if !edge.nir_agreement
            && identities[a as usize]
                .conflicts_with(&identities[b as usize], context)
        {
            dropped[e] = true;
            continue;
        }
        sets.union(a, b);
        let (root, other) = (a.min(b), a.max(b));
        let moved = std::mem::take(&mut identities[other as usize]);
        identities[root as usize].merge(moved, context);
        parts -= 1;
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::EncodedNames;

    /// Name slots with a first name under one salt and none under the
    /// other.
    fn first_name(
        first_name: Option<u32>,
        first_bloom: Option<u32>,
    ) -> [EncodedNames; 2] {
        let salted = EncodedNames {
            first_name,
            first_bloom,
            ..EncodedNames::default()
        };
        [salted, EncodedNames::default()]
    }

    fn person(nir: Option<u32>, date: u32) -> Encoded {
        Encoded {
            nir,
            date: Some(date),
            year_month: Some(date),
            year_day: Some(date),
            month_day: Some(date),
            ..Default::default()
        }
    }

    fn fs_edge(left: u32, right: u32, weight: f64) -> Edge {
        Edge {
            left,
            right,
            nir_agreement: false,
            weight,
        }
    }

    #[test]
    fn chain_through_record_without_nir_is_split() {
        // Twins 0 and 2 with different NIRs, joined through record 1.
        let records =
            vec![person(Some(1), 7), person(None, 7), person(Some(2), 7)];
        let edges = vec![fs_edge(0, 1, 20.0), fs_edge(1, 2, 15.0)];
        let result = cluster(&records, &BloomArena::default(), &edges);
        assert_eq!(result.split_clusters, 1);
        assert_eq!(result.dropped, vec![false, true]);
        assert_eq!(result.root_of, vec![0, 0, 2]);
    }

    #[test]
    fn consistent_cluster_is_kept() {
        let records =
            vec![person(Some(1), 7), person(None, 7), person(Some(1), 7)];
        let edges = vec![fs_edge(0, 1, 20.0), fs_edge(1, 2, 15.0)];
        let result = cluster(&records, &BloomArena::default(), &edges);
        assert_eq!(result.split_clusters, 0);
        assert_eq!(result.root_of, vec![0, 0, 0]);
    }

    #[test]
    fn wrong_nir_of_same_person_is_kept() {
        // Records 0 and 2 differ only in their NIR: same birth date, first
        // name and sex, so record 2 is the same person with a wrong NIR.
        let named = |nir: Option<u32>| Encoded {
            names: first_name(Some(3), None),
            sex: Some(2),
            ..person(nir, 7)
        };
        let records = vec![named(Some(1)), named(None), named(Some(2))];
        let edges = vec![fs_edge(0, 1, 20.0), fs_edge(1, 2, 15.0)];
        let result = cluster(&records, &BloomArena::default(), &edges);
        assert_eq!(result.split_clusters, 0);
        assert_eq!(result.root_of, vec![0, 0, 0]);
    }

    #[test]
    fn twins_with_other_first_names_are_split() {
        let twin = |nir: Option<u32>, first: u32| Encoded {
            names: first_name(Some(first), None),
            sex: Some(2),
            ..person(nir, 7)
        };
        let records = vec![twin(Some(1), 3), twin(None, 3), twin(Some(2), 4)];
        let edges = vec![fs_edge(0, 1, 20.0), fs_edge(1, 2, 15.0)];
        let result = cluster(&records, &BloomArena::default(), &edges);
        assert_eq!(result.split_clusters, 1);
        assert_eq!(result.root_of, vec![0, 0, 2]);
    }

    #[test]
    fn one_odd_first_name_does_not_block_join() {
        // Records 0 and 1 share a NIR but not a first name (a nickname or
        // a name swap). Record 2, without NIR, has record 0's first name:
        // it joins and the cluster is kept whole, because not every first
        // name across the groups is unrelated.
        let with_name = |nir: Option<u32>, first: u32, bloom: u32| Encoded {
            names: first_name(Some(first), Some(bloom)),
            ..person(nir, 7)
        };
        let mut blooms = BloomArena::new(2);
        let x = blooms.push(&[0b1111_0000, 0]);
        let y = blooms.push(&[0b0000_1111, 0]);
        let records = vec![
            with_name(Some(1), 3, x),
            with_name(Some(1), 4, y),
            with_name(None, 3, x),
        ];
        let nir_edge = Edge {
            nir_agreement: true,
            ..fs_edge(0, 1, 10.0)
        };
        let edges = vec![nir_edge, fs_edge(0, 2, 20.0), fs_edge(1, 2, -5.0)];
        let result = cluster(&records, &blooms, &edges);
        assert_eq!(result.split_clusters, 0);
        assert_eq!(result.root_of, vec![0, 0, 0]);
        assert_eq!(result.dropped, vec![false, false, false]);
    }
}
