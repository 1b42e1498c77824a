//! The tumours of a person must not depend on the order of the records
//! (a property that the consolidation guarantees by sorting).

mod common;

use common::{death, pathology, registry, stay};
use proptest::prelude::*;
use rnc_model::SourceRecord;
use rnc_rules::consolidate_person;

fn person_records() -> Vec<SourceRecord> {
    vec![
        stay("S1", "2020-01-10", "C18.7", &[]),
        pathology("A", "2020-02-01", "C18.7", 8140),
        stay("S2", "2020-02-15", "Z51.1", &["C78.7", "C18.7"]),
        registry("R", "2021-06-01", "C50.4", 8500),
        pathology("B", "2021-05-20", "C50.2", 8520),
        pathology("C", "2022-01-10", "C77.3", 9591),
        stay("S3", "2022-02-10", "C83.3", &[]),
        death("D", "2024-01-05", "C18.9"),
    ]
}

proptest! {
    #[test]
    fn shuffled_records_same_tumours(seed in any::<u64>()) {
        let records = person_records();
        let reference: Vec<&SourceRecord> = records.iter().collect();
        let expected = consolidate_person("P3", &reference);

        // Fisher-Yates with a small linear congruential generator seeded by
        // proptest, so that failures shrink to a seed.
        let mut shuffled = reference.clone();
        let mut state = seed;
        for i in (1..shuffled.len()).rev() {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let j = (state >> 33) as usize % (i + 1);
            shuffled.swap(i, j);
        }
        let found = consolidate_person("P3", &shuffled);
        prop_assert_eq!(found, expected);
    }
}

// Expected count: colon (stays, pathology, death), breast (registry and
// pathology, both adenocarcinoma group 3) and lymphoma (9591 group 14
// with C83.3 diffuse large B-cell, group 9) are three tumours under the
// IARC/IACR 2004 rules.
#[test]
fn example_person_has_three_tumours() {
    let records = person_records();
    let refs: Vec<&SourceRecord> = records.iter().collect();
    let result = consolidate_person("P3", &refs);
    let ids: Vec<&str> = result
        .tumours
        .iter()
        .map(|t| t.tumour_id.as_str())
        .collect();
    assert_eq!(ids, ["P3-T1", "P3-T2", "P3-T3"]);
    let sites: Vec<String> = result
        .tumours
        .iter()
        .map(|t| t.site_group.clone())
        .collect();
    assert_eq!(sites, ["colon_rectum", "breast", "non_hodgkin_lymphoma"]);
    assert_eq!(
        result.tumours[1].incidence_date.unwrap().to_iso(),
        "2021-06-01"
    );
    assert_eq!(result.tumours[2].morphology.histology(), 9680);
}

// A hospital stay sent again in the next year's file keeps its id. It
// counts once, and the copy of the later batch (here a corrected code)
// replaces the first, whatever the order of the input.
#[test]
fn resubmitted_record_counts_once() {
    let mut first = stay("S1", "2020-01-10", "C18.9", &[]);
    first.batch_id = "B000001".into();
    let mut again = stay("S1", "2020-01-10", "C18.7", &[]);
    again.batch_id = "B000002".into();
    for records in [[&first, &again], [&again, &first]] {
        let result = consolidate_person("P1", &records);
        assert_eq!(result.tumours.len(), 1);
        assert_eq!(result.tumours[0].record_ids, vec!["hospital_stay/S1"]);
        assert_eq!(result.tumours[0].topography.to_string(), "C18.7");
        assert_eq!(result.record_tumour.len(), 1);
    }
}
