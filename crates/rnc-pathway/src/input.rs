//! Inputs of the pathway analyses read from a release: tumours, their
//! person's death, and every source record with its person and tumour.

use chrono::NaiveDate;
use rnc_model::{PartialDate, SourceRecord, Tumour};

/// A source record with the person and tumour consolidation gave it.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkedRecord {
    /// The record as released (no linkage columns).
    pub record: SourceRecord,
    /// Pseudonymous person id.
    pub person_id: String,
    /// Tumour id from consolidation: set for a record that describes the
    /// tumour, and for an evidence record (screening, treatment,
    /// long-term illness) of a person with exactly one tumour.
    pub tumour_id: Option<String>,
}

/// Simplified stage group at diagnosis: the leading Roman numeral of the
/// TNM stage group (`IIIB` is `III`), `0` for in situ, else `unknown`.
pub fn stage_category(tumour: &Tumour) -> &'static str {
    let group = tumour
        .stage
        .as_ref()
        .and_then(|stage| stage.tnm.as_ref())
        .and_then(|tnm| tnm.stage_group.as_deref())
        .unwrap_or("");
    let group = group.trim().to_ascii_uppercase();
    // Longest numeral first, so that IV is not read as I.
    for numeral in ["IV", "III", "II", "I", "0"] {
        if group.starts_with(numeral) {
            return numeral;
        }
    }
    "unknown"
}

/// Five-year age band of the population table (`0-4` … `80-84`, `85+`).
pub fn age_band(age: u16) -> String {
    if age >= 85 {
        return "85+".to_string();
    }
    let low = age / 5 * 5;
    format!("{low}-{}", low + 4)
}

/// Returns the full calendar date of a partial date, `None` when the day
/// or month is unknown. Delays in days need full dates.
pub fn full_date(date: Option<&PartialDate>) -> Option<NaiveDate> {
    date.and_then(PartialDate::complete)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn age_bands() {
        assert_eq!(age_band(0), "0-4");
        assert_eq!(age_band(54), "50-54");
        assert_eq!(age_band(84), "80-84");
        assert_eq!(age_band(85), "85+");
    }
}
