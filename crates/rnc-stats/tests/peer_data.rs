//! Rates on the age-standardisation examples exported from R packages,
//! against the figures of the R peer (epitools 0.5-10.1, R 4.2.2).

use std::path::PathBuf;

use rnc_stats::{
    IntervalMethod, StandardPopulation, age_standardised_rate, crude_rate,
    cumulative_rate_0_74, cumulative_risk_0_74,
};

fn data_folder() -> Option<PathBuf> {
    let folder = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/asr");
    if folder.is_dir() {
        Some(folder)
    } else {
        eprintln!("skipped: folder {} is missing", folder.display());
        None
    }
}

/// Reads a CSV of a header line and then `label,value[,value]` rows, and
/// returns the numeric columns.
fn read_columns(path: &PathBuf) -> (Vec<String>, Vec<Vec<f64>>) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut labels = Vec::new();
    let mut columns: Vec<Vec<f64>> = Vec::new();
    for line in text.lines().skip(1).filter(|line| !line.trim().is_empty()) {
        let mut fields = line.split(',');
        labels.push(fields.next().unwrap().to_owned());
        for (i, field) in fields.enumerate() {
            if columns.len() <= i {
                columns.push(Vec::new());
            }
            columns[i].push(field.trim().parse().unwrap());
        }
    }
    (labels, columns)
}

fn assert_close(found: f64, expected: f64, tolerance: f64, what: &str) {
    assert!(
        (found - expected).abs() <= tolerance,
        "{what}: found {found}, expected {expected} (tolerance {tolerance})"
    );
}

#[test]
fn built_in_standards_match_popepi() {
    // popEpi 0.4.10 stdpop18$world and $europe, exported as CSV.
    let Some(folder) = data_folder() else { return };
    let (_, world) = read_columns(&folder.join("std_world_segi.csv"));
    assert_eq!(world[0], StandardPopulation::WorldSegi1960.weights());
    let (_, europe) = read_columns(&folder.join("std_europe_1976.csv"));
    assert_eq!(europe[0], StandardPopulation::Europe1976.weights());
}

#[test]
fn testis_denmark_world() {
    // Epi::testisDK 1992-1996, R peer asr_ref.R (epitools ageadjust.direct),
    // all printed to 6 decimals. Per 100 000: crude 11.375848, ASR 9.783346
    // (Fay-Feuer 9.278065-10.316817), SE 0.261187. Cumulative rate 0-74
    // 0.760279 % (0.720307-0.800250), cumulative risk 0-74 0.757396 %.
    let Some(folder) = data_folder() else { return };
    let (_, data) = read_columns(&folder.join("testisDK_1992_1996.csv"));
    let (cases, person_years) = (&data[0], &data[1]);
    let weights = StandardPopulation::WorldSegi1960.weights();

    let total_cases: f64 = cases.iter().sum();
    let total_person_years: f64 = person_years.iter().sum();
    let crude = crude_rate(total_cases, total_person_years, 0.95).unwrap();
    assert_close(crude.value, 11.375848, 5e-7, "crude");

    let rate = age_standardised_rate(
        cases,
        person_years,
        &weights,
        0.95,
        IntervalMethod::FayFeuer,
    )
    .unwrap();
    assert_close(rate.rate, 9.783346, 5e-7, "ASR");
    assert_close(rate.lower, 9.278065, 5e-7, "ASR lower");
    assert_close(rate.upper, 10.316817, 5e-7, "ASR upper");
    assert_close(rate.standard_error(), 0.261187, 5e-7, "ASR SE");

    let cumulative = cumulative_rate_0_74(cases, person_years).unwrap();
    assert_close(cumulative.value, 0.760279, 5e-7, "cumulative rate");
    assert_close(cumulative.lower, 0.720307, 5e-7, "cumulative rate lower");
    assert_close(cumulative.upper, 0.800250, 5e-7, "cumulative rate upper");
    let risk = cumulative_risk_0_74(cases, person_years).unwrap();
    assert_close(risk, 0.757396, 5e-7, "cumulative risk");
}

#[test]
fn testis_denmark_europe_1976() {
    // The R peer has no figure for this standard, so the expected ASR
    // 10.544278 per 100 000 was computed independently in Python 3 (standard
    // library only) as sum(w_i * d_i / n_i) / sum(w) * 1e5 over the CSV.
    let Some(folder) = data_folder() else { return };
    let (_, data) = read_columns(&folder.join("testisDK_1992_1996.csv"));
    let weights = StandardPopulation::Europe1976.weights();
    let rate = age_standardised_rate(
        &data[0],
        &data[1],
        &weights,
        0.95,
        IntervalMethod::FayFeuer,
    )
    .unwrap();
    assert_close(rate.rate, EUROPE_1976_ASR, 5e-7, "ASR Europe 1976");
    assert!(rate.lower < rate.rate);
    assert!(rate.rate < rate.upper);
}

/// Python 3.11: `sum(w*d/n for ...) / sum(w) * 1e5` = 10.544277989926726.
const EUROPE_1976_ASR: f64 = 10.544278;

#[test]
fn fleiss_birth_order_1() {
    // Fleiss (1981) p. 249, birth order 1, mean-population standard; the
    // epitools ageadjust.direct example (Fay & Feuer 1997 Table 1). R peer:
    // crude 56.347505, ASR 92.304526 (80.441750-105.763346) per 100 000.
    let Some(folder) = data_folder() else { return };
    let (labels, data) =
        read_columns(&folder.join("fleiss1981_birth_order1.csv"));
    let (standard_labels, standard) =
        read_columns(&folder.join("fleiss1981_standard.csv"));
    assert_eq!(labels, standard_labels);
    let (cases, births) = (&data[0], &data[1]);

    let total_cases: f64 = cases.iter().sum();
    let total_births: f64 = births.iter().sum();
    let crude = crude_rate(total_cases, total_births, 0.95).unwrap();
    assert_close(crude.value, 56.347505, 5e-7, "crude");

    let rate = age_standardised_rate(
        cases,
        births,
        &standard[0],
        0.95,
        IntervalMethod::FayFeuer,
    )
    .unwrap();
    assert_close(rate.rate, 92.304526, 5e-7, "ASR");
    assert_close(rate.lower, 80.441750, 5e-7, "ASR lower");
    assert_close(rate.upper, 105.763346, 5e-7, "ASR upper");
}
