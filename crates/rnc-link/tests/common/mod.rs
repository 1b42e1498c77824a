//! Helpers shared by the linkage tests.

/// 1 024-bit Bloom filter of the space-padded bigrams, 20 FNV-1a hashes
/// per bigram.
pub fn bloom(value: &str) -> Option<Vec<u8>> {
    let padded: Vec<char> = format!(" {value} ").chars().collect();
    let mut bits = vec![0u8; 128];
    for bigram in padded.windows(2) {
        for k in 0u32..20 {
            let mut hash: u32 = 0x811c_9dc5 ^ k.wrapping_mul(0x9e37_79b9);
            for c in bigram
                .iter()
                .collect::<String>()
                .bytes()
                .chain(k.to_le_bytes())
            {
                hash ^= u32::from(c);
                hash = hash.wrapping_mul(0x0100_0193);
            }
            let bit = (hash % 1024) as usize;
            bits[bit / 8] |= 1 << (bit % 8);
        }
    }
    Some(bits)
}
