//! Throughput of the ingestion library on one file: reading, every check,
//! pseudonymisation, conversion to Arrow and zstd Parquet writing of the
//! accepted and quarantined rows, as `rnc ingest` does them, without the
//! registry's catalogue.
//!
//! ```sh
//! cargo run --release -p rnc-ingest --example ingest_throughput -- \
//!     registry_extract FEED.csv OUT_DIR [--provider-file]
//! ```
//!
//! A clear feed gets both layers of pseudonyms in the run, the provider's
//! keyed hashes and the registry's seal, as `rnc ingest --provider-key`
//! does. With `--provider-file` the feed is first turned into a provider
//! file, as `rnc pseudonymise` does at the hospital or laboratory; that
//! step is timed apart and not counted. The run then ingests the provider
//! file, applying only the registry's layer. This is the usual path,
//! because the law requires data to be pseudonymised before they reach
//! the registry.
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
use rnc_pseudonym::provider::pseudonymise_file;
use rnc_pseudonym::{
    ClkEncoder, ClkSettings, Key, Pseudonymiser, RegistryLayer,
};

/// The allocator of the `rnc` binary, so that the figures are those of
/// `rnc ingest`.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The purge delay `rnc` sets at start, for the reason given in
    // `crates/rnc-cli/src/main.rs`: mimalloc 3's option 15 to -1, never,
    // instead of its default 1 000 ms.
    // SAFETY: setting a mimalloc option takes no pointer; the option is
    // checked by its default value first.
    unsafe {
        if libmimalloc_sys::mi_option_get(15) == 1_000 {
            libmimalloc_sys::mi_option_set(15, -1);
        }
    }
    let mut args = std::env::args().skip(1);
    let usage = "usage: ingest_throughput KIND FILE OUT_DIR [--provider-file]";
    let kind: SourceKind = args.next().ok_or(usage)?.parse()?;
    let mut file = PathBuf::from(args.next().ok_or(usage)?);
    let out = PathBuf::from(args.next().ok_or(usage)?);
    let provider_file = match args.next().as_deref() {
        None => false,
        Some("--provider-file") => true,
        Some(_) => return Err(usage.into()),
    };
    std::fs::create_dir_all(&out)?;

    // Fixed keys: the pseudonyms are thrown away with the output.
    let provider_key = Key::from_bytes([7; 32]);
    let provider = Pseudonymiser::new(&provider_key);
    let registry = RegistryLayer::new(&Key::from_bytes([8; 32]));
    if provider_file {
        let started = Instant::now();
        let pseudonymised = out.join("provider_file.csv");
        let clk = ClkEncoder::new(&provider_key, ClkSettings::default())?;
        pseudonymise_file(kind, &file, &pseudonymised, &provider, &clk)?;
        println!(
            "provider file written in {:.2} s (not counted below)",
            started.elapsed().as_secs_f64()
        );
        file = pseudonymised;
    }
    let cpu_before = cpu_seconds();

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

    let cpu = cpu_seconds() - cpu_before;
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
