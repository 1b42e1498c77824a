//! Registry extracts in the ENCR-JRC call-for-data layout: 56 columns per
//! tumour, the input of the JRC-ENCR Quality Check Software, as
//! `rnc export --format encr-jrc` writes it.
//!
//! Each date is split into day, month and year columns, with `99` for an
//! unknown day or month and `9999` for an unknown year. The age at
//! incidence is in years, `999` when unknown. The vital status (1 alive,
//! 2 dead, 9 unknown) comes with the date it was last known. Laterality is
//! coded 0-4 (9 unknown) and the TNM stage group as written (`9` when
//! unknown), with its TNM edition (column 37).

use rnc_model::{
    Laterality, PartialDate, SourceKind, SourceRecord, Stage, Tnm, TnmBasis,
};
use rnc_pseudonym::ClearIdentity;

use crate::checks::{Row, echo};
use crate::records::check_date_order;

/// Reads a row of the ENCR-JRC layout. The layout carries no name, NIR,
/// registry or département, so those stay absent.
pub(crate) fn build(row: &mut Row<'_>) -> (SourceRecord, ClearIdentity) {
    let kind = SourceKind::RegistryExtract;
    let mut record = SourceRecord {
        source_kind: Some(kind),
        ..SourceRecord::default()
    };
    if let Some(id) = row.required("tumour_ref") {
        record.record_id = format!("{}/{id}", kind.name());
    }
    let birth = split_date(
        row,
        "birth_date",
        ["birth_day", "birth_month", "birth_year"],
    );
    let identity = ClearIdentity {
        birth_date: birth,
        ..ClearIdentity::default()
    };
    record.sex = row.sex();
    record.event_date = split_date(
        row,
        "incidence_date",
        ["incidence_day", "incidence_month", "incidence_year"],
    );
    record.basis_of_diagnosis = row.basis_of_diagnosis();
    record.topography = row.topography();
    record.morphology = row.morphology();
    follow_up(row, &mut record);
    record.laterality = laterality(row);
    record.stage = stage(row);

    check_date_order(kind, row);
    let computed = match (birth, record.event_date) {
        (Some(birth), Some(event)) => birth.age_at(&event),
        _ => None,
    };
    record.age_at_event = age(row, computed);
    (record, identity)
}

/// Joins the day, month and year columns of one date and checks it as
/// the date column `name`.
fn split_date(
    row: &mut Row<'_>,
    name: &'static str,
    [day, month, year]: [&str; 3],
) -> Option<PartialDate> {
    let parts = [
        row.required(day)?,
        row.required(month)?,
        row.required(year)?,
    ];
    if parts[2] == "9999" {
        return None;
    }
    let padded = |part: &str| format!("{part:0>2}");
    let text = format!("{}{}{}", parts[2], padded(parts[1]), padded(parts[0]));
    let parsed = if parts.iter().all(|p| p.bytes().all(|b| b.is_ascii_digit()))
    {
        PartialDate::parse(&text)
    } else {
        Err(rnc_model::DateError::UnreadableForm)
    };
    row.check_date(name, parsed)
}

/// Vital status and its date: the date of death when dead, else the date
/// last known alive.
fn follow_up(row: &mut Row<'_>, record: &mut SourceRecord) {
    let date = split_date(
        row,
        "follow_up_date",
        ["follow_up_day", "follow_up_month", "follow_up_year"],
    );
    let Some(status) = row.required("vital_status") else {
        return;
    };
    // The follow-up date was kept under a name that no order rule uses, so
    // it is filed again as the death or last-contact date it is.
    row.dates.retain(|(column, _)| *column != "follow_up_date");
    let column = match status {
        "1" => "last_contact_date",
        "2" => "death_date",
        "9" => return,
        other => {
            let detail = format!(
                "code {} is not a vital status (expected 1 alive, 2 dead or \
                 9 unknown)",
                echo(other)
            );
            row.problem("vital_status", "vital_status_code", detail);
            return;
        }
    };
    if let Some(date) = date {
        row.dates.push((column, date));
    }
    if column == "death_date" {
        record.death_date = date;
    } else {
        record.last_contact_date = date;
    }
}

fn laterality(row: &mut Row<'_>) -> Option<Laterality> {
    let text = row.optional("laterality")?;
    let code = text
        .parse::<u8>()
        .ok()
        .and_then(|code| Laterality::from_code(code).ok());
    if code.is_none() {
        let detail = format!(
            "code {} is not a laterality (expected 0 not applicable, 1 \
             right, 2 left, 3 unilateral, 4 bilateral or 9 unknown)",
            echo(text)
        );
        row.problem("laterality", "laterality_code", detail);
    }
    code
}

/// Reads a TNM stage group: `0`, `0a`, `0is`, or `I` to `IV` with an
/// optional letter A-D and digit, such as `IIIC1`. The ENCR-JRC layout
/// takes TNM 5th, 6th or 7th edition stages.
fn stage(row: &mut Row<'_>) -> Option<Stage> {
    let text = row.optional("stage")?;
    if text == "9" {
        return None;
    }
    if is_stage_group(text) {
        let group = text.to_ascii_uppercase();
        let edition = tnm_edition(row);
        // The layout's stage group does not say whether it is clinical or
        // pathological; clinical is the registry extract's default basis.
        let tnm = Tnm::parse(
            TnmBasis::Clinical,
            None,
            None,
            None,
            Some(&group),
            edition,
        )
        .ok();
        return Some(Stage { tnm, summary: None });
    }
    let detail = format!(
        "value {} is not a TNM stage group (expected 0, 0a, 0is, I to IV \
         with an optional letter and digit such as IIIB, or 9 unknown)",
        echo(text)
    );
    row.problem("stage", "stage_code", detail);
    None
}

/// Reads column 37, the TNM edition (5, 6 or 7 in the layout; 99 when
/// unknown). Another value is recorded as a problem and read as unknown.
fn tnm_edition(row: &mut Row<'_>) -> Option<u8> {
    let text = row.optional("tnm_edition")?;
    // The layout's unknown is 99; a single 9 is read as unknown too, as
    // the other one-character columns of the layout write it.
    if text == "99" || text == "9" {
        return None;
    }
    match text.parse::<u8>() {
        Ok(edition @ 5..=7) => Some(edition),
        _ => {
            let detail = format!(
                "value {} is not a TNM edition of the layout (expected 5, 6, \
                 7 or 99 unknown)",
                echo(text)
            );
            row.problem("tnm_edition", "tnm_edition_code", detail);
            None
        }
    }
}

pub(crate) fn is_stage_group(text: &str) -> bool {
    let upper = text.to_ascii_uppercase();
    if matches!(upper.as_str(), "0" | "0A" | "0IS") {
        return true;
    }
    let numeral_end = upper
        .find(|c: char| c != 'I' && c != 'V')
        .unwrap_or(upper.len());
    let (numeral, rest) = upper.split_at(numeral_end);
    if !matches!(numeral, "I" | "II" | "III" | "IV") {
        return false;
    }
    let mut rest = rest.chars();
    // An optional letter A-D, then an optional digit 1-3 after a letter.
    matches!(
        (rest.next(), rest.next(), rest.next()),
        (None, _, _)
            | (Some('A'..='D'), None, _)
            | (Some('A'..='D'), Some('1'..='3'), None)
    )
}

/// Age at incidence: computed from the dates when both are complete
/// enough, else column 11. When both exist they must agree.
fn age(row: &mut Row<'_>, computed: Option<u16>) -> Option<u16> {
    let text = row.required("age")?;
    if text == "999" {
        return computed;
    }
    let Some(stated) = text.parse::<u16>().ok().filter(|a| *a < 121) else {
        let detail = format!(
            "value {} is not an age at diagnosis (expected 0 to 120 years, \
             or 999 unknown)",
            echo(text)
        );
        row.problem("age", "age_range", detail);
        return None;
    };
    if let Some(computed) = computed
        && computed != stated
    {
        row.problem(
            "age",
            "age_mismatch",
            "age differs from the age computed from the birth and incidence \
             dates (expected the two to agree)",
        );
    }
    Some(stated)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stage_groups() {
        // Stage groups in the form the TNM classification writes them.
        for stage in ["0", "0is", "I", "IA", "IIB", "IIIC1", "IV", "IVB"] {
            assert!(is_stage_group(stage), "{stage}");
        }
        for stage in ["V", "IIII", "IE", "IIIC4", "T2N0", ""] {
            assert!(!is_stage_group(stage), "{stage}");
        }
    }
}
