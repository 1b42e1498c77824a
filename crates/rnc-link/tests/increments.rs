//! Linking with a saved model and linking a new batch against an earlier
//! run. Both are checked against a run that compares every pair, on
//! records from a small seeded generator: persons with several records,
//! typos in names and missing NIRs.

mod common;

use std::collections::HashSet;

use common::bloom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rnc_link::{
    FellegiSunterModel, LinkConfig, LinkOptions, PairMethod, PriorLinkage,
    PriorPair, link, link_with_options,
};
use rnc_model::{NirStatus, SaltedNames, Sex, SourceRecord};

const FIRST: [&str; 8] = [
    "JEAN", "MARIE", "PIERRE", "ANNE", "LOUIS", "CLAIRE", "PAUL", "JULIE",
];
const SURNAMES: [&str; 10] = [
    "MARTIN", "BERNARD", "DUBOIS", "THOMAS", "ROBERT", "RICHARD", "PETIT",
    "DURAND", "LEROY", "MOREAU",
];

fn typo(rng: &mut ChaCha8Rng, value: &str) -> String {
    let mut chars: Vec<char> = value.chars().collect();
    let i = rng.random_range(0..chars.len());
    chars[i] = if chars[i] == 'X' { 'Y' } else { 'X' };
    chars.into_iter().collect()
}

/// `persons` persons with 1 to 4 records each; about one record in ten has
/// a typo in a name and one in three lacks its NIR.
fn records(seed: u64, persons: usize) -> Vec<SourceRecord> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut out = Vec::new();
    for p in 0..persons {
        let first = FIRST[rng.random_range(0..FIRST.len())];
        let surname = format!(
            "{}{}",
            SURNAMES[rng.random_range(0..SURNAMES.len())],
            p % 97
        );
        let date = format!(
            "{}-{:02}-{:02}",
            rng.random_range(1930..2000),
            rng.random_range(1..13),
            rng.random_range(1..29)
        );
        let sex = if rng.random_bool(0.5) {
            Sex::Male
        } else {
            Sex::Female
        };
        for _ in 0..rng.random_range(1..=4) {
            let first = if rng.random_bool(0.1) {
                typo(&mut rng, first)
            } else {
                first.to_string()
            };
            let surname = if rng.random_bool(0.1) {
                typo(&mut rng, &surname)
            } else {
                surname.clone()
            };
            let has_nir = rng.random_bool(0.67);
            out.push(SourceRecord {
                record_id: format!("src/{:08x}", rng.random::<u32>()),
                nir_status: Some(NirStatus::Valid),
                nir_pseudonym: has_nir.then(|| format!("nir{p}")),
                sex: Some(sex),
                birth_date_pseudonym: Some(format!("d{date}")),
                // Names without a salt, which the linker compares as
                // names sharing one.
                month_salted_names: SaltedNames {
                    birth_name_pseudonym: Some(format!("s{surname}")),
                    birth_name_bloom: bloom(&surname),
                    first_name_pseudonym: Some(format!("f{first}")),
                    first_name_bloom: bloom(&first),
                    ..Default::default()
                }
                .into(),
                departement: Some(format!("{:02}", p % 95 + 1)),
                ..Default::default()
            });
        }
    }
    out
}

fn config() -> LinkConfig {
    LinkConfig {
        seed: 3,
        ..LinkConfig::default()
    }
}

/// What the earlier run stores, as `rnc link` keeps it in the registry.
fn prior_of(
    records: &[SourceRecord],
    linkage: &rnc_link::Linkage,
) -> PriorLinkage {
    PriorLinkage {
        record_ids: records.iter().map(|r| r.record_id.clone()).collect(),
        pairs: linkage
            .pairs
            .iter()
            .map(|p| PriorPair {
                record_id_left: records[p.left as usize].record_id.clone(),
                record_id_right: records[p.right as usize].record_id.clone(),
                match_weight: p.match_weight,
                match_probability: p.match_probability,
                method: p.method,
                levels: p.levels.to_vec(),
            })
            .collect(),
        model: linkage.model.clone(),
    }
}

#[test]
fn saved_model_scores_identically() {
    let data = records(11, 400);
    let trained = link(&data, &config()).unwrap();
    let json = trained.model.to_json();
    let saved = FellegiSunterModel::from_json(&json).unwrap();
    let options = LinkOptions {
        trained_model: Some(&saved),
        ..LinkOptions::default()
    };
    let reused = link_with_options(&data, &config(), &options).unwrap();
    assert!(reused.summary.reused_model);
    assert!(!trained.summary.reused_model);
    assert_eq!(reused.pairs.len(), trained.pairs.len());
    for (a, b) in reused.pairs.iter().zip(&trained.pairs) {
        assert_eq!((a.left, a.right), (b.left, b.right));
        assert_eq!(a.match_weight.to_bits(), b.match_weight.to_bits());
        assert_eq!(
            a.match_probability.to_bits(),
            b.match_probability.to_bits()
        );
    }
    assert_eq!(reused.person_of, trained.person_of);
}

#[test]
fn saved_model_of_other_shape_is_rejected() {
    let data = records(12, 50);
    let mut model = link(&data, &config()).unwrap().model;
    model.comparisons.pop();
    let options = LinkOptions {
        trained_model: Some(&model),
        ..LinkOptions::default()
    };
    let error = link_with_options(&data, &config(), &options).unwrap_err();
    assert!(
        error.to_string().contains("comparisons or levels"),
        "{error}"
    );
}

#[test]
fn increment_equals_full_run_with_same_model() {
    let all = records(13, 600);
    // The earlier run saw every record but the last 150 of the list, which
    // are of other persons in random record-id order.
    let earlier: Vec<SourceRecord> = all[..all.len() - 150].to_vec();
    let first = link(&earlier, &config()).unwrap();
    let prior = prior_of(&earlier, &first);

    let incremental = link_with_options(
        &all,
        &config(),
        &LinkOptions {
            prior: Some(&prior),
            ..LinkOptions::default()
        },
    )
    .unwrap();
    let full = link_with_options(
        &all,
        &config(),
        &LinkOptions {
            trained_model: Some(&first.model),
            ..LinkOptions::default()
        },
    )
    .unwrap();

    assert_eq!(incremental.summary.new_records, 150);
    let first_record_pairs: u64 =
        first.pairs.iter().map(|p| p.record_pairs).sum();
    assert_eq!(incremental.summary.prior_pairs, first_record_pairs);
    assert!(incremental.summary.reused_model);
    // The increment compared only pairs holding a new record, yet ends with
    // the pairs, scores and persons of the full run.
    assert_eq!(incremental.pairs.len(), full.pairs.len());
    for (a, b) in incremental.pairs.iter().zip(&full.pairs) {
        assert_eq!((a.left, a.right), (b.left, b.right));
        assert_eq!(a.match_weight.to_bits(), b.match_weight.to_bits());
        assert_eq!(a.linked, b.linked);
    }
    assert_eq!(incremental.person_of, full.person_of);
}

#[test]
fn increment_keeps_nir_agreement_of_earlier_pairs() {
    let earlier = records(14, 200);
    let first = link(&earlier, &config()).unwrap();
    let prior = prior_of(&earlier, &first);
    let again = link_with_options(
        &earlier,
        &config(),
        &LinkOptions {
            prior: Some(&prior),
            ..LinkOptions::default()
        },
    )
    .unwrap();
    assert_eq!(again.summary.new_records, 0);
    let nir = |l: &rnc_link::Linkage| {
        l.pairs
            .iter()
            .filter(|p| p.method == PairMethod::NirAgreement)
            .count()
    };
    assert!(nir(&first) > 0);
    assert_eq!(nir(&again), nir(&first));
    assert_eq!(again.person_of, first.person_of);
}

#[test]
fn learned_m_sums_to_one() {
    let data = records(15, 600);
    let model = link(&data, &config()).unwrap().model;
    for comparison in &model.comparisons {
        let total: f64 = comparison
            .levels
            .iter()
            .filter(|l| !l.is_null)
            .map(|l| l.m)
            .sum();
        // Clamping to [1e-6, 1 - 1e-6] after scaling moves the sum by at
        // most 1e-6 per level.
        assert!(
            (total - 1.0).abs() < 1e-5,
            "{}: m sums to {total}",
            comparison.name
        );
    }
    let names: HashSet<&str> =
        model.comparisons.iter().map(|c| c.name.as_str()).collect();
    assert!(names.contains("sex"));
}
