//! A small synthetic registry release for the service tests: tumours,
//! persons and population written as the release tables are, from a
//! seeded generator, so that every run gets the same counts.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{
    BooleanArray, Float64Array, Int32Array, RecordBatch, StringArray,
    UInt8Array, UInt16Array,
};
use arrow::datatypes::{DataType, Field, Schema};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rnc_service::{AppState, ServiceConfig};
use rnc_store::parquet_io::write_parquet;
use rnc_store::{BatchEntry, Registry};

/// Site groups of the fixture with their share of tumours: two common,
/// two less so and one rare, so that some cells are large and some small.
pub const SITES: [(&str, &str, f64); 5] = [
    ("colon_rectum", "C18.7", 0.45),
    ("lung", "C34.1", 0.35),
    ("thyroid", "C73.9", 0.12),
    ("testis", "C62.9", 0.075),
    ("anus", "C21.0", 0.005),
];
/// Départements of the population table; the last is small.
pub const DEPARTEMENTS: [&str; 4] = ["01", "29", "75", "48"];
/// Years of the population table.
pub const YEARS: [i32; 4] = [2019, 2020, 2021, 2022];
/// Persons with a tumour.
pub const PERSONS: usize = 3000;

pub const BANDS: [&str; 18] = [
    "0-4", "5-9", "10-14", "15-19", "20-24", "25-29", "30-34", "35-39",
    "40-44", "45-49", "50-54", "55-59", "60-64", "65-69", "70-74", "75-79",
    "80-84", "85+",
];

/// A registry with one release, in `dir/registry`; returns its path.
pub fn build_registry(dir: &Path) -> PathBuf {
    let root = dir.join("registry");
    let registry = Registry::open_or_create(&root).unwrap();
    register_empty_batch(&registry);
    let work = dir.join("tables");
    std::fs::create_dir_all(&work).unwrap();
    let (tumours, persons) = tumour_and_person_batches();
    let tables = [
        ("tumours", tumours),
        ("persons", persons),
        ("population", population_batch()),
    ];
    let mut paths = Vec::new();
    for (name, batch) in tables {
        let path = work.join(format!("{name}.parquet"));
        write_parquet(&path, batch.schema(), &[batch]).unwrap();
        paths.push((name, path));
    }
    registry
        .create_release(&paths, "service test fixture")
        .unwrap();
    root
}

/// Registers a batch without rows, because a release needs one.
fn register_empty_batch(registry: &Registry) {
    let schema = Arc::new(Schema::new(vec![Field::new(
        "record_id",
        DataType::Utf8,
        false,
    )]));
    let writer = registry.begin_batch(schema.clone(), schema).unwrap();
    let entry = BatchEntry {
        batch_id: writer.batch_id().to_owned(),
        source_kind: "registry_extract".into(),
        source_file: "fixture.csv".into(),
        input_sha256: "fixture".into(),
        rows_read: 0,
        rows_accepted: 0,
        rows_quarantined: 0,
        key_fingerprint: "fixture".into(),
        provider_key_fingerprint: None,
        bloom_construction: None,
        ingested_at: "2024-01-01T00:00:00Z".into(),
        files: Vec::new(),
    };
    writer.commit(entry, false).unwrap();
}

fn tumour_and_person_batches() -> (RecordBatch, RecordBatch) {
    let mut rng = ChaCha8Rng::seed_from_u64(20250101);
    let mut t = TumourColumns::default();
    let mut person_ids = Vec::new();
    let mut person_sex = Vec::new();
    let mut deaths: Vec<Option<String>> = Vec::new();
    for p in 0..PERSONS {
        let person = format!("P{:08}", p + 1);
        let sex = if rng.random_bool(0.5) {
            "male"
        } else {
            "female"
        };
        let tumours = if rng.random_bool(0.1) { 2 } else { 1 };
        let mut last_year = 2019;
        for n in 0..tumours {
            let draw: f64 = rng.random();
            let mut cumulative = 0.0;
            let mut site = SITES[0];
            for candidate in SITES {
                cumulative += candidate.2;
                if draw < cumulative {
                    site = candidate;
                    break;
                }
            }
            let year = YEARS[rng.random_range(0..YEARS.len())];
            last_year = last_year.max(year);
            let month = rng.random_range(1..=12);
            let day = rng.random_range(1..=28);
            // One tumour in 20 with a partial date, as registries have.
            let date = if rng.random_bool(0.05) {
                format!("{year}-{month:02}")
            } else {
                format!("{year}-{month:02}-{day:02}")
            };
            // Skewed to older ages, as cancer incidence is.
            let age = 20.0 + 78.0 * rng.random::<f64>().sqrt();
            let age = age as u16;
            let departement = match rng.random_range(0..400) {
                0..=5 => None,
                6..=11 => Some(DEPARTEMENTS[3]),
                12..=160 => Some(DEPARTEMENTS[0]),
                161..=260 => Some(DEPARTEMENTS[1]),
                _ => Some(DEPARTEMENTS[2]),
            };
            t.tumour_id.push(format!("{person}-T{}", n + 1));
            t.person_id.push(person.clone());
            t.sex.push(sex.to_owned());
            t.topography.push(site.1.to_owned());
            t.morphology.push("8140".to_owned());
            t.behaviour.push(if rng.random_bool(0.03) { 2 } else { 3 });
            t.site_group.push(site.0.to_owned());
            t.incidence_date.push(date);
            t.incidence_year.push(year);
            t.age.push(Some(age));
            t.basis.push(7);
            t.dco.push(false);
            t.departement.push(departement.map(str::to_owned));
        }
        let death = rng.random_bool(0.3).then(|| {
            let year = last_year + rng.random_range(0..=1);
            format!(
                "{year}-{:02}-{:02}",
                rng.random_range(1..=12),
                rng.random_range(1..=28)
            )
        });
        person_ids.push(person);
        person_sex.push(sex.to_owned());
        deaths.push(death);
    }
    // A death cannot precede a diagnosis: move such deaths to the last
    // diagnosis date.
    for (i, person) in person_ids.iter().enumerate() {
        let last_diagnosis = t
            .person_id
            .iter()
            .zip(&t.incidence_date)
            .filter(|(p, _)| *p == person)
            .map(|(_, d)| d.clone())
            .max()
            .unwrap();
        if let Some(death) = &deaths[i]
            && *death < last_diagnosis
        {
            deaths[i] = Some(format!("{}-28", &last_diagnosis[..7]));
        }
    }
    let persons = RecordBatch::try_new(
        Arc::new(Schema::new(vec![
            Field::new("person_id", DataType::Utf8, false),
            Field::new("sex", DataType::Utf8, false),
            Field::new("death_date", DataType::Utf8, true),
        ])),
        vec![
            Arc::new(StringArray::from(person_ids)),
            Arc::new(StringArray::from(person_sex)),
            Arc::new(StringArray::from(deaths)),
        ],
    )
    .unwrap();
    (t.into_batch(), persons)
}

#[derive(Default)]
struct TumourColumns {
    tumour_id: Vec<String>,
    person_id: Vec<String>,
    sex: Vec<String>,
    topography: Vec<String>,
    morphology: Vec<String>,
    behaviour: Vec<u8>,
    site_group: Vec<String>,
    incidence_date: Vec<String>,
    incidence_year: Vec<i32>,
    age: Vec<Option<u16>>,
    basis: Vec<u8>,
    dco: Vec<bool>,
    departement: Vec<Option<String>>,
}

impl TumourColumns {
    fn into_batch(self) -> RecordBatch {
        let text = |name: &str| Field::new(name, DataType::Utf8, false);
        let schema = Schema::new(vec![
            text("tumour_id"),
            text("person_id"),
            text("sex"),
            text("topography"),
            text("morphology"),
            Field::new("behaviour", DataType::UInt8, false),
            text("site_group"),
            text("incidence_date"),
            Field::new("incidence_year", DataType::Int32, false),
            Field::new("age_at_incidence", DataType::UInt16, true),
            Field::new("basis_of_diagnosis", DataType::UInt8, false),
            Field::new("death_certificate_only", DataType::Boolean, false),
            Field::new("departement", DataType::Utf8, true),
        ]);
        RecordBatch::try_new(
            Arc::new(schema),
            vec![
                Arc::new(StringArray::from(self.tumour_id)),
                Arc::new(StringArray::from(self.person_id)),
                Arc::new(StringArray::from(self.sex)),
                Arc::new(StringArray::from(self.topography)),
                Arc::new(StringArray::from(self.morphology)),
                Arc::new(UInt8Array::from(self.behaviour)),
                Arc::new(StringArray::from(self.site_group)),
                Arc::new(StringArray::from(self.incidence_date)),
                Arc::new(Int32Array::from(self.incidence_year)),
                Arc::new(UInt16Array::from(self.age)),
                Arc::new(UInt8Array::from(self.basis)),
                Arc::new(BooleanArray::from(self.dco)),
                Arc::new(StringArray::from(self.departement)),
            ],
        )
        .unwrap()
    }
}

/// Population: 2 000 to 40 000 per year, sex, band and département.
fn population_batch() -> RecordBatch {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let (mut years, mut sexes, mut bands, mut departements, mut values) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for year in YEARS {
        for sex in ["female", "male"] {
            for band in BANDS {
                for departement in DEPARTEMENTS {
                    years.push(year);
                    sexes.push(sex);
                    bands.push(band);
                    departements.push(departement);
                    values.push(f64::from(rng.random_range(2_000..40_000)));
                }
            }
        }
    }
    RecordBatch::try_new(
        Arc::new(rnc_store::population::population_schema().as_ref().clone()),
        vec![
            Arc::new(Int32Array::from(years)),
            Arc::new(StringArray::from(sexes)),
            Arc::new(StringArray::from(bands)),
            Arc::new(StringArray::from(departements)),
            Arc::new(Float64Array::from(values)),
        ],
    )
    .unwrap()
}

/// Service settings for a fixture registry, with key and head beside it.
pub fn config(registry: &Path) -> ServiceConfig {
    ServiceConfig::new(registry)
}

/// Opens the service state on a fresh fixture in `dir`.
pub fn state(dir: &Path) -> Arc<AppState> {
    Arc::new(AppState::open(config(&build_registry(dir))).unwrap())
}
