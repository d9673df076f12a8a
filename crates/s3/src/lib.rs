//! Amazon S3 on lamina's endpoint, built on `s3s` (the S3 protocol: routing, XML, SigV4 with presigned
//! URLs and aws-chunked payloads) over a store in the data directory (`storage.rs`: SQLite index and
//! immutable blob files, durable before the 200).
//!
//! Served: CreateBucket (in the region of the creator's signature, `LocationConstraint` checked as
//! S3 checks it), HeadBucket, ListBuckets, DeleteBucket, GetBucketLocation, Put/GetBucketVersioning;
//! PutObject, GetObject (ranges), HeadObject, DeleteObject, DeleteObjects, CopyObject, ListObjects(V2),
//! ListObjectVersions (versions and delete markers); multipart uploads (Create, UploadPart, Complete,
//! Abort, ListParts, ListMultipartUploads). A bucket belongs to the account of the key that created it;
//! other accounts get `AccessDenied`. Addressing is path-style or virtual-host-style
//! (`<bucket>.localhost:<port>`). Other operations answer `NotImplemented`.

mod auth;
mod service;
pub mod storage;

use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use lamina_auth::CredentialSet;
use s3s::service::{S3Service, S3ServiceBuilder};

pub use storage::{Storage, StorageError};

/// The directory of the store in a data directory.
pub const S3_DIR: &str = "s3";

/// What the S3 service needs.
#[derive(Debug, Clone)]
pub struct S3Config {
    /// Where objects are kept (`<data-dir>/s3`).
    pub root: PathBuf,
    /// The server's keys; `None` (`--auth none`): signatures are not checked and every request acts
    /// in `default_account`, in the region its credential scope names (else `us-east-1`).
    pub credentials: Option<CredentialSet>,
    /// The account of unauthenticated requests.
    pub default_account: String,
    /// Host names whose subdomains name buckets (virtual-host addressing); `localhost` is always one.
    pub virtual_host_domains: Vec<String>,
}

/// The embedded S3: its store (which the engine reads deployment packages from) and its API.
#[derive(Debug, Clone)]
pub struct EmbeddedS3 {
    storage: Arc<Storage>,
    service: S3Service,
    unchecked: bool,
}

impl EmbeddedS3 {
    /// Opens the store in `config.root` and builds the API.
    pub fn open(config: S3Config) -> Result<Self, StorageError> {
        let storage = Arc::new(Storage::open(&config.root)?);
        let unchecked = config.credentials.is_none();
        let identity = Arc::new(auth::Identity {
            keys: config.credentials.clone(),
            default_account: config.default_account,
        });
        let mut builder = S3ServiceBuilder::new(service::Service {
            storage: Arc::clone(&storage),
            identity,
        });
        if let Some(keys) = config.credentials {
            builder.set_auth(auth::Keys(keys.clone()));
            builder.set_access(auth::Keys(keys));
        }
        let mut domains = vec!["localhost".to_owned()];
        domains.extend(
            config
                .virtual_host_domains
                .into_iter()
                .filter(|d| d != "localhost" && d.parse::<std::net::IpAddr>().is_err()),
        );
        builder.set_host(auth::Hosts { domains });
        Ok(EmbeddedS3 {
            storage,
            service: builder.build(),
            unchecked,
        })
    }

    /// Removes what a crashed run left half-written (before serving, with the data directory locked).
    pub fn remove_leftovers(&self) -> Result<(), StorageError> {
        let removed = self.storage.sweep()?;
        if removed > 0 {
            tracing::info!(
                count = removed,
                "removed unreferenced S3 blobs a previous run left behind"
            );
        }
        Ok(())
    }

    /// The store, for reading objects without HTTP (`lamina_store::ObjectSource`).
    pub fn storage(&self) -> Arc<Storage> {
        Arc::clone(&self.storage)
    }

    /// The S3 API as a router that answers every path.
    pub fn router(&self) -> Router {
        Router::new().fallback(handle).with_state(self.clone())
    }
}

async fn handle(State(s3): State<EmbeddedS3>, mut request: Request) -> Response {
    if s3.unchecked {
        // `--auth none`: the region is the one the client signed for; the signature itself is not
        // checked, so it is removed before s3s (which would want a key to check it with) sees it.
        let region = lamina_auth::signed_region(request.headers(), request.uri());
        request.headers_mut().remove(http::header::AUTHORIZATION);
        request.headers_mut().remove("x-amz-security-token");
        if let Some(region) = region {
            request.extensions_mut().insert(auth::UncheckedRegion(region));
        }
    }
    let request = request.map(s3s::Body::http_body_unsync);
    match s3.service.call(request).await {
        Ok(response) => with_message(response).map(Body::new),
        Err(e) => {
            tracing::error!("the S3 service failed: {:?}", e);
            http::StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// S3's message for the errors `s3s` answers without one (a wrong signature, an unsupported
/// operation), so that clients show AWS's text rather than nothing.
fn default_message(code: &str) -> Option<&'static str> {
    Some(match code {
        "SignatureDoesNotMatch" => {
            "The request signature we calculated does not match the signature you provided. Check your key and \
             signing method."
        }
        "AccessDenied" => "Access Denied",
        "RequestTimeTooSkewed" => {
            "The difference between the request time and the current time is too large."
        }
        "NotImplemented" => "A header you provided implies functionality that is not implemented",
        "InvalidBucketName" => "The specified bucket is not valid.",
        "MalformedXML" => {
            "The XML you provided was not well-formed or did not validate against our published schema"
        }
        "InvalidRequest" => "Invalid Request",
        _ => return None,
    })
}

/// An error response of `s3s` without a `<Message>`, given S3's.
fn with_message(response: http::Response<s3s::Body>) -> http::Response<s3s::Body> {
    if response.status().is_success() {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Some(bytes) = body.bytes() else {
        return http::Response::from_parts(parts, body);
    };
    let text = String::from_utf8_lossy(&bytes);
    let code = text
        .split_once("<Code>")
        .and_then(|(_, rest)| rest.split_once("</Code>"))
        .map(|(code, _)| code);
    match code.and_then(default_message) {
        Some(message) if !text.contains("<Message>") => {
            let text = text.replacen("</Code>", &format!("</Code><Message>{message}</Message>"), 1);
            parts.headers.remove(http::header::CONTENT_LENGTH);
            http::Response::from_parts(parts, s3s::Body::from(text))
        }
        _ => http::Response::from_parts(parts, body),
    }
}
