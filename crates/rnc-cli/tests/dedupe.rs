//! `rnc dedupe` and `rnc link-files` on small CSV files, with a model file
//! written here. Expected rows and pairs are enumerated by hand from the
//! blocking rules: records missing a blocking key are never paired on it.

mod common;

use common::{arg, rnc_expect};

const MODEL: &str = r#"
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

[blocking]
rules = [["given_name"], ["dob"]]
"#;

const DISCHARGES: &str = "record_id,given_name,surname,dob,postcode
H1,ANNA,SMITH,1970-01-01,AB1 2CD
H2,,SMITH,1970-01-01,
H3,,JONES,1980-05-05,
H4,ANNE,SMITH,1970-01-01,AB1 2CD
H5,,BROWN,1990-09-09,
";

#[test]
fn dedupe_writes_one_row_per_record_and_pairs() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model.toml");
    let input = dir.path().join("discharges.csv");
    let out = dir.path().join("clusters.csv");
    let pairs = dir.path().join("pairs.csv");
    let saved = dir.path().join("trained.json");
    std::fs::write(&model, MODEL).unwrap();
    std::fs::write(&input, DISCHARGES).unwrap();
    let args = [
        "--quiet",
        "dedupe",
        arg(&input),
        "--id-column",
        "record_id",
        "--model",
        arg(&model),
        "--out",
        arg(&out),
        "--pairs",
        arg(&pairs),
        "--save-model",
        arg(&saved),
    ];
    let output = rnc_expect(&args, 0);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("given_name"), "{stdout}");
    assert!(stdout.contains("5 records"), "{stdout}");

    let clusters = std::fs::read_to_string(&out).unwrap();
    let lines: Vec<&str> = clusters.lines().collect();
    assert_eq!(lines[0], "record_id,cluster_id");
    let ids: Vec<&str> = lines[1..]
        .iter()
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(ids, ["H1", "H2", "H3", "H4", "H5"]);

    let pair_lines: Vec<String> = std::fs::read_to_string(&pairs)
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| l.split(',').take(2).collect::<Vec<_>>().join(","))
        .collect();
    assert_eq!(pair_lines, ["H1,H2", "H1,H4", "H2,H4"]);

    // Scoring again with the saved parameters gives the same clusters.
    let reused = dir.path().join("reused.csv");
    let args = [
        "--quiet",
        "dedupe",
        arg(&input),
        "--id-column",
        "record_id",
        "--model",
        arg(&model),
        "--out",
        arg(&reused),
        "--trained-model",
        arg(&saved),
    ];
    let output = rnc_expect(&args, 0);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("no training"), "{stdout}");
    assert_eq!(std::fs::read_to_string(&reused).unwrap(), clusters);
}

#[test]
fn link_files_names_sources() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model.toml");
    let a = dir.path().join("a.csv");
    let b = dir.path().join("b.csv");
    let out = dir.path().join("clusters.csv");
    std::fs::write(&model, MODEL).unwrap();
    std::fs::write(
        &a,
        "id,given_name,surname,dob\n1,ANNA,SMITH,1970-01-01\n2,PAUL,JONES,1980-05-05\n",
    )
    .unwrap();
    std::fs::write(&b, "id,given_name,surname,dob\n1,ANNA,SMITH,1970-01-01\n")
        .unwrap();
    let args = [
        "--quiet",
        "link-files",
        arg(&a),
        arg(&b),
        "--id-column",
        "id",
        "--model",
        arg(&model),
        "--out",
        arg(&out),
    ];
    rnc_expect(&args, 0);
    let clusters = std::fs::read_to_string(&out).unwrap();
    let lines: Vec<&str> = clusters.lines().collect();
    assert_eq!(lines[0], "source,id,cluster_id");
    assert_eq!(lines.len(), 4);
    assert!(lines[1].starts_with("a,1,"));
    assert!(lines[3].starts_with("b,1,"));
}

#[test]
fn missing_id_column_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model.toml");
    let input = dir.path().join("discharges.csv");
    std::fs::write(&model, MODEL).unwrap();
    std::fs::write(&input, DISCHARGES).unwrap();
    let out = dir.path().join("clusters.csv");
    let args = [
        "--quiet",
        "dedupe",
        arg(&input),
        "--id-column",
        "rec_id",
        "--model",
        arg(&model),
        "--out",
        arg(&out),
    ];
    let output = rnc_expect(&args, 2);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("column rec_id not found"), "{stderr}");
}

const TWIN_MODEL: &str = r#"
[settings]
threshold = 1e-15

[[comparison]]
column = "nir"
kind = "exact"

[[comparison]]
column = "first_name"
kind = "jaro_winkler"
thresholds = [0.9]

[blocking]
rules = [["surname", "dob"]]

[clustering]
cannot_link = [["nir", "first_name"]]
"#;

// Twins share surname and birth date, so every pair of their four records
// is a candidate, and at this threshold every candidate is linked (the
// weakest pair has a probability of about 2^-35). T1 and T3, like the
// other pairs across the twins, differ on both the NIR and the first
// name, so the chain guard keeps the twins apart and lists the four
// linked pairs across them for review.
#[test]
fn dedupe_lists_guarded_pairs_for_review() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model.toml");
    let input = dir.path().join("twins.csv");
    let out = dir.path().join("clusters.csv");
    let review = dir.path().join("review.csv");
    std::fs::write(&model, TWIN_MODEL).unwrap();
    std::fs::write(
        &input,
        "id,nir,first_name,surname,dob\n\
         T1,N1,JEAN,MARTIN,1970-01-01\n\
         T2,N1,JEAN,MARTIN,1970-01-01\n\
         T3,N2,PAUL,MARTIN,1970-01-01\n\
         T4,,PAUL,MARTIN,1970-01-01\n",
    )
    .unwrap();
    let args = [
        "--quiet",
        "dedupe",
        arg(&input),
        "--id-column",
        "id",
        "--model",
        arg(&model),
        "--out",
        arg(&out),
        "--review",
        arg(&review),
    ];
    let output = rnc_expect(&args, 1);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("4 linked pairs kept apart"), "{stdout}");

    let clusters = std::fs::read_to_string(&out).unwrap();
    let cluster_ids: Vec<&str> = clusters
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).unwrap())
        .collect();
    assert_eq!(cluster_ids, ["0", "0", "1", "1"]);

    let review_pairs: Vec<String> = std::fs::read_to_string(&review)
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| l.split(',').take(2).collect::<Vec<_>>().join(","))
        .collect();
    assert_eq!(review_pairs, ["T1,T3", "T1,T4", "T2,T3", "T2,T4"]);
}
