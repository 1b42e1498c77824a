//! Arrow schemas of the staged and released source-record table, and
//! conversion between [`SourceRecord`] values and record batches.
//!
//! Column names and types are the contract between stages and with users
//! who read the Parquet files from R or Python: code values are written in
//! their usual text form (`C18.7`, `8140`), dates as ISO 8601 text that
//! drops unknown parts (`2021-03`), and sex as `male`, `female` or
//! `unknown`.

use std::sync::Arc;

use arrow_array::builder::{
    BinaryBuilder, Int32Builder, StringBuilder, UInt8Builder, UInt16Builder,
    UInt64Builder,
};
use arrow_array::{
    Array, ArrayRef, BinaryArray, Int32Array, RecordBatch, StringArray,
    UInt8Array, UInt16Array, UInt64Array,
};
use arrow_schema::{ArrowError, DataType, Field, Schema, SchemaRef};

mod staging_columns;

pub use staging_columns::{
    STAGING_COLUMNS, Staging, read_staging_columns, staging_arrays,
    staging_fields,
};

use crate::{
    BasisOfDiagnosis, Behaviour, LinkageFields, Morphology, NirStatus,
    PartialDate, SaltedNameColumns, SaltedNameFields, SaltedNames,
    ScreeningProgramme, ScreeningResult, ScreeningTest, Sex, SourceKind,
    SourceRecord, Topography, TreatmentType,
};

/// Separator of the codes in the `icd10_other` column.
pub const CODE_LIST_SEPARATOR: char = '|';

/// Columns that exist only for linkage: the identity pseudonyms, the Bloom
/// encodings, and the age at each record's event. A release leaves them
/// out of its `source_records` table, because together with the clear event
/// dates they would let an analyst narrow down birth dates; they stay in
/// the staged tables of the linkage environment.
/// [`batch_to_source_records`] reads a batch without them as if they were
/// empty.
pub const LINKAGE_COLUMNS: [&str; 24] = [
    "nir_pseudonym",
    "nir_birth_date_sex_pseudonym",
    "birth_date_pseudonym",
    "birth_date_swapped_pseudonym",
    "birth_date_next_year_pseudonym",
    "birth_year_month_pseudonym",
    "birth_year_day_pseudonym",
    "birth_month_day_pseudonym",
    "month_salt_pseudonym",
    "birth_name_month_salt_pseudonym",
    "usage_name_month_salt_pseudonym",
    "first_name_month_salt_pseudonym",
    "birth_name_month_salt_bloom",
    "usage_name_month_salt_bloom",
    "first_name_month_salt_bloom",
    "day_salt_pseudonym",
    "birth_name_day_salt_pseudonym",
    "usage_name_day_salt_pseudonym",
    "first_name_day_salt_pseudonym",
    "birth_name_day_salt_bloom",
    "usage_name_day_salt_bloom",
    "first_name_day_salt_bloom",
    "age_at_event",
    "event_year",
];

/// Returns the [`LINKAGE_COLUMNS`] that hold pseudonyms and Bloom
/// filters: all but the age at event and the event year, which
/// consolidation reads.
/// They take most of a staged record's memory, so the stages after
/// linkage read staged records without them.
pub fn encoding_columns() -> Vec<&'static str> {
    LINKAGE_COLUMNS
        .into_iter()
        .filter(|column| !matches!(*column, "age_at_event" | "event_year"))
        .collect()
}

/// Schema of the staged source-record table.
pub fn source_record_schema() -> SchemaRef {
    use DataType::{Binary, Int32, UInt8, UInt16, UInt64, Utf8};
    let text = |name: &str, nullable: bool| Field::new(name, Utf8, nullable);
    let mut fields = vec![
        text("record_id", false),
        text("batch_id", false),
        text("source_kind", false),
        text("source_file", false),
        Field::new("source_line", UInt64, false),
        text("nir_status", false),
        text("nir_pseudonym", true),
        text("nir_birth_date_sex_pseudonym", true),
        text("sex", false),
        text("birth_date_pseudonym", true),
        text("birth_date_swapped_pseudonym", true),
        text("birth_date_next_year_pseudonym", true),
        text("birth_year_month_pseudonym", true),
        text("birth_year_day_pseudonym", true),
        text("birth_month_day_pseudonym", true),
    ];
    for columns in [SaltedNameColumns::MONTH, SaltedNameColumns::DAY] {
        fields.extend(columns.pseudonyms().map(|name| text(name, true)));
        fields.extend(
            columns.blooms().map(|name| Field::new(name, Binary, true)),
        );
    }
    fields.extend([
        text("departement", true),
        text("event_date", true),
        Field::new("event_year", Int32, true),
        Field::new("age_at_event", UInt16, true),
        text("death_date", true),
        text("last_contact_date", true),
        text("topography", true),
        text("morphology", true),
        Field::new("behaviour", UInt8, true),
        Field::new("grade", UInt8, true),
        text("icd10", true),
        text("icd10_other", true),
        Field::new("basis_of_diagnosis", UInt8, true),
        text("establishment", true),
        text("registration_date", true),
        text("screening_programme", true),
        text("screening_test", true),
        text("screening_result", true),
        text("treatment", true),
        text("procedure_code", true),
        text("drug_code", true),
        text("end_date", true),
    ]);
    fields.extend(staging_fields());
    Arc::new(Schema::new(fields))
}

/// Removes the [`LINKAGE_COLUMNS`] from a source-record batch, as a
/// release stores it.
///
/// # Errors
///
/// Only if Arrow rejects the projection, which would be a bug.
pub fn without_linkage_columns(
    batch: &RecordBatch,
) -> Result<RecordBatch, ArrowError> {
    let kept: Vec<usize> = batch
        .schema()
        .fields()
        .iter()
        .enumerate()
        .filter(|(_, f)| !LINKAGE_COLUMNS.contains(&f.name().as_str()))
        .map(|(i, _)| i)
        .collect();
    batch.project(&kept)
}

/// Converts source records to one record batch with
/// [`source_record_schema`].
///
/// # Errors
///
/// Only if Arrow rejects the arrays, which would be a bug in this
/// function.
pub fn source_records_to_batch(
    records: &[SourceRecord],
) -> Result<RecordBatch, ArrowError> {
    let n = records.len();
    let texts = |f: &dyn Fn(&SourceRecord) -> Option<String>| -> ArrayRef {
        let mut b = StringBuilder::with_capacity(n, n * 16);
        for r in records {
            b.append_option(f(r));
        }
        Arc::new(b.finish())
    };
    // Borrowed text, the builder sized once from the total length, so
    // that the pseudonyms (64 bytes each) are copied once, with no
    // intermediate String and no growth of the builder.
    let strs = |f: &dyn Fn(&SourceRecord) -> Option<&str>| -> ArrayRef {
        let bytes = records.iter().filter_map(f).map(str::len).sum();
        let mut b = StringBuilder::with_capacity(n, bytes);
        for r in records {
            b.append_option(f(r));
        }
        Arc::new(b.finish())
    };
    let blooms = |f: &dyn Fn(&SourceRecord) -> Option<&Vec<u8>>| -> ArrayRef {
        let mut b = BinaryBuilder::with_capacity(n, n * 64);
        for r in records {
            b.append_option(f(r));
        }
        Arc::new(b.finish())
    };
    let small = |f: &dyn Fn(&SourceRecord) -> Option<u8>| -> ArrayRef {
        let mut b = UInt8Builder::with_capacity(n);
        for r in records {
            b.append_option(f(r));
        }
        Arc::new(b.finish())
    };
    let mut lines = UInt64Builder::with_capacity(n);
    let mut years = Int32Builder::with_capacity(n);
    let mut ages = UInt16Builder::with_capacity(n);
    for r in records {
        lines.append_value(r.source_line);
        years.append_option(r.event_date.map(|d| d.year()));
        ages.append_option(r.age_at_event);
    }
    let iso = |d: &Option<PartialDate>| d.map(|d| d.to_iso());
    let mut columns: Vec<ArrayRef> = vec![
        strs(&|r| Some(r.record_id.as_str())),
        strs(&|r| Some(r.batch_id.as_str())),
        strs(&|r| Some(r.source_kind.map_or("", |k| k.name()))),
        strs(&|r| Some(r.source_file.as_str())),
        Arc::new(lines.finish()),
        strs(&|r| Some(r.nir_status.unwrap_or(NirStatus::Missing).label())),
        strs(&|r| r.nir_pseudonym.as_deref()),
        strs(&|r| r.nir_birth_date_sex_pseudonym.as_deref()),
        strs(&|r| Some(r.sex.unwrap_or(Sex::Unknown).label())),
        strs(&|r| r.birth_date_pseudonym.as_deref()),
        strs(&|r| r.birth_date_swapped_pseudonym.as_deref()),
        strs(&|r| r.birth_date_next_year_pseudonym.as_deref()),
        strs(&|r| r.birth_year_month_pseudonym.as_deref()),
        strs(&|r| r.birth_year_day_pseudonym.as_deref()),
        strs(&|r| r.birth_month_day_pseudonym.as_deref()),
    ];
    // In the order of `source_record_schema`: per salt, the salt and name
    // pseudonyms, then the filters.
    type Salted = fn(&SourceRecord) -> &SaltedNames;
    let salts: [Salted; 2] =
        [|r| &r.month_salted_names, |r| &r.day_salted_names];
    for names in salts {
        columns.extend([
            strs(&|r| names(r).salt_pseudonym.as_deref()),
            strs(&|r| names(r).birth_name_pseudonym.as_deref()),
            strs(&|r| names(r).usage_name_pseudonym.as_deref()),
            strs(&|r| names(r).first_name_pseudonym.as_deref()),
            blooms(&|r| names(r).birth_name_bloom.as_ref()),
            blooms(&|r| names(r).usage_name_bloom.as_ref()),
            blooms(&|r| names(r).first_name_bloom.as_ref()),
        ]);
    }
    columns.extend([
        strs(&|r| r.departement.as_deref()),
        texts(&|r| iso(&r.event_date)),
        Arc::new(years.finish()),
        Arc::new(ages.finish()),
        texts(&|r| iso(&r.death_date)),
        texts(&|r| iso(&r.last_contact_date)),
        texts(&|r| r.topography.map(|t| t.to_string())),
        texts(&|r| r.morphology.map(|m| format!("{:04}", m.histology()))),
        small(&|r| r.morphology.map(|m| m.behaviour().code())),
        small(&|r| r.morphology.and_then(|m| m.grade())),
        strs(&|r| r.icd10.as_deref()),
        texts(&|r| {
            if r.icd10_other.is_empty() {
                None
            } else {
                Some(r.icd10_other.join(&CODE_LIST_SEPARATOR.to_string()))
            }
        }),
        small(&|r| r.basis_of_diagnosis.map(|b| b.code())),
        strs(&|r| r.establishment.as_deref()),
        texts(&|r| iso(&r.registration_date)),
        strs(&|r| r.screening_programme.map(|p| p.label())),
        strs(&|r| r.screening_test.map(|t| t.label())),
        strs(&|r| r.screening_result.map(|x| x.label())),
        strs(&|r| r.treatment.map(|t| t.label())),
        strs(&|r| r.procedure_code.as_deref()),
        strs(&|r| r.drug_code.as_deref()),
        texts(&|r| iso(&r.end_date)),
    ]);
    columns.extend(staging_arrays(
        records.iter().map(|r| (r.laterality, r.stage.as_ref())),
    ));
    RecordBatch::try_new(source_record_schema(), columns)
}

/// Reads source records back from a batch that has the columns of
/// [`source_record_schema`] (extra columns, such as the person and tumour
/// ids of a release, are ignored).
///
/// # Errors
///
/// [`ArrowError::SchemaError`] when a column is missing or has another
/// type, and [`ArrowError::ParseError`] when a code or date does not parse,
/// naming the column and row.
pub fn batch_to_source_records(
    batch: &RecordBatch,
) -> Result<Vec<SourceRecord>, ArrowError> {
    reject_year_salted_names(batch)?;
    let c = Columns { batch };
    let record_id = c.text("record_id")?;
    let batch_id = c.text("batch_id")?;
    let kind = c.text("source_kind")?;
    let file = c.text("source_file")?;
    let line = c.get::<UInt64Array>("source_line")?;
    let nir_status = c.text("nir_status")?;
    let nir = c.optional::<StringArray>("nir_pseudonym")?;
    let triplet = c.optional::<StringArray>("nir_birth_date_sex_pseudonym")?;
    let sex = c.text("sex")?;
    let bd = c.optional::<StringArray>("birth_date_pseudonym")?;
    let bd_swapped =
        c.optional::<StringArray>("birth_date_swapped_pseudonym")?;
    let bd_next_year =
        c.optional::<StringArray>("birth_date_next_year_pseudonym")?;
    let by = c.optional::<StringArray>("birth_year_month_pseudonym")?;
    let bm = c.optional::<StringArray>("birth_year_day_pseudonym")?;
    let bday = c.optional::<StringArray>("birth_month_day_pseudonym")?;
    let month_salted = SaltedNameArrays::read(&c, SaltedNameColumns::MONTH)?;
    let day_salted = SaltedNameArrays::read(&c, SaltedNameColumns::DAY)?;
    let departement = c.text("departement")?;
    let event_date = c.text("event_date")?;
    let _ = c.optional::<Int32Array>("event_year")?;
    let age = c.optional::<UInt16Array>("age_at_event")?;
    let death_date = c.text("death_date")?;
    let last_contact = c.text("last_contact_date")?;
    let topography = c.text("topography")?;
    let morphology = c.text("morphology")?;
    let behaviour = c.get::<UInt8Array>("behaviour")?;
    let grade = c.get::<UInt8Array>("grade")?;
    let icd10 = c.text("icd10")?;
    let icd10_other = c.text("icd10_other")?;
    let basis = c.get::<UInt8Array>("basis_of_diagnosis")?;
    let establishment = c.text("establishment")?;
    // Absent from tables written before the column existed.
    let registration = c.optional::<StringArray>("registration_date")?;
    let mut staging = read_staging_columns(batch)?.into_iter();
    let events = EventColumns::read(&c)?;

    let opt_text = |a: &StringArray, i: usize| {
        a.is_valid(i).then(|| a.value(i).to_string())
    };
    let token =
        |a: Option<&StringArray>, i: usize| a.and_then(|a| opt_text(a, i));
    let bad = |column: &str, row: usize, what: String| {
        ArrowError::ParseError(format!("column {column}, row {row}: {what}"))
    };
    let date = |a: &StringArray, column: &str, i: usize| {
        if a.is_null(i) {
            return Ok(None);
        }
        PartialDate::parse(a.value(i))
            .map_err(|e| bad(column, i, e.to_string()))
    };

    let mut records = Vec::with_capacity(batch.num_rows());
    for i in 0..batch.num_rows() {
        let (laterality, stage) = staging.next().unwrap_or_default();
        let source_kind = kind
            .value(i)
            .parse::<SourceKind>()
            .map_err(|e| bad("source_kind", i, e))?;
        let morphology_value = match opt_text(morphology, i) {
            None => None,
            Some(text) => {
                let histology = Morphology::parse_histology(&text)
                    .map_err(|e| bad("morphology", i, e.to_string()))?;
                let behaviour_code = if behaviour.is_valid(i) {
                    behaviour.value(i)
                } else {
                    9
                };
                let b = Behaviour::from_code(behaviour_code)
                    .map_err(|e| bad("behaviour", i, e.to_string()))?;
                let g = grade.is_valid(i).then(|| grade.value(i));
                Some(
                    Morphology::new(histology, b, g)
                        .map_err(|e| bad("morphology", i, e.to_string()))?,
                )
            }
        };
        let topography_value = match opt_text(topography, i) {
            None => None,
            Some(text) => Some(
                text.parse::<Topography>()
                    .map_err(|e| bad("topography", i, e.to_string()))?,
            ),
        };
        let basis_value = if basis.is_valid(i) {
            Some(
                BasisOfDiagnosis::from_code(basis.value(i))
                    .map_err(|e| bad("basis_of_diagnosis", i, e.to_string()))?,
            )
        } else {
            None
        };
        records.push(SourceRecord {
            record_id: record_id.value(i).to_string(),
            batch_id: batch_id.value(i).to_string(),
            source_kind: Some(source_kind),
            source_file: file.value(i).to_string(),
            source_line: line.value(i),
            nir_status: NirStatus::from_label(nir_status.value(i)),
            nir_pseudonym: token(nir, i),
            nir_birth_date_sex_pseudonym: token(triplet, i),
            sex: Sex::from_label(sex.value(i)),
            birth_date_pseudonym: token(bd, i),
            birth_date_swapped_pseudonym: token(bd_swapped, i),
            birth_date_next_year_pseudonym: token(bd_next_year, i),
            birth_year_month_pseudonym: token(by, i),
            birth_year_day_pseudonym: token(bm, i),
            birth_month_day_pseudonym: token(bday, i),
            month_salted_names: SaltedNames::from(month_salted.fields(i))
                .into(),
            day_salted_names: SaltedNames::from(day_salted.fields(i)).into(),
            departement: opt_text(departement, i),
            event_date: date(event_date, "event_date", i)?,
            age_at_event: age.and_then(|a| a.is_valid(i).then(|| a.value(i))),
            death_date: date(death_date, "death_date", i)?,
            last_contact_date: date(last_contact, "last_contact_date", i)?,
            topography: topography_value,
            morphology: morphology_value,
            icd10: opt_text(icd10, i),
            icd10_other: opt_text(icd10_other, i)
                .map(|t| {
                    t.split(CODE_LIST_SEPARATOR).map(str::to_string).collect()
                })
                .unwrap_or_default(),
            basis_of_diagnosis: basis_value,
            establishment: opt_text(establishment, i),
            registration_date: match registration {
                Some(column) => date(column, "registration_date", i)?,
                None => None,
            },
            laterality,
            stage,
            ..SourceRecord::default()
        });
        events.fill(i, records.last_mut().expect("a record was pushed"))?;
    }
    Ok(records)
}

/// The columns of the event facts (screening and treatment). Each may be absent, because tables staged before these
/// kinds existed do not have them; an absent column reads as empty.
struct EventColumns<'a> {
    programme: Option<&'a StringArray>,
    test: Option<&'a StringArray>,
    result: Option<&'a StringArray>,
    treatment: Option<&'a StringArray>,
    procedure_code: Option<&'a StringArray>,
    drug_code: Option<&'a StringArray>,
    end_date: Option<&'a StringArray>,
}

impl<'a> EventColumns<'a> {
    fn read(c: &Columns<'a>) -> Result<EventColumns<'a>, ArrowError> {
        Ok(EventColumns {
            programme: c.optional::<StringArray>("screening_programme")?,
            test: c.optional::<StringArray>("screening_test")?,
            result: c.optional::<StringArray>("screening_result")?,
            treatment: c.optional::<StringArray>("treatment")?,
            procedure_code: c.optional::<StringArray>("procedure_code")?,
            drug_code: c.optional::<StringArray>("drug_code")?,
            end_date: c.optional::<StringArray>("end_date")?,
        })
    }

    /// Sets the event fields of `record` from row `i`.
    fn fill(
        &self,
        i: usize,
        record: &mut SourceRecord,
    ) -> Result<(), ArrowError> {
        let value = |a: Option<&'a StringArray>| {
            a.and_then(|a| a.is_valid(i).then(|| a.value(i)))
        };
        let text = |a| value(a).map(str::to_string);
        // Every record of a table passes through here, so the label is
        // parsed in place and the error is built only when parsing fails.
        fn coded<T>(
            label: Option<&str>,
            parse: fn(&str) -> Option<T>,
            column: &str,
            row: usize,
        ) -> Result<Option<T>, ArrowError> {
            let Some(label) = label else {
                return Ok(None);
            };
            parse(label).map(Some).ok_or_else(|| {
                ArrowError::ParseError(format!(
                    "column {column}, row {row}: invalid label {label:?}, not \
                     one rnc writes: was the table written by another program?"
                ))
            })
        }
        record.screening_programme = coded(
            value(self.programme),
            ScreeningProgramme::from_label,
            "screening_programme",
            i,
        )?;
        record.screening_test = coded(
            value(self.test),
            ScreeningTest::from_label,
            "screening_test",
            i,
        )?;
        record.screening_result = coded(
            value(self.result),
            ScreeningResult::from_label,
            "screening_result",
            i,
        )?;
        record.treatment = coded(
            value(self.treatment),
            TreatmentType::from_label,
            "treatment",
            i,
        )?;
        record.procedure_code = text(self.procedure_code);
        record.drug_code = text(self.drug_code);
        record.end_date = match value(self.end_date) {
            None => None,
            Some(date) => PartialDate::parse(date).map_err(|e| {
                ArrowError::ParseError(format!("column end_date, row {i}: {e}"))
            })?,
        };
        Ok(())
    }
}

/// Returns an error for a table written while names were salted with the
/// birth year alone. It has these columns and none of the two-salt ones, so its
/// records would read back without names and link on the other fields
/// only.
fn reject_year_salted_names(batch: &RecordBatch) -> Result<(), ArrowError> {
    match YEAR_SALTED_NAME_COLUMNS
        .iter()
        .find(|column| batch.column_by_name(column).is_some())
    {
        Some(column) => Err(ArrowError::SchemaError(format!(
            "column {column} holds names salted with the birth year alone, \
             which this version of rnc no longer compares: ingest the \
             source files again into a new registry"
        ))),
        None => Ok(()),
    }
}

/// Names of the staged columns that [`LinkageColumns::read`] reads, and
/// of the older name columns it rejects. A staged table of this version
/// has 59 columns, of which linkage reads 26.
pub fn linkage_read_columns() -> Vec<&'static str> {
    let mut columns = vec!["record_id", "nir_status", "sex", "departement"];
    columns.extend(encoding_columns());
    columns.extend(YEAR_SALTED_NAME_COLUMNS);
    columns
}

/// The columns of a staged batch that record linkage reads, giving each
/// row's [`LinkageFields`] borrowed from the arrays. Linkage of a national
/// year reads millions of records, and building a whole [`SourceRecord`]
/// for each copied every text and code it does not compare.
pub struct LinkageColumns<'a> {
    record_id: &'a StringArray,
    nir_status: &'a StringArray,
    sex: &'a StringArray,
    departement: &'a StringArray,
    /// NIR, triplet, then the six birth-date pseudonyms, in the order of
    /// [`LinkageFields`]. A release's tables have none of them.
    pseudonyms: [Option<&'a StringArray>; 8],
    month_salted: SaltedNameArrays<'a>,
    day_salted: SaltedNameArrays<'a>,
}

impl<'a> LinkageColumns<'a> {
    /// Finds the linkage columns of `batch`, which may hold others too.
    ///
    /// # Errors
    ///
    /// A schema error naming the column when `record_id`, `nir_status`,
    /// `sex` or `departement` is missing, when a column has another type
    /// than rnc writes, or when the names are salted with the birth year
    /// alone.
    pub fn read(batch: &'a RecordBatch) -> Result<Self, ArrowError> {
        reject_year_salted_names(batch)?;
        let c = Columns { batch };
        // The first eight linkage columns are these pseudonyms, in order.
        let mut pseudonyms = [None; 8];
        for (array, name) in pseudonyms.iter_mut().zip(&LINKAGE_COLUMNS[..8]) {
            *array = c.optional::<StringArray>(name)?;
        }
        Ok(LinkageColumns {
            record_id: c.text("record_id")?,
            nir_status: c.text("nir_status")?,
            sex: c.text("sex")?,
            departement: c.text("departement")?,
            pseudonyms,
            month_salted: SaltedNameArrays::read(&c, SaltedNameColumns::MONTH)?,
            day_salted: SaltedNameArrays::read(&c, SaltedNameColumns::DAY)?,
        })
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.record_id.len()
    }

    /// Tests whether the batch has no row.
    pub fn is_empty(&self) -> bool {
        self.record_id.is_empty()
    }

    /// Returns the fields of row `i`, as [`batch_to_source_records`] would
    /// read them into a record.
    ///
    /// # Panics
    ///
    /// When `i` is not below [`LinkageColumns::len`].
    pub fn fields(&self, i: usize) -> LinkageFields<'a> {
        let text = |a: &'a StringArray| a.is_valid(i).then(|| a.value(i));
        let [
            nir,
            triplet,
            date,
            swapped,
            next_year,
            year_month,
            year_day,
            month_day,
        ] = self.pseudonyms.map(|a| a.and_then(text));
        LinkageFields {
            record_id: self.record_id.value(i),
            nir_status: NirStatus::from_label(self.nir_status.value(i)),
            nir_pseudonym: nir,
            nir_birth_date_sex_pseudonym: triplet,
            sex: Sex::from_label(self.sex.value(i)),
            birth_date_pseudonym: date,
            birth_date_swapped_pseudonym: swapped,
            birth_date_next_year_pseudonym: next_year,
            birth_year_month_pseudonym: year_month,
            birth_year_day_pseudonym: year_day,
            birth_month_day_pseudonym: month_day,
            month_salted_names: self.month_salted.fields(i),
            day_salted_names: self.day_salted.fields(i),
            departement: text(self.departement),
        }
    }
}

/// The optional columns of one salt's [`SaltedNames`]. A table written
/// before names were stored under two salts has none of them, and its
/// records read back with no salted names.
struct SaltedNameArrays<'a> {
    pseudonyms: [Option<&'a StringArray>; 4],
    blooms: [Option<&'a BinaryArray>; 3],
}

impl<'a> SaltedNameArrays<'a> {
    fn read(
        c: &Columns<'a>,
        columns: SaltedNameColumns,
    ) -> Result<SaltedNameArrays<'a>, ArrowError> {
        let mut pseudonyms = [None; 4];
        for (array, name) in pseudonyms.iter_mut().zip(columns.pseudonyms()) {
            *array = c.optional::<StringArray>(name)?;
        }
        let mut blooms = [None; 3];
        for (array, name) in blooms.iter_mut().zip(columns.blooms()) {
            *array = c.optional::<BinaryArray>(name)?;
        }
        Ok(SaltedNameArrays { pseudonyms, blooms })
    }

    /// Borrows the names of row `i` from the arrays.
    fn fields(&self, i: usize) -> SaltedNameFields<'a> {
        let token = |a: Option<&'a StringArray>| {
            a.and_then(|a| a.is_valid(i).then(|| a.value(i)))
        };
        let bytes = |a: Option<&'a BinaryArray>| {
            a.and_then(|a| a.is_valid(i).then(|| a.value(i)))
        };
        let [salt, birth_name, usage_name, first_name] = self.pseudonyms;
        let [birth_bloom, usage_bloom, first_bloom] = self.blooms;
        SaltedNameFields {
            salt_pseudonym: token(salt),
            birth_name_pseudonym: token(birth_name),
            usage_name_pseudonym: token(usage_name),
            first_name_pseudonym: token(first_name),
            birth_name_bloom: bytes(birth_bloom),
            usage_name_bloom: bytes(usage_bloom),
            first_name_bloom: bytes(first_bloom),
        }
    }
}

/// Name columns of staged tables written before names were stored under
/// two birth-date salts.
const YEAR_SALTED_NAME_COLUMNS: [&str; 6] = [
    "birth_name_pseudonym",
    "usage_name_pseudonym",
    "first_name_pseudonym",
    "birth_name_bloom",
    "usage_name_bloom",
    "first_name_bloom",
];

/// Typed column look-up with errors that name the column.
struct Columns<'a> {
    batch: &'a RecordBatch,
}

impl<'a> Columns<'a> {
    fn get<T: 'static>(&self, name: &str) -> Result<&'a T, ArrowError> {
        let column = self.batch.column_by_name(name).ok_or_else(|| {
            ArrowError::SchemaError(format!("column {name} is missing"))
        })?;
        column.as_any().downcast_ref::<T>().ok_or_else(|| {
            ArrowError::SchemaError(format!(
                "column {name} has type {}, not the type rnc writes",
                column.data_type()
            ))
        })
    }

    fn text(&self, name: &str) -> Result<&'a StringArray, ArrowError> {
        self.get::<StringArray>(name)
    }

    /// A column that may be absent, as the linkage columns of a release.
    fn optional<T: 'static>(
        &self,
        name: &str,
    ) -> Result<Option<&'a T>, ArrowError> {
        if self.batch.column_by_name(name).is_none() {
            return Ok(None);
        }
        self.get::<T>(name).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> SourceRecord {
        SourceRecord {
            record_id: "pathology_report/P1".into(),
            batch_id: "b1".into(),
            source_kind: Some(SourceKind::PathologyReport),
            source_file: "pathology.csv".into(),
            source_line: 2,
            nir_status: Some(NirStatus::Valid),
            nir_pseudonym: Some("ab".repeat(32)),
            sex: Some(Sex::Female),
            month_salted_names: SaltedNames {
                salt_pseudonym: Some("cd".repeat(32)),
                birth_name_bloom: Some(vec![1, 2, 3]),
                ..SaltedNames::default()
            }
            .into(),
            day_salted_names: SaltedNames {
                first_name_pseudonym: Some("ef".repeat(32)),
                ..SaltedNames::default()
            }
            .into(),
            event_date: Some(PartialDate::parse_iso("2021-03").unwrap()),
            age_at_event: Some(64),
            topography: Some("C50.4".parse().unwrap()),
            morphology: Some(
                Morphology::new(8500, Behaviour::Malignant, Some(2)).unwrap(),
            ),
            icd10: Some("C50.4".into()),
            icd10_other: vec!["C77.3".into(), "Z51.1".into()],
            basis_of_diagnosis: Some(BasisOfDiagnosis::HistologyOfPrimary),
            registration_date: Some(
                PartialDate::parse_iso("2021-03-10").unwrap(),
            ),
            laterality: Some(crate::Laterality::Left),
            stage: Some(crate::Stage {
                tnm: crate::Tnm::parse(
                    crate::TnmBasis::Pathological,
                    Some("pT2"),
                    Some("pN1a"),
                    None,
                    Some("IIB"),
                    Some(8),
                )
                .ok(),
                summary: Some(crate::SummaryStage::Regional),
            }),
            ..SourceRecord::default()
        }
    }

    #[test]
    fn event_fields_round_trip() {
        let records = vec![
            SourceRecord {
                record_id: "screening/K1".into(),
                source_kind: Some(SourceKind::Screening),
                screening_programme: Some(ScreeningProgramme::Colorectal),
                screening_test: Some(ScreeningTest::Fit),
                screening_result: Some(ScreeningResult::Positive),
                ..SourceRecord::default()
            },
            SourceRecord {
                record_id: "treatment/T1".into(),
                source_kind: Some(SourceKind::Treatment),
                treatment: Some(TreatmentType::Chemotherapy),
                drug_code: Some("L01XC03".into()),
                end_date: Some(PartialDate::parse_iso("2022-05").unwrap()),
                ..SourceRecord::default()
            },
        ];
        let batch = source_records_to_batch(&records).unwrap();
        let back = batch_to_source_records(&batch).unwrap();
        assert_eq!(back[0].screening_test, records[0].screening_test);
        assert_eq!(back[0].screening_result, records[0].screening_result);
        assert_eq!(back[1].treatment, records[1].treatment);
        assert_eq!(back[1].drug_code, records[1].drug_code);
        assert_eq!(back[1].end_date, records[1].end_date);
    }

    #[test]
    fn unknown_event_label_names_column_and_row() {
        let screening = SourceRecord {
            record_id: "screening/K1".into(),
            source_kind: Some(SourceKind::Screening),
            screening_programme: Some(ScreeningProgramme::Colorectal),
            screening_test: Some(ScreeningTest::Fit),
            ..SourceRecord::default()
        };
        let batch =
            source_records_to_batch(&[screening.clone(), screening]).unwrap();
        let schema = batch.schema();
        let (index, _) = schema.column_with_name("screening_test").unwrap();
        let mut columns = batch.columns().to_vec();
        columns[index] =
            Arc::new(StringArray::from(vec![Some("fit"), Some("x-ray")]));
        let edited = RecordBatch::try_new(schema.clone(), columns).unwrap();

        let error = batch_to_source_records(&edited).unwrap_err().to_string();

        assert!(error.contains("column screening_test, row 1"), "{error}");
        assert!(error.contains("\"x-ray\""), "{error}");
    }

    #[test]
    fn year_salted_names_are_refused() {
        let batch = source_records_to_batch(&[sample()]).unwrap();
        let mut fields: Vec<Field> = batch
            .schema()
            .fields()
            .iter()
            .map(|f| f.as_ref().clone())
            .collect();
        fields.push(Field::new("first_name_bloom", DataType::Binary, true));
        let mut columns = batch.columns().to_vec();
        columns.push(Arc::new(BinaryArray::from(vec![Some(&[1u8][..])])));
        let old = RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)
            .unwrap();

        let error = batch_to_source_records(&old).unwrap_err().to_string();

        assert!(error.contains("first_name_bloom"), "{error}");
        assert!(error.contains("ingest the source files again"), "{error}");
        let error = LinkageColumns::read(&old).err().unwrap().to_string();
        assert!(error.contains("first_name_bloom"), "{error}");
    }

    #[test]
    fn linkage_fields_match_whole_records() {
        let mut linked = sample();
        linked.nir_birth_date_sex_pseudonym = Some("01".repeat(32));
        linked.birth_date_pseudonym = Some("23".repeat(32));
        linked.birth_month_day_pseudonym = Some("45".repeat(32));
        linked.departement = Some("2A".into());
        linked.day_salted_names.usage_name_bloom = Some(vec![9, 8]);
        let records = vec![
            linked,
            SourceRecord {
                record_id: "death_record/D9".into(),
                source_kind: Some(SourceKind::DeathRecord),
                ..SourceRecord::default()
            },
        ];
        let batch = source_records_to_batch(&records).unwrap();
        // Expected: what the whole-record reader gives for the same rows.
        let whole = batch_to_source_records(&batch).unwrap();
        let needed = linkage_read_columns();
        let linkage_indices: Vec<usize> = (0..batch.num_columns())
            .filter(|&i| {
                needed.contains(&batch.schema().field(i).name().as_str())
            })
            .collect();
        let projected = batch.project(&linkage_indices).unwrap();

        let columns = LinkageColumns::read(&projected).unwrap();

        assert_eq!(columns.len(), 2);
        for (i, record) in whole.iter().enumerate() {
            assert_eq!(columns.fields(i), record.linkage_fields());
        }
        assert_eq!(columns.fields(0).departement, Some("2A"));
        assert_eq!(
            columns.fields(0).day_salted_names.usage_name_bloom,
            Some(&[9u8, 8][..])
        );
        assert_eq!(columns.fields(1).nir_pseudonym, None);
    }

    #[test]
    fn event_columns_may_be_absent() {
        let batch = source_records_to_batch(&[sample()]).unwrap();
        // Tables staged before the staging and event columns existed.
        let later = [
            "screening_programme",
            "screening_test",
            "screening_result",
            "treatment",
            "procedure_code",
            "drug_code",
            "end_date",
        ];
        let old: Vec<usize> = (0..batch.num_columns())
            .filter(|i| {
                let name = batch.schema().field(*i).name().clone();
                !STAGING_COLUMNS.contains(&name.as_str())
                    && !later.contains(&name.as_str())
            })
            .collect();
        let back =
            batch_to_source_records(&batch.project(&old).unwrap()).unwrap();
        assert_eq!(back[0].laterality, None);
        assert_eq!(back[0].stage, None);
        assert_eq!(back[0].treatment, None);
        assert_eq!(back[0].end_date, None);
        assert_eq!(back[0].record_id, sample().record_id);
    }

    #[test]
    fn round_trip_through_arrow() {
        let records = vec![
            sample(),
            SourceRecord {
                record_id: "death_record/D9".into(),
                source_kind: Some(SourceKind::DeathRecord),
                ..SourceRecord::default()
            },
        ];
        let batch = source_records_to_batch(&records).unwrap();
        assert_eq!(batch.num_rows(), 2);
        let back = batch_to_source_records(&batch).unwrap();
        assert_eq!(back[0], records[0]);
        assert_eq!(back[1].record_id, "death_record/D9");
        assert_eq!(back[1].sex, Some(Sex::Unknown));
        assert_eq!(back[1].nir_status, Some(NirStatus::Missing));
    }

    #[test]
    fn linkage_columns_may_be_absent() {
        let batch = source_records_to_batch(&[sample()]).unwrap();
        let released = without_linkage_columns(&batch).unwrap();
        for column in LINKAGE_COLUMNS {
            assert!(released.column_by_name(column).is_none(), "{column} kept");
        }
        let back = batch_to_source_records(&released).unwrap();
        assert_eq!(back[0].record_id, "pathology_report/P1");
        assert_eq!(back[0].nir_pseudonym, None);
        assert_eq!(back[0].month_salted_names, SaltedNames::default());
        assert_eq!(back[0].day_salted_names, SaltedNames::default());
        assert_eq!(back[0].age_at_event, None);
        assert_eq!(back[0].topography, sample().topography);
    }

    #[test]
    fn missing_column_is_named() {
        let batch = source_records_to_batch(&[sample()]).unwrap();
        let trimmed = batch.project(&[0, 1]).unwrap();
        let err = batch_to_source_records(&trimmed).unwrap_err();
        assert!(err.to_string().contains("column source_kind is missing"));
    }
}
