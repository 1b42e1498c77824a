//! The consolidated tumour: one primary cancer of one person, built from
//! the source records that describe it.

use serde::{Deserialize, Serialize};

use crate::{
    BasisOfDiagnosis, Laterality, Morphology, PartialDate, Sex, SourceKind,
    Stage, Topography,
};

/// One primary tumour as the registry counts it, after the IARC/IACR 2004
/// multiple-primary rules have grouped the person's source records.
///
/// No field holds a clear identifier: `person_id` is the linkage
/// pseudonym of the person and `record_ids` name source rows, not people.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tumour {
    /// Tumour id, `{person_id}-T{n}` with `n` from 1 in incidence order.
    pub tumour_id: String,
    /// Pseudonymised id of the person the tumour belongs to.
    pub person_id: String,
    /// Sex of the person.
    pub sex: Sex,
    /// ICD-O-3 topography (primary site).
    pub topography: Topography,
    /// ICD-O-3 morphology: histology, behaviour and grade.
    pub morphology: Morphology,
    /// ICD-10 code derived from topography and morphology (IARC TR42
    /// principle), written with the dot, e.g. `C18.7`.
    pub icd10: String,
    /// Code of the site group of the French national estimates, e.g.
    /// `colon_rectum`.
    pub site_group: String,
    /// Date of incidence (ENCR hierarchy), possibly partial. `None` when
    /// every record of the tumour gives its date as wholly unknown
    /// (`99999999`): such a tumour is counted and flagged by the quality
    /// check `unknown_incidence_date`, and falls in no incidence year.
    pub incidence_date: Option<PartialDate>,
    /// Age in completed years at the incidence date, when known.
    pub age_at_incidence: Option<u16>,
    /// Most valid basis of diagnosis among the tumour's records.
    pub basis_of_diagnosis: BasisOfDiagnosis,
    /// Whether the tumour is known from death records only (DCO).
    pub death_certificate_only: bool,
    /// Département of residence at incidence (INSEE code).
    pub departement: Option<String>,
    /// Ids of the source records attached to the tumour, sorted.
    pub record_ids: Vec<String>,
    /// Kinds of source that describe the tumour, sorted, without repeats.
    pub sources: Vec<SourceKind>,
    /// Laterality, combined over the records that state one.
    pub laterality: Option<Laterality>,
    /// Stage at diagnosis, from the best record that states one.
    pub stage: Option<Stage>,
}
