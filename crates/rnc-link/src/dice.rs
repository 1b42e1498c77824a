//! Dice coefficient of keyed Bloom filters.

/// Returns the Dice coefficient 2|A∧B| / (|A| + |B|) of two Bloom filters,
/// where |A| is the number of bits set (Schnell, Bachteler & Reiher 2009).
///
/// Filters of different lengths are compared as if the shorter one were
/// padded with zero bytes. Two filters with no bit set give 0, because
/// they carry no evidence of similarity.
///
/// # Example
///
/// ```
/// use rnc_link::dice_coefficient;
///
/// // 0b1100 and 0b0110 share one of their two bits each: 2·1 / (2 + 2).
/// assert_eq!(dice_coefficient(&[0b1100], &[0b0110]), 0.5);
/// ```
pub fn dice_coefficient(a: &[u8], b: &[u8]) -> f64 {
    let common: u32 = a.iter().zip(b).map(|(x, y)| (x & y).count_ones()).sum();
    let total = popcount(a) + popcount(b);
    if total == 0 {
        return 0.0;
    }
    2.0 * f64::from(common) / f64::from(total)
}

/// Packs up to eight bytes into a little-endian word, zero-padded.
fn pack_word(chunk: &[u8]) -> u64 {
    let mut word = [0u8; 8];
    word[..chunk.len()].copy_from_slice(chunk);
    u64::from_le_bytes(word)
}

fn popcount(bytes: &[u8]) -> u32 {
    bytes.iter().map(|x| x.count_ones()).sum()
}

/// Bloom filters of one input packed as 64-bit words with their
/// popcounts, so that a comparison costs a few word operations.
#[derive(Debug, Default)]
pub(crate) struct BloomArena {
    filter_bytes: usize,
    words_per_filter: usize,
    words: Vec<u64>,
    popcounts: Vec<u32>,
}

impl BloomArena {
    pub(crate) fn new(filter_bytes: usize) -> BloomArena {
        BloomArena {
            filter_bytes,
            words_per_filter: filter_bytes.div_ceil(8),
            words: Vec::new(),
            popcounts: Vec::new(),
        }
    }

    /// Stores a filter and returns its index.
    pub(crate) fn push(&mut self, bytes: &[u8]) -> u32 {
        let start = self.words.len();
        self.words.resize(start + self.words_per_filter, 0);
        for (i, chunk) in bytes.chunks(8).enumerate() {
            self.words[start + i] = pack_word(chunk);
        }
        self.popcounts.push(popcount(bytes));
        u32::try_from(self.popcounts.len() - 1).expect(
            "name filter index overflows u32: link fewer than 715 million \
             records, which hold up to six filters each",
        )
    }

    /// Length in bytes of the filters this arena holds.
    pub(crate) fn filter_bytes(&self) -> usize {
        self.filter_bytes
    }

    /// Tests whether the stored filter `index` has exactly these bytes.
    pub(crate) fn holds(&self, index: u32, bytes: &[u8]) -> bool {
        bytes.len() == self.filter_bytes
            && self
                .filter(index)
                .iter()
                .zip(bytes.chunks(8))
                .all(|(&word, chunk)| word == pack_word(chunk))
    }

    /// Bytes of a stored filter, as they were pushed.
    pub(crate) fn bytes(&self, index: u32) -> Vec<u8> {
        let mut bytes: Vec<u8> = self
            .filter(index)
            .iter()
            .flat_map(|w| w.to_le_bytes())
            .collect();
        bytes.truncate(self.filter_bytes);
        bytes
    }

    /// Removes every filter, keeping the memory for the next ones.
    pub(crate) fn clear(&mut self) {
        self.words.clear();
        self.popcounts.clear();
    }

    /// Words of a stored filter, for testing two filters for equality.
    pub(crate) fn filter(&self, index: u32) -> &[u64] {
        let w = self.words_per_filter;
        let start = index as usize * w;
        &self.words[start..start + w]
    }

    /// Dice coefficient of two stored filters, as in [`dice_coefficient`].
    pub(crate) fn dice(&self, a: u32, b: u32) -> f64 {
        let (a, b) = (a as usize, b as usize);
        let total = self.popcounts[a] + self.popcounts[b];
        if total == 0 {
            return 0.0;
        }
        let w = self.words_per_filter;
        let left = &self.words[a * w..(a + 1) * w];
        let right = &self.words[b * w..(b + 1) * w];
        let common: u32 = left
            .iter()
            .zip(right)
            .map(|(x, y)| (x & y).count_ones())
            .sum();
        2.0 * f64::from(common) / f64::from(total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Hand-computed cases from the definition 2|A∧B| / (|A| + |B|).
    #[test]
    fn dice_hand_examples() {
        assert_eq!(dice_coefficient(&[0xff], &[0xff]), 1.0);
        assert_eq!(dice_coefficient(&[0xf0], &[0x0f]), 0.0);
        assert_eq!(dice_coefficient(&[0, 0], &[0, 0]), 0.0);
        // A = 3 bits, B = 1 bit, 1 in common: 2 / 4.
        assert_eq!(dice_coefficient(&[0b0111, 0], &[0b0001, 0]), 0.5);
        // Bits in the second byte count too: A = 9 bits, B = 1, common 1.
        assert_eq!(dice_coefficient(&[0xff, 1], &[0, 1]), 0.2);
    }

    #[test]
    fn dice_unequal_lengths_pad_with_zeros() {
        // A = 2 bits, B = 1 bit + 1 bit in a byte A lacks: 2·1 / 4.
        assert_eq!(dice_coefficient(&[0b11], &[0b01, 0b1]), 0.5);
    }

    #[test]
    fn arena_matches_byte_dice() {
        let a: Vec<u8> = (0u8..128).map(|i| i.wrapping_mul(37)).collect();
        let b: Vec<u8> =
            (0u8..128).map(|i| i.wrapping_mul(53) ^ 0x5a).collect();
        let mut arena = BloomArena::new(128);
        let ia = arena.push(&a);
        let ib = arena.push(&b);
        assert_eq!(arena.dice(ia, ib), dice_coefficient(&a, &b));
        assert_eq!(arena.dice(ia, ia), 1.0);
    }
}
