//! Connected components of the linked pairs of a file linkage, with the
//! model file's cannot-link constraints.

use std::collections::HashMap;

use crate::cluster::UnionFind;
use crate::field_compare::{FieldComparator, LEVEL_EXACT};

/// Comparison indices of each cannot-link list, resolved from names.
pub(crate) struct CannotLink {
    lists: Vec<Vec<usize>>,
}

impl CannotLink {
    pub(crate) fn new(
        lists: &[Vec<String>],
        comparators: &[FieldComparator],
    ) -> CannotLink {
        let index = |name: &String| {
            comparators
                .iter()
                .position(|c| c.spec.comparison_name() == name)
                .expect("cannot_link names are checked by ModelSpec")
        };
        CannotLink {
            lists: lists
                .iter()
                .map(|list| list.iter().map(index).collect())
                .collect(),
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.lists.is_empty()
    }

    /// Tests whether two records, given by their code rows, are at the
    /// level "different" on every comparison of one list.
    fn conflict(
        &self,
        comparators: &[FieldComparator],
        a: &[[u32; 2]],
        b: &[[u32; 2]],
    ) -> bool {
        self.lists.iter().any(|list| {
            list.iter().all(|&c| {
                let comparator = &comparators[c];
                let level = comparator.level_of_codes(a[c], b[c]);
                level > LEVEL_EXACT && level == comparator.different_level()
            })
        })
    }
}

/// Joins linked pairs into clusters: connected components, of which a
/// component that holds a record pair in conflict is rebuilt by joining
/// its pairs by decreasing match weight (ties by record index, so the
/// result does not depend on the input order) and skipping a pair when
/// its two clusters hold a record pair in conflict. Returns the sets and
/// the positions in `linked` of the skipped pairs, in increasing order.
///
/// Components without a conflict come out as plain connected components,
/// so only the few conflicting ones pay for the sort and the checks.
///
/// NOTE: checking a component compares every pair of its records, so its
/// cost is quadratic in the component size. Persons have a few records
/// each, but a model that chains thousands of records together would
/// make this slow.
pub(crate) fn cluster_linked_pairs(
    records: usize,
    linked: &[(u32, u32, f64)],
    cannot_link: &CannotLink,
    comparators: &[FieldComparator],
    codes: &[[u32; 2]],
) -> (UnionFind, Vec<usize>) {
    let mut components = UnionFind::new(records);
    for &(a, b, _) in linked {
        components.union(a, b);
    }
    if cannot_link.is_empty() {
        return (components, Vec::new());
    }
    let width = comparators.len();
    let row = |x: u32| &codes[x as usize * width..(x as usize + 1) * width];
    let mut members: HashMap<u32, Vec<u32>> = HashMap::new();
    for &(a, b, _) in linked {
        for x in [a, b] {
            members.entry(components.find(x)).or_default().push(x);
        }
    }
    let conflicting: HashMap<u32, Vec<u32>> = members
        .into_iter()
        .filter_map(|(root, mut records)| {
            records.sort_unstable();
            records.dedup();
            let conflict = records.iter().enumerate().any(|(i, &x)| {
                records[i + 1..]
                    .iter()
                    .any(|&y| cannot_link.conflict(comparators, row(x), row(y)))
            });
            conflict.then_some((root, records))
        })
        .collect();
    if conflicting.is_empty() {
        return (components, Vec::new());
    }

    // Rebuild the conflicting components from scratch, edge by edge.
    let mut sets = UnionFind::new(records);
    let mut order: Vec<usize> = Vec::new();
    for (p, &(a, b, _)) in linked.iter().enumerate() {
        if conflicting.contains_key(&components.find(a)) {
            order.push(p);
        } else {
            sets.union(a, b);
        }
    }
    order.sort_by(|&x, &y| {
        let (a, b) = (&linked[x], &linked[y]);
        b.2.total_cmp(&a.2).then((a.0, a.1).cmp(&(b.0, b.1)))
    });
    let mut cluster_members: HashMap<u32, Vec<u32>> = conflicting
        .values()
        .flatten()
        .map(|&x| (x, vec![x]))
        .collect();
    let mut skipped = Vec::new();
    for p in order {
        let (a, b, _) = linked[p];
        let (root_a, root_b) = (sets.find(a), sets.find(b));
        if root_a == root_b {
            continue;
        }
        let conflict = cluster_members[&root_a].iter().any(|&x| {
            cluster_members[&root_b]
                .iter()
                .any(|&y| cannot_link.conflict(comparators, row(x), row(y)))
        });
        if conflict {
            skipped.push(p);
            continue;
        }
        sets.union(root_a, root_b);
        let root = sets.find(root_a);
        let other = if root == root_a { root_b } else { root_a };
        let moved = cluster_members.remove(&other).unwrap_or_default();
        cluster_members.entry(root).or_default().extend(moved);
    }
    skipped.sort_unstable();
    (sets, skipped)
}
