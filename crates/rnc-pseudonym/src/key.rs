//! The secret pseudonymisation key and its file.
//!
//! A key file holds the 32 key bytes as 64 lowercase hexadecimal digits and
//! a newline. It is created with mode 0600 and a key file that other users
//! can read or change is rejected, because anyone holding the key can
//! recompute the pseudonym of a known NIR or name.

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind as IoErrorKind, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use zeroize::{Zeroize, Zeroizing};

use crate::{Error, ErrorKind};

/// Number of bytes in a key.
pub const KEY_BYTES: usize = 32;

/// The secret key from which every pseudonym and Bloom filter is derived.
///
/// `Debug` shows only [`Key::fingerprint`]; the type has no `Display`, and
/// the bytes are zeroed when the key is dropped.
#[derive(Clone)]
pub struct Key {
    bytes: [u8; KEY_BYTES],
}

impl Key {
    /// Draws a new key from the operating system's random number generator.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Random`] when the generator fails.
    pub fn generate() -> Result<Key, Error> {
        let mut bytes = [0u8; KEY_BYTES];
        getrandom::fill(&mut bytes).map_err(|error| ErrorKind::Random {
            reason: error.to_string(),
        })?;
        Ok(Key { bytes })
    }

    /// Builds a key from known bytes, for tests and for keys kept in a
    /// secret store rather than a file.
    pub fn from_bytes(bytes: [u8; KEY_BYTES]) -> Key {
        Key { bytes }
    }

    /// Loads the key at `path`, or creates one there when no file exists.
    ///
    /// Returns the key and whether it was created. A new file is written
    /// under a temporary name in the same directory with mode 0600 and
    /// then hard-linked to `path`, which fails if `path` appeared in the
    /// meantime. So two processes never overwrite each other's key, and a
    /// reader never sees a half-written file.
    ///
    /// # Errors
    ///
    /// As [`Key::load`] for an existing file; [`ErrorKind::Io`] when the
    /// file cannot be created; [`ErrorKind::Random`].
    pub fn load_or_create(path: &Path) -> Result<(Key, bool), Error> {
        match fs::symlink_metadata(path) {
            Ok(_) => return Key::load(path).map(|key| (key, false)),
            Err(error) if error.kind() == IoErrorKind::NotFound => {}
            Err(source) => return Err(io_error(path, "inspect", source)),
        }

        let key = Key::generate()?;
        let temporary = temporary_path(path)?;
        let written = write_new_file(&temporary, &key.to_hex());
        if let Err(error) = written {
            let _ = fs::remove_file(&temporary);
            return Err(error);
        }
        let linked = fs::hard_link(&temporary, path);
        let _ = fs::remove_file(&temporary);

        match linked {
            Ok(()) => {
                tracing::info!(
                    path = %path.display(),
                    fingerprint = %key.fingerprint(),
                    "created a new pseudonymisation key"
                );
                Ok((key, true))
            }
            // Another process created the key first: use theirs, so that
            // both runs produce the same pseudonyms.
            Err(error) if error.kind() == IoErrorKind::AlreadyExists => {
                Key::load(path).map(|key| (key, false))
            }
            Err(source) => Err(io_error(path, "create", source)),
        }
    }

    /// Loads the key stored at `path`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InsecurePermissions`] when group or other users have
    /// any permission on the file; [`ErrorKind::InvalidKeyFile`] when it
    /// does not hold 64 hexadecimal digits; [`ErrorKind::Io`].
    pub fn load(path: &Path) -> Result<Key, Error> {
        check_permissions(path)?;
        let text = Zeroizing::new(
            fs::read_to_string(path)
                .map_err(|source| io_error(path, "read", source))?,
        );
        let digits = text.trim();
        if digits.len() != 2 * KEY_BYTES {
            return Err(invalid(
                path,
                format!("it holds {} characters", digits.len()),
            ));
        }
        let mut bytes = [0u8; KEY_BYTES];
        if hex::decode_to_slice(digits, &mut bytes).is_err() {
            return Err(invalid(path, "it holds a non-hexadecimal character"));
        }
        let key = Key { bytes };
        tracing::debug!(
            path = %path.display(),
            fingerprint = %key.fingerprint(),
            "loaded pseudonymisation key"
        );
        Ok(key)
    }

    /// A short public name of the key: the first 12 hexadecimal digits of
    /// SHA-256 over `"rnc key fingerprint"` followed by the key bytes.
    ///
    /// Safe to log and to store beside results, so that a run can tell
    /// which key made a set of pseudonyms. The prefix keeps the fingerprint
    /// apart from any other hash of the key.
    pub fn fingerprint(&self) -> String {
        let mut hasher = Sha256::new();
        hasher.update(b"rnc key fingerprint");
        hasher.update(self.bytes);
        let digest = hasher.finalize();
        hex::encode(&digest[..6])
    }

    pub(crate) fn bytes(&self) -> &[u8; KEY_BYTES] {
        &self.bytes
    }

    fn to_hex(&self) -> Zeroizing<String> {
        let mut text = hex::encode(self.bytes);
        text.push('\n');
        Zeroizing::new(text)
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Key")
            .field("fingerprint", &self.fingerprint())
            .finish_non_exhaustive()
    }
}

impl Drop for Key {
    fn drop(&mut self) {
        self.bytes.zeroize();
    }
}

fn io_error(
    path: &Path,
    action: &'static str,
    source: std::io::Error,
) -> Error {
    ErrorKind::Io {
        path: path.to_path_buf(),
        action,
        source,
    }
    .into()
}

fn invalid(path: &Path, reason: impl Into<String>) -> Error {
    ErrorKind::InvalidKeyFile {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
    .into()
}

fn temporary_path(path: &Path) -> Result<PathBuf, Error> {
    let name = path.file_name().ok_or_else(|| {
        invalid(path, "the path names a directory, not a file")
    })?;
    let mut suffix = [0u8; 8];
    getrandom::fill(&mut suffix).map_err(|error| ErrorKind::Random {
        reason: error.to_string(),
    })?;
    let temporary =
        format!(".{}.{}.tmp", name.to_string_lossy(), hex::encode(suffix));
    Ok(path.with_file_name(temporary))
}

fn write_new_file(path: &Path, content: &str) -> Result<(), Error> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file: File = options
        .open(path)
        .map_err(|source| io_error(path, "create", source))?;
    file.write_all(content.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|source| io_error(path, "write", source))
}

#[cfg(unix)]
fn check_permissions(path: &Path) -> Result<(), Error> {
    use std::os::unix::fs::PermissionsExt;

    let metadata =
        fs::metadata(path).map_err(|source| io_error(path, "read", source))?;
    let mode = metadata.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(ErrorKind::InsecurePermissions {
            path: path.to_path_buf(),
            mode,
        }
        .into());
    }
    Ok(())
}

// NOTE: outside Unix the file's access-control list is not checked, so a
// key readable by other users is not detected there.
#[cfg(not(unix))]
fn check_permissions(_path: &Path) -> Result<(), Error> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_has_twelve_hex_digits() {
        let key = Key::from_bytes([7; KEY_BYTES]);
        let fingerprint = key.fingerprint();
        assert_eq!(fingerprint.len(), 12);
        assert!(fingerprint.bytes().all(|b| b.is_ascii_hexdigit()));
    }

    #[test]
    fn fingerprint_matches_sha256_prefix() {
        // Computed independently with Python's hashlib:
        // sha256(b"rnc key fingerprint" + bytes(32)).hexdigest()[:12]
        let key = Key::from_bytes([0; KEY_BYTES]);
        assert_eq!(key.fingerprint(), "473a148c98bc");
    }

    #[test]
    fn generated_keys_differ() {
        let a = Key::generate().unwrap();
        let b = Key::generate().unwrap();
        assert_ne!(a.bytes(), b.bytes());
    }
}
