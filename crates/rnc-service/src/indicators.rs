//! Published incidence indicators: by site group and sex, with
//! age-standardised rates; by site group, sex and year; by sex and
//! département. All three tables are suppressed together (see
//! [`crate::disclosure`]), with the age-standardised rates and their
//! variances as relations over the age-band counts, so that no count
//! hidden in one table can be read off another.
//!
//! The age-band counts themselves are not published. With the two
//! standardised rates and their intervals, each row's bands enter four
//! weighted relations besides their sum, and protecting the small bands
//! hid most rows of the table on registry-sized test data. Analysts read
//! them from the release tables.
//!
//! Counted as `rnc stats` counts: malignant tumours (behaviour 3) with a
//! known age and a sex of `male` or `female`, diagnosed in a year of the
//! population table. A tumour without a département counts in the
//! `unknown` département, which has no person-years and so no rate.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use rnc_stats::{
    AGE_BANDS, ALL_SITES, CellStatus, IntervalMethod, StandardPopulation,
    TABLE_CONFIDENCE, TOTAL, age_band_index, age_standardised_rate, crude_rate,
};
use serde::Serialize;

use crate::disclosure::LinkedCells;
use crate::release::ReleaseFacts;

/// Dimensions of the linked cells, in key order.
pub const DIMENSIONS: [&str; 5] =
    ["site_group", "sex", "age_band", "year", "departement"];
const SITE: usize = 0;
const SEX: usize = 1;
const AGE: usize = 2;
const YEAR: usize = 3;
const DEPARTEMENT: usize = 4;

/// The dimensions each published table breaks counts down by.
const TABLES: [&[usize]; 3] =
    [&[SITE, SEX, AGE], &[SITE, SEX, YEAR], &[SEX, DEPARTEMENT]];

/// Sex label of rows over both sexes.
pub const BOTH_SEXES: &str = "both";
/// Département label of tumours without a département.
pub const UNKNOWN_DEPARTEMENT: &str = "unknown";
/// Département label of rows over every département.
pub const ALL_DEPARTEMENTS: &str = "all";
/// Sexes counted.
const SEXES: [&str; 2] = ["female", "male"];

/// A rate per 100 000 person-years with its 95 % confidence interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, utoipa::ToSchema)]
pub struct RateEstimate {
    /// Rate per 100 000 person-years.
    pub value: f64,
    /// Lower confidence limit.
    pub lower: f64,
    /// Upper confidence limit.
    pub upper: f64,
}

/// Incidence of one site group and sex over the whole period.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct IncidenceRow {
    /// Site group code, or `all_sites`.
    pub site_group: String,
    /// `female`, `male` or `both`.
    pub sex: String,
    /// `published`, `primary` or `secondary`.
    pub status: String,
    /// Tumours, absent when suppressed.
    pub cases: Option<u64>,
    /// Person-years at risk.
    pub person_years: f64,
    /// Crude rate with its exact Poisson interval.
    pub crude_rate: Option<RateEstimate>,
    /// Rate standardised to the Segi 1960 world population, Fay-Feuer
    /// interval.
    pub asr_world: Option<RateEstimate>,
    /// Rate standardised to the 2013 European population, Fay-Feuer
    /// interval.
    pub asr_europe2013: Option<RateEstimate>,
    /// True when the rates rest on fewer than 20 cases.
    pub unreliable: Option<bool>,
}

/// Incidence of one site group, sex and year.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct TrendRow {
    /// Site group code, or `all_sites`.
    pub site_group: String,
    /// `female`, `male` or `both`.
    pub sex: String,
    /// Year of incidence.
    pub year: i64,
    /// `published`, `primary` or `secondary`.
    pub status: String,
    /// Tumours, absent when suppressed.
    pub cases: Option<u64>,
    /// Person-years at risk.
    pub person_years: f64,
    /// Crude rate with its exact Poisson interval.
    pub crude_rate: Option<RateEstimate>,
}

/// Incidence of all sites for one sex and département.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct DepartementRow {
    /// INSEE département code, `unknown`, or `all`.
    pub departement: String,
    /// INSEE region code of the département, when known.
    pub region: Option<String>,
    /// `female`, `male` or `both`.
    pub sex: String,
    /// `published`, `primary` or `secondary`.
    pub status: String,
    /// Tumours, absent when suppressed.
    pub cases: Option<u64>,
    /// Person-years at risk.
    pub person_years: f64,
    /// Crude rate with its exact Poisson interval.
    // NOTE: crude only. An age-standardised rate by département would
    // need the département's age-band counts in the suppression system,
    // which the service does not publish yet.
    pub crude_rate: Option<RateEstimate>,
}

/// The published incidence tables of a release.
#[derive(Debug, Clone, Default)]
pub struct IncidenceTables {
    /// First and last year counted.
    pub period: (i64, i64),
    /// By site group and sex, with age bands.
    pub incidence: Vec<IncidenceRow>,
    /// By site group, sex and year.
    pub trends: Vec<TrendRow>,
    /// All sites by sex and département.
    pub departements: Vec<DepartementRow>,
    /// Malignant tumours of the period left out for unknown age or sex.
    pub excluded: u64,
    /// Cells hidden by the primary and the secondary rule.
    pub suppressed: (usize, usize),
}

type Key = Vec<String>;

fn total_key() -> Key {
    vec![TOTAL.to_owned(); DIMENSIONS.len()]
}

/// Builds the three incidence tables of `facts` and suppresses their
/// counts from 1 to `threshold - 1` with complements.
///
/// # Errors
///
/// [`crate::Error::Invalid`] when the population table is empty.
pub fn incidence_tables(
    facts: &ReleaseFacts,
    threshold: u64,
) -> Result<IncidenceTables, crate::Error> {
    let years: BTreeSet<i64> =
        facts.population.iter().map(|p| p.year).collect();
    let (Some(&first), Some(&last)) = (years.first(), years.last()) else {
        return Err(crate::Error::Invalid(format!(
            "release {}: the population table is empty, so no rate can be published",
            facts.release.release_id
        )));
    };

    let mut interior: HashMap<Key, f64> = HashMap::new();
    let mut excluded = 0;
    for tumour in &facts.tumours {
        if tumour.behaviour != 3
            || !(first..=last).contains(&tumour.incidence_year)
        {
            continue;
        }
        let band = tumour.age.and_then(|age| u16::try_from(age).ok());
        let Some(band) = band.map(age_band_index) else {
            excluded += 1;
            continue;
        };
        if !SEXES.contains(&tumour.sex.as_str()) {
            excluded += 1;
            continue;
        }
        let key = vec![
            tumour.site_group.clone(),
            tumour.sex.clone(),
            AGE_BANDS[band].to_owned(),
            tumour.incidence_year.to_string(),
            tumour
                .departement
                .clone()
                .unwrap_or_else(|| UNKNOWN_DEPARTEMENT.to_owned()),
        ];
        *interior.entry(key).or_default() += 1.0;
    }

    let levels = dimension_levels(facts, &interior, first, last);
    let person_years = person_years_by_key(facts);
    let mut cells = LinkedCells::default();
    add_tables(&mut cells, &levels);
    fill_counts(&mut cells, &interior);
    for band in &levels[AGE] {
        for site in levels[SITE]
            .iter()
            .chain(std::iter::once(&TOTAL.to_owned()))
        {
            for sex in
                levels[SEX].iter().chain(std::iter::once(&TOTAL.to_owned()))
            {
                let cell = cells
                    .find(&age_key(site, sex, band))
                    .expect("every age cell was added");
                cells.mark_unpublished(cell);
            }
        }
    }
    let weights = standard_weights();
    add_rate_relations(&mut cells, &levels, &person_years, &weights);
    cells.suppress(threshold);

    let py = |key: &Key| {
        let mut key = key.clone();
        key[SITE] = TOTAL.to_owned();
        person_years.get(&key).copied().unwrap_or(0.0)
    };
    let tables = IncidenceTables {
        period: (first, last),
        incidence: incidence_rows(&cells, &levels, &py, &weights),
        trends: trend_rows(&cells, &levels, &py),
        departements: departement_rows(&cells, &levels, &py),
        excluded,
        suppressed: cells.suppressed_counts(),
    };
    Ok(tables)
}

/// Levels of each dimension, without the total.
fn dimension_levels(
    facts: &ReleaseFacts,
    interior: &HashMap<Key, f64>,
    first: i64,
    last: i64,
) -> Vec<Vec<String>> {
    let sites: BTreeSet<String> =
        interior.keys().map(|k| k[SITE].clone()).collect();
    let mut departements: BTreeSet<String> = facts
        .population
        .iter()
        .map(|p| p.departement.clone())
        .collect();
    departements.extend(interior.keys().map(|k| k[DEPARTEMENT].clone()));
    vec![
        sites.into_iter().collect(),
        SEXES.iter().map(|s| (*s).to_owned()).collect(),
        AGE_BANDS.iter().map(|s| (*s).to_owned()).collect(),
        (first..=last).map(|y| y.to_string()).collect(),
        departements.into_iter().collect(),
    ]
}

/// Person-years by key (site group always the total), summed over every
/// dimension replaced by the total.
fn person_years_by_key(facts: &ReleaseFacts) -> HashMap<Key, f64> {
    let mut sums: HashMap<Key, f64> = HashMap::new();
    for row in &facts.population {
        let key = vec![
            TOTAL.to_owned(),
            row.sex.clone(),
            row.age_band.clone(),
            row.year.to_string(),
            row.departement.clone(),
        ];
        for mask in 0..(1_u32 << 4) {
            let mut masked = key.clone();
            for d in 0..4 {
                if mask & (1 << d) != 0 {
                    masked[d + 1] = TOTAL.to_owned();
                }
            }
            *sums.entry(masked).or_default() += row.population;
        }
    }
    sums
}

/// Adds every cell of every table, and each table's margin relations.
fn add_tables(cells: &mut LinkedCells, levels: &[Vec<String>]) {
    for dims in TABLES {
        let mut keys = vec![total_key()];
        for &d in dims {
            let mut next = Vec::new();
            for key in &keys {
                for level in
                    levels[d].iter().chain(std::iter::once(&TOTAL.to_owned()))
                {
                    let mut key = key.clone();
                    key[d] = level.clone();
                    next.push(key);
                }
            }
            keys = next;
        }
        let indices: Vec<usize> = keys
            .iter()
            .map(|key| cells.add_cell(key.clone(), 0.0))
            .collect();
        for (key, &margin) in keys.iter().zip(&indices) {
            for &d in dims.iter().filter(|&&d| key[d] == TOTAL) {
                let parts = levels[d]
                    .iter()
                    .map(|level| {
                        let mut part = key.clone();
                        part[d] = level.clone();
                        cells.find(&part).expect("every table cell was added")
                    })
                    .collect();
                cells.add_sum(margin, parts);
            }
        }
    }
}

/// Sets each cell's count to the sum of the interior counts it covers.
fn fill_counts(cells: &mut LinkedCells, interior: &HashMap<Key, f64>) {
    for (key, &count) in interior {
        for mask in 0..(1_u32 << DIMENSIONS.len()) {
            let mut masked = key.clone();
            for (d, level) in masked.iter_mut().enumerate() {
                if mask & (1 << d) != 0 {
                    *level = TOTAL.to_owned();
                }
            }
            if let Some(cell) = cells.find(&masked) {
                cells.add_count(cell, count);
            }
        }
    }
}

/// Returns the world (Segi 1960) and European (2013) weights, each
/// summing to 1.
fn standard_weights() -> [Vec<f64>; 2] {
    let normalise = |weights: Vec<f64>| {
        let sum: f64 = weights.iter().sum();
        weights.into_iter().map(|w| w / sum).collect::<Vec<f64>>()
    };
    [
        normalise(StandardPopulation::WorldSegi1960.weights()),
        normalise(StandardPopulation::Europe2013.weights()),
    ]
}

fn age_key(site: &str, sex: &str, band: &str) -> Key {
    let mut key = total_key();
    key[SITE] = site.to_owned();
    key[SEX] = sex.to_owned();
    key[AGE] = band.to_owned();
    key
}

/// Adds, for each row of the age table, the standardised rate and its
/// variance under both standards: Σ w_a c_a / n_a and Σ w_a² c_a / n_a²,
/// known to a reader while the row total is published.
fn add_rate_relations(
    cells: &mut LinkedCells,
    levels: &[Vec<String>],
    person_years: &HashMap<Key, f64>,
    weights: &[Vec<f64>; 2],
) {
    let total = TOTAL.to_owned();
    for site in levels[SITE].iter().chain(std::iter::once(&total)) {
        for sex in levels[SEX].iter().chain(std::iter::once(&total)) {
            let guard = cells
                .find(&age_key(site, sex, TOTAL))
                .expect("every row total was added");
            for standard in weights {
                let mut rate = Vec::new();
                let mut variance = Vec::new();
                for (a, band) in AGE_BANDS.iter().enumerate() {
                    let n = person_years
                        .get(&age_key(TOTAL, sex, band))
                        .copied()
                        .unwrap_or(0.0);
                    if n <= 0.0 {
                        continue;
                    }
                    let cell = cells
                        .find(&age_key(site, sex, band))
                        .expect("every age cell was added");
                    rate.push((cell, standard[a] / n));
                    variance.push((cell, standard[a] * standard[a] / (n * n)));
                }
                cells.add_weighted(rate, guard);
                cells.add_weighted(variance, guard);
            }
        }
    }
}

fn status_label(status: CellStatus) -> String {
    status.label().to_owned()
}

fn site_label(site: &str) -> String {
    if site == TOTAL {
        ALL_SITES.to_owned()
    } else {
        site.to_owned()
    }
}

fn sex_label(sex: &str) -> String {
    if sex == TOTAL {
        BOTH_SEXES.to_owned()
    } else {
        sex.to_owned()
    }
}

fn crude(cases: Option<u64>, person_years: f64) -> Option<RateEstimate> {
    let cases = cases? as f64;
    let estimate = crude_rate(cases, person_years, TABLE_CONFIDENCE).ok()?;
    Some(RateEstimate {
        value: estimate.value,
        lower: estimate.lower,
        upper: estimate.upper,
    })
}

fn incidence_rows(
    cells: &LinkedCells,
    levels: &[Vec<String>],
    py: &dyn Fn(&Key) -> f64,
    weights: &[Vec<f64>; 2],
) -> Vec<IncidenceRow> {
    let total = TOTAL.to_owned();
    let mut rows = Vec::new();
    for site in std::iter::once(&total).chain(&levels[SITE]) {
        for sex in levels[SEX].iter().chain(std::iter::once(&total)) {
            let row_key = age_key(site, sex, TOTAL);
            let row_cell = cells.find(&row_key).expect("row was added");
            let cases = cells.published_integer(row_cell);
            let person_years = py(&row_key);
            let mut band_cases = Vec::new();
            let mut band_years = Vec::new();
            for band in AGE_BANDS {
                let key = age_key(site, sex, band);
                let cell = cells.find(&key).expect("band was added");
                band_cases.push(cells.count(cell));
                band_years.push(py(&key));
            }
            let standardised = |w: &Vec<f64>| {
                cases?;
                let rate = age_standardised_rate(
                    &band_cases,
                    &band_years,
                    w,
                    TABLE_CONFIDENCE,
                    IntervalMethod::FayFeuer,
                )
                .ok()?;
                Some(RateEstimate {
                    value: rate.rate,
                    lower: rate.lower,
                    upper: rate.upper,
                })
            };
            rows.push(IncidenceRow {
                site_group: site_label(site),
                sex: sex_label(sex),
                status: status_label(cells.status(row_cell)),
                cases,
                person_years,
                crude_rate: crude(cases, person_years),
                asr_world: standardised(&weights[0]),
                asr_europe2013: standardised(&weights[1]),
                unreliable: cases.map(|c| {
                    rnc_stats::rate_is_unreliable(
                        c as f64,
                        rnc_stats::DEFAULT_UNRELIABLE_RATE_CASES,
                    )
                }),
            });
        }
    }
    rows
}

fn trend_rows(
    cells: &LinkedCells,
    levels: &[Vec<String>],
    py: &dyn Fn(&Key) -> f64,
) -> Vec<TrendRow> {
    let total = TOTAL.to_owned();
    let mut rows = Vec::new();
    for site in std::iter::once(&total).chain(&levels[SITE]) {
        for sex in levels[SEX].iter().chain(std::iter::once(&total)) {
            for year in &levels[YEAR] {
                let mut key = total_key();
                key[SITE] = site.clone();
                key[SEX] = sex.clone();
                key[YEAR] = year.clone();
                let cell = cells.find(&key).expect("trend cell was added");
                let cases = cells.published_integer(cell);
                let person_years = py(&key);
                rows.push(TrendRow {
                    site_group: site_label(site),
                    sex: sex_label(sex),
                    year: year.parse().expect("years are numbers"),
                    status: status_label(cells.status(cell)),
                    cases,
                    person_years,
                    crude_rate: crude(cases, person_years),
                });
            }
        }
    }
    rows
}

fn departement_rows(
    cells: &LinkedCells,
    levels: &[Vec<String>],
    py: &dyn Fn(&Key) -> f64,
) -> Vec<DepartementRow> {
    let total = TOTAL.to_owned();
    let mut rows = Vec::new();
    for departement in std::iter::once(&total).chain(&levels[DEPARTEMENT]) {
        for sex in levels[SEX].iter().chain(std::iter::once(&total)) {
            let mut key = total_key();
            key[SEX] = sex.clone();
            key[DEPARTEMENT] = departement.clone();
            let cell = cells.find(&key).expect("département cell was added");
            let cases = cells.published_integer(cell);
            let person_years = py(&key);
            let (label, region) = if departement == TOTAL {
                (ALL_DEPARTEMENTS.to_owned(), None)
            } else {
                (
                    departement.clone(),
                    rnc_stats::region_of_departement(departement)
                        .ok()
                        .map(str::to_owned),
                )
            };
            rows.push(DepartementRow {
                departement: label,
                region,
                sex: sex_label(sex),
                status: status_label(cells.status(cell)),
                cases,
                person_years,
                crude_rate: crude(cases, person_years)
                    .filter(|_| person_years > 0.0),
            });
        }
    }
    rows
}

/// Groups rows by a key, keeping their order, for callers that filter.
pub(crate) fn distinct<T, K: Ord + Clone>(
    rows: &[T],
    key: impl Fn(&T) -> K,
) -> Vec<K> {
    let mut seen = BTreeMap::new();
    for (i, row) in rows.iter().enumerate() {
        seen.entry(key(row)).or_insert(i);
    }
    let mut keys: Vec<(usize, K)> =
        seen.into_iter().map(|(k, i)| (i, k)).collect();
    keys.sort_by_key(|(i, _)| *i);
    keys.into_iter().map(|(_, k)| k).collect()
}
