//! Two-layer pseudonyms: re-keying provider pseudonyms on entry, and key
//! rotation that never needs a clear identifier.
//!
//! A provider (hospital, laboratory, regional registry) runs `rnc
//! pseudonymise` with the provider key `K1`, shared by every provider and
//! by the separate linkage environment but never by the registry's data
//! environment. Its output contains the inner pseudonym `HMAC(K1, value)`.
//! On entry the registry replaces each inner pseudonym by
//! `HMAC(K2, inner)` under its own key `K2`
//! ([`Pseudonymiser::rekey_pseudonym`]), and permutes the bits of each
//! Bloom filter with a permutation drawn from `K2`
//! ([`Pseudonymiser::rekey_bloom`]). The permutation keeps every Dice
//! coefficient, so linkage is unchanged, but a filter computed by someone
//! who holds only `K1` no longer equals a stored one.
//!
//! Rotating `K2` to `K2'` needs no clear identifier: [`rotate`] takes the
//! inner pseudonyms kept by the linkage environment and returns the map
//! from each old registry pseudonym to the new one, and Bloom filters are
//! moved by undoing the old permutation and applying the new one
//! ([`rotate_bloom`]).

use std::collections::HashMap;
use std::fmt;

use hmac::Mac;
use rnc_model::SourceRecord;

use crate::pseudonymiser::{HmacSha256, SUB_KEYS};
use crate::{BLOOM_BITS, BLOOM_BYTES, Domain, Error, ErrorKind, Pseudonymiser};

impl Pseudonymiser {
    /// Returns the registry pseudonym of a provider's inner pseudonym:
    /// lowercase hexadecimal HMAC-SHA-256, under this key's re-keying
    /// sub-key for `domain`, of the 32 bytes the inner pseudonym encodes.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidPseudonym`] when `inner` is not 64 lowercase
    /// hexadecimal digits.
    pub fn rekey_pseudonym(
        &self,
        domain: Domain,
        inner: &str,
    ) -> Result<String, Error> {
        let bytes = decode_pseudonym(domain, inner)?;
        let mut mac = self.rekey[domain.sub_key().0].clone();
        mac.update(&bytes);
        Ok(hex::encode(mac.finalize().into_bytes()))
    }

    /// Returns a provider's Bloom filter with its bits moved by this key's
    /// permutation for `domain`: bit `p` of the input becomes bit `π(p)`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidBloom`] when the filter is not
    /// [`BLOOM_BYTES`] bytes long.
    pub fn rekey_bloom(
        &self,
        domain: Domain,
        filter: &[u8],
    ) -> Result<Vec<u8>, Error> {
        check_bloom(domain, filter)?;
        let permutation = &self.bloom_permutations()[domain.sub_key().0];
        Ok(permute_bits(filter, |p| usize::from(permutation[p])))
    }

    /// Re-keys every pseudonym and Bloom filter of a record read from a
    /// provider's pre-pseudonymised file, in place.
    ///
    /// Nothing is changed when any field fails, so a record is never left
    /// half re-keyed.
    ///
    /// NOTE: the provider file's `clk` column has no field in
    /// [`SourceRecord`], so it is not re-keyed here and stays under the
    /// provider key.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidPseudonym`] or [`ErrorKind::InvalidBloom`] for
    /// the first malformed field.
    pub fn rekey_record(&self, record: &mut SourceRecord) -> Result<(), Error> {
        let mut rekeyed = record.clone();
        for (domain, field) in pseudonym_fields(&mut rekeyed) {
            if let Some(inner) = field.as_deref() {
                *field = Some(self.rekey_pseudonym(domain, inner)?);
            }
        }
        for (domain, field) in bloom_fields(&mut rekeyed) {
            if let Some(filter) = field.as_deref() {
                *field = Some(self.rekey_bloom(domain, filter)?);
            }
        }
        *record = rekeyed;
        Ok(())
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

/// Moves a registry Bloom filter from the `old` key to the `new` one:
/// undoes the old permutation, then applies the new one. No clear
/// identifier and no provider filter is ever formed outside this call.
///
/// # Errors
///
/// [`ErrorKind::InvalidBloom`] when the filter is not [`BLOOM_BYTES`]
/// bytes long.
pub fn rotate_bloom(
    old: &Pseudonymiser,
    new: &Pseudonymiser,
    domain: Domain,
    filter: &[u8],
) -> Result<Vec<u8>, Error> {
    check_bloom(domain, filter)?;
    let index = domain.sub_key().0;
    let old_permutation = &old.bloom_permutations()[index];
    let new_permutation = &new.bloom_permutations()[index];
    // The bit at old position π_old(p) came from provider bit p, which
    // the new key puts at π_new(p).
    let mut composed = vec![0usize; BLOOM_BITS];
    for p in 0..BLOOM_BITS {
        composed[usize::from(old_permutation[p])] =
            usize::from(new_permutation[p]);
    }
    Ok(permute_bits(filter, |p| composed[p]))
}

/// Old-to-new registry pseudonyms for a key rotation, per domain.
///
/// Built by [`rotate`]; `Debug` shows the counts only.
#[derive(Clone, Default)]
pub struct RotationMap {
    entries: HashMap<(usize, [u8; 32]), String>,
}

impl fmt::Debug for RotationMap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RotationMap")
            .field("entries", &self.entries.len())
            .finish()
    }
}

impl RotationMap {
    /// Number of distinct old pseudonyms mapped.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Returns whether the map is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Returns the new registry pseudonym of an old one.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidPseudonym`] when `old` is malformed;
    /// [`ErrorKind::RotationIncomplete`] when the map has no entry for it.
    pub fn rotated(&self, domain: Domain, old: &str) -> Result<&str, Error> {
        let bytes = decode_pseudonym(domain, old)?;
        self.entries
            .get(&(domain.sub_key().0, bytes))
            .map(String::as_str)
            .ok_or_else(|| {
                ErrorKind::RotationIncomplete {
                    domain: domain.name(),
                }
                .into()
            })
    }

    /// Moves every pseudonym and Bloom filter of a stored record from the
    /// `old` registry key to the `new` one, in place. Nothing changes when
    /// any field fails.
    ///
    /// # Errors
    ///
    /// As [`RotationMap::rotated`] and [`rotate_bloom`].
    pub fn apply(
        &self,
        record: &mut SourceRecord,
        old: &Pseudonymiser,
        new: &Pseudonymiser,
    ) -> Result<(), Error> {
        let mut rotated = record.clone();
        for (domain, field) in pseudonym_fields(&mut rotated) {
            if let Some(pseudonym) = field.as_deref() {
                *field = Some(self.rotated(domain, pseudonym)?.to_string());
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
}

/// Builds the rotation map from the table of inner (provider)
/// pseudonyms that the linkage environment keeps: for each, the old
/// registry pseudonym `HMAC(old, inner)` maps to `HMAC(new, inner)`.
///
/// The registry applies the map with [`RotationMap::apply`]; neither side
/// ever sees a clear identifier, and the registry never sees an inner
/// pseudonym.
///
/// # Errors
///
/// [`ErrorKind::InvalidPseudonym`] for the first malformed inner
/// pseudonym.
pub fn rotate<'a, I>(
    inner: I,
    old: &Pseudonymiser,
    new: &Pseudonymiser,
) -> Result<RotationMap, Error>
where
    I: IntoIterator<Item = (Domain, &'a str)>,
{
    let mut entries = HashMap::new();
    for (domain, inner) in inner {
        let before = old.rekey_pseudonym(domain, inner)?;
        let after = new.rekey_pseudonym(domain, inner)?;
        let key = decode_pseudonym(domain, &before)?;
        entries.insert((domain.sub_key().0, key), after);
    }
    tracing::info!(
        entries = entries.len(),
        old_key = old.key_fingerprint(),
        new_key = new.key_fingerprint(),
        "built key rotation map"
    );
    Ok(RotationMap { entries })
}

/// Lists the pseudonym fields of a record with their domains.
fn pseudonym_fields(
    record: &mut SourceRecord,
) -> [(Domain, &mut Option<String>); 10] {
    [
        (Domain::Nir, &mut record.nir_pseudonym),
        (Domain::BirthDate, &mut record.birth_date_pseudonym),
        (Domain::BirthDate, &mut record.birth_date_swapped_pseudonym),
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
        (Domain::Name, &mut record.birth_name_pseudonym),
        (Domain::Name, &mut record.usage_name_pseudonym),
        (Domain::FirstName, &mut record.first_name_pseudonym),
    ]
}

/// Lists the Bloom-filter fields of a record with their domains.
fn bloom_fields(
    record: &mut SourceRecord,
) -> [(Domain, &mut Option<Vec<u8>>); 3] {
    [
        (Domain::Name, &mut record.birth_name_bloom),
        (Domain::Name, &mut record.usage_name_bloom),
        (Domain::FirstName, &mut record.first_name_bloom),
    ]
}

fn decode_pseudonym(domain: Domain, text: &str) -> Result<[u8; 32], Error> {
    let invalid = |reason: &str| -> Error {
        ErrorKind::InvalidPseudonym {
            domain: domain.name(),
            reason: reason.to_string(),
        }
        .into()
    };
    if text.len() != 64 {
        return Err(invalid(&format!("it has {} characters", text.len())));
    }
    if !text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return Err(invalid("it holds a character other than 0-9 and a-f"));
    }
    let mut bytes = [0u8; 32];
    hex::decode_to_slice(text, &mut bytes)
        .map_err(|_| invalid("it is not hexadecimal"))?;
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
pub(crate) fn permute_bits(
    filter: &[u8],
    target: impl Fn(usize) -> usize,
) -> Vec<u8> {
    let mut out = vec![0u8; filter.len()];
    for p in 0..filter.len() * 8 {
        if filter[p / 8] & (0x80 >> (p % 8)) != 0 {
            let q = target(p);
            out[q / 8] |= 0x80 >> (q % 8);
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
    use crate::Key;
    use crate::pseudonymiser::keyed_hmac;

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
}
