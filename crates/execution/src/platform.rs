//! What a function gets of the platform besides its Runtime API, as on Lambda: session credentials for
//! its execution role (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`), issued when its
//! environment starts and revoked when it ends; and, when the server offers it, the platform's own API
//! on the address of its Runtime API (`AWS_ENDPOINT_URL`), the one address an environment with a
//! network of its own can reach on the host. Who issues the credentials, and whether anything accepts
//! them, is the server's choice ([`CredentialIssuer`]).

use std::fmt;
use std::sync::{Arc, OnceLock};

use crate::spec::FunctionVersion;

/// Session credentials, as the variables give them to the function.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionKeys {
    /// `AWS_ACCESS_KEY_ID`.
    pub access_key_id: String,
    /// `AWS_SECRET_ACCESS_KEY`.
    pub secret_access_key: String,
    /// `AWS_SESSION_TOKEN`.
    pub session_token: String,
}

impl fmt::Debug for SessionKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionKeys")
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

/// Issues the credentials of an environment of `version`, and revokes them when it ends.
pub trait CredentialIssuer: Send + Sync + fmt::Debug {
    /// New credentials for an environment of `version` (acting as its execution role), or `None` when
    /// none can be made.
    fn issue(&self, version: &FunctionVersion) -> Option<SessionKeys>;
    /// Ends credentials [`CredentialIssuer::issue`] made.
    fn revoke(&self, access_key_id: &str);
}

/// What environments get of the platform.
#[derive(Debug, Clone)]
pub struct PlatformAccess {
    /// Issues each environment's credentials.
    pub credentials: Arc<dyn CredentialIssuer>,
    /// The platform's API, served to the function on its Runtime API's address (paths that are not the
    /// Runtime API's go to it); `None`: not offered. Filled in once the server has made it (the API needs
    /// the engine that owns the executor).
    pub api: Option<Arc<OnceLock<axum::Router>>>,
}

/// Credentials issued to one environment, revoked when it is dropped.
#[derive(Debug)]
pub(crate) struct Issued {
    pub(crate) keys: SessionKeys,
    issuer: Arc<dyn CredentialIssuer>,
}

impl Issued {
    /// Credentials for an environment of `version`, if `access` issues any.
    pub(crate) fn for_environment(
        access: Option<&PlatformAccess>,
        version: &FunctionVersion,
    ) -> Option<Issued> {
        let access = access?;
        let keys = access.credentials.issue(version)?;
        Some(Issued {
            keys,
            issuer: Arc::clone(&access.credentials),
        })
    }
}

impl Drop for Issued {
    fn drop(&mut self) {
        self.issuer.revoke(&self.keys.access_key_id);
    }
}

/// The platform API offered to functions, once the server has made it.
pub(crate) fn offered_api(access: Option<&PlatformAccess>) -> Option<axum::Router> {
    access?.api.as_ref()?.get().cloned()
}
