//! The incidence table built from cells, and its Arrow and CSV forms.

use arrow_array::{Array, Float64Array, StringArray};
use rnc_stats::{
    ALL_SITES, Cell, ErrorKind, incidence_schema, incidence_table,
    incidence_to_batch, incidence_to_csv,
};

/// Liver cancer, males, Calvados 2007 (Rcan `csu_registry_data_1`, CI5-XII):
/// cases and person-years per band 0-4 to 85+; 82 cases in 324 855
/// person-years.
const LIVER_CASES: [f64; 18] = [
    0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 6.0, 8.0, 9.0, 4.0, 20.0,
    21.0, 9.0, 3.0,
];
const MALE_PERSON_YEARS: [f64; 18] = [
    21117.0, 21213.0, 21006.0, 21997.0, 23063.0, 21571.0, 22521.0, 23121.0,
    22536.0, 22448.0, 23117.0, 22616.0, 15935.0, 11848.0, 11307.0, 9329.0,
    6459.0, 3651.0,
];

fn liver_cells() -> Vec<Cell> {
    LIVER_CASES
        .iter()
        .enumerate()
        .filter(|(_, cases)| **cases > 0.0)
        .map(|(band, &cases)| Cell {
            site_group: "liver".to_owned(),
            sex: "male".to_owned(),
            age_band: band,
            cases,
            person_years: 0.0,
        })
        .collect()
}

fn male_population() -> Vec<(String, usize, f64)> {
    MALE_PERSON_YEARS
        .iter()
        .enumerate()
        .map(|(band, &person_years)| ("male".to_owned(), band, person_years))
        .collect()
}

#[test]
fn liver_row_matches_rcan() {
    // Rcan csu_asr_test1 / csu_cumrisk_test1: ASR world 13.41 per 100 000,
    // cumulative risk 0-74 1.67 %; crude 82 / 324 855 = 25.2420 per 100 000.
    let rows = incidence_table(&liver_cells(), &male_population()).unwrap();
    assert_eq!(rows.len(), 2);
    let liver = rows.iter().find(|row| row.site_group == "liver").unwrap();
    assert_eq!(liver.sex, "male");
    assert_eq!(liver.cases, 82.0);
    assert_eq!(liver.person_years, 324_855.0);
    assert!((liver.crude.value - 25.2420).abs() < 5e-5);
    assert!((liver.asr_world.rate - 13.41).abs() < 0.005);
    assert!((liver.asr_world.lower - 10.51).abs() < 0.005);
    assert!((liver.asr_world.upper - 17.45).abs() < 0.005);
    assert!((liver.cumulative_risk_0_74 - 1.67).abs() < 0.005);
    assert_eq!(liver.age_specific.len(), 18);
    // Band 85+: 3 cases in 3 651 person-years.
    let oldest = liver.age_specific[17].unwrap();
    assert!((oldest - 3.0 / 3651.0 * 1e5).abs() < 1e-9);
    assert_eq!(liver.age_specific[0], Some(0.0));
}

#[test]
fn all_sites_row_sums_sites() {
    let mut cells = liver_cells();
    // A second site group and a repeated cell, which is summed.
    for band in [14, 15, 15] {
        cells.push(Cell {
            site_group: "bladder".to_owned(),
            sex: "male".to_owned(),
            age_band: band,
            cases: 2.0,
            person_years: MALE_PERSON_YEARS[band],
        });
    }
    let rows = incidence_table(&cells, &male_population()).unwrap();
    let order: Vec<(&str, &str)> = rows
        .iter()
        .map(|row| (row.site_group.as_str(), row.sex.as_str()))
        .collect();
    assert_eq!(
        order,
        [
            ("all_sites", "male"),
            ("bladder", "male"),
            ("liver", "male")
        ]
    );
    let all = &rows[0];
    assert_eq!(all.site_group, ALL_SITES);
    assert_eq!(all.cases, 88.0);
    assert_eq!(rows[1].cases, 6.0);
    assert!(all.asr_world.rate > rows[2].asr_world.rate);
}

#[test]
fn cases_without_population_name_band() {
    let mut cells = liver_cells();
    cells.push(Cell {
        site_group: "breast".to_owned(),
        sex: "female".to_owned(),
        age_band: 12,
        cases: 5.0,
        person_years: 0.0,
    });
    let error = incidence_table(&cells, &male_population()).unwrap_err();
    let message = error.to_string();
    assert!(matches!(error.kind(), ErrorKind::InRow { .. }), "{message}");
    assert!(
        message.contains("site group breast, sex female"),
        "{message}"
    );
    assert!(message.contains("60-64"), "{message}");
}

#[test]
fn invalid_cells_rejected() {
    let mut reserved = liver_cells();
    reserved[0].site_group = ALL_SITES.to_owned();
    let error = incidence_table(&reserved, &male_population()).unwrap_err();
    assert!(matches!(error.kind(), ErrorKind::ReservedSiteGroup(_)));

    let mut out_of_range = liver_cells();
    out_of_range[0].age_band = 18;
    let error = incidence_table(&out_of_range, &male_population()).unwrap_err();
    assert!(matches!(
        error.kind(),
        ErrorKind::AgeBandOutOfRange { index: 18 }
    ));

    let mut mismatch = liver_cells();
    mismatch[0].person_years = 1.0;
    let error = incidence_table(&mismatch, &male_population()).unwrap_err();
    assert!(matches!(
        error.kind(),
        ErrorKind::PersonYearsMismatch { .. }
    ));

    let mut negative = liver_cells();
    negative[0].cases = -1.0;
    let error = incidence_table(&negative, &male_population()).unwrap_err();
    assert!(matches!(error.kind(), ErrorKind::InvalidValue { .. }));
}

#[test]
fn batch_has_schema_columns() {
    let rows = incidence_table(&liver_cells(), &male_population()).unwrap();
    let batch = incidence_to_batch(&rows).unwrap();
    assert_eq!(batch.schema(), incidence_schema());
    assert_eq!(batch.num_rows(), 2);
    assert_eq!(batch.num_columns(), 4 + 10 + 18);

    let sites = batch
        .column_by_name("site_group")
        .unwrap()
        .as_any()
        .downcast_ref::<StringArray>()
        .unwrap();
    assert_eq!(sites.value(1), "liver");
    let asr = batch
        .column_by_name("asr_world")
        .unwrap()
        .as_any()
        .downcast_ref::<Float64Array>()
        .unwrap();
    assert!((asr.value(1) - 13.41).abs() < 0.005);
    let oldest = batch.column_by_name("rate_85_plus").unwrap();
    assert!(!oldest.is_null(1));
    assert!(batch.column_by_name("rate_0_4").is_some());
}

#[test]
fn csv_rounds_rates_and_quotes_text() {
    let mut cells = liver_cells();
    for cell in &mut cells {
        cell.site_group = "liver, \"primary\"".to_owned();
    }
    let rows = incidence_table(&cells, &male_population()).unwrap();
    let csv = incidence_to_csv(&rows);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 3);
    assert!(
        lines[0].starts_with("site_group,sex,cases,person_years,crude_rate,")
    );
    assert!(lines[0].ends_with(",rate_80_84,rate_85_plus"));
    assert!(
        lines[2]
            .starts_with("\"liver, \"\"primary\"\"\",male,82,324855,25.2420,"),
        "{}",
        lines[2]
    );
    // Band 85+: 3 / 3 651 * 10^5 = 82.1693 per 100 000.
    assert!(lines[2].ends_with(",82.1693"), "{}", lines[2]);
}
