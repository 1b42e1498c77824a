//! The ICD-O-3 topography list: which fourth characters exist in each
//! three-character group, C00-C80.

use rnc_model::Topography;

/// Fourth characters listed for each three-character group C00-C80 in
/// ICD-O-3 (WHO 2000, unchanged in ICD-O-3.1 2013 and ICD-O-3.2 2019).
///
/// Groups that ICD-O-3 does not use (C27-C29, C35-C36, C43, C45, C46,
/// C59, C78, C79) are absent.
const LISTED: &[(u8, &[u8])] = &[
    (0, &[0, 1, 2, 3, 4, 5, 6, 8, 9]),
    (1, &[9]),
    (2, &[0, 1, 2, 3, 4, 8, 9]),
    (3, &[0, 1, 9]),
    (4, &[0, 1, 8, 9]),
    (5, &[0, 1, 2, 8, 9]),
    (6, &[0, 1, 2, 8, 9]),
    (7, &[9]),
    (8, &[0, 1, 8, 9]),
    (9, &[0, 1, 8, 9]),
    (10, &[0, 1, 2, 3, 4, 8, 9]),
    (11, &[0, 1, 2, 3, 8, 9]),
    (12, &[9]),
    (13, &[0, 1, 2, 8, 9]),
    (14, &[0, 2, 8]),
    (15, &[0, 1, 2, 3, 4, 5, 8, 9]),
    (16, &[0, 1, 2, 3, 4, 5, 6, 8, 9]),
    (17, &[0, 1, 2, 3, 8, 9]),
    (18, &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]),
    (19, &[9]),
    (20, &[9]),
    (21, &[0, 1, 2, 8]),
    (22, &[0, 1]),
    (23, &[9]),
    (24, &[0, 1, 8, 9]),
    (25, &[0, 1, 2, 3, 4, 7, 8, 9]),
    (26, &[0, 8, 9]),
    (30, &[0, 1]),
    (31, &[0, 1, 2, 3, 8, 9]),
    (32, &[0, 1, 2, 3, 8, 9]),
    (33, &[9]),
    (34, &[0, 1, 2, 3, 8, 9]),
    (37, &[9]),
    (38, &[0, 1, 2, 3, 4, 8]),
    (39, &[0, 8, 9]),
    (40, &[0, 1, 2, 3, 8, 9]),
    (41, &[0, 1, 2, 3, 4, 8, 9]),
    (42, &[0, 1, 2, 3, 4]),
    (44, &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]),
    (47, &[0, 1, 2, 3, 4, 5, 6, 8, 9]),
    (48, &[0, 1, 2, 8]),
    (49, &[0, 1, 2, 3, 4, 5, 6, 8, 9]),
    (50, &[0, 1, 2, 3, 4, 5, 6, 8, 9]),
    (51, &[0, 1, 2, 8, 9]),
    (52, &[9]),
    (53, &[0, 1, 8, 9]),
    (54, &[0, 1, 2, 3, 8, 9]),
    (55, &[9]),
    (56, &[9]),
    (57, &[0, 1, 2, 3, 4, 7, 8, 9]),
    (58, &[9]),
    (60, &[0, 1, 2, 8, 9]),
    (61, &[9]),
    (62, &[0, 1, 9]),
    (63, &[0, 1, 2, 7, 8, 9]),
    (64, &[9]),
    (65, &[9]),
    (66, &[9]),
    (67, &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]),
    (68, &[0, 1, 8, 9]),
    (69, &[0, 1, 2, 3, 4, 5, 6, 8, 9]),
    (70, &[0, 1, 9]),
    (71, &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]),
    (72, &[0, 1, 2, 3, 4, 5, 8, 9]),
    (73, &[9]),
    (74, &[0, 1, 9]),
    (75, &[0, 1, 2, 3, 4, 5, 8, 9]),
    (76, &[0, 1, 2, 3, 4, 5, 7, 8]),
    (77, &[0, 1, 2, 3, 4, 5, 8, 9]),
    (80, &[9]),
];

/// Whether a topography is listed in ICD-O-3 (WHO 2000; the list is the
/// same in ICD-O-3.1 and ICD-O-3.2).
///
/// [`Topography`] only checks the form `Cxx.x`; this checks the code
/// exists, e.g. C17.3 and C18.9 are listed but C17.5, C19.0 and C22.9
/// are not.
pub fn is_listed_topography(topography: Topography) -> bool {
    listed_details(topography.group())
        .is_some_and(|details| details.contains(&topography.detail()))
}

/// The fourth characters listed for a three-character group, or `None`
/// when ICD-O-3 does not use the group.
pub fn listed_details(group: u8) -> Option<&'static [u8]> {
    LISTED
        .iter()
        .find(|(listed_group, _)| *listed_group == group)
        .map(|(_, details)| *details)
}

/// The topography that stands for "this organ, part not specified": the
/// `.9` code when listed, else the group's NOS code (C14.0 pharynx NOS,
/// C21.0 anus NOS, C22.0 liver, C30.0 nasal cavity, C42.4 haematopoietic
/// system NOS, C48.8 and C38.8 overlapping lesion, C76.7 ill-defined
/// site).
pub fn unspecified_part(group: u8) -> Option<Topography> {
    let details = listed_details(group)?;
    let detail = if details.contains(&9) {
        9
    } else {
        match group {
            14 | 21 | 22 | 30 => 0,
            42 => 4,
            76 => 7,
            _ => 8,
        }
    };
    Topography::new(group, detail).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(code: &str) -> Topography {
        code.parse().unwrap()
    }

    // Expected values: ICD-O-3 (WHO 2000) topography list, as restated
    // in the brief (C17.0-C17.3, C17.8, C17.9; C18.0-C18.9; C19.9; C20.9;
    // C34.0-C34.3, C34.8, C34.9; C50.0-C50.6, C50.8, C50.9; C61.9;
    // C44.0-C44.9).
    #[test]
    fn listed_codes_from_icd_o_3() {
        let listed = [
            "C17.0", "C17.1", "C17.2", "C17.3", "C17.8", "C17.9", "C18.0",
            "C18.5", "C18.9", "C19.9", "C20.9", "C34.0", "C34.3", "C34.8",
            "C34.9", "C50.0", "C50.6", "C50.8", "C50.9", "C61.9", "C44.0",
            "C44.9", "C42.1", "C77.9", "C80.9", "C22.0", "C22.1", "C14.2",
        ];
        for code in listed {
            assert!(is_listed_topography(site(code)), "{code} not listed");
        }
    }

    // Expected values: the same ICD-O-3 list; these fourth characters do
    // not exist there.
    #[test]
    fn unlisted_codes_from_icd_o_3() {
        let unlisted = [
            "C17.4", "C17.5", "C19.0", "C20.1", "C34.4", "C34.5", "C50.7",
            "C61.0", "C22.9", "C14.9", "C42.9", "C80.0", "C27.0", "C35.9",
            "C59.9", "C76.9", "C77.7",
        ];
        for code in unlisted {
            assert!(!is_listed_topography(site(code)), "{code} listed");
        }
    }

    #[test]
    fn unspecified_part_prefers_nine() {
        assert_eq!(unspecified_part(18), Some(site("C18.9")));
        assert_eq!(unspecified_part(14), Some(site("C14.0")));
        assert_eq!(unspecified_part(22), Some(site("C22.0")));
        assert_eq!(unspecified_part(27), None);
    }
}
