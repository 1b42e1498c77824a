//! Connected components of the linked pairs of a file linkage, with the
//! model file's cannot-link constraints.

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

/// Joins linked pairs into clusters. Without constraints this is plain
/// union-find. With them, pairs are joined by decreasing match weight
/// (ties by record index, so the result does not depend on the input
/// order), and a pair is skipped when its two clusters hold a record pair
/// in conflict. Returns the sets and the number of skipped pairs.
///
/// NOTE: each join compares every record of one cluster with every
/// record of the other, so its cost is quadratic in the cluster size.
/// Persons have a few records each, but a model that chains thousands of
/// records together would make this slow.
pub(crate) fn cluster_linked_pairs(
    records: usize,
    linked: &[(u32, u32, f64)],
    cannot_link: &CannotLink,
    comparators: &[FieldComparator],
    codes: &[[u32; 2]],
) -> (UnionFind, u64) {
    let mut sets = UnionFind::new(records);
    if cannot_link.is_empty() {
        for &(a, b, _) in linked {
            sets.union(a, b);
        }
        return (sets, 0);
    }
    let width = comparators.len();
    let row = |x: u32| &codes[x as usize * width..(x as usize + 1) * width];
    let mut order: Vec<usize> = (0..linked.len()).collect();
    order.sort_by(|&x, &y| {
        let (a, b) = (&linked[x], &linked[y]);
        b.2.total_cmp(&a.2).then((a.0, a.1).cmp(&(b.0, b.1)))
    });
    let mut members: Vec<Vec<u32>> =
        (0..records as u32).map(|x| vec![x]).collect();
    let mut skipped = 0u64;
    for p in order {
        let (a, b, _) = linked[p];
        let (root_a, root_b) = (sets.find(a), sets.find(b));
        if root_a == root_b {
            continue;
        }
        let conflict = members[root_a as usize].iter().any(|&x| {
            members[root_b as usize]
                .iter()
                .any(|&y| cannot_link.conflict(comparators, row(x), row(y)))
        });
        if conflict {
            skipped += 1;
            continue;
        }
        sets.union(root_a, root_b);
        let root = sets.find(root_a);
        let other = if root == root_a { root_b } else { root_a };
        let moved = std::mem::take(&mut members[other as usize]);
        members[root as usize].extend(moved);
    }
    (sets, skipped)
}
