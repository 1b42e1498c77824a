//! Splitting a person's follow-up into person-time by attained age band,
//! for cohort rates and expected counts (SMR).

use chrono::{Months, NaiveDate};

use crate::{Error, ErrorKind};

/// Person-time of one follow-up split by attained age band, in days.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgeSplit {
    /// Days in each band, in the order of the band starts given.
    pub days_in_band: Vec<i64>,
    /// Days before the first band starts (younger than its lower age):
    /// reported, never dropped.
    pub days_before_first_band: i64,
    /// All days of follow-up; equal to the sum of the other fields.
    pub total_days: i64,
}

/// Splits follow-up from `entry` to `exit` (exit day not counted) by the
/// age bands starting at `band_starts` (ages in years, increasing; the last
/// band is open-ended).
///
/// A birthday is the same calendar date in a later year, and 29 February
/// falls on 28 February in common years. Time before the first band is kept
/// in [`AgeSplit::days_before_first_band`], so that a person younger than
/// the bands does not vanish from the totals.
///
/// # Errors
///
/// [`ErrorKind::NegativeFollowUp`] when `exit` is before `entry`, and
/// [`ErrorKind::InvalidValue`] when the band starts do not increase.
pub fn split_by_age(
    birth: NaiveDate,
    entry: NaiveDate,
    exit: NaiveDate,
    band_starts: &[u32],
) -> Result<AgeSplit, Error> {
    let total_days = exit.signed_duration_since(entry).num_days();
    if total_days < 0 {
        return Err(ErrorKind::NegativeFollowUp { days: total_days }.into());
    }
    if let Some(index) =
        band_starts.windows(2).position(|pair| pair[0] >= pair[1])
    {
        return Err(ErrorKind::InvalidValue {
            field: "band_starts",
            age_group: format!("group {} of {}", index + 2, band_starts.len()),
            value: f64::from(band_starts[index + 1]),
        }
        .into());
    }

    let birthday = |age: u32| {
        birth
            .checked_add_months(Months::new(12 * age))
            .unwrap_or(NaiveDate::MAX)
    };
    let overlap = |from: NaiveDate, to: NaiveDate| -> i64 {
        let start = from.max(entry);
        let end = to.min(exit);
        end.signed_duration_since(start).num_days().max(0)
    };
    let mut days_in_band = Vec::with_capacity(band_starts.len());
    for (index, &start_age) in band_starts.iter().enumerate() {
        let end = band_starts
            .get(index + 1)
            .map_or(NaiveDate::MAX, |&age| birthday(age));
        days_in_band.push(overlap(birthday(start_age), end));
    }
    let days_before_first_band = match band_starts.first() {
        Some(&age) => overlap(NaiveDate::MIN, birthday(age)),
        None => total_days,
    };
    Ok(AgeSplit {
        days_in_band,
        days_before_first_band,
        total_days,
    })
}
