//! Registry extracts in the ENCR-JRC call-for-data layout: 56 columns per
//! tumour, the input of the JRC-ENCR Quality Check Software, as
//! `rnc export --format encr-jrc` writes it.
//!
//! Each date is split into day, month and year columns, with `99` for an
//! unknown day or month and `9999` for an unknown year. The age at
//! incidence is in years, `999` when unknown. The vital status (1 alive,
//! 2 dead, 9 unknown) comes with the date it was last known. Laterality is
//! coded 0-4 (9 unknown). The stage is read from the pathological and
//! clinical TNM categories (columns 30-35), the TNM stage group as written
//! (column 36), its TNM edition (column 37) and the summary extent of
//! disease (column 46, 1-5). In each of them `9` is unknown.

use rnc_model::{
    CodeError, Laterality, PartialDate, SourceKind, SourceRecord, Stage,
    SummaryStage, Tnm, TnmBasis,
};
use rnc_pseudonym::ClearIdentity;

use crate::checks::{Row, echo, single_digit};
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

/// Reads the stage: the TNM categories of columns 30-35, the stage group
/// of column 36 with the edition of column 37, and the summary extent of
/// disease of column 46. Returns `None` when every one is empty or
/// unknown.
fn stage(row: &mut Row<'_>) -> Option<Stage> {
    let group = stage_group(row);
    let edition = tnm_edition(row);
    let pathological = categories(row, ["p_t", "p_n", "p_m"]);
    let clinical = categories(row, ["c_t", "c_n", "c_m"]);
    // NOTE: a stage has room for one TNM classification. When a row gives
    // both pTNM and cTNM, only pTNM is kept, as the UICC TNM rules prefer
    // it for the stage of a resected tumour, and the row's cTNM is lost.
    let (basis, [t, n, m]) = match (pathological, clinical) {
        (Some(categories), _) => (TnmBasis::Pathological, categories),
        (None, Some(categories)) => (TnmBasis::Clinical, categories),
        // The layout's stage group alone does not say whether it is
        // clinical or pathological, so it takes the registry extract's
        // default basis, clinical.
        (None, None) => (TnmBasis::Clinical, [None, None, None]),
    };
    let tnm = if [&t, &n, &m].iter().any(|c| c.is_some()) || group.is_some() {
        tnm(row, basis, [t, n, m], group, edition)
    } else {
        None
    };
    let summary = summary_stage(row);
    (tnm.is_some() || summary.is_some()).then_some(Stage { tnm, summary })
}

/// Builds the TNM classification, recording a problem on the column at
/// fault when a category does not have the UICC form.
fn tnm(
    row: &mut Row<'_>,
    basis: TnmBasis,
    [t, n, m]: [Option<String>; 3],
    group: Option<String>,
    edition: Option<u8>,
) -> Option<Tnm> {
    let parsed = Tnm::parse(
        basis,
        t.as_deref(),
        n.as_deref(),
        m.as_deref(),
        group.as_deref(),
        edition,
    );
    match parsed {
        Ok(tnm) => Some(tnm),
        Err(error) => {
            let prefix = match basis {
                TnmBasis::Pathological => "p",
                TnmBasis::Clinical => "c",
            };
            let column = match error {
                CodeError::InvalidTnm("T") => format!("{prefix}_t"),
                CodeError::InvalidTnm("N") => format!("{prefix}_n"),
                CodeError::InvalidTnm("M") => format!("{prefix}_m"),
                _ => "stage".to_string(),
            };
            let text = row.optional(&column).unwrap_or_default();
            let detail = format!(
                "value {} is not a TNM category (expected the UICC form \
                 such as T2a, 2a, N1, M0 or X, or 9 unknown): {error}",
                echo(text)
            );
            row.problem(&column, "tnm_code", detail);
            None
        }
    }
}

/// Reads three TNM category columns (T, N, M). A value may be written
/// with or without its letter (`T2a` or `2a`) and with its `p` or `c`
/// prefix, and `9` or an empty field is unknown. Returns `None` when all
/// three are unknown.
fn categories(
    row: &mut Row<'_>,
    columns: [&'static str; 3],
) -> Option<[Option<String>; 3]> {
    let mut found = [None, None, None];
    for ((column, letter), slot) in
        columns.iter().zip(['T', 'N', 'M']).zip(&mut found)
    {
        let Some(text) = row.optional(column).filter(|t| *t != "9") else {
            continue;
        };
        let has_letter =
            text.contains(letter) || text.contains(letter.to_ascii_lowercase());
        *slot = Some(if has_letter {
            // The model reads the category letter in upper case.
            text.replacen(letter.to_ascii_lowercase(), &letter.to_string(), 1)
        } else {
            format!("{letter}{text}")
        });
    }
    found.iter().any(Option::is_some).then_some(found)
}

/// Reads a TNM stage group: `0`, `0a`, `0is`, or `I` to `IV` with an
/// optional letter A-D and digit, such as `IIIC1`. The ENCR-JRC layout
/// takes TNM 5th, 6th or 7th edition stages.
fn stage_group(row: &mut Row<'_>) -> Option<String> {
    let text = row.optional("stage")?;
    if text == "9" {
        return None;
    }
    if is_stage_group(text) {
        return Some(text.to_ascii_uppercase());
    }
    let detail = format!(
        "value {} is not a TNM stage group (expected 0, 0a, 0is, I to IV \
         with an optional letter and digit such as IIIB, or 9 unknown)",
        echo(text)
    );
    row.problem("stage", "stage_code", detail);
    None
}

/// Reads column 46, the summary extent of disease: 1 confined, 2 adjacent
/// tissues or regional nodes, 3 distant, 4 not confined, 5 not distant,
/// 9 unknown.
fn summary_stage(row: &mut Row<'_>) -> Option<SummaryStage> {
    let text = row.optional("summary_stage")?;
    match single_digit(text).map(SummaryStage::from_code) {
        Some(Ok(stage)) => stage,
        _ => {
            let detail = format!(
                "code {} is not an extent of disease (expected 1 to 5, or 9 \
                 unknown)",
                echo(text)
            );
            row.problem("summary_stage", "summary_stage_code", detail);
            None
        }
    }
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
