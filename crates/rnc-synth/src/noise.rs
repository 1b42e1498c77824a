//! Noise settings per feed: which errors of real feeds each record may
//! carry, and how often.
//!
//! Defaults are estimates chosen to resemble what French registries report
//! about their sources, not measured figures. Every share can be changed
//! from a TOML file with one table per feed, for example
//!
//! ```toml
//! [hospital_stay]
//! nir_missing = 0.05
//! duplicate_same_file = 0.01
//! ```
//!
//! where a table or a key left out keeps its default. The truth file
//! `truth/records.csv` names the noise each record got, and the settings
//! used are written to `truth/noise.toml`.

use std::fmt::Write as _;

use crate::feeds::Feed;

/// One kind of noise a record may carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum NoiseKind {
    /// NIR left empty.
    NirMissing,
    /// One digit of the NIR changed, so that its key no longer matches
    /// (share of the records with a NIR).
    NirBadKey,
    /// The valid NIR of another person born the same month in the same
    /// département (share of the records with a NIR).
    NirOtherPerson,
    /// A woman's usage (married) name written as her birth name, usage
    /// name empty (share of the records of women with a usage name).
    UsageNameAsBirthName,
    /// One typo in the birth name (70 %) or the first name.
    NameTypo,
    /// First name and birth name swapped.
    NameSwap,
    /// First name left empty.
    FirstNameMissing,
    /// Birth day and month swapped. It is recorded only when the swapped
    /// date exists and differs (birth day 1 to 12, day and month
    /// different).
    DayMonthSwap,
    /// Birth day written as `99` (unknown).
    BirthDayUnknown,
    /// Département of residence left empty.
    DepartementMissing,
    /// The same record sent twice in the same file.
    DuplicateSameFile,
    /// The same record sent again in the file of the next period.
    DuplicateLaterFile,
    /// A record of year N sent in the file of year N + 1.
    Late,
    /// Morphology coded as unspecified: 8010 (carcinoma, NOS) for a
    /// carcinoma, 8000 (neoplasm, malignant) otherwise.
    UnspecifiedMorphology,
    /// ICD-10 code cut to its three-character category (C50.4 to C50);
    /// recorded only when the code has a fourth character.
    ThreeCharacterIcd10,
}

impl NoiseKind {
    /// Every kind, in the order of the settings and of the check.
    pub const ALL: [NoiseKind; 15] = [
        NoiseKind::NirMissing,
        NoiseKind::NirBadKey,
        NoiseKind::NirOtherPerson,
        NoiseKind::UsageNameAsBirthName,
        NoiseKind::NameTypo,
        NoiseKind::NameSwap,
        NoiseKind::FirstNameMissing,
        NoiseKind::DayMonthSwap,
        NoiseKind::BirthDayUnknown,
        NoiseKind::DepartementMissing,
        NoiseKind::DuplicateSameFile,
        NoiseKind::DuplicateLaterFile,
        NoiseKind::Late,
        NoiseKind::UnspecifiedMorphology,
        NoiseKind::ThreeCharacterIcd10,
    ];

    /// Noise beyond the identifier errors: another person's NIR, name
    /// swap, duplicate and late submissions, and coding differences.
    pub const BEYOND_IDENTIFIERS: [NoiseKind; 7] = [
        NoiseKind::NirOtherPerson,
        NoiseKind::NameSwap,
        NoiseKind::DuplicateSameFile,
        NoiseKind::DuplicateLaterFile,
        NoiseKind::Late,
        NoiseKind::UnspecifiedMorphology,
        NoiseKind::ThreeCharacterIcd10,
    ];

    /// Name in the TOML settings and in `truth/records.csv`.
    pub fn name(self) -> &'static str {
        match self {
            NoiseKind::NirMissing => "nir_missing",
            NoiseKind::NirBadKey => "nir_bad_key",
            NoiseKind::NirOtherPerson => "nir_other_person",
            NoiseKind::UsageNameAsBirthName => "usage_name_as_birth_name",
            NoiseKind::NameTypo => "name_typo",
            NoiseKind::NameSwap => "name_swap",
            NoiseKind::FirstNameMissing => "first_name_missing",
            NoiseKind::DayMonthSwap => "day_month_swap",
            NoiseKind::BirthDayUnknown => "birth_day_unknown",
            NoiseKind::DepartementMissing => "departement_missing",
            NoiseKind::DuplicateSameFile => "duplicate_same_file",
            NoiseKind::DuplicateLaterFile => "duplicate_later_file",
            NoiseKind::Late => "late",
            NoiseKind::UnspecifiedMorphology => "unspecified_morphology",
            NoiseKind::ThreeCharacterIcd10 => "three_character_icd10",
        }
    }

    pub(crate) fn index(self) -> usize {
        NoiseKind::ALL
            .iter()
            .position(|k| *k == self)
            .expect("every kind is listed")
    }

    /// Returns whether records of `feed` can carry this noise: name noise
    /// needs names, coding noise needs the code system it changes.
    pub fn applies_to(self, feed: Feed) -> bool {
        let named = feed != Feed::LongTermIllness;
        match self {
            NoiseKind::UsageNameAsBirthName
            | NoiseKind::NameTypo
            | NoiseKind::NameSwap
            | NoiseKind::FirstNameMissing => named,
            NoiseKind::UnspecifiedMorphology => {
                matches!(feed, Feed::RegistryExtract | Feed::PathologyReport)
            }
            NoiseKind::ThreeCharacterIcd10 => {
                matches!(feed, Feed::LongTermIllness | Feed::DeathRecord)
            }
            _ => true,
        }
    }
}

/// Noise shares of one feed, each a probability per record.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedNoise {
    shares: [f64; NoiseKind::ALL.len()],
}

impl FeedNoise {
    /// Share of `kind`.
    pub fn share(&self, kind: NoiseKind) -> f64 {
        self.shares[kind.index()]
    }

    /// Sets the share of `kind`.
    pub fn set(&mut self, kind: NoiseKind, share: f64) {
        self.shares[kind.index()] = share;
    }

    /// Default shares of `feed` (estimates).
    ///
    /// NIRs are most often missing from pathology reports (40 %: many
    /// laboratories do not receive it) and least often from long-term
    /// illness declarations (0.5 %), which the health insurance keys on
    /// the NIR. Hospital stays are the feed most often sent twice or
    /// late, because PMSI files are corrected and resubmitted during the
    /// year. Pathology reports code an unspecified morphology most often.
    pub fn default_for(feed: Feed) -> FeedNoise {
        let mut noise = FeedNoise {
            shares: [0.0; NoiseKind::ALL.len()],
        };
        let nir_missing = match feed {
            Feed::HospitalStay => 0.03,
            Feed::PathologyReport => 0.40,
            Feed::RegistryExtract => 0.15,
            Feed::DeathRecord => 0.05,
            Feed::LongTermIllness => 0.005,
            Feed::Screening => 0.10,
            Feed::Treatment => 0.03,
        };
        // Only pathology reports may leave it out, because ingestion
        // requires it in the other feeds.
        let departement_missing = match feed {
            Feed::PathologyReport => 0.15,
            _ => 0.0,
        };
        let (same_file, later_file, late) = match feed {
            Feed::HospitalStay => (0.005, 0.005, 0.03),
            Feed::PathologyReport => (0.003, 0.002, 0.05),
            Feed::DeathRecord => (0.0, 0.001, 0.02),
            Feed::LongTermIllness => (0.0, 0.002, 0.02),
            Feed::Screening => (0.002, 0.0, 0.01),
            Feed::Treatment => (0.003, 0.0, 0.02),
            Feed::RegistryExtract => (0.0, 0.0, 0.0),
        };
        let unspecified_morphology = match feed {
            Feed::PathologyReport => 0.03,
            Feed::RegistryExtract => 0.01,
            _ => 0.0,
        };
        let three_characters = match feed {
            Feed::LongTermIllness => 0.2,
            Feed::DeathRecord => 0.1,
            _ => 0.0,
        };
        for (kind, share) in [
            (NoiseKind::NirMissing, nir_missing),
            (NoiseKind::NirBadKey, 0.01),
            (NoiseKind::NirOtherPerson, 0.002),
            (NoiseKind::UsageNameAsBirthName, 0.3),
            (NoiseKind::NameTypo, 0.03),
            (NoiseKind::NameSwap, 0.005),
            (NoiseKind::FirstNameMissing, 0.01),
            (NoiseKind::DayMonthSwap, 0.01),
            (NoiseKind::BirthDayUnknown, 0.005),
            (NoiseKind::DepartementMissing, departement_missing),
            (NoiseKind::DuplicateSameFile, same_file),
            (NoiseKind::DuplicateLaterFile, later_file),
            (NoiseKind::Late, late),
            (NoiseKind::UnspecifiedMorphology, unspecified_morphology),
            (NoiseKind::ThreeCharacterIcd10, three_characters),
        ] {
            if kind.applies_to(feed) {
                noise.set(kind, share);
            }
        }
        noise
    }
}

/// Noise shares of every feed.
#[derive(Debug, Clone, PartialEq)]
pub struct NoiseConfig {
    feeds: Vec<FeedNoise>,
}

impl Default for NoiseConfig {
    /// [`FeedNoise::default_for`] every feed.
    fn default() -> NoiseConfig {
        NoiseConfig {
            feeds: Feed::ALL
                .iter()
                .map(|f| FeedNoise::default_for(*f))
                .collect(),
        }
    }
}

/// An invalid noise settings file.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("invalid noise settings: {0}")]
pub struct NoiseConfigError(String);

impl NoiseConfig {
    /// No noise at all: every record as the source should have sent it.
    pub fn none() -> NoiseConfig {
        NoiseConfig {
            feeds: Feed::ALL
                .iter()
                .map(|_| FeedNoise {
                    shares: [0.0; NoiseKind::ALL.len()],
                })
                .collect(),
        }
    }

    /// Returns these settings with `kinds` set to 0 in every feed.
    pub fn without(mut self, kinds: &[NoiseKind]) -> NoiseConfig {
        for feed in &mut self.feeds {
            for kind in kinds {
                feed.set(*kind, 0.0);
            }
        }
        self
    }

    /// Noise of `feed`.
    pub fn feed(&self, feed: Feed) -> &FeedNoise {
        &self.feeds[feed.index()]
    }

    /// Mutable noise of `feed`.
    pub fn feed_mut(&mut self, feed: Feed) -> &mut FeedNoise {
        &mut self.feeds[feed.index()]
    }

    /// Reads settings from TOML text: one table per feed name
    /// (`hospital_stay`, …) with noise names as keys and shares from 0 to
    /// 1 as values. Tables and keys left out keep their defaults.
    ///
    /// # Errors
    ///
    /// [`NoiseConfigError`] for text that is not TOML, an unknown feed or
    /// noise name, a noise that does not apply to the feed, or a share
    /// that is not a number from 0 to 1.
    pub fn from_toml(text: &str) -> Result<NoiseConfig, NoiseConfigError> {
        let table: toml::Table = text
            .parse()
            .map_err(|e: toml::de::Error| NoiseConfigError(e.to_string()))?;
        let mut config = NoiseConfig::default();
        for (feed_name, value) in &table {
            let feed = Feed::ALL
                .iter()
                .copied()
                .find(|f| f.name() == feed_name)
                .ok_or_else(|| {
                    NoiseConfigError(format!(
                        "table [{feed_name}] is not a feed (expected one of {})",
                        feed_names()
                    ))
                })?;
            let entries = value.as_table().ok_or_else(|| {
                NoiseConfigError(format!("{feed_name} must be a table"))
            })?;
            for (key, share) in entries {
                let kind = NoiseKind::ALL
                    .iter()
                    .copied()
                    .find(|k| k.name() == key)
                    .ok_or_else(|| {
                        NoiseConfigError(format!(
                            "[{feed_name}] {key} is not a noise name (expected one of {})",
                            noise_names()
                        ))
                    })?;
                let share = share
                    .as_float()
                    .or_else(|| share.as_integer().map(|i| i as f64))
                    .filter(|s| (0.0..=1.0).contains(s))
                    .ok_or_else(|| {
                        NoiseConfigError(format!(
                            "[{feed_name}] {key} = {share} is not a share from 0 to 1"
                        ))
                    })?;
                if !kind.applies_to(feed) && share > 0.0 {
                    return Err(NoiseConfigError(format!(
                        "[{feed_name}] {key} does not apply to this feed (set it to 0 or remove it)"
                    )));
                }
                config.feed_mut(feed).set(kind, share);
            }
        }
        Ok(config)
    }

    /// Writes the settings as TOML that [`NoiseConfig::from_toml`] reads
    /// back unchanged.
    pub fn to_toml(&self) -> String {
        let mut text = String::new();
        for feed in Feed::ALL {
            let _ = writeln!(text, "[{}]", feed.name());
            for kind in NoiseKind::ALL {
                if kind.applies_to(feed) {
                    let _ = writeln!(
                        text,
                        "{} = {:?}",
                        kind.name(),
                        self.feed(feed).share(kind)
                    );
                }
            }
            text.push('\n');
        }
        text
    }
}

fn feed_names() -> String {
    Feed::ALL.map(Feed::name).join(", ")
}

fn noise_names() -> String {
    NoiseKind::ALL.map(NoiseKind::name).join(", ")
}

/// Noise applied to one record, as a set of [`NoiseKind`] bits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Applied(u32);

impl Applied {
    pub(crate) fn add(&mut self, kind: NoiseKind) {
        self.0 |= 1 << kind.index();
    }

    pub(crate) fn remove(&mut self, kind: NoiseKind) {
        self.0 &= !(1 << kind.index());
    }

    pub(crate) fn contains(self, kind: NoiseKind) -> bool {
        self.0 & (1 << kind.index()) != 0
    }

    /// Names of the noise applied, joined by `|`, as in
    /// `truth/records.csv`.
    pub(crate) fn label(self) -> String {
        NoiseKind::ALL
            .iter()
            .filter(|k| self.contains(**k))
            .map(|k| k.name())
            .collect::<Vec<_>>()
            .join("|")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_round_trip() {
        let mut config = NoiseConfig::default();
        config
            .feed_mut(Feed::HospitalStay)
            .set(NoiseKind::Late, 0.125);
        let text = config.to_toml();
        assert_eq!(NoiseConfig::from_toml(&text).unwrap(), config);
    }

    #[test]
    fn partial_table_keeps_defaults() {
        let config =
            NoiseConfig::from_toml("[hospital_stay]\nnir_missing = 0.2\n")
                .unwrap();
        let stays = config.feed(Feed::HospitalStay);
        assert_eq!(stays.share(NoiseKind::NirMissing), 0.2);
        let defaults = FeedNoise::default_for(Feed::HospitalStay);
        assert_eq!(
            stays.share(NoiseKind::NameTypo),
            defaults.share(NoiseKind::NameTypo)
        );
        assert_eq!(
            config.feed(Feed::PathologyReport),
            &FeedNoise::default_for(Feed::PathologyReport)
        );
    }

    #[test]
    fn invalid_settings_rejected() {
        for (text, expected) in [
            ("[hospital]\nlate = 0.1\n", "is not a feed"),
            ("[hospital_stay]\nlateness = 0.1\n", "is not a noise name"),
            ("[hospital_stay]\nlate = 1.5\n", "is not a share"),
            ("[hospital_stay]\nlate = \"high\"\n", "is not a share"),
            ("[long_term_illness]\nname_typo = 0.1\n", "does not apply"),
            ("hospital_stay = 3\n", "must be a table"),
        ] {
            let error = NoiseConfig::from_toml(text).unwrap_err();
            assert!(error.to_string().contains(expected), "{text}: {error}");
        }
    }
}
