//! Code tables of the registry: ICD-O-3 topography list, the IARC/IACR
//! 2004 multiple-primary tables, ICD-10 codes and the ICD-O-3 to ICD-10
//! conversion, and the site groups of the French national estimates.
//!
//! - [`is_listed_topography`]: the ICD-O-3 (WHO 2000) topography list.
//! - [`histology_group`] and [`multiple_primary_site`]: Tables 2 and 1 of
//!   the IARC/IACR 2004 rules for multiple primaries, as coded in imsweb
//!   `IarcUtils`.
//! - [`Icd10`], [`icd10_to_site`], [`is_cancer_code`]: ICD-10 (WHO 2019)
//!   codes and the ICD-O-3 site they describe.
//! - [`icdo3_to_icd10`]: conversion on the principle of IARC Technical
//!   Report 42.
//! - [`site_group`]: the site groups of the French national estimates.
//! - [`site_outside_family_profile`], [`sex_of_histology`],
//!   [`is_listed_behaviour`] and [`required_grades`]: the morphology
//!   families of the IARC/IACR consistency checks (IARC TR42).
//! - [`is_paired_site`]: the paired organs of the SEER Program Coding and
//!   Staging Manual, whose tumours have a laterality.
//!
//! # Example
//!
//! ```
//! use rnc_codes::{HistologyGroup, histology_group, icd10_to_site, site_group, Icd10};
//!
//! assert_eq!(histology_group(8140), HistologyGroup::Adenocarcinoma);
//!
//! let code: Icd10 = "C187".parse().unwrap();
//! assert_eq!(code.as_str(), "C18.7");
//! assert_eq!(site_group(&code).code, "colon_rectum");
//! let site = icd10_to_site(&code).unwrap();
//! assert_eq!(site.topography.to_string(), "C18.7");
//! ```

#![deny(missing_docs)]

mod convert;
mod families;
mod histology;
mod icd10;
mod laterality;
mod site_group;
mod topography;

pub use convert::icdo3_to_icd10;
pub use families::{
    histology_family, is_listed_behaviour, required_grades, sex_of_histology,
    site_outside_family_profile,
};
pub use histology::{
    HistologyGroup, MpSite, histology_group, multiple_primary_site,
};
pub use icd10::{
    Icd10, Icd10Site, icd10_to_site, is_cancer_code, is_in_situ_code,
    is_secondary_code,
};
pub use laterality::is_paired_site;
pub use site_group::{SiteGroup, site_group, site_groups};
pub use topography::{is_listed_topography, listed_details, unspecified_part};

/// An error of this crate: a code that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(transparent)]
pub struct Error(Box<ErrorKind>);

/// Kinds of error of this crate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// An ICD-10 code not of the form letter, two digits, optional dot and
    /// one character.
    #[error(
        "invalid ICD-10 code '{code}': expected a letter, two digits and an optional \
         fourth character, e.g. C18.7 or C187"
    )]
    InvalidIcd10 {
        /// The text that was read (codes do not identify anyone).
        code: String,
    },
}

impl Error {
    /// The kind of error.
    pub fn kind(&self) -> &ErrorKind {
        &self.0
    }

    pub(crate) fn invalid_icd10(code: &str) -> Error {
        Error(Box::new(ErrorKind::InvalidIcd10 {
            code: code.to_string(),
        }))
    }
}
