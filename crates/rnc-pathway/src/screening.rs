//! Evaluation of the organised screening programmes: the mode of
//! detection of each tumour of a screened site, the programme
//! sensitivity, and participation and coverage.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{Duration, NaiveDate};
use rnc_model::{ScreeningProgramme, ScreeningResult, ScreeningTest, Sex};
use serde::Serialize;

use rnc_stats::TOTAL;

use crate::publish::{Counts, PublicationRules};
use crate::table::{Table, Values};

/// Settings of the detection-mode classification.
#[derive(Debug, Clone, PartialEq)]
pub struct ScreeningSettings {
    /// Months from a negative test to the next scheduled one, by
    /// programme and test: a cancer diagnosed within it is an interval
    /// cancer. Defaults: 24 for mammography and FIT, 36 for cytology and
    /// 60 for the HPV test (the French programmes' intervals).
    pub interval_months: BTreeMap<&'static str, u32>,
    /// A diagnosis within this many days after a positive test is
    /// screen-detected. The diagnostic work-up after a positive
    /// mammography or FIT takes weeks, rarely more than six months.
    pub detection_window_days: i64,
}

impl Default for ScreeningSettings {
    fn default() -> ScreeningSettings {
        ScreeningSettings {
            interval_months: BTreeMap::from([
                ("mammography", 24),
                ("FIT", 24),
                ("cytology", 36),
                ("HPV", 60),
            ]),
            detection_window_days: 183,
        }
    }
}

impl ScreeningSettings {
    /// Days from a test to the next scheduled one: the months of
    /// [`ScreeningSettings::interval_months`] at 30.4375 days each.
    pub fn interval_days(&self, test: ScreeningTest) -> i64 {
        let months = self
            .interval_months
            .get(test.label())
            .copied()
            .unwrap_or(24);
        (f64::from(months) * 30.4375).round() as i64
    }
}

/// Returns whether a person of `sex` aged `age` (completed years at
/// diagnosis) is in a programme's target population: women 50-74 for
/// breast, persons 50-74 for colorectal, women 25-65 for cervical.
pub fn eligible(programme: ScreeningProgramme, sex: Sex, age: u16) -> bool {
    match programme {
        ScreeningProgramme::Breast => {
            sex == Sex::Female && (50..=74).contains(&age)
        }
        ScreeningProgramme::Colorectal => (50..=74).contains(&age),
        ScreeningProgramme::Cervical => {
            sex == Sex::Female && (25..=65).contains(&age)
        }
    }
}

/// Mode of a tumour's diagnosis with respect to organised screening.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize,
)]
pub enum DetectionMode {
    /// Diagnosed within the detection window after a positive test.
    ScreenDetected,
    /// Diagnosed after a negative screening episode and before the next
    /// scheduled test.
    Interval,
    /// In the target population at diagnosis, without a test in the
    /// interval before it.
    NonParticipant,
    /// Outside the target population (age, sex) at diagnosis, or a site
    /// without a programme.
    NotEligible,
}

impl DetectionMode {
    /// Every mode, in table order.
    pub const ALL: [DetectionMode; 4] = [
        DetectionMode::ScreenDetected,
        DetectionMode::Interval,
        DetectionMode::NonParticipant,
        DetectionMode::NotEligible,
    ];

    /// Returns the name used in tables, the same as the synthetic
    /// generator's truth.
    pub fn label(self) -> &'static str {
        match self {
            DetectionMode::ScreenDetected => "screen_detected",
            DetectionMode::Interval => "interval",
            DetectionMode::NonParticipant => "non_participant",
            DetectionMode::NotEligible => "not_eligible",
        }
    }

    /// Reads a label written by [`DetectionMode::label`].
    pub fn from_label(label: &str) -> Option<DetectionMode> {
        DetectionMode::ALL.into_iter().find(|m| m.label() == label)
    }
}

/// One screening test of the person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScreeningEvent {
    /// Programme.
    pub programme: ScreeningProgramme,
    /// Test.
    pub test: ScreeningTest,
    /// Test date.
    pub date: NaiveDate,
    /// Result.
    pub result: ScreeningResult,
}

/// The detection mode of one tumour and what decided it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Detection {
    /// Mode.
    pub mode: DetectionMode,
    /// Date of the test that decided it (the positive test of a
    /// screen-detected cancer, the last negative test of an interval
    /// cancer).
    pub test_date: Option<NaiveDate>,
    /// Tests of the programme dated after the diagnosis: they never decide
    /// the mode.
    pub tests_after_diagnosis: usize,
}

/// Classifies how a tumour of a screened site was diagnosed.
///
/// `tests` are the person's tests of the programme (any order). Only
/// tests on or before `diagnosis` count. In order:
///
/// 1. a positive test at most
///    [`ScreeningSettings::detection_window_days`] before diagnosis:
///    screen-detected;
/// 2. a negative episode (a negative test, or a positive one whose
///    work-up found no cancer within the window) less than the test's
///    interval before diagnosis: interval cancer. A test that could not be
///    read (inadequate) is no episode;
/// 3. otherwise non-participant when eligible at diagnosis, else not
///    eligible.
pub fn classify_detection(
    programme: ScreeningProgramme,
    sex: Sex,
    age: Option<u16>,
    diagnosis: NaiveDate,
    tests: &[ScreeningEvent],
    settings: &ScreeningSettings,
) -> Detection {
    let own: Vec<&ScreeningEvent> =
        tests.iter().filter(|t| t.programme == programme).collect();
    let after = own.iter().filter(|t| t.date > diagnosis).count();
    let before: Vec<&&ScreeningEvent> =
        own.iter().filter(|t| t.date <= diagnosis).collect();
    let detection = |mode, test_date| Detection {
        mode,
        test_date,
        tests_after_diagnosis: after,
    };

    let window = settings.detection_window_days;
    if let Some(test) = before
        .iter()
        .filter(|t| t.result == ScreeningResult::Positive)
        .filter(|t| (diagnosis - t.date).num_days() <= window)
        .max_by_key(|t| t.date)
    {
        return detection(DetectionMode::ScreenDetected, Some(test.date));
    }
    if let Some(test) = before
        .iter()
        .filter(|t| t.result != ScreeningResult::Inadequate)
        .filter(|t| {
            (diagnosis - t.date).num_days() < settings.interval_days(t.test)
        })
        .max_by_key(|t| t.date)
    {
        return detection(DetectionMode::Interval, Some(test.date));
    }
    let in_target = age.is_some_and(|a| eligible(programme, sex, a));
    let mode = if in_target {
        DetectionMode::NonParticipant
    } else {
        DetectionMode::NotEligible
    };
    detection(mode, None)
}

/// A proportion with its 95 % Wilson score interval (Wilson 1927), which
/// stays inside 0-1 and behaves for small counts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Proportion {
    /// Numerator.
    pub events: u64,
    /// Denominator.
    pub total: u64,
    /// events / total, `None` for a zero denominator.
    pub estimate: Option<f64>,
    /// Lower limit.
    pub lower: Option<f64>,
    /// Upper limit.
    pub upper: Option<f64>,
}

/// Computes a proportion with its 95 % Wilson score interval.
pub fn wilson(events: u64, total: u64) -> Proportion {
    if total == 0 {
        return Proportion {
            events,
            total,
            estimate: None,
            lower: None,
            upper: None,
        };
    }
    let z = 1.959_963_984_540_054_f64;
    let n = total as f64;
    let p = events as f64 / n;
    let centre = p + z * z / (2.0 * n);
    let half = z * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt();
    let denominator = 1.0 + z * z / n;
    Proportion {
        events,
        total,
        estimate: Some(p),
        lower: Some(((centre - half) / denominator).max(0.0)),
        upper: Some(((centre + half) / denominator).min(1.0)),
    }
}

/// Estimates a programme's sensitivity by the detection method:
/// screen-detected cancers divided by screen-detected plus interval
/// cancers (the cancers present at screening that the test found, over
/// those it found plus those that surfaced before the next test). It
/// counts interval cancers over the whole interval, so it is lower than
/// the test's sensitivity in the pre-clinical phase: some interval
/// cancers were not yet detectable at the test.
pub fn detection_sensitivity(modes: &[DetectionMode]) -> Proportion {
    let screen = modes
        .iter()
        .filter(|m| **m == DetectionMode::ScreenDetected)
        .count() as u64;
    let interval = modes
        .iter()
        .filter(|m| **m == DetectionMode::Interval)
        .count() as u64;
    wilson(screen, screen + interval)
}

/// A screened person's test, for participation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScreenedPerson {
    /// Pseudonymous person id.
    pub person_id: String,
    /// Programme.
    pub programme: ScreeningProgramme,
    /// Test date.
    pub date: NaiveDate,
    /// Département on the test date.
    pub departement: String,
    /// Five-year age band on the test date.
    pub age_band: String,
}

/// Target population of a programme by département and age band: the
/// mean over the years of the window of the mid-year population.
pub type TargetPopulation = HashMap<(String, String), f64>;

/// Age bands of each programme's target population in the population
/// table. The cervical programme runs to age 65; the band 65-69 is left
/// out because it is mostly above the programme's ages.
pub fn target_bands(programme: ScreeningProgramme) -> &'static [&'static str] {
    match programme {
        ScreeningProgramme::Breast | ScreeningProgramme::Colorectal => {
            &["50-54", "55-59", "60-64", "65-69", "70-74"]
        }
        ScreeningProgramme::Cervical => &[
            "25-29", "30-34", "35-39", "40-44", "45-49", "50-54", "55-59",
            "60-64",
        ],
    }
}

/// Keeps the person's latest test (on a tie, the greater département
/// code, so that the choice does not depend on input order).
fn keep_latest<'a>(
    map: &mut HashMap<&'a str, &'a ScreenedPerson>,
    test: &'a ScreenedPerson,
) {
    let entry = map.entry(&test.person_id).or_insert(test);
    if (test.date, &test.departement) > (entry.date, &entry.departement) {
        *entry = test;
    }
}

/// Suppresses the target populations of the listed départements by age
/// band, rounded to whole persons, with the départements' totals over
/// the bands as margins. The table has no row over all départements, so
/// that margin is unpublished.
fn suppress_targets(
    departements: &BTreeSet<&str>,
    bands: &[&str],
    population: &TargetPopulation,
    rules: &PublicationRules,
) -> Result<rnc_stats::SuppressedTable, rnc_stats::Error> {
    let mut interior = Vec::new();
    for departement in departements {
        for band in bands {
            let target = population
                .get(&(departement.to_string(), band.to_string()))
                .copied()
                .unwrap_or(0.0);
            let key = vec![departement.to_string(), band.to_string()];
            interior.push((key, target.round()));
        }
    }
    rnc_stats::suppress_counts_with_unpublished(
        &["departement", "age_band"],
        &interior,
        rules.small_cell_threshold,
        &["departement"],
    )
}

/// Builds the participation table of one programme.
///
/// - participation: persons with at least one test in the `interval_days`
///   before `closing_date` (one screening round), over the target
///   population;
/// - coverage: persons with at least one test at any time of the data,
///   over the target population.
///
/// Each person counts once, in the département and age band of their
/// latest test, so that bands add up to the département's total. Rows
/// are by département and age band, then the département over all bands.
/// Only départements with at least one test are listed, because a feed may
/// cover part of the country. The screened counts and the target
/// populations (rounded to whole persons) follow the publication rules
/// (suppression with complements over the bands of a département), and a
/// participation or coverage is shown only where its count and its
/// target population are.
///
/// # Errors
///
/// Only when suppression rejects its input, which would be a bug here.
pub fn participation_table(
    programme: ScreeningProgramme,
    tests: &[ScreenedPerson],
    population: &TargetPopulation,
    interval_days: i64,
    closing_date: NaiveDate,
    rules: &PublicationRules,
) -> Result<Table, rnc_stats::Error> {
    let start = closing_date - Duration::days(interval_days);
    let bands = target_bands(programme);
    let mut latest: HashMap<&str, &ScreenedPerson> = HashMap::new();
    let mut latest_in_round: HashMap<&str, &ScreenedPerson> = HashMap::new();
    for test in tests.iter().filter(|t| t.programme == programme) {
        if !bands.contains(&test.age_band.as_str()) || test.date > closing_date
        {
            continue;
        }
        keep_latest(&mut latest, test);
        if test.date > start {
            keep_latest(&mut latest_in_round, test);
        }
    }
    let place =
        |t: &&ScreenedPerson| (t.departement.clone(), t.age_band.clone());
    let round =
        Counts::new("departement", latest_in_round.values().map(place), rules)?;
    let ever = Counts::new("departement", latest.values().map(place), rules)?;
    let departements: BTreeSet<&str> =
        latest.values().map(|t| t.departement.as_str()).collect();
    let targets = suppress_targets(&departements, bands, population, rules)?;

    let mut columns: (
        Vec<_>,
        Vec<_>,
        Vec<_>,
        Vec<_>,
        Vec<_>,
        Vec<_>,
        Vec<_>,
        Vec<_>,
    ) = Default::default();
    for departement in departements {
        let mut rows: Vec<&str> = bands.to_vec();
        rows.push(TOTAL);
        for band in rows {
            // A share and its published count give the target back, and a
            // share and its target give the count back, so a share needs
            // both published.
            let target = targets
                .cell(&[departement, band])
                .filter(|cell| cell.status.is_published())
                .map(|cell| cell.count);
            let (tested, tested_published) = round.get(departement, band);
            let (tested_ever, ever_published) = ever.get(departement, band);
            let share = |count: u64, published: bool| {
                target
                    .filter(|&target| published && target > 0.0)
                    .map(|target| count as f64 / target)
            };
            columns.0.push(Some(programme.label().to_string()));
            columns.1.push(Some(departement.to_string()));
            columns.2.push(Some(band.to_string()));
            columns.3.push(target.map(|target| target as i64));
            columns.4.push(tested_published.then_some(tested as i64));
            columns.5.push(share(tested, tested_published));
            columns.6.push(share(tested_ever, ever_published));
            columns.7.push(Some(
                if tested > 0 && tested < rules.few_cases {
                    "yes"
                } else {
                    "no"
                }
                .to_string(),
            ));
        }
    }
    let mut table = Table::default();
    table.push("programme", Values::Text(columns.0));
    table.push("departement", Values::Text(columns.1));
    table.push("age_band", Values::Text(columns.2));
    table.push("target_population", Values::Integer(columns.3));
    table.push("screened_in_round", Values::Integer(columns.4));
    table.push("participation", Values::Number(columns.5));
    table.push("coverage", Values::Number(columns.6));
    table.push("few_cases", Values::Text(columns.7));
    Ok(table)
}
