//! Registry quality indicators on a hand-made set of tumours. The
//! definitions are those of the JRC-ENCR Quality Check Software
//! indicators (Giusti et al., Front. Oncol. 2023): MV % = basis 5-8,
//! DCO %, M:I = cancer deaths / incident tumours, PSU % = C80.9, UM % =
//! morphology 8000-8005, and the median delay from incidence to
//! registration. Expected values are counted by hand; percentages are
//! compared to 1e-9.

use std::collections::HashMap;

use chrono::NaiveDate;
use rnc_model::{
    BasisOfDiagnosis, Behaviour, Morphology, PartialDate, Sex, Tumour,
};
use rnc_rules::{
    ALL_SITES_BUT_SKIN, CancerDeath, QualityIndicatorRow, quality_indicators,
    quality_indicators_to_csv,
};

fn tumour(
    id: &str,
    year: &str,
    site: &str,
    icd10: &str,
    group: &str,
    histology: u16,
    basis: u8,
) -> Tumour {
    Tumour {
        tumour_id: id.into(),
        person_id: id.split('-').next().unwrap().into(),
        sex: Sex::Male,
        topography: site.parse().unwrap(),
        morphology: Morphology::new(histology, Behaviour::Malignant, None)
            .unwrap(),
        icd10: icd10.into(),
        site_group: group.into(),
        incidence_date: Some(PartialDate::parse_iso(year).unwrap()),
        age_at_incidence: Some(66),
        basis_of_diagnosis: BasisOfDiagnosis::from_code(basis).unwrap(),
        death_certificate_only: basis == 0,
        departement: None,
        record_ids: vec![],
        sources: vec![],
        laterality: None,
        stage: None,
    }
}

fn death(person: &str, year: i32, cause: &str) -> CancerDeath {
    CancerDeath {
        person_id: person.into(),
        year,
        underlying_cause: cause.parse().unwrap(),
    }
}

fn row<'a>(
    rows: &'a [QualityIndicatorRow],
    group: &str,
    period: &str,
) -> &'a QualityIndicatorRow {
    rows.iter()
        .find(|r| r.site_group == group && r.period == period)
        .unwrap_or_else(|| panic!("no row {group} {period}"))
}

fn close(actual: Option<f64>, expected: f64) {
    let actual = actual.expect("indicator has a value");
    assert!((actual - expected).abs() < 1e-9, "{actual} != {expected}");
}

#[test]
fn lung_and_all_sites_2022() {
    let tumours = vec![
        tumour("P1-T1", "2022-01-01", "C34.1", "C34.1", "lung", 8070, 7),
        tumour("P2-T1", "2022-02-01", "C34.9", "C34.9", "lung", 8000, 2),
        tumour("P3-T1", "2022-03-01", "C34.9", "C34.9", "lung", 8000, 0),
        tumour("P4-T1", "2022-04-01", "C34.3", "C34.3", "lung", 8140, 5),
        tumour("P5-T1", "2022-05-01", "C80.9", "C80", "other", 8000, 1),
        tumour("P6-T1", "2022-06-01", "C44.3", "C44.3", "other", 8090, 7),
        tumour("P7-T1", "2023-01-01", "C34.1", "C34.1", "lung", 8070, 7),
    ];
    let registered: HashMap<String, NaiveDate> = [
        ("P1-T1", "2022-01-11"),
        ("P2-T1", "2022-02-21"),
        ("P4-T1", "2022-04-05"),
    ]
    .into_iter()
    .map(|(id, day)| (id.to_string(), day.parse().unwrap()))
    .collect();
    let deaths = vec![
        death("P2", 2022, "C34.9"),
        death("P3", 2022, "C34.9"),
        // A second certificate of the same person counts once.
        death("P3", 2023, "C34.9"),
        death("P9", 2022, "C18.7"),
        death("P10", 2022, "I21.9"),
    ];
    let rows = quality_indicators(&tumours, &registered, &deaths);

    let lung = row(&rows, "lung", "2022");
    assert_eq!(lung.tumours, 4);
    close(lung.microscopically_verified_percent, 50.0);
    close(lung.death_certificate_only_percent, 25.0);
    assert_eq!(lung.deaths, 2);
    close(lung.mortality_incidence_ratio, 0.5);
    close(lung.unknown_primary_percent, 0.0);
    close(lung.unspecified_morphology_percent, 50.0);
    // Delays 10, 20 and 4 days: median 10.
    close(lung.median_registration_delay_days, 10.0);

    // All sites but C44: the skin carcinoma P6 is left out.
    let all = row(&rows, ALL_SITES_BUT_SKIN, "2022");
    assert_eq!(all.tumours, 5);
    close(all.unknown_primary_percent, 20.0);
    close(all.unspecified_morphology_percent, 60.0);
    assert_eq!(all.deaths, 3);
    close(all.mortality_incidence_ratio, 0.6);

    // A group with deaths but no tumours keeps its row, without ratios.
    let colon = row(&rows, "colon_rectum", "2022");
    assert_eq!(colon.tumours, 0);
    assert_eq!(colon.deaths, 1);
    assert_eq!(colon.mortality_incidence_ratio, None);

    let span = row(&rows, "lung", "2022-2023");
    assert_eq!(span.tumours, 5);
    assert_eq!(span.deaths, 2);

    let csv = quality_indicators_to_csv(&rows, "batch_ingestion_time");
    assert!(csv.starts_with("site_group,period,tumours,"));
    assert!(csv.contains(
        "lung,2022,4,50.00,25.00,2,0.5000,0.00,50.00,10.0,batch_ingestion_time"
    ));
}

#[test]
fn no_tumours_no_rows() {
    assert!(quality_indicators(&[], &HashMap::new(), &[]).is_empty());
}
