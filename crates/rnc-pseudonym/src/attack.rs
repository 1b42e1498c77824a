//! A frequency-alignment attack on encodings, to measure how much a set of
//! encoding settings leaks (Kuzu, Kantarcioglu, Durham and Malin, "A
//! constraint satisfaction cryptanalysis of Bloom filters in private record
//! linkage", PETS 2011, in its simplest form).
//!
//! The attacker has the encodings and knows how often each plaintext
//! value occurs in the population. They sort the distinct encodings and
//! the distinct plaintext values by count, most frequent first, and guess
//! that the encoding of rank r encodes the value of rank r. Only ranks
//! where both counts are at least `min_count` are aligned, because values
//! seen once cannot be told apart by frequency. A record is re-identified
//! when the value guessed for its encoding is its true value.
//!
//! The experiment gives the attacker the exact frequencies of the data
//! set itself, which is more than a real attacker has, so the share it
//! reports is an upper bound for this attack, not for every attack.

use std::collections::HashMap;

/// Outcome of one attack run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrequencyAttack {
    /// Records attacked.
    pub records: usize,
    /// Distinct encodings among them.
    pub distinct_encodings: usize,
    /// Ranks aligned: encodings matched to a guessed value.
    pub aligned: usize,
    /// Aligned ranks whose guess is right for the most common value under
    /// that encoding.
    pub aligned_correct: usize,
    /// Records whose encoding was aligned to their own true value.
    pub records_reidentified: usize,
    /// Whether each record, in the order given, was re-identified, so
    /// that attacks on two fields of the same records can be combined.
    pub reidentified: Vec<bool>,
}

impl FrequencyAttack {
    /// Share of records re-identified, from 0 to 1.
    pub fn share_reidentified(&self) -> f64 {
        if self.records == 0 {
            return 0.0;
        }
        self.records_reidentified as f64 / self.records as f64
    }
}

/// Runs the frequency-alignment attack: `encodings[i]` is the encoding of
/// record `i` and `values[i]` its true plaintext value, which the attacker
/// does not see but whose frequencies they know.
///
/// Ties in count are broken by the encoding's bytes and the value's text,
/// an order unrelated to the plaintext, so tied ranks align by chance.
///
/// # Panics
///
/// When `encodings` and `values` differ in length.
pub fn frequency_alignment_attack<E, V>(
    encodings: &[E],
    values: &[V],
    min_count: usize,
) -> FrequencyAttack
where
    E: AsRef<[u8]>,
    V: AsRef<str>,
{
    assert_eq!(encodings.len(), values.len(), "one true value per encoding");
    let ranked_encodings = ranked(encodings.iter().map(AsRef::as_ref));
    let ranked_values =
        ranked(values.iter().map(|value| value.as_ref().as_bytes()));

    let mut guess: HashMap<&[u8], &[u8]> = HashMap::new();
    for ((encoding, encoding_count), (value, value_count)) in
        ranked_encodings.iter().zip(&ranked_values)
    {
        if *encoding_count < min_count || *value_count < min_count {
            break;
        }
        guess.insert(encoding, value);
    }
    score_guesses(encodings, values, &guess, ranked_encodings.len())
}

/// Scores the guessed value of each aligned encoding against the records'
/// true values.
fn score_guesses<E, V>(
    encodings: &[E],
    values: &[V],
    guess: &HashMap<&[u8], &[u8]>,
    distinct_encodings: usize,
) -> FrequencyAttack
where
    E: AsRef<[u8]>,
    V: AsRef<str>,
{
    let mut reidentified = vec![false; encodings.len()];
    let mut correct_encodings: HashMap<&[u8], bool> = HashMap::new();
    for ((encoding, value), record) in
        encodings.iter().zip(values).zip(&mut reidentified)
    {
        let Some(guessed) = guess.get(encoding.as_ref()) else {
            continue;
        };
        let right = *guessed == value.as_ref().as_bytes();
        *record = right;
        let entry = correct_encodings.entry(encoding.as_ref()).or_insert(false);
        *entry |= right;
    }

    FrequencyAttack {
        records: encodings.len(),
        distinct_encodings,
        aligned: guess.len(),
        aligned_correct: correct_encodings
            .values()
            .filter(|right| **right)
            .count(),
        records_reidentified: reidentified.iter().filter(|r| **r).count(),
        reidentified,
    }
}

/// Runs the frequency-alignment attack against a published ranking.
/// The attacker ranks the distinct encodings by count. They guess that
/// the encoding of rank r encodes `reference[r]`, the value of rank r in
/// a list such as the first names given in one birth year. Only encodings
/// seen at least `min_count` times are aligned. `values[i]` is the true
/// value of record `i`, used only to score the guesses.
///
/// This is the attack an attacker can run on one group of encodings, for
/// example those sharing a salt, with public frequencies rather than the
/// group's own, which are not published.
///
/// # Panics
///
/// When `encodings` and `values` differ in length.
pub fn reference_alignment_attack<E, V, R>(
    encodings: &[E],
    values: &[V],
    reference: &[R],
    min_count: usize,
) -> FrequencyAttack
where
    E: AsRef<[u8]>,
    V: AsRef<str>,
    R: AsRef<str>,
{
    assert_eq!(encodings.len(), values.len(), "one true value per encoding");
    let ranked_encodings = ranked(encodings.iter().map(AsRef::as_ref));
    let guess: HashMap<&[u8], &[u8]> = ranked_encodings
        .iter()
        .take_while(|(_, count)| *count >= min_count)
        .zip(reference)
        .map(|((encoding, _), value)| (*encoding, value.as_ref().as_bytes()))
        .collect();
    score_guesses(encodings, values, &guess, ranked_encodings.len())
}

/// Distinct items with their counts, most frequent first.
fn ranked<'a>(items: impl Iterator<Item = &'a [u8]>) -> Vec<(&'a [u8], usize)> {
    let mut counts: HashMap<&[u8], usize> = HashMap::new();
    for item in items {
        *counts.entry(item).or_default() += 1;
    }
    let mut ranked: Vec<(&[u8], usize)> = counts.into_iter().collect();
    ranked.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    ranked
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distinct_frequencies_are_fully_aligned() {
        // Deterministic encodings of values with counts 3, 2 and 1: the
        // two values seen at least twice are re-identified (5 records).
        let values = ["A", "A", "A", "B", "B", "C"];
        let encodings: Vec<Vec<u8>> = values
            .iter()
            .map(|v| v.bytes().map(|b| b ^ 0x5A).collect())
            .collect();

        let attack = frequency_alignment_attack(&encodings, &values, 2);

        assert_eq!(attack.distinct_encodings, 3);
        assert_eq!(attack.aligned, 2);
        assert_eq!(attack.aligned_correct, 2);
        assert_eq!(attack.records_reidentified, 5);
        assert_eq!(attack.reidentified, [true, true, true, true, true, false]);
        assert!((attack.share_reidentified() - 5.0 / 6.0).abs() < 1e-12);
    }

    #[test]
    fn reference_ranking_guesses_by_rank() {
        // Group counts A 3, B 2, C 1. Against the ranking B, A, C, the two
        // encodings seen twice or more are guessed B then A, both wrong.
        // Against A, B, C both are right, for 5 records.
        let values = ["A", "A", "A", "B", "B", "C"];
        let encodings: Vec<Vec<u8>> = values
            .iter()
            .map(|v| v.bytes().map(|b| b ^ 0x5A).collect())
            .collect();
        let wrong = reference_alignment_attack(
            &encodings,
            &values,
            &["B", "A", "C"],
            2,
        );

        assert_eq!(wrong.aligned, 2);
        assert_eq!(wrong.records_reidentified, 0);
        assert_eq!(wrong.reidentified, [false; 6]);
        let right = reference_alignment_attack(
            &encodings,
            &values,
            &["A", "B", "C"],
            2,
        );
        assert_eq!(right.aligned_correct, 2);
        assert_eq!(right.records_reidentified, 5);
    }

    #[test]
    fn unique_encodings_reveal_nothing() {
        // Every record has its own encoding, as with a salted CLK: no
        // encoding is seen twice, so nothing is aligned.
        let values = ["A", "A", "B", "B"];
        let encodings = [[1u8], [2], [3], [4]];

        let attack = frequency_alignment_attack(&encodings, &values, 2);

        assert_eq!(attack.aligned, 0);
        assert_eq!(attack.records_reidentified, 0);
    }
}
