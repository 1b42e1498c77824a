//! FHIR `Condition` resources as rows of the `registry_extract` feed: the
//! clinical cancer diagnoses of a Bundle, in the style of the mCODE
//! primary cancer condition profile (mCODE STU3, FHIR R4). A Condition
//! that a `DiagnosticReport` of the Bundle takes ([`condition_of`]) fills
//! that report's row instead, so it is never a second row.

use std::collections::HashSet;

use rnc_codes::{Icd10, icd10_to_site};
use rnc_model::SourceKind;

use super::{
    Fault, ICD_10_SYSTEM, ICD_O_3_SYSTEM, Index, Resource, RowFault, RowFields,
    body_site, coding, condition_of, fhir_date, histology, observation_grade,
    organisation_id, read_subject, resource_id, set_histology, structure,
};
use crate::checks::normalise_icd10;
use crate::records::is_neoplasm;

/// `meta.profile` of the mCODE primary cancer condition.
const PRIMARY_PROFILE: &str = "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-primary-cancer-condition";
/// `meta.profile` of the mCODE secondary cancer condition (a metastasis).
const SECONDARY_PROFILE: &str = "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-secondary-cancer-condition";
/// ENCR basis of diagnosis 9, unknown: FHIR R4 and mCODE STU3 have no
/// element for the basis. Consolidation keeps the most valid basis among
/// a tumour's records.
const UNKNOWN_BASIS: &str = "9";

/// Returns the Conditions of a Bundle that are rows, in entry order: the
/// clinical cancer records ([`is_cancer_record`]) that no
/// `DiagnosticReport` of the Bundle takes.
pub(super) fn clinical_conditions<'a>(index: &Index<'a>) -> Vec<Resource<'a>> {
    // A report whose Condition cannot be found, for a structural fault in
    // some Condition, is quarantined in `pathology_report`, so it takes no
    // Condition here.
    // NOTE: `focused_grade` scans every Observation for each Condition
    // row, so a Bundle with n of each costs n² steps. A large delivery is
    // best sent as NDJSON, one patient per Bundle. (`condition_of` reads
    // the Conditions' references once per Bundle.)
    let taken_by_reports: HashSet<usize> = index
        .resources
        .iter()
        .filter(|r| r.kind == "DiagnosticReport")
        .filter_map(|report| condition_of(index, report).ok().flatten())
        .map(|condition| condition.entry)
        .collect();
    index
        .resources
        .iter()
        .copied()
        .filter(|r| {
            r.kind == "Condition" && !taken_by_reports.contains(&r.entry)
        })
        // A Condition with a structural fault stays a row, for the fault
        // to be quarantined rather than the record lost.
        .filter(|condition| is_cancer_record(condition).unwrap_or(true))
        .collect()
}

/// Returns whether a Condition records a primary cancer. It must not name
/// the mCODE secondary cancer condition profile. It must name the primary
/// one or carry a cancer code: the histology extension, an ICD-O-3 coding,
/// or an ICD-10 coding of chapter II (C00-D48). Other Conditions, such as
/// comorbidities, are not rows.
fn is_cancer_record(condition: &Resource<'_>) -> Result<bool, Fault> {
    let profiles = match condition.object("meta")? {
        Some(meta) => condition.nested(meta).array("profile")?,
        None => &[],
    };
    let named = |url: &str| profiles.iter().any(|p| p.as_str() == Some(url));
    if named(SECONDARY_PROFILE) {
        return Ok(false);
    }
    if named(PRIMARY_PROFILE)
        || histology(condition)?.is_some()
        || body_site(condition)?.is_some()
    {
        return Ok(true);
    }
    let Some(code) = condition.object("code")? else {
        return Ok(false);
    };
    if coding(condition, code, ICD_O_3_SYSTEM)?.is_some() {
        return Ok(true);
    }
    let icd10 = coding(condition, code, ICD_10_SYSTEM)?;
    Ok(icd10
        .and_then(normalise_icd10)
        .is_some_and(|c| is_neoplasm(&c)))
}

/// Reads the columns of one clinical diagnosis from its `Condition` and
/// the resources it references, or the first structural fault with its
/// rule.
pub(super) fn condition_fields<'a>(
    index: &Index<'a>,
    condition: &Resource<'a>,
) -> Result<RowFields, RowFault> {
    let mut fields = RowFields::new(SourceKind::ClinicalRecord);
    fields.set("condition_ref", resource_id(condition).map_err(structure)?);
    let patient = read_subject(index, condition, &mut fields)?;
    // The custodian of the patient record, usually the hospital that made
    // the diagnosis.
    let custodian =
        patient.object("managingOrganization").map_err(structure)?;
    let organisation = match custodian {
        Some(reference) => organisation_id(index, &patient, reference),
        None => Ok(None),
    };
    fields.set("organisation", organisation.map_err(structure)?);
    let death = patient.string("deceasedDateTime").map_err(structure)?;
    fields.set("death_date", death.map(fhir_date).as_deref());

    // The mCODE STU3 examples give the date of diagnosis as `onset`.
    // Without it, the date the diagnosis was recorded is the nearest date
    // stated, and it keeps the record from a rejection for a missing
    // diagnosis date.
    let onset = condition.string("onsetDateTime").map_err(structure)?;
    let recorded = condition.string("recordedDate").map_err(structure)?;
    let diagnosed = onset.or(recorded);
    fields.set("diagnosis_date", diagnosed.map(fhir_date).as_deref());
    fields.set("recorded_date", recorded.map(fhir_date).as_deref());

    let site = topography(condition).map_err(structure)?;
    fields.set("topography", site.as_deref());
    set_histology(&mut fields, histology(condition).map_err(structure)?);
    fields.set("grade", focused_grade(index, condition).map_err(structure)?);
    fields.set("basis_of_diagnosis", Some(UNKNOWN_BASIS));
    Ok(fields)
}

/// Returns the ICD-O-3 topography: the ICD-O-3 coding of
/// `Condition.bodySite`, else of `Condition.code`, else the ICD-10 coding
/// of `Condition.code` converted to its ICD-O-3 site (the table that a
/// mapping with `diagnosis_code_system = "icd10"` uses). An ICD-10 code
/// that names no primary site is returned as it is, for the topography
/// check to reject with its value.
fn topography(condition: &Resource<'_>) -> Result<Option<String>, Fault> {
    if let Some(site) = body_site(condition)? {
        return Ok(Some(site.to_string()));
    }
    let Some(code) = condition.object("code")? else {
        return Ok(None);
    };
    if let Some(site) = coding(condition, code, ICD_O_3_SYSTEM)? {
        return Ok(Some(site.to_string()));
    }
    let Some(icd10) = coding(condition, code, ICD_10_SYSTEM)? else {
        return Ok(None);
    };
    let site = normalise_icd10(icd10)
        .and_then(|c| c.parse::<Icd10>().ok())
        .and_then(|c| icd10_to_site(&c));
    Ok(Some(match site {
        Some(site) => site.topography.to_string(),
        None => icd10.to_string(),
    }))
}

/// Returns the ICD-O-3 grade of the first histologic grade Observation
/// (LOINC 33732-9), in entry order, whose `focus` references the
/// Condition. An Observation whose `focus` references no Condition of the
/// Bundle gives no grade and is not a row.
fn focused_grade<'a>(
    index: &Index<'a>,
    condition: &Resource<'a>,
) -> Result<Option<&'a str>, Fault> {
    let observations =
        index.resources.iter().filter(|r| r.kind == "Observation");
    for observation in observations {
        for focus in observation.array("focus")? {
            let target = observation.nested(focus).string("reference")?;
            if !target.is_some_and(|t| index.points_to(t, condition)) {
                continue;
            }
            if let Some(grade) = observation_grade(observation)? {
                return Ok(Some(grade));
            }
        }
    }
    Ok(None)
}
