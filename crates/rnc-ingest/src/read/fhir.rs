//! FHIR R4 JSON: Bundles of type `collection` or `transaction`, one after
//! another in a `.json` file or one per line in an `.ndjson` file. Each
//! `DiagnosticReport` of a Bundle becomes one row of the
//! `pathology_report` feed, each `Procedure` one row of the `treatment`
//! feed (the `procedure` module), and each clinical cancer `Condition`
//! that no report takes one row of the `registry_extract` feed (the
//! `condition` module). A resource is thus a row of one feed at most, so
//! a Bundle read once per feed counts each record once. `Patient`,
//! `Organization`, `Specimen` and `Observation` are never rows: they fill
//! the rows that reference them. The profile read, element by element,
//! is in `docs/sources.md`.
//!
//! A Bundle is parsed entry by entry ([`SlimBundle`]): each entry is
//! parsed on its own, and only the resources that the profile reads are
//! kept, without their narrative (`text`) or attached documents
//! (`presentedForm`), which are most of the bytes of a report.
//! NOTE: the kept resources of a Bundle stay in memory until its end,
//! because a reference may point to any entry, before or after. Memory
//! therefore grows with the coded content of the largest Bundle, not with
//! the file; a large delivery is best sent as NDJSON or as several
//! Bundles. A `.json` file of up to [`IN_MEMORY_BYTES`] (64 MiB) is also
//! read into memory whole, because parsing from memory is faster.

use std::cell::OnceCell;
use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, Cursor, Read};

use serde_json::Value;

use rnc_model::SourceKind;

mod condition;
mod procedure;
mod slim;

use slim::SlimBundle;

use super::{Compression, Format, ReadRow, RowDefect, RowReader};
use crate::feeds::columns;
use crate::{Error, ErrorKind};

/// OID of the French national health identifier when it is the NIR
/// (INS-NIR), as the `system` of `Patient.identifier`.
pub(crate) const INS_NIR_SYSTEM: &str = "urn:oid:1.2.250.1.213.1.4.8";
/// The ICD-O-3 code system (HL7 terminology), for topography, morphology
/// with behaviour, and grade.
pub(crate) const ICD_O_3_SYSTEM: &str =
    "http://terminology.hl7.org/CodeSystem/icd-o-3";
/// The mCODE extension on a Condition giving histology and behaviour.
pub(crate) const HISTOLOGY_EXTENSION: &str = "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-histology-morphology-behavior";
/// LOINC 33732-9 ("Histology grade Ca spec"), the code of the mCODE
/// histologic grade Observation.
pub(crate) const GRADE_LOINC: &str = "33732-9";
pub(crate) const LOINC_SYSTEM: &str = "http://loinc.org";
/// ICD-10 (WHO), the code system of the ICD-10 codings read here.
pub(crate) const ICD_10_SYSTEM: &str = "http://hl7.org/fhir/sid/icd-10";

/// Feeds read from FHIR, with the resource type that becomes a row.
pub(crate) const FHIR_FEEDS: [(SourceKind, &str); 3] = [
    (SourceKind::PathologyReport, "DiagnosticReport"),
    (SourceKind::Treatment, "Procedure"),
    (SourceKind::ClinicalRecord, "Condition"),
];

/// Returns the columns of the rows, those of the feed.
fn column_names(kind: SourceKind) -> impl Iterator<Item = &'static str> {
    columns(kind).iter().map(|c| c.name)
}

/// The columns of one row being read, set by name.
struct RowFields {
    kind: SourceKind,
    values: Vec<String>,
}

impl RowFields {
    fn new(kind: SourceKind) -> RowFields {
        RowFields {
            kind,
            values: column_names(kind).map(|_| String::new()).collect(),
        }
    }

    /// Sets a column, trimmed; a column the feed does not define (such
    /// as `usage_name` in a treatment) is left out.
    fn set(&mut self, column: &str, value: Option<&str>) {
        if let Some(position) =
            column_names(self.kind).position(|c| c == column)
        {
            self.values[position] = value.unwrap_or("").trim().to_string();
        }
    }
}

pub(super) fn open(
    input: Box<dyn BufRead + Send>,
    file: &str,
    kind: SourceKind,
    compression: Compression,
    ndjson: bool,
) -> RowReader {
    let bundles = if ndjson {
        Bundles::Lines { input, line: 0 }
    } else {
        documents(input, IN_MEMORY_BYTES)
    };
    let rows = FhirRows {
        bundles,
        kind,
        file: file.to_string(),
        pending: VecDeque::new(),
        record: 0,
        done: false,
    };
    RowReader {
        header: column_names(kind).collect(),
        format: Format::Fhir {
            compression,
            ndjson,
        },
        rows: Box::new(rows),
        digest: None,
    }
}

type Documents = serde_json::StreamDeserializer<
    'static,
    serde_json::de::IoRead<Box<dyn BufRead + Send>>,
    SlimBundle,
>;

/// Largest file of JSON documents, after decompression, that is read into
/// memory and parsed from there. serde_json reads a reader one byte at a
/// time through `Read`, and a profile of ingesting FHIR files found about
/// a third of the time in parsing. Larger files are parsed as they are
/// read, so that memory stays bounded.
const IN_MEMORY_BYTES: u64 = 64 << 20;

/// Reads JSON documents from memory when the whole input fits in
/// `in_memory` bytes ([`IN_MEMORY_BYTES`]), as they come otherwise.
fn documents(mut input: Box<dyn BufRead + Send>, in_memory: u64) -> Bundles {
    let mut bytes = Vec::new();
    let mut limited = input.by_ref().take(in_memory + 1);
    if let Err(error) = limited.read_to_end(&mut bytes) {
        return Bundles::Failed(Some(error));
    }
    if bytes.len() as u64 <= in_memory {
        return Bundles::InMemory(InMemory {
            bytes,
            offset: 0,
            lines_before: 0,
            line_start: 0,
            number: 0,
        });
    }
    let rest: Box<dyn BufRead + Send> =
        Box::new(Cursor::new(bytes).chain(input));
    Bundles::Documents {
        stream: serde_json::Deserializer::from_reader(rest)
            .into_iter::<SlimBundle>(),
        number: 0,
    }
}

/// JSON documents one after another, all in memory.
struct InMemory {
    bytes: Vec<u8>,
    /// Byte offset of the next document.
    offset: usize,
    /// Line breaks before `offset`, so that an error's line counts from
    /// the start of the file.
    lines_before: u64,
    /// Byte offset of the start of the line that contains `offset`, so
    /// that an error on that line gets its column in the file.
    line_start: usize,
    number: u64,
}

impl InMemory {
    fn next(&mut self, file: &str) -> Option<Result<Parsed, Error>> {
        let rest = &self.bytes[self.offset..];
        let mut stream = serde_json::Deserializer::from_slice(rest)
            .into_iter::<SlimBundle>();
        let parsed = stream.next()?;
        let end = self.offset + stream.byte_offset();
        self.number += 1;
        let bundle = match parsed {
            Ok(bundle) => bundle,
            Err(error) => {
                // serde_json counts from the slice, which starts at
                // `offset`: add the lines and columns before it.
                let line = self.lines_before + error.line() as u64;
                let column = if error.line() == 1 {
                    (self.offset - self.line_start + error.column()) as u64
                } else {
                    error.column() as u64
                };
                return Some(Err(json_error_at(file, &error, line, column)));
            }
        };
        let consumed = &self.bytes[self.offset..end];
        if let Some(last) = consumed.iter().rposition(|&b| b == b'\n') {
            self.line_start = self.offset + last + 1;
        }
        self.lines_before +=
            consumed.iter().filter(|&&b| b == b'\n').count() as u64;
        self.offset = end;
        Some(Ok(Parsed::Bundle(bundle, self.number)))
    }
}

/// The source of the Bundles.
enum Bundles {
    /// Whole JSON documents one after another, parsed as they are read. A
    /// syntax error ends the file, because the next document cannot be
    /// found.
    Documents { stream: Documents, number: u64 },
    /// The same, read into memory first.
    InMemory(InMemory),
    /// The input failed before any document was parsed.
    Failed(Option<std::io::Error>),
    /// One Bundle per line; a line that is not JSON is one bad row.
    Lines {
        input: Box<dyn BufRead + Send>,
        line: u64,
    },
}

/// A Bundle as parsed, or why it could not be, with its line.
enum Parsed {
    Bundle(SlimBundle, u64),
    NotJson(String, u64),
}

impl Bundles {
    fn next(&mut self, file: &str) -> Option<Result<Parsed, Error>> {
        match self {
            Bundles::InMemory(documents) => documents.next(file),
            Bundles::Failed(error) => error.take().map(|source| {
                Err(ErrorKind::Io {
                    path: file.into(),
                    source,
                }
                .into())
            }),
            Bundles::Documents { stream, number } => {
                let value = stream.next()?;
                *number += 1;
                Some(match value {
                    Ok(value) => Ok(Parsed::Bundle(value, *number)),
                    Err(error) => Err(json_error(file, &error)),
                })
            }
            Bundles::Lines { input, line } => loop {
                let mut bytes = Vec::new();
                match input.read_until(b'\n', &mut bytes) {
                    Ok(0) => return None,
                    Ok(_) => {}
                    Err(source) => {
                        return Some(Err(ErrorKind::Io {
                            path: file.into(),
                            source,
                        }
                        .into()));
                    }
                }
                *line += 1;
                if bytes.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                return Some(Ok(
                    match serde_json::from_slice::<SlimBundle>(&bytes) {
                        Ok(value) => Parsed::Bundle(value, *line),
                        Err(error) => Parsed::NotJson(describe(&error), *line),
                    },
                ));
            },
        }
    }
}

/// Describes a JSON syntax error by its kind and column. serde_json's
/// syntax messages (serde_json 1.0) name the expected token, never the
/// text found.
fn describe(error: &serde_json::Error) -> String {
    let message = error.to_string();
    let reason = message
        .rsplit_once(" at line ")
        .map_or(message.as_str(), |(reason, _)| reason);
    format!("{reason} at column {}", error.column())
}

fn json_error(file: &str, error: &serde_json::Error) -> Error {
    json_error_at(file, error, error.line() as u64, error.column() as u64)
}

/// Builds the error of a JSON syntax fault at a line and column of the
/// file.
fn json_error_at(
    file: &str,
    error: &serde_json::Error,
    line: u64,
    column: u64,
) -> Error {
    let message = error.to_string();
    let reason = message
        .rsplit_once(" at line ")
        .map_or(message.as_str(), |(reason, _)| reason);
    ErrorKind::Json {
        file: file.to_string(),
        line,
        column,
        reason: reason.to_string(),
    }
    .into()
}

struct FhirRows {
    bundles: Bundles,
    kind: SourceKind,
    file: String,
    pending: VecDeque<ReadRow>,
    record: u64,
    done: bool,
}

impl Iterator for FhirRows {
    type Item = Result<ReadRow, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        while self.pending.is_empty() && !self.done {
            match self.bundles.next(&self.file) {
                None => self.done = true,
                Some(Err(error)) => {
                    self.done = true;
                    return Some(Err(error));
                }
                Some(Ok(Parsed::NotJson(reason, line))) => {
                    let defect = RowDefect {
                        field: "Bundle".to_string(),
                        rule: "fhir_json",
                        detail: format!(
                            "line is not valid JSON: {reason} (expected one \
                             FHIR R4 Bundle per line)"
                        ),
                    };
                    self.pending
                        .push_back(defect_row(self.kind, line, None, defect));
                }
                Some(Ok(Parsed::Bundle(SlimBundle(value), line))) => {
                    self.pending.extend(bundle_rows(&value, line, self.kind));
                }
            }
        }
        let mut row = self.pending.pop_front()?;
        row.record = self.record;
        self.record += 1;
        Some(Ok(row))
    }
}

fn defect_row(
    kind: SourceKind,
    line: u64,
    entry: Option<u64>,
    defect: RowDefect,
) -> ReadRow {
    ReadRow {
        fields: column_names(kind).map(|_| "").collect(),
        line,
        record: 0,
        entry,
        defect: Some(defect),
    }
}

/// A fault in the structure of a resource.
#[derive(Clone)]
struct Fault {
    /// `ResourceType.element`, such as `Patient.birthDate`.
    field: String,
    detail: String,
}

impl Fault {
    fn new(field: String, detail: String) -> Fault {
        Fault { field, detail }
    }
}

/// One resource of a Bundle with its entry position.
#[derive(Clone, Copy)]
struct Resource<'a> {
    value: &'a Value,
    entry: usize,
    kind: &'a str,
}

impl<'a> Resource<'a> {
    /// Returns the string element `name`, or `None` when it is absent.
    fn string(&self, name: &str) -> Result<Option<&'a str>, Fault> {
        match self.value.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(text)) => Ok(Some(text)),
            Some(other) => Err(self.wrong_type(name, other, "a string")),
        }
    }

    /// Returns the array element `name`, empty when it is absent.
    fn array(&self, name: &str) -> Result<&'a [Value], Fault> {
        match self.value.get(name) {
            None | Some(Value::Null) => Ok(&[]),
            Some(Value::Array(items)) => Ok(items),
            Some(other) => Err(self.wrong_type(name, other, "an array")),
        }
    }

    /// Returns the object element `name`, if present.
    fn object(&self, name: &str) -> Result<Option<&'a Value>, Fault> {
        match self.value.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(value @ Value::Object(_)) => Ok(Some(value)),
            Some(other) => Err(self.wrong_type(name, other, "an object")),
        }
    }

    /// Wraps a nested element, to read it with the same checks.
    fn nested(&self, value: &'a Value) -> Resource<'a> {
        Resource { value, ..*self }
    }

    fn wrong_type(&self, name: &str, found: &Value, expected: &str) -> Fault {
        self.fault(
            name,
            format!("is {} (expected {expected})", json_type(found)),
        )
    }

    fn fault(&self, name: &str, problem: String) -> Fault {
        Fault::new(
            format!("{}.{name}", self.kind),
            format!(
                "Bundle.entry[{}] ({}): {name} {problem}",
                self.entry, self.kind
            ),
        )
    }
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The resources of a Bundle, found by reference.
struct Index<'a> {
    resources: Vec<Resource<'a>>,
    /// `fullUrl` and `Type/id` of each resource, to its position in
    /// `resources`.
    by_reference: HashMap<String, usize>,
    /// References of the Conditions' `evidence.detail`, read on the first
    /// [`condition_of`].
    evidence: OnceCell<Evidence<'a>>,
}

/// The `evidence.detail` references of a Bundle's Conditions, read once,
/// so that finding the Condition of each report does not read every
/// Condition again. Reading them per report cost n² steps for a Bundle of
/// n reports and n Conditions: the 25 Bundles of 5 MB that `rnc synth
/// --persons 6800000 --years 4` writes took 33 s to ingest, 4.8 s now.
struct Evidence<'a> {
    /// The Conditions, in entry order.
    conditions: Vec<Resource<'a>>,
    /// For each entry that some `evidence.detail` names, the position in
    /// `conditions` of the first Condition naming it. Only the references
    /// read before `fault` count.
    first_naming: HashMap<usize, usize>,
    /// The first structural fault met when reading the references in
    /// order. A report that no earlier reference names meets it.
    fault: Option<Fault>,
}

impl<'a> Evidence<'a> {
    fn read(index: &Index<'a>) -> Evidence<'a> {
        let conditions: Vec<Resource<'a>> = index
            .resources
            .iter()
            .copied()
            .filter(|r| r.kind == "Condition")
            .collect();
        let mut first_naming = HashMap::new();
        let mut read = |position: usize, condition: &Resource<'a>| {
            for evidence in condition.array("evidence")? {
                let evidence = condition.nested(evidence);
                for detail in evidence.array("detail")? {
                    let target =
                        condition.nested(detail).string("reference")?;
                    if let Some(found) = target.and_then(|t| index.find(t)) {
                        first_naming.entry(found.entry).or_insert(position);
                    }
                }
            }
            Ok(())
        };
        let fault = conditions
            .iter()
            .enumerate()
            .find_map(|(position, condition)| read(position, condition).err());
        Evidence {
            conditions,
            first_naming,
            fault,
        }
    }
}

impl<'a> Index<'a> {
    /// Returns the resource a `Reference.reference` points to, when it is
    /// in the Bundle and of type `kind`.
    fn resolve(&self, reference: &str, kind: &str) -> Option<Resource<'a>> {
        self.find(reference)
            .filter(|resource| resource.kind == kind)
    }

    /// Returns the resource a `Reference.reference` points to, of any
    /// type, when it is in the Bundle.
    fn find(&self, reference: &str) -> Option<Resource<'a>> {
        let found = self.by_reference.get(reference).or_else(|| {
            // An absolute URL ends in `Type/id`.
            let mut parts = reference.rsplitn(3, '/');
            let id = parts.next()?;
            let type_name = parts.next()?;
            self.by_reference.get(&format!("{type_name}/{id}"))
        })?;
        Some(self.resources[*found])
    }

    /// Returns whether `reference` points to `resource`.
    fn points_to(&self, reference: &str, resource: &Resource<'_>) -> bool {
        self.resolve(reference, resource.kind)
            .is_some_and(|found| found.entry == resource.entry)
    }
}

/// Turns one Bundle into rows: one per resource of the type the feed
/// reads ([`FHIR_FEEDS`]), and one per entry that is not a resource at
/// all. For `registry_extract`, only the Conditions that
/// [`condition::clinical_conditions`] selects are rows.
fn bundle_rows(bundle: &Value, line: u64, kind: SourceKind) -> Vec<ReadRow> {
    let bundle_defect = |detail: String| {
        vec![defect_row(
            kind,
            line,
            None,
            RowDefect {
                field: "Bundle".to_string(),
                rule: "fhir_structure",
                detail,
            },
        )]
    };
    if bundle.get("resourceType").and_then(Value::as_str) != Some("Bundle") {
        return bundle_defect(
            "the JSON object is not a FHIR Bundle (expected \
             \"resourceType\": \"Bundle\")"
                .to_string(),
        );
    }
    match bundle.get("type").and_then(Value::as_str) {
        Some("collection" | "transaction") => {}
        _ => {
            return bundle_defect(
                "Bundle.type is missing or unsupported (expected collection \
                 or transaction)"
                    .to_string(),
            );
        }
    }
    let entries = match bundle.get("entry") {
        None => return Vec::new(),
        Some(Value::Array(entries)) => entries,
        Some(other) => {
            return bundle_defect(format!(
                "Bundle.entry is {} (expected an array)",
                json_type(other)
            ));
        }
    };

    let mut rows = Vec::new();
    let mut index = Index {
        resources: Vec::new(),
        by_reference: HashMap::new(),
        evidence: OnceCell::new(),
    };
    for (position, entry) in entries.iter().enumerate() {
        let resource = entry.get("resource");
        let resource_type = resource
            .and_then(|r| r.get("resourceType"))
            .and_then(Value::as_str);
        let (Some(value @ Value::Object(_)), Some(resource_type)) =
            (resource, resource_type)
        else {
            rows.push(defect_row(
                kind,
                line,
                Some(position as u64),
                RowDefect {
                    field: "Bundle.entry".to_string(),
                    rule: "fhir_structure",
                    detail: format!(
                        "Bundle.entry[{position}] has no resource with a \
                         resourceType (expected an object with \"resource\": \
                         {{\"resourceType\": ...}})"
                    ),
                },
            ));
            continue;
        };
        let slot = index.resources.len();
        index.resources.push(Resource {
            value,
            entry: position,
            kind: resource_type,
        });
        if let Some(url) = entry.get("fullUrl").and_then(Value::as_str) {
            index.by_reference.insert(url.to_string(), slot);
        }
        if let Some(id) = value.get("id").and_then(Value::as_str) {
            index
                .by_reference
                .insert(format!("{resource_type}/{id}"), slot);
        }
    }

    let (_, row_type) = FHIR_FEEDS
        .iter()
        .find(|(feed, _)| *feed == kind)
        .expect("open_rows reads FHIR for the feeds of FHIR_FEEDS only");
    let row_resources: Vec<Resource<'_>> = match kind {
        SourceKind::ClinicalRecord => condition::clinical_conditions(&index),
        _ => index
            .resources
            .iter()
            .copied()
            .filter(|r| r.kind == *row_type)
            .collect(),
    };
    for resource in &row_resources {
        let entry = Some(resource.entry as u64);
        let fields = match kind {
            SourceKind::Treatment => {
                procedure::procedure_fields(&index, resource)
            }
            SourceKind::ClinicalRecord => {
                condition::condition_fields(&index, resource)
            }
            _ => report_fields(&index, resource),
        };
        let row = match fields {
            Ok(fields) => ReadRow {
                fields: fields.values.iter().collect(),
                line,
                record: 0,
                entry,
                defect: None,
            },
            Err((fault, rule)) => defect_row(
                kind,
                line,
                entry,
                RowDefect {
                    field: fault.field,
                    rule,
                    detail: fault.detail,
                },
            ),
        };
        rows.push(row);
    }
    rows.sort_by_key(|row| row.entry);
    rows
}

/// A structural fault with its rule, `fhir_structure` or
/// `fhir_reference`.
type RowFault = (Fault, &'static str);

fn structure(fault: Fault) -> RowFault {
    (fault, "fhir_structure")
}

/// Returns the resource's first `identifier.value`, else its `id`.
fn resource_id<'a>(resource: &Resource<'a>) -> Result<Option<&'a str>, Fault> {
    match first_identifier(resource, None)? {
        Some(value) => Ok(Some(value)),
        None => resource.string("id"),
    }
}

/// Reads the identity, sex and residence columns from the `Patient` that
/// the resource's `subject` references, and returns that `Patient`.
fn read_subject<'a>(
    index: &Index<'a>,
    resource: &Resource<'a>,
    fields: &mut RowFields,
) -> Result<Resource<'a>, RowFault> {
    let patient = referenced(index, resource, "subject", "Patient")?;
    let nir =
        first_identifier(&patient, Some(INS_NIR_SYSTEM)).map_err(structure)?;
    fields.set("nir", nir);
    let names = names(&patient).map_err(structure)?;
    fields.set("birth_name", names.birth);
    fields.set("usage_name", names.usage);
    fields.set("first_name", names.first);
    let sex = patient
        .string("gender")
        .map_err(structure)?
        .map(|g| match g {
            "male" => "1",
            "female" => "2",
            "other" | "unknown" => "9",
            other => other,
        });
    fields.set("sex", sex);
    let birth = patient.string("birthDate").map_err(structure)?;
    fields.set("birth_date", birth.map(fhir_date).as_deref());
    fields.set("departement", departement(&patient).map_err(structure)?);
    Ok(patient)
}

/// Reads the columns of one report from its resources, or the first
/// structural fault with its rule.
fn report_fields<'a>(
    index: &Index<'a>,
    report: &Resource<'a>,
) -> Result<RowFields, RowFault> {
    let mut fields = RowFields::new(SourceKind::PathologyReport);
    let mut set = |column: &str, value: Option<&str>| fields.set(column, value);
    set("report_id", resource_id(report).map_err(structure)?);
    set(
        "report_date",
        report.string("issued").map_err(structure)?.map(date_part),
    );
    set("laboratory", laboratory(index, report).map_err(structure)?);
    read_subject(index, report, &mut fields)?;
    let mut set = |column: &str, value: Option<&str>| fields.set(column, value);

    let specimens = report.array("specimen").map_err(structure)?;
    if !specimens.is_empty() {
        let specimen = referenced_at(
            index,
            report,
            "specimen",
            &specimens[0],
            "Specimen",
        )?;
        let collected =
            match specimen.object("collection").map_err(structure)? {
                Some(collection) => specimen
                    .nested(collection)
                    .string("collectedDateTime")
                    .map_err(structure)?,
                None => None,
            };
        set("specimen_date", collected.map(fhir_date).as_deref());
    }

    if let Some(condition) = condition_of(index, report).map_err(structure)? {
        set("topography", body_site(&condition).map_err(structure)?);
        set_histology(&mut fields, histology(&condition).map_err(structure)?);
    }
    fields.set("grade", grade(index, report).map_err(structure)?);
    Ok(fields)
}

/// Sets `morphology` and `behaviour` from an ICD-O-3 code such as
/// `8500/3`, split at `/`. A code without `/` is all morphology.
fn set_histology(fields: &mut RowFields, code: Option<&str>) {
    let Some(code) = code else {
        return;
    };
    match code.split_once('/') {
        Some((histology, behaviour)) => {
            fields.set("morphology", Some(histology));
            fields.set("behaviour", Some(behaviour));
        }
        None => fields.set("morphology", Some(code)),
    }
}

/// Resolves the single `Reference` element `name` of `resource`.
fn referenced<'a>(
    index: &Index<'a>,
    resource: &Resource<'a>,
    name: &str,
    kind: &str,
) -> Result<Resource<'a>, (Fault, &'static str)> {
    let structure = |fault| (fault, "fhir_structure");
    let Some(reference) = resource.object(name).map_err(structure)? else {
        return Err((
            resource.fault(
                name,
                format!("is missing (expected a reference to a {kind})"),
            ),
            "fhir_reference",
        ));
    };
    referenced_at(index, resource, name, reference, kind)
}

fn referenced_at<'a>(
    index: &Index<'a>,
    resource: &Resource<'a>,
    name: &str,
    reference: &Value,
    kind: &str,
) -> Result<Resource<'a>, (Fault, &'static str)> {
    let target = resource
        .nested(reference)
        .string("reference")
        .map_err(|fault| (fault, "fhir_structure"))?;
    target
        .and_then(|target| index.resolve(target, kind))
        .ok_or_else(|| {
            (
                resource.fault(
                    name,
                    format!(
                        "does not resolve to a {kind} of the Bundle (expected \
                         a reference to the fullUrl or {kind}/id of an entry)"
                    ),
                ),
                "fhir_reference",
            )
        })
}

/// Returns the first `identifier.value`, of the given system when one is
/// named.
fn first_identifier<'a>(
    resource: &Resource<'a>,
    system: Option<&str>,
) -> Result<Option<&'a str>, Fault> {
    for identifier in resource.array("identifier")? {
        let identifier = resource.nested(identifier);
        if (system.is_none() || identifier.string("system")? == system)
            && let Some(value) = identifier.string("value")?
        {
            return Ok(Some(value));
        }
    }
    Ok(None)
}

/// Returns the laboratory: the first identifier of the Organization that
/// `DiagnosticReport.performer[0]` references, or the identifier of the
/// reference itself.
fn laboratory<'a>(
    index: &Index<'a>,
    report: &Resource<'a>,
) -> Result<Option<&'a str>, Fault> {
    let performers = report.array("performer")?;
    match performers.first() {
        Some(performer) => organisation_id(index, report, performer),
        None => Ok(None),
    }
}

/// Returns the first identifier of the `Organization` that a `Reference`
/// of `resource` points to, or else the `identifier.value` of the
/// reference itself.
fn organisation_id<'a>(
    index: &Index<'a>,
    resource: &Resource<'a>,
    reference: &'a Value,
) -> Result<Option<&'a str>, Fault> {
    let reference = resource.nested(reference);
    if let Some(target) = reference.string("reference")?
        && let Some(organisation) = index.resolve(target, "Organization")
    {
        return first_identifier(&organisation, None);
    }
    match reference.object("identifier")? {
        Some(identifier) => reference.nested(identifier).string("value"),
        None => Ok(None),
    }
}

struct Names<'a> {
    birth: Option<&'a str>,
    usage: Option<&'a str>,
    first: Option<&'a str>,
}

/// Reads the names: `HumanName` with use `official` is the birth name and
/// gives the first name, `usual` the usage name. A name without use counts
/// as official when no official name is given.
fn names<'a>(patient: &Resource<'a>) -> Result<Names<'a>, Fault> {
    let mut official = None;
    let mut unnamed = None;
    let mut usage = None;
    for name in patient.array("name")? {
        let name = patient.nested(name);
        match name.string("use")? {
            Some("official") => official = official.or(Some(name)),
            Some("usual") => usage = usage.or(Some(name)),
            None => unnamed = unnamed.or(Some(name)),
            Some(_) => {}
        }
    }
    let birth = official.or(unnamed);
    let first = match birth {
        Some(name) => name
            .array("given")?
            .first()
            .map(|given| match given {
                Value::String(text) => Ok(text.as_str()),
                other => Err(name.wrong_type("given", other, "strings")),
            })
            .transpose()?,
        None => None,
    };
    Ok(Names {
        birth: birth
            .map(|name| name.string("family"))
            .transpose()?
            .flatten(),
        usage: usage
            .map(|name| name.string("family"))
            .transpose()?
            .flatten(),
        first,
    })
}

/// Returns the INSEE département of residence in `Patient.address[0].district`.
fn departement<'a>(patient: &Resource<'a>) -> Result<Option<&'a str>, Fault> {
    match patient.array("address")?.first() {
        Some(address) => patient.nested(address).string("district"),
        None => Ok(None),
    }
}

/// Finds the Condition of a report: the first whose `evidence.detail`
/// references it, or else the only Condition of the Bundle. A structural
/// fault in the references read before the first that names the report is
/// the report's fault, as if the Conditions were read for it alone.
fn condition_of<'a>(
    index: &Index<'a>,
    report: &Resource<'a>,
) -> Result<Option<Resource<'a>>, Fault> {
    let evidence = index.evidence.get_or_init(|| Evidence::read(index));
    if let Some(&position) = evidence.first_naming.get(&report.entry) {
        return Ok(Some(evidence.conditions[position]));
    }
    if let Some(fault) = &evidence.fault {
        return Err(fault.clone());
    }
    Ok(match evidence.conditions.as_slice() {
        [only] => Some(*only),
        _ => None,
    })
}

/// Returns the first coding of `system` in a CodeableConcept.
fn coding<'a>(
    resource: &Resource<'a>,
    concept: &'a Value,
    system: &str,
) -> Result<Option<&'a str>, Fault> {
    let concept = resource.nested(concept);
    for coding in concept.array("coding")? {
        let coding = resource.nested(coding);
        if coding.string("system")? == Some(system) {
            return coding.string("code");
        }
    }
    Ok(None)
}

/// Returns the ICD-O-3 topography in `Condition.bodySite`.
fn body_site<'a>(condition: &Resource<'a>) -> Result<Option<&'a str>, Fault> {
    for site in condition.array("bodySite")? {
        if let Some(code) = coding(condition, site, ICD_O_3_SYSTEM)? {
            return Ok(Some(code));
        }
    }
    Ok(None)
}

/// Returns the ICD-O-3 morphology with behaviour, such as `8140/3`, in the mCODE
/// histology-morphology-behavior extension.
fn histology<'a>(condition: &Resource<'a>) -> Result<Option<&'a str>, Fault> {
    for extension in condition.array("extension")? {
        let extension = condition.nested(extension);
        if extension.string("url")? != Some(HISTOLOGY_EXTENSION) {
            continue;
        }
        if let Some(concept) = extension.object("valueCodeableConcept")? {
            return coding(condition, concept, ICD_O_3_SYSTEM);
        }
    }
    Ok(None)
}

/// Returns the ICD-O-3 grade of the histologic grade Observation (LOINC 33732-9)
/// among `DiagnosticReport.result`.
fn grade<'a>(
    index: &Index<'a>,
    report: &Resource<'a>,
) -> Result<Option<&'a str>, Fault> {
    for result in report.array("result")? {
        let Some(target) = report.nested(result).string("reference")? else {
            continue;
        };
        let Some(observation) = index.resolve(target, "Observation") else {
            continue;
        };
        if let Some(grade) = observation_grade(&observation)? {
            return Ok(Some(grade));
        }
    }
    Ok(None)
}

/// Returns the ICD-O-3 coding of `valueCodeableConcept` when the
/// Observation is a histologic grade (LOINC 33732-9), else `None`.
fn observation_grade<'a>(
    observation: &Resource<'a>,
) -> Result<Option<&'a str>, Fault> {
    let Some(code) = observation.object("code")? else {
        return Ok(None);
    };
    if coding(observation, code, LOINC_SYSTEM)? != Some(GRADE_LOINC) {
        return Ok(None);
    }
    match observation.object("valueCodeableConcept")? {
        Some(value) => coding(observation, value, ICD_O_3_SYSTEM),
        None => Ok(None),
    }
}

/// Converts a FHIR `date` or `dateTime` to the feed's date text: the date
/// part, with `99` for a month or day that the partial forms `YYYY` and
/// `YYYY-MM` leave out. Text of another shape is passed on unchanged, for
/// the date check to reject.
pub(crate) fn fhir_date(text: &str) -> String {
    let date = date_part(text);
    let bytes = date.as_bytes();
    let digits = |range: std::ops::Range<usize>| {
        bytes[range].iter().all(u8::is_ascii_digit)
    };
    match bytes.len() {
        4 if digits(0..4) => format!("{date}-99-99"),
        7 if digits(0..4) && bytes[4] == b'-' && digits(5..7) => {
            format!("{date}-99")
        }
        _ => date.to_string(),
    }
}

/// Returns the date part of a FHIR `dateTime` or `instant`, before `T`.
fn date_part(text: &str) -> &str {
    text.split_once('T').map_or(text, |(date, _)| date)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_fhir_dates() {
        // FHIR R4 `date`: YYYY, YYYY-MM or YYYY-MM-DD; `dateTime` adds a
        // time after T.
        assert_eq!(fhir_date("1961"), "1961-99-99");
        assert_eq!(fhir_date("1961-04"), "1961-04-99");
        assert_eq!(fhir_date("1961-04-02"), "1961-04-02");
        assert_eq!(fhir_date("2021-06-01T10:30:00+02:00"), "2021-06-01");
        assert_eq!(fhir_date("19610402"), "19610402");
        assert_eq!(fhir_date("196x"), "196x");
    }

    /// Reads every document of `text` with the given in-memory limit and
    /// returns each one's number and value, or the line and column of the
    /// syntax error.
    fn read_documents(
        text: &str,
        in_memory: u64,
    ) -> Vec<Result<(u64, Value), (u64, u64)>> {
        let input: Box<dyn BufRead + Send> =
            Box::new(Cursor::new(text.as_bytes().to_vec()));
        let mut bundles = documents(input, in_memory);
        let mut read = Vec::new();
        while let Some(next) = bundles.next("test.json") {
            read.push(match next {
                Ok(Parsed::Bundle(SlimBundle(value), number)) => {
                    Ok((number, value))
                }
                Ok(Parsed::NotJson(..)) => panic!("documents are not lines"),
                Err(error) => match error.kind() {
                    ErrorKind::Json { line, column, .. } => {
                        Err((*line, *column))
                    }
                    other => panic!("expected Json, got {other:?}"),
                },
            });
            if read.last().is_some_and(Result::is_err) {
                break;
            }
        }
        read
    }

    #[test]
    fn documents_in_memory_match_streamed() {
        let bundle = |id: &str| {
            format!(
                r#"{{"resourceType": "Bundle", "id": "{id}", "entry": []}}"#
            )
        };
        let inputs = [
            format!("{}\n{}\n", bundle("a"), bundle("b")),
            format!("{} {}\n\n  {}", bundle("a"), bundle("b"), bundle("c")),
            // A syntax error on the line where the last document ended,
            // and one on a later line.
            format!("{}\n{} {{\"type\" 1}}", bundle("a"), bundle("b")),
            format!("{}\n{}\n{{\n  \"type\" 1}}", bundle("a"), bundle("b")),
            "\n\n  {\"a\": [1, 2,]}".to_string(),
            "  \n".to_string(),
        ];

        for input in &inputs {
            let in_memory = read_documents(input, IN_MEMORY_BYTES);
            let streamed = read_documents(input, 0);

            assert_eq!(in_memory, streamed, "{input:?}");
        }
        let errors: Vec<_> = inputs[2..5]
            .iter()
            .map(|input| read_documents(input, IN_MEMORY_BYTES).pop())
            .collect();
        // Positions counted by hand: the `1` after `"type"`, where a colon
        // is expected, and the `]` after a trailing comma.
        let bundle_length = bundle("b").len() as u64;
        assert_eq!(errors[0], Some(Err((2, bundle_length + 10))));
        assert_eq!(errors[1], Some(Err((4, 10))));
        assert_eq!(errors[2], Some(Err((3, 15))));
    }
}
