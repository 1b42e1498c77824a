//! The columns of each source feed, as fixed by the feed specification.

use rnc_model::SourceKind;

/// One column of a feed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Column {
    pub name: &'static str,
    /// Every row needs a value, so the header must name the column.
    pub required: bool,
}

/// Columns that could identify a person. Their values never reach a
/// message, a log line or the quarantine's `safe_fields`.
pub(crate) const IDENTIFYING: [&str; 5] = [
    "nir",
    "birth_name",
    "usage_name",
    "first_name",
    "birth_date",
];

pub(crate) fn is_identifying(column: &str) -> bool {
    IDENTIFYING.contains(&column)
}

const fn required(name: &'static str) -> Column {
    Column {
        name,
        required: true,
    }
}

const fn optional(name: &'static str) -> Column {
    Column {
        name,
        required: false,
    }
}

const REGISTRY_EXTRACT: &[Column] = &[
    required("tumour_ref"),
    required("registry"),
    optional("nir"),
    required("birth_name"),
    optional("usage_name"),
    optional("first_name"),
    required("sex"),
    required("birth_date"),
    required("departement"),
    required("incidence_date"),
    required("topography"),
    required("morphology"),
    required("behaviour"),
    optional("grade"),
    required("basis_of_diagnosis"),
    optional("death_date"),
    optional("last_contact_date"),
    optional("registration_date"),
    // Laterality and stage (ENCR-JRC items 23, 30-37 and 46), read by
    // the `staging` module.
    optional("laterality"),
    optional("tnm_t"),
    optional("tnm_n"),
    optional("tnm_m"),
    optional("tnm_stage_group"),
    optional("tnm_edition"),
    optional("summary_stage"),
];

const HOSPITAL_STAY: &[Column] = &[
    required("stay_id"),
    required("finess"),
    optional("nir"),
    optional("birth_name"),
    optional("first_name"),
    required("sex"),
    required("birth_date"),
    required("departement"),
    required("admission_date"),
    required("discharge_date"),
    required("main_diagnosis"),
    optional("associated_diagnoses"),
];

const PATHOLOGY_REPORT: &[Column] = &[
    required("report_id"),
    required("laboratory"),
    optional("nir"),
    required("birth_name"),
    optional("usage_name"),
    optional("first_name"),
    required("sex"),
    required("birth_date"),
    optional("departement"),
    required("specimen_date"),
    optional("report_date"),
    required("topography"),
    required("morphology"),
    required("behaviour"),
    optional("grade"),
    // Laterality and stage (ENCR-JRC items 23, 30-37 and 46), read by
    // the `staging` module.
    optional("laterality"),
    optional("tnm_t"),
    optional("tnm_n"),
    optional("tnm_m"),
    optional("tnm_stage_group"),
    optional("tnm_edition"),
    optional("summary_stage"),
];

const DEATH_RECORD: &[Column] = &[
    required("certificate_id"),
    optional("nir"),
    required("birth_name"),
    optional("usage_name"),
    optional("first_name"),
    required("sex"),
    required("birth_date"),
    required("departement"),
    required("death_date"),
    required("underlying_cause"),
    optional("associated_causes"),
];

/// The columns of a feed, in the order the specification lists them.
pub(crate) fn columns(kind: SourceKind) -> &'static [Column] {
    match kind {
        SourceKind::RegistryExtract => REGISTRY_EXTRACT,
        SourceKind::HospitalStay => HOSPITAL_STAY,
        SourceKind::PathologyReport => PATHOLOGY_REPORT,
        SourceKind::DeathRecord => DEATH_RECORD,
    }
}

/// The column holding the source's own record id, unique in a file.
pub(crate) fn id_column(kind: SourceKind) -> &'static str {
    match kind {
        SourceKind::RegistryExtract => "tumour_ref",
        SourceKind::HospitalStay => "stay_id",
        SourceKind::PathologyReport => "report_id",
        SourceKind::DeathRecord => "certificate_id",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_column_is_required_in_every_feed() {
        for kind in SourceKind::ALL {
            let id = id_column(kind);
            let column = columns(kind).iter().find(|c| c.name == id);
            assert!(column.is_some_and(|c| c.required), "{kind}");
        }
    }
}
