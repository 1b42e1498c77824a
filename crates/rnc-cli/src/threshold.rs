//! Checks `--small-cell-threshold` before a command that publishes
//! counts, because a threshold of 0 or 1 hides nothing and would turn
//! suppression off without a word.

use crate::cli::Command;

/// Smallest `--small-cell-threshold` accepted: 2 hides counts of 1. Lower
/// values hide nothing, so they take `--no-small-cell-suppression`.
pub(crate) const MIN_SMALL_CELL_THRESHOLD: u64 = 2;

/// Sets the small-cell threshold of a command that publishes counts:
/// 0 with `--no-small-cell-suppression`, else the value given after
/// checking it. Prints a warning on stderr when suppression is off or
/// weaker than the default.
///
/// # Errors
///
/// When `--small-cell-threshold` is below [`MIN_SMALL_CELL_THRESHOLD`].
pub(crate) fn resolve_small_cell_threshold(
    command: &mut Command,
) -> anyhow::Result<()> {
    let (threshold, no_suppression) = match command {
        Command::Stats(args) | Command::Report(args) => (
            &mut args.small_cell_threshold,
            args.no_small_cell_suppression,
        ),
        Command::Pathway(args) => (
            &mut args.small_cell_threshold,
            args.no_small_cell_suppression,
        ),
        Command::Serve(args) => (
            &mut args.small_cell_threshold,
            args.no_small_cell_suppression,
        ),
        _ => return Ok(()),
    };
    *threshold = checked_threshold(*threshold, no_suppression)?;
    Ok(())
}

fn checked_threshold(
    threshold: u64,
    no_suppression: bool,
) -> anyhow::Result<u64> {
    let default = rnc_stats::DEFAULT_SMALL_CELL_THRESHOLD;
    if no_suppression {
        eprintln!(
            "rnc: warning: --no-small-cell-suppression: the outputs show every count, those from 1 to {} included; keep them inside the registry",
            default - 1
        );
        return Ok(0);
    }
    anyhow::ensure!(
        threshold >= MIN_SMALL_CELL_THRESHOLD,
        "--small-cell-threshold {threshold} would hide no count (expected {MIN_SMALL_CELL_THRESHOLD} or more, default {default}); to publish every count on purpose, give --no-small-cell-suppression instead"
    );
    if threshold < default {
        eprintln!(
            "rnc: warning: --small-cell-threshold {threshold} hides only counts from 1 to {}, where French registries and Santé publique France hide 1 to {}",
            threshold - 1,
            default - 1
        );
    }
    Ok(threshold)
}
