//! Source records drawn from the true tumours, with the identifier noise of
//! real feeds.
//!
//! Noise rates are per record, chosen to resemble what French registries
//! report for their sources (estimates, not measured figures):
//!
//! | noise | rate |
//! |---|---|
//! | NIR missing | hospital stay 3 %, pathology report 40 %, registry extract 15 %, death record 5 % |
//! | NIR with one wrong digit (key then invalid) | 1 % of written NIRs |
//! | usage name written as birth name, usage name empty | 30 % of the records of women with a usage name |
//! | one typo in the birth or first name | 3 % |
//! | first name missing | 1 % |
//! | birth day and month swapped (when the swap is a real date) | 1 % |
//! | birth day unknown (`99`) | 0.5 % |
//!
//! Letter case and accents follow the source: registries write names in
//! title case with accents, pathology laboratories in upper or title case
//! with accents, hospitals and death certificates in upper case without
//! accents.

use chrono::{Datelike, Duration, NaiveDate};
use rand::Rng;
use rnc_model::SourceKind;

use crate::demography::{self, DEPARTEMENTS};
use crate::names;
use crate::population::{DeathCause, Person, Timeline, Tumour};
use crate::sites::SITE_GROUPS;

/// One drawn row of a feed. The first field is the record id, filled in
/// once the rows are shuffled.
pub(crate) struct Row {
    pub kind: SourceKind,
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

/// Prefix of the record ids of each kind: `R…`, `S…`, `P…`, `D…`.
pub(crate) fn id_prefix(kind: SourceKind) -> char {
    match kind {
        SourceKind::RegistryExtract => 'R',
        SourceKind::HospitalStay => 'S',
        SourceKind::PathologyReport => 'P',
        SourceKind::DeathRecord => 'D',
    }
}

fn nir_missing_share(kind: SourceKind) -> f64 {
    match kind {
        SourceKind::HospitalStay => 0.03,
        SourceKind::PathologyReport => 0.40,
        SourceKind::RegistryExtract => 0.15,
        SourceKind::DeathRecord => 0.05,
    }
}

/// Identifying fields of one record, as the source writes them.
struct Identity {
    nir: String,
    birth_name: String,
    usage_name: String,
    first_name: String,
    birth_date: String,
}

fn date(value: NaiveDate) -> String {
    value.format("%Y-%m-%d").to_string()
}

/// Writes the identity of `person` as source `kind` would, with noise.
fn render_identity<R: Rng>(
    rng: &mut R,
    person: &Person,
    kind: SourceKind,
) -> Identity {
    let nir = if rng.random::<f64>() < nir_missing_share(kind) {
        String::new()
    } else if rng.random::<f64>() < 0.01 {
        mistype_nir(rng, &person.nir())
    } else {
        person.nir()
    };

    // The classic error: the usage (married) name written as the birth
    // name, with no usage name.
    let (mut birth_name, usage_name) = match person.usage_name {
        Some(usage) if rng.random::<f64>() < 0.3 => {
            (usage.to_string(), String::new())
        }
        Some(usage) => (person.birth_name.to_string(), usage.to_string()),
        None => (person.birth_name.to_string(), String::new()),
    };
    let mut first_name = person.first_name.to_string();
    if rng.random::<f64>() < 0.03 {
        if rng.random::<f64>() < 0.7 {
            birth_name = names::add_typo(rng, &birth_name);
        } else {
            first_name = names::add_typo(rng, &first_name);
        }
    }
    if rng.random::<f64>() < 0.01 {
        first_name.clear();
    }

    // One style per record: a laboratory writes all names of a report
    // the same way.
    let title = match kind {
        SourceKind::RegistryExtract => true,
        SourceKind::PathologyReport => rng.random::<f64>() < 0.5,
        SourceKind::HospitalStay | SourceKind::DeathRecord => false,
    };
    let plain =
        matches!(kind, SourceKind::HospitalStay | SourceKind::DeathRecord);
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
    } else if draw < 0.015 {
        return format!("{:04}-{:02}-99", birth.year(), birth.month());
    }
    date(birth)
}

/// Establishments (FINESS-shaped numbers) of a département: the
/// département code then digits, one establishment per 300 000 inhabitants
/// (at least one). They are synthetic: no check digit is computed.
fn finess(departement: usize, rank: u32) -> String {
    let code = DEPARTEMENTS[departement].code;
    let width = 9 - code.len();
    format!("{code}{:0width$}", 10_001 + rank * 1_013)
}

fn establishment_count(departement: usize) -> u32 {
    (DEPARTEMENTS[departement].thousands / 300).clamp(1, 8)
}

/// Département of care: the residence for 90 % of records, otherwise a
/// département with a regional cancer centre (Paris, Lyon, Marseille,
/// Toulouse, Bordeaux).
fn care_departement<R: Rng>(rng: &mut R, person: &Person) -> usize {
    if rng.random::<f64>() < 0.9 {
        return person.departement;
    }
    let centres = ["75", "69", "13", "31", "33"];
    let code = centres[rng.random_range(0..centres.len())];
    DEPARTEMENTS
        .iter()
        .position(|d| d.code == code)
        .expect("listed département")
}

/// Draws every source record of a person.
pub(crate) fn draw_rows<R: Rng>(
    rng: &mut R,
    person: &Person,
    timeline: &Timeline,
) -> Vec<Row> {
    let mut rows = Vec::new();
    if person.tumours.is_empty() {
        return rows;
    }

    // Records stop at death and at the end of the last year.
    let limit = person.death.unwrap_or(timeline.end).min(timeline.end);
    for tumour in person.tumours.iter().filter(|t| !t.death_certificate_only) {
        let reports = draw_pathology(rng, person, tumour, limit, timeline.end);
        let histology = !reports.is_empty();
        rows.extend(reports);
        rows.extend(draw_stays(rng, person, tumour, limit, histology));
        if let Some(registry) =
            demography::registry_of(person.departement_code())
        {
            rows.push(registry_row(
                rng, person, tumour, registry, histology, timeline,
            ));
        }
    }
    if let Some(death) = person.death {
        rows.push(death_row(rng, person, death));
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
        let identity =
            render_identity(rng, person, SourceKind::PathologyReport);
        let place = care_departement(rng, person);
        let laboratory = format!(
            "ACP{}{:02}",
            DEPARTEMENTS[place].code,
            rng.random_range(1..=establishment_count(place) + 1)
        );
        let departement = if rng.random::<f64>() < 0.85 {
            person.departement_code().to_string()
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
            kind: SourceKind::PathologyReport,
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

/// Hospital stays: one to six per tumour (median two to three), the first
/// from the incidence date, then every one to eight weeks until death or
/// the end of the last year.
fn draw_stays<R: Rng>(
    rng: &mut R,
    person: &Person,
    tumour: &Tumour,
    limit: NaiveDate,
    histology: bool,
) -> Vec<Row> {
    const STAY_COUNTS: [(usize, u32); 6] =
        [(1, 18), (2, 28), (3, 22), (4, 15), (5, 10), (6, 7)];
    let total: u32 = STAY_COUNTS.iter().map(|(_, w)| w).sum();
    let mut value = rng.random_range(0..total);
    let mut count = 6;
    for (stays, weight) in STAY_COUNTS {
        if value < weight {
            count = stays;
            break;
        }
        value -= weight;
    }

    let code = &tumour.codes.icd10;
    let three_character = &code[..3];
    let mut rows = Vec::new();
    let mut admission = if histology {
        tumour.incidence + Duration::days(rng.random_range(0..=10))
    } else {
        tumour.incidence
    };
    for number in 0..count {
        if number == 0 {
            admission = admission.min(limit);
        } else {
            admission += Duration::days(rng.random_range(7..=60));
            if admission > limit {
                break;
            }
        }

        // Later stays are often chemotherapy sessions (Z51.1), with the
        // cancer as associated diagnosis.
        let draw: f64 = rng.random();
        let (main, mut associated, length) = if number > 0 && draw < 0.35 {
            ("Z51.1".to_string(), vec![code.clone()], 0)
        } else if draw < 0.85 {
            (code.clone(), Vec::new(), rng.random_range(0..=10))
        } else {
            (
                three_character.to_string(),
                Vec::new(),
                rng.random_range(0..=10),
            )
        };
        if rng.random::<f64>() < 0.15 {
            let secondary = ["C78.7", "C79.5", "C77.2", "C78.0"];
            associated.push(
                secondary[rng.random_range(0..secondary.len())].to_string(),
            );
        }
        if rng.random::<f64>() < 0.2 {
            let comorbidity = ["I10", "E11.9", "J44.9", "I48.9"];
            associated.push(
                comorbidity[rng.random_range(0..comorbidity.len())].to_string(),
            );
        }
        let discharge = (admission + Duration::days(length)).min(limit);
        let identity = render_identity(rng, person, SourceKind::HospitalStay);
        let place = care_departement(rng, person);
        let establishment =
            finess(place, rng.random_range(0..establishment_count(place)));
        rows.push(Row {
            kind: SourceKind::HospitalStay,
            fields: vec![
                String::new(),
                establishment,
                identity.nir,
                identity.birth_name,
                identity.first_name,
                (person.sex + 1).to_string(),
                identity.birth_date,
                person.departement_code().to_string(),
                date(admission),
                date(discharge),
                main,
                associated.join("|"),
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
    let identity = render_identity(rng, person, SourceKind::RegistryExtract);
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
        kind: SourceKind::RegistryExtract,
        fields: vec![
            String::new(),
            registry.to_string(),
            identity.nir,
            identity.birth_name,
            identity.usage_name,
            identity.first_name,
            (person.sex + 1).to_string(),
            identity.birth_date,
            person.departement_code().to_string(),
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

/// Builds the death certificate of a cancer patient. A cancer death names
/// the tumour as underlying cause. A death from another cause mentions the
/// cancer among the associated causes in about 60 % of certificates.
fn death_row<R: Rng>(rng: &mut R, person: &Person, death: NaiveDate) -> Row {
    let identity = render_identity(rng, person, SourceKind::DeathRecord);
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
        kind: SourceKind::DeathRecord,
        fields: vec![
            String::new(),
            identity.nir,
            identity.birth_name,
            identity.usage_name,
            identity.first_name,
            (person.sex + 1).to_string(),
            identity.birth_date,
            person.departement_code().to_string(),
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
