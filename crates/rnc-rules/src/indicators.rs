//! Registry quality indicators per site group and period, as the
//! JRC-ENCR Quality Check Software reports them on a call-for-data file
//! (Giusti et al., Front. Oncol. 2023, doi:10.3389/fonc.2023.1219128) and
//! as IARC's Cancer Incidence in Five Continents tabulates them:
//! percentage microscopically verified (MV %), death certificate only
//! (DCO %), mortality-to-incidence ratio (M:I), primary site unknown
//! (C80.9, PSU %), unspecified morphology (UM %) and the median delay
//! from incidence to registration.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;

use chrono::NaiveDate;
use rnc_codes::{Icd10, is_cancer_code, site_group, site_groups};
use rnc_model::{Behaviour, Tumour};

/// Code of the row that sums every site except non-melanoma skin (ICD-10
/// C44), the "all sites but C44" total of Cancer Incidence in Five
/// Continents.
pub const ALL_SITES_BUT_SKIN: &str = "all_sites_but_c44";

/// One death whose underlying cause is a cancer, for the M:I ratio.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CancerDeath {
    /// The person, so that two certificates of one person count once.
    pub person_id: String,
    /// Calendar year of death.
    pub year: i32,
    /// Underlying cause of death, ICD-10.
    pub underlying_cause: Icd10,
}

/// The quality indicators of one site group in one period.
#[derive(Debug, Clone, PartialEq)]
pub struct QualityIndicatorRow {
    /// Site group code of the French national estimates, or
    /// [`ALL_SITES_BUT_SKIN`].
    pub site_group: String,
    /// Period: one incidence year (`2021`) or the whole span
    /// (`2019-2023`).
    pub period: String,
    /// Malignant tumours (behaviour /3) with incidence in the period.
    pub tumours: u64,
    /// Percentage with a microscopic basis of diagnosis (ENCR codes 5-8).
    pub microscopically_verified_percent: Option<f64>,
    /// Percentage known from death certificates only.
    pub death_certificate_only_percent: Option<f64>,
    /// Cancer deaths of the period whose underlying cause falls in the
    /// site group, one per person.
    pub deaths: u64,
    /// Deaths divided by tumours.
    pub mortality_incidence_ratio: Option<f64>,
    /// Percentage with primary site unknown, ICD-O-3 C80.9.
    pub unknown_primary_percent: Option<f64>,
    /// Percentage with unspecified morphology, ICD-O-3 8000-8005 (IARC/IACR
    /// 2004 histology group 17, "unspecified types of cancer").
    pub unspecified_morphology_percent: Option<f64>,
    /// Median days from the incidence date (its midpoint when partial) to
    /// the registration date, over tumours with a registration date.
    pub median_registration_delay_days: Option<f64>,
}

/// Computes the indicators by site group and period.
///
/// Counts malignant tumours (behaviour /3), as IARC and the ENCR do for
/// these indicators. The periods are every incidence year present and the
/// whole span of years; groups without tumours or deaths in a period have
/// no row. `registration_dates` maps a tumour id to the date the registry
/// registered it. Deaths count in the year of death; a death of a person
/// with several certificates counts once, in the earliest year.
pub fn quality_indicators(
    tumours: &[Tumour],
    registration_dates: &HashMap<String, NaiveDate>,
    deaths: &[CancerDeath],
) -> Vec<QualityIndicatorRow> {
    let malignant: Vec<&Tumour> = tumours
        .iter()
        .filter(|t| t.morphology.behaviour() == Behaviour::Malignant)
        .collect();
    let deaths = first_death_per_person(deaths);

    let mut years: BTreeSet<i32> =
        malignant.iter().filter_map(|t| incidence_year(t)).collect();
    years.extend(deaths.iter().map(|d| d.year));
    let (Some(&first), Some(&last)) = (years.first(), years.last()) else {
        return Vec::new();
    };
    let mut periods: Vec<(String, i32, i32)> =
        years.iter().map(|y| (y.to_string(), *y, *y)).collect();
    if first < last {
        periods.push((format!("{first}-{last}"), first, last));
    }

    let mut groups: Vec<&str> =
        site_groups().iter().map(|group| group.code).collect();
    groups.push(ALL_SITES_BUT_SKIN);

    // Each tumour and death is put in its site group and year once. Every
    // cell of the periods × site groups table then reads its own members,
    // where one scan of all tumours per cell grew with the square of the
    // years covered.
    let mut members_by: HashMap<(&str, i32), Vec<&Tumour>> = HashMap::new();
    for &tumour in &malignant {
        let Some(year) = incidence_year(tumour) else {
            continue;
        };
        members_by
            .entry((tumour.site_group.as_str(), year))
            .or_default()
            .push(tumour);
        if !is_skin_other_than_melanoma(&tumour.icd10) {
            members_by
                .entry((ALL_SITES_BUT_SKIN, year))
                .or_default()
                .push(tumour);
        }
    }
    let mut deaths_by: HashMap<(&str, i32), u64> = HashMap::new();
    for death in &deaths {
        *deaths_by
            .entry((site_group(&death.underlying_cause).code, death.year))
            .or_default() += 1;
        if !is_skin_other_than_melanoma(death.underlying_cause.as_str()) {
            *deaths_by
                .entry((ALL_SITES_BUT_SKIN, death.year))
                .or_default() += 1;
        }
    }

    let mut rows = Vec::new();
    for (label, from, to) in &periods {
        for &group in &groups {
            let members: Vec<&Tumour> = (*from..=*to)
                .filter_map(|year| members_by.get(&(group, year)))
                .flatten()
                .copied()
                .collect();
            let death_count: u64 = (*from..=*to)
                .filter_map(|year| deaths_by.get(&(group, year)))
                .sum();
            if members.is_empty() && death_count == 0 {
                continue;
            }
            rows.push(indicator_row(
                group,
                label,
                &members,
                death_count,
                registration_dates,
            ));
        }
    }
    tracing::debug!(rows = rows.len(), "quality indicators computed");
    rows
}

/// The incidence year of a tumour; a tumour whose incidence date is
/// unknown falls in no period.
fn incidence_year(tumour: &Tumour) -> Option<i32> {
    tumour.incidence_date.map(|date| date.year())
}

fn first_death_per_person(deaths: &[CancerDeath]) -> Vec<&CancerDeath> {
    let mut first: BTreeMap<&str, &CancerDeath> = BTreeMap::new();
    for death in deaths
        .iter()
        .filter(|d| is_cancer_code(&d.underlying_cause))
    {
        first
            .entry(death.person_id.as_str())
            .and_modify(|kept| {
                if death.year < kept.year {
                    *kept = death;
                }
            })
            .or_insert(death);
    }
    first.into_values().collect()
}

fn is_skin_other_than_melanoma(icd10: &str) -> bool {
    icd10.starts_with("C44")
}

fn indicator_row(
    group: &str,
    period: &str,
    members: &[&Tumour],
    deaths: u64,
    registration_dates: &HashMap<String, NaiveDate>,
) -> QualityIndicatorRow {
    let total = members.len() as u64;
    let percent = |predicate: &dyn Fn(&Tumour) -> bool| {
        (total > 0).then(|| {
            let hits = members.iter().filter(|t| predicate(t)).count();
            100.0 * hits as f64 / total as f64
        })
    };
    let mut delays: Vec<i64> = members
        .iter()
        .filter_map(|t| {
            let registered = registration_dates.get(&t.tumour_id)?;
            Some((*registered - t.incidence_date?.midpoint()).num_days())
        })
        .collect();
    delays.sort_unstable();
    QualityIndicatorRow {
        site_group: group.to_string(),
        period: period.to_string(),
        tumours: total,
        microscopically_verified_percent: percent(&|t| {
            t.basis_of_diagnosis.is_microscopically_verified()
        }),
        death_certificate_only_percent: percent(&|t| {
            t.death_certificate_only || t.basis_of_diagnosis.code() == 0
        }),
        deaths,
        mortality_incidence_ratio: (total > 0)
            .then(|| deaths as f64 / total as f64),
        unknown_primary_percent: percent(&|t| {
            t.topography == rnc_model::Topography::unknown_primary()
        }),
        unspecified_morphology_percent: percent(&|t| {
            (8000..=8005).contains(&t.morphology.histology())
        }),
        median_registration_delay_days: median(&delays),
    }
}

fn median(sorted: &[i64]) -> Option<f64> {
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2] as f64),
        _ => Some((sorted[n / 2 - 1] + sorted[n / 2]) as f64 / 2.0),
    }
}

/// Writes the rows as CSV with a header. Empty cells are indicators with
/// no denominator. `registration_date_source` fills the last column and
/// names the source of the registration date (e.g. `batch_ingestion_time`).
pub fn quality_indicators_to_csv(
    rows: &[QualityIndicatorRow],
    registration_date_source: &str,
) -> String {
    let mut csv = String::from(
        "site_group,period,tumours,microscopically_verified_percent,\
         death_certificate_only_percent,deaths,mortality_incidence_ratio,\
         unknown_primary_percent,unspecified_morphology_percent,\
         median_registration_delay_days,registration_date_source\n",
    );
    let number = |value: Option<f64>, decimals: usize| {
        value.map_or_else(String::new, |v| format!("{v:.decimals$}"))
    };
    for row in rows {
        // Writing to a String cannot fail.
        let _ = writeln!(
            csv,
            "{},{},{},{},{},{},{},{},{},{},{}",
            row.site_group,
            row.period,
            row.tumours,
            number(row.microscopically_verified_percent, 2),
            number(row.death_certificate_only_percent, 2),
            row.deaths,
            number(row.mortality_incidence_ratio, 4),
            number(row.unknown_primary_percent, 2),
            number(row.unspecified_morphology_percent, 2),
            number(row.median_registration_delay_days, 1),
            registration_date_source,
        );
    }
    csv
}
