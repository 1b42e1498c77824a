//! Comparison of a written data set with the targets it was drawn from.
//!
//! New cancers by sex, site group and age band are compared with the
//! calibrated national rates, hospital stays per tumour with the care
//! pathway, and the identifier noise of each feed with its configured
//! shares.
//!
//! Every deviation comes with a z-score: the difference divided by its
//! sampling standard deviation (Poisson for counts, binomial for shares,
//! the standard error of the mean for stays), so that a reader can tell
//! sampling noise (|z| below about 3) from a generator fault.
//!
//! # Example
//!
//! ```
//! use rnc_synth::{SynthConfig, check::check_data_set, write_synthetic};
//!
//! let dir = tempfile::tempdir().unwrap();
//! let config = SynthConfig { persons: 5_000, seed: 3, first_year: 2023, last_year: 2023 };
//! write_synthetic(&config, dir.path()).unwrap();
//! let report = check_data_set(dir.path()).unwrap();
//! assert!(report.total_cases.observed > 0);
//! ```

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use crate::Error;
use crate::demography::{AGE_BANDS, age_band, age_band_label};
use crate::feeds::{
    FIRST_NAME_MISSING_SHARE, Feed, NIR_TYPO_SHARE, UNKNOWN_BIRTH_DAY_SHARE,
    nir_missing_share,
};
use crate::pathway;
use crate::population::IncidenceTable;
use crate::sites::{SITE_GROUPS, Stage};

/// Days of follow-up after which a tumour's care pathway is complete.
const FULL_PATHWAY_DAYS: i64 = 730;

/// Share of tumours with a pathology report (the pathway draws none for
/// 8 %).
const HISTOLOGY_SHARE: f64 = 0.92;

/// Observed and expected new cancers in one cell.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseDeviation {
    /// `1` men, `2` women.
    pub sex: u8,
    /// Site group name, or `None` when the cell covers all sites.
    pub site_group: Option<&'static str>,
    /// Age band label (`0-4` … `85+`), or `None` for all ages.
    pub age_band: Option<String>,
    /// Tumours in `truth/tumours.csv`.
    pub observed: u64,
    /// Expected tumours: calibrated rate times person-years.
    pub expected: f64,
}

impl CaseDeviation {
    /// Poisson z-score `(observed - expected) / sqrt(expected)`.
    pub fn z(&self) -> f64 {
        (self.observed as f64 - self.expected) / self.expected.max(1e-9).sqrt()
    }

    /// Relative deviation `observed / expected - 1`.
    pub fn relative(&self) -> f64 {
        self.observed as f64 / self.expected.max(1e-9) - 1.0
    }
}

/// Hospital stays per tumour with a complete pathway, against the mean the
/// pathway draws.
#[derive(Debug, Clone, PartialEq)]
pub struct StaysDeviation {
    /// Tumours diagnosed at least two years before the end of the data,
    /// of persons alive two years after diagnosis.
    pub tumours: u64,
    /// Mean hospital stays per such tumour.
    pub observed_mean: f64,
    /// Mean of the expected stays of the same tumours (by site group and
    /// stage).
    pub expected_mean: f64,
    /// Standard error of the mean difference.
    pub standard_error: f64,
}

impl StaysDeviation {
    /// `(observed_mean - expected_mean) / standard_error`.
    pub fn z(&self) -> f64 {
        (self.observed_mean - self.expected_mean)
            / self.standard_error.max(1e-9)
    }
}

/// Observed and configured share of one kind of noise in one feed.
#[derive(Debug, Clone, PartialEq)]
pub struct NoiseDeviation {
    /// Feed name.
    pub feed: &'static str,
    /// Measure name, e.g. `nir missing`.
    pub measure: &'static str,
    /// Records the share is computed over.
    pub records: u64,
    /// Records showing the noise.
    pub noisy: u64,
    /// Configured share.
    pub expected_share: f64,
}

impl NoiseDeviation {
    /// Observed share.
    pub fn observed_share(&self) -> f64 {
        self.noisy as f64 / self.records.max(1) as f64
    }

    /// Binomial z-score of the observed count.
    pub fn z(&self) -> f64 {
        let n = self.records as f64;
        let p = self.expected_share;
        (self.noisy as f64 - n * p) / (n * p * (1.0 - p)).max(1e-9).sqrt()
    }
}

/// The comparison of a data set with its targets.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckReport {
    /// Calendar years of `population.csv`.
    pub years: (i32, i32),
    /// All new cancers, both sexes.
    pub total_cases: CaseDeviation,
    /// New cancers by sex and site group.
    pub cases_by_site: Vec<CaseDeviation>,
    /// New cancers by sex and age band.
    pub cases_by_age: Vec<CaseDeviation>,
    /// New cancers by sex, site group and age band, for cells expecting at
    /// least five cases.
    pub cases_by_cell: Vec<CaseDeviation>,
    /// Stays per tumour, when some tumour has two years of follow-up.
    pub stays: Option<StaysDeviation>,
    /// Noise shares by feed.
    pub noise: Vec<NoiseDeviation>,
    /// Tumours by detection mode, for the screened sites (breast,
    /// colorectum, cervix uteri).
    pub detection_modes: Vec<(String, u64)>,
}

impl CheckReport {
    /// Pearson chi-square of [`CheckReport::cases_by_cell`] and its
    /// number of cells.
    pub fn cell_chi_square(&self) -> (f64, usize) {
        let chi_square =
            self.cases_by_cell.iter().map(|cell| cell.z().powi(2)).sum();
        (chi_square, self.cases_by_cell.len())
    }
}

/// A CSV file read into memory with its header.
struct Table {
    path: PathBuf,
    reader: csv::Reader<std::fs::File>,
    header: Vec<String>,
}

impl Table {
    fn open(path: PathBuf) -> Result<Table, Error> {
        let mut reader =
            csv::Reader::from_path(&path).map_err(|source| Error::Read {
                path: path.clone(),
                source,
            })?;
        let header = reader
            .headers()
            .map_err(|source| Error::Read {
                path: path.clone(),
                source,
            })?
            .iter()
            .map(str::to_string)
            .collect();
        Ok(Table {
            path,
            reader,
            header,
        })
    }

    fn column(&self, name: &str) -> Result<usize, Error> {
        self.header.iter().position(|h| h == name).ok_or_else(|| {
            Error::InvalidDataSet {
                path: self.path.clone(),
                problem: format!("column {name} is missing"),
            }
        })
    }

    /// Calls `visit` on every row.
    fn for_each<F>(&mut self, mut visit: F) -> Result<(), Error>
    where
        F: FnMut(&csv::StringRecord) -> Result<(), String>,
    {
        let mut record = csv::StringRecord::new();
        let mut line = 1u64;
        loop {
            let more =
                self.reader.read_record(&mut record).map_err(|source| {
                    Error::Read {
                        path: self.path.clone(),
                        source,
                    }
                })?;
            if !more {
                return Ok(());
            }
            line += 1;
            visit(&record).map_err(|problem| Error::InvalidDataSet {
                path: self.path.clone(),
                problem: format!("line {line}: {problem}"),
            })?;
        }
    }
}

fn parse<T: std::str::FromStr>(text: &str, what: &str) -> Result<T, String> {
    text.parse()
        .map_err(|_| format!("{what} {text:?} is not a valid value"))
}

fn parse_date(text: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| format!("date {text:?} is not YYYY-MM-DD"))
}

fn sex_index(text: &str) -> Result<usize, String> {
    match text {
        "1" => Ok(0),
        "2" => Ok(1),
        other => Err(format!("sex {other:?} is not 1 or 2")),
    }
}

/// Person-years by sex (0 men, 1 women) and age band.
type PersonYears = [[f64; AGE_BANDS]; 2];

/// Person-years by sex and age band, and the years, from `population.csv`.
fn read_person_years(dir: &Path) -> Result<(PersonYears, (i32, i32)), Error> {
    let mut table = Table::open(dir.join("population.csv"))?;
    let (year_at, sex_at, band_at, count_at) = (
        table.column("year")?,
        table.column("sex")?,
        table.column("age_band")?,
        table.column("population")?,
    );
    let labels: Vec<String> = (0..AGE_BANDS).map(age_band_label).collect();
    let mut person_years = [[0.0; AGE_BANDS]; 2];
    let mut years = (i32::MAX, i32::MIN);
    table.for_each(|row| {
        let year: i32 = parse(&row[year_at], "year")?;
        years = (years.0.min(year), years.1.max(year));
        let sex = match &row[sex_at] {
            "male" => 0,
            "female" => 1,
            other => {
                return Err(format!("sex {other:?} is not male or female"));
            }
        };
        let band = labels.iter().position(|l| *l == row[band_at]).ok_or_else(
            || format!("age band {:?} is unknown", &row[band_at]),
        )?;
        let count: f64 = parse(&row[count_at], "population")?;
        person_years[sex][band] += count;
        Ok(())
    })?;
    if years.0 > years.1 {
        return Err(Error::InvalidDataSet {
            path: dir.join("population.csv"),
            problem: "no row".to_string(),
        });
    }
    Ok((person_years, years))
}

/// One true tumour as the check needs it.
struct TruthTumour {
    person_id: String,
    sex: usize,
    group: usize,
    band: usize,
    stage: Stage,
    incidence: NaiveDate,
    detection: String,
}

fn read_tumours(dir: &Path) -> Result<HashMap<String, TruthTumour>, Error> {
    let mut table = Table::open(dir.join("truth").join("tumours.csv"))?;
    let columns: Vec<usize> = [
        "tumour_id",
        "person_id",
        "sex",
        "site_group",
        "age",
        "stage",
        "incidence_date",
        "detection_mode",
    ]
    .iter()
    .map(|name| table.column(name))
    .collect::<Result<_, _>>()?;
    let mut tumours = HashMap::new();
    table.for_each(|row| {
        let group = SITE_GROUPS
            .iter()
            .position(|g| g.name == &row[columns[3]])
            .ok_or_else(|| {
                format!("site group {:?} is unknown", &row[columns[3]])
            })?;
        let stage = Stage::ALL
            .iter()
            .copied()
            .find(|s| s.label() == &row[columns[5]])
            .ok_or_else(|| {
                format!("stage {:?} is unknown", &row[columns[5]])
            })?;
        tumours.insert(
            row[columns[0]].to_string(),
            TruthTumour {
                person_id: row[columns[1]].to_string(),
                sex: sex_index(&row[columns[2]])?,
                group,
                band: age_band(parse(&row[columns[4]], "age")?),
                stage,
                incidence: parse_date(&row[columns[6]])?,
                detection: row[columns[7]].to_string(),
            },
        );
        Ok(())
    })?;
    Ok(tumours)
}

/// Compares the data set in `dir` (written by [`crate::write_synthetic`])
/// with its targets.
///
/// # Errors
///
/// [`Error::Read`] when a file is missing or unreadable, and
/// [`Error::InvalidDataSet`] when a column is missing or a value cannot be
/// parsed.
// The loops index the observed counts, the rates and the person-years by
// the same sex, band and group, which reads best with plain indices.
#[allow(clippy::needless_range_loop)]
pub fn check_data_set(dir: &Path) -> Result<CheckReport, Error> {
    let (person_years, years) = read_person_years(dir)?;
    let tumours = read_tumours(dir)?;
    let table = IncidenceTable::new();
    let expected = |sex: usize, band: usize, group: usize| -> f64 {
        table.expected_rate(sex, band, group) * person_years[sex][band]
    };
    let mut observed = vec![[[0u64; AGE_BANDS]; 2]; SITE_GROUPS.len()];
    for tumour in tumours.values() {
        observed[tumour.group][tumour.sex][tumour.band] += 1;
    }

    let mut cases_by_site = Vec::new();
    let mut cases_by_age = Vec::new();
    let mut cases_by_cell = Vec::new();
    for sex in 0..2 {
        for (group, site) in SITE_GROUPS.iter().enumerate() {
            if site.counts[sex] == 0 {
                continue;
            }
            cases_by_site.push(CaseDeviation {
                sex: sex as u8 + 1,
                site_group: Some(site.name),
                age_band: None,
                observed: observed[group][sex].iter().sum(),
                expected: (0..AGE_BANDS).map(|b| expected(sex, b, group)).sum(),
            });
            for band in 0..AGE_BANDS {
                let cell = CaseDeviation {
                    sex: sex as u8 + 1,
                    site_group: Some(site.name),
                    age_band: Some(age_band_label(band)),
                    observed: observed[group][sex][band],
                    expected: expected(sex, band, group),
                };
                if cell.expected >= 5.0 {
                    cases_by_cell.push(cell);
                }
            }
        }
        for band in 0..AGE_BANDS {
            cases_by_age.push(CaseDeviation {
                sex: sex as u8 + 1,
                site_group: None,
                age_band: Some(age_band_label(band)),
                observed: (0..SITE_GROUPS.len())
                    .map(|g| observed[g][sex][band])
                    .sum(),
                expected: (0..SITE_GROUPS.len())
                    .map(|g| expected(sex, band, g))
                    .sum(),
            });
        }
    }
    let total_cases = CaseDeviation {
        sex: 0,
        site_group: None,
        age_band: None,
        observed: tumours.len() as u64,
        expected: cases_by_site.iter().map(|c| c.expected).sum(),
    };

    let mut detection: HashMap<String, u64> = HashMap::new();
    for tumour in tumours.values() {
        let name = SITE_GROUPS[tumour.group].name;
        if matches!(name, "breast" | "colorectum" | "cervix uteri") {
            *detection.entry(tumour.detection.clone()).or_insert(0) += 1;
        }
    }
    let mut detection_modes: Vec<(String, u64)> =
        detection.into_iter().collect();
    detection_modes.sort();

    let end = NaiveDate::from_ymd_opt(years.1, 12, 31).ok_or_else(|| {
        Error::InvalidDataSet {
            path: dir.join("population.csv"),
            problem: format!("year {} is out of range", years.1),
        }
    })?;
    let stays = check_stays(dir, &tumours, end)?;
    let noise = check_noise(dir)?;
    Ok(CheckReport {
        years,
        total_cases,
        cases_by_site,
        cases_by_age,
        cases_by_cell,
        stays,
        noise,
        detection_modes,
    })
}

/// Stays per tumour for the tumours diagnosed two years or more before
/// `end` whose person is alive two years after diagnosis.
fn check_stays(
    dir: &Path,
    tumours: &HashMap<String, TruthTumour>,
    end: NaiveDate,
) -> Result<Option<StaysDeviation>, Error> {
    let candidates: HashMap<&str, &TruthTumour> = tumours
        .iter()
        .filter(|(_, t)| (end - t.incidence).num_days() >= FULL_PATHWAY_DAYS)
        .map(|(id, t)| (id.as_str(), t))
        .collect();
    if candidates.is_empty() {
        return Ok(None);
    }
    let patients: HashSet<&str> =
        candidates.values().map(|t| t.person_id.as_str()).collect();
    let mut deaths: HashMap<String, NaiveDate> = HashMap::new();
    let mut persons = Table::open(dir.join("truth").join("persons.csv"))?;
    let (id_at, death_at) =
        (persons.column("person_id")?, persons.column("death_date")?);
    persons.for_each(|row| {
        if !row[death_at].is_empty() && patients.contains(&row[id_at]) {
            deaths.insert(row[id_at].to_string(), parse_date(&row[death_at])?);
        }
        Ok(())
    })?;
    let followed: HashMap<&str, &TruthTumour> = candidates
        .into_iter()
        .filter(|(_, t)| {
            deaths.get(&t.person_id).is_none_or(|death| {
                (*death - t.incidence).num_days() > FULL_PATHWAY_DAYS
            })
        })
        .collect();
    if followed.is_empty() {
        return Ok(None);
    }

    // Stays are counted in the feed itself, through the truth's record-to-
    // tumour map, so that a truncated or damaged feed shows as a deviation.
    let mut in_feed: HashSet<String> = HashSet::new();
    let mut feed =
        Table::open(dir.join(format!("{}.csv", Feed::HospitalStay.name())))?;
    let stay_at = feed.column("stay_id")?;
    feed.for_each(|row| {
        in_feed.insert(row[stay_at].to_string());
        Ok(())
    })?;

    let mut stays: HashMap<&str, u64> =
        followed.keys().map(|id| (*id, 0)).collect();
    let mut records = Table::open(dir.join("truth").join("records.csv"))?;
    let (record_at, tumour_at) =
        (records.column("record_id")?, records.column("tumour_id")?);
    let prefix = format!("{}/", Feed::HospitalStay.name());
    records.for_each(|row| {
        if let Some(stay) = row[record_at].strip_prefix(&prefix)
            && in_feed.contains(stay)
            && let Some(count) = stays.get_mut(&row[tumour_at])
        {
            *count += 1;
        }
        Ok(())
    })?;

    let differences: Vec<(f64, f64)> = followed
        .iter()
        .map(|(id, t)| {
            let expected = pathway::expected_stays(
                &SITE_GROUPS[t.group],
                t.stage,
                HISTOLOGY_SHARE,
            );
            (stays[id] as f64, expected)
        })
        .collect();
    let n = differences.len() as f64;
    let observed_mean = differences.iter().map(|(o, _)| o).sum::<f64>() / n;
    let expected_mean = differences.iter().map(|(_, e)| e).sum::<f64>() / n;
    let mean_difference = observed_mean - expected_mean;
    let variance = differences
        .iter()
        .map(|(o, e)| (o - e - mean_difference).powi(2))
        .sum::<f64>()
        / (n - 1.0).max(1.0);
    Ok(Some(StaysDeviation {
        tumours: differences.len() as u64,
        observed_mean,
        expected_mean,
        standard_error: (variance / n).sqrt(),
    }))
}

/// NIR missing, NIR invalid, birth day unknown and first name missing
/// shares of every feed.
fn check_noise(dir: &Path) -> Result<Vec<NoiseDeviation>, Error> {
    let mut deviations = Vec::new();
    for feed in Feed::ALL {
        let mut table = Table::open(dir.join(format!("{}.csv", feed.name())))?;
        let nir_at = table.column("nir")?;
        let birth_at = table.column("birth_date")?;
        let first_name_at = table.column("first_name").ok();
        let (mut rows, mut missing, mut written, mut invalid) = (0u64, 0, 0, 0);
        let (mut unknown_day, mut no_first_name) = (0u64, 0u64);
        table.for_each(|row| {
            rows += 1;
            let nir = &row[nir_at];
            if nir.is_empty() {
                missing += 1;
            } else {
                written += 1;
                if rnc_model::nir::check_nir(nir).status
                    != rnc_model::NirStatus::Valid
                {
                    invalid += 1;
                }
            }
            if row[birth_at].ends_with("-99") {
                unknown_day += 1;
            }
            if first_name_at.is_some_and(|at| row[at].is_empty()) {
                no_first_name += 1;
            }
            Ok(())
        })?;
        let name = feed.name();
        deviations.push(NoiseDeviation {
            feed: name,
            measure: "nir missing",
            records: rows,
            noisy: missing,
            expected_share: nir_missing_share(feed),
        });
        deviations.push(NoiseDeviation {
            feed: name,
            measure: "nir invalid (of written)",
            records: written,
            noisy: invalid,
            expected_share: NIR_TYPO_SHARE,
        });
        deviations.push(NoiseDeviation {
            feed: name,
            measure: "birth day unknown",
            records: rows,
            noisy: unknown_day,
            expected_share: UNKNOWN_BIRTH_DAY_SHARE,
        });
        if first_name_at.is_some() {
            deviations.push(NoiseDeviation {
                feed: name,
                measure: "first name missing",
                records: rows,
                noisy: no_first_name,
                expected_share: FIRST_NAME_MISSING_SHARE,
            });
        }
    }
    Ok(deviations)
}
