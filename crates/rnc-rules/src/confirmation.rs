//! Reviewer confirmations of rare or query findings.
//!
//! A confirmation says that a reviewer checked a tumour flagged by a rule
//! and found its codes right. It is keyed by the tumour id, the rule id
//! and the tumour's codes, so it lapses as soon as any of those codes
//! changes (a new record, a recoding, a relinked person). NAACCR EDITS
//! works the same way with its over-ride flags for "rare but possible"
//! combinations; CanReg5 lets the user confirm Rare and Query results.

use serde::{Deserialize, Serialize};

use crate::{CheckResult, Error, Severity, Tumour};

/// A reviewer's confirmation that a finding of one rule on one tumour is
/// correct.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Confirmation {
    /// The tumour, e.g. `P00000042-T1`.
    pub tumour_id: String,
    /// The rule confirmed, e.g. `site_histology`.
    pub rule_id: String,
    /// The tumour's codes when it was confirmed, as written by
    /// [`confirmation_codes`].
    pub codes: String,
    /// Why the combination is right, in the reviewer's words.
    pub reason: String,
    /// UTC time of the confirmation, RFC 3339.
    pub confirmed_at: String,
}

/// The file of confirmations: a version number and the list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfirmationFile {
    /// Format version, 1.
    pub format_version: u32,
    /// Confirmations, at most one per tumour and rule.
    pub confirmations: Vec<Confirmation>,
}

/// Longest run of digits a reason may contain. A NIR has 13 digits and a
/// key of 2, so a longer run may be a person's NIR.
const MAX_DIGIT_RUN: usize = 12;

/// The codes a confirmation is bound to: sex, topography, morphology with
/// behaviour and grade, basis of diagnosis and age, e.g.
/// `female;C18.7;8140/32;7;60`. None of them identifies a person.
pub fn confirmation_codes(tumour: &Tumour) -> String {
    let age = tumour
        .age_at_incidence
        .map_or_else(|| "unknown".to_string(), |age| age.to_string());
    format!(
        "{};{};{};{};{age}",
        tumour.sex.label(),
        tumour.topography,
        tumour.morphology,
        tumour.basis_of_diagnosis.code(),
    )
}

/// Builds the confirmation of `finding`, a check result of `tumour`.
///
/// # Errors
///
/// [`crate::ErrorKind::NotConfirmable`] when the finding is Invalid (an
/// impossible code must be corrected, not confirmed) or belongs to another
/// tumour, and [`crate::ErrorKind::InvalidReason`] when the reason is
/// empty, spans several lines, or contains a run of more than 12 digits
/// (spaces and dots allowed, which may be a NIR) or a full date.
pub fn confirm_finding(
    tumour: &Tumour,
    finding: &CheckResult,
    reason: &str,
    confirmed_at: &str,
) -> Result<Confirmation, Error> {
    if finding.tumour_id != tumour.tumour_id {
        return Err(Error::not_confirmable(
            finding,
            "the finding belongs to another tumour",
        ));
    }
    if finding.severity == Severity::Invalid {
        return Err(Error::not_confirmable(
            finding,
            "an invalid finding marks an impossible code: correct the source record instead",
        ));
    }
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(Error::invalid_reason("the reason is empty"));
    }
    if reason.chars().any(char::is_control) {
        return Err(Error::invalid_reason(
            "the reason contains a line break or control character: write it on one line",
        ));
    }
    if longest_digit_run(reason) > MAX_DIGIT_RUN {
        return Err(Error::invalid_reason(
            "the reason contains a long number that may be a NIR: describe the evidence without identifiers",
        ));
    }
    if contains_full_date(reason) {
        return Err(Error::invalid_reason(
            "the reason contains a full date, which may be a birth date: describe the evidence without dates",
        ));
    }
    Ok(Confirmation {
        tumour_id: tumour.tumour_id.clone(),
        rule_id: finding.rule_id.clone(),
        codes: confirmation_codes(tumour),
        reason: reason.to_string(),
        confirmed_at: confirmed_at.to_string(),
    })
}

/// Counts the longest run of digits, reading through the spaces, dots and
/// hyphens a NIR is usually written with (`2 50 03 75 123 456 78`).
fn longest_digit_run(text: &str) -> usize {
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        if c.is_ascii_digit() {
            run += 1;
            longest = longest.max(run);
        } else if !matches!(c, ' ' | '.' | '-') {
            run = 0;
        }
    }
    longest
}

/// Whether `text` holds a full date such as `12/03/1950`, `12.03.1950` or
/// `1950-03-12`: three numbers joined by `/`, `.` or `-`, one of four digits.
// NOTE: names cannot be recognised reliably; reviewers are told in the
// command's help not to write them.
fn contains_full_date(text: &str) -> bool {
    text.split(|c: char| !(c.is_ascii_digit() || matches!(c, '/' | '.' | '-')))
        .any(|token| {
            let parts: Vec<&str> = token
                .split(['/', '.', '-'])
                .filter(|p| !p.is_empty())
                .collect();
            parts.len() == 3
                && parts.iter().all(|p| p.chars().all(|c| c.is_ascii_digit()))
                && parts.iter().any(|p| p.len() == 4)
                && parts.iter().filter(|p| p.len() <= 2).count() == 2
        })
}

impl ConfirmationFile {
    /// Adds a confirmation, replacing an earlier one of the same tumour
    /// and rule.
    pub fn insert(&mut self, confirmation: Confirmation) {
        self.confirmations.retain(|c| {
            (c.tumour_id.as_str(), c.rule_id.as_str())
                != (
                    confirmation.tumour_id.as_str(),
                    confirmation.rule_id.as_str(),
                )
        });
        self.confirmations.push(confirmation);
        self.confirmations.sort_by(|a, b| {
            (&a.tumour_id, &a.rule_id).cmp(&(&b.tumour_id, &b.rule_id))
        });
    }

    /// Parses the JSON text of a confirmation file.
    ///
    /// # Errors
    ///
    /// [`crate::ErrorKind::ConfirmationFile`] when the text is not a
    /// confirmation file.
    pub fn from_json(text: &str) -> Result<ConfirmationFile, Error> {
        serde_json::from_str(text).map_err(Error::confirmation_file)
    }

    /// Writes the file as pretty-printed JSON.
    pub fn to_json(&self) -> String {
        // Serialising strings and integers cannot fail.
        serde_json::to_string_pretty(self)
            .expect("a confirmation file serialises to JSON")
    }
}

/// Removes from `checks` the findings a still-valid confirmation covers:
/// same tumour, same rule, and the tumour's codes unchanged. Invalid
/// findings are never removed. Returns the remaining findings and the
/// number removed.
pub fn apply_confirmations(
    checks: Vec<CheckResult>,
    tumours: &[Tumour],
    file: &ConfirmationFile,
) -> (Vec<CheckResult>, usize) {
    let codes_of = |tumour_id: &str| {
        tumours
            .iter()
            .find(|t| t.tumour_id == tumour_id)
            .map(confirmation_codes)
    };
    let before = checks.len();
    let kept: Vec<CheckResult> = checks
        .into_iter()
        .filter(|check| {
            if check.severity == Severity::Invalid {
                return true;
            }
            let Some(codes) = codes_of(&check.tumour_id) else {
                return true;
            };
            !file.confirmations.iter().any(|c| {
                c.tumour_id == check.tumour_id
                    && c.rule_id == check.rule_id
                    && c.codes == codes
            })
        })
        .collect();
    let removed = before - kept.len();
    (kept, removed)
}
