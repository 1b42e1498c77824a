//! The comparison with a known truth on two tumours computed by hand.

use chrono::NaiveDate;
use rnc_model::{PartialDate, SourceKind};
use rnc_pathway::screening::DetectionMode;
use rnc_pathway::timeline::EventSource;
use rnc_pathway::truth::{MatchedTumour, TrueTumour, compare_with_truth};
use rnc_pathway::{
    Event, EventKind, Modality, PathwaySettings, example_tumour,
    summarise_pathway,
};

fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

fn surgery_on(date: &str) -> Event {
    Event {
        date: PartialDate::parse_iso(date).unwrap(),
        kind: EventKind::Treatment(Modality::Surgery),
        detail: String::new(),
        establishment: None,
        first_diagnostic_act: false,
        source: EventSource {
            record_id: "treatment/C1".to_string(),
            kind: SourceKind::Treatment,
            batch_id: "B000001".to_string(),
            file: "treatment.csv".to_string(),
            line: 2,
        },
    }
}

#[test]
fn deviations_by_hand() {
    // Tumour 1: operated 20 days after diagnosis in both, died 10 days
    // after surgery in both. Tumour 2: the registry saw surgery after 40
    // days, the truth after 30; alive. Modes: screen-detected in both for
    // tumour 1; interval in the registry, screen-detected in truth for 2.
    let settings = PathwaySettings::default();
    let tumour = example_tumour("2023-01-01");
    let first = summarise_pathway(
        &tumour,
        &[surgery_on("2023-01-21")],
        Some(day("2023-01-31")),
        &settings,
    );
    let second = summarise_pathway(
        &tumour,
        &[surgery_on("2023-02-10")],
        None,
        &settings,
    );
    let matched = [
        MatchedTumour {
            pathway: &first,
            detection_mode: Some(DetectionMode::ScreenDetected),
            truth: TrueTumour {
                delay_days: Some(20),
                first_modality: Some(Modality::Surgery),
                detection_mode: Some(DetectionMode::ScreenDetected),
                surgery: Some(day("2023-01-21")),
                death: Some(day("2023-01-31")),
            },
        },
        MatchedTumour {
            pathway: &second,
            detection_mode: Some(DetectionMode::Interval),
            truth: TrueTumour {
                delay_days: Some(30),
                first_modality: Some(Modality::Surgery),
                detection_mode: Some(DetectionMode::ScreenDetected),
                surgery: Some(day("2023-01-31")),
                death: None,
            },
        },
    ];
    let deviations = compare_with_truth(&matched, day("2023-12-31"));
    let value = |name: &str| {
        let d = deviations.iter().find(|d| d.indicator == name).unwrap();
        (d.registry.unwrap(), d.truth.unwrap())
    };
    // Medians of (20, 40) and (20, 30).
    assert_eq!(value("median delay (days)"), (30.0, 25.0));
    assert_eq!(value("within 30 days"), (0.5, 1.0));
    // Tumour 2 is 10 days off, beyond 7.
    assert_eq!(
        value("tumours with delay within 7 days of truth"),
        (0.5, 1.0)
    );
    assert_eq!(value("tumours with the true first modality"), (1.0, 1.0));
    assert_eq!(value("30-day post-operative mortality"), (0.5, 0.5));
    assert_eq!(value("share screen_detected"), (0.5, 1.0));
    assert_eq!(value("tumours with the true detection mode"), (0.5, 1.0));
    // Detection method: 1 / (1 + 1) against 2 / 2.
    assert_eq!(value("sensitivity (detection method)"), (0.5, 1.0));
}
