//! `rnc confirm`: a reviewer confirms a rare or query finding of the last
//! consolidation, so that the check passes on later runs while the
//! tumour's codes stay the same.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use rnc_rules::{CheckResult, ConfirmationFile, Tumour};
use rnc_store::{Registry, WorkStage};

use crate::cli::ConfirmArgs;
use crate::commands::Outcome;

/// Name of the confirmation file under `work/consolidate/`.
pub const CONFIRMATIONS_FILE: &str = "confirmations.json";

/// Path of the registry's confirmation file.
pub fn confirmations_path(registry: &Registry) -> PathBuf {
    registry
        .work_dir(WorkStage::Consolidate)
        .join(CONFIRMATIONS_FILE)
}

/// Reads the registry's confirmations; a registry without the file has
/// none.
pub fn read_confirmations(
    registry: &Registry,
) -> anyhow::Result<ConfirmationFile> {
    let path = confirmations_path(registry);
    if !path.exists() {
        return Ok(ConfirmationFile {
            format_version: 1,
            confirmations: Vec::new(),
        });
    }
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("reading {}", path.display()))?;
    ConfirmationFile::from_json(&text)
        .with_context(|| format!("reading {}", path.display()))
}

/// Records the confirmation of `--rule` on `--tumour` with `--reason`.
pub fn confirm(
    registry_dir: &Path,
    args: &ConfirmArgs,
) -> anyhow::Result<Outcome> {
    let registry = Registry::open(registry_dir)?;
    let _lock = registry.lock()?;
    let tumour = find_tumour(&registry, &args.tumour)?;
    let finding = find_finding(&registry, &args.tumour, &args.rule)?;
    let confirmed_at = chrono::Utc::now().to_rfc3339();
    let confirmation = rnc_rules::confirm_finding(
        &tumour,
        &finding,
        &args.reason,
        &confirmed_at,
    )?;

    let mut file = read_confirmations(&registry)?;
    let codes = confirmation.codes.clone();
    file.insert(confirmation);
    registry.write_work_file(
        WorkStage::Consolidate,
        CONFIRMATIONS_FILE,
        file.to_json().as_bytes(),
    )?;
    tracing::info!(
        tumour_id = %args.tumour,
        rule_id = %args.rule,
        "finding confirmed"
    );
    println!(
        "confirm: {} {} ({}) confirmed for codes {codes}; the check passes from the next `rnc consolidate` while these codes stay the same ({} confirmations in {})",
        args.tumour,
        args.rule,
        finding.severity.label(),
        file.confirmations.len(),
        confirmations_path(&registry).display()
    );
    Ok(Outcome::Clean)
}

fn find_tumour(registry: &Registry, tumour_id: &str) -> anyhow::Result<Tumour> {
    for batch in registry.read_work_table(WorkStage::Consolidate, "tumours")? {
        let found = rnc_rules::batch_to_tumours(&batch)?
            .into_iter()
            .find(|t| t.tumour_id == tumour_id);
        if let Some(tumour) = found {
            return Ok(tumour);
        }
    }
    bail!(
        "tumour {tumour_id} not found in the last consolidation: check the id (rnc sql \"SELECT tumour_id, rule_id FROM quality_checks\") or run `rnc consolidate` again"
    )
}

fn find_finding(
    registry: &Registry,
    tumour_id: &str,
    rule_id: &str,
) -> anyhow::Result<CheckResult> {
    let mut rules_of_tumour = Vec::new();
    for batch in
        registry.read_work_table(WorkStage::Consolidate, "quality_checks")?
    {
        for check in rnc_rules::batch_to_checks(&batch)? {
            if check.tumour_id != tumour_id {
                continue;
            }
            if check.rule_id == rule_id {
                return Ok(check);
            }
            rules_of_tumour.push(check.rule_id);
        }
    }
    if rules_of_tumour.is_empty() {
        bail!(
            "tumour {tumour_id} has no finding in the last consolidation, so there is nothing to confirm (a finding confirmed earlier no longer appears)"
        );
    }
    bail!(
        "tumour {tumour_id} has no finding of rule {rule_id} in the last consolidation (its findings: {}): pass one of those with --rule",
        rules_of_tumour.join(", ")
    )
}
