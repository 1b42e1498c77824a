//! Accuracy on the FEBRL synthetic person files (febrl1-3 deduplicated,
//! febrl4 as two files) with the model file `examples/febrl.toml`.
//!
//! The minimum scores are Splink's on the same files, with the same
//! comparisons and blocking rules: splink 5.0.0 with duckdb 2.0.1, run by
//! the peer script `splink_dedupe.py` with its defaults (connected
//! components at match probability >= 0.95), pairwise precision, recall
//! and F1 of the pairs inside the final clusters. Splink's febrl4 figure
//! is for the two files stacked and deduplicated as one. The truth is the
//! generator's entity id (the integer N of `rec-N-...`), checked against
//! the files of true pairs. Tolerance: 5e-5, because the published
//! figures are rounded to 4 decimals (febrl1: Splink finds 493 of 500
//! pairs, F1 0.992950, printed 0.9930).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rnc_link::evaluate::{PairwiseScores, pairwise_scores};
use rnc_link::{LinkMode, ModelSpec, RecordTable, TrainedModel, link_table};

fn data_dir() -> Option<PathBuf> {
    // RNC_FEBRL_DIR names the folder when the checkout is not beside it,
    // as in a git worktree, like the FEBRL tests of rnc-pseudonym.
    let dir = std::env::var_os("RNC_FEBRL_DIR").map_or_else(
        || {
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../../shared/data/febrl")
        },
        PathBuf::from,
    );
    if dir.join("febrl1.csv").exists() {
        Some(dir)
    } else {
        eprintln!(
            "skipped: FEBRL files not found in {} (shared/data/febrl)",
            dir.display()
        );
        None
    }
}

fn model() -> ModelSpec {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/febrl.toml");
    ModelSpec::from_toml(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// rec_id -> entity_id of a FEBRL file.
fn entities(path: &Path) -> HashMap<String, u32> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let headers = reader.headers().unwrap().clone();
    let id = headers.iter().position(|h| h == "rec_id").unwrap();
    let entity = headers.iter().position(|h| h == "entity_id").unwrap();
    reader
        .records()
        .map(|row| {
            let row = row.unwrap();
            (row[id].to_string(), row[entity].parse().unwrap())
        })
        .collect()
}

fn count_rows(path: &Path) -> u64 {
    csv::Reader::from_path(path).unwrap().records().count() as u64
}

fn evaluate(
    table: &RecordTable,
    cluster_of: &[u32],
    truth: &HashMap<String, u32>,
) -> PairwiseScores {
    let labels: Vec<u32> = table.ids().iter().map(|id| truth[id]).collect();
    pairwise_scores(cluster_of, &labels)
}

/// Splink's cluster figures at p >= 0.95: precision, recall, F1.
struct Peer {
    precision: f64,
    recall: f64,
    f1: f64,
}

fn check(name: &str, scores: &PairwiseScores, peer: &Peer) {
    eprintln!(
        "{name}: rnc P {:.4} R {:.4} F1 {:.4} ({} true pairs, {} predicted, \
         {} correct); Splink P {:.4} R {:.4} F1 {:.4}",
        scores.precision,
        scores.recall,
        scores.f1,
        scores.true_pairs,
        scores.predicted_pairs,
        scores.correct_pairs,
        peer.precision,
        peer.recall,
        peer.f1
    );
    let rounding = 5e-5;
    assert!(
        scores.f1 >= peer.f1 - rounding,
        "{name}: F1 {} below Splink's {}",
        scores.f1,
        peer.f1
    );
    assert!(
        scores.precision >= peer.precision - rounding,
        "{name}: precision {} below Splink's {}",
        scores.precision,
        peer.precision
    );
}

fn dedupe(dir: &Path, file: &str, truth_file: &str, peer: Peer) {
    let spec = model();
    let path = dir.join(file);
    let mut table = RecordTable::new(&spec);
    table.read_csv(&path, "rec_id", 0).unwrap();
    let truth = entities(&path);
    let linkage = link_table(&table, &spec, LinkMode::Dedupe, None).unwrap();
    let scores = evaluate(&table, &linkage.cluster_of, &truth);
    assert_eq!(scores.true_pairs, count_rows(&dir.join(truth_file)));
    for session in &linkage.model.sessions {
        eprintln!(
            "{file}: EM session {} on {} pairs, {} iterations, converged {}",
            session.name, session.pairs, session.iterations, session.converged
        );
    }
    check(file, &scores, &peer);
}

#[test]
fn febrl1_at_least_splink() {
    let Some(dir) = data_dir() else { return };
    let peer = Peer {
        precision: 1.0,
        recall: 0.9860,
        f1: 0.9930,
    };
    dedupe(&dir, "febrl1.csv", "febrl1_true_pairs.csv", peer);
}

#[test]
fn febrl2_at_least_splink() {
    let Some(dir) = data_dir() else { return };
    let peer = Peer {
        precision: 1.0,
        recall: 0.9953,
        f1: 0.9977,
    };
    dedupe(&dir, "febrl2.csv", "febrl2_true_pairs.csv", peer);
}

#[test]
fn febrl3_at_least_splink() {
    let Some(dir) = data_dir() else { return };
    let peer = Peer {
        precision: 1.0,
        recall: 0.9882,
        f1: 0.9941,
    };
    dedupe(&dir, "febrl3.csv", "febrl3_true_pairs.csv", peer);
}

#[test]
fn febrl4_two_files_at_least_splink() {
    let Some(dir) = data_dir() else { return };
    let spec = model();
    let mut table = RecordTable::new(&spec);
    table
        .read_csv(&dir.join("febrl4a.csv"), "rec_id", 0)
        .unwrap();
    table
        .read_csv(&dir.join("febrl4b.csv"), "rec_id", 1)
        .unwrap();
    let mut truth = entities(&dir.join("febrl4a.csv"));
    truth.extend(entities(&dir.join("febrl4b.csv")));
    let linkage = link_table(&table, &spec, LinkMode::LinkOnly, None).unwrap();
    let scores = evaluate(&table, &linkage.cluster_of, &truth);
    assert_eq!(
        scores.true_pairs,
        count_rows(&dir.join("febrl4_true_links.csv"))
    );
    let peer = Peer {
        precision: 1.0,
        recall: 0.9916,
        f1: 0.9958,
    };
    check("febrl4a + febrl4b", &scores, &peer);
}

// A model trained on febrl3, saved as JSON and read back, scores febrl2
// without retraining. The minimum is Splink's febrl2 figure with a model
// trained on febrl2 itself (clusters at p >= 0.95).
#[test]
fn febrl3_model_scores_febrl2() {
    let Some(dir) = data_dir() else { return };
    let spec = model();
    let mut febrl3 = RecordTable::new(&spec);
    febrl3
        .read_csv(&dir.join("febrl3.csv"), "rec_id", 0)
        .unwrap();
    let trained = link_table(&febrl3, &spec, LinkMode::Dedupe, None).unwrap();
    let saved = TrainedModel {
        spec: spec.clone(),
        model: trained.model,
    };
    let loaded = TrainedModel::from_json(&saved.to_json()).unwrap();

    let path = dir.join("febrl2.csv");
    let mut febrl2 = RecordTable::new(&spec);
    febrl2.read_csv(&path, "rec_id", 0).unwrap();
    let linkage =
        link_table(&febrl2, &spec, LinkMode::Dedupe, Some(&loaded.model))
            .unwrap();
    assert!(linkage.summary.reused_model);
    let scores = evaluate(&febrl2, &linkage.cluster_of, &entities(&path));
    let peer = Peer {
        precision: 1.0,
        recall: 0.9953,
        f1: 0.9977,
    };
    check("febrl2 scored with the febrl3 model", &scores, &peer);
}
