//! Writing the feeds, the denominators and the truth files as CSV.

use std::fs;
use std::path::Path;

use rnc_model::SourceKind;

use crate::Error;
use crate::demography::{self, AGE_BANDS, DEPARTEMENTS};
use crate::feeds::{self, Row};
use crate::population::{DeathCause, Person, Timeline};

fn create_writer(path: &Path) -> Result<csv::Writer<fs::File>, Error> {
    let file = fs::File::create(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(csv::Writer::from_writer(file))
}

fn write_record<I, T>(
    writer: &mut csv::Writer<fs::File>,
    path: &Path,
    record: I,
) -> Result<(), Error>
where
    I: IntoIterator<Item = T>,
    T: AsRef<[u8]>,
{
    writer.write_record(record).map_err(|source| Error::Csv {
        path: path.to_path_buf(),
        source,
    })
}

fn finish(mut writer: csv::Writer<fs::File>, path: &Path) -> Result<(), Error> {
    writer.flush().map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })
}

fn file_name(kind: SourceKind) -> String {
    format!("{}.csv", kind.name())
}

fn columns(kind: SourceKind) -> &'static [&'static str] {
    match kind {
        SourceKind::RegistryExtract => &feeds::REGISTRY_COLUMNS,
        SourceKind::HospitalStay => &feeds::HOSPITAL_COLUMNS,
        SourceKind::PathologyReport => &feeds::PATHOLOGY_COLUMNS,
        SourceKind::DeathRecord => &feeds::DEATH_COLUMNS,
    }
}

/// Writes one CSV file per feed, rows already shuffled and numbered.
pub(crate) fn write_feeds(
    out_dir: &Path,
    by_kind: &[Vec<Row>],
) -> Result<Vec<(SourceKind, u64)>, Error> {
    fs::create_dir_all(out_dir).map_err(|source| Error::Io {
        path: out_dir.to_path_buf(),
        source,
    })?;
    let mut counts = Vec::new();
    for (kind, rows) in SourceKind::ALL.into_iter().zip(by_kind) {
        let path = out_dir.join(file_name(kind));
        let mut writer = create_writer(&path)?;
        write_record(&mut writer, &path, columns(kind))?;
        for row in rows {
            write_record(&mut writer, &path, &row.fields)?;
        }
        finish(writer, &path)?;
        tracing::info!(file = %path.display(), rows = rows.len(), "feed written");
        counts.push((kind, rows.len() as u64));
    }
    Ok(counts)
}

/// Writes `population.csv`: every year, sex, age band and département,
/// zero counts included, so that a missing row never means zero.
pub(crate) fn write_population(
    out_dir: &Path,
    counts: &[Vec<Vec<Vec<u64>>>],
    timeline: &Timeline,
) -> Result<u64, Error> {
    let path = out_dir.join("population.csv");
    let mut writer = create_writer(&path)?;
    write_record(
        &mut writer,
        &path,
        ["year", "sex", "age_band", "departement", "population"],
    )?;
    let mut rows = 0u64;
    for (offset, year_counts) in counts.iter().enumerate() {
        let year = (timeline.first_year + offset as i32).to_string();
        for (sex, sex_counts) in year_counts.iter().enumerate() {
            let label = if sex == 0 { "male" } else { "female" };
            for (band, band_counts) in
                sex_counts.iter().enumerate().take(AGE_BANDS)
            {
                let band_label = demography::age_band_label(band);
                for (departement, count) in band_counts.iter().enumerate() {
                    write_record(
                        &mut writer,
                        &path,
                        [
                            year.as_str(),
                            label,
                            band_label.as_str(),
                            DEPARTEMENTS[departement].code,
                            count.to_string().as_str(),
                        ],
                    )?;
                    rows += 1;
                }
            }
        }
    }
    finish(writer, &path)?;
    tracing::info!(file = %path.display(), rows, "population written");
    Ok(rows)
}

fn tumour_label(id: u64) -> String {
    format!("T{id:07}")
}

/// Writes `truth/records.csv`, `truth/tumours.csv` and `truth/persons.csv`.
pub(crate) fn write_truth(
    out_dir: &Path,
    persons: &[Person],
    by_kind: &[Vec<Row>],
) -> Result<(), Error> {
    let truth = out_dir.join("truth");
    fs::create_dir_all(&truth).map_err(|source| Error::Io {
        path: truth.clone(),
        source,
    })?;

    let path = truth.join("records.csv");
    let mut writer = create_writer(&path)?;
    write_record(&mut writer, &path, ["record_id", "person_id", "tumour_id"])?;
    for (kind, rows) in SourceKind::ALL.into_iter().zip(by_kind) {
        for row in rows {
            write_record(
                &mut writer,
                &path,
                [
                    format!("{}/{}", kind.name(), row.fields[0]),
                    row.person_id.to_string(),
                    row.tumour_id.map(tumour_label).unwrap_or_default(),
                ],
            )?;
        }
    }
    finish(writer, &path)?;

    let path = truth.join("tumours.csv");
    let mut writer = create_writer(&path)?;
    write_record(
        &mut writer,
        &path,
        [
            "tumour_id",
            "person_id",
            "sex",
            "topography",
            "morphology",
            "behaviour",
            "incidence_date",
            "icd10",
            "departement",
        ],
    )?;
    for person in persons {
        for tumour in &person.tumours {
            let (group, detail) = tumour.codes.topography;
            write_record(
                &mut writer,
                &path,
                [
                    tumour_label(tumour.id),
                    person.id.to_string(),
                    (person.sex + 1).to_string(),
                    format!("C{group:02}.{detail}"),
                    format!("{:04}", tumour.codes.histology),
                    "3".to_string(),
                    tumour.incidence.format("%Y-%m-%d").to_string(),
                    tumour.codes.icd10.clone(),
                    person.departement_code().to_string(),
                ],
            )?;
        }
    }
    finish(writer, &path)?;

    let path = truth.join("persons.csv");
    let mut writer = create_writer(&path)?;
    write_record(
        &mut writer,
        &path,
        [
            "person_id",
            "sex",
            "birth_year",
            "departement",
            "death_date",
        ],
    )?;
    for person in persons {
        use chrono::Datelike;
        write_record(
            &mut writer,
            &path,
            [
                person.id.to_string(),
                (person.sex + 1).to_string(),
                person.birth.year().to_string(),
                person.departement_code().to_string(),
                person
                    .death
                    .map(|d| d.format("%Y-%m-%d").to_string())
                    .unwrap_or_default(),
            ],
        )?;
    }
    finish(writer, &path)?;

    let cancer_deaths = persons
        .iter()
        .filter(|p| {
            matches!(p.death_cause, Some(DeathCause::Tumour(_)))
                && p.death.is_some()
        })
        .count();
    tracing::info!(dir = %truth.display(), persons = persons.len(), cancer_deaths, "truth written");
    Ok(())
}
