//! Linkage of CSV records under a model file: the problem cases reported
//! against other linkage tools, term-frequency adjustment, saved models
//! and independence from the row order.
//!
//! Expected candidate sets and levels are enumerated by hand from the
//! definitions of blocking and of Fellegi-Sunter levels; the sources of
//! each case are named on its test.

use rnc_link::{
    LinkMode, ModelSpec, RecordTable, TrainedModel, link_table, score_pairs,
};

fn table(spec: &ModelSpec, header: &[&str], rows: &[&[&str]]) -> RecordTable {
    let mut table = RecordTable::new(spec);
    for row in rows {
        table
            .push(row[0], 0, |column| {
                header.iter().position(|h| *h == column).map(|p| row[p])
            })
            .unwrap();
    }
    table
}

/// (left, right) table rows of each scored pair.
fn pair_rows(pairs: &rnc_link::ScoredPairs) -> Vec<(u32, u32)> {
    pairs
        .left
        .iter()
        .zip(&pairs.right)
        .map(|(&a, &b)| (a, b))
        .collect()
}

const EXTRACT_HEADER: [&str; 5] =
    ["record_id", "surname", "first_name", "dob", "health_id"];
const EXTRACT: [&[&str]; 4] = [
    &["R1", "SMITH", "ANNA", "1970-01-01", ""],
    &["R2", "SMITH", "ANNA", "1970-01-01", ""],
    &["R3", "JONES", "PAUL", "1980-05-05", ""],
    &["R4", "JONES", "PAULA", "1980-05-05", ""],
];

fn extract_model(with_health_id: bool) -> ModelSpec {
    let mut text = String::from(
        r#"
[[comparison]]
column = "surname"
kind = "exact"
term_frequency = true

[[comparison]]
column = "first_name"
kind = "jaro_winkler"
thresholds = [0.9, 0.7]

[[comparison]]
column = "dob"
kind = "date"
"#,
    );
    if with_health_id {
        text.push_str(
            "\n[[comparison]]\ncolumn = \"health_id\"\nkind = \"exact\"\n\
             term_frequency = true\n",
        );
    }
    text.push_str("\n[blocking]\nrules = [[\"surname\"], [\"dob\"]]\n");
    ModelSpec::from_toml(&text).unwrap()
}

const ALL_PAIRS: [(u32, u32); 6] =
    [(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)];

// Bug case from Splink issue #118 (division by zero in term-frequency
// adjustment when a column is 100% null): the empty column is reported as
// disabled and every pair's weight equals the weight of a model without
// it.
#[test]
fn empty_column_with_term_frequency_is_neutral() {
    let with = extract_model(true);
    let without = extract_model(false);
    let table_with = table(&with, &EXTRACT_HEADER, &EXTRACT);
    let table_without = table(&without, &EXTRACT_HEADER, &EXTRACT);
    let linked_with =
        link_table(&table_with, &with, LinkMode::Dedupe, None).unwrap();
    let linked_without =
        link_table(&table_without, &without, LinkMode::Dedupe, None).unwrap();
    assert_eq!(linked_with.summary.disabled_comparisons, ["health_id"]);
    assert!(linked_without.summary.disabled_comparisons.is_empty());

    let scored_with =
        score_pairs(&table_with, &with, &linked_with.model, &ALL_PAIRS)
            .unwrap();
    let scored_without = score_pairs(
        &table_without,
        &without,
        &linked_without.model,
        &ALL_PAIRS,
    )
    .unwrap();
    for p in 0..ALL_PAIRS.len() {
        let weight = scored_with.match_weight[p];
        assert!(weight.is_finite(), "pair {p}: weight {weight}");
        assert!(scored_with.match_probability[p].is_finite());
        assert_eq!(scored_with.levels_of(p)[3], 0, "health_id is null");
        assert_eq!(weight, scored_without.match_weight[p], "pair {p}");
    }
    assert_eq!(linked_with.cluster_of, linked_without.cluster_of);
}

const DISCHARGE_HEADER: [&str; 5] =
    ["record_id", "given_name", "surname", "dob", "postcode"];
const DISCHARGES: [&[&str]; 5] = [
    &["H1", "ANNA", "SMITH", "1970-01-01", "AB1 2CD"],
    &["H2", "", "SMITH", "1970-01-01", ""],
    &["H3", "", "JONES", "1980-05-05", ""],
    &["H4", "ANNE", "SMITH", "1970-01-01", "AB1 2CD"],
    &["H5", "", "BROWN", "1990-09-09", ""],
];

fn discharge_model() -> ModelSpec {
    ModelSpec::from_toml(
        r#"
[[comparison]]
column = "given_name"
kind = "jaro_winkler"
thresholds = [0.9, 0.7]

[[comparison]]
column = "surname"
kind = "exact"

[[comparison]]
column = "dob"
kind = "date"

[[comparison]]
column = "postcode"
kind = "exact"

[blocking]
rules = [["given_name"], ["dob"]]
"#,
    )
    .unwrap()
}

// Bug case from recordlinkage issues #23, #106 and #162: records missing
// a blocking key are never paired on it, pairs found by two rules appear
// once, and a missing side lands in the null level, never in agreement.
// The sorted-neighbourhood pass of the original case is replaced by an
// exact pass on given_name, which finds no pair (ANNA and ANNE differ),
// so the union is the exact-dob pass: {H1,H2}, {H1,H4}, {H2,H4}.
#[test]
fn missing_blocking_key_never_pairs() {
    let spec = discharge_model();
    let records = table(&spec, &DISCHARGE_HEADER, &DISCHARGES);
    let linkage = link_table(&records, &spec, LinkMode::Dedupe, None).unwrap();
    let s = &linkage.summary;
    assert_eq!(s.rules[0].rule, "given_name");
    assert_eq!(s.rules[0].pairs, 0);
    assert_eq!(s.rules[0].records_without_key, 3);
    assert_eq!(s.rules[1].pairs, 3);
    assert_eq!(s.rules[1].records_without_key, 0);
    let pairs = pair_rows(&linkage.pairs);
    assert_eq!(pairs, [(0, 1), (0, 3), (1, 3)]);

    // (H1, H2): given_name and postcode have a missing side.
    let levels = linkage.pairs.levels_of(0);
    assert_eq!(levels[0], 0, "given_name must be in the null level");
    assert_eq!(levels[3], 0, "postcode must be in the null level");
    assert_eq!(levels[1], 1, "surname agrees");
    // (H3, H5), both without given_name or postcode, if scored.
    let scored =
        score_pairs(&records, &spec, &linkage.model, &[(2, 4)]).unwrap();
    assert_eq!(scored.levels_of(0)[0], 0);
    assert_eq!(scored.levels_of(0)[3], 0);
}

// Bug case from StringDistances.jl issue #9 and jellyfish issue #37:
// names are compared as NFC characters, so the precomposed and the
// decomposed RENÉE are the same value, and accented names are compared
// by characters (MÜLLER/MULLER Jaro-Winkler 0.9, in the 0.88 band).
#[test]
fn accented_names_compare_by_character() {
    let spec = ModelSpec::from_toml(
        r#"
[[comparison]]
column = "name"
kind = "jaro_winkler"
thresholds = [0.92, 0.88, 0.7]

[blocking]
rules = [["group"]]
"#,
    )
    .unwrap();
    let header = ["id", "name", "group"];
    let rows: [&[&str]; 4] = [
        &["a", "REN\u{00C9}E", "1"],
        &["b", "RENE\u{0301}E", "1"],
        &["c", "M\u{00DC}LLER", "2"],
        &["d", "MULLER", "2"],
    ];
    let records = table(&spec, &header, &rows);
    let linkage = link_table(&records, &spec, LinkMode::Dedupe, None).unwrap();
    assert_eq!(linkage.pairs.len(), 2);
    assert_eq!(linkage.pairs.levels_of(0), [1], "RENÉE NFC = NFD");
    assert_eq!(linkage.pairs.levels_of(1), [3], "MÜLLER/MULLER >= 0.88");
}

// With the `fold` standardisation, accents, hyphens, apostrophes and
// spaces are removed before comparison, so these pairs are exact; the
// particles stay (DE LA CRUZ is DELACRUZ, not CRUZ).
#[test]
fn folded_names_compare_exact() {
    let spec = ModelSpec::from_toml(
        r#"
[[comparison]]
column = "name"
kind = "exact"
normalise = "fold"

[blocking]
rules = [["group"]]
"#,
    )
    .unwrap();
    let header = ["id", "name", "group"];
    let rows: [&[&str]; 11] = [
        &["1a", "M\u{00DC}LLER", "1"],
        &["1b", "MULLER", "1"],
        &["2a", "JEAN-PIERRE", "2"],
        &["2b", "JEAN PIERRE", "2"],
        &["3a", "DE LA CRUZ", "3"],
        &["3b", "DELACRUZ", "3"],
        &["4a", "O'BRIEN", "4"],
        &["4b", "OBRIEN", "4"],
        &["5a", "LE GALL", "5"],
        &["5b", "LEGALL", "5"],
        &["5c", "CRUZ", "3"],
    ];
    let records = table(&spec, &header, &rows);
    let linkage = link_table(&records, &spec, LinkMode::Dedupe, None).unwrap();
    let exact: Vec<(String, String)> = (0..linkage.pairs.len())
        .filter(|&p| linkage.pairs.levels_of(p) == [1])
        .map(|p| {
            let id = |row: u32| records.ids()[row as usize].clone();
            (id(linkage.pairs.left[p]), id(linkage.pairs.right[p]))
        })
        .collect();
    let expected: Vec<(String, String)> = [
        ("1a", "1b"),
        ("2a", "2b"),
        ("3a", "3b"),
        ("4a", "4b"),
        ("5a", "5b"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(exact, expected);
}

// Term-frequency adjustment as Splink defines it: an exact agreement on
// a value of frequency tf weighs log2(m / tf) instead of log2(m / u). Two
// pairs that agree exactly on surname and differ elsewhere alike must
// differ in weight by log2(tf_common / tf_rare).
#[test]
fn term_frequency_favours_rare_values() {
    let spec = ModelSpec::from_toml(
        r#"
[settings]
threshold = 0.5

[[comparison]]
column = "surname"
kind = "exact"
term_frequency = true

[[comparison]]
column = "first_name"
kind = "exact"

[blocking]
rules = [["surname"]]
"#,
    )
    .unwrap();
    let header = ["id", "surname", "first_name"];
    let mut rows: Vec<Vec<String>> = Vec::new();
    // 8 MARTIN, 2 ZOLA, 10 others: tf(MARTIN) = 8/20, tf(ZOLA) = 2/20.
    for i in 0..8 {
        rows.push(vec![format!("m{i}"), "MARTIN".into(), format!("F{i}")]);
    }
    rows.push(vec!["z0".into(), "ZOLA".into(), "ANNE".into()]);
    rows.push(vec!["z1".into(), "ZOLA".into(), "MARC".into()]);
    for i in 0..10 {
        rows.push(vec![format!("o{i}"), format!("S{i}"), format!("G{i}")]);
    }
    let row_refs: Vec<Vec<&str>> = rows
        .iter()
        .map(|r| r.iter().map(String::as_str).collect())
        .collect();
    let row_slices: Vec<&[&str]> = row_refs.iter().map(Vec::as_slice).collect();
    let records = table(&spec, &header, &row_slices);
    let linkage = link_table(&records, &spec, LinkMode::Dedupe, None).unwrap();
    let scored =
        score_pairs(&records, &spec, &linkage.model, &[(0, 1), (8, 9)])
            .unwrap();
    assert_eq!(scored.levels_of(0), scored.levels_of(1));
    let difference = scored.match_weight[1] - scored.match_weight[0];
    let expected = (0.4f64 / 0.1).log2();
    assert!((difference - expected).abs() < 1e-9, "{difference}");
}

// A model saved as JSON and read back scores the same data to the same
// clusters and weights without retraining.
#[test]
fn saved_model_scores_without_training() {
    let spec = discharge_model();
    let records = table(&spec, &DISCHARGE_HEADER, &DISCHARGES);
    let trained = link_table(&records, &spec, LinkMode::Dedupe, None).unwrap();
    let saved = TrainedModel {
        spec: spec.clone(),
        model: trained.model.clone(),
    };
    let loaded = TrainedModel::from_json(&saved.to_json()).unwrap();
    assert_eq!(loaded, saved);
    let reused =
        link_table(&records, &spec, LinkMode::Dedupe, Some(&loaded.model))
            .unwrap();
    assert!(reused.summary.reused_model);
    assert_eq!(reused.cluster_of, trained.cluster_of);
    assert_eq!(reused.pairs.match_weight, trained.pairs.match_weight);
}

#[test]
fn saved_model_for_other_comparisons_is_rejected() {
    let spec = discharge_model();
    let records = table(&spec, &DISCHARGE_HEADER, &DISCHARGES);
    let trained = link_table(&records, &spec, LinkMode::Dedupe, None).unwrap();
    let other = extract_model(false);
    let other_records = table(&other, &EXTRACT_HEADER, &EXTRACT);
    let error = link_table(
        &other_records,
        &other,
        LinkMode::Dedupe,
        Some(&trained.model),
    )
    .unwrap_err();
    assert!(error.to_string().contains("train again"), "{error}");
}

// Shuffling the rows changes nothing but the row numbers.
#[test]
fn row_order_does_not_matter() {
    let spec = discharge_model();
    let forward = table(&spec, &DISCHARGE_HEADER, &DISCHARGES);
    let mut reversed_rows = DISCHARGES;
    reversed_rows.reverse();
    let backward = table(&spec, &DISCHARGE_HEADER, &reversed_rows);
    let a = link_table(&forward, &spec, LinkMode::Dedupe, None).unwrap();
    let b = link_table(&backward, &spec, LinkMode::Dedupe, None).unwrap();
    let n = DISCHARGES.len();
    for row in 0..n {
        assert_eq!(a.cluster_of[row], b.cluster_of[n - 1 - row]);
    }
    let mut weights_a = a.pairs.match_weight.clone();
    let mut weights_b = b.pairs.match_weight.clone();
    weights_a.sort_by(f64::total_cmp);
    weights_b.sort_by(f64::total_cmp);
    assert_eq!(weights_a, weights_b);
}

// Linking two files compares only pairs across them, even when a block
// holds several records of one file.
#[test]
fn two_files_compare_only_across() {
    let spec = discharge_model();
    let mut records = RecordTable::new(&spec);
    for (source, row) in
        [(0u8, DISCHARGES[0]), (0, DISCHARGES[1]), (1, DISCHARGES[3])]
    {
        records
            .push(row[0], source, |column| {
                DISCHARGE_HEADER
                    .iter()
                    .position(|h| *h == column)
                    .map(|p| row[p])
            })
            .unwrap();
    }
    let linkage =
        link_table(&records, &spec, LinkMode::LinkOnly, None).unwrap();
    let pairs = pair_rows(&linkage.pairs);
    assert_eq!(pairs, [(0, 2), (1, 2)]);
    assert_eq!(linkage.summary.rules[1].pairs, 2);
}

#[test]
fn duplicate_record_id_is_rejected() {
    let spec = discharge_model();
    let mut records = RecordTable::new(&spec);
    records.push("H1", 0, |_| None).unwrap();
    let error = records.push("H1", 0, |_| None).unwrap_err();
    assert!(error.to_string().contains("appears twice"), "{error}");
    records.push("H1", 1, |_| None).unwrap();
}

const TWIN_HEADER: [&str; 5] =
    ["record_id", "nir", "first_name", "surname", "dob"];
const TWINS: [&[&str]; 4] = [
    &["T1", "N1", "JEAN", "MARTIN", "1970-01-01"],
    &["T2", "N1", "JEAN", "MARTIN", "1970-01-01"],
    &["T3", "N2", "PAUL", "MARTIN", "1970-01-01"],
    &["T4", "", "PAUL", "MARTIN", "1970-01-01"],
];

fn twin_model(cannot_link: bool) -> ModelSpec {
    let mut text = String::from(
        r#"
[settings]
threshold = 0.5

[[comparison]]
column = "nir"
kind = "exact"

[[comparison]]
column = "first_name"
kind = "jaro_winkler"
thresholds = [0.9]

[[comparison]]
column = "surname"
kind = "exact"

[[comparison]]
column = "dob"
kind = "date"

[blocking]
rules = [["surname", "dob"]]
"#,
    );
    if cannot_link {
        text.push_str(
            "\n[clustering]\ncannot_link = [[\"nir\", \"first_name\"]]\n",
        );
    }
    ModelSpec::from_toml(&text).unwrap()
}

/// Parameters chosen by hand so that every pair of the twin table scores
/// above 0.5: agreement on surname and birth date outweighs disagreement
/// on the NIR and the first name.
fn twin_parameters(spec: &ModelSpec) -> rnc_link::FellegiSunterModel {
    use rnc_link::{Comparison, ComparisonLevel, FellegiSunterModel};
    let comparisons = spec
        .comparisons
        .iter()
        .map(|c| {
            let names = c.level_names();
            let last = names.len() - 1;
            let levels = names
                .iter()
                .enumerate()
                .map(|(l, name)| match l {
                    0 => ComparisonLevel::null(name),
                    1 => ComparisonLevel::new(name, 0.9, 0.001),
                    l if l == last => ComparisonLevel::new(name, 0.05, 0.9),
                    _ => ComparisonLevel::new(name, 0.01, 0.01),
                })
                .collect();
            Comparison {
                name: c.comparison_name().to_string(),
                levels,
            }
        })
        .collect();
    FellegiSunterModel::new(comparisons, 0.01)
}

// Hand enumeration: T1-T2 (NIR and first name equal) join first, then
// T3-T4 (first name equal, NIR missing on T4). Every other pair would
// join {T1, T2} with {T3, T4}, which contains T1-T3, a pair that differs on
// both the NIR and the first name, so all four are skipped.
#[test]
fn cannot_link_keeps_twins_apart() {
    let plain = twin_model(false);
    let records = table(&plain, &TWIN_HEADER, &TWINS);
    let model = twin_parameters(&plain);
    let chained =
        link_table(&records, &plain, LinkMode::Dedupe, Some(&model)).unwrap();
    assert_eq!(chained.summary.linked_pairs, 6);
    assert_eq!(chained.cluster_of, [0, 0, 0, 0]);

    let guarded_spec = twin_model(true);
    let guarded =
        link_table(&records, &guarded_spec, LinkMode::Dedupe, Some(&model))
            .unwrap();
    assert_eq!(guarded.summary.linked_pairs, 6);
    assert_eq!(guarded.summary.cannot_link_skipped_pairs, 4);
    assert_eq!(guarded.cluster_of, [0, 0, 1, 1]);
}

#[test]
fn cannot_link_rejects_unknown_comparison() {
    let text = r#"
[[comparison]]
column = "nir"
kind = "exact"

[blocking]
rules = [["nir"]]

[clustering]
cannot_link = [["nir", "first_name"]]
"#;
    let error = ModelSpec::from_toml(text).unwrap_err();
    assert!(error.to_string().contains("first_name"), "{error}");
}

// True m and u by hand on the twin table, with truth {T1, T2} {T3, T4}.
// Matching pairs T1-T2 and T3-T4: first name exact in both, so true m of
// exact is 1. The NIR has both values only in T1-T2 (exact), so true m of
// NIR exact is 1. Non-matching pairs: the first name always differs
// (JEAN / PAUL, Jaro-Winkler 0), so true u of "different" is 1.
#[test]
fn parameters_compared_with_truth() {
    let spec = twin_model(false);
    let records = table(&spec, &TWIN_HEADER, &TWINS);
    let model = twin_parameters(&spec);
    let checks = rnc_link::compare_parameters_with_truth(
        &records,
        &spec,
        &model,
        &[0, 0, 1, 1],
    )
    .unwrap();
    let find = |comparison: &str, level: &str| {
        checks
            .iter()
            .find(|c| c.comparison == comparison && c.level == level)
            .unwrap()
    };
    assert_eq!(find("first_name", "exact").true_m, 1.0);
    assert_eq!(find("first_name", "different").true_m, 0.0);
    assert_eq!(find("first_name", "different").true_u, 1.0);
    assert_eq!(find("nir", "exact").true_m, 1.0);
    assert_eq!(find("nir", "exact").learned_m, 0.9);
    assert_eq!(find("surname", "exact").true_u, 1.0);
    let wrong_length = rnc_link::compare_parameters_with_truth(
        &records,
        &spec,
        &model,
        &[0, 0, 1],
    );
    assert!(wrong_length.is_err());
}

// Dice levels by hand from 2|A∧B| / (|A| + |B|) on base64 filters:
// "/wA=" (ff00) and "/gA=" (fe00) give 14 / 15 = 0.933, "/wA=" and "AP8="
// (00ff) give 0.
#[test]
fn dice_comparison_from_model_file() {
    let spec = ModelSpec::from_toml(
        r#"
[[comparison]]
column = "name_bloom"
kind = "dice"
thresholds = [0.9, 0.6]
bloom_encoding = "base64"

[[comparison]]
column = "dob"
kind = "exact"

[blocking]
rules = [["dob"]]
"#,
    )
    .unwrap();
    let header = ["record_id", "name_bloom", "dob"];
    let rows: [&[&str]; 3] = [
        &["B1", "/wA=", "1970"],
        &["B2", "/gA=", "1970"],
        &["B3", "AP8=", "1970"],
    ];
    let records = table(&spec, &header, &rows);
    let scored = score_pairs(
        &records,
        &spec,
        &twin_parameters(&spec),
        &[(0, 1), (0, 2), (1, 2)],
    )
    .unwrap();
    assert_eq!(scored.levels_of(0)[0], 2, "Dice >= 0.9");
    assert_eq!(scored.levels_of(1)[0], 4, "different");
    assert_eq!(scored.levels_of(2)[0], 4, "different");
}

fn two_rule_model(max_block_size: usize) -> ModelSpec {
    ModelSpec::from_toml(&toml_with_rules(
        r#"[["surname"], ["dob"]]"#,
        max_block_size,
    ))
    .unwrap()
}

const UNION_HEADER: [&str; 3] = ["record_id", "surname", "dob"];
const UNION_ROWS: [&[&str]; 4] = [
    &["U1", "SMITH", "1970-01-01"],
    &["U2", "SMITH", "1970-01-01"],
    &["U3", "SMITH", "1970-01-01"],
    &["U4", "JONES", "1970-01-01"],
];

// Both rules block U1, U2 and U3 together; the dob rule adds U4 to them.
// By hand: surname gives 3 pairs, dob 6, and their union the 6 pairs of
// four records, each once.
#[test]
fn rule_union_has_no_duplicate_pairs() {
    let spec = two_rule_model(100);
    let records = table(&spec, &UNION_HEADER, &UNION_ROWS);
    let linkage = link_table(&records, &spec, LinkMode::Dedupe, None).unwrap();
    assert_eq!(linkage.summary.rules[0].pairs, 3);
    assert_eq!(linkage.summary.rules[1].pairs, 6);
    assert_eq!(linkage.summary.candidate_pairs, 6);
    let pairs = pair_rows(&linkage.pairs);
    assert_eq!(pairs, [(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)]);
}

// With at most 3 records per block, the dob block of four is skipped and
// the surname block of three kept: the 3 SMITH pairs, which a skipped
// block must not remove from a later rule either.
#[test]
fn skipped_block_leaves_other_rules_whole() {
    let spec = two_rule_model(3);
    let records = table(&spec, &UNION_HEADER, &UNION_ROWS);
    let linkage = link_table(&records, &spec, LinkMode::Dedupe, None).unwrap();
    assert_eq!(linkage.summary.rules[1].pairs, 0);
    assert_eq!(linkage.summary.candidate_pairs, 3);

    let reversed =
        ModelSpec::from_toml(&toml_with_rules(r#"[["dob"], ["surname"]]"#, 3))
            .unwrap();
    let records = table(&reversed, &UNION_HEADER, &UNION_ROWS);
    let linkage =
        link_table(&records, &reversed, LinkMode::Dedupe, None).unwrap();
    assert_eq!(linkage.summary.rules[0].pairs, 0);
    assert_eq!(linkage.summary.candidate_pairs, 3);
}

fn toml_with_rules(rules: &str, max_block_size: usize) -> String {
    format!(
        r#"
[settings]
max_block_size = {max_block_size}

[[comparison]]
column = "surname"
kind = "exact"

[[comparison]]
column = "dob"
kind = "exact"

[blocking]
rules = {rules}
"#
    )
}
