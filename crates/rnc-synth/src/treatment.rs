//! The treatment feed and the true first treatment of each tumour.
//!
//! Establishments send one row per act or course. The feed contains what the
//! hospital discharge summaries of `pathway` do not show with a code:
//!
//! - every surgery, with its CCAM act, because the synthetic stays carry
//!   diagnoses only;
//! - radiotherapy courses of private centres, which bill outside the PMSI
//!   (the half of courses [`crate::pathway`] keeps out of hospital);
//! - oral anticancer drugs dispensed outside hospital, which no stay
//!   records.
//!
//! NOTE: the CCAM codes have the CCAM form (organ letters, the resection
//! action `F`, the external irradiation prefix `ZZNL`), but they were not
//! checked against the ATIH table and may not name the exact act. The
//! share of oral treatment is an estimate.

use chrono::{Datelike, Duration, NaiveDate};
use rand::Rng;

use crate::feeds::{self, Draft, Feed, Row};
use crate::noise::NoiseConfig;
use crate::pathway::CarePlan;
use crate::population::{Person, Tumour};
use crate::sites::{SITE_GROUPS, Stage};

/// Share of tumours treated at stage II to IV without chemotherapy in
/// hospital that receive an oral anticancer drug instead (estimate).
const ORAL_SHARE: f64 = 0.15;

/// Columns of `treatment.csv`.
pub(crate) const TREATMENT_COLUMNS: [&str; 14] = [
    "treatment_id",
    "finess",
    "nir",
    "birth_name",
    "first_name",
    "sex",
    "birth_date",
    "departement",
    "treatment",
    "start_date",
    "end_date",
    "procedure_code",
    "drug_code",
    "icd10",
];

/// CCAM-form code of the resection of a site group.
fn surgery_code(group: &str) -> &'static str {
    match group {
        "breast" => "QEFA003",
        "colorectum" => "HHFA002",
        "lung" => "GFFA013",
        "prostate" => "JGFA015",
        "bladder" => "JDFA003",
        "kidney" => "JAFA002",
        "stomach" => "HFFA011",
        "thyroid" => "KCFA005",
        "melanoma" => "QZFA036",
        _ => "ZZFA001",
    }
}

/// CCAM-form code of an external radiotherapy session.
const RADIOTHERAPY_CODE: &str = "ZZNL045";

/// ATC code of an oral anticancer drug for a site group: capecitabine
/// (L01BC06), temozolomide (L01AX03), osimertinib (L01EB04), sunitinib
/// (L01EX01), imatinib (L01EA01) or ibrutinib (L01EL01).
fn oral_drug(group: &str) -> &'static str {
    match group {
        "brain" => "L01AX03",
        "lung" => "L01EB04",
        "kidney" => "L01EX01",
        "leukaemia" => "L01EA01",
        "non-Hodgkin lymphoma" => "L01EL01",
        _ => "L01BC06",
    }
}

/// The first treatment of a tumour as drawn: the truth the registry's
/// pathway indicators are checked against.
#[derive(Debug, Clone, Default)]
pub(crate) struct TruthPathway {
    /// Date and modality of the first treatment.
    pub first: Option<(NaiveDate, &'static str)>,
    /// Surgery date.
    pub surgery: Option<NaiveDate>,
    /// First chemotherapy, in hospital or oral.
    pub chemotherapy: Option<NaiveDate>,
    /// First radiotherapy fraction.
    pub radiotherapy: Option<NaiveDate>,
    /// Whether the radiotherapy course was in a private centre.
    pub private_radiotherapy: bool,
    /// Start of an oral anticancer drug.
    pub oral: Option<NaiveDate>,
}

/// Draws the treatment rows of one tumour from its care plan, and returns
/// them with the true first treatment. `rng` is the person's own
/// treatment stream, so that the other feeds do not change with it.
pub(crate) fn draw_treatments<R: Rng>(
    rng: &mut R,
    person: &Person,
    tumour: &Tumour,
    plan: &CarePlan,
    limit: NaiveDate,
    settings: &NoiseConfig,
) -> (Vec<Row>, TruthPathway) {
    let group = SITE_GROUPS[tumour.group].name;
    let mut rows = Vec::new();
    let mut truth = TruthPathway {
        surgery: plan.surgery,
        chemotherapy: plan.chemotherapy,
        radiotherapy: plan.radiotherapy.map(|(first, _, _)| first),
        ..TruthPathway::default()
    };

    if let Some(date) = plan.surgery {
        let act = Act {
            finess: plan.establishments[0].clone(),
            kind: "surgery",
            start: date,
            end: None,
            procedure: surgery_code(group),
            drug: "",
            icd10: tumour.codes.icd10.clone(),
        };
        rows.push(act.row(rng, person, tumour, settings));
    }

    if let Some((first, last, false)) = plan.radiotherapy {
        truth.private_radiotherapy = true;
        let place = feeds::care_departement(rng, person, first);
        // Private centres rank after the département's hospitals.
        let rank = feeds::establishment_count(place) + rng.random_range(0..2);
        let act = Act {
            finess: feeds::finess(place, rank),
            kind: "radiotherapy",
            start: first,
            end: Some(last),
            procedure: RADIOTHERAPY_CODE,
            drug: "",
            icd10: "Z51.0".to_string(),
        };
        rows.push(act.row(rng, person, tumour, settings));
    }

    let advanced = matches!(tumour.stage, Stage::II | Stage::III | Stage::IV);
    if plan.chemotherapy.is_none()
        && advanced
        && rng.random::<f64>() < ORAL_SHARE
    {
        let start =
            tumour.incidence + Duration::days(rng.random_range(21..=90));
        if start <= limit {
            truth.oral = Some(start);
            truth.chemotherapy = Some(start);
            let act = Act {
                finess: plan.establishments[1].clone(),
                kind: "chemotherapy",
                start,
                end: None,
                procedure: "",
                drug: oral_drug(group),
                icd10: tumour.codes.icd10.clone(),
            };
            rows.push(act.row(rng, person, tumour, settings));
        }
    }

    truth.first = [
        truth.surgery.map(|d| (d, "surgery")),
        truth.chemotherapy.map(|d| (d, "chemotherapy")),
        truth.radiotherapy.map(|d| (d, "radiotherapy")),
    ]
    .into_iter()
    .flatten()
    .min();
    (rows, truth)
}

/// One act before it becomes a row.
struct Act {
    finess: String,
    kind: &'static str,
    start: NaiveDate,
    end: Option<NaiveDate>,
    procedure: &'static str,
    drug: &'static str,
    icd10: String,
}

impl Act {
    fn row<R: Rng>(
        self,
        rng: &mut R,
        person: &Person,
        tumour: &Tumour,
        settings: &NoiseConfig,
    ) -> Row {
        let identity =
            feeds::render_identity(rng, person, Feed::Treatment, settings);
        let fields = vec![
            String::new(),
            self.finess,
            identity.nir,
            identity.birth_name,
            identity.first_name,
            (person.sex + 1).to_string(),
            identity.birth_date,
            person.departement_code_on(self.start).to_string(),
            self.kind.to_string(),
            feeds::date(self.start),
            self.end.map(feeds::date).unwrap_or_default(),
            self.procedure.to_string(),
            self.drug.to_string(),
            self.icd10,
        ];
        feeds::finish_row(
            rng,
            Draft {
                feed: Feed::Treatment,
                fields,
                tumour_id: Some(tumour.id),
                year: self.start.year(),
                noise: identity.noise,
            },
            person,
            settings,
        )
    }
}
