//! Coded facts of the feeds that record events around a tumour rather
//! than the tumour itself: screening tests and treatments. Laterality and
//! stage are in `staging`.
//!
//! Each type has a `label`, the text used in feeds and tables, and
//! `from_label`, which reads it back.

use serde::{Deserialize, Serialize};

/// Defines `ALL`, `label` and `from_label` of a coded enum from its
/// variant-label pairs, so that the table and the parser cannot drift.
macro_rules! labelled {
    ($type:ident { $($variant:ident => $label:literal),+ $(,)? }) => {
        impl $type {
            /// Every value, in the order of the feed specification.
            pub const ALL: &'static [$type] = &[$($type::$variant),+];

            /// The text used in feeds and tables.
            pub fn label(self) -> &'static str {
                match self {
                    $($type::$variant => $label),+
                }
            }

            /// Reads a label written by `label`, ignoring ASCII case.
            pub fn from_label(text: &str) -> Option<$type> {
                $type::ALL
                    .iter()
                    .copied()
                    .find(|value| value.label().eq_ignore_ascii_case(text))
            }
        }
    };
}

/// An organised screening programme of the French national plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ScreeningProgramme {
    /// Breast cancer screening: mammography every two years, women 50-74.
    Breast,
    /// Colorectal cancer screening: faecal immunochemical test every two
    /// years, 50-74.
    Colorectal,
    /// Cervical cancer screening: cytology at 25-29, HPV test at 30-65.
    Cervical,
}

labelled!(ScreeningProgramme {
    Breast => "breast",
    Colorectal => "colorectal",
    Cervical => "cervical",
});

/// The test of a screening programme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ScreeningTest {
    /// Mammography (breast programme).
    Mammography,
    /// Faecal immunochemical test (colorectal programme).
    Fit,
    /// Cervical cytology (cervical programme, ages 25-29).
    Cytology,
    /// High-risk HPV test (cervical programme, ages 30-65).
    Hpv,
}

labelled!(ScreeningTest {
    Mammography => "mammography",
    Fit => "FIT",
    Cytology => "cytology",
    Hpv => "HPV",
});

impl ScreeningTest {
    /// The programme that uses this test.
    pub fn programme(self) -> ScreeningProgramme {
        match self {
            ScreeningTest::Mammography => ScreeningProgramme::Breast,
            ScreeningTest::Fit => ScreeningProgramme::Colorectal,
            ScreeningTest::Cytology | ScreeningTest::Hpv => {
                ScreeningProgramme::Cervical
            }
        }
    }
}

/// The result of a screening test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ScreeningResult {
    /// No abnormality found.
    Negative,
    /// An abnormality that calls for a diagnostic work-up.
    Positive,
    /// The sample or image could not be read; the test is to be repeated.
    Inadequate,
}

labelled!(ScreeningResult {
    Negative => "negative",
    Positive => "positive",
    Inadequate => "inadequate",
});

/// The kind of a cancer treatment act.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TreatmentType {
    /// A surgical act, coded in CCAM.
    Surgery,
    /// Systemic anticancer therapy, by drug (UCD or ATC) or by the
    /// chemotherapy session code ICD-10 Z51.1.
    Chemotherapy,
    /// Radiotherapy, by CCAM act or the session code ICD-10 Z51.0.
    Radiotherapy,
}

labelled!(TreatmentType {
    Surgery => "surgery",
    Chemotherapy => "chemotherapy",
    Radiotherapy => "radiotherapy",
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_round_trip() {
        for test in ScreeningTest::ALL {
            assert_eq!(ScreeningTest::from_label(test.label()), Some(*test));
        }
        assert_eq!(ScreeningTest::from_label("fit"), Some(ScreeningTest::Fit));
        assert_eq!(ScreeningResult::from_label("unclear"), None);
    }
}
