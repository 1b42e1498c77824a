//! Command-line arguments.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

const EXIT_CODES: &str = "\
Exit codes: 0 done and clean; 1 done, but records were quarantined or
flagged by a quality check; 2 the run could not complete.";

/// rnc: the engine of a national, population-based cancer registry.
///
/// Data flow one way: ingest source feeds (pseudonymising identifiers on
/// entry), link records into persons, consolidate them into tumours, make an
/// immutable release, then compute statistics and reports on it.
#[derive(Debug, Parser)]
#[command(name = "rnc", version, after_help = EXIT_CODES)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// Options of every subcommand.
#[derive(Debug, Args)]
pub struct Global {
    /// Registry directory: catalogue, staged batches, work tables and
    /// releases.
    #[arg(long, global = true, default_value = "registry")]
    pub registry: PathBuf,

    /// Pseudonymisation key file, created with mode 0600 on first use. Keep
    /// it outside the registry directory; the default is `<registry>.key`
    /// next to it.
    #[arg(long, global = true)]
    pub key: Option<PathBuf>,

    /// Log filter for stderr, e.g. `info` or `rnc_link=debug` (default:
    /// RUST_LOG, else `warn`).
    #[arg(long, global = true)]
    pub log_level: Option<String>,

    /// Hide progress bars.
    #[arg(long, global = true)]
    pub quiet: bool,
}

impl Global {
    /// The key file: `--key`, else `<registry>.key`.
    pub fn key_path(&self) -> PathBuf {
        self.key.clone().unwrap_or_else(|| {
            let mut name = self
                .registry
                .file_name()
                .map(|n| n.to_os_string())
                .unwrap_or_else(|| "registry".into());
            name.push(".key");
            self.registry.with_file_name(name)
        })
    }
}

/// The subcommands, in pipeline order.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write synthetic national source feeds with a known truth.
    #[command(after_help = "Example:\n  rnc synth --persons 200000 --seed 7 --out feeds\n\n\
        Writes registry_extract.csv, hospital_stay.csv, pathology_report.csv,\n\
        death_record.csv, population.csv and truth/ under --out. The same\n\
        seed writes byte-identical files.")]
    Synth(SynthArgs),

    /// Validate, pseudonymise and stage source files; bad rows go to
    /// quarantine.
    #[command(after_help = "Example:\n  rnc ingest --source hospital_stay feeds/hospital_stay.csv\n  \
        rnc ingest --population feeds/population.csv\n\n\
        Source kinds: registry_extract, hospital_stay, pathology_report, death_record.\n\
        Prints rows read, accepted and quarantined per file. Exit code 1 when\n\
        any row was quarantined.")]
    Ingest(IngestArgs),

    /// Link staged records into persons (NIR agreement, then
    /// Fellegi-Sunter with EM).
    #[command(after_help = "Example:\n  rnc link --threshold 0.95")]
    Link(LinkArgs),

    /// Group each person's records into tumours (IARC/IACR 2004) and run
    /// the quality checks.
    #[command(after_help = "Example:\n  rnc consolidate\n\nExit code 1 when a check flags a tumour.")]
    Consolidate,

    /// Freeze the linked and consolidated tables into an immutable,
    /// versioned release.
    #[command(after_help = "Example:\n  rnc release\n  rnc release --verify R0001")]
    Release(ReleaseArgs),

    /// Incidence counts, crude and age-standardised rates with Fay-Feuer
    /// intervals, as CSV and Parquet.
    #[command(after_help = "Example:\n  rnc stats --out stats\n  \
        rnc stats --population my_population.csv --release R0001 --out stats")]
    Stats(StatsArgs),

    /// Write the HTML report (tables and SVG plots) of a release.
    #[command(after_help = "Example:\n  rnc report --out report")]
    Report(StatsArgs),

    /// Run SQL on a release with Apache DataFusion.
    #[command(after_help = "Example:\n  rnc sql \"SELECT site_group, sex, COUNT(*) AS tumours \
        FROM tumours GROUP BY 1, 2 ORDER BY 3 DESC\"\n\n\
        Tables: persons, tumours, source_records, link_pairs, quality_checks, population.")]
    Sql(SqlArgs),

    /// Run the whole pipeline on a fresh synthetic population and compare
    /// it with the truth.
    #[command(after_help = "Example:\n  rnc demo --out demo\n\n\
        Writes demo/feeds, demo/registry, demo/rnc.key and demo/report/report.html,\n\
        then prints linkage precision and recall and the tumour count against the truth.")]
    Demo(DemoArgs),
}

/// Arguments of `rnc synth`.
#[derive(Debug, Args)]
pub struct SynthArgs {
    /// Size of the synthetic population (all ages).
    #[arg(long, default_value_t = 200_000)]
    pub persons: u64,
    /// Random seed; the same seed gives byte-identical files.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// First calendar year of diagnoses.
    #[arg(long, default_value_t = 2019)]
    pub first_year: i32,
    /// Last calendar year of diagnoses.
    #[arg(long, default_value_t = 2023)]
    pub last_year: i32,
    /// Output directory.
    #[arg(long)]
    pub out: PathBuf,
}

/// Arguments of `rnc ingest`.
#[derive(Debug, Args)]
pub struct IngestArgs {
    /// Source kind of the files.
    #[arg(long, required_unless_present = "population")]
    pub source: Option<String>,
    /// Files to ingest, each as its own batch.
    pub files: Vec<PathBuf>,
    /// A population CSV (year,sex,age_band,departement,population) to use
    /// as denominators.
    #[arg(long)]
    pub population: Option<PathBuf>,
    /// Load a file even if a file with the same content was already
    /// ingested.
    #[arg(long)]
    pub allow_duplicate: bool,
}

/// Arguments of `rnc link`.
#[derive(Debug, Args)]
pub struct LinkArgs {
    /// Posterior match probability at or above which a pair is linked.
    #[arg(long, default_value_t = 0.95)]
    pub threshold: f64,
    /// Maximum number of EM iterations.
    #[arg(long, default_value_t = 25)]
    pub max_iterations: u32,
    /// Random pairs sampled to estimate u probabilities.
    #[arg(long, default_value_t = 1_000_000)]
    pub u_sample_pairs: u64,
    /// Seed of the u sampling.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

/// Arguments of `rnc release`.
#[derive(Debug, Args)]
pub struct ReleaseArgs {
    /// Check that the tables of this release still match their recorded
    /// SHA-256, instead of making a new release.
    #[arg(long)]
    pub verify: Option<String>,
}

/// Arguments of `rnc stats` and `rnc report`.
#[derive(Debug, Args)]
pub struct StatsArgs {
    /// Release to use (default: the latest).
    #[arg(long)]
    pub release: Option<String>,
    /// Population CSV to use instead of the registry's population table.
    #[arg(long)]
    pub population: Option<PathBuf>,
    /// Output directory (default: `<registry>/outputs/<release>`).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// Arguments of `rnc sql`.
#[derive(Debug, Args)]
pub struct SqlArgs {
    /// The query.
    pub query: String,
    /// Release to query (default: the latest).
    #[arg(long)]
    pub release: Option<String>,
    /// Print CSV instead of a text table.
    #[arg(long)]
    pub csv: bool,
}

/// Arguments of `rnc demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Output directory for feeds, registry, key and report.
    #[arg(long, default_value = "demo")]
    pub out: PathBuf,
    /// Size of the synthetic population.
    #[arg(long, default_value_t = 300_000)]
    pub persons: u64,
    /// Random seed.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}
