//! Learned against true m and u of a file linkage, for synthetic data
//! whose entities are known.

use std::collections::HashMap;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::Error;
use crate::error::ErrorKind;
use crate::file_link::{LinkMode, canonical_codes, check_fits, prepare};
use crate::file_u::SAMPLES_PER_STREAM;
use crate::model::FellegiSunterModel;
use crate::records::RecordTable;
use crate::spec::ModelSpec;

/// Learned and true parameters of one comparison level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParameterCheck {
    /// Comparison name.
    pub comparison: String,
    /// Level name.
    pub level: String,
    /// m of the model.
    pub learned_m: f64,
    /// Share of the level among true matching pairs with both values.
    pub true_m: f64,
    /// u of the model.
    pub learned_u: f64,
    /// Share of the level among sampled non-matching pairs with both
    /// values.
    pub true_u: f64,
}

/// Compares the m and u of `model` with their values under the truth:
/// true m from every pair of records of one true entity, true u from
/// `spec.settings.u_sample_pairs` random pairs (seed `spec.settings.seed`
/// plus one) of records of different entities. The null level is left
/// out, as it carries no evidence. `truth` holds the entity of each
/// table row.
///
/// NOTE: true m enumerates every pair of an entity, so one entity of
/// many thousand records would make this slow; it is meant for synthetic
/// data with known entities.
///
/// # Errors
///
/// [`ErrorKind::InvalidRecords`] when `truth` and the table differ in
/// length, [`ErrorKind::InvalidModel`] when `model` does not fit `spec`.
pub fn compare_parameters_with_truth(
    table: &RecordTable,
    spec: &ModelSpec,
    model: &FellegiSunterModel,
    truth: &[u32],
) -> Result<Vec<ParameterCheck>, Error> {
    check_fits(spec, model)?;
    if truth.len() != table.len() {
        return Err(ErrorKind::InvalidRecords {
            reason: format!(
                "{} true entities for {} records (give one per record)",
                truth.len(),
                table.len()
            ),
        }
        .into());
    }
    let mut prepared = prepare(table, spec, LinkMode::Dedupe)?;
    prepared.order = (0..table.len()).collect();
    prepared.codes = canonical_codes(&prepared.order, &prepared.comparators);
    let width = prepared.comparators.len();

    let mut rows_of: HashMap<u32, Vec<u32>> = HashMap::new();
    for (row, &entity) in truth.iter().enumerate() {
        rows_of.entry(entity).or_default().push(row as u32);
    }
    let mut entities: Vec<Vec<u32>> = rows_of.into_values().collect();
    entities.sort_unstable();
    let match_counts = entities
        .par_iter()
        .map(|rows| {
            let mut counts = zero_counts(model);
            let mut vector = vec![0u8; width];
            for (i, &a) in rows.iter().enumerate() {
                for &b in &rows[i + 1..] {
                    prepared.levels(a, b, &mut vector);
                    add_vector(&mut counts, &vector);
                }
            }
            counts
        })
        .reduce(|| zero_counts(model), add_counts);

    let n = table.len();
    let wanted = spec.settings.u_sample_pairs;
    let streams = if n < 2 {
        0
    } else {
        wanted.div_ceil(SAMPLES_PER_STREAM)
    };
    let seed = spec.settings.seed.wrapping_add(1);
    let non_match_counts = (0..streams)
        .into_par_iter()
        .map(|stream| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            rng.set_stream(stream);
            let size =
                SAMPLES_PER_STREAM.min(wanted - stream * SAMPLES_PER_STREAM);
            let mut counts = zero_counts(model);
            let mut vector = vec![0u8; width];
            for _ in 0..size {
                let a = rng.random_range(0..n);
                let b = rng.random_range(0..n);
                if truth[a] == truth[b] {
                    continue;
                }
                prepared.levels(a as u32, b as u32, &mut vector);
                add_vector(&mut counts, &vector);
            }
            counts
        })
        .reduce(|| zero_counts(model), add_counts);

    let share = |counts: &[u64], level: usize| {
        let observed: u64 = counts[1..].iter().sum();
        if observed == 0 {
            f64::NAN
        } else {
            counts[level] as f64 / observed as f64
        }
    };
    let mut checks = Vec::new();
    for (c, comparison) in model.comparisons.iter().enumerate() {
        for (l, level) in comparison.levels.iter().enumerate() {
            if level.is_null {
                continue;
            }
            checks.push(ParameterCheck {
                comparison: comparison.name.clone(),
                level: level.name.clone(),
                learned_m: level.m,
                true_m: share(&match_counts[c], l),
                learned_u: level.u,
                true_u: share(&non_match_counts[c], l),
            });
        }
    }
    Ok(checks)
}

fn zero_counts(model: &FellegiSunterModel) -> Vec<Vec<u64>> {
    model
        .comparisons
        .iter()
        .map(|c| vec![0; c.levels.len()])
        .collect()
}

fn add_vector(counts: &mut [Vec<u64>], vector: &[u8]) {
    for (c, &level) in vector.iter().enumerate() {
        counts[c][usize::from(level)] += 1;
    }
}

fn add_counts(mut a: Vec<Vec<u64>>, b: Vec<Vec<u64>>) -> Vec<Vec<u64>> {
    for (x, y) in a.iter_mut().zip(b) {
        for (p, q) in x.iter_mut().zip(y) {
            *p += q;
        }
    }
    a
}
