//! Date rules of every feed: partial and unknown dates, impossible dates,
//! the order of the dates of a row, and the age across 29 February.
//!
//! The cases are those of three known faults of health-data software: a
//! death or birth date that contradicts the diagnosis date passing into
//! survival as a negative time, the `99999999` unknown-date mark read as a
//! real date, and an age one year too high across 29 February. Expected
//! values are by calendar arithmetic.

mod common;

use common::ingest;
use rnc_model::{PartialDate, SourceKind};

/// A valid row of each feed, as (column, value) pairs. Every date is
/// complete, the birth date is the earliest, and each ordered pair of the
/// feed specification holds.
fn template(kind: SourceKind) -> Vec<(&'static str, String)> {
    let person = [("sex", "2"), ("birth_date", "1950-01-15")];
    let mut row: Vec<(&str, &str)> = match kind {
        SourceKind::RegistryExtract => vec![
            ("tumour_ref", "T1"),
            ("registry", "R14"),
            ("birth_name", "Martin"),
            ("departement", "14"),
            ("incidence_date", "2020-06-01"),
            ("topography", "C50.4"),
            ("morphology", "8500"),
            ("behaviour", "3"),
            ("basis_of_diagnosis", "7"),
            ("death_date", "2022-01-01"),
            ("last_contact_date", "2021-01-01"),
        ],
        SourceKind::HospitalStay => vec![
            ("stay_id", "S1"),
            ("finess", "140000001"),
            ("departement", "14"),
            ("admission_date", "2020-06-01"),
            ("discharge_date", "2020-06-05"),
            ("main_diagnosis", "C50.4"),
        ],
        SourceKind::PathologyReport => vec![
            ("report_id", "P1"),
            ("laboratory", "L1"),
            ("birth_name", "Martin"),
            ("specimen_date", "2020-06-01"),
            ("report_date", "2020-06-05"),
            ("topography", "C50.4"),
            ("morphology", "8500"),
            ("behaviour", "3"),
        ],
        SourceKind::DeathRecord => vec![
            ("certificate_id", "D1"),
            ("birth_name", "Martin"),
            ("departement", "14"),
            ("death_date", "2022-01-01"),
            ("underlying_cause", "C50.9"),
        ],
        SourceKind::LongTermIllness => vec![
            ("ald_id", "A1"),
            ("departement", "14"),
            ("icd10", "C50.4"),
            ("start_date", "2020-06-10"),
        ],
        SourceKind::Screening => vec![
            ("screening_id", "K1"),
            ("programme", "breast"),
            ("test", "mammography"),
            ("departement", "14"),
            ("test_date", "2020-05-01"),
            ("result", "positive"),
        ],
        SourceKind::Treatment => vec![
            ("treatment_id", "X1"),
            ("finess", "140000001"),
            ("treatment", "surgery"),
            ("start_date", "2020-06-20"),
            ("end_date", "2020-06-25"),
            ("procedure_code", "QEFA003"),
        ],
        SourceKind::ClinicalRecord => vec![
            ("condition_ref", "C1"),
            ("organisation", "140000001"),
            ("birth_name", "Martin"),
            ("diagnosis_date", "2020-06-01"),
            ("recorded_date", "2020-06-03"),
            ("topography", "C50.4"),
            ("morphology", "8500"),
            ("behaviour", "3"),
            ("death_date", "2022-01-01"),
        ],
    };
    row.extend(person);
    row.into_iter().map(|(c, v)| (c, v.to_string())).collect()
}

fn csv(row: &[(&str, String)]) -> String {
    let header: Vec<&str> = row.iter().map(|(c, _)| *c).collect();
    let values: Vec<&str> = row.iter().map(|(_, v)| v.as_str()).collect();
    format!("{}\n{}\n", header.join(","), values.join(","))
}

/// The row with `column` set to `value`.
fn with(
    row: &[(&'static str, String)],
    column: &str,
    value: &str,
) -> Vec<(&'static str, String)> {
    row.iter()
        .map(|(c, v)| {
            let value = if *c == column { value } else { v.as_str() };
            (*c, value.to_string())
        })
        .collect()
}

fn day_after(text: &str) -> String {
    let date = PartialDate::parse_iso(text).unwrap().complete().unwrap();
    date.succ_opt().unwrap().format("%Y-%m-%d").to_string()
}

/// The value of `column` in the row.
fn value(row: &[(&'static str, String)], column: &str) -> String {
    row.iter().find(|(c, _)| *c == column).unwrap().1.clone()
}

#[test]
fn templates_are_accepted() {
    for kind in SourceKind::ALL {
        let outcome = ingest(kind, "t.csv", &csv(&template(kind)));
        assert!(
            outcome.quarantine.is_empty(),
            "{kind}: {:?}",
            outcome.quarantine
        );
    }
}

#[test]
fn birth_after_any_date_of_any_feed() {
    // A person cannot have a dated event before birth, whatever the date
    // column. Each date of each feed is moved, on its own, to before the
    // birth date (15 January 1950).
    for kind in SourceKind::ALL {
        let row = template(kind);
        let dates = row
            .iter()
            .filter(|(c, _)| c.ends_with("_date") && *c != "birth_date");
        for (column, _) in dates {
            let changed = with(&row, column, "1949-06-01");
            let outcome = ingest(kind, "t.csv", &csv(&changed));
            assert_eq!(outcome.records.len(), 0, "{kind} {column}");
            let quarantined = &outcome.quarantine[0];
            assert_eq!(quarantined.field, "birth_date", "{kind} {column}");
            assert_eq!(
                quarantined.rule, "birth_after_event",
                "{kind} {column}"
            );
            let expected = format!("birth_date is after {column}");
            assert!(quarantined.message.contains(&expected), "{kind} {column}");
        }
    }
}

#[test]
fn every_ordered_pair_is_checked() {
    // The ordered pairs of docs/sources.md: incidence before death and last
    // contact, last contact before death, admission before discharge,
    // specimen before report, treatment start before end.
    let pairs = [
        (SourceKind::RegistryExtract, "incidence_date", "death_date"),
        (
            SourceKind::RegistryExtract,
            "incidence_date",
            "last_contact_date",
        ),
        (
            SourceKind::RegistryExtract,
            "last_contact_date",
            "death_date",
        ),
        (SourceKind::HospitalStay, "admission_date", "discharge_date"),
        (SourceKind::PathologyReport, "specimen_date", "report_date"),
        (SourceKind::Treatment, "start_date", "end_date"),
        (SourceKind::ClinicalRecord, "diagnosis_date", "death_date"),
        (
            SourceKind::ClinicalRecord,
            "diagnosis_date",
            "recorded_date",
        ),
    ];
    for (kind, first, second) in pairs {
        let row = template(kind);
        let changed = with(&row, first, &day_after(&value(&row, second)));
        let outcome = ingest(kind, "t.csv", &csv(&changed));
        assert_eq!(outcome.records.len(), 0, "{kind} {first} {second}");
        let problem = format!("{first}:date_order");
        assert!(
            outcome.quarantine[0].problems.contains(&problem),
            "{kind} {first} {second}: {}",
            outcome.quarantine[0].problems
        );
    }
}

#[test]
fn death_before_diagnosis_is_rejected() {
    // Death before diagnosis (P1) and birth after diagnosis (P2) are
    // rejected. Death on the day of diagnosis (P3) and a clean row (P4)
    // are kept.
    let row = template(SourceKind::RegistryExtract);
    let p1 = with(
        &with(&row, "incidence_date", "2020-05-10"),
        "death_date",
        "2020-03-01",
    );
    let p1 = with(&p1, "last_contact_date", "");
    let p2 = with(
        &with(&row, "birth_date", "2021-01-15"),
        "incidence_date",
        "2020-06-01",
    );
    let p3 = with(
        &with(&row, "incidence_date", "2020-01-20"),
        "death_date",
        "2020-01-20",
    );
    let p3 = with(&p3, "last_contact_date", "");
    let p4 = with(&row, "incidence_date", "2019-09-09");
    for (name, case, accepted) in [
        ("P1", p1, false),
        ("P2", p2, false),
        ("P3", p3, true),
        ("P4", p4, true),
    ] {
        let outcome = ingest(SourceKind::RegistryExtract, "r.csv", &csv(&case));
        assert_eq!(
            outcome.records.len() == 1,
            accepted,
            "{name}: {:?}",
            outcome.quarantine
        );
    }
}

#[test]
fn partial_dates_order_by_their_range() {
    // Incidence in June 2020 (day unknown) and death on 10 June 2020 may
    // be in order, so the row is kept; incidence in July 2020 cannot be.
    let row = with(
        &template(SourceKind::RegistryExtract),
        "last_contact_date",
        "",
    );
    let row = with(&row, "death_date", "2020-06-10");
    let june = with(&row, "incidence_date", "2020-06-99");
    let outcome = ingest(SourceKind::RegistryExtract, "r.csv", &csv(&june));
    assert_eq!(outcome.records.len(), 1, "{:?}", outcome.quarantine);
    let july = with(&row, "incidence_date", "2020-07-99");
    let outcome = ingest(SourceKind::RegistryExtract, "r.csv", &csv(&july));
    assert_eq!(outcome.quarantine[0].rule, "date_order");
}

#[test]
fn unknown_and_partial_diagnosis_dates() {
    // Complete, partial, impossible and wholly unknown forms, as a
    // registry extract with legacy unknown-date marks has them, in the
    // event date of every feed, plus a real year 9999, which is outside
    // the years rnc reads (1800-2200).
    // A wholly unknown mark, nines or zeros, keeps the row with the date
    // absent (`Ok(None)`); no value becomes a date in year 9999 or 0000.
    let cases: [(&str, Result<Option<&str>, &str>); 10] = [
        ("20190614", Ok(Some("2019-06-14"))),
        ("99999999", Ok(None)),
        ("2019", Ok(Some("2019"))),
        ("201906", Ok(Some("2019-06"))),
        ("20190230", Err("impossible_date")),
        ("00000000", Ok(None)),
        ("0000-00-00", Ok(None)),
        ("99/99/9999", Ok(None)),
        ("99991231", Err("date_format")),
        ("00000614", Err("date_format")),
    ];
    for kind in SourceKind::ALL {
        // The template's dates after the event are all after 2019, so
        // every accepted case keeps the date order.
        let row = template(kind);
        for (text, expected) in cases {
            check_event_date(kind, &row, text, expected);
        }
    }
}

/// Ingests `row` with `text` as its event date and checks the outcome:
/// the record with the date in ISO form (`None` when unknown), or the
/// rule that quarantined it.
fn check_event_date(
    kind: SourceKind,
    row: &[(&'static str, String)],
    text: &str,
    expected: Result<Option<&str>, &str>,
) {
    let column = kind.event_column();
    let outcome = ingest(kind, "r.csv", &csv(&with(row, column, text)));
    match expected {
        Ok(iso) => {
            assert_eq!(
                outcome.records.len(),
                1,
                "{kind} {text}: {:?}",
                outcome.quarantine
            );
            let found = outcome.records[0].event_date.map(|d| d.to_iso());
            assert_eq!(found.as_deref(), iso, "{kind} {text}");
        }
        Err(rule) => {
            assert_eq!(outcome.records.len(), 0, "{kind} {text}");
            assert_eq!(outcome.quarantine[0].rule, rule, "{kind} {text}");
            assert_eq!(outcome.quarantine[0].field, column, "{kind} {text}");
        }
    }
}

#[test]
fn unknown_optional_dates_stay_unknown() {
    // 99999999 in a date that may be missing, and in the birth date, is
    // kept as unknown: the row is accepted and the date is absent.
    let row = with(
        &template(SourceKind::RegistryExtract),
        "death_date",
        "99999999",
    );
    let row = with(&row, "birth_date", "99999999");
    let outcome = ingest(SourceKind::RegistryExtract, "r.csv", &csv(&row));
    assert_eq!(outcome.records.len(), 1, "{:?}", outcome.quarantine);
    assert_eq!(outcome.records[0].death_date, None);
    assert_eq!(outcome.records[0].age_at_event, None);
    assert_eq!(outcome.records[0].birth_date_pseudonym, None);
}

#[test]
fn age_across_29_february() {
    // Calendar arithmetic, with the birthday of a person born on
    // 29 February taken as 1 March in a common year.
    let cases = [
        ("2004-03-01", "2024-02-29", 19),
        ("2000-02-29", "2024-02-29", 24),
        ("2000-02-29", "2023-02-28", 22),
        ("2000-02-29", "2023-03-01", 23),
    ];
    for kind in SourceKind::ALL {
        let row = template(kind);
        for (birth, diagnosis, age) in cases {
            // Every date but the birth date is set to the diagnosis date,
            // so that the order checks hold.
            let changed: Vec<(&'static str, String)> = row
                .iter()
                .map(|(c, v)| match *c {
                    "birth_date" => (*c, birth.to_string()),
                    c if c.ends_with("_date") => (c, diagnosis.to_string()),
                    _ => (*c, v.clone()),
                })
                .collect();
            let outcome = ingest(kind, "t.csv", &csv(&changed));
            assert_eq!(
                outcome.records.len(),
                1,
                "{kind}: {:?}",
                outcome.quarantine
            );
            assert_eq!(
                outcome.records[0].age_at_event,
                Some(age),
                "{kind} {birth} {diagnosis}"
            );
        }
    }
}

#[test]
fn leap_day_of_common_year_is_impossible() {
    let row = with(
        &template(SourceKind::DeathRecord),
        "birth_date",
        "1951-02-29",
    );
    let outcome = ingest(SourceKind::DeathRecord, "d.csv", &csv(&row));
    assert_eq!(outcome.quarantine[0].field, "birth_date");
    assert_eq!(outcome.quarantine[0].rule, "impossible_date");
}
