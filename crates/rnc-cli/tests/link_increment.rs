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
