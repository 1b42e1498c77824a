//! `rnc link` run twice on a growing registry: the second run compares only
//! pairs that hold a newly staged record, keeps the earlier persons' ids
//! and still applies the reviewers' decisions; a saved model scores the
//! same pairs with the same weights as the run that trained it.

mod common;

use std::collections::HashMap;
use std::path::Path;

use arrow::array::AsArray;
use common::{SyntheticRegistry, arg};
use rnc_store::parquet_io::read_parquet;

/// Reads `record_id` → `person_id` from the work table of the last link.
fn person_map(registry: &Path) -> HashMap<String, String> {
    let mut map = HashMap::new();
    let path = registry.join("work/link/person_map.parquet");
    for batch in read_parquet(&path).unwrap() {
        let records = batch
            .column_by_name("record_id")
            .unwrap()
            .as_string::<i32>();
        let persons = batch
            .column_by_name("person_id")
            .unwrap()
            .as_string::<i32>();
        for i in 0..batch.num_rows() {
            map.insert(
                records.value(i).to_string(),
                persons.value(i).to_string(),
            );
        }
    }
    map
}

/// Reads (left, right) → match weight from the pair table of the last link.
fn pair_weights(registry: &Path) -> HashMap<(String, String), f64> {
    let mut weights = HashMap::new();
    let path = registry.join("work/link/link_pairs.parquet");
    for batch in read_parquet(&path).unwrap() {
        let column = |name: &str| batch.column_by_name(name).unwrap().clone();
        let (left, right) =
            (column("record_id_left"), column("record_id_right"));
        let weight = column("match_weight");
        let weight = weight.as_primitive::<arrow::datatypes::Float64Type>();
        for i in 0..batch.num_rows() {
            weights.insert(
                (
                    left.as_string::<i32>().value(i).to_string(),
                    right.as_string::<i32>().value(i).to_string(),
                ),
                weight.value(i),
            );
        }
    }
    weights
}

#[test]
fn second_batch_links_incrementally() {
    let set = SyntheticRegistry::new("20000", "7");
    let (feeds, registry) = (&set.feeds, set.registry());
    let run = |args: &[&str], expected: &[i32]| set.run(args, expected);

    for kind in ["registry_extract", "hospital_stay"] {
        let file = feeds.join(format!("{kind}.csv"));
        run(&["ingest", "--source", kind, arg(&file)], &[0, 1]);
    }

    let first = run(&["link"], &[0]);
    assert!(first.contains("blocking: about"), "{first}");
    assert!(!first.contains("incremental"), "{first}");
    let before = person_map(registry);
    let model_before =
        std::fs::read(registry.join("work/link/link_model.json")).unwrap();

    // A reviewer decides that the first queued pair is a match.
    let listed = run(&["review", "--limit", "1"], &[0]);
    let pair: Vec<&str> =
        listed.lines().next().unwrap().split_whitespace().collect();
    let (left, right) = (pair[0].to_string(), pair[1].to_string());
    run(
        &["review", "--pair", &left, &right, "--decision", "match"],
        &[0],
    );

    let file = feeds.join("pathology_report.csv");
    run(
        &["ingest", "--source", "pathology_report", arg(&file)],
        &[0, 1],
    );
    let second = run(&["link"], &[0]);
    assert!(second.contains("link: incremental"), "{second}");
    assert!(
        second.contains("involving records new since the last run"),
        "{second}"
    );
    assert!(second.contains("model from earlier run"), "{second}");
    assert!(
        second.contains("1 reviewers' decisions applied"),
        "{second}"
    );
    let after = person_map(registry);
    assert!(after.len() > before.len(), "the new batch must add records");
    assert_eq!(
        std::fs::read(registry.join("work/link/link_model.json")).unwrap(),
        model_before,
        "an incremental run scores with the earlier model"
    );
    assert_eq!(
        after[&left], after[&right],
        "the reviewed match still holds after the increment"
    );

    // An earlier person changes id only when a new record joins it to
    // another earlier person (one of the two ids then retires) or the chain
    // guard splits it. Both are rare, so nearly every record keeps its id.
    let changed = before
        .iter()
        .filter(|(record, person)| after[*record] != **person)
        .count();
    assert!(
        changed * 200 <= before.len(),
        "{changed} of {} earlier records changed person id",
        before.len()
    );
    let earlier_ids: std::collections::HashSet<&String> =
        before.values().collect();
    let fresh_for_old = before
        .keys()
        .filter(|record| !earlier_ids.contains(&after[*record]))
        .count();
    assert!(
        fresh_for_old * 1000 <= before.len(),
        "{fresh_for_old} earlier records moved to a person id never seen before"
    );

    // A full relink with the saved model compares the same pairs (the
    // earlier ones plus those with a new record) and gives each the weight
    // the incremental run stored: same parameters, same levels.
    let saved = set.dir.path().join("link_model.json");
    std::fs::copy(registry.join("work/link/link_model.json"), &saved).unwrap();
    let stored = pair_weights(registry);
    let full = run(&["link", "--full", "--model", arg(&saved)], &[0]);
    assert!(!full.contains("link: incremental"), "{full}");
    assert!(full.contains("no training"), "{full}");
    let rescored = pair_weights(registry);
    assert_eq!(rescored.len(), stored.len());
    for (pair, weight) in &stored {
        let again = rescored.get(pair).expect("the same candidate pairs");
        assert_eq!(weight.to_bits(), again.to_bits(), "pair {pair:?}");
    }
    let relinked = person_map(registry);
    let kept = relinked
        .iter()
        .filter(|(record, person)| after.get(*record) == Some(*person))
        .count();
    assert!(kept * 100 >= relinked.len() * 99, "{kept} ids kept");
}

/// Reads the number before `label` in the last `link:` line that has it,
/// e.g. 2038 for "persons" in "... 2038 persons (...".
fn count_before(output: &str, label: &str) -> u64 {
    let line = output
        .lines()
        .rev()
        .find(|line| line.starts_with("link:") && line.contains(label))
        .unwrap_or_else(|| panic!("no link line with {label:?}\n{output}"));
    let (before, _) = line.split_once(label).unwrap();
    let number = before.split_whitespace().last().unwrap();
    number
        .parse()
        .unwrap_or_else(|_| panic!("{number:?} before {label:?} in {line}"))
}

#[test]
fn resent_records_keep_their_pairs_on_relink() {
    // Records sent again in a later file keep their record ids, so one id
    // names two staged records. A second `rnc link` with nothing new must
    // carry every stored pair to both copies and find the same persons.
    let set = SyntheticRegistry::new("5000", "3");
    let run = |args: &[&str], expected: &[i32]| set.run(args, expected);
    for kind in ["registry_extract", "hospital_stay"] {
        let file = set.feeds.join(format!("{kind}.csv"));
        run(&["ingest", "--source", kind, arg(&file)], &[0, 1]);
    }
    let stays =
        std::fs::read_to_string(set.feeds.join("hospital_stay.csv")).unwrap();
    let resent: String = stays
        .lines()
        .take(41)
        .map(|line| format!("{line}\n"))
        .collect();
    let resent_file = set.feeds.join("hospital_stay_resent.csv");
    std::fs::write(&resent_file, resent).unwrap();
    run(
        &["ingest", "--source", "hospital_stay", arg(&resent_file)],
        &[0, 1],
    );

    let first = run(&["link"], &[0]);
    let second = run(&["link"], &[0]);
    assert!(second.contains("link: incremental, 0 new"), "{second}");
    assert_eq!(
        count_before(&first, "candidate"),
        count_before(&second, "candidate")
    );
    assert_eq!(
        count_before(&first, "persons ("),
        count_before(&second, "persons (")
    );
    assert_eq!(
        count_before(&second, "kept from"),
        count_before(&second, "candidate"),
        "{second}"
    );
}

/// Reads the person map's rows in their order, copies of a record sent
/// again included.
fn person_map_rows(registry: &Path) -> Vec<(String, String)> {
    let path = registry.join("work/link/person_map.parquet");
    let mut rows = Vec::new();
    for batch in read_parquet(&path).unwrap() {
        let column = |name: &str| {
            batch
                .column_by_name(name)
                .unwrap()
                .as_string::<i32>()
                .clone()
        };
        let (records, persons) = (column("record_id"), column("person_id"));
        for i in 0..batch.num_rows() {
            rows.push((
                records.value(i).to_string(),
                persons.value(i).to_string(),
            ));
        }
    }
    rows
}

#[test]
fn corrected_copies_keep_persons_on_relink() {
    // A row sent again with other identifiers (a correction) keeps its
    // record id, and linkage may put the two copies in two persons. A
    // full relink of the same records must give every copy the person id
    // the earlier run gave it.
    let set = SyntheticRegistry::new("3000", "4");
    let run = |args: &[&str], expected: &[i32]| set.run(args, expected);
    let stays =
        std::fs::read_to_string(set.feeds.join("hospital_stay.csv")).unwrap();
    let lines: Vec<&str> = stays.lines().collect();
    let separator = if lines[0].contains(';') { ';' } else { ',' };
    let column = |name: &str| {
        lines[0]
            .split(separator)
            .position(|n| n == name)
            .unwrap_or_else(|| panic!("no {name} column"))
    };
    let (id, nir, birth_name) =
        (column("stay_id"), column("nir"), column("birth_name"));
    // Forty stays of forty persons or nearly, so that most persons have
    // one record. Then the first twenty sent again as corrections: each
    // keeps its stay id but takes the fields of the stay twenty rows down,
    // without NIR and under a surname no one else has.
    let original = lines[..=40].join("\n") + "\n";
    let mut corrected = format!("{}\n", lines[0]);
    for i in 1..=20 {
        let mut fields: Vec<String> =
            lines[i + 20].split(separator).map(String::from).collect();
        fields[id] = lines[i].split(separator).nth(id).unwrap().to_string();
        fields[nir] = String::new();
        let letter = char::from(b'A' + i as u8);
        fields[birth_name] = format!("QUARTIER{letter}{letter}OZ");
        corrected += &(fields.join(&separator.to_string()) + "\n");
    }
    for (name, text) in [("stays", original), ("corrected", corrected)] {
        let file = set.feeds.join(format!("{name}.csv"));
        std::fs::write(&file, text).unwrap();
        run(
            &["ingest", "--source", "hospital_stay", arg(&file)],
            &[0, 1],
        );
    }

    run(&["link"], &[0]);
    let first = person_map_rows(set.registry());
    let split = first
        .windows(2)
        .filter(|w| w[0].0 == w[1].0 && w[0].1 != w[1].1)
        .count();
    assert!(split >= 10, "only {split} copies in two persons");
    let relinked = run(&["link", "--full"], &[0]);
    let second = person_map_rows(set.registry());

    assert_eq!(first.len(), second.len());
    let changed: Vec<_> =
        first.iter().zip(&second).filter(|(a, b)| a != b).collect();
    assert!(changed.is_empty(), "{changed:?}\n{relinked}");
}
