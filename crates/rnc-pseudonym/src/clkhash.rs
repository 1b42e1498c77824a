//! A port of clkhash's schema-driven encoding (clkhash 0.18.3, linkage
//! schema version 3), so that rnc can produce cryptographic long-term keys
//! (CLKs) byte-identical to those of a partner that runs clkhash.
//!
//! The steps follow clkhash's `clk.py` and `bloomfilter.py`:
//!
//! 1. Keys: HKDF-SHA-256 (RFC 5869) over the UTF-8 secret, with the
//!    schema's salt and info, gives two keys of `keySize` bytes per
//!    feature, in feature order, ignored features included.
//! 2. Each value is formatted (a missing-value sentinel is replaced, an
//!    integer is rewritten without sign or spaces, a date becomes
//!    `YYYYMMDD`), then split into tokens: n-grams padded with `n - 1`
//!    spaces at each end, optionally prefixed with their position
//!    (`"1 ab"`), or the whole value.
//! 3. Each token sets `k` bits (`bitsPerToken`, or `bitsPerFeature` spread
//!    over the tokens) of a filter of `l · 2^xor_folds` bits, computed by
//!    BLAKE2b keyed hashing cut into 16-bit slices, or by the double
//!    hashing of Schnell et al. (2011), which clkhash keeps only for
//!    compatibility because of the attack of Kroll and Steinmetzer (2015).
//! 4. The feature filters are ORed, XOR-folded `xor_folds` times, and
//!    written most significant bit first.
//!
//! rnc's own encodings use [`crate::ClkEncoder`]; this module exists for
//! exchanges with clkhash users.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use blake2::Blake2bMac512;
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use md5::Md5;
use serde_json::Value;
use sha1::Sha1;
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::{Error, ErrorKind};

/// A clkhash linkage schema (version 3), restricted to what encoding needs.
#[derive(Debug, Clone, PartialEq)]
pub struct ClkhashSchema {
    /// Length of the CLK in bits after folding, a multiple of 8.
    pub l: usize,
    /// Number of XOR folds; each halves the filter.
    pub xor_folds: u32,
    /// HKDF salt (decoded from the schema's base64).
    pub kdf_salt: Vec<u8>,
    /// HKDF info (decoded from the schema's base64).
    pub kdf_info: Vec<u8>,
    /// Length of each derived key in bytes (clkhash's default is 64).
    pub kdf_key_size: usize,
    /// The features, in the order of the record's columns.
    pub features: Vec<ClkhashFeature>,
}

/// One column of a record and how it is encoded.
#[derive(Debug, Clone, PartialEq)]
pub struct ClkhashFeature {
    /// The column name.
    pub identifier: String,
    /// Value format applied before tokenising.
    pub format: ClkhashFormat,
    /// Hashing settings, `None` for an ignored column.
    pub hashing: Option<ClkhashHashing>,
}

/// The value formats that change a value before it is tokenised.
///
/// clkhash also validates values against patterns, case rules, ranges
/// and enumerations. NOTE: those checks are not ported, so a value that
/// clkhash would reject is encoded here.
#[derive(Debug, Clone, PartialEq)]
pub enum ClkhashFormat {
    /// Text, hashed as given.
    String,
    /// An enumeration value, hashed as given.
    Enum,
    /// An integer in base 10, rewritten without spaces, `+` or leading
    /// zeros.
    Integer,
    /// A date read with a `strptime` pattern made of `%Y`, `%m`, `%d` and
    /// literal characters, rewritten as `%Y%m%d`.
    Date {
        /// The input pattern, e.g. `%Y-%m-%d`.
        pattern: String,
    },
}

/// The hashing settings of one feature.
#[derive(Debug, Clone, PartialEq)]
pub struct ClkhashHashing {
    /// How the value is cut into tokens.
    pub comparison: ClkhashComparison,
    /// How many bits each token sets.
    pub strategy: ClkhashStrategy,
    /// The hash construction.
    pub hash: ClkhashHash,
    /// A sentinel for a missing value and its replacement.
    pub missing_value: Option<(String, String)>,
}

/// Tokenisation of a formatted value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClkhashComparison {
    /// n-grams, padded with `n - 1` spaces on each side when `n > 1`.
    Ngram {
        /// The n of n-gram.
        n: usize,
        /// Prefix each n-gram with its position from 1 and a space.
        positional: bool,
    },
    /// The whole value as one token.
    Exact,
}

/// Number of bits set per token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClkhashStrategy {
    /// Every token sets this many bits.
    BitsPerToken(u32),
    /// The feature sets this many bits in total, spread over its tokens,
    /// the first tokens taking one more when it does not divide evenly.
    BitsPerFeature(u32),
}

/// The hash construction of a feature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClkhashHash {
    /// BLAKE2b-512 keyed with the feature's first key, salted with the
    /// block number; needs `l` to be a power of two.
    Blake,
    /// `(HMAC-SHA1 + i · HMAC-MD5) mod l`, for compatibility only.
    DoubleHash {
        /// Re-hash when the MD5 term is 0 modulo `l`, which would put
        /// every bit of the token in one place.
        prevent_singularity: bool,
    },
}

impl ClkhashSchema {
    /// Reads a clkhash linkage schema of version 3 from its JSON text.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidSchema`] naming the first missing or
    /// unsupported setting.
    pub fn from_json(text: &str) -> Result<ClkhashSchema, Error> {
        let root: Value = serde_json::from_str(text)
            .map_err(|error| invalid_schema(format!("not JSON: {error}")))?;
        if root["version"].as_u64() != Some(3) {
            return Err(invalid_schema(
                "version must be 3 (convert older schemas with \
                 clkhash.schema.convert_to_latest_version)",
            ));
        }
        let config = &root["clkConfig"];
        let kdf = &config["kdf"];
        if kdf["type"].as_str() != Some("HKDF")
            || kdf["hash"].as_str().unwrap_or("SHA256") != "SHA256"
        {
            return Err(invalid_schema(
                "only the HKDF key derivation with SHA256 is supported",
            ));
        }
        let decode = |field: &str| -> Result<Vec<u8>, Error> {
            match kdf[field].as_str() {
                None => Ok(Vec::new()),
                Some(text) => BASE64.decode(text).map_err(|_| {
                    invalid_schema(format!("kdf.{field} is not base64"))
                }),
            }
        };
        let features = root["features"]
            .as_array()
            .ok_or_else(|| invalid_schema("features must be a list"))?
            .iter()
            .map(parse_feature)
            .collect::<Result<Vec<_>, _>>()?;
        let schema = ClkhashSchema {
            l: unsigned(&config["l"], "clkConfig.l")?,
            xor_folds: config["xor_folds"].as_u64().unwrap_or(0) as u32,
            kdf_salt: decode("salt")?,
            kdf_info: decode("info")?,
            kdf_key_size: kdf["keySize"].as_u64().unwrap_or(64) as usize,
            features,
        };
        Ok(schema)
    }
}

fn parse_feature(value: &Value) -> Result<ClkhashFeature, Error> {
    let identifier = value["identifier"]
        .as_str()
        .ok_or_else(|| invalid_schema("a feature has no identifier"))?
        .to_string();
    let context = |what: &str| format!("feature {identifier}: {what}");
    let format = match value["format"]["type"].as_str() {
        Some("string") | None => ClkhashFormat::String,
        Some("enum") => ClkhashFormat::Enum,
        Some("integer") => ClkhashFormat::Integer,
        Some("date") => {
            let pattern = match value["format"]["format"].as_str() {
                Some("rfc3339") | None => "%Y-%m-%d".to_string(),
                Some(pattern) => pattern.to_string(),
            };
            ClkhashFormat::Date { pattern }
        }
        Some(other) => {
            return Err(invalid_schema(context(&format!(
                "format type {other} is not supported"
            ))));
        }
    };
    if value["ignored"].as_bool() == Some(true) || value["hashing"].is_null() {
        return Ok(ClkhashFeature {
            identifier,
            format,
            hashing: None,
        });
    }

    let hashing = &value["hashing"];
    let comparison = match hashing["comparison"]["type"].as_str() {
        Some("ngram") => ClkhashComparison::Ngram {
            n: unsigned(&hashing["comparison"]["n"], &context("comparison.n"))?,
            positional: hashing["comparison"]["positional"]
                .as_bool()
                .unwrap_or(false),
        },
        Some("exact") => ClkhashComparison::Exact,
        _ => {
            return Err(invalid_schema(context(
                "comparison must be ngram or exact",
            )));
        }
    };
    let strategy = &hashing["strategy"];
    let strategy = if let Some(k) = strategy["bitsPerToken"].as_u64() {
        ClkhashStrategy::BitsPerToken(k as u32)
    } else if let Some(k) = strategy["bitsPerFeature"].as_u64() {
        ClkhashStrategy::BitsPerFeature(k as u32)
    } else {
        return Err(invalid_schema(context(
            "strategy must give bitsPerToken or bitsPerFeature",
        )));
    };
    let hash = match hashing["hash"]["type"].as_str() {
        Some("blakeHash") | None => ClkhashHash::Blake,
        Some("doubleHash") => ClkhashHash::DoubleHash {
            prevent_singularity: hashing["hash"]["prevent_singularity"]
                .as_bool()
                .unwrap_or(false),
        },
        Some(other) => {
            return Err(invalid_schema(context(&format!(
                "hash type {other} is not supported"
            ))));
        }
    };
    let missing = &hashing["missingValue"];
    let missing_value = match (
        missing["sentinel"].as_str(),
        missing["replaceWith"].as_str(),
    ) {
        (Some(sentinel), replacement) => {
            Some((sentinel.to_string(), replacement.unwrap_or("").to_string()))
        }
        _ => None,
    };
    Ok(ClkhashFeature {
        identifier,
        format,
        hashing: Some(ClkhashHashing {
            comparison,
            strategy,
            hash,
            missing_value,
        }),
    })
}

fn unsigned(value: &Value, name: &str) -> Result<usize, Error> {
    value.as_u64().map(|n| n as usize).ok_or_else(|| {
        invalid_schema(format!("{name} must be a positive integer"))
    })
}

fn invalid_schema(reason: impl Into<String>) -> Error {
    ErrorKind::InvalidSchema {
        reason: reason.into(),
    }
    .into()
}

/// Encodes records into CLKs with a [`ClkhashSchema`] and a shared secret.
///
/// `Debug` shows the schema only, never the derived keys.
pub struct ClkhashEncoder {
    schema: ClkhashSchema,
    /// Two keys per feature: clkhash's "sha1" and "md5" keys; BLAKE2b uses
    /// the first.
    keys: Vec<[Zeroizing<Vec<u8>>; 2]>,
}

impl std::fmt::Debug for ClkhashEncoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClkhashEncoder")
            .field("schema", &self.schema)
            .finish_non_exhaustive()
    }
}

impl ClkhashEncoder {
    /// Derives the feature keys from `secret` (clkhash encodes a text
    /// secret as UTF-8) and checks the schema's lengths.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidSchema`] when `l` is not a positive multiple
    /// of 8, a BLAKE2b feature has a filter length that is not a power of
    /// two, a key is longer than BLAKE2b's 64 bytes, or HKDF cannot give
    /// that many key bytes.
    pub fn new(
        schema: ClkhashSchema,
        secret: &[u8],
    ) -> Result<ClkhashEncoder, Error> {
        let hash_l = hashed_length(&schema)?;
        for feature in &schema.features {
            let Some(hashing) = &feature.hashing else {
                continue;
            };
            if hashing.hash == ClkhashHash::Blake {
                if !hash_l.is_power_of_two() {
                    return Err(invalid_schema(format!(
                        "feature {}: BLAKE2b hashing needs l · 2^xor_folds \
                         to be a power of two, not {hash_l}",
                        feature.identifier
                    )));
                }
                if schema.kdf_key_size > 64 {
                    return Err(invalid_schema(
                        "kdf.keySize must be at most 64 for BLAKE2b",
                    ));
                }
            }
            if let ClkhashComparison::Ngram { n: 0, .. } = hashing.comparison {
                return Err(invalid_schema(format!(
                    "feature {}: comparison.n must be at least 1",
                    feature.identifier
                )));
            }
        }

        let count = 2 * schema.features.len();
        let mut okm = Zeroizing::new(vec![0u8; count * schema.kdf_key_size]);
        let salt =
            (!schema.kdf_salt.is_empty()).then_some(&schema.kdf_salt[..]);
        Hkdf::<Sha256>::new(salt, secret)
            .expand(&schema.kdf_info, &mut okm)
            .map_err(|_| {
                invalid_schema(
                    "HKDF-SHA256 gives at most 8160 key bytes; use fewer \
                     features or a smaller kdf.keySize",
                )
            })?;
        let keys = okm
            .chunks(2 * schema.kdf_key_size)
            .map(|pair| {
                let (first, second) = pair.split_at(schema.kdf_key_size);
                [
                    Zeroizing::new(first.to_vec()),
                    Zeroizing::new(second.to_vec()),
                ]
            })
            .collect();
        Ok(ClkhashEncoder { schema, keys })
    }

    /// Encodes one record, one value per feature in schema order, into a
    /// CLK of `l / 8` bytes.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidEntry`] when the record has the wrong number of
    /// values, or a value cannot be read as its format; the message names
    /// the feature, never the value.
    pub fn encode(&self, record: &[&str]) -> Result<Vec<u8>, Error> {
        if record.len() != self.schema.features.len() {
            return Err(ErrorKind::InvalidEntry {
                feature: "-".to_string(),
                reason: format!(
                    "the record has {} values but the schema {} features",
                    record.len(),
                    self.schema.features.len()
                ),
            }
            .into());
        }
        let hash_l = hashed_length(&self.schema)?;
        let mut filter = vec![0u8; hash_l / 8];
        for ((value, feature), keys) in
            record.iter().zip(&self.schema.features).zip(&self.keys)
        {
            let Some(hashing) = &feature.hashing else {
                continue;
            };
            let formatted =
                Zeroizing::new(format_value(feature, hashing, value)?);
            let tokens = tokenise(hashing.comparison, &formatted);
            let ks = bits_per_token(hashing.strategy, tokens.len());
            for (token, k) in tokens.iter().zip(ks) {
                let indices = match hashing.hash {
                    ClkhashHash::Blake => {
                        blake_indices(token.as_bytes(), k, &keys[0], hash_l)
                    }
                    ClkhashHash::DoubleHash {
                        prevent_singularity,
                    } => double_hash_indices(
                        token.as_bytes(),
                        k,
                        [&keys[0], &keys[1]],
                        hash_l,
                        prevent_singularity,
                    ),
                };
                for index in indices {
                    filter[index / 8] |= 0x80 >> (index % 8);
                }
            }
        }
        for _ in 0..self.schema.xor_folds {
            filter = fold_xor(&filter);
        }
        Ok(filter)
    }

    /// Encodes one record and returns it as clkhash serialises it:
    /// standard base64 with padding.
    ///
    /// # Errors
    ///
    /// As [`ClkhashEncoder::encode`].
    pub fn encode_base64(&self, record: &[&str]) -> Result<String, Error> {
        Ok(BASE64.encode(self.encode(record)?))
    }
}

fn hashed_length(schema: &ClkhashSchema) -> Result<usize, Error> {
    if schema.l == 0 || !schema.l.is_multiple_of(8) || schema.xor_folds > 16 {
        return Err(invalid_schema(format!(
            "clkConfig.l must be a positive multiple of 8 and xor_folds at \
             most 16, not l = {} and xor_folds = {}",
            schema.l, schema.xor_folds
        )));
    }
    Ok(schema.l << schema.xor_folds)
}

fn format_value(
    feature: &ClkhashFeature,
    hashing: &ClkhashHashing,
    value: &str,
) -> Result<String, Error> {
    if let Some((sentinel, replacement)) = &hashing.missing_value
        && sentinel == value
    {
        return Ok(replacement.clone());
    }
    let invalid = |reason: &str| -> Error {
        ErrorKind::InvalidEntry {
            feature: feature.identifier.clone(),
            reason: reason.to_string(),
        }
        .into()
    };
    match &feature.format {
        ClkhashFormat::String | ClkhashFormat::Enum => Ok(value.to_string()),
        ClkhashFormat::Integer => {
            // Python's int() accepts surrounding spaces and a sign.
            let number: i128 = value
                .trim()
                .parse()
                .map_err(|_| invalid("not an integer in base 10"))?;
            Ok(number.to_string())
        }
        ClkhashFormat::Date { pattern } => {
            let (year, month, day) = parse_date(pattern, value)
                .ok_or_else(|| invalid("not a date in the schema's format"))?;
            // CPython on glibc writes %Y without zero padding, so year 123
            // becomes "123"; clkhash's output depends on it.
            Ok(format!("{year}{month:02}{day:02}"))
        }
    }
}

/// Reads a date with a `strptime` pattern of `%Y`, `%m`, `%d` and literal
/// characters. Returns `None` when the text does not fit or the date does
/// not exist.
fn parse_date(pattern: &str, text: &str) -> Option<(u32, u32, u32)> {
    let mut rest = text;
    let (mut year, mut month, mut day) = (None, None, None);
    let mut directives = pattern.chars();
    while let Some(c) = directives.next() {
        if c != '%' {
            rest = rest.strip_prefix(c)?;
            continue;
        }
        let (width, slot) = match directives.next()? {
            'Y' => (4, &mut year),
            'm' => (2, &mut month),
            'd' => (2, &mut day),
            _ => return None,
        };
        let digits = rest
            .bytes()
            .take(width)
            .take_while(u8::is_ascii_digit)
            .count();
        if digits == 0 {
            return None;
        }
        *slot = Some(rest[..digits].parse::<u32>().ok()?);
        rest = &rest[digits..];
    }
    if !rest.is_empty() {
        return None;
    }
    let (year, month, day) = (year?, month?, day?);
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    (year >= 1 && (1..=days).contains(&day)).then_some((year, month, day))
}

/// Cuts a formatted value into tokens as clkhash's comparators do, by
/// Unicode scalar value.
fn tokenise(comparison: ClkhashComparison, value: &str) -> Vec<String> {
    if value.is_empty() {
        return Vec::new();
    }
    let ClkhashComparison::Ngram { n, positional } = comparison else {
        return vec![value.to_string()];
    };
    let mut chars: Vec<char> = Vec::with_capacity(value.len() + 2 * n);
    if n > 1 {
        chars.extend(std::iter::repeat_n(' ', n - 1));
    }
    chars.extend(value.chars());
    if n > 1 {
        chars.extend(std::iter::repeat_n(' ', n - 1));
    }
    if chars.len() < n {
        return Vec::new();
    }
    chars
        .windows(n)
        .enumerate()
        .map(|(i, gram)| {
            let gram: String = gram.iter().collect();
            if positional {
                format!("{} {gram}", i + 1)
            } else {
                gram
            }
        })
        .collect()
}

fn bits_per_token(strategy: ClkhashStrategy, tokens: usize) -> Vec<usize> {
    match strategy {
        ClkhashStrategy::BitsPerToken(k) => vec![k as usize; tokens],
        ClkhashStrategy::BitsPerFeature(total) => {
            if tokens == 0 {
                return Vec::new();
            }
            let total = total as usize;
            let (k, residue) = (total / tokens, total % tokens);
            (0..tokens)
                .map(|i| if i < residue { k + 1 } else { k })
                .collect()
        }
    }
}

/// clkhash's `blake_hash_token`: BLAKE2b-512 keyed with `key` and salted
/// with the decimal block number, read as little-endian 16-bit integers
/// (Python's `struct.unpack('32H')` on a little-endian machine), each
/// reduced modulo `l`.
fn blake_indices(token: &[u8], k: usize, key: &[u8], l: usize) -> Vec<usize> {
    let mut indices = Vec::with_capacity(k);
    for block in 0..k.div_ceil(32) {
        let salt = block.to_string();
        let mut mac = Blake2bMac512::new_with_salt_and_personal(
            key,
            salt.as_bytes(),
            &[],
        )
        .expect("key of at most 64 bytes, checked when the encoder was built");
        mac.update(token);
        let digest = mac.finalize().into_bytes();
        for pair in digest.chunks_exact(2) {
            indices
                .push(usize::from(u16::from_le_bytes([pair[0], pair[1]])) % l);
        }
    }
    indices.truncate(k);
    indices
}

/// clkhash's double hashing: `g_i = (h_sha1 + i · h_md5) mod l`, each HMAC
/// read as a big-endian integer.
fn double_hash_indices(
    token: &[u8],
    k: usize,
    keys: [&[u8]; 2],
    l: usize,
    prevent_singularity: bool,
) -> Vec<usize> {
    let sha1 = modulo(&hmac_digest::<Hmac<Sha1>>(keys[0], &[token]), l);
    let mut md5 = modulo(&hmac_digest::<Hmac<Md5>>(keys[1], &[token]), l);
    if prevent_singularity {
        // clkhash appends chr(i) encoded as UTF-8 and tries again.
        let mut attempt = 0u32;
        while md5 == 0 {
            let suffix = char::from_u32(attempt).unwrap_or(' ').to_string();
            md5 = modulo(
                &hmac_digest::<Hmac<Md5>>(keys[1], &[token, suffix.as_bytes()]),
                l,
            );
            attempt += 1;
        }
    }
    (0..k).map(|i| (sha1 + i * md5) % l).collect()
}

fn hmac_digest<M: Mac + hmac::digest::KeyInit>(
    key: &[u8],
    parts: &[&[u8]],
) -> Vec<u8> {
    let mut mac = <M as hmac::digest::KeyInit>::new_from_slice(key)
        .expect("HMAC accepts a key of any length");
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().to_vec()
}

/// A big-endian unsigned integer modulo `l`.
fn modulo(bytes: &[u8], l: usize) -> usize {
    let l = l as u64;
    bytes
        .iter()
        .fold(0u64, |acc, byte| (acc * 256 + u64::from(*byte)) % l) as usize
}

fn fold_xor(filter: &[u8]) -> Vec<u8> {
    let (left, right) = filter.split_at(filter.len() / 2);
    left.iter().zip(right).map(|(a, b)| a ^ b).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ngram_tokens_follow_clkhash_docs() {
        // clkhash's NgramComparison docstring lists these for "clkhash".
        let plain = tokenise(
            ClkhashComparison::Ngram {
                n: 2,
                positional: false,
            },
            "clkhash",
        );
        assert_eq!(plain, [" c", "cl", "lk", "kh", "ha", "as", "sh", "h "]);
        let positional = tokenise(
            ClkhashComparison::Ngram {
                n: 2,
                positional: true,
            },
            "clkhash",
        );
        assert_eq!(positional[0], "1  c");
        assert_eq!(positional[7], "8 h ");
    }

    #[test]
    fn bits_per_feature_spreads_residue_first() {
        assert_eq!(
            bits_per_token(ClkhashStrategy::BitsPerFeature(10), 4),
            [3, 3, 2, 2]
        );
        assert!(
            bits_per_token(ClkhashStrategy::BitsPerFeature(10), 0).is_empty()
        );
    }

    #[test]
    fn dates_follow_pattern() {
        assert_eq!(parse_date("%Y-%m-%d", "1963-12-13"), Some((1963, 12, 13)));
        assert_eq!(parse_date("%d/%m/%Y", "29/02/1992"), Some((1992, 2, 29)));
        assert_eq!(parse_date("%Y-%m-%d", "1993-02-29"), None);
        assert_eq!(parse_date("%Y-%m-%d", "1963-12-13x"), None);
    }

    #[test]
    fn modulo_of_big_endian_bytes() {
        // 0x0102 = 258; 258 mod 256 = 2, 258 mod 100 = 58.
        assert_eq!(modulo(&[1, 2], 256), 2);
        assert_eq!(modulo(&[1, 2], 100), 58);
    }
}
