//! The append-only audit log: one JSON line per request, each entry
//! hash-chained to the one before, and a signed head kept apart.
//!
//! Entry `n` stores `prev`, the hash of entry `n - 1` (64 zeros for the
//! first), and `hash`, the SHA-256 of its own fields other than `hash`
//! serialised as JSON in a fixed field order. [`verify_audit_log`] recomputes
//! every hash and link, so it detects:
//!
//! * a changed entry (its hash no longer matches its fields);
//! * a deleted, inserted or moved entry (a sequence number or a `prev`
//!   link breaks at that point);
//! * a deleted first entry (the first sequence number is not 1);
//! * a tail cut off, through the head file: the service writes the last
//!   sequence number and hash with an HMAC-SHA-256 under a key derived
//!   from the service key, which lives outside the registry. A log that
//!   ends before the head, or that disagrees with it, fails.
//!
//! What it cannot detect: entries appended after the last head update
//! (the head is rewritten each second and on shutdown, so up to one
//! second of entries is reported as unanchored rather than verified);
//! someone who holds the service key and rewrites log and head together;
//! and a rollback of both files to an earlier copy. Recording the last
//! hash elsewhere (`rnc audit verify` prints it) and checking it later
//! with an anchor detects the last two.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use hmac::Mac;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::Error;
use crate::secret::{HmacSha256, ServiceKey};

/// The `prev` of the first entry.
pub const GENESIS_HASH: &str =
    "0000000000000000000000000000000000000000000000000000000000000000";

/// What one request did, as the service records it. No field holds an
/// identifier of a registered person or a value a caller submitted
/// unchecked: `params` holds only values the handler validated against a
/// closed list or a number range.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AuditRecord {
    /// Token id (`T0003`), or `anonymous`.
    pub who: String,
    /// Role of the caller.
    pub role: String,
    /// Client IP address.
    pub client: String,
    /// HTTP method.
    pub method: String,
    /// The route template matched, such as
    /// `/api/v1/releases/{release}/tables/{table}`, or `unmatched`.
    pub endpoint: String,
    /// Validated parameters by name.
    pub params: BTreeMap<String, String>,
    /// HTTP status code of the response.
    pub status: u16,
    /// Time taken, in milliseconds.
    pub duration_ms: u64,
}

/// One line of the log.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditEntry {
    /// Sequence number, from 1.
    pub seq: u64,
    /// UTC time of the response, RFC 3339 with milliseconds.
    pub time: String,
    /// See [`AuditRecord::who`].
    pub who: String,
    /// See [`AuditRecord::role`].
    pub role: String,
    /// See [`AuditRecord::client`].
    pub client: String,
    /// See [`AuditRecord::method`].
    pub method: String,
    /// See [`AuditRecord::endpoint`].
    pub endpoint: String,
    /// See [`AuditRecord::params`].
    pub params: BTreeMap<String, String>,
    /// See [`AuditRecord::status`].
    pub status: u16,
    /// See [`AuditRecord::duration_ms`].
    pub duration_ms: u64,
    /// Hash of the previous entry, [`GENESIS_HASH`] for the first.
    pub prev: String,
    /// SHA-256 of the other fields, hexadecimal. Left out of the
    /// serialisation while empty, which is how the hash input is made.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub hash: String,
}

impl AuditEntry {
    /// Computes the hash of the entry's fields other than `hash`: the
    /// SHA-256 of their JSON, in declaration order, without `hash`.
    pub fn compute_hash(&self) -> String {
        let body = AuditEntry {
            hash: String::new(),
            ..self.clone()
        };
        let json = serde_json::to_vec(&body).expect("an entry serialises");
        hex::encode(Sha256::digest(json))
    }
}

/// The signed head: the last entry the service had written and flushed.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Head {
    seq: u64,
    hash: String,
    written_at: String,
    mac: String,
}

fn head_mac(
    key: &ServiceKey,
    seq: u64,
    hash: &str,
    written_at: &str,
) -> String {
    let mut mac = HmacSha256::new_from_slice(&key.derive("audit-head"))
        .expect("HMAC takes a key of any length");
    mac.update(format!("{seq}\n{hash}\n{written_at}").as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// The open log of a running service.
#[derive(Debug)]
pub struct AuditLog {
    path: PathBuf,
    head_path: PathBuf,
    key: ServiceKey,
    state: Mutex<WriterState>,
}

#[derive(Debug)]
struct WriterState {
    file: File,
    seq: u64,
    last_hash: String,
    head_seq: u64,
}

impl AuditLog {
    /// Opens the log at `path` for appending, after verifying it and its
    /// head at `head_path`, and takes an exclusive lock on it so that a
    /// second service cannot interleave entries.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] when the log fails verification or another
    /// process holds it; I/O errors.
    pub fn open(
        path: &Path,
        head_path: &Path,
        key: &ServiceKey,
    ) -> Result<AuditLog, Error> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(Error::io(parent))?;
        }
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(Error::io(path))?;
        file.try_lock().map_err(|_| {
            Error::Invalid(format!(
                "{}: another rnc service holds the audit log; stop it first",
                path.display()
            ))
        })?;
        let report = verify_audit_log(path, Some((head_path, key)), &[])?;
        if !report.problems.is_empty() {
            return Err(Error::Invalid(format!(
                "{}: the audit log failed verification ({}); keep the file as evidence, run `rnc audit verify`, and move the log and its head aside to start a new log",
                path.display(),
                report.problems.join("; ")
            )));
        }
        if report.unanchored > 0 {
            tracing::warn!(
                entries = report.unanchored,
                "audit entries after the signed head, written after its last update before the service stopped; they are now anchored"
            );
        }
        let log = AuditLog {
            path: path.to_path_buf(),
            head_path: head_path.to_path_buf(),
            key: key.clone(),
            state: Mutex::new(WriterState {
                file,
                seq: report.last_seq,
                last_hash: report.last_hash,
                head_seq: report.head_seq.unwrap_or(0),
            }),
        };
        log.write_head()?;
        Ok(log)
    }

    /// Appends one entry and returns its sequence number. The line goes
    /// to the kernel in one `write` on a file opened for appending; it
    /// reaches the disk at the next [`AuditLog::write_head`].
    ///
    /// # Errors
    ///
    /// I/O errors; the entry is then not recorded and the chain is left
    /// as it was.
    pub fn append(&self, record: &AuditRecord) -> Result<u64, Error> {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let mut entry = AuditEntry {
            seq: state.seq + 1,
            time: chrono::Utc::now()
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            who: record.who.clone(),
            role: record.role.clone(),
            client: record.client.clone(),
            method: record.method.clone(),
            endpoint: record.endpoint.clone(),
            params: record.params.clone(),
            status: record.status,
            duration_ms: record.duration_ms,
            prev: state.last_hash.clone(),
            hash: String::new(),
        };
        entry.hash = entry.compute_hash();
        let mut line = serde_json::to_vec(&entry).expect("an entry serialises");
        line.push(b'\n');
        state.file.write_all(&line).map_err(Error::io(&self.path))?;
        state.seq = entry.seq;
        state.last_hash = entry.hash;
        Ok(entry.seq)
    }

    /// Flushes the log to disk and, when entries were added since the
    /// last call, rewrites the signed head to the last one. The head is
    /// written to a temporary file, flushed and renamed into place.
    ///
    /// # Errors
    ///
    /// I/O errors.
    pub fn write_head(&self) -> Result<(), Error> {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if state.seq == state.head_seq && self.head_path.exists() {
            return Ok(());
        }
        state.file.sync_data().map_err(Error::io(&self.path))?;
        let written_at = chrono::Utc::now()
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let head = Head {
            seq: state.seq,
            hash: state.last_hash.clone(),
            mac: head_mac(&self.key, state.seq, &state.last_hash, &written_at),
            written_at,
        };
        let temporary = self.head_path.with_extension("partial");
        let mut file =
            File::create(&temporary).map_err(Error::io(&temporary))?;
        serde_json::to_writer(&mut file, &head)
            .map_err(Error::json(&temporary))?;
        file.sync_all().map_err(Error::io(&temporary))?;
        std::fs::rename(&temporary, &self.head_path)
            .map_err(Error::io(&self.head_path))?;
        state.head_seq = state.seq;
        Ok(())
    }

    /// Returns the number of entries written so far.
    pub fn entries(&self) -> u64 {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).seq
    }
}

/// The result of [`verify_audit_log`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditReport {
    /// Entries read.
    pub entries: u64,
    /// Sequence number of the last entry, 0 for an empty log.
    pub last_seq: u64,
    /// Hash of the last entry, [`GENESIS_HASH`] for an empty log.
    pub last_hash: String,
    /// Sequence number the signed head records, when a head was read.
    pub head_seq: Option<u64>,
    /// Entries after the signed head: intact as a chain but not covered
    /// by the head's signature.
    pub unanchored: u64,
    /// One line per problem found; empty when the log is intact.
    pub problems: Vec<String>,
}

/// Verifies the chain of the log at `path`, its head when `head` gives
/// the head file and the service key, and each `(seq, hash)` anchor
/// recorded elsewhere.
///
/// A missing log file counts as empty.
///
/// # Errors
///
/// I/O errors only; every finding about the content is a line of
/// [`AuditReport::problems`].
pub fn verify_audit_log(
    path: &Path,
    head: Option<(&Path, &ServiceKey)>,
    anchors: &[(u64, String)],
) -> Result<AuditReport, Error> {
    let mut report = AuditReport {
        last_hash: GENESIS_HASH.to_owned(),
        ..AuditReport::default()
    };
    let mut hashes: BTreeMap<u64, String> = BTreeMap::new();
    if path.exists() {
        let file = File::open(path).map_err(Error::io(path))?;
        for (index, line) in BufReader::new(file).lines().enumerate() {
            let line = line.map_err(Error::io(path))?;
            check_line(&mut report, &mut hashes, index + 1, &line);
        }
    }
    for (seq, expected) in anchors {
        match hashes.get(seq) {
            Some(hash) if hash == expected => {}
            Some(_) => report.problems.push(format!(
                "entry {seq} differs from the anchored hash: the log was rewritten"
            )),
            None => report.problems.push(format!(
                "entry {seq} of the anchor is not in the log: entries were removed"
            )),
        }
    }
    if let Some((head_path, key)) = head {
        check_head(&mut report, &hashes, head_path, key)?;
    }
    Ok(report)
}

fn check_line(
    report: &mut AuditReport,
    hashes: &mut BTreeMap<u64, String>,
    line_number: usize,
    line: &str,
) {
    let entry: AuditEntry = match serde_json::from_str(line) {
        Ok(entry) => entry,
        Err(_) => {
            report.problems.push(format!(
                "line {line_number}: not a complete audit entry"
            ));
            return;
        }
    };
    let expected_seq = report.last_seq + 1;
    if entry.seq != expected_seq {
        report.problems.push(format!(
            "line {line_number}: entry {} where entry {expected_seq} was expected (an entry was deleted, inserted or moved)",
            entry.seq
        ));
    }
    if entry.prev != report.last_hash {
        report.problems.push(format!(
            "line {line_number}: entry {} does not link to the entry before it (an entry was deleted, inserted or moved)",
            entry.seq
        ));
    }
    if entry.compute_hash() != entry.hash {
        report.problems.push(format!(
            "line {line_number}: entry {} does not match its hash (the entry was altered)",
            entry.seq
        ));
    }
    // The chain goes on from the stored hash, so that one altered entry
    // gives one finding rather than one per later entry.
    report.entries += 1;
    report.last_seq = entry.seq;
    report.last_hash = entry.hash.clone();
    hashes.insert(entry.seq, entry.hash);
}

fn check_head(
    report: &mut AuditReport,
    hashes: &BTreeMap<u64, String>,
    head_path: &Path,
    key: &ServiceKey,
) -> Result<(), Error> {
    if !head_path.exists() {
        if report.entries > 0 {
            report.problems.push(format!(
                "head file {} is missing, so a cut tail cannot be ruled out",
                head_path.display()
            ));
        }
        return Ok(());
    }
    let text =
        std::fs::read_to_string(head_path).map_err(Error::io(head_path))?;
    let Ok(head) = serde_json::from_str::<Head>(&text) else {
        report.problems.push(format!(
            "head file {} is not a valid head",
            head_path.display()
        ));
        return Ok(());
    };
    if head_mac(key, head.seq, &head.hash, &head.written_at) != head.mac {
        report.problems.push(format!(
            "head file {}: the signature does not match (the head was altered, or the service key is not the one that wrote it)",
            head_path.display()
        ));
        return Ok(());
    }
    report.head_seq = Some(head.seq);
    if head.seq == 0 {
        report.unanchored = report.entries;
        return Ok(());
    }
    match hashes.get(&head.seq) {
        Some(hash) if *hash == head.hash => {
            report.unanchored = report.last_seq.saturating_sub(head.seq);
        }
        Some(_) => report.problems.push(format!(
            "entry {} differs from the signed head: the log was rewritten",
            head.seq
        )),
        None if head.seq > report.last_seq => report.problems.push(format!(
            "the log ends at entry {} but the signed head records entry {}: entries were removed from the end",
            report.last_seq, head.seq
        )),
        None => report.problems.push(format!(
            "entry {} of the signed head is not in the log: entries were removed",
            head.seq
        )),
    }
    Ok(())
}
