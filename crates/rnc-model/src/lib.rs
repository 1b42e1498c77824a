//! Types shared by every stage of the registry, with their validation.
//!
//! The crate holds the vocabulary of a population-based cancer registry and
//! does no I/O: [`Sex`], [`Topography`] (ICD-O-3 site), [`Morphology`]
//! (ICD-O-3 histology with its [`Behaviour`] and grade),
//! [`BasisOfDiagnosis`], [`PartialDate`] (a date whose day or month may be
//! unknown), and the pseudonymised [`SourceRecord`] that ingestion produces
//! and every later stage reads. [`tables`] converts source records to and
//! from Apache Arrow record batches, the form stages exchange.
//!
//! # Example
//!
//! ```
//! use rnc_model::{PartialDate, Topography};
//!
//! let site: Topography = "C18.7".parse().unwrap();
//! assert_eq!(site.three_character(), "C18");
//! assert_eq!(site.to_string(), "C18.7");
//!
//! let birth = PartialDate::parse_iso("1952-02-29").unwrap();
//! let diagnosis = PartialDate::parse_iso("2023-02-28").unwrap();
//! assert_eq!(birth.age_at(&diagnosis), Some(70));
//! ```

#![deny(missing_docs)]

mod codes;
mod date;
mod event;
pub mod nir;
pub mod permutation;
mod position;
mod record;
mod staging;
pub mod tables;
mod tumour;

pub use codes::{
    BasisOfDiagnosis, Behaviour, CodeError, Morphology, Sex, Topography,
};
pub use date::{DateError, PartialDate};
pub use event::{
    ScreeningProgramme, ScreeningResult, ScreeningTest, TreatmentType,
};
pub use position::Position;
pub use record::{
    BoxedSaltedNames, LinkageFields, NirStatus, SaltedNameColumns,
    SaltedNameFields, SaltedNames, SourceKind, SourceRecord,
};
pub use staging::{Laterality, Stage, SummaryStage, Tnm, TnmBasis};
pub use tumour::Tumour;
