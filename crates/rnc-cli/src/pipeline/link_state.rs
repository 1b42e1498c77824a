//! What `rnc link` keeps from its earlier run: the person of each record,
//! the scored pairs, the model and the settings, all under `work/link`.

use std::collections::{HashMap, HashSet};

use anyhow::Context;
use arrow::array::{
    Array, AsArray, Float64Array, RecordBatch, StringArray, UInt8Array,
};
use arrow::datatypes::{Float64Type, UInt8Type};
use rnc_link::{
    COMPARISON_NAMES, FellegiSunterModel, LinkConfig, PairMethod, PriorLinkage,
    PriorPair,
};
use rnc_store::{Registry, WorkStage};

/// The earlier run of `rnc link`, as stored under `work/link`.
pub struct EarlierRun {
    /// Person ids of every record id it linked, one per copy of a record
    /// sent again, in staged order.
    pub person_of: HashMap<String, Vec<String>>,
    /// Its pairs and model, read only when this run can extend it: not
    /// `--full`, and the same settings, because the stored pairs were
    /// decided under them. A national year stores about 58 million pairs.
    pub prior: Option<PriorLinkage>,
}

/// Settings stored with each run, compared by the next one.
pub fn settings_json(config: &LinkConfig) -> serde_json::Value {
    serde_json::json!({
        "match_probability_threshold": config.match_probability_threshold,
        "max_em_iterations": config.max_em_iterations,
        "em_tolerance": config.em_tolerance,
        "u_sample_pairs": config.u_sample_pairs,
        "seed": config.seed,
        "deterministic_nir": config.deterministic_nir,
    })
}

/// Reads the earlier run, or `None` when the registry was never linked.
/// Its pairs and model are read only when `extend` is set and the settings
/// are the same.
pub fn read_earlier_run(
    registry: &Registry,
    config: &LinkConfig,
    extend: bool,
) -> anyhow::Result<Option<EarlierRun>> {
    let dir = registry.work_dir(WorkStage::Link);
    let files = [
        "person_map.parquet",
        "link_pairs.parquet",
        "link_model.json",
    ];
    if !files.iter().all(|f| dir.join(f).exists()) {
        return Ok(None);
    }
    let person_of = super::consolidate::read_person_map_copies(registry)?;
    let settings_path = dir.join("settings.json");
    let same_settings = match std::fs::read_to_string(&settings_path) {
        Ok(text) => {
            serde_json::from_str::<serde_json::Value>(&text).ok()
                == Some(settings_json(config))
        }
        Err(_) => false,
    };
    if !(extend && same_settings) {
        return Ok(Some(EarlierRun {
            person_of,
            prior: None,
        }));
    }
    let model_path = dir.join("link_model.json");
    let json = std::fs::read_to_string(&model_path)
        .with_context(|| format!("reading {}", model_path.display()))?;
    let model = FellegiSunterModel::from_json(&json)
        .with_context(|| format!("earlier model {}", model_path.display()))?;
    Ok(Some(EarlierRun {
        prior: Some(PriorLinkage {
            record_ids: person_of.keys().cloned().collect::<HashSet<_>>(),
            pairs: read_pairs(registry)?,
            model,
        }),
        person_of,
    }))
}

fn read_pairs(registry: &Registry) -> anyhow::Result<Vec<PriorPair>> {
    let mut pairs = Vec::new();
    for batch in registry.read_work_table(WorkStage::Link, "link_pairs")? {
        pairs.extend(pairs_of_batch(&batch)?);
    }
    Ok(pairs)
}

fn pairs_of_batch(batch: &RecordBatch) -> anyhow::Result<Vec<PriorPair>> {
    let column = |name: &str| {
        batch
            .column_by_name(name)
            .with_context(|| format!("link_pairs has no column {name}"))
    };
    let strings = |name: &str| -> anyhow::Result<StringArray> {
        Ok(column(name)?
            .as_string_opt::<i32>()
            .with_context(|| format!("link_pairs column {name} is not text"))?
            .clone())
    };
    let floats = |name: &str| -> anyhow::Result<Float64Array> {
        Ok(column(name)?
            .as_primitive_opt::<Float64Type>()
            .with_context(|| {
                format!("link_pairs column {name} is not Float64")
            })?
            .clone())
    };
    let left = strings("record_id_left")?;
    let right = strings("record_id_right")?;
    let methods = strings("method")?;
    let weights = floats("match_weight")?;
    let probabilities = floats("match_probability")?;
    let gammas: Vec<UInt8Array> = COMPARISON_NAMES
        .iter()
        .map(|name| {
            let name = format!("gamma_{name}");
            Ok(column(&name)?
                .as_primitive_opt::<UInt8Type>()
                .with_context(|| {
                    format!("link_pairs column {name} is not UInt8")
                })?
                .clone())
        })
        .collect::<anyhow::Result<_>>()?;
    let mut pairs = Vec::with_capacity(batch.num_rows());
    for i in 0..batch.num_rows() {
        let method = match methods.value(i) {
            "nir_agreement" => PairMethod::NirAgreement,
            "fellegi_sunter" => PairMethod::FellegiSunter,
            other => anyhow::bail!(
                "link_pairs row {}: method {other} is unknown (expected \
                 nir_agreement or fellegi_sunter); relink with --full",
                i + 1
            ),
        };
        anyhow::ensure!(
            !left.is_null(i) && !right.is_null(i),
            "link_pairs row {}: a record id is missing; relink with --full",
            i + 1
        );
        pairs.push(PriorPair {
            record_id_left: left.value(i).to_string(),
            record_id_right: right.value(i).to_string(),
            match_weight: weights.value(i),
            match_probability: probabilities.value(i),
            method,
            levels: gammas.iter().map(|g| g.value(i)).collect(),
        });
    }
    Ok(pairs)
}

/// Parses a person id written by [`super::link::person_id`] back to its
/// number; `None` for an id in another form.
pub fn person_number(id: &str) -> Option<u32> {
    id.strip_prefix('P')?.parse::<u32>().ok()?.checked_sub(1)
}
