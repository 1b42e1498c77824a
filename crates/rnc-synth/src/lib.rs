//! Synthetic national source feeds with a known truth.
//!
//! [`write_synthetic`] draws a made-up population shaped like France: the
//! INSEE age pyramid of 1 January 2023, and départements weighted by their
//! legal population, with moves between départements. Its members take
//! part in the organised screening programmes, get cancers at the French
//! 2023 national rates by site, sex and age, with a stage and a care
//! pathway, and die of cancer or of other causes. The function writes the
//! four source feeds ingestion reads (regional registry extracts, hospital
//! stays, pathology reports, death records) and three more (long-term
//! illness declarations, screening tests, treatment acts), all with the noise of real
//! feeds ([`NoiseConfig`]) and in their sources' file conventions
//! ([`FeedFormats`]), as described in `docs/sources.md`. It also writes the
//! denominators (`population.csv`) and, under `truth/`, the true person
//! and tumour of every record, so that linkage and consolidation can be
//! scored; [`check::check_data_set`] compares such a set with its targets.
//!
//! Persons are drawn in chunks, each person from its own random streams,
//! and written as they are drawn, so memory stays bounded at national
//! scale ([`SynthConfig::france`]). Every name, NIR and date is made up.
//! The same [`SynthConfig`] always gives byte-identical files, whatever the
//! number of threads.
//!
//! # Example
//!
//! ```
//! use rnc_synth::{SynthConfig, write_synthetic};
//!
//! let dir = tempfile::tempdir().unwrap();
//! let config = SynthConfig {
//!     persons: 2_000,
//!     seed: 7,
//!     first_year: 2022,
//!     last_year: 2022,
//!     ..SynthConfig::default()
//! };
//! let summary = write_synthetic(&config, dir.path()).unwrap();
//! assert_eq!(summary.persons, 2_000);
//! assert!(dir.path().join("truth/tumours.csv").exists());
//! assert!(dir.path().join("hospital_stay_2022.csv").exists());
//! ```

#![deny(missing_docs)]

pub mod check;
mod demography;
mod feeds;
pub mod fhir;
mod format;
mod names;
mod noise;
mod output;
mod pathway;
mod population;
mod screening;
mod sites;
mod treatment;

use std::path::{Path, PathBuf};
use std::time::Instant;

use rnc_model::SourceKind;

pub use crate::feeds::Feed;
pub use crate::format::{DateStyle, Encoding, FeedFormat, FeedFormats};
pub use crate::noise::{FeedNoise, NoiseConfig, NoiseConfigError, NoiseKind};
use crate::output::{Block, Output, TruthTumour};
use crate::population::{IncidenceTable, Stream, Timeline};

/// Which tests of the organised screening programmes the screening feed
/// holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ScreeningScope {
    /// Tests of residents of the départements covered by a general
    /// registry, where the programmes' interval cancers are found by
    /// linking the screening records with the registry.
    RegistryAreas,
    /// Every test of the programmes, nationwide: about 2.6 million
    /// mammographies and 3.1 million faecal tests a year, plus the
    /// cervical tests.
    National,
}

/// Settings of one synthetic data set.
#[derive(Debug, Clone, PartialEq)]
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
    /// File conventions of the feeds.
    pub formats: FeedFormats,
    /// Noise shares of each feed.
    pub noise: NoiseConfig,
    /// Tests the screening feed holds.
    pub screening_scope: ScreeningScope,
}

impl Default for SynthConfig {
    /// 200 000 persons, seed 1, years 2019 to 2023, native file
    /// conventions, default noise, screening in the registry areas.
    fn default() -> SynthConfig {
        SynthConfig {
            persons: 200_000,
            seed: 1,
            first_year: 2019,
            last_year: 2023,
            formats: FeedFormats::default(),
            noise: NoiseConfig::default(),
            screening_scope: ScreeningScope::RegistryAreas,
        }
    }
}

impl SynthConfig {
    /// National scale: the population of France on 1 January of the first
    /// year is the INSEE pyramid of 1 January 2023 (67.8 million, France
    /// including Mayotte), plus the births of the years. One year then
    /// gives about 433 000 new cancers, the national estimate for 2023.
    pub fn france(seed: u64, first_year: i32, last_year: i32) -> SynthConfig {
        let years = (last_year - first_year + 1).max(1) as u32;
        let initial = demography::france_population() as f64;
        let persons = (initial
            * (1.0 + demography::BIRTH_RATE * f64::from(years)))
        .round() as u64;
        SynthConfig {
            persons,
            seed,
            first_year,
            last_year,
            ..SynthConfig::default()
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
    /// Lines written to each feed ingestion reads, in the order of
    /// [`SourceKind::ALL`], over all its files; a record sent twice counts
    /// twice.
    pub records_by_kind: Vec<(SourceKind, u64)>,
    /// Lines written to every feed, in the order of [`Feed::ALL`], over
    /// all its files; a record sent twice counts twice.
    pub records_by_feed: Vec<(Feed, u64)>,
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
    /// A file of a data set could not be read by [`check::check_data_set`].
    #[error(
        "{path}: could not read: {source} (check that the directory was written by rnc synth)"
    )]
    Read {
        /// File being read.
        path: PathBuf,
        /// The underlying error.
        source: csv::Error,
    },
    /// A file of a data set lacks a column or contains a value that
    /// [`check::check_data_set`] cannot parse.
    #[error(
        "{path}: {problem} (check that the directory was written by this version of rnc synth)"
    )]
    InvalidDataSet {
        /// File being read.
        path: PathBuf,
        /// The problem, with the line when there is one.
        problem: String,
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

/// Persons drawn, then written, per chunk: the bound on memory.
const CHUNK: u64 = 1 << 18;

/// Persons drawn per parallel task within a chunk.
const BLOCK: u64 = 4_096;

/// Draws a synthetic population with its cancers and writes the feeds, the
/// denominators and the truth files into `out_dir` (created if missing).
///
/// Files written: the seven feeds (`registry_extract`, `hospital_stay`,
/// `pathology_report`, `death_record`, `long_term_illness`, `screening`,
/// `treatment`),
/// each as one file per year (`hospital_stay_2023.csv`) or one file
/// (`hospital_stay.csv`) as [`FeedFormats::files_per_period`] says, then
/// `population.csv`, `life_table.csv`, `truth/records.csv`,
/// `truth/tumours.csv`, `truth/pathways.csv`, `truth/persons.csv` and
/// `truth/noise.toml`, with the columns of `docs/sources.md`. With files per year, records sent late or again
/// in the next period go to a file of the year after the last one. Persons are drawn in chunks of 262 144 and written
/// while the next chunk is drawn. Within a chunk, each feed's rows are
/// shuffled and record ids are numbered in file order, so that files are
/// not sorted by person.
///
/// Pathology reports of about 40 % of the laboratories (see
/// [`fhir::delivers_fhir`]) are written instead as one FHIR R4 Bundle per
/// chunk, `pathology_report_fhir_NNNN.json`. Their record ids follow the
/// same numbering, so `truth/records.csv` lists every report.
///
/// # Errors
///
/// [`Error::InvalidConfig`] for a setting out of range, [`Error::Io`] when
/// a file cannot be written.
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
    let context = Context {
        config: config.clone(),
        seed: config.seed,
        initial: population::initial_population(
            config.persons,
            timeline.years(),
        ),
        timeline,
        table: IncidenceTable::new(),
    };
    let mut output = Output::create(out_dir, config, &context.timeline)?;

    // Chunk k is written while chunk k + 1 is drawn.
    let mut pending: Option<(u64, Vec<Block>)> = None;
    let mut start = 0;
    while start < config.persons {
        let end = (start + CHUNK).min(config.persons);
        let (written, drawn) = rayon::join(
            || match pending.take() {
                Some((chunk, blocks)) => output.write_chunk(chunk, blocks),
                None => Ok(()),
            },
            || draw_chunk(&context, start, end),
        );
        written?;
        pending = Some((start / CHUNK, drawn));
        tracing::debug!(persons = end, "chunk drawn");
        start = end;
    }
    if let Some((chunk, blocks)) = pending {
        output.write_chunk(chunk, blocks)?;
    }

    let population_rows = output::write_population(
        out_dir,
        &output.population,
        &context.timeline,
    )?;
    output::write_life_table(out_dir, &context.timeline)?;
    let records_by_feed: Vec<(Feed, u64)> = Feed::ALL
        .iter()
        .copied()
        .zip(output.lines_by_feed.iter().copied())
        .collect();
    let records_by_kind = records_by_feed
        .iter()
        .filter_map(|(feed, rows)| feed.source_kind().map(|kind| (kind, *rows)))
        .collect();
    let tumours = output.tumour_count;
    output.finish()?;
    tracing::info!(
        tumours,
        population_rows,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "synthetic data set written"
    );

    Ok(SynthSummary {
        persons: config.persons,
        tumours,
        records_by_kind,
        records_by_feed,
        population_rows,
    })
}

/// Settings and tables shared by every block of persons.
struct Context {
    config: SynthConfig,
    seed: u64,
    initial: u64,
    timeline: Timeline,
    table: IncidenceTable,
}

/// Draws persons `start..end` in parallel blocks, returned in order.
fn draw_chunk(context: &Context, start: u64, end: u64) -> Vec<Block> {
    use rayon::prelude::*;
    let starts: Vec<u64> = (start..end).step_by(BLOCK as usize).collect();
    starts
        .into_par_iter()
        .map(|from| draw_block(context, from, (from + BLOCK).min(end)))
        .collect()
}

/// Draws persons `from..to` with their records.
fn draw_block(context: &Context, from: u64, to: u64) -> Block {
    let timeline = &context.timeline;
    let mut block = Block {
        population: vec![
            0;
            timeline.years() as usize
                * 2
                * demography::AGE_BANDS
                * demography::DEPARTEMENTS.len()
        ],
        ..Block::default()
    };
    for index in from..to {
        let mut person = population::draw_person(
            context.seed,
            index,
            context.initial,
            timeline,
            &context.table,
        );
        population::count_population(&person, timeline, &mut block.population);
        output::push_person_line(&mut block.persons_csv, &person);
        if !person.has_records() {
            continue;
        }
        let first = block.tumours.len() as u64;
        for (offset, tumour) in person.tumours.iter_mut().enumerate() {
            tumour.id = first + offset as u64;
        }
        for tumour in &person.tumours {
            block.tumours.push(TruthTumour::new(&person, tumour));
        }
        let mut rng =
            population::person_rng(context.seed, index, Stream::Records);
        let mut treatment_rng =
            population::person_rng(context.seed, index, Stream::Treatment);
        let (rows, pathways) = feeds::draw_rows(
            &mut rng,
            &mut treatment_rng,
            &person,
            timeline,
            &context.config,
        );
        block.rows.extend(rows);
        for (id, pathway) in pathways {
            block.tumours[id as usize].pathway = pathway;
        }
    }
    block
}
