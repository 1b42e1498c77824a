//! Consolidation: each person's records into tumours, then the quality
//! checks.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use arrow::array::{
    Array, ArrayRef, AsArray, RecordBatch, StringArray, StringBuilder,
    UInt16Array, UInt32Builder,
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
    } = record_persons(
        &records,
        &registry.read_work_table(WorkStage::Link, "person_map")?,
    )?;
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
                record_tumour: own_record_tumours(
                    indices,
                    &own,
                    &consolidation,
                ),
                tumours: consolidation.tumours,
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
    // Per record, in the records' order, its tumour's index in `tumours`.
    let mut tumour_of: Vec<Option<u32>> = vec![None; records.len()];
    let mut confirmed = 0;
    for result in results {
        confirmed += result.confirmed;
        let first = u32::try_from(tumours.len())?;
        for (index, tumour) in result.record_tumour {
            tumour_of[index] = Some(first + tumour);
        }
        tumours.extend(result.tumours);
        checks.extend(result.checks);
        persons.push(result.person);
    }
    report.tumours = tumours.len() as u64;
    report.dco_tumours =
        tumours.iter().filter(|t| t.death_certificate_only).count() as u64;
    // A record sent again in a later file shares its id with the first
    // copy, and consolidation counts it once. The records are sorted by
    // id, so the copies are neighbours.
    report.records_without_tumour = records
        .iter()
        .zip(&tumour_of)
        .enumerate()
        .filter(|&(i, (record, tumour))| {
            tumour.is_none()
                && (i == 0 || records[i - 1].record_id != record.record_id)
        })
        .count() as u64;
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
    for ((chunk, persons), own_tumours) in records
        .chunks(rows)
        .zip(person_of.chunks(rows))
        .zip(tumour_of.chunks(rows))
    {
        let batch = released_source_records(
            chunk,
            persons,
            &person_ids,
            own_tumours,
            &tumours,
        )?;
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
                released_source_records(&[], &[], &person_ids, &[], &tumours)?;
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
    /// Index into `records` of each of the person's records that belongs
    /// to a tumour, with the tumour's index in `tumours`.
    record_tumour: Vec<(usize, u32)>,
    checks: Vec<CheckResult>,
    /// Findings removed because a reviewer confirmed them.
    confirmed: usize,
}

/// Pairs each of one person's records (`indices` into the staged records,
/// `own` the records themselves) that belongs to a tumour with that
/// tumour's position in `consolidation.tumours`. Copies of a record sent
/// again share its id, and so its tumour.
fn own_record_tumours(
    indices: &[usize],
    own: &[&SourceRecord],
    consolidation: &rnc_rules::Consolidation,
) -> Vec<(usize, u32)> {
    let position = |tumour_id: &str| {
        consolidation
            .tumours
            .iter()
            .position(|t| t.tumour_id == tumour_id)
            .map(|p| p as u32)
    };
    indices
        .iter()
        .zip(own)
        .filter_map(|(&index, record)| {
            // `record_tumour` is sorted by record id.
            let found = consolidation
                .record_tumour
                .binary_search_by(|(id, _)| id.as_str().cmp(&record.record_id))
                .ok()?;
            let tumour_id = consolidation.record_tumour[found].1.as_deref()?;
            Some((index, position(tumour_id)?))
        })
        .collect()
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

/// Gives each record its person from the link stage's `person_map`
/// batches. Both lists are sorted by record id, so one pass over each
/// pairs them. A map of record id to person id took 14 % of
/// consolidation's perf samples at four years of a tenth of France. A
/// record id that appears twice in the map (a record sent again) takes
/// its last row. A record staged after the last `rnc link` has no person
/// yet and stops the run.
fn record_persons(
    records: &[SourceRecord],
    map: &[RecordBatch],
) -> anyhow::Result<RecordPersons> {
    let mut rows: Vec<(&str, &str)> = Vec::with_capacity(
        map.iter().map(RecordBatch::num_rows).sum::<usize>(),
    );
    for batch in map {
        let (record_ids, person_ids) = person_map_columns(batch)?;
        rows.extend(
            record_ids
                .iter()
                .zip(person_ids.iter())
                .filter_map(|(record, person)| Some((record?, person?))),
        );
    }
    // `rnc link` writes the map in record-id order. If another writer did
    // not, a stable sort keeps the rows of one id in their order. Then only
    // the last row of each id remains, as in a map keyed by id.
    if !rows.is_sorted_by_key(|&(record, _)| record) {
        rows.sort_by_key(|&(record, _)| record);
    }
    let mut last_rows: Vec<(&str, &str)> = Vec::with_capacity(rows.len());
    for row in rows {
        match last_rows.last_mut() {
            Some(last) if last.0 == row.0 => *last = row,
            _ => last_rows.push(row),
        }
    }

    let mut person_ids: Vec<&str> =
        last_rows.iter().map(|&(_, person)| person).collect();
    person_ids.sort_unstable();
    person_ids.dedup();
    let index_of: HashMap<&str, u32, foldhash::fast::FixedState> = person_ids
        .iter()
        .enumerate()
        .map(|(i, &id)| (id, i as u32))
        .collect();

    // The records are sorted by id too, so `next` only moves forward. The
    // copies of a record sent again are neighbours and find the same row.
    let mut next = 0;
    let person_of = records
        .iter()
        .map(|record| {
            let id = record.record_id.as_str();
            while next < last_rows.len() && last_rows[next].0 < id {
                next += 1;
            }
            last_rows.get(next)
                .filter(|&&(row_id, _)| row_id == id)
                .map(|&(_, person)| index_of[person])
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

/// Returns the `record_id` and `person_id` columns of a batch of the
/// link stage's `person_map`.
fn person_map_columns(
    batch: &RecordBatch,
) -> anyhow::Result<(&StringArray, &StringArray)> {
    let column = |name: &str| -> anyhow::Result<&StringArray> {
        batch
            .column_by_name(name)
            .with_context(|| {
                format!(
                    "person_map has no column {name}: run `rnc link --full` again"
                )
            })?
            .as_string_opt::<i32>()
            .with_context(|| {
                format!(
                    "person_map column {name} is not text: run `rnc link --full` again"
                )
            })
    };
    Ok((column("record_id")?, column("person_id")?))
}

/// Builds the released source records: the staged records without their
/// linkage columns, with the person and tumour ids appended. `persons`
/// gives each record's index into `person_ids`, and `own_tumours` its
/// tumour's index into `tumours`.
fn released_source_records(
    records: &[SourceRecord],
    persons: &[u32],
    person_ids: &[String],
    own_tumours: &[Option<u32>],
    tumours: &[Tumour],
) -> anyhow::Result<RecordBatch> {
    let base = without_linkage_columns(&source_records_to_batch(records)?)?;
    let persons: StringArray = persons
        .iter()
        .map(|&p| Some(person_ids[p as usize].as_str()))
        .collect();
    let tumours: StringArray = own_tumours
        .iter()
        .map(|t| t.map(|t| tumours[t as usize].tumour_id.as_str()))
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
/// Of copies of a record sent again, which share its id, the last copy's
/// person is kept.
pub fn read_person_map(
    registry: &Registry,
) -> anyhow::Result<HashMap<String, String>> {
    Ok(read_person_map_copies(registry)?
        .into_iter()
        .filter_map(|(record, mut persons)| Some((record, persons.pop()?)))
        .collect())
}

/// Reads the persons of each record id from the work table of the last
/// link, one per copy in staged order. A record sent again keeps its id,
/// and when the copies differ they may belong to two persons.
pub fn read_person_map_copies(
    registry: &Registry,
) -> anyhow::Result<HashMap<String, Vec<String>>> {
    let mut map: HashMap<String, Vec<String>> = HashMap::new();
    for batch in registry.read_work_table(WorkStage::Link, "person_map")? {
        let (records, persons) = person_map_columns(&batch)?;
        for i in 0..batch.num_rows() {
            map.entry(records.value(i).to_string())
                .or_default()
                .push(persons.value(i).to_string());
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

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: &str) -> SourceRecord {
        SourceRecord {
            record_id: id.to_string(),
            ..SourceRecord::default()
        }
    }

    fn map(rows: &[(&str, &str)]) -> RecordBatch {
        let column = |values: Vec<&str>| -> ArrayRef {
            Arc::new(StringArray::from(values))
        };
        RecordBatch::try_new(
            super::super::link::person_map_schema(),
            vec![
                column(rows.iter().map(|r| r.0).collect()),
                column(rows.iter().map(|r| r.1).collect()),
            ],
        )
        .unwrap()
    }

    #[test]
    fn record_persons_take_last_row() {
        // "b" was sent twice, so it is staged twice and has two map rows.
        // Its later row (person P3) is the one kept, as a map keyed by
        // record id keeps the last insert. The map's two batches are out
        // of order on purpose.
        let records = [record("a"), record("b"), record("b"), record("c")];
        let batches = [
            map(&[("c", "P00000002"), ("b", "P00000001")]),
            map(&[("a", "P00000002"), ("b", "P00000003")]),
        ];

        let persons = record_persons(&records, &batches).unwrap();

        assert_eq!(persons.person_ids, ["P00000002", "P00000003"]);
        assert_eq!(persons.person_of, [0, 1, 1, 0]);
    }

    #[test]
    fn record_persons_missing_record_fails() {
        let records = [record("a"), record("b")];
        let batches = [map(&[("a", "P00000001")])];

        let Err(error) = record_persons(&records, &batches) else {
            panic!("record b has no person in the map");
        };

        assert!(error.to_string().contains("run `rnc link` again"));
    }
}
