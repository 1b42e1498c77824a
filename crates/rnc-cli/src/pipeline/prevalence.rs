//! Prevalence of a release at an index date (`rnc stats --index-date`).

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context;
use chrono::NaiveDate;
use rnc_stats::{
    PrevalencePerson, PrevalenceRow, count_prevalence, published_prevalence_csv,
};

use crate::survival::{full_date, quote, read_tumours};

/// Counts complete and partial prevalence at `index_date` by site group
/// and sex, plus all sites, and writes `prevalence.csv` (analyst output)
/// and `prevalence_published.csv` (counts under `small_cell_threshold`
/// hidden, with the counts that would give them back by difference) into
/// `out_dir`.
///
/// Each person counts once per site group, with the first malignant
/// tumour of that group (and once over all sites). A person is known to
/// be alive up to `closing`, the latest date of death in the death
/// records, so the index date must not be after it. Tumours with a
/// partial incidence date or known only from a death certificate are left
/// out. The durations are taken in increasing order.
///
/// # Errors
///
/// An index date after the closing date, and read or write failures.
pub fn write_prevalence(
    release_dir: &Path,
    index_date: NaiveDate,
    durations_years: &[u32],
    small_cell_threshold: u64,
    out_dir: &Path,
) -> anyhow::Result<PrevalenceOutput> {
    let mut durations = durations_years.to_vec();
    durations.sort_unstable();
    durations.dedup();

    let closing = check_index_date(release_dir, index_date)?;

    let mut seen = HashSet::new();
    let mut groups: BTreeMap<(String, String), Vec<PrevalencePerson>> =
        BTreeMap::new();
    for row in read_tumours(release_dir)? {
        if row.death_certificate_only {
            continue;
        }
        let Some(diagnosis) = full_date(&row.incidence_date) else {
            continue;
        };
        let death = row.death_date.as_deref().and_then(full_date);
        let person = PrevalencePerson {
            diagnosis_date: diagnosis,
            death_date: death.filter(|d| *d <= closing),
            last_known_date: death.filter(|d| *d <= closing).unwrap_or(closing),
        };
        for site in [row.site_group.as_str(), rnc_stats::ALL_SITES] {
            if seen.insert((row.person_id.clone(), site.to_owned())) {
                groups
                    .entry((site.to_owned(), row.sex.clone()))
                    .or_default()
                    .push(person);
            }
        }
    }

    let mut csv = String::from("site_group,sex,index_date,complete");
    for years in &durations {
        let _ = write!(csv, ",partial_{years}_years");
    }
    csv.push_str(",dead,diagnosed_after\n");
    let mut prevalent = 0;
    let mut rows = Vec::with_capacity(groups.len());
    for ((site, sex), persons) in &groups {
        let counts = count_prevalence(persons, index_date, &durations)?;
        if site == rnc_stats::ALL_SITES {
            prevalent += counts.complete;
        }
        let _ = write!(
            csv,
            "{},{},{index_date},{}",
            quote(site),
            quote(sex),
            counts.complete
        );
        for (_, count) in &counts.partial {
            let _ = write!(csv, ",{count}");
        }
        let _ = writeln!(csv, ",{},{}", counts.dead, counts.diagnosed_after);
        rows.push(PrevalenceRow {
            site_group: site.clone(),
            sex: sex.clone(),
            prevalence: counts,
        });
    }
    let analyst = out_dir.join("prevalence.csv");
    std::fs::write(&analyst, csv)
        .with_context(|| format!("writing {}", analyst.display()))?;
    let published = out_dir.join("prevalence_published.csv");
    std::fs::write(
        &published,
        published_prevalence_csv(&rows, small_cell_threshold)?,
    )
    .with_context(|| format!("writing {}", published.display()))?;
    Ok(PrevalenceOutput {
        analyst,
        published,
        prevalent,
    })
}

/// Checks that vital status is known at `index_date`: the release has
/// death records and the latest is on or after it. Returns that closing
/// date. `rnc stats` calls it before writing anything, so that a wrong
/// date leaves no partial output.
///
/// # Errors
///
/// A release without death records, an index date after the closing
/// date, and read failures.
pub fn check_index_date(
    release_dir: &Path,
    index_date: NaiveDate,
) -> anyhow::Result<NaiveDate> {
    let closing = super::report_curves::closing_date(release_dir)?
        .context("the release has no death record, so no one is known to be alive at the index date")?;
    anyhow::ensure!(
        index_date <= closing,
        "--index-date {index_date} is after {closing}, the latest death record of the release: vital status is unknown after it; give a date on or before it"
    );
    Ok(closing)
}

/// What [`write_prevalence`] wrote.
#[derive(Debug)]
pub struct PrevalenceOutput {
    /// Counts as computed, with the dead and the persons diagnosed after
    /// the index date.
    pub analyst: PathBuf,
    /// Counts for publication.
    pub published: PathBuf,
    /// Persons alive at the index date after a malignant tumour of any
    /// site.
    pub prevalent: u64,
}
