//! Pseudonyms, Bloom filters and their placement in source records.

use proptest::prelude::*;
use rnc_model::{NirStatus, PartialDate, SaltedNames, Sex, SourceRecord};
use rnc_pseudonym::{
    BLOOM_BYTES, ClearIdentity, Domain, Key, Pseudonymiser, dice_coefficient,
    name_salt, name_salts, normalise_name,
};

fn pseudonymiser(seed: u8) -> Pseudonymiser {
    Pseudonymiser::new(&Key::from_bytes([seed; 32]))
}

fn apply(identity: &ClearIdentity) -> SourceRecord {
    let mut record = SourceRecord::default();
    pseudonymiser(1).apply(identity, &mut record);
    record
}

fn with_nir(nir: &str) -> SourceRecord {
    apply(&ClearIdentity {
        nir: Some(nir.to_string()),
        ..Default::default()
    })
}

fn with_birth_date(date: &str) -> SourceRecord {
    apply(&ClearIdentity {
        birth_date: Some(PartialDate::parse_iso(date).unwrap()),
        ..Default::default()
    })
}

proptest! {
    #[test]
    fn same_key_same_pseudonym(seed: [u8; 32], text in "\\PC{0,40}") {
        let a = Pseudonymiser::new(&Key::from_bytes(seed));
        let b = Pseudonymiser::new(&Key::from_bytes(seed));
        prop_assert_eq!(
            a.pseudonym(Domain::Name, &text),
            b.pseudonym(Domain::Name, &text)
        );
        prop_assert_eq!(
            a.bloom(Domain::FirstName, &text),
            b.bloom(Domain::FirstName, &text)
        );
    }

    #[test]
    fn different_key_different_pseudonym(
        seed_a: [u8; 32],
        seed_b: [u8; 32],
        text in "[A-Z]{1,20}",
    ) {
        prop_assume!(seed_a != seed_b);
        let a = Pseudonymiser::new(&Key::from_bytes(seed_a));
        let b = Pseudonymiser::new(&Key::from_bytes(seed_b));
        prop_assert_ne!(
            a.pseudonym(Domain::Nir, &text),
            b.pseudonym(Domain::Nir, &text)
        );
        prop_assert_ne!(a.bloom(Domain::Name, &text), b.bloom(Domain::Name, &text));
    }
}

#[test]
fn pseudonym_is_lowercase_hex_sha256() {
    let pseudonym = pseudonymiser(1).pseudonym(Domain::Nir, "255081416802538");

    assert_eq!(pseudonym.len(), 64);
    assert!(
        pseudonym
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    );
}

#[test]
fn domains_separate_equal_text() {
    let p = pseudonymiser(1);

    assert_ne!(
        p.pseudonym(Domain::Name, "MARIE"),
        p.pseudonym(Domain::FirstName, "MARIE")
    );
    assert_ne!(
        p.pseudonym(Domain::BirthDateParts, "1961-04-05"),
        p.pseudonym(Domain::BirthDate, "1961-04-05")
    );
}

// NIR examples from the doctests of python-stdnum's stdnum/fr/nir.py and
// the README of the french-ssn package.
#[test]
fn valid_nir_gets_pseudonym() {
    for nir in [
        "2 95 10 99 126 111 93",
        "253072B07300470",
        "253072A07300443",
        "2 55 08 14 168 025 38",
    ] {
        let record = with_nir(nir);
        assert_eq!(record.nir_status, Some(NirStatus::Valid), "{nir}");
        assert!(record.nir_pseudonym.is_some(), "{nir}");
    }
}

#[test]
fn nir_spacing_does_not_change_pseudonym() {
    let spaced = with_nir("2 95 10 99 126 111 93");
    let compact = with_nir("295109912611193");

    assert_eq!(spaced.nir_pseudonym, compact.nir_pseudonym);
}

#[test]
fn invalid_nir_gets_status_only() {
    // Wrong key, unknown département letter and 16 digits, from
    // python-stdnum's doctests.
    for nir in ["295109912611199", "253072C07300443", "2530721073004430"] {
        let record = with_nir(nir);
        assert_eq!(record.nir_status, Some(NirStatus::Invalid), "{nir}");
        assert_eq!(record.nir_pseudonym, None, "{nir}");
    }
}

#[test]
fn provisional_nir_gets_pseudonym() {
    // A provisional number starts with 7 or 8. Its key follows the rule
    // 97 - (first 13 digits mod 97): 7520575123456 mod 97 = 65, key 32 (computed with Python).
    let record = with_nir("752057512345632");

    assert_eq!(record.nir_status, Some(NirStatus::Provisional));
    assert!(record.nir_pseudonym.is_some());
}

#[test]
fn missing_nir_is_missing() {
    let record = apply(&ClearIdentity::default());

    assert_eq!(record.nir_status, Some(NirStatus::Missing));
    assert_eq!(record.nir_pseudonym, None);
}

#[test]
fn complete_birth_date_pseudonyms() {
    let record = with_birth_date("1961-04-05");
    let transposed = with_birth_date("1961-05-04");

    assert!(record.birth_date_pseudonym.is_some());
    assert_ne!(record.birth_date_pseudonym, transposed.birth_date_pseudonym);
    assert_eq!(
        record.birth_date_swapped_pseudonym,
        transposed.birth_date_pseudonym
    );
    assert_eq!(
        transposed.birth_date_swapped_pseudonym,
        record.birth_date_pseudonym
    );
    assert!(record.birth_year_month_pseudonym.is_some());
    assert!(record.birth_year_day_pseudonym.is_some());
    assert!(record.birth_month_day_pseudonym.is_some());
}

#[test]
fn one_part_off_shares_masked_date() {
    let record = with_birth_date("1961-04-05");
    let year_off = with_birth_date("1962-04-05");
    let month_off = with_birth_date("1961-09-05");
    let day_off = with_birth_date("1961-04-15");
    let two_off = with_birth_date("1962-09-05");

    assert_eq!(
        record.birth_month_day_pseudonym,
        year_off.birth_month_day_pseudonym
    );
    assert_ne!(
        record.birth_year_month_pseudonym,
        year_off.birth_year_month_pseudonym
    );
    assert_eq!(
        record.birth_year_day_pseudonym,
        month_off.birth_year_day_pseudonym
    );
    assert_eq!(
        record.birth_year_month_pseudonym,
        day_off.birth_year_month_pseudonym
    );
    for masked in [
        |r: &SourceRecord| r.birth_year_month_pseudonym.clone(),
        |r: &SourceRecord| r.birth_year_day_pseudonym.clone(),
        |r: &SourceRecord| r.birth_month_day_pseudonym.clone(),
    ] {
        assert_ne!(masked(&record), masked(&two_off));
    }
}

#[test]
fn no_pseudonym_of_one_date_part() {
    // A year, month or day alone has at most a few hundred values, which
    // the age at the event next to it would reveal.
    let record = with_birth_date("1961-04-05");
    let p = pseudonymiser(1);
    let alone = ["1961", "04", "05", "1961-**-**", "****-04-**", "****-**-05"];
    for text in alone {
        for domain in [Domain::BirthDate, Domain::BirthDateParts] {
            let pseudonym = Some(p.pseudonym(domain, text));
            for stored in [
                &record.birth_date_pseudonym,
                &record.birth_date_swapped_pseudonym,
                &record.birth_date_next_year_pseudonym,
                &record.birth_year_month_pseudonym,
                &record.birth_year_day_pseudonym,
                &record.birth_month_day_pseudonym,
            ] {
                assert_ne!(stored, &pseudonym, "{text}");
            }
        }
    }
}

// 1961-04-05 and 1962-04-05 are one year apart, so the earlier date's
// next-year pseudonym is the later date's pseudonym. No other pair of the
// three dates matches that way.
#[test]
fn next_year_pseudonym_matches_year_later() {
    let record = with_birth_date("1961-04-05");
    let next = with_birth_date("1962-04-05");
    let two_later = with_birth_date("1963-04-05");

    assert!(record.birth_date_next_year_pseudonym.is_some());
    assert_eq!(
        record.birth_date_next_year_pseudonym,
        next.birth_date_pseudonym
    );
    assert_ne!(
        record.birth_date_next_year_pseudonym,
        two_later.birth_date_pseudonym
    );
    assert_ne!(
        next.birth_date_next_year_pseudonym,
        record.birth_date_pseudonym
    );
    let partial = with_birth_date("1961-04-99");
    assert_eq!(partial.birth_date_next_year_pseudonym, None);
}

#[test]
fn swap_needs_day_at_most_twelve() {
    assert_eq!(
        with_birth_date("1961-04-20").birth_date_swapped_pseudonym,
        None
    );
    assert_eq!(
        with_birth_date("1961-04-04").birth_date_swapped_pseudonym,
        None
    );
    assert!(
        with_birth_date("1961-04-12")
            .birth_date_swapped_pseudonym
            .is_some()
    );
}

#[test]
fn partial_birth_date_keeps_known_parts() {
    let month_known = with_birth_date("1961-04-99");
    let year_known = with_birth_date("1961-99-99");
    let complete = with_birth_date("1961-04-05");

    assert_eq!(month_known.birth_date_pseudonym, None);
    assert_eq!(month_known.birth_date_swapped_pseudonym, None);
    assert_eq!(month_known.birth_month_day_pseudonym, None);
    assert_eq!(month_known.birth_year_day_pseudonym, None);
    assert_eq!(
        month_known.birth_year_month_pseudonym,
        complete.birth_year_month_pseudonym
    );
    assert_eq!(year_known.birth_year_month_pseudonym, None);
    assert_eq!(year_known.birth_year_day_pseudonym, None);
    assert_eq!(year_known.birth_month_day_pseudonym, None);
}

#[test]
fn married_name_in_birth_column_matches() {
    let a = apply(&ClearIdentity {
        birth_name: Some("Dupont".into()),
        usage_name: Some("Lefèvre".into()),
        ..Default::default()
    });
    let b = apply(&ClearIdentity {
        birth_name: Some("LEFEVRE".into()),
        ..Default::default()
    });

    assert_eq!(
        a.month_salted_names.usage_name_pseudonym,
        b.month_salted_names.birth_name_pseudonym
    );
    assert_eq!(
        a.month_salted_names.usage_name_bloom,
        b.month_salted_names.birth_name_bloom
    );
    assert_ne!(
        a.month_salted_names.birth_name_pseudonym,
        b.month_salted_names.birth_name_pseudonym
    );
    assert_eq!(b.month_salted_names.usage_name_pseudonym, None);
}

#[test]
fn particle_spacing_gives_same_exact_pseudonym() {
    let spaced = apply(&ClearIdentity {
        birth_name: Some("De la Fontaine".into()),
        ..Default::default()
    });
    let joined = apply(&ClearIdentity {
        birth_name: Some("DELAFONTAINE".into()),
        ..Default::default()
    });
    let upper = apply(&ClearIdentity {
        birth_name: Some("DE LA FONTAINE".into()),
        ..Default::default()
    });

    assert_eq!(
        spaced.month_salted_names.birth_name_pseudonym,
        joined.month_salted_names.birth_name_pseudonym
    );
    assert_eq!(
        spaced.month_salted_names.birth_name_pseudonym,
        upper.month_salted_names.birth_name_pseudonym
    );
    assert_eq!(
        spaced.month_salted_names.birth_name_bloom,
        upper.month_salted_names.birth_name_bloom
    );
}

#[test]
fn empty_name_after_normalisation_is_missing() {
    let record = apply(&ClearIdentity {
        first_name: Some(" -- ".into()),
        ..Default::default()
    });

    assert_eq!(record.month_salted_names.first_name_pseudonym, None);
    assert_eq!(record.month_salted_names.first_name_bloom, None);
}

#[test]
fn accented_forms_share_pseudonym() {
    // The RENÉE pair (precomposed U+00C9 and E + U+0301) must give one
    // hash, as Python's unicodedata.normalize shows the NFC forms agree.
    let nfc = apply(&ClearIdentity {
        first_name: Some("REN\u{00C9}E".into()),
        ..Default::default()
    });
    let nfd = apply(&ClearIdentity {
        first_name: Some("RENE\u{0301}E".into()),
        ..Default::default()
    });

    assert_eq!(
        nfc.month_salted_names.first_name_pseudonym,
        nfd.month_salted_names.first_name_pseudonym
    );
}

/// Padded bigrams of a name as a set, for the hand check below.
fn bigrams(name: &str) -> std::collections::BTreeSet<String> {
    let padded: Vec<char> = format!(" {name} ").chars().collect();
    padded.windows(2).map(|w| w.iter().collect()).collect()
}

#[test]
fn smith_smyth_bigram_dice() {
    // clkhash's documentation works this example by hand: with one space
    // of padding, SMITH and SMYTH share 4 of their 6 bigrams, so the q-gram
    // Dice coefficient is 2 * 4 / (6 + 6) = 0.667.
    let smith = bigrams("SMITH");
    let smyth = bigrams("SMYTH");
    let common = smith.intersection(&smyth).count();

    assert_eq!(smith.len(), 6);
    assert_eq!(common, 4);
    let q_gram_dice = 2.0 * common as f64 / (smith.len() + smyth.len()) as f64;
    assert!((q_gram_dice - 0.667).abs() < 0.001);
}

#[test]
fn smith_smyth_bloom_dice() {
    // The Bloom Dice approximates the q-gram Dice of 0.667 above; bit
    // collisions move it a little, by an amount that depends on the key.
    for seed in [1u8, 2, 3, 50, 200] {
        let p = pseudonymiser(seed);
        let smith = p.bloom(Domain::Name, "SMITH");
        let smyth = p.bloom(Domain::Name, "SMYTH");
        let dice = dice_coefficient(&smith, &smyth);
        assert!((0.6..=0.75).contains(&dice), "key {seed}: Dice {dice}");
        assert_eq!(dice_coefficient(&smith, &smith), 1.0);
    }
}

#[test]
fn bloom_has_fixed_length_and_bounded_bits() {
    let filter = pseudonymiser(1).bloom(Domain::Name, "SMITH");
    let set: u32 = filter.iter().map(|b| b.count_ones()).sum();

    assert_eq!(filter.len(), BLOOM_BYTES);
    // Six bigrams of 20 positions each set at most 120 bits.
    assert!(set <= 120, "{set}");
    assert!(set > 90, "{set}");
}

#[test]
fn unrelated_names_have_low_dice() {
    // MARTIN and GUEYE share no padded bigram, so their q-gram Dice is 0;
    // only chance bit collisions (about 7 % of 1024 bits per name) remain.
    let p = pseudonymiser(1);
    let a = p.bloom(Domain::Name, &normalise_name("Martin"));
    let b = p.bloom(Domain::Name, &normalise_name("Gueye"));

    assert!(bigrams("MARTIN").is_disjoint(&bigrams("GUEYE")));
    assert!(dice_coefficient(&a, &b) < 0.25);
}

#[test]
fn identity_debug_is_redacted() {
    let identity = ClearIdentity {
        nir: Some("253072B07300470".into()),
        birth_name: Some("Villeneuve".into()),
        usage_name: None,
        first_name: Some("Héloïse".into()),
        birth_date: Some(PartialDate::parse_iso("1953-07-14").unwrap()),
    };

    let debug = format!("{identity:?}");

    for secret in ["253072", "Villeneuve", "Héloïse", "1953", "14"] {
        assert!(!debug.contains(secret), "{secret} in {debug}");
    }
    assert!(debug.contains("present"));
}

#[test]
fn pseudonymiser_debug_hides_key() {
    let key = Key::from_bytes([0xAB; 32]);
    let debug = format!("{:?}", Pseudonymiser::new(&key));

    assert!(!debug.contains("abab"), "{debug}");
    assert!(!debug.contains("171"), "{debug}");
    assert!(debug.contains(&key.fingerprint()));
}

#[test]
fn wipe_removes_every_value() {
    let mut identity = ClearIdentity {
        nir: Some("253072B07300470".into()),
        birth_name: Some("Villeneuve".into()),
        usage_name: Some("Roux".into()),
        first_name: Some("Héloïse".into()),
        birth_date: Some(PartialDate::parse_iso("1953-07-14").unwrap()),
    };

    identity.wipe();

    assert_eq!(identity.nir, None);
    assert_eq!(identity.birth_name, None);
    assert_eq!(identity.usage_name, None);
    assert_eq!(identity.first_name, None);
    assert_eq!(identity.birth_date, None);
}

/// Returns the NIR, birth date and sex pseudonym of a record whose sex
/// is set.
fn triplet(nir: &str, birth_date: &str, sex: Option<Sex>) -> Option<String> {
    let mut record = SourceRecord {
        sex,
        ..SourceRecord::default()
    };
    pseudonymiser(1).apply(
        &ClearIdentity {
            nir: Some(nir.to_string()),
            birth_date: PartialDate::parse_iso(birth_date).ok(),
            ..Default::default()
        },
        &mut record,
    );
    record.nir_birth_date_sex_pseudonym
}

// FOIN hashes the insured person's NIR with the beneficiary's birth date
// and sex, so same-sex twins of one insured person share the pseudonym.
// The NIR is a published python-stdnum example.
#[test]
fn triplet_shared_by_same_sex_twins() {
    let nir = "2 95 10 99 126 111 93";
    let twin = triplet(nir, "2010-06-01", Some(Sex::Male));

    assert!(twin.is_some());
    assert_eq!(
        twin,
        triplet("295109912611193", "2010-06-01", Some(Sex::Male))
    );
    assert_ne!(twin, triplet(nir, "2010-06-01", Some(Sex::Female)));
    assert_ne!(twin, triplet(nir, "1995-10-01", Some(Sex::Male)));
    assert_ne!(twin, with_nir(nir).nir_pseudonym);
}

#[test]
fn triplet_needs_all_three_parts() {
    let nir = "2 95 10 99 126 111 93";

    assert_eq!(triplet(nir, "2010-06-01", None), None);
    assert_eq!(triplet(nir, "2010-06-01", Some(Sex::Unknown)), None);
    assert_eq!(triplet(nir, "2010-06-99", Some(Sex::Male)), None);
    assert_eq!(
        triplet("295109912611199", "2010-06-01", Some(Sex::Male)),
        None
    );
}

fn with_name_and_birth(name: &str, birth_date: &str) -> SourceRecord {
    apply(&ClearIdentity {
        birth_name: Some(name.to_string()),
        first_name: Some(name.to_string()),
        birth_date: PartialDate::parse_iso(birth_date).ok(),
        ..Default::default()
    })
}

// Salting with the birth year and month, and with the birth year and day,
// spreads one name over as many values as there are salts, against
// frequency attacks. The salts are `YYYY|NN` in one domain, so the month
// salt of a date is the day salt of its transposition.
#[test]
fn names_salted_with_month_and_day() {
    let a = with_name_and_birth("Martin", "1961-04-05");
    let other_day = with_name_and_birth("MARTIN", "1961-04-30");
    let other_month = with_name_and_birth("MARTIN", "1961-11-05");
    let transposed = with_name_and_birth("MARTIN", "1961-05-04");
    let other_year = with_name_and_birth("Martin", "1962-04-05");
    let (month, day) = (&a.month_salted_names, &a.day_salted_names);

    assert_eq!(month, &other_day.month_salted_names);
    assert_ne!(day, &other_day.day_salted_names);
    assert_eq!(day, &other_month.day_salted_names);
    assert_ne!(month, &other_month.month_salted_names);
    assert_eq!(month, &transposed.day_salted_names);
    assert_eq!(day, &transposed.month_salted_names);
    for (mine, theirs) in [
        (month, &other_year.month_salted_names),
        (day, &other_year.day_salted_names),
    ] {
        assert_ne!(mine.salt_pseudonym, theirs.salt_pseudonym);
        assert_ne!(mine.birth_name_pseudonym, theirs.birth_name_pseudonym);
        assert_ne!(mine.first_name_pseudonym, theirs.first_name_pseudonym);
        assert_ne!(mine.birth_name_bloom, theirs.birth_name_bloom);
    }

    let p = pseudonymiser(1);
    assert_eq!(
        month.birth_name_pseudonym,
        Some(p.pseudonym_salted(Domain::Name, "MARTIN", "1961|04"))
    );
    assert_eq!(
        day.first_name_bloom,
        Some(p.bloom_salted(Domain::FirstName, "MARTIN", "1961|05"))
    );
    assert_eq!(
        month.salt_pseudonym,
        Some(p.pseudonym(Domain::NameSalt, "1961|04"))
    );
    assert_ne!(
        month.birth_name_pseudonym,
        Some(p.pseudonym(Domain::Name, "MARTIN"))
    );
}

#[test]
fn partial_birth_date_keeps_salt_it_forms() {
    let salts = |date: Option<&str>| {
        let date = date.map(|d| PartialDate::parse_iso(d).unwrap());
        name_salts(date.as_ref())
    };
    let complete = salts(Some("1961-04-05"));
    assert_eq!(complete.month, "1961|04");
    assert_eq!(complete.day.as_deref(), Some("1961|05"));
    let no_day = salts(Some("1961-04"));
    assert_eq!(no_day.month, "1961|04");
    assert_eq!(no_day.day, None);
    assert_eq!(salts(Some("1961")).month, "1961");
    assert_eq!(salts(None).month, "");

    let no_day = with_name_and_birth("Martin", "1961-04");
    assert_eq!(no_day.day_salted_names, SaltedNames::default());
    assert_eq!(
        no_day.month_salted_names,
        with_name_and_birth("Martin", "1961-04-05").month_salted_names
    );
    assert_eq!(
        name_salt(PartialDate::parse_iso("1961-04").ok().as_ref()),
        "1961"
    );
    assert_eq!(name_salt(None), "");
}
