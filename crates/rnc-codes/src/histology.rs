//! IARC/IACR 2004 multiple-primary tables: histology groups (Table 2) and
//! topography groups treated as one site (Table 1).

use std::fmt;

use rnc_model::Topography;

/// A histology group of the IARC/IACR 2004 multiple-primary rules,
/// Table 2, in the version coded in imsweb `IarcUtils` (ICD-O-3 codes).
///
/// CanReg5 uses a later edit of the table (J. Ferlay 2014, ICD-O-3.1);
/// this crate follows the 2004 table as imsweb codes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HistologyGroup {
    /// 1: squamous and transitional cell carcinoma.
    SquamousAndTransitional,
    /// 2: basal cell carcinoma.
    BasalCell,
    /// 3: adenocarcinoma.
    Adenocarcinoma,
    /// 4: other specified carcinomas.
    OtherSpecifiedCarcinoma,
    /// 5: unspecified carcinoma (NOS).
    CarcinomaNos,
    /// 6: sarcomas and soft-tissue tumours.
    Sarcoma,
    /// 7: mesothelioma.
    Mesothelioma,
    /// 8: myeloid.
    Myeloid,
    /// 9: B-cell neoplasms.
    BCell,
    /// 10: T-cell and NK-cell neoplasms.
    TAndNkCell,
    /// 11: Hodgkin lymphoma.
    Hodgkin,
    /// 12: mast-cell tumours.
    MastCell,
    /// 13: histiocytes and accessory lymphoid cells.
    Histiocytic,
    /// 14: unspecified types of haematopoietic and lymphoid tumours.
    HaematoLymphoidNos,
    /// 15: Kaposi sarcoma.
    Kaposi,
    /// 16: other specified types of cancer.
    OtherSpecified,
    /// 17: unspecified types of cancer.
    Unspecified,
    /// A histology code that Table 2 does not list (for example 8006 or
    /// 9995). imsweb `IarcUtils` then compares the histology codes
    /// themselves, and so does `rnc-rules`.
    Unclassified,
}

/// Table 2 of the IARC/IACR 2004 rules as coded in imsweb `IarcUtils`:
/// inclusive histology ranges of each group, checked in this order.
const TABLE_2: &[(HistologyGroup, &[(u16, u16)])] = {
    use HistologyGroup::*;
    &[
        (SquamousAndTransitional, &[(8051, 8084), (8120, 8131)]),
        (BasalCell, &[(8090, 8110)]),
        (
            Adenocarcinoma,
            &[
                (8140, 8149),
                (8160, 8162),
                (8190, 8221),
                (8260, 8337),
                (8350, 8551),
                (8570, 8576),
                (8940, 8941),
            ],
        ),
        (
            OtherSpecifiedCarcinoma,
            &[
                (8030, 8046),
                (8150, 8157),
                (8170, 8180),
                (8230, 8255),
                (8340, 8347),
                (8560, 8562),
                (8580, 8671),
            ],
        ),
        (CarcinomaNos, &[(8010, 8015), (8020, 8022), (8050, 8050)]),
        (
            Sarcoma,
            &[
                (8680, 8713),
                (8800, 8921),
                (8990, 8991),
                (9040, 9044),
                (9120, 9125),
                (9130, 9136),
                (9141, 9252),
                (9370, 9373),
                (9540, 9582),
            ],
        ),
        (Mesothelioma, &[(9050, 9055)]),
        (
            Myeloid,
            &[
                (9840, 9840),
                (9861, 9931),
                (9945, 9946),
                (9950, 9950),
                (9961, 9964),
                (9980, 9987),
                (9991, 9992),
            ],
        ),
        (
            BCell,
            &[
                (9597, 9597),
                (9670, 9699),
                (9712, 9712),
                (9728, 9728),
                (9731, 9738),
                (9761, 9767),
                (9769, 9769),
                (9811, 9818),
                (9823, 9826),
                (9833, 9833),
                (9836, 9836),
                (9940, 9940),
            ],
        ),
        (
            TAndNkCell,
            &[
                (9700, 9726),
                (9729, 9729),
                (9768, 9768),
                (9827, 9831),
                (9834, 9834),
                (9837, 9837),
                (9948, 9948),
            ],
        ),
        (Hodgkin, &[(9650, 9667)]),
        (MastCell, &[(9740, 9742)]),
        (Histiocytic, &[(9750, 9759)]),
        (
            HaematoLymphoidNos,
            &[
                (9590, 9591),
                (9596, 9596),
                (9727, 9727),
                (9760, 9760),
                (9800, 9809),
                (9820, 9820),
                (9832, 9832),
                (9835, 9835),
                (9860, 9860),
                (9960, 9960),
                (9965, 9975),
                (9989, 9989),
            ],
        ),
        (Kaposi, &[(9140, 9140)]),
        (
            OtherSpecified,
            &[
                (8720, 8790),
                (8930, 8936),
                (8950, 8983),
                (9000, 9030),
                (9060, 9110),
                (9260, 9365),
                (9380, 9539),
            ],
        ),
        (Unspecified, &[(8000, 8005)]),
    ]
};

impl HistologyGroup {
    /// The group number in Table 2 (1-17), or `None` for
    /// [`HistologyGroup::Unclassified`].
    pub fn number(self) -> Option<u8> {
        use HistologyGroup::*;
        let number = match self {
            SquamousAndTransitional => 1,
            BasalCell => 2,
            Adenocarcinoma => 3,
            OtherSpecifiedCarcinoma => 4,
            CarcinomaNos => 5,
            Sarcoma => 6,
            Mesothelioma => 7,
            Myeloid => 8,
            BCell => 9,
            TAndNkCell => 10,
            Hodgkin => 11,
            MastCell => 12,
            Histiocytic => 13,
            HaematoLymphoidNos => 14,
            Kaposi => 15,
            OtherSpecified => 16,
            Unspecified => 17,
            Unclassified => return None,
        };
        Some(number)
    }

    /// Whether the group is haemato-lymphoid (groups 8-14), which the
    /// rules count once per person whatever the site (rule 4.1).
    pub fn is_haemato_lymphoid(self) -> bool {
        self.number().is_some_and(|n| (8..=14).contains(&n))
    }

    /// Whether `self` is a NOS group and `other` a specific group that it
    /// does not count against (rule 5): 5 against 1-4, 14 against 8-13,
    /// 17 against 1-7, 15 and 16.
    pub fn is_nos_for(self, other: HistologyGroup) -> bool {
        let (Some(nos), Some(specific)) = (self.number(), other.number())
        else {
            return false;
        };
        match nos {
            5 => (1..=4).contains(&specific),
            14 => (8..=13).contains(&specific),
            17 => {
                (1..=7).contains(&specific) || specific == 15 || specific == 16
            }
            _ => false,
        }
    }
}

impl fmt::Display for HistologyGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.number() {
            Some(n) => write!(f, "IARC histology group {n}"),
            None => f.write_str("no IARC histology group"),
        }
    }
}

/// Classifies an ICD-O-3 histology code into its IARC/IACR 2004 Table 2
/// group, as in imsweb `IarcUtils`.
pub fn histology_group(histology: u16) -> HistologyGroup {
    TABLE_2
        .iter()
        .find(|(_, ranges)| {
            ranges
                .iter()
                .any(|(lo, hi)| (*lo..=*hi).contains(&histology))
        })
        .map_or(HistologyGroup::Unclassified, |(group, _)| *group)
}

/// A site for the IARC/IACR 2004 multiple-primary rules: a
/// three-character topography group, or one of the Table 1 groups of
/// three-character codes that count as one site.
///
/// Holds the number of the group that stands for the whole Table 1 group
/// (the last one, as imsweb `IarcUtils` does: C02 for C01-C02).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MpSite(u8);

/// Table 1 of the IARC/IACR 2004 rules: the representative group, its
/// label and its three-character members.
const TABLE_1: &[(u8, &str, &[u8])] = &[
    (2, "C01-C02", &[1, 2]),
    (6, "C00, C03-C06", &[0, 3, 4, 5, 6]),
    (14, "C09-C10, C12-C14", &[9, 10, 12, 13, 14]),
    (20, "C19-C20", &[19, 20]),
    (24, "C23-C24", &[23, 24]),
    (34, "C33-C34", &[33, 34]),
    (41, "C40-C41", &[40, 41]),
    (68, "C65-C68", &[65, 66, 67, 68]),
];

impl MpSite {
    /// The label: the Table 1 group (`C19-C20`) or the three-character
    /// code (`C18`).
    pub fn label(self) -> String {
        TABLE_1
            .iter()
            .find(|(representative, _, _)| *representative == self.0)
            .map_or_else(
                || format!("C{:02}", self.0),
                |(_, label, _)| (*label).to_string(),
            )
    }
}

impl fmt::Display for MpSite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label())
    }
}

/// The multiple-primary site of a topography: its Table 1 group (IARC/IACR
/// 2004 rule 3) or, for every other site, its three-character group.
pub fn multiple_primary_site(topography: Topography) -> MpSite {
    let group = topography.group();
    let representative = TABLE_1
        .iter()
        .find(|(_, _, members)| members.contains(&group))
        .map_or(group, |(representative, _, _)| *representative);
    MpSite(representative)
}

#[cfg(test)]
mod tests {
    use super::*;
    use HistologyGroup::*;

    // Expected values: IARC/IACR 2004 multiple-primary rules, Table 2, as
    // coded in imsweb algorithms `IarcUtils` (range ends of each group).
    #[test]
    fn table_2_range_ends() {
        let cases = [
            (8051, SquamousAndTransitional),
            (8084, SquamousAndTransitional),
            (8120, SquamousAndTransitional),
            (8070, SquamousAndTransitional),
            (8090, BasalCell),
            (8110, BasalCell),
            (8140, Adenocarcinoma),
            (8500, Adenocarcinoma),
            (8520, Adenocarcinoma),
            (8941, Adenocarcinoma),
            (8041, OtherSpecifiedCarcinoma),
            (8170, OtherSpecifiedCarcinoma),
            (8671, OtherSpecifiedCarcinoma),
            (8010, CarcinomaNos),
            (8050, CarcinomaNos),
            (8800, Sarcoma),
            (9582, Sarcoma),
            (9050, Mesothelioma),
            (9840, Myeloid),
            (9861, Myeloid),
            (9992, Myeloid),
            (9680, BCell),
            (9732, BCell),
            (9823, BCell),
            (9702, TAndNkCell),
            (9948, TAndNkCell),
            (9650, Hodgkin),
            (9667, Hodgkin),
            (9740, MastCell),
            (9750, Histiocytic),
            (9590, HaematoLymphoidNos),
            (9591, HaematoLymphoidNos),
            (9727, HaematoLymphoidNos),
            (9760, HaematoLymphoidNos),
            (9800, HaematoLymphoidNos),
            (9820, HaematoLymphoidNos),
            (9860, HaematoLymphoidNos),
            (9140, Kaposi),
            (8720, OtherSpecified),
            (9539, OtherSpecified),
            (8000, Unspecified),
            (8005, Unspecified),
        ];
        for (histology, expected) in cases {
            assert_eq!(histology_group(histology), expected, "{histology}");
        }
    }

    // Expected values: codes between the Table 2 ranges (imsweb
    // `IarcUtils` leaves them without a group).
    #[test]
    fn codes_outside_table_2() {
        for histology in [8006, 8016, 8085, 8111, 9993, 9668, 9139] {
            assert_eq!(histology_group(histology), Unclassified, "{histology}");
        }
    }

    // Expected values: IARC/IACR 2004 rule 5 (NOS groups 5, 14, 17).
    #[test]
    fn nos_groups_against_specific() {
        assert!(CarcinomaNos.is_nos_for(Adenocarcinoma));
        assert!(!CarcinomaNos.is_nos_for(Sarcoma));
        assert!(HaematoLymphoidNos.is_nos_for(BCell));
        assert!(!HaematoLymphoidNos.is_nos_for(Kaposi));
        assert!(Unspecified.is_nos_for(Mesothelioma));
        assert!(Unspecified.is_nos_for(OtherSpecified));
        assert!(!Unspecified.is_nos_for(Myeloid));
        assert!(!Adenocarcinoma.is_nos_for(CarcinomaNos));
    }

    // Expected values: IARC/IACR 2004 rules, Table 1.
    #[test]
    fn table_1_groups() {
        let site = |code: &str| multiple_primary_site(code.parse().unwrap());
        assert_eq!(site("C19.9"), site("C20.9"));
        assert_ne!(site("C18.7"), site("C20.9"));
        assert_eq!(site("C01.9"), site("C02.1"));
        assert_eq!(site("C00.1"), site("C06.9"));
        assert_ne!(site("C00.1"), site("C02.1"));
        assert_eq!(site("C09.0"), site("C14.0"));
        assert_ne!(site("C11.9"), site("C14.0"));
        assert_eq!(site("C23.9"), site("C24.0"));
        assert_eq!(site("C33.9"), site("C34.1"));
        assert_eq!(site("C40.2"), site("C41.4"));
        assert_eq!(site("C65.9"), site("C67.2"));
        assert_ne!(site("C64.9"), site("C67.2"));
        assert_eq!(site("C19.9").label(), "C19-C20");
        assert_eq!(site("C18.2").label(), "C18");
    }
}
