//! Survival curves and incidence trends of a release, for the report.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use arrow::array::{Array, AsArray};
use chrono::NaiveDate;
use rnc_report::{SurvivalSeries, TrendSeries};
use rnc_stats::{
    Dimension, FollowUp, IntervalScale, JoinpointOptions, StandardPopulation,
    joinpoint_regression, kaplan_meier, rates_by_dimensions,
};
use rnc_store::parquet_io::read_parquet;
use rnc_store::population::read_population_csv;
use rnc_store::sql::run_sql;

use crate::survival::{full_date, read_tumours};

/// Computes the observed survival (Kaplan-Meier, log-log limits) of each
/// sex over all sites, from the first malignant tumour of each person.
///
/// Follow-up ends at death or on the closing date, which is the latest
/// date of death in the death records: the date up to which deaths are
/// known. Returns no curve and the reason when the release has no death
/// record. Death-certificate-only tumours, partial dates and zero days of
/// follow-up are left out, as `rnc survival` does.
pub(super) fn survival_series(
    release_dir: &Path,
) -> anyhow::Result<(Vec<SurvivalSeries>, Option<NaiveDate>)> {
    let Some(closing) = closing_date(release_dir)? else {
        return Ok((Vec::new(), None));
    };

    let mut seen = HashSet::new();
    let mut by_sex: BTreeMap<String, Vec<FollowUp>> = BTreeMap::new();
    for row in read_tumours(release_dir)? {
        if !seen.insert(row.person_id.clone()) || row.death_certificate_only {
            continue;
        }
        let Some(incidence) = full_date(&row.incidence_date) else {
            continue;
        };
        let death = row.death_date.as_deref().and_then(full_date);
        let (exit, died) = match death {
            Some(death) if death <= closing => (death, true),
            _ => (closing, false),
        };
        let days = exit.signed_duration_since(incidence).num_days();
        if days <= 0 || !["male", "female"].contains(&row.sex.as_str()) {
            continue;
        }
        by_sex.entry(row.sex).or_default().push(FollowUp {
            days: days as u32,
            died,
        });
    }
    let mut series = Vec::new();
    for (sex, follow_ups) in by_sex {
        series.push(SurvivalSeries {
            label: format!("all sites, {sex}, observed (Kaplan-Meier)"),
            curve: kaplan_meier(&follow_ups, 0.95, IntervalScale::LogLog)?,
        });
    }
    Ok((series, Some(closing)))
}

/// Years, rates and cases of one series.
type YearlyRates = (Vec<f64>, Vec<f64>, Vec<f64>);

/// Returns the latest full date of death in the death records of a
/// release: the date up to which deaths are known. `None` without one.
pub(super) fn closing_date(
    release_dir: &Path,
) -> anyhow::Result<Option<NaiveDate>> {
    Ok(run_sql(
        release_dir,
        "SELECT MAX(event_date) FROM source_records \
         WHERE source_kind = 'death_record'",
    )?
    .first()
    .and_then(|batch| {
        let column = batch.column(0).as_string::<i32>();
        (batch.num_rows() > 0 && !column.is_null(0))
            .then(|| column.value(0).to_owned())
    })
    .and_then(|text| full_date(&text)))
}

/// Computes the yearly world-standardised incidence of all sites by sex
/// with its joinpoint fit. A sex whose rates cannot be fitted (too few
/// years, or a rate of 0 on the log scale) is left out with a warning.
pub(super) fn trend_series(
    release_dir: &Path,
    population_csv: Option<&Path>,
) -> anyhow::Result<Vec<TrendSeries>> {
    let batches = match population_csv {
        Some(csv) => vec![read_population_csv(csv)?],
        None => read_parquet(&release_dir.join("population.parquet"))?,
    };
    let (population, years) = super::strata::population_cells(&batches)?;
    let events = super::strata::tumour_events(release_dir, years)?;
    let rates = rates_by_dimensions(
        &events,
        &population,
        &[Dimension::Sex, Dimension::Year],
        &StandardPopulation::WorldSegi1960,
        0.95,
    )?;

    let mut by_sex: BTreeMap<&str, YearlyRates> = BTreeMap::new();
    for row in &rates.rows {
        let Some(standardised) = &row.standardised_fay_feuer else {
            continue;
        };
        let Ok(year) = row.stratum[1].parse::<f64>() else {
            continue;
        };
        let entry = by_sex.entry(row.stratum[0].as_str()).or_default();
        entry.0.push(year);
        entry.1.push(standardised.rate);
        entry.2.push(row.cases);
    }
    let mut series = Vec::new();
    for (sex, (years, rates, cases)) in by_sex {
        match joinpoint_regression(&years, &rates, &JoinpointOptions::default())
        {
            Ok(fit) => series.push(TrendSeries {
                label: format!("all sites, {sex}, ASR world"),
                years,
                rates,
                fit,
                cases,
            }),
            Err(error) => {
                tracing::warn!(sex, %error, "no incidence trend in the report");
            }
        }
    }
    Ok(series)
}
