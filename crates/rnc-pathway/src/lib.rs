//! Care pathways on the linked, consolidated registry, and the evaluation
//! of screening, treatment and follow-up.
//!
//! - [`timeline`]: the dated events of one tumour, each with its source
//!   record, batch, file and line ([`build_timeline`]).
//! - [`modality`]: the treatment modality a record shows, from its CCAM,
//!   ATC and ICD-10 codes ([`classify_record`]).
//! - [`attribution`]: which of a person's tumours an evidence record
//!   (screening test, treatment act, long-term illness) is about.
//! - [`summary`]: first treatment, delay from diagnosis, first-line
//!   sequence and surgery of a tumour ([`summarise_pathway`]).
//! - [`indicators`]: tables by site group, stage, sex, age band,
//!   département and treating establishment, with the publication rules
//!   of `rnc-stats` ([`PublicationRules`]).
//! - [`screening`]: screen-detected, interval and non-participant cancers,
//!   programme sensitivity, participation and coverage.
//! - [`truth`]: the indicators against a known truth, such as the one the
//!   synthetic generator writes.
//!
//! Every id in the outputs is pseudonymous (person, tumour, source record).
//!
//! # Example
//!
//! ```
//! use rnc_pathway::indicators::delay_statistics;
//! use rnc_pathway::{PathwaySettings, summarise_pathway};
//! # use rnc_pathway::timeline::{Event, EventKind, EventSource};
//! # use rnc_pathway::modality::Modality;
//! # use rnc_model::{PartialDate, SourceKind, Tumour};
//! # let tumour: Tumour = rnc_pathway::example_tumour("2023-03-01");
//! # let surgery = Event {
//! #     date: PartialDate::parse_iso("2023-03-29").unwrap(),
//! #     kind: EventKind::Treatment(Modality::Surgery),
//! #     detail: "QEFA003".into(),
//! #     establishment: Some("750010001".into()),
//! #     first_diagnostic_act: false,
//! #     source: EventSource {
//! #         record_id: "treatment/T1".into(),
//! #         kind: SourceKind::Treatment,
//! #         batch_id: "B000001".into(),
//! #         file: "treatment.csv".into(),
//! #         line: 2,
//! #     },
//! # };
//! // A tumour diagnosed on 1 March 2023 and operated on 29 March.
//! let pathway =
//!     summarise_pathway(&tumour, &[surgery], None, &PathwaySettings::default());
//! assert_eq!(pathway.delay_days, Some(28));
//! let stats = delay_statistics([&pathway]);
//! assert_eq!(stats.within_30, Some(1.0));
//! ```

#![deny(missing_docs)]

pub mod attribution;
pub mod indicators;
pub mod input;
pub mod modality;
mod publish;
pub mod screening;
pub mod summary;
pub mod survival;
pub mod table;
pub mod timeline;
pub mod truth;

pub use input::{LinkedRecord, PathwayRecord};
pub use modality::{Modality, classify_record};
pub use publish::PublicationRules;
pub use summary::{
    PathwaySettings, TreatmentStatus, TumourPathway, summarise_pathway,
};
pub use timeline::{Event, EventKind, build_timeline};

/// Builds a malignant breast tumour (C50.4, 8500/3) of a woman aged 60
/// diagnosed on `incidence` (`YYYY-MM-DD`), for examples and tests.
///
/// # Panics
///
/// When `incidence` is not a date.
pub fn example_tumour(incidence: &str) -> rnc_model::Tumour {
    use rnc_model::{
        BasisOfDiagnosis, Behaviour, Morphology, PartialDate, Sex, Topography,
    };
    rnc_model::Tumour {
        tumour_id: "P00000001-T1".to_string(),
        person_id: "P00000001".to_string(),
        sex: Sex::Female,
        topography: Topography::new(50, 4).expect("C50.4"),
        morphology: Morphology::new(8500, Behaviour::Malignant, None)
            .expect("8500/3"),
        icd10: "C50.4".to_string(),
        site_group: "breast".to_string(),
        incidence_date: Some(
            PartialDate::parse_iso(incidence).expect("a date"),
        ),
        age_at_incidence: Some(60),
        basis_of_diagnosis: BasisOfDiagnosis::HistologyOfPrimary,
        death_certificate_only: false,
        departement: Some("75".to_string()),
        record_ids: Vec::new(),
        sources: Vec::new(),
        laterality: None,
        stage: None,
    }
}
