//! Source records drawn from the true tumours, with the identifier noise of
//! real feeds.
//!
//! Which noise each record may carry, and how often, is set per feed by
//! [`crate::NoiseConfig`]; the truth records the noise each record got.
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
use crate::noise::{Applied, FeedNoise, NoiseConfig, NoiseKind};
use crate::pathway;
use crate::population::{DeathCause, Person, Timeline, Tumour};
use crate::sites::{SITE_GROUPS, Stage};
use crate::treatment::{TREATMENT_COLUMNS, TruthPathway, draw_treatments};
use crate::{ScreeningScope, SynthConfig};

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
    /// `treatment.csv`: surgery acts, private radiotherapy courses and
    /// oral anticancer drugs.
    Treatment,
}

impl Feed {
    /// Every feed, in file-writing order.
    pub const ALL: [Feed; 7] = [
        Feed::RegistryExtract,
        Feed::HospitalStay,
        Feed::PathologyReport,
        Feed::DeathRecord,
        Feed::LongTermIllness,
        Feed::Screening,
        Feed::Treatment,
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
            Feed::Treatment => SourceKind::Treatment,
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
            Feed::Treatment => &TREATMENT_COLUMNS,
        }
    }

    /// Prefix of the record ids: `R…`, `S…`, `P…`, `D…`, `A…`, `K…`, `C…`.
    pub(crate) fn id_prefix(self) -> char {
        match self {
            Feed::RegistryExtract => 'R',
            Feed::HospitalStay => 'S',
            Feed::PathologyReport => 'P',
            Feed::DeathRecord => 'D',
            Feed::LongTermIllness => 'A',
            Feed::Screening => 'K',
            Feed::Treatment => 'C',
        }
    }

    /// Position of the `departement` column.
    fn departement_column(self) -> usize {
        self.columns()
            .iter()
            .position(|c| *c == "departement")
            .expect("every feed has a departement column")
    }
}

/// One drawn row of a feed. The first field is the record id, filled in
/// once the rows are shuffled.
pub(crate) struct Row {
    pub feed: Feed,
    pub fields: Vec<String>,
    pub person_id: u64,
    pub tumour_id: Option<u64>,
    /// Calendar year of the file that carries the row: the year of its
    /// reference date, or the next one for a late record.
    pub period: i32,
    /// Noise the row got, duplicate submissions included.
    pub noise: Applied,
}

/// A feed row before its file-level noise.
pub(crate) struct Draft {
    pub feed: Feed,
    pub fields: Vec<String>,
    pub tumour_id: Option<u64>,
    /// Calendar year of the record's reference date.
    pub year: i32,
    /// Noise applied so far.
    pub noise: Applied,
}

/// Finishes a row: blanks the département, makes it late and marks it
/// for a duplicate submission, with the feed's shares.
pub(crate) fn finish_row<R: Rng>(
    rng: &mut R,
    draft: Draft,
    person: &Person,
    settings: &NoiseConfig,
) -> Row {
    let Draft {
        feed,
        mut fields,
        tumour_id,
        year,
        mut noise,
    } = draft;
    let shares = settings.feed(feed);
    if rng.random::<f64>() < shares.share(NoiseKind::DepartementMissing) {
        fields[feed.departement_column()].clear();
        noise.add(NoiseKind::DepartementMissing);
    }
    let mut period = year;
    if rng.random::<f64>() < shares.share(NoiseKind::Late) {
        period += 1;
        noise.add(NoiseKind::Late);
    }
    let draw: f64 = rng.random();
    let same_file = shares.share(NoiseKind::DuplicateSameFile);
    if draw < same_file {
        noise.add(NoiseKind::DuplicateSameFile);
    } else if draw < same_file + shares.share(NoiseKind::DuplicateLaterFile) {
        noise.add(NoiseKind::DuplicateLaterFile);
    }
    Row {
        feed,
        fields,
        person_id: person.id,
        tumour_id,
        period,
        noise,
    }
}

/// Columns of `registry_extract.csv`.
pub(crate) const REGISTRY_COLUMNS: [&str; 18] = [
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
    // The simplified stage (I to IV) in the registry extract's TNM stage
    // group column, which ingestion reads; lymphomas carry their Ann Arbor
    // stage there, as the registry's simplified stage does.
    "tnm_stage_group",
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
    /// Noise applied to the identity.
    pub noise: Applied,
    pub nir: String,
    pub birth_name: String,
    pub usage_name: String,
    pub first_name: String,
    pub birth_date: String,
}

pub(crate) fn date(value: NaiveDate) -> String {
    value.format("%Y-%m-%d").to_string()
}

/// Writes the identity of `person` as feed `kind` would, with the noise
/// of `settings`.
pub(crate) fn render_identity<R: Rng>(
    rng: &mut R,
    person: &Person,
    kind: Feed,
    settings: &NoiseConfig,
) -> Identity {
    let shares = settings.feed(kind);
    let mut noise = Applied::default();
    let nir = if rng.random::<f64>() < shares.share(NoiseKind::NirMissing) {
        noise.add(NoiseKind::NirMissing);
        String::new()
    } else {
        let draw: f64 = rng.random();
        let bad_key = shares.share(NoiseKind::NirBadKey);
        if draw < bad_key {
            noise.add(NoiseKind::NirBadKey);
            mistype_nir(rng, &person.nir())
        } else if draw < bad_key + shares.share(NoiseKind::NirOtherPerson) {
            noise.add(NoiseKind::NirOtherPerson);
            other_person_nir(rng, &person.nir())
        } else {
            person.nir()
        }
    };
    if kind == Feed::LongTermIllness {
        let birth_date =
            render_birth_date(rng, person.birth, shares, &mut noise);
        return Identity {
            noise,
            nir,
            birth_name: String::new(),
            usage_name: String::new(),
            first_name: String::new(),
            birth_date,
        };
    }

    // The classic error: the usage (married) name written as the birth
    // name, with no usage name.
    let usage_as_birth = shares.share(NoiseKind::UsageNameAsBirthName);
    let (mut birth_name, usage_name) = match person.usage_name() {
        Some(usage) if rng.random::<f64>() < usage_as_birth => {
            noise.add(NoiseKind::UsageNameAsBirthName);
            (usage.to_string(), String::new())
        }
        Some(usage) => (person.birth_name().to_string(), usage.to_string()),
        None => (person.birth_name().to_string(), String::new()),
    };
    let mut first_name = person.first_name().to_string();
    if rng.random::<f64>() < shares.share(NoiseKind::NameTypo) {
        noise.add(NoiseKind::NameTypo);
        if rng.random::<f64>() < 0.7 {
            birth_name = names::add_typo(rng, &birth_name);
        } else {
            first_name = names::add_typo(rng, &first_name);
        }
    }
    if rng.random::<f64>() < shares.share(NoiseKind::NameSwap) {
        noise.add(NoiseKind::NameSwap);
        std::mem::swap(&mut birth_name, &mut first_name);
    }
    if rng.random::<f64>() < shares.share(NoiseKind::FirstNameMissing) {
        noise.add(NoiseKind::FirstNameMissing);
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
    let birth_date = render_birth_date(rng, person.birth, shares, &mut noise);
    Identity {
        noise,
        nir,
        birth_name: style(&birth_name),
        usage_name: style(&usage_name),
        first_name: style(&first_name),
        birth_date,
    }
}

/// Builds the valid NIR of another person born in the same month and
/// département: a relative or a homonym whose number was picked by
/// mistake. The commune and order number change and the key is
/// recomputed, so only linkage on the other fields can reject it.
fn other_person_nir<R: Rng>(rng: &mut R, nir: &str) -> String {
    loop {
        let mut first_13 = nir[..7].to_string();
        for _ in 7..13 {
            first_13.push(char::from(b'0' + rng.random_range(0..10u8)));
        }
        if first_13 == nir[..13] || first_13[10..13] == *"000" {
            continue;
        }
        let key = rnc_model::nir::nir_key(&first_13)
            .expect("digits after a valid NIR prefix");
        return format!("{first_13}{key:02}");
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

fn render_birth_date<R: Rng>(
    rng: &mut R,
    birth: NaiveDate,
    shares: &FeedNoise,
    noise: &mut Applied,
) -> String {
    let draw: f64 = rng.random();
    let swap = shares.share(NoiseKind::DayMonthSwap);
    if draw < swap {
        let swapped =
            NaiveDate::from_ymd_opt(birth.year(), birth.day(), birth.month());
        if let Some(swapped) = swapped
            && swapped != birth
        {
            noise.add(NoiseKind::DayMonthSwap);
            return date(swapped);
        }
    } else if draw < swap + shares.share(NoiseKind::BirthDayUnknown) {
        noise.add(NoiseKind::BirthDayUnknown);
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
/// declaration, then its death certificate and its screening tests
/// (those within the screening feed's scope). The treatment rows come
/// from `treatment_rng`, so that the other feeds are the same with or
/// without them. Returns the rows and the true pathway of each tumour
/// with records, by tumour id.
pub(crate) fn draw_rows<R: Rng>(
    rng: &mut R,
    treatment_rng: &mut R,
    person: &Person,
    timeline: &Timeline,
    config: &SynthConfig,
) -> (Vec<Row>, Vec<(u64, TruthPathway)>) {
    let noise = &config.noise;
    let mut rows = Vec::new();
    let mut pathways = Vec::new();

    // Records stop at death and at the end of the last year.
    let limit = person.death.unwrap_or(timeline.end).min(timeline.end);
    for tumour in person.tumours.iter().filter(|t| !t.death_certificate_only) {
        let reports =
            draw_pathology(rng, person, tumour, limit, timeline.end, noise);
        let histology = !reports.is_empty();
        rows.extend(reports);
        let (stays, plan) =
            pathway::draw_stays(rng, person, tumour, limit, histology, noise);
        rows.extend(stays);
        let (treatments, truth) =
            draw_treatments(treatment_rng, person, tumour, &plan, limit, noise);
        rows.extend(treatments);
        pathways.push((tumour.id, truth));
        let departement = person.departement_code_on(tumour.incidence);
        if let Some(registry) = demography::registry_of(departement) {
            rows.push(registry_row(
                rng, person, tumour, registry, histology, timeline, noise,
            ));
        }
        if let Some(row) =
            long_term_illness_row(rng, person, tumour, limit, noise)
        {
            rows.push(row);
        }
    }
    if let Some(death) = person.death
        && !person.tumours.is_empty()
    {
        rows.push(death_row(rng, person, death, noise));
    }
    for test in &person.screening {
        let code = person.departement_code_on(test.date);
        let in_scope = match config.screening_scope {
            ScreeningScope::National => true,
            ScreeningScope::RegistryAreas => {
                demography::registry_of(code).is_some()
            }
        };
        if in_scope {
            rows.push(screening_row(rng, person, test, noise));
        }
    }
    (rows, pathways)
}

/// Writes the ICD-O-3 morphology of a tumour for a record, as an
/// unspecified code with the feed's [`NoiseKind::UnspecifiedMorphology`]
/// share: 8010 (carcinoma, NOS) for a carcinoma (8010-8589), 8000
/// (neoplasm, malignant) otherwise.
fn morphology_code<R: Rng>(
    rng: &mut R,
    histology: u16,
    shares: &FeedNoise,
    noise: &mut Applied,
) -> String {
    if rng.random::<f64>() < shares.share(NoiseKind::UnspecifiedMorphology) {
        noise.add(NoiseKind::UnspecifiedMorphology);
        let code = if (8010..=8589).contains(&histology) {
            8010
        } else {
            8000
        };
        return format!("{code:04}");
    }
    format!("{histology:04}")
}

/// Writes an ICD-10 code, cut to its three-character category with the
/// feed's [`NoiseKind::ThreeCharacterIcd10`] share when it has more.
fn icd10_code<R: Rng>(
    rng: &mut R,
    code: &str,
    shares: &FeedNoise,
    noise: &mut Applied,
) -> String {
    let share = shares.share(NoiseKind::ThreeCharacterIcd10);
    if code.len() > 3 && rng.random::<f64>() < share {
        noise.add(NoiseKind::ThreeCharacterIcd10);
        return code[..3].to_string();
    }
    code.to_string()
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
    settings: &NoiseConfig,
) -> Vec<Row> {
    let shares = settings.feed(Feed::PathologyReport);
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
        let mut identity =
            render_identity(rng, person, Feed::PathologyReport, settings);
        let place = care_departement(rng, person, specimen);
        let laboratory = format!(
            "ACP{}{:02}",
            DEPARTEMENTS[place].code,
            rng.random_range(1..=establishment_count(place) + 1)
        );
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
        let morphology = morphology_code(
            rng,
            tumour.codes.histology,
            shares,
            &mut identity.noise,
        );
        let fields = vec![
            String::new(),
            laboratory,
            identity.nir,
            identity.birth_name,
            identity.usage_name,
            identity.first_name,
            (person.sex + 1).to_string(),
            identity.birth_date,
            person.departement_code_on(specimen).to_string(),
            date(specimen),
            date(report),
            format!("C{group:02}.{detail}"),
            morphology,
            "3".to_string(),
            grade.map(|g| g.to_string()).unwrap_or_default(),
        ];
        rows.push(finish_row(
            rng,
            Draft {
                feed: Feed::PathologyReport,
                fields,
                tumour_id: Some(tumour.id),
                year: report.year(),
                noise: identity.noise,
            },
            person,
            settings,
        ));
    }
    rows
}

/// Builds the regional registry's row for a tumour, with basis of diagnosis 7
/// (histology of the primary) when a pathology report exists, otherwise 2
/// (clinical investigation) or 1 (clinical only). The stage column is
/// empty when the stage is unknown.
fn registry_row<R: Rng>(
    rng: &mut R,
    person: &Person,
    tumour: &Tumour,
    registry: &str,
    histology: bool,
    timeline: &Timeline,
    settings: &NoiseConfig,
) -> Row {
    let shares = settings.feed(Feed::RegistryExtract);
    let mut identity =
        render_identity(rng, person, Feed::RegistryExtract, settings);
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
    let morphology = morphology_code(
        rng,
        tumour.codes.histology,
        shares,
        &mut identity.noise,
    );
    let stage = match tumour.stage {
        Stage::Unknown => String::new(),
        known => known.label().to_string(),
    };
    let fields = vec![
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
        morphology,
        "3".to_string(),
        tumour
            .codes
            .grade
            .map(|g| g.to_string())
            .unwrap_or_default(),
        basis.to_string(),
        person.death.map(date).unwrap_or_default(),
        date(last_contact),
        stage,
    ];
    finish_row(
        rng,
        Draft {
            feed: Feed::RegistryExtract,
            fields,
            tumour_id: Some(tumour.id),
            year: tumour.incidence.year(),
            noise: identity.noise,
        },
        person,
        settings,
    )
}

/// Share of tumours with an ALD 30 declaration (estimate). Nearly every
/// patient treated for cancer is exempted, but some already were for
/// another cancer or never apply.
pub(crate) const LONG_TERM_ILLNESS_SHARE: f64 = 0.9;

/// Builds the ALD 30 (long-term illness, malignant tumour) declaration of a
/// tumour: 90 % of tumours, starting two to twelve weeks after diagnosis,
/// coded in ICD-10 by the treating doctor. None when the start falls after
/// death or the end of the period.
fn long_term_illness_row<R: Rng>(
    rng: &mut R,
    person: &Person,
    tumour: &Tumour,
    limit: NaiveDate,
    settings: &NoiseConfig,
) -> Option<Row> {
    if rng.random::<f64>() >= LONG_TERM_ILLNESS_SHARE {
        return None;
    }
    let start = tumour.incidence + Duration::days(rng.random_range(14..=84));
    if start > limit {
        return None;
    }
    let shares = settings.feed(Feed::LongTermIllness);
    let mut identity =
        render_identity(rng, person, Feed::LongTermIllness, settings);
    let icd10 =
        icd10_code(rng, &tumour.codes.icd10, shares, &mut identity.noise);
    let fields = vec![
        String::new(),
        identity.nir,
        (person.sex + 1).to_string(),
        identity.birth_date,
        person.departement_code_on(start).to_string(),
        icd10,
        date(start),
    ];
    Some(finish_row(
        rng,
        Draft {
            feed: Feed::LongTermIllness,
            fields,
            tumour_id: Some(tumour.id),
            year: start.year(),
            noise: identity.noise,
        },
        person,
        settings,
    ))
}

/// Builds the row of one screening test; the test that found a cancer
/// carries that tumour in the truth.
fn screening_row<R: Rng>(
    rng: &mut R,
    person: &Person,
    test: &crate::screening::ScreeningTest,
    settings: &NoiseConfig,
) -> Row {
    let identity = render_identity(rng, person, Feed::Screening, settings);
    let fields = vec![
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
    ];
    finish_row(
        rng,
        Draft {
            feed: Feed::Screening,
            fields,
            tumour_id: test.tumour.map(|index| person.tumours[index].id),
            year: test.date.year(),
            noise: identity.noise,
        },
        person,
        settings,
    )
}

/// Builds the death certificate of a cancer patient. A cancer death names
/// the tumour as underlying cause. A death from another cause mentions the
/// cancer among the associated causes in about 60 % of certificates.
fn death_row<R: Rng>(
    rng: &mut R,
    person: &Person,
    death: NaiveDate,
    settings: &NoiseConfig,
) -> Row {
    let shares = settings.feed(Feed::DeathRecord);
    let mut identity =
        render_identity(rng, person, Feed::DeathRecord, settings);
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
            let code = icd10_code(
                rng,
                &tumour.codes.icd10,
                shares,
                &mut identity.noise,
            );
            (code, Some(tumour.id), associated)
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
    let fields = vec![
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
    ];
    finish_row(
        rng,
        Draft {
            feed: Feed::DeathRecord,
            fields,
            tumour_id,
            year: death.year(),
            noise: identity.noise,
        },
        person,
        settings,
    )
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
    fn other_person_nir_is_valid_and_different() {
        // Same sex, birth year, month and département (first 7
        // characters), a valid key, another number.
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        for first_13 in ["2550814168025", "153072A007300", "2951099350123"] {
            let key = rnc_model::nir::nir_key(first_13).unwrap();
            let nir = format!("{first_13}{key:02}");
            for _ in 0..100 {
                let other = other_person_nir(&mut rng, &nir);
                assert_eq!(check_nir(&other).status, NirStatus::Valid);
                assert_eq!(other[..7], nir[..7]);
                assert_ne!(other, nir);
            }
        }
    }

    #[test]
    fn swapped_birth_dates_are_real() {
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        let birth = NaiveDate::from_ymd_opt(1950, 3, 25).unwrap();
        for _ in 0..2_000 {
            let shares = FeedNoise::default_for(Feed::HospitalStay);
            let mut noise = Applied::default();
            let text = render_birth_date(&mut rng, birth, &shares, &mut noise);
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
