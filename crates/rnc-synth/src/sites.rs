//! Cancer site groups of the synthetic registry: national counts, age at
//! diagnosis, ICD-O-3 topography and morphology, ICD-10 code and survival.
//!
//! Counts are the French national estimates of new cancers in 2023
//! (Santé publique France, INCa, Francim and Hospices civils de Lyon,
//! BEH of 4 July 2023: 245 610 men and 187 526 women in metropolitan
//! France). The counts of prostate, lung, colorectum and breast are the
//! published ones. The others are rounded estimates in line with that
//! report, and "other sites" takes the remainder so that each sex sums to
//! the published total.

use rand::Rng;

/// Rule deriving the ICD-10 code of a tumour from its ICD-O-3 codes (IARC
/// conversion principle: topography-driven, morphology-driven, or both).
#[derive(Clone, Copy)]
pub(crate) enum Icd10Rule {
    /// The ICD-10 code repeats the topography (C18.7 → C18.7), written
    /// with three characters where ICD-10 has no subdivision (C61.9 → C61).
    FromTopography,
    /// Melanoma of skin: C44.x becomes C43.x.
    Melanoma,
    /// Haematological and other morphology-driven codes, one per histology.
    ByMorphology(&'static [(u16, &'static str)]),
}

/// One variant of a site group: a set of topographies and morphologies
/// that go together, with its share of the group.
pub(crate) struct Variant {
    /// Relative weight within the group.
    pub weight: u32,
    /// Sex the variant occurs in: 0 men, 1 women, `None` both.
    pub sex: Option<usize>,
    /// ICD-O-3 topographies as `(group, fourth character, weight)`.
    pub topographies: &'static [(u8, u8, u32)],
    /// ICD-O-3 histologies with their weight; the behaviour is always /3.
    pub morphologies: &'static [(u16, u32)],
    /// Derivation of the ICD-10 code.
    pub icd10: Icd10Rule,
}

/// A site group with its calibration figures.
pub(crate) struct SiteGroup {
    /// Short name used in logs and tests.
    pub name: &'static str,
    /// New cases in metropolitan France in 2023, men then women.
    pub counts: [u32; 2],
    /// Median age at diagnosis (years), used as the centre of a two-piece
    /// normal age distribution of cases.
    pub median_age: f64,
    /// Standard deviations (years) of the lower and upper halves.
    pub spread: (f64, f64),
    /// Five-year net survival (proportion).
    pub survival_5y: f64,
    /// Share of tumours whose grade (sixth digit) is coded.
    pub grade_share: f64,
    /// Whether the group is haematological (systemic under the IARC/IACR
    /// 2004 rules, so two such groups may be one primary).
    pub haematological: bool,
    /// Topography and morphology variants.
    pub variants: &'static [Variant],
}

const BOTH: Option<usize> = None;
const MEN: Option<usize> = Some(0);
const WOMEN: Option<usize> = Some(1);

const fn variant(
    weight: u32,
    sex: Option<usize>,
    topographies: &'static [(u8, u8, u32)],
    morphologies: &'static [(u16, u32)],
    icd10: Icd10Rule,
) -> Variant {
    Variant {
        weight,
        sex,
        topographies,
        morphologies,
        icd10,
    }
}

use Icd10Rule::{ByMorphology, FromTopography, Melanoma};

/// The site groups. Median ages and survival follow the Francim/HCL/SPF/
/// INCa reports (incidence 1990-2023; net survival of patients diagnosed
/// 2010-2015): five-year net survival colorectum 63 %, breast 88 %,
/// prostate 93 %, lung 20 %, pancreas 11 %. The other survival figures,
/// the median ages and the age spreads are rounded estimates.
pub(crate) const SITE_GROUPS: &[SiteGroup] = &[
    SiteGroup {
        name: "prostate",
        counts: [59_885, 0],
        median_age: 71.0,
        spread: (8.0, 9.0),
        survival_5y: 0.93,
        grade_share: 0.0,
        haematological: false,
        variants: &[variant(
            1,
            MEN,
            &[(61, 9, 1)],
            &[(8140, 97), (8010, 3)],
            FromTopography,
        )],
    },
    SiteGroup {
        name: "lung",
        counts: [33_438, 19_339],
        median_age: 69.0,
        spread: (10.0, 9.0),
        survival_5y: 0.20,
        grade_share: 0.1,
        haematological: false,
        variants: &[variant(
            1,
            BOTH,
            &[
                (34, 1, 45),
                (34, 3, 25),
                (34, 9, 15),
                (34, 0, 5),
                (34, 2, 5),
                (34, 8, 5),
            ],
            &[
                (8140, 45),
                (8070, 25),
                (8041, 15),
                (8046, 5),
                (8012, 3),
                (8010, 7),
            ],
            FromTopography,
        )],
    },
    SiteGroup {
        name: "colorectum",
        counts: [26_212, 21_370],
        median_age: 72.0,
        spread: (11.0, 10.0),
        survival_5y: 0.63,
        grade_share: 0.3,
        haematological: false,
        variants: &[
            variant(
                65,
                BOTH,
                &[
                    (18, 7, 35),
                    (18, 0, 15),
                    (18, 2, 12),
                    (18, 4, 8),
                    (18, 3, 6),
                    (18, 6, 6),
                    (18, 5, 3),
                    (18, 9, 15),
                ],
                &[(8140, 85), (8480, 8), (8210, 3), (8263, 2), (8490, 2)],
                FromTopography,
            ),
            variant(
                7,
                BOTH,
                &[(19, 9, 1)],
                &[(8140, 90), (8480, 10)],
                FromTopography,
            ),
            variant(
                28,
                BOTH,
                &[(20, 9, 1)],
                &[(8140, 90), (8480, 10)],
                FromTopography,
            ),
        ],
    },
    SiteGroup {
        name: "breast",
        counts: [0, 61_214],
        median_age: 64.0,
        spread: (13.0, 12.0),
        survival_5y: 0.88,
        grade_share: 0.5,
        haematological: false,
        variants: &[variant(
            1,
            WOMEN,
            &[
                (50, 4, 40),
                (50, 9, 20),
                (50, 2, 10),
                (50, 8, 10),
                (50, 1, 8),
                (50, 5, 6),
                (50, 3, 4),
                (50, 0, 2),
            ],
            &[
                (8500, 75),
                (8520, 13),
                (8522, 5),
                (8480, 2),
                (8211, 2),
                (8010, 3),
            ],
            FromTopography,
        )],
    },
    SiteGroup {
        name: "bladder",
        counts: [11_500, 2_700],
        median_age: 76.0,
        spread: (10.0, 9.0),
        survival_5y: 0.50,
        grade_share: 0.4,
        haematological: false,
        variants: &[variant(
            1,
            BOTH,
            &[
                (67, 2, 30),
                (67, 4, 15),
                (67, 0, 10),
                (67, 5, 10),
                (67, 8, 10),
                (67, 9, 25),
            ],
            &[(8120, 80), (8130, 15), (8070, 5)],
            FromTopography,
        )],
    },
    SiteGroup {
        name: "kidney",
        counts: [11_000, 5_200],
        median_age: 68.0,
        spread: (12.0, 10.0),
        survival_5y: 0.73,
        grade_share: 0.3,
        haematological: false,
        variants: &[variant(
            1,
            BOTH,
            &[(64, 9, 1)],
            &[(8312, 75), (8260, 12), (8317, 6), (8310, 7)],
            FromTopography,
        )],
    },
    SiteGroup {
        name: "pancreas",
        counts: [8_300, 7_700],
        median_age: 72.0,
        spread: (10.0, 10.0),
        survival_5y: 0.11,
        grade_share: 0.1,
        haematological: false,
        variants: &[variant(
            1,
            BOTH,
            &[(25, 0, 60), (25, 1, 12), (25, 2, 10), (25, 9, 18)],
            &[(8500, 70), (8140, 25), (8246, 5)],
            FromTopography,
        )],
    },
    SiteGroup {
        name: "liver",
        counts: [8_800, 2_500],
        median_age: 71.0,
        spread: (10.0, 9.0),
        survival_5y: 0.18,
        grade_share: 0.1,
        haematological: false,
        variants: &[
            variant(80, BOTH, &[(22, 0, 1)], &[(8170, 1)], FromTopography),
            variant(20, BOTH, &[(22, 1, 1)], &[(8160, 1)], FromTopography),
        ],
    },
    SiteGroup {
        name: "stomach",
        counts: [4_500, 2_500],
        median_age: 73.0,
        spread: (12.0, 10.0),
        survival_5y: 0.30,
        grade_share: 0.2,
        haematological: false,
        variants: &[variant(
            1,
            BOTH,
            &[
                (16, 0, 30),
                (16, 2, 15),
                (16, 3, 20),
                (16, 5, 5),
                (16, 9, 30),
            ],
            &[(8140, 60), (8144, 15), (8490, 15), (8145, 10)],
            FromTopography,
        )],
    },
    SiteGroup {
        name: "oesophagus",
        counts: [4_000, 1_400],
        median_age: 68.0,
        spread: (10.0, 10.0),
        survival_5y: 0.17,
        grade_share: 0.2,
        haematological: false,
        variants: &[variant(
            1,
            BOTH,
            &[(15, 3, 10), (15, 4, 25), (15, 5, 35), (15, 9, 30)],
            &[(8070, 55), (8140, 45)],
            FromTopography,
        )],
    },
    SiteGroup {
        name: "head and neck",
        counts: [14_500, 4_500],
        median_age: 64.0,
        spread: (10.0, 10.0),
        survival_5y: 0.40,
        grade_share: 0.3,
        haematological: false,
        variants: &[
            variant(
                70,
                BOTH,
                &[
                    (2, 9, 15),
                    (4, 9, 10),
                    (6, 9, 10),
                    (9, 9, 20),
                    (10, 9, 25),
                    (13, 9, 20),
                ],
                &[(8070, 90), (8071, 10)],
                FromTopography,
            ),
            variant(
                30,
                BOTH,
                &[(32, 0, 50), (32, 1, 30), (32, 9, 20)],
                &[(8070, 95), (8071, 5)],
                FromTopography,
            ),
        ],
    },
    SiteGroup {
        name: "melanoma",
        counts: [8_900, 8_900],
        median_age: 64.0,
        spread: (16.0, 13.0),
        survival_5y: 0.93,
        grade_share: 0.0,
        haematological: false,
        variants: &[variant(
            1,
            BOTH,
            &[
                (44, 3, 20),
                (44, 4, 8),
                (44, 5, 35),
                (44, 6, 15),
                (44, 7, 20),
                (44, 2, 2),
            ],
            &[(8720, 60), (8743, 30), (8721, 7), (8742, 3)],
            Melanoma,
        )],
    },
    SiteGroup {
        name: "thyroid",
        counts: [2_500, 6_000],
        median_age: 52.0,
        spread: (16.0, 14.0),
        survival_5y: 0.96,
        grade_share: 0.0,
        haematological: false,
        variants: &[variant(
            1,
            BOTH,
            &[(73, 9, 1)],
            &[(8260, 80), (8340, 8), (8330, 7), (8345, 3), (8020, 2)],
            FromTopography,
        )],
    },
    SiteGroup {
        name: "corpus uteri",
        counts: [0, 8_400],
        median_age: 69.0,
        spread: (10.0, 9.0),
        survival_5y: 0.74,
        grade_share: 0.6,
        haematological: false,
        variants: &[variant(
            1,
            WOMEN,
            &[(54, 1, 90), (54, 9, 10)],
            &[(8380, 80), (8441, 8), (8950, 5), (8140, 7)],
            FromTopography,
        )],
    },
    SiteGroup {
        name: "ovary",
        counts: [0, 5_300],
        median_age: 68.0,
        spread: (13.0, 11.0),
        survival_5y: 0.43,
        grade_share: 0.3,
        haematological: false,
        variants: &[variant(
            1,
            WOMEN,
            &[(56, 9, 1)],
            &[
                (8441, 50),
                (8461, 20),
                (8380, 10),
                (8310, 5),
                (8480, 10),
                (8140, 5),
            ],
            FromTopography,
        )],
    },
    SiteGroup {
        name: "cervix uteri",
        counts: [0, 3_100],
        median_age: 53.0,
        spread: (13.0, 16.0),
        survival_5y: 0.63,
        grade_share: 0.3,
        haematological: false,
        variants: &[variant(
            1,
            WOMEN,
            &[(53, 0, 30), (53, 1, 20), (53, 9, 50)],
            &[(8070, 75), (8140, 20), (8560, 5)],
            FromTopography,
        )],
    },
    SiteGroup {
        name: "testis",
        counts: [2_800, 0],
        median_age: 32.0,
        spread: (7.0, 9.0),
        survival_5y: 0.97,
        grade_share: 0.0,
        haematological: false,
        variants: &[variant(
            1,
            MEN,
            &[(62, 9, 1)],
            &[(9061, 55), (9070, 15), (9085, 30)],
            FromTopography,
        )],
    },
    SiteGroup {
        name: "brain",
        counts: [3_000, 2_300],
        median_age: 63.0,
        spread: (16.0, 11.0),
        survival_5y: 0.20,
        grade_share: 0.0,
        haematological: false,
        variants: &[variant(
            1,
            BOTH,
            &[(71, 1, 30), (71, 2, 25), (71, 3, 20), (71, 9, 25)],
            &[(9440, 60), (9400, 15), (9450, 10), (9380, 15)],
            FromTopography,
        )],
    },
    SiteGroup {
        name: "non-Hodgkin lymphoma",
        counts: [9_500, 8_000],
        median_age: 69.0,
        spread: (15.0, 11.0),
        survival_5y: 0.65,
        grade_share: 0.0,
        haematological: true,
        variants: &[variant(
            1,
            BOTH,
            &[
                (77, 0, 20),
                (77, 1, 10),
                (77, 2, 25),
                (77, 3, 15),
                (77, 4, 10),
                (77, 9, 20),
            ],
            &[
                (9680, 45),
                (9690, 20),
                (9673, 6),
                (9699, 10),
                (9591, 12),
                (9702, 7),
            ],
            ByMorphology(&[
                (9680, "C83.3"),
                (9690, "C82.9"),
                (9673, "C83.1"),
                (9699, "C83.0"),
                (9591, "C85.9"),
                (9702, "C84.4"),
            ]),
        )],
    },
    SiteGroup {
        name: "Hodgkin lymphoma",
        counts: [1_200, 1_000],
        median_age: 38.0,
        spread: (12.0, 22.0),
        survival_5y: 0.86,
        grade_share: 0.0,
        haematological: true,
        variants: &[variant(
            1,
            BOTH,
            &[(77, 0, 60), (77, 1, 30), (77, 9, 10)],
            &[(9663, 60), (9652, 15), (9650, 15), (9659, 10)],
            ByMorphology(&[
                (9663, "C81.1"),
                (9652, "C81.2"),
                (9650, "C81.9"),
                (9659, "C81.0"),
            ]),
        )],
    },
    SiteGroup {
        name: "leukaemia",
        counts: [7_000, 5_000],
        median_age: 71.0,
        spread: (18.0, 10.0),
        survival_5y: 0.55,
        grade_share: 0.0,
        haematological: true,
        variants: &[variant(
            1,
            BOTH,
            &[(42, 1, 1)],
            &[
                (9823, 40),
                (9861, 35),
                (9875, 12),
                (9811, 6),
                (9866, 3),
                (9945, 4),
            ],
            ByMorphology(&[
                (9823, "C91.1"),
                (9861, "C92.0"),
                (9875, "C92.1"),
                (9811, "C91.0"),
                (9866, "C92.4"),
                (9945, "C93.1"),
            ]),
        )],
    },
    SiteGroup {
        name: "myeloma",
        counts: [3_500, 2_800],
        median_age: 72.0,
        spread: (10.0, 9.0),
        survival_5y: 0.54,
        grade_share: 0.0,
        haematological: true,
        variants: &[variant(
            1,
            BOTH,
            &[(42, 1, 1)],
            &[(9732, 1)],
            ByMorphology(&[(9732, "C90.0")]),
        )],
    },
    SiteGroup {
        name: "other sites",
        counts: [25_075, 8_303],
        median_age: 73.0,
        spread: (14.0, 11.0),
        survival_5y: 0.40,
        grade_share: 0.2,
        haematological: false,
        variants: &[
            variant(20, BOTH, &[(23, 9, 1)], &[(8140, 1)], FromTopography),
            variant(
                15,
                BOTH,
                &[(21, 0, 1), (21, 1, 1)],
                &[(8070, 1)],
                FromTopography,
            ),
            variant(
                20,
                BOTH,
                &[(49, 9, 4), (49, 4, 3), (49, 2, 3)],
                &[(8800, 5), (8890, 5)],
                FromTopography,
            ),
            variant(
                10,
                BOTH,
                &[(17, 0, 1), (17, 9, 1)],
                &[(8140, 7), (8240, 3)],
                FromTopography,
            ),
            variant(
                12,
                BOTH,
                &[(38, 4, 1)],
                &[(9050, 1)],
                ByMorphology(&[(9050, "C45.0")]),
            ),
            variant(5, BOTH, &[(41, 9, 1)], &[(9180, 1)], FromTopography),
            variant(8, WOMEN, &[(51, 9, 1)], &[(8070, 1)], FromTopography),
            variant(6, MEN, &[(60, 9, 1)], &[(8070, 1)], FromTopography),
        ],
    },
];

/// A tumour's codes, drawn for one site group.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TumourCodes {
    /// ICD-O-3 topography group (e.g. 18) and fourth character (e.g. 7).
    pub topography: (u8, u8),
    /// ICD-O-3 histology.
    pub histology: u16,
    /// Grade (sixth digit) when coded.
    pub grade: Option<u8>,
    /// ICD-10 code with its dot (`C18.7`), or three characters (`C61`).
    pub icd10: String,
}

/// Three-character ICD-10 categories without subdivision among those we
/// generate (ICD-10 2019): the code of C61.9 is C61.
const THREE_CHARACTER_ONLY: [u8; 9] = [19, 20, 23, 56, 61, 64, 73, 52, 65];

fn pick<R: Rng, T: Copy>(rng: &mut R, items: &[(T, u32)]) -> T {
    let total: u32 = items.iter().map(|(_, w)| w).sum();
    let mut value = rng.random_range(0..total);
    for (item, weight) in items {
        if value < *weight {
            return *item;
        }
        value -= weight;
    }
    items[items.len() - 1].0
}

/// Draws the codes of a tumour of `group` for a person of `sex` (0 men,
/// 1 women).
pub(crate) fn draw_codes<R: Rng>(
    rng: &mut R,
    group: &SiteGroup,
    sex: usize,
) -> TumourCodes {
    let variants: Vec<(usize, u32)> = group
        .variants
        .iter()
        .enumerate()
        .filter(|(_, v)| v.sex.is_none_or(|s| s == sex))
        .map(|(index, v)| (index, v.weight))
        .collect();
    let variant = &group.variants[pick(rng, &variants)];
    let topographies: Vec<((u8, u8), u32)> = variant
        .topographies
        .iter()
        .map(|(g, d, w)| ((*g, *d), *w))
        .collect();
    let topography = pick(rng, &topographies);
    let histology = pick(rng, variant.morphologies);

    // Grades 1-4 describe differentiation and apply below 9590 only (IARC
    // grade check); haematological tumours carry no grade here.
    let grade = if histology < 9590 && rng.random::<f64>() < group.grade_share {
        Some(rng.random_range(1..=3))
    } else {
        None
    };
    let icd10 = match variant.icd10 {
        Icd10Rule::FromTopography => {
            if THREE_CHARACTER_ONLY.contains(&topography.0) {
                format!("C{:02}", topography.0)
            } else {
                format!("C{:02}.{}", topography.0, topography.1)
            }
        }
        Icd10Rule::Melanoma => format!("C43.{}", topography.1),
        Icd10Rule::ByMorphology(table) => table
            .iter()
            .find(|(h, _)| *h == histology)
            .map(|(_, code)| (*code).to_string())
            .unwrap_or_else(|| "C96.9".to_string()),
    };
    TumourCodes {
        topography,
        histology,
        grade,
        icd10,
    }
}

/// Returns the site of a topography group under the IARC/IACR 2004 rules
/// (Table 1 of the rules). Grouped three-character codes share one key, and
/// every other code is its own site.
pub(crate) fn iarc_site_key(group: u8) -> u8 {
    match group {
        1 | 2 => 1,
        0 | 3..=6 => 0,
        9 | 10 | 12..=14 => 9,
        19 | 20 => 19,
        23 | 24 => 23,
        33 | 34 => 33,
        40 | 41 => 40,
        65..=68 => 65,
        other => other,
    }
}

/// Draws the years from diagnosis to death from the cancer, or infinity for
/// a cured patient, from a Weibull law with shape 0.7 whose five-year
/// survival is `survival_5y` (the site's net survival, or a stage's from
/// [`stage_survival`]).
///
/// A shape below 1 gives a decreasing hazard: deaths cluster in the first
/// year for poor-prognosis sites, as in French survival curves.
pub(crate) fn draw_years_with_survival<R: Rng>(
    rng: &mut R,
    survival_5y: f64,
) -> f64 {
    const SHAPE: f64 = 0.7;
    let cumulative_5y = -survival_5y.clamp(1e-6, 1.0 - 1e-9).ln();
    let scale = 5.0 / cumulative_5y.powf(1.0 / SHAPE);
    let exposure = -(1.0 - rng.random::<f64>()).ln();
    scale * exposure.powf(1.0 / SHAPE)
}

/// Stage at diagnosis, as a simplified TNM stage group (Ann Arbor for
/// lymphomas). Tumours without a staging system (brain, leukaemia,
/// myeloma) are `Unknown`.
// Stage groups are written in Roman numerals, as in the TNM classification;
// they are not acronyms.
#[allow(clippy::upper_case_acronyms)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stage {
    I,
    II,
    III,
    IV,
    Unknown,
}

impl Stage {
    /// All stages, in the order of [`stage_weights`].
    pub(crate) const ALL: [Stage; 5] =
        [Stage::I, Stage::II, Stage::III, Stage::IV, Stage::Unknown];

    /// Label written in `truth/tumours.csv`.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Stage::I => "I",
            Stage::II => "II",
            Stage::III => "III",
            Stage::IV => "IV",
            Stage::Unknown => "unknown",
        }
    }

    /// Multiplier of the site's cumulative cancer hazard, before the
    /// rescaling of [`stage_survival`]: early stages die far less of their
    /// cancer than metastatic ones (estimate, shaped on the ratios of
    /// stage-specific net survival that European registries publish).
    fn hazard_factor(self) -> f64 {
        match self {
            Stage::I => 0.15,
            Stage::II => 0.45,
            Stage::III => 1.3,
            Stage::IV => 3.5,
            Stage::Unknown => 1.2,
        }
    }

    /// Returns the stage before this one, for a screen-detected tumour
    /// (lead time).
    pub(crate) fn earlier(self) -> Stage {
        match self {
            Stage::II => Stage::I,
            Stage::III => Stage::II,
            Stage::IV => Stage::III,
            other => other,
        }
    }
}

/// Weights of stages I, II, III, IV and unknown at diagnosis by site group.
///
/// NOTE: rounded estimates in line with the stage distributions published
/// by French and European population-based registries; they are not read
/// from one table.
pub(crate) fn stage_weights(group: &SiteGroup) -> [u32; 5] {
    match group.name {
        "prostate" => [45, 25, 12, 8, 10],
        "lung" => [15, 7, 20, 48, 10],
        "colorectum" => [17, 27, 28, 20, 8],
        "breast" => [42, 35, 12, 6, 5],
        "bladder" => [55, 15, 10, 10, 10],
        "kidney" => [50, 10, 15, 15, 10],
        "pancreas" => [8, 20, 15, 50, 7],
        "liver" => [20, 15, 20, 30, 15],
        "stomach" => [20, 15, 20, 35, 10],
        "oesophagus" => [12, 20, 25, 33, 10],
        "head and neck" => [15, 12, 20, 43, 10],
        "melanoma" => [65, 15, 8, 4, 8],
        "thyroid" => [70, 10, 8, 4, 8],
        "corpus uteri" => [70, 8, 12, 5, 5],
        "ovary" => [18, 7, 45, 22, 8],
        "cervix uteri" => [40, 20, 20, 12, 8],
        "testis" => [65, 15, 12, 3, 5],
        "non-Hodgkin lymphoma" => [20, 15, 15, 40, 10],
        "Hodgkin lymphoma" => [15, 40, 20, 20, 5],
        "brain" | "leukaemia" | "myeloma" => [0, 0, 0, 0, 1],
        _ => [15, 15, 20, 35, 15],
    }
}

/// Draws the stage at diagnosis of a tumour of `group`.
pub(crate) fn draw_stage<R: Rng>(rng: &mut R, group: &SiteGroup) -> Stage {
    let weights = stage_weights(group);
    let items: Vec<(Stage, u32)> =
        Stage::ALL.iter().copied().zip(weights).collect();
    pick(rng, &items)
}

/// Five-year net survival of a stage, `S^(c * factor)`, where `S` is the
/// site's net survival and `c` is solved by bisection so that the stage
/// mix of [`stage_weights`] averages back to `S`.
pub(crate) fn stage_survival(group: &SiteGroup, stage: Stage) -> f64 {
    let weights = stage_weights(group);
    let total: f64 = weights.iter().map(|w| f64::from(*w)).sum();
    let mixture = |scale: f64| -> f64 {
        Stage::ALL
            .iter()
            .zip(weights)
            .map(|(s, w)| {
                f64::from(w) / total
                    * group.survival_5y.powf(scale * s.hazard_factor())
            })
            .sum()
    };
    let (mut low, mut high) = (1e-3, 100.0);
    for _ in 0..60 {
        let middle = 0.5 * (low + high);
        // The mixture falls as the scale grows, because S < 1.
        if mixture(middle) > group.survival_5y {
            low = middle;
        } else {
            high = middle;
        }
    }
    group
        .survival_5y
        .powf(0.5 * (low + high) * stage.hazard_factor())
}

/// Fraction of a group's cases at each age 0 to 104 (exact age `a` to
/// `a + 1`), from a two-piece normal centred on the median age.
pub(crate) fn case_age_distribution(group: &SiteGroup) -> Vec<f64> {
    let (lower, upper) = group.spread;
    let density: Vec<f64> = (0..=104)
        .map(|age| {
            let x = f64::from(age) + 0.5 - group.median_age;
            let sd = if x < 0.0 { lower } else { upper };

            // Each half has mass one half, so the median is the centre.
            (-0.5 * (x / sd).powi(2)).exp() / sd
        })
        .collect();
    let total: f64 = density.iter().sum();
    density.into_iter().map(|d| d / total).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn counts_sum_to_published_totals() {
        // BEH 4 July 2023: 245 610 men, 187 526 women.
        let men: u32 = SITE_GROUPS.iter().map(|g| g.counts[0]).sum();
        let women: u32 = SITE_GROUPS.iter().map(|g| g.counts[1]).sum();
        assert_eq!(men, 245_610);
        assert_eq!(women, 187_526);
    }

    #[test]
    fn at_least_fifteen_groups() {
        assert!(SITE_GROUPS.len() >= 15);
    }

    #[test]
    fn colon_adenocarcinoma_icd10() {
        // IARC conversion: C18.7 with 8140/3 is C18.7; C61.9 is C61.
        let colorectum = &SITE_GROUPS[2];
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        for _ in 0..200 {
            let codes = draw_codes(&mut rng, colorectum, 0);
            match codes.topography.0 {
                18 => assert_eq!(
                    codes.icd10,
                    format!("C18.{}", codes.topography.1)
                ),
                19 => assert_eq!(codes.icd10, "C19"),
                20 => assert_eq!(codes.icd10, "C20"),
                other => panic!("unexpected group C{other}"),
            }
        }
    }

    #[test]
    fn melanoma_goes_to_c43() {
        // IARC conversion rule 8: melanoma 8720/3 at C44.3 is C43.3.
        let melanoma =
            SITE_GROUPS.iter().find(|g| g.name == "melanoma").unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        for _ in 0..100 {
            let codes = draw_codes(&mut rng, melanoma, 1);
            assert_eq!(codes.topography.0, 44);
            assert_eq!(codes.icd10, format!("C43.{}", codes.topography.1));
        }
    }

    #[test]
    fn iarc_grouped_sites() {
        // IARC/IACR 2004 Table 1: C19-C20, C33-C34 and C65-C68 are one site.
        assert_eq!(iarc_site_key(19), iarc_site_key(20));
        assert_eq!(iarc_site_key(33), iarc_site_key(34));
        assert_eq!(iarc_site_key(65), iarc_site_key(67));
        assert_ne!(iarc_site_key(18), iarc_site_key(20));
    }

    #[test]
    fn stage_mix_averages_to_site_survival() {
        // The stage survivals must average back to the published site
        // survival (colorectum 63 %, Francim/HCL 2010-2015) and fall with
        // stage.
        let colorectum = &SITE_GROUPS[2];
        let weights = stage_weights(colorectum);
        let total: f64 = weights.iter().map(|w| f64::from(*w)).sum();
        let mixture: f64 = Stage::ALL
            .iter()
            .zip(weights)
            .map(|(s, w)| f64::from(w) / total * stage_survival(colorectum, *s))
            .sum();
        assert!((mixture - 0.63).abs() < 1e-6, "mixture {mixture}");
        let by_stage: Vec<f64> = [Stage::I, Stage::II, Stage::III, Stage::IV]
            .iter()
            .map(|s| stage_survival(colorectum, *s))
            .collect();
        for pair in by_stage.windows(2) {
            assert!(pair[0] > pair[1], "{by_stage:?}");
        }
    }

    #[test]
    fn survival_law_matches_five_years() {
        // Net survival at 5 years, pancreas 11 % (Francim/HCL 2010-2015).
        let pancreas =
            SITE_GROUPS.iter().find(|g| g.name == "pancreas").unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let n = 20_000;
        let alive = (0..n)
            .filter(|_| {
                draw_years_with_survival(&mut rng, pancreas.survival_5y) > 5.0
            })
            .count();
        let share = alive as f64 / f64::from(n);
        assert!((share - 0.11).abs() < 0.01, "five-year survival {share}");
    }
}
