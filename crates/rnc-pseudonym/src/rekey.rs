//! The registry's layer over the provider's pseudonyms, and key rotation
//! that never forms a clear identifier.
//!
//! A provider (hospital, laboratory, regional registry) runs `rnc
//! pseudonymise` with the provider key `K1`. Its output contains the inner
//! pseudonym `HMAC(K1, value)` and Bloom filters whose bit positions come
//! from `K1`. On entry the registry seals each inner pseudonym with its own
//! key `K2` ([`RegistryLayer::seal_pseudonym`]) and moves the bits of each
//! Bloom filter by a permutation drawn from `K2`
//! ([`RegistryLayer::seal_bloom`]).
//!
//! Sealing is deterministic authenticated encryption, AES-SIV (RFC 5297)
//! with the domain name as associated data, so equal inner pseudonyms give
//! equal stored values and linkage still tests equality. Unlike a second
//! keyed hash, it can be undone with `K2`. Rotating `K2` to `K2'`
//! ([`rotate_record`]) therefore opens each stored value with `K2`, which
//! gives back the inner pseudonym (itself a keyed hash under `K1`, never a
//! clear identifier), and seals it with `K2'`. A filter is moved back by
//! the inverse of the old permutation and on by the new one. A
//! permutation keeps every Dice coefficient, so linkage gives the same
//! result before and after. Authentication makes a wrong or retired key
//! fail loudly: a value sealed with `K2'` does not open with `K2`.

use std::fmt;
use std::sync::{Arc, Mutex, OnceLock};

use aes::Aes256;
use aes::cipher::BlockEncrypt;
use aes_siv::KeyInit;
use aes_siv::siv::Aes256Siv;
use cmac::Cmac;
use dbl::Dbl;
use hmac::Mac;
use rnc_model::{SaltedNames, SourceRecord};
use zeroize::{Zeroize, Zeroizing};

use crate::pseudonymiser::{HmacSha256, SUB_KEYS, derive_sub_key, keyed_hmac};
use crate::{BLOOM_BITS, BLOOM_BYTES, Domain, Error, ErrorKind, Key};

/// Bytes of an inner pseudonym: one HMAC-SHA-256 output.
const INNER_BYTES: usize = 32;

/// Bytes of a sealed pseudonym: the 16-byte synthetic IV (the tag), then
/// the 32 encrypted bytes.
const SEALED_BYTES: usize = 16 + INNER_BYTES;

/// The registry key's layer: seals provider pseudonyms with AES-SIV and
/// moves Bloom-filter bits by a keyed permutation, both reversible with the
/// same key.
///
/// The AES-SIV key (512 bits, as AES-256-SIV takes) and the permutation
/// sub-keys are derived from the [`Key`] with HMAC-SHA-256 over the labels
/// `rnc/registry/siv/0`, `rnc/registry/siv/1` and `rnc/permute/<domain>`.
/// `Debug` shows only the key's fingerprint. The type is `Send + Sync` and
/// cheap to share between threads.
#[derive(Clone)]
pub struct RegistryLayer {
    siv_key: Arc<Zeroizing<[u8; 64]>>,
    /// The AES-SIV sealer of pseudonyms. The `ciphers` below open them.
    sealer: Arc<SivSealer>,
    permute: [HmacSha256; SUB_KEYS],
    /// Keyed permutations of Bloom-filter bit positions, drawn on first
    /// use because a run may have no filter to seal.
    permutations: Arc<OnceLock<[Vec<u16>; SUB_KEYS]>>,
    /// AES-SIV instances set up with `siv_key` and free for use, to open
    /// sealed pseudonyms (key rotation). Setting one up expands the CMAC
    /// key and derives its sub-keys, which cost more than opening one
    /// 32-byte value, so instances are kept for the next value instead of
    /// being made for each. They are dropped, and their keys zeroed, with
    /// the last clone of the layer.
    ciphers: Arc<Mutex<Vec<Aes256Siv>>>,
    fingerprint: String,
}

/// AES-SIV instances kept at most: one per thread that seals at once is
/// enough, and more would only hold memory.
const CIPHERS_KEPT: usize = 64;

impl RegistryLayer {
    /// Derives the layer's sub-keys from the registry key.
    pub fn new(key: &Key) -> RegistryLayer {
        let mut siv_key = Zeroizing::new([0u8; 64]);
        for (half, label) in ["rnc/registry/siv/0", "rnc/registry/siv/1"]
            .into_iter()
            .enumerate()
        {
            let derived = derive_sub_key(key, label);
            siv_key[32 * half..32 * (half + 1)].copy_from_slice(&*derived);
        }
        RegistryLayer {
            sealer: Arc::new(SivSealer::new(&siv_key)),
            siv_key: Arc::new(siv_key),
            permute: Domain::ALL_SUB_KEYS.map(|domain| {
                keyed_hmac(key, &format!("rnc/permute/{}", domain.sub_key().1))
            }),
            permutations: Arc::default(),
            ciphers: Arc::default(),
            fingerprint: key.fingerprint(),
        }
    }

    /// Returns the fingerprint of the registry key, as
    /// [`Key::fingerprint`] computes it.
    pub fn key_fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// Seals a provider's inner pseudonym (64 lowercase hexadecimal digits)
    /// and returns the stored form: 96 lowercase hexadecimal digits,
    /// AES-SIV of the 32 inner bytes with the domain's name as associated
    /// data. Equal inputs give equal outputs.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidPseudonym`] when `inner` is not 64 lowercase
    /// hexadecimal digits.
    pub fn seal_pseudonym(
        &self,
        domain: Domain,
        inner: &str,
    ) -> Result<String, Error> {
        let bytes = Zeroizing::new(decode_hex::<INNER_BYTES>(domain, inner)?);
        Ok(lower_hex(&self.sealer.seal(domain, &bytes)))
    }

    /// Seals the 32 bytes of an inner pseudonym and returns the stored
    /// form, as [`RegistryLayer::seal_pseudonym`] does with their
    /// hexadecimal digits.
    pub(crate) fn seal_digest(
        &self,
        domain: Domain,
        inner: &[u8; INNER_BYTES],
    ) -> String {
        lower_hex(&self.sealer.seal(domain, inner))
    }

    /// Returns this key's permutation of the Bloom-filter bits of
    /// `domain`: bit `p` of a provider's filter is stored at bit
    /// `permutation[p]`.
    pub(crate) fn bloom_permutation(&self, domain: Domain) -> &[u16] {
        &self.bloom_permutations()[domain.sub_key().0]
    }

    /// Opens a stored pseudonym and returns the 32 inner bytes.
    fn open_pseudonym(
        &self,
        domain: Domain,
        sealed: &str,
    ) -> Result<Zeroizing<Vec<u8>>, Error> {
        let bytes = decode_hex::<SEALED_BYTES>(domain, sealed)?;
        self.with_cipher(|cipher| {
            cipher.decrypt([domain.name().as_bytes()], &bytes)
        })
        .map(Zeroizing::new)
        .map_err(|_| {
            ErrorKind::WrongRegistryKey {
                domain: domain.name(),
                fingerprint: self.fingerprint.clone(),
            }
            .into()
        })
    }

    /// Returns a provider's Bloom filter with its bits moved by this key's
    /// permutation for `domain`: bit `p` of the input becomes bit `π(p)`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidBloom`] when the filter is not [`BLOOM_BYTES`]
    /// bytes long.
    pub fn seal_bloom(
        &self,
        domain: Domain,
        filter: &[u8],
    ) -> Result<Vec<u8>, Error> {
        check_bloom(domain, filter)?;
        let permutation = self.bloom_permutation(domain);
        Ok(permute_bits(filter, |p| usize::from(permutation[p])))
    }

    /// Runs `open` with an AES-SIV instance of this layer's key, taken
    /// from the kept ones or set up when none is free, and keeps it
    /// afterwards.
    fn with_cipher<R>(&self, open: impl FnOnce(&mut Aes256Siv) -> R) -> R {
        let kept = self.ciphers.lock().ok().and_then(|mut free| free.pop());
        let mut cipher = kept.unwrap_or_else(|| self.cipher());
        let result = open(&mut cipher);
        if let Ok(mut free) = self.ciphers.lock()
            && free.len() < CIPHERS_KEPT
        {
            free.push(cipher);
        }
        result
    }

    /// Seals every pseudonym and Bloom filter of a record that contains
    /// inner (provider-key) values, in place. Nothing changes when any field
    /// fails, so a record is never left half sealed.
    ///
    /// NOTE: the provider file's `clk` column has no field in
    /// [`SourceRecord`], so the registry does not store it.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidPseudonym`] or [`ErrorKind::InvalidBloom`] for
    /// the first malformed field.
    pub fn seal_record(&self, record: &mut SourceRecord) -> Result<(), Error> {
        // Every field is sealed before any is written back, so that a
        // malformed field leaves the record as it was.
        let mut pseudonyms = [const { None }; PSEUDONYM_FIELDS];
        for ((domain, field), sealed) in
            pseudonym_fields(record).into_iter().zip(&mut pseudonyms)
        {
            if let Some(inner) = field.as_deref() {
                *sealed = Some(self.seal_pseudonym(domain, inner)?);
            }
        }
        let mut filters = [const { None }; BLOOM_FIELDS];
        for ((domain, field), sealed) in
            bloom_fields(record).into_iter().zip(&mut filters)
        {
            if let Some(filter) = field.as_deref() {
                *sealed = Some(self.seal_bloom(domain, filter)?);
            }
        }

        for ((_, field), sealed) in
            pseudonym_fields(record).into_iter().zip(pseudonyms)
        {
            if sealed.is_some() {
                *field = sealed;
            }
        }
        for ((_, field), sealed) in
            bloom_fields(record).into_iter().zip(filters)
        {
            if sealed.is_some() {
                *field = sealed;
            }
        }
        Ok(())
    }

    fn cipher(&self) -> Aes256Siv {
        Aes256Siv::new(self.siv_key.as_slice().into())
    }

    /// Returns the keyed bit permutation of every sub-key, drawn on first
    /// use.
    fn bloom_permutations(&self) -> &[Vec<u16>; SUB_KEYS] {
        self.permutations.get_or_init(|| {
            std::array::from_fn(|index| {
                keyed_permutation(&self.permute[index], BLOOM_BITS)
                    .into_iter()
                    .map(|p| p as u16)
                    .collect()
            })
        })
    }
}

impl fmt::Debug for RegistryLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RegistryLayer")
            .field("key_fingerprint", &self.fingerprint)
            .finish_non_exhaustive()
    }
}

/// Moves every pseudonym and Bloom filter of a stored record from the
/// `old` registry key to the `new` one, in place. Each pseudonym is opened
/// with `old` and sealed with `new`; the inner value exists only in
/// memory, is a keyed hash under the provider key, and is zeroed at once.
/// Nothing changes when any field fails.
///
/// The pseudonyms are moved before the filters, so a record sealed with
/// another key than `old` is rejected before anything is computed from
/// its filters, which carry no authentication tag.
///
/// # Errors
///
/// [`ErrorKind::WrongRegistryKey`] when a pseudonym was not sealed with
/// `old`; [`ErrorKind::InvalidPseudonym`] or [`ErrorKind::InvalidBloom`]
/// for a malformed field.
pub fn rotate_record(
    old: &RegistryLayer,
    new: &RegistryLayer,
    record: &mut SourceRecord,
) -> Result<(), Error> {
    let mut rotated = record.clone();
    for (domain, field) in pseudonym_fields(&mut rotated) {
        if let Some(sealed) = field.as_deref() {
            let inner = old.open_pseudonym(domain, sealed)?;
            let inner: &[u8; INNER_BYTES] = inner
                .as_slice()
                .try_into()
                .expect("a sealed pseudonym of 48 bytes opens to 32");
            *field = Some(new.seal_digest(domain, inner));
        }
    }
    for (domain, field) in bloom_fields(&mut rotated) {
        if let Some(filter) = field.as_deref() {
            *field = Some(rotate_bloom(old, new, domain, filter)?);
        }
    }
    *record = rotated;
    Ok(())
}

/// Moves a stored Bloom filter from the `old` key to the `new` one: the
/// bit at `π_old(p)` came from provider bit `p`, which the new key puts
/// at `π_new(p)`. The provider's filter is never formed.
fn rotate_bloom(
    old: &RegistryLayer,
    new: &RegistryLayer,
    domain: Domain,
    filter: &[u8],
) -> Result<Vec<u8>, Error> {
    check_bloom(domain, filter)?;
    let index = domain.sub_key().0;
    let old_permutation = &old.bloom_permutations()[index];
    let new_permutation = &new.bloom_permutations()[index];
    let mut composed = vec![0usize; BLOOM_BITS];
    for p in 0..BLOOM_BITS {
        composed[usize::from(old_permutation[p])] =
            usize::from(new_permutation[p]);
    }
    Ok(permute_bits(filter, |p| composed[p]))
}

/// AES-SIV (RFC 5297) with one header, the domain's name, for 32-byte
/// values: what `Aes256Siv::encrypt([domain.name()], value)` returns,
/// byte for byte, with the work that does not depend on the value done
/// once.
///
/// For each value, `aes_siv` computes the CMAC of the zero block and of
/// the header and expands the CTR key, which is more than half of sealing
/// a 32-byte value and took a tenth of ingestion time in a profile. Here
/// S2V's state after the header is kept per domain. The CMAC of the last
/// string and the CTR keystream are then four AES block encryptions with
/// `&self`. `cmac`'s and `ctr`'s types need `&mut`, so threads sharing
/// them had to copy their expanded keys for every value, and a profile
/// showed those copies.
/// AES, CMAC (for the header states) and doubling are RustCrypto's, as in
/// `aes_siv`; the test `sealer_matches_aes_siv` compares the two on random
/// values in every domain.
struct SivSealer {
    /// AES-256 keyed with the first half of the 512-bit key, for CMAC.
    mac: Aes256,
    /// CMAC's first sub-key, `dbl(AES(zero))`, for a message whose last
    /// block is complete (RFC 4493, section 2.3).
    mac_sub_key: Zeroizing<[u8; 16]>,
    /// AES-256 keyed with the second half, for the CTR keystream.
    ctr: Aes256,
    /// Per sub-key index: `dbl(CMAC(zero)) xor CMAC(domain name)`, the
    /// S2V state after the header.
    after_header: Zeroizing<[[u8; 16]; SUB_KEYS]>,
}

impl SivSealer {
    fn new(siv_key: &[u8; 64]) -> SivSealer {
        let cmac_key = &siv_key[..32];
        let keyed_cmac = <Cmac<Aes256> as KeyInit>::new_from_slice(cmac_key)
            .expect("a 256-bit CMAC key");
        let cmac = |bytes: &[u8]| {
            let mut mac = keyed_cmac.clone();
            mac.update(bytes);
            mac.finalize().into_bytes()
        };
        // These states derive from the key, so they are zeroed on drop and
        // the values they are made of at once, as the key is.
        let mut zero = cmac(&[0u8; 16]).dbl();
        let after_header = Zeroizing::new(std::array::from_fn(|index| {
            let domain = Domain::ALL_SUB_KEYS[index];
            debug_assert_eq!(domain.sub_key().0, index);
            let mut header = cmac(domain.name().as_bytes());
            let state = std::array::from_fn(|i| zero[i] ^ header[i]);
            header.as_mut_slice().zeroize();
            state
        }));
        zero.as_mut_slice().zeroize();

        let mac = <Aes256 as KeyInit>::new_from_slice(cmac_key)
            .expect("a 256-bit AES key");
        let mut block = aes::Block::default();
        mac.encrypt_block(&mut block);
        let mac_sub_key = Zeroizing::new(block.dbl().into());
        block.as_mut_slice().zeroize();
        SivSealer {
            mac,
            mac_sub_key,
            ctr: <Aes256 as KeyInit>::new_from_slice(&siv_key[32..])
                .expect("a 256-bit AES key"),
            after_header,
        }
    }

    /// Returns the synthetic IV (16 bytes) followed by the encrypted
    /// value.
    fn seal(
        &self,
        domain: Domain,
        value: &[u8; INNER_BYTES],
    ) -> [u8; SEALED_BYTES] {
        const _: () = assert!(INNER_BYTES == 32, "two complete blocks");

        // S2V's last string is at least a block long, so its last block
        // is xored with the state, and the CMAC of the result is the IV.
        // For two complete blocks that CMAC is AES(AES(B1) xor B2 xor K1).
        let state = &self.after_header[domain.sub_key().0];
        let mut block = aes::Block::clone_from_slice(&value[..16]);
        self.mac.encrypt_block(&mut block);
        for i in 0..16 {
            block[i] ^= value[16 + i] ^ state[i] ^ self.mac_sub_key[i];
        }
        self.mac.encrypt_block(&mut block);
        let iv: [u8; 16] = block.into();

        // CTR from the IV with the top bit of each of its last two 32-bit
        // words cleared (RFC 5297, section 2.5), the counter a 128-bit
        // big-endian number.
        let mut counter = iv;
        counter[8] &= 0x7f;
        counter[12] &= 0x7f;
        let first = u128::from_be_bytes(counter);
        let mut keystream = [
            aes::Block::from(first.to_be_bytes()),
            aes::Block::from(first.wrapping_add(1).to_be_bytes()),
        ];
        self.ctr.encrypt_blocks(&mut keystream);

        let mut sealed = [0u8; SEALED_BYTES];
        sealed[..16].copy_from_slice(&iv);
        for (i, byte) in sealed[16..].iter_mut().enumerate() {
            *byte = value[i] ^ keystream[i / 16][i % 16];
        }
        for block in &mut keystream {
            block.as_mut_slice().zeroize();
        }
        sealed
    }
}

/// Writes bytes as lowercase hexadecimal digits, with `faster_hex`'s
/// SIMD encoder: `hex::encode` builds its string one character at a time
/// through an iterator, which took 5 % of ingestion time in a profile.
pub(crate) fn lower_hex(bytes: &[u8]) -> String {
    faster_hex::hex_string(bytes)
}

/// Number of pseudonym fields of a record, as [`pseudonym_fields`] lists.
const PSEUDONYM_FIELDS: usize = 16;

/// Number of Bloom-filter fields of a record, as [`bloom_fields`] lists.
const BLOOM_FIELDS: usize = 6;

/// Lists the pseudonym fields of a record with their domains.
fn pseudonym_fields(
    record: &mut SourceRecord,
) -> [(Domain, &mut Option<String>); PSEUDONYM_FIELDS] {
    // One mutable borrow of each salt's names, which every field below
    // then borrows from.
    let month: &mut SaltedNames = &mut record.month_salted_names;
    let day: &mut SaltedNames = &mut record.day_salted_names;
    [
        (Domain::Nir, &mut record.nir_pseudonym),
        (Domain::BirthDate, &mut record.birth_date_pseudonym),
        (Domain::BirthDate, &mut record.birth_date_swapped_pseudonym),
        (
            Domain::BirthDate,
            &mut record.birth_date_next_year_pseudonym,
        ),
        (
            Domain::BirthDateParts,
            &mut record.birth_year_month_pseudonym,
        ),
        (Domain::BirthDateParts, &mut record.birth_year_day_pseudonym),
        (
            Domain::BirthDateParts,
            &mut record.birth_month_day_pseudonym,
        ),
        (
            Domain::NirBirthDateSex,
            &mut record.nir_birth_date_sex_pseudonym,
        ),
        (Domain::NameSalt, &mut month.salt_pseudonym),
        (Domain::Name, &mut month.birth_name_pseudonym),
        (Domain::Name, &mut month.usage_name_pseudonym),
        (Domain::FirstName, &mut month.first_name_pseudonym),
        (Domain::NameSalt, &mut day.salt_pseudonym),
        (Domain::Name, &mut day.birth_name_pseudonym),
        (Domain::Name, &mut day.usage_name_pseudonym),
        (Domain::FirstName, &mut day.first_name_pseudonym),
    ]
}

/// Lists the Bloom-filter fields of a record with their domains.
fn bloom_fields(
    record: &mut SourceRecord,
) -> [(Domain, &mut Option<Vec<u8>>); BLOOM_FIELDS] {
    // One mutable borrow of each salt's names, which every field below
    // then borrows from.
    let month: &mut SaltedNames = &mut record.month_salted_names;
    let day: &mut SaltedNames = &mut record.day_salted_names;
    [
        (Domain::Name, &mut month.birth_name_bloom),
        (Domain::Name, &mut month.usage_name_bloom),
        (Domain::FirstName, &mut month.first_name_bloom),
        (Domain::Name, &mut day.birth_name_bloom),
        (Domain::Name, &mut day.usage_name_bloom),
        (Domain::FirstName, &mut day.first_name_bloom),
    ]
}

/// Decodes `N` bytes written as `2N` lowercase hexadecimal digits.
fn decode_hex<const N: usize>(
    domain: Domain,
    text: &str,
) -> Result<[u8; N], Error> {
    let invalid = |reason: String| -> Error {
        ErrorKind::InvalidPseudonym {
            domain: domain.name(),
            reason,
            expected: 2 * N,
        }
        .into()
    };
    if text.len() != 2 * N {
        return Err(invalid(format!("it has {} characters", text.len())));
    }
    let mut bytes = [0u8; N];
    // `hex_decode` takes both cases; the stored form is lowercase only.
    // A fold without early exit, which the compiler vectorises.
    let uppercase = text
        .bytes()
        .fold(false, |seen, b| seen | b.is_ascii_uppercase());
    if uppercase || faster_hex::hex_decode(text.as_bytes(), &mut bytes).is_err()
    {
        return Err(invalid(
            "it holds a character other than 0-9 and a-f".to_string(),
        ));
    }
    Ok(bytes)
}

fn check_bloom(domain: Domain, filter: &[u8]) -> Result<(), Error> {
    if filter.len() != BLOOM_BYTES {
        return Err(ErrorKind::InvalidBloom {
            domain: domain.name(),
            length: filter.len(),
            expected: BLOOM_BYTES,
        }
        .into());
    }
    Ok(())
}

/// Moves bit `p` of `filter` to bit `target(p)`, most significant bit
/// first in each byte.
///
/// Only the set bits are visited, 64 filter bits at a time, because a
/// name's filter has about an eighth of its bits set. A loop over every
/// bit took a tenth of ingestion time in a profile.
pub(crate) fn permute_bits(
    filter: &[u8],
    target: impl Fn(usize) -> usize,
) -> Vec<u8> {
    let mut out = vec![0u8; filter.len()];
    let mut move_bit = |p: usize| {
        let q = target(p);
        out[q / 8] |= 0x80 >> (q % 8);
    };
    let mut words = filter.chunks_exact(8);
    for (index, word) in words.by_ref().enumerate() {
        // Big-endian, so that the word's leading bit is the filter's
        // first.
        let mut rest = u64::from_be_bytes(word.try_into().expect("8 bytes"));
        while rest != 0 {
            let offset = rest.leading_zeros() as usize;
            rest &= !(1u64 << 63 >> offset);
            move_bit(64 * index + offset);
        }
    }
    let tail_start = filter.len() - words.remainder().len();
    for (index, &byte) in words.remainder().iter().enumerate() {
        for offset in 0..8 {
            if byte & (0x80 >> offset) != 0 {
                move_bit(8 * (tail_start + index) + offset);
            }
        }
    }
    out
}

/// Draws a uniform permutation of `0..n` with the Fisher-Yates shuffle,
/// its randomness taken from HMAC-SHA-256 of a block counter under
/// `keyed`, and each index drawn by rejection so that it is unbiased.
pub(crate) fn keyed_permutation(keyed: &HmacSha256, n: usize) -> Vec<u32> {
    let mut stream = KeyedStream {
        keyed,
        block: 0,
        buffer: [0; 32],
        used: 32,
    };
    let mut permutation: Vec<u32> = (0..n as u32).collect();
    for i in (1..n).rev() {
        let bound = i as u32 + 1;
        // The largest multiple of `bound` that fits, so every residue is
        // equally likely.
        let zone = u32::MAX - (u32::MAX % bound + 1) % bound;
        let j = loop {
            let draw = stream.next_u32();
            if draw <= zone {
                break draw % bound;
            }
        };
        permutation.swap(i, j as usize);
    }
    permutation
}

struct KeyedStream<'a> {
    keyed: &'a HmacSha256,
    block: u64,
    buffer: [u8; 32],
    used: usize,
}

impl KeyedStream<'_> {
    fn next_u32(&mut self) -> u32 {
        if self.used + 4 > self.buffer.len() {
            let mut mac = self.keyed.clone();
            mac.update(&self.block.to_be_bytes());
            self.buffer = mac.finalize().into_bytes().into();
            self.block += 1;
            self.used = 0;
        }
        let bytes: [u8; 4] = self.buffer[self.used..self.used + 4]
            .try_into()
            .expect("four bytes");
        self.used += 4;
        u32::from_be_bytes(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permutation_is_a_bijection() {
        let keyed = keyed_hmac(&Key::from_bytes([3; 32]), "test");
        let mut permutation = keyed_permutation(&keyed, 1024);
        assert_ne!(permutation, (0..1024).collect::<Vec<u32>>());
        permutation.sort_unstable();
        assert_eq!(permutation, (0..1024).collect::<Vec<u32>>());
    }

    #[test]
    fn permute_bits_moves_each_bit() {
        // Bit 0 (0x80 of byte 0) to bit 15 (0x01 of byte 1), and back.
        let moved = permute_bits(&[0x80, 0x00], |p| 15 - p);
        assert_eq!(moved, [0x00, 0x01]);
    }

    #[test]
    fn permute_bits_matches_bitwise_move() {
        let keyed = keyed_hmac(&Key::from_bytes([4; 32]), "test");
        let permutation = keyed_permutation(&keyed, 1024);
        // A filter of 128 different bytes, from sparse to dense.
        let filter: Vec<u8> =
            (0..128u32).map(|i| (i * 37 % 256) as u8).collect();

        let moved = permute_bits(&filter, |p| permutation[p] as usize);

        let mut expected = vec![0u8; filter.len()];
        for p in 0..1024 {
            if filter[p / 8] & (0x80 >> (p % 8)) != 0 {
                let q = permutation[p] as usize;
                expected[q / 8] |= 0x80 >> (q % 8);
            }
        }
        assert_eq!(moved, expected);
    }

    #[test]
    fn sealer_matches_aes_siv() {
        // Expected: RustCrypto's `aes-siv` crate (RFC 5297) on the same
        // key, header and value; the values are 200 pseudo-random digests.
        let layer = RegistryLayer::new(&Key::from_bytes([6; 32]));
        let mut cipher = layer.cipher();
        let keyed = keyed_hmac(&Key::from_bytes([7; 32]), "values");
        for round in 0u32..200 {
            let mut mac = keyed.clone();
            mac.update(&round.to_be_bytes());
            let value: [u8; 32] = mac.finalize().into_bytes().into();
            for domain in Domain::ALL_SUB_KEYS {
                let expected =
                    cipher.encrypt([domain.name().as_bytes()], &value).unwrap();
                let sealed = layer.sealer.seal(domain, &value);
                assert_eq!(sealed.as_slice(), expected, "{domain:?}");
            }
        }
    }

    #[test]
    fn sealed_pseudonym_opens_to_inner() {
        let layer = RegistryLayer::new(&Key::from_bytes([5; 32]));
        let inner = "ab".repeat(32);

        let sealed = layer.seal_pseudonym(Domain::Nir, &inner).unwrap();
        let opened = layer.open_pseudonym(Domain::Nir, &sealed).unwrap();

        assert_eq!(sealed.len(), 96);
        assert_eq!(hex::encode(opened.as_slice()), inner);
        let other_domain = layer.open_pseudonym(Domain::Name, &sealed);
        assert!(other_domain.is_err(), "the domain is authenticated");
    }
}
