//! Linkage whose candidate pairs come from DataFusion plans
//! ([`PlanPairFinder`]) against linkage that blocks and compares in
//! process: the same records must give the same pairs, levels, scores,
//! model and persons, as a full run and as an incremental one.
//!
//! Records come from a seeded generator and are pseudonymised with
//! rnc-pseudonym as ingestion does, so that both salts, Bloom filters,
//! transposed and missing birth dates, married names and typos all reach
//! the comparisons. The expected values are those of the in-process path,
//! which the linkage tests of rnc-link check against Splink and FEBRL.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rnc_engine::{Engine, PlanPairFinder};
use rnc_link::{
    LinkConfig, LinkOptions, Linkage, PriorLinkage, PriorPair,
    link_with_options,
};
use rnc_model::{PartialDate, Sex, SourceRecord};
use rnc_pseudonym::{ClearIdentity, Key, Pseudonymiser};

const SURNAMES: [&str; 12] = [
    "MARTIN", "BERNARD", "THOMAS", "PETIT", "ROBERT", "RICHARD", "DURAND",
    "DUBOIS", "MOREAU", "LAURENT", "SIMON", "MICHEL",
];
const FIRST_NAMES: [&str; 12] = [
    "LUCAS", "HUGO", "LOUIS", "JULES", "EMMA", "JADE", "LOUISE", "ALICE",
    "CHLOE", "LINA", "ROSE", "LEA",
];

/// Builds a NIR of the person's sex, birth year and month with a valid
/// key.
fn nir(sex: Sex, year: i32, month: u32, serial: u64) -> String {
    let sex_digit = if sex == Sex::Male { 1 } else { 2 };
    let body = format!(
        "{sex_digit}{:02}{month:02}35{:06}",
        year % 100,
        serial % 1_000_000
    );
    let key = rnc_model::nir::nir_key(&body).expect("13 digits");
    format!("{body}{key:02}")
}

fn typo(rng: &mut ChaCha8Rng, value: &str) -> String {
    let mut letters: Vec<char> = value.chars().collect();
    let i = rng.random_range(0..letters.len());
    letters[i] = if letters[i] == 'X' { 'Y' } else { 'X' };
    letters.into_iter().collect()
}

/// `persons` persons of 1 to 5 records each. Some records repeat another
/// exactly (profiles of several records), a third lack the NIR, one in
/// ten has a typo in a name, some women add a married name, and birth
/// dates are now and then transposed, partial or missing.
fn records(seed: u64, persons: u64) -> Vec<SourceRecord> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let pseudonymiser = Pseudonymiser::new(&Key::from_bytes([7; 32]));
    let mut out = Vec::new();
    for serial in 0..persons {
        let sex = if rng.random_bool(0.5) {
            Sex::Male
        } else {
            Sex::Female
        };
        let surname = SURNAMES[rng.random_range(0..SURNAMES.len())];
        let first = FIRST_NAMES[rng.random_range(0..FIRST_NAMES.len())];
        let (year, month, day) = (
            rng.random_range(1935..2010),
            rng.random_range(1..=12u32),
            rng.random_range(1..=28u32),
        );
        let departement = format!("{:02}", rng.random_range(1..=4));
        let person_nir = nir(sex, year, month, serial);
        let mut previous: Option<SourceRecord> = None;
        for r in 0..rng.random_range(1..=5) {
            let record_id = format!("src/{serial:05}-{r}");
            if let Some(earlier) = &previous
                && rng.random_bool(0.3)
            {
                out.push(SourceRecord {
                    record_id,
                    ..earlier.clone()
                });
                continue;
            }
            let date = match rng.random_range(0..20) {
                0 => None,
                1 => PartialDate::new(year, Some(month), None).ok(),
                2 if day <= 12 => {
                    PartialDate::new(year, Some(day), Some(month)).ok()
                }
                _ => PartialDate::new(year, Some(month), Some(day)).ok(),
            };
            let mut identity = ClearIdentity {
                nir: rng.random_bool(0.67).then(|| person_nir.clone()),
                birth_name: Some(if rng.random_bool(0.1) {
                    typo(&mut rng, surname)
                } else {
                    surname.to_string()
                }),
                usage_name: (sex == Sex::Female && rng.random_bool(0.2))
                    .then(|| SURNAMES[(serial % 12) as usize].to_string()),
                first_name: Some(if rng.random_bool(0.1) {
                    typo(&mut rng, first)
                } else {
                    first.to_string()
                }),
                birth_date: date,
            };
            let mut record = SourceRecord {
                record_id,
                sex: Some(sex),
                departement: Some(departement.clone()),
                ..SourceRecord::default()
            };
            pseudonymiser.apply(&identity, &mut record);
            identity.wipe();
            previous = Some(record.clone());
            out.push(record);
        }
    }
    out
}

fn config() -> LinkConfig {
    LinkConfig {
        seed: 11,
        ..LinkConfig::default()
    }
}

/// Links `records` in process and through DataFusion plans with the same
/// options, and returns both.
fn both_ways(
    records: &[SourceRecord],
    prior: Option<&PriorLinkage>,
) -> (Linkage, Linkage) {
    let work = tempfile::tempdir().unwrap();
    let finder =
        PlanPairFinder::new(Engine::default(), work.path().join("pairs"));
    let in_process = LinkOptions {
        prior,
        ..LinkOptions::default()
    };
    let planned = LinkOptions {
        pair_finder: Some(&finder),
        ..in_process
    };
    let expected = link_with_options(records, &config(), &in_process).unwrap();
    let found = link_with_options(records, &config(), &planned).unwrap();
    assert!(
        !work.path().join("pairs").exists(),
        "work tables left behind"
    );
    (expected, found)
}

fn assert_same(expected: &Linkage, found: &Linkage) {
    assert_eq!(found.summary, expected.summary);
    assert_eq!(found.pairs.len(), expected.pairs.len());
    for (f, e) in found.pairs.iter().zip(&expected.pairs) {
        assert_eq!(f, e);
    }
    assert_eq!(found.person_of, expected.person_of);
    assert_eq!(found.profile_of, expected.profile_of);
    assert_eq!(found.model.to_json(), expected.model.to_json());
}

#[test]
fn planned_pairs_link_alike() {
    let data = records(3, 1_500);
    let (expected, found) = both_ways(&data, None);

    // The generator makes enough of every kind of pair for the comparison
    // to mean something.
    assert!(expected.summary.profiles < expected.summary.records);
    assert!(expected.summary.profile_pairs > 2_000);
    assert!(expected.summary.linked_pairs > 1_000);
    let levels_seen = |comparison: usize| {
        let mut seen: Vec<u8> = expected
            .pairs
            .iter()
            .map(|p| p.levels[comparison])
            .collect();
        seen.sort_unstable();
        seen.dedup();
        seen.len()
    };
    // Birth date: null, exact, transposed, one part off, different at
    // least; names: null or exact and at least two Dice bands.
    assert!(levels_seen(1) >= 4, "{}", levels_seen(1));
    assert!(levels_seen(2) >= 3, "{}", levels_seen(2));
    assert!(levels_seen(3) >= 3, "{}", levels_seen(3));
    assert_same(&expected, &found);
}

#[test]
fn planned_pairs_extend_earlier_run() {
    let data = records(5, 1_000);
    let earlier = &data[..data.len() * 2 / 3];
    let first =
        link_with_options(earlier, &config(), &LinkOptions::default()).unwrap();
    let prior = PriorLinkage {
        record_ids: earlier.iter().map(|r| r.record_id.clone()).collect(),
        pairs: first
            .pairs
            .iter()
            .map(|p| PriorPair {
                record_id_left: earlier[p.left as usize].record_id.clone(),
                record_id_right: earlier[p.right as usize].record_id.clone(),
                match_weight: p.match_weight,
                match_probability: p.match_probability,
                method: p.method,
                levels: p.levels.to_vec(),
            })
            .collect(),
        model: first.model.clone(),
    };

    let (expected, found) = both_ways(&data, Some(&prior));

    assert!(expected.summary.prior_pairs > 0);
    assert!(expected.summary.new_records > 0);
    assert_same(&expected, &found);
}

// A block of more than rnc_link::MAX_BLOCK_SIZE records is skipped both
// ways, counting every record of a profile: here 5 001 equal records.
#[test]
fn oversized_blocks_skipped_alike() {
    let mut data = records(8, 200);
    let template = data[0].clone();
    for i in 0..=rnc_link::MAX_BLOCK_SIZE {
        data.push(SourceRecord {
            record_id: format!("bulk/{i:05}"),
            ..template.clone()
        });
    }

    let (expected, found) = both_ways(&data, None);

    assert_same(&expected, &found);
}

// DataFusion would read `[1]` in the table path as a glob pattern and
// find no file, so the finder rejects the path and names the fix.
#[test]
fn glob_characters_in_path_refused() {
    let data = records(2, 50);
    let work = tempfile::tempdir().unwrap();
    let finder =
        PlanPairFinder::new(Engine::default(), work.path().join("pairs[1]"));
    let options = LinkOptions {
        pair_finder: Some(&finder),
        ..LinkOptions::default()
    };

    let error = link_with_options(&data, &config(), &options)
        .unwrap_err()
        .to_string();

    assert!(error.contains("move the registry to a path"), "{error}");
    assert!(!work.path().join("pairs[1]").exists());
}
