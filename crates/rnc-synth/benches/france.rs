//! Writes one year of synthetic France (`SynthConfig::france`, 2023) and
//! prints the rows written and the time taken.
//!
//! Run with `cargo bench -p rnc-synth --bench france`, or through
//! `benches/france.sh` for the peak memory as well. The output directory is
//! `RNC_BENCH_OUT` when set, else a temporary directory removed at the end;
//! `RAYON_NUM_THREADS` sets the number of threads.

use std::path::PathBuf;
use std::time::Instant;

use rnc_synth::{SynthConfig, write_synthetic};

fn main() {
    let temporary = tempfile::tempdir().expect("a temporary directory");
    let out = std::env::var_os("RNC_BENCH_OUT")
        .map(PathBuf::from)
        .unwrap_or_else(|| temporary.path().join("france"));
    let config = SynthConfig::france(1, 2023, 2023);
    let started = Instant::now();
    let summary = write_synthetic(&config, &out).unwrap_or_else(|error| {
        panic!("writing {} failed: {error}", out.display())
    });
    let seconds = started.elapsed().as_secs_f64();

    let records: u64 = summary.records_by_feed.iter().map(|(_, n)| n).sum();
    let read_by_ingestion: u64 =
        summary.records_by_kind.iter().map(|(_, n)| n).sum();
    for (feed, rows) in &summary.records_by_feed {
        println!("{:<18} {rows:>10} rows", feed.name());
    }
    println!(
        "synth/france/1y: {} persons, {} tumours, {records} source records \
         ({read_by_ingestion} in the feeds rnc ingest reads) in {seconds:.1} s \
         with {} threads",
        summary.persons,
        summary.tumours,
        rayon::current_num_threads()
    );
}
