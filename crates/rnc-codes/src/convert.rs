//! ICD-O-3 to ICD-10 (WHO 2019) conversion, on the principle of IARC
//! Technical Report 42 (IARCcrgTools) as tabulated in CanReg5.
//!
//! The behaviour chooses the ICD-10 block: /3 malignant (C00-C97), /2 in
//! situ (D00-D09), /0 benign (D10-D36), /1 uncertain (D37-D48), /6
//! secondary (C77-C79). Most morphologies then take the code of the
//! topography in that block. Some are morphology-driven: haemato-lymphoid
//! codes 9590-9993 (C81-C96, and D45-D47 for the myeloproliferative and
//! myelodysplastic codes that ICD-10 2019 classes as uncertain), melanoma
//! 8720-8790 of the skin (C43), mesothelioma 9050-9055 (C45), Kaposi
//! sarcoma 9140 (C46), and liver C22 whose fourth character follows the
//! morphology.

use rnc_model::{Behaviour, Morphology, Topography};

use crate::icd10::Icd10;

/// ICD-10 categories that WHO does not subdivide: their code has no
/// fourth character.
const THREE_CHARACTER_CATEGORIES: &[u8] = &[
    1, 7, 12, 19, 20, 23, 33, 37, 52, 55, 56, 58, 61, 64, 65, 66, 73,
];

/// Converts an ICD-O-3 topography and morphology to the ICD-10 (WHO 2019)
/// code, following IARC TR42.
///
/// Behaviour /9 (malignant, primary or metastatic uncertain) converts as
/// /3, the code a registry would record. Returns `None` when the pair has
/// no ICD-10 code in these tables (a benign or uncertain haemato-lymphoid
/// code other than those listed, or a topography ICD-O-3 does not list).
///
/// # Example
///
/// ```
/// use rnc_codes::icdo3_to_icd10;
/// use rnc_model::{Behaviour, Morphology};
///
/// let lung = "C34.1".parse().unwrap();
/// let squamous = Morphology::new(8070, Behaviour::Malignant, None).unwrap();
/// assert_eq!(icdo3_to_icd10(lung, squamous).unwrap().as_str(), "C34.1");
/// ```
pub fn icdo3_to_icd10(
    topography: Topography,
    morphology: Morphology,
) -> Option<Icd10> {
    if !crate::is_listed_topography(topography) {
        return None;
    }
    let histology = morphology.histology();
    match morphology.behaviour() {
        Behaviour::Malignant | Behaviour::UncertainPrimaryOrMetastatic => {
            malignant(topography, histology)
        }
        Behaviour::InSitu => Some(in_situ(topography, histology)),
        Behaviour::Metastatic => Some(secondary(topography)),
        Behaviour::Uncertain => uncertain(topography, histology),
        Behaviour::Benign => benign(topography, histology),
    }
}

fn code(letter: char, category: u8, fourth: Option<u8>) -> Icd10 {
    Icd10::from_parts(letter, category, fourth)
}

/// Column 1 of the topography table: the malignant code of the site.
fn malignant_site_code(topography: Topography) -> Icd10 {
    let group = topography.group();
    match group {
        // C42 has no ICD-10 category: spleen is C26.1 and the rest of the
        // haematopoietic system C96.9 when the morphology is not
        // haemato-lymphoid.
        42 if topography.detail() == 2 => code('C', 26, Some(1)),
        42 => code('C', 96, Some(9)),
        _ if THREE_CHARACTER_CATEGORIES.contains(&group) => {
            code('C', group, None)
        }
        _ => code('C', group, Some(topography.detail())),
    }
}

fn malignant(topography: Topography, histology: u16) -> Option<Icd10> {
    let group = topography.group();
    let detail = topography.detail();
    if (9590..=9993).contains(&histology) {
        return haemato(topography, histology);
    }
    let found = match histology {
        9140 => {
            let fourth = match group {
                44 | 51 => 0,
                60 if detail == 9 => 0,
                63 if detail == 2 => 0,
                47 | 49 => 1,
                5 => 2,
                77 => 3,
                80 => 9,
                _ => 7,
            };
            code('C', 46, Some(fourth))
        }
        9050..=9055 => {
            let fourth = match (group, detail) {
                (38, 4) => 0,
                (48, _) => 1,
                (38, 0) => 2,
                (80, _) => 9,
                _ => 7,
            };
            code('C', 45, Some(fourth))
        }
        8720..=8790 => match melanoma_skin_site(topography) {
            Some(fourth) => code('C', 43, Some(fourth)),
            None => malignant_site_code(topography),
        },
        _ if group == 22 => {
            code('C', 22, Some(liver_fourth(topography, histology)))
        }
        _ => malignant_site_code(topography),
    };
    Some(found)
}

/// The C43/D03 fourth character of a melanoma at a skin site (TR42 rule
/// 8 list for 8720/3), or `None` when the site is not skin (eye, mucosa),
/// which keeps the topography code.
fn melanoma_skin_site(topography: Topography) -> Option<u8> {
    match (topography.group(), topography.detail()) {
        (44, detail) => Some(detail),
        (0, _) => Some(0),
        (50, _) | (63, 2) => Some(5),
        (76, 4) => Some(6),
        (76, 5) => Some(7),
        (76, 0 | 1 | 3) | (80, 9) => Some(9),
        _ => None,
    }
}

/// Liver sub-code chosen by morphology (CanReg5 fix of the TR42 tables):
/// angiosarcoma C22.3, hepatoblastoma C22.2, cholangiocarcinoma C22.1,
/// hepatocellular C22.0, unspecified C22.9, other carcinoma C22.7, other
/// sarcoma C22.4.
fn liver_fourth(topography: Topography, histology: u16) -> u8 {
    match histology {
        9120..=9133 | 9161 => 3,
        8970 => 2,
        8160..=8162 => 1,
        8170..=8175 => 0,
        8000..=8005 => 9,
        // A carcinoma coded to the intrahepatic bile duct is a bile-duct
        // carcinoma.
        _ if histology < 8800 && topography.detail() == 1 => 1,
        _ if histology < 8800 => 7,
        _ => 4,
    }
}

/// Haemato-lymphoid morphology (9590-9993, behaviour /3) to ICD-10 WHO
/// 2019, by histology range; MALT lymphoma 9699 at the bone marrow,
/// blood, haematopoietic system NOS or lymph nodes is nodal (C83.0, a
/// CanReg5 fix), else extranodal (C88.4).
// Specific codes come first and a range after them catches the rest of
// its block, so arms overlap on purpose.
#[allow(clippy::match_overlapping_arm)]
fn haemato(topography: Topography, histology: u16) -> Option<Icd10> {
    let nodal = topography.group() == 77
        || (topography.group() == 42
            && matches!(topography.detail(), 0 | 1 | 4));
    let (letter, category, fourth) = match histology {
        9590 | 9591 => ('C', 85, Some(9)),
        9596 => ('C', 85, Some(7)),
        9597 => ('C', 82, Some(6)),
        9650 => ('C', 81, Some(9)),
        9651 => ('C', 81, Some(4)),
        9652 => ('C', 81, Some(2)),
        9653..=9655 => ('C', 81, Some(3)),
        9659 => ('C', 81, Some(0)),
        9661..=9662 => ('C', 81, Some(7)),
        9663..=9667 => ('C', 81, Some(1)),
        9670 | 9671 | 9689 => ('C', 83, Some(0)),
        9673 => ('C', 83, Some(1)),
        9678 | 9680 | 9684 | 9688 => ('C', 83, Some(3)),
        9679 => ('C', 85, Some(2)),
        9687 => ('C', 83, Some(7)),
        9690 => ('C', 82, Some(9)),
        9691 => ('C', 82, Some(1)),
        9695 => ('C', 82, Some(0)),
        9698 => ('C', 82, Some(2)),
        9699 if nodal => ('C', 83, Some(0)),
        9699 => ('C', 88, Some(4)),
        9670..=9699 => ('C', 83, Some(8)),
        9700 => ('C', 84, Some(0)),
        9701 => ('C', 84, Some(1)),
        9705 => ('C', 86, Some(5)),
        9708 => ('C', 86, Some(3)),
        9709 => ('C', 84, Some(8)),
        9714 => ('C', 84, Some(6)),
        9716 => ('C', 86, Some(1)),
        9717 => ('C', 86, Some(2)),
        9718 => ('C', 86, Some(6)),
        9719 => ('C', 86, Some(0)),
        9712 => ('C', 83, Some(8)),
        9727..=9729 => ('C', 83, Some(5)),
        9700..=9726 => ('C', 84, Some(4)),
        9731 => ('C', 90, Some(3)),
        9732 => ('C', 90, Some(0)),
        9733 => ('C', 90, Some(1)),
        9734 => ('C', 90, Some(2)),
        9740 | 9741 => ('C', 96, Some(2)),
        9742 => ('C', 94, Some(3)),
        9754 => ('C', 96, Some(0)),
        9755 => ('C', 96, Some(8)),
        9756..=9759 => ('C', 96, Some(4)),
        9750..=9753 => ('C', 96, Some(9)),
        9760 => ('C', 88, Some(9)),
        9761 => ('C', 88, Some(0)),
        9762 => ('C', 88, Some(2)),
        9764 => ('C', 88, Some(3)),
        9763..=9769 => ('C', 88, Some(7)),
        9800 => ('C', 95, Some(9)),
        9801..=9809 => ('C', 95, Some(0)),
        9811..=9818 | 9835..=9837 => ('C', 91, Some(0)),
        9820 => ('C', 91, Some(9)),
        9823 => ('C', 91, Some(1)),
        9826 => ('C', 91, Some(8)),
        9827 => ('C', 91, Some(5)),
        9832 | 9833 => ('C', 91, Some(3)),
        9834 => ('C', 91, Some(6)),
        9831 => ('C', 91, Some(7)),
        9840 => ('C', 94, Some(0)),
        9860 => ('C', 92, Some(9)),
        9863 | 9875 => ('C', 92, Some(1)),
        9866 => ('C', 92, Some(4)),
        9867 => ('C', 92, Some(5)),
        9876 => ('C', 92, Some(2)),
        9891 => ('C', 93, Some(0)),
        9890 => ('C', 93, Some(9)),
        9895 => ('C', 92, Some(8)),
        9897 => ('C', 92, Some(6)),
        9861..=9920 => ('C', 92, Some(0)),
        9930 => ('C', 92, Some(3)),
        9931 => ('C', 94, Some(4)),
        9940 => ('C', 91, Some(4)),
        9945 => ('C', 93, Some(1)),
        9946 => ('C', 93, Some(3)),
        9948 => ('C', 94, Some(7)),
        // ICD-10 2019 classes the myeloproliferative and myelodysplastic
        // neoplasms (malignant in ICD-O-3) as uncertain behaviour.
        9950 => ('D', 45, None),
        9960 | 9975 => ('D', 47, Some(1)),
        9961 => ('D', 47, Some(4)),
        9962 => ('D', 47, Some(3)),
        9963 | 9964 => ('D', 47, Some(5)),
        9980 => ('D', 46, Some(0)),
        9982 => ('D', 46, Some(1)),
        9983 => ('D', 46, Some(2)),
        9985 => ('D', 46, Some(5)),
        9986 => ('D', 46, Some(6)),
        9981..=9992 => ('D', 46, Some(9)),
        _ => return None,
    };
    Some(code(letter, category, fourth))
}

/// Column 3: in situ, D00-D09.
fn in_situ(topography: Topography, histology: u16) -> Icd10 {
    let group = topography.group();
    let detail = topography.detail();
    if (8720..=8790).contains(&histology)
        && let Some(fourth) = melanoma_skin_site(topography)
    {
        return code('D', 3, Some(fourth));
    }
    let (category, fourth) = match group {
        0..=14 => (0, 0),
        15 => (0, 1),
        16 => (0, 2),
        17 => (1, 4),
        18 => (1, 0),
        19 => (1, 1),
        20 => (1, 2),
        21 => (1, 3),
        22..=24 => (1, 5),
        25 => (1, 7),
        26 if detail == 9 => (1, 9),
        26 => (1, 7),
        30 | 31 => (2, 3),
        32 => (2, 0),
        33 => (2, 1),
        34 => (2, 2),
        38 if detail == 4 => (2, 3),
        39 => (2, 4),
        44 => (4, detail),
        50 => match histology {
            8520 => (5, 0),
            8500..=8509 => (5, 1),
            _ => (5, 9),
        },
        51 => (7, 1),
        52 => (7, 2),
        53 => match detail {
            0 | 1 => (6, detail),
            8 => (6, 7),
            _ => (6, 9),
        },
        54 => (7, 0),
        55..=58 => (7, 3),
        60 => (7, 4),
        61 => (7, 5),
        62 | 63 => (7, 6),
        64..=66 | 68 => (9, 1),
        67 => (9, 0),
        69 => (9, 2),
        73..=75 => (9, 3),
        80 => (9, 9),
        // Bone, soft tissue, nerves, CNS, lymph nodes and the
        // haematopoietic system have no in situ stage (the behaviour/site
        // check flags them); TR42 puts them in "other specified sites".
        _ => (9, 7),
    };
    code('D', category, Some(fourth))
}

/// Column 5: secondary, C77-C79.
fn secondary(topography: Topography) -> Icd10 {
    let group = topography.group();
    let detail = topography.detail();
    let (category, fourth) = match group {
        77 => (77, detail),
        33 | 34 => (78, 0),
        37 => (78, 1),
        38 if detail == 4 => (78, 2),
        38 => (78, 1),
        30..=32 | 39 => (78, 3),
        17 => (78, 4),
        18..=21 => (78, 5),
        48 => (78, 6),
        22 => (78, 7),
        15 | 16 | 23..=26 => (78, 8),
        64 | 65 => (79, 0),
        66..=68 => (79, 1),
        44 => (79, 2),
        71 => (79, 3),
        70 | 72 => (79, 4),
        40 | 41 => (79, 5),
        42 if detail == 1 => (79, 5),
        56 => (79, 6),
        74 => (79, 7),
        80 => (79, 9),
        _ => (79, 8),
    };
    code('C', category, Some(fourth))
}

/// Column 4: uncertain behaviour, D37-D48.
fn uncertain(topography: Topography, histology: u16) -> Option<Icd10> {
    if (9590..=9993).contains(&histology) {
        // NOTE: TR42 gives D47.x sub-codes per haemato-lymphoid
        // morphology; D47.9 is the unspecified code of that category.
        return Some(code('D', 47, Some(9)));
    }
    let group = topography.group();
    let detail = topography.detail();
    let (category, fourth) = match group {
        0..=14 => (37, 0),
        16 => (37, 1),
        17 => (37, 2),
        18 if detail == 1 => (37, 3),
        18 => (37, 4),
        19 | 20 => (37, 5),
        22..=24 => (37, 6),
        15 | 21 | 25 => (37, 7),
        26 => (37, 9),
        32 => (38, 0),
        33 | 34 => (38, 1),
        38 if detail == 4 => (38, 2),
        38 => (38, 3),
        37 => (38, 4),
        30 | 31 | 39 => (38, 5),
        54 | 55 => (39, 0),
        56 => (39, 1),
        58 => (39, 2),
        51..=53 | 57 => (39, 7),
        61 => (40, 0),
        62 => (40, 1),
        60 | 63 => (40, 7),
        64 => (41, 0),
        65 => (41, 1),
        66 => (41, 2),
        68 if detail == 0 => (41, 3),
        67 => (41, 4),
        68 => (41, 7),
        70 => match detail {
            0 => (42, 0),
            1 => (42, 1),
            _ => (42, 9),
        },
        71 => match detail {
            0..=5 => (43, 0),
            6 | 7 => (43, 1),
            _ => (43, 2),
        },
        72 => match detail {
            0 | 1 => (43, 4),
            2..=5 => (43, 3),
            8 => (43, 7),
            _ => (43, 9),
        },
        73 => (44, 0),
        74 => (44, 1),
        75 => match detail {
            0 => (44, 2),
            1 => (44, 3),
            2 => (44, 4),
            3 => (44, 5),
            4 => (44, 6),
            5 => (44, 7),
            8 => (44, 8),
            _ => (44, 9),
        },
        40 | 41 => (48, 0),
        49 => (48, 1),
        47 => (48, 2),
        48 if detail == 0 => (48, 3),
        48 => (48, 4),
        44 => (48, 5),
        50 => (48, 6),
        80 => (48, 9),
        42 => (47, 9),
        _ => (48, 7),
    };
    Some(code('D', category, Some(fourth)))
}

/// Column 2: benign, D10-D36, with the morphology-driven benign
/// categories of ICD-10 (lipoma D17, haemangioma D18, mesothelial D19,
/// melanocytic naevus D22, uterine leiomyoma D25) and the prostatic
/// adenoma that ICD-10 classes as hyperplasia (N40).
fn benign(topography: Topography, histology: u16) -> Option<Icd10> {
    let group = topography.group();
    let detail = topography.detail();
    if (9590..=9993).contains(&histology) {
        // NOTE: benign haemato-lymphoid codes have no neoplasm code in
        // ICD-10; callers see "not derivable".
        return None;
    }
    let morphology_driven = match histology {
        8850..=8881 => Some(('D', 17, Some(9))),
        9120..=9133 | 9161 => Some(('D', 18, Some(0))),
        9050..=9055 => Some(('D', 19, Some(9))),
        8720..=8790 if group == 44 => Some(('D', 22, Some(detail))),
        8890 if (54..=55).contains(&group) => Some(('D', 25, Some(9))),
        8140 if group == 61 => Some(('N', 40, None)),
        _ => None,
    };
    if let Some((letter, category, fourth)) = morphology_driven {
        return Some(code(letter, category, fourth));
    }
    let (category, fourth) = match group {
        0 => (10, 0),
        1 | 2 => (10, 1),
        4 => (10, 2),
        3 | 5 | 6 => (10, 3),
        9 => (10, 4),
        10 => (10, 5),
        11 => (10, 6),
        12 | 13 => (10, 7),
        14 => (10, 9),
        7 => (11, 0),
        8 if detail == 9 => (11, 9),
        8 => (11, 7),
        18 => match detail {
            0 => (12, 0),
            1 => (12, 1),
            2 => (12, 2),
            3..=5 => (12, 3),
            6 => (12, 4),
            7 => (12, 5),
            _ => (12, 6),
        },
        19 => (12, 7),
        20 => (12, 8),
        21 => (12, 9),
        15 => (13, 0),
        16 => (13, 1),
        17 if detail == 0 => (13, 2),
        17 => (13, 3),
        22 => (13, 4),
        23 | 24 => (13, 5),
        25 if detail == 4 => (13, 7),
        25 => (13, 6),
        26 => (13, 9),
        30 | 31 => (14, 0),
        32 => (14, 1),
        33 => (14, 2),
        34 => (14, 3),
        39 => (14, 4),
        37 => (15, 0),
        38 => match detail {
            0 => (15, 1),
            1..=3 => (15, 2),
            4 => (19, 0),
            _ => (15, 7),
        },
        40 => (16, if detail <= 3 { detail } else { 9 }),
        41 => (16, if detail <= 4 { detail + 4 } else { 9 }),
        48 if detail == 0 => (20, 0),
        48 => (20, 1),
        49 => (21, if detail <= 6 { detail } else { 9 }),
        44 => (23, detail),
        50 => return Some(code('D', 24, None)),
        53 => (26, 0),
        54 => (26, 1),
        55 | 58 => (26, 9),
        56 => return Some(code('D', 27, None)),
        51 => (28, 0),
        52 => (28, 1),
        57 => match detail {
            0..=4 => (28, 2),
            9 => (28, 9),
            _ => (28, 7),
        },
        60 => (29, 0),
        61 => (29, 1),
        62 => (29, 2),
        63 => match detail {
            0 => (29, 3),
            2 => (29, 4),
            9 => (29, 9),
            _ => (29, 7),
        },
        64 => (30, 0),
        65 => (30, 1),
        66 => (30, 2),
        67 => (30, 3),
        68 => match detail {
            0 => (30, 4),
            9 => (30, 9),
            _ => (30, 7),
        },
        69 => (31, if detail == 8 { 9 } else { detail }),
        70 => match detail {
            0 => (32, 0),
            1 => (32, 1),
            _ => (32, 9),
        },
        71 => match detail {
            0..=5 => (33, 0),
            6 | 7 => (33, 1),
            _ => (33, 2),
        },
        72 => match detail {
            0 | 1 => (33, 4),
            2..=5 => (33, 3),
            8 => (33, 7),
            _ => (33, 9),
        },
        73 => return Some(code('D', 34, None)),
        74 => (35, 0),
        75 => match detail {
            0 => (35, 1),
            1 => (35, 2),
            2 => (35, 3),
            3 => (35, 4),
            4 => (35, 5),
            5 => (35, 6),
            8 => (35, 8),
            _ => (35, 9),
        },
        77 => (36, 0),
        47 => (36, 1),
        80 => (36, 9),
        _ => (36, 7),
    };
    Some(code('D', category, Some(fourth)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn convert(site: &str, histology: u16, behaviour: u8) -> Option<String> {
        let topography: Topography = site.parse().unwrap();
        let behaviour = Behaviour::from_code(behaviour).unwrap();
        let morphology = Morphology::new(histology, behaviour, None).unwrap();
        icdo3_to_icd10(topography, morphology).map(|c| c.to_string())
    }

    // Expected values: worked examples read from the IARC TR42 conversion
    // tables as distributed with CanReg5 (O3_10T, O3_10M, O3_10r8).
    #[test]
    fn tr42_worked_examples() {
        assert_eq!(convert("C34.1", 8070, 3).as_deref(), Some("C34.1"));
        assert_eq!(convert("C34.1", 8070, 2).as_deref(), Some("D02.2"));
        assert_eq!(convert("C42.1", 9861, 3).as_deref(), Some("C92.0"));
        assert_eq!(convert("C22.0", 8170, 3).as_deref(), Some("C22.0"));
        assert_eq!(convert("C44.3", 8720, 3).as_deref(), Some("C43.3"));
        assert_eq!(convert("C50.4", 8500, 2).as_deref(), Some("D05.1"));
        assert_eq!(convert("C61.9", 8140, 0).as_deref(), Some("N40"));
    }

    // Expected values: TR42 topography table rows quoted in the CanReg5
    // tables: `509 -> C509 | D24 | D059 | D486 | C798` and
    // `341 -> C341 | D143 | D022 | D381 | C780` (malignant, benign, in
    // situ, uncertain, secondary).
    #[test]
    fn tr42_topography_rows() {
        assert_eq!(convert("C50.9", 8010, 3).as_deref(), Some("C50.9"));
        assert_eq!(convert("C50.9", 8010, 0).as_deref(), Some("D24"));
        assert_eq!(convert("C50.9", 8010, 2).as_deref(), Some("D05.9"));
        assert_eq!(convert("C50.9", 8010, 1).as_deref(), Some("D48.6"));
        assert_eq!(convert("C50.9", 8010, 6).as_deref(), Some("C79.8"));
        assert_eq!(convert("C34.1", 8010, 3).as_deref(), Some("C34.1"));
        assert_eq!(convert("C34.1", 8010, 0).as_deref(), Some("D14.3"));
        assert_eq!(convert("C34.1", 8010, 2).as_deref(), Some("D02.2"));
        assert_eq!(convert("C34.1", 8010, 1).as_deref(), Some("D38.1"));
        assert_eq!(convert("C34.1", 8010, 6).as_deref(), Some("C78.0"));
    }

    // Expected values: TR42 rule-8 lists quoted for melanoma 8720/3,
    // Kaposi 9140/3 and mesothelioma 9050/3, and the fixed codes 9650/3
    // -> C81.9 and 8170/3 -> C22.0.
    #[test]
    fn tr42_morphology_driven_codes() {
        assert_eq!(convert("C00.1", 8720, 3).as_deref(), Some("C43.0"));
        assert_eq!(convert("C50.2", 8720, 3).as_deref(), Some("C43.5"));
        assert_eq!(convert("C69.3", 8720, 3).as_deref(), Some("C69.3"));
        assert_eq!(convert("C44.5", 9140, 3).as_deref(), Some("C46.0"));
        assert_eq!(convert("C47.2", 9140, 3).as_deref(), Some("C46.1"));
        assert_eq!(convert("C38.4", 9050, 3).as_deref(), Some("C45.0"));
        assert_eq!(convert("C48.1", 9050, 3).as_deref(), Some("C45.1"));
        assert_eq!(convert("C38.0", 9050, 3).as_deref(), Some("C45.2"));
        assert_eq!(convert("C80.9", 9050, 3).as_deref(), Some("C45.9"));
        assert_eq!(convert("C63.7", 9050, 3).as_deref(), Some("C45.7"));
        assert_eq!(convert("C77.3", 9650, 3).as_deref(), Some("C81.9"));
        assert_eq!(convert("C50.9", 8500, 1).as_deref(), Some("D48.6"));
    }

    // Expected values: CanReg5 liver fix quoted with the TR42 tables
    // (9120-9133/9161 -> C22.3, 8970 -> C22.2, 8160-8162 -> C22.1,
    // 8000 -> C22.9, other carcinoma -> C22.7, other sarcoma -> C22.4) and
    // the MALT fix (9699 at C42.0/.1/.4 or C77 -> C83.0).
    #[test]
    fn canreg5_fixes() {
        assert_eq!(convert("C22.0", 9120, 3).as_deref(), Some("C22.3"));
        assert_eq!(convert("C22.0", 8970, 3).as_deref(), Some("C22.2"));
        assert_eq!(convert("C22.1", 8160, 3).as_deref(), Some("C22.1"));
        assert_eq!(convert("C22.0", 8000, 3).as_deref(), Some("C22.9"));
        assert_eq!(convert("C22.0", 8140, 3).as_deref(), Some("C22.7"));
        assert_eq!(convert("C22.0", 8800, 3).as_deref(), Some("C22.4"));
        assert_eq!(convert("C77.2", 9699, 3).as_deref(), Some("C83.0"));
        assert_eq!(convert("C16.2", 9699, 3).as_deref(), Some("C88.4"));
    }

    // Expected values: ICD-10 (WHO 2019) categories without a fourth
    // character (C19, C20, C61, C73).
    #[test]
    fn three_character_categories() {
        assert_eq!(convert("C20.9", 8140, 3).as_deref(), Some("C20"));
        assert_eq!(convert("C19.9", 8140, 3).as_deref(), Some("C19"));
        assert_eq!(convert("C61.9", 8140, 3).as_deref(), Some("C61"));
        assert_eq!(convert("C73.9", 8260, 3).as_deref(), Some("C73"));
        assert_eq!(convert("C67.2", 8130, 2).as_deref(), Some("D09.0"));
        assert_eq!(convert("C67.2", 8130, 1).as_deref(), Some("D41.4"));
    }

    #[test]
    fn unlisted_topography_has_no_code() {
        assert_eq!(convert("C19.0", 8140, 3), None);
    }
}
