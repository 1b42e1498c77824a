//! Jaro-Winkler similarity without allocation for short ASCII values, the
//! common case of standardised names, so that u sampling over millions of
//! pairs is not dominated by the heap allocation strsim makes per call.

/// Longest value, in bytes, compared on the stack; longer or non-ASCII
/// values go to `strsim::jaro_winkler`.
const MAX_STACK_LENGTH: usize = 64;

/// Jaro-Winkler similarity of `a` and `b`, equal to
/// `strsim::jaro_winkler` (strsim 0.11): Jaro on characters, then, when
/// Jaro exceeds 0.7, a bonus of 0.1 per common leading character, for at
/// most 4 characters (Winkler 1990).
pub(crate) fn jaro_winkler(a: &str, b: &str) -> f64 {
    if !a.is_ascii()
        || !b.is_ascii()
        || a.len() > MAX_STACK_LENGTH
        || b.len() > MAX_STACK_LENGTH
    {
        return strsim::jaro_winkler(a, b);
    }
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let similarity = jaro(a, b);
    if similarity > 0.7 {
        let prefix =
            a.iter().zip(b).take(4).take_while(|(x, y)| x == y).count();
        similarity + 0.1 * prefix as f64 * (1.0 - similarity)
    } else {
        similarity
    }
}

/// Jaro similarity of two byte strings of at most [`MAX_STACK_LENGTH`]
/// bytes, with the matching window and transposition count of strsim
/// 0.11, so that both give bit-identical results.
fn jaro(a: &[u8], b: &[u8]) -> f64 {
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let window = (a.len().max(b.len()) / 2).saturating_sub(1);
    let mut a_matched = [false; MAX_STACK_LENGTH];
    let mut b_matched = [false; MAX_STACK_LENGTH];
    let mut matches = 0usize;
    for (i, &x) in a.iter().enumerate() {
        let low = i.saturating_sub(window);
        let high = b.len().min(i + window + 1);
        for j in low..high {
            if !b_matched[j] && b[j] == x {
                a_matched[i] = true;
                b_matched[j] = true;
                matches += 1;
                break;
            }
        }
    }
    if matches == 0 {
        return 0.0;
    }
    let mut transpositions = 0usize;
    let mut j = 0;
    for (i, &x) in a.iter().enumerate() {
        if !a_matched[i] {
            continue;
        }
        while !b_matched[j] {
            j += 1;
        }
        if b[j] != x {
            transpositions += 1;
        }
        j += 1;
    }
    transpositions /= 2;
    ((matches as f64 / a.len() as f64)
        + (matches as f64 / b.len() as f64)
        + ((matches - transpositions) as f64 / matches as f64))
        / 3.0
}

#[cfg(test)]
mod tests {
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    use super::*;

    // The reference is strsim 0.11's own `jaro_winkler`: every value must
    // be bit-identical, because band thresholds such as 0.92 are compared
    // with `>=` and a last-bit difference would move a pair of levels.
    #[test]
    fn equals_strsim_on_random_names() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let alphabet = b"AEILMNORST";
        for _ in 0..20_000 {
            let word = |rng: &mut ChaCha8Rng| -> String {
                let length = rng.random_range(0..12);
                (0..length)
                    .map(|_| {
                        alphabet[rng.random_range(0..alphabet.len())] as char
                    })
                    .collect()
            };
            let (a, b) = (word(&mut rng), word(&mut rng));
            let expected = strsim::jaro_winkler(&a, &b);
            assert_eq!(jaro_winkler(&a, &b).to_bits(), expected.to_bits());
        }
    }

    #[test]
    fn equals_strsim_on_edge_cases() {
        let cases = [
            ("", ""),
            ("", "A"),
            ("A", "A"),
            ("MARTHA", "MARHTA"),
            ("DWAYNE", "DUANE"),
            ("DIXON", "DICKSONX"),
            ("ABCDEFGX", "ABCDEFGY"),
            ("M\u{00DC}LLER", "MULLER"),
        ];
        for (a, b) in cases {
            let expected = strsim::jaro_winkler(a, b);
            assert_eq!(
                jaro_winkler(a, b).to_bits(),
                expected.to_bits(),
                "{a} / {b}"
            );
        }
        let long = "A".repeat(100);
        assert_eq!(jaro_winkler(&long, &long), 1.0);
    }
}
