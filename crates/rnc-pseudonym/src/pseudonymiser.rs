//! Keyed pseudonyms of identifiers and their placement in source records.

use std::fmt;

use hmac::{Hmac, Mac};
use rnc_model::nir::check_nir;
use rnc_model::{NirStatus, PartialDate, SaltedNames, Sex, SourceRecord};
use sha2::Sha256;
use zeroize::{Zeroize, Zeroizing};

use crate::bloom::BigramKey;
use crate::normalise::exact_form;
use crate::{Key, RegistryLayer, normalise_name};

pub(crate) type HmacSha256 = Hmac<Sha256>;

/// The kind of value a pseudonym is made from. Each domain has its own
/// sub-key, so equal text in two domains (a day `05` and a first name)
/// never gives equal pseudonyms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Domain {
    /// The normalised 15-character NIR.
    Nir,
    /// A complete birth date, `YYYY-MM-DD`.
    BirthDate,
    /// A birth date with one of its parts masked: `YYYY-MM-**`,
    /// `YYYY-**-DD` or `****-MM-DD`. Two dates that differ in one part
    /// share one of these.
    BirthDateParts,
    /// The FOIN-style triplet `NIR|YYYY-MM-DD|sex`, with the normalised
    /// NIR and the sex code 1 or 2.
    NirBirthDateSex,
    /// A surname, birth or usage. Both share one sub-key because a married
    /// name is often written in the birth-name column, and the two must
    /// then still match.
    Name,
    /// A first name.
    FirstName,
    /// A salt of the name encodings ([`name_salts`]): `YYYY|NN` for a
    /// birth year and month or a birth year and day, `YYYY` for a year
    /// alone, empty for no birth date. Month and day share the form, so
    /// the month salt of a date equals the day salt of its transposition.
    NameSalt,
}

/// Number of distinct sub-keys, one per domain.
pub(crate) const SUB_KEYS: usize = 7;

impl Domain {
    /// The domain's name, as used in column names and messages.
    pub fn name(self) -> &'static str {
        match self {
            Domain::Nir => "nir",
            Domain::BirthDate => "birth_date",
            Domain::BirthDateParts => "birth_date_parts",
            Domain::NirBirthDateSex => "nir_birth_date_sex",
            Domain::Name => "name",
            Domain::FirstName => "first_name",
            Domain::NameSalt => "name_salt",
        }
    }

    /// Index of the domain's sub-key, and the label it is derived from.
    pub(crate) fn sub_key(self) -> (usize, &'static str) {
        match self {
            Domain::Nir => (0, "nir"),
            Domain::BirthDate => (1, "birth_date"),
            Domain::BirthDateParts => (2, "birth_date_parts"),
            Domain::NirBirthDateSex => (3, "nir_birth_date_sex"),
            Domain::Name => (4, "name"),
            Domain::FirstName => (5, "first_name"),
            Domain::NameSalt => (6, "name_salt"),
        }
    }

    pub(crate) const ALL_SUB_KEYS: [Domain; SUB_KEYS] = [
        Domain::Nir,
        Domain::BirthDate,
        Domain::BirthDateParts,
        Domain::NirBirthDateSex,
        Domain::Name,
        Domain::FirstName,
        Domain::NameSalt,
    ];
}

/// Computes keyed pseudonyms and Bloom filters from one [`Key`]: the
/// inner layer, which providers compute with the provider key and the
/// registry then seals with its own ([`crate::RegistryLayer`]).
///
/// For each domain it derives a sub-key, HMAC-SHA-256 of the key over
/// `"rnc/<domain>"`, and a separate Bloom-filter sub-key over
/// `"rnc/bloom/<domain>"`. The separate Bloom sub-key keeps the hash of a
/// two-letter name apart from the hash of the same two letters as a
/// bigram. The type is `Send + Sync` and cheap to share between threads.
#[derive(Clone)]
pub struct Pseudonymiser {
    exact: [HmacSha256; SUB_KEYS],
    bloom: [HmacSha256; SUB_KEYS],
    fingerprint: String,
}

impl Pseudonymiser {
    /// Derives the sub-keys of every domain from `key`.
    pub fn new(key: &Key) -> Pseudonymiser {
        let derive = |prefix: &str| {
            Domain::ALL_SUB_KEYS.map(|domain| {
                let label = format!("{prefix}{}", domain.sub_key().1);
                keyed_hmac(key, &label)
            })
        };
        Pseudonymiser {
            exact: derive("rnc/"),
            bloom: derive("rnc/bloom/"),
            fingerprint: key.fingerprint(),
        }
    }

    /// Returns the keyed pseudonym of `normalised`: lowercase hexadecimal
    /// HMAC-SHA-256 under the domain's sub-key.
    ///
    /// In [`Domain::Name`] and [`Domain::FirstName`] the spaces are
    /// removed before hashing, so `DE LA FONTAINE` and `DELAFONTAINE`
    /// agree. The caller normalises the text first ([`normalise_name`],
    /// [`check_nir`]).
    pub fn pseudonym(&self, domain: Domain, normalised: &str) -> String {
        self.store(
            Stored::Inner,
            domain,
            &self.digest(domain, None, normalised),
        )
    }

    /// Returns the HMAC-SHA-256 of `normalised` under the domain's sub-key,
    /// after `salt` and a 0x1F separator when there is a salt.
    fn digest(
        &self,
        domain: Domain,
        salt: Option<&str>,
        normalised: &str,
    ) -> [u8; 32] {
        let mut mac = self.exact[domain.sub_key().0].clone();
        if let Some(salt) = salt {
            mac.update(salt.as_bytes());
            mac.update(&[0x1F]);
        }
        finish_pseudonym(mac, domain, normalised)
    }

    /// Returns a digest in its stored form: hexadecimal, sealed first when
    /// `stored` names a registry layer.
    fn store(
        &self,
        stored: Stored<'_>,
        domain: Domain,
        digest: &[u8; 32],
    ) -> String {
        match stored {
            Stored::Inner => lower_hex(digest),
            Stored::Sealed(layer) => layer.seal_digest(domain, digest),
        }
    }

    /// Returns the keyed Bloom filter of a normalised name's padded
    /// bigrams, [`crate::BLOOM_BYTES`] bytes long.
    pub fn bloom(&self, domain: Domain, normalised_name: &str) -> Vec<u8> {
        self.bigram_key(domain, None).encode(normalised_name, None)
    }

    /// Returns the key of the Bloom-filter bit positions of `domain`
    /// under `salt`.
    fn bigram_key(&self, domain: Domain, salt: Option<&str>) -> BigramKey {
        BigramKey::new(&self.bloom[domain.sub_key().0], salt)
    }

    /// Returns the keyed pseudonym of `normalised` as
    /// [`Pseudonymiser::pseudonym`] does, with `salt` and a 0x1F separator
    /// hashed first, so that equal text under different salts gives
    /// unrelated pseudonyms.
    pub fn pseudonym_salted(
        &self,
        domain: Domain,
        normalised: &str,
        salt: &str,
    ) -> String {
        let digest = self.digest(domain, Some(salt), normalised);
        self.store(Stored::Inner, domain, &digest)
    }

    /// Returns the keyed Bloom filter of a normalised name's padded
    /// bigrams with every bigram hashed together with `salt`, so that
    /// equal names under different salts give unrelated filters.
    ///
    /// [`Pseudonymiser::apply`] stores each name under the two salts of
    /// [`name_salts`]. A frequency attack then works on the counts of
    /// (name, birth year and month) or (name, birth year and day), most of
    /// them 1, rather than on those of the name. The cost is that two
    /// records of one person that share neither salt get unrelated name
    /// pseudonyms and filters.
    pub fn bloom_salted(
        &self,
        domain: Domain,
        normalised_name: &str,
        salt: &str,
    ) -> Vec<u8> {
        self.bloom_stored(Stored::Inner, domain, normalised_name, salt)
    }

    /// Encodes a name as [`Pseudonymiser::bloom_salted`] does, with each
    /// bit moved by the registry layer's permutation when `stored` names
    /// one.
    fn bloom_stored(
        &self,
        stored: Stored<'_>,
        domain: Domain,
        normalised_name: &str,
        salt: &str,
    ) -> Vec<u8> {
        self.bigram_key(domain, Some(salt))
            .encode(normalised_name, permutation(stored, domain))
    }

    /// The fingerprint of the key, as [`Key::fingerprint`] gives it.
    pub fn key_fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// Fills the identifying fields of `record` from `identity`: the NIR
    /// status and pseudonym, the birth-date pseudonyms, the pseudonym of
    /// the NIR, birth date and sex together, and the name pseudonyms and
    /// Bloom filters under each salt of [`name_salts`] with the salt's
    /// pseudonym.
    ///
    /// Every field it owns is overwritten, with `None` where the identity
    /// lacks the value. A NIR is pseudonymised only when it is valid or
    /// provisional; an invalid NIR sets the status and nothing else. A
    /// name that is empty after normalisation counts as missing. The sex
    /// is read from `record.sex`, which the caller sets first.
    pub fn apply(&self, identity: &ClearIdentity, record: &mut SourceRecord) {
        self.apply_stored(Stored::Inner, identity, record);
    }

    /// Fills the identifying fields of `record` as [`Pseudonymiser::apply`]
    /// does, then seals them with `layer` as
    /// [`RegistryLayer::seal_record`] does, in one pass. Each digest is
    /// sealed as bytes, and each Bloom-filter bit is set where the layer's
    /// permutation puts it. The record is the one the two steps give,
    /// byte for byte, which the `apply_sealed_matches_two_steps` test
    /// checks.
    pub fn apply_sealed(
        &self,
        identity: &ClearIdentity,
        layer: &RegistryLayer,
        record: &mut SourceRecord,
    ) {
        self.apply_stored(Stored::Sealed(layer), identity, record);
    }

    fn apply_stored(
        &self,
        stored: Stored<'_>,
        identity: &ClearIdentity,
        record: &mut SourceRecord,
    ) {
        self.apply_nir(stored, identity.nir.as_deref(), record);
        self.apply_birth_date(stored, identity.birth_date.as_ref(), record);
        self.apply_triplet(stored, identity, record);

        // Each name is normalised once for both salts. `Zeroizing` zeroes
        // the normalised text when it is dropped.
        let normalised = |name: &Option<String>| {
            let text = Zeroizing::new(normalise_name(name.as_deref()?));
            (!text.is_empty()).then_some(text)
        };
        let names = [
            (Domain::Name, normalised(&identity.birth_name)),
            (Domain::Name, normalised(&identity.usage_name)),
            (Domain::FirstName, normalised(&identity.first_name)),
        ];
        let salts = name_salts(identity.birth_date.as_ref());
        record.month_salted_names =
            self.salted_names(stored, &names, Some(&salts.month)).into();
        record.day_salted_names = self
            .salted_names(stored, &names, salts.day.as_deref())
            .into();
    }

    /// Encodes the normalised birth, usage and first names under `salt`,
    /// or returns no encoding when there is no salt.
    fn salted_names(
        &self,
        stored: Stored<'_>,
        names: &[(Domain, Option<Zeroizing<String>>); 3],
        salt: Option<&str>,
    ) -> SaltedNames {
        let Some(salt) = salt else {
            return SaltedNames::default();
        };
        // The birth and usage names share a domain, so one key of bit
        // positions serves both.
        let mut keys: [Option<BigramKey>; 2] = [None, None];
        let [birth_name, usage_name, first_name] =
            names.each_ref().map(|(domain, name)| {
                let Some(name) = name else {
                    return (None, None);
                };
                let slot = usize::from(*domain == Domain::FirstName);
                let key = keys[slot].get_or_insert_with(|| {
                    self.bigram_key(*domain, Some(salt))
                });
                self.encode_name(stored, *domain, name, salt, key)
            });
        let (birth_name_pseudonym, birth_name_bloom) = birth_name;
        let (usage_name_pseudonym, usage_name_bloom) = usage_name;
        let (first_name_pseudonym, first_name_bloom) = first_name;
        let salt_digest = self.digest(Domain::NameSalt, None, salt);
        SaltedNames {
            salt_pseudonym: Some(self.store(
                stored,
                Domain::NameSalt,
                &salt_digest,
            )),
            birth_name_pseudonym,
            usage_name_pseudonym,
            first_name_pseudonym,
            birth_name_bloom,
            usage_name_bloom,
            first_name_bloom,
        }
    }

    fn apply_nir(
        &self,
        stored: Stored<'_>,
        nir: Option<&str>,
        record: &mut SourceRecord,
    ) {
        let mut check = check_nir(nir.unwrap_or(""));
        record.nir_status = Some(check.status);
        record.nir_pseudonym = match (check.status, check.normalised.take()) {
            (
                NirStatus::Valid | NirStatus::Provisional,
                Some(mut normalised),
            ) => {
                let digest = self.digest(Domain::Nir, None, &normalised);
                normalised.zeroize();
                Some(self.store(stored, Domain::Nir, &digest))
            }
            (_, Some(mut normalised)) => {
                normalised.zeroize();
                None
            }
            _ => None,
        };
    }

    /// Sets the pseudonym of the NIR, birth date and sex together when
    /// the NIR is valid or provisional, the date complete and the sex
    /// male or female.
    fn apply_triplet(
        &self,
        stored: Stored<'_>,
        identity: &ClearIdentity,
        record: &mut SourceRecord,
    ) {
        record.nir_birth_date_sex_pseudonym = None;
        let sex = match record.sex {
            Some(Sex::Male) => '1',
            Some(Sex::Female) => '2',
            _ => return,
        };
        let Some(date) = identity.birth_date.and_then(|d| d.complete()) else {
            return;
        };
        let mut check = check_nir(identity.nir.as_deref().unwrap_or(""));
        let usable =
            matches!(check.status, NirStatus::Valid | NirStatus::Provisional);
        if let Some(mut normalised) = check.normalised.take() {
            if usable {
                let domain = Domain::NirBirthDateSex;
                let mut text = format!("{normalised}|{date}|{sex}");
                let digest = self.digest(domain, None, &text);
                text.zeroize();
                record.nir_birth_date_sex_pseudonym =
                    Some(self.store(stored, domain, &digest));
            }
            normalised.zeroize();
        }
    }

    fn apply_birth_date(
        &self,
        stored: Stored<'_>,
        birth_date: Option<&PartialDate>,
        record: &mut SourceRecord,
    ) {
        record.birth_date_pseudonym = None;
        record.birth_date_swapped_pseudonym = None;
        record.birth_date_next_year_pseudonym = None;
        record.birth_year_month_pseudonym = None;
        record.birth_year_day_pseudonym = None;
        record.birth_month_day_pseudonym = None;
        let Some(date) = birth_date else {
            return;
        };

        let year = date.year();
        let pseudonym = |domain: Domain, text: &str| {
            Some(self.store(stored, domain, &self.digest(domain, None, text)))
        };
        let parts = |text: String| pseudonym(Domain::BirthDateParts, &text);
        if let Some(month) = date.month() {
            record.birth_year_month_pseudonym =
                parts(format!("{year:04}-{month:02}-**"));
        }
        if let Some(day) = date.day() {
            record.birth_year_day_pseudonym =
                parts(format!("{year:04}-**-{day:02}"));
        }
        if let (Some(month), Some(day)) = (date.month(), date.day()) {
            record.birth_month_day_pseudonym =
                parts(format!("****-{month:02}-{day:02}"));
        }

        if let (Some(month), Some(day)) = (date.month(), date.day()) {
            let text = format!("{year:04}-{month:02}-{day:02}");
            record.birth_date_pseudonym = pseudonym(Domain::BirthDate, &text);
            // The text of the date a year later, in the same domain, so
            // that a year off by one is found by equality. It need not be
            // a calendar date (29 February), as only equal texts match.
            let next_year = format!("{:04}-{month:02}-{day:02}", year + 1);
            record.birth_date_next_year_pseudonym =
                pseudonym(Domain::BirthDate, &next_year);
            // Swapping gives a real date only when the day could be a
            // month, and a different date only when the two differ.
            if day <= 12 && day != month {
                let swapped = format!("{year:04}-{day:02}-{month:02}");
                record.birth_date_swapped_pseudonym =
                    pseudonym(Domain::BirthDate, &swapped);
            }
        }
    }

    /// Returns the pseudonym and Bloom filter of a normalised, non-empty
    /// name under `salt`, whose bit positions `key` gives.
    fn encode_name(
        &self,
        stored: Stored<'_>,
        domain: Domain,
        normalised: &str,
        salt: &str,
        key: &BigramKey,
    ) -> (Option<String>, Option<Vec<u8>>) {
        let digest = self.digest(domain, Some(salt), normalised);
        let bloom = key.encode(normalised, permutation(stored, domain));
        (Some(self.store(stored, domain, &digest)), Some(bloom))
    }
}

impl fmt::Debug for Pseudonymiser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pseudonymiser")
            .field("key_fingerprint", &self.fingerprint)
            .finish_non_exhaustive()
    }
}

/// Hashes the text of a pseudonym into `mac` and returns the digest.
/// Names are hashed without their spaces.
fn finish_pseudonym(
    mut mac: HmacSha256,
    domain: Domain,
    normalised: &str,
) -> [u8; 32] {
    if matches!(domain, Domain::Name | Domain::FirstName) {
        let mut compact = exact_form(normalised);
        mac.update(compact.as_bytes());
        compact.zeroize();
    } else {
        mac.update(normalised.as_bytes());
    }
    mac.finalize().into_bytes().into()
}

/// The form in which [`Pseudonymiser`] stores what it computes.
#[derive(Clone, Copy)]
enum Stored<'a> {
    /// The inner layer, as a provider stores it.
    Inner,
    /// Sealed with the registry key's layer.
    Sealed(&'a RegistryLayer),
}

/// Returns the registry layer's permutation of the Bloom-filter bits of
/// `domain` when `stored` names a layer.
fn permutation(stored: Stored<'_>, domain: Domain) -> Option<&[u16]> {
    match stored {
        Stored::Inner => None,
        Stored::Sealed(layer) => Some(layer.bloom_permutation(domain)),
    }
}

/// Writes a 32-byte digest as 64 lowercase hex digits.
fn lower_hex(digest: &[u8]) -> String {
    crate::rekey::lower_hex(digest)
}

/// The two salts of a record's stored name pseudonyms and Bloom filters,
/// texts of the [`Domain::NameSalt`] domain.
#[derive(Clone, PartialEq, Eq)]
pub struct NameSalts {
    /// `YYYY|MM`, the birth year and month; `YYYY` when the month is
    /// unknown; empty when the birth date is missing. A record with a year
    /// alone or no date therefore compares names only with records in the
    /// same case.
    pub month: String,
    /// `YYYY|DD`, the birth year and day, when the day is known.
    pub day: Option<String>,
}

impl fmt::Debug for NameSalts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The salts are parts of a birth date.
        f.debug_struct("NameSalts")
            .field("day", &self.day.is_some())
            .finish_non_exhaustive()
    }
}

/// Returns the salts of a record's stored name encodings ([`NameSalts`]).
///
/// Two records of one person share a salt when their birth dates differ
/// only in the day (the month salt) or only in the month (the day salt).
/// They also share one after a day-month transposition, because the month
/// salt of one is the day salt of the other (both are `YYYY|NN`). Dates
/// whose years differ, or that differ in both day and month, share none,
/// and neither does a complete date with a year-only one.
///
/// The sex was tried as a salt and left out, because first names
/// already follow the sex and a record of unknown sex would then lose its
/// name evidence.
pub fn name_salts(birth_date: Option<&PartialDate>) -> NameSalts {
    let Some(date) = birth_date else {
        return NameSalts {
            month: String::new(),
            day: None,
        };
    };
    let year = date.year();
    NameSalts {
        month: match date.month() {
            Some(month) => format!("{year:04}|{month:02}"),
            None => format!("{year:04}"),
        },
        day: date.day().map(|day| format!("{year:04}|{day:02}")),
    }
}

/// Returns the birth-year salt that the name encodings had before they
/// were stored under the two salts of [`name_salts`]: the year as four
/// digits, or an empty text when the birth date is missing.
///
/// The frequency-attack example still uses it, to compare the two salts
/// with it.
pub fn name_salt(birth_date: Option<&PartialDate>) -> String {
    birth_date
        .map(|date| format!("{:04}", date.year()))
        .unwrap_or_default()
}

/// Derives the sub-key HMAC-SHA-256(key, label).
pub(crate) fn derive_sub_key(key: &Key, label: &str) -> Zeroizing<[u8; 32]> {
    let mut derivation = HmacSha256::new_from_slice(key.bytes())
        .expect("HMAC accepts a key of any length");
    derivation.update(label.as_bytes());
    Zeroizing::new(derivation.finalize().into_bytes().into())
}

/// Derives the sub-key HMAC-SHA-256(key, label) and returns an HMAC keyed
/// with it.
pub(crate) fn keyed_hmac(key: &Key, label: &str) -> HmacSha256 {
    let sub_key = derive_sub_key(key, label);
    HmacSha256::new_from_slice(sub_key.as_slice())
        .expect("HMAC accepts a key of any length")
}

/// The clear identifiers of one source row, held only while the row is
/// pseudonymised.
///
/// `Debug` shows which fields are present, never their values. Call
/// [`ClearIdentity::wipe`] when done to zero the strings.
#[derive(Clone, Default)]
pub struct ClearIdentity {
    /// The NIR as written in the source.
    pub nir: Option<String>,
    /// Birth surname as written in the source.
    pub birth_name: Option<String>,
    /// Usage (married) name as written in the source.
    pub usage_name: Option<String>,
    /// First name as written in the source.
    pub first_name: Option<String>,
    /// Birth date, possibly partial.
    pub birth_date: Option<PartialDate>,
}

impl fmt::Debug for ClearIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let presence =
            |present: bool| if present { "present" } else { "absent" };
        f.debug_struct("ClearIdentity")
            .field("nir", &presence(self.nir.is_some()))
            .field("birth_name", &presence(self.birth_name.is_some()))
            .field("usage_name", &presence(self.usage_name.is_some()))
            .field("first_name", &presence(self.first_name.is_some()))
            .field("birth_date", &presence(self.birth_date.is_some()))
            .finish()
    }
}

impl ClearIdentity {
    /// Overwrites the identifier strings with zeros and removes every
    /// value, so that they do not linger in freed memory.
    ///
    /// Not done on drop, because a `Drop` implementation would forbid
    /// building a value with `..Default::default()`.
    pub fn wipe(&mut self) {
        for text in [
            &mut self.nir,
            &mut self.birth_name,
            &mut self.usage_name,
            &mut self.first_name,
        ] {
            if let Some(text) = text.as_mut() {
                text.zeroize();
            }
            *text = None;
        }
        self.birth_date = None;
    }
}
