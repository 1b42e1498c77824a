//! The provider-side step: a hospital, laboratory or regional registry
//! turns its own feed file into a pre-pseudonymised one before sending it.
//!
//! The output keeps the feed's non-identifying columns, drops `nir`,
//! `birth_name`, `usage_name`, `first_name` and `birth_date`, and appends
//! the [`PROVIDER_COLUMNS`]: keyed pseudonyms, Bloom filters and a CLK
//! (all lowercase hexadecimal), the NIR and birth-date status, and the age
//! at the record's event. Columns that the feed does not define are
//! dropped too, because rnc cannot tell whether they identify someone.

use std::io::{Read, Write};
use std::path::Path;

use rnc_model::{BoxedSaltedNames, PartialDate, Sex, SourceKind, SourceRecord};

use crate::{
    BLOOM_BYTES, ClearIdentity, ClkEncoder, ClkIdentity, Domain, Error,
    ErrorKind, Pseudonymiser,
};

/// Columns appended by the provider step, in output order.
pub const PROVIDER_COLUMNS: [&str; 28] = [
    "provider_key",
    "bloom_construction",
    "nir_status",
    "nir_pseudonym",
    "nir_birth_date_sex_pseudonym",
    "birth_date_status",
    "birth_date_pseudonym",
    "birth_date_swapped_pseudonym",
    "birth_date_next_year_pseudonym",
    "birth_year_month_pseudonym",
    "birth_year_day_pseudonym",
    "birth_month_day_pseudonym",
    "age_at_event",
    "month_salt_pseudonym",
    "birth_name_month_salt_pseudonym",
    "birth_name_month_salt_bloom",
    "usage_name_month_salt_pseudonym",
    "usage_name_month_salt_bloom",
    "first_name_month_salt_pseudonym",
    "first_name_month_salt_bloom",
    "day_salt_pseudonym",
    "birth_name_day_salt_pseudonym",
    "birth_name_day_salt_bloom",
    "usage_name_day_salt_pseudonym",
    "usage_name_day_salt_bloom",
    "first_name_day_salt_pseudonym",
    "first_name_day_salt_bloom",
    "clk",
];

/// Columns that identify a person; none of them is written.
pub const IDENTIFYING_COLUMNS: [&str; 5] = [
    "nir",
    "birth_name",
    "usage_name",
    "first_name",
    "birth_date",
];

/// Returns the non-identifying columns of each feed that are copied, as
/// the feed specification (`docs/sources.md`) defines them, in its order.
/// They are the ingest's columns of the feed without
/// [`IDENTIFYING_COLUMNS`], so that the registry reads from a provider's
/// file every column it reads from a clear one. rnc-ingest, which defines
/// the feeds, tests that the two agree.
pub fn kept_columns(kind: SourceKind) -> &'static [&'static str] {
    match kind {
        SourceKind::RegistryExtract => &[
            "tumour_ref",
            "registry",
            "sex",
            "departement",
            "incidence_date",
            "topography",
            "morphology",
            "behaviour",
            "grade",
            "basis_of_diagnosis",
            "death_date",
            "last_contact_date",
            "registration_date",
            "laterality",
            "tnm_t",
            "tnm_n",
            "tnm_m",
            "tnm_stage_group",
            "tnm_edition",
            "summary_stage",
        ],
        SourceKind::ClinicalRecord => &[
            "condition_ref",
            "organisation",
            "sex",
            "departement",
            "diagnosis_date",
            "recorded_date",
            "topography",
            "morphology",
            "behaviour",
            "grade",
            "basis_of_diagnosis",
            "death_date",
        ],
        SourceKind::HospitalStay => &[
            "stay_id",
            "finess",
            "sex",
            "departement",
            "admission_date",
            "discharge_date",
            "main_diagnosis",
            "associated_diagnoses",
        ],
        SourceKind::PathologyReport => &[
            "report_id",
            "laboratory",
            "sex",
            "departement",
            "specimen_date",
            "report_date",
            "topography",
            "morphology",
            "behaviour",
            "grade",
            "laterality",
            "tnm_t",
            "tnm_n",
            "tnm_m",
            "tnm_stage_group",
            "tnm_edition",
            "summary_stage",
        ],
        SourceKind::DeathRecord => &[
            "certificate_id",
            "sex",
            "departement",
            "death_date",
            "underlying_cause",
            "associated_causes",
        ],
        SourceKind::LongTermIllness => {
            &["ald_id", "sex", "departement", "icd10", "start_date"]
        }
        SourceKind::Screening => &[
            "screening_id",
            "programme",
            "test",
            "sex",
            "departement",
            "test_date",
            "result",
        ],
        SourceKind::Treatment => &[
            "treatment_id",
            "finess",
            "sex",
            "departement",
            "treatment",
            "start_date",
            "end_date",
            "procedure_code",
            "drug_code",
            "icd10",
        ],
    }
}

/// Counts from one run of the provider step. Holds no identifier.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProviderSummary {
    /// Data rows read and written.
    pub rows: u64,
    /// Rows whose NIR was valid or provisional, so pseudonymised.
    pub nir_pseudonymised: u64,
    /// Rows whose NIR was present but invalid, so dropped.
    pub nir_invalid: u64,
    /// Rows whose birth date could not be read, so dropped.
    pub birth_date_invalid: u64,
    /// Columns of the input that the feed does not define, dropped.
    pub dropped_columns: Vec<String>,
    /// Fingerprint of the provider key.
    pub key_fingerprint: String,
}

/// Reads a feed file and writes its pre-pseudonymised form.
///
/// The output is written to a temporary file beside `output` and renamed
/// into place at the end, so a failed run leaves no partial file.
///
/// # Errors
///
/// [`ErrorKind::SameFile`] when `output` is `input`; [`ErrorKind::FileIo`]
/// when a file cannot be read or written; as [`pseudonymise_feed`].
pub fn pseudonymise_file(
    kind: SourceKind,
    input: &Path,
    output: &Path,
    pseudonymiser: &Pseudonymiser,
    clk: &ClkEncoder,
) -> Result<ProviderSummary, Error> {
    ensure_distinct_files(input, output)?;
    let reader =
        std::fs::File::open(input).map_err(|source| ErrorKind::FileIo {
            path: input.to_path_buf(),
            action: "read",
            source,
        })?;
    let file_name = input
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| input.display().to_string());
    write_pseudonymised(kind, &file_name, reader, output, pseudonymiser, clk)
}

/// Checks that `output` is not `input`, which writing would destroy.
///
/// # Errors
///
/// [`ErrorKind::SameFile`] when both name the same file.
pub fn ensure_distinct_files(input: &Path, output: &Path) -> Result<(), Error> {
    let same = match (input.canonicalize(), output.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => input == output,
    };
    if same {
        return Err(ErrorKind::SameFile {
            path: output.to_path_buf(),
        }
        .into());
    }
    Ok(())
}

/// Writes the pre-pseudonymised form of `input`, comma-separated UTF-8
/// CSV named `file` in errors, to `output`, as [`pseudonymise_file`]
/// does: through a temporary file renamed at the end, with mode 0600.
///
/// # Errors
///
/// [`ErrorKind::FileIo`] when the output cannot be written; as
/// [`pseudonymise_feed`].
pub fn write_pseudonymised<R: Read>(
    kind: SourceKind,
    file: &str,
    input: R,
    output: &Path,
    pseudonymiser: &Pseudonymiser,
    clk: &ClkEncoder,
) -> Result<ProviderSummary, Error> {
    let io_error = |path: &Path, action, source| ErrorKind::FileIo {
        path: path.to_path_buf(),
        action,
        source,
    };
    let mut temporary = output.as_os_str().to_owned();
    temporary.push(".partial");
    let temporary = std::path::PathBuf::from(temporary);
    // The output contains no clear identifier, but its keyed pseudonyms are
    // personal data: only the owner may read it until it is sent. A stale
    // temporary file is removed first, because opening an existing file
    // keeps its mode.
    let _ = std::fs::remove_file(&temporary);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let writer = options
        .open(&temporary)
        .map_err(|source| io_error(&temporary, "create", source))?;

    let result =
        pseudonymise_feed(kind, file, input, writer, pseudonymiser, clk);
    match result {
        Ok(summary) => {
            std::fs::rename(&temporary, output)
                .map_err(|source| io_error(output, "rename", source))?;
            Ok(summary)
        }
        Err(error) => {
            let _ = std::fs::remove_file(&temporary);
            Err(error)
        }
    }
}

/// Reads a feed of `kind` from `input` and writes its pre-pseudonymised
/// form to `output`; `file` names the input in errors and logs.
///
/// Rows keep their order. A row whose NIR is invalid gets the status
/// `invalid` and no pseudonym; a row whose birth date cannot be read gets
/// the status `invalid` and no birth-date pseudonym. The registry's ingest
/// decides what to do with them.
///
/// # Errors
///
/// [`ErrorKind::Csv`] for a malformed row (with its line);
/// [`ErrorKind::DuplicateColumn`]; [`ErrorKind::MissingColumn`] when the
/// header lacks the feed's id column or `birth_date`.
pub fn pseudonymise_feed<R: Read, W: Write>(
    kind: SourceKind,
    file: &str,
    input: R,
    output: W,
    pseudonymiser: &Pseudonymiser,
    clk: &ClkEncoder,
) -> Result<ProviderSummary, Error> {
    let span = tracing::info_span!("pseudonymise", file = %file, kind = %kind);
    let _entered = span.enter();
    let csv_error = |line: u64, source| ErrorKind::Csv {
        file: file.to_string(),
        line,
        source,
    };

    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(input);
    let header = reader
        .headers()
        .map_err(|source| csv_error(1, source))?
        .clone();
    let columns = Columns::locate(kind, file, &header)?;

    let mut writer = csv::Writer::from_writer(output);
    let mut out_header: Vec<&str> =
        columns.kept.iter().map(|(name, _)| *name).collect();
    out_header.extend(PROVIDER_COLUMNS);
    writer
        .write_record(&out_header)
        .map_err(|source| csv_error(1, source))?;

    let mut summary = ProviderSummary {
        dropped_columns: columns.dropped.clone(),
        key_fingerprint: pseudonymiser.key_fingerprint().to_string(),
        ..ProviderSummary::default()
    };
    if !summary.dropped_columns.is_empty() {
        tracing::warn!(
            columns = %summary.dropped_columns.join(", "),
            "dropping columns that the feed does not define"
        );
    }

    let mut fields = csv::StringRecord::new();
    loop {
        let more = reader.read_record(&mut fields).map_err(|source| {
            let line = source.position().map_or(0, |p| p.line());
            csv_error(line, source)
        })?;
        if !more {
            break;
        }
        let line = fields.position().map_or(0, |p| p.line());
        let row = pseudonymise_row(
            &columns,
            &fields,
            pseudonymiser,
            clk,
            &mut summary,
        );
        writer
            .write_record(&row)
            .map_err(|source| csv_error(line, source))?;
        summary.rows += 1;
    }
    writer
        .flush()
        .map_err(|source| csv_error(0, csv::Error::from(source)))?;

    tracing::info!(
        rows = summary.rows,
        nir_pseudonymised = summary.nir_pseudonymised,
        nir_invalid = summary.nir_invalid,
        birth_date_invalid = summary.birth_date_invalid,
        key = %summary.key_fingerprint,
        "finished pseudonymising feed"
    );
    Ok(summary)
}

/// Where each column of interest sits in the input header.
struct Columns {
    kept: Vec<(&'static str, usize)>,
    dropped: Vec<String>,
    nir: Option<usize>,
    birth_name: Option<usize>,
    usage_name: Option<usize>,
    first_name: Option<usize>,
    birth_date: usize,
    sex: Option<usize>,
    event: Option<usize>,
}

impl Columns {
    fn locate(
        kind: SourceKind,
        file: &str,
        header: &csv::StringRecord,
    ) -> Result<Columns, Error> {
        let kept_names = kept_columns(kind);
        for (i, name) in header.iter().enumerate() {
            if let Some(first) = header.iter().take(i).position(|x| x == name) {
                let known = kept_names.contains(&name)
                    || IDENTIFYING_COLUMNS.contains(&name);
                return Err(ErrorKind::DuplicateColumn {
                    file: file.to_string(),
                    column: known.then(|| name.to_string()),
                    positions: [first + 1, i + 1],
                }
                .into());
            }
        }
        let position =
            |name: &str| header.iter().position(|column| column == name);
        let missing = |column: &'static str| -> Error {
            ErrorKind::MissingColumn {
                file: file.to_string(),
                kind: kind.to_string(),
                column,
            }
            .into()
        };

        let id = kept_names[0];
        position(id).ok_or_else(|| missing(id))?;
        let kept = kept_names
            .iter()
            .filter_map(|name| position(name).map(|index| (*name, index)))
            .collect();
        let dropped = header
            .iter()
            .filter(|name| {
                !kept_names.contains(name)
                    && !IDENTIFYING_COLUMNS.contains(name)
            })
            .map(str::to_string)
            .collect();
        Ok(Columns {
            kept,
            dropped,
            nir: position("nir"),
            birth_name: position("birth_name"),
            usage_name: position("usage_name"),
            first_name: position("first_name"),
            birth_date: position("birth_date")
                .ok_or_else(|| missing("birth_date"))?,
            sex: position("sex"),
            event: position(kind.event_column()),
        })
    }
}

/// Builds the output row of one input row; the clear identity is wiped
/// before returning.
fn pseudonymise_row(
    columns: &Columns,
    fields: &csv::StringRecord,
    pseudonymiser: &Pseudonymiser,
    clk: &ClkEncoder,
    summary: &mut ProviderSummary,
) -> Vec<String> {
    let text = |index: Option<usize>| {
        index
            .and_then(|i| fields.get(i))
            .filter(|value| !value.is_empty())
    };
    let birth_text = text(Some(columns.birth_date));
    let birth_date = birth_text.map(PartialDate::parse);
    let birth_date_status = match &birth_date {
        None => "missing",
        Some(Ok(Some(date))) if date.is_complete() => "complete",
        Some(Ok(Some(_))) => "partial",
        // A wholly unknown date (`99999999`, `0000-00-00`) is a value, as
        // the registry's clear path reads it, not a missing one.
        Some(Ok(None)) => "unknown",
        Some(Err(_)) => "invalid",
    };
    if birth_date_status == "invalid" {
        summary.birth_date_invalid += 1;
    }
    let birth_date = birth_date.and_then(Result::ok).flatten();

    let mut identity = ClearIdentity {
        nir: text(columns.nir).map(str::to_string),
        birth_name: text(columns.birth_name).map(str::to_string),
        usage_name: text(columns.usage_name).map(str::to_string),
        first_name: text(columns.first_name).map(str::to_string),
        birth_date,
    };
    let sex = text(columns.sex).and_then(|code| Sex::parse_code(code).ok());
    let mut record = SourceRecord {
        sex,
        ..SourceRecord::default()
    };
    pseudonymiser.apply(&identity, &mut record);
    let encoded = clk.encode(&ClkIdentity {
        surname: identity.birth_name.as_deref(),
        first_name: identity.first_name.as_deref(),
        birth_date,
        sex,
    });
    identity.wipe();

    let event = text(columns.event)
        .and_then(|value| PartialDate::parse(value).ok().flatten());
    let age = match (birth_date, event) {
        (Some(birth), Some(event)) => birth.age_at(&event),
        _ => None,
    };
    match record.nir_status {
        Some(
            rnc_model::NirStatus::Valid | rnc_model::NirStatus::Provisional,
        ) => {
            summary.nir_pseudonymised += 1;
        }
        Some(rnc_model::NirStatus::Invalid) => summary.nir_invalid += 1,
        _ => {}
    }

    let mut row: Vec<String> = columns
        .kept
        .iter()
        .map(|(_, index)| fields.get(*index).unwrap_or("").to_string())
        .collect();
    let optional = |value: Option<String>| value.unwrap_or_default();
    let bloom = |value: Option<Vec<u8>>| {
        value
            .map(|filter| encode_bloom(&filter))
            .unwrap_or_default()
    };
    row.extend([
        pseudonymiser.key_fingerprint().to_string(),
        crate::BLOOM_CONSTRUCTION.to_string(),
        record
            .nir_status
            .map(|status| status.label().to_string())
            .unwrap_or_default(),
        optional(record.nir_pseudonym),
        optional(record.nir_birth_date_sex_pseudonym),
        birth_date_status.to_string(),
        optional(record.birth_date_pseudonym),
        optional(record.birth_date_swapped_pseudonym),
        optional(record.birth_date_next_year_pseudonym),
        optional(record.birth_year_month_pseudonym),
        optional(record.birth_year_day_pseudonym),
        optional(record.birth_month_day_pseudonym),
        age.map(|years| years.to_string()).unwrap_or_default(),
    ]);
    for names in [record.month_salted_names, record.day_salted_names]
        .map(BoxedSaltedNames::into_inner)
    {
        row.extend([
            optional(names.salt_pseudonym),
            optional(names.birth_name_pseudonym),
            bloom(names.birth_name_bloom),
            optional(names.usage_name_pseudonym),
            bloom(names.usage_name_bloom),
            optional(names.first_name_pseudonym),
            bloom(names.first_name_bloom),
        ]);
    }
    row.push(encode_bloom(&encoded));
    row
}

/// Writes a Bloom filter or CLK as lowercase hexadecimal.
///
/// Hexadecimal rather than base64, because a short upper-case name such as
/// `ANNE` turns up by chance in megabytes of base64 and would set off every
/// search for planted identifiers in the registry's files.
pub fn encode_bloom(filter: &[u8]) -> String {
    crate::rekey::lower_hex(filter)
}

/// Reads a Bloom filter written by the provider step (lowercase
/// hexadecimal) and checks its length, for the registry's ingest of a
/// pre-pseudonymised file.
///
/// # Errors
///
/// [`ErrorKind::InvalidBloom`] when the text is not hexadecimal or does not
/// decode to [`BLOOM_BYTES`] bytes.
pub fn decode_bloom(domain: Domain, text: &str) -> Result<Vec<u8>, Error> {
    let text = text.trim().as_bytes();
    let invalid = |length: usize| -> Error {
        ErrorKind::InvalidBloom {
            domain: domain.name(),
            length,
            expected: BLOOM_BYTES,
        }
        .into()
    };
    if text.len() != 2 * BLOOM_BYTES {
        // The length in bytes the digits would give, for the message.
        return Err(invalid(text.len() / 2));
    }
    let mut filter = vec![0u8; BLOOM_BYTES];
    faster_hex::hex_decode(text, &mut filter).map_err(|_| invalid(0))?;
    Ok(filter)
}
