//! Treatment modality of a source record, read from its codes.
//!
//! The code lists are described in `docs/pathways.md`:
//!
//! - ICD-10 (WHO 2019) session codes: Z51.0 radiotherapy session, Z51.1
//!   chemotherapy session for neoplasm, Z51.5 palliative care. A PMSI stay
//!   whose main diagnosis is one of them is that session.
//! - ATC (WHO Collaborating Centre for Drug Statistics Methodology): group
//!   L01 antineoplastic agents is systemic anticancer therapy, group L02
//!   endocrine therapy is hormone therapy.
//! - CCAM (Classification commune des actes médicaux): the acts of
//!   external radiotherapy and brachytherapy listed in
//!   [`RADIOTHERAPY_CCAM_PREFIXES`], and, for surgery, an act whose third
//!   character is `F` (the CCAM action "exérèse", resection).

use rnc_model::{SourceKind, TreatmentType};

use crate::input::PathwayRecord;
use serde::Serialize;

/// A kind of cancer treatment.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize,
)]
pub enum Modality {
    /// Resection of the tumour.
    Surgery,
    /// Systemic anticancer therapy: cytotoxic chemotherapy and targeted
    /// agents (ATC L01), in hospital sessions or taken orally.
    Chemotherapy,
    /// External radiotherapy or brachytherapy.
    Radiotherapy,
    /// Endocrine therapy (ATC L02).
    HormoneTherapy,
}

impl Modality {
    /// Every modality, in the order used in combinations.
    pub const ALL: [Modality; 4] = [
        Modality::Surgery,
        Modality::Chemotherapy,
        Modality::Radiotherapy,
        Modality::HormoneTherapy,
    ];

    /// Returns the name used in tables and timelines.
    pub fn label(self) -> &'static str {
        match self {
            Modality::Surgery => "surgery",
            Modality::Chemotherapy => "chemotherapy",
            Modality::Radiotherapy => "radiotherapy",
            Modality::HormoneTherapy => "hormone_therapy",
        }
    }
}

/// CCAM code prefixes of radiotherapy acts: `ZZNL` external irradiation
/// sessions and `ZZMP`/`ZZMK` treatment planning of external radiotherapy.
///
/// NOTE: this short list covers the acts that the synthetic treatment feed
/// writes and the common external-beam sessions. Brachytherapy acts are
/// coded on the organ, so they are read from the source's treatment kind
/// instead. A registry with the ATIH CCAM table
/// should replace it with the full list of chapter 17 acts.
pub const RADIOTHERAPY_CCAM_PREFIXES: [&str; 3] = ["ZZNL", "ZZMP", "ZZMK"];

/// ICD-10 session code of radiotherapy.
const RADIOTHERAPY_SESSION: &str = "Z51.0";
/// ICD-10 session code of chemotherapy for neoplasm.
const CHEMOTHERAPY_SESSION: &str = "Z51.1";
/// ICD-10 code of palliative care.
const PALLIATIVE_CARE: &str = "Z51.5";

/// Returns the modality an ICD-10 code marks as a session, if any. A code
/// extended with further characters (`Z51.01`) keeps its first four.
pub fn session_modality(icd10: &str) -> Option<Modality> {
    if icd10.starts_with(RADIOTHERAPY_SESSION) {
        Some(Modality::Radiotherapy)
    } else if icd10.starts_with(CHEMOTHERAPY_SESSION) {
        Some(Modality::Chemotherapy)
    } else {
        None
    }
}

/// Tells whether an ICD-10 code is palliative care (Z51.5).
pub fn is_palliative_care(icd10: &str) -> bool {
    icd10.starts_with(PALLIATIVE_CARE)
}

/// Returns the modality of an ATC drug code: L01 systemic anticancer
/// therapy, L02 endocrine therapy. A UCD code (digits only) names a
/// presentation, not a class, and returns `None`.
pub fn drug_modality(code: &str) -> Option<Modality> {
    let code = code.trim().to_ascii_uppercase();
    if code.starts_with("L01") {
        Some(Modality::Chemotherapy)
    } else if code.starts_with("L02") {
        Some(Modality::HormoneTherapy)
    } else {
        None
    }
}

/// Returns the modality of a CCAM act: radiotherapy for the prefixes of
/// [`RADIOTHERAPY_CCAM_PREFIXES`], surgery for a resection (third
/// character `F`), else `None`.
pub fn procedure_modality(code: &str) -> Option<Modality> {
    let code = code.trim().to_ascii_uppercase();
    if RADIOTHERAPY_CCAM_PREFIXES
        .iter()
        .any(|prefix| code.starts_with(prefix))
    {
        return Some(Modality::Radiotherapy);
    }
    (code.as_bytes().get(2) == Some(&b'F')).then_some(Modality::Surgery)
}

/// Classifies the treatment a record shows, from its codes first and the
/// source's declared treatment kind last.
///
/// - A treatment act: the ICD-10 session code, then the drug's ATC class,
///   then the CCAM act, then the kind the source declared (surgery,
///   chemotherapy, radiotherapy).
/// - A hospital stay: a session (main diagnosis Z51.0 or Z51.1). PMSI
///   stays in the hospital feed carry no CCAM act, so a surgical stay is
///   seen only through the treatment feed.
/// - Any other record shows no treatment.
pub fn classify_record(record: &PathwayRecord) -> Option<Modality> {
    match record.source_kind? {
        SourceKind::Treatment => {
            let session = record.icd10.as_deref().and_then(session_modality);
            let drug = record.drug_code.as_deref().and_then(drug_modality);
            let act = record
                .procedure_code
                .as_deref()
                .and_then(procedure_modality);
            let declared = record.treatment.map(|kind| match kind {
                TreatmentType::Surgery => Modality::Surgery,
                TreatmentType::Chemotherapy => Modality::Chemotherapy,
                TreatmentType::Radiotherapy => Modality::Radiotherapy,
            });
            session.or(drug).or(act).or(declared)
        }
        SourceKind::HospitalStay => {
            record.icd10.as_deref().and_then(session_modality)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn treatment(kind: TreatmentType) -> PathwayRecord {
        PathwayRecord {
            source_kind: Some(SourceKind::Treatment),
            treatment: Some(kind),
            ..PathwayRecord::default()
        }
    }

    #[test]
    fn session_codes() {
        assert_eq!(session_modality("Z51.0"), Some(Modality::Radiotherapy));
        assert_eq!(session_modality("Z51.01"), Some(Modality::Radiotherapy));
        assert_eq!(session_modality("Z51.1"), Some(Modality::Chemotherapy));
        assert_eq!(session_modality("Z51.5"), None);
        assert!(is_palliative_care("Z51.5"));
        assert_eq!(session_modality("C50.4"), None);
    }

    #[test]
    fn drug_classes() {
        // Capecitabine L01BC06, tamoxifen L02BA01, a UCD code.
        assert_eq!(drug_modality("L01BC06"), Some(Modality::Chemotherapy));
        assert_eq!(drug_modality("l02ba01"), Some(Modality::HormoneTherapy));
        assert_eq!(drug_modality("9261101"), None);
    }

    #[test]
    fn procedure_codes() {
        assert_eq!(procedure_modality("QEFA003"), Some(Modality::Surgery));
        assert_eq!(procedure_modality("ZZNL045"), Some(Modality::Radiotherapy));
        // Only a resection (third character F) is read as surgery.
        assert_eq!(procedure_modality("QEHB001"), None);
    }

    #[test]
    fn codes_take_precedence_over_declared_kind() {
        let mut record = treatment(TreatmentType::Chemotherapy);
        record.drug_code = Some("L02BG03".to_string());
        assert_eq!(classify_record(&record), Some(Modality::HormoneTherapy));

        let record = treatment(TreatmentType::Surgery);
        assert_eq!(classify_record(&record), Some(Modality::Surgery));
    }

    #[test]
    fn hospital_stay_sessions_only() {
        let mut stay = PathwayRecord {
            source_kind: Some(SourceKind::HospitalStay),
            icd10: Some("Z51.1".to_string()),
            ..PathwayRecord::default()
        };
        assert_eq!(classify_record(&stay), Some(Modality::Chemotherapy));
        stay.icd10 = Some("C50.4".to_string());
        assert_eq!(classify_record(&stay), None);
    }
}
