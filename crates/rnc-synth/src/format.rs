//! File conventions of the feeds: character encoding, field delimiter,
//! date style and whether each period gets its own file.
//!
//! The native preset follows what the sources send. PMSI hospital stays
//! leave ATIH and hospital information systems as semicolon-separated
//! files in Windows-1252 with `dd/mm/yyyy` dates, as French spreadsheet
//! software writes them. The regional registries' extracts are UTF-8,
//! comma-separated, with ISO 8601 dates. The other feeds use the plain
//! convention until their native format is modelled. Every source sends
//! one file per period (calendar year). The plain preset writes every
//! feed as UTF-8, comma-separated, ISO 8601 dates, one file per feed.

use std::borrow::Cow;

use crate::feeds::Feed;

/// Character encoding of a feed file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Encoding {
    /// UTF-8 without byte-order mark.
    Utf8,
    /// Windows-1252 (the Western European code page of Windows).
    Windows1252,
}

/// Date style of a feed file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DateStyle {
    /// ISO 8601 `yyyy-mm-dd`.
    Iso,
    /// `dd/mm/yyyy`, as in French administrative files.
    DayMonthYear,
}

/// File conventions of one feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeedFormat {
    /// Character encoding.
    pub encoding: Encoding,
    /// Field delimiter, one ASCII byte.
    pub delimiter: u8,
    /// Date style of every date column (`*_date`).
    pub date_style: DateStyle,
}

impl FeedFormat {
    /// UTF-8, comma, ISO 8601 dates.
    pub const PLAIN: FeedFormat = FeedFormat {
        encoding: Encoding::Utf8,
        delimiter: b',',
        date_style: DateStyle::Iso,
    };

    /// Windows-1252, semicolon, `dd/mm/yyyy` dates.
    pub const WINDOWS_SEMICOLON: FeedFormat = FeedFormat {
        encoding: Encoding::Windows1252,
        delimiter: b';',
        date_style: DateStyle::DayMonthYear,
    };

    /// Native convention of `feed` (see the module documentation).
    pub fn native(feed: Feed) -> FeedFormat {
        match feed {
            Feed::HospitalStay => FeedFormat::WINDOWS_SEMICOLON,
            _ => FeedFormat::PLAIN,
        }
    }

    /// Encodes UTF-8 text in this format's encoding. Characters that
    /// Windows-1252 lacks become HTML numeric character references, as
    /// `encoding_rs` 0.8 encoders write them.
    pub(crate) fn encode<'a>(&self, text: &'a str) -> Cow<'a, [u8]> {
        match self.encoding {
            Encoding::Utf8 => Cow::Borrowed(text.as_bytes()),
            Encoding::Windows1252 => {
                let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(text);
                bytes
            }
        }
    }

    /// Rewrites an ISO 8601 date field (`yyyy-mm-dd`, the day possibly
    /// `99` for unknown) in this format's date style. Other text and empty
    /// fields are returned unchanged.
    pub(crate) fn date_field<'a>(&self, field: &'a str) -> Cow<'a, str> {
        let bytes = field.as_bytes();
        let iso = bytes.len() == 10 && bytes[4] == b'-' && bytes[7] == b'-';
        match self.date_style {
            DateStyle::DayMonthYear if iso => Cow::Owned(format!(
                "{}/{}/{}",
                &field[8..10],
                &field[5..7],
                &field[0..4]
            )),
            _ => Cow::Borrowed(field),
        }
    }
}

/// File conventions of every feed, and the file layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedFormats {
    /// Format of each feed, in the order of [`Feed::ALL`].
    pub formats: [FeedFormat; Feed::ALL.len()],
    /// One file per feed and calendar year (`hospital_stay_2023.csv`)
    /// when true, one file per feed (`hospital_stay.csv`) when false.
    pub files_per_period: bool,
}

impl FeedFormats {
    /// Native conventions, one file per feed and year.
    pub fn native() -> FeedFormats {
        FeedFormats {
            formats: Feed::ALL.map(FeedFormat::native),
            files_per_period: true,
        }
    }

    /// UTF-8, comma and ISO 8601 dates for every feed, one file per feed:
    /// the layout that ingestion reads without format detection.
    pub fn plain() -> FeedFormats {
        FeedFormats {
            formats: [FeedFormat::PLAIN; Feed::ALL.len()],
            files_per_period: false,
        }
    }

    /// Format of `feed`.
    pub fn of(&self, feed: Feed) -> FeedFormat {
        self.formats[feed.index()]
    }
}

impl Default for FeedFormats {
    /// [`FeedFormats::native`].
    fn default() -> FeedFormats {
        FeedFormats::native()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_1252_encodes_accents_in_one_byte() {
        // Windows-1252 code chart: é is 0xE9, Œ is 0x8C.
        let format = FeedFormat::WINDOWS_SEMICOLON;
        assert_eq!(format.encode("é").as_ref(), &[0xE9]);
        assert_eq!(format.encode("Œ").as_ref(), &[0x8C]);
        assert_eq!(format.encode("ABC").as_ref(), b"ABC");
    }

    #[test]
    fn day_month_year_dates() {
        let format = FeedFormat::WINDOWS_SEMICOLON;
        assert_eq!(format.date_field("2023-07-14"), "14/07/2023");
        assert_eq!(format.date_field("1950-03-99"), "99/03/1950");
        assert_eq!(format.date_field(""), "");
        assert_eq!(FeedFormat::PLAIN.date_field("2023-07-14"), "2023-07-14");
    }
}
