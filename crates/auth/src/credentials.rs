//! The access keys a server accepts, each belonging to one account.
//!
//! Keys come from a file in the AWS shared-credentials format (`[profile]` sections with
//! `aws_access_key_id`, `aws_secret_access_key` and optionally `aws_account_id`) and from the
//! environment (`LAMINA_ACCESS_KEY_ID`, `LAMINA_SECRET_ACCESS_KEY`, `LAMINA_ACCOUNT_ID`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The development pair accepted when no key is configured (the README's `AWS_ACCESS_KEY_ID=test`).
pub const DEVELOPMENT_KEY: &str = "test";

/// Environment variable naming an access key id to accept.
pub const ENV_ACCESS_KEY_ID: &str = "LAMINA_ACCESS_KEY_ID";
/// Environment variable with that key's secret.
pub const ENV_SECRET_ACCESS_KEY: &str = "LAMINA_SECRET_ACCESS_KEY";
/// Environment variable with that key's account (default: the server's account).
pub const ENV_ACCOUNT_ID: &str = "LAMINA_ACCOUNT_ID";

/// One access key.
#[derive(Clone, PartialEq, Eq)]
pub struct Credential {
    /// The access key id (public).
    pub access_key_id: String,
    /// The secret access key.
    pub secret_access_key: String,
    /// The 12-digit account the key acts in.
    pub account_id: String,
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credential")
            .field("access_key_id", &self.access_key_id)
            .field("account_id", &self.account_id)
            .finish_non_exhaustive()
    }
}

/// Why credentials could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum CredentialsError {
    /// The file could not be read.
    #[error("could not read the credentials file {path}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A line or section of the file is not what the format allows.
    #[error("{path}:{line}: {problem}")]
    Syntax {
        /// The file.
        path: PathBuf,
        /// The 1-based line.
        line: usize,
        /// What is wrong.
        problem: String,
    },
    /// The same access key id twice with different secrets or accounts.
    #[error("the access key id {0} is configured twice")]
    Duplicate(String),
    /// Only one of the two environment variables is set.
    #[error("{ENV_ACCESS_KEY_ID} and {ENV_SECRET_ACCESS_KEY} must be set together")]
    IncompleteEnvironment,
    /// An account id that is not 12 digits.
    #[error("the account id '{0}' is not 12 digits")]
    InvalidAccount(String),
}

/// The accepted keys, by access key id: the configured ones, and the temporary credentials issued
/// since the server started (shared by every clone of the set).
#[derive(Debug, Clone, Default)]
pub struct CredentialSet {
    keys: BTreeMap<String, Credential>,
    sessions: crate::sessions::Sessions,
}

impl CredentialSet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// The development pair `test`/`test` in `account_id`.
    pub fn development(account_id: &str) -> Self {
        let mut set = Self::new();
        set.keys.insert(
            DEVELOPMENT_KEY.to_owned(),
            Credential {
                access_key_id: DEVELOPMENT_KEY.to_owned(),
                secret_access_key: DEVELOPMENT_KEY.to_owned(),
                account_id: account_id.to_owned(),
            },
        );
        set
    }

    /// Adds a key; the same key id again must be the same credential.
    pub fn insert(&mut self, credential: Credential) -> Result<(), CredentialsError> {
        check_account(&credential.account_id)?;
        match self.keys.get(&credential.access_key_id) {
            Some(existing) if *existing != credential => {
                Err(CredentialsError::Duplicate(credential.access_key_id))
            }
            _ => {
                self.keys.insert(credential.access_key_id.clone(), credential);
                Ok(())
            }
        }
    }

    /// The key with this id.
    pub fn get(&self, access_key_id: &str) -> Option<&Credential> {
        self.keys.get(access_key_id)
    }

    /// Issues temporary credentials acting as `principal` for `lifetime`.
    pub fn issue_session(
        &self,
        principal: crate::SessionPrincipal,
        lifetime: chrono::Duration,
    ) -> Result<crate::SessionCredential, getrandom::Error> {
        self.sessions.issue(principal, lifetime, chrono::Utc::now())
    }

    /// The temporary credentials with this key id, if issued (expired or not).
    pub fn session(&self, access_key_id: &str) -> Option<crate::SessionCredential> {
        self.sessions.get(access_key_id)
    }

    /// The credential of `access_key_id` for a request carrying `token` (`X-Amz-Security-Token`) at
    /// `now`: a configured key, or temporary credentials whose token matches and that have not expired.
    /// The one check of a key every service on the endpoint makes (the S3 service, whose signatures
    /// `s3s` verifies, calls it directly).
    pub fn resolve(
        &self,
        access_key_id: &str,
        token: Option<&str>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Credential, crate::AuthError> {
        if let Some(credential) = self.get(access_key_id) {
            return Ok(credential.clone());
        }
        let session = self
            .session(access_key_id)
            .ok_or_else(|| crate::AuthError::UnknownAccessKey(access_key_id.to_owned()))?;
        let matches = token.is_some_and(|t| {
            bool::from(subtle::ConstantTimeEq::ct_eq(
                t.as_bytes(),
                session.session_token.as_bytes(),
            ))
        });
        if !matches {
            return Err(crate::AuthError::InvalidSessionToken);
        }
        if session.expires <= now {
            return Err(crate::AuthError::ExpiredSessionToken);
        }
        Ok(session.credential)
    }

    /// Ends temporary credentials before they expire.
    pub fn revoke_session(&self, access_key_id: &str) {
        self.sessions.revoke(access_key_id);
    }

    /// Every configured key, by id (temporary credentials are not listed).
    pub fn iter(&self) -> impl Iterator<Item = &Credential> {
        self.keys.values()
    }

    /// Whether no key is configured.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Adds the keys of a shared-credentials file; sections without `aws_account_id` act in
    /// `default_account`.
    pub fn load_file(&mut self, path: &Path, default_account: &str) -> Result<(), CredentialsError> {
        let text = std::fs::read_to_string(path).map_err(|source| CredentialsError::Read {
            path: path.to_owned(),
            source,
        })?;
        for credential in parse_shared_credentials(&text, default_account).map_err(|(line, problem)| {
            CredentialsError::Syntax {
                path: path.to_owned(),
                line,
                problem,
            }
        })? {
            self.insert(credential)?;
        }
        Ok(())
    }

    /// Adds the key named by `LAMINA_ACCESS_KEY_ID`/`LAMINA_SECRET_ACCESS_KEY`/`LAMINA_ACCOUNT_ID`, as
    /// read by `var` (the process environment in production).
    pub fn load_environment(
        &mut self,
        var: impl Fn(&str) -> Option<String>,
        default_account: &str,
    ) -> Result<(), CredentialsError> {
        match (var(ENV_ACCESS_KEY_ID), var(ENV_SECRET_ACCESS_KEY)) {
            (None, None) => Ok(()),
            (Some(id), Some(secret)) if !id.is_empty() && !secret.is_empty() => self.insert(Credential {
                access_key_id: id,
                secret_access_key: secret,
                account_id: var(ENV_ACCOUNT_ID).unwrap_or_else(|| default_account.to_owned()),
            }),
            _ => Err(CredentialsError::IncompleteEnvironment),
        }
    }
}

fn check_account(account: &str) -> Result<(), CredentialsError> {
    if account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(CredentialsError::InvalidAccount(account.to_owned()))
    }
}

/// Parses the INI of `~/.aws/credentials`: `[name]` sections of `key = value` lines, `#` and `;`
/// comments. Sections without an access key (e.g. only `region`) are skipped; a section with a key
/// but no secret is an error. Errors carry the 1-based line.
pub fn parse_shared_credentials(
    text: &str,
    default_account: &str,
) -> Result<Vec<Credential>, (usize, String)> {
    struct Section {
        line: usize,
        name: String,
        values: BTreeMap<String, String>,
    }
    let mut sections: Vec<Section> = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = raw.trim();
        let number = index + 1;
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(rest) = line.strip_prefix('[') {
            let name = rest
                .strip_suffix(']')
                .ok_or_else(|| (number, format!("a section header must end with ']': {line}")))?;
            sections.push(Section {
                line: number,
                name: name.trim().to_owned(),
                values: BTreeMap::new(),
            });
            continue;
        }
        let (key, value) = line
            .split_once('=')
            .ok_or_else(|| (number, format!("expected 'key = value': {line}")))?;
        let section = sections
            .last_mut()
            .ok_or_else(|| (number, "a setting before the first [section]".to_owned()))?;
        section
            .values
            .insert(key.trim().to_ascii_lowercase(), value.trim().to_owned());
    }
    let mut out = Vec::new();
    for section in sections {
        let Some(id) = section.values.get("aws_access_key_id") else {
            continue;
        };
        let secret = section.values.get("aws_secret_access_key").ok_or_else(|| {
            (
                section.line,
                format!(
                    "[{}] has aws_access_key_id but no aws_secret_access_key",
                    section.name
                ),
            )
        })?;
        let account = section
            .values
            .get("aws_account_id")
            .cloned()
            .unwrap_or_else(|| default_account.to_owned());
        check_account(&account).map_err(|e| (section.line, format!("[{}]: {e}", section.name)))?;
        out.push(Credential {
            access_key_id: id.clone(),
            secret_access_key: secret.clone(),
            account_id: account,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_credentials_files_parse_with_accounts() {
        let text = "# keys\n[default]\naws_access_key_id = AKIAONE\naws_secret_access_key=s1\n\n\
                    [other]\nAWS_ACCESS_KEY_ID = AKIATWO\naws_secret_access_key = s/2+\naws_account_id = 222222222222\n\
                    [profile-with-region-only]\nregion = eu-west-1\n";
        let keys = parse_shared_credentials(text, "000000000000").expect("parse");
        assert_eq!(keys.len(), 2);
        assert_eq!(keys[0].access_key_id, "AKIAONE");
        assert_eq!(keys[0].account_id, "000000000000");
        assert_eq!(keys[1].secret_access_key, "s/2+");
        assert_eq!(keys[1].account_id, "222222222222");
    }

    #[test]
    fn malformed_files_name_the_line() {
        assert_eq!(
            parse_shared_credentials("k = v\n", "000000000000")
                .expect_err("e")
                .0,
            1
        );
        assert_eq!(
            parse_shared_credentials("[a]\nnot a pair\n", "000000000000")
                .expect_err("e")
                .0,
            2
        );
        let (line, problem) =
            parse_shared_credentials("[a]\naws_access_key_id = x\n", "000000000000").expect_err("e");
        assert_eq!(line, 1);
        assert!(problem.contains("no aws_secret_access_key"), "{problem}");
        let (_, problem) = parse_shared_credentials(
            "[a]\naws_access_key_id = x\naws_secret_access_key = y\naws_account_id = 12\n",
            "000000000000",
        )
        .expect_err("e");
        assert!(problem.contains("not 12 digits"), "{problem}");
    }

    #[test]
    fn environment_keys_need_both_halves() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| (*v).to_owned())
        };
        let mut set = CredentialSet::new();
        set.load_environment(env(&[]), "000000000000").expect("none");
        assert!(set.is_empty());
        set.load_environment(
            env(&[
                (ENV_ACCESS_KEY_ID, "AK"),
                (ENV_SECRET_ACCESS_KEY, "SK"),
                (ENV_ACCOUNT_ID, "123456789012"),
            ]),
            "000000000000",
        )
        .expect("both");
        assert_eq!(set.get("AK").map(|c| c.account_id.as_str()), Some("123456789012"));
        assert!(matches!(
            CredentialSet::new().load_environment(env(&[(ENV_ACCESS_KEY_ID, "AK")]), "000000000000"),
            Err(CredentialsError::IncompleteEnvironment)
        ));
    }

    #[test]
    fn a_key_id_cannot_belong_to_two_accounts() {
        let mut set = CredentialSet::development("000000000000");
        let again = Credential {
            access_key_id: "test".into(),
            secret_access_key: "test".into(),
            account_id: "111111111111".into(),
        };
        assert!(matches!(set.insert(again), Err(CredentialsError::Duplicate(_))));
        assert!(!format!("{:?}", set.get("test")).contains("secret_access_key"));
    }
}
