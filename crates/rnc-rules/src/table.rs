//! Arrow schemas of the tumour and check tables, with the same
//! conventions as the source-record table of `rnc-model`: codes as text
//! (`C18.7`, `8140`), dates as ISO 8601 text that drops unknown parts,
//! sex as `male`, `female` or `unknown`, and lists joined with `|`.

use std::sync::Arc;

use arrow_array::builder::{
    BooleanBuilder, Int32Builder, StringBuilder, UInt8Builder, UInt16Builder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use rnc_model::Tumour;
use rnc_model::tables::CODE_LIST_SEPARATOR;

use crate::{CheckResult, Error};

/// Schema of the tumour table.
pub fn tumour_schema() -> SchemaRef {
    use DataType::{Boolean, Int32, UInt8, UInt16, Utf8};
    let text = |name: &str, nullable: bool| Field::new(name, Utf8, nullable);
    Arc::new(Schema::new(vec![
        text("tumour_id", false),
        text("person_id", false),
        text("sex", false),
        text("topography", false),
        text("morphology", false),
        Field::new("behaviour", UInt8, false),
        Field::new("grade", UInt8, true),
        text("icd10", true),
        text("site_group", false),
        text("incidence_date", false),
        Field::new("incidence_year", Int32, false),
        Field::new("age_at_incidence", UInt16, true),
        Field::new("basis_of_diagnosis", UInt8, false),
        Field::new("death_certificate_only", Boolean, false),
        text("departement", true),
        text("record_ids", false),
        text("sources", false),
    ]))
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
        years.append_value(t.incidence_date.year());
        ages.append_option(t.age_at_incidence);
        dco.append_value(t.death_certificate_only);
    }
    let separator = CODE_LIST_SEPARATOR.to_string();
    let columns: Vec<ArrayRef> = vec![
        texts(&|t| Some(t.tumour_id.clone())),
        texts(&|t| Some(t.person_id.clone())),
        texts(&|t| Some(t.sex.label().to_string())),
        texts(&|t| Some(t.topography.to_string())),
        texts(&|t| Some(format!("{:04}", t.morphology.histology()))),
        small(&|t| Some(t.morphology.behaviour().code())),
        small(&|t| t.morphology.grade()),
        texts(&|t| (!t.icd10.is_empty()).then(|| t.icd10.clone())),
        texts(&|t| Some(t.site_group.clone())),
        texts(&|t| Some(t.incidence_date.to_iso())),
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
