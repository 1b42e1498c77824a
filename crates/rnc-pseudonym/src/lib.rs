//! Keyed pseudonyms of the identifiers that enter the registry.
//!
//! French law requires the registry to pseudonymise NIR, names and birth
//! dates before they are stored. This crate turns them into values that
//! can still be compared but not reversed without the secret [`Key`]:
//!
//! - [`Pseudonymiser::pseudonym`] gives a keyed HMAC-SHA-256 for exact
//!   comparison, one sub-key per [`Domain`];
//! - [`Pseudonymiser::bloom`] gives a keyed Bloom filter of a name's
//!   bigrams for approximate comparison with [`dice_coefficient`];
//! - [`normalise_name`] folds case, accents and punctuation first, so that
//!   two spellings of one name give one pseudonym;
//! - [`Pseudonymiser::apply`] fills the identifying fields of a
//!   [`rnc_model::SourceRecord`] from a [`ClearIdentity`];
//! - [`provider::pseudonymise_file`] is the provider-side step: it turns a
//!   feed file into one that holds no clear identifier;
//! - [`RegistryLayer`] seals a provider's pseudonyms and filters with the
//!   registry's key, reversibly, and [`rotate_record`] moves a stored
//!   record to a new registry key without forming a clear identifier;
//! - [`ClkEncoder`] builds hardened CLKs of names, birth date and sex, and
//!   [`clkhash::ClkhashEncoder`] reproduces clkhash's schema-driven CLKs.
//!
//! No type here prints a key or a clear identifier through `Debug`.
//!
//! # Example
//!
//! ```
//! use rnc_pseudonym::{Domain, Key, Pseudonymiser, dice_coefficient, normalise_name};
//!
//! let key = Key::from_bytes([42; 32]);
//! let pseudonymiser = Pseudonymiser::new(&key);
//!
//! let a = normalise_name("Lefèvre");
//! let b = normalise_name("LEFEVRE");
//! assert_eq!(a, "LEFEVRE");
//! assert_eq!(
//!     pseudonymiser.pseudonym(Domain::Name, &a),
//!     pseudonymiser.pseudonym(Domain::Name, &b),
//! );
//!
//! let smith = pseudonymiser.bloom(Domain::Name, "SMITH");
//! let smyth = pseudonymiser.bloom(Domain::Name, "SMYTH");
//! let similarity = dice_coefficient(&smith, &smyth);
//! assert!(similarity > 0.5 && similarity < 1.0);
//! ```

#![deny(missing_docs)]

pub mod attack;
mod bloom;
mod clk;
pub mod clkhash;
mod error;
mod key;
mod normalise;
pub mod provider;
mod pseudonymiser;
mod rekey;

pub use bloom::{
    BLOOM_BITS, BLOOM_BYTES, BLOOM_CONSTRUCTION, BLOOM_HASHES, dice_coefficient,
};
pub use clk::{ClkEncoder, ClkIdentity, ClkSettings};
pub use error::{Error, ErrorKind};
pub use key::{KEY_BYTES, Key};
pub use normalise::normalise_name;
pub use pseudonymiser::{
    ClearIdentity, Domain, NameSalts, Pseudonymiser, name_salt, name_salts,
};
pub use rekey::{RegistryLayer, rotate_record};
