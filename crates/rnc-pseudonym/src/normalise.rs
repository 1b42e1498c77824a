//! Name normalisation before hashing and Bloom-filter encoding.
//!
//! Two sources must turn the same name into the same bytes, or its keyed
//! hash differs and the records never link. Sources differ in case,
//! accents, Unicode form (precomposed `É` or `E` plus a combining accent),
//! ligatures and punctuation, so every one of those is folded here.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Normalises a name for comparison: upper case, no accents, no
/// punctuation, single spaces.
///
/// The steps, in order:
///
/// 1. Unicode NFC, then upper case (`ß` becomes `SS`, as Unicode's
///    SpecialCasing table maps it).
/// 2. NFKD, which splits accented letters (`É` into `E` and U+0301) and
///    compatibility characters (the ligature `ﬁ` into `FI`, full-width
///    letters into ASCII), then every combining mark is removed.
/// 3. Letters that Unicode does not decompose are spelt out: `Œ` to `OE`,
///    `Æ` to `AE`, `Ø` to `O`, `Ł` to `L`, `Đ`/`Ð` to `D`, `Þ` to `TH`.
/// 4. Every character that is not a letter or digit (apostrophes,
///    hyphens, dots, commas, whitespace) becomes a space. Runs of spaces
///    become one space, and leading and trailing spaces are removed.
///
/// Particles are kept (`DE LA FONTAINE` never becomes `FONTAINE`, which
/// would merge different families). The spaces between words are kept
/// here because the Bloom-filter bigrams use them. The exact pseudonym
/// hashes the name with its spaces removed (see
/// [`crate::Pseudonymiser::pseudonym`]), so `De la Fontaine` and
/// `DELAFONTAINE` get the same exact pseudonym.
///
/// Returns an empty string when nothing is left, for example for `"--"`.
pub fn normalise_name(text: &str) -> String {
    let upper: String = text.nfc().collect::<String>().to_uppercase();

    let mut folded = String::with_capacity(upper.len());
    for c in upper.nfkd().filter(|c| !is_combining_mark(*c)) {
        match c {
            'Œ' => folded.push_str("OE"),
            'Æ' => folded.push_str("AE"),
            'Ø' => folded.push('O'),
            'Ł' => folded.push('L'),
            'Đ' | 'Ð' => folded.push('D'),
            'Þ' => folded.push_str("TH"),
            'ẞ' => folded.push_str("SS"),
            _ => folded.push(c),
        }
    }

    let mut normalised = String::with_capacity(folded.len());
    for word in folded.split(|c: char| !c.is_alphanumeric()) {
        if word.is_empty() {
            continue;
        }
        if !normalised.is_empty() {
            normalised.push(' ');
        }
        normalised.push_str(word);
    }
    normalised
}

/// The form of a normalised name that the exact pseudonym hashes: its
/// spaces removed, so that particle spacing does not matter.
pub(crate) fn exact_form(normalised: &str) -> String {
    normalised.chars().filter(|c| *c != ' ').collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected forms checked by hand against Python's
    // unicodedata.normalize("NFKD", s.upper()) with combining marks
    // (unicodedata.combining(c) != 0) removed.
    #[test]
    fn accents_are_removed() {
        assert_eq!(normalise_name("Élodie"), "ELODIE");
        assert_eq!(normalise_name("Müller"), "MULLER");
        assert_eq!(normalise_name("Zoë"), "ZOE");
        assert_eq!(normalise_name("François"), "FRANCOIS");
    }

    #[test]
    fn precomposed_and_decomposed_agree() {
        let precomposed = "REN\u{00C9}E";
        let decomposed = "RENE\u{0301}E";
        assert_ne!(precomposed, decomposed);
        assert_eq!(normalise_name(precomposed), "RENEE");
        assert_eq!(normalise_name(decomposed), "RENEE");
    }

    #[test]
    fn ligatures_are_spelt_out() {
        assert_eq!(normalise_name("Œuvray"), "OEUVRAY");
        assert_eq!(normalise_name("cœur"), "COEUR");
        assert_eq!(normalise_name("Lætitia"), "LAETITIA");
        assert_eq!(normalise_name("\u{FB01}nette"), "FINETTE");
    }

    #[test]
    fn sharp_s_becomes_double_s() {
        assert_eq!(normalise_name("Strauß"), "STRAUSS");
        assert_eq!(normalise_name("STRAU\u{1E9E}"), "STRAUSS");
    }

    #[test]
    fn punctuation_becomes_single_space() {
        assert_eq!(normalise_name("O'Brien"), "O BRIEN");
        assert_eq!(normalise_name("d\u{2019}Artagnan"), "D ARTAGNAN");
        assert_eq!(normalise_name("Jean-Pierre"), "JEAN PIERRE");
        assert_eq!(normalise_name("St. Clair"), "ST CLAIR");
        assert_eq!(normalise_name("  De   la\tFontaine  "), "DE LA FONTAINE");
        assert_eq!(normalise_name("Marie--Thérèse"), "MARIE THERESE");
    }

    #[test]
    fn particles_are_kept() {
        assert_eq!(normalise_name("De la Cruz"), "DE LA CRUZ");
        assert_eq!(exact_form(&normalise_name("De la Cruz")), "DELACRUZ");
        assert_eq!(exact_form(&normalise_name("DELACRUZ")), "DELACRUZ");
        assert_eq!(exact_form(&normalise_name("Le Gall")), "LEGALL");
    }

    #[test]
    fn nothing_left_is_empty() {
        assert_eq!(normalise_name(""), "");
        assert_eq!(normalise_name(" - ' . "), "");
    }
}
