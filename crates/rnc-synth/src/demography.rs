//! Population structure of the synthetic France: age pyramid, départements,
//! general cancer registries, births and background mortality.

use rand::Rng;

/// Number of five-year age bands: `0-4` to `80-84`, then `85+`.
pub(crate) const AGE_BANDS: usize = 18;

/// Oldest age drawn for the open `85+` band.
const MAX_AGE: u32 = 104;

/// Population of France on 1 January 2023 by sex and five-year age band, in
/// thousands: INSEE, "Estimations de population au 1er janvier 2023",
/// population by sex and five-year age group (France including Mayotte),
/// as published with the Bilan démographique 2022.
///
/// NOTE: rounded to the nearest 10 000 and written from the published
/// pyramid, not read line by line from the INSEE table. The totals
/// (32.8 million men, 34.9 million women, 67.8 million) are within 0.5 %
/// of INSEE's 68.0 million.
pub(crate) const PYRAMID_THOUSANDS: [[u32; AGE_BANDS]; 2] = [
    // Men, 0-4 to 85+.
    [
        1800, 2010, 2180, 2170, 1940, 1816, 1971, 2078, 2108, 2078, 2231, 2163,
        2032, 1870, 1700, 1150, 780, 760,
    ],
    // Women, 0-4 to 85+.
    [
        1720, 1920, 2080, 2070, 1878, 1845, 2060, 2175, 2180, 2122, 2301, 2272,
        2178, 2090, 1980, 1420, 1080, 1560,
    ],
];

/// Label of an age band as written in `population.csv`.
pub(crate) fn age_band_label(band: usize) -> String {
    if band + 1 >= AGE_BANDS {
        "85+".to_string()
    } else {
        format!("{}-{}", band * 5, band * 5 + 4)
    }
}

/// Returns the five-year band of an age in completed years.
pub(crate) fn age_band(age: u32) -> usize {
    ((age / 5) as usize).min(AGE_BANDS - 1)
}

/// A département with its population weight.
pub(crate) struct Departement {
    /// INSEE code (`01`, `2A`, `971`).
    pub code: &'static str,
    /// Population in thousands.
    pub thousands: u32,
}

const fn dep(code: &'static str, thousands: u32) -> Departement {
    Departement { code, thousands }
}

/// The 101 départements with their population in thousands: INSEE legal
/// populations ("populations légales") of 2021, in force from 1 January
/// 2024.
///
/// NOTE: rounded to the nearest thousand and written from those tables
/// rather than read line by line, so each figure is an estimate within a
/// few per cent. Mayotte (976) uses the 2017 census count.
pub(crate) const DEPARTEMENTS: [Departement; 101] = [
    dep("01", 665),
    dep("02", 527),
    dep("03", 335),
    dep("04", 166),
    dep("05", 141),
    dep("06", 1098),
    dep("07", 329),
    dep("08", 270),
    dep("09", 155),
    dep("10", 310),
    dep("11", 377),
    dep("12", 280),
    dep("13", 2055),
    dep("14", 698),
    dep("15", 144),
    dep("16", 352),
    dep("17", 656),
    dep("18", 298),
    dep("19", 240),
    dep("2A", 160),
    dep("2B", 182),
    dep("21", 535),
    dep("22", 603),
    dep("23", 116),
    dep("24", 413),
    dep("25", 545),
    dep("26", 520),
    dep("27", 600),
    dep("28", 431),
    dep("29", 917),
    dep("30", 752),
    dep("31", 1435),
    dep("32", 192),
    dep("33", 1654),
    dep("34", 1201),
    dep("35", 1100),
    dep("36", 218),
    dep("37", 612),
    dep("38", 1276),
    dep("39", 259),
    dep("40", 420),
    dep("41", 329),
    dep("42", 766),
    dep("43", 228),
    dep("44", 1460),
    dep("45", 682),
    dep("46", 174),
    dep("47", 331),
    dep("48", 76),
    dep("49", 821),
    dep("50", 491),
    dep("51", 567),
    dep("52", 171),
    dep("53", 307),
    dep("54", 733),
    dep("55", 181),
    dep("56", 763),
    dep("57", 1047),
    dep("58", 200),
    dep("59", 2611),
    dep("60", 830),
    dep("61", 277),
    dep("62", 1459),
    dep("63", 665),
    dep("64", 690),
    dep("65", 229),
    dep("66", 483),
    dep("67", 1152),
    dep("68", 767),
    dep("69", 1890),
    dep("70", 234),
    dep("71", 551),
    dep("72", 566),
    dep("73", 439),
    dep("74", 842),
    dep("75", 2133),
    dep("76", 1255),
    dep("77", 1437),
    dep("78", 1451),
    dep("79", 375),
    dep("80", 570),
    dep("81", 391),
    dep("82", 262),
    dep("83", 1090),
    dep("84", 562),
    dep("85", 690),
    dep("86", 439),
    dep("87", 372),
    dep("88", 361),
    dep("89", 335),
    dep("90", 141),
    dep("91", 1306),
    dep("92", 1625),
    dep("93", 1655),
    dep("94", 1408),
    dep("95", 1250),
    dep("971", 384),
    dep("972", 361),
    dep("973", 286),
    dep("974", 869),
    dep("976", 256),
];

/// General (all-site) regional cancer registries of the Francim network and
/// the départements they cover, as `(registry code, départements)`.
///
/// NOTE: an approximation of the Francim list, which counts 19 general
/// registries covering 24 départements (about 24 % of the population).
/// Listed here are the registries whose départements we are sure of; they
/// cover about 22 % of the synthetic population.
pub(crate) const GENERAL_REGISTRIES: [(&str, &[&str]); 17] = [
    ("calvados", &["14"]),
    ("doubs-belfort", &["25", "90"]),
    ("gironde", &["33"]),
    ("herault", &["34"]),
    ("isere", &["38"]),
    ("loire-atlantique-vendee", &["44", "85"]),
    ("manche", &["50"]),
    ("bas-rhin", &["67"]),
    ("haut-rhin", &["68"]),
    ("somme", &["80"]),
    ("tarn", &["81"]),
    ("poitou-charentes", &["16", "17", "79", "86"]),
    ("haute-vienne", &["87"]),
    ("guadeloupe", &["971"]),
    ("martinique", &["972"]),
    ("guyane", &["973"]),
    ("reunion", &["974"]),
];

/// Finds the general registry covering a département, if any.
pub(crate) fn registry_of(departement: &str) -> Option<&'static str> {
    GENERAL_REGISTRIES
        .iter()
        .find(|(_, covered)| covered.contains(&departement))
        .map(|(code, _)| *code)
}

/// Live births per inhabitant and year: INSEE counted about 723 000 births
/// in France in 2022 for 68.0 million inhabitants (rounded).
pub(crate) const BIRTH_RATE: f64 = 0.0106;

/// Gompertz law of all-cause mortality, hazard `a * exp(b * age)` per year,
/// indexed by sex (0 men, 1 women).
///
/// NOTE: an estimate, not a fit by least squares. The parameters make the
/// hazard pass close to the INSEE 2019-2021 French life-table death
/// probabilities at ages 60 and 80 (about 0.009 and 0.06 for men, 0.0045
/// and 0.033 for women). Cancer deaths are drawn on top of this all-cause
/// law, so total mortality is overstated by roughly a quarter (about 1.2 %
/// of the population a year against INSEE's 0.95 %).
const GOMPERTZ: [(f64, f64); 2] = [(3.04e-5, 0.095), (1.12e-5, 0.100)];

/// Daily hazard of death from background causes over the year of age
/// from `age` to `age + 1`: the Gompertz cumulative hazard of that year,
/// `a (exp(b (age + 1)) - exp(b age)) / b`, spread over 365.241 days (the
/// year of relsurv rate tables).
pub(crate) fn daily_background_hazard(sex: usize, age: u32) -> f64 {
    let (a, b) = GOMPERTZ[sex];
    let age = f64::from(age);
    a * ((b * (age + 1.0)).exp() - (b * age).exp()) / b / 365.241
}

/// Draws the time in years until death from background causes of a person
/// aged `age` (exact years), by inverting the Gompertz survival function.
pub(crate) fn draw_years_to_death<R: Rng>(
    rng: &mut R,
    sex: usize,
    age: f64,
) -> f64 {
    let (a, b) = GOMPERTZ[sex];
    let exposure: f64 = -(1.0 - rng.random::<f64>()).ln();
    let current = a * (b * age).exp();
    (1.0 + exposure * b / current).ln() / b
}

/// Draws an age in completed years from the INSEE pyramid for one sex.
pub(crate) fn draw_age<R: Rng>(rng: &mut R, sex: usize) -> u32 {
    let total: u32 = PYRAMID_THOUSANDS[sex].iter().sum();
    let mut pick = rng.random_range(0..total);
    let mut band = 0;
    for (index, count) in PYRAMID_THOUSANDS[sex].iter().enumerate() {
        if pick < *count {
            band = index;
            break;
        }
        pick -= count;
    }
    if band + 1 < AGE_BANDS {
        return band as u32 * 5 + rng.random_range(0..5);
    }

    // The open band thins out geometrically: each year of age above 85
    // keeps about 80 % of the one before, which matches the shape of the
    // French pyramid above 85 (estimate).
    let mut age = 85;
    while age < MAX_AGE && rng.random::<f64>() < 0.8 {
        age += 1;
    }
    age
}

/// Cumulative population (thousands) of [`DEPARTEMENTS`] in table order,
/// so that a draw is a binary search rather than a walk of 101 entries.
const fn cumulative_departements() -> [u32; 101] {
    let mut cumulative = [0u32; 101];
    let mut total = 0;
    let mut index = 0;
    while index < 101 {
        total += DEPARTEMENTS[index].thousands;
        cumulative[index] = total;
        index += 1;
    }
    cumulative
}

const DEPARTEMENT_CUMULATIVE: [u32; 101] = cumulative_departements();

/// Draws a département index weighted by population.
pub(crate) fn draw_departement<R: Rng>(rng: &mut R) -> usize {
    let total = DEPARTEMENT_CUMULATIVE[DEPARTEMENT_CUMULATIVE.len() - 1];
    let pick = rng.random_range(0..total);
    DEPARTEMENT_CUMULATIVE.partition_point(|&c| c <= pick)
}

/// Population of France on 1 January 2023 as the pyramid above counts it
/// (67.8 million). `--scale france` starts from this many persons, so that
/// the incidence table, calibrated on the same pyramid, gives the
/// published national counts.
pub(crate) const fn france_population() -> u64 {
    let mut total = 0u64;
    let mut sex = 0;
    while sex < 2 {
        let mut band = 0;
        while band < AGE_BANDS {
            total += PYRAMID_THOUSANDS[sex][band] as u64 * 1000;
            band += 1;
        }
        sex += 1;
    }
    total
}

/// Share of persons who move to another département in a year.
///
/// NOTE: an estimate. INSEE census migration tables show that about one
/// person in ten changes dwelling each year and that about a third of
/// those moves cross a département boundary; 3 % is a rounded figure.
pub(crate) const MOVE_SHARE: f64 = 0.03;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn band_labels() {
        assert_eq!(age_band_label(0), "0-4");
        assert_eq!(age_band_label(16), "80-84");
        assert_eq!(age_band_label(17), "85+");
        assert_eq!(age_band(4), 0);
        assert_eq!(age_band(85), 17);
        assert_eq!(age_band(103), 17);
    }

    #[test]
    fn registries_cover_about_a_quarter() {
        // Francim states that general registries cover about 24 % of the
        // population; our documented subset must stay within 18-26 %.
        let total: u32 = DEPARTEMENTS.iter().map(|d| d.thousands).sum();
        let covered: u32 = DEPARTEMENTS
            .iter()
            .filter(|d| registry_of(d.code).is_some())
            .map(|d| d.thousands)
            .sum();
        let share = f64::from(covered) / f64::from(total);
        assert!((0.18..=0.26).contains(&share), "coverage {share}");
    }

    #[test]
    fn departement_draw_follows_weights() {
        use rand::SeedableRng;
        // Paris (75) has 2 133 thousand of 67.8 million inhabitants in the
        // INSEE legal populations: 3.1 %, three standard errors 0.16 %.
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        let paris = DEPARTEMENTS.iter().position(|d| d.code == "75").unwrap();
        let n = 100_000;
        let hits = (0..n)
            .filter(|_| draw_departement(&mut rng) == paris)
            .count();
        let share = hits as f64 / f64::from(n);
        assert!((share - 0.0315).abs() < 0.002, "Paris share {share}");
        let last = (0..10_000).map(|_| draw_departement(&mut rng)).max();
        assert_eq!(last, Some(DEPARTEMENTS.len() - 1));
    }

    #[test]
    fn departements_total_near_france() {
        // INSEE legal population 2021: 67.8 million including Mayotte.
        let total: u32 = DEPARTEMENTS.iter().map(|d| d.thousands).sum();
        assert!((66_000..=69_000).contains(&total), "total {total}");
    }
}
