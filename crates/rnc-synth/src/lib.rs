//! Synthetic national source feeds with a known truth.
//!
//! [`write_synthetic`] draws a made-up population shaped like France: the
//! INSEE age pyramid of 1 January 2023, and départements weighted by their
//! legal population. Its members get cancers at the French 2023 national
//! rates by site, sex and age, and die of cancer or of other causes. The
//! function writes the four source feeds of `docs/sources.md` (regional
//! registry extracts, hospital stays, pathology reports, death records)
//! with the identifier noise of real feeds. It also writes the
//! denominators (`population.csv`) and, under `truth/`, the true person and
//! tumour of every record, so that linkage and consolidation can be scored.
//!
//! Every name, NIR and date is made up. The same [`SynthConfig`] always
//! gives byte-identical files, whatever the number of threads.
//!
//! # Example
//!
//! ```
//! use rnc_synth::{SynthConfig, write_synthetic};
//!
//! let dir = tempfile::tempdir().unwrap();
//! let config = SynthConfig { persons: 2_000, seed: 7, first_year: 2022, last_year: 2022 };
//! let summary = write_synthetic(&config, dir.path()).unwrap();
//! assert_eq!(summary.persons, 2_000);
//! assert!(dir.path().join("truth/tumours.csv").exists());
//! ```

#![deny(missing_docs)]

mod demography;
mod feeds;
mod names;
mod output;
mod population;
mod sites;

use std::path::{Path, PathBuf};
use std::time::Instant;

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use rnc_model::SourceKind;

use crate::population::{Stream, Timeline};

/// Settings of one synthetic data set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SynthConfig {
    /// Number of persons: the population on 1 January of the first year
    /// plus those born during the years.
    pub persons: u64,
    /// Seed of every random draw.
    pub seed: u64,
    /// First calendar year simulated.
    pub first_year: i32,
    /// Last calendar year simulated (inclusive).
    pub last_year: i32,
}

impl Default for SynthConfig {
    /// 200 000 persons, seed 1, years 2019 to 2023.
    fn default() -> SynthConfig {
        SynthConfig {
            persons: 200_000,
            seed: 1,
            first_year: 2019,
            last_year: 2023,
        }
    }
}

/// Counts of what [`write_synthetic`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SynthSummary {
    /// Persons drawn (rows of `truth/persons.csv`).
    pub persons: u64,
    /// True tumours (rows of `truth/tumours.csv`).
    pub tumours: u64,
    /// Rows written to each feed, in the order of [`SourceKind::ALL`].
    pub records_by_kind: Vec<(SourceKind, u64)>,
    /// Rows of `population.csv`.
    pub population_rows: u64,
}

/// An error of [`write_synthetic`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A setting is out of its range.
    #[error("invalid synthesis setting {setting}: {reason}")]
    InvalidConfig {
        /// The field of [`SynthConfig`].
        setting: &'static str,
        /// The problem, with the accepted range.
        reason: String,
    },
    /// A directory could not be created or a file could not be written.
    #[error(
        "{path}: could not write: {source} (check that the directory is writable)"
    )]
    Io {
        /// File or directory.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The CSV writer failed.
    #[error("{path}: could not write CSV: {source}")]
    Csv {
        /// File being written.
        path: PathBuf,
        /// The underlying error.
        source: csv::Error,
    },
}

/// Largest population accepted: 100 million, above France's 68 million.
const MAX_PERSONS: u64 = 100_000_000;

fn check_config(config: &SynthConfig) -> Result<(), Error> {
    if config.persons == 0 || config.persons > MAX_PERSONS {
        return Err(Error::InvalidConfig {
            setting: "persons",
            reason: format!("{} is outside 1 to {MAX_PERSONS}", config.persons),
        });
    }
    if !(1950..=2100).contains(&config.first_year) {
        return Err(Error::InvalidConfig {
            setting: "first_year",
            reason: format!("{} is outside 1950 to 2100", config.first_year),
        });
    }
    if config.last_year < config.first_year || config.last_year > 2100 {
        return Err(Error::InvalidConfig {
            setting: "last_year",
            reason: format!(
                "{} must be between first_year ({}) and 2100",
                config.last_year, config.first_year
            ),
        });
    }
    Ok(())
}

/// Draws a synthetic population with its cancers and writes the feeds, the
/// denominators and the truth files into `out_dir` (created if missing).
///
/// Files written: `registry_extract.csv`, `hospital_stay.csv`,
/// `pathology_report.csv`, `death_record.csv`, `population.csv`,
/// `truth/records.csv`, `truth/tumours.csv` and `truth/persons.csv`, with
/// the columns of `docs/sources.md`. Feed rows are shuffled, and record ids
/// numbered in file order, so that files are not sorted by person.
///
/// # Errors
///
/// [`Error::InvalidConfig`] for a setting out of range, [`Error::Io`] or
/// [`Error::Csv`] when a file cannot be written.
pub fn write_synthetic(
    config: &SynthConfig,
    out_dir: &Path,
) -> Result<SynthSummary, Error> {
    check_config(config)?;
    let started = Instant::now();
    let span = tracing::info_span!(
        "synth",
        persons = config.persons,
        seed = config.seed
    );
    let _entered = span.enter();
    let timeline = Timeline::new(config.first_year, config.last_year);

    let mut persons =
        population::draw_persons(config.seed, config.persons, &timeline);
    tracing::info!(persons = persons.len(), "persons drawn");

    population::draw_lives(config.seed, &mut persons, &timeline);
    let mut tumours = 0u64;
    for person in &mut persons {
        for tumour in &mut person.tumours {
            tumours += 1;
            tumour.id = tumours;
        }
    }
    let deaths = persons.iter().filter(|p| p.death.is_some()).count();
    tracing::info!(tumours, deaths, "lives drawn");
    for (index, group) in sites::SITE_GROUPS.iter().enumerate() {
        let count = persons
            .iter()
            .flat_map(|p| &p.tumours)
            .filter(|t| t.group == index)
            .count();
        tracing::debug!(
            site = group.name,
            tumours = count,
            "tumours by site group"
        );
    }

    let rows: Vec<feeds::Row> = persons
        .par_iter()
        .flat_map_iter(|person| {
            let mut rng = population::person_rng(
                config.seed,
                person.id - 1,
                Stream::Records,
            );
            feeds::draw_rows(&mut rng, person, &timeline)
        })
        .collect();
    tracing::info!(records = rows.len(), "source records drawn");

    let by_kind = shuffle_and_number(config.seed, rows);
    let records_by_kind = output::write_feeds(out_dir, &by_kind)?;
    let population = population::count_population(&persons, &timeline);
    let population_rows =
        output::write_population(out_dir, &population, &timeline)?;
    output::write_truth(out_dir, &persons, &by_kind)?;
    tracing::info!(
        population_rows,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "synthetic data set written"
    );

    Ok(SynthSummary {
        persons: persons.len() as u64,
        tumours,
        records_by_kind,
        population_rows,
    })
}

/// Splits rows by kind, shuffles each kind with its own seeded stream and
/// numbers the record ids in file order.
fn shuffle_and_number(
    seed: u64,
    rows: Vec<feeds::Row>,
) -> Vec<Vec<feeds::Row>> {
    let mut by_kind: Vec<Vec<feeds::Row>> =
        SourceKind::ALL.iter().map(|_| Vec::new()).collect();
    for row in rows {
        let index = SourceKind::ALL
            .iter()
            .position(|k| *k == row.kind)
            .expect("every kind is listed");
        by_kind[index].push(row);
    }
    for (index, kind_rows) in by_kind.iter_mut().enumerate() {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(u64::MAX - 1 - index as u64);
        kind_rows.shuffle(&mut rng);
        let prefix = feeds::id_prefix(SourceKind::ALL[index]);
        for (number, row) in kind_rows.iter_mut().enumerate() {
            row.fields[0] = format!("{prefix}{:07}", number + 1);
        }
    }
    by_kind
}
