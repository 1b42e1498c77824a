//! Runs the frequency-alignment attack of [`rnc_pseudonym::attack`] on every
//! encoding the registry stores, over the persons of a synthetic run, and
//! prints the share of persons re-identified under each.
//!
//! ```sh
//! # one year of synthetic France (about 1.6 GB written, removed at the end)
//! cargo run --release -p rnc-pseudonym --example frequency_attack -- --france 1
//! # or feeds already written by `rnc synth --feed-format plain`
//! cargo run --release -p rnc-pseudonym --example frequency_attack -- FEED_DIR
//! ```
//!
//! One record per person is attacked (the first of the person's records in
//! the order registry_extract, hospital_stay, pathology_report,
//! death_record), as in a table of persons; `truth/records.csv` gives the
//! person of each record. The attacker is given the exact frequencies of
//! the plaintext each encoding holds, taken from the same records: of the
//! names alone, of (name, birth year), and of (name, salt), the value the
//! encoding was actually made from. A person is re-identified when the
//! value aligned to their encoding is their own. For the birth-date
//! pseudonyms, the attacked value is the date or its unmasked parts. For
//! comparison, it also prints the share that guessing each birth year's
//! most frequent name gives without any encoding. For the attackers that
//! align each salt apart, it prints the persons whose surname and first
//! name were both recovered, under one salt or under either.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use rnc_model::Sex;
use rnc_model::{PartialDate, SaltedNames, SourceRecord};
use rnc_pseudonym::attack::{
    FrequencyAttack, frequency_alignment_attack, reference_alignment_attack,
};
use rnc_pseudonym::{
    ClearIdentity, ClkEncoder, ClkIdentity, ClkSettings, Domain, Key,
    NameSalts, Pseudonymiser, name_salt, name_salts, normalise_name,
};
use rnc_synth::{FeedFormats, SynthConfig, write_synthetic};

/// The clear identifiers of one person's first record, normalised.
struct Identity {
    surname: String,
    first_name: String,
    birth_date: Option<PartialDate>,
    sex: Option<Sex>,
}

const FEEDS: [&str; 4] = [
    "registry_extract",
    "hospital_stay",
    "pathology_report",
    "death_record",
];

/// Minimum count of an encoding and of a value for their ranks to be
/// aligned, because values seen once cannot be distinguished by frequency.
const MIN_COUNT: usize = 2;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.as_slice() {
        [flag, seed] if flag == "--france" => match seed.parse::<u64>() {
            Ok(seed) => run_france(seed),
            Err(_) => Err(format!("--france: invalid seed {seed}")),
        },
        [dir] => run(Path::new(dir)),
        _ => Err(
            "usage: frequency_attack FEED_DIR | --france SEED (FEED_DIR \
             written by `rnc synth --feed-format plain`)"
                .to_string(),
        ),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("frequency_attack: {message}");
            ExitCode::from(2)
        }
    }
}

/// Writes one year (2023) of synthetic France in plain CSV to a
/// temporary directory, attacks it and removes it.
fn run_france(seed: u64) -> Result<(), String> {
    let temporary = tempfile::tempdir().map_err(|e| e.to_string())?;
    let dir = temporary.path().join("france");
    let config = SynthConfig {
        formats: FeedFormats::plain(),
        ..SynthConfig::france(seed, 2023, 2023)
    };
    eprintln!("writing one year of synthetic France, seed {seed}");
    let summary = write_synthetic(&config, &dir).map_err(|e| e.to_string())?;
    println!(
        "synthetic France, seed {seed}, 2023: {} persons, {} tumours",
        summary.persons, summary.tumours
    );
    run(&dir)
}

fn run(dir: &Path) -> Result<(), String> {
    let persons = read_persons(dir)?;
    let key = Key::from_bytes([11; 32]);
    let pseudonymiser = Pseudonymiser::new(&key);
    println!(
        "{} persons, one record each, from {}",
        persons.len(),
        dir.display()
    );
    println!(
        "{:<88} {:>9} {:>9} {:>9} {:>8}",
        "encoding, attacker's frequencies",
        "distinct",
        "aligned",
        "persons",
        "share"
    );

    unsalted_name_attacks(&pseudonymiser, &persons);
    year_salt_attacks(&pseudonymiser, &persons);
    stored_name_attacks(&pseudonymiser, &persons);
    stored_date_attacks(&pseudonymiser, &persons);
    clk_attacks(&key, &persons)
}

/// A name field: its label, its domain, how to read it and where the
/// registry stores its encodings under one salt.
struct NameField {
    label: &'static str,
    domain: Domain,
    name: fn(&Identity) -> &str,
    pseudonym: fn(&SaltedNames) -> &Option<String>,
    bloom: fn(&SaltedNames) -> &Option<Vec<u8>>,
}

const NAME_FIELDS: [NameField; 2] = [
    NameField {
        label: "surname",
        domain: Domain::Name,
        name: |p| &p.surname,
        pseudonym: |n| &n.birth_name_pseudonym,
        bloom: |n| &n.birth_name_bloom,
    },
    NameField {
        label: "first-name",
        domain: Domain::FirstName,
        name: |p| &p.first_name,
        pseudonym: |n| &n.first_name_pseudonym,
        bloom: |n| &n.first_name_bloom,
    },
];

/// One of the two salts the registry stores names under: its label, where
/// the record keeps the encodings, and the salt text of a person.
struct StoredSalt {
    label: &'static str,
    names: fn(&SourceRecord) -> &SaltedNames,
    salt: fn(&NameSalts) -> Option<&str>,
}

const STORED_SALTS: [StoredSalt; 2] = [
    StoredSalt {
        label: "birth year and month salt",
        names: |r| &r.month_salted_names,
        salt: |s| Some(&s.month),
    },
    StoredSalt {
        label: "birth year and day salt",
        names: |r| &r.day_salted_names,
        salt: |s| s.day.as_deref(),
    },
];

/// Attacks the name encodings without a salt, for comparison with the
/// salted ones the registry stores.
fn unsalted_name_attacks(pseudonymiser: &Pseudonymiser, persons: &[Identity]) {
    for NameField {
        label: field,
        domain,
        name: name_of,
        ..
    } in NAME_FIELDS
    {
        let names: Vec<&str> = persons.iter().map(name_of).collect();
        let pseudonyms: Vec<String> = names
            .iter()
            .map(|name| pseudonymiser.pseudonym(domain, name))
            .collect();
        report(
            &format!("{field} exact pseudonym, no salt, vs names"),
            &frequency_alignment_attack(&pseudonyms, &names, MIN_COUNT),
        );
        let filters: Vec<Vec<u8>> = names
            .iter()
            .map(|name| pseudonymiser.bloom(domain, name))
            .collect();
        report(
            &format!("{field} Bloom filter, no salt, vs names"),
            &frequency_alignment_attack(&filters, &names, MIN_COUNT),
        );
    }
}

/// Attacks the name pseudonyms and Bloom filters as the registry stores
/// them, under each of the two salts of [`name_salts`]. The attacker's
/// frequencies are of the names alone (a published list of names), of
/// (name, birth year) (a published list of first names by birth year) and
/// of (name, salt), the value each encoding was made from. A person
/// without a day salt has no encoding under it and counts as not
/// re-identified.
///
/// The last attacks of each salt align within each salt apart. An
/// attacker who matched the salt pseudonyms to their salts (the stored
/// year-month pseudonyms fall to the frequency attack below) can tell
/// which encodings share a salt. They align each salt's encodings either
/// with that salt's own (name, salt) counts, an upper bound because these
/// are not published, or with the ranking of names in the salt's birth
/// year.
fn stored_name_attacks(pseudonymiser: &Pseudonymiser, persons: &[Identity]) {
    let records: Vec<SourceRecord> = persons
        .iter()
        .map(|person| stored_record(pseudonymiser, person))
        .collect();
    let salts: Vec<NameSalts> = persons
        .iter()
        .map(|p| name_salts(p.birth_date.as_ref()))
        .collect();
    let mut either_salt: Option<[PerSaltOutcomes; 2]> = None;
    for stored in STORED_SALTS {
        let outcomes = NAME_FIELDS.map(|field| {
            attack_salted_field(persons, &records, &salts, &stored, &field)
        });
        report_both_names(stored.label, &outcomes);
        either_salt = Some(match either_salt {
            None => outcomes,
            Some([surname, first_name]) => {
                let [other_surname, other_first_name] = outcomes;
                [surname.or(&other_surname), first_name.or(&other_first_name)]
            }
        });
    }
    // An attacker who has both salts' encodings of a record may take the
    // surname from one salt and the first name from the other.
    if let Some(outcomes) = either_salt {
        report_both_names("either salt", &outcomes);
    }
}

/// Outcomes of the attackers that align the salts apart on one name
/// field: for each person, in order, whether the name was recovered.
struct PerSaltOutcomes {
    /// Against each salt's own (name, salt) counts: exact pseudonym, then
    /// Bloom filter.
    own_counts: [Vec<bool>; 2],
    /// Against the ranking of names in the salt's birth year: exact
    /// pseudonym, then Bloom filter.
    year_ranking: [Vec<bool>; 2],
    /// Without any encoding: the year's most frequent name guessed.
    guess: Vec<bool>,
}

impl PerSaltOutcomes {
    /// Combines two salts' outcomes: a name is recovered when the same
    /// attacker recovered it under either salt.
    fn or(&self, other: &PerSaltOutcomes) -> PerSaltOutcomes {
        let or = |left: &[bool], right: &[bool]| -> Vec<bool> {
            left.iter().zip(right).map(|(l, r)| *l || *r).collect()
        };
        PerSaltOutcomes {
            own_counts: [0, 1]
                .map(|i| or(&self.own_counts[i], &other.own_counts[i])),
            year_ranking: [0, 1]
                .map(|i| or(&self.year_ranking[i], &other.year_ranking[i])),
            guess: or(&self.guess, &other.guess),
        }
    }
}

/// Prints, for each attacker that aligns the salts apart, the persons
/// whose surname and first name it both recovered under `salt`. Such a
/// person is re-identified, because both names with the salt's birth year
/// and month or day leave few candidates. One name alone is shared by many
/// persons born in the same month.
fn report_both_names(salt: &str, [surname, first_name]: &[PerSaltOutcomes; 2]) {
    let both = |left: &[bool], right: &[bool]| {
        left.iter().zip(right).filter(|(l, r)| **l && **r).count()
    };
    let encodings = ["exact pseudonym", "Bloom filter"];
    let mut rows = Vec::new();
    for (index, encoding) in encodings.iter().enumerate() {
        rows.push((
            format!("{encoding}, vs (name, salt) per salt"),
            both(&surname.own_counts[index], &first_name.own_counts[index]),
        ));
    }
    for (index, encoding) in encodings.iter().enumerate() {
        rows.push((
            format!("{encoding}, vs (name, birth year) per salt"),
            both(
                &surname.year_ranking[index],
                &first_name.year_ranking[index],
            ),
        ));
    }
    rows.push((
        "no encoding, the year's most frequent names guessed".to_string(),
        both(&surname.guess, &first_name.guess),
    ));

    let persons = surname.guess.len();
    for (label, reidentified) in rows {
        print_row(
            &format!("surname and first name, {salt}, {label}"),
            "-",
            "-",
            reidentified,
            reidentified as f64 / persons.max(1) as f64,
        );
    }
}

/// Attacks the name encodings salted with the birth year alone
/// ([`name_salt`]), which the registry stored before the two salts, with
/// the (name, salt) attacks of [`stored_name_attacks`], for comparison.
fn year_salt_attacks(pseudonymiser: &Pseudonymiser, persons: &[Identity]) {
    for field in NAME_FIELDS {
        let mut salted = Vec::new();
        let mut pseudonyms = Vec::new();
        let mut filters = Vec::new();
        for person in persons {
            let name = (field.name)(person);
            if name.is_empty() {
                continue;
            }
            let salt = name_salt(person.birth_date.as_ref());
            salted.push(format!("{name}|{salt}"));
            pseudonyms.push(pseudonymiser.pseudonym_salted(
                field.domain,
                name,
                &salt,
            ));
            filters.push(pseudonymiser.bloom_salted(field.domain, name, &salt));
        }

        let prefix = format!("{}, birth year salt (before)", field.label);
        let attacks = [
            (
                "exact pseudonym, vs (name, salt)",
                frequency_alignment_attack(&pseudonyms, &salted, MIN_COUNT),
            ),
            (
                "Bloom filter, vs (name, salt)",
                frequency_alignment_attack(&filters, &salted, MIN_COUNT),
            ),
            (
                "exact pseudonym, vs (name, salt) per salt",
                attack_within_salts(&pseudonyms, &salted),
            ),
            (
                "Bloom filter, vs (name, salt) per salt",
                attack_within_salts(&filters, &salted),
            ),
        ];
        for (label, mut attack) in attacks {
            attack.records = persons.len();
            report(&format!("{prefix}, {label}"), &attack);
        }
    }
}

/// Attacks one name field's encodings under one salt; see
/// [`stored_name_attacks`]. Returns the outcomes of the attackers that
/// align the salts apart.
fn attack_salted_field(
    persons: &[Identity],
    records: &[SourceRecord],
    salts: &[NameSalts],
    stored: &StoredSalt,
    field: &NameField,
) -> PerSaltOutcomes {
    // The persons attacked, by index: those with the salt and the name.
    let mut attacked = Vec::new();
    let mut names = Vec::new();
    let mut years = Vec::new();
    let mut salted = Vec::new();
    let mut pseudonyms = Vec::new();
    let mut filters = Vec::new();
    for (index, ((person, record), salts)) in
        persons.iter().zip(records).zip(salts).enumerate()
    {
        let encodings = (stored.names)(record);
        let (Some(salt), Some(pseudonym), Some(filter)) = (
            (stored.salt)(salts),
            (field.pseudonym)(encodings),
            (field.bloom)(encodings),
        ) else {
            continue;
        };
        let name = (field.name)(person);
        let year = person.birth_date.map(|d| d.year().to_string());
        attacked.push(index);
        names.push(name.to_string());
        years.push(format!("{name}|{}", year.unwrap_or_default()));
        salted.push(format!("{name}|{salt}"));
        pseudonyms.push(pseudonym.clone());
        filters.push(filter.clone());
    }

    let prefix = format!("{}, {}", field.label, stored.label);
    for (label, values) in [
        ("names", &names),
        ("(name, birth year)", &years),
        ("(name, salt)", &salted),
    ] {
        let mut attack =
            frequency_alignment_attack(&pseudonyms, values, MIN_COUNT);
        attack.records = persons.len();
        report(&format!("{prefix}, exact pseudonym, vs {label}"), &attack);
        let mut attack =
            frequency_alignment_attack(&filters, values, MIN_COUNT);
        attack.records = persons.len();
        report(&format!("{prefix}, Bloom filter, vs {label}"), &attack);
    }

    // Prints an attack's row and returns its outcome for every person,
    // false for those not attacked.
    let per_person = |label: &str, mut attack: FrequencyAttack| {
        attack.records = persons.len();
        report(&format!("{prefix}, {label}"), &attack);
        let mut reidentified = vec![false; persons.len()];
        for (&index, &right) in attacked.iter().zip(&attack.reidentified) {
            reidentified[index] = right;
        }
        reidentified
    };

    let own_counts = [
        per_person(
            "exact pseudonym, vs (name, salt) per salt",
            attack_within_salts(&pseudonyms, &salted),
        ),
        per_person(
            "Bloom filter, vs (name, salt) per salt",
            attack_within_salts(&filters, &salted),
        ),
    ];

    let rankings = rankings_by_year(&years);
    let year_ranking = [
        per_person(
            "exact pseudonym, vs (name, birth year) per salt",
            attack_within_salts_by_year(&pseudonyms, &salted, &rankings),
        ),
        per_person(
            "Bloom filter, vs (name, birth year) per salt",
            attack_within_salts_by_year(&filters, &salted, &rankings),
        ),
    ];

    // With one blank encoding per person, the same attacker guesses the
    // birth year's most frequent name for all: what the list alone gives.
    let blank = vec![[0u8; 0]; salted.len()];
    let guess = per_person(
        "no encoding, the year's most frequent name guessed",
        attack_within_salts_by_year(&blank, &salted, &rankings),
    );

    PerSaltOutcomes {
        own_counts,
        year_ranking,
        guess,
    }
}

/// For each birth year, the names ranked by how many persons born that
/// year have them, most frequent first: the published list of names by
/// birth year. `years` are `name|year` texts.
fn rankings_by_year(years: &[String]) -> HashMap<String, Vec<String>> {
    let mut counts: HashMap<&str, HashMap<&str, usize>> = HashMap::new();
    for value in years {
        let (name, year) = value.rsplit_once('|').unwrap_or((value, ""));
        *counts.entry(year).or_default().entry(name).or_default() += 1;
    }
    counts
        .into_iter()
        .map(|(year, names)| {
            let mut names: Vec<(&str, usize)> = names.into_iter().collect();
            names.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
            let ranked = names.into_iter().map(|(n, _)| n.to_string());
            (year.to_string(), ranked.collect())
        })
        .collect()
}

/// Runs the attack on the records of each salt apart, as
/// [`attack_within_salts`] does, but against the ranking of names in the
/// salt's birth year ([`rankings_by_year`]) instead of the salt's own
/// counts, which no published list gives. `values` are `name|salt` texts.
fn attack_within_salts_by_year<E: AsRef<[u8]>>(
    encodings: &[E],
    values: &[String],
    rankings: &HashMap<String, Vec<String>>,
) -> FrequencyAttack {
    let nothing = Vec::new();
    sum_over_salts(encodings, values, |salt, group_encodings, members| {
        // A salt is `YYYY`, `YYYY|MM` or `YYYY|DD`: its year comes first.
        let year = salt.split('|').next().unwrap_or_default();
        let reference = rankings.get(year).unwrap_or(&nothing);
        let group_names: Vec<&str> = members
            .iter()
            .map(|&i| values[i].split_once('|').map_or("", |(name, _)| name))
            .collect();
        reference_alignment_attack(
            group_encodings,
            &group_names,
            reference,
            MIN_COUNT,
        )
    })
}

/// Runs the frequency attack on the records of each salt apart and sums
/// the outcomes. `values` are `name|salt` texts.
fn attack_within_salts<E: AsRef<[u8]>>(
    encodings: &[E],
    values: &[String],
) -> FrequencyAttack {
    sum_over_salts(encodings, values, |_, group_encodings, members| {
        let group_values: Vec<&str> =
            members.iter().map(|&i| values[i].as_str()).collect();
        frequency_alignment_attack(group_encodings, &group_values, MIN_COUNT)
    })
}

/// Runs `attack` on the encodings of each salt apart, given the salt,
/// the group's encodings and their indices in `values`, and sums the
/// outcomes. `values` are `name|salt` texts.
fn sum_over_salts<E: AsRef<[u8]>>(
    encodings: &[E],
    values: &[String],
    attack: impl Fn(&str, &[&[u8]], &[usize]) -> FrequencyAttack,
) -> FrequencyAttack {
    let mut groups: HashMap<&str, Vec<usize>> = HashMap::new();
    for (index, value) in values.iter().enumerate() {
        // Normalised names hold no `|`, so the salt follows the first.
        let salt = value.split_once('|').map_or("", |(_, salt)| salt);
        groups.entry(salt).or_default().push(index);
    }

    let mut total = FrequencyAttack {
        records: 0,
        distinct_encodings: 0,
        aligned: 0,
        aligned_correct: 0,
        records_reidentified: 0,
        reidentified: vec![false; encodings.len()],
    };
    for (salt, members) in groups {
        let group_encodings: Vec<&[u8]> =
            members.iter().map(|&i| encodings[i].as_ref()).collect();
        let outcome = attack(salt, &group_encodings, &members);
        total.records += outcome.records;
        total.distinct_encodings += outcome.distinct_encodings;
        total.aligned += outcome.aligned;
        total.aligned_correct += outcome.aligned_correct;
        total.records_reidentified += outcome.records_reidentified;
        for (&index, &right) in members.iter().zip(&outcome.reidentified) {
            total.reidentified[index] = right;
        }
    }
    total
}

/// Attacks the birth-date pseudonyms: the complete date and the three
/// dates with one part masked, each against the frequencies of the value
/// it encodes. Recovering a birth date or two of its parts is counted as
/// a re-identification, which overstates what the attacker learns.
fn stored_date_attacks(pseudonymiser: &Pseudonymiser, persons: &[Identity]) {
    let records: Vec<SourceRecord> = persons
        .iter()
        .map(|person| stored_record(pseudonymiser, person))
        .collect();
    type DateField = (
        &'static str,
        fn(&SourceRecord) -> &Option<String>,
        fn(&PartialDate) -> Option<String>,
    );
    let fields: [DateField; 4] = [
        (
            "birth date",
            |r| &r.birth_date_pseudonym,
            |d| d.is_complete().then(|| d.to_iso()),
        ),
        (
            "birth year and month",
            |r| &r.birth_year_month_pseudonym,
            |d| d.month().map(|m| format!("{}-{m:02}", d.year())),
        ),
        (
            "birth year and day",
            |r| &r.birth_year_day_pseudonym,
            |d| d.day().map(|day| format!("{}-**-{day:02}", d.year())),
        ),
        (
            "birth month and day",
            |r| &r.birth_month_day_pseudonym,
            |d| match (d.month(), d.day()) {
                (Some(m), Some(day)) => Some(format!("{m:02}-{day:02}")),
                _ => None,
            },
        ),
    ];
    for (label, pseudonym_of, value_of) in fields {
        let mut encodings = Vec::new();
        let mut values = Vec::new();
        for (record, person) in records.iter().zip(persons) {
            let value = person.birth_date.as_ref().and_then(value_of);
            if let (Some(encoding), Some(value)) = (pseudonym_of(record), value)
            {
                encodings.push(encoding.clone());
                values.push(value);
            }
        }
        let mut attack =
            frequency_alignment_attack(&encodings, &values, MIN_COUNT);
        // The share is of every person, not only those with the value.
        attack.records = persons.len();
        report(&format!("{label} pseudonym, stored, vs values"), &attack);
    }
}

/// Attacks the CLK of names, birth date and sex under several settings.
fn clk_attacks(key: &Key, persons: &[Identity]) -> Result<(), String> {
    let surnames: Vec<&str> =
        persons.iter().map(|p| p.surname.as_str()).collect();
    let tuples: Vec<String> = persons
        .iter()
        .map(|p| {
            let date = p.birth_date.map(|d| d.to_iso()).unwrap_or_default();
            let sex = p.sex.map(|s| s.code()).unwrap_or(9);
            format!("{}|{}|{date}|{sex}", p.surname, p.first_name)
        })
        .collect();
    let defaults = ClkSettings::default();
    let settings = [
        (
            "CLK, no salt",
            ClkSettings {
                salt_with_birth_year: false,
                ..defaults
            },
        ),
        ("CLK, salted with birth year (default)", defaults),
    ];
    for (label, settings) in settings {
        let encoder = ClkEncoder::new(key, settings)
            .map_err(|error| error.to_string())?;
        let clks: Vec<Vec<u8>> =
            persons.iter().map(|p| encode(&encoder, p)).collect();
        report(
            &format!("{label}, vs full identity"),
            &frequency_alignment_attack(&clks, &tuples, MIN_COUNT),
        );
        report(
            &format!("{label}, vs surnames"),
            &frequency_alignment_attack(&clks, &surnames, MIN_COUNT),
        );
    }
    Ok(())
}

/// Pseudonymises a person's identity as the ingest does.
fn stored_record(
    pseudonymiser: &Pseudonymiser,
    person: &Identity,
) -> SourceRecord {
    let mut record = SourceRecord {
        sex: person.sex,
        ..SourceRecord::default()
    };
    let present = |name: &str| (!name.is_empty()).then(|| name.to_string());
    pseudonymiser.apply(
        &ClearIdentity {
            birth_name: present(&person.surname),
            first_name: present(&person.first_name),
            birth_date: person.birth_date,
            ..ClearIdentity::default()
        },
        &mut record,
    );
    record
}

fn encode(encoder: &ClkEncoder, person: &Identity) -> Vec<u8> {
    encoder.encode(&ClkIdentity {
        surname: Some(&person.surname),
        first_name: Some(&person.first_name),
        birth_date: person.birth_date,
        sex: person.sex,
    })
}

fn report(label: &str, attack: &FrequencyAttack) {
    print_row(
        label,
        &attack.distinct_encodings.to_string(),
        &attack.aligned.to_string(),
        attack.records_reidentified,
        attack.share_reidentified(),
    );
}

/// Prints one row of the table: label, distinct encodings, ranks
/// aligned, persons re-identified and their share (from 0 to 1).
fn print_row(
    label: &str,
    distinct: &str,
    aligned: &str,
    reidentified: usize,
    share: f64,
) {
    println!(
        "{label:<88} {distinct:>9} {aligned:>9} {reidentified:>9} {:>7.3}%",
        100.0 * share
    );
}

/// Reads the first record of each person from the feeds.
fn read_persons(dir: &Path) -> Result<Vec<Identity>, String> {
    let truth: PathBuf = dir.join("truth/records.csv");
    let mut reader = csv::Reader::from_path(&truth)
        .map_err(|e| format!("{}: {e}", truth.display()))?;
    let mut person_of = HashMap::new();
    for row in reader.records() {
        let row = row.map_err(|e| format!("{}: {e}", truth.display()))?;
        if FEEDS.iter().any(|feed| row[0].starts_with(feed)) {
            person_of.insert(row[0].to_string(), row[1].to_string());
        }
    }

    let mut seen = HashSet::new();
    let mut persons = Vec::new();
    for feed in FEEDS {
        let path = dir.join(format!("{feed}.csv"));
        let mut reader = csv::Reader::from_path(&path)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        let header = reader.headers().map_err(|e| e.to_string())?.clone();
        let column = |name: &str| header.iter().position(|c| c == name);
        let id = column(header.get(0).unwrap_or("")).ok_or("empty header")?;
        let (surname, first, birth, sex) = (
            column("birth_name"),
            column("first_name"),
            column("birth_date"),
            column("sex"),
        );
        for row in reader.records() {
            let row = row.map_err(|e| format!("{}: {e}", path.display()))?;
            let record_id = format!("{feed}/{}", &row[id]);
            let Some(person) = person_of.get(&record_id) else {
                continue;
            };
            if !seen.insert(person.clone()) {
                continue;
            }
            let field = |index: Option<usize>| {
                index.map(|i| row[i].to_string()).unwrap_or_default()
            };
            persons.push(Identity {
                surname: normalise_name(&field(surname)),
                first_name: normalise_name(&field(first)),
                birth_date: PartialDate::parse(&field(birth)).ok().flatten(),
                sex: Sex::parse_code(&field(sex)).ok(),
            });
        }
    }
    Ok(persons)
}
