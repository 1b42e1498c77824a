//! Accuracy of `rnc link` on a synthetic registry with the full default
//! noise of `rnc synth` (missing, mistyped and other persons' NIRs, married
//! names as birth names, name typos and swaps, transposed dates, missing
//! fields, duplicates and late records), every feed ingested. The truth
//! comes from the generator, not from the linkage.

mod common;

use common::{SyntheticRegistry, arg};

/// Reads the F1 from the line `rnc link --truth` prints.
fn printed_f1(output: &str) -> f64 {
    let line = output
        .lines()
        .find(|l| l.starts_with("linkage against the truth"))
        .unwrap_or_else(|| panic!("no truth line in:\n{output}"));
    line.split("F1 ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|value| value.parse().ok())
        .unwrap_or_else(|| panic!("no F1 in: {line}"))
}

#[test]
fn full_noise_f1_at_least_0995() {
    // 50 000 persons give about 19 000 records and 100 000 true pairs.
    let set = SyntheticRegistry::new("50000", "3");
    let feeds = &set.feeds;
    let run = |args: &[&str], expected: &[i32]| set.run(args, expected);

    for kind in [
        "registry_extract",
        "hospital_stay",
        "death_record",
        "long_term_illness",
        "screening",
    ] {
        let file = feeds.join(format!("{kind}.csv"));
        run(&["ingest", "--source", kind, arg(&file)], &[0, 1]);
    }
    let pathology = feeds.join("pathology_report.csv");
    let fhir = feeds.join("pathology_report_fhir_0000.json");
    run(
        &[
            "ingest",
            "--source",
            "pathology_report",
            arg(&pathology),
            arg(&fhir),
        ],
        &[0, 1],
    );
    let truth = feeds.join("truth/records.csv");
    let linked = run(&["link", "--truth", arg(&truth)], &[0]);
    let f1 = printed_f1(&linked);
    // Measured 0.99895 (precision 0.99996, recall 0.99795) when this test
    // was written; 0.995 is the target the linkage must keep.
    assert!(f1 >= 0.995, "F1 {f1} below 0.995:\n{linked}");
}
