//! The service key: one secret kept outside the registry, from which the
//! audit head's MAC key and each research project's re-keying key are
//! derived.

use std::fmt;
use std::io::Write;
use std::path::Path;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::Error;

/// HMAC-SHA-256, the MAC of the audit head and of project pseudonyms.
pub(crate) type HmacSha256 = Hmac<Sha256>;

const KEY_BYTES: usize = 32;

/// The service's secret key.
///
/// `Debug` shows only a fingerprint, never the bytes.
#[derive(Clone)]
pub struct ServiceKey {
    bytes: [u8; KEY_BYTES],
}

impl fmt::Debug for ServiceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ServiceKey({})", self.fingerprint())
    }
}

impl ServiceKey {
    /// Builds a key from known bytes, for tests.
    pub fn from_bytes(bytes: [u8; KEY_BYTES]) -> ServiceKey {
        ServiceKey { bytes }
    }

    /// Loads the key at `path`, or creates it there with mode 0600 when no
    /// file exists. The file holds 64 hexadecimal digits.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when the file cannot be read or created, and
    /// [`Error::Invalid`] when it does not hold 64 hexadecimal digits.
    pub fn load_or_create(path: &Path) -> Result<ServiceKey, Error> {
        if !path.exists() {
            let mut bytes = [0u8; KEY_BYTES];
            getrandom::fill(&mut bytes).map_err(|error| {
                Error::Invalid(format!(
                    "the operating system's random number generator failed: {error}"
                ))
            })?;
            write_new_secret(path, &hex::encode(bytes))?;
            tracing::info!(key = %path.display(), "created the service key");
        }
        let text = std::fs::read_to_string(path).map_err(Error::io(path))?;
        let decoded = hex::decode(text.trim()).ok().filter(|b| b.len() == 32);
        let bytes: [u8; KEY_BYTES] =
            decoded.and_then(|b| b.try_into().ok()).ok_or_else(|| {
                Error::Invalid(format!(
                    "{}: the service key must be 64 hexadecimal digits",
                    path.display()
                ))
            })?;
        Ok(ServiceKey { bytes })
    }

    /// Returns the first 12 hexadecimal digits of a MAC of a fixed label,
    /// safe to log.
    pub fn fingerprint(&self) -> String {
        hex::encode(&self.derive("fingerprint")[..6])
    }

    /// Derives a 32-byte sub-key for one purpose, such as `audit-head` or
    /// `project:P2025-01`, so that no two purposes share a key.
    pub(crate) fn derive(&self, purpose: &str) -> [u8; 32] {
        let mut mac = HmacSha256::new_from_slice(&self.bytes)
            .expect("HMAC takes a key of any length");
        mac.update(b"rnc service key\0");
        mac.update(purpose.as_bytes());
        mac.finalize().into_bytes().into()
    }
}

/// Writes a new file with mode 0600, failing if it exists.
fn write_new_secret(path: &Path, text: &str) -> Result<(), Error> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(Error::io(path))?;
    file.write_all(text.as_bytes()).map_err(Error::io(path))?;
    file.sync_all().map_err(Error::io(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_file_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("service.key");
        let first = ServiceKey::load_or_create(&path).unwrap();
        let again = ServiceKey::load_or_create(&path).unwrap();
        assert_eq!(first.bytes, again.bytes);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn purposes_get_distinct_keys() {
        let key = ServiceKey::from_bytes([7; 32]);
        assert_ne!(key.derive("audit-head"), key.derive("project:A"));
        assert_ne!(key.derive("project:A"), key.derive("project:B"));
    }
}
