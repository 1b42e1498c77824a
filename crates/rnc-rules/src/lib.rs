//! Registry rules: consolidation of a person's linked source records into
//! tumours, and the IARC/IACR consistency checks of each tumour.
//!
//! [`consolidate_person`] reads the records of one person (registry
//! extracts and pathology reports coded in ICD-O-3, hospital stays and
//! death records coded in ICD-10), groups them into primary tumours with
//! the IARC/IACR 2004 multiple-primary rules, and gives each [`Tumour`]
//! its incidence date (ENCR hierarchy with the three-month rule), basis of
//! diagnosis, topography, morphology, ICD-10 code and site group, and the
//! laterality and stage its records state.
//! [`check_tumour`] runs the IARC/IACR consistency checks and returns the
//! failed ones as [`CheckResult`]s; a reviewer's [`Confirmation`] of a
//! rare or query finding removes it on later runs while the tumour's codes
//! stay the same ([`apply_confirmations`]). [`tumours_to_batch`] and
//! [`checks_to_batch`] write both as Arrow record batches, and
//! [`batch_to_tumours`] and [`batch_to_checks`] read them back.
//!
//! [`quality_indicators`] computes the registry's quality indicators per
//! site group and period (MV %, DCO %, M:I, PSU %, UM %, registration
//! delay), and [`encr_jrc_record`] writes a tumour as a row of the
//! ENCR-JRC call-for-data incidence file.
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
//! assert_eq!(tumour.incidence_date.unwrap().to_iso(), "2023-02-20");
//! assert_eq!(tumour.site_group, "colon_rectum");
//! ```

#![deny(missing_docs)]

mod candidate;
mod checks;
mod confirmation;
mod consolidate;
mod encr_jrc;
mod indicators;
mod table;

pub use checks::{CheckResult, Severity, check_tumour};
pub use confirmation::{
    Confirmation, ConfirmationFile, apply_confirmations, confirm_finding,
    confirmation_codes,
};
pub use consolidate::{Consolidation, consolidate_person};
pub use encr_jrc::{ENCR_JRC_COLUMNS, EncrJrcFacts, encr_jrc_record};
pub use indicators::{
    ALL_SITES_BUT_SKIN, CancerDeath, QualityIndicatorRow, quality_indicators,
    quality_indicators_to_csv,
};
pub use rnc_model::Tumour;
pub use table::{
    batch_to_checks, batch_to_tumours, check_schema, checks_to_batch,
    tumour_schema, tumours_to_batch,
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
    /// A table read back from Parquet lacks a column or contains a value
    /// rnc does not write.
    #[error(
        "table {table}: column {column}{}: {problem} (was the file written by another program or version?)",
        row.map(|r| format!(", row {r} (from 0)")).unwrap_or_default()
    )]
    TableRead {
        /// Table name, e.g. `tumours`.
        table: &'static str,
        /// Column name.
        column: &'static str,
        /// Row, from 0, when one value is at fault.
        row: Option<usize>,
        /// Description of the problem.
        problem: &'static str,
    },
    /// A finding that cannot be confirmed.
    #[error(
        "tumour {tumour_id}: rule {rule_id} ({severity}) cannot be confirmed: {problem}"
    )]
    NotConfirmable {
        /// The tumour of the finding.
        tumour_id: String,
        /// The rule of the finding.
        rule_id: String,
        /// Its severity label.
        severity: &'static str,
        /// Reason it cannot be confirmed.
        problem: &'static str,
    },
    /// A confirmation reason that cannot be stored.
    #[error("invalid confirmation reason: {problem}")]
    InvalidReason {
        /// Description of the problem.
        problem: &'static str,
    },
    /// A confirmation file that is not valid JSON of the expected form.
    #[error(
        "the confirmation file is not valid: {source} (restore it from a backup or delete it to drop every confirmation)"
    )]
    ConfirmationFile {
        /// The JSON error, with line and column.
        source: serde_json::Error,
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

    pub(crate) fn table_read(
        table: &'static str,
        column: &'static str,
        row: Option<usize>,
        problem: &'static str,
    ) -> Error {
        Error(Box::new(ErrorKind::TableRead {
            table,
            column,
            row,
            problem,
        }))
    }

    pub(crate) fn not_confirmable(
        finding: &CheckResult,
        problem: &'static str,
    ) -> Error {
        Error(Box::new(ErrorKind::NotConfirmable {
            tumour_id: finding.tumour_id.clone(),
            rule_id: finding.rule_id.clone(),
            severity: finding.severity.label(),
            problem,
        }))
    }

    pub(crate) fn invalid_reason(problem: &'static str) -> Error {
        Error(Box::new(ErrorKind::InvalidReason { problem }))
    }

    pub(crate) fn confirmation_file(source: serde_json::Error) -> Error {
        Error(Box::new(ErrorKind::ConfirmationFile { source }))
    }
}
