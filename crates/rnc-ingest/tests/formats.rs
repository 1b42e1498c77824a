//! The same records load to the same rows and pseudonyms from every form
//! a registry receives: CSV text in several encodings and delimiters,
//! gzip, zstd, Parquet and FHIR R4 JSON. The records are invented; the
//! NIR is the valid example of the feed specification tests.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::{ArrayRef, Date32Array, RecordBatch, StringArray};
use common::keys;
use rnc_ingest::{
    Compression, ErrorKind, FileOutcome, Format, ReadOptions, TextEncoding,
    ingest_file, ingest_file_with, open_rows,
};
use rnc_model::{SourceKind, SourceRecord};
use rnc_synth::fhir::{PathologyReport, pathology_bundle};

const HEADER: [&str; 15] = [
    "report_id",
    "laboratory",
    "nir",
    "birth_name",
    "usage_name",
    "first_name",
    "sex",
    "birth_date",
    "departement",
    "specimen_date",
    "report_date",
    "topography",
    "morphology",
    "behaviour",
    "grade",
];

/// Four reports: accented names, a usage name, partial birth dates, an
/// empty grade and département, and one impossible birth date
/// (30 February) that every form must quarantine.
const ROWS: [[&str; 15]; 4] = [
    [
        "P1",
        "ACP3501",
        "255081416802538",
        "Hénault",
        "",
        "Françoise",
        "2",
        "1955-08-12",
        "14",
        "2021-03-04",
        "2021-03-10",
        "C50.4",
        "8500",
        "3",
        "2",
    ],
    [
        "P2",
        "ACP1402",
        "",
        "Lefèvre",
        "Dupré",
        "Anaïs",
        "2",
        "1961-04-99",
        "",
        "2022-11-30",
        "",
        "C18.7",
        "8140",
        "3",
        "",
    ],
    [
        "P3",
        "ACP3501",
        "",
        "Nguyễn",
        "",
        "Loïc",
        "1",
        "1950-99-99",
        "35",
        "2020-01-15",
        "2020-01-20",
        "C61.9",
        "8550",
        "3",
        "3",
    ],
    [
        "P4",
        "ACP1402",
        "",
        "Martin",
        "",
        "Jérôme",
        "1",
        "1941-02-30",
        "35",
        "2020-05-02",
        "",
        "C34.1",
        "8070",
        "3",
        "",
    ],
];

/// Writes the rows as CSV text with `delimiter` and `line_end`, quoting none
/// (no field contains a delimiter).
fn csv_text(delimiter: &str, line_end: &str) -> String {
    let mut text = HEADER.join(delimiter) + line_end;
    for row in ROWS {
        text += &(row.join(delimiter) + line_end);
    }
    text
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn reports() -> Vec<PathologyReport<'static>> {
    ROWS.iter()
        .map(|row| PathologyReport {
            report_id: row[0],
            laboratory: row[1],
            nir: row[2],
            birth_name: row[3],
            usage_name: row[4],
            first_name: row[5],
            sex: row[6],
            birth_date: row[7],
            departement: row[8],
            specimen_date: row[9],
            report_date: row[10],
            topography: row[11],
            morphology: row[12],
            behaviour: row[13],
            grade: row[14],
        })
        .collect()
}

/// Writes the rows as Parquet: text columns, except `specimen_date` as a
/// `Date32` column and an empty grade as a null.
fn parquet_bytes() -> Vec<u8> {
    let mut columns: Vec<ArrayRef> = Vec::new();
    let mut fields = Vec::new();
    for (index, name) in HEADER.iter().enumerate() {
        if *name == "specimen_date" {
            let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
            let days = ROWS.iter().map(|row| {
                let date =
                    chrono::NaiveDate::parse_from_str(row[index], "%Y-%m-%d")
                        .unwrap();
                Some((date - epoch).num_days() as i32)
            });
            columns.push(Arc::new(Date32Array::from_iter(days)));
            fields.push(arrow_schema::Field::new(
                *name,
                arrow_schema::DataType::Date32,
                true,
            ));
            continue;
        }
        let values = ROWS.iter().map(|row| {
            let value = row[index];
            (!(value.is_empty() && *name == "grade")).then_some(value)
        });
        columns.push(Arc::new(StringArray::from_iter(values)));
        fields.push(arrow_schema::Field::new(
            *name,
            arrow_schema::DataType::Utf8,
            true,
        ));
    }
    let schema = Arc::new(arrow_schema::Schema::new(fields));
    let batch = RecordBatch::try_new(schema.clone(), columns).unwrap();
    let mut bytes = Vec::new();
    let mut writer =
        parquet::arrow::ArrowWriter::try_new(&mut bytes, schema, None).unwrap();
    writer.write(&batch).unwrap();
    writer.close().unwrap();
    bytes
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(
        Vec::new(),
        flate2::Compression::default(),
    );
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// Returns the records sorted by id with the fields that name the file
/// and line cleared, since only those may differ between forms.
fn comparable(outcome: &FileOutcome) -> Vec<SourceRecord> {
    let mut records = outcome.records.clone();
    for record in &mut records {
        record.source_file.clear();
        record.source_line = 0;
    }
    records.sort_by(|a, b| a.record_id.cmp(&b.record_id));
    records
}

fn rules(outcome: &FileOutcome) -> Vec<(String, String)> {
    outcome
        .quarantine
        .iter()
        .map(|row| (row.field.clone(), row.rule.clone()))
        .collect()
}

#[test]
fn every_form_loads_identical_records() {
    let dir = tempfile::tempdir().unwrap();
    let utf8 = csv_text(",", "\n");
    // Nguyễn has no Windows-1252 form, so that file is written without
    // report P3 and compared on the others.
    let without_p3_text: String = csv_text(";", "\r\n")
        .split_inclusive("\r\n")
        .filter(|line| !line.starts_with("P3;"))
        .collect();
    let (cp1252, _, lossy) = encoding_rs::WINDOWS_1252.encode(&without_p3_text);
    assert!(!lossy, "every character left is in Windows-1252");
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend_from_slice(csv_text(",", "\r\n").as_bytes());
    let bundle = pathology_bundle(&reports());
    let pretty = serde_json::to_string_pretty(
        &serde_json::from_str::<serde_json::Value>(&bundle).unwrap(),
    )
    .unwrap();
    let ndjson: String = reports()
        .iter()
        .map(|report| pathology_bundle(&[*report]) + "\n")
        .collect();

    let forms: Vec<(&str, Vec<u8>, ReadOptions)> = vec![
        (
            "utf8.csv",
            utf8.clone().into_bytes(),
            ReadOptions::default(),
        ),
        ("bom.csv", bom, ReadOptions::default()),
        (
            "tab.tsv",
            csv_text("\t", "\n").into_bytes(),
            ReadOptions::default(),
        ),
        // Named .csv: compression is found from the magic bytes.
        ("gzip.csv", gzip(utf8.as_bytes()), ReadOptions::default()),
        (
            "zstd.csv.zst",
            zstd::encode_all(utf8.as_bytes(), 3).unwrap(),
            ReadOptions::default(),
        ),
        ("reports.parquet", parquet_bytes(), ReadOptions::default()),
        ("bundle.json", bundle.into_bytes(), ReadOptions::default()),
        ("pretty.json", pretty.into_bytes(), ReadOptions::default()),
        (
            "bundles.ndjson",
            ndjson.into_bytes(),
            ReadOptions::default(),
        ),
        (
            "bundles.ndjson.gz",
            gzip(
                reports()
                    .iter()
                    .map(|r| pathology_bundle(&[*r]) + "\n")
                    .collect::<String>()
                    .as_bytes(),
            ),
            ReadOptions::default(),
        ),
    ];

    let kind = SourceKind::PathologyReport;
    let baseline_path = write(dir.path(), "baseline.csv", utf8.as_bytes());
    let baseline = ingest_file(kind, &baseline_path, keys(), "b").unwrap();
    assert_eq!(baseline.rows_read, 4);
    assert_eq!(baseline.records.len(), 3);
    assert_eq!(
        rules(&baseline),
        vec![("birth_date".to_string(), "impossible_date".to_string())]
    );

    for (name, bytes, options) in forms {
        let path = write(dir.path(), name, &bytes);
        let outcome = ingest_file_with(kind, &path, keys(), "b", &options)
            .unwrap_or_else(|error| panic!("{name}: {error}"));
        assert_eq!(outcome.rows_read, 4, "{name}");
        assert_eq!(comparable(&outcome), comparable(&baseline), "{name}");
        assert_eq!(rules(&outcome), rules(&baseline), "{name}");
    }

    // Windows-1252 with semicolons and CRLF, declared: the rows other
    // than P3 must match.
    let path = write(dir.path(), "cp1252.csv", &cp1252);
    let options = ReadOptions {
        encoding: Some(TextEncoding::Windows1252),
        ..ReadOptions::default()
    };
    let outcome = ingest_file_with(kind, &path, keys(), "b", &options).unwrap();
    let without_p3 = |outcome: &FileOutcome| -> Vec<SourceRecord> {
        comparable(outcome)
            .into_iter()
            .filter(|r| r.record_id != "pathology_report/P3")
            .collect()
    };
    assert_eq!(without_p3(&outcome), without_p3(&baseline));
    assert_eq!(rules(&outcome), rules(&baseline));
}

#[test]
fn rows_keep_their_positions() {
    // CSV lines count the header as line 1; Parquet rows count from 1;
    // FHIR rows name the Bundle's line and the DiagnosticReport's entry.
    let dir = tempfile::tempdir().unwrap();
    let kind = SourceKind::PathologyReport;
    let csv = write(dir.path(), "a.csv", csv_text(",", "\r\n").as_bytes());
    let parquet = write(dir.path(), "a.parquet", &parquet_bytes());
    let ndjson: String = reports()
        .iter()
        .map(|report| pathology_bundle(&[*report]) + "\n\n")
        .collect();
    let ndjson = write(dir.path(), "a.ndjson", ndjson.as_bytes());

    let lines = |path: &Path| -> Vec<u64> {
        let outcome = ingest_file(kind, path, keys(), "b").unwrap();
        let mut lines: Vec<u64> = outcome
            .records
            .iter()
            .map(|r| r.source_line)
            .chain(outcome.quarantine.iter().map(|q| q.line))
            .collect();
        lines.sort_unstable();
        lines
    };
    assert_eq!(lines(&csv), vec![2, 3, 4, 5]);
    assert_eq!(lines(&parquet), vec![1, 2, 3, 4]);
    // One Bundle every other line, since a blank line follows each.
    assert_eq!(lines(&ndjson), vec![1, 3, 5, 7]);

    let outcome = ingest_file(kind, &ndjson, keys(), "b").unwrap();
    assert_eq!(
        outcome.quarantine[0].message,
        "a.ndjson: line 7, entry 0, field birth_date: date does not exist \
         in the calendar, such as 30 February (expected a real date, or 99 \
         for an unknown day or month)"
    );
}

#[test]
fn formats_are_detected() {
    let dir = tempfile::tempdir().unwrap();
    let kind = SourceKind::PathologyReport;
    let utf8 = csv_text(";", "\n");
    let cases = [
        (
            write(dir.path(), "x.csv", utf8.as_bytes()),
            Format::Csv {
                compression: Compression::None,
                encoding: TextEncoding::Utf8,
                delimiter: b';',
            },
        ),
        (
            write(
                dir.path(),
                "x.dat",
                &zstd::encode_all(utf8.as_bytes(), 1).unwrap(),
            ),
            Format::Csv {
                compression: Compression::Zstd,
                encoding: TextEncoding::Utf8,
                delimiter: b';',
            },
        ),
        (
            write(dir.path(), "x.bin", &parquet_bytes()),
            Format::Parquet,
        ),
        (
            write(
                dir.path(),
                "x.json.gz",
                &gzip(pathology_bundle(&reports()).as_bytes()),
            ),
            Format::Fhir {
                compression: Compression::Gzip,
                ndjson: false,
            },
        ),
    ];
    for (path, expected) in cases {
        let reader = open_rows(&path, kind, &ReadOptions::default()).unwrap();
        assert_eq!(reader.format(), expected, "{}", path.display());
        assert_eq!(reader.header().get(0), Some("report_id"));
        assert_eq!(reader.count(), 4, "{}", path.display());
    }
}

/// B16-style extract: the same record as UTF-8 with a byte-order mark and
/// CRLF, as UTF-8, as Windows-1252 (é is byte 0xE9) and with semicolons.
#[test]
fn same_extract_in_four_encodings() {
    let dir = tempfile::tempdir().unwrap();
    let header = "certificate_id,birth_name,first_name,sex,birth_date,\
                  departement,death_date,underlying_cause";
    let row = "D1,Hénault,Anne,2,1940-03-02,35,2021-06-01,C509";
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend_from_slice(format!("{header}\r\n{row}\r\n").as_bytes());
    let plain = format!("{header}\n{row}\n").into_bytes();
    let text = format!("{header}\n{row}\n");
    let cp1252 = encoding_rs::WINDOWS_1252.encode(&text).0;
    assert!(cp1252.contains(&0xE9));
    let semicolon =
        format!("{}\n{}\n", header.replace(',', ";"), row.replace(',', ";"))
            .into_bytes();
    let declared = ReadOptions {
        encoding: Some(TextEncoding::Windows1252),
        ..ReadOptions::default()
    };
    let kind = SourceKind::DeathRecord;
    let files = [
        ("a.csv", bom, ReadOptions::default()),
        ("b.csv", plain, ReadOptions::default()),
        ("c.csv", cp1252.to_vec(), declared),
        ("d.csv", semicolon.clone(), ReadOptions::default()),
    ];

    let mut pseudonyms = Vec::new();
    for (name, bytes, options) in &files {
        let path = write(dir.path(), name, bytes);
        let reader = open_rows(&path, kind, options).unwrap();
        assert_eq!(reader.header().get(0), Some("certificate_id"), "{name}");
        let outcome =
            ingest_file_with(kind, &path, keys(), "b", options).unwrap();
        assert_eq!(outcome.records.len(), 1, "{name}");
        pseudonyms.push(
            outcome.records[0]
                .month_salted_names
                .birth_name_pseudonym
                .clone(),
        );
    }
    assert!(pseudonyms[0].is_some());
    assert!(pseudonyms.iter().all(|p| *p == pseudonyms[0]));

    // Undeclared, the Windows-1252 file must fail on line 2 rather than
    // load a replacement character.
    let path = write(dir.path(), "c.csv", &cp1252);
    let error = ingest_file(kind, &path, keys(), "b").unwrap_err();
    match error.kind() {
        ErrorKind::NotUtf8 { line, offset, .. } => {
            assert_eq!(*line, 2);
            assert_eq!(*offset, header.len() as u64 + 1 + 4);
        }
        other => panic!("expected NotUtf8, got {other:?}"),
    }

    // Read with a declared comma, the semicolon file has one column.
    let path = write(dir.path(), "d.csv", &semicolon);
    let comma = ReadOptions {
        delimiter: Some(b','),
        ..ReadOptions::default()
    };
    let error = ingest_file_with(kind, &path, keys(), "b", &comma).unwrap_err();
    assert!(matches!(error.kind(), ErrorKind::MissingColumn { .. }));
}

#[test]
fn encoding_faults_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let kind = SourceKind::DeathRecord;
    let header = "certificate_id,birth_name,first_name,sex,birth_date,\
                  departement,death_date,underlying_cause\n";

    // UTF-16 little-endian with its byte-order mark.
    let mut utf16 = vec![0xFF, 0xFE];
    for unit in header.encode_utf16() {
        utf16.extend_from_slice(&unit.to_le_bytes());
    }
    let path = write(dir.path(), "u16.csv", &utf16);
    let error = ingest_file(kind, &path, keys(), "b").unwrap_err();
    assert!(
        matches!(error.kind(), ErrorKind::Unsupported { .. }),
        "{error}"
    );
    assert!(error.to_string().contains("UTF-16"), "{error}");

    // A UTF-8 byte-order mark contradicts a declared Windows-1252.
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend_from_slice(header.as_bytes());
    let path = write(dir.path(), "bom.csv", &bom);
    let declared = ReadOptions {
        encoding: Some(TextEncoding::Windows1252),
        ..ReadOptions::default()
    };
    let error =
        ingest_file_with(kind, &path, keys(), "b", &declared).unwrap_err();
    assert!(matches!(error.kind(), ErrorKind::EncodingConflict { .. }));

    // 0x9D is undefined in Windows-1252: offset and line are given.
    let mut bytes = header.as_bytes().to_vec();
    bytes.extend_from_slice(
        b"D1,Mart\x9Din,Anne,2,1940-03-02,35,2021-06-01,C509\n",
    );
    let path = write(dir.path(), "w.csv", &bytes);
    let error =
        ingest_file_with(kind, &path, keys(), "b", &declared).unwrap_err();
    match error.kind() {
        ErrorKind::InvalidEncoding {
            line, offset, byte, ..
        } => {
            assert_eq!(*line, 2);
            assert_eq!(*offset, header.len() as u64 + 7);
            assert_eq!(*byte, 0x9D);
        }
        other => panic!("expected InvalidEncoding, got {other:?}"),
    }
}

#[test]
fn quoted_newlines_keep_line_numbers_compressed() {
    // A quoted field spanning two lines moves every later row one line
    // down, in gzip and in Windows-1252 alike.
    let dir = tempfile::tempdir().unwrap();
    let kind = SourceKind::DeathRecord;
    let text = "certificate_id,birth_name,first_name,sex,birth_date,\
                departement,death_date,underlying_cause\r\n\
                D1,\"Hénault\r\nde Vère\",Anne,2,1940-03-02,35,2021-06-01,C509\r\n\
                D2,Martin,Paul,1,1941-02-30,35,2021-06-02,C61\r\n";
    let path = write(dir.path(), "g.csv.gz", &gzip(text.as_bytes()));
    let outcome = ingest_file(kind, &path, keys(), "b").unwrap();
    assert_eq!(outcome.records[0].source_line, 2);
    assert_eq!(outcome.quarantine[0].line, 4);

    let cp1252 = encoding_rs::WINDOWS_1252.encode(text).0;
    let path = write(dir.path(), "w.csv", &cp1252);
    let declared = ReadOptions {
        encoding: Some(TextEncoding::Windows1252),
        ..ReadOptions::default()
    };
    let outcome =
        ingest_file_with(kind, &path, keys(), "b", &declared).unwrap();
    assert_eq!(outcome.records[0].source_line, 2);
    assert_eq!(outcome.quarantine[0].line, 4);
}
