//! Source records drawn from the true tumours, with the identifier noise of
//! real feeds.
//!
//! Noise rates are per record, chosen to resemble what French registries
//! report for their sources (estimates, not measured figures):
//!
//! | noise | rate |
//! |---|---|
//! | NIR missing | hospital stay 3 %, pathology report 40 %, registry extract 15 %, death record 5 %, long-term illness 0.5 %, screening 10 % |
//! | NIR with one wrong digit (key then invalid) | 1 % of written NIRs |
//! | usage name written as birth name, usage name empty | 30 % of the records of women with a usage name |
//! | one typo in the birth or first name | 3 % |
//! | first name missing | 1 % |
//! | birth day and month swapped (when the swap is a real date) | 1 % |
//! | birth day unknown (`99`) | 0.5 % |
//!
//! Letter case and accents follow the source: registries write names in
//! title case with accents, pathology laboratories in upper or title case
//! with accents, hospitals, death certificates and screening centres in
//! upper case without accents. Long-term illness declarations carry no
//! name.

use chrono::{Datelike, Duration, NaiveDate};
use rand::Rng;
use rnc_model::SourceKind;

use crate::demography::{self, DEPARTEMENTS};
use crate::names;
use crate::pathway;
use crate::population::{DeathCause, Person, Timeline, Tumour};
use crate::sites::SITE_GROUPS;

/// A file written by [`crate::write_synthetic`] that a source would send:
/// the four feeds ingestion reads, then the long-term illness and
/// screening feeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Feed {
    /// `registry_extract.csv`.
    RegistryExtract,
    /// `hospital_stay.csv`.
    HospitalStay,
    /// `pathology_report.csv`.
    PathologyReport,
    /// `death_record.csv`.
    DeathRecord,
    /// `long_term_illness.csv`: ALD 30 declarations.
    LongTermIllness,
    /// `screening.csv`: tests of the organised screening programmes.
    Screening,
}

impl Feed {
    /// Every feed, in file-writing order.
    pub const ALL: [Feed; 6] = [
        Feed::RegistryExtract,
        Feed::HospitalStay,
        Feed::PathologyReport,
        Feed::DeathRecord,
        Feed::LongTermIllness,
        Feed::Screening,
    ];

    /// Name of the feed, which is also its file stem and the prefix of its
    /// record ids in `truth/records.csv`.
    pub fn name(self) -> &'static str {
        self.kind().name()
    }

    /// Returns the source kind ingestion reads this feed as. Every feed
    /// has one, since ingestion reads long-term illness and screening too.
    pub fn source_kind(self) -> Option<SourceKind> {
        Some(self.kind())
    }

    fn kind(self) -> SourceKind {
        match self {
            Feed::RegistryExtract => SourceKind::RegistryExtract,
            Feed::HospitalStay => SourceKind::HospitalStay,
            Feed::PathologyReport => SourceKind::PathologyReport,
            Feed::DeathRecord => SourceKind::DeathRecord,
            Feed::LongTermIllness => SourceKind::LongTermIllness,
            Feed::Screening => SourceKind::Screening,
        }
    }

    /// Position in [`Feed::ALL`].
    pub(crate) fn index(self) -> usize {
        Feed::ALL
            .iter()
            .position(|f| *f == self)
            .expect("every feed is listed")
    }

    /// Column names of the file, in order.
    pub(crate) fn columns(self) -> &'static [&'static str] {
        match self {
            Feed::RegistryExtract => &REGISTRY_COLUMNS,
            Feed::HospitalStay => &HOSPITAL_COLUMNS,
            Feed::PathologyReport => &PATHOLOGY_COLUMNS,
            Feed::DeathRecord => &DEATH_COLUMNS,
            Feed::LongTermIllness => &LONG_TERM_ILLNESS_COLUMNS,
            Feed::Screening => &SCREENING_COLUMNS,
        }
    }

    /// Prefix of the record ids: `R…`, `S…`, `P…`, `D…`, `A…`, `K…`.
    pub(crate) fn id_prefix(self) -> char {
        match self {
            Feed::RegistryExtract => 'R',
            Feed::HospitalStay => 'S',
            Feed::PathologyReport => 'P',
            Feed::DeathRecord => 'D',
            Feed::LongTermIllness => 'A',
            Feed::Screening => 'K',
        }
    }

    fn nir_missing_share(self) -> f64 {
        match self {
            Feed::HospitalStay => 0.03,
            Feed::PathologyReport => 0.40,
            Feed::RegistryExtract => 0.15,
            Feed::DeathRecord => 0.05,
            Feed::LongTermIllness => 0.005,
            Feed::Screening => 0.10,
        }
    }
}

/// Share of written NIRs that carry a one-digit typo.
pub(crate) const NIR_TYPO_SHARE: f64 = 0.01;

/// Share of birth dates written with an unknown day (`99`).
pub(crate) const UNKNOWN_BIRTH_DAY_SHARE: f64 = 0.005;

/// Share of records with the first name missing, in feeds that carry it.
pub(crate) const FIRST_NAME_MISSING_SHARE: f64 = 0.01;

/// Expected share of records of `feed` whose NIR is empty.
pub(crate) fn nir_missing_share(feed: Feed) -> f64 {
    feed.nir_missing_share()
}

/// One drawn row of a feed. The first field is the record id, filled in
/// once the rows are shuffled.
pub(crate) struct Row {
    pub feed: Feed,
    pub fields: Vec<String>,
    pub person_id: u64,
    pub tumour_id: Option<u64>,
}

/// Columns of `registry_extract.csv`.
pub(crate) const REGISTRY_COLUMNS: [&str; 17] = [
    "tumour_ref",
    "registry",
    "nir",
    "birth_name",
    "usage_name",
    "first_name",
    "sex",
    "birth_date",
    "departement",
    "incidence_date",
    "topography",
    "morphology",
    "behaviour",
    "grade",
    "basis_of_diagnosis",
    "death_date",
    "last_contact_date",
];

/// Columns of `hospital_stay.csv`.
pub(crate) const HOSPITAL_COLUMNS: [&str; 12] = [
    "stay_id",
    "finess",
    "nir",
    "birth_name",
    "first_name",
    "sex",
    "birth_date",
    "departement",
    "admission_date",
    "discharge_date",
    "main_diagnosis",
    "associated_diagnoses",
];

/// Columns of `pathology_report.csv`.
pub(crate) const PATHOLOGY_COLUMNS: [&str; 15] = [
    "report_id",
    "laboratory",
    "nir",
    "birth_name",
    "usage_name",
    "first_name",
    "sex",
    "birth_date",
    "departement",
    "specimen_date",
    "report_date",
    "topography",
    "morphology",
    "behaviour",
    "grade",
];

/// Columns of `death_record.csv`.
pub(crate) const DEATH_COLUMNS: [&str; 11] = [
    "certificate_id",
    "nir",
    "birth_name",
    "usage_name",
    "first_name",
    "sex",
    "birth_date",
    "departement",
    "death_date",
    "underlying_cause",
    "associated_causes",
];

/// Columns of `long_term_illness.csv`.
pub(crate) const LONG_TERM_ILLNESS_COLUMNS: [&str; 7] = [
    "ald_id",
    "nir",
    "sex",
    "birth_date",
    "departement",
    "icd10",
    "start_date",
];

/// Columns of `screening.csv`.
pub(crate) const SCREENING_COLUMNS: [&str; 12] = [
    "screening_id",
    "programme",
    "test",
    "nir",
    "birth_name",
    "usage_name",
    "first_name",
    "sex",
    "birth_date",
    "departement",
    "test_date",
    "result",
];

/// Identifying fields of one record, as the source writes them.
pub(crate) struct Identity {
    pub nir: String,
    pub birth_name: String,
    pub usage_name: String,
    pub first_name: String,
    pub birth_date: String,
}

pub(crate) fn date(value: NaiveDate) -> String {
    value.format("%Y-%m-%d").to_string()
}

/// Writes the identity of `person` as feed `kind` would, with noise.
pub(crate) fn render_identity<R: Rng>(
    rng: &mut R,
    person: &Person,
    kind: Feed,
) -> Identity {
    let nir = if rng.random::<f64>() < kind.nir_missing_share() {
        String::new()
    } else if rng.random::<f64>() < NIR_TYPO_SHARE {
        mistype_nir(rng, &person.nir())
    } else {
        person.nir()
    };

    // The classic error: the usage (married) name written as the birth
    // name, with no usage name.
    let (mut birth_name, usage_name) = match person.usage_name() {
        Some(usage) if rng.random::<f64>() < 0.3 => {
            (usage.to_string(), String::new())
        }
        Some(usage) => (person.birth_name().to_string(), usage.to_string()),
        None => (person.birth_name().to_string(), String::new()),
    };
    let mut first_name = person.first_name().to_string();
    if rng.random::<f64>() < 0.03 {
        if rng.random::<f64>() < 0.7 {
            birth_name = names::add_typo(rng, &birth_name);
        } else {
            first_name = names::add_typo(rng, &first_name);
        }
    }
    if rng.random::<f64>() < FIRST_NAME_MISSING_SHARE {
        first_name.clear();
    }

    // One style per record: a laboratory writes all names of a report
    // the same way.
    let title = match kind {
        Feed::RegistryExtract => true,
        Feed::PathologyReport => rng.random::<f64>() < 0.5,
        _ => false,
    };
    let plain = !matches!(kind, Feed::RegistryExtract | Feed::PathologyReport);
    let style = |text: &str| -> String {
        if title {
            names::title_case(text)
        } else if plain {
            names::strip_accents(text)
        } else {
            text.to_string()
        }
    };
    Identity {
        nir,
        birth_name: style(&birth_name),
        usage_name: style(&usage_name),
        first_name: style(&first_name),
        birth_date: render_birth_date(rng, person.birth),
    }
}

/// Changes one digit of the NIR. The key then no longer matches, because
/// 97 is prime and divides no single-digit change `d * 10^k`.
fn mistype_nir<R: Rng>(rng: &mut R, nir: &str) -> String {
    let mut bytes = nir.as_bytes().to_vec();
    let digits: Vec<usize> =
        (0..13).filter(|i| bytes[*i].is_ascii_digit()).collect();
    let position = digits[rng.random_range(0..digits.len())];
    let original = bytes[position];
    let mut replacement = original;
    while replacement == original {
        replacement = b'0' + rng.random_range(0..10u8);
    }
    bytes[position] = replacement;
    String::from_utf8(bytes).expect("ASCII digits")
}

fn render_birth_date<R: Rng>(rng: &mut R, birth: NaiveDate) -> String {
    let draw: f64 = rng.random();
    if draw < 0.01 {
        let swapped =
            NaiveDate::from_ymd_opt(birth.year(), birth.day(), birth.month());
        if let Some(swapped) = swapped
            && swapped != birth
        {
            return date(swapped);
        }
    } else if draw < 0.01 + UNKNOWN_BIRTH_DAY_SHARE {
        return format!("{:04}-{:02}-99", birth.year(), birth.month());
    }
    date(birth)
}

/// Establishments (FINESS-shaped numbers) of a département: the
/// département code then digits, one establishment per 300 000 inhabitants
/// (at least one). They are synthetic: no check digit is computed.
pub(crate) fn finess(departement: usize, rank: u32) -> String {
    let code = DEPARTEMENTS[departement].code;
    let width = 9 - code.len();
    format!("{code}{:0width$}", 10_001 + rank * 1_013)
}

pub(crate) fn establishment_count(departement: usize) -> u32 {
    (DEPARTEMENTS[departement].thousands / 300).clamp(1, 8)
}

/// Département of care on `date`: the residence for 90 % of records,
/// otherwise a département with a regional cancer centre (Paris, Lyon,
/// Marseille, Toulouse, Bordeaux).
pub(crate) fn care_departement<R: Rng>(
    rng: &mut R,
    person: &Person,
    date: NaiveDate,
) -> usize {
    if rng.random::<f64>() < 0.9 {
        return person.departement_on(date);
    }
    let centres = ["75", "69", "13", "31", "33"];
    let code = centres[rng.random_range(0..centres.len())];
    DEPARTEMENTS
        .iter()
        .position(|d| d.code == code)
        .expect("listed département")
}

/// Draws every source record of a person: per tumour its pathology
/// reports, hospital stays, registry row and long-term illness
/// declaration, then its death certificate and its screening tests.
pub(crate) fn draw_rows<R: Rng>(
    rng: &mut R,
    person: &Person,
    timeline: &Timeline,
) -> Vec<Row> {
    let mut rows = Vec::new();

    // Records stop at death and at the end of the last year.
    let limit = person.death.unwrap_or(timeline.end).min(timeline.end);
    for tumour in person.tumours.iter().filter(|t| !t.death_certificate_only) {
        let reports = draw_pathology(rng, person, tumour, limit, timeline.end);
        let histology = !reports.is_empty();
        rows.extend(reports);
        rows.extend(pathway::draw_stays(rng, person, tumour, limit, histology));
        let departement = person.departement_code_on(tumour.incidence);
        if let Some(registry) = demography::registry_of(departement) {
            rows.push(registry_row(
                rng, person, tumour, registry, histology, timeline,
            ));
        }
        if let Some(row) = long_term_illness_row(rng, person, tumour, limit) {
            rows.push(row);
        }
    }
    if let Some(death) = person.death
        && !person.tumours.is_empty()
    {
        rows.push(death_row(rng, person, death));
    }
    for test in &person.screening {
        rows.push(screening_row(rng, person, test));
    }
    rows
}

/// Pathology reports: none for about 8 % of tumours (clinical diagnoses),
/// one for most, two (biopsy then resection) for about a fifth. The first
/// specimen is taken on the incidence date, which is the top of the ENCR
/// hierarchy of incidence dates.
fn draw_pathology<R: Rng>(
    rng: &mut R,
    person: &Person,
    tumour: &Tumour,
    limit: NaiveDate,
    end: NaiveDate,
) -> Vec<Row> {
    let draw: f64 = rng.random();
    let count = if draw < 0.08 {
        0
    } else if draw < 0.82 {
        1
    } else {
        2
    };
    let mut rows = Vec::new();
    for number in 0..count {
        let specimen = if number == 0 {
            tumour.incidence
        } else {
            tumour.incidence + Duration::days(rng.random_range(10..=60))
        };
        if specimen > limit {
            break;
        }
        let report =
            (specimen + Duration::days(rng.random_range(2..=15))).min(end);
        let identity = render_identity(rng, person, Feed::PathologyReport);
        let place = care_departement(rng, person, specimen);
        let laboratory = format!(
            "ACP{}{:02}",
            DEPARTEMENTS[place].code,
            rng.random_range(1..=establishment_count(place) + 1)
        );
        let departement = if rng.random::<f64>() < 0.85 {
            person.departement_code_on(specimen).to_string()
        } else {
            String::new()
        };
        let (group, mut detail) = tumour.codes.topography;

        // About 10 % of reports code a solid tumour's site as NOS: the
        // specimen does not always show the sub-site. NOS is .9 in most
        // groups, but not all (C21.0 anus, C22.0 liver, C38.8 pleura).
        if !SITE_GROUPS[tumour.group].haematological
            && rng.random::<f64>() < 0.1
            && let Some(nos) = rnc_codes::unspecified_part(group)
        {
            detail = nos.detail();
        }
        let grade = if number == 0 && rng.random::<f64>() < 0.5 {
            None
        } else {
            tumour.codes.grade
        };
        rows.push(Row {
            feed: Feed::PathologyReport,
            fields: vec![
                String::new(),
                laboratory,
                identity.nir,
                identity.birth_name,
                identity.usage_name,
                identity.first_name,
                (person.sex + 1).to_string(),
                identity.birth_date,
                departement,
                date(specimen),
                date(report),
                format!("C{group:02}.{detail}"),
                format!("{:04}", tumour.codes.histology),
                "3".to_string(),
                grade.map(|g| g.to_string()).unwrap_or_default(),
            ],
            person_id: person.id,
            tumour_id: Some(tumour.id),
        });
    }
    rows
}

/// Builds the regional registry's row for a tumour, with basis of diagnosis 7
/// (histology of the primary) when a pathology report exists, otherwise 2
/// (clinical investigation) or 1 (clinical only).
fn registry_row<R: Rng>(
    rng: &mut R,
    person: &Person,
    tumour: &Tumour,
    registry: &str,
    histology: bool,
    timeline: &Timeline,
) -> Row {
    let identity = render_identity(rng, person, Feed::RegistryExtract);
    let basis = if histology {
        7
    } else if rng.random::<f64>() < 0.7 {
        2
    } else {
        1
    };
    let last_contact = match person.death {
        Some(death) => death,
        None => (timeline.end - Duration::days(rng.random_range(0..=120)))
            .max(tumour.incidence),
    };
    let (group, detail) = tumour.codes.topography;
    Row {
        feed: Feed::RegistryExtract,
        fields: vec![
            String::new(),
            registry.to_string(),
            identity.nir,
            identity.birth_name,
            identity.usage_name,
            identity.first_name,
            (person.sex + 1).to_string(),
            identity.birth_date,
            person.departement_code_on(tumour.incidence).to_string(),
            date(tumour.incidence),
            format!("C{group:02}.{detail}"),
            format!("{:04}", tumour.codes.histology),
            "3".to_string(),
            tumour
                .codes
                .grade
                .map(|g| g.to_string())
                .unwrap_or_default(),
            basis.to_string(),
            person.death.map(date).unwrap_or_default(),
            date(last_contact),
        ],
        person_id: person.id,
        tumour_id: Some(tumour.id),
    }
}

/// Share of tumours with an ALD 30 declaration (estimate). Nearly every
/// patient treated for cancer is exempted, but some already were for
/// another cancer or never apply.
pub(crate) const LONG_TERM_ILLNESS_SHARE: f64 = 0.9;

/// Builds the ALD 30 (long-term illness, malignant tumour) declaration of a
/// tumour: 90 % of tumours, starting two to twelve weeks after diagnosis,
/// coded in ICD-10 by the treating doctor, with three characters only in a
/// fifth of declarations (estimate). None when the start falls after death
/// or the end of the period.
fn long_term_illness_row<R: Rng>(
    rng: &mut R,
    person: &Person,
    tumour: &Tumour,
    limit: NaiveDate,
) -> Option<Row> {
    if rng.random::<f64>() >= LONG_TERM_ILLNESS_SHARE {
        return None;
    }
    let start = tumour.incidence + Duration::days(rng.random_range(14..=84));
    if start > limit {
        return None;
    }
    let code = &tumour.codes.icd10;
    let icd10 = if rng.random::<f64>() < 0.2 {
        code[..3].to_string()
    } else {
        code.clone()
    };
    let identity = render_identity(rng, person, Feed::LongTermIllness);
    Some(Row {
        feed: Feed::LongTermIllness,
        fields: vec![
            String::new(),
            identity.nir,
            (person.sex + 1).to_string(),
            identity.birth_date,
            person.departement_code_on(start).to_string(),
            icd10,
            date(start),
        ],
        person_id: person.id,
        tumour_id: Some(tumour.id),
    })
}

/// Builds the row of one screening test; the test that found a cancer
/// carries that tumour in the truth.
fn screening_row<R: Rng>(
    rng: &mut R,
    person: &Person,
    test: &crate::screening::ScreeningTest,
) -> Row {
    let identity = render_identity(rng, person, Feed::Screening);
    Row {
        feed: Feed::Screening,
        fields: vec![
            String::new(),
            test.programme.name().to_string(),
            test.test.to_string(),
            identity.nir,
            identity.birth_name,
            identity.usage_name,
            identity.first_name,
            (person.sex + 1).to_string(),
            identity.birth_date,
            person.departement_code_on(test.date).to_string(),
            date(test.date),
            test.result.label().to_string(),
        ],
        person_id: person.id,
        tumour_id: test.tumour.map(|index| person.tumours[index].id),
    }
}

/// Builds the death certificate of a cancer patient. A cancer death names
/// the tumour as underlying cause. A death from another cause mentions the
/// cancer among the associated causes in about 60 % of certificates.
fn death_row<R: Rng>(rng: &mut R, person: &Person, death: NaiveDate) -> Row {
    let identity = render_identity(rng, person, Feed::DeathRecord);
    let (underlying, tumour_id, mut associated) = match person.death_cause {
        Some(DeathCause::Tumour(index)) => {
            let tumour = &person.tumours[index];
            let mut associated = Vec::new();
            if !tumour.death_certificate_only && rng.random::<f64>() < 0.4 {
                let secondary = ["C78.7", "C79.5", "C78.0", "C79.3"];
                associated.push(
                    secondary[rng.random_range(0..secondary.len())].to_string(),
                );
            }
            (tumour.codes.icd10.clone(), Some(tumour.id), associated)
        }
        Some(DeathCause::Other(code)) => {
            let mentioned: Vec<String> = person
                .tumours
                .iter()
                .filter(|_| rng.random::<f64>() < 0.6)
                .map(|t| t.codes.icd10.clone())
                .collect();
            (code.to_string(), None, mentioned)
        }
        None => unreachable!("death_row is called for dead persons only"),
    };
    if rng.random::<f64>() < 0.2 {
        associated.push("I10".to_string());
    }
    Row {
        feed: Feed::DeathRecord,
        fields: vec![
            String::new(),
            identity.nir,
            identity.birth_name,
            identity.usage_name,
            identity.first_name,
            (person.sex + 1).to_string(),
            identity.birth_date,
            person.departement_code_on(death).to_string(),
            date(death),
            underlying,
            associated.join("|"),
        ],
        person_id: person.id,
        tumour_id,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;
    use rnc_model::NirStatus;
    use rnc_model::nir::check_nir;

    #[test]
    fn mistyped_nir_is_invalid() {
        let mut rng = ChaCha8Rng::seed_from_u64(8);
        for nir in ["255081416802538", "253072B07300470", "195109935012345"] {
            let first_13 = &nir[..13];
            let key = rnc_model::nir::nir_key(first_13).unwrap();
            let valid = format!("{first_13}{key:02}");
            assert_eq!(check_nir(&valid).status, NirStatus::Valid);
            for _ in 0..100 {
                let typed = mistype_nir(&mut rng, &valid);
                assert_eq!(check_nir(&typed).status, NirStatus::Invalid);
            }
        }
    }

    #[test]
    fn swapped_birth_dates_are_real() {
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        let birth = NaiveDate::from_ymd_opt(1950, 3, 25).unwrap();
        for _ in 0..2_000 {
            let text = render_birth_date(&mut rng, birth);
            let parsed = rnc_model::PartialDate::parse_iso(&text).unwrap();
            assert_eq!(parsed.year(), 1950);
        }
    }

    #[test]
    fn finess_has_nine_characters() {
        for (index, departement) in DEPARTEMENTS.iter().enumerate() {
            let id = finess(index, 7);
            assert_eq!(id.len(), 9);
            assert!(id.starts_with(departement.code));
        }
    }
}
