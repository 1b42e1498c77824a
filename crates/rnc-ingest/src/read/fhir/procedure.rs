//! FHIR `Procedure` resources as rows of the `treatment` feed, in the
//! style of the mCODE cancer-related surgical procedure and radiotherapy
//! course summary profiles (mCODE STU3, FHIR R4).

use rnc_model::SourceKind;
use serde_json::Value;

use super::{
    Fault, ICD_10_SYSTEM, Index, Resource, RowFault, RowFields, coding,
    fhir_date, first_identifier, read_subject, resource_id, structure,
};

/// SNOMED CT, the code system of `Procedure.category`.
const SNOMED_SYSTEM: &str = "http://snomed.info/sct";

/// SNOMED CT concepts of `Procedure.category` (or `Procedure.code`) with
/// the `treatment` value each gives: 387713003 surgical procedure,
/// 108290001 radiation oncology and/or radiotherapy (the mCODE
/// radiotherapy category), 367336001 chemotherapy.
const TREATMENT_CONCEPTS: [(&str, &str); 3] = [
    ("387713003", "surgery"),
    ("108290001", "radiotherapy"),
    ("367336001", "chemotherapy"),
];

/// Reads the columns of one treatment act from its `Procedure` and the
/// resources it references, or the first structural fault with its rule.
pub(super) fn procedure_fields<'a>(
    index: &Index<'a>,
    procedure: &Resource<'a>,
) -> Result<RowFields, RowFault> {
    let mut fields = RowFields::new(SourceKind::Treatment);
    fields.set("treatment_id", resource_id(procedure).map_err(structure)?);
    let establishment = establishment(index, procedure).map_err(structure)?;
    fields.set("finess", establishment);
    read_subject(index, procedure, &mut fields)?;
    fields.set("treatment", treatment(procedure).map_err(structure)?);

    let (start, end) = performed(procedure).map_err(structure)?;
    fields.set("start_date", start.map(fhir_date).as_deref());
    fields.set("end_date", end.map(fhir_date).as_deref());
    let code = procedure_code(procedure).map_err(structure)?;
    fields.set("procedure_code", code);
    fields.set("icd10", reason_icd10(procedure).map_err(structure)?);
    Ok(fields)
}

/// Returns the establishment: the first identifier of the `Organization`
/// that `Procedure.performer[0].onBehalfOf` references, or else that
/// `performer[0].actor` references.
fn establishment<'a>(
    index: &Index<'a>,
    procedure: &Resource<'a>,
) -> Result<Option<&'a str>, Fault> {
    let performers = procedure.array("performer")?;
    let Some(performer) = performers.first() else {
        return Ok(None);
    };
    let performer = procedure.nested(performer);
    for element in ["onBehalfOf", "actor"] {
        let Some(reference) = performer.object(element)? else {
            continue;
        };
        let target = performer.nested(reference).string("reference")?;
        if let Some(organisation) =
            target.and_then(|t| index.resolve(t, "Organization"))
        {
            return first_identifier(&organisation, None);
        }
    }
    Ok(None)
}

/// Returns the treatment label of the first SNOMED CT coding of
/// `Procedure.category`, then of `Procedure.code`, found in
/// [`TREATMENT_CONCEPTS`]. A SNOMED CT code not in the list is returned
/// as it is, for the `treatment_code` check to reject with its value.
fn treatment<'a>(procedure: &Resource<'a>) -> Result<Option<&'a str>, Fault> {
    let mut unknown = None;
    for element in ["category", "code"] {
        let Some(concept) = procedure.object(element)? else {
            continue;
        };
        if let Some(code) = coding(procedure, concept, SNOMED_SYSTEM)? {
            let known = TREATMENT_CONCEPTS.iter().find(|(c, _)| *c == code);
            match known {
                Some((_, label)) => return Ok(Some(label)),
                None => unknown = unknown.or(Some(code)),
            }
        }
    }
    Ok(unknown)
}

/// Returns the start and end of `Procedure.performedPeriod`, or
/// `performedDateTime` as the start.
fn performed<'a>(
    procedure: &Resource<'a>,
) -> Result<(Option<&'a str>, Option<&'a str>), Fault> {
    if let Some(period) = procedure.object("performedPeriod")? {
        let period = procedure.nested(period);
        return Ok((period.string("start")?, period.string("end")?));
    }
    Ok((procedure.string("performedDateTime")?, None))
}

/// Returns the first coding of `Procedure.code` whose code has the form of
/// a CCAM act (four letters and three digits), whatever its system,
/// because the profile read here fixes no system URI for CCAM.
fn procedure_code<'a>(
    procedure: &Resource<'a>,
) -> Result<Option<&'a str>, Fault> {
    let Some(concept) = procedure.object("code")? else {
        return Ok(None);
    };
    let concept = procedure.nested(concept);
    for coding in concept.array("coding")? {
        let code = procedure.nested(coding).string("code")?;
        if code.is_some_and(is_ccam_form) {
            return Ok(code);
        }
    }
    Ok(None)
}

fn is_ccam_form(code: &str) -> bool {
    let bytes = code.as_bytes();
    bytes.len() == 7
        && bytes[..4].iter().all(u8::is_ascii_alphabetic)
        && bytes[4..].iter().all(u8::is_ascii_digit)
}

/// Returns the first ICD-10 coding among `Procedure.reasonCode`, such as
/// `Z51.0` for a radiotherapy session.
fn reason_icd10<'a>(
    procedure: &Resource<'a>,
) -> Result<Option<&'a str>, Fault> {
    for concept in procedure.array("reasonCode")? {
        let concept: &Value = concept;
        if let Some(code) = coding(procedure, concept, ICD_10_SYSTEM)? {
            return Ok(Some(code));
        }
    }
    Ok(None)
}
