//! Registry extracts in the ENCR-JRC call-for-data layout, recognised by
//! their header.

mod common;

use common::ingest;
use rnc_model::{
    BasisOfDiagnosis, Behaviour, Laterality, Morphology, NirStatus,
    PartialDate, Sex, SourceKind, Stage, Tnm, TnmBasis, Tumour,
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
    assert_eq!(t1.birth_name_pseudonym, None);
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
