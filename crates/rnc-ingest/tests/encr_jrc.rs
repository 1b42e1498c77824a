//! Registry extracts in the ENCR-JRC call-for-data layout, recognised by
//! their header.

mod common;

use common::ingest;
use rnc_ingest::{Mapping, ingest_file_with_mapping};
use rnc_model::{
    BasisOfDiagnosis, Behaviour, Laterality, Morphology, NirStatus,
    PartialDate, Sex, SourceKind, Stage, SummaryStage, Tnm, TnmBasis, Tumour,
};
use rnc_rules::{ENCR_JRC_COLUMNS, EncrJrcFacts, encr_jrc_record};

/// A row of the layout with the "unknown" value of each column given by
/// the layout's specification, then `values` set by column name.
fn row(values: &[(&str, &str)]) -> Vec<String> {
    let mut fields: Vec<String> = ENCR_JRC_COLUMNS
        .iter()
        .map(|name| match *name {
            "4_Day_DoB" | "5_Month_DoB" | "8_Day_DoI" | "9_Month_DoI"
            | "19_Day_FU" | "20_Month_FU" => "99".to_string(),
            "6_Year_DoB" | "21_Year_FU" => "9999".to_string(),
            "11_Age" => "999".to_string(),
            _ => "9".to_string(),
        })
        .collect();
    for (name, value) in values {
        let index = ENCR_JRC_COLUMNS.iter().position(|c| c == name).unwrap();
        fields[index] = value.to_string();
    }
    fields
}

/// The CSV text of a file of the layout. Column 45 (Breslow) is `999,99`
/// when unknown, so fields are quoted where needed.
fn file(rows: &[Vec<String>]) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(ENCR_JRC_COLUMNS).unwrap();
    for fields in rows {
        writer.write_record(fields).unwrap();
    }
    String::from_utf8(writer.into_inner().unwrap()).unwrap()
}

#[test]
fn layout_fields_are_read() {
    // Right breast (C50.4, laterality 1), stage IIA, alive on 1 June 2023;
    // born 12 August 1955, diagnosed 4 March 2021, so 65 years old.
    let alive = row(&[
        ("3_Tumour_ID", "T1"),
        ("4_Day_DoB", "12"),
        ("5_Month_DoB", "08"),
        ("6_Year_DoB", "1955"),
        ("7_Sex", "2"),
        ("8_Day_DoI", "04"),
        ("9_Month_DoI", "03"),
        ("10_Year_DoI", "2021"),
        ("11_Age", "65"),
        ("12_BoD", "7"),
        ("13_Topo", "C504"),
        ("14_Morpho", "8500"),
        ("15_Beh", "3"),
        ("16_Grade", "2"),
        ("18_Vital_status", "1"),
        ("19_Day_FU", "01"),
        ("20_Month_FU", "06"),
        ("21_Year_FU", "2023"),
        ("23_Laterality", "1"),
        ("36_Stage", "IIA"),
    ]);
    // Birth date unknown, so the age of column 11 is kept; dead in
    // May 2022, day unknown.
    let dead = row(&[
        ("3_Tumour_ID", "T2"),
        ("7_Sex", "1"),
        ("8_Day_DoI", "99"),
        ("9_Month_DoI", "11"),
        ("10_Year_DoI", "2020"),
        ("11_Age", "71"),
        ("12_BoD", "5"),
        ("13_Topo", "C619"),
        ("14_Morpho", "8140"),
        ("15_Beh", "3"),
        ("18_Vital_status", "2"),
        ("20_Month_FU", "05"),
        ("21_Year_FU", "2022"),
    ]);

    let outcome = ingest(
        SourceKind::RegistryExtract,
        "encr.csv",
        &file(&[alive, dead]),
    );

    assert!(outcome.quarantine.is_empty(), "{:?}", outcome.quarantine);
    let t1 = &outcome.records[0];
    assert_eq!(t1.record_id, "registry_extract/T1");
    assert_eq!(t1.sex, Some(Sex::Female));
    assert_eq!(t1.event_date, PartialDate::parse("2021-03-04").unwrap());
    assert_eq!(t1.age_at_event, Some(65));
    assert!(t1.birth_date_pseudonym.is_some());
    assert_eq!(t1.topography.unwrap().to_string(), "C50.4");
    assert_eq!(t1.morphology.unwrap().to_string(), "8500/32");
    assert_eq!(
        t1.basis_of_diagnosis,
        Some(BasisOfDiagnosis::HistologyOfPrimary)
    );
    assert_eq!(
        t1.last_contact_date,
        PartialDate::parse("2023-06-01").unwrap()
    );
    assert_eq!(t1.death_date, None);
    assert_eq!(t1.laterality, Some(Laterality::Right));
    let stage = t1.stage.as_ref().and_then(|s| s.tnm.as_ref());
    assert_eq!(stage.and_then(|t| t.stage_group.as_deref()), Some("IIA"));
    // The layout has no name, NIR, registry or département.
    assert_eq!(t1.nir_status, Some(NirStatus::Missing));
    assert_eq!(t1.month_salted_names.birth_name_pseudonym, None);
    assert_eq!(t1.establishment, None);
    assert_eq!(t1.departement, None);

    let t2 = &outcome.records[1];
    assert_eq!(t2.event_date.unwrap().to_iso(), "2020-11");
    assert_eq!(t2.age_at_event, Some(71));
    assert_eq!(t2.birth_date_pseudonym, None);
    assert_eq!(t2.death_date.unwrap().to_iso(), "2022-05");
    // Column 23 is 9: the laterality is stated as unknown.
    assert_eq!(t2.laterality, Some(Laterality::Unknown));
    assert_eq!(t2.stage, None);
}

#[test]
fn layout_faults_are_quarantined() {
    let good = [
        ("7_Sex", "2"),
        ("9_Month_DoI", "03"),
        ("10_Year_DoI", "2021"),
        ("12_BoD", "7"),
        ("13_Topo", "C504"),
        ("14_Morpho", "8500"),
        ("15_Beh", "3"),
        ("18_Vital_status", "1"),
    ];
    let with = |changes: &[(&'static str, &'static str)]| {
        let mut values = good.to_vec();
        values.extend_from_slice(changes);
        row(&values)
    };
    let mut rows = vec![
        with(&[("23_Laterality", "5")]),
        with(&[("36_Stage", "T2N0")]),
        with(&[("11_Age", "130")]),
        with(&[("8_Day_DoI", "30"), ("9_Month_DoI", "02")]),
        // Year 9999 is the layout's unknown year: the row is kept, with
        // an unknown incidence date.
        with(&[("10_Year_DoI", "9999")]),
        with(&[("18_Vital_status", "3")]),
        // Born 12 August 1955, diagnosed in March 2021: 65 years, not 70.
        with(&[
            ("4_Day_DoB", "12"),
            ("5_Month_DoB", "08"),
            ("6_Year_DoB", "1955"),
            ("11_Age", "70"),
        ]),
        // Last known alive in 2019, before the incidence in 2021.
        with(&[("21_Year_FU", "2019")]),
    ];
    for (number, fields) in rows.iter_mut().enumerate() {
        fields[2] = format!("T{number}");
    }

    let outcome = ingest(SourceKind::RegistryExtract, "encr.csv", &file(&rows));

    let found: Vec<(&str, &str)> = outcome
        .quarantine
        .iter()
        .map(|q| (q.field.as_str(), q.rule.as_str()))
        .collect();
    assert_eq!(
        found,
        vec![
            ("laterality", "laterality_code"),
            ("stage", "stage_code"),
            ("age", "age_range"),
            ("incidence_date", "impossible_date"),
            ("vital_status", "vital_status_code"),
            ("age", "age_mismatch"),
            ("incidence_date", "date_order"),
        ]
    );
    assert_eq!(outcome.records.len(), 1);
    assert_eq!(outcome.records[0].record_id, "registry_extract/T4");
    assert_eq!(outcome.records[0].event_date, None);
    // The split birth date is identifying: it never reaches safe_fields.
    let safe = &outcome.quarantine[5].safe_fields;
    assert!(!safe.contains("1955"), "{safe}");
}

#[test]
fn export_reads_back() {
    // A row written by the ENCR-JRC export of rnc-rules reads back as the
    // tumour it describes.
    let tumour = Tumour {
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
        laterality: Some(Laterality::Left),
        stage: Some(Stage {
            tnm: Tnm::parse(
                TnmBasis::Clinical,
                None,
                None,
                None,
                Some("IIB"),
                Some(7),
            )
            .ok(),
            summary: None,
        }),
    };
    let facts = EncrJrcFacts {
        death_date: PartialDate::parse("2023-01-10").unwrap(),
        underlying_cause: Some("C50.9"),
        ..EncrJrcFacts::default()
    };
    let fields = encr_jrc_record(&tumour, &facts);

    let outcome =
        ingest(SourceKind::RegistryExtract, "export.csv", &file(&[fields]));

    assert!(outcome.quarantine.is_empty(), "{:?}", outcome.quarantine);
    let record = &outcome.records[0];
    assert_eq!(record.record_id, "registry_extract/P00000001-T1");
    assert_eq!(record.topography, Some(tumour.topography));
    assert_eq!(record.morphology, Some(tumour.morphology));
    assert_eq!(record.event_date, tumour.incidence_date);
    assert_eq!(record.laterality, Some(Laterality::Left));
    let tnm = record.stage.as_ref().and_then(|s| s.tnm.as_ref());
    assert_eq!(tnm.and_then(|t| t.stage_group.as_deref()), Some("IIB"));
    assert_eq!(tnm.and_then(|t| t.edition), Some(7));
    assert_eq!(record.age_at_event, Some(61));
    assert_eq!(record.sex, Some(Sex::Female));
    assert_eq!(record.basis_of_diagnosis, Some(tumour.basis_of_diagnosis));
    assert_eq!(record.death_date, facts.death_date);
}

#[test]
fn tnm_columns_and_extent_of_disease() {
    // Columns 30-35 (pT pN pM cT cN cM) and 46 (extent of disease) as the
    // call-for-data specification codes them: a TNM category with or
    // without its letter, 9 unknown; extent of disease 1-5, 9 unknown.
    let base = [
        ("7_Sex", "2"),
        ("9_Month_DoI", "03"),
        ("10_Year_DoI", "2021"),
        ("12_BoD", "7"),
        ("13_Topo", "C504"),
        ("14_Morpho", "8500"),
        ("15_Beh", "3"),
        ("18_Vital_status", "1"),
    ];
    let with = |id: &'static str, changes: &[(&'static str, &'static str)]| {
        let mut values = base.to_vec();
        values.push(("3_Tumour_ID", id));
        values.extend_from_slice(changes);
        row(&values)
    };
    let rows = vec![
        // pTNM and cTNM both given: pTNM is kept.
        with(
            "T1",
            &[
                ("30_pT", "T2"),
                ("31_pN", "1a"),
                ("33_cT", "3"),
                ("37_TNM_edition", "7"),
                ("46_EoD", "2"),
            ],
        ),
        with(
            "T2",
            &[
                ("33_cT", "cT3"),
                ("34_cN", "0"),
                ("35_cM", "M1"),
                ("36_Stage", "IV"),
                ("46_EoD", "3"),
            ],
        ),
        with("T3", &[("46_EoD", "1")]),
        with("T4", &[("30_pT", "Q5")]),
        with("T5", &[("46_EoD", "7")]),
    ];

    let outcome = ingest(SourceKind::RegistryExtract, "encr.csv", &file(&rows));

    let found: Vec<(&str, &str)> = outcome
        .quarantine
        .iter()
        .map(|q| (q.field.as_str(), q.rule.as_str()))
        .collect();
    assert_eq!(
        found,
        [("p_t", "tnm_code"), ("summary_stage", "summary_stage_code")]
    );
    assert_eq!(outcome.records.len(), 3);
    let stage = |index: usize| outcome.records[index].stage.clone().unwrap();

    let first = stage(0);
    let tnm = first.tnm.unwrap();
    assert_eq!(tnm.basis, TnmBasis::Pathological);
    assert_eq!(tnm.t.as_deref(), Some("T2"));
    assert_eq!(tnm.n.as_deref(), Some("N1a"));
    assert_eq!(tnm.m, None);
    assert_eq!(tnm.edition, Some(7));
    assert_eq!(first.summary, Some(SummaryStage::Regional));

    let second = stage(1);
    let tnm = second.tnm.unwrap();
    assert_eq!(tnm.basis, TnmBasis::Clinical);
    assert_eq!(tnm.t.as_deref(), Some("T3"));
    assert_eq!(tnm.n.as_deref(), Some("N0"));
    assert_eq!(tnm.m.as_deref(), Some("M1"));
    assert_eq!(tnm.stage_group.as_deref(), Some("IV"));
    assert_eq!(second.summary, Some(SummaryStage::Distant));

    let third = stage(2);
    assert_eq!(third.tnm, None);
    assert_eq!(third.summary, Some(SummaryStage::Localised));
}

#[test]
fn mapping_renames_layout_columns() {
    // A file of the layout whose tumour id, topography and sex columns are
    // named otherwise, with sex coded M/F, read through a mapping of
    // layout encr_jrc, loads to the records of the same file with the
    // layout's own names and codes.
    let values = [
        ("3_Tumour_ID", "T1"),
        ("4_Day_DoB", "12"),
        ("5_Month_DoB", "08"),
        ("6_Year_DoB", "1955"),
        ("7_Sex", "2"),
        ("8_Day_DoI", "04"),
        ("9_Month_DoI", "03"),
        ("10_Year_DoI", "2021"),
        ("11_Age", "65"),
        ("12_BoD", "7"),
        ("13_Topo", "C504"),
        ("14_Morpho", "8500"),
        ("15_Beh", "3"),
        ("18_Vital_status", "1"),
        ("30_pT", "T1c"),
        ("46_EoD", "1"),
    ];
    let plain = file(&[row(&values)]);
    let renamed = plain
        .replacen("3_Tumour_ID", "TumourID", 1)
        .replacen("13_Topo", "Site", 1)
        .replacen("7_Sex", "Gender", 1);
    let mut fields = row(&values);
    let sex = ENCR_JRC_COLUMNS.iter().position(|c| *c == "7_Sex").unwrap();
    fields[sex] = "F".to_string();
    let renamed = {
        let header = renamed.lines().next().unwrap().to_string();
        let mut writer = csv::Writer::from_writer(Vec::new());
        writer.write_record(&fields).unwrap();
        let row = String::from_utf8(writer.into_inner().unwrap()).unwrap();
        format!("{header}\n{row}")
    };
    let mapping = Mapping::parse(
        SourceKind::RegistryExtract,
        "layout = \"encr_jrc\"\n\
         [columns]\n\
         tumour_ref = \"TumourID\"\n\
         topography = \"Site\"\n\
         sex = \"Gender\"\n\
         [sex_values]\n\
         M = \"male\"\n\
         F = \"female\"\n",
    )
    .unwrap();
    let (_dir, path) = common::fixture("renamed.csv", renamed.as_bytes());

    let mapped = ingest_file_with_mapping(
        SourceKind::RegistryExtract,
        &path,
        Some(&mapping),
        common::keys(),
        "batch-1",
    )
    .unwrap();
    let expected = ingest(SourceKind::RegistryExtract, "renamed.csv", &plain);

    assert!(mapped.quarantine.is_empty(), "{:?}", mapped.quarantine);
    assert_eq!(mapped.records, expected.records);
    assert_eq!(mapped.records[0].sex, Some(Sex::Female));
}

#[test]
fn layout_mapping_faults() {
    // A layout mapping takes no date format, and only for registry
    // extracts.
    let with_format = Mapping::parse(
        SourceKind::RegistryExtract,
        "layout = \"encr_jrc\"\ndate_format = \"%d/%m/%Y\"\n",
    );
    assert!(with_format.unwrap_err().contains("date_format"));
    let other_feed =
        Mapping::parse(SourceKind::HospitalStay, "layout = \"encr_jrc\"\n");
    assert!(other_feed.unwrap_err().contains("registry extract layout"));
    let unknown_field = Mapping::parse(
        SourceKind::RegistryExtract,
        "layout = \"encr_jrc\"\n[columns]\nincidence_date = \"DoI\"\n",
    );
    assert!(unknown_field.unwrap_err().contains("unknown field"));
}
