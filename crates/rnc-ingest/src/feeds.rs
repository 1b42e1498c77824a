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
pub(crate) const IDENTIFYING: [&str; 8] = [
    "nir",
    "birth_name",
    "usage_name",
    "first_name",
    "birth_date",
    "birth_day",
    "birth_month",
    "birth_year",
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

const CLINICAL_RECORD: &[Column] = &[
    required("condition_ref"),
    optional("organisation"),
    optional("nir"),
    required("birth_name"),
    optional("usage_name"),
    optional("first_name"),
    required("sex"),
    required("birth_date"),
    optional("departement"),
    required("diagnosis_date"),
    optional("recorded_date"),
    required("topography"),
    required("morphology"),
    required("behaviour"),
    optional("grade"),
    optional("basis_of_diagnosis"),
    optional("death_date"),
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

/// ALD 30 declarations, as `rnc synth` writes them. The insurance file
/// carries no name, so linkage rests on the NIR, birth date and sex.
const LONG_TERM_ILLNESS: &[Column] = &[
    required("ald_id"),
    optional("nir"),
    required("sex"),
    required("birth_date"),
    required("departement"),
    required("icd10"),
    required("start_date"),
];

const SCREENING: &[Column] = &[
    required("screening_id"),
    required("programme"),
    required("test"),
    optional("nir"),
    optional("birth_name"),
    optional("usage_name"),
    optional("first_name"),
    required("sex"),
    required("birth_date"),
    required("departement"),
    required("test_date"),
    required("result"),
];

/// Treatment acts. Which of the code columns a row needs depends on its
/// `treatment` value (see `records::treatment`).
const TREATMENT: &[Column] = &[
    required("treatment_id"),
    required("finess"),
    optional("nir"),
    optional("birth_name"),
    optional("first_name"),
    required("sex"),
    required("birth_date"),
    optional("departement"),
    required("treatment"),
    required("start_date"),
    optional("end_date"),
    optional("procedure_code"),
    optional("drug_code"),
    optional("icd10"),
];

/// Fields of a registry extract in the ENCR-JRC call-for-data layout that
/// rnc reads, with the layout's column names. The layout has no name, NIR,
/// registry code or département, and splits each date into day, month and
/// year columns. Columns 1, 2, 17, 22, 24-29, 38-45 and 47-56 are not
/// read.
pub(crate) const ENCR_JRC: &[(Column, &str)] = &[
    (required("tumour_ref"), "3_Tumour_ID"),
    (required("birth_day"), "4_Day_DoB"),
    (required("birth_month"), "5_Month_DoB"),
    (required("birth_year"), "6_Year_DoB"),
    (required("sex"), "7_Sex"),
    (required("incidence_day"), "8_Day_DoI"),
    (required("incidence_month"), "9_Month_DoI"),
    (required("incidence_year"), "10_Year_DoI"),
    (required("age"), "11_Age"),
    (required("basis_of_diagnosis"), "12_BoD"),
    (required("topography"), "13_Topo"),
    (required("morphology"), "14_Morpho"),
    (required("behaviour"), "15_Beh"),
    (required("grade"), "16_Grade"),
    (required("vital_status"), "18_Vital_status"),
    (required("follow_up_day"), "19_Day_FU"),
    (required("follow_up_month"), "20_Month_FU"),
    (required("follow_up_year"), "21_Year_FU"),
    (optional("laterality"), "23_Laterality"),
    (optional("p_t"), "30_pT"),
    (optional("p_n"), "31_pN"),
    (optional("p_m"), "32_pM"),
    (optional("c_t"), "33_cT"),
    (optional("c_n"), "34_cN"),
    (optional("c_m"), "35_cM"),
    (optional("stage"), "36_Stage"),
    (optional("tnm_edition"), "37_TNM_edition"),
    (optional("summary_stage"), "46_EoD"),
];

/// The columns of a feed, in the order the specification lists them.
pub(crate) fn columns(kind: SourceKind) -> &'static [Column] {
    match kind {
        SourceKind::RegistryExtract => REGISTRY_EXTRACT,
        SourceKind::HospitalStay => HOSPITAL_STAY,
        SourceKind::PathologyReport => PATHOLOGY_REPORT,
        SourceKind::DeathRecord => DEATH_RECORD,
        SourceKind::LongTermIllness => LONG_TERM_ILLNESS,
        SourceKind::Screening => SCREENING,
        SourceKind::Treatment => TREATMENT,
        SourceKind::ClinicalRecord => CLINICAL_RECORD,
    }
}

/// Whether the feed defines `column`, and whether every row needs it.
pub(crate) fn column(kind: SourceKind, name: &str) -> Option<Column> {
    columns(kind).iter().copied().find(|c| c.name == name)
}

/// The column holding the source's own record id, unique in a file.
pub(crate) fn id_column(kind: SourceKind) -> &'static str {
    match kind {
        SourceKind::RegistryExtract => "tumour_ref",
        SourceKind::HospitalStay => "stay_id",
        SourceKind::PathologyReport => "report_id",
        SourceKind::DeathRecord => "certificate_id",
        SourceKind::LongTermIllness => "ald_id",
        SourceKind::Screening => "screening_id",
        SourceKind::Treatment => "treatment_id",
        SourceKind::ClinicalRecord => "condition_ref",
    }
}

/// Pairs of date columns of a feed that must be in this order, the first
/// on or before the second, beyond the birth date, which must precede
/// every date of every feed. A pathology report may be written after the
/// death (autopsy), so its dates are not compared with a death date.
pub(crate) fn date_order(
    kind: SourceKind,
) -> &'static [(&'static str, &'static str)] {
    match kind {
        SourceKind::RegistryExtract => &[
            ("incidence_date", "death_date"),
            ("incidence_date", "last_contact_date"),
            ("last_contact_date", "death_date"),
            ("incidence_date", "registration_date"),
        ],
        SourceKind::HospitalStay => &[("admission_date", "discharge_date")],
        SourceKind::PathologyReport => &[("specimen_date", "report_date")],
        SourceKind::Treatment => &[("start_date", "end_date")],
        SourceKind::ClinicalRecord => &[
            ("diagnosis_date", "death_date"),
            ("diagnosis_date", "recorded_date"),
        ],
        SourceKind::DeathRecord
        | SourceKind::LongTermIllness
        | SourceKind::Screening => &[],
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

    #[test]
    fn event_column_is_required_in_every_feed() {
        for kind in SourceKind::ALL {
            let event = column(kind, kind.event_column());
            assert!(event.is_some_and(|c| c.required), "{kind}");
        }
    }

    // A provider's file must carry every column the ingest reads from a
    // clear file, or `rnc pseudonymise` silently drops data such as the
    // TNM stage.
    #[test]
    fn provider_keeps_non_identifying_columns() {
        for kind in SourceKind::ALL {
            let expected: Vec<&str> = columns(kind)
                .iter()
                .map(|c| c.name)
                .filter(|name| !is_identifying(name))
                .collect();
            assert_eq!(
                rnc_pseudonym::provider::kept_columns(kind),
                expected.as_slice(),
                "{kind}"
            );
        }
    }

    #[test]
    fn ordered_dates_are_feed_columns() {
        for kind in SourceKind::ALL {
            for (first, second) in date_order(kind) {
                assert!(column(kind, first).is_some(), "{kind} {first}");
                assert!(column(kind, second).is_some(), "{kind} {second}");
            }
        }
    }
}
