//! ICD-10 codes (WHO 2019 edition) and the site and histology a
//! cancer code implies.

use std::fmt;
use std::str::FromStr;

use rnc_model::{Behaviour, Topography};

use crate::Error;
use crate::topography::{is_listed_topography, unspecified_part};

/// An ICD-10 code, normalised to upper case with a dot before the fourth
/// character: `C18.7`, or `C61` for a three-character category.
///
/// Parsing checks the form (a letter, two digits, then an optional dot
/// and one character), not that WHO lists the code.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Icd10(String);

impl Icd10 {
    /// The normalised text, e.g. `C18.7`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The chapter letter, e.g. `C`.
    pub fn letter(&self) -> char {
        char::from(self.0.as_bytes()[0])
    }

    /// The two-digit category number, e.g. 18 for `C18.7`.
    pub fn category(&self) -> u8 {
        let bytes = self.0.as_bytes();
        (bytes[1] - b'0') * 10 + (bytes[2] - b'0')
    }

    /// The three-character category, e.g. `C18`.
    pub fn three_character(&self) -> &str {
        &self.0[..3]
    }

    /// The fourth character, when present.
    pub fn fourth(&self) -> Option<char> {
        self.0.chars().nth(4)
    }

    /// The fourth character as a digit, when it is one.
    fn fourth_digit(&self) -> Option<u8> {
        self.fourth()?
            .to_digit(10)
            .and_then(|d| u8::try_from(d).ok())
    }

    /// Builds a code from parts known to be valid; used by the tables of
    /// this crate.
    pub(crate) fn from_parts(
        letter: char,
        category: u8,
        fourth: Option<u8>,
    ) -> Icd10 {
        match fourth {
            Some(d) => Icd10(format!("{letter}{category:02}.{d}")),
            None => Icd10(format!("{letter}{category:02}")),
        }
    }
}

impl fmt::Display for Icd10 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Icd10 {
    type Err = Error;

    /// Parses `C18.7`, `C187`, `c18.7` or `C61`.
    fn from_str(text: &str) -> Result<Icd10, Error> {
        let upper = text.trim().to_ascii_uppercase();
        let compact = match upper.as_bytes().get(3) {
            Some(b'.') if upper.len() == 5 => {
                format!("{}{}", &upper[..3], &upper[4..])
            }
            _ => upper,
        };
        let bytes = compact.as_bytes();
        let well_formed = (3..=4).contains(&bytes.len())
            && bytes[0].is_ascii_uppercase()
            && bytes[1].is_ascii_digit()
            && bytes[2].is_ascii_digit()
            && bytes.get(3).is_none_or(|b| b.is_ascii_alphanumeric());
        if !well_formed {
            return Err(Error::invalid_icd10(text));
        }
        let code = match bytes.get(3) {
            Some(fourth) => {
                format!("{}.{}", &compact[..3], char::from(*fourth))
            }
            None => compact,
        };
        Ok(Icd10(code))
    }
}

/// Whether the code is a malignant neoplasm, ICD-10 C00-C97.
pub fn is_cancer_code(code: &Icd10) -> bool {
    code.letter() == 'C' && code.category() <= 97
}

/// Whether the code is an in situ neoplasm, ICD-10 D00-D09.
pub fn is_in_situ_code(code: &Icd10) -> bool {
    code.letter() == 'D' && code.category() <= 9
}

/// Whether the code is a secondary malignant neoplasm, ICD-10 C77-C79,
/// which describes a metastasis and not a new tumour.
pub fn is_secondary_code(code: &Icd10) -> bool {
    code.letter() == 'C' && (77..=79).contains(&code.category())
}

/// The ICD-O-3 site, behaviour and (when the code implies one) histology
/// of an ICD-10 neoplasm code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Icd10Site {
    /// ICD-O-3 topography.
    pub topography: Topography,
    /// ICD-O-3 histology implied by a morphology-driven code (C43, C45,
    /// C46, C81-C96, D03), else `None`: a hospital or death code for a
    /// solid site carries no morphology.
    pub histology: Option<u16>,
    /// Malignant for C codes, in situ for D00-D09.
    pub behaviour: Behaviour,
}

/// Translates an ICD-10 (WHO 2019) cancer code into the ICD-O-3 site it
/// describes and, for morphology-driven codes, a histology.
///
/// Returns `None` for secondary neoplasms (C77-C79), for C97 (several
/// independent primaries, no single site), for codes outside C00-C97 and
/// D00-D09, and for categories WHO does not use (e.g. C42).
///
/// Site-driven codes keep the three characters and use the fourth when
/// ICD-O-3 lists it, else the unspecified part (`.9`). Haemato-lymphoid
/// codes (C81-C96) get a site of C77.9 (lymph nodes) for lymphomas and
/// C42.1 (bone marrow) for leukaemias and myeloma, with an ICD-O-3
/// histology of the matching IARC/IACR 2004 group.
pub fn icd10_to_site(code: &Icd10) -> Option<Icd10Site> {
    let category = code.category();
    let fourth = code.fourth_digit();
    match code.letter() {
        'C' if UNUSED_CATEGORIES.contains(&category) => None,
        'C' if category <= 76 || category == 80 => {
            malignant_site(category, fourth)
        }
        'C' if (81..=96).contains(&category) => {
            let (topography, histology) = haemato_site(category, fourth)?;
            Some(Icd10Site {
                topography,
                histology: Some(histology),
                behaviour: Behaviour::Malignant,
            })
        }
        'D' if category <= 9 => in_situ_site(category, fourth),
        _ => None,
    }
}

/// Three-character categories below C81 that ICD-10 (WHO 2019) does not
/// use.
const UNUSED_CATEGORIES: &[u8] = &[27, 28, 29, 35, 36, 42, 59];

fn topography(group: u8, detail: u8) -> Topography {
    Topography::new(group, detail)
        .expect("table entries are valid ICD-O-3 codes")
}

/// The ICD-O-3 code with the same three characters and fourth character,
/// or the group's unspecified part.
///
/// NOTE: a fourth character that WHO does not list (C50.7) also falls
/// back to the unspecified part without a finding, because rnc has no
/// list of ICD-10 codes, only their form.
fn same_site(group: u8, fourth: Option<u8>) -> Option<Topography> {
    if let Some(detail) = fourth
        && let Ok(site) = Topography::new(group, detail)
        && is_listed_topography(site)
    {
        return Some(site);
    }
    unspecified_part(group)
}

fn malignant_site(category: u8, fourth: Option<u8>) -> Option<Icd10Site> {
    let malignant = |topography, histology| {
        Some(Icd10Site {
            topography,
            histology,
            behaviour: Behaviour::Malignant,
        })
    };
    match category {
        // Skin melanoma: ICD-10 C43.x shares the fourth character of the
        // skin site C44.x.
        43 => malignant(same_site(44, fourth)?, Some(8720)),
        // Mesothelioma: pleura, peritoneum, pericardium, other, unknown.
        45 => {
            let site = match fourth {
                Some(0) => topography(38, 4),
                Some(1) => topography(48, 2),
                Some(2) => topography(38, 0),
                _ => Topography::unknown_primary(),
            };
            malignant(site, Some(9050))
        }
        // Kaposi sarcoma: skin, soft tissue, palate, lymph nodes, other.
        46 => {
            let site = match fourth {
                Some(0) => topography(44, 9),
                Some(1) => topography(49, 9),
                Some(2) => topography(5, 9),
                Some(3) => topography(77, 9),
                _ => Topography::unknown_primary(),
            };
            malignant(site, Some(9140))
        }
        // Spleen is C26.1 in ICD-10 but C42.2 in ICD-O-3.
        26 if fourth == Some(1) => malignant(topography(42, 2), None),
        80 => malignant(Topography::unknown_primary(), None),
        _ => malignant(same_site(category, fourth)?, None),
    }
}

/// Site and histology for ICD-10 C81-C96 (WHO 2019 subcategories), with
/// the histology chosen in the IARC/IACR 2004 group the code belongs to.
fn haemato_site(category: u8, fourth: Option<u8>) -> Option<(Topography, u16)> {
    let nodes = topography(77, 9);
    let marrow = topography(42, 1);
    let found = match (category, fourth) {
        (81, Some(0)) => (nodes, 9659),
        (81, Some(1)) => (nodes, 9663),
        (81, Some(2)) => (nodes, 9652),
        (81, Some(3)) => (nodes, 9653),
        (81, Some(4)) => (nodes, 9651),
        (81, _) => (nodes, 9650),
        (82, _) => (nodes, 9690),
        (83, Some(0)) => (nodes, 9670),
        (83, Some(1)) => (nodes, 9673),
        (83, Some(3)) => (nodes, 9680),
        (83, Some(5)) => (nodes, 9727),
        (83, Some(7)) => (nodes, 9687),
        (83, _) => (nodes, 9591),
        (84, Some(0)) => (nodes, 9700),
        (84, Some(1)) => (nodes, 9701),
        (84, Some(6 | 7)) => (nodes, 9714),
        (84, _) => (nodes, 9702),
        (85, Some(2)) => (nodes, 9679),
        (85, _) => (nodes, 9591),
        (86, Some(0)) => (nodes, 9719),
        (86, Some(1)) => (nodes, 9716),
        (86, Some(2)) => (nodes, 9717),
        (86, Some(3)) => (nodes, 9708),
        (86, Some(4)) => (marrow, 9727),
        (86, Some(5)) => (nodes, 9705),
        (86, Some(6)) => (nodes, 9718),
        (86, _) => (nodes, 9702),
        (88, Some(0)) => (marrow, 9761),
        (88, Some(2)) => (nodes, 9762),
        (88, Some(3)) => (nodes, 9764),
        (88, Some(4)) => (nodes, 9699),
        (88, _) => (nodes, 9760),
        (90, Some(1)) => (marrow, 9733),
        (90, Some(2)) => (marrow, 9734),
        (90, Some(3)) => (marrow, 9731),
        (90, _) => (marrow, 9732),
        (91, Some(0)) => (marrow, 9835),
        (91, Some(1)) => (marrow, 9823),
        (91, Some(3)) => (marrow, 9833),
        (91, Some(4)) => (marrow, 9940),
        (91, Some(5)) => (marrow, 9827),
        (91, Some(6)) => (marrow, 9834),
        (91, Some(8)) => (marrow, 9826),
        (91, _) => (marrow, 9820),
        (92, Some(0)) => (marrow, 9861),
        (92, Some(1)) => (marrow, 9875),
        (92, Some(2)) => (marrow, 9876),
        (92, Some(3)) => (marrow, 9930),
        (92, Some(4)) => (marrow, 9866),
        (92, Some(5)) => (marrow, 9867),
        (92, Some(6)) => (marrow, 9897),
        (92, Some(8)) => (marrow, 9895),
        (92, _) => (marrow, 9860),
        (93, Some(0)) => (marrow, 9891),
        (93, Some(1)) => (marrow, 9945),
        (93, Some(3)) => (marrow, 9946),
        (93, _) => (marrow, 9890),
        (94, Some(0)) => (marrow, 9840),
        (94, Some(2)) => (marrow, 9910),
        (94, Some(3)) => (marrow, 9742),
        (94, Some(4)) => (marrow, 9931),
        (94, Some(6)) => (marrow, 9975),
        (94, _) => (marrow, 9860),
        (95, Some(0)) => (marrow, 9801),
        (95, Some(1)) => (marrow, 9803),
        (95, _) => (marrow, 9800),
        (96, Some(2)) => (marrow, 9740),
        (96, _) => (topography(42, 4), 9750),
        _ => return None,
    };
    Some(found)
}

/// Site for ICD-10 D00-D09, carcinoma and melanoma in situ.
fn in_situ_site(category: u8, fourth: Option<u8>) -> Option<Icd10Site> {
    let in_situ = |topography, histology| {
        Some(Icd10Site {
            topography,
            histology,
            behaviour: Behaviour::InSitu,
        })
    };
    let site = match (category, fourth) {
        (0, Some(0)) => topography(6, 9),
        (0, Some(1)) => topography(15, 9),
        (0, Some(2)) => topography(16, 9),
        (1, Some(0)) => topography(18, 9),
        (1, Some(1)) => topography(19, 9),
        (1, Some(2)) => topography(20, 9),
        (1, Some(3)) => topography(21, 0),
        (1, Some(4)) => topography(17, 9),
        // NOTE: D01.5 covers liver, gallbladder and bile ducts; in situ
        // lesions there are mostly biliary, so C24.9 stands for it.
        (1, Some(5)) => topography(24, 9),
        (1, Some(7)) => topography(26, 8),
        (1, _) => topography(26, 9),
        (2, Some(0)) => topography(32, 9),
        (2, Some(1)) => topography(33, 9),
        (2, Some(2)) => topography(34, 9),
        (2, Some(3)) => topography(39, 8),
        (2, _) => topography(39, 9),
        (3, _) => return in_situ(same_site(44, fourth)?, Some(8720)),
        (4, _) => same_site(44, fourth)?,
        (5, _) => topography(50, 9),
        (6, Some(0)) => topography(53, 0),
        (6, Some(1)) => topography(53, 1),
        (6, Some(7)) => topography(53, 8),
        (6, _) => topography(53, 9),
        (7, Some(0)) => topography(54, 1),
        (7, Some(1)) => topography(51, 9),
        (7, Some(2)) => topography(52, 9),
        (7, Some(3)) => topography(57, 9),
        (7, Some(4)) => topography(60, 9),
        (7, Some(5)) => topography(61, 9),
        (7, Some(6)) => topography(63, 9),
        (9, Some(0)) => topography(67, 9),
        (9, Some(1)) => topography(68, 9),
        (9, Some(2)) => topography(69, 9),
        (9, Some(3)) => topography(73, 9),
        (9, Some(7)) => topography(76, 7),
        (9, _) => Topography::unknown_primary(),
        _ => return None,
    };
    in_situ(site, None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{HistologyGroup, histology_group};

    fn code(text: &str) -> Icd10 {
        text.parse().unwrap()
    }

    fn site(text: &str) -> Topography {
        text.parse().unwrap()
    }

    #[test]
    fn parse_normalises_the_dot() {
        assert_eq!(code("C187").as_str(), "C18.7");
        assert_eq!(code(" c18.7 ").as_str(), "C18.7");
        assert_eq!(code("C61").as_str(), "C61");
        assert_eq!(code("Z511").as_str(), "Z51.1");
        assert_eq!(code("C18.7").to_string(), "C18.7");
        assert_eq!(code("C18.7").category(), 18);
    }

    #[test]
    fn parse_rejects_other_forms() {
        for bad in [
            "", "C1", "18.7", "C18.", "C18.77", "C1.87", "CC8.7", "C18-7",
        ] {
            let parsed = bad.parse::<Icd10>();
            assert!(parsed.is_err(), "{bad} was accepted");
        }
        let message = "C1".parse::<Icd10>().unwrap_err().to_string();
        assert!(message.contains("C1"), "{message}");
    }

    // Expected values: ICD-10 (WHO 2019) chapter II blocks: C00-C97
    // malignant, D00-D09 in situ, C77-C79 secondary.
    #[test]
    fn cancer_and_in_situ_blocks() {
        assert!(is_cancer_code(&code("C00.0")));
        assert!(is_cancer_code(&code("C97")));
        assert!(!is_cancer_code(&code("D05.1")));
        assert!(!is_cancer_code(&code("Z51.1")));
        assert!(is_in_situ_code(&code("D05.1")));
        assert!(is_in_situ_code(&code("D09.0")));
        assert!(!is_in_situ_code(&code("D10.0")));
        assert!(is_secondary_code(&code("C78.7")));
        assert!(!is_secondary_code(&code("C80.9")));
    }

    // Expected values: ICD-10 (WHO 2019) and ICD-O-3 (WHO 2000) share the
    // site codes C00-C76 and C80; C43 is the skin C44 for melanoma; C77-C79
    // are secondary.
    #[test]
    fn solid_sites() {
        let cases = [
            ("C18.7", "C18.7"),
            ("C18", "C18.9"),
            ("C61", "C61.9"),
            ("C20", "C20.9"),
            ("C50.4", "C50.4"),
            ("C34", "C34.9"),
            ("C80.0", "C80.9"),
            ("C14", "C14.0"),
            ("C26.1", "C42.2"),
        ];
        for (icd10, expected) in cases {
            let found = icd10_to_site(&code(icd10)).unwrap();
            assert_eq!(found.topography, site(expected), "{icd10}");
            assert_eq!(found.histology, None, "{icd10}");
            assert_eq!(found.behaviour, Behaviour::Malignant, "{icd10}");
        }
        for secondary in ["C77.2", "C78.7", "C79.5", "C97", "C42.1", "Z51.1"] {
            assert_eq!(icd10_to_site(&code(secondary)), None, "{secondary}");
        }
    }

    // Expected values: ICD-10 (WHO 2019) morphology-driven categories C43
    // melanoma (ICD-O-3 8720), C45 mesothelioma (9050), C46 Kaposi (9140).
    #[test]
    fn morphology_driven_solid_codes() {
        let melanoma = icd10_to_site(&code("C43.5")).unwrap();
        assert_eq!(melanoma.topography, site("C44.5"));
        assert_eq!(melanoma.histology, Some(8720));
        let pleura = icd10_to_site(&code("C45.0")).unwrap();
        assert_eq!(pleura.topography, site("C38.4"));
        assert_eq!(pleura.histology, Some(9050));
        let kaposi = icd10_to_site(&code("C46.0")).unwrap();
        assert_eq!(kaposi.topography, site("C44.9"));
        assert_eq!(kaposi.histology, Some(9140));
    }

    // Expected values: ICD-10 (WHO 2019) categories C81-C96 against the
    // IARC/IACR 2004 Table 2 group of the implied histology.
    #[test]
    fn haemato_codes_fall_in_their_group() {
        use HistologyGroup::*;
        let cases = [
            ("C81.9", Hodgkin),
            ("C82.0", BCell),
            ("C83.3", BCell),
            ("C84.4", TAndNkCell),
            ("C85.9", HaematoLymphoidNos),
            ("C88.0", BCell),
            ("C90.0", BCell),
            ("C91.1", BCell),
            ("C91.9", HaematoLymphoidNos),
            ("C92.0", Myeloid),
            ("C92.9", HaematoLymphoidNos),
            ("C93.1", Myeloid),
            ("C95.9", HaematoLymphoidNos),
            ("C96.2", MastCell),
            ("C96.9", Histiocytic),
        ];
        for (icd10, expected) in cases {
            let found = icd10_to_site(&code(icd10)).unwrap();
            let histology = found.histology.unwrap();
            assert_eq!(histology_group(histology), expected, "{icd10}");
        }
        let myeloma = icd10_to_site(&code("C90.0")).unwrap();
        assert_eq!(myeloma.topography, site("C42.1"));
        assert_eq!(myeloma.histology, Some(9732));
    }

    // Expected values: ICD-10 (WHO 2019) block D00-D09 (in situ).
    #[test]
    fn in_situ_codes() {
        let breast = icd10_to_site(&code("D05.1")).unwrap();
        assert_eq!(breast.topography, site("C50.9"));
        assert_eq!(breast.behaviour, Behaviour::InSitu);
        let bladder = icd10_to_site(&code("D09.0")).unwrap();
        assert_eq!(bladder.topography, site("C67.9"));
        let melanoma = icd10_to_site(&code("D03.3")).unwrap();
        assert_eq!(melanoma.topography, site("C44.3"));
        assert_eq!(melanoma.histology, Some(8720));
        assert_eq!(icd10_to_site(&code("D10.0")), None);
    }
}
