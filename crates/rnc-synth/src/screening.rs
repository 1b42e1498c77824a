//! Organised screening programmes: who is invited, who takes part, which
//! tests are done and how a cancer is found (at a screening test, between
//! two tests, or outside the programme).
//!
//! The programmes follow the French organised programmes. Breast
//! screening is a mammography every two years for women aged 50-74, and
//! colorectal screening a faecal immunochemical test (FIT) every two years
//! at 50-74. Cervical screening is a cytology every three years from 25 to
//! 29, then an HPV test every five years to 65.
//!
//! Participation and positivity follow what Santé publique France
//! publishes for the programmes:
//!
//! - breast: 46.5 % of women aged 50-74 screened over 2022-2023, 48.2 %
//!   in 2023 alone, about 2 620 500 mammographies that year;
//! - colorectal: 34.2 % of the eligible population screened over
//!   2022-2023 (6.2 million of 17.9 million), after excluding 12.8 % of
//!   the 20.8 million target population (mostly after a colonoscopy);
//!   3.3 % of tests positive, 2.7 % not analysable and not redone;
//! - cervical: a triennial coverage of 58.7 % of women aged 25-65 over
//!   2015-2017 (10.4 million of 17.8 million).
//!
//! NOTE: sensitivity and mean sojourn times are estimates from the
//! screening literature, not read from one table, and the cervical
//! coverage counts every test, most of them taken outside the programme.

use chrono::{Duration, NaiveDate};
use rand::Rng;

use crate::population::{Timeline, age_on};

/// An organised screening programme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Programme {
    Breast,
    Colorectal,
    Cervical,
}

impl Programme {
    pub(crate) const ALL: [Programme; 3] = [
        Programme::Breast,
        Programme::Colorectal,
        Programme::Cervical,
    ];

    /// Name written in `screening.csv`.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Programme::Breast => "breast",
            Programme::Colorectal => "colorectal",
            Programme::Cervical => "cervical",
        }
    }

    /// Returns the programme that screens a site group, by the group's
    /// name.
    pub(crate) fn of_site_group(name: &str) -> Option<Programme> {
        match name {
            "breast" => Some(Programme::Breast),
            "colorectum" => Some(Programme::Colorectal),
            "cervix uteri" => Some(Programme::Cervical),
            _ => None,
        }
    }

    /// Returns whether a person of `sex` (0 men, 1 women) and `age`
    /// (completed years) is in the target population.
    pub(crate) fn eligible(self, sex: usize, age: u32) -> bool {
        match self {
            Programme::Breast => sex == 1 && (50..75).contains(&age),
            Programme::Colorectal => (50..75).contains(&age),
            Programme::Cervical => sex == 1 && (25..66).contains(&age),
        }
    }

    /// Ages (completed years) of the target population, inclusive.
    fn ages(self) -> (u32, u32) {
        match self {
            Programme::Breast | Programme::Colorectal => (50, 74),
            Programme::Cervical => (25, 65),
        }
    }

    /// Days between two invitations at `age`.
    pub(crate) fn interval_days(self, age: u32) -> i64 {
        match self {
            Programme::Breast | Programme::Colorectal => 730,
            Programme::Cervical if age < 30 => 1095,
            Programme::Cervical => 1826,
        }
    }

    /// Test done at `age`.
    pub(crate) fn test(self, age: u32) -> &'static str {
        match self {
            Programme::Breast => "mammography",
            Programme::Colorectal => "FIT",
            Programme::Cervical if age < 30 => "cytology",
            Programme::Cervical => "HPV",
        }
    }

    /// Share of the target population who take the test in one round:
    /// breast 46.5 % (2022-2023); colorectal 34.2 % of the 87.2 % not
    /// excluded, so 29.8 % of the target population; cervical 58.7 %
    /// (triennial coverage 2015-2017).
    fn participation(self) -> f64 {
        match self {
            Programme::Breast => 0.465,
            Programme::Colorectal => 0.342 * (1.0 - 0.128),
            Programme::Cervical => 0.587,
        }
    }

    /// Share of tests of persons without cancer that are positive
    /// (estimate: recall after mammography, FIT positivity, abnormal
    /// cytology or HPV positivity).
    fn false_positive(self, test: &str) -> f64 {
        match (self, test) {
            (Programme::Breast, _) => 0.07,
            // 3.3 % of FIT positive, of which about 0.2 point from cancers
            // (estimate).
            (Programme::Colorectal, _) => 0.031,
            (Programme::Cervical, "cytology") => 0.04,
            (Programme::Cervical, _) => 0.10,
        }
    }

    /// Probability that a test during the pre-clinical phase finds the
    /// cancer (estimate).
    fn sensitivity(self, test: &str) -> f64 {
        match (self, test) {
            (Programme::Breast, _) => 0.80,
            (Programme::Colorectal, _) => 0.70,
            (Programme::Cervical, "cytology") => 0.65,
            (Programme::Cervical, _) => 0.95,
        }
    }

    /// Mean years during which a cancer is detectable before symptoms
    /// (mean sojourn time, estimate).
    fn sojourn_years(self) -> f64 {
        match self {
            Programme::Breast => 3.0,
            Programme::Colorectal => 3.0,
            Programme::Cervical => 5.0,
        }
    }
}

/// Result of a screening test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TestResult {
    Negative,
    Positive,
    /// Unreadable sample or image, to be repeated.
    Inadequate,
}

impl TestResult {
    /// Label written in `screening.csv`.
    pub(crate) fn label(self) -> &'static str {
        match self {
            TestResult::Negative => "negative",
            TestResult::Positive => "positive",
            TestResult::Inadequate => "inadequate",
        }
    }
}

/// One screening test of a person.
#[derive(Debug, Clone)]
pub(crate) struct ScreeningTest {
    pub programme: Programme,
    pub test: &'static str,
    pub date: NaiveDate,
    pub result: TestResult,
    /// Index in the person's tumours of the cancer this test found.
    pub tumour: Option<usize>,
}

/// Mode of a tumour's diagnosis with respect to organised screening.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DetectionMode {
    /// Found at a positive screening test.
    ScreenDetected,
    /// Diagnosed after a negative test, before the next invitation.
    Interval,
    /// In the target population but not screened within the interval.
    NonParticipant,
    /// Outside the target population (age, sex) or a site without a
    /// programme.
    NotEligible,
}

impl DetectionMode {
    /// Label written in `truth/tumours.csv`.
    pub(crate) fn label(self) -> &'static str {
        match self {
            DetectionMode::ScreenDetected => "screen_detected",
            DetectionMode::Interval => "interval",
            DetectionMode::NonParticipant => "non_participant",
            DetectionMode::NotEligible => "not_eligible",
        }
    }
}

/// Years of screening history simulated before the first year, so that a
/// cancer early in the period can still be an interval cancer after a
/// test that no file shows. Five years cover the longest interval.
const HISTORY_DAYS: i64 = 5 * 366;

/// Draws the screening tests of a person from five years before the first
/// year to its end, all negative; [`settle_results`] sets the results once
/// the cancers are known.
pub(crate) fn draw_schedule<R: Rng>(
    rng: &mut R,
    sex: usize,
    birth: NaiveDate,
    timeline: &Timeline,
) -> Vec<ScreeningTest> {
    let mut tests = Vec::new();
    let from = timeline.start - Duration::days(HISTORY_DAYS);
    for programme in Programme::ALL {
        if !programme.eligible(sex, programme.ages().0) {
            continue;
        }
        let (youngest, oldest) = programme.ages();
        if age_on(birth, timeline.end) < youngest
            || age_on(birth, from) > oldest
        {
            continue;
        }

        // Invitations fall on a person-specific phase of the cycle.
        let first_interval = programme.interval_days(age_on(birth, from));
        let mut date =
            from + Duration::days(rng.random_range(0..first_interval));
        while date <= timeline.end {
            let age = age_on(birth, date);
            if age > oldest {
                break;
            }
            if programme.eligible(sex, age) {
                if rng.random::<f64>() < programme.participation() {
                    tests.push(ScreeningTest {
                        programme,
                        test: programme.test(age),
                        date,
                        result: TestResult::Negative,
                        tumour: None,
                    });
                }
                date += Duration::days(
                    programme.interval_days(age) + rng.random_range(-30..=30),
                );
            } else {
                // Not yet of age: the first invitation comes within the
                // half year after the birthday that makes the person
                // eligible.
                date += Duration::days(182);
            }
        }
    }
    tests.sort_by_key(|t| t.date);
    tests
}

/// Decides how a tumour of a screened site with clinical (symptomatic)
/// diagnosis date `clinical` is found, given the person's tests.
///
/// A test taken during the pre-clinical phase (an exponential sojourn time
/// before `clinical`) finds the cancer with the test's sensitivity. The
/// tumour is then diagnosed two to eight weeks after the test, which
/// becomes positive. Tests before `floor` (the first day that may hold the
/// incidence date) are not considered, so that the incidence date stays
/// within the simulated years. Returns the mode, the index of the finding
/// test and the incidence date.
///
/// NOTE: because of that floor, cancers early in the first year are rarely
/// screen-detected, so the screen-detected share is understated in
/// one-year sets (about 5 % of screened-site tumours at national scale).
pub(crate) fn detect<R: Rng>(
    rng: &mut R,
    tests: &[ScreeningTest],
    programme: Programme,
    sex: usize,
    birth: NaiveDate,
    clinical: NaiveDate,
    floor: NaiveDate,
) -> (DetectionMode, Option<usize>, NaiveDate) {
    let sojourn_days =
        -(1.0 - rng.random::<f64>()).ln() * programme.sojourn_years() * 365.25;
    let onset = clinical - Duration::days(sojourn_days as i64);
    for (index, test) in tests.iter().enumerate() {
        if test.programme != programme
            || test.date < onset.max(floor)
            || test.date >= clinical
        {
            continue;
        }
        if rng.random::<f64>() < programme.sensitivity(test.test) {
            let diagnosis = (test.date
                + Duration::days(rng.random_range(14..=56)))
            .min(clinical);
            return (DetectionMode::ScreenDetected, Some(index), diagnosis);
        }
    }
    let age = age_on(birth, clinical);
    let interval = programme.interval_days(age);
    let screened_before = tests.iter().any(|t| {
        t.programme == programme
            && t.date < clinical
            && (clinical - t.date).num_days() <= interval
    });
    let mode = if screened_before {
        DetectionMode::Interval
    } else if programme.eligible(sex, age) {
        DetectionMode::NonParticipant
    } else {
        DetectionMode::NotEligible
    };
    (mode, None, clinical)
}

/// Draws the result of every test that found no cancer, and drops the
/// tests after death and those of a programme after a cancer of its site
/// (the person then leaves the programme). `cancers` lists, per tumour of
/// a screened site, its programme and incidence date.
pub(crate) fn settle_results<R: Rng>(
    rng: &mut R,
    tests: &mut Vec<ScreeningTest>,
    cancers: &[(Programme, NaiveDate)],
    death: Option<NaiveDate>,
) {
    tests.retain(|t| {
        t.tumour.is_some()
            || (death.is_none_or(|d| t.date <= d)
                && !cancers.iter().any(|(programme, incidence)| {
                    *programme == t.programme && t.date > *incidence
                }))
    });
    for test in tests.iter_mut() {
        if test.tumour.is_some() {
            test.result = TestResult::Positive;
            continue;
        }
        let draw: f64 = rng.random();
        let false_positive = test.programme.false_positive(test.test);
        test.result = if draw < false_positive {
            TestResult::Positive
        } else if test.programme == Programme::Colorectal
            && draw < false_positive + 0.027
        {
            // 2.7 % of FIT samples cannot be analysed and are not redone.
            TestResult::Inadequate
        } else {
            TestResult::Negative
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::population::ymd;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn breast_schedule_is_biennial() {
        // A woman aged 58 to 63 over 2019-2023 is invited every two
        // years, and with the published 46.5 % participation per round
        // (2022-2023) she takes 0.465 tests per round over the five
        // simulated and five history years.
        let timeline = Timeline::new(2019, 2023);
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let birth = ymd(1960, 6, 1);
        let mut tests = 0usize;
        let n = 2_000;
        for _ in 0..n {
            let schedule = draw_schedule(&mut rng, 1, birth, &timeline);
            for pair in schedule
                .iter()
                .filter(|t| t.programme == Programme::Breast)
                .collect::<Vec<_>>()
                .windows(2)
            {
                assert!((pair[1].date - pair[0].date).num_days() >= 700);
            }
            tests += schedule
                .iter()
                .filter(|t| t.programme == Programme::Breast)
                .count();
        }
        // Ten years from 1 January 2014 with invitations from age 50
        // (mid-2010) onwards: five rounds, 2.325 tests expected. The mean
        // of 2 000 binomial(5, 0.465) counts has a standard error of
        // 0.025, so 0.1 is four of them.
        let mean = tests as f64 / f64::from(n);
        assert!((mean - 2.325).abs() < 0.1, "mean breast tests {mean}");
    }

    #[test]
    fn men_get_no_breast_or_cervical_test() {
        let timeline = Timeline::new(2020, 2023);
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        for _ in 0..500 {
            let schedule =
                draw_schedule(&mut rng, 0, ymd(1955, 3, 3), &timeline);
            assert!(
                schedule
                    .iter()
                    .all(|t| t.programme == Programme::Colorectal)
            );
        }
    }

    #[test]
    fn detection_modes() {
        let birth = ymd(1960, 1, 1);
        let test = |date| ScreeningTest {
            programme: Programme::Breast,
            test: "mammography",
            date,
            result: TestResult::Negative,
            tumour: None,
        };
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let floor = ymd(2019, 1, 1);

        // No test at all at 62: a non-participant.
        let (mode, _, _) = detect(
            &mut rng,
            &[],
            Programme::Breast,
            1,
            birth,
            ymd(2022, 5, 1),
            floor,
        );
        assert_eq!(mode, DetectionMode::NonParticipant);

        // At 80: outside the target population.
        let (mode, _, _) = detect(
            &mut rng,
            &[],
            Programme::Breast,
            1,
            ymd(1940, 1, 1),
            ymd(2022, 5, 1),
            floor,
        );
        assert_eq!(mode, DetectionMode::NotEligible);

        // A test one day before the clinical date is always in the
        // pre-clinical phase: found 80 % of the time, otherwise an
        // interval cancer.
        let tests = [test(ymd(2022, 4, 30))];
        let mut found = 0;
        for _ in 0..2_000 {
            let (mode, index, date) = detect(
                &mut rng,
                &tests,
                Programme::Breast,
                1,
                birth,
                ymd(2022, 5, 1),
                floor,
            );
            match mode {
                DetectionMode::ScreenDetected => {
                    found += 1;
                    assert_eq!(index, Some(0));
                    assert!(date <= ymd(2022, 5, 1));
                }
                other => assert_eq!(other, DetectionMode::Interval),
            }
        }
        let share = f64::from(found) / 2_000.0;
        assert!((share - 0.80).abs() < 0.03, "found {share}");
    }
}
