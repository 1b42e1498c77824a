//! Cryptographic long-term keys (CLKs): one keyed Bloom filter holding a
//! person's surname, first name, birth date and sex (Schnell, Bachteler
//! and Reiher, "A novel error-tolerant anonymous linking code", German
//! Record Linkage Center working paper WP-GRLC-2011-02).
//!
//! Tokens: the padded bigrams of the normalised surname and first name
//! (`" M"`, `"MA"`, …), the day, month and year of birth as three tokens,
//! and the sex as one. Each field has its own HMAC-SHA-256 sub-key, so a
//! bigram of a surname and the same bigram of a first name set different
//! bits. The bit positions of a token are independent slices of its keyed
//! hash, not the double-hashing construction `h1 + i·h2` that Kroll and
//! Steinmetzer (2015) showed how to attack.
//!
//! Hardening options ([`ClkSettings`]), after Franke, Sehili and Rahm,
//! "Evaluation of hardening techniques for privacy-preserving record
//! linkage", EDBT 2021:
//!
//! - salting: name bigrams are hashed together with the birth year, so
//!   one surname gives different bits in different birth cohorts and the
//!   frequency of a name no longer shows as the frequency of a pattern;
//! - XOR-folding (Schnell, Borgs and Encarnação 2016): the two halves of
//!   the filter are XORed, halving it;
//! - balancing (Schnell, Borgs and Encarnação 2016): the filter is
//!   followed by its complement, so every filter has the same number of
//!   bits set, and the bits are shuffled by a keyed permutation.
//!
//! Two CLKs are compared with [`crate::dice_coefficient`].

use hmac::Mac;
use rnc_model::{PartialDate, Sex};
use zeroize::Zeroizing;

use crate::normalise_name;
use crate::pseudonymiser::{HmacSha256, keyed_hmac};
use crate::rekey::{keyed_permutation, permute_bits};
use crate::{Error, ErrorKind, Key};

/// Settings of a [`ClkEncoder`]. Every party of a linkage must use the
/// same settings and key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClkSettings {
    /// Filter length in bits before folding and balancing: a power of
    /// two from 64 to 65 536.
    pub bits: usize,
    /// Bits set by each bigram of the surname and of the first name.
    pub name_bits: usize,
    /// Bits set by each of the day, month and year of birth.
    pub date_bits: usize,
    /// Bits set by the sex.
    pub sex_bits: usize,
    /// Hash the name bigrams together with the birth year.
    pub salt_with_birth_year: bool,
    /// XOR the two halves of the filter, halving its length.
    pub xor_fold: bool,
    /// Append the complement and shuffle with a keyed permutation,
    /// doubling the length.
    pub balance: bool,
}

impl Default for ClkSettings {
    /// 1024 bits; 20 bits per name bigram, 20 per birth-date part and 10
    /// for the sex; salted with the birth year; no folding or balancing.
    ///
    /// A typical record (13 name bigrams, 3 date parts, the sex) makes
    /// 330 insertions, which set about 28 % of the 1024 bits.
    fn default() -> ClkSettings {
        ClkSettings {
            bits: 1024,
            name_bits: 20,
            date_bits: 20,
            sex_bits: 10,
            salt_with_birth_year: true,
            xor_fold: false,
            balance: false,
        }
    }
}

impl ClkSettings {
    /// Length in bytes of the CLKs these settings produce.
    pub fn output_bytes(&self) -> usize {
        let mut bits = self.bits;
        if self.xor_fold {
            bits /= 2;
        }
        if self.balance {
            bits *= 2;
        }
        bits / 8
    }
}

/// The clear identifiers that go into one CLK. Every field is optional;
/// a missing one sets no bit.
#[derive(Clone, Copy, Default)]
pub struct ClkIdentity<'a> {
    /// Surname (birth name), as written in the source.
    pub surname: Option<&'a str>,
    /// First name, as written in the source.
    pub first_name: Option<&'a str>,
    /// Birth date, possibly partial; unknown parts set no bit.
    pub birth_date: Option<PartialDate>,
    /// Sex; [`Sex::Unknown`] sets no bit.
    pub sex: Option<Sex>,
}

impl std::fmt::Debug for ClkIdentity<'_> {
    /// Shows which fields are present, never their values.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClkIdentity")
            .field("surname", &self.surname.is_some())
            .field("first_name", &self.first_name.is_some())
            .field("birth_date", &self.birth_date.is_some())
            .field("sex", &self.sex.is_some())
            .finish()
    }
}

/// Index of each field's sub-key.
const SURNAME: usize = 0;
const FIRST_NAME: usize = 1;
const BIRTH_DATE: usize = 2;
const SEX: usize = 3;
const FIELD_LABELS: [&str; 4] = ["surname", "first_name", "birth_date", "sex"];

/// Encodes identities into CLKs under one key and one [`ClkSettings`].
///
/// `Debug` shows the settings and the key fingerprint only.
#[derive(Clone)]
pub struct ClkEncoder {
    settings: ClkSettings,
    fields: [HmacSha256; 4],
    /// The balancing permutation of the doubled filter, when balancing.
    permutation: Option<Vec<u32>>,
    fingerprint: String,
}

impl std::fmt::Debug for ClkEncoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClkEncoder")
            .field("settings", &self.settings)
            .field("key_fingerprint", &self.fingerprint)
            .finish_non_exhaustive()
    }
}

impl ClkEncoder {
    /// Derives the field sub-keys (HMAC-SHA-256 of the key over
    /// `"rnc/clk/<field>"`) and, when balancing, the permutation.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidClkSettings`] when `bits` is not a power of two
    /// from 64 to 65 536, or a bits-per-token count is 0 or above 256.
    pub fn new(key: &Key, settings: ClkSettings) -> Result<ClkEncoder, Error> {
        if !settings.bits.is_power_of_two()
            || !(64..=65_536).contains(&settings.bits)
        {
            return Err(ErrorKind::InvalidClkSettings {
                reason: format!(
                    "bits is {}, expected a power of two from 64 to 65536",
                    settings.bits
                ),
            }
            .into());
        }
        for (name, k) in [
            ("name_bits", settings.name_bits),
            ("date_bits", settings.date_bits),
            ("sex_bits", settings.sex_bits),
        ] {
            if !(1..=256).contains(&k) {
                return Err(ErrorKind::InvalidClkSettings {
                    reason: format!("{name} is {k}, expected 1 to 256"),
                }
                .into());
            }
        }
        let fields = FIELD_LABELS
            .map(|label| keyed_hmac(key, &format!("rnc/clk/{label}")));
        let permutation = settings.balance.then(|| {
            let keyed = keyed_hmac(key, "rnc/clk/balance");
            keyed_permutation(&keyed, settings.output_bytes() * 8)
        });
        Ok(ClkEncoder {
            settings,
            fields,
            permutation,
            fingerprint: key.fingerprint(),
        })
    }

    /// The settings the encoder was built with.
    pub fn settings(&self) -> &ClkSettings {
        &self.settings
    }

    /// Encodes one identity into a CLK of
    /// [`ClkSettings::output_bytes`] bytes, bit `p` being bit `7 - p % 8`
    /// of byte `p / 8`.
    pub fn encode(&self, identity: &ClkIdentity<'_>) -> Vec<u8> {
        let settings = &self.settings;
        let mut filter = vec![0u8; settings.bits / 8];
        let year = identity.birth_date.map(|date| date.year());
        let salt = match (settings.salt_with_birth_year, year) {
            (true, Some(year)) => Zeroizing::new(format!("{year:04}")),
            _ => Zeroizing::new(String::new()),
        };

        for (field, name) in [
            (SURNAME, identity.surname),
            (FIRST_NAME, identity.first_name),
        ] {
            let Some(name) = name else { continue };
            let normalised = Zeroizing::new(normalise_name(name));
            if normalised.is_empty() {
                continue;
            }
            let mut padded: Vec<char> =
                Vec::with_capacity(normalised.len() + 2);
            padded.push(' ');
            padded.extend(normalised.chars());
            padded.push(' ');
            for pair in padded.windows(2) {
                let bigram: String = pair.iter().collect();
                self.insert(
                    &mut filter,
                    field,
                    &salt,
                    &bigram,
                    settings.name_bits,
                );
            }
        }

        if let Some(date) = identity.birth_date {
            let parts = [
                Some(format!("Y{:04}", date.year())),
                date.month().map(|month| format!("M{month:02}")),
                date.day().map(|day| format!("D{day:02}")),
            ];
            for part in parts.into_iter().flatten() {
                self.insert(
                    &mut filter,
                    BIRTH_DATE,
                    "",
                    &part,
                    settings.date_bits,
                );
            }
        }

        let sex = match identity.sex {
            Some(Sex::Male) => Some("1"),
            Some(Sex::Female) => Some("2"),
            _ => None,
        };
        if let Some(sex) = sex {
            self.insert(&mut filter, SEX, "", sex, settings.sex_bits);
        }

        self.harden(filter)
    }

    /// Sets the `k` bits of one token: consecutive big-endian slices of
    /// log2(bits) bits of HMAC-SHA-256(field key, block ‖ salt ‖ 0 ‖ token),
    /// for blocks 0, 1, … until `k` slices are cut.
    fn insert(
        &self,
        filter: &mut [u8],
        field: usize,
        salt: &str,
        token: &str,
        k: usize,
    ) {
        let index_bits = self.settings.bits.trailing_zeros() as usize;
        let per_block = 256 / index_bits;
        let mut remaining = k;
        let mut block = 0u8;
        while remaining > 0 {
            let mut mac = self.fields[field].clone();
            mac.update(&[block]);
            mac.update(salt.as_bytes());
            mac.update(&[0]);
            mac.update(token.as_bytes());
            let digest: [u8; 32] = mac.finalize().into_bytes().into();
            for slice in 0..per_block.min(remaining) {
                let position =
                    read_bits(&digest, slice * index_bits, index_bits);
                filter[position / 8] |= 0x80 >> (position % 8);
            }
            remaining = remaining.saturating_sub(per_block);
            block = block.wrapping_add(1);
        }
    }

    fn harden(&self, mut filter: Vec<u8>) -> Vec<u8> {
        if self.settings.xor_fold {
            let (left, right) = filter.split_at(filter.len() / 2);
            filter = left.iter().zip(right).map(|(a, b)| a ^ b).collect();
        }
        if let Some(permutation) = &self.permutation {
            let complement: Vec<u8> = filter.iter().map(|byte| !byte).collect();
            filter.extend(complement);
            filter = permute_bits(&filter, |p| permutation[p] as usize);
        }
        filter
    }
}

/// Reads `width` bits (at most 16) of `bytes` from bit `start`, most
/// significant bit first.
fn read_bits(bytes: &[u8; 32], start: usize, width: usize) -> usize {
    let mut value = 0usize;
    for bit in start..start + width {
        let set = bytes[bit / 8] & (0x80 >> (bit % 8)) != 0;
        value = (value << 1) | usize::from(set);
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_bits_is_big_endian() {
        let mut bytes = [0u8; 32];
        bytes[0] = 0b1010_0000;
        bytes[1] = 0b0100_0000;
        assert_eq!(read_bits(&bytes, 0, 3), 0b101);
        assert_eq!(read_bits(&bytes, 8, 2), 0b01);
        assert_eq!(read_bits(&bytes, 6, 4), 0b0001);
    }

    #[test]
    fn output_length_follows_hardening() {
        let mut settings = ClkSettings::default();
        assert_eq!(settings.output_bytes(), 128);
        settings.xor_fold = true;
        assert_eq!(settings.output_bytes(), 64);
        settings.balance = true;
        assert_eq!(settings.output_bytes(), 128);
    }
}
