//! `rnc pseudonymise`: the provider-side step, run by a hospital,
//! laboratory or regional registry on its own feed file before sending it.

use std::path::Path;

use anyhow::{Context, bail};
use rnc_model::SourceKind;
use rnc_pseudonym::provider::pseudonymise_file;
use rnc_pseudonym::{ClkEncoder, ClkSettings, Key, Pseudonymiser};

use crate::cli::PseudonymiseArgs;
use crate::commands::Outcome;

/// Pseudonymises `args.input` into `args.output` with the provider key at
/// `key_path`, and prints the counts.
///
/// Returns [`Outcome::Flagged`] when some NIR or birth date was invalid,
/// because those rows lose that linkage evidence.
pub fn pseudonymise(
    key_path: Option<&Path>,
    args: &PseudonymiseArgs,
) -> anyhow::Result<Outcome> {
    let Some(key_path) = key_path else {
        bail!(
            "rnc pseudonymise needs --key FILE: the provider key shared by the \
             providers and the linkage environment (add --create-key to make a \
             new one)"
        );
    };
    let kind: SourceKind = args
        .source
        .parse()
        .map_err(anyhow::Error::msg)
        .with_context(|| format!("invalid --source {}", args.source))?;
    let key = if args.create_key {
        let (key, created) = Key::load_or_create(key_path)?;
        if created {
            println!(
                "created provider key {} (fingerprint {}); give it to the other \
                 providers and the linkage environment only",
                key_path.display(),
                key.fingerprint()
            );
        }
        key
    } else {
        Key::load(key_path).with_context(|| {
            // A new key is the fix only when there is none: a new provider
            // key would stop this provider's pseudonyms matching the others'.
            if key_path.exists() {
                format!("cannot use the provider key {}", key_path.display())
            } else {
                format!(
                    "cannot use the provider key {} (if this provider has no key yet, add --create-key to make one)",
                    key_path.display()
                )
            }
        })?
    };

    let pseudonymiser = Pseudonymiser::new(&key);
    let clk = ClkEncoder::new(&key, ClkSettings::default())?;
    let summary = pseudonymise_file(
        kind,
        &args.input,
        &args.output,
        &pseudonymiser,
        &clk,
    )?;

    if !summary.dropped_columns.is_empty() {
        println!(
            "dropped columns the {kind} feed does not define: {}",
            summary.dropped_columns.join(", ")
        );
    }
    println!(
        "{}: {} rows pseudonymised into {} with provider key {}; NIR \
         pseudonymised {}, invalid {}; unreadable birth dates {}",
        args.input.display(),
        summary.rows,
        args.output.display(),
        summary.key_fingerprint,
        summary.nir_pseudonymised,
        summary.nir_invalid,
        summary.birth_date_invalid
    );
    if summary.nir_invalid > 0 || summary.birth_date_invalid > 0 {
        Ok(Outcome::Flagged)
    } else {
        Ok(Outcome::Clean)
    }
}
