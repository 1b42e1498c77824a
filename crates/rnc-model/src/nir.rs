//! Structure of the NIR (numéro d'inscription au répertoire), the French
//! social-security number, without storing it.
//!
//! Layout (15 characters): sex (1 male, 2 female; 7 and 8 on provisional
//! numbers), year of birth (2), month of birth (2; 20-42 and 50 occur for
//! persons registered from incomplete civil-status records), département
//! of birth (2: digits, `2A` or `2B`; `97`/`98` overseas, then a
//! three-digit commune; `99` born abroad, then a country code), commune
//! (3), order number (3), key (2). The key is 97 minus the first 13 digits
//! modulo 97, where Corsica's `2A` counts as 19 and `2B` as 18
//! (as in python-stdnum's `stdnum.fr.nir`).

use crate::NirStatus;

/// The result of checking a NIR: its status and, when well formed, the
/// normalised 15-character form (upper case, no spaces) to pseudonymise.
///
/// The normalised form is a clear identifier: callers hash it at once and
/// must never store or log it.
#[derive(Clone, PartialEq, Eq)]
pub struct NirCheck {
    /// What the field held.
    pub status: NirStatus,
    /// The normalised NIR when `status` is valid or provisional.
    pub normalised: Option<String>,
}

impl std::fmt::Debug for NirCheck {
    /// Shows the status only, so that a NIR never reaches a log through
    /// `{:?}`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NirCheck")
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

/// Computes the two-digit key of the first 13 characters of a NIR, or
/// `None` when they are not 13 digits (with `2A`/`2B` allowed at
/// positions 6-7).
pub fn nir_key(first_13: &str) -> Option<u8> {
    let bytes = first_13.as_bytes();
    if bytes.len() != 13 {
        return None;
    }
    let digits = match &first_13[5..7] {
        "2A" | "2a" => format!("{}19{}", &first_13[..5], &first_13[7..]),
        "2B" | "2b" => format!("{}18{}", &first_13[..5], &first_13[7..]),
        _ => first_13.to_string(),
    };
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let number: u64 = digits.parse().ok()?;
    Some((97 - number % 97) as u8)
}

/// Checks a NIR as written in a source field: spaces and dots are
/// ignored, an empty field is [`NirStatus::Missing`].
pub fn check_nir(text: &str) -> NirCheck {
    let compact: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '.')
        .collect::<String>()
        .to_ascii_uppercase();
    if compact.is_empty() {
        return NirCheck {
            status: NirStatus::Missing,
            normalised: None,
        };
    }
    let invalid = NirCheck {
        status: NirStatus::Invalid,
        normalised: None,
    };
    if compact.len() != 15 || !compact.is_ascii() {
        return invalid;
    }
    if !has_valid_layout(&compact) {
        return invalid;
    }
    let Ok(key) = compact[13..].parse::<u8>() else {
        return invalid;
    };
    if nir_key(&compact[..13]) != Some(key) {
        return invalid;
    }
    let status = match compact.as_bytes()[0] {
        b'1' | b'2' => NirStatus::Valid,
        _ => NirStatus::Provisional,
    };
    NirCheck {
        status,
        normalised: Some(compact),
    }
}

fn has_valid_layout(nir: &str) -> bool {
    let b = nir.as_bytes();
    let digits =
        |range: std::ops::Range<usize>| b[range].iter().all(u8::is_ascii_digit);
    if !matches!(b[0], b'1' | b'2' | b'7' | b'8') || !digits(1..5) {
        return false;
    }
    let month: u8 = nir[3..5].parse().unwrap_or(0);
    let month_ok = (1..=12).contains(&month)
        || (20..=42).contains(&month)
        || month == 50
        || month == 99;
    let departement = &nir[5..7];
    let departement_ok = matches!(departement, "2A" | "2B") || digits(5..7);
    month_ok && departement_ok && departement != "00" && digits(7..15)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Examples from the doctests of python-stdnum's stdnum/fr/nir.py and
    // the README of the french-ssn package.
    #[test]
    fn published_examples() {
        assert_eq!(check_nir("2 95 10 99 126 111 93").status, NirStatus::Valid);
        assert_eq!(check_nir("295109912611199").status, NirStatus::Invalid);
        assert_eq!(check_nir("253072B07300470").status, NirStatus::Valid);
        assert_eq!(check_nir("253072A07300443").status, NirStatus::Valid);
        assert_eq!(check_nir("253072C07300443").status, NirStatus::Invalid);
        assert_eq!(check_nir("2530721073004430").status, NirStatus::Invalid);
        assert_eq!(check_nir("2 55 08 14 168 025 38").status, NirStatus::Valid);
    }

    #[test]
    fn corsica_keys() {
        assert_eq!(nir_key("253072B073004"), Some(70));
        assert_eq!(nir_key("253072A073004"), Some(43));
    }

    #[test]
    fn empty_is_missing() {
        assert_eq!(check_nir("  ").status, NirStatus::Missing);
    }

    #[test]
    fn provisional_number() {
        let first = "7520575123456";
        let key = nir_key(first).unwrap();
        let nir = format!("{first}{key:02}");
        assert_eq!(check_nir(&nir).status, NirStatus::Provisional);
    }

    #[test]
    fn debug_hides_the_number() {
        let check = check_nir("253072B07300470");
        assert!(!format!("{check:?}").contains("253072"));
    }
}
