//! Synthetic feeds with their truth, ingested and grouped by true person,
//! for the tests and the example that compare consolidation with the
//! generator's true tumours.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use rnc_model::SourceRecord;
use rnc_pseudonym::{Key, Pseudonymiser, RegistryLayer};
use rnc_synth::{Encoding, Feed, FeedFormats};

/// Reads a CSV file with a header into one map per row.
pub fn read_csv(path: &Path) -> Vec<HashMap<String, String>> {
    let mut reader = csv::Reader::from_path(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let header = reader.headers().unwrap().clone();
    reader
        .records()
        .map(|row| {
            let row = row.unwrap();
            header
                .iter()
                .zip(row.iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

/// Ingests every feed file the generator wrote in `feeds` with `formats`
/// (`KIND.csv`, or one `KIND_YEAR.csv` per year), plus the FHIR deliveries
/// of pathology reports, with fixed test keys. Returns the accepted
/// records and the number of rows quarantined.
pub fn ingest_all(
    feeds: &Path,
    formats: &FeedFormats,
) -> (Vec<SourceRecord>, usize) {
    let provider = Pseudonymiser::new(&Key::from_bytes([7; 32]));
    let registry = RegistryLayer::new(&Key::from_bytes([8; 32]));
    let keys = rnc_ingest::IngestKeys {
        provider: Some(&provider),
        registry: &registry,
    };
    let mut files: Vec<(Feed, PathBuf)> = Vec::new();
    for entry in std::fs::read_dir(feeds).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        // Laboratories that deliver FHIR write their reports apart.
        if name.starts_with(rnc_synth::fhir::DELIVERY_PREFIX) {
            files.push((Feed::PathologyReport, path));
            continue;
        }
        let feed = Feed::ALL.iter().copied().find(|feed| {
            feed.source_kind()
                .is_some_and(|kind| is_feed_file(&name, kind.name()))
        });
        if let Some(feed) = feed {
            files.push((feed, path));
        }
    }
    files.sort_by(|a, b| a.1.cmp(&b.1));
    let mut records = Vec::new();
    let mut quarantined = 0;
    for (feed, path) in files {
        let kind = feed.source_kind().expect("only feeds of a source kind");
        // A file cannot declare Windows-1252 by itself, so it is passed
        // as a user would; the delimiter is detected.
        let options = rnc_ingest::ReadOptions {
            encoding: (formats.of(feed).encoding == Encoding::Windows1252)
                .then_some(rnc_ingest::TextEncoding::Windows1252),
            delimiter: None,
        };
        let outcome =
            rnc_ingest::ingest_file_with(kind, &path, keys, "B1", &options)
                .unwrap_or_else(|e| panic!("ingesting {kind}: {e}"));
        records.extend(outcome.records);
        quarantined += outcome.quarantine.len();
    }
    (records, quarantined)
}

/// Whether `name` is `FEED.csv` or `FEED_YEAR.csv`.
fn is_feed_file(name: &str, feed: &str) -> bool {
    let Some(rest) = name.strip_prefix(feed) else {
        return false;
    };
    rest == ".csv"
        || rest
            .strip_prefix('_')
            .and_then(|r| r.strip_suffix(".csv"))
            .is_some_and(|year| year.bytes().all(|b| b.is_ascii_digit()))
}

/// Groups `records` by their true person, read from
/// `truth/records.csv`.
pub fn by_true_person<'a>(
    truth: &Path,
    records: &'a [SourceRecord],
) -> BTreeMap<String, Vec<&'a SourceRecord>> {
    let person_of: HashMap<String, String> =
        read_csv(&truth.join("records.csv"))
            .into_iter()
            .map(|row| (row["record_id"].clone(), row["person_id"].clone()))
            .collect();
    let mut by_person: BTreeMap<String, Vec<&SourceRecord>> = BTreeMap::new();
    for record in records {
        // Quarantined rows have no record, so every record has a person.
        let person = person_of
            .get(&record.record_id)
            .unwrap_or_else(|| panic!("{} not in truth", record.record_id));
        by_person.entry(person.clone()).or_default().push(record);
    }
    by_person
}
