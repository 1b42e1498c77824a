//! Consolidation: each person's records into tumours, then the quality
//! checks.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use arrow::array::{
    Array, ArrayRef, RecordBatch, StringArray, StringBuilder, UInt16Array,
    UInt32Builder,
};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use rayon::prelude::*;
use rnc_model::tables::{source_records_to_batch, without_linkage_columns};
use rnc_model::{NirStatus, Sex, SourceKind, SourceRecord, Tumour};
use rnc_rules::{CheckResult, Severity};
use rnc_store::parquet_io::STREAMED_ROW_GROUP_ROWS;
use rnc_store::{Registry, WorkStage};

use super::read_staged_records_without_encodings;
use crate::progress;

/// Counts of one consolidation run.
#[derive(Debug, Clone, Default)]
pub struct ConsolidateReport {
    /// Persons.
    pub persons: u64,
    /// Tumours.
    pub tumours: u64,
    /// Death-certificate-only tumours.
    pub dco_tumours: u64,
    /// Records attached to no tumour (secondary sites, non-cancer causes).
    pub records_without_tumour: u64,
    /// Check results by severity label.
    pub checks: BTreeMap<String, u64>,
    /// Wall time in seconds.
    pub seconds: f64,
}

/// Consolidates every linked person and stores `tumours`,
/// `quality_checks`, `persons` and `source_records` under
/// `work/consolidate`.
pub fn consolidate(registry: &Registry) -> anyhow::Result<ConsolidateReport> {
    let started = Instant::now();
    let records = read_staged_records_without_encodings(registry)?;
    let RecordPersons {
        person_ids,
        person_of,
    } = record_persons(&records, read_person_map(registry)?)?;
    // Findings a reviewer confirmed (`rnc confirm`) pass while the
    // tumour's codes stay the same.
    let confirmations = crate::confirm::read_confirmations(registry)?;

    // Record indices grouped by person, persons in the order of their
    // ids and records in their own order within each.
    let mut by_record = (0..records.len()).collect::<Vec<usize>>();
    by_record.sort_by_key(|&i| person_of[i]);
    let by_person: Vec<(&str, &[usize])> = by_record
        .chunk_by(|&a, &b| person_of[a] == person_of[b])
        .map(|indices| {
            (person_ids[person_of[indices[0]] as usize].as_str(), indices)
        })
        .collect();

    let bar = progress::counter("consolidate", by_person.len() as u64);
    let results: Vec<PersonResult> = by_person
        .par_iter()
        .map(|&(person_id, indices)| {
            let own: Vec<&SourceRecord> =
                indices.iter().map(|&i| &records[i]).collect();
            let consolidation = rnc_rules::consolidate_person(person_id, &own);
            let mut checks = Vec::new();
            for tumour in &consolidation.tumours {
                let attached: Vec<&SourceRecord> = own
                    .iter()
                    .copied()
                    .filter(|r| tumour.record_ids.contains(&r.record_id))
                    .collect();
                checks.extend(rnc_rules::check_tumour(tumour, &attached));
            }
            let (checks, confirmed) = rnc_rules::apply_confirmations(
                checks,
                &consolidation.tumours,
                &confirmations,
            );
            bar.inc(1);
            PersonResult {
                person: summarise_person(
                    person_id,
                    &own,
                    consolidation.tumours.len(),
                ),
                tumours: consolidation.tumours,
                record_tumour: consolidation.record_tumour,
                checks,
                confirmed,
            }
        })
        .collect();
    bar.finish_and_clear();

    let mut report = ConsolidateReport {
        persons: results.len() as u64,
        ..Default::default()
    };
    let mut tumours: Vec<Tumour> = Vec::new();
    let mut checks: Vec<CheckResult> = Vec::new();
    let mut persons = Vec::new();
    let mut tumour_of: HashMap<String, String> = HashMap::new();
    let mut confirmed = 0;
    for result in results {
        confirmed += result.confirmed;
        for (record_id, tumour_id) in result.record_tumour {
            if let Some(tumour_id) = tumour_id {
                tumour_of.insert(record_id, tumour_id);
            }
        }
        tumours.extend(result.tumours);
        checks.extend(result.checks);
        persons.push(result.person);
    }
    report.tumours = tumours.len() as u64;
    report.dco_tumours =
        tumours.iter().filter(|t| t.death_certificate_only).count() as u64;
    // A record sent again in a later file shares its id with the first
    // copy, and consolidation counts it once.
    let record_ids: BTreeSet<&str> =
        records.iter().map(|r| r.record_id.as_str()).collect();
    report.records_without_tumour = (record_ids.len() - tumour_of.len()) as u64;
    for check in &checks {
        *report
            .checks
            .entry(severity_label(check.severity).to_string())
            .or_default() += 1;
    }

    let tumour_batch = rnc_rules::tumours_to_batch(&tumours)?;
    registry.write_work_table(
        WorkStage::Consolidate,
        "tumours",
        rnc_rules::tumour_schema(),
        &[tumour_batch],
    )?;
    let check_batch = rnc_rules::checks_to_batch(&checks)?;
    registry.write_work_table(
        WorkStage::Consolidate,
        "quality_checks",
        rnc_rules::check_schema(),
        &[check_batch],
    )?;
    let person_batch = persons_to_batch(&persons)?;
    registry.write_work_table(
        WorkStage::Consolidate,
        "persons",
        persons_schema(),
        &[person_batch],
    )?;
    // Written one row group at a time, so that no Arrow copy of every
    // record is made at once.
    let rows = STREAMED_ROW_GROUP_ROWS.max(1);
    let mut writer = None;
    for (chunk, persons) in records.chunks(rows).zip(person_of.chunks(rows)) {
        let batch =
            released_source_records(chunk, persons, &person_ids, &tumour_of)?;
        let writer = match &mut writer {
            Some(writer) => writer,
            None => writer.insert(registry.work_table_writer(
                WorkStage::Consolidate,
                "source_records",
                batch.schema(),
            )?),
        };
        writer.write(&batch)?;
    }
    match writer {
        Some(writer) => {
            writer.finish()?;
        }
        None => {
            let empty =
                released_source_records(&[], &[], &person_ids, &tumour_of)?;
            registry.write_work_table(
                WorkStage::Consolidate,
                "source_records",
                empty.schema(),
                &[empty],
            )?;
        }
    }

    report.seconds = started.elapsed().as_secs_f64();
    tracing::info!(
        persons = report.persons,
        tumours = report.tumours,
        checks = checks.len(),
        confirmed,
        "consolidation finished"
    );
    Ok(report)
}

struct PersonResult {
    person: PersonRow,
    tumours: Vec<Tumour>,
    record_tumour: Vec<(String, Option<String>)>,
    checks: Vec<CheckResult>,
    /// Findings removed because a reviewer confirmed them.
    confirmed: usize,
}

/// One row of the `persons` table. No identifier in clear: the NIR appears
/// only as the status of the best NIR seen.
struct PersonRow {
    person_id: String,
    sex: Sex,
    departement: Option<String>,
    death_date: Option<String>,
    /// Age in completed years and underlying cause (ICD-10) on the death
    /// record, for mortality rates.
    age_at_death: Option<u16>,
    underlying_cause: Option<String>,
    nir_status: NirStatus,
    records: u32,
    tumours: u32,
    sources: String,
}

fn summarise_person(
    person_id: &str,
    records: &[&SourceRecord],
    tumours: usize,
) -> PersonRow {
    // The most frequent stated sex; ties and no statement give unknown.
    let mut sexes: BTreeMap<Sex, u32> = BTreeMap::new();
    for sex in records
        .iter()
        .filter_map(|r| r.sex)
        .filter(|s| *s != Sex::Unknown)
    {
        *sexes.entry(sex).or_default() += 1;
    }
    let mut ranked: Vec<(Sex, u32)> = sexes.into_iter().collect();
    ranked.sort_by_key(|(_, count)| std::cmp::Reverse(*count));
    let sex = match ranked.as_slice() {
        [] => Sex::Unknown,
        [(only, _)] => *only,
        [(first, a), (_, b), ..] if a > b => *first,
        _ => Sex::Unknown,
    };

    // Residence from the most recent dated record.
    let departement = records
        .iter()
        .filter(|r| r.departement.is_some())
        .max_by_key(|r| (r.event_date, r.record_id.clone()))
        .and_then(|r| r.departement.clone());

    // A death record's date outranks a date of death noted elsewhere.
    let death_record = records
        .iter()
        .filter(|r| r.source_kind == Some(SourceKind::DeathRecord))
        .filter(|r| r.event_date.is_some())
        .min_by_key(|r| (r.event_date, r.record_id.clone()));
    let death_date = death_record
        .and_then(|r| r.event_date)
        .or_else(|| records.iter().filter_map(|r| r.death_date).min())
        .map(|d| d.to_iso());

    let nir_status = records
        .iter()
        .filter_map(|r| r.nir_status)
        .min()
        .unwrap_or(NirStatus::Missing);
    let sources: BTreeSet<&str> = records
        .iter()
        .filter_map(|r| r.source_kind)
        .map(|k| k.name())
        .collect();
    PersonRow {
        person_id: person_id.to_string(),
        sex,
        departement,
        death_date,
        age_at_death: death_record.and_then(|r| r.age_at_event),
        underlying_cause: death_record.and_then(|r| r.icd10.clone()),
        nir_status,
        records: records.len() as u32,
        tumours: tumours as u32,
        sources: sources.into_iter().collect::<Vec<_>>().join("|"),
    }
}

/// Schema of the `persons` table.
pub fn persons_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("person_id", DataType::Utf8, false),
        Field::new("sex", DataType::Utf8, false),
        Field::new("departement", DataType::Utf8, true),
        Field::new("death_date", DataType::Utf8, true),
        Field::new("age_at_death", DataType::UInt16, true),
        Field::new("underlying_cause", DataType::Utf8, true),
        Field::new("nir_status", DataType::Utf8, false),
        Field::new("records", DataType::UInt32, false),
        Field::new("tumours", DataType::UInt32, false),
        Field::new("sources", DataType::Utf8, false),
    ]))
}

fn persons_to_batch(rows: &[PersonRow]) -> anyhow::Result<RecordBatch> {
    let text = |f: &dyn Fn(&PersonRow) -> Option<String>| -> ArrayRef {
        let mut b = StringBuilder::new();
        for row in rows {
            b.append_option(f(row));
        }
        Arc::new(b.finish())
    };
    let count = |f: &dyn Fn(&PersonRow) -> u32| -> ArrayRef {
        let mut b = UInt32Builder::new();
        for row in rows {
            b.append_value(f(row));
        }
        Arc::new(b.finish())
    };
    Ok(RecordBatch::try_new(
        persons_schema(),
        vec![
            text(&|r| Some(r.person_id.clone())),
            text(&|r| Some(r.sex.label().to_string())),
            text(&|r| r.departement.clone()),
            text(&|r| r.death_date.clone()),
            Arc::new(UInt16Array::from_iter(
                rows.iter().map(|r| r.age_at_death),
            )),
            text(&|r| r.underlying_cause.clone()),
            text(&|r| Some(r.nir_status.label().to_string())),
            count(&|r| r.records),
            count(&|r| r.tumours),
            text(&|r| Some(r.sources.clone())),
        ],
    )?)
}

/// Each staged record's person, as numbers into the list of person ids.
/// A national year has five million records, and a map from record id
/// to person id took half a gigabyte through consolidation.
struct RecordPersons {
    /// The persons' ids, sorted.
    person_ids: Vec<String>,
    /// Per record, in the records' order, its person's index in
    /// `person_ids`.
    person_of: Vec<u32>,
}

/// Gives each record its person from the link stage's map. A record
/// staged after the last `rnc link` has no person yet and stops the run.
fn record_persons(
    records: &[SourceRecord],
    map: HashMap<String, String>,
) -> anyhow::Result<RecordPersons> {
    let mut person_ids: Vec<&str> = map.values().map(String::as_str).collect();
    person_ids.sort_unstable();
    person_ids.dedup();
    let index_of: HashMap<&str, u32> = person_ids
        .iter()
        .enumerate()
        .map(|(i, &id)| (id, i as u32))
        .collect();
    let person_of = records
        .iter()
        .map(|record| {
            map.get(record.record_id.as_str())
                .map(|person| index_of[person.as_str()])
                .context(
                    "records were ingested after the last linkage: run `rnc link` again",
                )
        })
        .collect::<anyhow::Result<Vec<u32>>>()?;
    Ok(RecordPersons {
        person_ids: person_ids.into_iter().map(str::to_string).collect(),
        person_of,
    })
}

/// Builds the released source records: the staged records without their
/// linkage columns, with the person and tumour ids appended. `persons`
/// gives each record's index into `person_ids`.
fn released_source_records(
    records: &[SourceRecord],
    persons: &[u32],
    person_ids: &[String],
    tumour_of: &HashMap<String, String>,
) -> anyhow::Result<RecordBatch> {
    let base = without_linkage_columns(&source_records_to_batch(records)?)?;
    let persons: StringArray = persons
        .iter()
        .map(|&p| Some(person_ids[p as usize].as_str()))
        .collect();
    let tumours: StringArray = records
        .iter()
        .map(|r| tumour_of.get(&r.record_id).map(String::as_str))
        .collect();
    let mut fields: Vec<Field> = base
        .schema()
        .fields()
        .iter()
        .map(|f| f.as_ref().clone())
        .collect();
    fields.push(Field::new("person_id", DataType::Utf8, false));
    fields.push(Field::new("tumour_id", DataType::Utf8, true));
    let mut columns: Vec<ArrayRef> = base.columns().to_vec();
    debug_assert_eq!(persons.null_count(), 0);
    columns.push(Arc::new(persons));
    columns.push(Arc::new(tumours));
    Ok(RecordBatch::try_new(
        Arc::new(Schema::new(fields)),
        columns,
    )?)
}

/// Reads the person of each record from the work table of the last link.
pub fn read_person_map(
    registry: &Registry,
) -> anyhow::Result<HashMap<String, String>> {
    let mut map = HashMap::new();
    for batch in registry.read_work_table(WorkStage::Link, "person_map")? {
        let column = |name: &str| -> anyhow::Result<StringArray> {
            let array = batch
                .column_by_name(name)
                .context("person_map lacks a column")?;
            Ok(array
                .as_any()
                .downcast_ref::<StringArray>()
                .context("person_map column type")?
                .clone())
        };
        let records = column("record_id")?;
        let persons = column("person_id")?;
        for i in 0..batch.num_rows() {
            map.insert(
                records.value(i).to_string(),
                persons.value(i).to_string(),
            );
        }
    }
    Ok(map)
}

/// Returns the label of a check severity, as in the `quality_checks`
/// table.
pub fn severity_label(severity: Severity) -> &'static str {
    match severity {
        Severity::Invalid => "invalid",
        Severity::Rare => "rare",
        Severity::Query => "query",
    }
}
