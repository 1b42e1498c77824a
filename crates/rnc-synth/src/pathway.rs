//! The hospital part of a tumour's care pathway, as PMSI MCO discharge
//! summaries: a diagnostic stay, surgery, chemotherapy sessions (main
//! diagnosis Z51.1, the cancer as associated diagnosis), radiotherapy
//! sessions (Z51.0), follow-up stays and, before a cancer death, a
//! palliative stay (Z51.5).
//!
//! NOTE: the treatment shares, session counts and delays are estimates,
//! not read from published tables. They follow French treatment patterns:
//! surgery for most localised solid tumours, adjuvant chemotherapy from
//! stage II-III, radiotherapy for breast, head and neck, cervix, brain and
//! part of prostate and lung.

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use rand::Rng;

use crate::feeds::{self, Feed, Row};
use crate::noise::NoiseConfig;
use crate::population::{DeathCause, Person, Tumour};
use crate::sites::{SITE_GROUPS, SiteGroup, Stage};

/// Share of tumours whose first record is a diagnostic work-up stay, when
/// a pathology report and surgery exist (otherwise there is always one).
const DIAGNOSTIC_STAY_SHARE: f64 = 0.35;

/// Smallest and largest number of chemotherapy sessions of a course.
const CHEMOTHERAPY_SESSIONS: (u32, u32) = (4, 12);

/// Smallest and largest number of radiotherapy fractions of a course.
const RADIOTHERAPY_FRACTIONS: (u32, u32) = (5, 30);

/// Share of radiotherapy courses given in public or private non-profit
/// hospitals, whose sessions are PMSI MCO records (estimate: about half).
/// Private radiotherapy centres bill outside the PMSI.
const RADIOTHERAPY_IN_HOSPITAL_SHARE: f64 = 0.5;

/// Follow-up stays within the first year: 0, 1 or 2 with these weights,
/// one more at stage IV.
const FOLLOW_UP_WEIGHTS: [u32; 3] = [50, 30, 20];

/// Share of cancer deaths preceded by a palliative-care stay (estimate).
const PALLIATIVE_SHARE: f64 = 0.6;

fn by_stage(stage: Stage, shares: [f64; 5]) -> f64 {
    match stage {
        Stage::I => shares[0],
        Stage::II => shares[1],
        Stage::III => shares[2],
        Stage::IV => shares[3],
        Stage::Unknown => shares[4],
    }
}

/// Probability of surgery for a tumour of `group` at `stage`.
pub(crate) fn surgery_share(group: &SiteGroup, stage: Stage) -> f64 {
    if group.haematological {
        return 0.0;
    }
    match group.name {
        "lung" => by_stage(stage, [0.8, 0.6, 0.3, 0.05, 0.2]),
        "prostate" => by_stage(stage, [0.35, 0.3, 0.2, 0.02, 0.1]),
        "pancreas" | "liver" | "oesophagus" | "stomach" => {
            by_stage(stage, [0.6, 0.5, 0.3, 0.05, 0.2])
        }
        "brain" => 0.6,
        "melanoma" | "thyroid" => by_stage(stage, [0.95, 0.95, 0.9, 0.3, 0.8]),
        _ => by_stage(stage, [0.85, 0.8, 0.6, 0.15, 0.4]),
    }
}

/// Probability of a chemotherapy (or other systemic treatment) course.
pub(crate) fn chemotherapy_share(group: &SiteGroup, stage: Stage) -> f64 {
    if group.haematological {
        return 0.75;
    }
    let share = by_stage(stage, [0.15, 0.45, 0.7, 0.65, 0.3]);
    match group.name {
        "prostate" => share * 0.3,
        "thyroid" | "melanoma" => share * 0.2,
        _ => share,
    }
}

/// Probability of a radiotherapy course.
pub(crate) fn radiotherapy_share(group: &SiteGroup, stage: Stage) -> f64 {
    let share = match group.name {
        "breast" => 0.8,
        "head and neck" | "cervix uteri" | "brain" => 0.7,
        "lung" => 0.35,
        "prostate" => 0.3,
        "Hodgkin lymphoma" => 0.4,
        _ => 0.15,
    };
    if stage == Stage::IV {
        share * 0.5
    } else {
        share
    }
}

/// Expected number of hospital stays of a tumour followed for two years
/// without death: the mean of the pathway [`draw_stays`] draws, when a
/// pathology report exists with probability `histology_share`.
pub(crate) fn expected_stays(
    group: &SiteGroup,
    stage: Stage,
    histology_share: f64,
) -> f64 {
    let surgery = surgery_share(group, stage);

    // The diagnostic stay is skipped only with histology, surgery and a
    // draw above the diagnostic share.
    let no_diagnostic =
        histology_share * surgery * (1.0 - DIAGNOSTIC_STAY_SHARE);
    let sessions =
        f64::from(CHEMOTHERAPY_SESSIONS.0 + CHEMOTHERAPY_SESSIONS.1) / 2.0;
    let fractions =
        f64::from(RADIOTHERAPY_FRACTIONS.0 + RADIOTHERAPY_FRACTIONS.1) / 2.0;
    let total: u32 = FOLLOW_UP_WEIGHTS.iter().sum();
    let mut follow_up: f64 = FOLLOW_UP_WEIGHTS
        .iter()
        .enumerate()
        .map(|(count, weight)| count as f64 * f64::from(*weight))
        .sum::<f64>()
        / f64::from(total);
    if stage == Stage::IV {
        follow_up += 1.0;
    }
    (1.0 - no_diagnostic)
        + surgery
        + chemotherapy_share(group, stage) * sessions
        + radiotherapy_share(group, stage)
            * RADIOTHERAPY_IN_HOSPITAL_SHARE
            * fractions
        + follow_up
}

/// The dates of a tumour's first treatments as drawn, whether or not a
/// hospital stay records them: the treatment feed and the pathway truth
/// are written from it. A date after the tumour's record limit (death or
/// the end of the last year) is `None`, because that care never happened
/// in the data.
#[derive(Debug, Clone, Default)]
pub(crate) struct CarePlan {
    /// Surgery admission.
    pub surgery: Option<NaiveDate>,
    /// First chemotherapy session in hospital.
    pub chemotherapy: Option<NaiveDate>,
    /// First and last radiotherapy fractions, and whether the course is
    /// given in hospital (PMSI sessions) or in a private centre.
    pub radiotherapy: Option<(NaiveDate, NaiveDate, bool)>,
    /// Establishments of the tumour: surgery and stays, chemotherapy,
    /// radiotherapy in hospital.
    pub establishments: Vec<String>,
}

/// One stay before it becomes a row.
struct Stay {
    admission: NaiveDate,
    length: i64,
    main: String,
    associated: Vec<String>,
    /// Index in the establishments drawn for the tumour.
    establishment: usize,
}

/// Draws the hospital stays of a tumour and its care plan. Stays that
/// start after `limit` (death or the end of the last year) are dropped,
/// and the others end by it. There is at least one stay, so that every
/// tumour diagnosed without histology has a hospital record.
pub(crate) fn draw_stays<R: Rng>(
    rng: &mut R,
    person: &Person,
    tumour: &Tumour,
    limit: NaiveDate,
    histology: bool,
    settings: &NoiseConfig,
) -> (Vec<Row>, CarePlan) {
    let group = &SITE_GROUPS[tumour.group];
    let mut plan = CarePlan::default();
    let within = |date: NaiveDate| (date <= limit).then_some(date);
    let code = tumour.codes.icd10.clone();
    let cancer_code = |rng: &mut R| -> String {
        if rng.random::<f64>() < 0.15 {
            code[..3].to_string()
        } else {
            code.clone()
        }
    };
    let mut stays = Vec::new();

    let surgery = rng.random::<f64>() < surgery_share(group, tumour.stage);
    let diagnostic =
        !histology || !surgery || rng.random::<f64>() < DIAGNOSTIC_STAY_SHARE;
    if diagnostic {
        let admission = if histology {
            tumour.incidence + Duration::days(rng.random_range(0..=10))
        } else {
            tumour.incidence
        };
        stays.push(Stay {
            admission: admission.min(limit),
            length: rng.random_range(0..=3),
            main: cancer_code(rng),
            associated: Vec::new(),
            establishment: 0,
        });
    }

    let mut next_start = tumour.incidence + Duration::days(21);
    if surgery {
        let admission =
            tumour.incidence + Duration::days(rng.random_range(15..=60));
        plan.surgery = within(admission);
        stays.push(Stay {
            admission,
            length: rng.random_range(1..=10),
            main: code.clone(),
            associated: Vec::new(),
            establishment: 0,
        });
        next_start = admission + Duration::days(rng.random_range(28..=56));
    }

    if rng.random::<f64>() < chemotherapy_share(group, tumour.stage) {
        let sessions =
            rng.random_range(CHEMOTHERAPY_SESSIONS.0..=CHEMOTHERAPY_SESSIONS.1);
        let cycle = if rng.random::<f64>() < 0.5 { 14 } else { 21 };
        let mut day = next_start + Duration::days(rng.random_range(0..=24));
        plan.chemotherapy = within(day);
        for _ in 0..sessions {
            stays.push(Stay {
                admission: day,
                length: 0,
                main: "Z51.1".to_string(),
                associated: vec![code.clone()],
                establishment: 1,
            });
            day += Duration::days(cycle);
        }
        next_start = day + Duration::days(rng.random_range(28..=56));
    }

    if rng.random::<f64>() < radiotherapy_share(group, tumour.stage) {
        let fractions = rng
            .random_range(RADIOTHERAPY_FRACTIONS.0..=RADIOTHERAPY_FRACTIONS.1);
        let in_hospital = rng.random::<f64>() < RADIOTHERAPY_IN_HOSPITAL_SHARE;
        let mut day = next_start;
        let mut first_fraction = None;
        let mut last_fraction = day;
        for _ in 0..fractions {
            // Fractions are given on weekdays.
            while matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
                day += Duration::days(1);
            }
            first_fraction.get_or_insert(day);
            if day <= limit {
                last_fraction = day;
            }
            if in_hospital {
                stays.push(Stay {
                    admission: day,
                    length: 0,
                    main: "Z51.0".to_string(),
                    associated: vec![code.clone()],
                    establishment: 2,
                });
            }
            day += Duration::days(1);
        }
        plan.radiotherapy = first_fraction
            .and_then(within)
            .map(|first| (first, last_fraction, in_hospital));
    }

    let total: u32 = FOLLOW_UP_WEIGHTS.iter().sum();
    let mut value = rng.random_range(0..total);
    let mut follow_ups = 0;
    for (count, weight) in FOLLOW_UP_WEIGHTS.iter().enumerate() {
        if value < *weight {
            follow_ups = count;
            break;
        }
        value -= weight;
    }
    if tumour.stage == Stage::IV {
        follow_ups += 1;
    }
    for _ in 0..follow_ups {
        let mut associated = Vec::new();
        if rng.random::<f64>() < 0.3 {
            let secondary = ["C78.7", "C79.5", "C77.2", "C78.0"];
            associated.push(
                secondary[rng.random_range(0..secondary.len())].to_string(),
            );
        }
        stays.push(Stay {
            admission: tumour.incidence
                + Duration::days(rng.random_range(30..=365)),
            length: rng.random_range(1..=8),
            main: cancer_code(rng),
            associated,
            establishment: 0,
        });
    }

    if let (Some(death), Some(DeathCause::Tumour(index))) =
        (person.death, person.death_cause)
        && person.tumours[index].id == tumour.id
        && rng.random::<f64>() < PALLIATIVE_SHARE
    {
        let admission = (death - Duration::days(rng.random_range(0..=20)))
            .max(tumour.incidence);
        stays.push(Stay {
            admission,
            length: (death - admission).num_days(),
            main: "Z51.5".to_string(),
            associated: vec![code.clone()],
            establishment: 0,
        });
    }

    stays.retain(|s| s.admission <= limit);
    stays.sort_by_key(|s| s.admission);
    let (rows, establishments) =
        render_stays(rng, person, tumour, stays, limit, settings);
    plan.establishments = establishments;
    (rows, plan)
}

/// Writes the stays as rows, and returns them with the establishments.
/// The establishment of each kind of care is drawn once per tumour, so
/// that all chemotherapy sessions of a course come from one hospital.
/// Comorbidities are added as in real summaries.
fn render_stays<R: Rng>(
    rng: &mut R,
    person: &Person,
    tumour: &Tumour,
    stays: Vec<Stay>,
    limit: NaiveDate,
    settings: &NoiseConfig,
) -> (Vec<Row>, Vec<String>) {
    let establishments: Vec<String> = (0..3)
        .map(|_| {
            let place = feeds::care_departement(rng, person, tumour.incidence);
            feeds::finess(
                place,
                rng.random_range(0..feeds::establishment_count(place)),
            )
        })
        .collect();
    let mut rows = Vec::with_capacity(stays.len());
    for mut stay in stays {
        if rng.random::<f64>() < 0.2 {
            let comorbidity = ["I10", "E11.9", "J44.9", "I48.9"];
            stay.associated.push(
                comorbidity[rng.random_range(0..comorbidity.len())].to_string(),
            );
        }
        let discharge = (stay.admission + Duration::days(stay.length))
            .min(limit)
            .max(stay.admission);
        let identity =
            feeds::render_identity(rng, person, Feed::HospitalStay, settings);
        let fields = vec![
            String::new(),
            establishments[stay.establishment].clone(),
            identity.nir,
            identity.birth_name,
            identity.first_name,
            (person.sex + 1).to_string(),
            identity.birth_date,
            person.departement_code_on(stay.admission).to_string(),
            feeds::date(stay.admission),
            feeds::date(discharge),
            stay.main,
            stay.associated.join("|"),
        ];
        rows.push(feeds::finish_row(
            rng,
            feeds::Draft {
                feed: Feed::HospitalStay,
                fields,
                tumour_id: Some(tumour.id),
                year: stay.admission.year(),
                noise: identity.noise,
            },
            person,
            settings,
        ));
    }
    (rows, establishments)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expected_stays_follow_stage() {
        // Breast stage I (surgery 85 %, chemotherapy 15 %, radiotherapy
        // 80 % with half in hospital): 1 - 0.92 * 0.85 * 0.65 + 0.85
        // + 0.15 * 8 + 0.8 * 0.5 * 17.5 + 0.7 = 9.24 stays.
        let breast = SITE_GROUPS.iter().find(|g| g.name == "breast").unwrap();
        let expected = 1.0 - 0.92 * 0.85 * 0.65 + 0.85 + 0.15 * 8.0 + 7.0 + 0.7;
        let computed = expected_stays(breast, Stage::I, 0.92);
        assert!((computed - expected).abs() < 1e-9, "{computed}");
        assert!(
            expected_stays(breast, Stage::III, 0.92)
                > expected_stays(breast, Stage::I, 0.92)
        );
    }
}
