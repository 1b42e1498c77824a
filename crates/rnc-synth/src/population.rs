//! The synthetic persons: who they are, where they live, when they are born
//! and die, and which tumours they get.

use chrono::{Datelike, Duration, NaiveDate};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::demography::{
    self, AGE_BANDS, BIRTH_RATE, DEPARTEMENTS, PYRAMID_THOUSANDS,
};
use crate::names;
use crate::screening::{self, DetectionMode, Programme, ScreeningTest};
use crate::sites::{self, SITE_GROUPS, Stage, TumourCodes};

/// Share of cancer patients who get a second primary tumour.
pub(crate) const SECOND_PRIMARY_SHARE: f64 = 0.065;

/// Share of first tumours known only from the death certificate (DCO).
/// French registries report DCO proportions of about 1-2 %.
const DCO_SHARE: f64 = 0.015;

/// Share of women aged 25 or more who use a spouse's name.
const MARRIED_NAME_SHARE: f64 = 0.6;

/// Probability that a person of even index and the next person are
/// same-sex twins: one pair per 500 pairs, so about one pair per 1 000
/// persons.
const TWIN_PAIR_SHARE: f64 = 0.002;

/// Purpose of a random stream, so that each step of one person draws from
/// its own stream and output does not depend on thread scheduling or on
/// which steps run for that person.
#[derive(Clone, Copy)]
pub(crate) enum Stream {
    /// Twin draw, sex, birth date and residence.
    Base = 0,
    /// Screening tests, cancers, move and death.
    Life = 1,
    Records = 2,
    /// Names, place of birth and NIR order number.
    Names = 3,
    /// Younger twin's first name.
    Twin = 4,
    /// Treatment feed rows, drawn apart so that adding that feed left the
    /// other feeds unchanged.
    Treatment = 5,
}

/// Number of streams per person: person `i` owns streams `8 i` to
/// `8 i + 7`.
const STREAMS_PER_PERSON: u64 = 8;

/// Creates the random stream of one person for one step.
pub(crate) fn person_rng(seed: u64, index: u64, stream: Stream) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(index * STREAMS_PER_PERSON + stream as u64);
    rng
}

/// Underlying cause of a person's death.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum DeathCause {
    /// The tumour at this index of the person's tumours.
    Tumour(usize),
    /// A non-cancer underlying cause (ICD-10).
    Other(&'static str),
}

/// A true tumour of a synthetic person.
#[derive(Debug, Clone)]
pub(crate) struct Tumour {
    /// Id within the block of persons being drawn, from 0; the writer
    /// turns it into the global id.
    pub id: u64,
    /// Index in [`SITE_GROUPS`].
    pub group: usize,
    /// ICD-O-3 and ICD-10 codes.
    pub codes: TumourCodes,
    /// Incidence date.
    pub incidence: NaiveDate,
    /// Known only from the death certificate.
    pub death_certificate_only: bool,
    /// Stage at diagnosis.
    pub stage: Stage,
    /// Detection mode with respect to organised screening.
    pub detection: DetectionMode,
}

/// Identifying data of a person, drawn only for persons who appear in a
/// feed. `Debug` is not derived so that they cannot reach a log.
pub(crate) struct Identity {
    pub birth_name: &'static str,
    pub usage_name: Option<&'static str>,
    pub first_name: &'static str,
    /// Place of birth as written in the NIR: département and commune, or
    /// 99 and a country code (five characters).
    pub birth_place: String,
    /// NIR order number (1-999).
    pub order: u16,
    /// The NIR is a provisional number (first digit 7 for men, 8 for
    /// women), given while the civil status of a person born abroad is
    /// checked.
    pub provisional: bool,
}

/// A synthetic person. `Debug` is not derived so that identifiers cannot
/// reach a log.
pub(crate) struct Person {
    /// Id from 1.
    pub id: u64,
    /// 0 men, 1 women.
    pub sex: usize,
    pub birth: NaiveDate,
    /// Index in [`DEPARTEMENTS`] of the residence on entry (1 January of
    /// the first year, or birth).
    pub departement: usize,
    /// Move to another département: the date and the new index.
    pub moved: Option<(NaiveDate, usize)>,
    /// Death date when it falls on or before the end of the last year.
    pub death: Option<NaiveDate>,
    pub death_cause: Option<DeathCause>,
    pub tumours: Vec<Tumour>,
    /// Screening tests within the simulated years.
    pub screening: Vec<ScreeningTest>,
    /// Names and NIR parts, when the person appears in a feed.
    pub identity: Option<Identity>,
}

impl Person {
    fn identity(&self) -> &Identity {
        self.identity
            .as_ref()
            .expect("the identity is drawn for every person with records")
    }

    pub(crate) fn birth_name(&self) -> &'static str {
        self.identity().birth_name
    }

    pub(crate) fn usage_name(&self) -> Option<&'static str> {
        self.identity().usage_name
    }

    pub(crate) fn first_name(&self) -> &'static str {
        self.identity().first_name
    }

    /// Builds the person's NIR with its key (15 characters).
    pub(crate) fn nir(&self) -> String {
        let identity = self.identity();
        let sex_digit = if identity.provisional {
            self.sex + 7
        } else {
            self.sex + 1
        };
        let first_13 = format!(
            "{}{:02}{:02}{}{:03}",
            sex_digit,
            self.birth.year() % 100,
            self.birth.month(),
            identity.birth_place,
            identity.order
        );
        let key = rnc_model::nir::nir_key(&first_13)
            .expect("the NIR is built from digits and 2A/2B only");
        format!("{first_13}{key:02}")
    }

    /// Index in [`DEPARTEMENTS`] of the residence on `date`.
    pub(crate) fn departement_on(&self, date: NaiveDate) -> usize {
        match self.moved {
            Some((when, to)) if date >= when => to,
            _ => self.departement,
        }
    }

    /// Residence département code on `date`.
    pub(crate) fn departement_code_on(&self, date: NaiveDate) -> &'static str {
        DEPARTEMENTS[self.departement_on(date)].code
    }

    /// Residence département code at the end of the period or at death,
    /// as written in `truth/persons.csv`.
    pub(crate) fn last_departement_code(&self) -> &'static str {
        DEPARTEMENTS[self.moved.map_or(self.departement, |(_, to)| to)].code
    }

    /// Returns whether the person appears in at least one feed.
    pub(crate) fn has_records(&self) -> bool {
        !self.tumours.is_empty() || !self.screening.is_empty()
    }
}

/// INSEE country codes (after `99`) of frequent countries of birth:
/// Algeria 352, Morocco 350, Portugal 139, Tunisia 351, Italy 127,
/// Spain 134, Germany 109, Belgium 131.
const BIRTH_COUNTRIES: [(&str, u32); 8] = [
    ("352", 30),
    ("350", 25),
    ("139", 15),
    ("351", 10),
    ("127", 7),
    ("134", 6),
    ("109", 4),
    ("131", 3),
];

/// Non-cancer underlying causes of death (ICD-10) with weights: acute
/// myocardial infarction, COPD, stroke, heart failure, dementia,
/// Alzheimer disease, pneumonia, chronic ischaemic heart disease, falls.
const OTHER_CAUSES: [(&str, u32); 9] = [
    ("I21.9", 12),
    ("J44.9", 8),
    ("I64", 10),
    ("I50.9", 12),
    ("F03", 10),
    ("G30.9", 8),
    ("J18.9", 8),
    ("I25.9", 10),
    ("W19", 4),
];

fn pick_weighted<R: Rng, T: Copy>(rng: &mut R, items: &[(T, u32)]) -> T {
    let total: u32 = items.iter().map(|(_, w)| w).sum();
    let mut value = rng.random_range(0..total);
    for (item, weight) in items {
        if value < *weight {
            return *item;
        }
        value -= weight;
    }
    items[items.len() - 1].0
}

/// Years over which the population is simulated, and derived tables.
pub(crate) struct Timeline {
    pub first_year: i32,
    pub last_year: i32,
    /// 1 January of the first year.
    pub start: NaiveDate,
    /// 31 December of the last year.
    pub end: NaiveDate,
}

impl Timeline {
    pub(crate) fn new(first_year: i32, last_year: i32) -> Timeline {
        Timeline {
            first_year,
            last_year,
            start: ymd(first_year, 1, 1),
            end: ymd(last_year, 12, 31),
        }
    }

    pub(crate) fn years(&self) -> u32 {
        (self.last_year - self.first_year + 1) as u32
    }
}

pub(crate) fn ymd(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).expect("a valid calendar date")
}

/// Completed years of age on `date`.
pub(crate) fn age_on(birth: NaiveDate, date: NaiveDate) -> u32 {
    let mut age = date.year() - birth.year();
    if (date.month(), date.day()) < (birth.month(), birth.day()) {
        age -= 1;
    }
    age.max(0) as u32
}

fn add_years(date: NaiveDate, years: f64) -> NaiveDate {
    // Capped at 200 years so that near-certain survivors stay within the
    // calendar chrono supports.
    let days = (years.min(200.0) * 365.25).ceil() as i64;
    date + Duration::days(days)
}

/// Draws person `index` (from 0) with the whole of its life over the
/// years: sex, birth and residence, screening tests, cancers, move and
/// death, and its identity when it appears in a feed. Persons
/// `0..initial` form the population of 1 January of the first year; the
/// others are born during the years.
///
/// The result depends only on `seed` and `index`, so persons can be drawn
/// in any order and on any thread.
pub(crate) fn draw_person(
    seed: u64,
    index: u64,
    initial: u64,
    timeline: &Timeline,
    table: &IncidenceTable,
) -> Person {
    // Pairs of twins are persons 2k and 2k + 1; the younger copies the
    // elder's sex, birth and residence.
    let (twin_draw, mut sex, mut birth, mut departement) =
        draw_base(seed, index, initial, timeline);
    let twin = index % 2 == 1 && twin_draw < TWIN_PAIR_SHARE;
    if twin {
        (_, sex, birth, departement) =
            draw_base(seed, index - 1, initial, timeline);
    }

    let mut person = Person {
        id: index + 1,
        sex,
        birth,
        departement,
        moved: None,
        death: None,
        death_cause: None,
        tumours: Vec::new(),
        screening: Vec::new(),
        identity: None,
    };
    let mut life_rng = person_rng(seed, index, Stream::Life);
    let schedule =
        screening::draw_schedule(&mut life_rng, sex, birth, timeline);
    draw_life(&mut life_rng, &mut person, timeline, table, schedule);

    // Names cost time and only persons with records need them.
    if person.has_records() {
        let mut identity = draw_names(
            &mut person_rng(seed, index, Stream::Names),
            &person,
            timeline,
        );
        if twin {
            let elder = draw_names(
                &mut person_rng(seed, index - 1, Stream::Names),
                &person,
                timeline,
            );
            make_twin(
                &mut person_rng(seed, index, Stream::Twin),
                &mut identity,
                &elder,
                &person,
            );
        }
        person.identity = Some(identity);
    }
    person
}

/// Draws the twin draw (uniform in 0-1), sex, birth date and residence
/// (index in [`DEPARTEMENTS`]) of person `index`.
fn draw_base(
    seed: u64,
    index: u64,
    initial: u64,
    timeline: &Timeline,
) -> (f64, usize, NaiveDate, usize) {
    let mut rng = person_rng(seed, index, Stream::Base);
    let twin_draw: f64 = rng.random();
    let (sex, birth) = if index >= initial {
        // Newborns are spread evenly over the years; 105 boys per 100
        // girls at birth (INSEE).
        let year = timeline.first_year
            + ((index - initial) % u64::from(timeline.years())) as i32;
        let sex = usize::from(rng.random::<f64>() >= 105.0 / 205.0);
        let days = if ymd(year, 12, 31).ordinal() == 366 {
            366
        } else {
            365
        };
        (
            sex,
            ymd(year, 1, 1) + Duration::days(rng.random_range(0..days)),
        )
    } else {
        let men: u32 = PYRAMID_THOUSANDS[0].iter().sum();
        let women: u32 = PYRAMID_THOUSANDS[1].iter().sum();
        let sex = usize::from(rng.random_range(0..men + women) >= men);
        let age = demography::draw_age(&mut rng, sex);

        // Born within the year before the birthday that makes `age` on
        // 1 January of the first year.
        let anniversary = ymd(timeline.first_year - age as i32, 1, 1);
        (sex, anniversary - Duration::days(rng.random_range(0..365)))
    };
    (
        twin_draw,
        sex,
        birth,
        demography::draw_departement(&mut rng),
    )
}

/// Size of the population on 1 January of the first year, so that adding
/// the births of the years gives `persons` in all.
pub(crate) fn initial_population(persons: u64, years: u32) -> u64 {
    let initial = persons as f64 / (1.0 + BIRTH_RATE * f64::from(years));
    (initial.round() as u64).min(persons)
}

/// Draws the names and NIR parts of a person.
fn draw_names<R: Rng>(
    rng: &mut R,
    person: &Person,
    timeline: &Timeline,
) -> Identity {
    let surnames = names::surname_list();
    let birth_place =
        draw_birth_place(rng, person.birth.year(), person.departement);
    let birth_name = names::draw_surname(rng, surnames);
    let first_name =
        names::draw_first_name(rng, person.sex, person.birth.year());
    let adult_woman =
        person.sex == 1 && age_on(person.birth, timeline.start) >= 25;
    let usage_name = if adult_woman && rng.random::<f64>() < MARRIED_NAME_SHARE
    {
        let mut spouse = names::draw_surname(rng, surnames);
        while spouse == birth_name {
            spouse = names::draw_surname(rng, surnames);
        }
        Some(spouse)
    } else {
        None
    };
    let order = rng.random_range(1..=999);
    let provisional = birth_place.starts_with("99")
        && rng.random::<f64>() < PROVISIONAL_NIR_SHARE;
    Identity {
        birth_name,
        usage_name,
        first_name,
        birth_place,
        order,
        provisional,
    }
}

/// Share of persons born abroad whose NIR is still a provisional number
/// (estimate: most are registered within months of arrival, and the
/// synthetic population is mostly long settled).
const PROVISIONAL_NIR_SHARE: f64 = 0.05;

/// Turns `identity` into that of the elder twin's sibling: same surname
/// and place of birth, the next NIR order number, another first name.
fn make_twin<R: Rng>(
    rng: &mut R,
    identity: &mut Identity,
    elder: &Identity,
    person: &Person,
) {
    identity.birth_name = elder.birth_name;
    identity.birth_place = elder.birth_place.clone();
    identity.provisional = elder.provisional;
    identity.order = elder.order % 999 + 1;
    while identity.first_name == elder.first_name {
        identity.first_name =
            names::draw_first_name(rng, person.sex, person.birth.year());
    }
    if identity.usage_name == Some(identity.birth_name) {
        identity.usage_name = None;
    }
}

/// Place of birth in the NIR: about 10 % of the population was born
/// abroad (INSEE counts about 7 million immigrants, estimate), the others
/// mostly in their département of residence.
fn draw_birth_place<R: Rng>(
    rng: &mut R,
    birth_year: i32,
    residence: usize,
) -> String {
    if rng.random::<f64>() < 0.10 {
        return format!("99{}", pick_weighted(rng, &BIRTH_COUNTRIES));
    }
    let departement = if rng.random::<f64>() < 0.65 {
        residence
    } else {
        demography::draw_departement(rng)
    };
    let code = DEPARTEMENTS[departement].code;
    match code {
        // Corsica was split into 2A and 2B in 1976; NIRs of people born
        // there before keep the single code 20.
        "2A" | "2B" if birth_year < 1976 => {
            format!("20{:03}", rng.random_range(1..=360))
        }
        // Overseas départements have three digits and two-digit communes.
        _ if code.len() == 3 => {
            format!("{code}{:02}", rng.random_range(1..=34))
        }
        _ => format!("{code}{:03}", rng.random_range(1..=700)),
    }
}

/// Cancer hazard per person-year by sex, age band and site group.
pub(crate) struct IncidenceTable {
    /// `rates[sex][band][group]`.
    rates: Vec<Vec<Vec<f64>>>,
    /// Sum over groups of `rates[sex][band]`.
    totals: Vec<Vec<f64>>,
    /// Share of first tumours that get a second primary.
    second: f64,
    /// [`second_primary_shares`] by sex.
    second_shares: Vec<Vec<Vec<f64>>>,
}

impl IncidenceTable {
    /// Calibrates the hazards so that a population shaped like the INSEE
    /// pyramid gets the national counts of [`SITE_GROUPS`], second
    /// primaries included.
    ///
    /// Second primaries go to the other groups in proportion to their
    /// counts, so small groups receive relatively more of them than large
    /// ones. The first-cancer count of each group is therefore solved by a
    /// fixed point: `first_g = count_g - s * sum_h first_h * share(g | h)`,
    /// where `s` is the share of first tumours (DCO excluded) that get a
    /// second primary.
    pub(crate) fn new() -> IncidenceTable {
        let second = SECOND_PRIMARY_SHARE * (1.0 - DCO_SHARE);
        let mut rates = vec![vec![vec![0.0; SITE_GROUPS.len()]; AGE_BANDS]; 2];
        let mut second_shares = Vec::new();
        for (sex, sex_rates) in rates.iter_mut().enumerate() {
            let shares = second_primary_shares(sex);
            let counts: Vec<f64> = SITE_GROUPS
                .iter()
                .map(|g| f64::from(g.counts[sex]))
                .collect();
            let mut first: Vec<f64> =
                counts.iter().map(|c| c / (1.0 + second)).collect();
            for _ in 0..100 {
                first = (0..counts.len())
                    .map(|g| {
                        let received: f64 = (0..counts.len())
                            .map(|h| first[h] * shares[h][g])
                            .sum();
                        (counts[g] - second * received).max(0.0)
                    })
                    .collect();
            }
            for (group_index, group) in SITE_GROUPS.iter().enumerate() {
                let by_age = sites::case_age_distribution(group);
                for (band, band_rates) in sex_rates.iter_mut().enumerate() {
                    let from = band * 5;
                    let to = if band + 1 == AGE_BANDS {
                        by_age.len()
                    } else {
                        from + 5
                    };
                    let share: f64 = by_age[from..to].iter().sum();
                    let population =
                        f64::from(PYRAMID_THOUSANDS[sex][band]) * 1000.0;
                    band_rates[group_index] =
                        first[group_index] * share / population;
                }
            }
            second_shares.push(shares);
        }
        let totals = rates
            .iter()
            .map(|bands| {
                bands.iter().map(|groups| groups.iter().sum()).collect()
            })
            .collect();
        IncidenceTable {
            rates,
            totals,
            second,
            second_shares,
        }
    }

    /// Expected tumours of `group` per person-year, first cancers and
    /// second primaries, assuming a second primary falls in the age band
    /// of the first.
    pub(crate) fn expected_rate(
        &self,
        sex: usize,
        band: usize,
        group: usize,
    ) -> f64 {
        let received: f64 = (0..SITE_GROUPS.len())
            .map(|h| {
                self.rates[sex][band][h] * self.second_shares[sex][h][group]
            })
            .sum();
        self.rates[sex][band][group] + self.second * received
    }
}

/// `shares[h][g]`: probability that the second primary of a first tumour
/// of group `h` is of group `g`, as [`draw_second_primary`] draws it
/// (another group, weighted by its count, never two haematological
/// groups).
fn second_primary_shares(sex: usize) -> Vec<Vec<f64>> {
    let allowed = |h: usize, g: usize| {
        g != h
            && SITE_GROUPS[g].counts[sex] > 0
            && !(SITE_GROUPS[g].haematological && SITE_GROUPS[h].haematological)
    };
    (0..SITE_GROUPS.len())
        .map(|h| {
            let total: f64 = (0..SITE_GROUPS.len())
                .filter(|g| allowed(h, *g))
                .map(|g| f64::from(SITE_GROUPS[g].counts[sex]))
                .sum();
            (0..SITE_GROUPS.len())
                .map(|g| {
                    if allowed(h, g) {
                        f64::from(SITE_GROUPS[g].counts[sex]) / total
                    } else {
                        0.0
                    }
                })
                .collect()
        })
        .collect()
}

/// Draws a person's life over the years: background death, first
/// cancer and how screening found it, second primary, death from cancer,
/// move, and the results of the screening tests.
fn draw_life<R: Rng>(
    rng: &mut R,
    person: &mut Person,
    timeline: &Timeline,
    table: &IncidenceTable,
    mut schedule: Vec<ScreeningTest>,
) {
    let entry = person.birth.max(timeline.start);
    let age_at_entry = (entry - person.birth).num_days() as f64 / 365.25;
    let background_death = add_years(
        entry,
        demography::draw_years_to_death(rng, person.sex, age_at_entry),
    );
    draw_cancers(
        rng,
        person,
        timeline,
        table,
        background_death,
        &mut schedule,
    );
    draw_move(rng, person, timeline, entry);

    let cancers: Vec<(Programme, NaiveDate)> = person
        .tumours
        .iter()
        .filter_map(|t| {
            Programme::of_site_group(SITE_GROUPS[t.group].name)
                .map(|p| (p, t.incidence))
        })
        .collect();
    screening::settle_results(rng, &mut schedule, &cancers, person.death);
    schedule.retain(|t| t.date >= timeline.start && t.date <= timeline.end);
    person.screening = schedule;
}

/// Draws the cancers and the death of a person.
fn draw_cancers<R: Rng>(
    rng: &mut R,
    person: &mut Person,
    timeline: &Timeline,
    table: &IncidenceTable,
    background_death: NaiveDate,
    schedule: &mut [ScreeningTest],
) {
    let after_end = timeline.end + Duration::days(1);
    let Some((group, clinical)) =
        draw_first_cancer(rng, person, timeline, table, background_death)
    else {
        if background_death <= timeline.end {
            person.death = Some(background_death);
            person.death_cause =
                Some(DeathCause::Other(pick_weighted(rng, &OTHER_CAUSES)));
        }
        return;
    };
    let codes = sites::draw_codes(rng, &SITE_GROUPS[group], person.sex);

    if rng.random::<f64>() < DCO_SHARE {
        // Death certificate only: the incidence date is the date of death
        // (ENCR rule), and nothing else records the tumour. No test can
        // have found it, so the floor of detection is the death itself.
        let (detection, _, _) =
            detect_tumour(rng, person, group, clinical, clinical, schedule);
        person.tumours.push(Tumour {
            id: 0,
            group,
            codes,
            incidence: clinical,
            death_certificate_only: true,
            stage: Stage::Unknown,
            detection,
        });
        person.death = Some(clinical);
        person.death_cause = Some(DeathCause::Tumour(0));
        return;
    }

    let (detection, test, incidence) =
        detect_tumour(rng, person, group, clinical, timeline.start, schedule);
    if let Some(test) = test {
        schedule[test].tumour = Some(0);
    }
    let stage = draw_tumour_stage(rng, group, detection);
    let first_death = add_years(
        incidence,
        sites::draw_years_with_survival(
            rng,
            sites::stage_survival(&SITE_GROUPS[group], stage),
        ),
    );
    person.tumours.push(Tumour {
        id: 0,
        group,
        codes,
        incidence,
        death_certificate_only: false,
        stage,
        detection,
    });
    let mut deaths = vec![(
        background_death,
        DeathCause::Other(pick_weighted(rng, &OTHER_CAUSES)),
    )];
    deaths.push((first_death, DeathCause::Tumour(0)));

    if rng.random::<f64>() < SECOND_PRIMARY_SHARE {
        let limit = background_death.min(first_death).min(after_end);
        let span = (limit - incidence).num_days().max(1);
        let second_clinical =
            incidence + Duration::days(rng.random_range(0..span));
        let (second_group, second_codes) =
            draw_second_primary(rng, person, group);
        let (detection, test, second_incidence) = detect_tumour(
            rng,
            person,
            second_group,
            second_clinical,
            incidence,
            schedule,
        );
        if let Some(test) = test {
            schedule[test].tumour = Some(1);
        }
        let stage = draw_tumour_stage(rng, second_group, detection);
        let second_death = add_years(
            second_incidence,
            sites::draw_years_with_survival(
                rng,
                sites::stage_survival(&SITE_GROUPS[second_group], stage),
            ),
        );
        person.tumours.push(Tumour {
            id: 0,
            group: second_group,
            codes: second_codes,
            incidence: second_incidence,
            death_certificate_only: false,
            stage,
            detection,
        });
        deaths.push((second_death, DeathCause::Tumour(1)));
    }

    let (date, cause) = deaths
        .into_iter()
        .min_by_key(|(date, _)| *date)
        .expect("at least the background death");
    if date <= timeline.end {
        person.death = Some(date);
        person.death_cause = Some(cause);
    }
}

/// Decides how a tumour of `group` with clinical date `clinical` is found:
/// by [`screening::detect`] for a screened site, otherwise not eligible.
fn detect_tumour<R: Rng>(
    rng: &mut R,
    person: &Person,
    group: usize,
    clinical: NaiveDate,
    floor: NaiveDate,
    schedule: &[ScreeningTest],
) -> (DetectionMode, Option<usize>, NaiveDate) {
    match Programme::of_site_group(SITE_GROUPS[group].name) {
        Some(programme) => screening::detect(
            rng,
            schedule,
            programme,
            person.sex,
            person.birth,
            clinical,
            floor,
        ),
        None => (DetectionMode::NotEligible, None, clinical),
    }
}

/// Draws the stage; a screen-detected tumour is one stage earlier half of
/// the time, the lead time that screening gains (estimate).
fn draw_tumour_stage<R: Rng>(
    rng: &mut R,
    group: usize,
    detection: DetectionMode,
) -> Stage {
    let stage = sites::draw_stage(rng, &SITE_GROUPS[group]);
    if detection == DetectionMode::ScreenDetected && rng.random::<f64>() < 0.5 {
        stage.earlier()
    } else {
        stage
    }
}

/// Draws whether the person moves to another département while alive
/// within the years, at [`demography::MOVE_SHARE`] a year.
fn draw_move<R: Rng>(
    rng: &mut R,
    person: &mut Person,
    timeline: &Timeline,
    entry: NaiveDate,
) {
    let leave = person.death.unwrap_or(timeline.end).min(timeline.end);
    let days = (leave - entry).num_days();
    let draw: f64 = rng.random();
    if days <= 0
        || draw
            >= 1.0 - (1.0 - demography::MOVE_SHARE).powf(days as f64 / 365.25)
    {
        return;
    }
    let date = entry + Duration::days(rng.random_range(1..=days));
    let mut to = demography::draw_departement(rng);
    while to == person.departement {
        to = demography::draw_departement(rng);
    }
    person.moved = Some((date, to));
}

/// Draws year by year whether the person gets a first cancer, returning
/// its site group and incidence date.
///
/// The national rates count every new cancer per person-year of the
/// whole population, persons who already had a cancer included. So the
/// probability of a first cancer in a year is set to make its expected
/// count equal to rate times person-years: the year's expected count
/// divided by the probability of having had no first cancer in the
/// earlier years. A per-person hazard (`1 - exp(-rate * t)`) instead
/// falls short by about half the rate, 1 to 2 % at ages 65-84 in men,
/// where the rate is highest.
///
/// The rate of a day is that of the age band the person has reached on
/// that day (attained age, as on a Lexis diagram), so each year is split
/// at the birthday. This matches the check, which bins tumours by age at
/// incidence and divides by the mid-year population of the band.
fn draw_first_cancer<R: Rng>(
    rng: &mut R,
    person: &Person,
    timeline: &Timeline,
    table: &IncidenceTable,
    background_death: NaiveDate,
) -> Option<(usize, NaiveDate)> {
    // Expected first cancers of the earlier years, which is also the
    // probability of having had one by the start of this year.
    let mut cumulative: f64 = 0.0;
    for year in timeline.first_year..=timeline.last_year {
        let from = ymd(year, 1, 1).max(person.birth);
        let to = ymd(year + 1, 1, 1).min(background_death);
        let segments: Vec<(NaiveDate, i64, usize, f64)> =
            split_at_birthday(person.birth, from, to)
                .into_iter()
                .filter(|(start, end)| end > start)
                .map(|(start, end)| {
                    let days = (end - start).num_days();
                    let band =
                        demography::age_band(age_on(person.birth, start));
                    let expected =
                        table.totals[person.sex][band] * days as f64 / 365.25;
                    (start, days, band, expected)
                })
                .collect();
        let expected: f64 = segments.iter().map(|s| s.3).sum();
        if expected <= 0.0 {
            continue;
        }
        let probability = (expected / (1.0 - cumulative).max(1e-9)).min(1.0);
        cumulative += expected;
        let draw: f64 = rng.random();
        if draw >= probability {
            continue;
        }

        // The draw, scaled back to expected counts, picks the segment.
        let mut value = draw / probability * expected;
        let mut chosen = segments[segments.len() - 1];
        for segment in &segments {
            if value < segment.3 {
                chosen = *segment;
                break;
            }
            value -= segment.3;
        }
        let (start, days, band, _) = chosen;
        let incidence = start + Duration::days(rng.random_range(0..days));
        return Some((pick_group(rng, table, person.sex, band), incidence));
    }
    None
}

/// Splits `from..to` (end excluded) at the birthday that falls within it,
/// if any, so that the age is constant over each part.
fn split_at_birthday(
    birth: NaiveDate,
    from: NaiveDate,
    to: NaiveDate,
) -> [(NaiveDate, NaiveDate); 2] {
    let birthday = birthday_in(birth, from.year());
    match birthday {
        Some(day) if day > from && day < to => [(from, day), (day, to)],
        _ => [(from, to), (to, to)],
    }
}

/// Birthday of a person born on `birth` in `year`; 29 February births
/// celebrate on 1 March in common years.
fn birthday_in(birth: NaiveDate, year: i32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(year, birth.month(), birth.day())
        .or_else(|| NaiveDate::from_ymd_opt(year, 3, 1))
}

/// Draws the site group of a first cancer in age band `band`, in
/// proportion to the groups' hazards.
fn pick_group<R: Rng>(
    rng: &mut R,
    table: &IncidenceTable,
    sex: usize,
    band: usize,
) -> usize {
    let rates = &table.rates[sex][band];
    let mut value = rng.random::<f64>() * table.totals[sex][band];
    for (index, rate) in rates.iter().enumerate() {
        if value < *rate {
            return index;
        }
        value -= rate;
    }
    rates.len() - 1
}

/// Draws a second primary that the IARC/IACR 2004 rules count as a new
/// tumour: another site group whose IARC site differs, and never a second
/// haematological group, because two haematological tumours of one
/// histology group are one primary whatever their sites.
fn draw_second_primary<R: Rng>(
    rng: &mut R,
    person: &Person,
    first: usize,
) -> (usize, TumourCodes) {
    let first_key = sites::iarc_site_key(person.tumours[0].codes.topography.0);
    let candidates: Vec<(usize, u32)> = SITE_GROUPS
        .iter()
        .enumerate()
        .filter(|(index, group)| {
            *index != first
                && group.counts[person.sex] > 0
                && !(group.haematological && SITE_GROUPS[first].haematological)
        })
        .map(|(index, group)| (index, group.counts[person.sex]))
        .collect();
    loop {
        let group = pick_weighted(rng, &candidates);
        let codes = sites::draw_codes(rng, &SITE_GROUPS[group], person.sex);
        if sites::iarc_site_key(codes.topography.0) != first_key {
            return (group, codes);
        }
    }
}

/// Mid-year population counts, indexed by [`population_cell`], of the
/// persons alive on 1 July of each year at their residence of that day.
pub(crate) fn count_population(
    person: &Person,
    timeline: &Timeline,
    counts: &mut [u64],
) {
    for offset in 0..timeline.years() as usize {
        let mid_year = ymd(timeline.first_year + offset as i32, 7, 1);
        let alive = person.birth <= mid_year
            && person.death.is_none_or(|d| d > mid_year);
        if alive {
            let band = demography::age_band(age_on(person.birth, mid_year));
            let departement = person.departement_on(mid_year);
            counts[population_cell(offset, person.sex, band, departement)] += 1;
        }
    }
}

/// Index of a (year offset, sex, age band, département) cell in the flat
/// population counts.
pub(crate) fn population_cell(
    year: usize,
    sex: usize,
    band: usize,
    departement: usize,
) -> usize {
    ((year * 2 + sex) * AGE_BANDS + band) * DEPARTEMENTS.len() + departement
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draw(seed: u64, persons: u64, timeline: &Timeline) -> Vec<Person> {
        let table = IncidenceTable::new();
        let initial = initial_population(persons, timeline.years());
        (0..persons)
            .map(|index| draw_person(seed, index, initial, timeline, &table))
            .collect()
    }

    #[test]
    fn nir_is_valid() {
        let timeline = Timeline::new(2021, 2022);
        let persons = draw(11, 20_000, &timeline);
        let (mut checked, mut abroad, mut provisional) = (0, 0, 0);
        for person in persons.iter().filter(|p| p.has_records()) {
            // NIR layout (INSEE): sex 1 or 2, 7 or 8 when provisional,
            // then the last two digits of the birth year and the month.
            let nir = person.nir();
            let status = rnc_model::nir::check_nir(&nir).status;
            let sex = nir.as_bytes()[0] - b'0';
            if status == rnc_model::NirStatus::Provisional {
                assert_eq!(usize::from(sex), person.sex + 7);
                assert_eq!(&nir[5..7], "99", "provisional, born abroad");
                provisional += 1;
            } else {
                assert_eq!(status, rnc_model::NirStatus::Valid);
                assert_eq!(usize::from(sex), person.sex + 1);
            }
            let year = format!("{:02}", person.birth.year() % 100);
            assert_eq!(nir[1..3], year);
            assert_eq!(nir[3..5], format!("{:02}", person.birth.month()));
            if &nir[5..7] == "99" {
                abroad += 1;
            }
            checked += 1;
        }
        assert!(checked > 1_000, "only {checked} persons with records");

        // 10 % born abroad, 5 % of them with a provisional number.
        let share = f64::from(abroad) / f64::from(checked);
        assert!((0.07..0.13).contains(&share), "born abroad {share}");
        assert!(provisional > 0, "no provisional NIR");
    }

    #[test]
    fn rates_give_published_counts() {
        // BEH of 4 July 2023: 245 610 new cancers in men and 187 526 in
        // women, prostate 59 885, breast 61 214. The hazards applied to the
        // INSEE pyramid, second primaries included, must give every
        // group's count (rounding only).
        let table = IncidenceTable::new();
        for (sex, published) in [(0, 245_610.0), (1, 187_526.0)] {
            let mut total = 0.0;
            for (group, site) in SITE_GROUPS.iter().enumerate() {
                let mut count = 0.0;
                for (band, thousands) in
                    PYRAMID_THOUSANDS[sex].iter().enumerate()
                {
                    count += table.expected_rate(sex, band, group)
                        * f64::from(*thousands)
                        * 1000.0;
                }
                let expected = f64::from(site.counts[sex]);
                assert!(
                    (count - expected).abs() < 1.0,
                    "sex {sex}, {}: {count} against {expected}",
                    site.name
                );
                total += count;
            }
            assert!((total - published).abs() < 1.0, "sex {sex}: {total}");
        }
    }

    #[test]
    fn first_cancers_match_rate_times_years() {
        // An incidence rate counts cancers per person-year of the whole
        // population, so persons who never die must get, over five
        // years, as many first cancers as the rate of each attained-age
        // band times the years lived in it. A man born on 10 March 1941
        // is 77 then 78 in 2019, and reaches 80 on 10 March 2021.
        let timeline = Timeline::new(2019, 2023);
        let table = IncidenceTable::new();
        let birth = ymd(1941, 3, 10);
        let mut expected = 0.0;
        for year in 2019..=2023 {
            let birthday = ymd(year, 3, 10);
            let before = (birthday - ymd(year, 1, 1)).num_days() as f64;
            let after = (ymd(year + 1, 1, 1) - birthday).num_days() as f64;
            let age = (year - 1941) as u32;
            expected += table.totals[0][demography::age_band(age - 1)] * before
                / 365.25;
            expected +=
                table.totals[0][demography::age_band(age)] * after / 365.25;
        }
        let draws = 100_000;
        let mut found = 0u32;
        let person = Person {
            id: 1,
            sex: 0,
            birth,
            departement: 0,
            moved: None,
            death: None,
            death_cause: None,
            tumours: Vec::new(),
            screening: Vec::new(),
            identity: None,
        };
        let never = ymd(2150, 1, 1);
        for index in 0..draws {
            let mut rng = person_rng(9, index, Stream::Life);
            if draw_first_cancer(&mut rng, &person, &timeline, &table, never)
                .is_some()
            {
                found += 1;
            }
        }
        let share = f64::from(found) / f64::from(draws as u32);

        // Binomial standard error; |z| < 4 fails about once in 16 000 runs.
        let error = (expected * (1.0 - expected) / draws as f64).sqrt();
        let z = (share - expected) / error;
        assert!(z.abs() < 4.0, "share {share}, expected {expected}, z {z}");
    }

    #[test]
    fn ages_on_dates() {
        assert_eq!(age_on(ymd(1960, 7, 2), ymd(2020, 7, 1)), 59);
        assert_eq!(age_on(ymd(1960, 7, 1), ymd(2020, 7, 1)), 60);
        assert_eq!(age_on(ymd(2020, 8, 1), ymd(2020, 7, 1)), 0);
    }

    #[test]
    fn twins_share_birth_and_name() {
        let timeline = Timeline::new(2021, 2021);
        let table = IncidenceTable::new();
        let persons = 200_000;
        let initial = initial_population(persons, timeline.years());
        let mut pairs = 0;
        for index in (1..persons).step_by(2) {
            let twin = person_rng(4, index, Stream::Base).random::<f64>()
                < TWIN_PAIR_SHARE;
            if !twin {
                continue;
            }
            pairs += 1;
            let elder = draw_person_with_identity(
                4,
                index - 1,
                initial,
                &timeline,
                &table,
            );
            let younger =
                draw_person_with_identity(4, index, initial, &timeline, &table);
            assert_eq!(elder.sex, younger.sex);
            assert_eq!(elder.birth, younger.birth);
            assert_eq!(elder.departement, younger.departement);
            assert_eq!(elder.birth_name(), younger.birth_name());
            assert_ne!(elder.first_name(), younger.first_name());
            assert_ne!(elder.nir(), younger.nir());
            assert_eq!(elder.nir()[..10], younger.nir()[..10]);
        }
        // One pair per 500 pairs: 200 expected, Poisson range.
        assert!((150..=250).contains(&pairs), "{pairs} twin pairs");
    }

    /// Draws a person and gives it an identity even without records.
    fn draw_person_with_identity(
        seed: u64,
        index: u64,
        initial: u64,
        timeline: &Timeline,
        table: &IncidenceTable,
    ) -> Person {
        let mut person = draw_person(seed, index, initial, timeline, table);
        if person.identity.is_none() {
            let twin = index % 2 == 1
                && person_rng(seed, index, Stream::Base).random::<f64>()
                    < TWIN_PAIR_SHARE;
            let mut identity = draw_names(
                &mut person_rng(seed, index, Stream::Names),
                &person,
                timeline,
            );
            if twin {
                let elder = draw_names(
                    &mut person_rng(seed, index - 1, Stream::Names),
                    &person,
                    timeline,
                );
                make_twin(
                    &mut person_rng(seed, index, Stream::Twin),
                    &mut identity,
                    &elder,
                    &person,
                );
            }
            person.identity = Some(identity);
        }
        person
    }

    #[test]
    fn moves_change_residence() {
        // About 3 % of persons move in a year (estimate of MOVE_SHARE).
        let timeline = Timeline::new(2023, 2023);
        let persons = draw(6, 20_000, &timeline);
        let moved = persons.iter().filter(|p| p.moved.is_some()).count();
        let share = moved as f64 / persons.len() as f64;
        assert!((0.02..0.04).contains(&share), "move share {share}");
        for person in persons.iter().filter(|p| p.moved.is_some()) {
            let (date, to) = person.moved.unwrap();
            assert_ne!(to, person.departement);
            assert_eq!(person.departement_on(date), to);
            assert_eq!(
                person.departement_on(date - Duration::days(1)),
                person.departement
            );
        }
    }
}
