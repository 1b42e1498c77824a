//! Keyed Bloom-filter encoding of name bigrams (Schnell, Bachteler and
//! Reiher, BMC Medical Informatics and Decision Making 2009, 9:41).
//!
//! A name is split into bigrams after padding it with one space at each
//! end, so `SMITH` gives ` S`, `SM`, `MI`, `IT`, `TH`, `H `. Each bigram
//! sets [`BLOOM_HASHES`] bits of a [`BLOOM_BITS`]-bit filter. Two names
//! that share most bigrams share most bits, so the Dice coefficient of two
//! filters approximates the Dice coefficient of the bigram sets without
//! revealing the bigrams to anyone who lacks the key.
//!
//! The bit positions of a bigram are independent 10-bit indices cut from
//! 256 keyed pseudo-random bits. The original construction derived them
//! by double hashing, `g_i = h1 + i * h2 mod l`, and Kroll and Steinmetzer
//! (2015, "Who is 1011011111...1110110010? Automated cryptanalysis of
//! Bloom filter encryptions of databases with several personal
//! identifiers") showed that this structure helps an attacker recover the
//! bigrams. clkhash moved to independent indices cut from one keyed hash
//! for the same reason.
//!
//! The 256 bits are two AES-256 blocks under a key drawn for the domain
//! and salt ([`BigramKey`]): HMAC-SHA-256 of the salt under the domain's
//! Bloom sub-key. The key is drawn once for the names of a record that
//! share a domain and salt, and each bigram then costs two block
//! encryptions with the processor's AES instructions, about 9 ns each in
//! a profile of the ingestion. Each bigram was hashed with HMAC-SHA-256 before, two
//! SHA-256 compressions, and the positions were kept in a cache of up to
//! 2^19 entries, larger than the processor's caches. A lookup there cost
//! about as much as the hash it saved, and the positions took a fifth of
//! the ingestion's time (`crates/rnc-ingest/benches/BENCHMARKS.md`).
//! Both constructions are pseudo-random functions of the key, salt and
//! bigram, so the filters keep their properties. Their bits differ, and a
//! registry therefore keeps one construction for all its records.
//!
//! DEVIATION: the design first called for 16-bit slices reduced modulo
//! 1024, but 256 bits hold only 16 such slices, fewer than the 20
//! positions needed. Because 1024 is a power of two, a 16-bit slice
//! reduced modulo 1024 is just its low 10 bits, so cutting 10-bit slices
//! gives the same uniform, unbiased indices and 25 of them per 256 bits.

use aes::cipher::{BlockEncrypt, KeyInit};
use aes::{Aes256, Block};
use hmac::Mac;
use zeroize::Zeroizing;

use crate::pseudonymiser::HmacSha256;

/// Length of a Bloom filter in bits, a power of two.
pub const BLOOM_BITS: usize = 1024;

/// Length of a Bloom filter in bytes.
pub const BLOOM_BYTES: usize = BLOOM_BITS / 8;

/// Number of bit positions each bigram sets.
pub const BLOOM_HASHES: usize = 20;

/// Bits per index: log2 of [`BLOOM_BITS`].
const INDEX_BITS: usize = 10;

// Every index must fit inside the 256 bits drawn for a bigram.
const _: () = assert!(BLOOM_HASHES * INDEX_BITS <= 256);
const _: () = assert!(1 << INDEX_BITS == BLOOM_BITS);

/// Name of the construction that gives the filters' bit positions, kept
/// with each batch and written in every provider file. Filters made by
/// two constructions agree only by chance, so rnc never mixes them in
/// one registry. Earlier versions of rnc hashed each bigram with
/// HMAC-SHA-256 and recorded no name.
pub const BLOOM_CONSTRUCTION: &str = "bigram-aes256";

/// Bigrams whose blocks are encrypted in one call, so that the
/// processor works on several blocks at once.
const BIGRAMS_PER_CALL: usize = 8;

/// The key that gives the bit positions of bigrams in one domain under
/// one salt, or under none.
///
/// It is HMAC-SHA-256, under the domain's Bloom sub-key, of the salt
/// followed by a 0x1F separator, or of nothing for unsalted filters, so
/// that no salt differs from the empty one. The bytes are zeroed once
/// the cipher is set up, and the cipher's round keys when it is dropped.
pub(crate) struct BigramKey {
    cipher: Aes256,
}

impl BigramKey {
    /// Draws the key of `salt` from the domain's Bloom sub-key `keyed`.
    pub(crate) fn new(keyed: &HmacSha256, salt: Option<&str>) -> BigramKey {
        let mut mac = keyed.clone();
        if let Some(salt) = salt {
            mac.update(salt.as_bytes());
            mac.update(&[0x1F]);
        }
        let key: Zeroizing<[u8; 32]> =
            Zeroizing::new(mac.finalize().into_bytes().into());
        BigramKey {
            cipher: Aes256::new(key.as_slice().into()),
        }
    }

    /// Encodes the padded bigrams of `name` into a filter of
    /// [`BLOOM_BYTES`] bytes. With a `permutation`, bit `p` is set at
    /// `permutation[p]` instead, which gives the filter that the registry
    /// layer's permutation would make of the unpermuted one.
    ///
    /// Bit `p` is bit `7 - p % 8` of byte `p / 8`, the most significant
    /// bit first.
    pub(crate) fn encode(
        &self,
        name: &str,
        permutation: Option<&[u16]>,
    ) -> Vec<u8> {
        let mut filter = vec![0u8; BLOOM_BYTES];
        let mut blocks = [Block::default(); 2 * BIGRAMS_PER_CALL];
        let mut pending = 0;
        for pair in padded_bigrams(name) {
            blocks[2 * pending] = bigram_block(pair, 0);
            blocks[2 * pending + 1] = bigram_block(pair, 1);
            pending += 1;
            if pending == BIGRAMS_PER_CALL {
                self.set_positions(&mut blocks, &mut filter, permutation);
                pending = 0;
            }
        }
        self.set_positions(
            &mut blocks[..2 * pending],
            &mut filter,
            permutation,
        );
        filter
    }

    /// Encrypts the blocks of some bigrams, two per bigram, and sets each
    /// bigram's positions in `filter`.
    fn set_positions(
        &self,
        blocks: &mut [Block],
        filter: &mut [u8],
        permutation: Option<&[u16]>,
    ) {
        self.cipher.encrypt_blocks(blocks);
        for pair in blocks.chunks_exact(2) {
            let mut bits = [0u8; 32];
            bits[..16].copy_from_slice(&pair[0]);
            bits[16..].copy_from_slice(&pair[1]);
            set_bits(filter, &slice_indices(&bits), permutation);
        }
    }
}

/// Returns the input block of a bigram's `half` (0 or 1): the UTF-8
/// bytes of its two characters (at most 8), zeros, their length in byte
/// 14 and the half in byte 15. The length keeps the encoding one-to-one
/// whatever the characters.
fn bigram_block(pair: (char, char), half: u8) -> Block {
    let mut block = Block::default();
    let first = pair.0.encode_utf8(&mut block[..4]).len();
    let second = pair.1.encode_utf8(&mut block[first..first + 4]).len();
    block[14] = (first + second) as u8;
    block[15] = half;
    block
}

/// Sets the bits at `positions` in `filter`, most significant bit first,
/// each moved by `permutation` when there is one.
fn set_bits(
    filter: &mut [u8],
    positions: &[u16; BLOOM_HASHES],
    permutation: Option<&[u16]>,
) {
    for &position in positions {
        let position = match permutation {
            Some(permutation) => {
                usize::from(permutation[usize::from(position)])
            }
            None => usize::from(position),
        };
        filter[position / 8] |= 0x80 >> (position % 8);
    }
}

/// Returns the padded bigrams of `name`, the name between two spaces
/// taken two characters at a time: ` S`, `SM`, …, `H ` for `SMITH`, and
/// one bigram of two spaces for an empty name.
fn padded_bigrams(name: &str) -> impl Iterator<Item = (char, char)> + '_ {
    let mut characters = name.chars().chain(std::iter::once(' '));
    let mut previous = ' ';
    std::iter::from_fn(move || {
        let next = characters.next()?;
        let pair = (previous, next);
        previous = next;
        Some(pair)
    })
}

/// Cuts the first [`BLOOM_HASHES`] consecutive 10-bit big-endian slices
/// out of 256 bits.
fn slice_indices(bits: &[u8; 32]) -> [u16; BLOOM_HASHES] {
    let mut indices = [0u16; BLOOM_HASHES];
    for (i, index) in indices.iter_mut().enumerate() {
        let bit = i * INDEX_BITS;
        let byte = bit / 8;
        let window = u32::from(bits[byte]) << 16
            | u32::from(bits[byte + 1]) << 8
            | u32::from(bits[byte + 2]);
        let shift = 24 - INDEX_BITS - bit % 8;
        *index = ((window >> shift) & 0x3FF) as u16;
    }
    indices
}

/// Computes the Dice coefficient of two bit arrays, `2|A ∧ B| / (|A| + |B|)`, where
/// `|A|` counts the set bits.
///
/// Returns 0.0 when neither array has a bit set. Arrays of different
/// lengths are compared as if the shorter one were padded with zeros.
pub fn dice_coefficient(a: &[u8], b: &[u8]) -> f64 {
    let common: u32 = a.iter().zip(b).map(|(x, y)| (x & y).count_ones()).sum();
    let total: u32 = a.iter().chain(b).map(|byte| byte.count_ones()).sum();
    if total == 0 {
        return 0.0;
    }
    2.0 * f64::from(common) / f64::from(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dice_of_hand_arrays() {
        // A = {0, 1, 2}, B = {1, 2, 3}: 2 * 2 / (3 + 3) = 0.6667.
        let a = [0b1110_0000];
        let b = [0b0111_0000];
        assert!((dice_coefficient(&a, &b) - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(dice_coefficient(&a, &a), 1.0);
        assert_eq!(dice_coefficient(&[0b1000_0000], &[0b0100_0000]), 0.0);
    }

    #[test]
    fn dice_of_empty_is_zero() {
        assert_eq!(dice_coefficient(&[], &[]), 0.0);
        assert_eq!(dice_coefficient(&[0, 0], &[0, 0]), 0.0);
    }

    #[test]
    fn dice_pads_shorter_array() {
        assert_eq!(dice_coefficient(&[0xFF], &[0xFF, 0xFF]), 2.0 * 8.0 / 24.0);
    }

    /// Recomputes the filter of `bigrams` under `salt` one block at a
    /// time, from the construction the module documents: the key
    /// HMAC(sub-key, salt, 0x1F), then two AES-256 blocks per bigram.
    fn filter_by_hand(
        keyed: &HmacSha256,
        salt: Option<&str>,
        bigrams: &[&str],
    ) -> Vec<u8> {
        let mut mac = keyed.clone();
        if let Some(salt) = salt {
            mac.update(salt.as_bytes());
            mac.update(&[0x1F]);
        }
        let key: [u8; 32] = mac.finalize().into_bytes().into();
        let cipher = Aes256::new(&key.into());
        let mut filter = vec![0u8; BLOOM_BYTES];
        for bigram in bigrams {
            let mut bits = [0u8; 32];
            for half in 0..2u8 {
                let mut block = Block::default();
                block[..bigram.len()].copy_from_slice(bigram.as_bytes());
                block[14] = bigram.len() as u8;
                block[15] = half;
                cipher.encrypt_block(&mut block);
                let start = 16 * usize::from(half);
                bits[start..start + 16].copy_from_slice(&block);
            }
            for p in slice_indices(&bits) {
                let p = usize::from(p);
                filter[p / 8] |= 0x80 >> (p % 8);
            }
        }
        filter
    }

    #[test]
    fn filters_follow_the_documented_construction() {
        let keyed = crate::pseudonymiser::keyed_hmac(
            &crate::Key::from_bytes([9; 32]),
            "test",
        );
        // Eleven letters give twelve bigrams, more than one call's eight.
        let long = "ABCDEFGHIJK";
        let long_bigrams = [
            " A", "AB", "BC", "CD", "DE", "EF", "FG", "GH", "HI", "IJ", "JK",
            "K ",
        ];
        for salt in [None, Some(""), Some("1961|04"), Some("a longer salt")] {
            let key = BigramKey::new(&keyed, salt);
            assert_eq!(
                key.encode("AB", None),
                filter_by_hand(&keyed, salt, &[" A", "AB", "B "]),
                "salt {salt:?}"
            );
            assert_eq!(
                key.encode(long, None),
                filter_by_hand(&keyed, salt, &long_bigrams),
                "salt {salt:?}, twelve bigrams"
            );
            // A two-byte letter: the block holds the bigram's UTF-8 bytes.
            assert_eq!(
                key.encode("É", None),
                filter_by_hand(&keyed, salt, &[" É", "É "]),
                "salt {salt:?}, accented letter"
            );
        }
        let unsalted = BigramKey::new(&keyed, None).encode("AB", None);
        let empty_salt = BigramKey::new(&keyed, Some("")).encode("AB", None);
        assert_ne!(unsalted, empty_salt, "no salt differs from the empty one");
    }

    #[test]
    fn permutation_moves_each_bit() {
        let keyed = crate::pseudonymiser::keyed_hmac(
            &crate::Key::from_bytes([3; 32]),
            "test",
        );
        let key = BigramKey::new(&keyed, Some("1970|01"));
        // Reversing the bit order moves bit p to 1023 - p.
        let reverse: Vec<u16> = (0..BLOOM_BITS as u16).rev().collect();
        let plain = key.encode("DUPONT", None);
        let moved = key.encode("DUPONT", Some(&reverse));
        for p in 0..BLOOM_BITS {
            let bit =
                |filter: &[u8], p: usize| filter[p / 8] & (0x80 >> (p % 8));
            assert_eq!(
                bit(&plain, p) != 0,
                bit(&moved, BLOOM_BITS - 1 - p) != 0
            );
        }
    }

    #[test]
    fn bigrams_are_padded_with_one_space() {
        let bigrams: Vec<(char, char)> = padded_bigrams("SMITH").collect();
        assert_eq!(
            bigrams,
            [
                (' ', 'S'),
                ('S', 'M'),
                ('M', 'I'),
                ('I', 'T'),
                ('T', 'H'),
                ('H', ' ')
            ]
        );
        assert_eq!(padded_bigrams("").collect::<Vec<_>>(), [(' ', ' ')]);
    }

    #[test]
    fn slices_read_big_endian_bits() {
        // Bits 0-9 set: 0xFF, 0xC0. Bits 10-19 clear. Bits 20-29 set:
        // 0x0F, 0xFC. Worked out by hand from the bit layout.
        let mut digest = [0u8; 32];
        digest[0] = 0xFF;
        digest[1] = 0xC0;
        digest[2] = 0x0F;
        digest[3] = 0xFC;
        let indices = slice_indices(&digest);
        assert_eq!(indices[0], 0x3FF);
        assert_eq!(indices[1], 0);
        assert_eq!(indices[2], 0x3FF);
        assert_eq!(indices[3], 0);
        // The last slice, bits 190-199, reads bytes 23 and 24.
        let mut digest = [0u8; 32];
        digest[23] = 0b0000_0011;
        digest[24] = 0b1111_1111;
        assert_eq!(slice_indices(&digest)[19], 0x3FF);
    }
}
