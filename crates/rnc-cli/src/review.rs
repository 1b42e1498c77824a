//! `rnc review`: list the pairs that `rnc link` left for clerical review
//! and record reviewers' decisions, which every later `rnc link` applies.
//!
//! The queue (`work/link/review_queue.json`) names records by record id
//! and shows comparison levels only; the decisions persist in
//! `work/link/review_decisions.json`.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use rnc_link::{Decision, LinkConfig, ReviewDecision, ReviewItem};
use rnc_store::{Registry, WorkStage};

use crate::commands::Outcome;

/// Name of the queue file under `work/link/`.
pub const QUEUE_FILE: &str = "review_queue.json";
/// Name of the decision file under `work/link/`.
pub const DECISIONS_FILE: &str = "review_decisions.json";

/// Pairs with a match probability from this value up to the upper review
/// threshold are queued: below it a link is unlikely enough to leave
/// unreviewed.
pub const REVIEW_LOWER: f64 = 0.5;
/// Upper review threshold, unless the link threshold is higher: pairs
/// from the link threshold up to this value are linked but still queued,
/// because a wrong link merges two persons.
pub const REVIEW_UPPER: f64 = 0.99;

/// A decision as given on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DecisionArg {
    /// The two records belong to one person.
    Match,
    /// The two records belong to different persons.
    NonMatch,
}

/// Arguments of `rnc review`.
#[derive(Debug, Args)]
pub struct ReviewArgs {
    /// Record a decision on the pair of these two record ids instead of
    /// listing the queue.
    #[arg(long, num_args = 2, value_names = ["RECORD_ID", "RECORD_ID"], requires = "decision")]
    pub pair: Option<Vec<String>>,
    /// The decision on --pair.
    #[arg(long, value_enum, requires = "pair")]
    pub decision: Option<DecisionArg>,
    /// Largest number of queued pairs listed.
    #[arg(long, default_value_t = 20)]
    pub limit: usize,
}

/// Returns the review thresholds for a link configuration: [0.5,
/// max(0.99, link threshold)).
pub fn queue_thresholds(config: &LinkConfig) -> (f64, f64) {
    (
        REVIEW_LOWER,
        REVIEW_UPPER.max(config.match_probability_threshold),
    )
}

fn decisions_path(registry: &Registry) -> PathBuf {
    registry.work_dir(WorkStage::Link).join(DECISIONS_FILE)
}

/// Reads the reviewers' decisions; a registry without the file has none.
pub fn read_decisions(
    registry: &Registry,
) -> anyhow::Result<Vec<ReviewDecision>> {
    let path = decisions_path(registry);
    if !path.exists() {
        return Ok(Vec::new());
    }
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| {
        format!("{}: invalid review decisions file", path.display())
    })
}

/// Stores the review queue of the last `rnc link`.
pub fn write_queue(
    registry: &Registry,
    queue: &[ReviewItem],
) -> anyhow::Result<()> {
    registry.write_work_file(
        WorkStage::Link,
        QUEUE_FILE,
        serde_json::to_string_pretty(queue)?.as_bytes(),
    )?;
    Ok(())
}

fn read_queue(registry: &Registry) -> anyhow::Result<Vec<ReviewItem>> {
    let path = registry.work_dir(WorkStage::Link).join(QUEUE_FILE);
    if !path.exists() {
        bail!(
            "no review queue in {}: run `rnc link` first",
            registry.work_dir(WorkStage::Link).display()
        );
    }
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| {
        format!("{}: invalid review queue file", path.display())
    })
}

/// Runs `rnc review`.
pub fn review(
    registry_dir: &Path,
    args: &ReviewArgs,
) -> anyhow::Result<Outcome> {
    let registry = Registry::open(registry_dir)?;
    let mut decisions = read_decisions(&registry)?;
    match (&args.pair, args.decision) {
        (Some(pair), Some(decision)) => {
            let (left, right) = if pair[0] <= pair[1] {
                (&pair[0], &pair[1])
            } else {
                (&pair[1], &pair[0])
            };
            if left == right {
                bail!(
                    "--pair names record {left} twice: give two different record ids"
                );
            }
            let decision = match decision {
                DecisionArg::Match => Decision::Match,
                DecisionArg::NonMatch => Decision::NonMatch,
            };

            // A decision on a record the registry does not hold would be
            // applied to nothing, most likely after a typing error.
            let staged: std::collections::HashSet<String> = registry
                .read_staged_records()?
                .iter()
                .flat_map(|batch| {
                    let ids = batch.column_by_name("record_id").and_then(|c| {
                        c.as_any()
                            .downcast_ref::<arrow::array::StringArray>()
                            .cloned()
                    });
                    ids.into_iter().flat_map(|a| {
                        a.iter()
                            .flatten()
                            .map(str::to_string)
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            for id in [left, right] {
                if !staged.contains(id.as_str()) {
                    bail!(
                        "record {id} is not in the registry: give record ids as listed by `rnc review` (kind/source id)"
                    );
                }
            }
            if let Some(earlier) = decisions.iter().find(|d| {
                d.record_id_left == *left && d.record_id_right == *right
            }) {
                println!(
                    "review: replacing the decision of {} on this pair ({:?})",
                    earlier.decided_at, earlier.decision
                );
            }
            decisions.retain(|d| {
                !(d.record_id_left == *left && d.record_id_right == *right)
            });
            decisions.push(ReviewDecision {
                record_id_left: left.clone(),
                record_id_right: right.clone(),
                decision,
                decided_at: chrono::Utc::now().to_rfc3339(),
            });
            registry.write_work_file(
                WorkStage::Link,
                DECISIONS_FILE,
                serde_json::to_string_pretty(&decisions)?.as_bytes(),
            )?;
            println!(
                "review: pair {left} {right} recorded as {}; {} decisions in total, applied from the next `rnc link`",
                if decision == Decision::Match {
                    "match"
                } else {
                    "non-match"
                },
                decisions.len()
            );
        }
        _ => list(&registry, &decisions, args.limit)?,
    }
    Ok(Outcome::Clean)
}

fn list(
    registry: &Registry,
    decisions: &[ReviewDecision],
    limit: usize,
) -> anyhow::Result<()> {
    let decided = |item: &ReviewItem| {
        decisions.iter().any(|d| {
            d.record_id_left == item.record_id_left
                && d.record_id_right == item.record_id_right
        })
    };
    let queue: Vec<ReviewItem> = read_queue(registry)?
        .into_iter()
        .filter(|i| !decided(i))
        .collect();
    for item in queue.iter().take(limit) {
        println!(
            "{} {}  probability {:.4}  weight {:+.2}  {}",
            item.record_id_left,
            item.record_id_right,
            item.match_probability,
            item.match_weight,
            if item.linked { "linked" } else { "not linked" }
        );
        for detail in &item.comparisons {
            println!(
                "    {:<14} {:<40} {:+.2}",
                detail.comparison, detail.level, detail.weight
            );
        }
    }
    println!(
        "review: {} pairs waiting ({} listed), {} decisions recorded; decide with `rnc review --pair ID ID --decision match|non-match`",
        queue.len(),
        queue.len().min(limit),
        decisions.len()
    );
    Ok(())
}
