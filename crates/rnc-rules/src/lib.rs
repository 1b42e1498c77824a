//! Registry rules: consolidation of a person's linked source records into
//! tumours, and the IARC/IACR consistency checks of each tumour.
//!
//! [`consolidate_person`] reads the records of one person (registry
//! extracts and pathology reports coded in ICD-O-3, hospital stays and
//! death records coded in ICD-10), groups them into primary tumours with
//! the IARC/IACR 2004 multiple-primary rules, and gives each [`Tumour`]
//! its incidence date (ENCR hierarchy with the three-month rule), basis of
//! diagnosis, topography, morphology, ICD-10 code and site group.
//! [`check_tumour`] runs the IARC/IACR consistency checks and returns the
//! failed ones as [`CheckResult`]s. [`tumours_to_batch`] and
//! [`checks_to_batch`] write both as Arrow record batches.
//!
//! # Example
//!
//! ```
//! use rnc_model::{Behaviour, Morphology, PartialDate, SourceKind, SourceRecord};
//! use rnc_rules::consolidate_person;
//!
//! let pathology = SourceRecord {
//!     record_id: "pathology_report/P1".into(),
//!     source_kind: Some(SourceKind::PathologyReport),
//!     event_date: Some(PartialDate::parse_iso("2023-02-20").unwrap()),
//!     topography: Some("C18.7".parse().unwrap()),
//!     morphology: Some(Morphology::new(8140, Behaviour::Malignant, None).unwrap()),
//!     ..SourceRecord::default()
//! };
//! let stay = SourceRecord {
//!     record_id: "hospital_stay/S1".into(),
//!     source_kind: Some(SourceKind::HospitalStay),
//!     event_date: Some(PartialDate::parse_iso("2023-01-10").unwrap()),
//!     icd10: Some("C18.7".into()),
//!     ..SourceRecord::default()
//! };
//! let result = consolidate_person("P42", &[&pathology, &stay]);
//! assert_eq!(result.tumours.len(), 1);
//! let tumour = &result.tumours[0];
//! assert_eq!(tumour.tumour_id, "P42-T1");
//! assert_eq!(tumour.morphology.histology(), 8140);
//! assert_eq!(tumour.incidence_date.to_iso(), "2023-02-20");
//! assert_eq!(tumour.site_group, "colon_rectum");
//! ```

#![deny(missing_docs)]

mod candidate;
mod checks;
mod consolidate;
mod table;

pub use checks::{CheckResult, Severity, check_tumour};
pub use consolidate::{Consolidation, consolidate_person};
pub use rnc_model::Tumour;
pub use table::{
    check_schema, checks_to_batch, tumour_schema, tumours_to_batch,
};

/// An error of this crate.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct Error(Box<ErrorKind>);

/// Kinds of error of this crate.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Arrow rejected the arrays of a table: an internal error.
    #[error(
        "failed to build the {table} table: {source} (this is a bug in rnc-rules, please report it)"
    )]
    Arrow {
        /// Name of the table, `tumour` or `check`.
        table: &'static str,
        /// The Arrow error.
        source: arrow_schema::ArrowError,
    },
}

impl Error {
    /// The kind of error.
    pub fn kind(&self) -> &ErrorKind {
        &self.0
    }

    pub(crate) fn arrow(
        table: &'static str,
        source: arrow_schema::ArrowError,
    ) -> Error {
        Error(Box::new(ErrorKind::Arrow { table, source }))
    }
}
