//! Calibration of the synthetic population and its cancers against
//! published French figures.
//!
//! One data set of 300 000 persons over the single year 2023 is drawn once
//! and shared by the tests. Expected cancer counts are scaled from France's
//! 68.0 million inhabitants (INSEE, 1 January 2023).

mod common;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::OnceLock;

use common::{median, read_table};
use rnc_synth::{FeedFormats, SynthConfig, SynthSummary, write_synthetic};

const PERSONS: u64 = 300_000;

/// Population of France on 1 January 2023 (INSEE estimate).
const FRANCE: f64 = 68_000_000.0;

struct DataSet {
    _dir: tempfile::TempDir,
    path: PathBuf,
    summary: SynthSummary,
}

fn data_set() -> &'static DataSet {
    static DATA: OnceLock<DataSet> = OnceLock::new();
    DATA.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let config = SynthConfig {
            persons: PERSONS,
            seed: 2023,
            first_year: 2023,
            last_year: 2023,
            formats: FeedFormats::plain(),
            ..SynthConfig::default()
        };
        let summary = write_synthetic(&config, dir.path()).unwrap();
        DataSet {
            path: dir.path().to_path_buf(),
            _dir: dir,
            summary,
        }
    })
}

/// Tumour counts by sex code ("1", "2").
fn tumours_by_sex() -> HashMap<String, usize> {
    let tumours = read_table(&data_set().path.join("truth/tumours.csv"));
    let mut counts = HashMap::new();
    for sex in tumours.values("sex") {
        *counts.entry(sex.to_string()).or_insert(0) += 1;
    }
    counts
}

#[test]
fn new_cancers_by_sex() {
    // Santé publique France / INCa / Francim / HCL, BEH 4 July 2023:
    // 245 610 new cancers in men and 187 526 in women in 2023. With about
    // 1 080 and 830 expected cases the Poisson standard deviation is 3-3.5 %;
    // the tolerance is 12 %.
    let counts = tumours_by_sex();
    let men = counts["1"] as f64;
    let women = counts["2"] as f64;
    let expected_men = 245_610.0 * PERSONS as f64 / FRANCE;
    let expected_women = 187_526.0 * PERSONS as f64 / FRANCE;
    assert!(
        (men / expected_men - 1.0).abs() < 0.12,
        "men {men}, expected {expected_men:.0}"
    );
    assert!(
        (women / expected_women - 1.0).abs() < 0.12,
        "women {women}, expected {expected_women:.0}"
    );
}

#[test]
fn male_share_of_cancers() {
    // 245 610 of 433 136 new cancers (56.7 %) were in men (BEH 4 July 2023);
    // tolerance 3.5 points, about three standard deviations for 1 900 cases.
    let counts = tumours_by_sex();
    let share = counts["1"] as f64 / (counts["1"] + counts["2"]) as f64;
    assert!(
        (share - 245_610.0 / 433_136.0).abs() < 0.035,
        "male share {share}"
    );
}

#[test]
fn median_age_at_diagnosis() {
    // Median age at diagnosis in 2023: 70 years in men, 68 in women (BEH
    // 4 July 2023). Ages here are incidence year minus birth year, which
    // exceeds the completed age by up to one year, so the tolerance is
    // 2 years.
    let dir = &data_set().path;
    let persons = read_table(&dir.join("truth/persons.csv"));
    let birth_years: HashMap<&str, f64> = persons
        .values("person_id")
        .into_iter()
        .zip(persons.values("birth_year"))
        .map(|(id, year)| (id, year.parse().unwrap()))
        .collect();
    let tumours = read_table(&dir.join("truth/tumours.csv"));
    let mut ages: [Vec<f64>; 2] = [Vec::new(), Vec::new()];
    for row in tumours.maps() {
        let year: f64 = row["incidence_date"][..4].parse().unwrap();
        let sex = if row["sex"] == "1" { 0 } else { 1 };
        ages[sex].push(year - birth_years[row["person_id"]]);
    }
    let men = median(&mut ages[0]);
    let women = median(&mut ages[1]);
    assert!((men - 70.0).abs() <= 2.0, "median age of men {men}");
    assert!((women - 68.0).abs() <= 2.0, "median age of women {women}");
}

#[test]
fn age_structure_matches_pyramid() {
    // INSEE population on 1 January 2023 by sex and five-year band, in
    // thousands (rounded to 10 000; France including Mayotte), from the
    // published age pyramid. The synthetic counts are mid-year, half a year
    // of ageing later, which moves up to a tenth of a band: the tolerance
    // is 0.3 percentage points of the total per band.
    const INSEE: [[f64; 18]; 2] = [
        [
            1800.0, 2010.0, 2180.0, 2170.0, 1940.0, 1816.0, 1971.0, 2078.0,
            2108.0, 2078.0, 2231.0, 2163.0, 2032.0, 1870.0, 1700.0, 1150.0,
            780.0, 760.0,
        ],
        [
            1720.0, 1920.0, 2080.0, 2070.0, 1878.0, 1845.0, 2060.0, 2175.0,
            2180.0, 2122.0, 2301.0, 2272.0, 2178.0, 2090.0, 1980.0, 1420.0,
            1080.0, 1560.0,
        ],
    ];
    let total_insee: f64 = INSEE.iter().flatten().sum();

    let population = read_table(&data_set().path.join("population.csv"));
    let bands: Vec<String> = (0..17)
        .map(|b| format!("{}-{}", b * 5, b * 5 + 4))
        .chain(std::iter::once("85+".to_string()))
        .collect();
    let mut counts = [[0f64; 18]; 2];
    for row in population.maps() {
        assert_eq!(row["year"], "2023");
        let sex = match row["sex"] {
            "male" => 0,
            "female" => 1,
            other => panic!("unexpected sex label {other}"),
        };
        let band = bands.iter().position(|b| b == row["age_band"]).unwrap();
        counts[sex][band] += row["population"].parse::<f64>().unwrap();
    }

    let total: f64 = counts.iter().flatten().sum();
    assert!(
        total > 0.98 * PERSONS as f64 && total <= PERSONS as f64,
        "total {total}"
    );
    for sex in 0..2 {
        for band in 0..18 {
            let observed = counts[sex][band] / total;
            let expected = INSEE[sex][band] / total_insee;
            assert!(
                (observed - expected).abs() < 0.003,
                "sex {sex}, band {}: {observed:.4} against {expected:.4}",
                bands[band]
            );
        }
    }
}

#[test]
fn second_primaries_and_dco() {
    // Brief of the synthetic registry: 5-8 % of patients get a second
    // primary, and about 1-2 % of tumours are known only from the death
    // certificate. The DCO range is widened to 0.5-2.5 % because 1 900
    // tumours give a standard deviation of 0.3 points.
    let dir = &data_set().path;
    let tumours = read_table(&dir.join("truth/tumours.csv"));
    assert_eq!(tumours.rows.len() as u64, data_set().summary.tumours);
    let mut per_person: HashMap<&str, usize> = HashMap::new();
    for person in tumours.values("person_id") {
        *per_person.entry(person).or_insert(0) += 1;
    }
    let patients = per_person.len() as f64;
    let with_two = per_person.values().filter(|n| **n == 2).count() as f64;
    assert!(per_person.values().all(|n| *n <= 2));
    let share = with_two / patients;
    assert!(
        (0.05..=0.08).contains(&share),
        "second primary share {share}"
    );

    let records = read_table(&dir.join("truth/records.csv"));
    let mut sources: HashMap<&str, Vec<&str>> = HashMap::new();
    for row in records.maps() {
        if !row["tumour_id"].is_empty() {
            let kind = row["record_id"].split('/').next().unwrap();
            sources.entry(row["tumour_id"]).or_default().push(kind);
        }
    }
    let dco = tumours
        .values("tumour_id")
        .into_iter()
        .filter(|id| {
            sources
                .get(id)
                .is_some_and(|kinds| kinds.iter().all(|k| *k == "death_record"))
        })
        .count() as f64;
    let dco_share = dco / tumours.rows.len() as f64;
    assert!(
        (0.005..=0.025).contains(&dco_share),
        "DCO share {dco_share}"
    );
    assert!(
        tumours
            .values("tumour_id")
            .into_iter()
            .all(|id| sources.contains_key(id)),
        "every tumour has at least one record"
    );
}
