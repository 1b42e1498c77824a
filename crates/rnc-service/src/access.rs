//! Roles, bearer tokens stored as hashes, and approved research projects.
//!
//! A token is `rnc_` followed by 64 hexadecimal digits drawn from the
//! operating system's generator, so it carries 256 bits of entropy. The
//! registry keeps only its SHA-256: a fast hash is enough for a random
//! secret of that size, which no dictionary or brute-force search can
//! reach, unlike a password. The token itself is shown once, when created.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::Error;

/// What a caller may see.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Published indicators only, with small counts suppressed. Callers
    /// without a token get this role.
    Public,
    /// Release tables and read-only SQL on releases, plus what public
    /// sees.
    Analyst,
    /// The minimised extract of one approved project, plus what public
    /// sees.
    Researcher,
    /// Tokens, projects, releases and the audit log, plus what public
    /// sees; no release table or extract.
    Administrator,
}

impl Role {
    /// Every role, for help text and the authorisation tests.
    pub const ALL: [Role; 4] = [
        Role::Public,
        Role::Analyst,
        Role::Researcher,
        Role::Administrator,
    ];

    /// Returns the lowercase name used in files, the API and the audit log.
    pub fn name(self) -> &'static str {
        match self {
            Role::Public => "public",
            Role::Analyst => "analyst",
            Role::Researcher => "researcher",
            Role::Administrator => "administrator",
        }
    }
}

impl std::str::FromStr for Role {
    type Err = Error;

    fn from_str(text: &str) -> Result<Role, Error> {
        Role::ALL
            .into_iter()
            .find(|role| role.name() == text)
            .ok_or_else(|| {
                Error::Invalid(format!(
                    "unknown role {text:?} (expected public, analyst, researcher or administrator)"
                ))
            })
    }
}

/// One issued token, without the token itself.
#[derive(
    Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema,
)]
pub struct TokenEntry {
    /// Token id, such as `T0003`, recorded in the audit log.
    pub id: String,
    /// Who holds it: a team or service name, never a patient identifier.
    pub name: String,
    /// The token's role.
    pub role: Role,
    /// The approved project of a researcher token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    /// SHA-256 of the token, hexadecimal.
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub sha256: String,
    /// UTC creation time, RFC 3339.
    pub created_at: String,
    /// UTC revocation time; a revoked token is rejected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<String>,
}

/// An approved research project.
#[derive(
    Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema,
)]
pub struct Project {
    /// Project id, such as `P2025-014`: letters, digits and `-`.
    pub id: String,
    /// Title of the approved protocol.
    pub title: String,
    /// Smallest number of rows that may share one combination of
    /// quasi-identifiers in the project's extract.
    pub k: u32,
    /// UTC approval time, RFC 3339.
    pub approved_at: String,
}

/// The access state kept in `<registry>/service/access.json`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessFile {
    /// Issued tokens, oldest first.
    pub tokens: Vec<TokenEntry>,
    /// Approved projects, by id.
    pub projects: BTreeMap<String, Project>,
}

/// Returns the SHA-256 of a token, hexadecimal.
pub fn token_sha256(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Reads and writes the access file of a registry.
#[derive(Debug, Clone)]
pub struct AccessStore {
    path: PathBuf,
}

impl AccessStore {
    /// The store of the registry at `registry`.
    pub fn new(registry: &Path) -> AccessStore {
        AccessStore {
            path: registry.join("service").join("access.json"),
        }
    }

    /// Returns the path of the access file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads the access file; a missing file is an empty one.
    ///
    /// # Errors
    ///
    /// I/O errors and [`Error::Json`].
    pub fn read(&self) -> Result<AccessFile, Error> {
        if !self.path.exists() {
            return Ok(AccessFile::default());
        }
        let text = std::fs::read_to_string(&self.path)
            .map_err(Error::io(&self.path))?;
        serde_json::from_str(&text).map_err(Error::json(&self.path))
    }

    /// Reads the file, applies `change` and writes the result atomically,
    /// under an exclusive lock so that the CLI and the service never lose
    /// each other's changes.
    ///
    /// # Errors
    ///
    /// The errors of `change`, I/O errors and [`Error::Json`].
    pub fn update<T>(
        &self,
        change: impl FnOnce(&mut AccessFile) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let dir = self.path.parent().expect("the access file has a folder");
        std::fs::create_dir_all(dir).map_err(Error::io(dir))?;
        let lock_path = dir.join("access.lock");
        let lock =
            std::fs::File::create(&lock_path).map_err(Error::io(&lock_path))?;
        lock.lock().map_err(Error::io(&lock_path))?;
        let mut access = self.read()?;
        let value = change(&mut access)?;
        let temporary = self.path.with_extension("partial");
        let text = serde_json::to_string_pretty(&access)
            .expect("the access file serialises");
        std::fs::write(&temporary, text).map_err(Error::io(&temporary))?;
        std::fs::rename(&temporary, &self.path)
            .map_err(Error::io(&self.path))?;
        Ok(value)
    }

    /// Issues a token and returns its entry and the token, which is
    /// stored nowhere and must be handed to its holder now.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] when a researcher token names no approved
    /// project, or another role names one; I/O errors.
    pub fn create_token(
        &self,
        name: &str,
        role: Role,
        project: Option<&str>,
    ) -> Result<(TokenEntry, String), Error> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|error| {
            Error::Invalid(format!(
                "the operating system's random number generator failed: {error}"
            ))
        })?;
        let token = format!("rnc_{}", hex::encode(bytes));
        let entry = self.update(|access| {
            match (role, project) {
                (Role::Researcher, Some(id)) => {
                    if !access.projects.contains_key(id) {
                        return Err(Error::Invalid(format!(
                            "project {id} is not approved: add it first with `rnc project add`"
                        )));
                    }
                }
                (Role::Researcher, None) => {
                    return Err(Error::Invalid(
                        "a researcher token needs --project, the approved project it may extract".into(),
                    ));
                }
                (_, Some(_)) => {
                    return Err(Error::Invalid(
                        "only researcher tokens are bound to a project".into(),
                    ));
                }
                (_, None) => {}
            }
            let entry = TokenEntry {
                id: format!("T{:04}", access.tokens.len() + 1),
                name: name.to_owned(),
                role,
                project: project.map(str::to_owned),
                sha256: token_sha256(&token),
                created_at: now(),
                revoked_at: None,
            };
            access.tokens.push(entry.clone());
            Ok(entry)
        })?;
        tracing::info!(token = %entry.id, role = entry.role.name(), "token created");
        Ok((entry, token))
    }

    /// Revokes a token by id and returns its entry.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] for an unknown id; I/O errors.
    pub fn revoke_token(&self, id: &str) -> Result<TokenEntry, Error> {
        let entry = self.update(|access| {
            let entry =
                access.tokens.iter_mut().find(|t| t.id == id).ok_or_else(
                    || {
                        Error::Invalid(format!(
                            "token {id} not found (see `rnc token list`)"
                        ))
                    },
                )?;
            if entry.revoked_at.is_none() {
                entry.revoked_at = Some(now());
            }
            Ok(entry.clone())
        })?;
        tracing::info!(token = %entry.id, "token revoked");
        Ok(entry)
    }

    /// Records an approved project.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] for an id that is empty, longer than 32
    /// characters or not made of letters, digits and `-`, an existing id,
    /// or `k` below 2; I/O errors.
    pub fn add_project(
        &self,
        id: &str,
        title: &str,
        k: u32,
    ) -> Result<Project, Error> {
        if !valid_project_id(id) {
            return Err(Error::Invalid(
                "project id must be 1 to 32 letters, digits or '-'".into(),
            ));
        }
        if k < 2 {
            return Err(Error::Invalid(format!(
                "k = {k} protects no one: use 2 or more (5 is common)"
            )));
        }
        self.update(|access| {
            if access.projects.contains_key(id) {
                return Err(Error::Invalid(format!(
                    "project {id} already exists"
                )));
            }
            let project = Project {
                id: id.to_owned(),
                title: title.to_owned(),
                k,
                approved_at: now(),
            };
            access.projects.insert(id.to_owned(), project.clone());
            Ok(project)
        })
    }
}

/// Tells whether `id` is 1 to 32 ASCII letters, digits or `-`.
pub(crate) fn valid_project_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 32
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

pub(crate) fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_hash_is_stored() {
        let dir = tempfile::tempdir().unwrap();
        let store = AccessStore::new(dir.path());
        let (entry, token) = store
            .create_token("epidemiology team", Role::Analyst, None)
            .unwrap();
        let text = std::fs::read_to_string(store.path()).unwrap();
        assert!(!text.contains(&token));
        assert!(text.contains(&token_sha256(&token)));
        assert_eq!(entry.id, "T0001");
        assert_eq!(token.len(), 4 + 64);
    }

    #[test]
    fn researcher_needs_an_approved_project() {
        let dir = tempfile::tempdir().unwrap();
        let store = AccessStore::new(dir.path());
        assert!(store.create_token("lab", Role::Researcher, None).is_err());
        assert!(
            store
                .create_token("lab", Role::Researcher, Some("P1"))
                .is_err()
        );
        store.add_project("P1", "colon cancer survival", 5).unwrap();
        let (entry, _) = store
            .create_token("lab", Role::Researcher, Some("P1"))
            .unwrap();
        assert_eq!(entry.project.as_deref(), Some("P1"));
        assert!(store.create_token("x", Role::Analyst, Some("P1")).is_err());
    }

    #[test]
    fn project_ids_are_checked() {
        let dir = tempfile::tempdir().unwrap();
        let store = AccessStore::new(dir.path());
        assert!(store.add_project("P 1", "t", 5).is_err());
        assert!(store.add_project("P1", "t", 1).is_err());
        assert!(store.add_project("P1", "t", 5).is_ok());
        assert!(store.add_project("P1", "t", 5).is_err());
    }
}
