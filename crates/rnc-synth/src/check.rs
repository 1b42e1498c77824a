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
//! let config = SynthConfig {
//!     persons: 5_000,
//!     seed: 3,
//!     first_year: 2023,
//!     last_year: 2023,
//!     ..SynthConfig::default()
//! };
//! write_synthetic(&config, dir.path()).unwrap();
//! let report = check_data_set(dir.path()).unwrap();
//! assert!(report.total_cases.observed > 0);
//! ```

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use crate::Error;
use crate::demography::{AGE_BANDS, age_band, age_band_label};
use crate::feeds::Feed;
use crate::noise::{NoiseConfig, NoiseKind};
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

    /// Opens a feed file, whatever its delimiter (comma or semicolon, read
    /// from the header line) and its encoding (fields are read as bytes).
    fn open_feed(path: PathBuf) -> Result<Table, Error> {
        let first_line = first_line(&path)?;
        let delimiter =
            if first_line.contains(&b';') && !first_line.contains(&b',') {
                b';'
            } else {
                b','
            };
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .from_path(&path)
            .map_err(|source| Error::Read {
                path: path.clone(),
                source,
            })?;
        let header = reader
            .byte_headers()
            .map_err(|source| Error::Read {
                path: path.clone(),
                source,
            })?
            .iter()
            .map(|h| String::from_utf8_lossy(h).into_owned())
            .collect();
        Ok(Table {
            path,
            reader,
            header,
        })
    }

    /// Calls `visit` on every row, read as bytes.
    fn for_each_bytes<F>(&mut self, mut visit: F) -> Result<(), Error>
    where
        F: FnMut(&csv::ByteRecord),
    {
        let mut record = csv::ByteRecord::new();
        loop {
            let more = self.reader.read_byte_record(&mut record).map_err(
                |source| Error::Read {
                    path: self.path.clone(),
                    source,
                },
            )?;
            if !more {
                return Ok(());
            }
            visit(&record);
        }
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

/// First line of a file, without its line end.
fn first_line(path: &Path) -> Result<Vec<u8>, Error> {
    use std::io::BufRead;
    let io_error = |source: std::io::Error| Error::Read {
        path: path.to_path_buf(),
        source: csv::Error::from(source),
    };
    let file = std::fs::File::open(path).map_err(io_error)?;
    let mut line = Vec::new();
    std::io::BufReader::new(file)
        .read_until(b'\n', &mut line)
        .map_err(io_error)?;
    Ok(line)
}

/// Files of `feed` in `dir`: `{feed}.csv`, or `{feed}_{year}.csv` for
/// each year, in name order.
fn feed_files(dir: &Path, feed: Feed) -> Result<Vec<PathBuf>, Error> {
    let single = dir.join(format!("{}.csv", feed.name()));
    if single.exists() {
        return Ok(vec![single]);
    }
    let entries = std::fs::read_dir(dir).map_err(|source| Error::Read {
        path: dir.to_path_buf(),
        source: csv::Error::from(source),
    })?;
    let prefix = format!("{}_", feed.name());
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| {
            path.file_name()
                .and_then(|name| name.to_str())
                .and_then(|name| name.strip_prefix(&prefix))
                .and_then(|rest| rest.strip_suffix(".csv"))
                .is_some_and(|year| {
                    year.len() == 4 && year.bytes().all(|b| b.is_ascii_digit())
                })
        })
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(Error::InvalidDataSet {
            path: single,
            problem: format!(
                "no file of feed {} (expected {}.csv or {}_YEAR.csv)",
                feed.name(),
                feed.name(),
                feed.name()
            ),
        });
    }
    Ok(files)
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
    for path in feed_files(dir, Feed::HospitalStay)? {
        let mut feed = Table::open_feed(path)?;
        let stay_at = feed.column("stay_id")?;
        feed.for_each_bytes(|row| {
            in_feed.insert(String::from_utf8_lossy(&row[stay_at]).into_owned());
        })?;
    }

    let mut stays: HashMap<&str, u64> =
        followed.keys().map(|id| (*id, 0)).collect();
    let mut records = Table::open(dir.join("truth").join("records.csv"))?;
    let (record_at, tumour_at, noise_at) = (
        records.column("record_id")?,
        records.column("tumour_id")?,
        records.column("noise")?,
    );
    let prefix = format!("{}/", Feed::HospitalStay.name());
    records.for_each(|row| {
        // A record sent twice is one stay.
        if row[noise_at].contains("duplicate") {
            return Ok(());
        }
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

/// Kinds of noise compared through `truth/records.csv`, whose shares
/// are per record of the feed (per record with a NIR for
/// [`NoiseKind::NirOtherPerson`]). Left out: the kinds the feed files
/// show (NIR missing or with a bad key, birth day unknown, first name
/// missing), and those whose share applies to a subset the check cannot
/// count (usage name as birth name, day and month swap, three-character
/// ICD-10 codes).
const TRUTH_KINDS: [NoiseKind; 8] = [
    NoiseKind::NirOtherPerson,
    NoiseKind::NameTypo,
    NoiseKind::NameSwap,
    NoiseKind::DepartementMissing,
    NoiseKind::Late,
    NoiseKind::DuplicateSameFile,
    NoiseKind::DuplicateLaterFile,
    NoiseKind::UnspecifiedMorphology,
];

/// Reads the noise settings the set was written with.
fn read_noise_settings(dir: &Path) -> Result<NoiseConfig, Error> {
    let path = dir.join("truth").join("noise.toml");
    let text =
        std::fs::read_to_string(&path).map_err(|source| Error::Read {
            path: path.clone(),
            source: csv::Error::from(source),
        })?;
    NoiseConfig::from_toml(&text).map_err(|error| Error::InvalidDataSet {
        path,
        problem: error.to_string(),
    })
}

/// Noise shares of every feed: NIR missing, NIR invalid, birth day
/// unknown and first name missing counted in the feed files, the other
/// kinds of [`TRUTH_KINDS`] in `truth/records.csv`.
fn check_noise(dir: &Path) -> Result<Vec<NoiseDeviation>, Error> {
    let settings = read_noise_settings(dir)?;
    let truth = count_truth_noise(dir)?;
    let mut deviations = Vec::new();
    for feed in Feed::ALL {
        let shares = settings.feed(feed);
        let (mut rows, mut missing, mut written, mut invalid) = (0u64, 0, 0, 0);
        let (mut unknown_day, mut no_first_name) = (0u64, 0u64);
        let mut has_first_name = false;
        for path in feed_files(dir, feed)? {
            let mut table = Table::open_feed(path)?;
            let nir_at = table.column("nir")?;
            let birth_at = table.column("birth_date")?;
            let first_name_at = table.column("first_name").ok();
            has_first_name = first_name_at.is_some();
            table.for_each_bytes(|row| {
                rows += 1;
                let nir = String::from_utf8_lossy(&row[nir_at]);
                if nir.is_empty() {
                    missing += 1;
                } else {
                    written += 1;
                    if rnc_model::nir::check_nir(&nir).status
                        == rnc_model::NirStatus::Invalid
                    {
                        invalid += 1;
                    }
                }
                let birth = &row[birth_at];
                if birth.ends_with(b"-99") || birth.starts_with(b"99/") {
                    unknown_day += 1;
                }
                if first_name_at.is_some_and(|at| row[at].is_empty()) {
                    no_first_name += 1;
                }
            })?;
        }
        let name = feed.name();
        let mut push = |measure, records, noisy, kind: NoiseKind| {
            deviations.push(NoiseDeviation {
                feed: name,
                measure,
                records,
                noisy,
                expected_share: shares.share(kind),
            });
        };
        push("nir missing", rows, missing, NoiseKind::NirMissing);
        push(
            "nir invalid (of written)",
            written,
            invalid,
            NoiseKind::NirBadKey,
        );
        push(
            "birth day unknown",
            rows,
            unknown_day,
            NoiseKind::BirthDayUnknown,
        );
        if has_first_name {
            push(
                "first name missing",
                rows,
                no_first_name,
                NoiseKind::FirstNameMissing,
            );
        }
        let counts = &truth[feed.index()];
        for kind in TRUTH_KINDS {
            if !kind.applies_to(feed) {
                continue;
            }
            let records = if kind == NoiseKind::NirOtherPerson {
                counts.records - counts.by_kind[NoiseKind::NirMissing.index()]
            } else {
                counts.records
            };
            push(kind.name(), records, counts.by_kind[kind.index()], kind);
        }
    }
    Ok(deviations)
}

/// Records of one feed in `truth/records.csv` (duplicate copies left out)
/// and how many got each kind of noise, indexed like [`NoiseKind::ALL`];
/// a duplicate kind counts the copies.
struct TruthNoiseCounts {
    records: u64,
    by_kind: [u64; NoiseKind::ALL.len()],
}

fn count_truth_noise(dir: &Path) -> Result<Vec<TruthNoiseCounts>, Error> {
    let mut counts: Vec<TruthNoiseCounts> = Feed::ALL
        .iter()
        .map(|_| TruthNoiseCounts {
            records: 0,
            by_kind: [0; NoiseKind::ALL.len()],
        })
        .collect();
    let mut table = Table::open(dir.join("truth").join("records.csv"))?;
    let (record_at, noise_at) =
        (table.column("record_id")?, table.column("noise")?);
    table.for_each(|row| {
        let feed_name = row[record_at].split('/').next().unwrap_or_default();
        let feed = Feed::ALL
            .iter()
            .position(|f| f.name() == feed_name)
            .ok_or_else(|| {
                format!("record id {:?} names no feed", &row[record_at])
            })?;
        let labels: Vec<&str> =
            row[noise_at].split('|').filter(|l| !l.is_empty()).collect();
        let copy = labels.iter().any(|l| {
            *l == NoiseKind::DuplicateSameFile.name()
                || *l == NoiseKind::DuplicateLaterFile.name()
        });
        let counts = &mut counts[feed];
        if !copy {
            counts.records += 1;
        }
        for label in labels {
            let kind = NoiseKind::ALL
                .iter()
                .position(|k| k.name() == label)
                .ok_or_else(|| format!("noise {label:?} is unknown"))?;
            let is_duplicate_kind = kind
                == NoiseKind::DuplicateSameFile.index()
                || kind == NoiseKind::DuplicateLaterFile.index();
            // A copy repeats its original's noise, which is counted once.
            if !copy || is_duplicate_kind {
                counts.by_kind[kind] += 1;
            }
        }
        Ok(())
    })?;
    Ok(counts)
}
