//! Site groups of the French national cancer estimates (Santé publique
//! France, INCa, Francim and HCL, 2023 estimates of incidence in
//! metropolitan France), by ICD-10 code.

use crate::icd10::Icd10;

/// A site group of the French national estimates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SiteGroup {
    /// ASCII snake_case code, stable across releases, e.g.
    /// `colon_rectum`.
    pub code: &'static str,
    /// English label for tables, e.g. `Colon and rectum`.
    pub label: &'static str,
}

/// The ICD-10 ranges of each group: `(letter, first category, last
/// category)`, inclusive.
type Ranges = &'static [(char, u8, u8)];

/// Site groups with their ICD-10 ranges, in publication order. `other`
/// is last and has no range: it takes every code not listed before.
const GROUPS: &[(SiteGroup, Ranges)] = &[
    (
        group("lip_oral_cavity_pharynx", "Lip, oral cavity and pharynx"),
        &[('C', 0, 14)],
    ),
    (group("oesophagus", "Oesophagus"), &[('C', 15, 15)]),
    (group("stomach", "Stomach"), &[('C', 16, 16)]),
    (group("colon_rectum", "Colon and rectum"), &[('C', 18, 20)]),
    (group("anus", "Anus and anal canal"), &[('C', 21, 21)]),
    (group("liver", "Liver"), &[('C', 22, 22)]),
    (group("pancreas", "Pancreas"), &[('C', 25, 25)]),
    (group("larynx", "Larynx"), &[('C', 32, 32)]),
    (
        group("lung", "Trachea, bronchus and lung"),
        &[('C', 33, 34)],
    ),
    (group("skin_melanoma", "Melanoma of skin"), &[('C', 43, 43)]),
    (group("breast", "Breast"), &[('C', 50, 50)]),
    (group("cervix_uteri", "Cervix uteri"), &[('C', 53, 53)]),
    (group("corpus_uteri", "Corpus uteri"), &[('C', 54, 54)]),
    (group("ovary", "Ovary"), &[('C', 56, 56)]),
    (group("prostate", "Prostate"), &[('C', 61, 61)]),
    (group("testis", "Testis"), &[('C', 62, 62)]),
    (
        group("kidney", "Kidney and urinary tract"),
        &[('C', 64, 66), ('C', 68, 68)],
    ),
    // ENCR counts in situ (D09.0) and uncertain (D41.4) bladder tumours
    // with invasive ones, so their codes join the bladder group.
    (
        group("bladder", "Bladder"),
        &[('C', 67, 67), ('D', 9, 9), ('D', 41, 41)],
    ),
    (
        group("central_nervous_system", "Central nervous system"),
        &[('C', 70, 72)],
    ),
    (group("thyroid", "Thyroid"), &[('C', 73, 73)]),
    (
        group("hodgkin_lymphoma", "Hodgkin lymphoma"),
        &[('C', 81, 81)],
    ),
    (
        group("non_hodgkin_lymphoma", "Non-Hodgkin lymphoma"),
        &[('C', 82, 86)],
    ),
    (
        group("multiple_myeloma", "Multiple myeloma"),
        &[('C', 90, 90)],
    ),
    (group("leukaemias", "Leukaemias"), &[('C', 91, 95)]),
    (group("other", "Other and unspecified sites"), &[]),
];

const fn group(code: &'static str, label: &'static str) -> SiteGroup {
    SiteGroup { code, label }
}

/// The site groups in publication order, `other` last.
pub fn site_groups() -> &'static [SiteGroup] {
    static LIST: std::sync::OnceLock<Vec<SiteGroup>> =
        std::sync::OnceLock::new();
    LIST.get_or_init(|| GROUPS.iter().map(|(group, _)| *group).collect())
}

/// The site group of an ICD-10 code.
///
/// D09.0 (bladder in situ) and D41.4 (bladder, uncertain behaviour) are
/// `bladder`, because ENCR counts them. Every other code outside the
/// listed ranges, including the in situ block D00-D09, is `other`.
pub fn site_group(code: &Icd10) -> SiteGroup {
    let letter = code.letter();
    let category = code.category();
    for (group, ranges) in GROUPS {
        for (range_letter, first, last) in *ranges {
            if letter != *range_letter || !(*first..=*last).contains(&category)
            {
                continue;
            }
            // Only the bladder subcategory of D09 and D41 belongs here.
            let bladder_only = letter == 'D';
            let wanted_fourth = if category == 9 { '0' } else { '4' };
            if bladder_only && code.fourth() != Some(wanted_fourth) {
                continue;
            }
            return *group;
        }
    }
    GROUPS[GROUPS.len() - 1].0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group_of(text: &str) -> &'static str {
        site_group(&text.parse().unwrap()).code
    }

    // Expected values: site list of the French national estimates 2023
    // (Santé publique France / INCa / Francim / HCL): lip-oral
    // cavity-pharynx C00-C14, colon-rectum C18-C20, anus C21, lung
    // C33-C34, kidney C64-C66 and C68, bladder C67, CNS C70-C72, NHL
    // C82-C86, leukaemias C91-C95.
    #[test]
    fn national_estimate_groups() {
        let cases = [
            ("C02.1", "lip_oral_cavity_pharynx"),
            ("C14.0", "lip_oral_cavity_pharynx"),
            ("C15.9", "oesophagus"),
            ("C18.7", "colon_rectum"),
            ("C19", "colon_rectum"),
            ("C20", "colon_rectum"),
            ("C21.1", "anus"),
            ("C22.0", "liver"),
            ("C25.0", "pancreas"),
            ("C32.0", "larynx"),
            ("C33", "lung"),
            ("C34.1", "lung"),
            ("C43.5", "skin_melanoma"),
            ("C50.4", "breast"),
            ("C53.9", "cervix_uteri"),
            ("C54.1", "corpus_uteri"),
            ("C56", "ovary"),
            ("C61", "prostate"),
            ("C62.9", "testis"),
            ("C64", "kidney"),
            ("C65", "kidney"),
            ("C68.0", "kidney"),
            ("C67.2", "bladder"),
            ("D09.0", "bladder"),
            ("D41.4", "bladder"),
            ("C71.9", "central_nervous_system"),
            ("C73", "thyroid"),
            ("C81.9", "hodgkin_lymphoma"),
            ("C83.3", "non_hodgkin_lymphoma"),
            ("C86.0", "non_hodgkin_lymphoma"),
            ("C90.0", "multiple_myeloma"),
            ("C91.1", "leukaemias"),
            ("C95.9", "leukaemias"),
            ("C17.0", "other"),
            ("C44.3", "other"),
            ("C88.0", "other"),
            ("D05.1", "other"),
            ("D09.1", "other"),
            ("D41.0", "other"),
        ];
        for (icd10, expected) in cases {
            assert_eq!(group_of(icd10), expected, "{icd10}");
        }
    }

    #[test]
    fn group_list_is_complete() {
        let groups = site_groups();
        assert_eq!(groups.len(), 25);
        assert_eq!(groups.last().unwrap().code, "other");
        for group in groups {
            assert!(
                group
                    .code
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b == b'_')
            );
        }
    }
}
