//! Arrow schemas of the tumour and check tables, with the same
//! conventions as the source-record table of `rnc-model`: codes as text
//! (`C18.7`, `8140`), dates as ISO 8601 text that drops unknown parts,
//! sex as `male`, `female` or `unknown`, and lists joined with `|`.

use std::sync::Arc;

use arrow_array::builder::{
    BooleanBuilder, Int32Builder, StringBuilder, UInt8Builder, UInt16Builder,
};
use arrow_array::{
    Array, ArrayRef, BooleanArray, RecordBatch, StringArray, UInt8Array,
    UInt16Array,
};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use rnc_model::tables::{
    CODE_LIST_SEPARATOR, read_staging_columns, staging_arrays, staging_fields,
};
use rnc_model::{
    BasisOfDiagnosis, Behaviour, Morphology, PartialDate, Sex, SourceKind,
    Tumour,
};

use crate::{CheckResult, Error, Severity};

/// Schema of the tumour table.
pub fn tumour_schema() -> SchemaRef {
    use DataType::{Boolean, Int32, UInt8, UInt16, Utf8};
    let text = |name: &str, nullable: bool| Field::new(name, Utf8, nullable);
    let mut fields = vec![
        text("tumour_id", false),
        text("person_id", false),
        text("sex", false),
        text("topography", false),
        text("morphology", false),
        Field::new("behaviour", UInt8, false),
        Field::new("grade", UInt8, true),
        text("icd10", true),
        text("site_group", false),
        text("incidence_date", true),
        Field::new("incidence_year", Int32, true),
        Field::new("age_at_incidence", UInt16, true),
        Field::new("basis_of_diagnosis", UInt8, false),
        Field::new("death_certificate_only", Boolean, false),
        text("departement", true),
        text("record_ids", false),
        text("sources", false),
    ];
    fields.extend(staging_fields());
    Arc::new(Schema::new(fields))
}

/// Converts tumours to one record batch with [`tumour_schema`].
///
/// # Errors
///
/// Only if Arrow rejects the arrays, which would be a bug in this crate.
pub fn tumours_to_batch(tumours: &[Tumour]) -> Result<RecordBatch, Error> {
    let n = tumours.len();
    let texts = |f: &dyn Fn(&Tumour) -> Option<String>| -> ArrayRef {
        let mut b = StringBuilder::with_capacity(n, n * 16);
        for t in tumours {
            b.append_option(f(t));
        }
        Arc::new(b.finish())
    };
    let small = |f: &dyn Fn(&Tumour) -> Option<u8>| -> ArrayRef {
        let mut b = UInt8Builder::with_capacity(n);
        for t in tumours {
            b.append_option(f(t));
        }
        Arc::new(b.finish())
    };
    let mut years = Int32Builder::with_capacity(n);
    let mut ages = UInt16Builder::with_capacity(n);
    let mut dco = BooleanBuilder::with_capacity(n);
    for t in tumours {
        years.append_option(t.incidence_date.map(|d| d.year()));
        ages.append_option(t.age_at_incidence);
        dco.append_value(t.death_certificate_only);
    }
    let separator = CODE_LIST_SEPARATOR.to_string();
    let mut columns: Vec<ArrayRef> = vec![
        texts(&|t| Some(t.tumour_id.clone())),
        texts(&|t| Some(t.person_id.clone())),
        texts(&|t| Some(t.sex.label().to_string())),
        texts(&|t| Some(t.topography.to_string())),
        texts(&|t| Some(format!("{:04}", t.morphology.histology()))),
        small(&|t| Some(t.morphology.behaviour().code())),
        small(&|t| t.morphology.grade()),
        texts(&|t| (!t.icd10.is_empty()).then(|| t.icd10.clone())),
        texts(&|t| Some(t.site_group.clone())),
        texts(&|t| t.incidence_date.map(|d| d.to_iso())),
        Arc::new(years.finish()),
        Arc::new(ages.finish()),
        small(&|t| Some(t.basis_of_diagnosis.code())),
        Arc::new(dco.finish()),
        texts(&|t| t.departement.clone()),
        texts(&|t| Some(t.record_ids.join(&separator))),
        texts(&|t| {
            let names: Vec<&str> = t.sources.iter().map(|k| k.name()).collect();
            Some(names.join(&separator))
        }),
    ];
    columns.extend(staging_arrays(
        tumours.iter().map(|t| (t.laterality, t.stage.as_ref())),
    ));
    RecordBatch::try_new(tumour_schema(), columns)
        .map_err(|e| Error::arrow("tumour", e))
}

/// Schema of the check-result table.
pub fn check_schema() -> SchemaRef {
    let text = |name: &str| Field::new(name, DataType::Utf8, false);
    Arc::new(Schema::new(vec![
        text("tumour_id"),
        text("rule_id"),
        text("severity"),
        text("message"),
        text("standard"),
    ]))
}

/// Converts check results to one record batch with [`check_schema`].
///
/// # Errors
///
/// Only if Arrow rejects the arrays, which would be a bug in this crate.
pub fn checks_to_batch(checks: &[CheckResult]) -> Result<RecordBatch, Error> {
    let column = |f: &dyn Fn(&CheckResult) -> &str| -> ArrayRef {
        let mut b =
            StringBuilder::with_capacity(checks.len(), checks.len() * 32);
        for c in checks {
            b.append_value(f(c));
        }
        Arc::new(b.finish())
    };
    let columns: Vec<ArrayRef> = vec![
        column(&|c| &c.tumour_id),
        column(&|c| &c.rule_id),
        column(&|c| c.severity.label()),
        column(&|c| &c.message),
        column(&|c| c.standard),
    ];
    RecordBatch::try_new(check_schema(), columns)
        .map_err(|e| Error::arrow("check", e))
}

/// Reads tumours back from a batch written with [`tumour_schema`], such
/// as the `tumours` table of a release.
///
/// # Errors
///
/// [`crate::ErrorKind::TableRead`] naming the column (and row) that is
/// missing, of another type, or contains a value that does not parse.
pub fn batch_to_tumours(batch: &RecordBatch) -> Result<Vec<Tumour>, Error> {
    let read = TableReader {
        batch,
        table: "tumours",
    };
    let tumour_id = read.text("tumour_id")?;
    let person_id = read.text("person_id")?;
    let sex = read.text("sex")?;
    let topography = read.text("topography")?;
    let morphology = read.text("morphology")?;
    let behaviour = read.primitive::<UInt8Array>("behaviour")?;
    let grade = read.primitive::<UInt8Array>("grade")?;
    let icd10 = read.text("icd10")?;
    let site_group = read.text("site_group")?;
    let incidence_date = read.text("incidence_date")?;
    let age = read.primitive::<UInt16Array>("age_at_incidence")?;
    let basis = read.primitive::<UInt8Array>("basis_of_diagnosis")?;
    let dco = read.primitive::<BooleanArray>("death_certificate_only")?;
    let departement = read.text("departement")?;
    let record_ids = read.text("record_ids")?;
    let sources = read.text("sources")?;
    let mut staging = read_staging_columns(batch)
        .map_err(|_| Error::table_read("tumours", "laterality", None, "laterality or stage column of another type or with a value rnc does not write"))?
        .into_iter();

    let mut tumours = Vec::with_capacity(batch.num_rows());
    for row in 0..batch.num_rows() {
        let value = |column: &StringArray| {
            (!column.is_null(row)).then(|| column.value(row).to_string())
        };
        let bad = |column: &'static str| read.bad_value(column, row);
        let (laterality, stage) = staging.next().unwrap_or_default();
        let histology = Morphology::parse_histology(morphology.value(row))
            .map_err(|_| bad("morphology"))?;
        let behaviour = Behaviour::from_code(behaviour.value(row))
            .map_err(|_| bad("behaviour"))?;
        let grade = (!grade.is_null(row)).then(|| grade.value(row));
        let separator = CODE_LIST_SEPARATOR;
        let list = |text: Option<String>| -> Vec<String> {
            text.filter(|t| !t.is_empty())
                .map(|t| t.split(separator).map(str::to_string).collect())
                .unwrap_or_default()
        };
        let sources = list(value(sources))
            .iter()
            .map(|name| name.parse::<SourceKind>().map_err(|_| bad("sources")))
            .collect::<Result<Vec<_>, _>>()?;
        tumours.push(Tumour {
            tumour_id: tumour_id.value(row).to_string(),
            person_id: person_id.value(row).to_string(),
            sex: Sex::from_label(sex.value(row)).ok_or_else(|| bad("sex"))?,
            topography: topography
                .value(row)
                .parse()
                .map_err(|_| bad("topography"))?,
            morphology: Morphology::new(histology, behaviour, grade)
                .map_err(|_| bad("grade"))?,
            icd10: value(icd10).unwrap_or_default(),
            site_group: site_group.value(row).to_string(),
            incidence_date: value(incidence_date)
                .map(|text| PartialDate::parse_iso(&text))
                .transpose()
                .map_err(|_| bad("incidence_date"))?,
            age_at_incidence: (!age.is_null(row)).then(|| age.value(row)),
            basis_of_diagnosis: BasisOfDiagnosis::from_code(basis.value(row))
                .map_err(|_| bad("basis_of_diagnosis"))?,
            death_certificate_only: dco.value(row),
            departement: value(departement),
            record_ids: list(value(record_ids)),
            sources,
            laterality,
            stage,
        });
    }
    Ok(tumours)
}

/// Reads check results back from a batch written with [`check_schema`].
///
/// The `standard` column is matched against the standards this crate
/// names; an unknown text is kept as "unknown standard".
///
/// # Errors
///
/// [`crate::ErrorKind::TableRead`] naming the column that is missing or
/// of another type, or the row whose severity is not a known label.
pub fn batch_to_checks(batch: &RecordBatch) -> Result<Vec<CheckResult>, Error> {
    let read = TableReader {
        batch,
        table: "quality_checks",
    };
    let tumour_id = read.text("tumour_id")?;
    let rule_id = read.text("rule_id")?;
    let severity = read.text("severity")?;
    let message = read.text("message")?;
    let standard = read.text("standard")?;
    (0..batch.num_rows())
        .map(|row| {
            Ok(CheckResult {
                tumour_id: tumour_id.value(row).to_string(),
                rule_id: rule_id.value(row).to_string(),
                severity: Severity::from_label(severity.value(row))
                    .ok_or_else(|| read.bad_value("severity", row))?,
                message: message.value(row).to_string(),
                standard: crate::checks::known_standard(standard.value(row)),
            })
        })
        .collect()
}

/// Typed access to the columns of a table read back from Parquet.
struct TableReader<'a> {
    batch: &'a RecordBatch,
    table: &'static str,
}

impl TableReader<'_> {
    fn column(&self, name: &'static str) -> Result<&ArrayRef, Error> {
        self.batch.column_by_name(name).ok_or_else(|| {
            Error::table_read(self.table, name, None, "the column is missing")
        })
    }

    fn text(&self, name: &'static str) -> Result<&StringArray, Error> {
        self.primitive::<StringArray>(name)
    }

    fn primitive<T: 'static>(&self, name: &'static str) -> Result<&T, Error> {
        self.column(name)?
            .as_any()
            .downcast_ref::<T>()
            .ok_or_else(|| {
                Error::table_read(
                    self.table,
                    name,
                    None,
                    "the column has another type than rnc writes",
                )
            })
    }

    fn bad_value(&self, name: &'static str, row: usize) -> Error {
        Error::table_read(
            self.table,
            name,
            Some(row),
            "the value is not a valid code",
        )
    }
}
