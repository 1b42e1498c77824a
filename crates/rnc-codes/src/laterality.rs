//! Paired organs: the ICD-O-3 sites whose tumours have a laterality.

use rnc_model::Topography;

/// Paired organ sites as (three-character group, first fourth character,
/// last fourth character): the paired-organ table of the SEER Program
/// Coding and Staging Manual (NCI, a US government work), as the imsweb
/// `mph` library lists it in `MphConstants.ALL_PAIRED_SITES`.
const PAIRED_SITES: &[(u8, u8, u8)] = &[
    (7, 9, 9),  // parotid gland
    (8, 0, 1),  // submandibular and sublingual glands
    (9, 0, 9),  // tonsil
    (30, 0, 1), // nasal cavity, middle ear
    (31, 0, 0), // maxillary sinus
    (31, 2, 2), // frontal sinus
    (34, 0, 9), // lung and bronchus
    (38, 4, 4), // pleura
    (40, 0, 3), // long and short bones of the limbs
    (41, 3, 4), // rib and clavicle, pelvic bones
    (44, 1, 3), // skin of eyelid, ear, face
    (44, 5, 7), // skin of trunk and limbs
    (47, 1, 2), // peripheral nerves of the limbs
    (49, 1, 2), // connective tissue of the limbs
    (50, 0, 9), // breast
    (56, 9, 9), // ovary
    (57, 0, 0), // fallopian tube
    (62, 0, 9), // testis
    (63, 0, 1), // epididymis, spermatic cord
    (64, 9, 9), // kidney
    (65, 9, 9), // renal pelvis
    (66, 9, 9), // ureter
    (69, 0, 9), // eye and adnexa
    (70, 0, 0), // cerebral meninges
    (71, 0, 4), // cerebrum and its lobes
    (72, 2, 5), // olfactory, optic, acoustic and cranial nerves
    (74, 0, 9), // adrenal gland
    (75, 4, 4), // carotid body
];

/// Returns whether `site` is a paired organ, for which a registry codes
/// the side of the tumour (ENCR-JRC laterality 1 right, 2 left, 3 one side
/// not known, 4 both sides) instead of 0 (not applicable).
///
/// # Example
///
/// ```
/// use rnc_codes::is_paired_site;
///
/// assert!(is_paired_site("C50.4".parse().unwrap()));
/// assert!(!is_paired_site("C18.7".parse().unwrap()));
/// ```
pub fn is_paired_site(site: Topography) -> bool {
    let (group, detail) = (site.group(), site.detail());
    PAIRED_SITES.iter().any(|(paired, first, last)| {
        *paired == group && (*first..=*last).contains(&detail)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paired(code: &str) -> bool {
        is_paired_site(code.parse().unwrap())
    }

    // Expected values: the SEER paired-organ table, at both ends of each
    // range and just outside it.
    #[test]
    fn paired_sites_at_range_ends() {
        for code in [
            "C07.9", "C08.0", "C08.1", "C09.0", "C09.9", "C30.0", "C30.1",
            "C31.0", "C31.2", "C34.0", "C34.9", "C38.4", "C40.0", "C40.3",
            "C41.3", "C41.4", "C44.1", "C44.3", "C44.5", "C44.7", "C47.1",
            "C47.2", "C49.1", "C49.2", "C50.0", "C50.9", "C56.9", "C57.0",
            "C62.0", "C62.9", "C63.0", "C63.1", "C64.9", "C65.9", "C66.9",
            "C69.0", "C69.9", "C70.0", "C71.0", "C71.4", "C72.2", "C72.5",
            "C74.0", "C74.9", "C75.4",
        ] {
            assert!(paired(code), "{code} is a paired site");
        }
        for code in [
            "C08.8", "C31.1", "C31.3", "C38.3", "C40.8", "C41.2", "C44.0",
            "C44.4", "C44.8", "C47.3", "C49.3", "C57.1", "C63.2", "C70.1",
            "C71.5", "C72.1", "C72.8", "C75.3", "C18.7", "C61.9", "C80.9",
        ] {
            assert!(!paired(code), "{code} is not a paired site");
        }
    }
}
