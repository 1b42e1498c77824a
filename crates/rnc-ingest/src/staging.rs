//! Optional laterality and stage columns of the registry extract and the
//! pathology report, coded as in the ENCR-JRC call for data. The feed
//! specification in `feeds` lists the columns.

use rnc_model::{CodeError, Laterality, Stage, SummaryStage, Tnm, TnmBasis};

use crate::checks::{Row, echo, single_digit};

/// Reads the laterality and stage columns of a row, recording a problem
/// for each invalid code.
/// `default_basis` is the TNM basis when no category carries a `c` or
/// `p` prefix: pathological for a pathology report, clinical otherwise.
pub(crate) fn read_staging(
    row: &mut Row<'_>,
    default_basis: TnmBasis,
) -> (Option<Laterality>, Option<Stage>) {
    let laterality = row.optional("laterality").and_then(|text| {
        let code = single_digit(text);
        match code.map(Laterality::from_code) {
            Some(Ok(laterality)) => Some(laterality),
            _ => {
                row.problem(
                    "laterality",
                    "laterality_code",
                    format!(
                        "code {} is not an ENCR-JRC laterality (expected 0, 1, 2, 3, 4 or 9)",
                        echo(text)
                    ),
                );
                None
            }
        }
    });
    let summary = row.optional("summary_stage").and_then(|text| {
        match single_digit(text).map(SummaryStage::from_code) {
            Some(Ok(stage)) => stage,
            _ => {
                row.problem(
                    "summary_stage",
                    "summary_stage_code",
                    format!(
                        "code {} is not an ENCR-JRC extent of disease (expected 1 to 5, or 9 for unknown)",
                        echo(text)
                    ),
                );
                None
            }
        }
    });
    let tnm = read_tnm(row, default_basis);
    let stage =
        (tnm.is_some() || summary.is_some()).then_some(Stage { tnm, summary });
    (laterality, stage)
}

fn read_tnm(row: &mut Row<'_>, default_basis: TnmBasis) -> Option<Tnm> {
    let t = row.optional("tnm_t");
    let n = row.optional("tnm_n");
    let m = row.optional("tnm_m");
    let group = row.optional("tnm_stage_group");
    let edition_text = row.optional("tnm_edition");
    if [t, n, m, group, edition_text].iter().all(Option::is_none) {
        return None;
    }
    let edition = match edition_text.map(str::parse::<u8>) {
        None => None,
        Some(Ok(edition)) => Some(edition),
        // An edition that is not a number fails `Tnm::parse` as out of
        // range.
        Some(Err(_)) => Some(u8::MAX),
    };
    // The prefix before the letter of T or N shows which classification
    // the row contains, e.g. `pT2` or `ycN1`.
    let prefix = |text: Option<&str>, letter: char| {
        text.and_then(|t| t.find(letter).map(|at| t[..at].to_string()))
    };
    let prefixes = [prefix(t, 'T'), prefix(n, 'N')];
    let basis = if prefixes.iter().flatten().any(|p| p.contains('p')) {
        TnmBasis::Pathological
    } else if prefixes.iter().flatten().any(|p| p.contains('c')) {
        TnmBasis::Clinical
    } else {
        default_basis
    };
    match Tnm::parse(basis, t, n, m, group, edition) {
        Ok(tnm) => Some(tnm),
        Err(error) => {
            let column = match error {
                CodeError::InvalidTnm("T") => "tnm_t",
                CodeError::InvalidTnm("N") => "tnm_n",
                CodeError::InvalidTnm("M") => "tnm_m",
                CodeError::InvalidTnm("edition") => "tnm_edition",
                _ => "tnm_stage_group",
            };
            let text = row.optional(column).unwrap_or_default();
            row.problem(
                column,
                "tnm_code",
                format!("code {} is invalid: {error}", echo(text)),
            );
            None
        }
    }
}
