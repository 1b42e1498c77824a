//! Release: freeze the work tables into an immutable snapshot.

use rnc_store::{Registry, ReleaseEntry, WorkStage};

/// Makes a new release from the current work tables, the population table
/// and the linkage model.
pub fn release(registry: &Registry) -> anyhow::Result<ReleaseEntry> {
    let consolidate = registry.work_dir(WorkStage::Consolidate);
    let link = registry.work_dir(WorkStage::Link);
    let population = registry.population_path();
    anyhow::ensure!(
        population.exists(),
        "the registry has no population table: run `rnc ingest --population FILE` first"
    );
    let tables = vec![
        ("persons", consolidate.join("persons.parquet")),
        ("tumours", consolidate.join("tumours.parquet")),
        ("source_records", consolidate.join("source_records.parquet")),
        ("link_pairs", link.join("link_pairs.parquet")),
        ("quality_checks", consolidate.join("quality_checks.parquet")),
        ("population", population),
        ("link_model", link.join("link_model.json")),
    ];
    let settings =
        std::fs::read_to_string(link.join("settings.json")).unwrap_or_default();
    Ok(registry.create_release(&tables, &settings)?)
}
