//! `rnc pathway --truth DIR`: the indicators against the truth files of
//! `rnc synth`.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use anyhow::Context;
use chrono::NaiveDate;
use rnc_model::{ScreeningProgramme, ScreeningTest};
use rnc_pathway::Modality;
use rnc_pathway::attribution::site_group_programme;
use rnc_pathway::screening::{DetectionMode, ScreeningSettings};
use rnc_pathway::truth::{
    Deviation, MatchedTumour, TrueTumour, compare_with_truth,
};

use super::{Analysis, ReleaseData};

/// Reads a CSV file of the truth into one map per row.
fn read_rows(path: &Path) -> anyhow::Result<Vec<HashMap<String, String>>> {
    let mut reader = csv::Reader::from_path(path).with_context(|| {
        format!(
            "opening {} (is --truth the folder rnc synth wrote?)",
            path.display()
        )
    })?;
    let header: Vec<String> =
        reader.headers()?.iter().map(str::to_string).collect();
    let mut rows = Vec::new();
    for record in reader.records() {
        let record =
            record.with_context(|| format!("reading {}", path.display()))?;
        rows.push(
            header
                .iter()
                .cloned()
                .zip(record.iter().map(str::to_string))
                .collect(),
        );
    }
    Ok(rows)
}

fn modality(label: &str) -> Option<Modality> {
    Modality::ALL.into_iter().find(|m| m.label() == label)
}

/// Matches each registry tumour with the true tumour most of its records
/// come from, and compares the indicators. `truth_dir` contains `truth/`
/// (or is it).
pub(crate) fn compare(
    truth_dir: &Path,
    data: &ReleaseData,
    analysis: &Analysis,
    closing_date: NaiveDate,
) -> anyhow::Result<Vec<Deviation>> {
    let dir = if truth_dir.join("truth").is_dir() {
        truth_dir.join("truth")
    } else {
        truth_dir.to_path_buf()
    };
    let mut record_tumour: HashMap<String, String> = HashMap::new();
    let mut reader = csv::Reader::from_path(dir.join("records.csv"))
        .with_context(|| {
            format!("opening {}", dir.join("records.csv").display())
        })?;
    for record in reader.records() {
        let record = record?;
        let (Some(id), Some(tumour)) = (record.get(0), record.get(2)) else {
            continue;
        };
        if !tumour.is_empty() {
            record_tumour.insert(id.to_string(), tumour.to_string());
        }
    }
    let deaths: HashMap<String, NaiveDate> =
        read_rows(&dir.join("persons.csv"))?
            .into_iter()
            .filter_map(|row| {
                let date =
                    NaiveDate::parse_from_str(&row["death_date"], "%Y-%m-%d")
                        .ok()?;
                Some((row["person_id"].clone(), date))
            })
            .collect();
    let true_tumours: HashMap<String, HashMap<String, String>> =
        read_rows(&dir.join("tumours.csv"))?
            .into_iter()
            .map(|row| (row["tumour_id"].clone(), row))
            .collect();
    let pathways: HashMap<String, HashMap<String, String>> =
        read_rows(&dir.join("pathways.csv"))?
            .into_iter()
            .map(|row| (row["tumour_id"].clone(), row))
            .collect();

    // The generator's truth includes the tests before the first file, so a
    // cancer diagnosed within one interval of the first test in the data
    // can be a true interval cancer that no file shows. The comparison of
    // modes starts one full interval after the first test.
    let first_test = data
        .records
        .iter()
        .filter(|r| r.record.screening_programme.is_some())
        .filter_map(|r| r.record.event_date.as_ref().and_then(|d| d.complete()))
        .min();
    let settings = ScreeningSettings::default();
    let history_complete =
        |tumour: &rnc_model::Tumour, diagnosis: Option<NaiveDate>| {
            let longest = match site_group_programme(&tumour.site_group) {
                Some(ScreeningProgramme::Cervical) => {
                    settings.interval_days(ScreeningTest::Hpv)
                }
                _ => settings.interval_days(ScreeningTest::Mammography),
            };
            matches!((first_test, diagnosis), (Some(first), Some(d)) if (d - first).num_days() >= longest)
        };
    let mut excluded_early = 0;
    let mut matched = Vec::new();
    for (index, tumour) in data.tumours.iter().enumerate() {
        let mut votes: BTreeMap<&str, usize> = BTreeMap::new();
        for id in &tumour.record_ids {
            if let Some(truth) = record_tumour.get(id) {
                *votes.entry(truth.as_str()).or_default() += 1;
            }
        }
        let Some((truth_id, _)) = votes
            .into_iter()
            .max_by_key(|(id, n)| (*n, std::cmp::Reverse(*id)))
        else {
            continue;
        };
        let Some(pathway) = pathways.get(truth_id) else {
            continue;
        };
        let mut detection = analysis.detections.get(&index).map(|d| d.mode);
        if detection.is_some()
            && !history_complete(tumour, analysis.pathways[index].diagnosis)
        {
            excluded_early += 1;
            detection = None;
        }
        matched.push(MatchedTumour {
            pathway: &analysis.pathways[index],
            detection_mode: detection,
            truth: TrueTumour {
                delay_days: pathway["delay_days"].parse().ok(),
                first_modality: modality(&pathway["first_treatment"]),
                detection_mode: detection
                    .and(true_tumours.get(truth_id))
                    .and_then(|t| {
                        DetectionMode::from_label(&t["detection_mode"])
                    }),
                surgery: NaiveDate::parse_from_str(
                    &pathway["surgery_date"],
                    "%Y-%m-%d",
                )
                .ok(),
                death: true_tumours
                    .get(truth_id)
                    .and_then(|t| deaths.get(&t["person_id"]))
                    .copied(),
            },
        });
    }
    println!(
        "{} of {} registry tumours matched to a true tumour; {excluded_early} of a screened site diagnosed within one interval of the first screening test left out of the detection modes",
        matched.len(),
        data.tumours.len()
    );
    Ok(compare_with_truth(&matched, closing_date))
}

/// Prints the deviations as a table.
pub(crate) fn print(deviations: &[Deviation]) {
    let show = |x: Option<f64>| {
        x.map_or_else(|| "-".to_string(), |x| format!("{x:.3}"))
    };
    println!("pathway indicators against the truth");
    println!(
        "{:<44} {:>9} {:>9} {:>10}",
        "indicator", "registry", "truth", "deviation"
    );
    for d in deviations {
        println!(
            "{:<44} {:>9} {:>9} {:>10}",
            d.indicator,
            show(d.registry),
            show(d.truth),
            d.difference()
                .map_or_else(|| "-".to_string(), |x| format!("{x:+.3}"))
        );
    }
}
