//! No clear identifier reaches a record, a quarantined row, a message or a
//! log line.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::{REGISTRY_HEADER, fixture, keys};
use rnc_ingest::ingest_file;
use rnc_model::SourceKind;

/// Invented identifiers planted in good and bad rows. The NIR is the
/// Corsican example of python-stdnum's doctests.
const NIR: &str = "253072B07300470";
const BIRTH_NAME: &str = "Zyxwvutsrq";
const USAGE_NAME: &str = "Plokijuhyg";
const FIRST_NAME: &str = "Qwertzuiopa";
const BIRTH_DATE: &str = "1953-07-14";
const IMPOSSIBLE_BIRTH_DATE: &str = "1953-02-30";
const UNREADABLE_BIRTH_DATE: &str = "14-07-1953x";

/// Every form in which a planted value could leak.
fn planted() -> Vec<String> {
    vec![
        NIR.into(),
        "253072B".into(),
        "2 53 07 2B".into(),
        BIRTH_NAME.into(),
        BIRTH_NAME.to_uppercase(),
        USAGE_NAME.into(),
        USAGE_NAME.to_uppercase(),
        FIRST_NAME.into(),
        FIRST_NAME.to_uppercase(),
        BIRTH_DATE.into(),
        "14/07/1953".into(),
        "19530714".into(),
        IMPOSSIBLE_BIRTH_DATE.into(),
        UNREADABLE_BIRTH_DATE.into(),
    ]
}

fn registry_with_planted_values() -> String {
    let names = format!("{BIRTH_NAME},{USAGE_NAME},{FIRST_NAME}");
    format!(
        "{REGISTRY_HEADER}\n\
         T1,REG14,{NIR},{names},2,{BIRTH_DATE},2B,2021-05-03,C50.4,8500,3,,7,,\n\
         T2,REG14,{NIR},{names},2,{BIRTH_DATE},2B,2021-02-30,C50.4,8500,3,,7,,\n\
         T3,REG14,{NIR},{names},2,{IMPOSSIBLE_BIRTH_DATE},2B,2021-05-03,C50.4,8500,3,,7,,\n\
         T4,REG14,{NIR},{names},2,{UNREADABLE_BIRTH_DATE},2B,2021-05-03,C50.4,8500,3,,7,,\n\
         T5,REG14,{NIR},{names},2,{BIRTH_DATE},2B,2021-05-03,C50.4,8500,3,,7\n\
         T6,REG14,{NIR},{names},2,{BIRTH_DATE},2B,1950-05-03,C43.5,7999,3,,7,,\n\
         T7,REG14,{NIR}9,{names},2,{BIRTH_DATE},2B,2021-05-03,C50.4,8500,3,,7,,\n\
         T1,REG14,{NIR},{names},2,{BIRTH_DATE},2B,2021-05-03,C50.4,8500,3,,7,,\n\
         T8,REG14,{NIR},{names},2,2150-07-14,2B,2021-05-03,C50.4,8500,3,,7,,\n\
         T9,REG14,{NIR},{names},,{BIRTH_DATE},2B,2021-05-03,C50.4,8500,3,,7,,\n"
    )
}

/// Collects everything the `tracing` macros emit, from every thread.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

// One test in this file, because it installs the global subscriber: rayon
// runs the row checks on its own threads, which a thread-local subscriber
// would not see.
#[test]
fn planted_identifiers_never_appear() {
    let capture = Capture::default();
    let writer = capture.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .init();
    let (_dir, path) =
        fixture("registry.csv", registry_with_planted_values().as_bytes());

    let outcome =
        ingest_file(SourceKind::RegistryExtract, &path, keys(), "b").unwrap();

    // T1 is accepted; T7 too, with an invalid NIR that only sets a status.
    assert_eq!(outcome.records.len(), 2, "{:?}", outcome.quarantine);
    assert_eq!(outcome.quarantine.len(), 8);
    let mut output = serde_json::to_string(&outcome.records).unwrap();
    output.push_str(&serde_json::to_string(&outcome.quarantine).unwrap());
    output.push_str(&format!("{outcome:?}"));
    let logs = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("rows quarantined"),
        "the capture saw no log: {logs}"
    );
    for value in planted() {
        assert!(!output.contains(&value), "{value} leaked into the output");
        assert!(!logs.contains(&value), "{value} leaked into the logs");
    }
    let problems: Vec<&str> = outcome
        .quarantine
        .iter()
        .map(|q| q.problems.as_str())
        .collect();
    let problems = problems.join("; ");
    for rule in [
        "incidence_date:impossible_date",
        "birth_date:impossible_date",
        "birth_date:date_format",
        "birth_date:birth_after_event",
        "birth_date:future_date",
        "tumour_ref:duplicate_id",
        "sex:required",
        "-:column_count",
    ] {
        assert!(problems.contains(rule), "{rule} missing from {problems}");
    }
    let birth_date_error = outcome
        .quarantine
        .iter()
        .find(|q| q.field == "birth_date")
        .unwrap();
    assert!(birth_date_error.message.contains("field birth_date"));
}
