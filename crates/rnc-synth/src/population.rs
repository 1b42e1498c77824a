//! The synthetic persons: who they are, where they live, when they are born
//! and die, and which tumours they get.

use chrono::{Datelike, Duration, NaiveDate};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use crate::demography::{
    self, AGE_BANDS, BIRTH_RATE, DEPARTEMENTS, PYRAMID_THOUSANDS,
};
use crate::names;
use crate::sites::{self, SITE_GROUPS, TumourCodes};

/// Share of cancer patients who get a second primary tumour.
pub(crate) const SECOND_PRIMARY_SHARE: f64 = 0.065;

/// Share of first tumours known only from the death certificate (DCO).
/// French registries report DCO proportions of about 1-2 %.
const DCO_SHARE: f64 = 0.015;

/// Share of women aged 25 or more who use a spouse's name.
const MARRIED_NAME_SHARE: f64 = 0.6;

/// Probability that a person starts a same-sex twin pair with the next
/// person: about one pair per 1 000 persons.
const TWIN_SHARE: f64 = 0.001;

/// Purpose of a random stream, so that each step of one person draws from
/// its own stream and output does not depend on thread scheduling.
#[derive(Clone, Copy)]
pub(crate) enum Stream {
    Identity = 0,
    Life = 1,
    Records = 2,
}

/// Creates the random stream of one person for one step.
pub(crate) fn person_rng(seed: u64, index: u64, stream: Stream) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(index * 4 + stream as u64);
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
    /// Global id, numbered from 1 in person order once all lives are drawn.
    pub id: u64,
    /// Index in [`SITE_GROUPS`].
    pub group: usize,
    /// ICD-O-3 and ICD-10 codes.
    pub codes: TumourCodes,
    /// Incidence date.
    pub incidence: NaiveDate,
    /// Known only from the death certificate.
    pub death_certificate_only: bool,
}

/// A synthetic person. Identifiers are made up; `Debug` is not derived so
/// that they cannot reach a log.
pub(crate) struct Person {
    /// Id from 1.
    pub id: u64,
    /// 0 men, 1 women.
    pub sex: usize,
    pub birth: NaiveDate,
    /// Index in [`DEPARTEMENTS`] of the residence.
    pub departement: usize,
    pub birth_name: &'static str,
    pub usage_name: Option<&'static str>,
    pub first_name: &'static str,
    /// Place of birth as written in the NIR: département and commune, or
    /// 99 and a country code (five characters).
    pub birth_place: String,
    /// NIR order number (1-999).
    pub order: u16,
    /// Death date when it falls on or before the end of the last year.
    pub death: Option<NaiveDate>,
    pub death_cause: Option<DeathCause>,
    pub tumours: Vec<Tumour>,
}

impl Person {
    /// Builds the person's NIR with its key (15 characters).
    pub(crate) fn nir(&self) -> String {
        let first_13 = format!(
            "{}{:02}{:02}{}{:03}",
            self.sex + 1,
            self.birth.year() % 100,
            self.birth.month(),
            self.birth_place,
            self.order
        );
        let key = rnc_model::nir::nir_key(&first_13)
            .expect("the NIR is built from digits and 2A/2B only");
        format!("{first_13}{key:02}")
    }

    /// Residence département code.
    pub(crate) fn departement_code(&self) -> &'static str {
        DEPARTEMENTS[self.departement].code
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

    fn years(&self) -> u32 {
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

/// Draws the identity of every person: sex, birth, residence, names and
/// NIR parts. Persons `0..initial` form the population of 1 January of the
/// first year; the others are born during the years.
pub(crate) fn draw_persons(
    seed: u64,
    persons: u64,
    timeline: &Timeline,
) -> Vec<Person> {
    let initial = initial_population(persons, timeline.years());
    let surnames = names::surnames();
    let mut drawn: Vec<Person> = (0..persons)
        .into_par_iter()
        .map(|index| {
            let mut rng = person_rng(seed, index, Stream::Identity);
            draw_identity(
                &mut rng,
                index,
                index >= initial,
                initial,
                timeline,
                &surnames,
            )
        })
        .collect();
    make_twins(seed, &mut drawn, timeline.start);
    drawn
}

/// Size of the population on 1 January of the first year, so that adding
/// the births of the years gives `persons` in all.
pub(crate) fn initial_population(persons: u64, years: u32) -> u64 {
    let initial = persons as f64 / (1.0 + BIRTH_RATE * f64::from(years));
    (initial.round() as u64).min(persons)
}

fn draw_identity<R: Rng>(
    rng: &mut R,
    index: u64,
    newborn: bool,
    initial: u64,
    timeline: &Timeline,
    surnames: &[&'static str],
) -> Person {
    let (sex, birth) = if newborn {
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
        let age = demography::draw_age(rng, sex);

        // Born within the year before the birthday that makes `age` on
        // 1 January of the first year.
        let anniversary = ymd(timeline.first_year - age as i32, 1, 1);
        (sex, anniversary - Duration::days(rng.random_range(0..365)))
    };
    let departement = demography::draw_departement(rng);
    let birth_place = draw_birth_place(rng, birth.year(), departement);
    let birth_name = names::draw_surname(rng, surnames);
    let first_name = names::draw_first_name(rng, sex, birth.year());
    let adult_woman = sex == 1 && age_on(birth, timeline.start) >= 25;
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
    Person {
        id: index + 1,
        sex,
        birth,
        departement,
        birth_name,
        usage_name,
        first_name,
        birth_place,
        order: rng.random_range(1..=999),
        death: None,
        death_cause: None,
        tumours: Vec::new(),
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

/// Turns about one person in 1 000 into the same-sex twin of the person
/// before: same birth date, surname, place of birth and residence, another
/// first name and NIR order number.
fn make_twins(seed: u64, persons: &mut [Person], start: NaiveDate) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(u64::MAX);
    let mut pairs = 0;
    let mut index = 1;
    while index < persons.len() {
        if rng.random::<f64>() >= TWIN_SHARE {
            index += 1;
            continue;
        }
        let (before, after) = persons.split_at_mut(index);
        let elder = &before[index - 1];
        let twin = &mut after[0];
        twin.sex = elder.sex;
        twin.birth = elder.birth;
        twin.birth_name = elder.birth_name;
        twin.birth_place = elder.birth_place.clone();
        twin.departement = elder.departement;
        twin.order = elder.order % 999 + 1;
        twin.first_name =
            names::draw_first_name(&mut rng, twin.sex, twin.birth.year());
        while twin.first_name == elder.first_name {
            twin.first_name =
                names::draw_first_name(&mut rng, twin.sex, twin.birth.year());
        }
        if twin.sex == 0 || age_on(twin.birth, start) < 25 {
            twin.usage_name = None;
        }
        pairs += 1;

        // Skip the twin so that no person is in two pairs.
        index += 2;
    }
    tracing::debug!(pairs, "twin pairs drawn");
}

/// Cancer hazard per person-year by sex, age band and site group.
pub(crate) struct IncidenceTable {
    /// `rates[sex][band][group]`.
    rates: Vec<Vec<Vec<f64>>>,
    /// Sum over groups of `rates[sex][band]`.
    totals: Vec<Vec<f64>>,
}

impl IncidenceTable {
    /// Calibrates the hazards so that a population shaped like the INSEE
    /// pyramid gets the national counts of [`SITE_GROUPS`] in proportion,
    /// counting second primaries in.
    pub(crate) fn new() -> IncidenceTable {
        let mut rates = vec![vec![vec![0.0; SITE_GROUPS.len()]; AGE_BANDS]; 2];
        for (group_index, group) in SITE_GROUPS.iter().enumerate() {
            let by_age = sites::case_age_distribution(group);
            for sex in 0..2 {
                for (band, band_rates) in rates[sex].iter_mut().enumerate() {
                    let from = band * 5;
                    let to = if band + 1 == AGE_BANDS {
                        by_age.len()
                    } else {
                        from + 5
                    };
                    let share: f64 = by_age[from..to].iter().sum();
                    let population =
                        f64::from(PYRAMID_THOUSANDS[sex][band]) * 1000.0;
                    band_rates[group_index] = f64::from(group.counts[sex])
                        * share
                        / population
                        / (1.0 + SECOND_PRIMARY_SHARE);
                }
            }
        }
        let totals = rates
            .iter()
            .map(|bands| {
                bands.iter().map(|groups| groups.iter().sum()).collect()
            })
            .collect();
        IncidenceTable { rates, totals }
    }
}

/// Draws each person's life over the years: background death, first
/// cancer, second primary, death from cancer.
pub(crate) fn draw_lives(
    seed: u64,
    persons: &mut [Person],
    timeline: &Timeline,
) {
    let table = IncidenceTable::new();
    persons.par_iter_mut().for_each(|person| {
        let mut rng = person_rng(seed, person.id - 1, Stream::Life);
        draw_life(&mut rng, person, timeline, &table);
    });
}

fn draw_life<R: Rng>(
    rng: &mut R,
    person: &mut Person,
    timeline: &Timeline,
    table: &IncidenceTable,
) {
    let entry = person.birth.max(timeline.start);
    let age_at_entry = (entry - person.birth).num_days() as f64 / 365.25;
    let background_death = add_years(
        entry,
        demography::draw_years_to_death(rng, person.sex, age_at_entry),
    );
    let after_end = timeline.end + Duration::days(1);

    let Some((group, incidence)) =
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
        // (ENCR rule), and nothing else records the tumour.
        person.tumours.push(Tumour {
            id: 0,
            group,
            codes,
            incidence,
            death_certificate_only: true,
        });
        person.death = Some(incidence);
        person.death_cause = Some(DeathCause::Tumour(0));
        return;
    }

    let first_death = add_years(
        incidence,
        sites::draw_years_to_cancer_death(rng, &SITE_GROUPS[group]),
    );
    person.tumours.push(Tumour {
        id: 0,
        group,
        codes,
        incidence,
        death_certificate_only: false,
    });
    let mut deaths = vec![(
        background_death,
        DeathCause::Other(pick_weighted(rng, &OTHER_CAUSES)),
    )];
    deaths.push((first_death, DeathCause::Tumour(0)));

    if rng.random::<f64>() < SECOND_PRIMARY_SHARE {
        let limit = background_death.min(first_death).min(after_end);
        let span = (limit - incidence).num_days().max(1);
        let second_incidence =
            incidence + Duration::days(rng.random_range(0..span));
        let (second_group, second_codes) =
            draw_second_primary(rng, person, group);
        let second_death = add_years(
            second_incidence,
            sites::draw_years_to_cancer_death(rng, &SITE_GROUPS[second_group]),
        );
        person.tumours.push(Tumour {
            id: 0,
            group: second_group,
            codes: second_codes,
            incidence: second_incidence,
            death_certificate_only: false,
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

/// Draws year by year whether the person gets a first cancer, returning
/// its site group and incidence date.
fn draw_first_cancer<R: Rng>(
    rng: &mut R,
    person: &Person,
    timeline: &Timeline,
    table: &IncidenceTable,
    background_death: NaiveDate,
) -> Option<(usize, NaiveDate)> {
    for year in timeline.first_year..=timeline.last_year {
        let from = ymd(year, 1, 1).max(person.birth);
        let to = ymd(year + 1, 1, 1).min(background_death);
        let days = (to - from).num_days();
        if days <= 0 {
            continue;
        }

        // Hazards are per mid-year person, so the band is the age on
        // 1 July, as in population.csv.
        let band = demography::age_band(age_on(person.birth, ymd(year, 7, 1)));
        let hazard = table.totals[person.sex][band];
        let probability = 1.0 - (-hazard * days as f64 / 365.25).exp();
        if rng.random::<f64>() >= probability {
            continue;
        }
        let incidence = from + Duration::days(rng.random_range(0..days));
        let rates = &table.rates[person.sex][band];
        let mut value = rng.random::<f64>() * hazard;
        let mut group = rates.len() - 1;
        for (index, rate) in rates.iter().enumerate() {
            if value < *rate {
                group = index;
                break;
            }
            value -= rate;
        }
        return Some((group, incidence));
    }
    None
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

/// Mid-year population counts `[year][sex][band][département]`, counted
/// from the persons alive on 1 July of each year.
pub(crate) fn count_population(
    persons: &[Person],
    timeline: &Timeline,
) -> Vec<Vec<Vec<Vec<u64>>>> {
    let years = timeline.years() as usize;
    let mut counts =
        vec![vec![vec![vec![0u64; DEPARTEMENTS.len()]; AGE_BANDS]; 2]; years];
    for person in persons {
        for (offset, year_counts) in counts.iter_mut().enumerate() {
            let mid_year = ymd(timeline.first_year + offset as i32, 7, 1);
            let alive = person.birth <= mid_year
                && person.death.is_none_or(|d| d > mid_year);
            if alive {
                let band = demography::age_band(age_on(person.birth, mid_year));
                year_counts[person.sex][band][person.departement] += 1;
            }
        }
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nir_is_valid() {
        let timeline = Timeline::new(2021, 2022);
        let persons = draw_persons(11, 2_000, &timeline);
        for person in &persons {
            let check = rnc_model::nir::check_nir(&person.nir());
            assert_eq!(check.status, rnc_model::NirStatus::Valid);
        }
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
        let persons = draw_persons(4, 20_000, &timeline);
        let twins = persons
            .windows(2)
            .filter(|pair| {
                pair[0].birth == pair[1].birth
                    && pair[0].birth_name == pair[1].birth_name
                    && pair[0].birth_place == pair[1].birth_place
                    && pair[0].sex == pair[1].sex
            })
            .count();
        // About one pair per 1 000 persons: 20 expected, Poisson range.
        assert!((5..=40).contains(&twins), "{twins} twin pairs");
        for pair in persons.windows(2) {
            if pair[0].birth == pair[1].birth
                && pair[0].birth_place == pair[1].birth_place
            {
                assert_ne!(pair[0].nir(), pair[1].nir());
            }
        }
    }
}
