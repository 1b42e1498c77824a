//! The scored-pair table as an Arrow record batch.

use std::sync::Arc;

use arrow_array::builder::{
    BooleanBuilder, Float64Builder, StringBuilder, UInt8Builder, UInt64Builder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef};

use crate::compare::COMPARISON_NAMES;
use crate::error::ErrorKind;
use crate::model::FellegiSunterModel;
use crate::{Error, RecordId, ScoredPair};

/// Schema of the pair table for the comparisons of [`crate::link`]:
/// `record_id_left`, `record_id_right`, `record_pairs`, `match_weight`,
/// `match_probability`, `method`, `linked`, then one `gamma_<name>` UInt8
/// column per comparison. A row is a pair of linkage profiles
/// ([`ScoredPair`]) named by one record pair of it; `record_pairs` counts
/// the record pairs it represents.
pub fn pair_schema() -> SchemaRef {
    schema_for(COMPARISON_NAMES.iter().copied())
}

fn schema_for<'a>(names: impl Iterator<Item = &'a str>) -> SchemaRef {
    let mut fields = vec![
        Field::new("record_id_left", DataType::Utf8, false),
        Field::new("record_id_right", DataType::Utf8, false),
        Field::new("record_pairs", DataType::UInt64, false),
        Field::new("match_weight", DataType::Float64, false),
        Field::new("match_probability", DataType::Float64, false),
        Field::new("method", DataType::Utf8, false),
        Field::new("linked", DataType::Boolean, false),
    ];
    fields.extend(names.map(|name| {
        Field::new(format!("gamma_{name}"), DataType::UInt8, false)
    }));
    Arc::new(Schema::new(fields))
}

/// Builds the pair table. The `gamma_` columns follow the model's
/// comparisons, so a model from [`crate::link`] gives [`pair_schema`].
///
/// # Errors
///
/// [`ErrorKind::PairMismatch`] when a pair points outside `records` or
/// its level count differs from the model's comparisons.
pub fn pairs_to_batch<R: RecordId>(
    pairs: &[ScoredPair],
    records: &[R],
    model: &FellegiSunterModel,
) -> Result<RecordBatch, Error> {
    let n = pairs.len();
    let comparisons = model.comparisons.len();
    let mut left_ids = StringBuilder::with_capacity(n, n * 24);
    let mut right_ids = StringBuilder::with_capacity(n, n * 24);
    let mut record_pairs = UInt64Builder::with_capacity(n);
    let mut weights = Float64Builder::with_capacity(n);
    let mut probabilities = Float64Builder::with_capacity(n);
    let mut methods = StringBuilder::with_capacity(n, n * 14);
    let mut linked = BooleanBuilder::with_capacity(n);
    let mut gammas: Vec<UInt8Builder> = (0..comparisons)
        .map(|_| UInt8Builder::with_capacity(n))
        .collect();
    for pair in pairs {
        let mismatch = |reason: String| {
            Error::from(ErrorKind::PairMismatch {
                left: pair.left,
                right: pair.right,
                reason,
            })
        };
        let record = |index: u32| {
            records.get(index as usize).ok_or_else(|| {
                mismatch(format!(
                    "record index {index} is outside the {} records given (pass \
                     the records that were linked)",
                    records.len()
                ))
            })
        };
        left_ids.append_value(record(pair.left)?.record_id());
        right_ids.append_value(record(pair.right)?.record_id());
        if pair.levels.len() != comparisons {
            return Err(mismatch(format!(
                "{} comparison levels for a model with {comparisons} comparisons \
                 (pass the model that scored the pairs)",
                pair.levels.len()
            )));
        }
        record_pairs.append_value(pair.record_pairs);
        weights.append_value(pair.match_weight);
        probabilities.append_value(pair.match_probability);
        methods.append_value(pair.method.label());
        linked.append_value(pair.linked);
        for (builder, &level) in gammas.iter_mut().zip(&pair.levels) {
            builder.append_value(level);
        }
    }
    let mut columns: Vec<ArrayRef> = vec![
        Arc::new(left_ids.finish()),
        Arc::new(right_ids.finish()),
        Arc::new(record_pairs.finish()),
        Arc::new(weights.finish()),
        Arc::new(probabilities.finish()),
        Arc::new(methods.finish()),
        Arc::new(linked.finish()),
    ];
    columns.extend(gammas.iter_mut().map(|b| Arc::new(b.finish()) as ArrayRef));
    let schema = schema_for(model.comparisons.iter().map(|c| c.name.as_str()));
    Ok(RecordBatch::try_new(schema, columns)?)
}
