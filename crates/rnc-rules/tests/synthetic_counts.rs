//! Consolidation on synthetic feeds with every kind of noise of `rnc
//! synth` at its default share: duplicate submissions in the same or a
//! later file, late records, unspecified morphologies, three-character
//! ICD-10 codes, identifier errors. Each record is given its true person
//! (the generator's truth), so that linkage errors do not enter. The
//! malignant tumours counted by site group must match the generator's
//! true tumours, which it counts with the IARC/IACR 2004 multiple-primary
//! rules (`truth/tumours.csv` written by `rnc_synth::write_synthetic`),
//! within [`allowed_difference`]; the total within 1 %.

#[path = "common/synthetic.rs"]
mod synthetic;

use std::collections::BTreeMap;
use std::path::Path;

use rnc_codes::{Icd10, site_group};
use rnc_rules::consolidate_person;
use rnc_synth::{FeedFormats, NoiseConfig, SynthConfig, write_synthetic};

/// Persons in the synthetic population: enough for a dozen site groups
/// with 100 or more tumours, small enough for a debug build.
const PERSONS: u64 = 150_000;

/// Largest difference allowed between a site group's consolidated count
/// and its true count `truth`: 1 %, unless 1 % is below chance. Then it is
/// 3 standard deviations, 3 sqrt(0.01 truth), of a Binomial(truth, 0.01)
/// count of tumours that consolidation gets wrong. The two meet at 900
/// tumours; below that, 1 % of a group is less than a few tumours.
fn allowed_difference(truth: f64) -> f64 {
    (0.01 * truth).max(3.0 * (0.01 * truth).sqrt())
}

fn true_counts(truth: &Path) -> BTreeMap<String, u64> {
    let mut counts = BTreeMap::new();
    for row in synthetic::read_csv(&truth.join("tumours.csv")) {
        let code: Icd10 = row["icd10"].parse().expect("truth ICD-10 parses");
        *counts
            .entry(site_group(&code).code.to_string())
            .or_default() += 1;
    }
    counts
}

#[test]
fn site_counts_under_default_noise() {
    let dir = tempfile::tempdir().unwrap();
    // The native layout (one file per year, so that a duplicate sent in a
    // later file is ingested twice) with the default noise of every feed.
    let config = SynthConfig {
        persons: PERSONS,
        seed: 11,
        formats: FeedFormats::native(),
        noise: NoiseConfig::default(),
        ..SynthConfig::default()
    };
    write_synthetic(&config, dir.path()).unwrap();
    let truth = dir.path().join("truth");
    let (records, _) = synthetic::ingest_all(dir.path(), &config.formats);
    let by_person = synthetic::by_true_person(&truth, &records);

    let mut found: BTreeMap<String, u64> = BTreeMap::new();
    for (person, own) in &by_person {
        for tumour in consolidate_person(person, own).tumours {
            // The truth counts malignant tumours; in situ and uncertain
            // bladder tumours are counted by ENCR but not drawn by the
            // generator.
            if tumour.morphology.behaviour().code() == 3 {
                *found.entry(tumour.site_group).or_default() += 1;
            }
        }
    }

    let expected = true_counts(&truth);
    println!(
        "{:<26} {:>8} {:>8} {:>9} {:>8}",
        "site group", "truth", "found", "diff %", "allowed"
    );
    let mut failures = Vec::new();
    let mut groups: Vec<&String> =
        expected.keys().chain(found.keys()).collect();
    groups.sort();
    groups.dedup();
    for group in groups {
        let truth_count = expected.get(group).copied().unwrap_or(0) as f64;
        let found_count = found.get(group).copied().unwrap_or(0) as f64;
        let difference = found_count - truth_count;
        let allowed = allowed_difference(truth_count);
        println!(
            "{group:<26} {truth_count:>8} {found_count:>8} {:>+9.2} {allowed:>8.1}",
            100.0 * difference / truth_count.max(1.0)
        );
        if difference.abs() > allowed {
            failures.push(format!(
                "{group}: {found_count} found, {truth_count} true (allowed ±{allowed:.1})"
            ));
        }
    }
    let total_truth: u64 = expected.values().sum();
    let total_found: u64 = found.values().sum();
    let total_difference =
        100.0 * (total_found as f64 - total_truth as f64) / total_truth as f64;
    println!(
        "{:<26} {total_truth:>8} {total_found:>8} {total_difference:>+9.2}",
        "all"
    );
    assert!(
        total_difference.abs() <= 1.0,
        "total off by {total_difference:+.2} %"
    );
    assert!(failures.is_empty(), "site groups off: {failures:?}");
}
