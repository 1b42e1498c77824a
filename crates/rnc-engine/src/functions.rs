//! rnc's functions as DataFusion scalar UDFs, so that a plan calling them
//! runs in process and on Ballista executors alike.
//!
//! A plan sent to a Ballista cluster names each UDF; the scheduler and every
//! executor look the name up in their own registry, so the same
//! [`rnc_udfs`] list is registered on the client, the scheduler and each
//! executor.
//!
//! The keyed pseudonym functions (HMAC-SHA-256 pseudonyms, keyed Bloom
//! filters) are deliberately not UDFs: a UDF that needs the key would put
//! the key on every executor. Pseudonymisation stays on the machine that
//! ingests, and executors only see pseudonyms. The key-free parts of the
//! pseudonym pipeline (name normalisation, the Dice coefficient of two
//! encodings) are UDFs.

use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, Float64Builder, PrimitiveBuilder, StringBuilder,
};
use datafusion::arrow::datatypes::{
    ArrowPrimitiveType, DataType, Float64Type, Int64Type, UInt8Type,
};
use datafusion::common::{DataFusionError, Result};
use datafusion::logical_expr::{
    ColumnarValue, ScalarUDF, Volatility, create_udf,
};
use rnc_model::{Behaviour, Morphology, Topography};

/// Jaro-Winkler similarity of two strings (`Utf8`, `Utf8` → `Float64`).
pub const JARO_WINKLER: &str = "rnc_jaro_winkler";
/// Levenshtein edit distance (`Utf8`, `Utf8` → `Int64`).
pub const LEVENSHTEIN: &str = "rnc_levenshtein";
/// Damerau-Levenshtein distance with adjacent transpositions (`Utf8`,
/// `Utf8` → `Int64`).
pub const DAMERAU_LEVENSHTEIN: &str = "rnc_damerau_levenshtein";
/// Dice coefficient of two Bloom-filter encodings (`Binary`, `Binary` →
/// `Float64`).
pub const DICE: &str = "rnc_dice";
/// Name normalisation applied before a name is pseudonymised (`Utf8` →
/// `Utf8`).
pub const NORMALISE_NAME: &str = "rnc_normalise_name";
/// ICD-O-3 topography, histology and behaviour to ICD-10 (`Utf8`, `Utf8`,
/// `UInt8` → `Utf8`, null when there is no ICD-10 equivalent).
pub const ICDO3_TO_ICD10: &str = "rnc_icdo3_to_icd10";
/// ICD-10 code to site group code (`Utf8` → `Utf8`; a null or invalid code
/// is `other`, as consolidation does).
pub const SITE_GROUP: &str = "rnc_site_group";

/// Comparison levels of two linkage profiles
/// ([`rnc_link::pair_plan::profile_struct_type`] twice →
/// `FixedSizeBinary(6)`), as linkage compares them in process.
pub const LINK_LEVELS: &str = rnc_link::pair_plan::LINK_LEVELS;

/// Returns every rnc UDF, to register on a client, scheduler or executor.
pub fn rnc_udfs() -> Vec<Arc<ScalarUDF>> {
    let text = DataType::Utf8;
    let binary = DataType::Binary;
    let profile = rnc_link::pair_plan::profile_struct_type();
    let levels_width =
        i32::try_from(rnc_link::COMPARISON_COUNT).expect("six comparisons");
    vec![
        udf(
            JARO_WINKLER,
            vec![text.clone(), text.clone()],
            DataType::Float64,
            compare_strings::<Float64Type>(strsim::jaro_winkler),
        ),
        udf(
            LEVENSHTEIN,
            vec![text.clone(), text.clone()],
            DataType::Int64,
            compare_strings::<Int64Type>(|a, b| {
                // A distance is at most the longer length, far below 2^63.
                strsim::levenshtein(a, b) as i64
            }),
        ),
        udf(
            DAMERAU_LEVENSHTEIN,
            vec![text.clone(), text.clone()],
            DataType::Int64,
            compare_strings::<Int64Type>(|a, b| {
                strsim::damerau_levenshtein(a, b) as i64
            }),
        ),
        udf(DICE, vec![binary.clone(), binary], DataType::Float64, dice),
        udf(
            NORMALISE_NAME,
            vec![text.clone()],
            DataType::Utf8,
            normalise_name,
        ),
        udf(
            ICDO3_TO_ICD10,
            vec![text.clone(), text.clone(), DataType::UInt8],
            DataType::Utf8,
            icdo3_to_icd10,
        ),
        udf(SITE_GROUP, vec![text], DataType::Utf8, site_group),
        udf(
            LINK_LEVELS,
            vec![profile.clone(), profile],
            DataType::FixedSizeBinary(levels_width),
            link_levels,
        ),
    ]
}

fn udf(
    name: &str,
    inputs: Vec<DataType>,
    output: DataType,
    kernel: impl Fn(&[ArrayRef]) -> Result<ArrayRef> + Send + Sync + 'static,
) -> Arc<ScalarUDF> {
    let implementation = Arc::new(move |args: &[ColumnarValue]| {
        let arrays = ColumnarValue::values_to_arrays(args)?;
        kernel(&arrays).map(ColumnarValue::Array)
    });
    Arc::new(create_udf(
        name,
        inputs,
        output,
        Volatility::Immutable,
        implementation,
    ))
}

fn link_levels(arrays: &[ArrayRef]) -> Result<ArrayRef> {
    let levels = rnc_link::pair_plan::compare_profile_columns(
        arrays[0].as_ref(),
        arrays[1].as_ref(),
    )
    .map_err(|error| DataFusionError::External(Box::new(error)))?;
    Ok(Arc::new(levels))
}

/// Makes a kernel that applies `compare` to each pair of strings; a null
/// on either side gives null, which linkage reads as "no evidence".
fn compare_strings<T: ArrowPrimitiveType>(
    compare: fn(&str, &str) -> T::Native,
) -> impl Fn(&[ArrayRef]) -> Result<ArrayRef> {
    move |arrays| {
        let left = arrays[0].as_string::<i32>();
        let right = arrays[1].as_string::<i32>();
        let mut out = PrimitiveBuilder::<T>::with_capacity(left.len());
        for i in 0..left.len() {
            if left.is_null(i) || right.is_null(i) {
                out.append_null();
            } else {
                out.append_value(compare(left.value(i), right.value(i)));
            }
        }
        Ok(Arc::new(out.finish()) as ArrayRef)
    }
}

fn dice(arrays: &[ArrayRef]) -> Result<ArrayRef> {
    let (left, right) =
        (arrays[0].as_binary::<i32>(), arrays[1].as_binary::<i32>());
    let mut out = Float64Builder::with_capacity(left.len());
    for i in 0..left.len() {
        if left.is_null(i) || right.is_null(i) {
            out.append_null();
        } else {
            out.append_value(rnc_link::dice_coefficient(
                left.value(i),
                right.value(i),
            ));
        }
    }
    Ok(Arc::new(out.finish()))
}

fn normalise_name(arrays: &[ArrayRef]) -> Result<ArrayRef> {
    let names = arrays[0].as_string::<i32>();
    let mut out =
        StringBuilder::with_capacity(names.len(), names.value_data().len());
    for name in names.iter() {
        out.append_option(name.map(rnc_pseudonym::normalise_name));
    }
    Ok(Arc::new(out.finish()))
}

/// Converts one ICD-O-3 triple to its ICD-10 code, or `None` when a part is
/// invalid or the conversion table has no equivalent.
fn convert_icdo3(
    topography: &str,
    histology: &str,
    behaviour: u8,
) -> Option<String> {
    let topography: Topography = topography.parse().ok()?;
    let histology = Morphology::parse_histology(histology).ok()?;
    let behaviour = Behaviour::from_code(behaviour).ok()?;
    let morphology = Morphology::new(histology, behaviour, None).ok()?;
    rnc_codes::icdo3_to_icd10(topography, morphology)
        .map(|code| code.to_string())
}

fn icdo3_to_icd10(arrays: &[ArrayRef]) -> Result<ArrayRef> {
    let topographies = arrays[0].as_string::<i32>();
    let histologies = arrays[1].as_string::<i32>();
    let behaviours = arrays[2].as_primitive::<UInt8Type>();
    let mut out = StringBuilder::with_capacity(
        topographies.len(),
        topographies.len() * 5,
    );
    for i in 0..topographies.len() {
        if topographies.is_null(i)
            || histologies.is_null(i)
            || behaviours.is_null(i)
        {
            out.append_null();
            continue;
        }
        out.append_option(convert_icdo3(
            topographies.value(i),
            histologies.value(i),
            behaviours.value(i),
        ));
    }
    Ok(Arc::new(out.finish()))
}

fn site_group(arrays: &[ArrayRef]) -> Result<ArrayRef> {
    let codes = arrays[0].as_string::<i32>();
    let mut out = StringBuilder::with_capacity(codes.len(), codes.len() * 8);
    for code in codes.iter() {
        let group = code
            .and_then(|text| text.parse::<rnc_codes::Icd10>().ok())
            .map_or("other", |icd10| rnc_codes::site_group(&icd10).code);
        out.append_value(group);
    }
    Ok(Arc::new(out.finish()))
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::array::{Float64Array, Int64Array, StringArray};

    use crate::Engine;

    /// Runs `query` in process and returns its only column.
    fn column(query: &str) -> datafusion::arrow::array::ArrayRef {
        let engine = Engine::default();
        let batches = engine
            .block_on(async {
                let context = engine.context(Default::default()).await?;
                Ok(context.sql(query).await?.collect().await?)
            })
            .unwrap();
        assert_eq!(batches.len(), 1, "{query}");
        batches[0].column(0).clone()
    }

    fn float(query: &str) -> Option<f64> {
        let array = column(query);
        let values = array.as_any().downcast_ref::<Float64Array>().unwrap();
        values.iter().next().unwrap()
    }

    fn integer(query: &str) -> Option<i64> {
        let array = column(query);
        let values = array.as_any().downcast_ref::<Int64Array>().unwrap();
        values.iter().next().unwrap()
    }

    fn text(query: &str) -> Option<String> {
        let array = column(query);
        let values = array.as_any().downcast_ref::<StringArray>().unwrap();
        values.iter().next().unwrap().map(str::to_string)
    }

    #[test]
    fn jaro_winkler_published_pairs() {
        // Python jellyfish 1.3.0 (the string comparisons behind
        // recordlinkage), `jaro_winkler_similarity` on Winkler's (1990)
        // name pairs; tolerance 1e-12.
        for (a, b, expected) in [
            ("MARTHA", "MARHTA", 0.9611111111111111),
            ("DWAYNE", "DUANE", 0.8400000000000001),
            ("DIXON", "DICKSONX", 0.8133333333333332),
        ] {
            let value =
                float(&format!("SELECT rnc_jaro_winkler('{a}', '{b}')"))
                    .unwrap();
            assert!((value - expected).abs() < 1e-12, "{a}/{b}: {value}");
        }
    }

    #[test]
    fn edit_distances_by_hand() {
        // kitten → sitting: two substitutions and one insertion.
        assert_eq!(
            integer("SELECT rnc_levenshtein('kitten', 'sitting')"),
            Some(3)
        );
        // ab → ba: one transposition, or two substitutions without it.
        assert_eq!(
            integer("SELECT rnc_damerau_levenshtein('ab', 'ba')"),
            Some(1)
        );
        assert_eq!(integer("SELECT rnc_levenshtein('ab', 'ba')"), Some(2));
    }

    #[test]
    fn null_gives_null() {
        assert_eq!(float("SELECT rnc_jaro_winkler(NULL, 'MARTHA')"), None);
        assert_eq!(integer("SELECT rnc_levenshtein('a', NULL)"), None);
        assert_eq!(float("SELECT rnc_dice(X'0C', NULL)"), None);
        assert_eq!(text("SELECT rnc_normalise_name(NULL)"), None);
    }

    #[test]
    fn dice_of_bloom_filters() {
        // 0b1100 and 0b0110 share one of their two bits each: 2·1/(2+2).
        assert_eq!(float("SELECT rnc_dice(X'0C', X'06')"), Some(0.5));
        // No bit set on either side carries no evidence.
        assert_eq!(float("SELECT rnc_dice(X'00', X'00')"), Some(0.0));
    }

    #[test]
    fn names_normalised_as_before_hashing() {
        // Upper case, accents and the Œ ligature folded, hyphen to space.
        assert_eq!(
            text("SELECT rnc_normalise_name('Cœur-de-Léon')").as_deref(),
            Some("COEUR DE LEON")
        );
    }

    #[test]
    fn icdo3_converted_to_icd10() {
        // ICD-10 (WHO 2019): in situ of bronchus and lung is D02.2,
        // intraductal carcinoma in situ of breast D05.1, melanoma of the
        // skin of the face C43.3.
        for (topography, histology, behaviour, expected) in [
            ("C34.1", "8070", 3, Some("C34.1")),
            ("C34.1", "8070", 2, Some("D02.2")),
            ("C50.4", "8500", 2, Some("D05.1")),
            ("C44.3", "8720", 3, Some("C43.3")),
            ("C99.9", "8070", 3, None),
            ("C34.1", "0000", 3, None),
        ] {
            let query = format!(
                "SELECT rnc_icdo3_to_icd10('{topography}', '{histology}', \
                 CAST({behaviour} AS TINYINT UNSIGNED))"
            );
            assert_eq!(
                text(&query).as_deref(),
                expected,
                "{topography} {histology}/{behaviour}"
            );
        }
    }

    #[test]
    fn site_groups_of_icd10() {
        for (code, expected) in [
            ("'C50.9'", "breast"),
            ("'C61'", "prostate"),
            ("'C18.7'", "colon_rectum"),
            ("'not a code'", "other"),
            ("NULL", "other"),
        ] {
            let query = format!("SELECT rnc_site_group({code})");
            assert_eq!(text(&query).as_deref(), Some(expected), "{code}");
        }
    }
}
