//! The SHA-256 of a source file, computed on the bytes as the reader
//! takes them from the file, so that ingestion reads each file once.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use sha2::{Digest, Sha256};

use crate::{Error, ErrorKind};

/// The file's bytes hashed so far, and a second handle on the same open
/// file, whose cursor is shared with the reading handle.
struct State {
    hasher: Sha256,
    rest: File,
}

/// The SHA-256 of a file being read through a [`HashingFile`].
pub(crate) struct InputDigest {
    state: Arc<Mutex<State>>,
    path: PathBuf,
}

/// A file that adds every byte read from it to its [`InputDigest`].
pub(crate) struct HashingFile {
    file: File,
    state: Arc<Mutex<State>>,
}

impl InputDigest {
    /// Opens `path` for reading and returns the file with its digest.
    pub fn open(path: &Path) -> io::Result<(HashingFile, InputDigest)> {
        let file = File::open(path)?;
        // A cloned handle shares the file cursor, so after the last read
        // it stands where the reading handle stopped.
        let rest = file.try_clone()?;
        let state = Arc::new(Mutex::new(State {
            hasher: Sha256::new(),
            rest,
        }));
        let digest = InputDigest {
            state: Arc::clone(&state),
            path: path.to_path_buf(),
        };
        Ok((HashingFile { file, state }, digest))
    }

    /// Adds the bytes that the reader did not take (a Parquet file past
    /// the first bytes read to detect its form, or bytes after the end of
    /// a compressed stream) and returns the SHA-256 of the whole file,
    /// lowercase hex.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Io`] when the rest of the file cannot be read.
    pub fn finish(self) -> Result<String, Error> {
        let mut state =
            self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let State { hasher, rest } = &mut *state;
        io::copy(rest, &mut HashSink(hasher)).map_err(|source| {
            ErrorKind::Io {
                path: self.path.clone(),
                source,
            }
        })?;
        Ok(hex::encode(hasher.clone().finalize()))
    }
}

impl Read for HashingFile {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        let count = self.file.read(buffer)?;
        self.state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .hasher
            .update(&buffer[..count]);
        Ok(count)
    }
}

struct HashSink<'a>(&'a mut Sha256);

impl Write for HashSink<'_> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.update(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::io::{BufRead, BufReader};

    use super::*;

    /// SHA-256 of `bytes`, computed by sha2 in one call.
    fn sha256_of(bytes: &[u8]) -> String {
        hex::encode(Sha256::digest(bytes))
    }

    #[test]
    fn digest_of_partly_read_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("feed.csv");
        let bytes: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(&path, &bytes).unwrap();

        // A buffered reader that stops after its first fill: the rest is
        // hashed by `finish`.
        let (file, digest) = InputDigest::open(&path).unwrap();
        let mut reader = BufReader::with_capacity(1000, file);
        assert_eq!(reader.fill_buf().unwrap().len(), 1000);
        drop(reader);
        assert_eq!(digest.finish().unwrap(), sha256_of(&bytes));
    }

    #[test]
    fn digest_of_wholly_read_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("feed.csv");
        std::fs::write(&path, b"a,b\n1,2\n").unwrap();
        let (mut file, digest) = InputDigest::open(&path).unwrap();
        let mut text = String::new();
        file.read_to_string(&mut text).unwrap();
        // From GNU coreutils: printf 'a,b\n1,2\n' | sha256sum
        assert_eq!(
            digest.finish().unwrap(),
            "492d5ea496056f1a6a6592241032fab764c321596317930b4fa0e1e8bc3b7470"
        );
    }
}
