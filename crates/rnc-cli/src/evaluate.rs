//! Comparison of a release with the truth written by `rnc synth`.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use anyhow::Context;
use arrow::array::AsArray;
use rnc_link::evaluate::{PairwiseScores, pairwise_scores};
use rnc_store::parquet_io::read_parquet;

/// The comparison of a release with the synthetic truth.
#[derive(Debug, Clone)]
pub struct Evaluation {
    /// Pairwise linkage precision and recall over records present in both.
    pub linkage: PairwiseScores,
    /// Records of the release found in the truth.
    pub records_compared: u64,
    /// Tumours in the release.
    pub tumours: u64,
    /// Tumours in the truth.
    pub true_tumours: u64,
    /// Malignant tumours (behaviour 3) by site group of the French
    /// national estimates: (site group code, found in the release, true).
    pub by_site_group: Vec<(String, u64, u64)>,
}

impl Evaluation {
    /// Relative difference of the tumour count from the truth, in percent.
    pub fn tumour_difference_percent(&self) -> f64 {
        100.0 * (self.tumours as f64 - self.true_tumours as f64)
            / self.true_tumours.max(1) as f64
    }
}

/// Compares the release in `release_dir` with `truth_dir`
/// (`records.csv`, `tumours.csv`).
pub fn evaluate(
    release_dir: &Path,
    truth_dir: &Path,
) -> anyhow::Result<Evaluation> {
    let truth_person = read_truth_persons(&truth_dir.join("records.csv"))?;
    let true_tumours = count_csv_rows(&truth_dir.join("tumours.csv"))?;
    let mut by_site_group: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for site_group in read_truth_site_groups(&truth_dir.join("tumours.csv"))? {
        by_site_group.entry(site_group).or_default().1 += 1;
    }

    let mut predicted = Vec::new();
    let mut truth = Vec::new();
    let mut predicted_labels: HashMap<String, u32> = HashMap::new();
    let mut truth_labels: HashMap<String, u32> = HashMap::new();
    for batch in read_parquet(&release_dir.join("source_records.parquet"))? {
        let records = batch
            .column_by_name("record_id")
            .context("record_id column")?
            .as_string::<i32>();
        let persons = batch
            .column_by_name("person_id")
            .context("person_id column")?
            .as_string::<i32>();
        for i in 0..batch.num_rows() {
            let Some(true_person) = truth_person.get(records.value(i)) else {
                continue;
            };
            let next = predicted_labels.len() as u32;
            predicted.push(
                *predicted_labels
                    .entry(persons.value(i).to_string())
                    .or_insert(next),
            );
            let next = truth_labels.len() as u32;
            truth
                .push(*truth_labels.entry(true_person.clone()).or_insert(next));
        }
    }
    let tumour_batches = read_parquet(&release_dir.join("tumours.parquet"))?;
    let tumours = tumour_batches.iter().map(|b| b.num_rows() as u64).sum();
    for batch in &tumour_batches {
        // The generator draws malignant tumours only, so in situ and
        // uncertain bladder tumours, which ENCR counts, are left out.
        for tumour in rnc_rules::batch_to_tumours(batch)? {
            if tumour.morphology.behaviour().code() == 3 {
                by_site_group.entry(tumour.site_group).or_default().0 += 1;
            }
        }
    }
    Ok(Evaluation {
        linkage: pairwise_scores(&predicted, &truth),
        records_compared: predicted.len() as u64,
        tumours,
        true_tumours,
        by_site_group: by_site_group
            .into_iter()
            .map(|(group, (found, truth))| (group, found, truth))
            .collect(),
    })
}

/// Reads the site group of each true tumour from its ICD-10 code.
fn read_truth_site_groups(path: &Path) -> anyhow::Result<Vec<String>> {
    let mut reader = csv::Reader::from_path(path)
        .with_context(|| format!("reading {}", path.display()))?;
    let headers = reader.headers()?.clone();
    let icd10_at = headers
        .iter()
        .position(|h| h == "icd10")
        .with_context(|| format!("{} lacks column icd10", path.display()))?;
    let mut groups = Vec::new();
    for row in reader.records() {
        let row = row?;
        let code: rnc_codes::Icd10 =
            row[icd10_at].parse().with_context(|| {
                format!("{}: invalid ICD-10 code", path.display())
            })?;
        groups.push(rnc_codes::site_group(&code).code.to_string());
    }
    Ok(groups)
}

/// Prints pairwise precision, recall and F1 against the truth on one line.
pub fn print_linkage_scores(scores: &PairwiseScores) {
    println!(
        "linkage against the truth: pairwise precision {:.6}, recall {:.6}, F1 {:.6} ({} true pairs, {} predicted, {} correct)",
        scores.precision,
        scores.recall,
        scores.f1,
        scores.true_pairs,
        scores.predicted_pairs,
        scores.correct_pairs
    );
}

/// Pairwise precision, recall and F1 of a person map (record id to person
/// id) against the true persons in `truth_records` (the `records.csv` of
/// `rnc synth`), over the records present in both.
pub fn person_map_scores(
    person_of: &HashMap<String, String>,
    truth_records: &Path,
) -> anyhow::Result<PairwiseScores> {
    let truth_person = read_truth_persons(truth_records)?;
    let mut predicted_labels: HashMap<&str, u32> = HashMap::new();
    let mut truth_labels: HashMap<&str, u32> = HashMap::new();
    let (mut predicted, mut truth) = (Vec::new(), Vec::new());
    let mut records: Vec<(&String, &String)> = person_of.iter().collect();
    records.sort();
    for (record, person) in records {
        let Some(true_person) = truth_person.get(record) else {
            continue;
        };
        let next = predicted_labels.len() as u32;
        predicted.push(*predicted_labels.entry(person).or_insert(next));
        let next = truth_labels.len() as u32;
        truth.push(*truth_labels.entry(true_person).or_insert(next));
    }
    anyhow::ensure!(
        !predicted.is_empty(),
        "no linked record is in {}: pass the records.csv of the synthetic set that was ingested",
        truth_records.display()
    );
    Ok(pairwise_scores(&predicted, &truth))
}

fn read_truth_persons(path: &Path) -> anyhow::Result<HashMap<String, String>> {
    let mut reader = csv::Reader::from_path(path)
        .with_context(|| format!("reading {}", path.display()))?;
    let headers = reader.headers()?.clone();
    let at = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .with_context(|| format!("{} lacks column {name}", path.display()))
    };
    let (record_at, person_at) = (at("record_id")?, at("person_id")?);
    let mut map = HashMap::new();
    for row in reader.records() {
        let row = row?;
        map.insert(row[record_at].to_string(), row[person_at].to_string());
    }
    Ok(map)
}

fn count_csv_rows(path: &Path) -> anyhow::Result<u64> {
    let mut reader = csv::Reader::from_path(path)
        .with_context(|| format!("reading {}", path.display()))?;
    let mut count = 0;
    for row in reader.records() {
        row?;
        count += 1;
    }
    Ok(count)
}
