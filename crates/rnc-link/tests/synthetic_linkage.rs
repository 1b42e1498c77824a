//! End-to-end linkage of synthetic persons with known truth.
//!
//! The persons, their records and the errors injected into them are made
//! here from a seeded generator, so the truth comes from the generator and
//! not from the code under test. Pseudonyms are the clear value with a
//! prefix (equality is all linkage uses) and Bloom filters hash padded
//! bigrams with FNV-1a, which is enough to give similar names similar
//! filters.

mod common;

use std::collections::{BTreeSet, HashMap};

use common::bloom;

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rnc_link::evaluate::pairwise_scores;
use rnc_link::{
    Decision, ErrorKind, FellegiSunterModel, LinkConfig, LinkOptions,
    PairMethod, RecordEncoder, ReviewDecision, ScoredPair, link, link_encoded,
    link_with_decisions, link_with_options, pair_schema, pairs_to_batch,
    review_queue,
};
use rnc_model::{NirStatus, Sex, SourceRecord};

const MALE_NAMES: [&str; 30] = [
    "JEAN",
    "PIERRE",
    "MICHEL",
    "ANDRE",
    "PHILIPPE",
    "RENE",
    "LOUIS",
    "ALAIN",
    "JACQUES",
    "BERNARD",
    "MARCEL",
    "DANIEL",
    "ROGER",
    "ROBERT",
    "PAUL",
    "CLAUDE",
    "CHRISTIAN",
    "HENRI",
    "GEORGES",
    "NICOLAS",
    "FRANCOIS",
    "PATRICK",
    "GERARD",
    "CHRISTOPHE",
    "JOSEPH",
    "JULIEN",
    "ANTOINE",
    "MAXIME",
    "THOMAS",
    "LAURENT",
];
const FEMALE_NAMES: [&str; 30] = [
    "MARIE",
    "JEANNE",
    "FRANCOISE",
    "MONIQUE",
    "CATHERINE",
    "NATHALIE",
    "ISABELLE",
    "JACQUELINE",
    "ANNE",
    "SYLVIE",
    "MARTINE",
    "MADELEINE",
    "NICOLE",
    "SUZANNE",
    "HELENE",
    "CHRISTINE",
    "MARGUERITE",
    "DENISE",
    "LOUISE",
    "CHRISTIANE",
    "YVONNE",
    "SANDRINE",
    "VALERIE",
    "SOPHIE",
    "CELINE",
    "JULIE",
    "CAROLINE",
    "ELISABETH",
    "CLAIRE",
    "PAULETTE",
];
const SURNAMES: [&str; 60] = [
    "MARTIN",
    "BERNARD",
    "THOMAS",
    "PETIT",
    "ROBERT",
    "RICHARD",
    "DURAND",
    "DUBOIS",
    "MOREAU",
    "LAURENT",
    "SIMON",
    "MICHEL",
    "LEFEBVRE",
    "LEROY",
    "ROUX",
    "DAVID",
    "BERTRAND",
    "MOREL",
    "FOURNIER",
    "GIRARD",
    "BONNET",
    "DUPONT",
    "LAMBERT",
    "FONTAINE",
    "ROUSSEAU",
    "VINCENT",
    "MULLER",
    "LEFEVRE",
    "FAURE",
    "ANDRE",
    "MERCIER",
    "BLANC",
    "GUERIN",
    "BOYER",
    "GARNIER",
    "CHEVALIER",
    "FRANCOIS",
    "LEGRAND",
    "GAUTHIER",
    "GARCIA",
    "PERRIN",
    "ROBIN",
    "CLEMENT",
    "MORIN",
    "NICOLAS",
    "HENRY",
    "ROUSSEL",
    "MATHIEU",
    "GAUTIER",
    "MASSON",
    "MARCHAND",
    "DUVAL",
    "DENIS",
    "DUMONT",
    "MARIE",
    "LEMAIRE",
    "NOEL",
    "MEYER",
    "DUFOUR",
    "MEUNIER",
];
const DEPARTEMENTS: [&str; 12] = [
    "75", "69", "13", "33", "59", "2A", "31", "44", "67", "35", "06", "34",
];

/// A person as the generator made them: the truth.
#[derive(Clone)]
struct Person {
    first_name: String,
    surname: String,
    married_name: Option<String>,
    sex: Sex,
    year: u32,
    month: u32,
    day: u32,
    departement: String,
    nir: String,
}

fn pseudonym(domain: &str, value: &str) -> Option<String> {
    Some(format!("h:{domain}:{value}"))
}

fn typo(rng: &mut ChaCha8Rng, value: &str) -> String {
    let mut chars: Vec<char> = value.chars().collect();
    let position = rng.random_range(1..chars.len());
    if rng.random_bool(0.5) {
        chars[position] = char::from(b'A' + rng.random_range(0..26u8));
    } else {
        chars.remove(position);
    }
    chars.into_iter().collect()
}

fn random_person(rng: &mut ChaCha8Rng, index: usize) -> Person {
    let sex = if rng.random_bool(0.5) {
        Sex::Male
    } else {
        Sex::Female
    };
    let names: &[&str] = if sex == Sex::Male {
        &MALE_NAMES
    } else {
        &FEMALE_NAMES
    };
    let married_name = (sex == Sex::Female && rng.random_bool(0.5))
        .then(|| SURNAMES[rng.random_range(0..SURNAMES.len())].to_string());
    Person {
        first_name: names[rng.random_range(0..names.len())].to_string(),
        surname: SURNAMES[rng.random_range(0..SURNAMES.len())].to_string(),
        married_name,
        sex,
        year: rng.random_range(1925..2005),
        month: rng.random_range(1..=12),
        day: rng.random_range(1..=28),
        departement: DEPARTEMENTS[rng.random_range(0..DEPARTEMENTS.len())]
            .to_string(),
        nir: format!("{}{:012}", index % 2 + 1, index * 7919 + 13),
    }
}

/// Same-sex twin: same surname, birth date, sex and département; another
/// first name and NIR.
fn twin_of(rng: &mut ChaCha8Rng, person: &Person, index: usize) -> Person {
    let names: &[&str] = if person.sex == Sex::Male {
        &MALE_NAMES
    } else {
        &FEMALE_NAMES
    };
    let mut first_name = person.first_name.clone();
    while first_name == person.first_name {
        first_name = names[rng.random_range(0..names.len())].to_string();
    }
    Person {
        first_name,
        married_name: None,
        nir: format!("{}{:012}", index % 2 + 1, index * 7919 + 13),
        ..person.clone()
    }
}

fn date_fields(record: &mut SourceRecord, year: u32, month: u32, day: u32) {
    record.birth_date_pseudonym =
        pseudonym("date", &format!("{year}-{month:02}-{day:02}"));
    record.birth_date_swapped_pseudonym =
        (day <= 12).then(|| format!("h:date:{year}-{day:02}-{month:02}"));
    record.birth_date_next_year_pseudonym =
        pseudonym("date", &format!("{}-{month:02}-{day:02}", year + 1));
    record.birth_year_month_pseudonym =
        pseudonym("date", &format!("{year}-{month:02}-**"));
    record.birth_year_day_pseudonym =
        pseudonym("date", &format!("{year}-**-{day:02}"));
    record.birth_month_day_pseudonym =
        pseudonym("date", &format!("****-{month:02}-{day:02}"));
}

/// Makes one record of a person with the errors of real feeds. The NIR
/// is missing in 30 % of records. First name and surname each have a typo
/// in 5 %. The birth date is transposed in 5 % where possible, else the
/// year is off by one in 2 %. Married women's records carry the married
/// name in the birth-name column in 40 %, and in the usage-name column in
/// 30 %. The département moved in 5 % and sex is unknown in 2 %.
fn make_record(
    rng: &mut ChaCha8Rng,
    person: &Person,
    record_id: String,
) -> SourceRecord {
    let mut record = SourceRecord {
        record_id,
        ..Default::default()
    };
    if rng.random_bool(0.7) {
        record.nir_status = Some(NirStatus::Valid);
        record.nir_pseudonym = pseudonym("nir", &person.nir);
    } else {
        record.nir_status = Some(NirStatus::Missing);
    }
    record.sex = Some(if rng.random_bool(0.02) {
        Sex::Unknown
    } else {
        person.sex
    });

    let mut first_name = person.first_name.clone();
    if rng.random_bool(0.05) {
        first_name = typo(rng, &first_name);
    }
    // Unsalted names, which the linker compares as names sharing a salt.
    record.month_salted_names.first_name_pseudonym =
        pseudonym("name", &first_name);
    record.month_salted_names.first_name_bloom = bloom(&first_name);

    let mut surname = person.surname.clone();
    if rng.random_bool(0.05) {
        surname = typo(rng, &surname);
    }
    let mut usage = None;
    if let Some(married) = &person.married_name {
        let roll: f64 = rng.random();
        if roll < 0.4 {
            surname = married.clone();
        } else if roll < 0.7 {
            usage = Some(married.clone());
        }
    }
    record.month_salted_names.birth_name_pseudonym =
        pseudonym("name", &surname);
    record.month_salted_names.birth_name_bloom = bloom(&surname);
    if let Some(usage) = usage {
        record.month_salted_names.usage_name_pseudonym =
            pseudonym("name", &usage);
        record.month_salted_names.usage_name_bloom = bloom(&usage);
    }

    let (mut year, mut month, mut day) =
        (person.year, person.month, person.day);
    if day <= 12 && day != month && rng.random_bool(0.05) {
        std::mem::swap(&mut day, &mut month);
    } else if rng.random_bool(0.02) {
        year += 1;
    }
    date_fields(&mut record, year, month, day);

    record.departement = Some(if rng.random_bool(0.05) {
        DEPARTEMENTS[rng.random_range(0..DEPARTEMENTS.len())].to_string()
    } else {
        person.departement.clone()
    });
    record
}

struct Synthetic {
    records: Vec<SourceRecord>,
    truth: Vec<u32>,
    twins: Vec<(u32, u32)>,
}

/// 600 persons, of whom 10 pairs of twins, with 1 to 6 records each.
fn synthetic_records(seed: u64) -> Synthetic {
    synthetic_persons(seed, 600)
}

fn synthetic_persons(seed: u64, count: usize) -> Synthetic {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut persons = Vec::new();
    let mut twins = Vec::new();
    while persons.len() < count {
        let index = persons.len();
        let person = random_person(&mut rng, index);
        if index % 60 == 0 {
            let twin = twin_of(&mut rng, &person, index + 1);
            twins.push((index as u32, index as u32 + 1));
            persons.push(person);
            persons.push(twin);
        } else {
            persons.push(person);
        }
    }
    let mut records = Vec::new();
    let mut truth = Vec::new();
    for (p, person) in persons.iter().enumerate() {
        for _ in 0..rng.random_range(1..=6) {
            let id = format!("src/{:08x}", rng.random::<u32>());
            records.push(make_record(&mut rng, person, id));
            truth.push(p as u32);
        }
    }
    Synthetic {
        records,
        truth,
        twins,
    }
}

fn partition(
    records: &[SourceRecord],
    person_of: &[u32],
) -> BTreeSet<BTreeSet<String>> {
    let mut clusters: HashMap<u32, BTreeSet<String>> = HashMap::new();
    for (record, &person) in records.iter().zip(person_of) {
        clusters
            .entry(person)
            .or_default()
            .insert(record.record_id.clone());
    }
    clusters.into_values().collect()
}

fn config() -> LinkConfig {
    LinkConfig {
        seed: 7,
        ..LinkConfig::default()
    }
}

#[test]
fn synthetic_precision_and_recall() {
    let data = synthetic_records(1);
    let linkage = link(&data.records, &config()).unwrap();
    let scores = pairwise_scores(&linkage.person_of, &data.truth);
    eprintln!("{scores:?}");
    assert!(
        scores.precision >= 0.98,
        "{scores:?}\n{}",
        linkage.model.to_json()
    );
    assert!(
        scores.recall >= 0.95,
        "{scores:?}\n{}",
        linkage.model.to_json()
    );
}

#[test]
fn synthetic_twins_stay_apart() {
    for seed in [1, 2, 3] {
        check_twins_apart(seed);
    }
}

fn check_twins_apart(seed: u64) {
    let data = synthetic_records(seed);
    let linkage = link(&data.records, &config()).unwrap();
    for &(a, b) in &data.twins {
        let persons_of = |who: u32| -> BTreeSet<u32> {
            data.truth
                .iter()
                .zip(&linkage.person_of)
                .filter(|(t, _)| **t == who)
                .map(|(_, p)| *p)
                .collect()
        };
        let shared: Vec<u32> = persons_of(a)
            .intersection(&persons_of(b))
            .copied()
            .collect();
        let cross: Vec<String> = linkage
            .pairs
            .iter()
            .filter(|pair| pair.linked)
            .filter(|pair| {
                let owners = [
                    data.truth[pair.left as usize],
                    data.truth[pair.right as usize],
                ];
                owners == [a, b] || owners == [b, a]
            })
            .map(|pair| {
                format!(
                    "levels {:?} weight {:.2}",
                    pair.levels, pair.match_weight
                )
            })
            .collect();
        assert!(
            shared.is_empty(),
            "seed {seed}: twins {a} and {b} share persons {shared:?}; linked \
             pairs: {cross:?}"
        );
    }
}

#[test]
fn shuffled_input_gives_same_partition() {
    let data = synthetic_records(2);
    let linkage = link(&data.records, &config()).unwrap();
    let mut shuffled = data.records.clone();
    shuffled.shuffle(&mut ChaCha8Rng::seed_from_u64(99));
    let again = link(&shuffled, &config()).unwrap();
    assert_eq!(
        partition(&data.records, &linkage.person_of),
        partition(&shuffled, &again.person_of)
    );
    assert_eq!(linkage.model, again.model);
    assert_eq!(linkage.summary, again.summary);
}

/// Names the records of each pair by `record_id`, the smaller first, and
/// sorts the pairs.
fn named_pairs(
    pairs: &[ScoredPair],
    id_of: impl Fn(u32) -> String,
) -> Vec<(String, String, u64, u64, bool, Vec<u8>)> {
    let mut named: Vec<_> = pairs
        .iter()
        .map(|p| {
            let (left, right) = (id_of(p.left), id_of(p.right));
            (
                left.clone().min(right.clone()),
                left.max(right),
                p.record_pairs,
                p.match_weight.to_bits(),
                p.linked,
                p.levels.to_vec(),
            )
        })
        .collect();
    named.sort();
    named
}

#[test]
fn link_encoded_matches_link_whatever_the_push_order() {
    let data = synthetic_records(2);
    let linkage = link(&data.records, &config()).unwrap();

    let mut shuffled = data.records.clone();
    shuffled.shuffle(&mut ChaCha8Rng::seed_from_u64(5));
    let mut encoder = RecordEncoder::with_capacity(shuffled.len());
    for record in &shuffled {
        encoder.push(record).unwrap();
    }
    let (ids, encoded) = encoder.finish();
    assert!(ids.is_sorted());
    let again = link_encoded(&ids, encoded, &config(), &LinkOptions::default())
        .unwrap();

    // Persons are numbered by their smallest record_id in both, so each
    // record has the same number.
    let person_by_id = |ids: Vec<&str>, person_of: &[u32]| {
        let mut by_id: Vec<(String, u32)> = ids
            .into_iter()
            .map(str::to_string)
            .zip(person_of.iter().copied())
            .collect();
        by_id.sort();
        by_id
    };
    assert_eq!(
        person_by_id(
            data.records.iter().map(|r| r.record_id.as_str()).collect(),
            &linkage.person_of
        ),
        person_by_id(
            ids.iter().map(String::as_str).collect(),
            &again.person_of
        )
    );
    assert_eq!(linkage.model, again.model);
    assert_eq!(linkage.summary, again.summary);
    assert_eq!(
        named_pairs(&linkage.pairs, |i| data.records[i as usize]
            .record_id
            .clone()),
        named_pairs(&again.pairs, |i| ids[i as usize].clone())
    );
    let table = pairs_to_batch(&again.pairs, &ids, &again.model).unwrap();
    assert_eq!(table.num_rows(), again.pairs.len());
}

#[test]
fn link_encoded_rejects_ids_unsorted_or_short() {
    let data = synthetic_records(3);
    let encode = || {
        let mut encoder = RecordEncoder::new();
        for record in &data.records {
            encoder.push(record).unwrap();
        }
        encoder.finish()
    };
    let (mut ids, encoded) = encode();
    ids.swap(0, 1);
    let error = link_encoded(&ids, encoded, &config(), &LinkOptions::default())
        .unwrap_err();
    assert!(
        matches!(
            error.kind(),
            ErrorKind::InvalidConfig {
                field: "record_ids",
                ..
            }
        ),
        "{error}"
    );
    let (mut ids, encoded) = encode();
    ids.pop();
    let error = link_encoded(&ids, encoded, &config(), &LinkOptions::default())
        .unwrap_err();
    assert!(error.to_string().contains("record ids for"), "{error}");
}

#[test]
fn persons_numbered_by_smallest_record_id() {
    let data = synthetic_records(3);
    let linkage = link(&data.records, &config()).unwrap();
    let mut first_id: Vec<Option<&str>> =
        vec![None; linkage.summary.persons as usize];
    for (record, &person) in data.records.iter().zip(&linkage.person_of) {
        let slot = &mut first_id[person as usize];
        if slot.is_none_or(|id| record.record_id.as_str() < id) {
            *slot = Some(&record.record_id);
        }
    }
    let ids: Vec<&str> = first_id.into_iter().map(Option::unwrap).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]));
}

#[test]
fn summary_and_pairs_agree() {
    let data = synthetic_records(4);
    let linkage = link(&data.records, &config()).unwrap();
    let summary = &linkage.summary;
    assert_eq!(summary.records, data.records.len() as u64);
    let record_pairs: u64 = linkage.pairs.iter().map(|p| p.record_pairs).sum();
    assert_eq!(summary.candidate_pairs, record_pairs);
    assert_eq!(summary.profile_pairs, linkage.pairs.len() as u64);
    assert!(summary.estimated_pairs >= summary.candidate_pairs);
    assert!(
        linkage
            .pairs
            .windows(2)
            .all(|w| (w[0].left, w[0].right) < (w[1].left, w[1].right))
    );
    for pair in &linkage.pairs {
        assert!(pair.left < pair.right);
        let (weight, probability) = linkage.model.score(&pair.levels);
        assert_eq!(weight, pair.match_weight);
        assert_eq!(probability, pair.match_probability);
        if pair.method == PairMethod::NirAgreement {
            assert_eq!(pair.levels[0], 1, "NIR agreement needs equal NIRs");
        }
        if pair.linked {
            assert_eq!(
                linkage.person_of[pair.left as usize],
                linkage.person_of[pair.right as usize]
            );
        }
    }
    assert!(summary.nir_pairs > 0);
    assert!(summary.em_iterations > 0);
}

#[test]
fn pair_table_has_schema_and_rows() {
    let data = synthetic_records(5);
    let linkage = link(&data.records, &config()).unwrap();
    let batch =
        pairs_to_batch(&linkage.pairs, &data.records, &linkage.model).unwrap();
    assert_eq!(batch.schema(), pair_schema());
    assert_eq!(batch.num_rows(), linkage.pairs.len());
    assert_eq!(batch.num_columns(), 13);
}

#[test]
fn trained_model_json_round_trip() {
    let data = synthetic_records(6);
    let linkage = link(&data.records, &config()).unwrap();
    let back = FellegiSunterModel::from_json(&linkage.model.to_json()).unwrap();
    assert_eq!(back, linkage.model);
}

#[test]
fn probabilistic_only_still_links() {
    // Without the deterministic pass the NIR is one comparison among six,
    // and the bar is the same.
    let data = synthetic_records(1);
    let config = LinkConfig {
        deterministic_nir: false,
        ..config()
    };
    let linkage = link(&data.records, &config).unwrap();
    assert_eq!(linkage.summary.nir_pairs, 0);
    let scores = pairwise_scores(&linkage.person_of, &data.truth);
    assert!(scores.precision >= 0.98, "{scores:?}");
    assert!(scores.recall >= 0.95, "{scores:?}");
}

#[test]
fn invalid_config_is_rejected() {
    let bad = LinkConfig {
        match_probability_threshold: 1.5,
        ..config()
    };
    let error = link(&[], &bad).unwrap_err();
    assert!(
        error.to_string().contains("match_probability_threshold"),
        "{error}"
    );
}

#[test]
fn empty_and_single_inputs() {
    let empty = link(&[], &config()).unwrap();
    assert!(empty.person_of.is_empty());
    let one = SourceRecord {
        record_id: "a".to_string(),
        ..Default::default()
    };
    let single = link(&[one], &config()).unwrap();
    assert_eq!(single.person_of, vec![0]);
    assert_eq!(single.summary.persons, 1);
}

#[test]
#[ignore = "slow: about 100 000 records; run with --release --ignored"]
fn hundred_thousand_records() {
    let data = synthetic_persons(11, 28_600);
    let started = std::time::Instant::now();
    let linkage = link(&data.records, &config()).unwrap();
    let elapsed = started.elapsed();
    let scores = pairwise_scores(&linkage.person_of, &data.truth);
    eprintln!("{} records in {elapsed:?}: {scores:?}", data.records.len());
    eprintln!("{:?}", linkage.summary);
    assert!(scores.precision >= 0.98, "{scores:?}");
    assert!(scores.recall >= 0.95, "{scores:?}");
}

fn decision(left: &str, right: &str, decision: Decision) -> ReviewDecision {
    ReviewDecision {
        record_id_left: left.to_string(),
        record_id_right: right.to_string(),
        decision,
        decided_at: "2026-01-01T00:00:00Z".to_string(),
    }
}

// A reviewer's non-match splits records that agree on NIR, and a match
// joins records that share nothing, on every later run.
#[test]
fn review_decisions_override_scores() {
    let record = |id: &str, nir: &str| SourceRecord {
        record_id: id.to_string(),
        nir_status: Some(NirStatus::Valid),
        nir_pseudonym: Some(nir.to_string()),
        sex: Some(Sex::Female),
        ..Default::default()
    };
    let records = [
        record("a/1", "n1"),
        record("b/2", "n1"),
        record("c/3", "n2"),
        record("d/4", "n3"),
    ];
    let plain = link(&records, &config()).unwrap();
    assert_eq!(plain.person_of, vec![0, 0, 1, 2]);
    let decisions = [
        decision("a/1", "b/2", Decision::NonMatch),
        decision("d/4", "c/3", Decision::Match),
        decision("x/9", "a/1", Decision::Match),
    ];
    let reviewed =
        link_with_decisions(&records, &config(), &decisions).unwrap();
    assert_eq!(reviewed.person_of, vec![0, 1, 2, 2]);
}

// The queue holds the uncertain pairs, most probable first, except decided
// pairs and those that surer pairs already join, found by a graph search.
#[test]
fn review_queue_holds_pairs_between_thresholds() {
    let (data, linkage) = linked_record_by_record();
    let (lower, upper) = (0.01, 0.999);
    let in_range = |p: &rnc_link::ScoredPair| {
        p.method == PairMethod::FellegiSunter
            && p.match_probability >= lower
            && p.match_probability < upper
    };
    let mut neighbours: HashMap<u32, Vec<u32>> = HashMap::new();
    for pair in linkage.pairs.iter().filter(|p| {
        p.linked
            && (p.method == PairMethod::NirAgreement
                || p.match_probability >= upper)
    }) {
        neighbours.entry(pair.left).or_default().push(pair.right);
        neighbours.entry(pair.right).or_default().push(pair.left);
    }
    let joined = |from: u32, to: u32| {
        let mut seen = BTreeSet::from([from]);
        let mut next = vec![from];
        while let Some(record) = next.pop() {
            for &other in neighbours.get(&record).into_iter().flatten() {
                if seen.insert(other) {
                    next.push(other);
                }
            }
        }
        seen.contains(&to)
    };
    let settled = |p: &rnc_link::ScoredPair| {
        linkage.person_of[p.left as usize]
            == linkage.person_of[p.right as usize]
            && joined(p.left, p.right)
    };
    let uncertain: Vec<&rnc_link::ScoredPair> =
        linkage.pairs.iter().filter(|p| in_range(p)).collect();
    let expected = uncertain.iter().filter(|p| !settled(p)).count();
    assert!(expected > 0, "the synthetic data must give uncertain pairs");
    assert!(
        expected < uncertain.len(),
        "the synthetic data must give uncertain pairs that others settle"
    );

    let queue =
        review_queue(&linkage, &data.records, lower, upper, &[]).unwrap();
    assert_eq!(queue.items.len(), expected);
    assert_eq!(
        queue.settled_record_pairs,
        (uncertain.len() - expected) as u64
    );
    let queue = queue.items;
    assert!(
        queue
            .windows(2)
            .all(|w| w[0].match_probability >= w[1].match_probability)
    );
    assert_eq!(queue[0].comparisons.len(), rnc_link::COMPARISON_COUNT);
    let first = &queue[0];
    let decided = [decision(
        &first.record_id_right,
        &first.record_id_left,
        Decision::Match,
    )];
    let after =
        review_queue(&linkage, &data.records, lower, upper, &decided).unwrap();
    assert_eq!(after.items.len(), expected - 1);
    assert!(review_queue(&linkage, &data.records, 0.9, 0.5, &[]).is_err());
}

// A non-match decision may leave a record apart from its person, so
// every uncertain pair of that record stays queued.
#[test]
fn contested_records_stay_queued() {
    let (data, linkage) = linked_record_by_record();
    let (lower, upper) = (0.01, 0.999);
    let all = review_queue(&linkage, &data.records, lower, upper, &[])
        .unwrap()
        .items;
    let record_id = |index: u32| data.records[index as usize].record_id.clone();

    // An uncertain pair whose records share a person but is not queued.
    let queued: BTreeSet<(String, String)> = all
        .iter()
        .map(|item| (item.record_id_left.clone(), item.record_id_right.clone()))
        .collect();
    let settled = linkage
        .pairs
        .iter()
        .find(|p| {
            p.method == PairMethod::FellegiSunter
                && p.match_probability >= lower
                && p.match_probability < upper
                && !queued.contains(&ordered_ids(
                    &record_id(p.left),
                    &record_id(p.right),
                ))
        })
        .expect("the synthetic data must give a settled uncertain pair");
    let (left, right) = (record_id(settled.left), record_id(settled.right));

    // A non-match decision on another pair of the left record.
    let other = data
        .records
        .iter()
        .map(|r| r.record_id.clone())
        .find(|id| *id != left && *id != right)
        .unwrap();
    let decisions = [decision(&left, &other, Decision::NonMatch)];
    let after = review_queue(&linkage, &data.records, lower, upper, &decisions)
        .unwrap();
    assert!(
        after.items.iter().any(|item| {
            (item.record_id_left.clone(), item.record_id_right.clone())
                == ordered_ids(&left, &right)
        }),
        "the settled pair of a contested record must be queued"
    );
}

/// Links the synthetic records one by one, so that each scored pair is a
/// record pair.
fn linked_record_by_record() -> (Synthetic, rnc_link::Linkage) {
    let data = synthetic_records(3);
    let options = LinkOptions {
        record_by_record: true,
        ..LinkOptions::default()
    };
    let linkage =
        link_with_options(&data.records, &config(), &options).unwrap();
    (data, linkage)
}

fn ordered_ids(a: &str, b: &str) -> (String, String) {
    if a <= b {
        (a.to_string(), b.to_string())
    } else {
        (b.to_string(), a.to_string())
    }
}

// Linking through profiles must give what comparing every record on its
// own gives: the same persons, model, record-pair counts and review
// queue. The reference is the same linker with `record_by_record` set.
// The data add identical copies of every third record, identical records
// that share only a birth date and sex (their own pairs are compared but
// not linked) or nothing that blocks, and decisions on a copy.
#[test]
fn profiles_match_record_by_record() {
    let mut records = synthetic_records(8).records;
    let copies: Vec<SourceRecord> = records
        .iter()
        .step_by(3)
        .enumerate()
        .map(|(i, record)| SourceRecord {
            record_id: format!("copy/{i:04}"),
            ..record.clone()
        })
        .collect();
    let original = records[0].record_id.clone();
    let other = records[10].record_id.clone();
    records.extend(copies);
    for i in 0..4 {
        let mut dated = SourceRecord {
            record_id: format!("sparse/dated/{i}"),
            sex: Some(Sex::Female),
            ..Default::default()
        };
        date_fields(&mut dated, 1950, 1, 1);
        records.push(dated);
        records.push(SourceRecord {
            record_id: format!("sparse/blank/{i}"),
            departement: Some("75".to_string()),
            ..Default::default()
        });
    }
    let decisions = [
        decision(&original, "copy/0000", Decision::NonMatch),
        decision("copy/0001", &other, Decision::Match),
    ];
    let run = |record_by_record| {
        let options = LinkOptions {
            decisions: &decisions,
            record_by_record,
            ..LinkOptions::default()
        };
        link_with_options(&records, &config(), &options).unwrap()
    };
    let reference = run(true);
    let profiles = run(false);

    assert_eq!(reference.summary.profiles, records.len() as u64);
    assert!(
        profiles.summary.profiles < reference.summary.profiles,
        "copies must share profiles: {:?}",
        profiles.summary
    );
    assert!(profiles.pairs.len() < reference.pairs.len());
    assert_eq!(profiles.model, reference.model);
    assert_eq!(profiles.person_of, reference.person_of);
    let (a, b) = (&profiles.summary, &reference.summary);
    assert_eq!(a.candidate_pairs, b.candidate_pairs);
    assert_eq!(a.estimated_pairs, b.estimated_pairs);
    assert_eq!(a.nir_pairs, b.nir_pairs);
    assert_eq!(a.linked_pairs, b.linked_pairs);
    assert_eq!(a.persons, b.persons);
    let queue = |linkage: &rnc_link::Linkage| {
        review_queue(linkage, &records, 0.01, 0.999, &decisions)
            .unwrap()
            .items
    };
    let expected = queue(&reference);
    assert!(!expected.is_empty(), "the data must give uncertain pairs");
    assert_eq!(queue(&profiles), expected);
    // The blank records share a profile but no blocking key, so they are
    // never compared and each stays a person of its own.
    let person = |id: &str| {
        let index = records.iter().position(|r| r.record_id == id).unwrap();
        profiles.person_of[index]
    };
    assert_ne!(person("sparse/blank/0"), person("sparse/blank/1"));
}
