//! The ENCR-JRC call-for-data incidence file: 56 columns per tumour, the
//! input of the JRC-ENCR Quality Check Software (layout as specified for
//! that software's input by the encrqcs R package of the Finnish Cancer
//! Registry, `data-raw/column_specifications.csv`, MIT licence).
//!
//! Columns 1-22 are core. The registry stores no birth date in clear, so
//! day, month and year of birth are always unknown (99/99/9999) and the
//! age at incidence (column 11), core in that case, carries the
//! information. Laterality (23), TNM (30-37) and summary extent of
//! disease (46) come from the tumour when its records state them. No
//! feed carries treatment, the other stage systems or autopsy findings,
//! so those columns hold their "unknown" values.

use chrono::NaiveDate;
use rnc_model::{PartialDate, Sex, Tumour};

/// The 56 column names, in file order.
pub const ENCR_JRC_COLUMNS: [&str; 56] = [
    "1_Flag",
    "2_Patient_ID",
    "3_Tumour_ID",
    "4_Day_DoB",
    "5_Month_DoB",
    "6_Year_DoB",
    "7_Sex",
    "8_Day_DoI",
    "9_Month_DoI",
    "10_Year_DoI",
    "11_Age",
    "12_BoD",
    "13_Topo",
    "14_Morpho",
    "15_Beh",
    "16_Grade",
    "17_Autopsy",
    "18_Vital_status",
    "19_Day_FU",
    "20_Month_FU",
    "21_Year_FU",
    "22_Survival",
    "23_Laterality",
    "24_Day_DoR",
    "25_Month_DoR",
    "26_Year_DoR",
    "27_Cause_death",
    "28_ICD_edition",
    "29_TNM_prefix",
    "30_pT",
    "31_pN",
    "32_pM",
    "33_cT",
    "34_cN",
    "35_cM",
    "36_Stage",
    "37_TNM_edition",
    "38_Cond_T",
    "39_Cond_N",
    "40_Cond_M",
    "41_Dukes",
    "42_FIGO",
    "43_AArbor",
    "44_Gleason",
    "45_Breslow",
    "46_EoD",
    "47_Tsize",
    "48_N_exam_nodes",
    "49_N_met_nodes",
    "50_Sent_nodes",
    "51_Met_sent_nodes",
    "52_Cfactor",
    "53_Surgery",
    "54_Systemic_th",
    "55_Radiotherapy",
    "56_BMtransp",
];

/// Values of columns 23-56 for a registry that records none of them: the
/// "missing or unknown" value of each column in the specification (blank
/// for the TNM prefix).
const UNRECORDED_TAIL: [&str; 34] = [
    "9", "99", "99", "9999", "", "", "", "9", "9", "9", "9", "9", "9", "9",
    "99", "9", "9", "9", "9", "9", "9", "9", "999,99", "9", "999", "99", "99",
    "9", "9", "9", "9", "9", "9", "9",
];

/// Facts the export needs about one tumour beyond the tumour itself.
#[derive(Debug, Clone, Copy, Default)]
pub struct EncrJrcFacts<'a> {
    /// Date of death of the person, when known.
    pub death_date: Option<PartialDate>,
    /// Underlying cause of death, ICD-10 (10th revision), when known.
    pub underlying_cause: Option<&'a str>,
    /// Latest date the person was known alive (last contact, or the end
    /// of the period the death records cover).
    pub alive_on: Option<PartialDate>,
    /// Date the registry registered the tumour.
    pub registration_date: Option<NaiveDate>,
    /// Whether a reviewer confirmed the tumour's findings (column 1,
    /// "checked").
    pub checked: bool,
}

fn day_month_year(date: Option<PartialDate>) -> [String; 3] {
    let Some(date) = date else {
        return ["99".into(), "99".into(), "9999".into()];
    };
    [
        date.day()
            .map_or_else(|| "99".into(), |d| format!("{d:02}")),
        date.month()
            .map_or_else(|| "99".into(), |m| format!("{m:02}")),
        format!("{:04}", date.year()),
    ]
}

/// Returns the ENCR-JRC basis-of-diagnosis code.
///
/// DEVIATION: the call-for-data layout takes the ENCR 1999 codes, which
/// have no code 8 (cytogenetic or molecular confirmation, ENCR 2022). Code
/// 8 is exported as 7 (histology of the primary), because such
/// confirmation is made on tumour tissue and both are microscopically
/// verified.
fn basis_code(tumour: &Tumour) -> u8 {
    match tumour.basis_of_diagnosis.code() {
        8 => 7,
        code => code,
    }
}

/// Builds the 56 fields of one tumour's row, in [`ENCR_JRC_COLUMNS`]
/// order, as text ready for a CSV writer.
///
/// The person is dead (vital status 2) when a death date is known, with
/// follow-up ending at death; else alive (1) on `alive_on`, or unknown
/// (9). Survival is counted in days when both the incidence date and the
/// end of follow-up are complete, else 99999; a death-certificate-only
/// tumour has survival 0.
pub fn encr_jrc_record(tumour: &Tumour, facts: &EncrJrcFacts) -> Vec<String> {
    let (vital_status, follow_up) = match (facts.death_date, facts.alive_on) {
        (Some(death), _) => ("2", Some(death)),
        (None, Some(alive)) => ("1", Some(alive)),
        (None, None) => ("9", None),
    };
    let survival = if tumour.death_certificate_only {
        "0".to_string()
    } else {
        match (
            tumour.incidence_date.and_then(|d| d.complete()),
            follow_up.and_then(|d| d.complete()),
        ) {
            (Some(start), Some(end)) if end >= start => {
                (end - start).num_days().to_string()
            }
            _ => "99999".to_string(),
        }
    };
    let sex = match tumour.sex {
        Sex::Male => "1",
        Sex::Female => "2",
        Sex::Unknown => "9",
    };
    let topography = tumour.topography.to_string().replace('.', "");
    let [incidence_day, incidence_month, incidence_year] =
        day_month_year(tumour.incidence_date);
    let [follow_up_day, follow_up_month, follow_up_year] =
        day_month_year(follow_up);
    let registration = facts.registration_date.map(PartialDate::from_date);
    let [registration_day, registration_month, registration_year] =
        day_month_year(registration);
    let (cause, edition) = match facts.underlying_cause {
        Some(code) => (code.replace('.', ""), "10".to_string()),
        None => ("99999".to_string(), "99".to_string()),
    };

    let mut fields: Vec<String> = vec![
        if facts.checked { "1" } else { "0" }.to_string(),
        tumour.person_id.clone(),
        tumour.tumour_id.clone(),
        "99".into(),
        "99".into(),
        "9999".into(),
        sex.into(),
        incidence_day,
        incidence_month,
        incidence_year,
        tumour
            .age_at_incidence
            .map_or_else(|| "999".into(), |age| age.to_string()),
        basis_code(tumour).to_string(),
        topography,
        format!("{:04}", tumour.morphology.histology()),
        tumour.morphology.behaviour().code().to_string(),
        tumour.morphology.grade().unwrap_or(9).to_string(),
        // Autopsy findings are not recorded by any feed.
        "9".into(),
        vital_status.into(),
        follow_up_day,
        follow_up_month,
        follow_up_year,
        survival,
    ];
    let mut tail: Vec<String> =
        UNRECORDED_TAIL.iter().map(|v| v.to_string()).collect();
    // Columns 24-28 are recorded: registration date and cause of death.
    tail[1] = registration_day;
    tail[2] = registration_month;
    tail[3] = registration_year;
    tail[4] = cause;
    tail[5] = edition;
    if let Some(laterality) = tumour.laterality {
        tail[0] = laterality.code().to_string();
    }
    if let Some(stage) = &tumour.stage {
        fill_stage(&mut tail, stage);
    }
    fields.extend(tail);
    debug_assert_eq!(fields.len(), ENCR_JRC_COLUMNS.len());
    fields
}

/// Writes the TNM (columns 30-37) and extent of disease (46) of a stage
/// into the tail of a row, which starts at column 23.
///
/// NOTE: the layout does not show whether a category is written with its
/// letter (`T2a`) or without (`2a`). This writes it with the letter.
fn fill_stage(tail: &mut [String], stage: &rnc_model::Stage) {
    let at = |column: usize| column - 23;
    if let Some(tnm) = &stage.tnm {
        let first = match tnm.basis {
            rnc_model::TnmBasis::Pathological => 30,
            rnc_model::TnmBasis::Clinical => 33,
        };
        for (offset, category) in
            [&tnm.t, &tnm.n, &tnm.m].into_iter().enumerate()
        {
            if let Some(category) = category {
                tail[at(first + offset)] = category.clone();
            }
        }
        if let Some(group) = &tnm.stage_group {
            tail[at(36)] = group.clone();
        }
        if let Some(edition) = tnm.edition {
            tail[at(37)] = edition.to_string();
        }
    }
    if let Some(summary) = stage.summary {
        tail[at(46)] = summary.code().to_string();
    }
}

#[cfg(test)]
mod tests {
    use rnc_model::{BasisOfDiagnosis, Behaviour, Morphology, SourceKind};

    use super::*;

    fn tumour() -> Tumour {
        Tumour {
            tumour_id: "P00000001-T1".into(),
            person_id: "P00000001".into(),
            sex: Sex::Female,
            topography: "C50.4".parse().unwrap(),
            morphology: Morphology::new(8500, Behaviour::Malignant, Some(2))
                .unwrap(),
            icd10: "C50.4".into(),
            site_group: "breast".into(),
            incidence_date: Some(PartialDate::parse_iso("2021-03-04").unwrap()),
            age_at_incidence: Some(61),
            basis_of_diagnosis: BasisOfDiagnosis::HistologyOfPrimary,
            death_certificate_only: false,
            departement: Some("14".into()),
            record_ids: vec!["pathology_report/A".into()],
            sources: vec![SourceKind::PathologyReport],
            laterality: None,
            stage: None,
        }
    }

    fn column(fields: &[String], name: &str) -> String {
        let index = ENCR_JRC_COLUMNS.iter().position(|c| *c == name).unwrap();
        fields[index].clone()
    }

    // Expected values: ENCR-JRC column specification (codes and
    // missing-value markers of each column); survival 2021-03-04 to
    // 2023-01-10 is 677 days by calendar count.
    #[test]
    fn dead_person_row() {
        let facts = EncrJrcFacts {
            death_date: Some(PartialDate::parse_iso("2023-01-10").unwrap()),
            underlying_cause: Some("C50.9"),
            alive_on: None,
            registration_date: NaiveDate::from_ymd_opt(2023, 6, 1),
            checked: false,
        };
        let fields = encr_jrc_record(&tumour(), &facts);
        assert_eq!(fields.len(), 56);
        assert_eq!(column(&fields, "1_Flag"), "0");
        assert_eq!(column(&fields, "6_Year_DoB"), "9999");
        assert_eq!(column(&fields, "7_Sex"), "2");
        assert_eq!(column(&fields, "8_Day_DoI"), "04");
        assert_eq!(column(&fields, "9_Month_DoI"), "03");
        assert_eq!(column(&fields, "10_Year_DoI"), "2021");
        assert_eq!(column(&fields, "11_Age"), "61");
        assert_eq!(column(&fields, "12_BoD"), "7");
        assert_eq!(column(&fields, "13_Topo"), "C504");
        assert_eq!(column(&fields, "14_Morpho"), "8500");
        assert_eq!(column(&fields, "15_Beh"), "3");
        assert_eq!(column(&fields, "16_Grade"), "2");
        assert_eq!(column(&fields, "18_Vital_status"), "2");
        assert_eq!(column(&fields, "21_Year_FU"), "2023");
        assert_eq!(column(&fields, "22_Survival"), "677");
        assert_eq!(column(&fields, "23_Laterality"), "9");
        assert_eq!(column(&fields, "24_Day_DoR"), "01");
        assert_eq!(column(&fields, "26_Year_DoR"), "2023");
        assert_eq!(column(&fields, "27_Cause_death"), "C509");
        assert_eq!(column(&fields, "28_ICD_edition"), "10");
        assert_eq!(column(&fields, "29_TNM_prefix"), "");
        assert_eq!(column(&fields, "45_Breslow"), "999,99");
        assert_eq!(column(&fields, "56_BMtransp"), "9");
    }

    // Expected values: ENCR-JRC specification: a partial incidence date
    // keeps 99 for its unknown day, survival is then unknown (99999), and
    // a person without death or follow-up has vital status 9.
    #[test]
    fn partial_dates_and_unknown_follow_up() {
        let mut tumour = tumour();
        tumour.incidence_date =
            Some(PartialDate::parse_iso("2021-03").unwrap());
        tumour.age_at_incidence = None;
        tumour.morphology =
            Morphology::new(8500, Behaviour::Malignant, None).unwrap();
        let fields = encr_jrc_record(&tumour, &EncrJrcFacts::default());
        assert_eq!(column(&fields, "8_Day_DoI"), "99");
        assert_eq!(column(&fields, "11_Age"), "999");
        assert_eq!(column(&fields, "16_Grade"), "9");
        assert_eq!(column(&fields, "18_Vital_status"), "9");
        assert_eq!(column(&fields, "22_Survival"), "99999");
        assert_eq!(column(&fields, "27_Cause_death"), "99999");
        assert_eq!(column(&fields, "28_ICD_edition"), "99");
    }

    // Expected value: ENCR-JRC date checks require survival 0 for a
    // death-certificate-only tumour.
    #[test]
    fn dco_survival_is_zero() {
        let mut tumour = tumour();
        tumour.death_certificate_only = true;
        tumour.basis_of_diagnosis = BasisOfDiagnosis::DeathCertificateOnly;
        let facts = EncrJrcFacts {
            death_date: tumour.incidence_date,
            checked: true,
            ..EncrJrcFacts::default()
        };
        let fields = encr_jrc_record(&tumour, &facts);
        assert_eq!(column(&fields, "1_Flag"), "1");
        assert_eq!(column(&fields, "12_BoD"), "0");
        assert_eq!(column(&fields, "22_Survival"), "0");
    }

    // Expected values: ENCR-JRC layout, items 23 (laterality), 30-32 (pT,
    // pN, pM), 36 (stage group), 37 (TNM edition) and 46 (EoD).
    #[test]
    fn laterality_and_stage_columns() {
        let mut staged = tumour();
        staged.laterality = Some(rnc_model::Laterality::Bilateral);
        staged.stage = Some(rnc_model::Stage {
            tnm: rnc_model::Tnm::parse(
                rnc_model::TnmBasis::Pathological,
                Some("pT2"),
                Some("pN1a"),
                None,
                Some("IIB"),
                Some(8),
            )
            .ok(),
            summary: Some(rnc_model::SummaryStage::Regional),
        });
        let fields = encr_jrc_record(&staged, &EncrJrcFacts::default());
        assert_eq!(column(&fields, "23_Laterality"), "4");
        assert_eq!(column(&fields, "30_pT"), "T2");
        assert_eq!(column(&fields, "31_pN"), "N1a");
        assert_eq!(column(&fields, "32_pM"), "9");
        assert_eq!(column(&fields, "33_cT"), "9");
        assert_eq!(column(&fields, "36_Stage"), "IIB");
        assert_eq!(column(&fields, "37_TNM_edition"), "8");
        assert_eq!(column(&fields, "46_EoD"), "2");
    }
}
