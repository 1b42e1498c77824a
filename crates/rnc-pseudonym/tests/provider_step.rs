//! The provider-side step: output columns, absence of clear identifiers,
//! and re-keying of its output by the registry.

use rnc_model::{NirStatus, SaltedNames, SourceKind, SourceRecord};
use rnc_pseudonym::provider::{
    PROVIDER_COLUMNS, decode_bloom, pseudonymise_feed, pseudonymise_file,
};
use rnc_pseudonym::{
    BLOOM_BYTES, ClearIdentity, ClkEncoder, ClkSettings, Domain, ErrorKind,
    Key, Pseudonymiser, RegistryLayer, dice_coefficient,
};

const PATHOLOGY: &str = "\
report_id,laboratory,nir,birth_name,usage_name,first_name,sex,birth_date,departement,specimen_date,report_date,topography,morphology,behaviour,grade,free_text
P1,ACP3305,253072B07300470,Villeneuve,Roux,Héloïse,2,1953-07-14,2B,2021-01-27,2021-02-09,C50.4,8500,3,2,note
P2,ACP3305,295109912611199,Lebreton,,Guy,1,1951-10-06,33,2021-01-27,,C61.9,8140,3,,
P3,ACP3305,,Dupont,,Anne,2,1961-13-45,33,2021-03-01,,C18.7,8140,3,,
";

/// Clear values planted in the input; none may appear in the output.
const PLANTED: [&str; 12] = [
    "253072B07300470",
    "295109912611199",
    "Villeneuve",
    "VILLENEUVE",
    "Roux",
    "Héloïse",
    "HELOISE",
    "Lebreton",
    "Dupont",
    "1953-07-14",
    "1951-10-06",
    "19530714",
];

fn provider_key() -> Key {
    Key::from_bytes([21; 32])
}

fn run(input: &str) -> (String, rnc_pseudonym::provider::ProviderSummary) {
    let key = provider_key();
    let pseudonymiser = Pseudonymiser::new(&key);
    let clk = ClkEncoder::new(&key, ClkSettings::default()).unwrap();
    let mut output = Vec::new();
    let summary = pseudonymise_feed(
        SourceKind::PathologyReport,
        "pathology.csv",
        input.as_bytes(),
        &mut output,
        &pseudonymiser,
        &clk,
    )
    .unwrap();
    (String::from_utf8(output).unwrap(), summary)
}

fn rows(output: &str) -> Vec<csv::StringRecord> {
    csv::Reader::from_reader(output.as_bytes())
        .records()
        .map(Result::unwrap)
        .collect()
}

fn column(output: &str, name: &str) -> usize {
    let mut reader = csv::Reader::from_reader(output.as_bytes());
    reader
        .headers()
        .unwrap()
        .iter()
        .position(|c| c == name)
        .unwrap()
}

/// Runs the provider step on a pathology feed that it must reject.
fn feed_error(input: &str) -> rnc_pseudonym::Error {
    let key = provider_key();
    pseudonymise_feed(
        SourceKind::PathologyReport,
        "pathology.csv",
        input.as_bytes(),
        Vec::new(),
        &Pseudonymiser::new(&key),
        &ClkEncoder::new(&key, ClkSettings::default()).unwrap(),
    )
    .unwrap_err()
}

#[test]
fn output_holds_no_clear_identifier() {
    let (output, _) = run(PATHOLOGY);

    for planted in PLANTED {
        assert!(!output.contains(planted), "{planted} found in the output");
    }
}

#[test]
fn header_keeps_feed_columns_then_provider_columns() {
    let (output, summary) = run(PATHOLOGY);
    let header: Vec<String> = csv::Reader::from_reader(output.as_bytes())
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();

    let kept = [
        "report_id",
        "laboratory",
        "sex",
        "departement",
        "specimen_date",
        "report_date",
        "topography",
        "morphology",
        "behaviour",
        "grade",
    ];
    assert_eq!(&header[..kept.len()], kept);
    assert_eq!(&header[kept.len()..], PROVIDER_COLUMNS);
    assert_eq!(summary.dropped_columns, ["free_text"]);
}

#[test]
fn statuses_and_counts() {
    let (output, summary) = run(PATHOLOGY);
    let rows = rows(&output);
    let nir_status = column(&output, "nir_status");
    let nir = column(&output, "nir_pseudonym");
    let birth_status = column(&output, "birth_date_status");
    let birth = column(&output, "birth_date_pseudonym");
    let age = column(&output, "age_at_event");

    assert_eq!(summary.rows, 3);
    assert_eq!(summary.nir_pseudonymised, 1);
    assert_eq!(summary.nir_invalid, 1);
    assert_eq!(summary.birth_date_invalid, 1);
    assert_eq!(&rows[0][nir_status], "valid");
    assert_eq!(rows[0][nir].len(), 64);
    assert_eq!(&rows[1][nir_status], "invalid");
    assert_eq!(&rows[1][nir], "");
    assert_eq!(&rows[2][nir_status], "missing");
    assert_eq!(&rows[0][birth_status], "complete");
    assert_eq!(&rows[2][birth_status], "invalid");
    assert_eq!(&rows[2][birth], "");
    // Born 1953-07-14, specimen 2021-01-27: 67 completed years.
    assert_eq!(&rows[0][age], "67");
    assert_eq!(&rows[2][age], "");
}

#[test]
fn provider_values_match_library_pseudonyms() {
    let (output, _) = run(PATHOLOGY);
    let rows = rows(&output);
    let mut expected = SourceRecord::default();
    Pseudonymiser::new(&provider_key()).apply(
        &ClearIdentity {
            nir: Some("253072B07300470".into()),
            birth_name: Some("Villeneuve".into()),
            usage_name: Some("Roux".into()),
            first_name: Some("Héloïse".into()),
            birth_date: Some(
                rnc_model::PartialDate::parse_iso("1953-07-14").unwrap(),
            ),
        },
        &mut expected,
    );

    assert_eq!(
        Some(&rows[0][column(&output, "nir_pseudonym")]),
        expected.nir_pseudonym.as_deref()
    );
    assert_eq!(
        Some(&rows[0][column(&output, "birth_date_pseudonym")]),
        expected.birth_date_pseudonym.as_deref()
    );
    let bloom = decode_bloom(
        Domain::Name,
        &rows[0][column(&output, "birth_name_day_salt_bloom")],
    )
    .unwrap();
    assert_eq!(Some(bloom), expected.day_salted_names.birth_name_bloom);
    assert_eq!(
        Some(&rows[0][column(&output, "month_salt_pseudonym")]),
        expected.month_salted_names.salt_pseudonym.as_deref()
    );
    assert_eq!(
        &rows[0][column(&output, "provider_key")],
        provider_key().fingerprint()
    );
}

#[test]
fn registry_seals_provider_output() {
    let (output, _) = run(PATHOLOGY);
    let rows = rows(&output);
    let registry = RegistryLayer::new(&Key::from_bytes([99; 32]));
    let text = |name: &str| Some(rows[0][column(&output, name)].to_string());
    let mut record = SourceRecord {
        nir_status: Some(NirStatus::Valid),
        nir_pseudonym: text("nir_pseudonym"),
        month_salted_names: SaltedNames {
            salt_pseudonym: text("month_salt_pseudonym"),
            birth_name_pseudonym: text("birth_name_month_salt_pseudonym"),
            birth_name_bloom: Some(
                decode_bloom(
                    Domain::Name,
                    &rows[0][column(&output, "birth_name_month_salt_bloom")],
                )
                .unwrap(),
            ),
            usage_name_bloom: Some(
                decode_bloom(
                    Domain::Name,
                    &rows[0][column(&output, "usage_name_month_salt_bloom")],
                )
                .unwrap(),
            ),
            ..SaltedNames::default()
        }
        .into(),
        ..SourceRecord::default()
    };
    let provider = record.clone();

    registry.seal_record(&mut record).unwrap();

    assert_ne!(record.nir_pseudonym, provider.nir_pseudonym);
    assert_eq!(
        record.nir_pseudonym.as_deref().unwrap(),
        registry
            .seal_pseudonym(
                Domain::Nir,
                provider.nir_pseudonym.as_deref().unwrap()
            )
            .unwrap()
    );
    assert_eq!(
        record.month_salted_names.salt_pseudonym.as_deref().unwrap(),
        registry
            .seal_pseudonym(
                Domain::NameSalt,
                provider
                    .month_salted_names
                    .salt_pseudonym
                    .as_deref()
                    .unwrap()
            )
            .unwrap()
    );
    assert_ne!(
        record.month_salted_names.birth_name_bloom,
        provider.month_salted_names.birth_name_bloom
    );
    // One permutation per domain keeps the Dice coefficient of any two
    // filters of that domain, here the birth and usage names.
    let before = dice_coefficient(
        provider
            .month_salted_names
            .birth_name_bloom
            .as_ref()
            .unwrap(),
        provider
            .month_salted_names
            .usage_name_bloom
            .as_ref()
            .unwrap(),
    );
    let after = dice_coefficient(
        record.month_salted_names.birth_name_bloom.as_ref().unwrap(),
        record.month_salted_names.usage_name_bloom.as_ref().unwrap(),
    );
    assert_eq!(before, after);
}

#[test]
fn clk_column_decodes_to_filter() {
    let (output, _) = run(PATHOLOGY);
    let rows = rows(&output);

    let clk =
        decode_bloom(Domain::Name, &rows[0][column(&output, "clk")]).unwrap();

    assert_eq!(clk.len(), ClkSettings::default().output_bytes());
    assert_eq!(clk.len(), BLOOM_BYTES);
    assert!(clk.iter().any(|byte| *byte != 0));
}

#[test]
fn missing_birth_date_column_is_rejected() {
    let error = feed_error("report_id,laboratory,birth_name\nP1,L1,Martin\n");

    assert!(
        matches!(
            error.kind(),
            ErrorKind::MissingColumn {
                column: "birth_date",
                ..
            }
        ),
        "{error}"
    );
    assert!(error.to_string().contains("pathology.csv"), "{error}");
}

// A file without a header line: its first row, read as the header,
// repeats the birth name as the usage name. The error names the columns by
// position, never by the repeated value.
#[test]
fn duplicate_value_in_first_line_is_not_shown() {
    let error =
        feed_error("P1,L1,,MARTINEAU,MARTINEAU,Sophie,2,1985-12-04,13\n");

    assert!(
        matches!(
            error.kind(),
            ErrorKind::DuplicateColumn {
                column: None,
                positions: [4, 5],
                ..
            }
        ),
        "{error}"
    );
    assert!(!error.to_string().contains("MARTINEAU"), "{error}");
}

#[test]
fn duplicate_feed_column_is_named() {
    let error = feed_error("report_id,laboratory,sex,birth_date,sex\n");

    assert!(
        matches!(
            error.kind(),
            ErrorKind::DuplicateColumn {
                column: Some(column),
                positions: [3, 5],
                ..
            } if column == "sex"
        ),
        "{error}"
    );
}

#[test]
fn short_row_names_its_line() {
    let error = feed_error(
        "report_id,laboratory,birth_date\nP1,L1,1950-01-01\nP2,L1\n",
    );

    assert!(
        error.to_string().starts_with("pathology.csv: line 3"),
        "{error}"
    );
}

#[test]
fn file_step_refuses_to_overwrite_input() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pathology.csv");
    std::fs::write(&path, PATHOLOGY).unwrap();
    let key = provider_key();
    let clk = ClkEncoder::new(&key, ClkSettings::default()).unwrap();

    let error = pseudonymise_file(
        SourceKind::PathologyReport,
        &path,
        &path,
        &Pseudonymiser::new(&key),
        &clk,
    )
    .unwrap_err();

    assert!(
        matches!(error.kind(), ErrorKind::SameFile { .. }),
        "{error}"
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), PATHOLOGY);
}

#[test]
fn file_step_writes_output() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("pathology.csv");
    let output = dir.path().join("pathology.pseudonymised.csv");
    std::fs::write(&input, PATHOLOGY).unwrap();
    let key = provider_key();
    let clk = ClkEncoder::new(&key, ClkSettings::default()).unwrap();

    let summary = pseudonymise_file(
        SourceKind::PathologyReport,
        &input,
        &output,
        &Pseudonymiser::new(&key),
        &clk,
    )
    .unwrap();

    assert_eq!(summary.rows, 3);
    let written = std::fs::read_to_string(&output).unwrap();
    assert_eq!(written.lines().count(), 4);
    assert!(
        !dir.path()
            .join("pathology.pseudonymised.csv.partial")
            .exists()
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&output).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "mode {mode:o}");
    }
}
