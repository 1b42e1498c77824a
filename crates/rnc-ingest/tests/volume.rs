//! A large file is read completely, in order, and fast enough.

mod common;

use std::fmt::Write;
use std::time::Instant;

use common::{REGISTRY_HEADER, ingest};
use rnc_model::SourceKind;

/// 100 000 rows in an optimised build; a tenth of that unoptimised, where
/// the same run takes over ten seconds.
const ROWS: usize = if cfg!(debug_assertions) {
    10_000
} else {
    100_000
};

/// Synthetic rows: every 1000th has an impossible incidence date.
fn large_registry() -> String {
    let mut content = String::with_capacity(ROWS * 110);
    content.push_str(REGISTRY_HEADER);
    content.push('\n');
    for i in 0..ROWS {
        let day = if i % 1000 == 999 { 30 } else { 1 + i % 28 };
        writeln!(
            content,
            "T{i},REG14,,Martin{},Dupont,Anne{},2,19{:02}-0{}-1{},35,2021-02-{day:02},C50.4,8500,3,,7,,",
            i % 997,
            i % 101,
            30 + i % 60,
            1 + i % 9,
            i % 10,
        )
        .unwrap();
    }
    content
}

#[test]
fn hundred_thousand_rows() {
    let content = large_registry();

    let started = Instant::now();
    let outcome = ingest(SourceKind::RegistryExtract, "large.csv", &content);
    let elapsed = started.elapsed();
    eprintln!("ingested {ROWS} rows in {elapsed:?}");

    assert_eq!(outcome.rows_read, ROWS as u64);
    assert_eq!(outcome.quarantine.len(), ROWS / 1000);
    assert_eq!(outcome.records.len(), ROWS - ROWS / 1000);
    assert_eq!(outcome.quarantine[0].line, 1001);
    let lines_in_order = outcome
        .records
        .windows(2)
        .all(|pair| pair[0].source_line < pair[1].source_line);
    assert!(lines_in_order);
    // The limit applies to an optimised build only. `cargo test --release
    // -p rnc-ingest --test volume` took 0.6 s on a 2-core machine.
    if !cfg!(debug_assertions) {
        assert!(elapsed.as_secs_f64() < 1.0, "took {elapsed:?}");
    }
}
