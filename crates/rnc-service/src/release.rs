//! The facts of a release that the published indicators are computed
//! from: tumours, persons and the population at risk.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Float64Type, Int64Type};
use rnc_store::parquet_io::read_parquet;
use rnc_store::{Registry, ReleaseEntry};

use crate::Error;

/// One tumour, with the columns the indicators use.
#[derive(Debug, Clone, PartialEq)]
pub struct TumourFact {
    /// Tumour id, `<person_id>-T<n>`.
    pub tumour_id: String,
    /// Person id.
    pub person_id: String,
    /// `male`, `female` or `unknown`.
    pub sex: String,
    /// Site group code.
    pub site_group: String,
    /// ICD-O-3 topography.
    pub topography: String,
    /// ICD-O-3 morphology, four digits.
    pub morphology: String,
    /// ICD-O-3 behaviour code.
    pub behaviour: i64,
    /// ISO 8601 date, possibly partial (`2021-03`).
    pub incidence_date: String,
    /// Year of incidence.
    pub incidence_year: i64,
    /// Age at incidence in whole years.
    pub age: Option<i64>,
    /// ENCR basis of diagnosis code.
    pub basis_of_diagnosis: i64,
    /// Known from the death certificate only.
    pub death_certificate_only: bool,
    /// INSEE département of residence.
    pub departement: Option<String>,
}

/// One person's vital status.
#[derive(Debug, Clone, PartialEq)]
pub struct PersonFact {
    /// ISO 8601 death date, possibly partial; `None` when not known dead.
    pub death_date: Option<String>,
}

/// Population at risk of one year, sex, age band and département.
#[derive(Debug, Clone, PartialEq)]
pub struct PopulationFact {
    /// Calendar year.
    pub year: i64,
    /// `male` or `female`.
    pub sex: String,
    /// Age band label, `0-4` to `85+`.
    pub age_band: String,
    /// INSEE département.
    pub departement: String,
    /// Mid-year population, used as person-years.
    pub population: f64,
}

/// What the service reads from one release.
#[derive(Debug, Clone)]
pub struct ReleaseFacts {
    /// The release, as the catalogue lists it.
    pub release: ReleaseEntry,
    /// Every tumour of the release.
    pub tumours: Vec<TumourFact>,
    /// Persons by person id.
    pub persons: HashMap<String, PersonFact>,
    /// The population table of the release.
    pub population: Vec<PopulationFact>,
}

impl ReleaseFacts {
    /// Reads the release `release_id` (default: the latest) of `registry`
    /// after checking its files against their recorded SHA-256.
    ///
    /// # Errors
    ///
    /// [`rnc_store::Error`] for a missing or altered release, and
    /// [`Error::Invalid`] for a table that lacks a column.
    pub fn read(
        registry: &Registry,
        release_id: Option<&str>,
    ) -> Result<ReleaseFacts, Error> {
        let release = registry.verified_release(release_id)?;
        let dir = registry.release_dir(&release.release_id);
        let tumours = read_tumours(&dir)?;
        let persons = read_persons(&dir)?;
        let population = read_population(&dir)?;
        tracing::info!(
            release = %release.release_id,
            tumours = tumours.len(),
            persons = persons.len(),
            "read release"
        );
        Ok(ReleaseFacts {
            release,
            tumours,
            persons,
            population,
        })
    }
}

/// Columns of one table, cast to the types the service reads.
struct Columns<'a> {
    batch: &'a RecordBatch,
    table: &'static str,
}

impl Columns<'_> {
    fn get(&self, name: &str, to: &DataType) -> Result<ArrayRef, Error> {
        let column = self.batch.column_by_name(name).ok_or_else(|| {
            Error::Invalid(format!(
                "release table {} lacks column {name}",
                self.table
            ))
        })?;
        cast(column, to).map_err(|error| {
            Error::Invalid(format!(
                "release table {}, column {name}: {error}",
                self.table
            ))
        })
    }

    fn text(&self, name: &str) -> Result<Vec<Option<String>>, Error> {
        let array = self.get(name, &DataType::Utf8)?;
        let strings = array.as_string::<i32>();
        Ok((0..strings.len())
            .map(|i| strings.is_valid(i).then(|| strings.value(i).to_owned()))
            .collect())
    }

    fn integer(&self, name: &str) -> Result<Vec<Option<i64>>, Error> {
        let array = self.get(name, &DataType::Int64)?;
        let values = array.as_primitive::<Int64Type>();
        Ok((0..values.len())
            .map(|i| values.is_valid(i).then(|| values.value(i)))
            .collect())
    }
}

fn required<T>(
    value: Option<T>,
    table: &str,
    column: &str,
) -> Result<T, Error> {
    value.ok_or_else(|| {
        Error::Invalid(format!(
            "release table {table}, column {column}: unexpected null"
        ))
    })
}

fn read_tumours(dir: &Path) -> Result<Vec<TumourFact>, Error> {
    let mut tumours = Vec::new();
    for batch in read_parquet(&dir.join("tumours.parquet"))? {
        let columns = Columns {
            batch: &batch,
            table: "tumours",
        };
        let ids = columns.text("tumour_id")?;
        let persons = columns.text("person_id")?;
        let sexes = columns.text("sex")?;
        let sites = columns.text("site_group")?;
        let topographies = columns.text("topography")?;
        let morphologies = columns.text("morphology")?;
        let behaviours = columns.integer("behaviour")?;
        let dates = columns.text("incidence_date")?;
        let years = columns.integer("incidence_year")?;
        let ages = columns.integer("age_at_incidence")?;
        let bases = columns.integer("basis_of_diagnosis")?;
        let dco = columns.get("death_certificate_only", &DataType::Boolean)?;
        let dco = dco.as_boolean();
        let departements = columns.text("departement")?;
        for i in 0..batch.num_rows() {
            let text = |values: &[Option<String>], name| {
                required(values[i].clone(), "tumours", name)
            };
            tumours.push(TumourFact {
                tumour_id: text(&ids, "tumour_id")?,
                person_id: text(&persons, "person_id")?,
                sex: text(&sexes, "sex")?,
                site_group: text(&sites, "site_group")?,
                topography: text(&topographies, "topography")?,
                morphology: text(&morphologies, "morphology")?,
                behaviour: required(behaviours[i], "tumours", "behaviour")?,
                incidence_date: text(&dates, "incidence_date")?,
                incidence_year: required(
                    years[i],
                    "tumours",
                    "incidence_year",
                )?,
                age: ages[i],
                basis_of_diagnosis: bases[i].unwrap_or(9),
                death_certificate_only: dco.is_valid(i) && dco.value(i),
                departement: departements[i].clone(),
            });
        }
    }
    Ok(tumours)
}

fn read_persons(dir: &Path) -> Result<HashMap<String, PersonFact>, Error> {
    let mut persons = HashMap::new();
    for batch in read_parquet(&dir.join("persons.parquet"))? {
        let columns = Columns {
            batch: &batch,
            table: "persons",
        };
        let ids = columns.text("person_id")?;
        let deaths = columns.text("death_date")?;
        for (id, death_date) in ids.into_iter().zip(deaths) {
            let id = required(id, "persons", "person_id")?;
            persons.insert(id, PersonFact { death_date });
        }
    }
    Ok(persons)
}

fn read_population(dir: &Path) -> Result<Vec<PopulationFact>, Error> {
    let mut rows = Vec::new();
    for batch in read_parquet(&dir.join("population.parquet"))? {
        let columns = Columns {
            batch: &batch,
            table: "population",
        };
        let years = columns.integer("year")?;
        let sexes = columns.text("sex")?;
        let bands = columns.text("age_band")?;
        let departements = columns.text("departement")?;
        let values = columns.get("population", &DataType::Float64)?;
        let values: Arc<dyn Array> = values;
        let values = values.as_primitive::<Float64Type>();
        for i in 0..batch.num_rows() {
            rows.push(PopulationFact {
                year: required(years[i], "population", "year")?,
                sex: required(sexes[i].clone(), "population", "sex")?,
                age_band: required(bands[i].clone(), "population", "age_band")?,
                departement: required(
                    departements[i].clone(),
                    "population",
                    "departement",
                )?,
                population: if values.is_valid(i) {
                    values.value(i)
                } else {
                    0.0
                },
            });
        }
    }
    Ok(rows)
}
