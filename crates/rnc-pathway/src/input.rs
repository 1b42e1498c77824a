//! Inputs of the pathway analyses read from a release: tumours, their
//! person's death, and every source record with its person and tumour.

use chrono::NaiveDate;
use rnc_model::{
    Morphology, PartialDate, ScreeningProgramme, ScreeningResult,
    ScreeningTest, SourceKind, SourceRecord, Topography, TreatmentType, Tumour,
};

/// A source record with the person and tumour consolidation gave it.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkedRecord {
    /// The fields of the released record that the pathway reads.
    pub record: PathwayRecord,
    /// Pseudonymous person id.
    pub person_id: String,
    /// Tumour id from consolidation: set for a record that describes the
    /// tumour, and for an evidence record (screening, treatment,
    /// long-term illness) of a person with exactly one tumour.
    pub tumour_id: Option<String>,
}

/// The fields of a source record that timelines, treatment modality and
/// screening read, named as in [`SourceRecord`].
///
/// The pathways of a release keep every record of every person with a
/// tumour in memory at once, and a whole [`SourceRecord`] (pseudonyms,
/// stage, salted names) is more than twice as large.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PathwayRecord {
    /// Record id, unique in the registry.
    pub record_id: String,
    /// Ingestion batch that brought the record.
    pub batch_id: String,
    /// File the record was read from.
    pub source_file: String,
    /// Line of the record in its file, from 1.
    pub source_line: u64,
    /// Kind of source: hospital stay, pathology report, treatment…
    pub source_kind: Option<SourceKind>,
    /// Département of residence.
    pub departement: Option<String>,
    /// Date of the event the record reports.
    pub event_date: Option<PartialDate>,
    /// Date of last contact (registry extract).
    pub last_contact_date: Option<PartialDate>,
    /// ICD-O-3 topography.
    pub topography: Option<Topography>,
    /// ICD-O-3 morphology with behaviour and grade.
    pub morphology: Option<Morphology>,
    /// ICD-10 code: main diagnosis, or underlying cause of a death.
    pub icd10: Option<String>,
    /// Establishment (FINESS) or laboratory that sent the record.
    pub establishment: Option<String>,
    /// Screening programme of a screening test.
    pub screening_programme: Option<ScreeningProgramme>,
    /// Screening test of the record.
    pub screening_test: Option<ScreeningTest>,
    /// Result of a screening test.
    pub screening_result: Option<ScreeningResult>,
    /// Kind of a treatment act.
    pub treatment: Option<TreatmentType>,
    /// CCAM procedure code of a treatment act.
    pub procedure_code: Option<String>,
    /// UCD or ATC drug code of a systemic treatment.
    pub drug_code: Option<String>,
}

impl From<SourceRecord> for PathwayRecord {
    fn from(record: SourceRecord) -> Self {
        PathwayRecord {
            record_id: record.record_id,
            batch_id: record.batch_id,
            source_file: record.source_file,
            source_line: record.source_line,
            source_kind: record.source_kind,
            departement: record.departement,
            event_date: record.event_date,
            last_contact_date: record.last_contact_date,
            topography: record.topography,
            morphology: record.morphology,
            icd10: record.icd10,
            establishment: record.establishment,
            screening_programme: record.screening_programme,
            screening_test: record.screening_test,
            screening_result: record.screening_result,
            treatment: record.treatment,
            procedure_code: record.procedure_code,
            drug_code: record.drug_code,
        }
    }
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
