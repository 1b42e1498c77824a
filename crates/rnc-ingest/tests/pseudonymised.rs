//! Ingest of pre-pseudonymised files, the output of the provider step
//! (`rnc_pseudonym::provider::pseudonymise_feed`), against the same rows
//! ingested in clear in two layers.

mod common;

use common::fixture;
use rnc_ingest::{ErrorKind, FileOutcome, IngestKeys, ingest_file};
use rnc_model::SourceKind;
use rnc_pseudonym::provider::pseudonymise_feed;
use rnc_pseudonym::{
    ClkEncoder, ClkSettings, Key, Pseudonymiser, RegistryLayer,
};

// Invented rows; the NIRs are published python-stdnum examples.
const DEATHS: &str = "\
certificate_id,nir,birth_name,usage_name,first_name,sex,birth_date,departement,death_date,underlying_cause
D1,253072B07300470,Villeneuve,Roux,Héloïse,2,1953-07-14,2B,2021-06-01,C509
D2,,Kerdraon,,Gwenaëlle,2,1955-08-99,29,2021-06-02,C187
D3,2 55 08 14 168 025 38,Le Gall,,Anne-Marie,2,1955-08-01,29,2021-06-03,C349
";

fn provider() -> Pseudonymiser {
    Pseudonymiser::new(&Key::from_bytes([3; 32]))
}

fn registry() -> RegistryLayer {
    RegistryLayer::new(&Key::from_bytes([4; 32]))
}

/// The provider step's output for `clear`, a death-record file.
fn pseudonymised(clear: &str) -> String {
    pseudonymised_feed(SourceKind::DeathRecord, clear)
}

/// Runs the provider step on `clear`, a file of feed `kind`, and returns
/// its output.
fn pseudonymised_feed(kind: SourceKind, clear: &str) -> String {
    let clk =
        ClkEncoder::new(&Key::from_bytes([3; 32]), ClkSettings::default())
            .unwrap();
    let mut output = Vec::new();
    pseudonymise_feed(
        kind,
        "feed.csv",
        clear.as_bytes(),
        &mut output,
        &provider(),
        &clk,
    )
    .unwrap();
    String::from_utf8(output).unwrap()
}

fn ingest(content: &str, with_provider: bool) -> FileOutcome {
    ingest_feed(SourceKind::DeathRecord, content, with_provider)
}

fn ingest_feed(
    kind: SourceKind,
    content: &str,
    with_provider: bool,
) -> FileOutcome {
    let (_dir, path) = fixture("feed.csv", content.as_bytes());
    let (registry, provider) = (registry(), provider());
    let keys = IngestKeys {
        registry: &registry,
        provider: with_provider.then_some(&provider),
    };
    ingest_file(kind, &path, keys, "batch-1").unwrap()
}

#[test]
fn provider_file_equals_clear_in_two_layers() {
    let clear = ingest(DEATHS, true);
    let provided = ingest(&pseudonymised(DEATHS), false);

    assert!(clear.quarantine.is_empty(), "{:?}", clear.quarantine);
    assert!(provided.quarantine.is_empty(), "{:?}", provided.quarantine);
    assert_eq!(clear.records.len(), 3);
    assert_eq!(clear.records, provided.records);
    assert_eq!(clear.provider_key, provider().key_fingerprint());
    assert_eq!(provided.provider_key, clear.provider_key);
    assert!(clear.records[0].nir_birth_date_sex_pseudonym.is_some());
    assert!(clear.records[0].birth_date_next_year_pseudonym.is_some());
    assert!(
        clear.records[0]
            .month_salted_names
            .first_name_bloom
            .is_some()
    );
}

#[test]
fn provider_file_keeps_stage_and_registration_date() {
    // An invented registry extract row with every optional column of the
    // feed filled: the provider step must copy them all.
    let extract = "\
tumour_ref,registry,nir,birth_name,first_name,sex,birth_date,departement,incidence_date,topography,morphology,behaviour,grade,basis_of_diagnosis,last_contact_date,registration_date,laterality,tnm_t,tnm_n,tnm_m,tnm_stage_group,tnm_edition,summary_stage
T1,R14,253072B07300470,Villeneuve,Héloïse,2,1953-07-14,2B,2021-03-02,C50.4,8500,3,2,7,2022-01-10,2021-04-01,2,pT2,pN1,M0,IIB,8,2
";
    let clear = ingest_feed(SourceKind::RegistryExtract, extract, true);
    let provided = ingest_feed(
        SourceKind::RegistryExtract,
        &pseudonymised_feed(SourceKind::RegistryExtract, extract),
        false,
    );

    assert!(clear.quarantine.is_empty(), "{:?}", clear.quarantine);
    assert_eq!(clear.records.len(), 1);
    assert!(clear.records[0].stage.is_some());
    assert!(clear.records[0].laterality.is_some());
    assert!(clear.records[0].registration_date.is_some());
    assert_eq!(clear.records, provided.records);
}

#[test]
fn provider_file_equals_clear_without_names() {
    // Long-term illness has no name column, and a wholly unknown birth
    // date (99999999) is a value on the clear path. The provider file of
    // the same invented rows must load the same records, none quarantined.
    let illness = "\
ald_id,nir,sex,birth_date,departement,icd10,start_date
A1,253072B07300470,2,1953-07-14,2B,C50,2021-03-02
A2,,1,99999999,29,C18,2021-04-02
";
    let deaths = "\
certificate_id,nir,birth_name,usage_name,first_name,sex,birth_date,departement,death_date,underlying_cause
D1,,Kerdraon,,Gwenaëlle,2,99999999,29,2021-06-02,C187
";
    let cases = [
        (SourceKind::LongTermIllness, illness, 2),
        (SourceKind::DeathRecord, deaths, 1),
    ];

    for (kind, feed, rows) in cases {
        let clear = ingest_feed(kind, feed, true);
        let provided =
            ingest_feed(kind, &pseudonymised_feed(kind, feed), false);

        assert!(clear.quarantine.is_empty(), "{:?}", clear.quarantine);
        assert!(provided.quarantine.is_empty(), "{:?}", provided.quarantine);
        assert_eq!(clear.records.len(), rows, "{kind}");
        assert_eq!(clear.records, provided.records, "{kind}");
    }
}

#[test]
fn clear_file_without_provider_key_is_rejected() {
    let (_dir, path) = fixture("deaths.csv", DEATHS.as_bytes());
    let registry = registry();
    let keys = IngestKeys {
        registry: &registry,
        provider: None,
    };

    let error =
        ingest_file(SourceKind::DeathRecord, &path, keys, "b").unwrap_err();

    assert!(
        matches!(error.kind(), ErrorKind::ProviderKeyRequired { .. }),
        "{error}"
    );
}

#[test]
fn registry_key_seals_provider_pseudonyms() {
    let stored = ingest(DEATHS, true);
    let mut inner = rnc_model::SourceRecord::default();
    provider().apply(
        &rnc_pseudonym::ClearIdentity {
            nir: Some("253072B07300470".into()),
            ..Default::default()
        },
        &mut inner,
    );

    let sealed = registry()
        .seal_pseudonym(
            rnc_pseudonym::Domain::Nir,
            inner.nir_pseudonym.as_deref().unwrap(),
        )
        .unwrap();

    assert_eq!(stored.records[0].nir_pseudonym.as_deref(), Some(&*sealed));
    assert_ne!(stored.records[0].nir_pseudonym, inner.nir_pseudonym);
}

#[test]
fn other_provider_key_is_quarantined() {
    let file = pseudonymised(DEATHS);
    let fingerprint = provider().key_fingerprint().to_string();
    let mut lines: Vec<String> = file.lines().map(str::to_string).collect();
    lines[2] = lines[2].replacen(&fingerprint, "000000000000", 1);

    let outcome = ingest(&(lines.join("\n") + "\n"), false);

    assert_eq!(outcome.records.len(), 2);
    assert_eq!(outcome.quarantine.len(), 1);
    assert_eq!(outcome.quarantine[0].line, 3);
    assert_eq!(outcome.quarantine[0].rule, "provider_key_mismatch");
}

/// Applies `edit` to the fields of every line of a provider file, the
/// header first, and returns the file.
fn edit_columns(file: &str, edit: impl Fn(&mut Vec<String>)) -> String {
    let mut edited = String::new();
    for line in file.lines() {
        let mut fields: Vec<String> =
            line.split(',').map(str::to_string).collect();
        edit(&mut fields);
        edited.push_str(&fields.join(","));
        edited.push('\n');
    }
    edited
}

/// Returns the position of the column `name` in the header of `file`.
fn column_of(file: &str, name: &str) -> usize {
    let header = file.lines().next().expect("the file has a header");
    header
        .split(',')
        .position(|column| column == name)
        .unwrap_or_else(|| panic!("no column {name} in the header"))
}

#[test]
fn filters_of_another_construction_are_quarantined() {
    let file = pseudonymised(DEATHS);
    let column = column_of(&file, "bloom_construction");
    assert!(file.lines().skip(1).all(|line| {
        line.split(',').nth(column) == Some(rnc_pseudonym::BLOOM_CONSTRUCTION)
    }));

    // A file of an older rnc has no such column; a later one may name
    // another construction. Every row is rejected, each with the reason.
    let without = edit_columns(&file, |fields| {
        fields.remove(column);
    });
    let other = edit_columns(&file, |fields| {
        if fields[column] != "bloom_construction" {
            fields[column] = "bigram-other".into();
        }
    });
    for (edited, named) in [
        (without, "no bloom_construction value"),
        (other, "another construction"),
    ] {
        let outcome = ingest(&edited, false);
        assert_eq!(outcome.records.len(), 0);
        assert_eq!(outcome.quarantine.len(), 3);
        for row in &outcome.quarantine {
            assert_eq!(row.rule, "bloom_construction");
            assert_eq!(row.field, "bloom_construction");
            assert!(row.message.contains(named), "{}", row.message);
            assert!(
                row.message.contains("rnc pseudonymise"),
                "{}",
                row.message
            );
            // A shifted row could have a name here, so the value is not shown.
            assert!(!row.message.contains("bigram-other"), "{}", row.message);
        }
    }
}

#[test]
fn malformed_bloom_is_quarantined() {
    let file = pseudonymised(DEATHS);
    let column = column_of(&file, "first_name_month_salt_bloom");
    let mut lines: Vec<String> = file.lines().map(str::to_string).collect();
    let mut fields: Vec<String> =
        lines[1].split(',').map(str::to_string).collect();
    fields[column] = "abcd".into();
    lines[1] = fields.join(",");

    let outcome = ingest(&(lines.join("\n") + "\n"), false);

    assert_eq!(outcome.quarantine.len(), 1);
    assert_eq!(outcome.quarantine[0].field, "first_name_month_salt_bloom");
    assert_eq!(outcome.quarantine[0].rule, "invalid_bloom");
    assert!(!outcome.quarantine[0].message.contains("abcd"));
}
