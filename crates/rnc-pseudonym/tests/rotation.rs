//! Two-layer pseudonyms and registry key rotation.

use rnc_model::{PartialDate, SourceRecord};
use rnc_pseudonym::{
    ClearIdentity, Domain, ErrorKind, Key, Pseudonymiser, dice_coefficient,
    rotate, rotate_bloom,
};

fn pseudonymiser(seed: u8) -> Pseudonymiser {
    Pseudonymiser::new(&Key::from_bytes([seed; 32]))
}

/// A provider's record: inner pseudonyms under the provider key.
fn provider_record(
    nir: &str,
    name: &str,
    first_name: &str,
    birth: &str,
) -> SourceRecord {
    let mut record = SourceRecord::default();
    pseudonymiser(1).apply(
        &ClearIdentity {
            nir: Some(nir.into()),
            birth_name: Some(name.into()),
            first_name: Some(first_name.into()),
            birth_date: Some(PartialDate::parse_iso(birth).unwrap()),
            ..ClearIdentity::default()
        },
        &mut record,
    );
    record
}

/// The inner pseudonyms of a record, as the linkage environment keeps them.
fn inner_table(record: &SourceRecord) -> Vec<(Domain, String)> {
    let mut table = Vec::new();
    let mut push = |domain, value: &Option<String>| {
        if let Some(value) = value {
            table.push((domain, value.clone()));
        }
    };
    push(Domain::Nir, &record.nir_pseudonym);
    push(Domain::BirthDate, &record.birth_date_pseudonym);
    push(Domain::BirthDate, &record.birth_date_swapped_pseudonym);
    push(Domain::BirthDateParts, &record.birth_year_month_pseudonym);
    push(Domain::BirthDateParts, &record.birth_year_day_pseudonym);
    push(Domain::BirthDateParts, &record.birth_month_day_pseudonym);
    push(
        Domain::NirBirthDateSex,
        &record.nir_birth_date_sex_pseudonym,
    );
    push(Domain::Name, &record.birth_name_pseudonym);
    push(Domain::FirstName, &record.first_name_pseudonym);
    table
}

fn registry_copy(
    record: &SourceRecord,
    registry: &Pseudonymiser,
) -> SourceRecord {
    let mut stored = record.clone();
    registry.rekey_record(&mut stored).unwrap();
    stored
}

// NIR examples from the doctests of python-stdnum's stdnum/fr/nir.py.
const NIR_A: &str = "253072B07300470";
const NIR_B: &str = "295109912611193";

#[test]
fn rotation_equals_rekeying_under_new_key() {
    let (old, new) = (pseudonymiser(2), pseudonymiser(3));
    let inner = [
        provider_record(NIR_A, "Villeneuve", "Héloïse", "1953-07-04"),
        provider_record(NIR_B, "Martin", "Anne", "1995-10-20"),
    ];
    let table: Vec<(Domain, String)> =
        inner.iter().flat_map(inner_table).collect();

    let map = rotate(table.iter().map(|(d, v)| (*d, v.as_str())), &old, &new)
        .unwrap();

    assert!(!map.is_empty());
    for record in &inner {
        let mut stored = registry_copy(record, &old);
        map.apply(&mut stored, &old, &new).unwrap();
        assert_eq!(stored, registry_copy(record, &new));
    }
}

#[test]
fn rotation_keeps_dice() {
    let (old, new) = (pseudonymiser(2), pseudonymiser(3));
    let a = registry_copy(
        &provider_record(NIR_A, "Smith", "Anne", "1953-07-04"),
        &old,
    );
    let b = registry_copy(
        &provider_record(NIR_B, "Smyth", "Anna", "1953-07-04"),
        &old,
    );
    let before = dice_coefficient(
        a.birth_name_bloom.as_ref().unwrap(),
        b.birth_name_bloom.as_ref().unwrap(),
    );

    let a_new = rotate_bloom(
        &old,
        &new,
        Domain::Name,
        a.birth_name_bloom.as_ref().unwrap(),
    )
    .unwrap();
    let b_new = rotate_bloom(
        &old,
        &new,
        Domain::Name,
        b.birth_name_bloom.as_ref().unwrap(),
    )
    .unwrap();

    assert_ne!(&a_new, a.birth_name_bloom.as_ref().unwrap());
    assert_eq!(dice_coefficient(&a_new, &b_new), before);
}

#[test]
fn missing_entry_leaves_record_unchanged() {
    let (old, new) = (pseudonymiser(2), pseudonymiser(3));
    let known = provider_record(NIR_A, "Villeneuve", "Héloïse", "1953-07-04");
    let unknown = provider_record(NIR_B, "Martin", "Anne", "1995-10-20");
    let table = inner_table(&known);
    let map = rotate(table.iter().map(|(d, v)| (*d, v.as_str())), &old, &new)
        .unwrap();
    let mut stored = registry_copy(&unknown, &old);
    let before = stored.clone();

    let error = map.apply(&mut stored, &old, &new).unwrap_err();

    assert!(
        matches!(
            error.kind(),
            ErrorKind::RotationIncomplete { domain: "nir" }
        ),
        "{error}"
    );
    assert_eq!(stored, before);
}

#[test]
fn rekeyed_pseudonym_differs_per_registry_key() {
    let inner = provider_record(NIR_A, "Villeneuve", "Héloïse", "1953-07-04");
    let inner_nir = inner.nir_pseudonym.as_deref().unwrap();

    let under_old = pseudonymiser(2)
        .rekey_pseudonym(Domain::Nir, inner_nir)
        .unwrap();
    let under_new = pseudonymiser(3)
        .rekey_pseudonym(Domain::Nir, inner_nir)
        .unwrap();
    let other_domain = pseudonymiser(2)
        .rekey_pseudonym(Domain::Name, inner_nir)
        .unwrap();

    assert_ne!(under_old, inner_nir);
    assert_ne!(under_old, under_new);
    assert_ne!(under_old, other_domain);
    assert_eq!(under_old.len(), 64);
}

#[test]
fn malformed_inner_pseudonym_is_rejected() {
    let registry = pseudonymiser(2);

    for bad in ["", "abc", &"G".repeat(64), &"A".repeat(64)] {
        let error = registry.rekey_pseudonym(Domain::Nir, bad).unwrap_err();
        assert!(
            matches!(error.kind(), ErrorKind::InvalidPseudonym { .. }),
            "{bad}: {error}"
        );
    }
}

#[test]
fn wrong_bloom_length_is_rejected() {
    let error = pseudonymiser(2)
        .rekey_bloom(Domain::Name, &[0; 64])
        .unwrap_err();

    assert!(
        matches!(error.kind(), ErrorKind::InvalidBloom { length: 64, .. }),
        "{error}"
    );
}

#[test]
fn rotation_map_debug_shows_count_only() {
    let inner = provider_record(NIR_A, "Villeneuve", "Héloïse", "1953-07-04");
    let table = inner_table(&inner);
    let map = rotate(
        table.iter().map(|(d, v)| (*d, v.as_str())),
        &pseudonymiser(2),
        &pseudonymiser(3),
    )
    .unwrap();

    let debug = format!("{map:?}");

    assert_eq!(debug, format!("RotationMap {{ entries: {} }}", map.len()));
}
