//! IARC/IACR consistency checks of a consolidated tumour, with the
//! outcomes CanReg5 gives them (Invalid, Rare, Query).

use chrono::NaiveDate;
use rnc_codes::{
    HistologyGroup, histology_group, icdo3_to_icd10, is_listed_behaviour,
    is_listed_topography, is_paired_site, required_grades, sex_of_histology,
    site_outside_family_profile,
};
use rnc_model::{
    Behaviour, Laterality, Morphology, PartialDate, Sex, SourceKind,
    SourceRecord, Topography, Tumour,
};

/// Outcome of a failed check, as CanReg5 `CheckResult` names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    /// Impossible: a code or combination that cannot be right.
    Invalid,
    /// Unlikely: a rare combination to confirm.
    Rare,
    /// To review, e.g. a specific morphology without microscopic
    /// verification.
    Query,
}

impl Severity {
    /// The label used in tables: `invalid`, `rare`, `query`.
    pub fn label(self) -> &'static str {
        match self {
            Severity::Invalid => "invalid",
            Severity::Rare => "rare",
            Severity::Query => "query",
        }
    }

    /// Reads back a label written by [`Severity::label`].
    pub fn from_label(label: &str) -> Option<Severity> {
        [Severity::Invalid, Severity::Rare, Severity::Query]
            .into_iter()
            .find(|severity| severity.label() == label)
    }
}

/// One failed check of one tumour.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckResult {
    /// The tumour checked.
    pub tumour_id: String,
    /// The check, e.g. `sex_site`.
    pub rule_id: String,
    /// Seriousness of the finding.
    pub severity: Severity,
    /// Description naming the tumour, the rule and the codes involved
    /// (codes do not identify anyone).
    pub message: String,
    /// The standard the rule comes from.
    pub standard: &'static str,
}

const IARC_CHECKS: &str =
    "IARC/IACR consistency checks (IARC TR42, as coded in CanReg5)";
const ICD_O_3: &str = "ICD-O-3 (WHO 2000) code lists";
const ENCR_DATES: &str = "ENCR-JRC data quality checks: date consistency";
const TR42_FAMILIES: &str =
    "IARC TR42 Appendix 1 site/histology families (IARC CHECK)";
const TRACE_BACK: &str = "Registry practice: trace-back of tumours notified by a death certificate only";
const ENCR_LATERALITY: &str = "ENCR-JRC data quality checks: laterality/topography, with the paired organs of the SEER Program Coding and Staging Manual";

/// The standards this module names, so that a check table read back from
/// Parquet keeps `&'static str` standards.
pub(crate) fn known_standard(text: &str) -> &'static str {
    [
        IARC_CHECKS,
        ICD_O_3,
        ENCR_DATES,
        TR42_FAMILIES,
        ENCR_LATERALITY,
        TRACE_BACK,
    ]
    .into_iter()
    .find(|standard| *standard == text)
    .unwrap_or("unknown standard")
}

/// Morphologies that a non-microscopic basis may support (IARC/IACR
/// basis/histology check as coded in CanReg5); 8720 only on the skin
/// (C44) or the eye (C69).
const CLINICALLY_ACCEPTABLE: &[(u16, u16)] = &[
    (8000, 8000),
    (8150, 8154),
    (8170, 8170),
    (8270, 8281),
    (8800, 8800),
    (8960, 8960),
    (9050, 9050),
    (9100, 9100),
    (9140, 9140),
    (9350, 9350),
    (9380, 9380),
    (9384, 9384),
    (9500, 9500),
    (9510, 9510),
    (9530, 9539),
    (9590, 9590),
    (9732, 9732),
    (9761, 9761),
    (9800, 9800),
];

/// Runs the checks on a tumour; an empty result means every check passed.
///
/// Rule ids: `code_validity`, `unknown_incidence_date`, `date_order`,
/// `sex_site`, `sex_histology`,
/// `age_site`, `age_histology`, `site_histology`, `behaviour_site`,
/// `behaviour_histology`, `basis_histology`, `grade_histology`,
/// `laterality_site` and `dco_trace_back`. Stage is not checked.
///
/// `records` are the tumour's source records (or all of the person's);
/// they give the dates of death and of last contact.
pub fn check_tumour(
    tumour: &Tumour,
    records: &[&SourceRecord],
) -> Vec<CheckResult> {
    let mut results = Vec::new();
    let mut fail = |rule_id: &str, severity, standard, detail: String| {
        results.push(CheckResult {
            tumour_id: tumour.tumour_id.clone(),
            rule_id: rule_id.to_string(),
            severity,
            message: format!(
                "tumour {}: {rule_id}: {detail}",
                tumour.tumour_id
            ),
            standard,
        });
    };
    let site = tumour.topography;
    let morphology = tumour.morphology;
    let histology = morphology.histology();
    let group = site.group();

    if !is_listed_topography(site) {
        fail(
            "code_validity",
            Severity::Invalid,
            ICD_O_3,
            format!("topography {site} is not in the ICD-O-3 topography list"),
        );
    }
    if histology_group(histology) == HistologyGroup::Unclassified {
        fail(
            "code_validity",
            Severity::Invalid,
            IARC_CHECKS,
            format!(
                "morphology {histology} is in no IARC/IACR 2004 histology group"
            ),
        );
    }
    if icdo3_to_icd10(site, morphology).is_none() || tumour.icd10.is_empty() {
        fail(
            "code_validity",
            Severity::Invalid,
            IARC_CHECKS,
            format!("no ICD-10 code can be derived from {site} {morphology}"),
        );
    }

    if tumour.incidence_date.is_none() {
        fail(
            "unknown_incidence_date",
            Severity::Query,
            ENCR_DATES,
            "incidence date is unknown: every record gives it as wholly \
             unknown, so the tumour is in no incidence-year table; find \
             at least the year in the sources"
                .to_string(),
        );
    }
    for (rule, date) in [
        ("death", death_date(records)),
        ("last contact", last_contact(records)),
    ] {
        if let (Some(date), Some(incidence)) = (date, tumour.incidence_date)
            && certainly_after(incidence, date)
        {
            fail(
                "date_order",
                Severity::Invalid,
                ENCR_DATES,
                format!("incidence date is after the date of {rule}"),
            );
        }
    }

    let sex_mismatch = match tumour.sex {
        Sex::Male => (51..=58).contains(&group),
        Sex::Female => (60..=63).contains(&group),
        Sex::Unknown => false,
    };
    if sex_mismatch {
        fail(
            "sex_site",
            Severity::Invalid,
            IARC_CHECKS,
            format!("site {site} is impossible for sex {}", tumour.sex.label()),
        );
    }
    if let Some(expected) = sex_of_histology(histology)
        && tumour.sex != Sex::Unknown
        && tumour.sex != expected
    {
        fail(
            "sex_histology",
            Severity::Rare,
            IARC_CHECKS,
            format!(
                "morphology {histology} belongs to a {} histology family and is unlikely for sex {}",
                expected.label(),
                tumour.sex.label()
            ),
        );
    }

    if let Some(age) = tumour.age_at_incidence {
        let rare_under_5 = matches!(group, 53 | 61);
        let rare_under_20 =
            matches!(group, 15 | 19 | 20 | 21 | 23 | 24 | 50 | 53 | 54 | 55)
                || (group == 38 && site.detail() == 4);
        if (age < 5 && rare_under_5) || (age < 20 && rare_under_20) {
            fail(
                "age_site",
                Severity::Rare,
                IARC_CHECKS,
                format!("site {site} is rare at age {age}"),
            );
        }
        if let Some(reason) = rare_age_histology(age, histology) {
            fail(
                "age_histology",
                Severity::Rare,
                IARC_CHECKS,
                format!(
                    "morphology {histology} is rare at age {age} ({reason})"
                ),
            );
        }
    }

    let in_situ_impossible = matches!(group, 40..=42 | 47 | 49 | 70..=72);
    if morphology.behaviour() == Behaviour::InSitu && in_situ_impossible {
        fail(
            "behaviour_site",
            Severity::Rare,
            IARC_CHECKS,
            format!("in situ behaviour {morphology} is rare at site {site}"),
        );
    }

    if !is_listed_behaviour(histology, morphology.behaviour()) {
        fail(
            "behaviour_histology",
            Severity::Invalid,
            ICD_O_3,
            format!(
                "behaviour /{} does not exist for morphology {histology} in ICD-O-3",
                morphology.behaviour().code()
            ),
        );
    }

    // NOTE: IARC CHECK calls a combination outside a family's site profile
    // "unlikely", so it is Rare here and a reviewer may confirm it.
    if let Some(family) = site_outside_family_profile(site, histology) {
        fail(
            "site_histology",
            Severity::Rare,
            TR42_FAMILIES,
            format!(
                "morphology {histology} (family {family}) is unlikely at site {site}"
            ),
        );
    }

    let basis = tumour.basis_of_diagnosis;
    let non_microscopic = matches!(basis.code(), 0..=4);
    let acceptable = CLINICALLY_ACCEPTABLE
        .iter()
        .any(|(lo, hi)| (*lo..=*hi).contains(&histology))
        || (histology == 8720 && matches!(group, 44 | 69));
    if non_microscopic && !acceptable {
        fail(
            "basis_histology",
            Severity::Query,
            IARC_CHECKS,
            format!(
                "specific morphology {histology} with non-microscopic basis of diagnosis {}",
                basis.code()
            ),
        );
    }

    if let Some(problem) = grade_problem(morphology) {
        fail("grade_histology", Severity::Rare, IARC_CHECKS, problem);
    }

    if let Some(side) = tumour.laterality
        && let Some((severity, problem)) = laterality_problem(site, side)
    {
        fail("laterality_site", severity, ENCR_LATERALITY, problem);
    }

    // A tumour that only a death certificate mentions is registered as
    // DCO only once the certifying physician or hospital, asked for the
    // diagnosis, has nothing more. A reviewer confirms the finding when
    // the trace-back is done.
    if tumour.death_certificate_only {
        fail(
            "dco_trace_back",
            Severity::Query,
            TRACE_BACK,
            format!(
                "tumour at {site} is known from a death certificate only (trace it back to the certifying physician or hospital for its incidence date, basis and morphology)"
            ),
        );
    }
    results
}

/// Why a laterality does not fit the site, with the severity of the
/// finding in the two families of the ENCR-JRC checks: errors, for a
/// combination that cannot be right, and warnings, for one to review.
///
/// - A side (1 right, 2 left, 3 one side not known, 4 both sides) at a
///   site that is not a paired organ is [`Severity::Invalid`]: the organ
///   has no sides, so the code or the site is wrong.
/// - 0 (not applicable) at a paired organ is [`Severity::Query`]: most
///   often 9 (unknown) was meant. But a tumour on the midline of a paired
///   site (skin of the trunk, both cerebral hemispheres) has no side, and
///   the ENCR-JRC codes have no midline code, so a reviewer may confirm
///   it.
///
/// 9 (unknown) fits every site.
fn laterality_problem(
    site: Topography,
    side: Laterality,
) -> Option<(Severity, String)> {
    let paired = is_paired_site(site);
    match side {
        Laterality::Unknown => None,
        Laterality::NotPaired if paired => Some((
            Severity::Query,
            format!(
                "laterality 0 (not applicable) at paired site {site} (expected 1 right, 2 left, 3 one side, 4 both sides or 9 unknown)"
            ),
        )),
        Laterality::NotPaired => None,
        _ if paired => None,
        _ => Some((
            Severity::Invalid,
            format!(
                "laterality {} at site {site}, which is not a paired organ (expected 0 not applicable or 9 unknown)",
                side.code()
            ),
        )),
    }
}

/// Why the grade (sixth digit) does not fit the morphology, by the IARC
/// CHECK grade/histology edit: grades 5-8 (cell lineage) only for
/// haemato-lymphoid histologies 9590 and above and grades 1-4
/// (differentiation) only below; a grade only for malignant behaviour;
/// and the grade a histology's name implies. Grade 9 (not determined)
/// always passes.
fn grade_problem(morphology: Morphology) -> Option<String> {
    let grade = morphology.grade().filter(|g| *g != 9)?;
    let histology = morphology.histology();
    let haemato = histology >= 9590;
    if matches!(grade, 1..=4) && haemato {
        return Some(format!(
            "grade {grade} (differentiation) does not fit haemato-lymphoid morphology {histology} (expected 5-8 or 9)"
        ));
    }
    if matches!(grade, 5..=8) && !haemato {
        return Some(format!(
            "grade {grade} (cell lineage) does not fit morphology {histology} (grades 5-8 only for 9590 and above)"
        ));
    }
    if matches!(
        morphology.behaviour(),
        Behaviour::Benign | Behaviour::Uncertain | Behaviour::InSitu
    ) {
        return Some(format!(
            "grade {grade} is coded for non-malignant morphology {morphology} (expected 9)"
        ));
    }
    let required = required_grades(histology)?;
    (!required.contains(&grade)).then(|| {
        let expected: Vec<String> =
            required.iter().map(u8::to_string).collect();
        format!(
            "morphology {histology} implies grade {} but grade {grade} is coded",
            expected.join(" or ")
        )
    })
}

/// Age/histology combinations that CanReg5 and the ICCC-3 childhood
/// windows flag as rare.
fn rare_age_histology(age: u16, histology: u16) -> Option<&'static str> {
    const EMBRYONAL: &[u16] = &[
        8910, 8960, 8961, 8962, 8970, 8981, 8991, 9072, 9470, 9490, 9500, 9687,
    ];
    if age <= 25 && matches!(histology, 9730 | 9823 | 9890) {
        return Some("expected after 25 years");
    }
    if age >= 15 && EMBRYONAL.contains(&histology) {
        return Some("embryonal tumour expected before 15 years");
    }
    if age < 15 && matches!(histology, 9724 | 9732 | 9823) {
        return Some("expected after 15 years");
    }
    let childhood_window = match histology {
        9510..=9514 => (6..=14).contains(&age),
        9490 | 9500 => (10..=14).contains(&age),
        8960 => (9..=14).contains(&age),
        8970 => (6..=14).contains(&age),
        _ => false,
    };
    childhood_window
        .then_some("outside the usual childhood age window of ICCC-3")
}

fn death_date(records: &[&SourceRecord]) -> Option<PartialDate> {
    records
        .iter()
        .filter_map(|r| {
            r.death_date.or_else(|| {
                (r.source_kind == Some(SourceKind::DeathRecord))
                    .then_some(r.event_date)
                    .flatten()
            })
        })
        .min()
}

fn last_contact(records: &[&SourceRecord]) -> Option<PartialDate> {
    records.iter().filter_map(|r| r.last_contact_date).max()
}

/// The first and last day a partial date may stand for.
fn span(date: PartialDate) -> (NaiveDate, NaiveDate) {
    let year = date.year();
    let ymd = |m, d| {
        NaiveDate::from_ymd_opt(year, m, d).expect("parts of a valid date")
    };
    match (date.month(), date.day()) {
        (Some(m), Some(d)) => (ymd(m, d), ymd(m, d)),
        (Some(m), None) => {
            let first = ymd(m, 1);
            let next = first + chrono::Months::new(1);
            (first, next.pred_opt().expect("a day before the next month"))
        }
        _ => (ymd(1, 1), ymd(12, 31)),
    }
}

/// Whether `a` is after `b` whatever the unknown parts of either are.
fn certainly_after(a: PartialDate, b: PartialDate) -> bool {
    span(a).0 > span(b).1
}
