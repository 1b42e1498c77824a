//! Turns a checked row of each feed into a [`SourceRecord`] and the clear
//! identity that is pseudonymised into it.

use rnc_model::{BasisOfDiagnosis, SourceKind, SourceRecord};
use rnc_pseudonym::ClearIdentity;

use crate::checks::Row;
use crate::feeds::id_column;

/// Reads every field of a row. Problems are left in `row.problems`; the
/// record is meaningful only when there are none.
pub(crate) fn build(
    kind: SourceKind,
    row: &mut Row<'_>,
) -> (SourceRecord, ClearIdentity) {
    let mut record = new_record(kind, row);
    let names_required = kind != SourceKind::HospitalStay;
    let identity = ClearIdentity {
        nir: row.optional("nir").map(str::to_string),
        birth_name: row.name("birth_name", names_required),
        usage_name: if kind == SourceKind::HospitalStay {
            None
        } else {
            row.name("usage_name", false)
        },
        // A missing first name weakens linkage but must not lose a cancer
        // case, so it is never required.
        first_name: row.name("first_name", false),
        birth_date: row.date("birth_date", true),
    };
    read_event_fields(kind, row, &mut record);

    let birth = ("birth_date", identity.birth_date);
    let event = (event_column(kind), record.event_date);
    row.order(birth, event, "birth_after_event");
    if kind != SourceKind::DeathRecord {
        row.order(
            birth,
            ("death_date", record.death_date),
            "birth_after_event",
        );
    }
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
    record.departement = row.departement(kind != SourceKind::PathologyReport);
    match kind {
        SourceKind::RegistryExtract => registry_extract(row, record),
        SourceKind::HospitalStay => hospital_stay(row, record),
        SourceKind::PathologyReport => pathology_report(row, record),
        SourceKind::DeathRecord => death_record(row, record),
    }
}

/// Returns the column of the record's own dated event.
fn event_column(kind: SourceKind) -> &'static str {
    match kind {
        SourceKind::RegistryExtract => "incidence_date",
        SourceKind::HospitalStay => "admission_date",
        SourceKind::PathologyReport => "specimen_date",
        SourceKind::DeathRecord => "death_date",
    }
}

fn registry_extract(row: &mut Row<'_>, record: &mut SourceRecord) {
    record.establishment = row.required("registry").map(str::to_string);
    record.event_date = row.event_date("incidence_date");
    record.death_date = row.date("death_date", false);
    record.last_contact_date = row.date("last_contact_date", false);
    record.topography = row.topography();
    record.morphology = row.morphology();
    record.basis_of_diagnosis = row.basis_of_diagnosis();

    let incidence = ("incidence_date", record.event_date);
    row.order(incidence, ("death_date", record.death_date), "date_order");
    row.order(
        incidence,
        ("last_contact_date", record.last_contact_date),
        "date_order",
    );
    row.order(
        ("last_contact_date", record.last_contact_date),
        ("death_date", record.death_date),
        "date_order",
    );
}

fn hospital_stay(row: &mut Row<'_>, record: &mut SourceRecord) {
    record.establishment = row.required("finess").map(str::to_string);
    record.event_date = row.event_date("admission_date");
    let discharge = row.date("discharge_date", true);
    record.icd10 = row.icd10("main_diagnosis");
    record.icd10_other = row.icd10_list("associated_diagnoses");
    // A hospital discharge summary states a diagnosis without saying how
    // it was made, so it counts as clinical (ENCR code 1).
    record.basis_of_diagnosis = Some(BasisOfDiagnosis::Clinical);

    row.order(
        ("admission_date", record.event_date),
        ("discharge_date", discharge),
        "date_order",
    );
}

fn pathology_report(row: &mut Row<'_>, record: &mut SourceRecord) {
    record.establishment = row.required("laboratory").map(str::to_string);
    record.event_date = row.event_date("specimen_date");
    let report = row.date("report_date", false);
    record.topography = row.topography();
    record.morphology = row.morphology();
    // A pathology report gives the histology of the specimen. It is coded
    // as histology of the primary (ENCR code 7) until the registry learns
    // that the specimen was a metastasis.
    record.basis_of_diagnosis = Some(BasisOfDiagnosis::HistologyOfPrimary);

    row.order(
        ("specimen_date", record.event_date),
        ("report_date", report),
        "date_order",
    );
}

fn death_record(row: &mut Row<'_>, record: &mut SourceRecord) {
    record.event_date = row.event_date("death_date");
    record.death_date = record.event_date;
    record.icd10 = row.icd10("underlying_cause");
    record.icd10_other = row.icd10_list("associated_causes");
    record.basis_of_diagnosis = Some(BasisOfDiagnosis::DeathCertificateOnly);
}
