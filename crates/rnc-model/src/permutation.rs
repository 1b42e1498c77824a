//! Reordering large items in place.

/// Applies a sorting permutation in place. `order[i]` is the position,
/// before sorting, of the item that belongs at `i`, and `swap(a, b)`
/// exchanges the items at two positions (of one vector or of several kept
/// in step). Each cycle of the permutation is followed with swaps, so an
/// item moves at most twice and no second vector is made, where sorting
/// large items directly moves each once per merge pass. `order` is left
/// as the identity.
pub fn permute_in_place(
    order: &mut [usize],
    mut swap: impl FnMut(usize, usize),
) {
    for start in 0..order.len() {
        let mut current = start;
        while order[current] != current {
            let next = order[current];
            order[current] = current;
            if next == start {
                // The item first at `start` has been carried along the
                // cycle and now sits at `current`, where it belongs.
                break;
            }
            swap(current, next);
            current = next;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_end_where_the_order_puts_them() {
        let mut items = vec!['d', 'a', 'e', 'c', 'b', 'f'];
        let mut order: Vec<usize> = (0..items.len()).collect();
        order.sort_by_key(|&i| items[i]);
        permute_in_place(&mut order, |a, b| items.swap(a, b));
        assert_eq!(items, ['a', 'b', 'c', 'd', 'e', 'f']);
        assert!(order.iter().enumerate().all(|(i, &o)| i == o));
    }
}
