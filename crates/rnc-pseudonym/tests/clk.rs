//! rnc's own CLK encodings: determinism, similarity and hardening.

use rnc_model::{PartialDate, Sex};
use rnc_pseudonym::{
    ClkEncoder, ClkIdentity, ClkSettings, ErrorKind, Key, dice_coefficient,
};

fn encoder(settings: ClkSettings) -> ClkEncoder {
    ClkEncoder::new(&Key::from_bytes([9; 32]), settings).unwrap()
}

fn identity<'a>(
    surname: &'a str,
    first_name: &'a str,
    birth: &str,
    sex: Sex,
) -> ClkIdentity<'a> {
    ClkIdentity {
        surname: Some(surname),
        first_name: Some(first_name),
        birth_date: Some(PartialDate::parse_iso(birth).unwrap()),
        sex: Some(sex),
    }
}

fn bits_set(filter: &[u8]) -> u32 {
    filter.iter().map(|byte| byte.count_ones()).sum()
}

#[test]
fn same_identity_same_clk() {
    let clk = encoder(ClkSettings::default());
    let a = clk.encode(&identity(
        "Lefèvre",
        "Anne-Marie",
        "1961-04-05",
        Sex::Female,
    ));
    let b = clk.encode(&identity(
        "LEFEVRE",
        "ANNE MARIE",
        "1961-04-05",
        Sex::Female,
    ));

    assert_eq!(a, b);
    assert_eq!(a.len(), 128);
}

#[test]
fn different_key_different_clk() {
    let person = identity("Martin", "Paul", "1950-01-01", Sex::Male);
    let a = encoder(ClkSettings::default()).encode(&person);
    let b = ClkEncoder::new(&Key::from_bytes([10; 32]), ClkSettings::default())
        .unwrap()
        .encode(&person);

    assert_ne!(a, b);
    assert!(dice_coefficient(&a, &b) < 0.5);
}

#[test]
fn typo_keeps_high_dice_and_strangers_low() {
    let clk = encoder(ClkSettings::default());
    let anne =
        clk.encode(&identity("Villeneuve", "Anne", "1953-07-14", Sex::Female));
    let typo =
        clk.encode(&identity("Vilenueve", "Anne", "1953-07-14", Sex::Female));
    let stranger =
        clk.encode(&identity("Gueye", "Moussa", "1980-11-30", Sex::Male));

    let close = dice_coefficient(&anne, &typo);
    let far = dice_coefficient(&anne, &stranger);
    assert!(close > 0.8, "typo Dice {close}");
    assert!(far < 0.4, "stranger Dice {far}");
}

#[test]
fn twins_differ_by_first_name() {
    // Same-sex twins share surname, birth date and sex; only the first
    // name separates them.
    let clk = encoder(ClkSettings::default());
    let a = clk.encode(&identity("Durand", "Louis", "2001-03-03", Sex::Male));
    let b = clk.encode(&identity("Durand", "Hugo", "2001-03-03", Sex::Male));

    let dice = dice_coefficient(&a, &b);
    assert!(dice < 0.85, "twins Dice {dice}");
    assert!(dice > 0.5, "twins Dice {dice}");
}

#[test]
fn salt_separates_birth_cohorts() {
    // With salting, the same names in two birth years share only the sex
    // bit and chance collisions; without it they share every name bit.
    let salted = encoder(ClkSettings::default());
    let plain = encoder(ClkSettings {
        salt_with_birth_year: false,
        ..ClkSettings::default()
    });
    let older = identity("Martin", "Marie", "1950-05-05", Sex::Female);
    let younger = identity("Martin", "Marie", "1980-05-05", Sex::Female);

    let salted_dice =
        dice_coefficient(&salted.encode(&older), &salted.encode(&younger));
    let plain_dice =
        dice_coefficient(&plain.encode(&older), &plain.encode(&younger));

    assert!(plain_dice > 0.8, "unsalted Dice {plain_dice}");
    assert!(salted_dice < 0.5, "salted Dice {salted_dice}");
}

#[test]
fn balanced_clk_has_half_bits_set() {
    let settings = ClkSettings {
        balance: true,
        ..ClkSettings::default()
    };
    let clk = encoder(settings);

    for person in [
        identity("Martin", "Marie", "1950-05-05", Sex::Female),
        identity("De la Fontaine", "Jean-Baptiste", "1931-12-31", Sex::Male),
    ] {
        let filter = clk.encode(&person);
        assert_eq!(filter.len(), settings.output_bytes());
        assert_eq!(bits_set(&filter) as usize, filter.len() * 4);
    }
}

#[test]
fn balanced_clk_keeps_ranking() {
    let clk = encoder(ClkSettings {
        balance: true,
        ..ClkSettings::default()
    });
    let anne =
        clk.encode(&identity("Villeneuve", "Anne", "1953-07-14", Sex::Female));
    let typo =
        clk.encode(&identity("Vilenueve", "Anne", "1953-07-14", Sex::Female));
    let stranger =
        clk.encode(&identity("Gueye", "Moussa", "1980-11-30", Sex::Male));

    assert!(
        dice_coefficient(&anne, &typo) > dice_coefficient(&anne, &stranger)
    );
}

#[test]
fn xor_folded_clk_is_half_length() {
    let clk = encoder(ClkSettings {
        xor_fold: true,
        ..ClkSettings::default()
    });
    let anne =
        clk.encode(&identity("Villeneuve", "Anne", "1953-07-14", Sex::Female));
    let typo =
        clk.encode(&identity("Vilenueve", "Anne", "1953-07-14", Sex::Female));

    assert_eq!(anne.len(), 64);
    assert!(dice_coefficient(&anne, &typo) > 0.6);
}

#[test]
fn missing_fields_set_no_bits() {
    let clk = encoder(ClkSettings::default());

    let empty = clk.encode(&ClkIdentity::default());
    let unknown_sex = clk.encode(&ClkIdentity {
        sex: Some(Sex::Unknown),
        ..ClkIdentity::default()
    });
    let blank_name = clk.encode(&ClkIdentity {
        surname: Some(" - "),
        ..ClkIdentity::default()
    });

    assert_eq!(bits_set(&empty), 0);
    assert_eq!(bits_set(&unknown_sex), 0);
    assert_eq!(bits_set(&blank_name), 0);
}

#[test]
fn partial_birth_date_sets_known_parts() {
    let clk = encoder(ClkSettings {
        salt_with_birth_year: false,
        ..ClkSettings::default()
    });
    let year_only = ClkIdentity {
        birth_date: Some(PartialDate::parse_iso("1961-99-99").unwrap()),
        ..ClkIdentity::default()
    };
    let complete = ClkIdentity {
        birth_date: Some(PartialDate::parse_iso("1961-04-05").unwrap()),
        ..ClkIdentity::default()
    };

    let year_bits = clk.encode(&year_only);
    let complete_bits = clk.encode(&complete);

    // Every bit of the year is also set in the complete date.
    assert!(
        year_bits
            .iter()
            .zip(&complete_bits)
            .all(|(y, c)| y & !c == 0)
    );
    assert!(bits_set(&complete_bits) > bits_set(&year_bits));
}

#[test]
fn invalid_settings_are_rejected() {
    let key = Key::from_bytes([9; 32]);
    for settings in [
        ClkSettings {
            bits: 1000,
            ..ClkSettings::default()
        },
        ClkSettings {
            bits: 32,
            ..ClkSettings::default()
        },
        ClkSettings {
            name_bits: 0,
            ..ClkSettings::default()
        },
        ClkSettings {
            date_bits: 257,
            ..ClkSettings::default()
        },
    ] {
        let error = ClkEncoder::new(&key, settings).unwrap_err();
        assert!(
            matches!(error.kind(), ErrorKind::InvalidClkSettings { .. }),
            "{settings:?}: {error}"
        );
    }
}

#[test]
fn identity_debug_hides_values() {
    let person = identity("Villeneuve", "Héloïse", "1953-07-14", Sex::Female);

    let debug = format!("{person:?}");

    for secret in ["Villeneuve", "Héloïse", "1953"] {
        assert!(!debug.contains(secret), "{secret} in {debug}");
    }
}

#[test]
fn default_settings_fill_about_a_third() {
    // BERNARD and SOPHIE give 15 distinct padded bigrams; with the 3
    // date parts at 20 bits and the sex at 10 that is 370 insertions into
    // 1024 bits, so 1 - (1 - 1/1024)^370 = 30.3 % of bits are expected set.
    let clk = encoder(ClkSettings::default());
    let filter =
        clk.encode(&identity("Bernard", "Sophie", "1970-06-15", Sex::Female));

    let share = f64::from(bits_set(&filter)) / 1024.0;
    assert!((0.26..=0.35).contains(&share), "share of bits set {share}");
}
