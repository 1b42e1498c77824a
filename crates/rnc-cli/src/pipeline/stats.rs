//! Incidence statistics on a release.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context;
use arrow::array::{AsArray, RecordBatch};
use arrow::datatypes::{Float64Type, Int32Type, Int64Type};
use rnc_engine::Engine;
use rnc_stats::{Cell, IncidenceRow};
use rnc_store::parquet_io::write_parquet;
use rnc_store::population::{AGE_BANDS, read_population_csv};
use rnc_store::sql::{release_session_config, run_read_only};
use rnc_store::{Registry, ReleaseEntry};

/// The incidence table of a release and where it was written.
#[derive(Debug, Clone)]
pub struct StatsOutput {
    /// The release used.
    pub release: ReleaseEntry,
    /// First and last calendar year counted.
    pub period: (i32, i32),
    /// One row per site group and sex, plus all sites.
    pub rows: Vec<IncidenceRow>,
    /// Malignant tumours of the period left out because age or sex is
    /// unknown (no denominator).
    pub excluded: u64,
    /// Label of the population used.
    pub population_label: String,
    /// The population CSV used instead of the release's table, if any.
    pub population_csv: Option<PathBuf>,
    /// Folder with `incidence.csv` and `incidence.parquet` (internal) and
    /// `incidence_published.csv`.
    pub out_dir: PathBuf,
    /// Small-cell threshold of the published outputs.
    pub small_cell_threshold: u64,
    /// Registry quality indicators of the release, as written to
    /// `quality_indicators.csv`.
    pub indicators: crate::export::QualityIndicators,
}

/// Picks a release: the one named, else the latest.
pub fn choose_release(
    registry: &Registry,
    release: Option<&str>,
) -> anyhow::Result<ReleaseEntry> {
    // Every reader of a release checks its hashes first, so that no figure
    // is computed on altered tables.
    Ok(registry.verified_release(release)?)
}

/// Computes incidence counts, crude and age-standardised rates by site
/// group and sex over the years of the population table, and writes them
/// to `out_dir` as CSV and Parquet, with the registry quality indicators
/// in `quality_indicators.csv`.
///
/// `incidence.csv` and `incidence.parquet` are internal analyst outputs
/// with every count. `incidence_published.csv` suppresses counts below
/// `small_cell_threshold` and their complements, and flags rates on few
/// cases.
///
/// Counts malignant tumours (behaviour 3) by incidence year, as IARC does.
///
/// The counts and the person-years are DataFusion plans run by `engine`,
/// in process or on a Ballista cluster. The rates are computed here from
/// their few hundred rows.
pub fn compute_stats(
    engine: &Engine,
    registry: &Registry,
    release: Option<&str>,
    population_csv: Option<&Path>,
    out_dir: Option<&Path>,
    small_cell_threshold: u64,
) -> anyhow::Result<StatsOutput> {
    let release = choose_release(registry, release)?;
    let release_dir = registry.release_dir(&release.release_id);
    let person_years_query = "SELECT sex, age_band, \
            COALESCE(SUM(population), 0.0) AS person_years, \
            MIN(year) AS first_year, MAX(year) AS last_year \
         FROM population GROUP BY sex, age_band";
    let (population, population_label) = match population_csv {
        Some(csv) => {
            // A population CSV is small (years × sexes × 18 bands × areas),
            // so it is aggregated in process even when the release is
            // queried on a cluster, whose executors could not read a
            // table held in this process's memory.
            let table = read_population_csv(csv)?;
            let local = Engine::default();
            let sums = local.block_on(async {
                let context = local.context(release_session_config()).await?;
                context.register_batch("population", table)?;
                Ok(run_read_only(&context, person_years_query).await?)
            })?;
            (sums, csv.display().to_string())
        }
        None => (
            engine
                .query_release(&release_dir, person_years_query)
                .context("summing person-years")?,
            format!(
                "registry population table of release {}",
                release.release_id
            ),
        ),
    };
    let (person_years, period) = person_years_by_sex_and_band(&population)?;

    let query = format!(
        "SELECT site_group, sex, \
                CAST(LEAST(age_at_incidence / 5, 17) AS INT) AS band, \
                COUNT(*) AS cases \
         FROM tumours \
         WHERE behaviour = 3 \
           AND incidence_year BETWEEN {} AND {} \
           AND age_at_incidence IS NOT NULL AND sex IN ('male', 'female') \
         GROUP BY 1, 2, 3",
        period.0, period.1
    );
    let counted = engine
        .query_release(&release_dir, &query)
        .context("counting tumours")?;
    let excluded_query = format!(
        "SELECT COUNT(*) AS n FROM tumours WHERE behaviour = 3 \
           AND incidence_year BETWEEN {} AND {} \
           AND (age_at_incidence IS NULL OR sex NOT IN ('male', 'female'))",
        period.0, period.1
    );
    let excluded = engine
        .query_release(&release_dir, &excluded_query)?
        .first()
        .map_or(0, |b| {
            b.column(0).as_primitive::<Int64Type>().value(0) as u64
        });

    let mut cells = Vec::new();
    for batch in &counted {
        let sites = batch.column(0).as_string::<i32>();
        let sexes = batch.column(1).as_string::<i32>();
        let bands = batch.column(2).as_primitive::<Int32Type>();
        let cases = batch.column(3).as_primitive::<Int64Type>();
        for i in 0..batch.num_rows() {
            cells.push(Cell {
                site_group: sites.value(i).to_string(),
                sex: sexes.value(i).to_string(),
                age_band: bands.value(i) as usize,
                cases: cases.value(i) as f64,
                person_years: 0.0,
            });
        }
    }
    let rows = rnc_stats::incidence_table(&cells, &person_years)?;

    let out_dir = out_dir.map(Path::to_path_buf).unwrap_or_else(|| {
        registry.root().join("outputs").join(&release.release_id)
    });
    std::fs::create_dir_all(&out_dir)
        .with_context(|| format!("creating {}", out_dir.display()))?;
    std::fs::write(
        out_dir.join("incidence.csv"),
        rnc_stats::incidence_to_csv(&rows),
    )
    .with_context(|| format!("writing {}", out_dir.display()))?;
    let published = rnc_stats::published_incidence_csv(
        &rows,
        small_cell_threshold,
        rnc_stats::DEFAULT_UNRELIABLE_RATE_CASES,
    )?;
    std::fs::write(out_dir.join("incidence_published.csv"), published)
        .with_context(|| format!("writing {}", out_dir.display()))?;
    let batch = rnc_stats::incidence_to_batch(&rows)?;
    write_parquet(
        &out_dir.join("incidence.parquet"),
        batch.schema(),
        &[batch],
    )?;
    // Registry quality indicators (MV %, DCO %, M:I, PSU %, UM %,
    // registration delay) by site group and period.
    let indicators = crate::export::write_quality_indicators(
        registry,
        &release,
        &out_dir,
        small_cell_threshold,
    )?;
    Ok(StatsOutput {
        release,
        period,
        rows,
        excluded,
        population_label,
        population_csv: population_csv.map(Path::to_path_buf),
        out_dir,
        small_cell_threshold,
        indicators,
    })
}

/// Person-years by sex label and age-band index.
type PersonYears = Vec<(String, usize, f64)>;

/// Converts the person-years summed by sex and age-band label into
/// rows by age-band index, and returns the years they cover.
fn person_years_by_sex_and_band(
    sums: &[RecordBatch],
) -> anyhow::Result<(PersonYears, (i32, i32))> {
    let mut rows: BTreeMap<(String, usize), f64> = BTreeMap::new();
    let mut years = (i32::MAX, i32::MIN);
    for batch in sums {
        let sex = batch.column(0).as_string::<i32>();
        let band = batch.column(1).as_string::<i32>();
        let person_years = batch.column(2).as_primitive::<Float64Type>();
        let first = batch.column(3).as_primitive::<Int32Type>();
        let last = batch.column(4).as_primitive::<Int32Type>();
        for i in 0..batch.num_rows() {
            let index = AGE_BANDS
                .iter()
                .position(|b| *b == band.value(i))
                .with_context(|| {
                    "population table has an unknown age band".to_string()
                })?;
            years = (years.0.min(first.value(i)), years.1.max(last.value(i)));
            rows.insert(
                (sex.value(i).to_string(), index),
                person_years.value(i),
            );
        }
    }
    Ok((
        rows.into_iter()
            .map(|((sex, band), py)| (sex, band, py))
            .collect(),
        years,
    ))
}
