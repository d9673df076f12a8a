//! Who is calling. Every request of the Lambda API passes [`authenticate`] (SigV4, through
//! `lamina-auth`), which leaves a [`Caller`] in the request's extensions; handlers take the caller's
//! (account, region) with the `CallerScope` extractor (`extract.rs`) and never read the `Authorization`
//! header.
//! Code downloads are verified on their own (presigned URLs signed with the server key, see
//! `operations/code.rs`).

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use lamina_auth::{Caller, CredentialSet, PayloadSigning, ServerKey, Verifier};

use crate::body::Uploads;
use crate::error::ApiError;

/// How requests are authenticated.
#[derive(Debug, Clone)]
pub enum Authentication {
    /// SigV4 with one of these keys; each key acts in its own account.
    SigV4(CredentialSet),
    /// Every request is accepted, in the default account (only when asked for: `--auth none`).
    None,
}

/// What the API needs besides the engine: how callers authenticate, and how code download URLs are made.
#[derive(Debug, Clone)]
pub struct ApiConfig {
    /// How requests are authenticated.
    pub authentication: Authentication,
    /// The account of unauthenticated requests (`Authentication::None`).
    pub default_account: String,
    /// `scheme://host:port` that `Code.Location` and `Content.Location` URLs point at.
    pub public_endpoint: String,
    /// The key that signs those URLs.
    pub server_key: ServerKey,
    /// How request bodies are received (time limits, spooling, the memory budget).
    pub uploads: Uploads,
}

/// The request's gate: a verifier, or none when authentication is off.
pub(crate) struct Gate {
    verifier: Option<Verifier>,
    default_account: String,
    uploads: Uploads,
}

impl Gate {
    pub(crate) fn new(config: &ApiConfig) -> Self {
        Gate {
            verifier: match &config.authentication {
                Authentication::SigV4(keys) => Some(Verifier::new(keys.clone(), "lambda")),
                Authentication::None => None,
            },
            default_account: config.default_account.clone(),
            uploads: config.uploads.clone(),
        }
    }
}

/// The largest body any operation takes (CreateFunction with a 50 MB zip, base64): bodies are read
/// whole to hash them, and past this one is hashed but not kept (the handler answers 413).
const BODY_KEEP_MAX: u64 = lamina_engine::REQUEST_MAX_BYTES;

/// Past this much, hashing stops: the handler refuses the body as too large anyway.
const BODY_HASH_MAX: u64 = 1024 * 1024 * 1024;

/// Receives the request's body (see [`crate::body`]), verifies the request's signature and the body's
/// hash, and records the [`Caller`]. Handlers get the body whole, in one piece.
pub(crate) async fn authenticate(State(gate): State<Arc<Gate>>, request: Request, next: Next) -> Response {
    let (mut parts, body) = request.into_parts();
    let now = chrono::Utc::now();
    if let Some(verifier) = &gate.verifier
        && let Err(refusal) = verifier.precheck(&parts.uri, &parts.headers, now)
    {
        return refuse(&parts, refusal);
    }
    let hash = gate.verifier.is_some();
    let read = match crate::body::receive(body, &gate.uploads, hash, BODY_KEEP_MAX, BODY_HASH_MAX).await {
        Ok(read) => read,
        Err(e) => return close_after(e.into_response()),
    };
    let Some(verifier) = &gate.verifier else {
        parts.extensions.insert(Caller {
            access_key_id: String::new(),
            account_id: gate.default_account.clone(),
            region: crate::request::region(&parts.headers),
        });
        let body = handed_on(&mut parts, read.kept, read.len);
        return next.run(Request::from_parts(parts, body)).await;
    };
    let sha256 = read.sha256.as_deref().unwrap_or_default();
    let verified = match verifier.verify(&parts.method, &parts.uri, &parts.headers, sha256, now) {
        Ok(verified) => verified,
        Err(refusal) => return refuse(&parts, refusal),
    };
    let body = match (read.kept, &verified.payload) {
        (Some(bytes), PayloadSigning::Streaming(context)) => {
            match lamina_auth::chunked::decode(context, &bytes) {
                Ok(decoded) => {
                    parts.headers.remove(header::CONTENT_ENCODING);
                    let len = decoded.len() as u64;
                    handed_on(&mut parts, Some(Bytes::from(decoded)), len)
                }
                Err(refusal) => return ApiError::Auth(refusal).into_response(),
            }
        }
        (kept, _) => handed_on(&mut parts, kept, read.len),
    };
    parts.extensions.insert(verified.caller);
    next.run(Request::from_parts(parts, body)).await
}

/// The body handlers read: in one piece, with its length as `Content-Length`; a body too large to
/// keep is handed on empty with its length, and the handler answers 413.
fn handed_on(parts: &mut Parts, kept: Option<Bytes>, len: u64) -> Body {
    set_length(&mut parts.headers, len);
    kept.map_or_else(Body::empty, Body::from)
}

/// Asks the HTTP server to close the connection after this answer (the body was not read to its end).
fn close_after(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

fn refuse(parts: &Parts, refusal: lamina_auth::AuthError) -> Response {
    tracing::info!(
        method = %parts.method,
        path = %parts.uri.path(),
        code = refusal.code(),
        "refused request: {}",
        refusal.to_string().lines().next().unwrap_or_default()
    );
    ApiError::Auth(refusal).into_response()
}

fn set_length(headers: &mut HeaderMap, len: u64) {
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
}
