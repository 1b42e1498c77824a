//! Partial dates: registry dates whose day, or day and month, are unknown.
//!
//! Sources write an unknown part as `99` (`1960-99-99`, `15/99/1960`,
//! `19609999`) and a wholly unknown date as `99999999` or an empty field.
//! Older extracts also mark a wholly unknown date with zeros
//! (`00000000`, `0000-00-00`); see [`PartialDate::is_unknown_mark`].
//! An unknown part stays unknown here: it is never filled with a made-up
//! value, except by [`PartialDate::midpoint`], as its name shows.

use std::cmp::Ordering;
use std::fmt;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// A date that is not a valid date, or not in a form rnc reads.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DateError {
    /// The text is not `YYYY-MM-DD`, `DD/MM/YYYY` or `YYYYMMDD`.
    #[error("date is not in the form YYYY-MM-DD, DD/MM/YYYY or YYYYMMDD")]
    UnreadableForm,
    /// The parts are in range one by one but do not make a calendar date,
    /// such as 30 February or 29 February in a common year.
    #[error("date does not exist in the calendar")]
    Impossible,
    /// A month above 12 or a day above 31 that is not the unknown mark 99.
    #[error("month or day is out of range (unknown parts are written 99)")]
    OutOfRange,
    /// A day is given but the month is unknown.
    #[error("day is known but month is unknown")]
    DayWithoutMonth,
}

/// A calendar date of which the day, or the day and month, may be unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PartialDate {
    year: i32,
    month: Option<u32>,
    day: Option<u32>,
}

impl PartialDate {
    /// Builds a partial date and checks that its known parts exist.
    ///
    /// # Errors
    ///
    /// [`DateError::OutOfRange`], [`DateError::DayWithoutMonth`] or
    /// [`DateError::Impossible`].
    pub fn new(
        year: i32,
        month: Option<u32>,
        day: Option<u32>,
    ) -> Result<PartialDate, DateError> {
        if !(1800..=2200).contains(&year) {
            return Err(DateError::OutOfRange);
        }
        match (month, day) {
            (None, Some(_)) => Err(DateError::DayWithoutMonth),
            (Some(m), _) if !(1..=12).contains(&m) => {
                Err(DateError::OutOfRange)
            }
            (Some(m), Some(d)) => {
                if !(1..=31).contains(&d) {
                    return Err(DateError::OutOfRange);
                }
                NaiveDate::from_ymd_opt(year, m, d)
                    .ok_or(DateError::Impossible)?;
                Ok(PartialDate { year, month, day })
            }
            _ => Ok(PartialDate { year, month, day }),
        }
    }

    /// A complete date.
    pub fn from_date(date: NaiveDate) -> PartialDate {
        PartialDate {
            year: date.year(),
            month: Some(date.month()),
            day: Some(date.day()),
        }
    }

    /// Parses a source date: `YYYY-MM-DD`, `DD/MM/YYYY` or `YYYYMMDD`,
    /// with `99` for an unknown day or month. The ISO and compact forms may
    /// also drop unknown parts (`YYYY-MM`, `YYYYMM`, `YYYY`).
    ///
    /// Returns `Ok(None)` for an empty field and for a mark of a wholly
    /// unknown date such as `99999999` or `00000000`
    /// ([`PartialDate::is_unknown_mark`]), never a date in year 9999 or 0.
    ///
    /// # Errors
    ///
    /// A [`DateError`] naming what is wrong, never the date itself, because
    /// the date may be a birth date.
    pub fn parse(text: &str) -> Result<Option<PartialDate>, DateError> {
        let text = text.trim();
        if text.is_empty() || PartialDate::is_unknown_mark(text) {
            return Ok(None);
        }
        let (year, month, day) = if let Some((d, rest)) = text.split_once('/') {
            let (m, y) =
                rest.split_once('/').ok_or(DateError::UnreadableForm)?;
            (y, Some(m), Some(d))
        } else if text.contains('-') {
            let mut parts = text.splitn(3, '-');
            let y = parts.next().ok_or(DateError::UnreadableForm)?;
            (y, parts.next(), parts.next())
        } else if text.len() == 4 {
            (text, None, None)
        } else if text.len() == 8 {
            (&text[..4], Some(&text[4..6]), Some(&text[6..]))
        } else if text.len() == 6 {
            // YYYYMM: a year and month, the day unknown.
            (&text[..4], Some(&text[4..]), None)
        } else {
            return Err(DateError::UnreadableForm);
        };
        if year.len() != 4 {
            return Err(DateError::UnreadableForm);
        }
        let year: i32 = parse_digits(year)?;
        let month = parse_part(month)?;
        let day = parse_part(day)?;
        PartialDate::new(year, month, day).map(Some)
    }

    /// Returns whether `text` marks a wholly unknown date: its digits are
    /// all `9` or all `0`, four, six or eight of them, with only `-`, `/`,
    /// `.` or spaces between them. That covers `99999999`, `9999-99-99`,
    /// `99/99/9999` and the zero forms `00000000`, `0000-00-00` and
    /// `00/00/0000` of older registry software. Neither 9999 nor 0 is a
    /// year a registry date can have (years run 1800-2200 here), so no
    /// real date is mistaken for a mark.
    pub fn is_unknown_mark(text: &str) -> bool {
        let text = text.trim();
        if !text
            .bytes()
            .all(|b| b.is_ascii_digit() || b"-/. ".contains(&b))
        {
            return false;
        }
        let digits: Vec<u8> = text.bytes().filter(u8::is_ascii_digit).collect();
        matches!(digits.len(), 4 | 6 | 8)
            && (digits.iter().all(|b| *b == b'9')
                || digits.iter().all(|b| *b == b'0'))
    }

    /// Parses an ISO date written by [`PartialDate::to_iso`]; a convenience
    /// for tests and tables where the form is known.
    ///
    /// # Errors
    ///
    /// As [`PartialDate::parse`]; an empty text is
    /// [`DateError::UnreadableForm`].
    pub fn parse_iso(text: &str) -> Result<PartialDate, DateError> {
        PartialDate::parse(text)?.ok_or(DateError::UnreadableForm)
    }

    /// The year.
    pub fn year(&self) -> i32 {
        self.year
    }

    /// The month (1-12), when known.
    pub fn month(&self) -> Option<u32> {
        self.month
    }

    /// The day of the month, when known.
    pub fn day(&self) -> Option<u32> {
        self.day
    }

    /// The calendar date when every part is known.
    pub fn complete(&self) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(self.year, self.month?, self.day?)
    }

    /// Whether day and month are both known.
    pub fn is_complete(&self) -> bool {
        self.day.is_some()
    }

    /// A calendar date standing for this partial date: the date itself
    /// when complete, else the 15th of a known month, else 1 July.
    ///
    /// Used only where a single day is needed to order or measure, such as
    /// sorting a person's records; follows the common registry convention
    /// of imputing the middle of the unknown period.
    pub fn midpoint(&self) -> NaiveDate {
        let month = self.month.unwrap_or(7);
        let day = match (self.month, self.day) {
            (Some(_), Some(d)) => d,
            (Some(_), None) => 15,
            (None, _) => 1,
        };
        NaiveDate::from_ymd_opt(self.year, month, day)
            .expect("midpoint parts come from a validated date")
    }

    /// Age in completed years on `other`, when this is a birth date.
    ///
    /// A person born on 29 February completes a year on 1 March in a
    /// common year. Returns `None` when unknown parts make the age
    /// ambiguous, or when `other` is before this date.
    pub fn age_at(&self, other: &PartialDate) -> Option<u16> {
        let years = other.year - self.year;
        let birthday_passed = match (self.month, other.month) {
            (Some(bm), Some(om)) if bm != om => Some(om > bm),
            (Some(_), Some(_)) => match (self.day, other.day) {
                (Some(bd), Some(od)) => Some(od >= bd),
                _ => None,
            },
            _ => None,
        };
        let age = match birthday_passed {
            Some(true) => years,
            Some(false) => years - 1,
            None if years == 0 => 0,
            None => return None,
        };
        u16::try_from(age).ok()
    }

    /// The ISO 8601 form, dropping unknown parts: `2021-03-04`, `2021-03`
    /// or `2021`.
    pub fn to_iso(&self) -> String {
        match (self.month, self.day) {
            (Some(m), Some(d)) => format!("{:04}-{m:02}-{d:02}", self.year),
            (Some(m), None) => format!("{:04}-{m:02}", self.year),
            _ => format!("{:04}", self.year),
        }
    }
}

impl fmt::Display for PartialDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_iso())
    }
}

impl PartialOrd for PartialDate {
    fn partial_cmp(&self, other: &PartialDate) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for PartialDate {
    /// Orders by midpoint, then puts the more precise date first.
    fn cmp(&self, other: &PartialDate) -> Ordering {
        self.midpoint()
            .cmp(&other.midpoint())
            .then_with(|| other.precision().cmp(&self.precision()))
    }
}

impl PartialDate {
    fn precision(&self) -> u8 {
        u8::from(self.month.is_some()) + u8::from(self.day.is_some())
    }
}

fn parse_digits<T: std::str::FromStr>(text: &str) -> Result<T, DateError> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(DateError::UnreadableForm);
    }
    text.parse().map_err(|_| DateError::UnreadableForm)
}

fn parse_part(text: Option<&str>) -> Result<Option<u32>, DateError> {
    match text {
        None => Ok(None),
        Some(t) if t.len() != 2 => Err(DateError::UnreadableForm),
        Some("99") => Ok(None),
        Some(t) => parse_digits(t).map(Some),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> PartialDate {
        PartialDate::parse_iso(text).unwrap()
    }

    #[test]
    fn parses_the_three_forms() {
        assert_eq!(date("2021-03-04"), date("04/03/2021"));
        assert_eq!(date("2021-03-04"), date("20210304"));
    }

    #[test]
    fn unknown_parts_stay_unknown() {
        let d = date("1960-05-99");
        assert_eq!(d.month(), Some(5));
        assert_eq!(d.day(), None);
        assert_eq!(d.complete(), None);
        assert_eq!(d.to_iso(), "1960-05");
        assert_eq!(date("19609999").to_iso(), "1960");
        assert_eq!(PartialDate::parse("99999999"), Ok(None));
        assert_eq!(PartialDate::parse(""), Ok(None));
    }

    #[test]
    fn unknown_date_marks() {
        // The forms of a wholly unknown date: nines, and the zeros of
        // older registry software, in each written form. None is a date.
        for mark in [
            "99999999",
            "9999-99-99",
            "99/99/9999",
            "999999",
            "9999",
            "00000000",
            "0000-00-00",
            "00/00/0000",
            "0000",
        ] {
            assert!(PartialDate::is_unknown_mark(mark), "{mark}");
            assert_eq!(PartialDate::parse(mark), Ok(None), "{mark}");
        }
        // Partial dates with a known year, and other digits, are not.
        for text in ["2019", "201906", "20190699", "09999999", "9999999"] {
            assert!(!PartialDate::is_unknown_mark(text), "{text}");
        }
        assert_eq!(date("2019").to_iso(), "2019");
        assert_eq!(date("201906").to_iso(), "2019-06");
        assert_eq!(PartialDate::parse("20190230"), Err(DateError::Impossible));
    }

    #[test]
    fn impossible_dates_are_rejected() {
        assert_eq!(
            PartialDate::parse("2021-02-30"),
            Err(DateError::Impossible)
        );
        assert_eq!(
            PartialDate::parse("2023-02-29"),
            Err(DateError::Impossible)
        );
        assert_eq!(
            PartialDate::parse("2021-13-01"),
            Err(DateError::OutOfRange)
        );
        assert_eq!(
            PartialDate::parse("2021-99-04"),
            Err(DateError::DayWithoutMonth)
        );
        assert!(PartialDate::parse("2024-02-29").is_ok());
    }

    #[test]
    fn leap_day_birth_age() {
        let birth = date("1952-02-29");
        assert_eq!(birth.age_at(&date("2023-02-28")), Some(70));
        assert_eq!(birth.age_at(&date("2023-03-01")), Some(71));
        assert_eq!(birth.age_at(&date("2024-02-29")), Some(72));
        assert_eq!(birth.age_at(&date("2024-02-28")), Some(71));
    }

    #[test]
    fn age_with_unknown_day() {
        let birth = date("1950-06-99");
        assert_eq!(birth.age_at(&date("2020-07-01")), Some(70));
        assert_eq!(birth.age_at(&date("2020-05-01")), Some(69));
        assert_eq!(birth.age_at(&date("2020-06-10")), None);
    }

    #[test]
    fn ordering_by_midpoint() {
        assert!(date("2020-01-10") < date("2020-01"));
        assert!(date("2020-01") < date("2020-02-01"));
        assert!(date("2020-06-30") < date("2020"));
    }
}
