//! The HTML report of a release.

use std::path::{Path, PathBuf};

use anyhow::Context;
use arrow::array::{AsArray, RecordBatch};
use arrow::datatypes::Int64Type;
use rnc_report::{IndicatorLine, ReportData};
use rnc_store::Registry;
use rnc_store::sql::run_sql;

use super::stats::StatsOutput;

/// Writes `report.html` for the release of `stats` into `out_dir` (default:
/// `report/` beside the statistics). Returns the report's path.
pub fn write_report(
    registry: &Registry,
    stats: &StatsOutput,
    out_dir: Option<&Path>,
) -> anyhow::Result<PathBuf> {
    let release = &stats.release;
    let release_dir = registry.release_dir(&release.release_id);
    let rows = |name: &str| release.table(name).map_or(0, |t| t.rows);

    let catalogue = registry.catalogue()?;
    let read: u64 = catalogue.batches.iter().map(|b| b.rows_read).sum();
    let quarantined: u64 =
        catalogue.batches.iter().map(|b| b.rows_quarantined).sum();
    let mut summary = vec![
        ("Release".to_string(), release.release_id.clone()),
        (
            "Period".to_string(),
            format!("{}-{}", stats.period.0, stats.period.1),
        ),
        ("Source rows read".to_string(), read.to_string()),
        (
            "Source rows quarantined".to_string(),
            quarantined.to_string(),
        ),
        (
            "Source records".to_string(),
            rows("source_records").to_string(),
        ),
        ("Persons".to_string(), rows("persons").to_string()),
        ("Tumours".to_string(), rows("tumours").to_string()),
        (
            "Malignant tumours without age or sex (not in rates)".to_string(),
            stats.excluded.to_string(),
        ),
    ];

    let checks = run_sql(
        &release_dir,
        "SELECT rule_id, severity, COUNT(*) AS n FROM quality_checks GROUP BY 1, 2 ORDER BY 1, 2",
    )
    .context("summarising quality checks")?;
    let quality = count_rows(&checks);

    let pairs = run_sql(
        &release_dir,
        "SELECT method, CAST(SUM(record_pairs) AS BIGINT) AS n FROM link_pairs WHERE linked GROUP BY 1 ORDER BY 1",
    )
    .context("summarising linkage")?;
    let linkage = count_rows(&pairs)
        .into_iter()
        .map(|(method, _, n)| {
            (format!("Linked pairs ({method})"), n.to_string())
        })
        .collect();

    let (indicators, registration_date_note) =
        indicator_lines(&stats.indicators);
    let (survival, closing) =
        super::report_curves::survival_series(&release_dir)?;
    if let Some(closing) = closing {
        summary.push((
            "Survival follow-up closed on (latest death record)".to_string(),
            closing.to_string(),
        ));
    }
    let trends = super::report_curves::trend_series(
        &release_dir,
        stats.population_csv.as_deref(),
    )?;

    let data = ReportData {
        title: "National cancer registry: incidence".to_string(),
        release_id: release.release_id.clone(),
        created: release.created_at.clone(),
        summary,
        incidence: labelled_rows(&stats.rows),
        population_label: stats.population_label.clone(),
        quality,
        linkage,
        indicators,
        registration_date_note,
        small_cell_threshold: stats.small_cell_threshold,
        survival,
        trends,
        pathway: Some(crate::pathway::report_section(
            registry,
            &release.release_id,
            stats.small_cell_threshold,
        )?),
        ..ReportData::default()
    };
    let html = rnc_report::render_report(&data)?;

    let out_dir = out_dir
        .map(Path::to_path_buf)
        .unwrap_or_else(|| stats.out_dir.join("report"));
    std::fs::create_dir_all(&out_dir)
        .with_context(|| format!("creating {}", out_dir.display()))?;
    let path = out_dir.join("report.html");
    std::fs::write(&path, html)
        .with_context(|| format!("writing {}", path.display()))?;

    Ok(path)
}

/// Labels the registry quality indicators that `rnc stats` computed with
/// site-group names for the report, and returns the note saying where the
/// registration dates of the median delay come from.
fn indicator_lines(
    indicators: &crate::export::QualityIndicators,
) -> (Vec<IndicatorLine>, String) {
    let label = |code: &str| {
        if code == rnc_rules::ALL_SITES_BUT_SKIN {
            return "All sites but skin (C44)".to_string();
        }
        rnc_codes::site_groups()
            .iter()
            .find(|g| g.code == code)
            .map_or_else(|| code.to_string(), |g| g.label.to_string())
    };
    let lines = crate::export::indicator_lines_of(&indicators.rows, label);
    let (stated, ingestion) = indicators.registration_date_counts;
    let note = format!(
        "Median delay: days from the incidence date to the registration \
         date. For {stated} tumours that is the earliest registration or \
         report date their own records state. For {ingestion} tumours \
         without one it is the ingestion date of the first batch that \
         brought one of their records, which adds the time the feeds took \
         to reach the national registry."
    );
    (lines, note)
}

/// Orders incidence rows for reading (all sites first, then site groups by
/// label, `other` last) and replaces site-group codes by their labels.
fn labelled_rows(
    rows: &[rnc_stats::IncidenceRow],
) -> Vec<rnc_stats::IncidenceRow> {
    let label = |code: &str| {
        rnc_codes::site_groups()
            .iter()
            .find(|g| g.code == code)
            .map_or_else(|| code.to_string(), |g| g.label.to_string())
    };
    let mut ordered: Vec<(bool, bool, String, rnc_stats::IncidenceRow)> = rows
        .iter()
        .map(|row| {
            let is_total = row.site_group == rnc_stats::ALL_SITES;
            let is_other = row.site_group == "other";
            (!is_total, is_other, label(&row.site_group), row.clone())
        })
        .collect();
    ordered.sort_by(|a, b| {
        (a.0, a.1, &a.2, &a.3.sex).cmp(&(b.0, b.1, &b.2, &b.3.sex))
    });
    ordered
        .into_iter()
        .map(|(is_site, _, label, mut row)| {
            if is_site {
                row.site_group = label;
            }
            row
        })
        .collect()
}

/// Reads `(text, text-or-empty, count)` rows of a grouped count query whose
/// last column is the count.
fn count_rows(batches: &[RecordBatch]) -> Vec<(String, String, u64)> {
    let mut out = Vec::new();
    for batch in batches {
        let first = batch.column(0).as_string::<i32>();
        let width = batch.num_columns();
        let counts = batch.column(width - 1).as_primitive::<Int64Type>();
        for i in 0..batch.num_rows() {
            let second = if width == 3 {
                batch.column(1).as_string::<i32>().value(i).to_string()
            } else {
                String::new()
            };
            out.push((
                first.value(i).to_string(),
                second,
                counts.value(i) as u64,
            ));
        }
    }
    out
}
