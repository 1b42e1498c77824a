//! Linkage of records that carry the insured person's NIR, as French
//! hospital data do: a child's hospital records give a parent's NIR, so
//! same-sex twins share the NIR pseudonym and the pseudonym of the NIR,
//! birth date and sex together (the FOIN triplet). The first name is then
//! the evidence that keeps them apart.
//!
//! Persons, families and records come from a seeded generator here, and
//! are pseudonymised with rnc-pseudonym as the ingest does, so the truth
//! is the generator's.

use std::collections::BTreeSet;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rnc_link::{LinkConfig, link};
use rnc_model::{PartialDate, Sex, SourceRecord};
use rnc_pseudonym::{ClearIdentity, Key, Pseudonymiser};

const SURNAMES: [&str; 12] = [
    "MARTIN", "BERNARD", "THOMAS", "PETIT", "ROBERT", "RICHARD", "DURAND",
    "DUBOIS", "MOREAU", "LAURENT", "SIMON", "MICHEL",
];
const MALE: [&str; 10] = [
    "LUCAS", "HUGO", "LOUIS", "JULES", "GABRIEL", "ARTHUR", "PAUL", "NATHAN",
    "ADAM", "RAPHAEL",
];
const FEMALE: [&str; 10] = [
    "EMMA", "JADE", "LOUISE", "ALICE", "CHLOE", "LINA", "ROSE", "LEA", "MILA",
    "AMBRE",
];

#[derive(Clone)]
struct Person {
    surname: &'static str,
    first_name: &'static str,
    sex: Sex,
    birth: (i32, u32, u32),
    /// The NIR written on the person's records: their own, or the
    /// insured parent's for a child.
    nir: String,
}

/// A NIR with a valid key, 97 - (first 13 digits mod 97) (INSEE).
fn nir(sex: Sex, year: i32, month: u32, serial: u64) -> String {
    let sex_digit = if sex == Sex::Male { 1 } else { 2 };
    let body = format!(
        "{sex_digit}{:02}{month:02}35{:06}",
        year % 100,
        serial % 1_000_000
    );
    let number: u64 = body.parse().unwrap();
    format!("{body}{:02}", 97 - number % 97)
}

fn random_person(rng: &mut ChaCha8Rng, serial: u64) -> Person {
    let sex = if rng.random_bool(0.5) {
        Sex::Male
    } else {
        Sex::Female
    };
    let names = if sex == Sex::Male { &MALE } else { &FEMALE };
    let birth = (
        rng.random_range(1940..2015),
        rng.random_range(1..=12),
        rng.random_range(1..=28),
    );
    Person {
        surname: SURNAMES[rng.random_range(0..SURNAMES.len())],
        first_name: names[rng.random_range(0..names.len())],
        sex,
        birth,
        nir: nir(sex, birth.0, birth.1, serial),
    }
}

fn record(
    pseudonymiser: &Pseudonymiser,
    person: &Person,
    id: String,
) -> SourceRecord {
    let (year, month, day) = person.birth;
    let mut record = SourceRecord {
        record_id: id,
        sex: Some(person.sex),
        departement: Some("35".into()),
        ..SourceRecord::default()
    };
    let mut identity = ClearIdentity {
        nir: Some(person.nir.clone()),
        birth_name: Some(person.surname.into()),
        first_name: Some(person.first_name.into()),
        birth_date: PartialDate::parse_iso(&format!(
            "{year:04}-{month:02}-{day:02}"
        ))
        .ok(),
        ..ClearIdentity::default()
    };
    pseudonymiser.apply(&identity, &mut record);
    identity.wipe();
    record
}

struct Synthetic {
    records: Vec<SourceRecord>,
    truth: Vec<u32>,
    /// Per family: the parent and the two twins, as person numbers.
    families: Vec<[u32; 3]>,
}

/// 400 persons with 1 to 4 records each, and 15 families of a parent and
/// same-sex twins whose records carry the parent's NIR.
fn synthetic(seed: u64) -> Synthetic {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let pseudonymiser = Pseudonymiser::new(&Key::from_bytes([9; 32]));
    let mut persons = Vec::new();
    let mut families = Vec::new();
    for serial in 0..400u64 {
        persons.push(random_person(&mut rng, serial));
    }
    for family in 0..15u64 {
        let parent = random_person(&mut rng, 500 + family);
        let mut twin = random_person(&mut rng, 600 + family);
        twin.surname = parent.surname;
        twin.birth = (rng.random_range(2000..2015), twin.birth.1, twin.birth.2);
        twin.nir = parent.nir.clone();
        let names = if twin.sex == Sex::Male {
            &MALE
        } else {
            &FEMALE
        };
        let mut other = twin.clone();
        while other.first_name == twin.first_name {
            other.first_name = names[rng.random_range(0..names.len())];
        }
        let first = persons.len() as u32;
        families.push([first, first + 1, first + 2]);
        persons.extend([parent, twin, other]);
    }

    let mut records = Vec::new();
    let mut truth = Vec::new();
    for (p, person) in persons.iter().enumerate() {
        let count = if p >= 400 { 3 } else { rng.random_range(1..=4) };
        for _ in 0..count {
            let id = format!("src/{:08x}", rng.random::<u32>());
            records.push(record(&pseudonymiser, person, id));
            truth.push(p as u32);
        }
    }
    Synthetic {
        records,
        truth,
        families,
    }
}

fn persons_of(data: &Synthetic, person_of: &[u32], who: u32) -> BTreeSet<u32> {
    data.truth
        .iter()
        .zip(person_of)
        .filter(|(truth, _)| **truth == who)
        .map(|(_, person)| *person)
        .collect()
}

#[test]
fn twins_sharing_triplet_stay_apart() {
    for seed in [1, 2] {
        let data = synthetic(seed);
        let config = LinkConfig {
            seed: 7,
            ..LinkConfig::default()
        };
        let linkage = link(&data.records, &config).unwrap();

        for &[parent, twin, other] in &data.families {
            let (p, a, b) = (
                persons_of(&data, &linkage.person_of, parent),
                persons_of(&data, &linkage.person_of, twin),
                persons_of(&data, &linkage.person_of, other),
            );
            assert!(
                a.is_disjoint(&b),
                "seed {seed}: twins {twin} and {other} joined"
            );
            assert!(
                p.is_disjoint(&a),
                "seed {seed}: parent {parent} and child {twin} joined"
            );
            assert!(
                p.is_disjoint(&b),
                "seed {seed}: parent {parent} and child {other} joined"
            );
            assert_eq!(a.len(), 1, "seed {seed}: twin {twin} split into {a:?}");
            assert_eq!(
                b.len(),
                1,
                "seed {seed}: twin {other} split into {b:?}"
            );
        }
    }
}

#[test]
fn twins_share_triplet_pseudonym() {
    let data = synthetic(1);
    let [parent, twin, other] = data.families[0];
    let triplet = |who: u32| -> BTreeSet<Option<String>> {
        data.records
            .iter()
            .zip(&data.truth)
            .filter(|(_, truth)| **truth == who)
            .map(|(record, _)| record.nir_birth_date_sex_pseudonym.clone())
            .collect()
    };

    assert_eq!(triplet(twin), triplet(other));
    assert_eq!(triplet(twin).len(), 1);
    assert!(triplet(twin).iter().all(Option::is_some));
    assert_ne!(triplet(parent), triplet(twin));
}
