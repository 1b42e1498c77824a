//! Code values of a registry record: sex, ICD-O-3 topography and
//! morphology, behaviour and basis of diagnosis.
//!
//! These types check the structure of a code (its form and range). Whether
//! a well-formed code is listed in the published code tables is checked by
//! `rnc-codes`, which contains those tables.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A code that does not have the form or range its code system requires.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CodeError {
    /// Sex is coded 1 (male), 2 (female) or 9 (unknown), as in the ENCR
    /// and IARC data dictionaries.
    #[error("sex code is not 1, 2 or 9")]
    InvalidSex,
    /// An ICD-O-3 topography is `Cxx.x` (or `Cxxx`) within C00.0-C80.9.
    #[error(
        "topography is not an ICD-O-3 code of the form Cxx.x within C00.0-C80.9"
    )]
    InvalidTopography,
    /// The three-character group exists in ICD-10 but not in ICD-O-3
    /// topography (C43, C45, C46, C78, C79), because those ICD-10 codes are
    /// chosen by morphology.
    #[error(
        "topography group {0} is not used in ICD-O-3 (it is chosen by morphology in ICD-10)"
    )]
    TopographyNotInIcdO3(String),
    /// ICD-O-3 histology codes run from 8000 to 9993.
    #[error(
        "morphology is not a four-digit ICD-O-3 histology code within 8000-9993"
    )]
    InvalidMorphology,
    /// Behaviour is the fifth digit of the morphology: 0, 1, 2, 3, 6 or 9.
    #[error(
        "behaviour is not an ICD-O-3 behaviour code (expected 0, 1, 2, 3, 6 or 9)"
    )]
    InvalidBehaviour,
    /// Grade is the sixth digit of the morphology, 1 to 9.
    #[error("grade is not an ICD-O-3 grade code (expected 1 to 9)")]
    InvalidGrade,
    /// Basis of diagnosis follows the ENCR/IARC codes 0, 1, 2, 4, 5, 6, 7,
    /// 8 (ENCR 2022 molecular confirmation) and 9.
    #[error(
        "basis of diagnosis is not an ENCR code (expected 0, 1, 2, 4, 5, 6, 7, 8 or 9)"
    )]
    InvalidBasisOfDiagnosis,
    /// Laterality follows the ENCR-JRC codes 0-4 and 9.
    #[error("laterality is not an ENCR-JRC code (expected 0, 1, 2, 3, 4 or 9)")]
    InvalidLaterality,
    /// Summary extent of disease follows the ENCR-JRC codes 1-5 and 9.
    #[error(
        "summary stage is not an ENCR-JRC extent-of-disease code (expected 1 to 5 or 9)"
    )]
    InvalidSummaryStage,
    /// A TNM item (named) that does not have the UICC form, e.g. `T2a`,
    /// `pN1`, `M0`, stage `IIIB`, edition 5 to 8.
    #[error(
        "TNM {0} does not have the UICC TNM form (e.g. T2a, pN1, M0, stage IIIB, edition 5 to 8)"
    )]
    InvalidTnm(&'static str),
}

/// Sex of a person, coded as in the ENCR-JRC call for data (1, 2, 9).
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
pub enum Sex {
    /// Code 1.
    Male,
    /// Code 2.
    Female,
    /// Code 9: not stated or not known.
    Unknown,
}

impl Sex {
    /// Parses the ENCR code (`1`, `2`, `9`); `M` and `F` are accepted too
    /// because hospital and death feeds often use letters.
    ///
    /// # Errors
    ///
    /// [`CodeError::InvalidSex`] for any other value.
    pub fn parse_code(text: &str) -> Result<Sex, CodeError> {
        match text.trim() {
            "1" | "M" | "m" => Ok(Sex::Male),
            "2" | "F" | "f" => Ok(Sex::Female),
            "9" | "" => Ok(Sex::Unknown),
            _ => Err(CodeError::InvalidSex),
        }
    }

    /// The ENCR code: 1, 2 or 9.
    pub fn code(self) -> u8 {
        match self {
            Sex::Male => 1,
            Sex::Female => 2,
            Sex::Unknown => 9,
        }
    }

    /// The label used in tables and reports.
    pub fn label(self) -> &'static str {
        match self {
            Sex::Male => "male",
            Sex::Female => "female",
            Sex::Unknown => "unknown",
        }
    }

    /// Reads back a label written by [`Sex::label`].
    pub fn from_label(label: &str) -> Option<Sex> {
        match label {
            "male" => Some(Sex::Male),
            "female" => Some(Sex::Female),
            "unknown" => Some(Sex::Unknown),
            _ => None,
        }
    }
}

/// An ICD-O-3 topography (primary site), C00.0 to C80.9.
///
/// Stored as the three-character group number (0-80) and the fourth
/// character (0-9). Displays as `C18.7`; parses `C18.7`, `C187` and
/// lower case.
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
pub struct Topography {
    group: u8,
    detail: u8,
}

impl Topography {
    /// Builds a topography from its group (0-80) and fourth character.
    ///
    /// # Errors
    ///
    /// [`CodeError::InvalidTopography`] out of range, and
    /// [`CodeError::TopographyNotInIcdO3`] for C43, C45, C46, C78, C79.
    pub fn new(group: u8, detail: u8) -> Result<Topography, CodeError> {
        if group > 80 || detail > 9 {
            return Err(CodeError::InvalidTopography);
        }
        if matches!(group, 43 | 45 | 46 | 78 | 79) {
            return Err(CodeError::TopographyNotInIcdO3(format!(
                "C{group:02}"
            )));
        }
        Ok(Topography { group, detail })
    }

    /// The three-character group number, e.g. 18 for C18.7.
    pub fn group(self) -> u8 {
        self.group
    }

    /// The fourth character, e.g. 7 for C18.7.
    pub fn detail(self) -> u8 {
        self.detail
    }

    /// The three-character code, e.g. `C18`.
    pub fn three_character(self) -> String {
        format!("C{:02}", self.group)
    }

    /// The unknown primary site, C80.9.
    pub fn unknown_primary() -> Topography {
        Topography {
            group: 80,
            detail: 9,
        }
    }
}

impl fmt::Display for Topography {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "C{:02}.{}", self.group, self.detail)
    }
}

impl FromStr for Topography {
    type Err = CodeError;

    fn from_str(text: &str) -> Result<Topography, CodeError> {
        let compact: String = text
            .trim()
            .chars()
            .filter(|c| *c != '.')
            .collect::<String>()
            .to_ascii_uppercase();
        let digits = compact
            .strip_prefix('C')
            .ok_or(CodeError::InvalidTopography)?;
        if digits.len() != 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CodeError::InvalidTopography);
        }
        let group: u8 = digits[..2]
            .parse()
            .map_err(|_| CodeError::InvalidTopography)?;
        let detail: u8 = digits[2..]
            .parse()
            .map_err(|_| CodeError::InvalidTopography)?;
        Topography::new(group, detail)
    }
}

/// The behaviour code, fifth digit of an ICD-O-3 morphology.
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
pub enum Behaviour {
    /// /0.
    Benign,
    /// /1: uncertain whether benign or malignant, borderline.
    Uncertain,
    /// /2: carcinoma in situ, non-invasive.
    InSitu,
    /// /3: malignant, primary site.
    Malignant,
    /// /6: malignant, metastatic site.
    Metastatic,
    /// /9: malignant, uncertain whether primary or metastatic.
    UncertainPrimaryOrMetastatic,
}

impl Behaviour {
    /// Parses the one-digit code.
    ///
    /// # Errors
    ///
    /// [`CodeError::InvalidBehaviour`] for anything but 0, 1, 2, 3, 6, 9.
    pub fn from_code(code: u8) -> Result<Behaviour, CodeError> {
        match code {
            0 => Ok(Behaviour::Benign),
            1 => Ok(Behaviour::Uncertain),
            2 => Ok(Behaviour::InSitu),
            3 => Ok(Behaviour::Malignant),
            6 => Ok(Behaviour::Metastatic),
            9 => Ok(Behaviour::UncertainPrimaryOrMetastatic),
            _ => Err(CodeError::InvalidBehaviour),
        }
    }

    /// The one-digit code.
    pub fn code(self) -> u8 {
        match self {
            Behaviour::Benign => 0,
            Behaviour::Uncertain => 1,
            Behaviour::InSitu => 2,
            Behaviour::Malignant => 3,
            Behaviour::Metastatic => 6,
            Behaviour::UncertainPrimaryOrMetastatic => 9,
        }
    }
}

/// An ICD-O-3 morphology: histology (four digits), behaviour and grade.
///
/// Displays as `8140/3` or, with a grade, `8140/32`.
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
pub struct Morphology {
    histology: u16,
    behaviour: Behaviour,
    grade: Option<u8>,
}

impl Morphology {
    /// Builds a morphology and checks the range of each part.
    ///
    /// # Errors
    ///
    /// [`CodeError::InvalidMorphology`] when the histology is outside
    /// 8000-9993, [`CodeError::InvalidGrade`] when the grade is not 1-9.
    pub fn new(
        histology: u16,
        behaviour: Behaviour,
        grade: Option<u8>,
    ) -> Result<Morphology, CodeError> {
        if !(8000..=9993).contains(&histology) {
            return Err(CodeError::InvalidMorphology);
        }
        if let Some(g) = grade
            && !(1..=9).contains(&g)
        {
            return Err(CodeError::InvalidGrade);
        }
        Ok(Morphology {
            histology,
            behaviour,
            grade,
        })
    }

    /// Parses the histology from its four-digit text form, e.g. `8140`.
    ///
    /// # Errors
    ///
    /// [`CodeError::InvalidMorphology`] when the text is not four digits
    /// within 8000-9993.
    pub fn parse_histology(text: &str) -> Result<u16, CodeError> {
        let text = text.trim();
        if text.len() != 4 || !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CodeError::InvalidMorphology);
        }
        let histology: u16 =
            text.parse().map_err(|_| CodeError::InvalidMorphology)?;
        if !(8000..=9993).contains(&histology) {
            return Err(CodeError::InvalidMorphology);
        }
        Ok(histology)
    }

    /// The four-digit histology code, e.g. 8140 for adenocarcinoma NOS.
    pub fn histology(self) -> u16 {
        self.histology
    }

    /// The behaviour (fifth digit).
    pub fn behaviour(self) -> Behaviour {
        self.behaviour
    }

    /// The grade or cell type (sixth digit), when coded.
    pub fn grade(self) -> Option<u8> {
        self.grade
    }
}

impl fmt::Display for Morphology {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.histology, self.behaviour.code())?;
        if let Some(grade) = self.grade {
            write!(f, "{grade}")?;
        }
        Ok(())
    }
}

/// Basis of diagnosis: the most valid evidence for a tumour, ENCR/IARC
/// codes (ENCR recommendation 1999, code 8 from the ENCR 2022 revision).
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
pub enum BasisOfDiagnosis {
    /// 0: death certificate only.
    DeathCertificateOnly,
    /// 1: clinical only.
    Clinical,
    /// 2: clinical investigation (imaging, endoscopy, surgery without
    /// histology).
    ClinicalInvestigation,
    /// 4: specific tumour markers.
    SpecificTumourMarkers,
    /// 5: cytology.
    Cytology,
    /// 6: histology of a metastasis.
    HistologyOfMetastasis,
    /// 7: histology of the primary tumour.
    HistologyOfPrimary,
    /// 8: cytogenetic or molecular confirmation (ENCR 2022).
    Molecular,
    /// 9: unknown.
    Unknown,
}

impl BasisOfDiagnosis {
    /// Parses the one-digit code.
    ///
    /// # Errors
    ///
    /// [`CodeError::InvalidBasisOfDiagnosis`] for 3 or a non-digit.
    pub fn from_code(code: u8) -> Result<BasisOfDiagnosis, CodeError> {
        use BasisOfDiagnosis::*;
        match code {
            0 => Ok(DeathCertificateOnly),
            1 => Ok(Clinical),
            2 => Ok(ClinicalInvestigation),
            4 => Ok(SpecificTumourMarkers),
            5 => Ok(Cytology),
            6 => Ok(HistologyOfMetastasis),
            7 => Ok(HistologyOfPrimary),
            8 => Ok(Molecular),
            9 => Ok(Unknown),
            _ => Err(CodeError::InvalidBasisOfDiagnosis),
        }
    }

    /// The one-digit code.
    pub fn code(self) -> u8 {
        use BasisOfDiagnosis::*;
        match self {
            DeathCertificateOnly => 0,
            Clinical => 1,
            ClinicalInvestigation => 2,
            SpecificTumourMarkers => 4,
            Cytology => 5,
            HistologyOfMetastasis => 6,
            HistologyOfPrimary => 7,
            Molecular => 8,
            Unknown => 9,
        }
    }

    /// Whether the diagnosis was microscopically verified (codes 5-8).
    pub fn is_microscopically_verified(self) -> bool {
        matches!(self.code(), 5..=8)
    }

    /// Rank of validity used to pick a tumour's basis: higher is more
    /// valid. Histology of the primary ranks above cytology and markers;
    /// unknown ranks lowest, below death certificate only.
    pub fn validity_rank(self) -> u8 {
        use BasisOfDiagnosis::*;
        match self {
            Unknown => 0,
            DeathCertificateOnly => 1,
            Clinical => 2,
            ClinicalInvestigation => 3,
            SpecificTumourMarkers => 4,
            Cytology => 5,
            HistologyOfMetastasis => 6,
            Molecular => 7,
            HistologyOfPrimary => 8,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topography_parses_both_forms() {
        let dotted: Topography = "C50.4".parse().unwrap();
        let compact: Topography = "c504".parse().unwrap();
        assert_eq!(dotted, compact);
        assert_eq!(dotted.to_string(), "C50.4");
    }

    #[test]
    fn topography_rejects_icd10_only_groups() {
        for code in ["C43.5", "C45.0", "C46.1", "C78.0", "C79.3"] {
            let parsed = code.parse::<Topography>();
            assert!(
                matches!(parsed, Err(CodeError::TopographyNotInIcdO3(_))),
                "{code} was accepted"
            );
        }
    }

    #[test]
    fn topography_rejects_out_of_range() {
        assert!("C81.0".parse::<Topography>().is_err());
        assert!("D18.0".parse::<Topography>().is_err());
        assert!("C1".parse::<Topography>().is_err());
    }

    #[test]
    fn morphology_display_with_grade() {
        let m = Morphology::new(8140, Behaviour::Malignant, Some(2)).unwrap();
        assert_eq!(m.to_string(), "8140/32");
    }

    #[test]
    fn morphology_rejects_out_of_range() {
        assert!(Morphology::parse_histology("7999").is_err());
        assert!(Morphology::parse_histology("9994").is_err());
        assert!(Morphology::parse_histology("81a0").is_err());
        assert_eq!(Morphology::parse_histology("8140"), Ok(8140));
    }

    #[test]
    fn basis_code_three_is_not_used() {
        assert!(BasisOfDiagnosis::from_code(3).is_err());
        for code in [0, 1, 2, 4, 5, 6, 7, 8, 9] {
            let basis = BasisOfDiagnosis::from_code(code).unwrap();
            assert_eq!(basis.code(), code);
        }
    }
}
