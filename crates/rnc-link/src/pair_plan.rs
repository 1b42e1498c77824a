//! Candidate pairs found and compared by a query engine instead of in
//! process: the tables that describe the blocking of linkage profiles, the
//! SQL that turns them into compared pairs, and the comparison of two
//! table rows.
//!
//! [`crate::link_encoded`] blocks and compares in process unless
//! [`crate::LinkOptions::pair_finder`] names a [`PairFinder`]. Then it
//! computes every blocking key of every profile here ([`BlockingTables`]),
//! and the finder runs [`candidate_pairs_sql`] and [`block_summary_sql`]
//! with [`compare_profile_columns`] registered as the UDF
//! [`LINK_LEVELS`]. rnc-engine's finder runs them on DataFusion in process
//! or on a Ballista cluster. Training, scoring and clustering then run in
//! process on the pairs returned, exactly as on pairs found in process.
//!
//! The SQL states the blocking of `blocking.rs` as joins. A block is the
//! set of profiles sharing one key under one rule. It is kept when it
//! contains two records or more and at most [`MAX_BLOCK_SIZE`], counting
//! every record of each profile. A kept block gives every pair of two of its
//! profiles, and the pair within a profile of several records, except pairs
//! made only of records an earlier run linked. Pairs found under several
//! rules or keys are kept once.

use std::sync::Arc;

use arrow_array::builder::{
    BinaryBuilder, FixedSizeBinaryBuilder, UInt8Builder, UInt32Builder,
    UInt64Builder,
};
use arrow_array::cast::AsArray;
use arrow_array::types::{Int64Type, UInt8Type, UInt32Type};
use arrow_array::{
    Array, ArrayRef, FixedSizeBinaryArray, PrimitiveArray, RecordBatch,
    StructArray,
};
use arrow_schema::{DataType, Field, Fields, Schema, SchemaRef};
use rayon::prelude::*;
use tracing::{info, warn};

use crate::Error;
use crate::blocking::{MAX_BLOCK_SIZE, RULES, rule_entries};
use crate::compare::{COMPARISON_COUNT, Encoded, EncodedNames, Levels};
use crate::dice::BloomArena;
use crate::error::ErrorKind;

/// Table of blocking keys: `rule` (index in
/// [`crate::blocking_rule_names`]), `key`, `profile`, `records` (records of
/// the profile) and `old` (of which an earlier run linked).
pub const ENTRIES_TABLE: &str = "link_entries";
/// Table of linkage profiles: `profile` and `encoded`, the profile's
/// interned pseudonyms and Bloom filters as one struct
/// ([`profile_struct_type`]).
pub const PROFILES_TABLE: &str = "link_profiles";
/// Name of the UDF that compares two `encoded` structs into the levels of
/// the six comparisons (`FixedSizeBinary(6)`, one byte per comparison in
/// [`crate::COMPARISON_NAMES`] order).
pub const LINK_LEVELS: &str = "rnc_link_levels";

/// Finds and compares candidate pairs for [`crate::link_encoded`].
pub trait PairFinder: Sync + std::fmt::Debug {
    /// Registers `tables` as [`ENTRIES_TABLE`] and [`PROFILES_TABLE`], runs
    /// [`candidate_pairs_sql`] and [`block_summary_sql`] with
    /// `max_block_size` [`MAX_BLOCK_SIZE`], and returns their batches.
    ///
    /// # Errors
    ///
    /// Whatever stops the engine, as a message naming what failed.
    fn find_pairs(&self, tables: BlockingTables) -> Result<FoundPairs, String>;
}

/// What a [`PairFinder`] works on.
#[derive(Debug, Clone)]
pub struct BlockingTables {
    /// Rows of [`ENTRIES_TABLE`] ([`entries_schema`]).
    pub entries: RecordBatch,
    /// Rows of [`PROFILES_TABLE`] ([`profiles_schema`]).
    pub profiles: RecordBatch,
}

/// The results of a [`PairFinder`]'s two queries.
#[derive(Debug, Clone, Default)]
pub struct FoundPairs {
    /// Result of [`candidate_pairs_sql`]: `left_profile`, `right_profile`,
    /// `levels`, in any order.
    pub pairs: Vec<RecordBatch>,
    /// Result of [`block_summary_sql`]: one row per rule with keys.
    pub blocks: Vec<RecordBatch>,
}

/// Schema of [`ENTRIES_TABLE`].
pub fn entries_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("rule", DataType::UInt8, false),
        Field::new("key", DataType::UInt64, false),
        Field::new("profile", DataType::UInt32, false),
        Field::new("records", DataType::UInt32, false),
        Field::new("old", DataType::UInt32, false),
    ]))
}

/// Schema of [`PROFILES_TABLE`].
pub fn profiles_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("profile", DataType::UInt32, false),
        Field::new("encoded", profile_struct_type(), false),
    ]))
}

/// Prefixes of the name fields under the month salt and the day salt, in
/// the order of the two name slots.
const SLOT_PREFIXES: [&str; 2] = ["month", "day"];

/// Identifier fields of a profile, in the order [`encode_profiles`] writes
/// them. Every one is a nullable `UInt32` but `sex` (`UInt8`).
const ID_FIELDS: [&str; 10] = [
    "nir",
    "triplet",
    "sex",
    "date",
    "swapped",
    "next_year",
    "year_month",
    "year_day",
    "month_day",
    "departement",
];

/// Name fields under one salt: ids, then Bloom filters (`Binary`).
const NAME_ID_FIELDS: [&str; 4] =
    ["salt", "birth_name", "usage_name", "first_name"];
const NAME_BLOOM_FIELDS: [&str; 3] =
    ["birth_bloom", "usage_bloom", "first_bloom"];

/// Type of the `encoded` column: a profile's interned pseudonym ids and
/// its name filters, as [`LINK_LEVELS`] takes them.
pub fn profile_struct_type() -> DataType {
    DataType::Struct(profile_fields())
}

fn profile_fields() -> Fields {
    let mut fields: Vec<Field> = ID_FIELDS
        .iter()
        .map(|&name| {
            let kind = if name == "sex" {
                DataType::UInt8
            } else {
                DataType::UInt32
            };
            Field::new(name, kind, true)
        })
        .collect();
    for prefix in SLOT_PREFIXES {
        for name in NAME_ID_FIELDS {
            fields.push(Field::new(
                format!("{prefix}_{name}"),
                DataType::UInt32,
                true,
            ));
        }
        for name in NAME_BLOOM_FIELDS {
            fields.push(Field::new(
                format!("{prefix}_{name}"),
                DataType::Binary,
                true,
            ));
        }
    }
    Fields::from(fields)
}

/// Returns the candidate-pair query: `left_profile`, `right_profile` and
/// `levels` of every distinct pair of kept blocks.
pub fn candidate_pairs_sql(max_block_size: usize) -> String {
    format!(
        "WITH blocks AS (
             SELECT rule, key FROM {ENTRIES_TABLE}
             GROUP BY rule, key
             HAVING SUM(CAST(records AS BIGINT)) > 1
                AND SUM(CAST(records AS BIGINT)) <= {max_block_size}
         ), kept AS (
             SELECT e.rule, e.key, e.profile, e.records, e.old
             FROM {ENTRIES_TABLE} e
             JOIN blocks b ON e.rule = b.rule AND e.key = b.key
         ), pairs AS (
             SELECT DISTINCT l.profile AS left_profile,
                    r.profile AS right_profile
             FROM kept l
             JOIN kept r ON l.rule = r.rule AND l.key = r.key
             WHERE (l.profile < r.profile
                    AND (l.old < l.records OR r.old < r.records))
                OR (l.profile = r.profile
                    AND l.records > 1 AND l.old < l.records)
         )
         SELECT p.left_profile, p.right_profile,
                {LINK_LEVELS}(a.encoded, b.encoded) AS levels
         FROM pairs p
         JOIN {PROFILES_TABLE} a ON a.profile = p.left_profile
         JOIN {PROFILES_TABLE} b ON b.profile = p.right_profile"
    )
}

/// Returns the block summary query: per rule with keys, `rule`, the record
/// pairs of its kept blocks (`estimated_pairs`, n(n−1)/2 less those among
/// earlier records), and the blocks skipped as too large with the largest
/// one's records.
pub fn block_summary_sql(max_block_size: usize) -> String {
    format!(
        "WITH blocks AS (
             SELECT rule, SUM(CAST(records AS BIGINT)) AS n,
                    SUM(CAST(old AS BIGINT)) AS o
             FROM {ENTRIES_TABLE}
             GROUP BY rule, key
         )
         SELECT rule,
                CAST(SUM(CASE WHEN n > 1 AND n <= {max_block_size}
                    THEN n * (n - 1) / 2
                         - CASE WHEN o > 1 THEN o * (o - 1) / 2 ELSE 0 END
                    ELSE 0 END) AS BIGINT) AS estimated_pairs,
                CAST(SUM(CASE WHEN n > {max_block_size} THEN 1 ELSE 0 END)
                    AS BIGINT) AS skipped_blocks,
                CAST(MAX(CASE WHEN n > {max_block_size} THEN n END)
                    AS BIGINT) AS largest_skipped
         FROM blocks
         GROUP BY rule"
    )
}

/// Builds the two tables for a [`PairFinder`]: every blocking key of every
/// profile under every rule, and the profiles. `sizes` and `old_sizes`
/// count each profile's records and those an earlier run linked.
pub(crate) fn blocking_tables(
    profiles: &[Encoded],
    blooms: &BloomArena,
    sizes: &[u32],
    old_sizes: Option<&[u32]>,
) -> Result<BlockingTables, Error> {
    let per_rule: Vec<Vec<(u64, u32)>> = RULES
        .par_iter()
        .map(|rule| rule_entries(rule, profiles))
        .collect();

    let rows: usize = per_rule.iter().map(Vec::len).sum();
    let mut rule_column = UInt8Builder::with_capacity(rows);
    let mut keys = UInt64Builder::with_capacity(rows);
    let mut profile_column = UInt32Builder::with_capacity(rows);
    let mut records = UInt32Builder::with_capacity(rows);
    let mut old = UInt32Builder::with_capacity(rows);
    for (rule, entries) in per_rule.iter().enumerate() {
        let rule = u8::try_from(rule).expect("fewer than 256 blocking rules");
        for &(key, profile) in entries {
            rule_column.append_value(rule);
            keys.append_value(key);
            profile_column.append_value(profile);
            records.append_value(sizes[profile as usize]);
            old.append_value(old_sizes.map_or(0, |o| o[profile as usize]));
        }
    }
    drop(per_rule);

    let entries = RecordBatch::try_new(
        entries_schema(),
        vec![
            Arc::new(rule_column.finish()),
            Arc::new(keys.finish()),
            Arc::new(profile_column.finish()),
            Arc::new(records.finish()),
            Arc::new(old.finish()),
        ],
    )?;

    let indices = (0..profiles.len())
        .map(|p| u32::try_from(p).expect("profile count checked by link"));
    let profile_ids = PrimitiveArray::<UInt32Type>::from_iter_values(indices);
    let profiles = RecordBatch::try_new(
        profiles_schema(),
        vec![
            Arc::new(profile_ids),
            Arc::new(encode_profiles(profiles, blooms)?),
        ],
    )?;
    Ok(BlockingTables { entries, profiles })
}

/// Writes profiles as the `encoded` struct column.
fn encode_profiles(
    profiles: &[Encoded],
    blooms: &BloomArena,
) -> Result<StructArray, Error> {
    let n = profiles.len();
    let id_column = |value: &dyn Fn(&Encoded) -> Option<u32>| -> ArrayRef {
        let values = profiles.iter().map(value);
        Arc::new(values.collect::<PrimitiveArray<UInt32Type>>())
    };
    let mut columns: Vec<ArrayRef> = vec![
        id_column(&|p| p.nir),
        id_column(&|p| p.triplet),
        Arc::new(
            profiles
                .iter()
                .map(|p| p.sex)
                .collect::<PrimitiveArray<UInt8Type>>(),
        ),
        id_column(&|p| p.date),
        id_column(&|p| p.swapped),
        id_column(&|p| p.next_year),
        id_column(&|p| p.year_month),
        id_column(&|p| p.year_day),
        id_column(&|p| p.month_day),
        id_column(&|p| p.departement),
    ];
    for slot in 0..SLOT_PREFIXES.len() {
        columns.push(id_column(&|p| p.names[slot].salt));
        columns.push(id_column(&|p| p.names[slot].birth_name));
        columns.push(id_column(&|p| p.names[slot].usage_name));
        columns.push(id_column(&|p| p.names[slot].first_name));
        let blooms_of = [
            |names: &EncodedNames| names.birth_bloom,
            |names: &EncodedNames| names.usage_bloom,
            |names: &EncodedNames| names.first_bloom,
        ];
        for bloom_of in blooms_of {
            let bytes = blooms.filter_bytes();
            let mut column = BinaryBuilder::with_capacity(n, n * bytes);
            for profile in profiles {
                match bloom_of(&profile.names[slot]) {
                    Some(index) => column.append_value(blooms.bytes(index)),
                    None => column.append_null(),
                }
            }
            columns.push(Arc::new(column.finish()));
        }
    }
    Ok(StructArray::try_new(profile_fields(), columns, None)?)
}

/// Compares the `encoded` structs of two columns row by row, as linkage
/// does in process, and returns the levels of each row's six comparisons
/// (`FixedSizeBinary(6)`). A null struct on either side gives null.
///
/// # Errors
///
/// [`ErrorKind::InvalidPairTable`] when a column is not of
/// [`profile_struct_type`], the two differ in length, or the Bloom
/// filters of one call differ in length.
pub fn compare_profile_columns(
    left: &dyn Array,
    right: &dyn Array,
) -> Result<FixedSizeBinaryArray, Error> {
    let left = ProfileColumns::new(left)?;
    let right = ProfileColumns::new(right)?;
    if left.len != right.len {
        return Err(invalid(format!(
            "{LINK_LEVELS} takes columns of equal length, got {} and {}",
            left.len, right.len
        )));
    }
    let filter_bytes = match (left.filter_bytes()?, right.filter_bytes()?) {
        (Some(a), Some(b)) if a != b => return Err(bloom_lengths(a, b)),
        (a, b) => a.or(b),
    };
    let mut blooms = BloomArena::new(filter_bytes.unwrap_or(0));
    let width = i32::try_from(COMPARISON_COUNT).expect("six comparisons");
    let mut levels = FixedSizeBinaryBuilder::with_capacity(left.len, width);
    for row in 0..left.len {
        if left.is_null(row) || right.is_null(row) {
            levels.append_null();
            continue;
        }
        let a = left.profile(row, &mut blooms);
        let b = right.profile(row, &mut blooms);
        let compared: Levels = crate::compare::compare(&a, &b, &blooms);
        levels.append_value(compared)?;
        blooms.clear();
    }
    Ok(levels.finish())
}

fn invalid(reason: String) -> Error {
    ErrorKind::InvalidPairTable { reason }.into()
}

/// Builds the error for two Bloom filters of different lengths in one call.
fn bloom_lengths(first: usize, other: usize) -> Error {
    invalid(format!(
        "Bloom filters of {first} and {other} bytes in one call of \
         {LINK_LEVELS}: encode every profile with the same Bloom-filter \
         settings"
    ))
}

/// The fields of one `encoded` column, typed.
struct ProfileColumns<'a> {
    len: usize,
    column: &'a StructArray,
    /// The id fields but sex, in [`ID_FIELDS`] order.
    ids: [&'a PrimitiveArray<UInt32Type>; ID_FIELDS.len() - 1],
    sex: &'a PrimitiveArray<UInt8Type>,
    /// Per slot: salt, birth, usage and first name ids.
    name_ids: [Vec<&'a PrimitiveArray<UInt32Type>>; 2],
    /// Per slot: birth, usage and first name filters.
    name_blooms: [Vec<&'a arrow_array::BinaryArray>; 2],
}

impl<'a> ProfileColumns<'a> {
    fn new(column: &'a dyn Array) -> Result<ProfileColumns<'a>, Error> {
        let wrong = || {
            invalid(format!(
                "{LINK_LEVELS} takes two columns of the profile struct \
                 type, got {}",
                column.data_type()
            ))
        };
        let column = column.as_struct_opt().ok_or_else(wrong)?;
        let field = |name: &str| column.column_by_name(name).ok_or_else(wrong);
        let uint32 = |name: &str| -> Result<_, Error> {
            field(name)?
                .as_primitive_opt::<UInt32Type>()
                .ok_or_else(wrong)
        };
        let binary = |name: &str| -> Result<_, Error> {
            field(name)?.as_binary_opt::<i32>().ok_or_else(wrong)
        };
        let ids = ID_FIELDS
            .iter()
            .filter(|&&name| name != "sex")
            .map(|name| uint32(name))
            .collect::<Result<Vec<_>, Error>>()?
            .try_into()
            .expect("every id field but sex is read");
        let sex = field("sex")?
            .as_primitive_opt::<UInt8Type>()
            .ok_or_else(wrong)?;
        let slot_ids = |prefix: &str| {
            NAME_ID_FIELDS
                .iter()
                .map(|name| uint32(&format!("{prefix}_{name}")))
                .collect::<Result<Vec<_>, Error>>()
        };
        let slot_blooms = |prefix: &str| {
            NAME_BLOOM_FIELDS
                .iter()
                .map(|name| binary(&format!("{prefix}_{name}")))
                .collect::<Result<Vec<_>, Error>>()
        };
        let [month, day] = SLOT_PREFIXES;
        Ok(ProfileColumns {
            len: column.len(),
            column,
            ids,
            sex,
            name_ids: [slot_ids(month)?, slot_ids(day)?],
            name_blooms: [slot_blooms(month)?, slot_blooms(day)?],
        })
    }

    fn is_null(&self, row: usize) -> bool {
        self.column.is_null(row)
    }

    /// Length of the first non-null filter, checking that every other
    /// filter has it.
    fn filter_bytes(&self) -> Result<Option<usize>, Error> {
        let mut found: Option<usize> = None;
        for column in self.name_blooms.iter().flatten() {
            for value in column.iter().flatten() {
                match found {
                    None => found = Some(value.len()),
                    Some(bytes) if bytes == value.len() => {}
                    Some(bytes) => {
                        return Err(bloom_lengths(bytes, value.len()));
                    }
                }
            }
        }
        Ok(found)
    }

    /// Rebuilds one row as an [`Encoded`] profile, its filters pushed into
    /// `blooms`.
    fn profile(&self, row: usize, blooms: &mut BloomArena) -> Encoded {
        let id = |column: &PrimitiveArray<UInt32Type>| {
            column.is_valid(row).then(|| column.value(row))
        };
        let [
            nir,
            triplet,
            date,
            swapped,
            next_year,
            year_month,
            year_day,
            month_day,
            departement,
        ] = self.ids.map(id);
        let names = std::array::from_fn(|slot| {
            let name_ids = &self.name_ids[slot];
            let mut bloom = |i: usize| {
                let column = self.name_blooms[slot][i];
                column.is_valid(row).then(|| blooms.push(column.value(row)))
            };
            EncodedNames {
                salt: id(name_ids[0]),
                birth_name: id(name_ids[1]),
                usage_name: id(name_ids[2]),
                first_name: id(name_ids[3]),
                birth_bloom: bloom(0),
                usage_bloom: bloom(1),
                first_bloom: bloom(2),
            }
        });
        Encoded {
            nir,
            triplet,
            sex: self.sex.is_valid(row).then(|| self.sex.value(row)),
            date,
            swapped,
            next_year,
            year_month,
            year_day,
            month_day,
            names,
            departement,
        }
    }
}

/// Candidate pairs with their levels, sorted and distinct, and the record
/// pairs of the kept blocks, as [`crate::blocking`] gives them.
pub(crate) struct ComparedPairs {
    pub pairs: Vec<(u32, u32)>,
    pub levels: Vec<Levels>,
    pub estimated_pairs: u64,
}

/// Finds and compares the candidate pairs of `profiles` with `finder`.
pub(crate) fn find_with(
    finder: &dyn PairFinder,
    profiles: &[Encoded],
    blooms: &BloomArena,
    sizes: &[u32],
    old_sizes: Option<&[u32]>,
) -> Result<ComparedPairs, Error> {
    let tables = blocking_tables(profiles, blooms, sizes, old_sizes)?;
    info!(
        entries = tables.entries.num_rows(),
        profiles = tables.profiles.num_rows(),
        "blocking keys sent to the query engine"
    );
    let found = finder
        .find_pairs(tables)
        .map_err(|reason| ErrorKind::PairFinder { reason })?;
    let estimated_pairs = read_block_summary(&found.blocks)?;
    info!(
        estimated_pairs,
        rules = RULES.len(),
        "blocking estimated the number of comparisons"
    );

    let rows: usize = found.pairs.iter().map(RecordBatch::num_rows).sum();
    let mut compared: Vec<((u32, u32), Levels)> = Vec::with_capacity(rows);
    for batch in &found.pairs {
        read_pairs(batch, profiles.len(), &mut compared)?;
    }
    drop(found);
    compared.par_sort_unstable_by_key(|&(pair, _)| pair);
    if let Some(twice) = compared.windows(2).find(|w| w[0].0 == w[1].0) {
        let (left, right) = twice[0].0;
        return Err(invalid(format!(
            "the query engine returned pair {left}-{right} twice; the \
             candidate-pair query must return distinct pairs"
        )));
    }
    let (pairs, levels) = compared.into_iter().unzip();
    Ok(ComparedPairs {
        pairs,
        levels,
        estimated_pairs,
    })
}

/// Appends the pairs of one result batch, checking their columns.
fn read_pairs(
    batch: &RecordBatch,
    profiles: usize,
    out: &mut Vec<((u32, u32), Levels)>,
) -> Result<(), Error> {
    let column = |name: &str| {
        batch.column_by_name(name).ok_or_else(|| {
            invalid(format!("the candidate-pair result has no {name} column"))
        })
    };
    let profile_column = |name: &str| -> Result<_, Error> {
        column(name)?
            .as_primitive_opt::<UInt32Type>()
            .ok_or_else(|| {
                invalid(format!("{name} is not UInt32 in the candidate pairs"))
            })
    };
    let left = profile_column("left_profile")?;
    let right = profile_column("right_profile")?;
    let levels = column("levels")?
        .as_fixed_size_binary_opt()
        .filter(|l| l.value_length() as usize == COMPARISON_COUNT)
        .ok_or_else(|| {
            invalid(format!(
                "levels is not FixedSizeBinary({COMPARISON_COUNT}) in the \
                 candidate pairs"
            ))
        })?;
    for row in 0..batch.num_rows() {
        if left.is_null(row) || right.is_null(row) || levels.is_null(row) {
            return Err(invalid(format!(
                "null in row {row} of the candidate pairs"
            )));
        }
        let pair = (left.value(row), right.value(row));
        if pair.0 > pair.1 || pair.1 as usize >= profiles {
            return Err(invalid(format!(
                "pair {}-{} of the candidate pairs is not two profiles in \
                 order (there are {profiles})",
                pair.0, pair.1
            )));
        }
        let level: Levels =
            levels.value(row).try_into().expect("width checked above");
        out.push((pair, level));
    }
    Ok(())
}

/// Sums the estimated pairs of every rule and warns, as in-process
/// blocking does, about the rules whose blocks were skipped.
fn read_block_summary(batches: &[RecordBatch]) -> Result<u64, Error> {
    let names = crate::blocking_rule_names();
    let mut estimated: u64 = 0;
    for batch in batches {
        let column = |name: &str| {
            batch.column_by_name(name).ok_or_else(|| {
                invalid(format!("the block summary has no {name} column"))
            })
        };
        let rules = column("rule")?
            .as_primitive_opt::<UInt8Type>()
            .ok_or_else(|| invalid("rule is not UInt8".into()))?;
        let int64 = |name: &str| -> Result<_, Error> {
            column(name)?
                .as_primitive_opt::<Int64Type>()
                .ok_or_else(|| invalid(format!("{name} is not Int64")))
        };
        let pairs = int64("estimated_pairs")?;
        let skipped = int64("skipped_blocks")?;
        let largest = int64("largest_skipped")?;
        for row in 0..batch.num_rows() {
            let rule =
                names.get(rules.value(row) as usize).ok_or_else(|| {
                    invalid(format!("unknown rule {}", rules.value(row)))
                })?;
            estimated += u64::try_from(pairs.value(row)).unwrap_or(0);
            if skipped.value(row) > 0 {
                warn!(
                    rule,
                    skipped_blocks = skipped.value(row),
                    largest_block = largest.value(row),
                    max_block_size = MAX_BLOCK_SIZE,
                    "blocks larger than the maximum block size were skipped"
                );
            }
        }
    }
    Ok(estimated)
}
