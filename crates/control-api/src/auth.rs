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
use http_body_util::BodyExt;
use lamina_auth::{Caller, CredentialSet, PayloadSigning, ServerKey, Verifier};
use sha2::{Digest, Sha256};

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
}

/// The request's gate: a verifier, or none when authentication is off.
pub(crate) struct Gate {
    verifier: Option<Verifier>,
    default_account: String,
}

impl Gate {
    pub(crate) fn new(config: &ApiConfig) -> Self {
        Gate {
            verifier: match &config.authentication {
                Authentication::SigV4(keys) => Some(Verifier::new(keys.clone(), "lambda")),
                Authentication::None => None,
            },
            default_account: config.default_account.clone(),
        }
    }
}

/// The largest body any operation takes (CreateFunction with a 50 MB zip, base64): bodies are read
/// whole to hash them, and past this one is hashed but not kept (the handler answers 413).
const BODY_KEEP_MAX: u64 = lamina_engine::REQUEST_MAX_BYTES;

/// Past this much, hashing stops: the handler refuses the body as too large anyway.
const BODY_HASH_MAX: u64 = 1024 * 1024 * 1024;

/// Verifies the request's signature (and its body's hash) and records the [`Caller`].
pub(crate) async fn authenticate(State(gate): State<Arc<Gate>>, request: Request, next: Next) -> Response {
    let Some(verifier) = &gate.verifier else {
        let (mut parts, body) = request.into_parts();
        let caller = Caller {
            access_key_id: String::new(),
            account_id: gate.default_account.clone(),
            region: crate::request::region(&parts.headers),
        };
        parts.extensions.insert(caller);
        return next.run(Request::from_parts(parts, body)).await;
    };
    let (mut parts, body) = request.into_parts();
    let now = chrono::Utc::now();
    if let Err(refusal) = verifier.precheck(&parts.uri, &parts.headers, now) {
        return refuse(&parts, refusal);
    }
    let read = match read_hashed(body).await {
        Ok(read) => read,
        Err(e) => return e.into_response(),
    };
    let verified = match verifier.verify(&parts.method, &parts.uri, &parts.headers, &read.sha256, now) {
        Ok(verified) => verified,
        Err(refusal) => return refuse(&parts, refusal),
    };
    let body = match (read.kept, &verified.payload) {
        (None, _) => {
            // Too large to keep: the handler sees the size and answers 413.
            set_length(&mut parts.headers, read.len);
            Body::empty()
        }
        (Some(bytes), PayloadSigning::Streaming(context)) => {
            match lamina_auth::chunked::decode(context, &bytes) {
                Ok(decoded) => {
                    set_length(&mut parts.headers, decoded.len() as u64);
                    parts.headers.remove(header::CONTENT_ENCODING);
                    Body::from(decoded)
                }
                Err(refusal) => return ApiError::Auth(refusal).into_response(),
            }
        }
        (Some(bytes), _) => Body::from(bytes),
    };
    parts.extensions.insert(verified.caller);
    next.run(Request::from_parts(parts, body)).await
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

/// A body read for verification: its SHA-256, its length, and its bytes unless it was too large.
struct Hashed {
    sha256: String,
    len: u64,
    kept: Option<Bytes>,
}

async fn read_hashed(mut body: Body) -> Result<Hashed, ApiError> {
    let mut hasher = Sha256::new();
    let mut first: Option<Bytes> = None;
    let mut buf: Vec<u8> = Vec::new();
    let mut len: u64 = 0;
    while let Some(frame) = body.frame().await {
        let frame =
            frame.map_err(|e| ApiError::BadRequest(format!("could not read the request body: {e}")))?;
        let Ok(data) = frame.into_data() else { continue };
        hasher.update(&data);
        len += data.len() as u64;
        if len > BODY_KEEP_MAX {
            first = None;
            buf = Vec::new();
            if len > BODY_HASH_MAX {
                break;
            }
            continue;
        }
        // One frame (the usual case for small bodies) is kept without copying.
        match first.take() {
            None if buf.is_empty() => first = Some(data),
            None => buf.extend_from_slice(&data),
            Some(previous) => {
                buf.reserve(previous.len() + data.len());
                buf.extend_from_slice(&previous);
                buf.extend_from_slice(&data);
            }
        }
    }
    let kept = (len <= BODY_KEEP_MAX).then(|| first.unwrap_or_else(|| Bytes::from(buf)));
    Ok(Hashed {
        sha256: hex::encode(hasher.finalize()),
        len,
        kept,
    })
}
