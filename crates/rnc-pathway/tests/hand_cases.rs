//! Pathway indicators on small cases computed by hand in each test.

use chrono::NaiveDate;
use rnc_model::{
    PartialDate, ScreeningProgramme, ScreeningResult, ScreeningTest, Sex,
    SourceKind, TreatmentType, Tumour,
};
use rnc_pathway::indicators::{
    delay_statistics, delay_table, died_after_surgery, high_volume_table,
    label_table, postoperative_table, quantile,
};
use rnc_pathway::screening::{
    DetectionMode, ScreeningEvent, ScreeningSettings, classify_detection,
    detection_sensitivity, wilson,
};
use rnc_pathway::{
    LinkedRecord, PathwayRecord, PathwaySettings, PublicationRules,
    TreatmentStatus, TumourPathway, build_timeline, example_tumour,
    summarise_pathway,
};

fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

fn treatment(
    id: &str,
    kind: TreatmentType,
    date: &str,
    finess: &str,
) -> LinkedRecord {
    let record = PathwayRecord {
        record_id: format!("treatment/{id}"),
        batch_id: "B000001".to_string(),
        source_kind: Some(SourceKind::Treatment),
        source_file: "treatment.csv".to_string(),
        source_line: 2,
        event_date: Some(PartialDate::parse_iso(date).unwrap()),
        treatment: Some(kind),
        establishment: Some(finess.to_string()),
        procedure_code: (kind == TreatmentType::Surgery)
            .then(|| "QEFA003".to_string()),
        ..PathwayRecord::default()
    };
    LinkedRecord {
        record,
        person_id: "P00000001".to_string(),
        tumour_id: Some("P00000001-T1".to_string()),
    }
}

fn stay(id: &str, date: &str, main: &str) -> LinkedRecord {
    let record = PathwayRecord {
        record_id: format!("hospital_stay/{id}"),
        batch_id: "B000002".to_string(),
        source_kind: Some(SourceKind::HospitalStay),
        source_file: "hospital_stay.csv".to_string(),
        source_line: 7,
        event_date: Some(PartialDate::parse_iso(date).unwrap()),
        icd10: Some(main.to_string()),
        establishment: Some("750000002".to_string()),
        ..PathwayRecord::default()
    };
    LinkedRecord {
        record,
        person_id: "P00000001".to_string(),
        tumour_id: Some("P00000001-T1".to_string()),
    }
}

fn pathway(
    tumour: &Tumour,
    records: &[LinkedRecord],
    death: Option<&str>,
) -> TumourPathway {
    let refs: Vec<&LinkedRecord> = records.iter().collect();
    let events = build_timeline(tumour, &refs);
    summarise_pathway(
        tumour,
        &events,
        death.map(day),
        &PathwaySettings::default(),
    )
}

#[test]
fn delay_counts_days_from_incidence() {
    // Diagnosis 1 March 2023, surgery 29 March (28 days), then a
    // chemotherapy session on 2 May and radiotherapy on 1 July: first line
    // surgery > chemotherapy > radiotherapy, all within 180 days.
    let tumour = example_tumour("2023-03-01");
    let records = [
        stay("S2", "2023-05-02", "Z51.1"),
        treatment("T1", TreatmentType::Surgery, "2023-03-29", "750000001"),
        stay("S3", "2023-07-01", "Z51.0"),
    ];
    let p = pathway(&tumour, &records, None);
    assert_eq!(p.status, TreatmentStatus::Treated);
    assert_eq!(p.delay_days, Some(28));
    assert_eq!(p.sequence_label(), "surgery>chemotherapy>radiotherapy");
    assert_eq!(p.combination(), "surgery+chemotherapy+radiotherapy");
    assert_eq!(p.treating_establishment(), "750000001");
    assert_eq!(p.surgery.as_ref().unwrap().date, day("2023-03-29"));
}

#[test]
fn treatment_before_diagnosis_counts_as_zero() {
    // The surgical specimen dates the diagnosis 10 days after surgery:
    // delay -10, status treated before diagnosis, 0 days in statistics.
    let tumour = example_tumour("2023-03-11");
    let records = [treatment(
        "T1",
        TreatmentType::Surgery,
        "2023-03-01",
        "750000001",
    )];
    let p = pathway(&tumour, &records, None);
    assert_eq!(p.status, TreatmentStatus::TreatedBeforeDiagnosis);
    assert_eq!(p.delay_days, Some(-10));
    let stats = delay_statistics([&p]);
    assert_eq!(stats.median, Some(0.0));
    assert_eq!(stats.within_30, Some(1.0));
}

#[test]
fn treatment_long_before_diagnosis_ignored() {
    // 60 days before diagnosis is beyond the 31-day allowance: another
    // episode, ignored, so the tumour is untreated.
    let tumour = example_tumour("2023-03-01");
    let records = [treatment(
        "T1",
        TreatmentType::Surgery,
        "2022-12-31",
        "750000001",
    )];
    let p = pathway(&tumour, &records, None);
    assert_eq!(p.status, TreatmentStatus::Untreated);
    assert_eq!(p.ignored_acts, 1);
    assert_eq!(p.delay_days, None);
}

#[test]
fn no_treatment_has_no_delay() {
    let tumour = example_tumour("2023-03-01");
    let records = [stay("S1", "2023-03-01", "C50.4")];
    let p = pathway(&tumour, &records, None);
    assert_eq!(p.status, TreatmentStatus::Untreated);
    assert_eq!(p.first_treatment, None);
    assert_eq!(p.combination(), "none");
    let stats = delay_statistics([&p]);
    assert_eq!(stats.treated, 0);
    assert_eq!(stats.median, None);
    assert_eq!(stats.within_60, None);
}

#[test]
fn death_before_treatment() {
    // Died on 20 March; a radiotherapy act dated 25 March is after death,
    // a data error, and is ignored.
    let tumour = example_tumour("2023-03-01");
    let records = [treatment(
        "T1",
        TreatmentType::Radiotherapy,
        "2023-03-25",
        "750000001",
    )];
    let p = pathway(&tumour, &records, Some("2023-03-20"));
    assert_eq!(p.status, TreatmentStatus::DiedBeforeTreatment);
    assert_eq!(p.ignored_acts, 1);
    assert_eq!(p.delay_days, None);
}

#[test]
fn timeline_keeps_sources_in_date_order() {
    let tumour = example_tumour("2023-03-01");
    let records = [
        treatment("T1", TreatmentType::Surgery, "2023-03-29", "750000001"),
        stay("S1", "2023-03-01", "C50.4"),
    ];
    let refs: Vec<&LinkedRecord> = records.iter().collect();
    let events = build_timeline(&tumour, &refs);
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].kind.label(), "hospital_stay");
    assert!(events[0].first_diagnostic_act);
    assert_eq!(events[0].source.file, "hospital_stay.csv");
    assert_eq!(events[0].source.line, 7);
    assert_eq!(events[1].kind.label(), "surgery");
    assert_eq!(events[1].detail, "QEFA003");
    assert!(!events[1].first_diagnostic_act);
}

#[test]
fn quantiles_match_r_type_7() {
    // R: quantile(c(0, 10, 20, 40), c(0.25, 0.5, 0.75)) gives 7.5, 15, 25.
    let values = [0.0, 10.0, 20.0, 40.0];
    assert_eq!(quantile(&values, 0.25), Some(7.5));
    assert_eq!(quantile(&values, 0.5), Some(15.0));
    assert_eq!(quantile(&values, 0.75), Some(25.0));
    assert_eq!(quantile(&[], 0.5), None);
}

/// Builds a treated pathway of `site` with a surgery after `delay` days.
fn operated(
    id: usize,
    site: &str,
    delay: i64,
    finess: &str,
    death: Option<&str>,
) -> TumourPathway {
    let mut tumour = example_tumour("2023-01-02");
    tumour.tumour_id = format!("P{id:08}-T1");
    tumour.site_group = site.to_string();
    let surgery = day("2023-01-02") + chrono::Duration::days(delay);
    let records = [treatment(
        "T1",
        TreatmentType::Surgery,
        &surgery.to_string(),
        finess,
    )];
    pathway(&tumour, &records, death)
}

#[test]
fn delay_table_suppresses_small_groups() {
    // 12 breast tumours with delays 1..=12 days and 3 untreated; 5 colon
    // tumours with 40 days. Breast: median 6.5, Q1 3.75, Q3 9.25 (R 4.2:
    // quantile(1:12, c(0.25, 0.5, 0.75))), all within 30 days. The
    // untreated breast count 3 is suppressed, and with it its complement,
    // the treated 12. Colon: 5
    // treated, below 11, so its count and statistics are suppressed, and
    // the breast total 15 too, which with the published total 20 would
    // give the colon 5 away. The median and quartiles of the 12 still
    // show, as 12 passes the threshold, but not the shares: with four
    // decimals a share is a fraction k / n that gives the hidden 12 back.
    let mut pathways: Vec<TumourPathway> = (1..=12)
        .map(|d| operated(d as usize, "breast", d, "750000001", None))
        .collect();
    for id in 13..=15 {
        let mut tumour = example_tumour("2023-01-02");
        tumour.tumour_id = format!("P{id:08}-T1");
        pathways.push(pathway(&tumour, &[], None));
    }
    for id in 16..=20 {
        pathways.push(operated(id, "colon_rectum", 40, "750000001", None));
    }
    let table = delay_table(&pathways, &PublicationRules::default()).unwrap();
    let row =
        row_where(&table, &[("dimension", "site_group"), ("level", "breast")]);
    assert_eq!(table.cell("tumours", row).unwrap(), "");
    assert_eq!(table.cell("treated", row).unwrap(), "");
    assert_eq!(table.cell("not_treated", row).unwrap(), "");
    assert_eq!(table.cell("median_days", row).unwrap(), "6.5000");
    assert_eq!(table.cell("q1_days", row).unwrap(), "3.7500");
    assert_eq!(table.cell("q3_days", row).unwrap(), "9.2500");
    assert_eq!(table.cell("within_30_days", row).unwrap(), "");
    assert_eq!(table.cell("within_60_days", row).unwrap(), "");
    assert_eq!(table.cell("few_cases", row).unwrap(), "yes");
    let colon = row_where(&table, &[("level", "colon_rectum")]);
    assert_eq!(table.cell("tumours", colon).unwrap(), "");
    assert_eq!(table.cell("median_days", colon).unwrap(), "");
    assert_eq!(table.cell("status", colon).unwrap(), "primary");

    // Without suppression every count shows: 17 treated of 20.
    let rules = PublicationRules {
        small_cell_threshold: 1,
        few_cases: 20,
    };
    let table = delay_table(&pathways, &rules).unwrap();
    let total =
        row_where(&table, &[("dimension", "site_group"), ("level", "total")]);
    assert_eq!(table.cell("tumours", total).unwrap(), "20");
    assert_eq!(table.cell("treated", total).unwrap(), "17");
    assert_eq!(table.cell("not_treated", total).unwrap(), "3");
    // 1..=12 and five 40s: 12 of 17 within 30 days.
    assert_eq!(table.cell("within_30_days", total).unwrap(), "0.7059");
}

#[test]
fn delay_shares_hide_small_bands() {
    // 20 treated breast tumours: 15 operated after 10 days, 5 after 40.
    // Every count of the row passes the threshold of 11, but the share
    // within 30 days (0.75) times the published 20 treated gives the 5
    // treated after 30 days, so both shares are withheld. The 5 are
    // primary suppressed in the delay cube; the median (10, R 4.2:
    // median(c(rep(10, 15), rep(40, 5)))) still shows.
    let mut pathways: Vec<TumourPathway> = (1..=15)
        .map(|id| operated(id, "breast", 10, "750000001", None))
        .collect();
    for id in 16..=20 {
        pathways.push(operated(id, "breast", 40, "750000001", None));
    }
    let table = delay_table(&pathways, &PublicationRules::default()).unwrap();
    let row =
        row_where(&table, &[("dimension", "site_group"), ("level", "breast")]);
    assert_eq!(table.cell("treated", row).unwrap(), "20");
    assert_eq!(table.cell("median_days", row).unwrap(), "10.0000");
    assert_eq!(table.cell("within_30_days", row).unwrap(), "");
    assert_eq!(table.cell("within_60_days", row).unwrap(), "");

    // 15 more after 40 days: the bands are 15, 20 and 0, all published,
    // so the shares show: 15 of 35 within 30 days, all 35 within 60.
    for id in 21..=35 {
        pathways.push(operated(id, "breast", 40, "750000001", None));
    }
    let table = delay_table(&pathways, &PublicationRules::default()).unwrap();
    let row =
        row_where(&table, &[("dimension", "site_group"), ("level", "breast")]);
    assert_eq!(table.cell("within_30_days", row).unwrap(), "0.4286");
    assert_eq!(table.cell("within_60_days", row).unwrap(), "1.0000");
}

#[test]
fn combinations_share_of_site_group() {
    // 12 breast tumours operated, 11 of them with radiotherapy too, and
    // 11 colon tumours operated only: breast surgery+radiotherapy 11/12,
    // surgery alone 1/12 (suppressed, then its complement too).
    let mut pathways = Vec::new();
    for id in 0..12 {
        let mut tumour = example_tumour("2023-01-02");
        tumour.tumour_id = format!("P{id:08}-T1");
        let mut records = vec![treatment(
            "T1",
            TreatmentType::Surgery,
            "2023-02-01",
            "750000001",
        )];
        if id < 11 {
            records.push(stay("S9", "2023-04-03", "Z51.0"));
        }
        pathways.push(pathway(&tumour, &records, None));
    }
    for id in 12..23 {
        pathways.push(operated(id, "colon_rectum", 20, "750000001", None));
    }
    let rules = PublicationRules::default();
    let table =
        label_table(&pathways, "combination", |p| p.combination(), &rules)
            .unwrap();
    let find = |site: &str, label: &str| {
        row_where(
            &table,
            &[
                ("dimension", "site_group"),
                ("level", site),
                ("combination", label),
            ],
        )
    };
    // Breast surgery alone (1) is suppressed, then its complement in the
    // breast row (11), then colon surgery (11), which with the published
    // total of "surgery" over sites would give the breast 1 away.
    let colon = find("colon_rectum", "surgery");
    assert_eq!(table.cell("tumours", colon).unwrap(), "");
    let alone = find("breast", "surgery");
    assert_eq!(table.cell("tumours", alone).unwrap(), "");
    let both = find("breast", "surgery+radiotherapy");
    assert_eq!(table.cell("tumours", both).unwrap(), "");

    let rules = PublicationRules {
        small_cell_threshold: 1,
        few_cases: 20,
    };
    let table =
        label_table(&pathways, "combination", |p| p.combination(), &rules)
            .unwrap();
    let both = row_where(
        &table,
        &[
            ("dimension", "site_group"),
            ("combination", "surgery+radiotherapy"),
            ("level", "breast"),
        ],
    );
    assert_eq!(table.cell("tumours", both).unwrap(), "11");
    assert_eq!(table.cell("share", both).unwrap(), "0.9167");
    // The same tumours by sex: all 23 are women (the example tumour), so
    // surgery+radiotherapy is 11 of 23.
    let by_sex = row_where(
        &table,
        &[
            ("dimension", "sex"),
            ("level", "female"),
            ("combination", "surgery+radiotherapy"),
        ],
    );
    assert_eq!(table.cell("share", by_sex).unwrap(), "0.4783");
}

#[test]
fn high_volume_share() {
    // Establishment A operates 12 breast tumours in 2023, B operates 11:
    // with a threshold of 12, 12 of 23 are in a high-volume establishment.
    let mut pathways = Vec::new();
    for id in 0..12 {
        pathways.push(operated(id, "breast", 20, "A", None));
    }
    for id in 12..23 {
        pathways.push(operated(id, "breast", 20, "B", None));
    }
    let table =
        high_volume_table(&pathways, 12, &PublicationRules::default()).unwrap();
    let total =
        row_where(&table, &[("dimension", "site_group"), ("level", "breast")]);
    assert_eq!(table.cell("operated", total).unwrap(), "23");
    assert_eq!(table.cell("high_volume", total).unwrap(), "12");
    assert_eq!(table.cell("high_volume_share", total).unwrap(), "0.5217");
}

#[test]
fn postoperative_mortality_follow_up() {
    // Surgery on 2023-01-22 (delay 20). Death on day 10: died within 30
    // and 90. Death on day 50: alive at 30, died within 90. Alive, closing
    // on 2023-03-01 (day 38): followed 30 days, not 90.
    let closing = day("2023-03-01");
    let early = operated(1, "breast", 20, "A", Some("2023-02-01"));
    let late = operated(2, "breast", 20, "A", Some("2023-03-13"));
    let alive = operated(3, "breast", 20, "A", None);
    assert_eq!(died_after_surgery(&early, 30, closing), Some(true));
    assert_eq!(died_after_surgery(&early, 90, closing), Some(true));
    assert_eq!(died_after_surgery(&late, 30, closing), Some(false));
    // Death after the closing date is not known yet: not followed 90 days.
    assert_eq!(died_after_surgery(&late, 90, closing), None);
    assert_eq!(died_after_surgery(&alive, 30, closing), Some(false));
    assert_eq!(died_after_surgery(&alive, 90, closing), None);

    // 20 operated alive and followed 90 days, 2 deaths within 30 days:
    // 30-day mortality 2/22 = 0.0909, but 2 is suppressed, and so is its
    // complement (the 20 alive).
    let closing = day("2023-12-31");
    let mut pathways: Vec<TumourPathway> = (0..20)
        .map(|id| operated(id, "breast", 20, "A", None))
        .collect();
    pathways.push(operated(20, "breast", 20, "A", Some("2023-02-01")));
    pathways.push(operated(21, "breast", 20, "A", Some("2023-02-02")));
    let table =
        postoperative_table(&pathways, closing, &PublicationRules::default())
            .unwrap();
    let row = row_where(&table, &[("level", "breast")]);
    assert_eq!(table.cell("operated_30", row).unwrap(), "22");
    assert_eq!(table.cell("deaths_30", row).unwrap(), "");
    assert_eq!(table.cell("mortality_30", row).unwrap(), "");
    let rules = PublicationRules {
        small_cell_threshold: 1,
        few_cases: 20,
    };
    let table = postoperative_table(&pathways, closing, &rules).unwrap();
    let row = row_where(&table, &[("level", "breast")]);
    assert_eq!(table.cell("deaths_30", row).unwrap(), "2");
    assert_eq!(table.cell("mortality_30", row).unwrap(), "0.0909");
    assert_eq!(table.cell("mortality_90", row).unwrap(), "0.0909");
}

/// Returns the first row whose columns have the given values.
fn row_where(
    table: &rnc_pathway::table::Table,
    wanted: &[(&str, &str)],
) -> usize {
    (0..table.rows())
        .find(|&r| {
            wanted
                .iter()
                .all(|(column, value)| table.cell(column, r).unwrap() == *value)
        })
        .unwrap_or_else(|| panic!("no row with {wanted:?}"))
}

fn test_on(date: &str, result: ScreeningResult) -> ScreeningEvent {
    ScreeningEvent {
        programme: ScreeningProgramme::Breast,
        test: ScreeningTest::Mammography,
        date: day(date),
        result,
    }
}

#[test]
fn detection_modes_by_hand() {
    let settings = ScreeningSettings::default();
    let diagnosis = day("2023-06-01");
    let classify = |tests: &[ScreeningEvent], age| {
        classify_detection(
            ScreeningProgramme::Breast,
            Sex::Female,
            Some(age),
            diagnosis,
            tests,
            &settings,
        )
    };
    // Positive mammography 40 days before diagnosis.
    let found =
        classify(&[test_on("2023-04-22", ScreeningResult::Positive)], 60);
    assert_eq!(found.mode, DetectionMode::ScreenDetected);
    assert_eq!(found.test_date, Some(day("2023-04-22")));

    // Negative 14 months before: interval cancer (interval 24 months,
    // 730 days).
    let interval =
        classify(&[test_on("2022-04-01", ScreeningResult::Negative)], 60);
    assert_eq!(interval.mode, DetectionMode::Interval);

    // Negative 25 months before: a non-participant in the last round.
    let lapsed =
        classify(&[test_on("2021-05-01", ScreeningResult::Negative)], 60);
    assert_eq!(lapsed.mode, DetectionMode::NonParticipant);

    // A false positive 8 months before, worked up without finding the
    // cancer: a negative episode, so an interval cancer.
    let false_positive =
        classify(&[test_on("2022-10-01", ScreeningResult::Positive)], 60);
    assert_eq!(false_positive.mode, DetectionMode::Interval);

    // An inadequate test is no episode.
    let inadequate =
        classify(&[test_on("2023-01-01", ScreeningResult::Inadequate)], 60);
    assert_eq!(inadequate.mode, DetectionMode::NonParticipant);

    // Screening after diagnosis decides nothing and is counted.
    let after =
        classify(&[test_on("2023-07-01", ScreeningResult::Positive)], 60);
    assert_eq!(after.mode, DetectionMode::NonParticipant);
    assert_eq!(after.tests_after_diagnosis, 1);

    // At 80, outside the target population.
    let old = classify(&[], 80);
    assert_eq!(old.mode, DetectionMode::NotEligible);
}

#[test]
fn sensitivity_detection_method() {
    // 8 screen-detected, 2 interval: 0.8. Wilson 95 % limits for 8/10:
    // centre (0.8 + 1.92/10) / (1 + 3.84/10), half width
    // 1.96 * sqrt(0.016 + 0.0096) / 1.384: 0.4902 to 0.9433
    // (R: prop.test(8, 10, correct = FALSE)$conf.int).
    let mut modes = vec![DetectionMode::ScreenDetected; 8];
    modes.extend([DetectionMode::Interval; 2]);
    modes.push(DetectionMode::NonParticipant);
    let p = detection_sensitivity(&modes);
    assert_eq!(p.events, 8);
    assert_eq!(p.total, 10);
    assert!((p.estimate.unwrap() - 0.8).abs() < 1e-12);
    assert!((p.lower.unwrap() - 0.4902).abs() < 1e-4, "{:?}", p.lower);
    assert!((p.upper.unwrap() - 0.9433).abs() < 1e-4, "{:?}", p.upper);
    assert_eq!(wilson(0, 0).estimate, None);
}
