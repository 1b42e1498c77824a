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
//! The bit positions of a bigram come from one keyed HMAC-SHA-256 of the
//! bigram, cut into independent 10-bit indices. The original construction
//! derived them by double hashing, `g_i = h1 + i * h2 mod l`, and Kroll and
//! Steinmetzer (2015, "Who is 1011011111...1110110010? Automated
//! cryptanalysis of Bloom filter encryptions of databases with several
//! personal identifiers") showed that this structure helps an attacker
//! recover the bigrams. clkhash moved to independent indices cut from one
//! keyed hash for the same reason.
//!
//! DEVIATION: the design first called for 16-bit slices reduced modulo
//! 1024, but one SHA-256 output holds only 16 such slices, fewer than the
//! 20 positions needed. Because 1024 is a power of two, a 16-bit slice
//! reduced modulo 1024 is just its low 10 bits, so cutting 10-bit slices
//! gives the same uniform, unbiased indices and 25 of them per hash.

use std::collections::HashMap;
use std::sync::RwLock;

use hmac::Mac;

use crate::pseudonymiser::HmacSha256;

/// Length of a Bloom filter in bits, a power of two.
pub const BLOOM_BITS: usize = 1024;

/// Length of a Bloom filter in bytes.
pub const BLOOM_BYTES: usize = BLOOM_BITS / 8;

/// Number of bit positions each bigram sets.
pub const BLOOM_HASHES: usize = 20;

/// Bits per index: log2 of [`BLOOM_BITS`].
const INDEX_BITS: usize = 10;

// Every index must fit inside one 256-bit HMAC-SHA-256 output.
const _: () = assert!(BLOOM_HASHES * INDEX_BITS <= 256);
const _: () = assert!(1 << INDEX_BITS == BLOOM_BITS);

/// Bit positions of the bigrams seen so far, per sub-key and salt.
///
/// Names are made of few distinct bigrams, so most lookups hit and the
/// HMAC runs once per bigram rather than once per occurrence. The cache
/// stops growing at [`CACHE_LIMIT`] entries; later bigrams are hashed each
/// time. It contains the same keyed positions the filters reveal, and the
/// salts in clear (which the caller also holds), no key.
///
/// NOTE: salted entries fill a map far larger than the processor's caches.
/// A hit therefore saved only about a third of an HMAC's time in one
/// single-threaded measurement, where 8 % of 4.7 million lookups missed.
#[derive(Debug, Default)]
pub(crate) struct PositionCache {
    positions: RwLock<HashMap<u128, [u16; BLOOM_HASHES]>>,
}

/// Maximum length of a cached salt, in bytes. The name salts `YYYY|MM`
/// take 7.
const SALT_BYTES: usize = 8;

/// Entries kept at most, about 40 MB at about 80 bytes per entry with
/// the map's overhead (an estimate). Salted entries can number the salts
/// (about 3 100 year-and-month or year-and-day values over a century)
/// times the bigrams of each salt's names. A national run therefore fills
/// the cache with its most frequent pairs first and hashes the rarer ones.
const CACHE_LIMIT: usize = 1 << 19;

/// Packs a sub-key index, a salt of at most [`SALT_BYTES`] bytes and a
/// bigram into one key: salt bytes in bits 0-63, the characters in bits
/// 64-105, the salt's length in bits 106-109, a salt flag in bit 110 and
/// the sub-key from bit 111. An unsalted bigram has the flag clear, so it
/// differs from the empty salt, whose hash adds a separator. Returns
/// `None` for a longer salt, which is not cached.
fn pack_key(
    sub_key: usize,
    salt: Option<&str>,
    pair: (char, char),
) -> Option<u128> {
    let mut key = u128::from(u32::from(pair.0)) << 64
        | u128::from(u32::from(pair.1)) << 85
        | (sub_key as u128) << 111;
    if let Some(salt) = salt {
        if salt.len() > SALT_BYTES {
            return None;
        }
        let mut bytes = [0u8; SALT_BYTES];
        bytes[..salt.len()].copy_from_slice(salt.as_bytes());
        key |= u128::from(u64::from_le_bytes(bytes))
            | (salt.len() as u128) << 106
            | 1 << 110;
    }
    Some(key)
}

impl PositionCache {
    /// Sets in `filter` the positions of every bigram of `pairs` under
    /// `salt`, each moved by `permutation` when there is one, taking the
    /// read lock once and the write lock at most once. The cache keeps the
    /// unmoved positions.
    fn fill(
        &self,
        keyed: &HmacSha256,
        sub_key: usize,
        salt: Option<&str>,
        pairs: &[(char, char)],
        permutation: Option<&[u16]>,
        filter: &mut [u8],
    ) {
        let mut missed: Vec<(Option<u128>, (char, char))> = Vec::new();
        {
            let map = self.positions.read().ok();
            for &pair in pairs {
                let key = pack_key(sub_key, salt, pair);
                let found = key.and_then(|key| map.as_ref()?.get(&key));
                match found {
                    Some(positions) => set_bits(filter, positions, permutation),
                    None => missed.push((key, pair)),
                }
            }
        }
        if missed.is_empty() {
            return;
        }

        let salted = salt.map(|salt| {
            let mut salted = keyed.clone();
            salted.update(salt.as_bytes());
            salted.update(&[0x1F]);
            salted
        });
        let mut computed = Vec::with_capacity(missed.len());
        for (key, pair) in missed {
            let mut bigram = [0u8; 8];
            let first = pair.0.encode_utf8(&mut bigram[..4]).len();
            let second = pair.1.encode_utf8(&mut bigram[first..]).len();
            let hmac = salted.as_ref().unwrap_or(keyed);
            let found = positions(hmac, &bigram[..first + second]);
            set_bits(filter, &found, permutation);
            computed.extend(key.map(|key| (key, found)));
        }
        if let Ok(mut map) = self.positions.write() {
            for (key, found) in computed {
                if map.len() >= CACHE_LIMIT {
                    break;
                }
                map.insert(key, found);
            }
        }
    }
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

/// Returns the padded bigrams of `name`: a space, the characters, a space.
fn padded_bigrams(name: &str) -> Vec<(char, char)> {
    let mut padded: Vec<char> = Vec::with_capacity(name.len() + 2);
    padded.push(' ');
    padded.extend(name.chars());
    padded.push(' ');
    padded.windows(2).map(|pair| (pair[0], pair[1])).collect()
}

/// Encodes the padded bigrams of `name` into a filter of [`BLOOM_BYTES`]
/// bytes, with the HMAC keyed for the name's domain.
///
/// Bit `p` is bit `7 - p % 8` of byte `p / 8`, the most significant bit
/// first. A bigram is hashed as the UTF-8 bytes of its two characters.
pub(crate) fn encode(
    keyed: &HmacSha256,
    sub_key: usize,
    cache: &PositionCache,
    name: &str,
) -> Vec<u8> {
    let mut filter = vec![0u8; BLOOM_BYTES];
    let pairs = padded_bigrams(name);
    cache.fill(keyed, sub_key, None, &pairs, None, &mut filter);
    filter
}

/// Encodes the padded bigrams of `name` as [`encode`] does, with each
/// bigram hashed after `salt` and a 0x1F separator, so that one name
/// under two salts gives unrelated filters. With a `permutation`, bit `p`
/// is set at `permutation[p]` instead, which gives the filter that the
/// registry layer's permutation would make of the unpermuted one.
pub(crate) fn encode_salted(
    keyed: &HmacSha256,
    sub_key: usize,
    cache: &PositionCache,
    salt: &str,
    name: &str,
    permutation: Option<&[u16]>,
) -> Vec<u8> {
    let mut filter = vec![0u8; BLOOM_BYTES];
    let pairs = padded_bigrams(name);
    cache.fill(keyed, sub_key, Some(salt), &pairs, permutation, &mut filter);
    filter
}

/// Computes the [`BLOOM_HASHES`] bit positions of one bigram: consecutive
/// 10-bit big-endian slices of its HMAC.
fn positions(keyed: &HmacSha256, bigram: &[u8]) -> [u16; BLOOM_HASHES] {
    let mut mac = keyed.clone();
    mac.update(bigram);
    let digest: [u8; 32] = mac.finalize().into_bytes().into();
    slice_indices(&digest)
}

/// Cuts the first [`BLOOM_HASHES`] consecutive 10-bit big-endian slices
/// out of a 256-bit digest.
fn slice_indices(digest: &[u8; 32]) -> [u16; BLOOM_HASHES] {
    let mut indices = [0u16; BLOOM_HASHES];
    for (i, index) in indices.iter_mut().enumerate() {
        let bit = i * INDEX_BITS;
        let byte = bit / 8;
        let window = u32::from(digest[byte]) << 16
            | u32::from(digest[byte + 1]) << 8
            | u32::from(digest[byte + 2]);
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

    #[test]
    fn cached_salted_positions_match_uncached() {
        // The positions are recomputed here without the cache, from the
        // construction the module documents: HMAC(salt, 0x1F, bigram).
        let keyed = crate::pseudonymiser::keyed_hmac(
            &crate::Key::from_bytes([9; 32]),
            "test",
        );
        let cache = PositionCache::default();
        let long_salt = "a salt longer than eight bytes";
        for salt in ["", "1961|04", "1961|05", long_salt] {
            let mut salted = keyed.clone();
            salted.update(salt.as_bytes());
            salted.update(&[0x1F]);
            let mut expected = vec![0u8; BLOOM_BYTES];
            for bigram in [" A", "AB", "B "] {
                for p in positions(&salted, bigram.as_bytes()) {
                    let p = usize::from(p);
                    expected[p / 8] |= 0x80 >> (p % 8);
                }
            }
            let first = encode_salted(&keyed, 0, &cache, salt, "AB", None);
            let cached = encode_salted(&keyed, 0, &cache, salt, "AB", None);
            assert_eq!(first, expected, "salt {salt:?}, first call");
            assert_eq!(cached, expected, "salt {salt:?}, from the cache");
        }
        let unsalted = encode(&keyed, 0, &cache, "AB");
        let empty_salt = encode_salted(&keyed, 0, &cache, "", "AB", None);
        assert_ne!(unsalted, empty_salt, "no salt differs from the empty one");
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
