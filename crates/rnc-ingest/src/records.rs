//! Turns a checked row of each feed into a [`SourceRecord`] and the clear
//! identity that is pseudonymised into it.

use rnc_model::{
    BasisOfDiagnosis, ScreeningProgramme, ScreeningResult, ScreeningTest,
    SourceKind, SourceRecord, TnmBasis, TreatmentType,
};
use rnc_pseudonym::ClearIdentity;

use crate::checks::{Row, coded, echo};
use crate::feeds::{column, date_order, id_column};
use crate::staging::read_staging;

/// Reads every field of a row. Problems are left in `row.problems`; the
/// record is meaningful only when there are none.
pub(crate) fn build(
    kind: SourceKind,
    row: &mut Row<'_>,
) -> (SourceRecord, ClearIdentity) {
    let mut record = new_record(kind, row);
    let identity = identity(kind, row);
    read_event_fields(kind, row, &mut record);

    if let (Some(birth), Some(event)) = (identity.birth_date, record.event_date)
    {
        record.age_at_event = birth.age_at(&event);
    }
    (record, identity)
}

/// Starts a record of `kind` with its id read from the feed's id column.
pub(crate) fn new_record(kind: SourceKind, row: &mut Row<'_>) -> SourceRecord {
    let mut record = SourceRecord {
        source_kind: Some(kind),
        ..SourceRecord::default()
    };
    if let Some(id) = row.required(id_column(kind)) {
        record.record_id = format!("{}/{id}", kind.name());
    }
    record
}

/// Reads the fields that identify no one: sex, département, the event and
/// its codes, with the date-order checks among them.
pub(crate) fn read_event_fields(
    kind: SourceKind,
    row: &mut Row<'_>,
    record: &mut SourceRecord,
) {
    record.sex = row.sex();
    let departement = column(kind, "departement");
    record.departement = match departement {
        Some(spec) => row.departement(spec.required),
        None => None,
    };
    match kind {
        SourceKind::RegistryExtract => registry_extract(row, record),
        SourceKind::HospitalStay => hospital_stay(row, record),
        SourceKind::PathologyReport => pathology_report(row, record),
        SourceKind::DeathRecord => death_record(row, record),
        SourceKind::LongTermIllness => long_term_illness(row, record),
        SourceKind::Screening => screening(row, record),
        SourceKind::Treatment => treatment(row, record),
        SourceKind::ClinicalRecord => clinical_record(row, record),
    }
    check_date_order(kind, row);
}

/// Reads the identifying fields the feed defines; a name is required
/// where the feed specification requires it.
pub(crate) fn identity(kind: SourceKind, row: &mut Row<'_>) -> ClearIdentity {
    let name = |row: &mut Row<'_>, field: &str| match column(kind, field) {
        Some(spec) => row.name(field, spec.required),
        None => None,
    };
    ClearIdentity {
        nir: row.optional("nir").map(str::to_string),
        birth_name: name(row, "birth_name"),
        usage_name: name(row, "usage_name"),
        // A missing first name weakens linkage but must not lose a cancer
        // case, so no feed requires it.
        first_name: name(row, "first_name"),
        birth_date: row.date("birth_date", true),
    }
}

/// Checks that the birth date is on or before every other date of the
/// row, and each ordered pair of the feed's dates (`feeds::date_order`).
/// Partial dates count as out of order only when every day they may
/// stand for is. A pre-pseudonymised row has no birth date to check.
pub(crate) fn check_date_order(kind: SourceKind, row: &mut Row<'_>) {
    let dates = row.dates.clone();
    let find = |name: &str| {
        dates
            .iter()
            .find(|(column, _)| *column == name)
            .map(|(_, d)| *d)
    };
    let birth = ("birth_date", find("birth_date"));
    for (column, date) in &dates {
        if *column != "birth_date" {
            row.order(birth, (column, Some(*date)), "birth_after_event");
        }
    }
    for (first, second) in date_order(kind) {
        row.order((first, find(first)), (second, find(second)), "date_order");
    }
}

fn registry_extract(row: &mut Row<'_>, record: &mut SourceRecord) {
    record.establishment = row.required("registry").map(str::to_string);
    record.event_date = row.event_date("incidence_date");
    record.death_date = row.date("death_date", false);
    record.last_contact_date = row.date("last_contact_date", false);
    record.registration_date = row.date("registration_date", false);
    record.topography = row.topography();
    record.morphology = row.morphology();
    record.basis_of_diagnosis = row.basis_of_diagnosis();
    (record.laterality, record.stage) = read_staging(row, TnmBasis::Clinical);
}

fn clinical_record(row: &mut Row<'_>, record: &mut SourceRecord) {
    record.establishment = row.optional("organisation").map(str::to_string);
    record.event_date = row.event_date("diagnosis_date");
    record.death_date = row.date("death_date", false);
    record.registration_date = row.date("recorded_date", false);
    record.topography = row.topography();
    record.morphology = row.morphology();
    // A clinical record seldom states how the diagnosis was made;
    // consolidation then keeps the basis of the tumour's other records.
    record.basis_of_diagnosis = match row.optional("basis_of_diagnosis") {
        Some(_) => row.basis_of_diagnosis(),
        None => None,
    };
}

fn hospital_stay(row: &mut Row<'_>, record: &mut SourceRecord) {
    record.establishment = row.required("finess").map(str::to_string);
    record.event_date = row.event_date("admission_date");
    row.date("discharge_date", true);
    record.icd10 = row.icd10("main_diagnosis");
    record.icd10_other = row.icd10_list("associated_diagnoses");
    // A hospital discharge summary states a diagnosis without saying how
    // it was made, so it counts as clinical (ENCR code 1).
    record.basis_of_diagnosis = Some(BasisOfDiagnosis::Clinical);
}

fn pathology_report(row: &mut Row<'_>, record: &mut SourceRecord) {
    record.establishment = row.required("laboratory").map(str::to_string);
    record.event_date = row.event_date("specimen_date");
    let report = row.date("report_date", false);
    record.registration_date = report;
    record.topography = row.topography();
    record.morphology = row.morphology();
    (record.laterality, record.stage) =
        read_staging(row, TnmBasis::Pathological);
    // A pathology report gives the histology of the specimen. It is coded
    // as histology of the primary (ENCR code 7) until the registry learns
    // that the specimen was a metastasis.
    record.basis_of_diagnosis = Some(BasisOfDiagnosis::HistologyOfPrimary);
}

fn death_record(row: &mut Row<'_>, record: &mut SourceRecord) {
    record.event_date = row.event_date("death_date");
    record.death_date = record.event_date;
    record.icd10 = row.icd10("underlying_cause");
    record.icd10_other = row.icd10_list("associated_causes");
    record.basis_of_diagnosis = Some(BasisOfDiagnosis::DeathCertificateOnly);
}

/// An ALD 30 declaration covers a malignant tumour, so its code must be in
/// ICD-10 chapter II (neoplasms, C00-D48).
fn long_term_illness(row: &mut Row<'_>, record: &mut SourceRecord) {
    record.event_date = row.event_date("start_date");
    record.icd10 = row.icd10("icd10");
    if let Some(code) = &record.icd10
        && !is_neoplasm(code)
    {
        let detail = format!(
            "code {} is not a neoplasm (expected an ICD-10 chapter II code, \
             C00 to D48, as ALD 30 covers malignant tumours)",
            echo(code)
        );
        row.problem("icd10", "icd10_not_neoplasm", detail);
    }
}

fn screening(row: &mut Row<'_>, record: &mut SourceRecord) {
    record.event_date = row.event_date("test_date");
    let programmes = labels(ScreeningProgramme::ALL, ScreeningProgramme::label);
    record.screening_programme = coded(
        row,
        "programme",
        "programme_code",
        ScreeningProgramme::from_label,
        &programmes,
    );
    let tests = labels(ScreeningTest::ALL, ScreeningTest::label);
    record.screening_test =
        coded(row, "test", "test_code", ScreeningTest::from_label, &tests);
    let results = labels(ScreeningResult::ALL, ScreeningResult::label);
    record.screening_result = coded(
        row,
        "result",
        "result_code",
        ScreeningResult::from_label,
        &results,
    );
    if let (Some(programme), Some(test)) =
        (record.screening_programme, record.screening_test)
        && test.programme() != programme
    {
        let detail = format!(
            "test {} is not a test of the {} programme (expected {})",
            test.label(),
            programme.label(),
            tests_of(programme).join(" or ")
        );
        row.problem("test", "test_programme", detail);
    }
}

fn tests_of(programme: ScreeningProgramme) -> Vec<&'static str> {
    ScreeningTest::ALL
        .iter()
        .filter(|t| t.programme() == programme)
        .map(|t| t.label())
        .collect()
}

/// Reads a treatment act, which must name what was done. A surgery needs
/// its CCAM act, a radiotherapy a CCAM act or the ICD-10 session code
/// Z51.0, and a chemotherapy a drug (UCD or ATC) or the code Z51.1.
fn treatment(row: &mut Row<'_>, record: &mut SourceRecord) {
    record.establishment = row.required("finess").map(str::to_string);
    let types = labels(TreatmentType::ALL, TreatmentType::label);
    record.treatment = coded(
        row,
        "treatment",
        "treatment_code",
        TreatmentType::from_label,
        &types,
    );
    record.event_date = row.event_date("start_date");
    record.end_date = row.date("end_date", false);
    record.procedure_code = row.ccam("procedure_code");
    record.drug_code = row.drug_code("drug_code");
    record.icd10 = row.optional_icd10("icd10");

    let Some(kind) = record.treatment else {
        return;
    };
    let session = record.icd10.as_deref().and_then(session_treatment);
    if let Some(session) = session
        && session != kind
    {
        let detail = format!(
            "ICD-10 {} is a {} session but the treatment is {} (expected \
             Z51.0 for radiotherapy or Z51.1 for chemotherapy)",
            record.icd10.as_deref().unwrap_or_default(),
            session.label(),
            kind.label()
        );
        row.problem("icd10", "treatment_code_mismatch", detail);
    }
    let coded = match kind {
        TreatmentType::Surgery => record.procedure_code.is_some(),
        TreatmentType::Radiotherapy => {
            record.procedure_code.is_some() || session.is_some()
        }
        TreatmentType::Chemotherapy => {
            record.drug_code.is_some() || session.is_some()
        }
    };
    if !coded && !row.has_problem_in(&["procedure_code", "drug_code", "icd10"])
    {
        let expected = match kind {
            TreatmentType::Surgery => "a CCAM act in procedure_code",
            TreatmentType::Radiotherapy => {
                "a CCAM act in procedure_code or Z51.0 in icd10"
            }
            TreatmentType::Chemotherapy => {
                "a UCD or ATC code in drug_code or Z51.1 in icd10"
            }
        };
        let detail = format!(
            "the {} act has no code (expected {expected})",
            kind.label()
        );
        row.problem("treatment", "treatment_uncoded", detail);
    }
}

/// Returns the treatment of an ICD-10 session code: Z51.0 radiotherapy
/// session and Z51.1 chemotherapy session for neoplasm (ICD-10 WHO 2019).
/// A code extended with further characters, such as Z51.01, keeps the
/// same first four.
fn session_treatment(code: &str) -> Option<TreatmentType> {
    if code.starts_with("Z51.0") {
        Some(TreatmentType::Radiotherapy)
    } else if code.starts_with("Z51.1") {
        Some(TreatmentType::Chemotherapy)
    } else {
        None
    }
}

/// Whether a normalised ICD-10 code is in chapter II, C00-D48.
pub(crate) fn is_neoplasm(code: &str) -> bool {
    let category: u8 =
        code.get(1..3).and_then(|c| c.parse().ok()).unwrap_or(99);
    match code.as_bytes().first() {
        Some(b'C') => true,
        Some(b'D') => category <= 48,
        _ => false,
    }
}

fn labels<T: Copy>(
    all: &[T],
    label: fn(T) -> &'static str,
) -> Vec<&'static str> {
    all.iter().map(|value| label(*value)).collect()
}
