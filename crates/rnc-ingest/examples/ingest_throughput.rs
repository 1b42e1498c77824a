//! Throughput of the ingestion library on one file: reading, every check,
//! pseudonymisation, conversion to Arrow and zstd Parquet writing of the
//! accepted and quarantined rows, as `rnc ingest` does them, without the
//! registry's catalogue.
//!
//! ```sh
//! cargo run --release -p rnc-ingest --example ingest_throughput -- \
//!     registry_extract FEED.csv OUT_DIR
//! ```
//!
//! Prints one line with the counts, the wall-clock time, rows per second,
//! and the process's CPU time per row (user and system, from
//! `/proc/self/stat`), which depends less on other work on the machine than the
//! wall-clock rate. `crates/rnc-ingest/benches/ingest.sh` writes a feed to
//! run it on.

use std::fs::File;
use std::path::PathBuf;
use std::time::Instant;

use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use rnc_ingest::{
    IngestKeys, ReadOptions, ingest_file_chunked, quarantine_schema,
    quarantine_to_batch,
};
use rnc_model::SourceKind;
use rnc_model::tables::{source_record_schema, source_records_to_batch};
use rnc_pseudonym::{Key, Pseudonymiser, RegistryLayer};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: ingest_throughput KIND FILE OUT_DIR";
    let kind: SourceKind = args.next().ok_or(usage)?.parse()?;
    let file = PathBuf::from(args.next().ok_or(usage)?);
    let out = PathBuf::from(args.next().ok_or(usage)?);
    std::fs::create_dir_all(&out)?;

    let properties = || {
        WriterProperties::builder()
            .set_compression(Compression::ZSTD(ZstdLevel::default()))
            .set_max_row_group_row_count(Some(64 * 1024))
            .build()
    };
    let mut records = ArrowWriter::try_new(
        File::create(out.join("source_records.parquet"))?,
        source_record_schema(),
        Some(properties()),
    )?;
    let mut quarantine = ArrowWriter::try_new(
        File::create(out.join("quarantine.parquet"))?,
        quarantine_schema(),
        Some(properties()),
    )?;
    // Fixed keys: the pseudonyms are thrown away with the output. Both
    // layers are applied, as `rnc ingest` does on a clear file.
    let provider = Pseudonymiser::new(&Key::from_bytes([7; 32]));
    let registry = RegistryLayer::new(&Key::from_bytes([8; 32]));
    let keys = IngestKeys {
        registry: &registry,
        provider: Some(&provider),
    };

    let started = Instant::now();
    let summary = ingest_file_chunked(
        kind,
        &file,
        None,
        &ReadOptions::default(),
        keys,
        "B000001",
        |chunk| -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
            records.write(&source_records_to_batch(&chunk.records)?)?;
            if !chunk.quarantine.is_empty() {
                quarantine.write(&quarantine_to_batch(&chunk.quarantine)?)?;
            }
            Ok(())
        },
    )?;
    records.close()?;
    quarantine.close()?;
    let seconds = started.elapsed().as_secs_f64();

    let cpu = cpu_seconds();
    let rows = summary.rows_read as f64;
    println!(
        "ingest_throughput: {} rows read, {} accepted, {} quarantined in \
         {seconds:.2} s: {:.0} rows/s wall clock, {:.2} µs CPU per row \
         ({cpu:.1} s CPU)",
        summary.rows_read,
        summary.rows_accepted,
        summary.rows_quarantined,
        rows / seconds,
        cpu * 1e6 / rows,
    );
    Ok(())
}

/// User and system CPU time of this process so far, in seconds, from
/// `/proc/self/stat` (fields 14 and 15, in clock ticks of 1/100 s, the
/// value `getconf CLK_TCK` gives on usual Linux systems).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The command name (field 2) is in parentheses and may hold spaces.
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks = |index: usize| -> f64 {
        fields
            .get(index)
            .and_then(|t| t.parse().ok())
            .unwrap_or(0.0)
    };
    // The fields after the name start at field 3, so fields 14 and 15
    // are at indexes 11 and 12.
    (ticks(11) + ticks(12)) / 100.0
}
