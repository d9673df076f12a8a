//! AWS Signature Version 4 for every service on lamina's endpoint (Lambda today; S3, Logs and STS
//! later): the keys the server accepts ([`CredentialSet`]), request verification ([`Verifier`]),
//! presigned URLs ([`presign`], [`ServerKey`]) and aws-chunked payloads ([`chunked`]).
//!
//! No HTTP framework here: requests come in as `http` types and the SHA-256 of their body, so a
//! service's middleware decides how to read the body, and each service maps [`AuthError`] to its own
//! wire (JSON `x-amzn-ErrorType` for Lambda, XML for S3).
//!
//! ```
//! use lamina_auth::{CredentialSet, Verifier};
//!
//! let verifier = Verifier::new(CredentialSet::development("000000000000"), "lambda");
//! let request = http::Request::get("http://127.0.0.1:9001/2015-03-31/functions").body(()).unwrap();
//! let refused = verifier.verify(
//!     request.method(),
//!     request.uri(),
//!     request.headers(),
//!     lamina_auth::sigv4::EMPTY_SHA256,
//!     chrono::Utc::now(),
//! );
//! assert_eq!(refused.unwrap_err().code(), "MissingAuthenticationTokenException");
//! ```

pub mod chunked;
mod credentials;
mod error;
pub mod presign;
mod sessions;
mod sign;
pub mod sigv4;
mod verify;

pub use credentials::{
    Credential, CredentialSet, CredentialsError, DEVELOPMENT_KEY, ENV_ACCESS_KEY_ID, ENV_ACCOUNT_ID,
    ENV_SECRET_ACCESS_KEY, parse_shared_credentials,
};
pub use error::AuthError;
pub use presign::{PresignRequest, ServerKey};
pub use sessions::{SessionCredential, SessionPrincipal};
pub use sign::{SignError, Signer, sign_request};
pub use verify::{
    AuthorizationHeader, Caller, MAX_EXPIRES_SECONDS, MAX_SKEW, PayloadSigning, Verified, Verifier,
    canonical, parse_authorization, query_param, signed_region, signed_service,
};
