//! The registry layer over provider pseudonyms, and registry key rotation.

use proptest::prelude::*;
use rnc_model::{PartialDate, Sex, SourceRecord};
use rnc_pseudonym::{
    ClearIdentity, Domain, ErrorKind, Key, Pseudonymiser, RegistryLayer,
    dice_coefficient, rotate_record,
};

fn layer(seed: u8) -> RegistryLayer {
    RegistryLayer::new(&Key::from_bytes([seed; 32]))
}

/// A provider's record: inner pseudonyms under the provider key.
fn provider_record(
    nir: &str,
    name: &str,
    first_name: &str,
    birth: &str,
) -> SourceRecord {
    let mut record = SourceRecord::default();
    Pseudonymiser::new(&Key::from_bytes([1; 32])).apply(
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

fn sealed(record: &SourceRecord, registry: &RegistryLayer) -> SourceRecord {
    let mut stored = record.clone();
    registry.seal_record(&mut stored).unwrap();
    stored
}

/// Every pseudonym of a record, in a fixed order.
fn pseudonyms(record: &SourceRecord) -> Vec<Option<String>> {
    vec![
        record.nir_pseudonym.clone(),
        record.birth_date_pseudonym.clone(),
        record.birth_date_swapped_pseudonym.clone(),
        record.birth_date_next_year_pseudonym.clone(),
        record.birth_year_month_pseudonym.clone(),
        record.birth_year_day_pseudonym.clone(),
        record.birth_month_day_pseudonym.clone(),
        record.nir_birth_date_sex_pseudonym.clone(),
        record.month_salted_names.salt_pseudonym.clone(),
        record.month_salted_names.birth_name_pseudonym.clone(),
        record.month_salted_names.usage_name_pseudonym.clone(),
        record.month_salted_names.first_name_pseudonym.clone(),
        record.day_salted_names.salt_pseudonym.clone(),
        record.day_salted_names.birth_name_pseudonym.clone(),
        record.day_salted_names.usage_name_pseudonym.clone(),
        record.day_salted_names.first_name_pseudonym.clone(),
    ]
}

// NIR examples from the doctests of python-stdnum's stdnum/fr/nir.py.
const NIR_A: &str = "253072B07300470";
const NIR_B: &str = "295109912611193";

#[test]
fn rotation_equals_sealing_under_new_key() {
    let (old, new) = (layer(2), layer(3));
    let inner = [
        provider_record(NIR_A, "Villeneuve", "Héloïse", "1953-07-04"),
        provider_record(NIR_B, "Martin", "Anne", "1995-10-20"),
    ];

    for record in &inner {
        let mut stored = sealed(record, &old);
        rotate_record(&old, &new, &mut stored).unwrap();

        assert_eq!(stored, sealed(record, &new));
        assert_ne!(stored, sealed(record, &old));
    }
}

#[test]
fn sealed_pseudonyms_keep_equality() {
    let registry = layer(2);
    let a = sealed(
        &provider_record(NIR_A, "Martin", "Anne", "1953-07-04"),
        &registry,
    );
    let b = sealed(
        &provider_record(NIR_A, "MARTIN", "ANNE", "1953-07-04"),
        &registry,
    );
    let c = sealed(
        &provider_record(NIR_B, "Martin", "Anne", "1995-10-20"),
        &registry,
    );

    assert_eq!(pseudonyms(&a), pseudonyms(&b));
    assert_ne!(a.nir_pseudonym, c.nir_pseudonym);
    assert_eq!(a.nir_pseudonym.as_ref().unwrap().len(), 96);
}

#[test]
fn rotation_keeps_dice() {
    let (old, new) = (layer(2), layer(3));
    let mut a =
        sealed(&provider_record(NIR_A, "Smith", "Anne", "1953-07-04"), &old);
    let mut b =
        sealed(&provider_record(NIR_B, "Smyth", "Anna", "1953-07-04"), &old);
    let dice = |x: &SourceRecord, y: &SourceRecord| {
        dice_coefficient(
            x.month_salted_names.birth_name_bloom.as_ref().unwrap(),
            y.month_salted_names.birth_name_bloom.as_ref().unwrap(),
        )
    };
    let before = dice(&a, &b);
    let filter_before = a.month_salted_names.birth_name_bloom.clone();

    rotate_record(&old, &new, &mut a).unwrap();
    rotate_record(&old, &new, &mut b).unwrap();

    assert_ne!(a.month_salted_names.birth_name_bloom, filter_before);
    assert!(before > 0.3 && before < 1.0, "Dice {before}");
    assert_eq!(dice(&a, &b), before);
}

#[test]
fn old_key_rejected_after_rotation() {
    let (old, new, other) = (layer(2), layer(3), layer(4));
    let record = provider_record(NIR_A, "Villeneuve", "Héloïse", "1953-07-04");
    let mut stored = sealed(&record, &old);
    rotate_record(&old, &new, &mut stored).unwrap();
    let rotated = stored.clone();

    let error = rotate_record(&old, &other, &mut stored).unwrap_err();

    assert!(
        matches!(
            error.kind(),
            ErrorKind::WrongRegistryKey { domain: "nir", .. }
        ),
        "{error}"
    );
    assert_eq!(stored, rotated, "a failed rotation changes nothing");
}

#[test]
fn sealed_pseudonym_differs_per_registry_key() {
    let inner = provider_record(NIR_A, "Villeneuve", "Héloïse", "1953-07-04");
    let inner_nir = inner.nir_pseudonym.as_deref().unwrap();

    let under_old = layer(2).seal_pseudonym(Domain::Nir, inner_nir).unwrap();
    let under_new = layer(3).seal_pseudonym(Domain::Nir, inner_nir).unwrap();
    let other_domain =
        layer(2).seal_pseudonym(Domain::Name, inner_nir).unwrap();

    assert!(!under_old.contains(inner_nir));
    assert_ne!(under_old, under_new);
    assert_ne!(under_old, other_domain);
}

#[test]
fn malformed_inner_pseudonym_is_rejected() {
    let registry = layer(2);

    for bad in ["", "abc", &"G".repeat(64), &"A".repeat(64), &"a".repeat(96)] {
        let error = registry.seal_pseudonym(Domain::Nir, bad).unwrap_err();
        assert!(
            matches!(
                error.kind(),
                ErrorKind::InvalidPseudonym { expected: 64, .. }
            ),
            "{bad}: {error}"
        );
    }
}

#[test]
fn wrong_bloom_length_is_rejected() {
    let error = layer(2).seal_bloom(Domain::Name, &[0; 64]).unwrap_err();

    assert!(
        matches!(error.kind(), ErrorKind::InvalidBloom { length: 64, .. }),
        "{error}"
    );
}

#[test]
fn registry_layer_debug_shows_fingerprint_only() {
    let key = Key::from_bytes([2; 32]);

    let debug = format!("{:?}", RegistryLayer::new(&key));

    assert_eq!(
        debug,
        format!(
            "RegistryLayer {{ key_fingerprint: {:?}, .. }}",
            key.fingerprint()
        )
    );
}

/// Appends its control key to a 13-digit NIR: 97 minus the number modulo
/// 97, the rule that `rnc_model::nir` checks.
fn nir_with_key(body: u64) -> String {
    format!("{body:013}{:02}", 97 - body % 97)
}

fn identity_strategy() -> impl Strategy<Value = ClearIdentity> {
    let nir = prop_oneof![
        (1_000_000_000_000u64..2_999_999_999_999).prop_map(nir_with_key),
        "[0-9A-B ]{0,16}",
    ];
    let name = proptest::option::of("[A-Za-zÀ-ÿ' -]{0,16}");
    let date = (1900i32..2025, proptest::option::of(1u32..=12), 1u32..=31)
        .prop_map(|(year, month, day)| {
            let day = month.map(|_| day);
            PartialDate::new(year, month, day)
                .or_else(|_| PartialDate::new(year, month, None))
                .ok()
        });
    (
        proptest::option::of(nir),
        name.clone(),
        name.clone(),
        name,
        date,
    )
        .prop_map(
            |(nir, birth_name, usage_name, first_name, birth_date)| {
                ClearIdentity {
                    nir,
                    birth_name,
                    usage_name,
                    first_name,
                    birth_date,
                }
            },
        )
}

proptest! {
    /// Ingestion pseudonymises and seals a clear row in one pass
    /// (`Pseudonymiser::apply_sealed`). The stored record must equal the
    /// provider's record sealed by the registry.
    #[test]
    fn apply_sealed_matches_two_steps(
        identity in identity_strategy(),
        sex in prop_oneof![Just(Sex::Male), Just(Sex::Female), Just(Sex::Unknown)],
    ) {
        let provider = Pseudonymiser::new(&Key::from_bytes([1; 32]));
        let registry = layer(2);
        let blank = SourceRecord {
            sex: Some(sex),
            ..SourceRecord::default()
        };

        let mut two_steps = blank.clone();
        provider.apply(&identity, &mut two_steps);
        registry.seal_record(&mut two_steps).unwrap();
        let mut one_pass = blank;
        provider.apply_sealed(&identity, &registry, &mut one_pass);

        prop_assert_eq!(one_pass, two_steps);
    }
}
