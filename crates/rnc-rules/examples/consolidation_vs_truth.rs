//! Compares consolidation with the generator's true tumours, tumour by
//! tumour, on synthetic feeds with each record given its true person (so
//! that linkage errors do not enter).
//!
//! ```sh
//! cargo run --release -p rnc-rules --example consolidation_vs_truth -- \
//!     150000 11 default
//! ```
//!
//! The arguments are the number of persons, the seed, and the noise:
//! `default` (every kind of `rnc synth` at its default share) or
//! `identifiers` (identifier errors only). It prints the malignant tumours
//! by site group against the truth, then each true tumour split over
//! several tumours, each tumour merging several true ones and each true
//! tumour missed, tallied by source kinds, noise and codes.

#[path = "../tests/common/synthetic.rs"]
mod synthetic;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use rnc_codes::{Icd10, histology_group, multiple_primary_site, site_group};
use rnc_model::Tumour;
use rnc_rules::consolidate_person;
use rnc_synth::{FeedFormats, NoiseConfig, NoiseKind, SynthConfig};

/// Examples printed for each of the most frequent patterns.
const EXAMPLES: usize = 3;

/// Patterns printed per kind of mismatch.
const PATTERNS: usize = 25;

/// The true tumour of one record and the noise it carries.
struct TrueRecord {
    tumour_id: Option<String>,
    noise: String,
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let persons: u64 = args.first().map_or(150_000, |a| a.parse().unwrap());
    let seed: u64 = args.get(1).map_or(11, |a| a.parse().unwrap());
    let noise = match args.get(2).map_or("default", String::as_str) {
        "default" => NoiseConfig::default(),
        "identifiers" => {
            NoiseConfig::default().without(&NoiseKind::BEYOND_IDENTIFIERS)
        }
        other => panic!("noise {other}: expected default or identifiers"),
    };
    let dir = tempfile::tempdir().unwrap();
    let config = SynthConfig {
        persons,
        seed,
        formats: FeedFormats::native(),
        noise,
        ..SynthConfig::default()
    };
    rnc_synth::write_synthetic(&config, dir.path()).unwrap();
    let truth = dir.path().join("truth");
    let (records, quarantined) =
        synthetic::ingest_all(dir.path(), &config.formats);
    eprintln!("{} records, {quarantined} quarantined", records.len());

    let mut true_records: HashMap<String, TrueRecord> = HashMap::new();
    for row in synthetic::read_csv(&truth.join("records.csv")) {
        let tumour = row["tumour_id"].clone();
        let entry = true_records.entry(row["record_id"].clone()).or_insert(
            TrueRecord {
                tumour_id: (!tumour.is_empty()).then_some(tumour),
                noise: String::new(),
            },
        );
        if !row["noise"].is_empty() {
            if !entry.noise.is_empty() {
                entry.noise.push('|');
            }
            entry.noise.push_str(&row["noise"]);
        }
    }
    let true_tumours: BTreeMap<String, HashMap<String, String>> =
        synthetic::read_csv(&truth.join("tumours.csv"))
            .into_iter()
            .map(|row| (row["tumour_id"].clone(), row))
            .collect();

    let by_person = synthetic::by_true_person(&truth, &records);
    let mut found: Vec<Tumour> = Vec::new();
    for (person, own) in &by_person {
        found.extend(
            consolidate_person(person, own)
                .tumours
                .into_iter()
                .filter(|t| t.morphology.behaviour().code() == 3),
        );
    }
    print_site_groups(&true_tumours, &found);

    // Each tumour found goes to the true tumour most of its records
    // describe.
    let mut assigned: BTreeMap<&str, Vec<&Tumour>> = BTreeMap::new();
    let mut merges: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut spurious: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for tumour in &found {
        let mut votes: BTreeMap<&str, usize> = BTreeMap::new();
        for id in &tumour.record_ids {
            if let Some(t) = true_records[id].tumour_id.as_deref() {
                *votes.entry(t).or_default() += 1;
            }
        }
        let Some((&main, _)) = votes.iter().max_by_key(|(t, n)| (**n, *t))
        else {
            let key = format!(
                "{} {}",
                kinds(tumour),
                noise_of(&true_records, &tumour.record_ids)
            );
            spurious.entry(key).or_default().push(describe(tumour));
            continue;
        };
        if votes.len() > 1 {
            let key =
                format!("{} true tumours, {}", votes.len(), kinds(tumour));
            merges.entry(key).or_default().push(describe(tumour));
        }
        assigned.entry(main).or_default().push(tumour);
    }

    let mut splits: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut missed: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (id, row) in &true_tumours {
        let parts = assigned.get(id.as_str()).map_or(&[][..], Vec::as_slice);
        match parts {
            [] => {
                let key =
                    format!("{} {}", row["site_group"], row["morphology"]);
                missed.entry(key).or_default().push(format!(
                    "{id} {} {} {}",
                    row["topography"], row["morphology"], row["incidence_date"]
                ));
            }
            [_] => {}
            [first, rest @ ..] => {
                for extra in rest {
                    let key = split_key(first, extra, &true_records);
                    splits.entry(key).or_default().push(format!(
                        "{} | {}",
                        describe(first),
                        describe(extra)
                    ));
                }
            }
        }
    }
    print_patterns("splits (a true tumour counted more than once)", &splits);
    print_patterns("merges (a tumour holding several true ones)", &merges);
    print_patterns("spurious (no true tumour behind)", &spurious);
    print_patterns("missed (a true tumour found nowhere)", &missed);
}

fn kinds(tumour: &Tumour) -> String {
    tumour
        .sources
        .iter()
        .map(|k| k.name())
        .collect::<Vec<_>>()
        .join("+")
}

fn noise_of(truth: &HashMap<String, TrueRecord>, ids: &[String]) -> String {
    let kinds: BTreeSet<&str> = ids
        .iter()
        .flat_map(|id| truth[id].noise.split('|'))
        .filter(|n| !n.is_empty())
        .collect();
    if kinds.is_empty() {
        "no-noise".into()
    } else {
        kinds.into_iter().collect::<Vec<_>>().join("|")
    }
}

fn describe(tumour: &Tumour) -> String {
    format!(
        "{} {} {}/{} {} {} [{}]",
        tumour
            .incidence_date
            .map_or_else(|| "unknown".to_owned(), |date| date.to_iso()),
        tumour.topography,
        tumour.morphology.histology(),
        tumour.morphology.behaviour().code(),
        tumour.icd10,
        tumour.site_group,
        kinds(tumour)
    )
}

/// Pattern of a split: the extra part's sources and noise, whether its
/// multiple-primary site and histology group agree with the first part,
/// and the whole years between their incidence dates.
fn split_key(
    first: &Tumour,
    extra: &Tumour,
    truth: &HashMap<String, TrueRecord>,
) -> String {
    let same_site = multiple_primary_site(first.topography)
        == multiple_primary_site(extra.topography);
    let same_group = histology_group(first.morphology.histology())
        == histology_group(extra.morphology.histology());
    let years_apart = match (first.incidence_date, extra.incidence_date) {
        (Some(a), Some(b)) => {
            ((a.midpoint() - b.midpoint()).num_days().abs() / 365).to_string()
        }
        _ => "unknown".to_owned(),
    };
    format!(
        "extra [{}] noise {} | site {} histology {} | {} years apart",
        kinds(extra),
        noise_of(truth, &extra.record_ids),
        if same_site { "same" } else { "differs" },
        if same_group { "same" } else { "differs" },
        years_apart
    )
}

fn print_patterns(title: &str, patterns: &BTreeMap<String, Vec<String>>) {
    let total: usize = patterns.values().map(Vec::len).sum();
    println!("\n{title}: {total}");
    let mut sorted: Vec<(&String, &Vec<String>)> = patterns.iter().collect();
    sorted.sort_by_key(|(key, list)| (std::cmp::Reverse(list.len()), *key));
    for (key, list) in sorted.into_iter().take(PATTERNS) {
        println!("{:>6}  {key}", list.len());
        for example in list.iter().take(EXAMPLES) {
            println!("          {example}");
        }
    }
}

fn print_site_groups(
    true_tumours: &BTreeMap<String, HashMap<String, String>>,
    found: &[Tumour],
) {
    let mut counts: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for row in true_tumours.values() {
        let code: Icd10 = row["icd10"].parse().expect("truth ICD-10 parses");
        counts
            .entry(site_group(&code).code.to_string())
            .or_default()
            .0 += 1;
    }
    for tumour in found {
        counts.entry(tumour.site_group.clone()).or_default().1 += 1;
    }
    println!(
        "{:<26} {:>8} {:>8} {:>8}",
        "site group", "truth", "found", "diff %"
    );
    let (mut all_true, mut all_found) = (0, 0);
    for (group, (truth, found)) in &counts {
        all_true += truth;
        all_found += found;
        let difference =
            100.0 * (*found as f64 - *truth as f64) / (*truth).max(1) as f64;
        println!("{group:<26} {truth:>8} {found:>8} {difference:>+8.2}");
    }
    let difference =
        100.0 * (all_found as f64 - all_true as f64) / all_true as f64;
    println!(
        "{:<26} {all_true:>8} {all_found:>8} {difference:>+8.2}",
        "all"
    );
}
