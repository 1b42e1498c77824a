//! Person numbers that stay the same from one linkage run to the next.

use std::collections::HashMap;

/// Gives each cluster of a new run a person number, keeping the numbers of
/// an earlier run. `cluster_of` holds the cluster of each record (as
/// [`crate::Linkage::person_of`] does) and `earlier` the person number
/// the earlier run gave the same record, `None` for a new record.
///
/// A cluster keeps the earlier number most of its records had. When
/// clusters compete for one number (an earlier person split), the
/// cluster with more of its records keeps it. When a cluster holds
/// records of several earlier persons (they merged), it keeps the number
/// it shares most records with and the other numbers retire. Ties go to
/// the smaller number, then the smaller cluster. Clusters left without a
/// number get new ones after the largest earlier number, in cluster
/// order, so the result depends only on its inputs.
pub fn stable_person_numbers(
    cluster_of: &[u32],
    earlier: &[Option<u32>],
) -> Vec<u32> {
    assert_eq!(
        cluster_of.len(),
        earlier.len(),
        "one earlier number (or None) per record"
    );
    let mut shared: HashMap<(u32, u32), u64> = HashMap::new();
    for (&cluster, number) in cluster_of.iter().zip(earlier) {
        if let Some(number) = number {
            *shared.entry((cluster, *number)).or_default() += 1;
        }
    }
    let mut claims: Vec<((u32, u32), u64)> = shared.into_iter().collect();
    claims.sort_by(|(a, count_a), (b, count_b)| {
        count_b.cmp(count_a).then(a.1.cmp(&b.1)).then(a.0.cmp(&b.0))
    });
    let clusters = cluster_of.iter().max().map_or(0, |&c| c as usize + 1);
    let mut number_of = vec![None; clusters];
    let mut taken: HashMap<u32, ()> = HashMap::new();
    for ((cluster, number), _) in claims {
        if number_of[cluster as usize].is_none()
            && taken.insert(number, ()).is_none()
        {
            number_of[cluster as usize] = Some(number);
        }
    }
    let mut next = earlier.iter().flatten().max().map_or(0, |&n| n + 1);
    for number in &mut number_of {
        if number.is_none() {
            *number = Some(next);
            next += 1;
        }
    }
    cluster_of
        .iter()
        .map(|&c| number_of[c as usize].expect("every cluster has a number"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_run_numbers_clusters_in_order() {
        assert_eq!(
            stable_person_numbers(&[0, 1, 0, 2], &[None; 4]),
            vec![0, 1, 0, 2]
        );
    }

    #[test]
    fn earlier_numbers_are_kept() {
        // Clusters renumbered by a new record with a smaller id: the old
        // records keep their numbers 7 and 3, the new person gets 8.
        let numbers = stable_person_numbers(
            &[0, 1, 1, 2, 0],
            &[None, Some(7), Some(7), Some(3), None],
        );
        assert_eq!(numbers, vec![8, 7, 7, 3, 8]);
    }

    #[test]
    fn new_record_joins_earlier_person() {
        let numbers =
            stable_person_numbers(&[0, 0, 1], &[Some(4), None, Some(2)]);
        assert_eq!(numbers, vec![4, 4, 2]);
    }

    #[test]
    fn merged_persons_keep_the_larger_share() {
        // Persons 5 (one record) and 9 (two records) merge: 9 stays.
        let numbers =
            stable_person_numbers(&[0, 0, 0], &[Some(5), Some(9), Some(9)]);
        assert_eq!(numbers, vec![9, 9, 9]);
    }

    #[test]
    fn split_person_keeps_number_on_larger_part() {
        let numbers =
            stable_person_numbers(&[0, 1, 1], &[Some(2), Some(2), Some(2)]);
        assert_eq!(numbers, vec![3, 2, 2]);
    }
}
