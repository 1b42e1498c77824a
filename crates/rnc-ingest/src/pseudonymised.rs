//! Rows of a provider's pre-pseudonymised file, the output of `rnc
//! pseudonymise`.
//!
//! Such a file has the feed's non-identifying columns followed by
//! [`PROVIDER_COLUMNS`]: the inner pseudonyms and Bloom filters under the
//! provider key. The registry applies its own key on top
//! ([`RegistryLayer::seal_record`]), so that the stored record equals the
//! one a clear row of the same person gives when ingested with the same
//! provider key and registry key.

use csv::StringRecord;
use rnc_model::{
    NirStatus, SaltedNameColumns, SaltedNames, SourceKind, SourceRecord,
};
use rnc_pseudonym::Domain::{FirstName, Name};
use rnc_pseudonym::provider::{PROVIDER_COLUMNS, decode_bloom};
use rnc_pseudonym::{BLOOM_CONSTRUCTION, RegistryLayer};

use crate::checks::Row;
use crate::feeds::{self, Column, is_identifying};
use crate::records::{new_record, read_event_fields};

/// The column that marks a pre-pseudonymised file: the provider key's
/// fingerprint, on every row.
pub(crate) const PROVIDER_KEY_COLUMN: &str = "provider_key";

/// The column that names the construction of the Bloom filters' bit
/// positions ([`BLOOM_CONSTRUCTION`]), on every row. It is optional in
/// the header so that the rows of an older file are each quarantined with
/// the reason, rather than the whole file refused for a missing column.
const BLOOM_CONSTRUCTION_COLUMN: &str = "bloom_construction";

/// Oldest age at event accepted, in completed years.
const MAX_AGE: u16 = 130;

/// Returns whether a header is that of a pre-pseudonymised file.
pub(crate) fn is_pseudonymised(header: &StringRecord) -> bool {
    header.iter().any(|name| name == PROVIDER_KEY_COLUMN)
}

/// Returns the columns of a pre-pseudonymised file of `kind`: the feed's
/// columns without the identifying ones, then [`PROVIDER_COLUMNS`], of
/// which the key and the two statuses are required.
pub(crate) fn columns(kind: SourceKind) -> Vec<Column> {
    let kept = feeds::columns(kind)
        .iter()
        .filter(|column| !is_identifying(column.name))
        .copied();
    let provider = PROVIDER_COLUMNS.iter().map(|&name| Column {
        name,
        required: matches!(
            name,
            PROVIDER_KEY_COLUMN | "nir_status" | "birth_date_status"
        ),
    });
    kept.chain(provider).collect()
}

/// Builds the record of one pre-pseudonymised row and moves its
/// pseudonyms and filters under the registry key. Problems are left in
/// `row.problems`, as for a clear row.
///
/// `provider_key` is the fingerprint on the file's first row: a row that
/// names another key is rejected, because its pseudonyms would match no
/// other record.
pub(crate) fn build(
    kind: SourceKind,
    row: &mut Row<'_>,
    provider_key: &str,
    registry: &RegistryLayer,
) -> SourceRecord {
    let mut record = new_record(kind, row);
    read_event_fields(kind, row, &mut record);

    if let Some(key) = row.required(PROVIDER_KEY_COLUMN)
        && key != provider_key
    {
        row.problem(
            PROVIDER_KEY_COLUMN,
            "provider_key_mismatch",
            format!(
                "row was pseudonymised with provider key {key}, but the \
                 first row with {provider_key} (expected one provider key \
                 per file; ask the provider to run rnc pseudonymise again \
                 with one key)"
            ),
        );
    }
    check_bloom_construction(row);
    // NOTE: a clear row whose birth date is in the future or after the
    // event is quarantined (`future_date`, `birth_after_event`). The
    // provider file keeps no birth date, so those two checks cannot run
    // here and such a row is accepted with no age at event.
    read_statuses(row, &mut record);
    read_pseudonyms(row, &mut record);
    if kind == SourceKind::HospitalStay {
        // The clear path ignores a usage name in a hospital stay.
        record.month_salted_names.clear_usage_name();
        record.day_salted_names.clear_usage_name();
    }
    // A birth name is required where the clear feed requires one (not in
    // hospital stays, screening, treatments or long-term illness, which
    // has no name column). The provider leaves the pseudonym empty when
    // the name was missing or had no letters.
    let birth_name_required = feeds::columns(kind)
        .iter()
        .any(|column| column.name == "birth_name" && column.required);
    if birth_name_required
        && record.month_salted_names.birth_name_pseudonym.is_none()
    {
        row.problem(
            "birth_name",
            "required",
            "the provider found no birth name (expected a name in every row)",
        );
    }
    record.age_at_event = read_age(row);

    if row.problems.is_empty()
        && let Err(error) = registry.seal_record(&mut record)
    {
        row.problem("-", "invalid_pseudonym", format!("{error}"));
    }
    record
}

/// Rejects a row whose Bloom filters were made by another construction
/// of their bit positions than this rnc's, because they would agree only
/// by chance with the registry's filters of the same names. A file
/// without the column comes from an rnc older than the construction's
/// name.
fn check_bloom_construction(row: &mut Row<'_>) {
    // The value is not echoed, because a row whose columns have shifted
    // could have a name or a date here.
    let problem = match row.optional(BLOOM_CONSTRUCTION_COLUMN) {
        Some(BLOOM_CONSTRUCTION) => return,
        Some(_) => format!(
            "row's Bloom filters were made with another construction than \
             {BLOOM_CONSTRUCTION}, the one of this rnc, and would match none \
             of the registry's (ask the provider to run rnc pseudonymise \
             again with the registry's version of rnc)"
        ),
        None => format!(
            "row has no {BLOOM_CONSTRUCTION_COLUMN} value, as in files of an \
             rnc older than construction {BLOOM_CONSTRUCTION}, whose Bloom \
             filters match none of the registry's (ask the provider to run \
             rnc pseudonymise again with the registry's version of rnc)"
        ),
    };
    row.problem(BLOOM_CONSTRUCTION_COLUMN, "bloom_construction", problem);
}

fn read_statuses(row: &mut Row<'_>, record: &mut SourceRecord) {
    if let Some(label) = row.required("nir_status") {
        record.nir_status = NirStatus::from_label(label);
        if record.nir_status.is_none() {
            row.problem(
                "nir_status",
                "nir_status",
                "value is not a NIR status (expected valid, provisional, \
                 invalid or missing)",
            );
        }
    }
    match row.required("birth_date_status") {
        // A wholly unknown date is accepted, as on the clear path: it
        // gives no birth-date evidence.
        Some("complete" | "partial" | "unknown") | None => {}
        // The clear path rejects the same rows: a birth date is required
        // in every feed and must be a real date.
        Some("missing") => row.problem(
            "birth_date",
            "required",
            "the provider found no birth date (expected a value in every row)",
        ),
        Some("invalid") => row.problem(
            "birth_date",
            "impossible_date",
            "the provider could not read the birth date (expected a real \
             date, or 99 for an unknown day or month)",
        ),
        Some(_) => row.problem(
            "birth_date_status",
            "birth_date_status",
            "value is not a birth-date status (expected complete, partial, \
             unknown, missing or invalid)",
        ),
    }
}

fn read_pseudonyms(row: &mut Row<'_>, record: &mut SourceRecord) {
    let text = |row: &Row<'_>, column| row.optional(column).map(str::to_string);
    record.nir_pseudonym = text(row, "nir_pseudonym");
    record.nir_birth_date_sex_pseudonym =
        text(row, "nir_birth_date_sex_pseudonym");
    record.birth_date_pseudonym = text(row, "birth_date_pseudonym");
    record.birth_date_swapped_pseudonym =
        text(row, "birth_date_swapped_pseudonym");
    record.birth_date_next_year_pseudonym =
        text(row, "birth_date_next_year_pseudonym");
    record.birth_year_month_pseudonym = text(row, "birth_year_month_pseudonym");
    record.birth_year_day_pseudonym = text(row, "birth_year_day_pseudonym");
    record.birth_month_day_pseudonym = text(row, "birth_month_day_pseudonym");
    record.month_salted_names =
        read_salted_names(row, SaltedNameColumns::MONTH).into();
    record.day_salted_names =
        read_salted_names(row, SaltedNameColumns::DAY).into();
}

fn read_salted_names(
    row: &mut Row<'_>,
    columns: SaltedNameColumns,
) -> SaltedNames {
    let text = |row: &Row<'_>, column| row.optional(column).map(str::to_string);
    SaltedNames {
        salt_pseudonym: text(row, columns.salt_pseudonym),
        birth_name_pseudonym: text(row, columns.birth_name_pseudonym),
        usage_name_pseudonym: text(row, columns.usage_name_pseudonym),
        first_name_pseudonym: text(row, columns.first_name_pseudonym),
        birth_name_bloom: read_bloom(row, columns.birth_name_bloom, Name),
        usage_name_bloom: read_bloom(row, columns.usage_name_bloom, Name),
        first_name_bloom: read_bloom(row, columns.first_name_bloom, FirstName),
    }
}

fn read_bloom(
    row: &mut Row<'_>,
    column: &'static str,
    domain: rnc_pseudonym::Domain,
) -> Option<Vec<u8>> {
    let text = row.optional(column)?;
    match decode_bloom(domain, text) {
        Ok(filter) => Some(filter),
        Err(error) => {
            row.problem(column, "invalid_bloom", format!("{error}"));
            None
        }
    }
}

fn read_age(row: &mut Row<'_>) -> Option<u16> {
    let text = row.optional("age_at_event")?;
    match text.parse::<u16>() {
        Ok(age) if age <= MAX_AGE => Some(age),
        _ => {
            row.problem(
                "age_at_event",
                "age_at_event",
                format!(
                    "value is not an age in completed years (expected a \
                     whole number from 0 to {MAX_AGE})"
                ),
            );
            None
        }
    }
}
