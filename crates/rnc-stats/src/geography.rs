//! French regions and départements, for rates by area.
//!
//! Codes are those of the INSEE Code officiel géographique (COG) since the
//! regions were merged on 1 January 2016: 18 regions (13 in metropolitan
//! France, 5 overseas) and 101 départements. A département code is two
//! characters in metropolitan France (`01` to `95`, with `2A` and `2B`
//! for Corsica) and three overseas (`971` to `974`, `976`).

use crate::{Error, ErrorKind};

/// The 18 regions as (INSEE code, name), in code order.
pub const REGIONS: [(&str, &str); 18] = [
    ("01", "Guadeloupe"),
    ("02", "Martinique"),
    ("03", "Guyane"),
    ("04", "La Réunion"),
    ("06", "Mayotte"),
    ("11", "Île-de-France"),
    ("24", "Centre-Val de Loire"),
    ("27", "Bourgogne-Franche-Comté"),
    ("28", "Normandie"),
    ("32", "Hauts-de-France"),
    ("44", "Grand Est"),
    ("52", "Pays de la Loire"),
    ("53", "Bretagne"),
    ("75", "Nouvelle-Aquitaine"),
    ("76", "Occitanie"),
    ("84", "Auvergne-Rhône-Alpes"),
    ("93", "Provence-Alpes-Côte d'Azur"),
    ("94", "Corse"),
];

/// The départements of each region, by region code.
const DEPARTEMENTS_BY_REGION: [(&str, &[&str]); 18] = [
    ("01", &["971"]),
    ("02", &["972"]),
    ("03", &["973"]),
    ("04", &["974"]),
    ("06", &["976"]),
    ("11", &["75", "77", "78", "91", "92", "93", "94", "95"]),
    ("24", &["18", "28", "36", "37", "41", "45"]),
    ("27", &["21", "25", "39", "58", "70", "71", "89", "90"]),
    ("28", &["14", "27", "50", "61", "76"]),
    ("32", &["02", "59", "60", "62", "80"]),
    (
        "44",
        &["08", "10", "51", "52", "54", "55", "57", "67", "68", "88"],
    ),
    ("52", &["44", "49", "53", "72", "85"]),
    ("53", &["22", "29", "35", "56"]),
    (
        "75",
        &[
            "16", "17", "19", "23", "24", "33", "40", "47", "64", "79", "86",
            "87",
        ],
    ),
    (
        "76",
        &[
            "09", "11", "12", "30", "31", "32", "34", "46", "48", "65", "66",
            "81", "82",
        ],
    ),
    (
        "84",
        &[
            "01", "03", "07", "15", "26", "38", "42", "43", "63", "69", "73",
            "74",
        ],
    ),
    ("93", &["04", "05", "06", "13", "83", "84"]),
    ("94", &["2A", "2B"]),
];

/// Returns the INSEE code of the region of a département, such as `84`
/// for `69` (Rhône). Surrounding spaces are ignored, and `2a`/`2b` are
/// accepted for Corsica.
///
/// # Errors
///
/// [`ErrorKind::UnknownDepartement`] for a code that is not one of the 101
/// départements, such as `20` (Corsica before 1976) or `975` (Saint-Pierre-
/// et-Miquelon, a collectivity outside the regions).
pub fn region_of_departement(departement: &str) -> Result<&'static str, Error> {
    let code = departement.trim().to_ascii_uppercase();
    DEPARTEMENTS_BY_REGION
        .iter()
        .find(|(_, departements)| departements.contains(&code.as_str()))
        .map(|(region, _)| *region)
        .ok_or_else(|| {
            ErrorKind::UnknownDepartement(departement.to_owned()).into()
        })
}

/// Returns the name of a region from its INSEE code, `None` for another
/// code.
pub fn region_name(region: &str) -> Option<&'static str> {
    REGIONS
        .iter()
        .find(|(code, _)| *code == region)
        .map(|(_, name)| *name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_departement_once() {
        // 96 metropolitan départements (94 numbers from 01 to 95 without
        // 20, plus 2A and 2B) and 5 overseas.
        let mut all: Vec<&str> = DEPARTEMENTS_BY_REGION
            .iter()
            .flat_map(|(_, departements)| departements.iter().copied())
            .collect();
        assert_eq!(all.len(), 101);
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), 101);
        for number in (1..=95).filter(|&n| n != 20) {
            let code = format!("{number:02}");
            assert!(all.contains(&code.as_str()), "{code} missing");
        }
    }

    #[test]
    fn regions_match_their_names() {
        for ((code, _), (region, _)) in
            REGIONS.iter().zip(DEPARTEMENTS_BY_REGION)
        {
            assert_eq!(code, &region);
        }
    }

    #[test]
    fn known_departements() {
        // Pairs from the INSEE COG département file (columns DEP, REG):
        // 01 -> 84, 02 -> 32, 03 -> 84, 04 -> 93, 05 -> 93, 06 -> 93.
        for (departement, region) in [
            ("01", "84"),
            ("02", "32"),
            ("03", "84"),
            ("04", "93"),
            ("05", "93"),
            ("06", "93"),
            ("75", "11"),
            ("2a", "94"),
            (" 2B ", "94"),
            ("974", "04"),
            ("976", "06"),
        ] {
            assert_eq!(
                region_of_departement(departement).unwrap(),
                region,
                "{departement}"
            );
        }
        assert_eq!(region_name("84"), Some("Auvergne-Rhône-Alpes"));
    }

    #[test]
    fn unknown_departement_rejected() {
        for code in ["20", "975", "96", "", "1"] {
            let error = region_of_departement(code).unwrap_err();
            assert!(
                matches!(error.kind(), ErrorKind::UnknownDepartement(_)),
                "{code}"
            );
        }
    }
}
