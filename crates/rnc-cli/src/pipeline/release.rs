//! Release: freeze the work tables into an immutable snapshot.

use std::path::{Path, PathBuf};

use anyhow::Context;
use rnc_report::CheckFinding;
use rnc_store::parquet_io::read_parquet;
use rnc_store::{Registry, ReleaseEntry, WorkStage};

/// Makes a new release from the current work tables, the population table
/// and the linkage model, with the check report of its tumours
/// (`check_report.html` and `check_report.csv`).
pub fn release(registry: &Registry) -> anyhow::Result<ReleaseEntry> {
    let consolidate = registry.work_dir(WorkStage::Consolidate);
    let link = registry.work_dir(WorkStage::Link);
    let population = registry.population_path();
    anyhow::ensure!(
        population.exists(),
        "the registry has no population table: run `rnc ingest --population FILE` first"
    );
    let (check_csv, check_html) = write_check_report(&consolidate)?;
    let tables = vec![
        ("persons", consolidate.join("persons.parquet")),
        ("tumours", consolidate.join("tumours.parquet")),
        ("source_records", consolidate.join("source_records.parquet")),
        ("link_pairs", link.join("link_pairs.parquet")),
        ("quality_checks", consolidate.join("quality_checks.parquet")),
        ("population", population),
        ("link_model", link.join("link_model.json")),
        ("check_report", check_csv),
        ("check_report", check_html),
    ];
    let settings =
        std::fs::read_to_string(link.join("settings.json")).unwrap_or_default();
    Ok(registry.create_release(&tables, &settings)?)
}

/// Writes the check report of the consolidated tumours beside their
/// `quality_checks` table, in CSV and HTML, and returns both paths.
fn write_check_report(dir: &Path) -> anyhow::Result<(PathBuf, PathBuf)> {
    let table = dir.join("quality_checks.parquet");
    let mut findings = Vec::new();
    for batch in read_parquet(&table)
        .with_context(|| format!("reading {}", table.display()))?
    {
        for check in rnc_rules::batch_to_checks(&batch)? {
            findings.push(CheckFinding {
                tumour_id: check.tumour_id,
                rule_id: check.rule_id,
                severity: check.severity.label().to_string(),
                message: check.message,
            });
        }
    }
    findings.sort_by(|a, b| {
        (&a.tumour_id, &a.rule_id, &a.severity, &a.message).cmp(&(
            &b.tumour_id,
            &b.rule_id,
            &b.severity,
            &b.message,
        ))
    });
    let created = chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string();
    let html = rnc_report::render_check_report(
        "Quality checks of the released tumours",
        &created,
        &findings,
    );
    let csv_path = dir.join("check_report.csv");
    let html_path = dir.join("check_report.html");
    for (path, text) in [
        (&csv_path, rnc_report::check_report_csv(&findings)),
        (&html_path, html),
    ] {
        std::fs::write(path, text)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok((csv_path, html_path))
}
