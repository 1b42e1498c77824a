//! Attribution of an evidence record to one of a person's tumours.
//!
//! Consolidation attaches a screening test, treatment act or long-term
//! illness declaration to a person's tumour only when the person has
//! exactly one. A pathway needs more: a faecal test belongs to a colorectal
//! tumour, not to the lung tumour of the same person, and a radiotherapy
//! course of a person with two tumours belongs to one of them.

use rnc_model::{ScreeningProgramme, SourceKind, Tumour};

use crate::input::{LinkedRecord, full_date};

/// Site group (registry code) that a screening programme looks for.
pub fn programme_site_group(programme: ScreeningProgramme) -> &'static str {
    match programme {
        ScreeningProgramme::Breast => "breast",
        ScreeningProgramme::Colorectal => "colon_rectum",
        ScreeningProgramme::Cervical => "cervix_uteri",
    }
}

/// Returns the screening programme of a site group, if one screens it.
pub fn site_group_programme(site_group: &str) -> Option<ScreeningProgramme> {
    ScreeningProgramme::ALL
        .iter()
        .copied()
        .find(|p| programme_site_group(*p) == site_group)
}

/// Returns the index in `tumours` (one person's, in incidence order) of the
/// tumour a record is about, or `None` when it is about none of them.
///
/// 1. A record that describes a tumour keeps the tumour consolidation gave
///    it.
/// 2. A screening test belongs to the person's tumour of the site its
///    programme screens, whatever consolidation gave it.
/// 3. A treatment act or long-term illness declaration with a cancer
///    ICD-10 code belongs to the tumour with the same three-character
///    code.
/// 4. Otherwise it keeps consolidation's tumour. With several tumours it
///    goes to the latest tumour diagnosed on or before the record's date
///    plus `before_diagnosis_days`, because a treatment may precede the
///    recorded diagnosis date when the diagnosis is made on the surgical
///    specimen.
///
/// NOTE: step 4 is a heuristic: with two tumours treated in the same
/// months, an uncoded act may go to the wrong one.
pub fn attribute(
    record: &LinkedRecord,
    tumours: &[&Tumour],
    before_diagnosis_days: i64,
) -> Option<usize> {
    let by_id = |id: &str| tumours.iter().position(|t| t.tumour_id == id);
    let kind = record.record.source_kind?;
    if kind.describes_tumour() {
        return record.tumour_id.as_deref().and_then(by_id);
    }
    if kind == SourceKind::Screening {
        let programme = record.record.screening_programme?;
        let site = programme_site_group(programme);
        return tumours.iter().position(|t| t.site_group == site);
    }
    if let Some(code) = record.record.icd10.as_deref()
        && code.starts_with('C')
        && code.len() >= 3
        && let Some(index) = tumours
            .iter()
            .position(|t| t.icd10.get(..3) == code.get(..3))
    {
        return Some(index);
    }
    if let Some(index) = record.tumour_id.as_deref().and_then(by_id) {
        return Some(index);
    }
    if tumours.len() == 1 {
        return Some(0);
    }
    let date = full_date(record.record.event_date.as_ref())?;
    tumours
        .iter()
        .enumerate()
        .filter(|(_, t)| {
            full_date(t.incidence_date.as_ref()).is_some_and(|incidence| {
                (incidence - date).num_days() <= before_diagnosis_days
            })
        })
        .max_by_key(|(_, t)| t.incidence_date.and_then(|d| d.complete()))
        .map(|(index, _)| index)
}
