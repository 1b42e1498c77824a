//! Deduplicates a CSV under a model file and scores the clusters against
//! a truth column, without the rnc binary's dependencies, so that the
//! linkage library can be profiled on its own:
//!
//! ```text
//! cargo run --release -p rnc-link --example dedupe_csv -- \
//!     persons.csv record_id examples/persons.toml [entity_id]
//! ```
//!
//! Without the truth column it only links; `RUST_LOG=rnc_link=info`
//! shows the time of each step.

use std::collections::HashMap;
use std::time::Instant;

use rnc_link::{LinkMode, ModelSpec, RecordTable, link_table};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let arguments: Vec<String> = std::env::args().collect();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let (file, id_column, model, truth_column) = match arguments.as_slice() {
        [_, file, id, model] => (file, id, model, None),
        [_, file, id, model, truth] => (file, id, model, Some(truth)),
        _ => {
            return Err(
                "usage: dedupe_csv FILE ID_COLUMN MODEL [TRUTH_COLUMN]".into(),
            );
        }
    };
    let started = Instant::now();
    let spec = ModelSpec::from_toml(&std::fs::read_to_string(model)?)?;
    let mut table = RecordTable::new(&spec);
    table.read_csv(file.as_ref(), id_column, 0)?;
    let read = started.elapsed().as_secs_f64();
    let linkage = link_table(&table, &spec, LinkMode::Dedupe, None)?;
    let linked = started.elapsed().as_secs_f64();
    println!(
        "read {read:.2} s, linked {:.2} s; {} candidate pairs, {} linked, \
         {} skipped by cannot_link",
        linked - read,
        linkage.summary.candidate_pairs,
        linkage.summary.linked_pairs,
        linkage.summary.cannot_link_skipped_pairs
    );
    let Some(truth_column) = truth_column else {
        return Ok(());
    };

    let mut reader = csv::Reader::from_path(file)?;
    let headers = reader.headers()?.clone();
    let position = |name: &str| headers.iter().position(|h| h == name);
    let (id, truth) = (
        position(id_column).ok_or("id column not found")?,
        position(truth_column.as_str()).ok_or("truth column not found")?,
    );
    let mut entity_of = HashMap::new();
    for row in reader.records() {
        let row = row?;
        entity_of.insert(row[id].to_string(), row[truth].to_string());
    }
    let mut numbers: HashMap<&str, u32> = HashMap::new();
    let truth: Vec<u32> = table
        .ids()
        .iter()
        .map(|record| {
            let next = numbers.len() as u32;
            *numbers.entry(entity_of[record].as_str()).or_insert(next)
        })
        .collect();
    let scores =
        rnc_link::evaluate::pairwise_scores(&linkage.cluster_of, &truth);
    println!(
        "precision {:.6} recall {:.6} F1 {:.6}",
        scores.precision, scores.recall, scores.f1
    );
    for check in rnc_link::compare_parameters_with_truth(
        &table,
        &spec,
        &linkage.model,
        &truth,
    )? {
        println!(
            "{:<12} {:<36} m {:.5} true {:.5}  u {:.3e} true {:.3e}",
            check.comparison,
            check.level,
            check.learned_m,
            check.true_m,
            check.learned_u,
            check.true_u
        );
    }
    Ok(())
}
