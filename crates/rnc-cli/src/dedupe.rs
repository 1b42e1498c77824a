//! `rnc dedupe` and `rnc link-files`: probabilistic linkage of any CSV
//! under a model file, outside the registry.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use clap::Args;
use rnc_link::{
    FellegiSunterModel, FileLinkage, KeptPairs, LinkMode, ModelSpec,
    RecordTable, ScoredPairs, TrainedModel,
};

use crate::commands::Outcome;
use crate::progress;

/// Options shared by `rnc dedupe` and `rnc link-files`.
#[derive(Debug, Args)]
pub struct FileLinkOptions {
    /// Column holding each record's id, unique within a file.
    #[arg(long)]
    pub id_column: String,
    /// Linkage model file (TOML) declaring the comparisons and the
    /// blocking rules; see examples/febrl.toml.
    #[arg(long)]
    pub model: PathBuf,
    /// Output CSV: one row per input record with its cluster id.
    #[arg(long)]
    pub out: PathBuf,
    /// Also write every scored candidate pair, with its match weight,
    /// probability and comparison levels, to this CSV. Without it only
    /// the linked pairs are held in memory; with it every candidate pair
    /// is (about 30 bytes each).
    #[arg(long)]
    pub pairs: Option<PathBuf>,
    /// Write to this CSV the linked pairs that the model's
    /// clustering.cannot_link kept out of the clusters, because they
    /// would have joined records that strongly disagree, with their
    /// weights and comparison levels, for a reviewer.
    #[arg(long)]
    pub review: Option<PathBuf>,
    /// Write the trained parameters (JSON) to this file, to score new data
    /// later with --trained-model.
    #[arg(long)]
    pub save_model: Option<PathBuf>,
    /// Score with the parameters saved by --save-model instead of
    /// training; the model file must be the one they were trained with.
    #[arg(long)]
    pub trained_model: Option<PathBuf>,
    /// Match probability at or above which pairs are linked (default: the
    /// model file's `settings.threshold`).
    #[arg(long)]
    pub threshold: Option<f64>,
    /// Column holding each record's true entity (synthetic data): after
    /// linking, print pairwise precision, recall and F1 of the clusters,
    /// and per comparison level the learned m and u beside their true
    /// values. The column is not used for linking.
    #[arg(long, value_name = "COLUMN")]
    pub truth_column: Option<String>,
}

/// Arguments of `rnc dedupe`.
#[derive(Debug, Args)]
pub struct DedupeArgs {
    /// CSV file with a header line.
    pub file: PathBuf,
    #[command(flatten)]
    pub options: FileLinkOptions,
}

/// Arguments of `rnc link-files`.
#[derive(Debug, Args)]
pub struct LinkFilesArgs {
    /// First CSV file (source `a`).
    pub file_a: PathBuf,
    /// Second CSV file (source `b`); only pairs across the two files are
    /// compared.
    pub file_b: PathBuf,
    #[command(flatten)]
    pub options: FileLinkOptions,
}

/// Runs `rnc dedupe`.
pub fn dedupe(args: &DedupeArgs) -> anyhow::Result<Outcome> {
    run(&[&args.file], &args.options, LinkMode::Dedupe)
}

/// Runs `rnc link-files`.
pub fn link_files(args: &LinkFilesArgs) -> anyhow::Result<Outcome> {
    run(
        &[&args.file_a, &args.file_b],
        &args.options,
        LinkMode::LinkOnly,
    )
}

const SOURCE_NAMES: [&str; 2] = ["a", "b"];

fn run(
    files: &[&PathBuf],
    options: &FileLinkOptions,
    mode: LinkMode,
) -> anyhow::Result<Outcome> {
    let started = Instant::now();
    let mut outputs: Vec<&Path> = vec![options.out.as_path()];
    outputs.extend(options.pairs.as_deref());
    outputs.extend(options.review.as_deref());
    outputs.extend(options.save_model.as_deref());
    for (index, output) in outputs.iter().enumerate() {
        let mut others: Vec<&Path> =
            files.iter().map(|f| f.as_path()).collect();
        others.extend(
            outputs
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != index)
                .map(|(_, o)| *o),
        );
        others.push(options.model.as_path());
        others.extend(options.trained_model.as_deref());
        crate::pipeline::check_output_path(output, None, None, &others)?;
    }
    let (spec, trained) = load_model(options)?;
    let bar = progress::spinner("link");
    let mut table = RecordTable::new(&spec);
    for (source, file) in files.iter().enumerate() {
        bar.set_message(format!("reading {}", file.display()));
        let rows = table.read_csv(file, &options.id_column, source as u8)?;
        println!("{}: {rows} records read", file.display());
    }

    let estimates = rnc_link::estimate_comparisons(&table, &spec, mode)?;
    let total: u64 = estimates.iter().map(|e| e.pairs).sum();
    println!(
        "blocking: about {total} comparisons before removing pairs found by several rules"
    );
    for estimate in &estimates {
        println!(
            "  {:<32} {:>12} pairs, {} records without a key",
            estimate.rule, estimate.pairs, estimate.records_without_key
        );
    }

    bar.set_message(format!("linking {} records", table.len()));
    let kept = if options.pairs.is_some() {
        KeptPairs::All
    } else {
        KeptPairs::Linked
    };
    let linkage = rnc_link::link_table_keeping(
        &table,
        &spec,
        mode,
        trained.as_ref().map(|t| &t.model),
        kept,
    )?;
    bar.set_message("writing");
    write_clusters(&options.out, &table, &linkage, &options.id_column, mode)?;
    if let Some(path) = &options.pairs {
        write_pairs(path, &table, &linkage.pairs, &linkage.model, mode)?;
    }
    if let Some(path) = &options.review {
        write_pairs(path, &table, &linkage.kept_apart, &linkage.model, mode)?;
    }
    if let Some(path) = &options.save_model {
        let saved = TrainedModel {
            spec: spec.clone(),
            model: linkage.model.clone(),
        };
        std::fs::write(path, saved.to_json())
            .with_context(|| format!("writing model {}", path.display()))?;
    }
    bar.finish_and_clear();
    print_summary(&linkage, options, started);
    if let Some(column) = &options.truth_column {
        print_truth_evaluation(
            &table, &spec, &linkage, files, options, column,
        )?;
    }
    let flagged = !linkage.summary.disabled_comparisons.is_empty()
        || !linkage.kept_apart.is_empty();
    Ok(if flagged {
        Outcome::Flagged
    } else {
        Outcome::Clean
    })
}

/// Reads the model file, applies --threshold and reads the saved
/// parameters.
fn load_model(
    options: &FileLinkOptions,
) -> anyhow::Result<(ModelSpec, Option<TrainedModel>)> {
    let text = std::fs::read_to_string(&options.model).with_context(|| {
        format!("reading model file {}", options.model.display())
    })?;
    let mut spec = ModelSpec::from_toml(&text)
        .with_context(|| format!("model file {}", options.model.display()))?;
    if let Some(threshold) = options.threshold {
        spec.settings.threshold = threshold;
        spec.validate()
            .context("--threshold must be a probability in (0, 1]")?;
    }
    let trained = match &options.trained_model {
        None => None,
        Some(path) => {
            let json = std::fs::read_to_string(path).with_context(|| {
                format!("reading trained model {}", path.display())
            })?;
            let trained = TrainedModel::from_json(&json)
                .with_context(|| format!("trained model {}", path.display()))?;
            anyhow::ensure!(
                trained.spec.comparisons == spec.comparisons,
                "trained model {} was trained with other comparisons than {}: train again or pass its model file",
                path.display(),
                options.model.display()
            );
            Some(trained)
        }
    };
    Ok((spec, trained))
}

fn write_clusters(
    path: &Path,
    table: &RecordTable,
    linkage: &FileLinkage,
    id_column: &str,
    mode: LinkMode,
) -> anyhow::Result<()> {
    let mut writer = csv::Writer::from_path(path)
        .with_context(|| format!("creating {}", path.display()))?;
    if mode == LinkMode::LinkOnly {
        writer.write_record(["source", id_column, "cluster_id"])?;
    } else {
        writer.write_record([id_column, "cluster_id"])?;
    }
    for (row, id) in table.ids().iter().enumerate() {
        let cluster = linkage.cluster_of[row].to_string();
        if mode == LinkMode::LinkOnly {
            let source = SOURCE_NAMES[usize::from(table.sources()[row])];
            writer.write_record([source, id.as_str(), cluster.as_str()])?;
        } else {
            writer.write_record([id.as_str(), cluster.as_str()])?;
        }
    }
    writer
        .flush()
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

fn write_pairs(
    path: &Path,
    table: &RecordTable,
    pairs: &ScoredPairs,
    model: &FellegiSunterModel,
    mode: LinkMode,
) -> anyhow::Result<()> {
    let mut writer = csv::Writer::from_path(path)
        .with_context(|| format!("creating {}", path.display()))?;
    let mut header = vec!["id_left".to_string(), "id_right".to_string()];
    if mode == LinkMode::LinkOnly {
        header.extend(["source_left".to_string(), "source_right".to_string()]);
    }
    header
        .extend(["match_weight".to_string(), "match_probability".to_string()]);
    header.extend(
        model
            .comparisons
            .iter()
            .map(|c| format!("gamma_{}", c.name)),
    );
    writer.write_record(&header)?;
    for i in 0..pairs.len() {
        let (left, right) = (pairs.left[i] as usize, pairs.right[i] as usize);
        let mut row =
            vec![table.ids()[left].clone(), table.ids()[right].clone()];
        if mode == LinkMode::LinkOnly {
            row.push(
                SOURCE_NAMES[usize::from(table.sources()[left])].to_string(),
            );
            row.push(
                SOURCE_NAMES[usize::from(table.sources()[right])].to_string(),
            );
        }
        row.push(format!("{:.6}", pairs.match_weight[i]));
        row.push(format!("{:.9}", pairs.match_probability[i]));
        row.extend(pairs.levels_of(i).iter().map(u8::to_string));
        writer.write_record(&row)?;
    }
    writer
        .flush()
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

fn print_summary(
    linkage: &FileLinkage,
    options: &FileLinkOptions,
    started: Instant,
) {
    let model = &linkage.model;
    let s = &linkage.summary;
    if s.reused_model {
        println!(
            "parameters from {} (no training)",
            options
                .trained_model
                .as_deref()
                .unwrap_or(Path::new(""))
                .display()
        );
    } else {
        for session in &model.sessions {
            println!(
                "EM session {}: {} pairs, {} iterations, {} (largest last change {:.2e}), estimated {}",
                session.name,
                session.pairs,
                session.iterations,
                if session.converged {
                    "converged"
                } else {
                    "not converged"
                },
                session.max_parameter_change,
                session.estimated.join(", ")
            );
        }
    }
    println!("lambda (prior match probability) {:.6e}", model.lambda);
    for comparison in &model.comparisons {
        let levels: Vec<String> = comparison
            .levels
            .iter()
            .filter(|l| !l.is_null)
            .map(|l| format!("{} {:+.2}", l.name, l.weight()))
            .collect();
        println!("  {}: {}", comparison.name, levels.join("; "));
    }
    for name in &s.disabled_comparisons {
        println!(
            "warning: comparison {name}: column is 100% missing, disabled for this run"
        );
    }
    if s.cannot_link_skipped_pairs > 0 {
        let review = match &options.review {
            Some(path) => format!("listed in {}", path.display()),
            None => "pass --review FILE to list them".to_string(),
        };
        println!(
            "chain guard: {} linked pairs kept apart by clustering.cannot_link ({review})",
            s.cannot_link_skipped_pairs
        );
    }
    println!(
        "link: {} records, {} candidate pairs scored, {} at or above the threshold, {} clusters written to {} in {:.1} s",
        s.records,
        s.candidate_pairs,
        s.linked_pairs,
        s.clusters,
        options.out.display(),
        started.elapsed().as_secs_f64()
    );
}

/// Reads the true entity of every record from `column` of the input files
/// and prints the pairwise scores of the clusters and the learned against
/// the true m and u.
fn print_truth_evaluation(
    table: &RecordTable,
    spec: &ModelSpec,
    linkage: &FileLinkage,
    files: &[&PathBuf],
    options: &FileLinkOptions,
    column: &str,
) -> anyhow::Result<()> {
    let mut entity_of: HashMap<(u8, String), String> = HashMap::new();
    for (source, file) in files.iter().enumerate() {
        let mut reader = csv::Reader::from_path(file)
            .with_context(|| format!("reading {}", file.display()))?;
        let headers = reader.headers()?.clone();
        let find = |name: &str| {
            headers
                .iter()
                .position(|h| h.trim_start_matches('\u{feff}').trim() == name)
                .with_context(|| {
                    format!("{}: column {name} not found", file.display())
                })
        };
        let (id_position, truth_position) =
            (find(&options.id_column)?, find(column)?);
        for row in reader.records() {
            let row = row?;
            let id = row.get(id_position).unwrap_or("").trim().to_string();
            let entity = row.get(truth_position).unwrap_or("").to_string();
            entity_of.insert((source as u8, id), entity);
        }
    }
    let mut number_of: HashMap<&str, u32> = HashMap::new();
    let mut truth = Vec::with_capacity(table.len());
    for (id, &source) in table.ids().iter().zip(table.sources()) {
        let entity = entity_of
            .get(&(source, id.clone()))
            .with_context(|| format!("record {id} has no {column} value"))?;
        let next = number_of.len() as u32;
        truth.push(*number_of.entry(entity.as_str()).or_insert(next));
    }
    let scores =
        rnc_link::evaluate::pairwise_scores(&linkage.cluster_of, &truth);
    println!(
        "truth ({column}): {} true pairs, {} predicted, {} correct; precision {:.6}, recall {:.6}, F1 {:.6}",
        scores.true_pairs,
        scores.predicted_pairs,
        scores.correct_pairs,
        scores.precision,
        scores.recall,
        scores.f1
    );
    let checks = rnc_link::compare_parameters_with_truth(
        table,
        spec,
        &linkage.model,
        &truth,
    )?;
    println!(
        "  {:<12} {:<36} {:>9} {:>9} {:>11} {:>11}",
        "comparison", "level", "m", "true m", "u", "true u"
    );
    for check in checks {
        println!(
            "  {:<12} {:<36} {:>9.5} {:>9.5} {:>11.4e} {:>11.4e}",
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
