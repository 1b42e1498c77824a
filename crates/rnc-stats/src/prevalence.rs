//! Prevalence by counting at an index date: complete prevalence and partial
//! (limited-duration) prevalence over the last N years, counted among the
//! persons the registry diagnosed and followed.
//!
//! Complete prevalence counted this way misses persons diagnosed before the
//! registry started; correcting it needs a completeness index (Capocaccia &
//! De Angelis 1997), which this module does not estimate.

use chrono::{Months, NaiveDate};

use crate::{Error, ErrorKind};

/// A person's diagnosis and vital status for prevalence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PrevalencePerson {
    /// Date of the diagnosis counted (for person-based prevalence, the
    /// first diagnosis of the cancer counted).
    pub diagnosis_date: NaiveDate,
    /// Date of death, if the person died.
    pub death_date: Option<NaiveDate>,
    /// Last date on which the person is known to be alive or dead (the
    /// death date, the date last seen, or the registry's closing date).
    pub last_known_date: NaiveDate,
}

/// Counts of prevalent persons at an index date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prevalence {
    /// The index date.
    pub index_date: NaiveDate,
    /// Persons alive at the index date, diagnosed on or before it.
    pub complete: u64,
    /// For each requested duration N (years): persons alive at the index
    /// date and diagnosed in the N years up to it, as `(N, count)`.
    pub partial: Vec<(u32, u64)>,
    /// Persons diagnosed on or before the index date whose follow-up ends
    /// before it without death: their status at the index date is unknown,
    /// so they are not counted as prevalent.
    pub lost_to_follow_up: u64,
    /// Persons dead on or before the index date.
    pub dead: u64,
    /// Persons diagnosed after the index date.
    pub diagnosed_after: u64,
}

/// Counts complete and partial prevalence at `index_date`.
///
/// A person is prevalent when diagnosed on or before the index date and
/// alive at it: no death on or before it, and known to be alive on it
/// (`last_known_date` on or after it). Partial prevalence over N years
/// counts those diagnosed after the same calendar date N years earlier (29
/// February maps to 28 February). Every person lands in exactly one of
/// prevalent, dead, lost to follow-up or diagnosed after, so the counts add
/// up to the number of persons.
///
/// # Errors
///
/// [`ErrorKind::NegativeFollowUp`] when a person's death or last known date
/// is before the diagnosis.
pub fn count_prevalence(
    persons: &[PrevalencePerson],
    index_date: NaiveDate,
    durations_years: &[u32],
) -> Result<Prevalence, Error> {
    let starts: Vec<(u32, NaiveDate)> = durations_years
        .iter()
        .map(|&years| {
            let start = index_date
                .checked_sub_months(Months::new(12 * years))
                .unwrap_or(NaiveDate::MIN);
            (years, start)
        })
        .collect();
    let mut result = Prevalence {
        index_date,
        complete: 0,
        partial: durations_years.iter().map(|&years| (years, 0)).collect(),
        lost_to_follow_up: 0,
        dead: 0,
        diagnosed_after: 0,
    };
    for person in persons {
        let exit = person.death_date.unwrap_or(person.last_known_date);
        if exit < person.diagnosis_date {
            let days =
                exit.signed_duration_since(person.diagnosis_date).num_days();
            return Err(ErrorKind::NegativeFollowUp { days }.into());
        }
        if person.diagnosis_date > index_date {
            result.diagnosed_after += 1;
        } else if person.death_date.is_some_and(|death| death <= index_date) {
            result.dead += 1;
        } else if person.death_date.is_none()
            && person.last_known_date < index_date
        {
            result.lost_to_follow_up += 1;
        } else {
            result.complete += 1;
            for ((_, start), (_, count)) in
                starts.iter().zip(result.partial.iter_mut())
            {
                if person.diagnosis_date > *start {
                    *count += 1;
                }
            }
        }
    }
    if result.lost_to_follow_up > 0 {
        tracing::warn!(
            lost = result.lost_to_follow_up,
            "persons with follow-up ending before the index date are not counted as prevalent"
        );
    }
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    fn person(
        diagnosis: &str,
        death: Option<&str>,
        last: &str,
    ) -> PrevalencePerson {
        PrevalencePerson {
            diagnosis_date: date(diagnosis),
            death_date: death.map(date),
            last_known_date: date(last),
        }
    }

    #[test]
    fn counting_by_hand() {
        // Index date 2020-01-01. By hand: A (2019) alive -> 1, 3, 5, 10 and
        // complete; B (2016-06) alive -> 5, 10, complete; C (2005) alive ->
        // complete only; D died 2019 -> dead; E died 2020-01-01 -> dead (on
        // the index date); F last seen 2018 -> lost; G diagnosed 2021 ->
        // after; H diagnosed exactly 2015-01-01 -> not in the 5 years
        // (2015-01-01, 2020-01-01], but in 10 and complete.
        let persons = [
            person("2019-03-01", None, "2023-12-31"),
            person("2016-06-15", None, "2023-12-31"),
            person("2005-02-01", Some("2021-05-01"), "2021-05-01"),
            person("2018-02-01", Some("2019-05-01"), "2019-05-01"),
            person("2017-02-01", Some("2020-01-01"), "2020-01-01"),
            person("2012-02-01", None, "2018-07-01"),
            person("2021-02-01", None, "2023-12-31"),
            person("2015-01-01", None, "2023-12-31"),
        ];
        let result =
            count_prevalence(&persons, date("2020-01-01"), &[1, 3, 5, 10])
                .unwrap();
        assert_eq!(result.complete, 4);
        assert_eq!(result.partial, vec![(1, 1), (3, 1), (5, 2), (10, 3)]);
        assert_eq!(result.dead, 2);
        assert_eq!(result.lost_to_follow_up, 1);
        assert_eq!(result.diagnosed_after, 1);
        let total = result.complete
            + result.dead
            + result.lost_to_follow_up
            + result.diagnosed_after;
        assert_eq!(total, persons.len() as u64);
    }

    #[test]
    fn death_before_diagnosis_rejected() {
        let persons = [person("2019-03-01", Some("2019-02-01"), "2019-02-01")];
        let error =
            count_prevalence(&persons, date("2020-01-01"), &[5]).unwrap_err();
        assert!(matches!(error.kind(), ErrorKind::NegativeFollowUp { .. }));
    }

    #[test]
    fn leap_day_index_date() {
        // One year before 2024-02-29 is 2023-02-28 (chrono clamps the day),
        // so a diagnosis on 2023-02-28 is outside 1-year prevalence.
        let persons = [
            person("2023-02-28", None, "2024-12-31"),
            person("2023-03-01", None, "2024-12-31"),
        ];
        let result =
            count_prevalence(&persons, date("2024-02-29"), &[1]).unwrap();
        assert_eq!(result.partial, vec![(1, 1)]);
        assert_eq!(result.complete, 2);
    }
}
