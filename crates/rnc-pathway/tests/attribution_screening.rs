//! Attribution of evidence records to one of several tumours, screening
//! participation, two-way tables, the delay histogram and net survival by
//! group, on small cases computed by hand in each test.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use rnc_model::{
    PartialDate, ScreeningProgramme, SourceKind, TreatmentType, Tumour,
};
use rnc_pathway::attribution::attribute;
use rnc_pathway::indicators::{cross_table, delay_histogram};
use rnc_pathway::screening::{ScreenedPerson, participation_table};
use rnc_pathway::survival::net_survival_table;
use rnc_pathway::{
    LinkedRecord, PathwayRecord, PathwaySettings, PublicationRules,
    TumourPathway, example_tumour, summarise_pathway,
};
use rnc_stats::{CohortPatient, FollowUp, LifeTable};

fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

const NO_SUPPRESSION: PublicationRules = PublicationRules {
    small_cell_threshold: 1,
    few_cases: 20,
};

/// Builds a breast tumour (2022) and a colon tumour (2023) of one person.
fn two_tumours() -> (Tumour, Tumour) {
    let breast = example_tumour("2022-03-01");
    let mut colon = example_tumour("2023-06-01");
    colon.tumour_id = "P00000001-T2".to_string();
    colon.site_group = "colon_rectum".to_string();
    colon.icd10 = "C18.7".to_string();
    (breast, colon)
}

fn evidence(kind: SourceKind, date: &str) -> PathwayRecord {
    PathwayRecord {
        record_id: format!("{}/X1", kind.name()),
        source_kind: Some(kind),
        event_date: Some(PartialDate::parse_iso(date).unwrap()),
        ..PathwayRecord::default()
    }
}

fn linked(record: PathwayRecord) -> LinkedRecord {
    LinkedRecord {
        record,
        person_id: "P00000001".to_string(),
        tumour_id: None,
    }
}

#[test]
fn screening_goes_to_its_programme_site() {
    let (breast, colon) = two_tumours();
    let tumours = [&breast, &colon];
    let mut test = evidence(SourceKind::Screening, "2023-04-01");
    test.screening_programme = Some(ScreeningProgramme::Colorectal);
    assert_eq!(attribute(&linked(test.clone()), &tumours, 31), Some(1));
    test.screening_programme = Some(ScreeningProgramme::Breast);
    assert_eq!(attribute(&linked(test.clone()), &tumours, 31), Some(0));
    // No cervical tumour: the test is about none of them, even when
    // consolidation gave it the person's only tumour.
    test.screening_programme = Some(ScreeningProgramme::Cervical);
    let mut record = linked(test);
    record.tumour_id = Some("P00000001-T1".to_string());
    assert_eq!(attribute(&record, &[&breast], 31), None);
}

#[test]
fn coded_act_goes_to_same_icd10_category() {
    let (breast, colon) = two_tumours();
    let tumours = [&breast, &colon];
    // A 2024 act coded C50.9 belongs to the breast tumour although the
    // colon tumour is more recent.
    let mut act = evidence(SourceKind::Treatment, "2024-01-10");
    act.treatment = Some(TreatmentType::Radiotherapy);
    act.icd10 = Some("C50.9".to_string());
    assert_eq!(attribute(&linked(act.clone()), &tumours, 31), Some(0));
    // Uncoded: the latest tumour diagnosed before the act.
    act.icd10 = None;
    assert_eq!(attribute(&linked(act.clone()), &tumours, 31), Some(1));
    // Uncoded and dated 20 days before the colon diagnosis: still the
    // colon tumour, within the 31 days allowed before diagnosis.
    act.event_date = Some(PartialDate::parse_iso("2023-05-12").unwrap());
    assert_eq!(attribute(&linked(act.clone()), &tumours, 31), Some(1));
    // 40 days before: the breast tumour.
    act.event_date = Some(PartialDate::parse_iso("2023-04-22").unwrap());
    assert_eq!(attribute(&linked(act), &tumours, 31), Some(0));
}

fn screened(
    person: &str,
    date: &str,
    departement: &str,
    band: &str,
) -> ScreenedPerson {
    ScreenedPerson {
        person_id: person.to_string(),
        programme: ScreeningProgramme::Breast,
        date: day(date),
        departement: departement.to_string(),
        age_band: band.to_string(),
    }
}

/// Returns the first row of the participation table for `band`.
fn band_row(table: &rnc_pathway::table::Table, band: &str) -> usize {
    (0..table.rows())
        .find(|&r| table.cell("age_band", r).unwrap() == band)
        .unwrap()
}

#[test]
fn participation_by_departement_and_band() {
    // Closing 2023-12-31, round of 730 days (from 2022-01-01 exclusive).
    // Département 14: A tested in 2023 (50-54), B tested twice in the
    // round (last in 55-59), C tested only in 2021 (55-59). Target 10 at
    // 50-54 and 20 at 55-59, other bands 0.
    // Participation: 50-54 1/10, 55-59 1/20 (B), total 2/30.
    // Coverage: 50-54 1/10, 55-59 2/20, total 3/30.
    let tests = [
        screened("A", "2023-03-01", "14", "50-54"),
        screened("B", "2022-02-01", "14", "50-54"),
        screened("B", "2023-11-01", "14", "55-59"),
        screened("C", "2021-05-01", "14", "55-59"),
        // A man's test in another programme is ignored.
        ScreenedPerson {
            programme: ScreeningProgramme::Colorectal,
            ..screened("D", "2023-01-01", "14", "60-64")
        },
    ];
    let population = HashMap::from([
        (("14".to_string(), "50-54".to_string()), 10.0),
        (("14".to_string(), "55-59".to_string()), 20.0),
    ]);
    let table = participation_table(
        ScreeningProgramme::Breast,
        &tests,
        &population,
        730,
        day("2023-12-31"),
        &NO_SUPPRESSION,
    )
    .unwrap();
    let row = |band: &str| band_row(&table, band);
    assert_eq!(table.cell("screened_in_round", row("50-54")).unwrap(), "1");
    assert_eq!(table.cell("participation", row("50-54")).unwrap(), "0.1000");
    assert_eq!(table.cell("participation", row("55-59")).unwrap(), "0.0500");
    assert_eq!(table.cell("coverage", row("55-59")).unwrap(), "0.1000");
    assert_eq!(table.cell("target_population", row("total")).unwrap(), "30");
    assert_eq!(table.cell("screened_in_round", row("total")).unwrap(), "2");
    assert_eq!(table.cell("participation", row("total")).unwrap(), "0.0667");
    assert_eq!(table.cell("coverage", row("total")).unwrap(), "0.1000");
    // 5 bands and the total, for the one département tested.
    assert_eq!(table.rows(), 6);
}

#[test]
fn participation_hides_small_targets() {
    // Département 14, breast programme: target 8 women at 50-54, 30 at
    // 55-59 and 40 at each of 60-64, 65-69 and 70-74, total 158, with 12
    // tested in the round at 60-64. With the default threshold of 11 the
    // target 8 is hidden, and the smallest other non-zero target of the
    // département (30) as its complement, else 158 minus the published
    // bands gives 8 back. Participation needs its target, so it is empty
    // at 50-54 and 55-59 and 12 / 40 = 0.3000 at 60-64.
    let tests: Vec<ScreenedPerson> = (0..12)
        .map(|i| screened(&format!("W{i}"), "2023-03-01", "14", "60-64"))
        .collect();
    let mut population = HashMap::new();
    for (band, target) in [
        ("50-54", 8.0),
        ("55-59", 30.0),
        ("60-64", 40.0),
        ("65-69", 40.0),
        ("70-74", 40.0),
    ] {
        population.insert(("14".to_string(), band.to_string()), target);
    }
    let table = participation_table(
        ScreeningProgramme::Breast,
        &tests,
        &population,
        730,
        day("2023-12-31"),
        &PublicationRules::default(),
    )
    .unwrap();
    let row = |band: &str| band_row(&table, band);
    assert_eq!(table.cell("target_population", row("50-54")).unwrap(), "");
    assert_eq!(table.cell("participation", row("50-54")).unwrap(), "");
    assert_eq!(table.cell("target_population", row("55-59")).unwrap(), "");
    assert_eq!(table.cell("participation", row("55-59")).unwrap(), "");
    assert_eq!(table.cell("target_population", row("60-64")).unwrap(), "40");
    assert_eq!(table.cell("screened_in_round", row("60-64")).unwrap(), "12");
    assert_eq!(table.cell("participation", row("60-64")).unwrap(), "0.3000");
    assert_eq!(
        table.cell("target_population", row("total")).unwrap(),
        "158"
    );
}

#[test]
fn cross_table_totals_and_shares() {
    // Screen-detected: stage I twice, II once; interval: II once.
    let items = vec![
        (vec!["screen_detected".to_string()], "I".to_string()),
        (vec!["screen_detected".to_string()], "I".to_string()),
        (vec!["screen_detected".to_string()], "II".to_string()),
        (vec!["interval".to_string()], "II".to_string()),
    ];
    let table =
        cross_table(&["detection_mode"], "stage", items, &NO_SUPPRESSION)
            .unwrap();
    let find = |mode: &str, stage: &str| {
        (0..table.rows())
            .find(|&r| {
                table.cell("detection_mode", r).unwrap() == mode
                    && table.cell("stage", r).unwrap() == stage
            })
            .unwrap()
    };
    let row = find("screen_detected", "I");
    assert_eq!(table.cell("tumours", row).unwrap(), "2");
    assert_eq!(table.cell("share", row).unwrap(), "0.6667");
    let total = find("total", "II");
    assert_eq!(table.cell("tumours", total).unwrap(), "2");
    assert_eq!(table.cell("share", total).unwrap(), "0.5000");
}

fn treated_after(days: i64, id: usize) -> TumourPathway {
    let mut tumour = example_tumour("2023-01-02");
    tumour.tumour_id = format!("P{id:08}-T1");
    let date = day("2023-01-02") + chrono::Duration::days(days);
    let event = rnc_pathway::Event {
        date: PartialDate::from_date(date),
        kind: rnc_pathway::EventKind::Treatment(rnc_pathway::Modality::Surgery),
        detail: String::new(),
        establishment: None,
        first_diagnostic_act: false,
        source: rnc_pathway::timeline::EventSource {
            record_id: "treatment/C1".to_string(),
            kind: SourceKind::Treatment,
            batch_id: "B000001".to_string(),
            file: "treatment.csv".to_string(),
            line: 2,
        },
    };
    summarise_pathway(&tumour, &[event], None, &PathwaySettings::default())
}

#[test]
fn delay_histogram_weeks() {
    // Delays 0, 6, 7, 30 and 200 days in weekly bins with an open bin
    // from 28 days: 0-6 two, 7-13 one, 28+ two.
    let pathways: Vec<TumourPathway> = [0, 6, 7, 30, 200]
        .iter()
        .enumerate()
        .map(|(id, d)| treated_after(*d, id))
        .collect();
    let bins = delay_histogram(&pathways, 7, 4, &NO_SUPPRESSION).unwrap();
    let labels: Vec<&str> = bins.iter().map(|(l, _)| l.as_str()).collect();
    assert_eq!(labels, ["0-6", "7-13", "14-20", "21-27", "28+"]);
    let counts: Vec<Option<i64>> = bins.iter().map(|(_, n)| *n).collect();
    assert_eq!(counts, [Some(2), Some(1), Some(0), Some(0), Some(2)]);
    // With the default threshold every non-zero bin is below 11.
    let suppressed =
        delay_histogram(&pathways, 7, 4, &PublicationRules::default()).unwrap();
    assert_eq!(suppressed[0].1, None);
    assert_eq!(suppressed[2].1, Some(0));
}

#[test]
fn net_survival_without_expected_deaths_is_kaplan_meier() {
    // With a zero population hazard, Pohar-Perme is Kaplan-Meier. Four
    // patients: deaths at 100 and 500 days, censored at 300 and 800.
    // S(1 year = 365.241 days) = 3/4 = 0.75; S(2 years) after the death
    // at 500 among the 2 at risk: 0.75 * 1/2 = 0.375; 3 years is beyond
    // the last follow-up (800 days), so empty.
    let mut csv = String::from("sex,age,year,hazard\n");
    for age in [0, 110] {
        for year in [2019, 2030] {
            csv.push_str(&format!("female,{age},{year},0\n"));
        }
    }
    let table = LifeTable::from_csv(csv.as_bytes(), "zero").unwrap();
    let patient = |days: u32, died: bool| CohortPatient {
        follow_up: FollowUp { days, died },
        entry_days: 0,
        sex: table.sex_index("female").unwrap(),
        age_days: 60.5 * 365.241,
        diagnosis_date: day("2020-01-01"),
    };
    let groups = BTreeMap::from([(
        ("breast".to_string(), "interval".to_string()),
        vec![
            patient(100, true),
            patient(300, false),
            patient(500, true),
            patient(800, false),
        ],
    )]);
    let out = net_survival_table(&groups, &table, &[1.0, 2.0, 3.0], 1).unwrap();
    assert_eq!(out.rows(), 3);
    assert_eq!(out.cell("net_survival", 0).unwrap(), "0.7500");
    assert_eq!(out.cell("net_survival", 1).unwrap(), "0.3750");
    assert_eq!(out.cell("net_survival", 2).unwrap(), "");
    assert_eq!(out.cell("patients", 0).unwrap(), "4");
    // A group under the minimum size is left out.
    let none = net_survival_table(&groups, &table, &[1.0], 5).unwrap();
    assert_eq!(none.rows(), 0);
}
