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

    /// Pseudonymisation key file, created with mode 0600 on first use
    /// (by `rnc pseudonymise` only with --create-key). Keep it outside the
    /// registry directory; the default is `<registry>.key` next to it.
    #[arg(long, global = true)]
    pub key: Option<PathBuf>,

    /// Log filter for stderr, e.g. `info` or `rnc_link=debug` (default:
    /// RUST_LOG, else `warn`).
    #[arg(long, global = true)]
    pub log_level: Option<String>,

    /// Hide progress bars.
    #[arg(long, global = true)]
    pub quiet: bool,

    /// Engine of the set-based stages (statistics, SQL, linkage's
    /// candidate pairs): `local` (in process) or `ballista://HOST:PORT` (a
    /// scheduler started with `rnc scheduler`, whose executors mount the
    /// registry at the same path).
    #[arg(long, global = true, default_value = "local")]
    pub engine: rnc_engine::EngineKind,

    /// Memory that in-process queries may hold before they spill to disk,
    /// in bytes or with a K, M or G suffix (powers of 1024). The default is
    /// half the physical memory.
    #[arg(long, global = true, value_parser = parse_bytes)]
    pub memory_limit: Option<u64>,

    /// Folder for the spill files of in-process queries (default: the
    /// system's temporary folder).
    #[arg(long, global = true)]
    pub spill_dir: Option<PathBuf>,
}

impl Global {
    /// Builds the engine chosen by `--engine`, `--memory-limit` and
    /// `--spill-dir`.
    pub fn engine(&self) -> rnc_engine::Engine {
        rnc_engine::Engine::new(
            self.engine.clone(),
            rnc_engine::MemorySettings {
                memory_limit: self.memory_limit,
                spill_dir: self.spill_dir.clone(),
            },
        )
    }

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
    #[command(
        after_help = "Example:\n  rnc synth --persons 200000 --seed 7 --out feeds\n  \
        rnc synth --scale france --years 1 --out france\n  \
        rnc synth --check france\n\n\
        Writes registry_extract.csv, hospital_stay.csv, pathology_report.csv,\n\
        death_record.csv, long_term_illness.csv, screening.csv, treatment.csv,\n\
        population.csv, life_table.csv and truth/ under --out. The same seed writes byte-identical files.\n\
        --check compares a written set with its targets (cases by sex, site and\n\
        age band, stays per tumour, noise shares) and prints the deviations."
    )]
    Synth(SynthArgs),

    /// Provider-side step: replace the identifiers of a feed file by
    /// keyed pseudonyms and Bloom encodings before sending it.
    #[command(
        after_help = "Example:\n  rnc pseudonymise --key provider.key --create-key --source hospital_stay \\\n    \
        stays_2023.csv stays_2023.pseudonymised.csv\n\n\
        Run by the hospital, laboratory or registry that holds the file. The output keeps\n\
        the feed's non-identifying columns and holds no NIR, name or birth date; its columns\n\
        are described in docs/sources.md. It is written with mode 0600. --key is required\n\
        (the provider key, mode 0600), and only --create-key makes it when absent.\n\
        Exit code 1 when a NIR or birth date was invalid, 2 when the file could not be\n\
        pseudonymised (unreadable input, missing column, key problem)."
    )]
    Pseudonymise(PseudonymiseArgs),

    /// Validate, pseudonymise and stage source files; bad rows go to
    /// quarantine.
    #[command(
        after_help = "Example:\n  rnc ingest --source hospital_stay feeds/hospital_stay.csv\n  \
        rnc ingest --source pathology_report --mapping examples/mapping_pathology_report.toml export.csv\n  \
        rnc ingest --source pathology_report --encoding windows-1252 --delimiter semicolon acp.csv\n  \
        rnc ingest --source pathology_report acp.csv.gz acp.parquet acp.json acp.ndjson\n  \
        rnc ingest --population feeds/population.csv\n\n\
        Source kinds: registry_extract, hospital_stay, pathology_report, death_record,\n\
        long_term_illness, screening, treatment, clinical_record. A registry_extract file in the ENCR-JRC\n\
        call-for-data layout is recognised by its header. Forms are detected from the\n\
        first bytes: CSV text (UTF-8 by default, a UTF-8 byte-order mark is skipped;\n\
        comma, semicolon or tab found from the header line), gzip or zstd around CSV or\n\
        FHIR, Parquet, and FHIR R4 JSON Bundles (.json, or one per line in .ndjson) for\n\
        pathology_report. Feeds and mapping files are described in docs/sources.md.\n\
        Prints rows read, accepted and quarantined per file. Exit code 1 when\n\
        any row was quarantined."
    )]
    Ingest(IngestArgs),

    /// Link staged records into persons (NIR agreement, then
    /// Fellegi-Sunter with EM).
    #[command(after_help = "Example:\n  rnc link --threshold 0.95\n  \
        rnc link --model registry/releases/R1/link_model.json\n\n\
        After a first run, `rnc link` compares only the pairs that hold a record\n\
        staged since then, keeps the earlier pairs and scores the new ones with\n\
        the earlier model; --full relinks everything and trains again. A change\n\
        of --threshold, --max-iterations, --u-sample-pairs or --seed also\n\
        relinks in full. Persons keep their ids from run to run. The estimated\n\
        comparisons per blocking rule are printed before they run.\n\n\
        With --engine ballista://HOST:PORT the cluster's executors find and compare\n\
        the candidate pairs (the same pairs as in process); training, scoring and\n\
        clustering stay in this process:\n  \
        rnc --engine ballista://127.0.0.1:50050 link --full")]
    Link(LinkArgs),

    /// Group each person's records into tumours (IARC/IACR 2004) and run
    /// the quality checks.
    #[command(
        after_help = "Example:\n  rnc consolidate\n\nExit code 1 when a check flags a tumour."
    )]
    Consolidate,

    /// Freeze the linked and consolidated tables into an immutable,
    /// versioned release.
    #[command(
        after_help = "Example:\n  rnc release\n  rnc release --verify R0001"
    )]
    Release(ReleaseArgs),

    /// Incidence counts, crude and age-standardised rates with Fay-Feuer
    /// intervals, as CSV and Parquet.
    #[command(after_help = "Example:\n  rnc stats --out stats\n  \
        rnc stats --population my_population.csv --release R0001 --out stats\n\n\
        incidence.csv and incidence.parquet are internal analyst outputs with every\n\
        count. incidence_published.csv is for publication: counts below\n\
        --small-cell-threshold and the counts that would give them back by\n\
        difference are suppressed, and rates on fewer than 20 cases are flagged.\n\
        quality_indicators.csv (MV %, DCO %, M:I, ...) is the analyst output with\n\
        every count; quality_indicators_published.csv withholds the same small\n\
        counts, and the percentages and ratios that would give one back.\n\n\
        By any of site_group, sex, age_band, year, departement and region, with\n\
        mortality from the death records (incidence_by_*.csv, mortality_by_*.csv):\n  \
        rnc stats --by site_group,sex,region --mortality --out stats\n\n\
        Complete and partial prevalence by site group and sex (prevalence.csv):\n  \
        rnc stats --index-date 2023-12-31 --prevalence-years 1,3,5,10 --out stats\n\n\
        On any aggregate CSV instead of a release (an analyst output, not suppressed):\n  \
        rnc stats --input counts.csv --by sex,year --region-from departement \\\n    \
        --standard europe2013 --format json --out rates.json\n\n\
        On a cohort CSV (one row per patient): survival, and prevalence and incidence\n\
        when asked, written as survival, prevalence and incidence files in --out:\n  \
        rnc stats --input cohort.csv --layout cohort --exit-date-column exit_date \\\n    \
        --life-table life_table.csv --by sex --index-date 2017-12-31 \\\n    \
        --population person_years.csv --out cohort_stats")]
    Stats(StatsArgs),

    /// Write the HTML report (tables and SVG plots) of a release.
    #[command(after_help = "Example:\n  rnc report --out report")]
    Report(StatsArgs),

    /// Observed (Kaplan-Meier), relative (Ederer II) and net (Pohar-Perme)
    /// survival by site group, with a life table CSV.
    #[command(
        after_help = "Example:\n  rnc survival --life-table france_2000_2024.csv \\\n    \
        --closing-date 2024-12-31 --years 1,3,5 --out survival\n\n\
        The life table has the columns sex (male, female), age, year and hazard\n\
        (daily) or prob (annual probability of death); see docs/life-table.md.\n\
        --period-start and --period-end make it a period analysis (delayed entry);\n\
        --diagnosis-years a cohort analysis of those years of diagnosis.\n\
        Writes survival.csv: Kaplan-Meier, Ederer II, Pohar-Perme and Pohar-Perme\n\
        standardised with the ICSS 1 weights, by site group. Death-certificate-only\n\
        tumours, partial dates and zero days of follow-up are left out and counted."
    )]
    Survival(SurvivalArgs),

    /// Care pathways: one tumour's timeline, or the treatment and
    /// screening indicator tables of a release.
    #[command(after_help = "Example:\n  rnc pathway --tumour P00000042-T1\n  \
        rnc pathway --out pathway --life-table life_table.csv\n  \
        rnc pathway --out pathway --truth feeds\n\n\
        --tumour prints the tumour's dated events (screening, diagnosis, treatment,\n\
        follow-up, death), each with its source record, batch, file and line.\n\
        Otherwise writes, as CSV and Parquet: pathway_delays, pathway_combinations,\n\
        pathway_sequences, pathway_high_volume, pathway_postoperative,\n\
        screening_detection, screening_stage, screening_sensitivity,\n\
        screening_participation and, with --life-table, screening_survival.\n\
        Counts from 1 to --small-cell-threshold - 1 are suppressed with their\n\
        complements. Definitions and code lists: docs/pathways.md.")]
    Pathway(PathwayArgs),

    /// Confirm a rare or query finding of the last consolidation, so that
    /// the check passes on later runs while the tumour's codes stay the
    /// same.
    #[command(
        after_help = "Example:\n  rnc confirm --tumour P00000042-T1 --rule site_histology \\\n            --reason \"primary confirmed by pathology review\"\n\n\
        The confirmation is stored in <registry>/work/consolidate/confirmations.json,\n\
        keyed by tumour, rule and the tumour's codes; it lapses when a code changes.\n\
        Invalid findings cannot be confirmed. Never write identifiers in the reason."
    )]
    Confirm(ConfirmArgs),

    /// Export a release in an exchange format: the ENCR-JRC call-for-data
    /// incidence file.
    #[command(
        after_help = "Example:\n  rnc export --format encr-jrc --release R0001 --out encr_jrc.csv\n\n\
        Writes one row per tumour with the 56 columns of the ENCR-JRC incidence file\n\
        (default: <registry>/outputs/<release>/encr_jrc_incidence.csv). Birth dates\n\
        are exported as unknown because the registry holds none in clear."
    )]
    Export(ExportArgs),

    /// Run SQL on a release with Apache DataFusion.
    #[command(
        after_help = "Example:\n  rnc sql \"SELECT site_group, sex, COUNT(*) AS tumours \
        FROM tumours GROUP BY 1, 2 ORDER BY 3 DESC\"\n\n\
        Tables: persons, tumours, source_records, link_pairs, quality_checks, population."
    )]
    Sql(SqlArgs),

    /// Run every stage on a folder of feeds written by `rnc synth`: ingest,
    /// link, consolidate, release, statistics and report, with a timing
    /// table at the end.
    #[command(
        after_help = "Example:\n  rnc synth --scale france --years 1 --out france\n  \
        rnc run --feeds france --out france-run\n\n\
        Writes france-run/registry, france-run/rnc.key, france-run/stats and\n\
        france-run/report, then prints per stage: rows, wall time and peak resident memory.\n\n\
        With --key FILE the run pseudonymises with that key (created if missing)\n\
        instead of a new one in the output folder, so two runs of the same feeds\n\
        with one key give the same registry tables:\n  \
        rnc --key france.key run --feeds france --out france-run"
    )]
    Run(RunArgs),

    /// Start a Ballista scheduler with rnc's functions registered.
    #[cfg(feature = "ballista")]
    #[command(
        after_help = "Example:\n  rnc scheduler --bind 127.0.0.1:50050\n  \
        rnc executor --scheduler 127.0.0.1:50050\n  \
        rnc stats --engine ballista://127.0.0.1:50050\n\n\
        Ballista's ports have no authentication: bind a private address only\n\
        (see docs/deployment.md). Stops on Ctrl-C."
    )]
    Scheduler(SchedulerArgs),

    /// Start a Ballista executor with rnc's functions registered.
    #[cfg(feature = "ballista")]
    #[command(
        after_help = "Example:\n  rnc executor --scheduler 127.0.0.1:50050 \
        --flight-port 50051 --grpc-port 50052\n\n\
        The executor reads the registry directory at the path the client names,\n\
        so mount it at the same path on every machine. It never needs the key."
    )]
    Executor(ExecutorArgs),

    /// Run the whole pipeline on a fresh synthetic population and compare
    /// it with the truth.
    #[command(after_help = "Example:\n  rnc demo --out demo\n\n\
        Writes demo/feeds, demo/registry, demo/rnc.key and demo/report/report.html,\n\
        then prints linkage precision and recall and the tumour count against the truth.")]
    Demo(DemoArgs),

    /// Deduplicate any CSV with a linkage model file (Fellegi-Sunter with
    /// EM), writing each record's cluster id.
    #[command(
        after_help = "Example:\n  rnc dedupe febrl3.csv --id-column rec_id \
        --model examples/febrl.toml --out clusters.csv --pairs pairs.csv\n\n\
        The output has one row per input record: its id and cluster_id.\n\
        Exit code 1 when a compared column is entirely empty or when\n\
        clustering.cannot_link kept linked pairs apart (--review lists them)."
    )]
    Dedupe(crate::dedupe::DedupeArgs),

    /// Link two CSV files with a linkage model file, comparing only pairs
    /// across the files.
    #[command(
        after_help = "Example:\n  rnc link-files febrl4a.csv febrl4b.csv --id-column rec_id \
        --model examples/febrl.toml --out clusters.csv\n\n\
        The output has one row per input record: source (a or b), id and cluster_id.\n\
        Exit codes as for rnc dedupe."
    )]
    LinkFiles(crate::dedupe::LinkFilesArgs),

    /// List the pairs `rnc link` left for clerical review, or record a
    /// decision that every later `rnc link` applies.
    #[command(after_help = "Example:\n  rnc review --limit 10\n  \
        rnc review --pair hospital_stay/12 pathology_report/7 --decision non-match\n\n\
        The queue holds pairs with a match probability from 0.5 to 0.99 (or the\n\
        link threshold if higher), with their comparison levels and no identifier.")]
    Review(crate::review::ReviewArgs),

    /// Move every stored pseudonym and name filter from the registry key
    /// (--key) to a new one, without forming a clear identifier.
    #[command(
        after_help = "Example:\n  rnc rotate --key registry.key --new-key registry.2027.key\n\n\
        Opens each stored pseudonym with the current key (AES-SIV), which gives back the\n\
        provider's keyed hash, and seals it with the new key; moves the bits of each name\n\
        Bloom filter from the old key's permutation to the new one's. All batches switch\n\
        in one catalogue update, so an interrupted rotation leaves the registry under the\n\
        old key. Linkage gives the same persons afterwards; work tables, review decisions\n\
        and releases hold no pseudonym and stay as they are. The new key file is created\n\
        (mode 0600) when absent. The old key is rejected afterwards: destroy it."
    )]
    Rotate(RotateArgs),

    /// Serve published indicators, a dashboard, release tables by role
    /// and research extracts over HTTP, recording every request in the
    /// audit log.
    #[command(
        after_help = "Example:\n  rnc serve --registry registry --listen 127.0.0.1:8080\n\n\
        Without a token a caller has the public role (suppressed indicators only);\n\
        issue tokens with `rnc token create`. Every request is appended to\n\
        <registry>/service/audit.log; check it with `rnc audit verify`.\n\
        Ctrl-C or SIGTERM stops the service."
    )]
    Serve(crate::service::ServeArgs),

    /// Verify the service's audit log: hash chain, signed head, anchors.
    #[command(
        after_help = "Example:\n  rnc audit verify --registry registry\n  \
        rnc audit verify --anchor 1042:3f5a…\n\n\
        Exit code 0 when intact; 1 when entries follow the signed head (written\n\
        less than a second before the service stopped, or appended by someone\n\
        without the service key); 2 when an entry was altered, deleted or\n\
        reordered, or the tail was cut."
    )]
    Audit(crate::service::AuditArgs),

    /// Issue, list or revoke the service's bearer tokens.
    #[command(
        after_help = "Example:\n  rnc token create --name \"INCa analysts\" --role analyst\n  \
        rnc token create --name \"lab X\" --role researcher --project P2025-01\n  \
        rnc token list\n  rnc token revoke T0002\n\n\
        The token is printed once; the registry keeps only its SHA-256. A running\n\
        service picks up changes within a second."
    )]
    Token(crate::service::TokenArgs),

    /// Approve a research project or list approved projects.
    #[command(
        after_help = "Example:\n  rnc project add --id P2025-01 --title \"Colon cancer survival\" --k 5"
    )]
    Project(crate::service::ProjectArgs),
}

/// Arguments of `rnc rotate`.
#[derive(Debug, Args)]
pub struct RotateArgs {
    /// The new registry key file, outside the registry directory; created
    /// with mode 0600 when it does not exist.
    #[arg(long)]
    pub new_key: PathBuf,
}

/// Arguments of `rnc synth`.
#[derive(Debug, Args)]
pub struct SynthArgs {
    /// Size of the synthetic population (all ages).
    #[arg(long, default_value_t = 200_000)]
    pub persons: u64,
    /// Population scale instead of --persons: `france` is the INSEE
    /// population of 1 January 2023 (67.8 million) plus the births.
    #[arg(long, value_parser = ["france"], conflicts_with = "persons")]
    pub scale: Option<String>,
    /// Random seed; the same seed gives byte-identical files.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// First calendar year of diagnoses.
    #[arg(long, default_value_t = 2019)]
    pub first_year: i32,
    /// Last calendar year of diagnoses.
    #[arg(long, default_value_t = 2023)]
    pub last_year: i32,
    /// Number of years ending with --last-year, instead of --first-year.
    #[arg(long, conflicts_with = "first_year")]
    pub years: Option<u32>,
    /// Output directory.
    #[arg(long, required_unless_present = "check")]
    pub out: Option<PathBuf>,
    /// Compare the data set in this directory with its targets instead of
    /// writing one.
    #[arg(long, conflicts_with = "out")]
    pub check: Option<PathBuf>,
    /// Noise settings: a TOML file with one table per feed
    /// (`[hospital_stay]`) and noise shares from 0 to 1, e.g.
    /// `nir_missing = 0.05`; what it leaves out keeps its default.
    #[arg(long, value_name = "FILE")]
    pub noise: Option<PathBuf>,
    /// File conventions: `native` writes each source as it sends its files
    /// (hospital stays in Windows-1252 with semicolons and dd/mm/yyyy
    /// dates), one file per feed and year; `plain` writes every feed as
    /// UTF-8 CSV with ISO dates, one file per feed.
    #[arg(long, value_parser = ["native", "plain"], default_value = "native")]
    pub feed_format: String,
    /// Tests in the screening feed: `registry-areas` keeps those of
    /// residents of départements with a general registry, `national`
    /// keeps every test (about 7 million more records a year at national
    /// scale).
    #[arg(
        long,
        value_parser = ["registry-areas", "national"],
        default_value = "registry-areas"
    )]
    pub screening_scope: String,
}

/// Arguments of `rnc ingest`.
#[derive(Debug, Args)]
pub struct IngestArgs {
    /// Source kind of the files: registry_extract, hospital_stay,
    /// pathology_report, death_record, long_term_illness, screening,
    /// treatment or clinical_record.
    #[arg(long, required_unless_present = "population")]
    pub source: Option<String>,
    /// A mapping file (TOML) that gives the files' own column names, date
    /// format, topography code system and sex codes.
    #[arg(long, requires = "source")]
    pub mapping: Option<PathBuf>,
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
    /// Provider key file (the key of `rnc pseudonymise`), default
    /// `<registry>.provider.key` beside the registry key. Clear files are
    /// pseudonymised with it before the registry key (--key) seals them,
    /// so that they link with the providers' pre-pseudonymised files. It
    /// is created (mode 0600) when given and absent, or when the registry
    /// is new. Files with a provider_key column need only --key.
    #[arg(long)]
    pub provider_key: Option<PathBuf>,
    #[command(flatten)]
    pub text: TextOptions,
}

/// How to read CSV text files, for `rnc ingest` and `rnc pseudonymise`.
#[derive(Debug, Args)]
pub struct TextOptions {
    /// Encoding of CSV text files: utf-8, windows-1252 or latin-1. A file
    /// that is not in it stops with its byte offset and line.
    #[arg(long, value_parser = clap::builder::ValueParser::new(
        |label: &str| label.parse::<rnc_ingest::TextEncoding>()
    ))]
    pub encoding: Option<rnc_ingest::TextEncoding>,
    /// Field delimiter of CSV text files: comma, semicolon or tab.
    /// Without it, the delimiter found most often in the header line.
    #[arg(long, value_parser = clap::builder::ValueParser::new(
        rnc_ingest::parse_delimiter
    ))]
    pub delimiter: Option<u8>,
}

impl TextOptions {
    /// Returns the options as the ingest's reader takes them.
    pub fn read_options(&self) -> rnc_ingest::ReadOptions {
        rnc_ingest::ReadOptions {
            encoding: self.encoding,
            delimiter: self.delimiter,
        }
    }
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
    /// Seed of the u sampling. The default is the library's, which `rnc
    /// run` and `rnc demo` use, so that `rnc link` gives the same model on
    /// the same registry.
    #[arg(long, default_value_t = rnc_link::LinkConfig::default().seed)]
    pub seed: u64,
    /// Compare every pair and train again, instead of linking only the
    /// records staged since the last run. Person ids are kept either way.
    #[arg(long)]
    pub full: bool,
    /// Score with a saved model (the `link_model.json` of a release or of
    /// `work/link`) instead of training.
    #[arg(long, value_name = "FILE")]
    pub model: Option<PathBuf>,
    /// After linking, print pairwise precision, recall and F1 of the
    /// persons against the true persons of a synthetic set (the
    /// `truth/records.csv` written by `rnc synth`).
    #[arg(long, value_name = "FILE")]
    pub truth: Option<PathBuf>,
}

/// Arguments of `rnc release`.
#[derive(Debug, Args)]
pub struct ReleaseArgs {
    /// Check that the tables of this release still match their recorded
    /// SHA-256, instead of making a new release.
    #[arg(long)]
    pub verify: Option<String>,
}

/// Arguments of `rnc survival`.
#[derive(Debug, Args)]
pub struct SurvivalArgs {
    /// Release to use (default: the latest).
    #[arg(long)]
    pub release: Option<String>,
    /// Life table CSV: sex, age, year and hazard (per day) or prob.
    #[arg(long)]
    pub life_table: PathBuf,
    /// Closing date of follow-up (YYYY-MM-DD): persons not known to be dead
    /// are censored on this date.
    #[arg(long)]
    pub closing_date: String,
    /// Use the life table's last year for later years instead of stopping
    /// when follow-up runs past it.
    #[arg(long)]
    pub carry_last_year: bool,
    /// Times of the estimates, in years of 365.241 days.
    #[arg(long, value_delimiter = ',', default_value = "1,3,5,10")]
    pub years: Vec<f64>,
    /// Cohort or period analysis.
    #[command(flatten)]
    pub window: WindowArgs,
    /// Output directory (default: `<registry>/outputs/<release>`).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// Follow-up window of a survival estimate: a cohort of diagnosis years
/// or a calendar period.
#[derive(Debug, Args)]
pub struct WindowArgs {
    /// Period analysis: use only follow-up from this date (YYYY-MM-DD),
    /// with delayed entry for patients diagnosed earlier. Needs
    /// --period-end.
    #[arg(long, requires = "period_end", conflicts_with = "diagnosis_years")]
    pub period_start: Option<String>,
    /// Last day (YYYY-MM-DD, included) of the period analysis.
    #[arg(long, requires = "period_start")]
    pub period_end: Option<String>,
    /// Cohort analysis: only patients diagnosed in these years, such as
    /// 2010-2014 (default: every patient).
    #[arg(long)]
    pub diagnosis_years: Option<String>,
}

/// Arguments of `rnc pathway`.
#[derive(Debug, Args)]
pub struct PathwayArgs {
    /// Release to use (default: the latest).
    #[arg(long)]
    pub release: Option<String>,
    /// Print this tumour's timeline instead of writing the tables.
    #[arg(long)]
    pub tumour: Option<String>,
    /// Output directory (default: `<registry>/outputs/<release>/pathway`).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Last day of follow-up (YYYY-MM-DD) for post-operative mortality,
    /// participation and survival (default: the release's latest event
    /// date).
    #[arg(long)]
    pub closing_date: Option<String>,
    /// First surgeries of a site group a year from which an establishment
    /// counts as high-volume for that group.
    #[arg(long, default_value_t = 30)]
    pub high_volume_threshold: u64,
    /// Months from a negative screening test to the next scheduled one,
    /// per test, such as `mammography=24,FIT=24` (defaults: mammography 24,
    /// FIT 24, cytology 36, HPV 60).
    #[arg(long, value_delimiter = ',')]
    pub interval_months: Vec<String>,
    /// Life table CSV for net survival by mode of detection (columns sex,
    /// age, year, hazard or prob).
    #[arg(long)]
    pub life_table: Option<PathBuf>,
    /// Published tables hide counts from 1 to this value - 1, with
    /// secondary suppression. At least 2: to publish every count, give
    /// --no-small-cell-suppression. A value below the default prints a
    /// warning.
    #[arg(long, default_value_t = rnc_stats::DEFAULT_SMALL_CELL_THRESHOLD)]
    pub small_cell_threshold: u64,
    /// Publish every count, small ones included: sets the small-cell
    /// threshold to 0 and prints a warning. For outputs that stay inside
    /// the registry.
    #[arg(long, conflicts_with = "small_cell_threshold")]
    pub no_small_cell_suppression: bool,
    /// Folder written by `rnc synth`: compare the indicators with its
    /// truth and print the deviations.
    #[arg(long)]
    pub truth: Option<PathBuf>,
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
    /// Published outputs hide counts from 1 to this value - 1, with
    /// secondary suppression. At least 2: to publish every count, give
    /// --no-small-cell-suppression. A value below the default prints a
    /// warning.
    #[arg(long, default_value_t = rnc_stats::DEFAULT_SMALL_CELL_THRESHOLD)]
    pub small_cell_threshold: u64,
    /// Publish every count, small ones included: sets the small-cell
    /// threshold to 0 and prints a warning. For outputs that stay inside
    /// the registry.
    #[arg(long, conflicts_with = "small_cell_threshold")]
    pub no_small_cell_suppression: bool,
    /// Aggregate CSV to analyse instead of a release: one row per stratum
    /// and age group with cases and person-years (`rnc stats` only).
    #[arg(long)]
    pub input: Option<PathBuf>,
    /// Output format of `--input` results. On a release every table is
    /// written as CSV, and with json or parquet also in that format beside
    /// it (analyst tables are always written as Parquet too).
    #[arg(long, value_enum, default_value = "csv")]
    pub format: OutputFormat,
    /// Standard population of `--input`: world, europe1976, europe2013 or
    /// a CSV with the columns age_group and weight.
    #[arg(long, default_value = "world")]
    pub standard: String,
    /// Column of `--input` with the age group (18 bands 0-4 ... 85+, or
    /// the groups of a CSV standard in its order).
    #[arg(long, default_value = "age_group")]
    pub age_group_column: String,
    /// Column of `--input` with the number of cases (or deaths).
    #[arg(long, default_value = "cases")]
    pub cases_column: String,
    /// Column of `--input` with the person-years.
    #[arg(long, default_value = "person_years")]
    pub person_years_column: String,
    /// Columns of `--input` that define the strata, such as sex,year. On a
    /// release: any of site_group, sex, age_band, year, departement and
    /// region, for extra tables of rates by those strata.
    #[arg(long, value_delimiter = ',')]
    pub by: Vec<String>,
    /// On a release: also compute mortality rates from the death records
    /// (underlying cause C00-C97), by --by (default site_group,sex).
    #[arg(long)]
    pub mortality: bool,
    /// Column of `--input` with INSEE département codes, from which a
    /// region stratum is derived.
    #[arg(long)]
    pub region_from: Option<String>,
    /// Output directory (default: `<registry>/outputs/<release>`); with
    /// --input, the output file (aggregate) or folder (cohort).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Columns and analyses of a cohort file.
    #[command(flatten)]
    pub cohort: CohortArgs,
}

/// Layout of the `--input` file of `rnc stats`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum InputLayout {
    /// One row per stratum and age group, with cases and person-years.
    Aggregate,
    /// One row per patient, with diagnosis, follow-up, status, age and sex.
    Cohort,
}

/// Unit of the age column of a cohort file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AgeUnitArg {
    /// Years, with a fraction if any.
    Years,
    /// Days, as relsurv's rmap takes it.
    Days,
}

/// Arguments of `rnc stats --input FILE --layout cohort`.
#[derive(Debug, Args)]
#[command(next_help_heading = "Cohort file (--input with --layout cohort)")]
pub struct CohortArgs {
    /// Layout of --input: aggregate (cases and person-years by stratum and
    /// age group) or cohort (one row per patient).
    #[arg(long, value_enum, default_value = "aggregate")]
    pub layout: InputLayout,
    /// Column with the date of diagnosis (YYYY-MM-DD).
    #[arg(long, default_value = "date_of_diagnosis")]
    pub diagnosis_date_column: String,
    /// Column with the date of death or last contact (YYYY-MM-DD); when
    /// set, --time-column is not read.
    #[arg(long)]
    pub exit_date_column: Option<String>,
    /// Column with the follow-up from diagnosis in whole days.
    #[arg(long, default_value = "time")]
    pub time_column: String,
    /// Column with the vital status at exit: 1 dead, 0 censored.
    #[arg(long, default_value = "status")]
    pub status_column: String,
    /// Column with the age at diagnosis, in --age-unit.
    #[arg(long, default_value = "age")]
    pub age_column: String,
    /// Unit of --age-column.
    #[arg(long, value_enum, default_value = "years")]
    pub age_unit: AgeUnitArg,
    /// Column with the sex, labelled as in the life table.
    #[arg(long, default_value = "sex")]
    pub sex_column: String,
    /// Life table CSV (sex, age, year, hazard per day or prob) for Ederer
    /// II, Pohar-Perme and ICSS-standardised survival; without it, only
    /// Kaplan-Meier.
    #[arg(long)]
    pub life_table: Option<PathBuf>,
    /// Use the life table's last year for later years instead of stopping
    /// when follow-up runs past it.
    #[arg(long)]
    pub carry_last_year: bool,
    /// Times of the survival estimates, in years of 365.241 days.
    #[arg(long, value_delimiter = ',', default_value = "1,3,5")]
    pub years: Vec<f64>,
    /// Cohort or period analysis of survival.
    #[command(flatten)]
    pub window: WindowArgs,
    /// Index date of prevalence (YYYY-MM-DD), on a cohort file or a
    /// release; without it, no prevalence.
    #[arg(long)]
    pub index_date: Option<String>,
    /// Durations of partial prevalence, in years.
    #[arg(long, value_delimiter = ',', default_value = "1,3,5,10")]
    pub prevalence_years: Vec<u32>,
}

/// Output format of `rnc stats`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// Comma-separated values with a header line.
    Csv,
    /// A JSON array of objects, one per stratum.
    Json,
    /// Apache Parquet.
    Parquet,
}

/// Arguments of `rnc confirm`.
#[derive(Debug, Args)]
pub struct ConfirmArgs {
    /// Tumour id, e.g. `P00000042-T1`.
    #[arg(long)]
    pub tumour: String,
    /// Rule id of the finding, e.g. `site_histology`.
    #[arg(long)]
    pub rule: String,
    /// Why the combination is right (no names, NIR or birth dates).
    #[arg(long)]
    pub reason: String,
}

/// Arguments of `rnc export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Export format.
    #[arg(long, value_parser = ["encr-jrc"])]
    pub format: String,
    /// Release to export (default: the latest).
    #[arg(long)]
    pub release: Option<String>,
    /// Output file (default:
    /// `<registry>/outputs/<release>/encr_jrc_incidence.csv`).
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

/// Arguments of `rnc pseudonymise`.
#[derive(Debug, Args)]
pub struct PseudonymiseArgs {
    /// Source kind of the file: registry_extract, hospital_stay,
    /// pathology_report, death_record, long_term_illness, screening,
    /// treatment or clinical_record.
    #[arg(long)]
    pub source: String,
    /// Create the provider key file given by --key when it does not exist.
    #[arg(long)]
    pub create_key: bool,
    #[command(flatten)]
    pub text: TextOptions,
    /// The feed file, in any form `rnc ingest` reads (docs/sources.md).
    pub input: PathBuf,
    /// The pre-pseudonymised file to write; must differ from the input.
    pub output: PathBuf,
}

/// Arguments of `rnc run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Folder of feeds written by `rnc synth` (population.csv and one or
    /// more files per feed).
    #[arg(long)]
    pub feeds: PathBuf,
    /// Output folder for the registry, key (unless `--key` names one),
    /// statistics and report; it must not hold a registry yet.
    #[arg(long)]
    pub out: PathBuf,
}

/// Arguments of `rnc scheduler`.
#[cfg(feature = "ballista")]
#[derive(Debug, Args)]
pub struct SchedulerArgs {
    /// Address and port to listen on.
    #[arg(long, default_value = "127.0.0.1:50050")]
    pub bind: std::net::SocketAddr,
    /// Host name executors and clients use to reach the scheduler
    /// (default: the --bind address).
    #[arg(long)]
    pub external_host: Option<String>,
}

/// Arguments of `rnc executor`.
#[cfg(feature = "ballista")]
#[derive(Debug, Args)]
pub struct ExecutorArgs {
    /// Scheduler address, HOST:PORT.
    #[arg(long, default_value = "127.0.0.1:50050")]
    pub scheduler: String,
    /// Address to bind the executor's two ports on.
    #[arg(long, default_value = "127.0.0.1")]
    pub bind_host: String,
    /// Host name the scheduler, other executors and clients use to reach
    /// this executor (default: --bind-host).
    #[arg(long)]
    pub external_host: Option<String>,
    /// Arrow Flight port, serving shuffle data and results.
    #[arg(long, default_value_t = 50051)]
    pub flight_port: u16,
    /// gRPC port, on which the scheduler sends tasks.
    #[arg(long, default_value_t = 50052)]
    pub grpc_port: u16,
    /// Tasks run at once (default: one per core).
    #[arg(long, default_value_t = 0)]
    pub concurrent_tasks: usize,
    /// Memory the executor's tasks share before they spill, in bytes or
    /// with a K, M or G suffix (default: Ballista's share of the host's or
    /// cgroup's memory).
    #[arg(long, value_parser = parse_bytes)]
    pub memory_limit: Option<u64>,
    /// Folder of shuffle and spill files (default: a new temporary folder).
    #[arg(long)]
    pub work_dir: Option<PathBuf>,
}

/// Parses a byte count such as `8G`, `512M`, `64K` or `1048576`.
fn parse_bytes(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let (digits, shift) = match text.chars().last() {
        Some('K' | 'k') => (&text[..text.len() - 1], 10),
        Some('M' | 'm') => (&text[..text.len() - 1], 20),
        Some('G' | 'g') => (&text[..text.len() - 1], 30),
        _ => (text, 0),
    };
    let value: u64 = digits.parse().map_err(|_| {
        format!("invalid size {text:?}: expected a number of bytes, optionally with K, M or G")
    })?;
    value
        .checked_mul(1 << shift)
        .filter(|bytes| *bytes > 0)
        .ok_or_else(|| {
            format!("invalid size {text:?}: must be above 0 and below 16 EiB")
        })
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
