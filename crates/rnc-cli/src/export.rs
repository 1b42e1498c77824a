//! `rnc export --format encr-jrc`: the ENCR-JRC call-for-data incidence
//! file of a release, and the release facts that file and the quality
//! indicators of `rnc stats` share (deaths, follow-up, registration
//! dates).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use arrow::array::{Array, AsArray, RecordBatch, StringArray};
use chrono::NaiveDate;
use foldhash::fast::FixedState;
use rnc_codes::{Icd10, is_cancer_code};
use rnc_model::{PartialDate, SourceKind};
use rnc_rules::{CancerDeath, EncrJrcFacts, Tumour};
use rnc_store::parquet_io::{read_parquet, stream_parquet_columns};
use rnc_store::{Registry, ReleaseEntry};

use crate::cli::ExportArgs;
use crate::commands::Outcome;
use crate::pipeline::choose_release;

/// Source of the registration date of a tumour.
///
/// The registration date is the earliest date one of the tumour's records
/// states for its own registration (a registry extract's
/// `registration_date`, a pathology report's `report_date`). A tumour
/// none of whose records states one takes the ingestion time of the
/// first batch that brought one of its records, which includes the time
/// the feeds took to reach the national registry.
pub const REGISTRATION_DATE_SOURCE: &str =
    "record_registration_date_else_batch_ingestion_time";

/// Facts of a release about its persons, beyond the tumour table.
#[derive(Debug, Default)]
pub struct ReleaseFacts {
    /// The release's tumours.
    pub tumours: Vec<Tumour>,
    /// Registration date of each tumour id (see
    /// [`REGISTRATION_DATE_SOURCE`]).
    pub registration_dates: HashMap<String, NaiveDate>,
    /// Tumours whose registration date a record states, and tumours
    /// whose date is a batch ingestion time.
    pub registration_date_counts: (u64, u64),
    /// Death records whose underlying cause is a cancer.
    pub cancer_deaths: Vec<CancerDeath>,
    /// Date of death and underlying cause of each person who died.
    pub deaths: HashMap<String, (PartialDate, Option<String>)>,
    /// Latest date of last contact of each person, from registry extracts.
    pub last_contact: HashMap<String, PartialDate>,
    /// Latest date of death in the death records: the date up to which
    /// deaths are known.
    pub death_records_end: Option<PartialDate>,
}

/// Reads the tumours, source records and batch times of a release.
pub fn read_release_facts(
    registry: &Registry,
    release: &ReleaseEntry,
) -> anyhow::Result<ReleaseFacts> {
    let dir = registry.release_dir(&release.release_id);
    let mut facts = ReleaseFacts::default();
    for batch in read_parquet(&dir.join("tumours.parquet"))? {
        facts.tumours.extend(rnc_rules::batch_to_tumours(&batch)?);
    }

    let catalogue = registry.catalogue()?;
    let ingested: HashMap<&str, NaiveDate> = catalogue
        .batches
        .iter()
        .filter_map(|b| {
            let time = chrono::DateTime::parse_from_rfc3339(&b.ingested_at);
            Some((b.batch_id.as_str(), time.ok()?.date_naive()))
        })
        .collect();

    // Registration dates are needed for the records of tumours only. Each
    // is stored at the record's position in this list, so that no record
    // id or person id is copied into a map per source record.
    let tumour_records: HashMap<&str, usize, FixedState> = facts
        .tumours
        .iter()
        .flat_map(|t| t.record_ids.iter().map(String::as_str))
        .enumerate()
        .map(|(position, id)| (id, position))
        .collect();
    let listed = facts.tumours.iter().map(|t| t.record_ids.len()).sum();
    let mut record_registered: Vec<Option<NaiveDate>> = vec![None; listed];
    let mut record_stated = record_registered.clone();
    // The release's source records are read one batch at a time, with
    // only the columns used here, because a national year has millions.
    let path = dir.join("source_records.parquet");
    for batch in stream_parquet_columns(&path, &RECORD_FACT_COLUMNS)? {
        let batch = batch?;
        let records = record_facts(&batch)
            .with_context(|| format!("reading {}", path.display()))?;
        for record in records {
            if let Some(&position) = tumour_records.get(record.record_id) {
                if let Some(day) = ingested.get(record.batch_id) {
                    record_registered[position] = Some(*day);
                }
                if let Some(stated) = record.registration_date {
                    // A partial date counts from its midpoint, as incidence
                    // dates do in the delay.
                    record_stated[position] = Some(stated.midpoint());
                }
            }
            if let Some(contact) = record.last_contact_date {
                match facts.last_contact.get_mut(record.person_id) {
                    Some(kept) => *kept = (*kept).max(contact),
                    None => {
                        facts
                            .last_contact
                            .insert(record.person_id.to_string(), contact);
                    }
                }
            }
            let death = match record.source_kind {
                SourceKind::DeathRecord => record.event_date,
                _ => record.death_date,
            };
            let Some(death) = death else { continue };
            let person = record.person_id.to_string();
            let cause = (record.source_kind == SourceKind::DeathRecord)
                .then(|| record.icd10.map(str::to_string))
                .flatten();
            if record.source_kind == SourceKind::DeathRecord {
                facts.death_records_end = Some(
                    facts.death_records_end.map_or(death, |d| d.max(death)),
                );
                if let Some(code) =
                    cause.as_deref().and_then(|c| c.parse::<Icd10>().ok())
                    && is_cancer_code(&code)
                {
                    facts.cancer_deaths.push(CancerDeath {
                        person_id: person.clone(),
                        year: death.year(),
                        underlying_cause: code,
                    });
                }
            }
            // A death record's date and cause outrank a death date noted
            // on another record.
            let entry =
                facts.deaths.entry(person).or_insert((death, cause.clone()));
            if cause.is_some() && (entry.1.is_none() || death < entry.0) {
                *entry = (death, cause);
            }
        }
    }

    for tumour in &facts.tumours {
        let earliest = |dates: &[Option<NaiveDate>]| {
            tumour
                .record_ids
                .iter()
                .filter_map(|id| dates[*tumour_records.get(id.as_str())?])
                .min()
        };
        let (stated, ingestion) = &mut facts.registration_date_counts;
        let first = match earliest(&record_stated) {
            Some(day) => {
                *stated += 1;
                Some(day)
            }
            None => {
                let day = earliest(&record_registered);
                *ingestion += u64::from(day.is_some());
                day
            }
        };
        if let Some(day) = first {
            facts
                .registration_dates
                .insert(tumour.tumour_id.clone(), day);
        }
    }
    Ok(facts)
}

/// The columns of a release's `source_records` that
/// [`read_release_facts`] reads.
const RECORD_FACT_COLUMNS: [&str; 9] = [
    "record_id",
    "batch_id",
    "person_id",
    "source_kind",
    "event_date",
    "death_date",
    "last_contact_date",
    "registration_date",
    "icd10",
];

/// The fields of one released source record that the release facts use,
/// borrowed from its batch.
struct RecordFacts<'a> {
    record_id: &'a str,
    batch_id: &'a str,
    person_id: &'a str,
    source_kind: SourceKind,
    event_date: Option<PartialDate>,
    death_date: Option<PartialDate>,
    last_contact_date: Option<PartialDate>,
    registration_date: Option<PartialDate>,
    icd10: Option<&'a str>,
}

/// Reads the [`RecordFacts`] of a batch of [`RECORD_FACT_COLUMNS`],
/// parsing the source kind and the dates as
/// [`rnc_model::tables::batch_to_source_records`] does. The registration
/// date may be absent, as in releases made before it existed.
fn record_facts(batch: &RecordBatch) -> anyhow::Result<Vec<RecordFacts<'_>>> {
    let text = |name: &str| -> anyhow::Result<Option<&StringArray>> {
        match batch.column_by_name(name) {
            None => Ok(None),
            Some(column) => column
                .as_string_opt::<i32>()
                .map(Some)
                .with_context(|| format!("column {name} is not text")),
        }
    };
    let required = |name: &str| -> anyhow::Result<&StringArray> {
        text(name)?.with_context(|| format!("column {name} is missing"))
    };
    let record_id = required("record_id")?;
    let batch_id = required("batch_id")?;
    let person_id = required("person_id")?;
    let kind = required("source_kind")?;
    let event_date = required("event_date")?;
    let death_date = required("death_date")?;
    let last_contact = required("last_contact_date")?;
    let registration = text("registration_date")?;
    let icd10 = required("icd10")?;
    let date = |column: &StringArray, name: &str, row: usize| {
        if column.is_null(row) {
            return Ok(None);
        }
        PartialDate::parse(column.value(row))
            .with_context(|| format!("column {name}, row {row}"))
    };

    let mut records = Vec::with_capacity(batch.num_rows());
    for row in 0..batch.num_rows() {
        let source_kind =
            kind.value(row).parse::<SourceKind>().map_err(|error| {
                anyhow::anyhow!("column source_kind, row {row}: {error}")
            })?;
        records.push(RecordFacts {
            record_id: record_id.value(row),
            batch_id: batch_id.value(row),
            person_id: person_id.value(row),
            source_kind,
            event_date: date(event_date, "event_date", row)?,
            death_date: date(death_date, "death_date", row)?,
            last_contact_date: date(last_contact, "last_contact_date", row)?,
            registration_date: match registration {
                Some(column) => date(column, "registration_date", row)?,
                None => None,
            },
            icd10: icd10.is_valid(row).then(|| icd10.value(row)),
        });
    }
    Ok(records)
}

/// Writes the ENCR-JRC incidence file of a release.
pub fn export(
    registry_dir: &Path,
    key_path: &Path,
    args: &ExportArgs,
) -> anyhow::Result<Outcome> {
    let started = Instant::now();
    let registry = Registry::open(registry_dir)?;
    let release = choose_release(&registry, args.release.as_deref())?;
    let facts = read_release_facts(&registry, &release)?;
    let confirmations = crate::confirm::read_confirmations(&registry)?;

    let out: PathBuf = args.out.clone().unwrap_or_else(|| {
        registry
            .root()
            .join("outputs")
            .join(&release.release_id)
            .join("encr_jrc_incidence.csv")
    });
    crate::pipeline::check_output_path(
        &out,
        Some(registry_dir),
        Some(key_path),
        &[],
    )?;
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("creating {}", dir.display()))?;
    }
    let mut writer = csv::Writer::from_path(&out)
        .with_context(|| format!("creating {}", out.display()))?;
    writer.write_record(rnc_rules::ENCR_JRC_COLUMNS)?;
    for tumour in &facts.tumours {
        let death = facts.deaths.get(&tumour.person_id);
        // NOTE: a person without a death record is taken as alive on the
        // latest date the death records cover (passive follow-up), or on
        // their last contact when that is later.
        let alive_on = match (
            facts.last_contact.get(&tumour.person_id),
            facts.death_records_end,
        ) {
            (Some(contact), Some(end)) => Some((*contact).max(end)),
            (contact, end) => contact.copied().or(end),
        };
        let codes = rnc_rules::confirmation_codes(tumour);
        let checked = confirmations
            .confirmations
            .iter()
            .any(|c| c.tumour_id == tumour.tumour_id && c.codes == codes);
        let row_facts = EncrJrcFacts {
            death_date: death.map(|(date, _)| *date),
            underlying_cause: death.and_then(|(_, cause)| cause.as_deref()),
            alive_on,
            registration_date: facts
                .registration_dates
                .get(&tumour.tumour_id)
                .copied(),
            checked,
        };
        writer.write_record(rnc_rules::encr_jrc_record(tumour, &row_facts))?;
    }
    writer
        .flush()
        .with_context(|| format!("writing {}", out.display()))?;
    println!(
        "export: {} tumours of release {} written to {} (ENCR-JRC call-for-data layout, 56 columns) in {:.1} s",
        facts.tumours.len(),
        release.release_id,
        out.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(Outcome::Clean)
}

/// Computes the quality indicators of a release and writes them to
/// `out_dir`, and returns the number of rows. `quality_indicators.csv` is
/// the analyst output, with every count and the cancer deaths.
/// `quality_indicators_published.csv` withholds, as the report does, the
/// tumour counts below `small_cell_threshold`, the counts that would give
/// them back, and the values that would give a small numerator back.
pub fn write_quality_indicators(
    registry: &Registry,
    release: &ReleaseEntry,
    out_dir: &Path,
    small_cell_threshold: u64,
) -> anyhow::Result<QualityIndicators> {
    let facts = read_release_facts(registry, release)?;
    let rows = rnc_rules::quality_indicators(
        &facts.tumours,
        &facts.registration_dates,
        &facts.cancer_deaths,
    );
    let path = out_dir.join("quality_indicators.csv");
    std::fs::write(
        &path,
        rnc_rules::quality_indicators_to_csv(&rows, REGISTRATION_DATE_SOURCE),
    )
    .with_context(|| format!("writing {}", path.display()))?;

    let lines = indicator_lines_of(&rows, str::to_string);
    let published =
        rnc_report::publish_indicators(&lines, small_cell_threshold)?;
    let path = out_dir.join("quality_indicators_published.csv");
    std::fs::write(
        &path,
        rnc_report::published_indicators_csv(
            &published,
            REGISTRATION_DATE_SOURCE,
        ),
    )
    .with_context(|| format!("writing {}", path.display()))?;
    Ok(QualityIndicators {
        rows,
        registration_date_counts: facts.registration_date_counts,
    })
}

/// The quality indicators of a release, kept for the report so that it
/// does not read the release's source records again.
#[derive(Debug, Clone, Default)]
pub struct QualityIndicators {
    /// Rows, one per site group and period.
    pub rows: Vec<rnc_rules::QualityIndicatorRow>,
    /// Tumours whose registration date a record states, and tumours whose
    /// date is a batch ingestion time ([`ReleaseFacts`]).
    pub registration_date_counts: (u64, u64),
}

/// Converts quality-indicator rows to the lines the report and the
/// published table suppress, naming each site group with `name` (given
/// the code, [`rnc_rules::ALL_SITES_BUT_SKIN`] for the all-sites rows).
pub(crate) fn indicator_lines_of(
    rows: &[rnc_rules::QualityIndicatorRow],
    name: impl Fn(&str) -> String,
) -> Vec<rnc_report::IndicatorLine> {
    rows.iter()
        .map(|row| rnc_report::IndicatorLine {
            site_group: name(&row.site_group),
            period: row.period.clone(),
            tumours: row.tumours,
            microscopically_verified_percent: row
                .microscopically_verified_percent,
            death_certificate_only_percent: row.death_certificate_only_percent,
            mortality_incidence_ratio: row.mortality_incidence_ratio,
            unknown_primary_percent: row.unknown_primary_percent,
            unspecified_morphology_percent: row.unspecified_morphology_percent,
            median_registration_delay_days: row.median_registration_delay_days,
            all_sites: row.site_group == rnc_rules::ALL_SITES_BUT_SKIN,
        })
        .collect()
}
