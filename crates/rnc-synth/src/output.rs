//! Streaming CSV output: the feeds, the truth files and the denominators,
//! written chunk by chunk as the persons are drawn.

use std::fs;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use chrono::{Datelike, NaiveDate};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use crate::demography::{self, AGE_BANDS, DEPARTEMENTS};
use crate::feeds::{Feed, Row};
use crate::format::FeedFormat;
use crate::noise::NoiseKind;
use crate::population::{Person, Timeline, Tumour, age_on, population_cell};
use crate::screening::DetectionMode;
use crate::sites::{SITE_GROUPS, Stage};
use crate::treatment::TruthPathway;
use crate::{Error, SynthConfig, fhir};

/// Columns of `truth/tumours.csv`.
pub(crate) const TUMOUR_COLUMNS: [&str; 13] = [
    "tumour_id",
    "person_id",
    "sex",
    "topography",
    "morphology",
    "behaviour",
    "incidence_date",
    "icd10",
    "departement",
    "site_group",
    "stage",
    "detection_mode",
    "age",
];

/// Columns of `truth/pathways.csv`: the true first treatment of each
/// tumour and the first date of each modality, empty when none happened
/// before death or the end of the last year.
pub(crate) const PATHWAY_COLUMNS: [&str; 8] = [
    "tumour_id",
    "first_treatment_date",
    "first_treatment",
    "delay_days",
    "surgery_date",
    "chemotherapy_date",
    "radiotherapy_date",
    "channel",
];

/// Columns of `truth/records.csv`: one row per line of a feed file, so a
/// record sent twice has two rows with the same record id.
pub(crate) const TRUTH_RECORD_COLUMNS: [&str; 5] =
    ["record_id", "person_id", "tumour_id", "file", "noise"];

/// File name of a feed for a period (`hospital_stay_2023.csv`), or of its
/// single file (`hospital_stay.csv`).
pub(crate) fn feed_file_name(feed: Feed, period: Option<i32>) -> String {
    match period {
        Some(year) => format!("{}_{year}.csv", feed.name()),
        None => format!("{}.csv", feed.name()),
    }
}

/// Rows formatted per parallel task.
const FORMAT_SLICE: usize = 8_192;

/// A true tumour waiting for its global id.
pub(crate) struct TruthTumour {
    person_id: u64,
    sex: usize,
    topography: (u8, u8),
    histology: u16,
    incidence: NaiveDate,
    icd10: String,
    departement: &'static str,
    group: usize,
    stage: Stage,
    detection: DetectionMode,
    age: u32,
    /// True first treatment, set once the tumour's records are drawn.
    pub pathway: TruthPathway,
}

impl TruthTumour {
    pub(crate) fn new(person: &Person, tumour: &Tumour) -> TruthTumour {
        TruthTumour {
            person_id: person.id,
            sex: person.sex,
            topography: tumour.codes.topography,
            histology: tumour.codes.histology,
            incidence: tumour.incidence,
            icd10: tumour.codes.icd10.clone(),
            departement: person.departement_code_on(tumour.incidence),
            group: tumour.group,
            stage: tumour.stage,
            detection: tumour.detection,
            age: age_on(person.birth, tumour.incidence),
            pathway: TruthPathway::default(),
        }
    }
}

/// Output of one block of persons, before global numbering.
#[derive(Default)]
pub(crate) struct Block {
    /// Lines of `truth/persons.csv`.
    pub persons_csv: Vec<u8>,
    /// Mid-year population counts, indexed by [`population_cell`].
    pub population: Vec<u64>,
    /// Feed rows; their tumour ids count from 0 within the block.
    pub rows: Vec<Row>,
    /// True tumours, in the order of their block ids.
    pub tumours: Vec<TruthTumour>,
}

/// Appends the `truth/persons.csv` line of a person.
pub(crate) fn push_person_line(buffer: &mut Vec<u8>, person: &Person) {
    let _ = write!(
        buffer,
        "{},{},{},{},",
        person.id,
        person.sex + 1,
        person.birth.year(),
        person.last_departement_code()
    );
    if let Some(death) = person.death {
        push_date(buffer, death);
    }
    buffer.push(b'\n');
}

fn push_date(buffer: &mut Vec<u8>, date: NaiveDate) {
    let _ = write!(
        buffer,
        "{:04}-{:02}-{:02}",
        date.year(),
        date.month(),
        date.day()
    );
}

fn tumour_label(id: u64) -> String {
    format!("T{id:07}")
}

/// One open output file.
struct OutputFile {
    path: PathBuf,
    writer: BufWriter<fs::File>,
}

impl OutputFile {
    fn create(path: PathBuf, header: &[&str]) -> Result<OutputFile, Error> {
        OutputFile::create_in(path, header, &FeedFormat::PLAIN)
    }

    /// Creates a file and writes its header line in `format`.
    fn create_in(
        path: PathBuf,
        header: &[&str],
        format: &FeedFormat,
    ) -> Result<OutputFile, Error> {
        let file = fs::File::create(&path).map_err(|source| Error::Io {
            path: path.clone(),
            source,
        })?;
        let mut output = OutputFile {
            path,
            writer: BufWriter::with_capacity(1 << 20, file),
        };
        let line = csv_lines(std::iter::once(header.iter()), format.delimiter);
        output.write(&line)?;
        Ok(output)
    }

    fn write(&mut self, bytes: &[u8]) -> Result<(), Error> {
        self.writer.write_all(bytes).map_err(|source| Error::Io {
            path: self.path.clone(),
            source,
        })
    }

    fn finish(mut self) -> Result<(), Error> {
        self.writer.flush().map_err(|source| Error::Io {
            path: self.path.clone(),
            source,
        })
    }
}

/// Formats records as CSV lines with `delimiter` (quoting only where
/// needed).
fn csv_lines<I, R, T>(records: I, delimiter: u8) -> Vec<u8>
where
    I: IntoIterator<Item = R>,
    R: IntoIterator<Item = T>,
    T: AsRef<[u8]>,
{
    let mut writer = csv::WriterBuilder::new()
        .has_headers(false)
        .delimiter(delimiter)
        .from_writer(Vec::new());
    for record in records {
        writer
            .write_record(record)
            .expect("writing CSV to memory cannot fail");
    }
    writer
        .into_inner()
        .expect("flushing CSV to memory cannot fail")
}

/// The files being written and the running counts that number records and
/// tumours across chunks.
pub(crate) struct Output {
    seed: u64,
    out_dir: PathBuf,
    /// Format of each feed, in the order of [`Feed::ALL`].
    formats: Vec<FeedFormat>,
    /// Calendar year of each feed's first file, when each year has its
    /// own file.
    first_period: Option<i32>,
    /// Files of each feed, one per period from the first year to the
    /// year after the last, or a single one.
    feeds: Vec<Vec<OutputFile>>,
    records: OutputFile,
    tumours: OutputFile,
    pathways: OutputFile,
    persons: OutputFile,
    /// Distinct records written per feed, in the order of [`Feed::ALL`].
    pub rows_by_feed: Vec<u64>,
    /// Lines written per feed, duplicate submissions included.
    pub lines_by_feed: Vec<u64>,
    /// True tumours written.
    pub tumour_count: u64,
    /// Population counts summed over the chunks written.
    pub population: Vec<u64>,
}

impl Output {
    /// Creates `out_dir` and `out_dir/truth`, opens every file with its
    /// header line and writes `truth/noise.toml`.
    pub(crate) fn create(
        out_dir: &Path,
        config: &SynthConfig,
        timeline: &Timeline,
    ) -> Result<Output, Error> {
        let truth = out_dir.join("truth");
        fs::create_dir_all(&truth).map_err(|source| Error::Io {
            path: truth.clone(),
            source,
        })?;
        let noise_path = truth.join("noise.toml");
        fs::write(&noise_path, config.noise.to_toml()).map_err(|source| {
            Error::Io {
                path: noise_path.clone(),
                source,
            }
        })?;
        let periods: Vec<Option<i32>> = if config.formats.files_per_period {
            (timeline.first_year..=timeline.last_year + 1)
                .map(Some)
                .collect()
        } else {
            vec![None]
        };
        let mut feeds = Vec::new();
        for feed in Feed::ALL {
            let format = config.formats.of(feed);
            let files = periods
                .iter()
                .map(|period| {
                    OutputFile::create_in(
                        out_dir.join(feed_file_name(feed, *period)),
                        feed.columns(),
                        &format,
                    )
                })
                .collect::<Result<Vec<_>, Error>>()?;
            feeds.push(files);
        }
        Ok(Output {
            seed: config.seed,
            out_dir: out_dir.to_path_buf(),
            formats: Feed::ALL.iter().map(|f| config.formats.of(*f)).collect(),
            first_period: periods[0],
            feeds,
            records: OutputFile::create(
                truth.join("records.csv"),
                &TRUTH_RECORD_COLUMNS,
            )?,
            tumours: OutputFile::create(
                truth.join("tumours.csv"),
                &TUMOUR_COLUMNS,
            )?,
            pathways: OutputFile::create(
                truth.join("pathways.csv"),
                &PATHWAY_COLUMNS,
            )?,
            persons: OutputFile::create(
                truth.join("persons.csv"),
                &[
                    "person_id",
                    "sex",
                    "birth_year",
                    "departement",
                    "death_date",
                ],
            )?,
            rows_by_feed: vec![0; Feed::ALL.len()],
            lines_by_feed: vec![0; Feed::ALL.len()],
            tumour_count: 0,
            population: vec![
                0;
                timeline.years() as usize
                    * 2
                    * AGE_BANDS
                    * DEPARTEMENTS.len()
            ],
        })
    }

    /// Writes the blocks of chunk number `chunk`, in block order: tumours
    /// get their global ids, each feed's rows are shuffled with the
    /// chunk's own stream (so that files are not sorted by person) and
    /// numbered in file order.
    pub(crate) fn write_chunk(
        &mut self,
        chunk: u64,
        blocks: Vec<Block>,
    ) -> Result<(), Error> {
        let mut by_feed: Vec<Vec<Row>> =
            Feed::ALL.iter().map(|_| Vec::new()).collect();
        let mut tumour_lines = Vec::new();
        let mut pathway_lines = Vec::new();
        for block in blocks {
            let base = self.tumour_count;
            for (local, tumour) in block.tumours.iter().enumerate() {
                let id = base + local as u64 + 1;
                tumour_lines.push(tumour_fields(id, tumour));
                pathway_lines.push(pathway_fields(id, tumour));
            }
            self.tumour_count += block.tumours.len() as u64;
            for mut row in block.rows {
                row.tumour_id = row.tumour_id.map(|local| base + local + 1);
                by_feed[row.feed.index()].push(row);
            }
            self.persons.write(&block.persons_csv)?;
            for (total, count) in
                self.population.iter_mut().zip(&block.population)
            {
                *total += count;
            }
        }
        self.tumours.write(&csv_lines(tumour_lines, b','))?;
        self.pathways.write(&csv_lines(pathway_lines, b','))?;

        for (index, rows) in by_feed.iter_mut().enumerate() {
            let feed = Feed::ALL[index];
            let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
            rng.set_stream(u64::MAX - chunk * 8 - index as u64);
            rows.shuffle(&mut rng);
            let first = self.rows_by_feed[index];
            let layout = Layout {
                feed,
                format: self.formats[index],
                first_period: self.first_period,
                files: self.feeds[index].len(),
                chunk,
            };
            let formatted: Vec<FormattedRows> = rows
                .par_chunks_mut(FORMAT_SLICE)
                .enumerate()
                .map(|(slice, rows)| {
                    let start = first + (slice * FORMAT_SLICE) as u64;
                    format_rows(&layout, start, rows)
                })
                .collect();
            let mut fhir_rows = Vec::new();
            for (by_file, truth_bytes, lines, fhir) in formatted {
                for (file, bytes) in self.feeds[index].iter_mut().zip(by_file) {
                    file.write(&bytes)?;
                }
                self.records.write(&truth_bytes)?;
                self.lines_by_feed[index] += lines;
                fhir_rows.extend(fhir);
            }
            if !fhir_rows.is_empty() {
                let path = self.out_dir.join(fhir::delivery_file_name(chunk));
                let reports: Vec<fhir::PathologyReport<'_>> = fhir_rows
                    .iter()
                    .map(|fields| fhir::PathologyReport::from_fields(fields))
                    .collect();
                fs::write(&path, fhir::pathology_bundle(&reports))
                    .map_err(|source| Error::Io { path, source })?;
            }
            self.rows_by_feed[index] += rows.len() as u64;
        }
        Ok(())
    }

    /// Flushes every file.
    pub(crate) fn finish(self) -> Result<(), Error> {
        for file in self.feeds.into_iter().flatten() {
            file.finish()?;
        }
        self.records.finish()?;
        self.tumours.finish()?;
        self.pathways.finish()?;
        self.persons.finish()
    }
}

fn pathway_fields(id: u64, tumour: &TruthTumour) -> [String; 8] {
    let pathway = &tumour.pathway;
    let date = |d: Option<NaiveDate>| {
        d.map(|d| d.format("%Y-%m-%d").to_string())
            .unwrap_or_default()
    };
    // Where the registry can see the care that the hospital stays miss.
    let mut channels = Vec::new();
    if pathway.private_radiotherapy {
        channels.push("private_radiotherapy");
    }
    if pathway.oral.is_some() {
        channels.push("oral_chemotherapy");
    }
    [
        tumour_label(id),
        date(pathway.first.map(|(d, _)| d)),
        pathway
            .first
            .map(|(_, m)| m)
            .unwrap_or_default()
            .to_string(),
        pathway
            .first
            .map(|(d, _)| (d - tumour.incidence).num_days().to_string())
            .unwrap_or_default(),
        date(pathway.surgery),
        date(pathway.chemotherapy),
        date(pathway.radiotherapy),
        channels.join("|"),
    ]
}

fn tumour_fields(id: u64, tumour: &TruthTumour) -> [String; 13] {
    let (group, detail) = tumour.topography;
    [
        tumour_label(id),
        tumour.person_id.to_string(),
        (tumour.sex + 1).to_string(),
        format!("C{group:02}.{detail}"),
        format!("{:04}", tumour.histology),
        "3".to_string(),
        tumour.incidence.format("%Y-%m-%d").to_string(),
        tumour.icd10.clone(),
        tumour.departement.to_string(),
        SITE_GROUPS[tumour.group].name.to_string(),
        tumour.stage.label().to_string(),
        tumour.detection.label().to_string(),
        tumour.age.to_string(),
    ]
}

/// File layout of one feed's rows: their format, periods and files.
struct Layout {
    feed: Feed,
    format: FeedFormat,
    /// Year of the first file, or `None` for a single file.
    first_period: Option<i32>,
    /// Number of files.
    files: usize,
    /// The chunk being written, which names its FHIR delivery.
    chunk: u64,
}

impl Layout {
    /// Index of the file of `period`; a record of a period beyond the
    /// files (a late record of the year after the last) goes to the last.
    fn file_index(&self, period: i32) -> usize {
        match self.first_period {
            Some(first) => {
                ((period - first).max(0) as usize).min(self.files - 1)
            }
            None => 0,
        }
    }

    fn file_name(&self, index: usize) -> String {
        feed_file_name(self.feed, self.first_period.map(|f| f + index as i32))
    }
}

/// The bytes of each feed file, the `truth/records.csv` bytes, the feed
/// lines written and the fields of the reports delivered as FHIR, of one
/// slice of rows.
type FormattedRows = (Vec<Vec<u8>>, Vec<u8>, u64, Vec<Vec<String>>);

/// Numbers rows from `start + 1` and formats them as feed lines, per
/// file, and `truth/records.csv` lines. A row marked as a duplicate
/// submission is written twice, in its own file or in the next period's.
/// Pathology reports of laboratories that deliver FHIR are returned apart,
/// with ISO dates, instead of as feed lines; their duplicates too.
fn format_rows(layout: &Layout, start: u64, rows: &mut [Row]) -> FormattedRows {
    let feed = layout.feed;
    let prefix = feed.id_prefix();
    let dates: Vec<usize> = feed
        .columns()
        .iter()
        .enumerate()
        .filter(|(_, name)| name.ends_with("_date"))
        .map(|(at, _)| at)
        .collect();
    let mut by_file: Vec<Vec<&Row>> = vec![Vec::new(); layout.files];
    let mut truth = Vec::with_capacity(rows.len() * 60);
    let is_fhir = |row: &Row| {
        feed == Feed::PathologyReport && fhir::delivers_fhir(&row.fields[1])
    };
    for (offset, row) in rows.iter_mut().enumerate() {
        row.fields[0] = format!("{prefix}{:07}", start + offset as u64 + 1);
        // FHIR dates are ISO whatever the CSV feed's date style.
        if is_fhir(row) {
            continue;
        }
        for at in &dates {
            if let std::borrow::Cow::Owned(text) =
                layout.format.date_field(&row.fields[*at])
            {
                row.fields[*at] = text;
            }
        }
    }

    let mut lines = 0u64;
    let mut fhir_rows = Vec::new();
    for row in rows.iter() {
        let fhir = is_fhir(row);
        let own = layout.file_index(row.period);
        let mut copies = vec![(own, None)];
        if row.noise.contains(NoiseKind::DuplicateSameFile) {
            copies.push((own, Some(NoiseKind::DuplicateSameFile)));
        } else if row.noise.contains(NoiseKind::DuplicateLaterFile) {
            let later = layout.file_index(row.period + 1);
            copies.push((later, Some(NoiseKind::DuplicateLaterFile)));
        }
        for (file, duplicate) in copies {
            let file_name = if fhir {
                fhir_rows.push(row.fields.clone());
                fhir::delivery_file_name(layout.chunk)
            } else {
                by_file[file].push(row);
                layout.file_name(file)
            };
            lines += 1;
            let mut noise = row.noise;
            noise.remove(NoiseKind::DuplicateSameFile);
            noise.remove(NoiseKind::DuplicateLaterFile);
            if let Some(kind) = duplicate {
                noise.add(kind);
            }
            let _ = write!(
                truth,
                "{}/{},{},",
                feed.name(),
                row.fields[0],
                row.person_id
            );
            if let Some(tumour) = row.tumour_id {
                truth.extend_from_slice(tumour_label(tumour).as_bytes());
            }
            let _ = writeln!(truth, ",{file_name},{}", noise.label());
        }
    }
    let files = by_file
        .into_iter()
        .map(|rows| {
            let utf8 = csv_lines(
                rows.iter().map(|row| row.fields.iter()),
                layout.format.delimiter,
            );
            let text =
                String::from_utf8(utf8).expect("fields are built as UTF-8");
            layout.format.encode(&text).into_owned()
        })
        .collect();
    (files, truth, lines, fhir_rows)
}

/// Writes `population.csv`: every year, sex, age band and département,
/// zero counts included, so that a missing row never means zero.
/// Oldest age of `life_table.csv`; the last row applies at older ages.
const LIFE_TABLE_MAX_AGE: u32 = 110;

/// Years after the last simulated year that `life_table.csv` covers, so
/// that survival closed a little later still finds its rates.
const LIFE_TABLE_EXTRA_YEARS: i32 = 5;

/// Writes `life_table.csv`: the daily hazard of background death (every
/// cause but the synthetic cancers) by sex, age and year, in the layout
/// `rnc survival --life-table` reads. Net survival computed with it
/// estimates the generator's cancer survival without bias from the
/// population's mortality. The hazard does not change with the year.
pub(crate) fn write_life_table(
    out_dir: &Path,
    timeline: &Timeline,
) -> Result<u64, Error> {
    let path = out_dir.join("life_table.csv");
    let mut file =
        OutputFile::create(path.clone(), &["sex", "age", "year", "hazard"])?;
    let mut buffer = Vec::new();
    let mut rows = 0u64;
    let last = timeline.last_year + LIFE_TABLE_EXTRA_YEARS;
    for (sex, label) in ["male", "female"].iter().enumerate() {
        for age in 0..=LIFE_TABLE_MAX_AGE {
            let hazard = demography::daily_background_hazard(sex, age);
            for year in timeline.first_year..=last {
                let _ = writeln!(buffer, "{label},{age},{year},{hazard:e}");
                rows += 1;
            }
        }
    }
    file.write(&buffer)?;
    file.finish()?;
    Ok(rows)
}

pub(crate) fn write_population(
    out_dir: &Path,
    counts: &[u64],
    timeline: &Timeline,
) -> Result<u64, Error> {
    let path = out_dir.join("population.csv");
    let mut file = OutputFile::create(
        path.clone(),
        &["year", "sex", "age_band", "departement", "population"],
    )?;
    let mut buffer = Vec::new();
    let mut rows = 0u64;
    for offset in 0..timeline.years() as usize {
        let year = timeline.first_year + offset as i32;
        for sex in 0..2 {
            let label = if sex == 0 { "male" } else { "female" };
            for band in 0..AGE_BANDS {
                let band_label = demography::age_band_label(band);
                for (index, departement) in DEPARTEMENTS.iter().enumerate() {
                    let count =
                        counts[population_cell(offset, sex, band, index)];
                    let _ = writeln!(
                        buffer,
                        "{year},{label},{band_label},{},{count}",
                        departement.code
                    );
                    rows += 1;
                }
            }
        }
    }
    file.write(&buffer)?;
    file.finish()?;
    tracing::info!(file = %path.display(), rows, "population written");
    Ok(rows)
}
