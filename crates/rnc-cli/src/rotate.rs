//! `rnc rotate`: moves every staged record from the registry key to a new
//! one, without forming a clear identifier.

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, bail};
use rnc_model::tables::{batch_to_source_records, source_records_to_batch};
use rnc_pseudonym::{Key, RegistryLayer, rotate_record};
use rnc_store::Registry;

use crate::cli::RotateArgs;
use crate::commands::Outcome;
use crate::pipeline;

/// Rotates the registry at `registry_dir` from the key at `key_path` to
/// the key at `args.new_key`, created when absent, and prints what
/// changed.
///
/// Each stored pseudonym is opened with the old key, which gives back the
/// provider's keyed hash, and sealed with the new one. Each name filter
/// has its bits moved from the old key's permutation to the new one's.
/// The rewritten batches replace the old ones in one catalogue update.
/// Work tables, review decisions and releases hold record and person ids
/// but no pseudonym, so they stay valid as they are.
pub fn rotate(
    registry_dir: &Path,
    key_path: &Path,
    args: &RotateArgs,
) -> anyhow::Result<Outcome> {
    let started = Instant::now();
    let registry = Registry::open(registry_dir)?;
    if !key_path.exists() {
        bail!(
            "key file {} does not exist: pass --key with the registry's current key",
            key_path.display()
        );
    }
    let old_key = pipeline::load_key(registry_dir, key_path)?;
    pipeline::check_key_path(registry_dir, &args.new_key, "--new-key")?;
    let (new_key, created) = Key::load_or_create(&args.new_key)
        .with_context(|| format!("new key file {}", args.new_key.display()))?;
    if new_key.fingerprint() == old_key.fingerprint() {
        bail!(
            "--new-key {} is the registry's current key (fingerprint {}): pass a new key file, which rnc creates when it does not exist",
            args.new_key.display(),
            old_key.fingerprint()
        );
    }
    if created {
        println!(
            "created registry key {} (fingerprint {}, mode 0600)",
            args.new_key.display(),
            new_key.fingerprint()
        );
    }

    let old = RegistryLayer::new(&old_key);
    let new = RegistryLayer::new(&new_key);
    let rotation = registry.rewrite_staged_records(
        new.key_fingerprint(),
        |_, batch| -> anyhow::Result<_> {
            let mut records = batch_to_source_records(batch)?;
            for record in &mut records {
                rotate_record(&old, &new, record)
                    .with_context(|| format!("record {}", record.record_id))?;
            }
            Ok(source_records_to_batch(&records)?)
        },
    )?;

    let releases = registry.catalogue()?.releases.len();
    println!(
        "the old key {} (fingerprint {}) no longer opens the registry: pass --key {} from now on, and destroy the old key file and its copies",
        key_path.display(),
        rotation.from_key_fingerprint,
        args.new_key.display()
    );
    if releases > 0 {
        println!(
            "{releases} releases unchanged: they hold no pseudonym, and their files still match their manifests"
        );
    }
    println!(
        "rotate: {} batches, {} records moved from key {} to key {} in {:.1} s",
        rotation.batches,
        rotation.records,
        rotation.from_key_fingerprint,
        rotation.to_key_fingerprint,
        started.elapsed().as_secs_f64()
    );
    Ok(Outcome::Clean)
}
