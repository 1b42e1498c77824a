//! `rnc survival`: observed (Kaplan-Meier), relative (Ederer II) and net
//! (Pohar-Perme) survival by site group on a release, with a user-supplied
//! life table, and net survival standardised with the ICSS 1 weights.
//!
//! Each person counts once per site group, with the first malignant tumour
//! of that group (and once in `all_sites`, with the first malignant tumour
//! of all). Follow-up runs from the incidence date to death, or to the
//! closing date for persons not known to be dead.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context;
use arrow::array::{Array, AsArray};
use arrow::datatypes::Int32Type;
use chrono::NaiveDate;
use rnc_stats::{
    AnalysisWindow, CohortPatient, DelayedFollowUp, FollowUp, LifeTable,
    SurvivalRow, YEAR_DAYS, YearExtrapolation, survival_at_times,
};
use rnc_store::Registry;
use rnc_store::sql::run_sql;

use crate::cli::{SurvivalArgs, WindowArgs};
use crate::commands::Outcome;
use crate::pipeline::choose_release;

/// Site group of the rows over all sites.
const ALL_SITES: &str = "all_sites";

/// Confidence level of every interval.
const CONFIDENCE: f64 = 0.95;

/// Settings of `rnc survival`: release, life table, follow-up and output.
#[derive(Debug, Clone)]
pub struct SurvivalRequest {
    /// Release to use, else the latest.
    pub release: Option<String>,
    /// Life table CSV.
    pub life_table: PathBuf,
    /// Follow-up of persons not known to be dead ends on this date.
    pub closing_date: NaiveDate,
    /// Use the life table's last year for later years.
    pub carry_last_year: bool,
    /// Times of the estimates, in years of 365.241 days.
    pub years: Vec<f64>,
    /// Output folder, else `<registry>/outputs/<release>`.
    pub out: Option<PathBuf>,
    /// Cohort or period window, else every patient from diagnosis.
    pub window: Option<AnalysisWindow>,
}

/// Counts of what `rnc survival` used and left out.
#[derive(Debug, Clone, Default)]
pub struct SurvivalSummary {
    /// The release used.
    pub release_id: String,
    /// The file written.
    pub csv: PathBuf,
    /// Site groups with a curve (all sites included).
    pub site_groups: usize,
    /// Persons in the all-sites cohort.
    pub patients: u64,
    /// Tumours left out, by reason.
    pub excluded: BTreeMap<&'static str, u64>,
}

/// One tumour's row from the release, as needed for survival.
pub(crate) struct TumourRow {
    pub(crate) person_id: String,
    pub(crate) site_group: String,
    pub(crate) sex: String,
    pub(crate) age: Option<i32>,
    pub(crate) incidence_date: String,
    pub(crate) death_certificate_only: bool,
    pub(crate) death_date: Option<String>,
}

/// Runs `rnc survival`: computes the curves, writes `survival.csv` and
/// prints the exclusions and a one-line summary.
pub fn survival(
    registry_dir: &Path,
    args: &SurvivalArgs,
) -> anyhow::Result<Outcome> {
    let started = std::time::Instant::now();
    let registry = Registry::open(registry_dir)?;
    let closing_date =
        NaiveDate::parse_from_str(&args.closing_date, "%Y-%m-%d")
            .with_context(|| {
                format!(
                    "--closing-date {:?} is not a date (expected YYYY-MM-DD)",
                    args.closing_date
                )
            })?;
    if let Some(bad) = args.years.iter().find(|y| !(y.is_finite() && **y > 0.0))
    {
        anyhow::bail!(
            "--years {bad} is not a positive number of years (e.g. --years 1,3,5,10)"
        );
    }
    let today = chrono::Utc::now().date_naive();
    if closing_date > today {
        anyhow::bail!(
            "--closing-date {closing_date} is in the future: follow-up can only be closed on or before today ({today})"
        );
    }
    if let Some(out) = &args.out {
        crate::pipeline::check_output_path(
            out,
            Some(registry_dir),
            None,
            &[&args.life_table],
        )?;
    }
    let request = SurvivalRequest {
        release: args.release.clone(),
        life_table: args.life_table.clone(),
        closing_date,
        carry_last_year: args.carry_last_year,
        years: args.years.clone(),
        out: args.out.clone(),
        window: parse_window(&args.window)?,
    };
    let summary = compute_survival(&registry, &request)?;
    for (reason, count) in &summary.excluded {
        println!("excluded: {count} tumours ({reason})");
    }
    let window = request
        .window
        .map_or_else(|| "all follow-up".to_owned(), |w| w.label());
    println!(
        "survival: {} site groups, {} persons over all sites, release {}, {window}, written to {} in {:.1} s",
        summary.site_groups,
        summary.patients,
        summary.release_id,
        summary.csv.display(),
        started.elapsed().as_secs_f64()
    );
    if summary.patients == 0 {
        anyhow::bail!(
            "no patient left for survival (see the exclusions above): check that the life table's sex labels are male and female and that --closing-date follows the diagnoses"
        );
    }
    Ok(Outcome::Clean)
}

/// Computes survival by site group and writes `survival.csv`.
///
/// # Errors
///
/// A missing release or life table, an invalid life table, or a life table
/// that ends before follow-up (unless `carry_last_year`).
pub fn compute_survival(
    registry: &Registry,
    request: &SurvivalRequest,
) -> anyhow::Result<SurvivalSummary> {
    let release = choose_release(registry, request.release.as_deref())?;
    let release_dir = registry.release_dir(&release.release_id);
    let file = std::fs::File::open(&request.life_table).with_context(|| {
        format!("opening life table {}", request.life_table.display())
    })?;
    let mut table =
        LifeTable::from_csv(file, &request.life_table.display().to_string())?;
    if request.carry_last_year {
        table =
            table.with_extrapolation(YearExtrapolation::CarryLastYearForward);
    }

    let rows = read_tumours(&release_dir)?;
    let mut summary = SurvivalSummary {
        release_id: release.release_id.clone(),
        ..SurvivalSummary::default()
    };
    let cohorts = build_cohorts(
        &rows,
        &table,
        request.closing_date,
        request.window.as_ref(),
        &mut summary.excluded,
    );
    summary.patients = cohorts.get(ALL_SITES).map_or(0, |c| c.len() as u64);

    let mut csv = String::from(
        "site_group,method,years,patients,at_risk,survival,lower,upper,status\n",
    );
    for (site_group, patients) in &cohorts {
        write_site_group(
            &mut csv,
            site_group,
            patients,
            &table,
            &request.years,
        )
        .with_context(|| format!("site group {site_group}"))?;
    }
    summary.site_groups = cohorts.len();

    let out_dir = request.out.clone().unwrap_or_else(|| {
        registry.root().join("outputs").join(&release.release_id)
    });
    std::fs::create_dir_all(&out_dir)
        .with_context(|| format!("creating {}", out_dir.display()))?;
    summary.csv = out_dir.join("survival.csv");
    std::fs::write(&summary.csv, csv)
        .with_context(|| format!("writing {}", summary.csv.display()))?;
    Ok(summary)
}

/// Reads every malignant tumour with its person's death date, in person
/// and incidence order.
pub(crate) fn read_tumours(
    release_dir: &Path,
) -> anyhow::Result<Vec<TumourRow>> {
    let query = "SELECT t.person_id, t.site_group, t.sex, \
                CAST(t.age_at_incidence AS INT) AS age, t.incidence_date, \
                t.death_certificate_only, p.death_date \
         FROM tumours t JOIN persons p ON t.person_id = p.person_id \
         WHERE t.behaviour = 3 \
         ORDER BY t.person_id, t.incidence_date, t.tumour_id";
    let batches = run_sql(release_dir, query)
        .context("reading tumours and death dates")?;
    let mut rows = Vec::new();
    for batch in &batches {
        let persons = batch.column(0).as_string::<i32>();
        let sites = batch.column(1).as_string::<i32>();
        let sexes = batch.column(2).as_string::<i32>();
        let ages = batch.column(3).as_primitive::<Int32Type>();
        let incidence = batch.column(4).as_string::<i32>();
        let dco = batch.column(5).as_boolean();
        let deaths = batch.column(6).as_string::<i32>();
        for i in 0..batch.num_rows() {
            rows.push(TumourRow {
                person_id: persons.value(i).to_owned(),
                site_group: sites.value(i).to_owned(),
                sex: sexes.value(i).to_owned(),
                age: (!ages.is_null(i)).then(|| ages.value(i)),
                incidence_date: incidence.value(i).to_owned(),
                death_certificate_only: dco.value(i),
                death_date: (!deaths.is_null(i))
                    .then(|| deaths.value(i).to_owned()),
            });
        }
    }
    Ok(rows)
}

/// Builds one cohort per site group, plus all sites, counting each
/// exclusion by reason.
fn build_cohorts(
    rows: &[TumourRow],
    table: &LifeTable,
    closing_date: NaiveDate,
    window: Option<&AnalysisWindow>,
    excluded: &mut BTreeMap<&'static str, u64>,
) -> BTreeMap<String, Vec<CohortPatient>> {
    let mut cohorts: BTreeMap<String, Vec<CohortPatient>> = BTreeMap::new();
    let mut seen: std::collections::HashSet<(String, String)> =
        Default::default();
    for row in rows {
        let first_of_site =
            seen.insert((row.person_id.clone(), row.site_group.clone()));
        let first_of_person =
            seen.insert((row.person_id.clone(), ALL_SITES.to_owned()));
        if !first_of_site && !first_of_person {
            continue;
        }
        match cohort_patient(row, table, closing_date, window) {
            Ok(patient) => {
                if first_of_site {
                    cohorts
                        .entry(row.site_group.clone())
                        .or_default()
                        .push(patient);
                }
                if first_of_person {
                    cohorts
                        .entry(ALL_SITES.to_owned())
                        .or_default()
                        .push(patient);
                }
            }
            Err(reason) => *excluded.entry(reason).or_default() += 1,
        }
    }
    cohorts
}

/// Converts a tumour to a patient, or returns why it is left out.
fn cohort_patient(
    row: &TumourRow,
    table: &LifeTable,
    closing_date: NaiveDate,
    window: Option<&AnalysisWindow>,
) -> Result<CohortPatient, &'static str> {
    if row.death_certificate_only {
        return Err("death certificate only");
    }
    let incidence = full_date(&row.incidence_date)
        .ok_or("incidence date not a full date")?;
    if incidence > closing_date {
        return Err("diagnosed after the closing date");
    }
    let age = row.age.ok_or("age unknown")?;
    let sex = table
        .sex_index(&row.sex)
        .map_err(|_| "sex not in the life table")?;
    let (exit, died) = match &row.death_date {
        Some(text) => {
            let death = full_date(text).ok_or("death date not a full date")?;
            if death > closing_date {
                (closing_date, false)
            } else {
                (death, true)
            }
        }
        None => (closing_date, false),
    };
    let days = exit.signed_duration_since(incidence).num_days();
    if days < 0 {
        return Err("death before incidence");
    }
    if days == 0 {
        return Err("zero days of follow-up");
    }
    let delayed = match window {
        None => DelayedFollowUp {
            entry_days: 0,
            follow_up: FollowUp {
                days: days as u32,
                died,
            },
        },
        Some(window) => window
            .follow_up(incidence, exit, died)
            .map_err(|_| "follow-up outside the analysis window")?
            .ok_or("follow-up outside the analysis window")?,
    };
    Ok(CohortPatient {
        follow_up: delayed.follow_up,
        entry_days: delayed.entry_days,
        sex,
        // DEVIATION: relsurv takes the exact age in days. A release stores
        // age in completed years (no birth date), so each patient is put in
        // the middle of that year of age.
        age_days: (f64::from(age) + 0.5) * YEAR_DAYS,
        diagnosis_date: incidence,
    })
}

/// Reads the cohort or period window of the survival flags.
pub fn parse_window(
    args: &WindowArgs,
) -> anyhow::Result<Option<AnalysisWindow>> {
    let date = |flag: &str, text: &str| {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").with_context(|| {
            format!("{flag} {text:?} is not a date (expected YYYY-MM-DD)")
        })
    };
    if let (Some(start), Some(end)) = (&args.period_start, &args.period_end) {
        let start = date("--period-start", start)?;
        let last = date("--period-end", end)?;
        anyhow::ensure!(
            last >= start,
            "--period-end {last} is before --period-start {start}; give the last day of the period"
        );
        let end = last.succ_opt().context("--period-end is out of range")?;
        return Ok(Some(AnalysisWindow::Period { start, end }));
    }
    let Some(years) = &args.diagnosis_years else {
        return Ok(None);
    };
    let invalid = || {
        anyhow::anyhow!(
            "--diagnosis-years {years:?} is invalid (expected FIRST-LAST, such as 2010-2014)"
        )
    };
    let (first, last) = years.split_once('-').ok_or_else(invalid)?;
    let first: i32 = first.trim().parse().map_err(|_| invalid())?;
    let last: i32 = last.trim().parse().map_err(|_| invalid())?;
    anyhow::ensure!(
        first <= last,
        "--diagnosis-years {years:?}: the last year is before the first"
    );
    Ok(Some(AnalysisWindow::Cohort {
        first_year: first,
        last_year: last,
    }))
}

pub(crate) fn full_date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

/// Appends the rows of one site group: Kaplan-Meier (log-log limits),
/// Ederer II and Pohar-Perme (log limits, relsurv's default) and
/// Pohar-Perme standardised with the ICSS 1 weights at each time.
fn write_site_group(
    csv: &mut String,
    site_group: &str,
    patients: &[CohortPatient],
    table: &LifeTable,
    years: &[f64],
) -> anyhow::Result<()> {
    let rows = survival_at_times(patients, Some(table), years, CONFIDENCE)?;
    for row in &rows {
        writeln!(csv, "{},{}", quote(site_group), survival_row_fields(row))?;
    }
    Ok(())
}

/// Formats the fields `method,years,patients,at_risk,survival,lower,upper,
/// status` of a survival row, with 6 decimals.
pub fn survival_row_fields(row: &SurvivalRow) -> String {
    let number = |value: Option<f64>| {
        value.map_or_else(String::new, |v| format!("{v:.6}"))
    };
    format!(
        "{},{},{},{},{},{},{},{}",
        row.method.label(),
        row.years,
        row.patients,
        row.at_risk.map_or_else(String::new, |n| n.to_string()),
        number(row.survival),
        number(row.lower),
        number(row.upper),
        quote(&row.status)
    )
}

/// Quotes a CSV field when it contains a comma, a quote or a line break.
pub fn quote(text: &str) -> String {
    if text.contains([',', '"', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: &str = "sex,age,year,hazard\n\
        male,0,2015,0.0001\nfemale,0,2015,0.0001\n";

    fn row(incidence: &str, death: Option<&str>) -> TumourRow {
        TumourRow {
            person_id: "P00000001".into(),
            site_group: "colon".into(),
            sex: "male".into(),
            age: Some(70),
            incidence_date: incidence.into(),
            death_certificate_only: false,
            death_date: death.map(str::to_owned),
        }
    }

    fn closing() -> NaiveDate {
        NaiveDate::from_ymd_opt(2020, 12, 31).unwrap()
    }

    #[test]
    fn follow_up_ends_at_death_or_closing() {
        let table = LifeTable::from_csv(TABLE.as_bytes(), "table.csv").unwrap();
        let died = cohort_patient(
            &row("2019-01-01", Some("2019-01-31")),
            &table,
            closing(),
            None,
        )
        .unwrap();
        assert_eq!(
            died.follow_up,
            FollowUp {
                days: 30,
                died: true
            }
        );
        let alive =
            cohort_patient(&row("2020-12-01", None), &table, closing(), None)
                .unwrap();
        assert_eq!(
            alive.follow_up,
            FollowUp {
                days: 30,
                died: false
            }
        );
        // A death after the closing date is not yet known at closing.
        let later = cohort_patient(
            &row("2020-12-01", Some("2021-02-01")),
            &table,
            closing(),
            None,
        )
        .unwrap();
        assert_eq!(
            later.follow_up,
            FollowUp {
                days: 30,
                died: false
            }
        );
        assert_eq!(alive.age_days, 70.5 * YEAR_DAYS);
    }

    #[test]
    fn exclusions_give_reasons() {
        let table = LifeTable::from_csv(TABLE.as_bytes(), "table.csv").unwrap();
        let reason = |row: TumourRow| {
            cohort_patient(&row, &table, closing(), None).unwrap_err()
        };
        let mut dco = row("2019-01-01", Some("2019-01-01"));
        dco.death_certificate_only = true;
        assert_eq!(reason(dco), "death certificate only");
        assert_eq!(
            reason(row("2019-01", None)),
            "incidence date not a full date"
        );
        assert_eq!(
            reason(row("2019-01-01", Some("2019-01-01"))),
            "zero days of follow-up"
        );
        assert_eq!(
            reason(row("2019-01-10", Some("2019-01-01"))),
            "death before incidence"
        );
        assert_eq!(
            reason(row("2021-01-10", None)),
            "diagnosed after the closing date"
        );
        let mut unknown = row("2019-01-01", None);
        unknown.sex = "unknown".into();
        assert_eq!(reason(unknown), "sex not in the life table");
    }

    #[test]
    fn period_window_delays_entry() {
        // Diagnosed 2019-01-01, alive at closing; the period opens on
        // 2020-01-01, 365 days later, and runs to the closing date.
        let table = LifeTable::from_csv(TABLE.as_bytes(), "table.csv").unwrap();
        let window = AnalysisWindow::Period {
            start: NaiveDate::from_ymd_opt(2020, 1, 1).unwrap(),
            end: NaiveDate::from_ymd_opt(2021, 1, 1).unwrap(),
        };
        let patient = cohort_patient(
            &row("2019-01-01", None),
            &table,
            closing(),
            Some(&window),
        )
        .unwrap();
        assert_eq!(patient.entry_days, 365);
        assert_eq!(patient.follow_up.days, 730);
        let before = cohort_patient(
            &row("2018-01-01", Some("2019-06-01")),
            &table,
            closing(),
            Some(&window),
        )
        .unwrap_err();
        assert_eq!(before, "follow-up outside the analysis window");
    }

    #[test]
    fn one_tumour_per_person_and_site() {
        // Two colon tumours and one lung tumour of one person: the first
        // colon tumour counts for colon and all sites, the lung tumour for
        // lung only.
        let table = LifeTable::from_csv(TABLE.as_bytes(), "table.csv").unwrap();
        let mut lung = row("2019-06-01", None);
        lung.site_group = "lung".into();
        let rows = [row("2019-01-01", None), row("2019-03-01", None), lung];
        let mut excluded = BTreeMap::new();
        let cohorts =
            build_cohorts(&rows, &table, closing(), None, &mut excluded);
        assert_eq!(cohorts["colon"].len(), 1);
        assert_eq!(cohorts["lung"].len(), 1);
        assert_eq!(cohorts[ALL_SITES].len(), 1);
        assert_eq!(
            cohorts[ALL_SITES][0].diagnosis_date,
            NaiveDate::from_ymd_opt(2019, 1, 1).unwrap()
        );
        assert!(excluded.is_empty());
    }
}
