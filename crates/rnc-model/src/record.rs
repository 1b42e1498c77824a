//! The pseudonymised source record: one row of one feed after ingestion.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::{
    BasisOfDiagnosis, Laterality, Morphology, PartialDate, ScreeningProgramme,
    ScreeningResult, ScreeningTest, Sex, Stage, Topography, TreatmentType,
};

/// The kind of source a feed comes from.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
)]
pub enum SourceKind {
    /// A regional (local) cancer registry's tumour extract.
    RegistryExtract,
    /// A hospital stay from the national discharge database (PMSI),
    /// diagnoses coded in ICD-10.
    HospitalStay,
    /// A pathology report, coded in ICD-O-3.
    PathologyReport,
    /// A death record (CépiDc) with the ICD-10 underlying cause.
    DeathRecord,
    /// A long-term illness declaration for a malignant tumour (ALD 30,
    /// Assurance Maladie), coded in ICD-10.
    LongTermIllness,
    /// A test of an organised screening programme and its result.
    Screening,
    /// A surgery, chemotherapy or radiotherapy act.
    Treatment,
    /// A cancer diagnosis from a hospital's clinical record, such as an
    /// mCODE primary cancer `Condition`, coded in ICD-O-3 or ICD-10. Its
    /// date is a clinician's date of diagnosis, which ranks below a
    /// histology date and a hospital admission for the incidence date.
    ClinicalRecord,
}

impl SourceKind {
    /// Every kind, in the order feeds are listed.
    pub const ALL: [SourceKind; 8] = [
        SourceKind::RegistryExtract,
        SourceKind::HospitalStay,
        SourceKind::PathologyReport,
        SourceKind::DeathRecord,
        SourceKind::LongTermIllness,
        SourceKind::Screening,
        SourceKind::Treatment,
        SourceKind::ClinicalRecord,
    ];

    /// The name used on the command line, in tables and in record ids.
    pub fn name(self) -> &'static str {
        match self {
            SourceKind::RegistryExtract => "registry_extract",
            SourceKind::HospitalStay => "hospital_stay",
            SourceKind::PathologyReport => "pathology_report",
            SourceKind::DeathRecord => "death_record",
            SourceKind::LongTermIllness => "long_term_illness",
            SourceKind::Screening => "screening",
            SourceKind::Treatment => "treatment",
            SourceKind::ClinicalRecord => "clinical_record",
        }
    }

    /// Returns the feed column of the record's own dated event, on which
    /// the age at event is counted.
    pub fn event_column(self) -> &'static str {
        match self {
            SourceKind::RegistryExtract => "incidence_date",
            SourceKind::ClinicalRecord => "diagnosis_date",
            SourceKind::HospitalStay => "admission_date",
            SourceKind::PathologyReport => "specimen_date",
            SourceKind::DeathRecord => "death_date",
            SourceKind::LongTermIllness | SourceKind::Treatment => "start_date",
            SourceKind::Screening => "test_date",
        }
    }

    /// Whether a record of this kind describes a tumour by itself. A
    /// long-term illness declaration, a screening test or a treatment act
    /// is evidence about a person's tumour, but never creates one. Such a
    /// record links to the person and may join the person's only tumour.
    pub fn describes_tumour(self) -> bool {
        !matches!(
            self,
            SourceKind::LongTermIllness
                | SourceKind::Screening
                | SourceKind::Treatment
        )
    }
}

impl fmt::Display for SourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for SourceKind {
    type Err = String;

    fn from_str(text: &str) -> Result<SourceKind, String> {
        SourceKind::ALL
            .into_iter()
            .find(|kind| kind.name() == text)
            .ok_or_else(|| {
                let names: Vec<&str> =
                    SourceKind::ALL.iter().map(|k| k.name()).collect();
                format!(
                    "unknown source kind '{text}' (expected one of: {})",
                    names.join(", ")
                )
            })
    }
}

/// What was found in a record's NIR field, without the NIR itself.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
)]
pub enum NirStatus {
    /// A well-formed NIR whose key matches; it carries linkage weight.
    Valid,
    /// A well-formed provisional number (sex digit 7 or 8).
    Provisional,
    /// Present but malformed or with a wrong key; carries no evidence.
    Invalid,
    /// Empty field.
    Missing,
}

impl NirStatus {
    /// The label used in tables.
    pub fn label(self) -> &'static str {
        match self {
            NirStatus::Valid => "valid",
            NirStatus::Provisional => "provisional",
            NirStatus::Invalid => "invalid",
            NirStatus::Missing => "missing",
        }
    }

    /// Reads back a label written by [`NirStatus::label`].
    pub fn from_label(label: &str) -> Option<NirStatus> {
        [
            NirStatus::Valid,
            NirStatus::Provisional,
            NirStatus::Invalid,
            NirStatus::Missing,
        ]
        .into_iter()
        .find(|s| s.label() == label)
    }
}

/// The name pseudonyms and Bloom filters of a record under one salt, and
/// the pseudonym of that salt.
///
/// A record stores its names twice: salted with its birth year and month
/// (text `YYYY|MM`) and with its birth year and day (`YYYY|DD`). Both
/// salts are texts of one form in one domain, so a month salt of one date
/// equals the day salt of its day-month transposition. Two records of one
/// person whose dates differ in the day, in the month, or by a
/// transposition still share a salt, and their salt pseudonyms show which.
/// Names under different salts are unrelated values, so the linker
/// compares names only under a salt the two records share.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SaltedNames {
    /// Keyed pseudonym of the salt text.
    pub salt_pseudonym: Option<String>,
    /// Keyed pseudonym of the normalised birth surname under the salt.
    pub birth_name_pseudonym: Option<String>,
    /// Keyed pseudonym of the normalised usage (married) name under the
    /// salt.
    pub usage_name_pseudonym: Option<String>,
    /// Keyed pseudonym of the normalised first name under the salt.
    pub first_name_pseudonym: Option<String>,
    /// Keyed Bloom-filter encoding of the birth surname's bigrams under the
    /// salt.
    pub birth_name_bloom: Option<Vec<u8>>,
    /// Keyed Bloom-filter encoding of the usage name's bigrams under the
    /// salt.
    pub usage_name_bloom: Option<Vec<u8>>,
    /// Keyed Bloom-filter encoding of the first name's bigrams under the
    /// salt.
    pub first_name_bloom: Option<Vec<u8>>,
}

impl SaltedNames {
    /// Removes the usage name's pseudonym and filter.
    pub fn clear_usage_name(&mut self) {
        self.usage_name_pseudonym = None;
        self.usage_name_bloom = None;
    }
}

/// One salt's [`SaltedNames`] on the heap, and nothing at all while empty.
///
/// Only linkage reads salted names, and the stages after it read records
/// without their columns, so most records in memory have none. Inline,
/// the two salts took 336 of a record's 992 bytes, so a national year of
/// five million records carried 1.6 GB of empty fields. Boxed, an empty
/// salt takes 8 bytes.
///
/// It reads as a [`SaltedNames`], an empty one when nothing is stored,
/// and stores one at the first write through it.
#[derive(Clone, Default)]
pub struct BoxedSaltedNames(Option<Box<SaltedNames>>);

/// The names an empty [`BoxedSaltedNames`] reads as.
static NO_SALTED_NAMES: SaltedNames = SaltedNames {
    salt_pseudonym: None,
    birth_name_pseudonym: None,
    usage_name_pseudonym: None,
    first_name_pseudonym: None,
    birth_name_bloom: None,
    usage_name_bloom: None,
    first_name_bloom: None,
};

impl BoxedSaltedNames {
    /// Returns the names, empty when none are stored.
    pub fn into_inner(self) -> SaltedNames {
        self.0.map_or_else(SaltedNames::default, |names| *names)
    }

    /// Removes the usage name's pseudonym and filter, storing nothing
    /// when the names are empty.
    pub fn clear_usage_name(&mut self) {
        if let Some(names) = &mut self.0 {
            names.clear_usage_name();
        }
    }
}

impl std::ops::Deref for BoxedSaltedNames {
    type Target = SaltedNames;

    fn deref(&self) -> &SaltedNames {
        self.0.as_deref().unwrap_or(&NO_SALTED_NAMES)
    }
}

impl std::ops::DerefMut for BoxedSaltedNames {
    fn deref_mut(&mut self) -> &mut SaltedNames {
        self.0.get_or_insert_with(Box::default)
    }
}

impl From<SaltedNames> for BoxedSaltedNames {
    fn from(names: SaltedNames) -> Self {
        if names == NO_SALTED_NAMES {
            BoxedSaltedNames(None)
        } else {
            BoxedSaltedNames(Some(Box::new(names)))
        }
    }
}

// Equality, debugging output and serialisation see the names, never
// whether they are stored: an empty box equals no box.
impl PartialEq for BoxedSaltedNames {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl Eq for BoxedSaltedNames {}

impl PartialEq<SaltedNames> for BoxedSaltedNames {
    fn eq(&self, other: &SaltedNames) -> bool {
        **self == *other
    }
}

impl fmt::Debug for BoxedSaltedNames {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        (**self).fmt(f)
    }
}

impl Serialize for BoxedSaltedNames {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        (**self).serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for BoxedSaltedNames {
    fn deserialize<D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Self, D::Error> {
        SaltedNames::deserialize(deserializer).map(BoxedSaltedNames::from)
    }
}

/// Column names of one salt's [`SaltedNames`], field by field, in tables
/// and provider files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SaltedNameColumns {
    /// Column of [`SaltedNames::salt_pseudonym`].
    pub salt_pseudonym: &'static str,
    /// Column of [`SaltedNames::birth_name_pseudonym`].
    pub birth_name_pseudonym: &'static str,
    /// Column of [`SaltedNames::usage_name_pseudonym`].
    pub usage_name_pseudonym: &'static str,
    /// Column of [`SaltedNames::first_name_pseudonym`].
    pub first_name_pseudonym: &'static str,
    /// Column of [`SaltedNames::birth_name_bloom`].
    pub birth_name_bloom: &'static str,
    /// Column of [`SaltedNames::usage_name_bloom`].
    pub usage_name_bloom: &'static str,
    /// Column of [`SaltedNames::first_name_bloom`].
    pub first_name_bloom: &'static str,
}

impl SaltedNameColumns {
    /// Columns of [`SourceRecord::month_salted_names`].
    pub const MONTH: SaltedNameColumns = SaltedNameColumns {
        salt_pseudonym: "month_salt_pseudonym",
        birth_name_pseudonym: "birth_name_month_salt_pseudonym",
        usage_name_pseudonym: "usage_name_month_salt_pseudonym",
        first_name_pseudonym: "first_name_month_salt_pseudonym",
        birth_name_bloom: "birth_name_month_salt_bloom",
        usage_name_bloom: "usage_name_month_salt_bloom",
        first_name_bloom: "first_name_month_salt_bloom",
    };

    /// Columns of [`SourceRecord::day_salted_names`].
    pub const DAY: SaltedNameColumns = SaltedNameColumns {
        salt_pseudonym: "day_salt_pseudonym",
        birth_name_pseudonym: "birth_name_day_salt_pseudonym",
        usage_name_pseudonym: "usage_name_day_salt_pseudonym",
        first_name_pseudonym: "first_name_day_salt_pseudonym",
        birth_name_bloom: "birth_name_day_salt_bloom",
        usage_name_bloom: "usage_name_day_salt_bloom",
        first_name_bloom: "first_name_day_salt_bloom",
    };

    /// Returns the four pseudonym columns, salt first.
    pub fn pseudonyms(&self) -> [&'static str; 4] {
        [
            self.salt_pseudonym,
            self.birth_name_pseudonym,
            self.usage_name_pseudonym,
            self.first_name_pseudonym,
        ]
    }

    /// Returns the three Bloom-filter columns.
    pub fn blooms(&self) -> [&'static str; 3] {
        [
            self.birth_name_bloom,
            self.usage_name_bloom,
            self.first_name_bloom,
        ]
    }
}

/// One source row after validation and pseudonymisation.
///
/// No field contains a clear identifier. NIR, names and the birth date are
/// present only as keyed pseudonyms (lowercase hex HMAC-SHA-256) and, for
/// names, as keyed Bloom-filter encodings that allow approximate
/// comparison. The age at the record's event is kept in completed years
/// because rates and checks need it and it does not reveal the birth date.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SourceRecord {
    /// Unique id: `<source kind>/<the source's own record id>`.
    pub record_id: String,
    /// Ingestion batch that loaded the record.
    pub batch_id: String,
    /// Source kind; `None` only in a default-constructed value.
    pub source_kind: Option<SourceKind>,
    /// Source file name (no directory).
    pub source_file: String,
    /// Line in the source file where the record starts, from 1.
    pub source_line: u64,

    /// What the NIR field held.
    pub nir_status: Option<NirStatus>,
    /// Keyed pseudonym of the NIR, set only when the NIR is valid.
    pub nir_pseudonym: Option<String>,
    /// Keyed pseudonym of the NIR, the complete birth date and the sex
    /// together, as the FOIN triplet of French hospital data: set only
    /// when all three are known. Where a source gives the insured
    /// person's NIR, it distinguishes a parent from a child sharing that NIR;
    /// same-sex twins still share it.
    pub nir_birth_date_sex_pseudonym: Option<String>,
    /// Sex.
    pub sex: Option<Sex>,
    /// Keyed pseudonym of the complete birth date.
    pub birth_date_pseudonym: Option<String>,
    /// Keyed pseudonym of the birth date with day and month swapped, set
    /// when both are 12 or less, so that a transposed date still matches.
    pub birth_date_swapped_pseudonym: Option<String>,
    /// Keyed pseudonym of the birth date one year later, set when the date
    /// is complete, in the domain of [`SourceRecord::birth_date_pseudonym`].
    /// Two dates one year apart on the same day and month are found when
    /// the next-year pseudonym of one equals the date pseudonym of the other.
    pub birth_date_next_year_pseudonym: Option<String>,
    /// Keyed pseudonym of the birth date with its day left out, set when
    /// the year and month are known. With the two next fields, two dates
    /// that agree on two of their three parts share one pseudonym. No
    /// part is pseudonymised alone, because a year, month or day has so
    /// few values that the age at the event would reveal it.
    pub birth_year_month_pseudonym: Option<String>,
    /// Keyed pseudonym of the birth date with its month left out; see
    /// [`SourceRecord::birth_year_month_pseudonym`].
    pub birth_year_day_pseudonym: Option<String>,
    /// Keyed pseudonym of the birth date with its year left out; see
    /// [`SourceRecord::birth_year_month_pseudonym`].
    pub birth_month_day_pseudonym: Option<String>,
    /// Name encodings under the month salt: the birth year and month, or
    /// the year alone when the month is unknown, or no salt when the birth
    /// date is missing.
    pub month_salted_names: BoxedSaltedNames,
    /// Name encodings under the day salt, the birth year and day; empty
    /// when the day is unknown.
    pub day_salted_names: BoxedSaltedNames,

    /// Département of residence (INSEE code, `2A`/`2B` for Corsica).
    pub departement: Option<String>,
    /// The record's own dated event: incidence date for a registry
    /// extract, admission for a hospital stay, specimen for a pathology
    /// report, death for a death record, start of the exemption for a
    /// long-term illness, test for a screening, start of a treatment.
    pub event_date: Option<PartialDate>,
    /// Age in completed years at the event date.
    pub age_at_event: Option<u16>,
    /// Date of death, when the record states one.
    pub death_date: Option<PartialDate>,
    /// Date of last contact (registry extract).
    pub last_contact_date: Option<PartialDate>,

    /// ICD-O-3 topography, when the source codes one.
    pub topography: Option<Topography>,
    /// ICD-O-3 morphology, when the source codes one.
    pub morphology: Option<Morphology>,
    /// ICD-10 code of the record: the main diagnosis of a hospital stay or
    /// the underlying cause of death.
    pub icd10: Option<String>,
    /// Further ICD-10 codes (associated diagnoses or causes).
    pub icd10_other: Vec<String>,
    /// Basis of diagnosis stated or implied by the source.
    pub basis_of_diagnosis: Option<BasisOfDiagnosis>,
    /// Establishment (FINESS) or laboratory that sent the record.
    pub establishment: Option<String>,
    /// Date the source registered or reported the record: the report
    /// date of a pathology report, the registration date of a registry
    /// extract. `None` when the source does not state it.
    pub registration_date: Option<PartialDate>,
    /// Laterality of a tumour of a paired organ, when the source codes
    /// it.
    pub laterality: Option<Laterality>,
    /// Stage at diagnosis, when the source states one.
    pub stage: Option<Stage>,
    /// Screening programme of a screening test.
    pub screening_programme: Option<ScreeningProgramme>,
    /// Test of a screening record.
    pub screening_test: Option<ScreeningTest>,
    /// Result of a screening test.
    pub screening_result: Option<ScreeningResult>,
    /// Kind of a treatment act.
    pub treatment: Option<TreatmentType>,
    /// CCAM procedure code of a treatment act, such as `QEFA003`.
    pub procedure_code: Option<String>,
    /// Drug of a systemic treatment: a UCD code (7 or 13 digits) or an
    /// ATC code (such as `L01XC03`).
    pub drug_code: Option<String>,
    /// Last day of a treatment that spans several days.
    pub end_date: Option<PartialDate>,
}

/// The fields record linkage reads of a source record, borrowed: its id,
/// NIR status and sex, and the pseudonyms and name filters it compares.
///
/// Linkage reads them from each staged batch's columns
/// ([`crate::tables::LinkageColumns`]) without building a
/// [`SourceRecord`], or from a record ([`SourceRecord::linkage_fields`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LinkageFields<'a> {
    /// See [`SourceRecord::record_id`].
    pub record_id: &'a str,
    /// See [`SourceRecord::nir_status`].
    pub nir_status: Option<NirStatus>,
    /// See [`SourceRecord::nir_pseudonym`].
    pub nir_pseudonym: Option<&'a str>,
    /// See [`SourceRecord::nir_birth_date_sex_pseudonym`].
    pub nir_birth_date_sex_pseudonym: Option<&'a str>,
    /// See [`SourceRecord::sex`].
    pub sex: Option<Sex>,
    /// See [`SourceRecord::birth_date_pseudonym`].
    pub birth_date_pseudonym: Option<&'a str>,
    /// See [`SourceRecord::birth_date_swapped_pseudonym`].
    pub birth_date_swapped_pseudonym: Option<&'a str>,
    /// See [`SourceRecord::birth_date_next_year_pseudonym`].
    pub birth_date_next_year_pseudonym: Option<&'a str>,
    /// See [`SourceRecord::birth_year_month_pseudonym`].
    pub birth_year_month_pseudonym: Option<&'a str>,
    /// See [`SourceRecord::birth_year_day_pseudonym`].
    pub birth_year_day_pseudonym: Option<&'a str>,
    /// See [`SourceRecord::birth_month_day_pseudonym`].
    pub birth_month_day_pseudonym: Option<&'a str>,
    /// See [`SourceRecord::month_salted_names`].
    pub month_salted_names: SaltedNameFields<'a>,
    /// See [`SourceRecord::day_salted_names`].
    pub day_salted_names: SaltedNameFields<'a>,
    /// See [`SourceRecord::departement`].
    pub departement: Option<&'a str>,
}

/// One salt's [`SaltedNames`], borrowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SaltedNameFields<'a> {
    /// See [`SaltedNames::salt_pseudonym`].
    pub salt_pseudonym: Option<&'a str>,
    /// See [`SaltedNames::birth_name_pseudonym`].
    pub birth_name_pseudonym: Option<&'a str>,
    /// See [`SaltedNames::usage_name_pseudonym`].
    pub usage_name_pseudonym: Option<&'a str>,
    /// See [`SaltedNames::first_name_pseudonym`].
    pub first_name_pseudonym: Option<&'a str>,
    /// See [`SaltedNames::birth_name_bloom`].
    pub birth_name_bloom: Option<&'a [u8]>,
    /// See [`SaltedNames::usage_name_bloom`].
    pub usage_name_bloom: Option<&'a [u8]>,
    /// See [`SaltedNames::first_name_bloom`].
    pub first_name_bloom: Option<&'a [u8]>,
}

impl SaltedNames {
    /// Borrows the names as linkage reads them.
    pub fn fields(&self) -> SaltedNameFields<'_> {
        SaltedNameFields {
            salt_pseudonym: self.salt_pseudonym.as_deref(),
            birth_name_pseudonym: self.birth_name_pseudonym.as_deref(),
            usage_name_pseudonym: self.usage_name_pseudonym.as_deref(),
            first_name_pseudonym: self.first_name_pseudonym.as_deref(),
            birth_name_bloom: self.birth_name_bloom.as_deref(),
            usage_name_bloom: self.usage_name_bloom.as_deref(),
            first_name_bloom: self.first_name_bloom.as_deref(),
        }
    }
}

impl From<SaltedNameFields<'_>> for SaltedNames {
    fn from(fields: SaltedNameFields<'_>) -> SaltedNames {
        SaltedNames {
            salt_pseudonym: fields.salt_pseudonym.map(str::to_string),
            birth_name_pseudonym: fields
                .birth_name_pseudonym
                .map(str::to_string),
            usage_name_pseudonym: fields
                .usage_name_pseudonym
                .map(str::to_string),
            first_name_pseudonym: fields
                .first_name_pseudonym
                .map(str::to_string),
            birth_name_bloom: fields.birth_name_bloom.map(<[u8]>::to_vec),
            usage_name_bloom: fields.usage_name_bloom.map(<[u8]>::to_vec),
            first_name_bloom: fields.first_name_bloom.map(<[u8]>::to_vec),
        }
    }
}

impl SourceRecord {
    /// Borrows the fields record linkage reads.
    pub fn linkage_fields(&self) -> LinkageFields<'_> {
        LinkageFields {
            record_id: &self.record_id,
            nir_status: self.nir_status,
            nir_pseudonym: self.nir_pseudonym.as_deref(),
            nir_birth_date_sex_pseudonym: self
                .nir_birth_date_sex_pseudonym
                .as_deref(),
            sex: self.sex,
            birth_date_pseudonym: self.birth_date_pseudonym.as_deref(),
            birth_date_swapped_pseudonym: self
                .birth_date_swapped_pseudonym
                .as_deref(),
            birth_date_next_year_pseudonym: self
                .birth_date_next_year_pseudonym
                .as_deref(),
            birth_year_month_pseudonym: self
                .birth_year_month_pseudonym
                .as_deref(),
            birth_year_day_pseudonym: self.birth_year_day_pseudonym.as_deref(),
            birth_month_day_pseudonym: self
                .birth_month_day_pseudonym
                .as_deref(),
            month_salted_names: self.month_salted_names.fields(),
            day_salted_names: self.day_salted_names.fields(),
            departement: self.departement.as_deref(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first_name_only() -> SaltedNames {
        SaltedNames {
            first_name_pseudonym: Some("ab".repeat(32)),
            ..SaltedNames::default()
        }
    }

    #[test]
    fn empty_salted_names_store_nothing() {
        let mut names = BoxedSaltedNames::from(SaltedNames::default());
        assert!(names.0.is_none());
        assert_eq!(names.first_name_pseudonym, None);
        assert_eq!(names, SaltedNames::default());

        // Clearing the usage name of empty names must not store any.
        names.clear_usage_name();
        assert!(names.0.is_none());

        // The reason for the box: a pointer in the record, not 168 bytes.
        assert_eq!(
            std::mem::size_of::<BoxedSaltedNames>(),
            std::mem::size_of::<usize>()
        );
    }

    #[test]
    fn salted_names_written_through_the_box_are_kept() {
        let mut names = BoxedSaltedNames::default();
        names.first_name_pseudonym = first_name_only().first_name_pseudonym;

        assert!(names.0.is_some());
        assert_eq!(names, first_name_only());
        assert_eq!(names, BoxedSaltedNames::from(first_name_only()));
        assert_ne!(names, BoxedSaltedNames::default());
        assert_eq!(names.clone().into_inner(), first_name_only());
        assert_eq!(
            BoxedSaltedNames::default().into_inner(),
            SaltedNames::default()
        );
    }

    #[test]
    fn boxed_salted_names_serialise_as_the_names() {
        for names in [SaltedNames::default(), first_name_only()] {
            let boxed = BoxedSaltedNames::from(names.clone());
            let json = serde_json::to_string(&boxed).unwrap();

            assert_eq!(json, serde_json::to_string(&names).unwrap());
            let back: BoxedSaltedNames = serde_json::from_str(&json).unwrap();
            assert_eq!(back, boxed);
            assert_eq!(back.0.is_none(), names == SaltedNames::default());
        }
    }
}
