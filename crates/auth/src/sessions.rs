//! Temporary credentials: an access key id, a secret and a session token that together act as a
//! principal of an account until they expire, as AWS STS issues them (`AssumeRole`) and as Lambda gives
//! each execution environment. They live in memory, shared by every [`crate::Verifier`] made from the
//! same [`crate::CredentialSet`]: a server restart ends them.

use std::collections::BTreeMap;
use std::sync::{Arc, PoisonError, RwLock};

use chrono::{DateTime, Duration, Utc};

use crate::Credential;

/// One set of temporary credentials.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionCredential {
    /// The key, secret and account.
    pub credential: Credential,
    /// The token every request signed with the key must carry (`X-Amz-Security-Token`).
    pub session_token: String,
    /// When they stop working.
    pub expires: DateTime<Utc>,
    /// Who they act as: `arn:aws:sts::<account>:assumed-role/<role>/<session>`.
    pub principal_arn: String,
    /// The principal's id as GetCallerIdentity shows it (`<role id>:<session>`).
    pub user_id: String,
}

impl std::fmt::Debug for SessionCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionCredential")
            .field("credential", &self.credential)
            .field("expires", &self.expires)
            .field("principal_arn", &self.principal_arn)
            .finish_non_exhaustive()
    }
}

/// The live temporary credentials, by access key id.
#[derive(Debug, Clone, Default)]
pub(crate) struct Sessions {
    live: Arc<RwLock<BTreeMap<String, SessionCredential>>>,
}

/// Who a new session acts as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionPrincipal {
    /// The account the credentials act in.
    pub account_id: String,
    /// `arn:aws:sts::<account>:assumed-role/<role>/<session>`.
    pub arn: String,
    /// `<role id>:<session>`.
    pub user_id: String,
}

impl Sessions {
    /// New credentials for `principal`, valid for `lifetime` from `now`. Expired ones are forgotten.
    pub(crate) fn issue(
        &self,
        principal: SessionPrincipal,
        lifetime: Duration,
        now: DateTime<Utc>,
    ) -> Result<SessionCredential, getrandom::Error> {
        let session = SessionCredential {
            credential: Credential {
                access_key_id: format!("ASIA{}", random_text(16, UPPER_ALNUM)?),
                secret_access_key: random_text(40, SECRET_CHARS)?,
                account_id: principal.account_id,
            },
            session_token: random_text(356, SECRET_CHARS)?,
            expires: now + lifetime,
            principal_arn: principal.arn,
            user_id: principal.user_id,
        };
        let mut live = self.live.write().unwrap_or_else(PoisonError::into_inner);
        live.retain(|_, s| s.expires > now);
        live.insert(session.credential.access_key_id.clone(), session.clone());
        Ok(session)
    }

    /// The temporary credentials with this key id, expired or not.
    pub(crate) fn get(&self, access_key_id: &str) -> Option<SessionCredential> {
        self.live
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(access_key_id)
            .cloned()
    }

    /// Forgets the credentials with this key id (their environment ended).
    pub(crate) fn revoke(&self, access_key_id: &str) {
        self.live
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(access_key_id);
    }
}

const UPPER_ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const SECRET_CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// `len` characters drawn from `alphabet` (whose length divides 256, so every one is as likely).
fn random_text(len: usize, alphabet: &[u8]) -> Result<String, getrandom::Error> {
    debug_assert_eq!(256 % alphabet.len(), 0);
    let mut bytes = vec![0u8; len];
    getrandom::fill(&mut bytes)?;
    Ok(bytes
        .iter()
        .map(|b| char::from(alphabet[usize::from(*b) % alphabet.len()]))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal() -> SessionPrincipal {
        SessionPrincipal {
            account_id: "111122223333".into(),
            arn: "arn:aws:sts::111122223333:assumed-role/r/s".into(),
            user_id: "AROAEXAMPLE:s".into(),
        }
    }

    #[test]
    fn issued_credentials_look_like_awss_and_are_found() {
        let sessions = Sessions::default();
        let now = Utc::now();
        let issued = sessions
            .issue(principal(), Duration::hours(1), now)
            .expect("issue");
        let key = &issued.credential.access_key_id;
        assert!(key.starts_with("ASIA") && key.len() == 20, "{key}");
        assert_eq!(issued.credential.secret_access_key.len(), 40);
        assert_eq!(issued.expires, now + Duration::hours(1));
        assert_eq!(sessions.get(key), Some(issued.clone()));
        let other = sessions
            .issue(principal(), Duration::hours(1), now)
            .expect("issue");
        assert_ne!(other.credential.access_key_id, *key, "each issue is new");
        sessions.revoke(key);
        assert_eq!(sessions.get(key), None);
    }

    #[test]
    fn expired_sessions_are_forgotten_at_the_next_issue() {
        let sessions = Sessions::default();
        let now = Utc::now();
        let old = sessions
            .issue(principal(), Duration::seconds(1), now)
            .expect("issue");
        sessions
            .issue(principal(), Duration::hours(1), now + Duration::seconds(2))
            .expect("issue");
        assert_eq!(sessions.get(&old.credential.access_key_id), None);
    }
}
