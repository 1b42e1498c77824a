//! Incidence and mortality rates of a release by any combination of site
//! group, sex, age band, year, département and region (`rnc stats --by`,
//! `--mortality`).

use std::path::{Path, PathBuf};

use anyhow::Context;
use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{Float64Type, Int32Type, UInt16Type};
use rnc_codes::{Icd10, is_cancer_code, site_group};
use rnc_stats::{
    Dimension, Event, PopulationCell, StandardPopulation, rates_by_dimensions,
};
use rnc_store::parquet_io::{read_parquet, write_parquet};
use rnc_store::population::{AGE_BANDS, read_population_csv};
use rnc_store::sql::run_sql;
use rnc_store::{Registry, ReleaseEntry};

use crate::survival::quote;

/// Confidence level of every interval.
const CONFIDENCE: f64 = 0.95;

/// Settings of the rates by stratum of a release.
#[derive(Debug, Clone)]
pub struct StrataRequest<'a> {
    /// The dimensions, in output order.
    pub by: Vec<Dimension>,
    /// Also compute mortality from the death records.
    pub mortality: bool,
    /// Standard population of the age-standardised rates.
    pub standard: StandardPopulation,
    /// Population CSV instead of the release's population table.
    pub population_csv: Option<&'a Path>,
    /// Small-cell threshold of the published files.
    pub small_cell_threshold: u64,
}

/// Counts and path of one table of rates by stratum.
#[derive(Debug, Clone)]
pub struct StrataOutput {
    /// `incidence` or `mortality`.
    pub measure: &'static str,
    /// Strata with rates.
    pub strata: usize,
    /// Strata with events but no rate (see
    /// [`rnc_stats::RatesByStratum::not_estimable`]), logged as warnings.
    pub not_estimable: usize,
    /// Events (tumours or deaths) counted.
    pub events: u64,
    /// Events left out for an unknown residence.
    pub unknown_residence: u64,
    /// The analyst CSV of the strata with rates. Beside it are the same
    /// as Parquet, the published CSV, and `_not_estimable.csv` with the
    /// cases and reason of each stratum without a rate.
    pub csv: PathBuf,
}

/// Computes incidence (malignant tumours, behaviour 3, by incidence year)
/// by the requested dimensions over the years of the population. With
/// `mortality` it does the same for deaths whose underlying cause is
/// C00-C97, by year of death. Each table is written as `<measure>_by_<dimensions>.csv` and
/// `.parquet` (analyst outputs), `_not_estimable.csv` (strata with cases
/// but no rate) and `_published.csv` (small counts suppressed with their
/// complements, rates on few cases flagged).
pub fn rates_by_strata(
    registry: &Registry,
    release: &ReleaseEntry,
    request: &StrataRequest,
    out_dir: &Path,
) -> anyhow::Result<Vec<StrataOutput>> {
    let release_dir = registry.release_dir(&release.release_id);
    let population_batches = match request.population_csv {
        Some(csv) => vec![read_population_csv(csv)?],
        None => read_parquet(&release_dir.join("population.parquet"))?,
    };
    let (population, years) = population_cells(&population_batches)?;

    let mut measures = vec![("incidence", tumour_events(&release_dir, years)?)];
    if request.mortality {
        measures.push(("mortality", death_events(&release_dir, years)?));
    }
    let names: Vec<&str> = request.by.iter().map(|d| d.name()).collect();
    let mut outputs = Vec::new();
    for (measure, events) in measures {
        let rates = rates_by_dimensions(
            &events,
            &population,
            &request.by,
            &request.standard,
            CONFIDENCE,
        )
        .with_context(|| format!("{measure} by {}", names.join(", ")))?;
        let stem = format!("{measure}_by_{}", names.join("_"));
        let owned: Vec<String> =
            names.iter().map(|n| (*n).to_owned()).collect();
        let batch = crate::stats_file::to_batch(&owned, &rates.rows)?;
        let csv = out_dir.join(format!("{stem}.csv"));
        crate::stats_file::write_table(
            &batch,
            crate::cli::OutputFormat::Csv,
            &csv,
        )?;
        write_parquet(
            &out_dir.join(format!("{stem}.parquet")),
            batch.schema(),
            &[batch],
        )?;
        let published = rnc_stats::published_rates_csv(
            &names,
            &rates,
            request.small_cell_threshold,
            rnc_stats::DEFAULT_UNRELIABLE_RATE_CASES,
        )?;
        let published_path = out_dir.join(format!("{stem}_published.csv"));
        std::fs::write(&published_path, published)
            .with_context(|| format!("writing {}", published_path.display()))?;
        let mut odd_csv = names.join(",") + ",cases,reason\n";
        for odd in &rates.not_estimable {
            tracing::warn!(
                measure,
                stratum = %odd.stratum.join(", "),
                reason = %odd.reason,
                "stratum has no rate"
            );
            let mut fields: Vec<String> =
                odd.stratum.iter().map(|value| quote(value)).collect();
            fields.push(odd.cases.to_string());
            fields.push(quote(&odd.reason));
            odd_csv.push_str(&(fields.join(",") + "\n"));
        }
        let odd_path = out_dir.join(format!("{stem}_not_estimable.csv"));
        std::fs::write(&odd_path, odd_csv)
            .with_context(|| format!("writing {}", odd_path.display()))?;
        outputs.push(StrataOutput {
            measure,
            strata: rates.rows.len(),
            not_estimable: rates.not_estimable.len(),
            events: events.len() as u64 - rates.unknown_residence,
            unknown_residence: rates.unknown_residence,
            csv,
        });
    }
    Ok(outputs)
}

/// Reads the population cells and the range of their years.
pub(super) fn population_cells(
    batches: &[RecordBatch],
) -> anyhow::Result<(Vec<PopulationCell>, (i32, i32))> {
    let mut cells = Vec::new();
    let mut years = (i32::MAX, i32::MIN);
    for batch in batches {
        let column = |name: &str| {
            batch.column_by_name(name).with_context(|| {
                format!("population table lacks column {name}")
            })
        };
        let year = column("year")?.as_primitive::<Int32Type>();
        let sex = column("sex")?.as_string::<i32>();
        let band = column("age_band")?.as_string::<i32>();
        let departement = column("departement")?.as_string::<i32>();
        let value = column("population")?.as_primitive::<Float64Type>();
        for i in 0..batch.num_rows() {
            let age_band =
                AGE_BANDS
                    .iter()
                    .position(|b| *b == band.value(i))
                    .context("population table has an unknown age band")?;
            years = (years.0.min(year.value(i)), years.1.max(year.value(i)));
            cells.push(PopulationCell {
                year: year.value(i),
                sex: sex.value(i).to_owned(),
                age_band,
                departement: (!departement.is_null(i))
                    .then(|| departement.value(i).to_owned()),
                person_years: if value.is_null(i) {
                    0.0
                } else {
                    value.value(i)
                },
            });
        }
    }
    anyhow::ensure!(years.0 <= years.1, "the population table is empty");
    Ok((cells, years))
}

/// Reads the malignant tumours of known age and sex diagnosed in `years`.
pub(super) fn tumour_events(
    release_dir: &Path,
    years: (i32, i32),
) -> anyhow::Result<Vec<Event>> {
    let query = format!(
        "SELECT site_group, sex, CAST(age_at_incidence AS INT) AS age, \
                CAST(incidence_year AS INT) AS year, departement \
         FROM tumours \
         WHERE behaviour = 3 AND incidence_year BETWEEN {} AND {} \
           AND age_at_incidence IS NOT NULL AND sex IN ('male', 'female')",
        years.0, years.1
    );
    let batches = run_sql(release_dir, &query).context("reading tumours")?;
    let mut events = Vec::new();
    for batch in &batches {
        let sites = batch.column(0).as_string::<i32>();
        let sexes = batch.column(1).as_string::<i32>();
        let ages = batch.column(2).as_primitive::<Int32Type>();
        let years = batch.column(3).as_primitive::<Int32Type>();
        let departements = batch.column(4).as_string::<i32>();
        for i in 0..batch.num_rows() {
            events.push(Event {
                site_group: sites.value(i).to_owned(),
                sex: sexes.value(i).to_owned(),
                age: ages.value(i).clamp(0, i32::from(u16::MAX)) as u16,
                year: years.value(i),
                departement: (!departements.is_null(i))
                    .then(|| departements.value(i).to_owned()),
            });
        }
    }
    Ok(events)
}

/// Reads the persons whose death record gives a cancer (C00-C97) as the
/// underlying cause, with age and sex known, who died in `years`. The
/// site group is that of the cause.
fn death_events(
    release_dir: &Path,
    years: (i32, i32),
) -> anyhow::Result<Vec<Event>> {
    let query = "SELECT sex, age_at_death, death_date, departement, \
                        underlying_cause \
                 FROM persons \
                 WHERE underlying_cause IS NOT NULL \
                   AND age_at_death IS NOT NULL \
                   AND sex IN ('male', 'female')";
    let batches = run_sql(release_dir, query)
        .context("reading deaths (a release made before persons had age_at_death and underlying_cause has no mortality: release again)")?;
    let mut events = Vec::new();
    for batch in &batches {
        let sexes = batch.column(0).as_string::<i32>();
        let ages = batch.column(1).as_primitive::<UInt16Type>();
        let dates = batch.column(2).as_string::<i32>();
        let departements = batch.column(3).as_string::<i32>();
        let causes = batch.column(4).as_string::<i32>();
        for i in 0..batch.num_rows() {
            let Ok(cause) = causes.value(i).parse::<Icd10>() else {
                continue;
            };
            if !is_cancer_code(&cause) {
                continue;
            }
            let year = dates.value(i).get(..4).and_then(|y| y.parse().ok());
            let Some(year) = year.filter(|y| (years.0..=years.1).contains(y))
            else {
                continue;
            };
            events.push(Event {
                site_group: site_group(&cause).code.to_owned(),
                sex: sexes.value(i).to_owned(),
                age: ages.value(i),
                year,
                departement: (!departements.is_null(i))
                    .then(|| departements.value(i).to_owned()),
            });
        }
    }
    Ok(events)
}
