//! The minimised extract delivered to a researcher's approved project.
//!
//! One row per malignant tumour, with:
//!
//! * pseudonymous ids re-keyed per project: HMAC-SHA-256 of the release's
//!   person and tumour ids under a key derived from the service key and
//!   the project id, so that two projects cannot join their extracts and
//!   no project can join back to the release;
//! * dates coarsened: year of incidence and of death, follow-up in whole
//!   months, age in five-year bands;
//! * residence as the region, not the département;
//! * no free text: no record ids, sources, file names or messages.
//!
//! The quasi-identifiers are sex, age band, year of incidence and region.
//! Rows whose combination of them is shared by fewer than `k` persons are
//! withheld, and the delivered rows are checked again before delivery.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use hmac::Mac;
use serde::{Deserialize, Serialize};

use crate::Error;
use crate::access::Project;
use crate::secret::{HmacSha256, ServiceKey};
use crate::state::Published;

/// Quasi-identifiers checked for k-anonymity, in column order.
pub const QUASI_IDENTIFIERS: [&str; 4] =
    ["sex", "age_band", "incidence_year", "region"];

/// One row of an extract.
#[derive(
    Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema,
)]
pub struct ExtractRow {
    /// Person pseudonym of this project: 32 hexadecimal digits.
    pub person: String,
    /// Tumour pseudonym of this project: 32 hexadecimal digits.
    pub tumour: String,
    /// `female`, `male` or `unknown`.
    pub sex: String,
    /// Five-year age band at incidence, or `unknown`.
    pub age_band: String,
    /// Year of incidence.
    pub incidence_year: i64,
    /// INSEE region code of residence, or `unknown`.
    pub region: String,
    /// Site group code.
    pub site_group: String,
    /// ICD-O-3 topography category, three characters (`C18`).
    pub topography: String,
    /// ICD-O-3 morphology, four digits.
    pub morphology: String,
    /// ENCR basis of diagnosis code.
    pub basis_of_diagnosis: i64,
    /// Year of death, when known dead.
    pub death_year: Option<i64>,
    /// Whole months from incidence to death or to the closing date, when
    /// both dates are complete.
    pub follow_up_months: Option<i64>,
}

/// An extract with its protection summary.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Extract {
    /// The approved project.
    pub project: String,
    /// Release the extract comes from.
    pub release: String,
    /// Smallest number of persons per combination of quasi-identifiers.
    pub k: u32,
    /// The quasi-identifiers checked.
    pub quasi_identifiers: Vec<String>,
    /// Rows withheld because their combination had fewer than k persons.
    pub withheld_rows: u64,
    /// The rows delivered.
    pub rows: Vec<ExtractRow>,
}

fn pseudonym(key: &[u8; 32], kind: &str, id: &str) -> String {
    let mut mac = HmacSha256::new_from_slice(key)
        .expect("HMAC takes a key of any length");
    mac.update(kind.as_bytes());
    mac.update(b"\0");
    mac.update(id.as_bytes());
    hex::encode(&mac.finalize().into_bytes()[..16])
}

fn full_date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

fn whole_months(from: NaiveDate, to: NaiveDate) -> Option<i64> {
    use chrono::Datelike;
    let mut months = i64::from(to.year() - from.year()) * 12
        + i64::from(to.month())
        - i64::from(from.month());
    if to.day() < from.day() {
        months -= 1;
    }
    (months >= 0).then_some(months)
}

/// Builds the extract of `project` from the release served.
///
/// # Errors
///
/// [`Error::Invalid`] when the rows delivered would still hold a
/// combination of quasi-identifiers shared by fewer than k persons, which
/// the withholding step rules out unless it has a bug.
pub fn build_extract(
    published: &Published,
    key: &ServiceKey,
    project: &Project,
) -> Result<Extract, Error> {
    let project_key = key.derive(&format!("project:{}", project.id));
    let closing = published.cohorts.closing_date;
    let facts = &published.facts;
    let mut rows = Vec::new();
    for tumour in facts.tumours.iter().filter(|t| t.behaviour == 3) {
        let death = facts
            .persons
            .get(&tumour.person_id)
            .and_then(|p| p.death_date.clone());
        let death_year = death
            .as_deref()
            .and_then(|d| d.get(..4))
            .and_then(|y| y.parse().ok());
        let end = match &death {
            Some(text) => full_date(text),
            None => closing,
        };
        let follow_up_months = full_date(&tumour.incidence_date)
            .zip(end)
            .and_then(|(from, to)| whole_months(from, to));
        rows.push(ExtractRow {
            person: pseudonym(&project_key, "person", &tumour.person_id),
            tumour: pseudonym(&project_key, "tumour", &tumour.tumour_id),
            sex: tumour.sex.clone(),
            age_band: tumour
                .age
                .and_then(|a| u16::try_from(a).ok())
                .map_or_else(
                    || "unknown".to_owned(),
                    |a| {
                        rnc_stats::AGE_BANDS[rnc_stats::age_band_index(a)]
                            .to_owned()
                    },
                ),
            incidence_year: tumour.incidence_year,
            region: tumour
                .departement
                .as_deref()
                .and_then(|d| rnc_stats::region_of_departement(d).ok())
                .unwrap_or("unknown")
                .to_owned(),
            site_group: tumour.site_group.clone(),
            topography: tumour.topography.chars().take(3).collect(),
            morphology: tumour.morphology.clone(),
            basis_of_diagnosis: tumour.basis_of_diagnosis,
            death_year,
            follow_up_months,
        });
    }
    let before = rows.len();
    let small = small_classes(&rows, project.k);
    rows.retain(|row| !small.contains(&quasi_key(row)));
    let withheld_rows = (before - rows.len()) as u64;
    if !small_classes(&rows, project.k).is_empty() {
        return Err(Error::Invalid(format!(
            "project {}: the extract still has combinations of quasi-identifiers shared by fewer than {} persons",
            project.id, project.k
        )));
    }
    tracing::info!(project = %project.id, rows = rows.len(), withheld = withheld_rows, k = project.k, "built research extract");
    Ok(Extract {
        project: project.id.clone(),
        release: facts.release.release_id.clone(),
        k: project.k,
        quasi_identifiers: QUASI_IDENTIFIERS
            .iter()
            .map(|q| (*q).to_owned())
            .collect(),
        withheld_rows,
        rows,
    })
}

type QuasiKey = (String, String, i64, String);

fn quasi_key(row: &ExtractRow) -> QuasiKey {
    (
        row.sex.clone(),
        row.age_band.clone(),
        row.incidence_year,
        row.region.clone(),
    )
}

/// Returns the combinations of quasi-identifiers shared by fewer than `k`
/// distinct persons.
pub fn small_classes(rows: &[ExtractRow], k: u32) -> BTreeSet<QuasiKey> {
    let mut persons: BTreeMap<QuasiKey, BTreeSet<&str>> = BTreeMap::new();
    for row in rows {
        persons
            .entry(quasi_key(row))
            .or_default()
            .insert(&row.person);
    }
    persons
        .into_iter()
        .filter(|(_, p)| (p.len() as u64) < u64::from(k))
        .map(|(key, _)| key)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_are_whole() {
        let d = |s| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(whole_months(d("2021-01-31"), d("2021-02-28")), Some(0));
        assert_eq!(whole_months(d("2021-01-15"), d("2022-01-15")), Some(12));
        assert_eq!(whole_months(d("2021-03-01"), d("2021-02-01")), None);
    }

    #[test]
    fn projects_get_unrelated_pseudonyms() {
        let key = ServiceKey::from_bytes([3; 32]);
        let a = pseudonym(&key.derive("project:A"), "person", "P00000001");
        let b = pseudonym(&key.derive("project:B"), "person", "P00000001");
        assert_ne!(a, b);
        assert_eq!(a.len(), 32);
        assert!(!a.contains("P00000001"));
    }
}
