//! Linkage: staged records into persons.

use std::sync::Arc;
use std::time::Instant;

use arrow::array::{RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use rnc_link::{LinkConfig, LinkSummary};
use rnc_store::{Registry, WorkStage};

use super::read_staged_records;
use crate::progress;

/// Counts of one linkage run.
#[derive(Debug, Clone)]
pub struct LinkReport {
    /// The linker's own summary.
    pub summary: LinkSummary,
    /// Wall time in seconds.
    pub seconds: f64,
    /// Pairs waiting in the review queue (`rnc review`).
    pub review_pairs: usize,
    /// Reviewers' decisions applied.
    pub decisions_applied: usize,
    /// Non-match decisions whose two records still end in one person,
    /// joined through other links; those persons need review.
    pub non_matches_still_joined: usize,
}

/// Schema of the work table mapping each record to its person.
pub fn person_map_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("record_id", DataType::Utf8, false),
        Field::new("person_id", DataType::Utf8, false),
    ]))
}

/// Formats the person id of cluster `index`: `P` and eight digits. Clusters are
/// numbered by their smallest record id, so the same records give the
/// same ids.
pub fn person_id(index: u32) -> String {
    format!("P{:08}", index + 1)
}

/// Links every staged record and stores the person map, the scored pairs
/// and the trained model under `work/link`.
pub fn link(
    registry: &Registry,
    config: &LinkConfig,
) -> anyhow::Result<LinkReport> {
    let started = Instant::now();
    let bar = progress::spinner("link");
    bar.set_message("reading staged records");
    let records = read_staged_records(registry)?;
    anyhow::ensure!(
        !records.is_empty(),
        "no staged record to link: run `rnc ingest` first"
    );

    bar.set_message(format!("linking {} records", records.len()));
    let decisions = crate::review::read_decisions(registry)?;
    let linkage = rnc_link::link_with_decisions(&records, config, &decisions)?;

    // A non-match decision removes the direct link only; the two records
    // can still meet through others, which the reviewer must be told.
    let index: std::collections::HashMap<&str, usize> = records
        .iter()
        .enumerate()
        .map(|(i, r)| (r.record_id.as_str(), i))
        .collect();
    let non_matches_still_joined = decisions
        .iter()
        .filter(|d| d.decision == rnc_link::Decision::NonMatch)
        .filter(|d| {
            match (
                index.get(d.record_id_left.as_str()),
                index.get(d.record_id_right.as_str()),
            ) {
                (Some(&l), Some(&r)) => {
                    linkage.person_of[l] == linkage.person_of[r]
                }
                _ => false,
            }
        })
        .count();
    if non_matches_still_joined > 0 {
        tracing::warn!(
            non_matches_still_joined,
            "non-match decisions whose records are still in one person through other links"
        );
    }
    let (lower, upper) = crate::review::queue_thresholds(config);
    let queue =
        rnc_link::review_queue(&linkage, &records, lower, upper, &decisions)?;
    crate::review::write_queue(registry, &queue)?;

    bar.set_message("writing");
    let record_ids: Vec<&str> =
        records.iter().map(|r| r.record_id.as_str()).collect();
    let person_ids: Vec<String> =
        linkage.person_of.iter().map(|&c| person_id(c)).collect();
    let map = RecordBatch::try_new(
        person_map_schema(),
        vec![
            Arc::new(StringArray::from(record_ids)),
            Arc::new(StringArray::from(person_ids)),
        ],
    )?;
    registry.write_work_table(
        WorkStage::Link,
        "person_map",
        person_map_schema(),
        &[map],
    )?;
    let pairs =
        rnc_link::pairs_to_batch(&linkage.pairs, &records, &linkage.model)?;
    registry.write_work_table(
        WorkStage::Link,
        "link_pairs",
        pairs.schema(),
        &[pairs],
    )?;
    registry.write_work_file(
        WorkStage::Link,
        "link_model.json",
        linkage.model.to_json().as_bytes(),
    )?;
    registry.write_work_file(
        WorkStage::Link,
        "settings.json",
        serde_json::to_string_pretty(&serde_json::json!({
            "match_probability_threshold": config.match_probability_threshold,
            "max_em_iterations": config.max_em_iterations,
            "em_tolerance": config.em_tolerance,
            "u_sample_pairs": config.u_sample_pairs,
            "seed": config.seed,
            "deterministic_nir": config.deterministic_nir,
        }))?
        .as_bytes(),
    )?;
    bar.finish_and_clear();
    Ok(LinkReport {
        summary: linkage.summary,
        seconds: started.elapsed().as_secs_f64(),
        review_pairs: queue.len(),
        decisions_applied: decisions.len(),
        non_matches_still_joined,
    })
}
