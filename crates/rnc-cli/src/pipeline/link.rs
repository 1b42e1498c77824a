//! Linkage: staged records into persons.

use std::sync::Arc;
use std::time::Instant;

use arrow::array::{RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use rnc_link::{LinkConfig, LinkSummary};
use rnc_store::parquet_io::STREAMED_ROW_GROUP_ROWS;
use rnc_store::{Registry, WorkStage};

use anyhow::Context;

use rnc_model::tables::{LinkageColumns, linkage_read_columns};

use super::{link_state, staged_record_count};
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
    /// Pairs between the review thresholds left out of the queue because
    /// surer pairs already join their records in one person.
    pub settled_pairs: u64,
    /// Reviewers' decisions applied.
    pub decisions_applied: usize,
    /// Non-match decisions whose two records still end in one person,
    /// joined through other links; those persons need review.
    pub non_matches_still_joined: usize,
    /// Whether only the records new since the earlier run were compared.
    pub incremental: bool,
    /// Persons of the earlier run whose id this run kept.
    pub persons_kept: u64,
    /// Where the parameters came from: "trained", "earlier run" or the
    /// saved model's path.
    pub model_source: String,
    /// The place the candidate pairs were found and compared: "in
    /// process" or "on" and the engine.
    pub pairs_found_on: String,
}

/// How `rnc link` runs beyond [`LinkConfig`].
#[derive(Debug, Clone, Default)]
pub struct LinkRun {
    /// Compare every pair and train again even when an earlier run could
    /// be extended.
    pub full: bool,
    /// Score with this saved model (JSON, as released in
    /// `link_model.json`) instead of training.
    pub model: Option<std::path::PathBuf>,
    /// Find and compare the candidate pairs with this engine's DataFusion
    /// plans instead of in process: `rnc link --engine ballista://…`
    /// runs them on the cluster's executors.
    pub engine: Option<rnc_engine::Engine>,
}

/// Returns the engine that finds linkage's candidate pairs for
/// `--engine`: none for `local`, where the in-process blocking does the
/// same work without writing the profiles to Parquet, and the cluster
/// otherwise.
pub fn pair_engine(engine: &rnc_engine::Engine) -> Option<rnc_engine::Engine> {
    match engine.kind() {
        rnc_engine::EngineKind::Local => None,
        _ => Some(engine.clone()),
    }
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

/// Links the staged records and stores the person map, the scored pairs
/// and the model under `work/link`.
///
/// When an earlier run is stored with the same settings and `run.full` is
/// not set, only pairs that hold a record staged since then are compared,
/// the earlier pairs keep their scores and the earlier model scores the
/// new pairs. Persons keep the ids the earlier run gave them
/// ([`rnc_link::stable_person_numbers`]) in every case.
pub fn link(
    registry: &Registry,
    config: &LinkConfig,
    run: &LinkRun,
) -> anyhow::Result<LinkReport> {
    let started = Instant::now();
    let bar = progress::spinner("link");
    bar.set_message("reading staged records");
    let (record_ids, encoded) = encode_staged_records(registry)?;
    anyhow::ensure!(
        !record_ids.is_empty(),
        "no staged record to link: run `rnc ingest` first"
    );
    let earlier = link_state::read_earlier_run(registry, config, !run.full)?;
    let saved_model = match &run.model {
        None => None,
        Some(path) => {
            let json = std::fs::read_to_string(path).with_context(|| {
                format!("reading the saved model {}", path.display())
            })?;
            Some(
                rnc_link::FellegiSunterModel::from_json(&json).with_context(
                    || format!("saved model {}", path.display()),
                )?,
            )
        }
    };
    let prior = earlier.as_ref().and_then(|e| e.prior.as_ref());
    let incremental = prior.is_some();

    bar.set_message("estimating comparisons");
    let estimates =
        rnc_link::estimate_encoded_comparisons(&record_ids, &encoded, prior);
    bar.suspend(|| print_estimates(&estimates, incremental));

    bar.set_message(format!("linking {} records", record_ids.len()));
    let decisions = crate::review::read_decisions(registry)?;
    let finder = run.engine.as_ref().map(|engine| {
        let dir = registry.work_dir(WorkStage::Link).join("pair-tables");
        rnc_engine::PlanPairFinder::new(engine.clone(), dir)
    });
    let options = rnc_link::LinkOptions {
        decisions: &decisions,
        trained_model: saved_model.as_ref(),
        prior,
        pair_finder: finder
            .as_ref()
            .map(|finder| finder as &dyn rnc_link::PairFinder),
        ..rnc_link::LinkOptions::default()
    };
    let linkage =
        rnc_link::link_encoded(&record_ids, encoded, config, &options)?;
    let model_source = match (&run.model, prior) {
        (Some(path), _) => path.display().to_string(),
        (None, Some(_)) => "earlier run".to_string(),
        (None, None) => "trained".to_string(),
    };

    let non_matches_still_joined = count_non_matches_still_joined(
        &record_ids,
        &linkage.person_of,
        &decisions,
    );
    if non_matches_still_joined > 0 {
        tracing::warn!(
            non_matches_still_joined,
            "non-match decisions whose records are still in one person through other links"
        );
    }
    bar.set_message("writing");
    // The pair table is the largest output (58 million rows for a
    // national year) and is written on a thread of its own, while the
    // review queue and the person map are built and written beside it.
    let (queue, persons_kept) = std::thread::scope(|scope| {
        let pairs =
            scope.spawn(|| write_pairs(registry, &linkage, &record_ids));
        let queue_and_map = write_queue_and_person_map(
            registry,
            config,
            &linkage,
            &record_ids,
            &decisions,
            earlier.as_ref(),
        );
        let pairs = pairs
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        // The pair table moves into place only after the person map, as
        // when it was written last, so that a failure before leaves the
        // earlier run's pairs.
        let queue_and_map = queue_and_map?;
        pairs?.finish()?;
        anyhow::Ok(queue_and_map)
    })?;
    registry.write_work_file(
        WorkStage::Link,
        "link_model.json",
        linkage.model.to_json().as_bytes(),
    )?;
    registry.write_work_file(
        WorkStage::Link,
        "settings.json",
        serde_json::to_string_pretty(&link_state::settings_json(config))?
            .as_bytes(),
    )?;
    bar.finish_and_clear();
    Ok(LinkReport {
        summary: linkage.summary,
        seconds: started.elapsed().as_secs_f64(),
        review_pairs: queue.items.len(),
        settled_pairs: queue.settled_record_pairs,
        decisions_applied: decisions.len(),
        non_matches_still_joined,
        incremental,
        persons_kept,
        model_source,
        pairs_found_on: run
            .engine
            .as_ref()
            .map_or("in process".to_string(), |e| format!("on {}", e.kind())),
    })
}

/// Builds and writes the review queue, then numbers the persons, keeping
/// the earlier run's numbers where its records allow, and writes the
/// person map. Returns the queue and the count of earlier persons kept.
fn write_queue_and_person_map(
    registry: &Registry,
    config: &LinkConfig,
    linkage: &rnc_link::Linkage,
    record_ids: &[String],
    decisions: &[rnc_link::ReviewDecision],
    earlier: Option<&link_state::EarlierRun>,
) -> anyhow::Result<(rnc_link::ReviewQueue, u64)> {
    let (lower, upper) = crate::review::queue_thresholds(config);
    let queue =
        rnc_link::review_queue(linkage, record_ids, lower, upper, decisions)?;
    crate::review::write_queue(registry, &queue.items)?;

    // Copies of a record sent again share its id and follow one another in
    // staged order. The n-th copy takes the person the earlier run gave its
    // n-th copy (the last copy's when more copies came since), so that two
    // copies the earlier run put in two persons keep both persons' ids.
    let mut copy = 0;
    let earlier_numbers: Vec<Option<u32>> = record_ids
        .iter()
        .enumerate()
        .map(|(i, id)| {
            let again = i > 0 && record_ids[i - 1] == *id;
            copy = if again { copy + 1 } else { 0 };
            let persons = earlier?.person_of.get(id)?;
            link_state::person_number(persons.get(copy).or(persons.last())?)
        })
        .collect();
    let numbers =
        rnc_link::stable_person_numbers(&linkage.person_of, &earlier_numbers);
    let persons_kept = count_kept(&numbers, &earlier_numbers);
    let person_ids: Vec<String> =
        numbers.iter().map(|&n| person_id(n)).collect();
    let map = RecordBatch::try_new(
        person_map_schema(),
        vec![
            Arc::new(StringArray::from_iter_values(record_ids)),
            Arc::new(StringArray::from(person_ids)),
        ],
    )?;
    registry.write_work_table(
        WorkStage::Link,
        "person_map",
        person_map_schema(),
        &[map],
    )?;
    Ok((queue, persons_kept))
}

/// Reads the staged records one Parquet batch at a time and keeps of each
/// only its `record_id` and what linkage compares ([`rnc_link::RecordEncoder`]).
/// A whole record with its pseudonyms and filters as strings takes about
/// 4 KB, its encoding a tenth of that, so linkage of a national year no
/// longer keeps every staged record in memory. Only the columns linkage
/// reads are decoded, and each row is encoded from the arrays without
/// building a [`rnc_model::SourceRecord`].
fn encode_staged_records(
    registry: &Registry,
) -> anyhow::Result<(Vec<String>, rnc_link::EncodedRecords)> {
    let mut encoder =
        rnc_link::RecordEncoder::with_capacity(staged_record_count(registry)?);
    let columns = linkage_read_columns();
    for batch in registry.stream_staged_records_columns(&columns)? {
        let batch = batch?;
        let linkage = LinkageColumns::read(&batch).context("staged records")?;
        for row in 0..linkage.len() {
            encoder.push_fields(&linkage.fields(row))?;
        }
    }
    Ok(encoder.finish())
}

/// Writes the scored pairs to `link_pairs` one row group at a time, and
/// returns the writer for the caller to finish, which moves the table into
/// place. A national year scores some 58 million profile pairs, and one
/// Arrow batch of them all took several gigabytes beside the pairs
/// themselves.
fn write_pairs(
    registry: &Registry,
    linkage: &rnc_link::Linkage,
    record_ids: &[String],
) -> anyhow::Result<rnc_store::WorkTableWriter> {
    let rows = STREAMED_ROW_GROUP_ROWS.max(1);
    let batch_of = |pairs: &[rnc_link::ScoredPair]| {
        rnc_link::pairs_to_batch(pairs, record_ids, &linkage.model)
    };
    // The first batch, empty when there is no pair, gives the schema.
    let first = batch_of(&linkage.pairs[..linkage.pairs.len().min(rows)])?;
    let mut writer = registry.work_table_writer(
        WorkStage::Link,
        "link_pairs",
        first.schema(),
    )?;
    writer.write(&first)?;
    for chunk in linkage.pairs.chunks(rows).skip(1) {
        writer.write(&batch_of(chunk)?)?;
    }
    Ok(writer)
}

/// Counts the non-match decisions whose two records still end in one
/// person. A non-match decision removes the direct link only, so the two
/// records can still meet through others, and the reviewer is warned.
/// `record_ids` are sorted, so each is found by binary search rather than
/// through a map of every record. A record sent again keeps its id, and
/// its last copy is the one looked up.
fn count_non_matches_still_joined(
    record_ids: &[String],
    person_of: &[u32],
    decisions: &[rnc_link::ReviewDecision],
) -> usize {
    let index = |id: &str| {
        let after = record_ids.partition_point(|r| r.as_str() <= id);
        after.checked_sub(1).filter(|&last| record_ids[last] == id)
    };
    decisions
        .iter()
        .filter(|d| d.decision == rnc_link::Decision::NonMatch)
        .filter(|d| {
            match (
                index(d.record_id_left.as_str()),
                index(d.record_id_right.as_str()),
            ) {
                (Some(left), Some(right)) => {
                    person_of[left] == person_of[right]
                }
                _ => false,
            }
        })
        .count()
}

/// Earlier persons that kept their number: distinct earlier numbers held
/// again by at least one of their records.
fn count_kept(numbers: &[u32], earlier: &[Option<u32>]) -> u64 {
    let kept: std::collections::HashSet<u32> = numbers
        .iter()
        .zip(earlier)
        .filter(|(n, e)| Some(**n) == **e)
        .map(|(n, _)| *n)
        .collect();
    kept.len() as u64
}

/// Prints the comparisons each blocking rule will make, before they run.
fn print_estimates(estimates: &[rnc_link::RuleEstimate], incremental: bool) {
    let total: u64 = estimates.iter().map(|e| e.pairs).sum();
    println!(
        "blocking: about {total} comparisons{} before removing pairs found by several rules",
        if incremental {
            " involving records new since the last run"
        } else {
            ""
        }
    );
    for estimate in estimates {
        println!(
            "  {:<28} {:>12} pairs, {} records without a key",
            estimate.rule, estimate.pairs, estimate.records_without_key
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decision(
        left: &str,
        right: &str,
        decision: rnc_link::Decision,
    ) -> rnc_link::ReviewDecision {
        rnc_link::ReviewDecision {
            record_id_left: left.to_string(),
            record_id_right: right.to_string(),
            decision,
            decided_at: "2026-12-05T00:00:00Z".to_string(),
        }
    }

    #[test]
    fn non_matches_still_joined_counted_by_last_copy() {
        // "b" was sent twice; its last copy (index 2) is in person 2.
        let ids: Vec<String> =
            ["a", "b", "b", "c"].iter().map(|s| s.to_string()).collect();
        let person_of = [0, 0, 2, 0];
        let count = |decisions: &[rnc_link::ReviewDecision]| {
            count_non_matches_still_joined(&ids, &person_of, decisions)
        };
        let non_match = rnc_link::Decision::NonMatch;

        assert_eq!(count(&[decision("a", "c", non_match)]), 1);
        assert_eq!(count(&[decision("c", "a", non_match)]), 1);
        assert_eq!(count(&[decision("a", "b", non_match)]), 0);
        assert_eq!(count(&[decision("a", "z", non_match)]), 0);
        assert_eq!(count(&[decision("0", "a", non_match)]), 0);
        assert_eq!(count(&[decision("a", "c", rnc_link::Decision::Match)]), 0);
    }
}
