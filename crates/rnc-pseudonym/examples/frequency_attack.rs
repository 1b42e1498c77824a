//! Runs the frequency-alignment attack of [`rnc_pseudonym::attack`] on the
//! encodings of a synthetic national run and prints the share of persons
//! re-identified under each encoding setting.
//!
//! ```sh
//! cargo run --release -p rnc-cli -- synth --persons 300000 --seed 11 --out feeds
//! cargo run --release -p rnc-pseudonym --example frequency_attack -- feeds
//! ```
//!
//! One record per person is attacked (the first of the person's records in
//! the order registry_extract, hospital_stay, pathology_report,
//! death_record), as in a table of persons; `truth/records.csv` gives the
//! person of each record. The attacker is given the exact frequencies of
//! the plaintext each encoding holds, taken from the same records.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use rnc_model::{PartialDate, Sex};
use rnc_pseudonym::attack::{FrequencyAttack, frequency_alignment_attack};
use rnc_pseudonym::{
    ClkEncoder, ClkIdentity, ClkSettings, Domain, Key, Pseudonymiser,
    name_salt, normalise_name,
};

/// The clear identifiers of one person's first record.
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

fn main() -> ExitCode {
    let Some(dir) = std::env::args().nth(1).map(PathBuf::from) else {
        eprintln!(
            "usage: frequency_attack FEED_DIR (a directory written by `rnc synth`)"
        );
        return ExitCode::from(2);
    };
    match run(&dir) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("frequency_attack: {message}");
            ExitCode::from(2)
        }
    }
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
        "{:<72} {:>9} {:>9} {:>11} {:>8}",
        "encoding", "distinct", "aligned", "persons", "share"
    );

    let surnames: Vec<String> =
        persons.iter().map(|p| p.surname.clone()).collect();
    let filters: Vec<Vec<u8>> = persons
        .iter()
        .map(|p| pseudonymiser.bloom(Domain::Name, &p.surname))
        .collect();
    report(
        "surname Bloom filter (field-level, no salt)",
        &frequency_alignment_attack(&filters, &surnames, 2),
    );

    let first_names: Vec<String> =
        persons.iter().map(|p| p.first_name.clone()).collect();
    let filters: Vec<Vec<u8>> = persons
        .iter()
        .map(|p| pseudonymiser.bloom(Domain::FirstName, &p.first_name))
        .collect();
    report(
        "first-name Bloom filter (field-level, no salt)",
        &frequency_alignment_attack(&filters, &first_names, 2),
    );

    salted_field_attacks(&pseudonymiser, &persons);

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
        (
            "CLK, salted and balanced",
            ClkSettings {
                balance: true,
                ..defaults
            },
        ),
        (
            "CLK, salted and XOR-folded",
            ClkSettings {
                xor_fold: true,
                ..defaults
            },
        ),
    ];
    for (label, settings) in settings {
        let encoder = ClkEncoder::new(&key, settings)
            .map_err(|error| error.to_string())?;
        let clks: Vec<Vec<u8>> =
            persons.iter().map(|p| encode(&encoder, p)).collect();
        report(
            &format!("{label} vs full identity"),
            &frequency_alignment_attack(&clks, &tuples, 2),
        );
        report(
            &format!("{label} vs surname"),
            &frequency_alignment_attack(&clks, &surnames, 2),
        );
    }
    Ok(())
}

/// A name field: its label, its domain and how to read it.
type NameField = (&'static str, Domain, fn(&Identity) -> &str);

/// Attacks the field-level name pseudonyms and filters, which the linker
/// compares, unsalted and salted with the birth year as the ingest salts
/// them. The attacker is given either the frequencies of the names alone,
/// as a published list of names gives them, or the exact frequencies of
/// the (name, birth year) tuples of the data set itself, as a published
/// list of first names by birth year would give them.
fn salted_field_attacks(pseudonymiser: &Pseudonymiser, persons: &[Identity]) {
    let fields: [NameField; 2] = [
        ("surname", Domain::Name, |p| &p.surname),
        ("first-name", Domain::FirstName, |p| &p.first_name),
    ];
    for (field, domain, name_of) in fields {
        let names: Vec<&str> = persons.iter().map(name_of).collect();
        let salts: Vec<String> = persons
            .iter()
            .map(|p| name_salt(p.birth_date.as_ref()))
            .collect();
        let tuples: Vec<String> = names
            .iter()
            .zip(&salts)
            .map(|(name, salt)| format!("{name}|{salt}"))
            .collect();
        let unsalted: Vec<String> = names
            .iter()
            .map(|name| pseudonymiser.pseudonym(domain, name))
            .collect();
        report(
            &format!("{field} exact pseudonym, no salt"),
            &frequency_alignment_attack(&unsalted, &names, 2),
        );
        let pseudonyms: Vec<String> = names
            .iter()
            .zip(&salts)
            .map(|(name, salt)| {
                pseudonymiser.pseudonym_salted(domain, name, salt)
            })
            .collect();
        let filters: Vec<Vec<u8>> = names
            .iter()
            .zip(&salts)
            .map(|(name, salt)| pseudonymiser.bloom_salted(domain, name, salt))
            .collect();
        for (label, values) in [
            ("names", &names),
            ("(name, year)", &tuples.iter().map(String::as_str).collect()),
        ] {
            report(
                &format!(
                    "{field} exact pseudonym, salted (default), vs {label}"
                ),
                &frequency_alignment_attack(&pseudonyms, values, 2),
            );
            report(
                &format!("{field} Bloom filter, salted (default), vs {label}"),
                &frequency_alignment_attack(&filters, values, 2),
            );
        }
    }
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
    println!(
        "{label:<72} {:>9} {:>9} {:>11} {:>7.3}%",
        attack.distinct_encodings,
        attack.aligned,
        attack.records_reidentified,
        100.0 * attack.share_reidentified()
    );
}

/// Reads the first record of each person from the feeds.
fn read_persons(dir: &Path) -> Result<Vec<Identity>, String> {
    let truth = dir.join("truth/records.csv");
    let mut reader = csv::Reader::from_path(&truth)
        .map_err(|e| format!("{}: {e}", truth.display()))?;
    let mut person_of = std::collections::HashMap::new();
    for row in reader.records() {
        let row = row.map_err(|e| format!("{}: {e}", truth.display()))?;
        person_of.insert(row[0].to_string(), row[1].to_string());
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
