//! Step 1 of consolidation: the tumour a single source record describes.

use rnc_codes::{Icd10, icd10_to_site, is_cancer_code, is_in_situ_code};
use rnc_model::{
    BasisOfDiagnosis, Behaviour, Morphology, PartialDate, SourceKind,
    SourceRecord, Topography,
};

/// The tumour one source record describes, before grouping.
#[derive(Debug, Clone)]
pub(crate) struct Candidate<'a> {
    pub record: &'a SourceRecord,
    pub kind: SourceKind,
    pub topography: Topography,
    pub morphology: Morphology,
    pub date: Option<PartialDate>,
    /// Basis of diagnosis the record supports; `None` for a death record,
    /// whose basis counts only when the tumour is known from death
    /// records alone.
    pub basis: Option<BasisOfDiagnosis>,
}

/// Histology for a record that states a site but no morphology:
/// ICD-O-3 8000, neoplasm NOS (IARC/IACR 2004 group 17).
const NEOPLASM_NOS: u16 = 8000;

impl<'a> Candidate<'a> {
    /// Builds the candidate of a record, or `None` when the record
    /// describes no primary tumour (a non-cancer or secondary ICD-10 code,
    /// or no code at all) or is of a kind that never describes a tumour by
    /// itself ([`SourceKind::describes_tumour`]: long-term illness,
    /// screening, treatment).
    pub fn from_record(record: &'a SourceRecord) -> Option<Candidate<'a>> {
        let kind = record.source_kind?;
        let (topography, morphology) = match kind {
            SourceKind::RegistryExtract
            | SourceKind::PathologyReport
            | SourceKind::ClinicalRecord => {
                coded_site(record).or_else(|| hospital_site(record))?
            }
            SourceKind::HospitalStay => hospital_site(record)?,
            SourceKind::DeathRecord => death_site(record)?,
            SourceKind::LongTermIllness
            | SourceKind::Screening
            | SourceKind::Treatment => return None,
        };
        let basis = match kind {
            SourceKind::DeathRecord
            | SourceKind::LongTermIllness
            | SourceKind::Screening
            | SourceKind::Treatment => None,
            SourceKind::PathologyReport => {
                Some(record.basis_of_diagnosis.unwrap_or(
                    if morphology.behaviour() == Behaviour::Metastatic {
                        BasisOfDiagnosis::HistologyOfMetastasis
                    } else {
                        BasisOfDiagnosis::HistologyOfPrimary
                    },
                ))
            }
            // A stay coded with a cancer diagnosis supports at least a
            // clinical diagnosis (ENCR basis 1); PMSI states no basis.
            SourceKind::HospitalStay => Some(
                record
                    .basis_of_diagnosis
                    .unwrap_or(BasisOfDiagnosis::Clinical),
            ),
            SourceKind::RegistryExtract | SourceKind::ClinicalRecord => Some(
                record
                    .basis_of_diagnosis
                    .unwrap_or(BasisOfDiagnosis::Unknown),
            ),
        };
        Some(Candidate {
            record,
            kind,
            topography,
            morphology,
            date: record.event_date,
            basis,
        })
    }

    /// Whether the candidate is counted as a tumour: behaviour /3 (IARC
    /// rules), plus bladder C67 in situ (/2) and uncertain (/1), which
    /// ENCR counts and imsweb `IarcUtils` keeps.
    pub fn is_countable(&self) -> bool {
        match self.morphology.behaviour() {
            Behaviour::Malignant => true,
            Behaviour::InSitu | Behaviour::Uncertain => {
                self.topography.group() == 67
            }
            _ => false,
        }
    }

    /// Rank of the source for choosing morphology and topography:
    /// registry extract (already consolidated), pathology, a clinical
    /// record's ICD-O-3 codes, hospital stay (ICD-10 only), death.
    pub fn source_rank(&self) -> u8 {
        match self.kind {
            SourceKind::RegistryExtract => 4,
            SourceKind::PathologyReport => 3,
            SourceKind::ClinicalRecord => 2,
            SourceKind::HospitalStay => 1,
            // The last three kinds never become candidates.
            SourceKind::DeathRecord
            | SourceKind::LongTermIllness
            | SourceKind::Screening
            | SourceKind::Treatment => 0,
        }
    }

    /// Priority of the record's date in the ENCR incidence-date
    /// hierarchy, higher first: the registry's own incidence date, then
    /// histology or cytology (a pathology report), hospital admission, a
    /// clinician's date of diagnosis (a clinical record), and death last.
    pub fn date_priority(&self) -> u8 {
        match self.kind {
            SourceKind::RegistryExtract => 5,
            SourceKind::PathologyReport => 4,
            SourceKind::HospitalStay => 3,
            SourceKind::ClinicalRecord => 2,
            SourceKind::DeathRecord
            | SourceKind::LongTermIllness
            | SourceKind::Screening
            | SourceKind::Treatment => 0,
        }
    }
}

/// Site and morphology coded in ICD-O-3 by a registry or laboratory.
fn coded_site(record: &SourceRecord) -> Option<(Topography, Morphology)> {
    let morphology = record.morphology?;
    let topography = record
        .topography
        .unwrap_or_else(Topography::unknown_primary);
    Some((topography, morphology))
}

/// Site of a hospital stay: the main diagnosis when it names a primary
/// cancer or an in situ neoplasm, else the first associated diagnosis
/// that does. A stay whose main diagnosis is treatment (Z51.1
/// chemotherapy) or a metastasis (C78.7) usually lists the primary among
/// the associated diagnoses.
fn hospital_site(record: &SourceRecord) -> Option<(Topography, Morphology)> {
    std::iter::once(record.icd10.as_deref())
        .flatten()
        .chain(record.icd10_other.iter().map(String::as_str))
        .find_map(icd10_primary_site)
}

/// Site of a death record: the underlying cause when it is a primary
/// cancer; associated causes describe no tumour.
fn death_site(record: &SourceRecord) -> Option<(Topography, Morphology)> {
    let code: Icd10 = record.icd10.as_deref()?.parse().ok()?;
    if !is_cancer_code(&code) {
        return None;
    }
    icd10_primary_site(code.as_str())
}

fn icd10_primary_site(text: &str) -> Option<(Topography, Morphology)> {
    let code: Icd10 = text.parse().ok()?;
    if !is_cancer_code(&code) && !is_in_situ_code(&code) {
        return None;
    }
    let site = icd10_to_site(&code)?;
    let histology = site.histology.unwrap_or(NEOPLASM_NOS);
    let morphology = Morphology::new(histology, site.behaviour, None).ok()?;
    Some((site.topography, morphology))
}
