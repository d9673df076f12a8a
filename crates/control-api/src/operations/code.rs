//! The download behind `Code.Location` (GetFunction) and `Content.Location` (GetLayerVersion): the
//! stored zip, streamed from the engine's code store, at a URL presigned with the server's key. As AWS's are, the URLs are
//! valid for 10 minutes, and they name the account they were issued to: a URL downloads only a package
//! that account's functions or layers use.

use std::io::Read;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::extract::State;
use axum::extract::{Extension, Path, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use lamina_auth::presign::PresignRequest;
use lamina_auth::{AuthError, ServerKey, Verifier};
use lamina_engine::{Engine, EngineError, Scope, StoredBlob};
use lamina_model::CodeSha256;

use crate::error::ApiError;

/// Where packages are served, by the hex SHA-256 of the zip. Outside the Lambda API's paths.
pub(crate) const DOWNLOAD_ROUTE: &str = "/_lamina/code/{hex}";

/// How long a location stays valid (`X-Amz-Expires`), as on AWS.
pub(crate) const LOCATION_EXPIRES_SECONDS: u32 = 600;

/// The signed query parameter naming the account a URL was issued to.
const ACCOUNT_PARAM: &str = "x-lamina-account";

/// The service code URLs are signed for: they stand for S3 URLs.
const SERVICE: &str = "s3";

/// Makes and checks code download URLs.
pub(crate) struct CodeUrls {
    endpoint: String,
    key: ServerKey,
    verifier: Verifier,
}

impl CodeUrls {
    pub(crate) fn new(endpoint: &str, key: ServerKey) -> Self {
        CodeUrls {
            endpoint: endpoint.trim_end_matches('/').to_owned(),
            verifier: key.verifier(SERVICE),
            key,
        }
    }

    /// The presigned URL of the package `hex` for a caller in `scope`.
    pub(crate) fn location(&self, scope: &Scope, hex: &str) -> Result<String, ApiError> {
        let path = format!("/_lamina/code/{hex}.zip");
        self.key
            .presign(&PresignRequest {
                method: "GET",
                endpoint: &self.endpoint,
                path: &path,
                query: &[(ACCOUNT_PARAM, scope.account.as_str())],
                region: &scope.region,
                service: SERVICE,
                now: chrono::Utc::now(),
                expires_seconds: LOCATION_EXPIRES_SECONDS,
            })
            .map_err(|e| EngineError::Internal(e.to_string()).into())
    }
}

/// S3's answers to a URL that is not (or no longer) valid.
fn refused(refusal: &AuthError) -> ApiError {
    let (code, message) = match refusal {
        AuthError::PresignExpired { .. } => ("AccessDenied", "Request has expired".to_owned()),
        AuthError::SignatureMismatch { .. } => (
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided. Check your key and \
             signing method."
                .to_owned(),
        ),
        AuthError::UnknownAccessKey(_) => (
            "InvalidAccessKeyId",
            "The AWS Access Key Id you provided does not exist in our records.".to_owned(),
        ),
        AuthError::Missing => ("AccessDenied", "Access Denied".to_owned()),
        other => ("AccessDenied", other.to_string()),
    };
    ApiError::Download { code, message }
}

pub(crate) async fn download(
    State(engine): State<Engine>,
    Extension(urls): Extension<Arc<CodeUrls>>,
    Path(hex): Path<String>,
    request: Request,
) -> Result<Response, ApiError> {
    let verified = urls
        .verifier
        .verify(
            request.method(),
            request.uri(),
            request.headers(),
            lamina_auth::sigv4::EMPTY_SHA256,
            chrono::Utc::now(),
        )
        .map_err(|e| refused(&e))?;
    let account = lamina_auth::query_param(request.uri().query(), ACCOUNT_PARAM)
        .ok_or_else(|| refused(&AuthError::Missing))?;
    let hex = hex.strip_suffix(".zip").unwrap_or(&hex).to_owned();
    let scope = Scope {
        region: verified.caller.region,
        account,
    };
    let no_such_key = || ApiError::Download {
        code: "NoSuchKey",
        message: "The specified key does not exist.".into(),
    };
    let code_sha256 = CodeSha256::from_hex(&hex).map_err(|_| no_such_key())?;
    let Some(blob) = engine.open_code(&scope, &code_sha256).await? else {
        return Err(no_such_key());
    };
    let len = blob.size;
    let body = Body::from_stream(tokio_util::io::ReaderStream::new(BlobStream::start(blob)));
    let mut response = (StatusCode::OK, body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/zip"));
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    Ok(response)
}

/// How much of a package one read takes from the code store.
const CHUNK_BYTES: usize = 64 * 1024;

/// A stored package as an [`AsyncRead`](tokio::io::AsyncRead): a blocking task reads the store's reader
/// in chunks and hands them over a small channel, so a slow client holds back the reading, not memory.
struct BlobStream {
    chunks: tokio::sync::mpsc::Receiver<std::io::Result<Vec<u8>>>,
    /// The rest of the chunk being read, and how far.
    current: Vec<u8>,
    offset: usize,
}

impl BlobStream {
    fn start(blob: StoredBlob) -> Self {
        let (sender, chunks) = tokio::sync::mpsc::channel(4);
        let mut reader = blob.reader;
        tokio::task::spawn_blocking(move || {
            loop {
                let mut chunk = vec![0u8; CHUNK_BYTES];
                let read = match reader.read(&mut chunk) {
                    Ok(0) => return,
                    Ok(n) => n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(e) => {
                        let _ = sender.blocking_send(Err(e));
                        return;
                    }
                };
                chunk.truncate(read);
                // The client went away: stop reading.
                if sender.blocking_send(Ok(chunk)).is_err() {
                    return;
                }
            }
        });
        BlobStream {
            chunks,
            current: Vec::new(),
            offset: 0,
        }
    }
}

impl tokio::io::AsyncRead for BlobStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        while self.offset == self.current.len() {
            match self.chunks.poll_recv(cx) {
                Poll::Pending => return Poll::Pending,
                // Every chunk was read.
                Poll::Ready(None) => return Poll::Ready(Ok(())),
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Err(e)),
                Poll::Ready(Some(Ok(chunk))) => {
                    self.current = chunk;
                    self.offset = 0;
                }
            }
        }
        let n = buf.remaining().min(self.current.len() - self.offset);
        let start = self.offset;
        buf.put_slice(&self.current[start..start + n]);
        self.offset += n;
        Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn body_of(reader: Box<dyn Read + Send>) -> Result<Vec<u8>, axum::Error> {
        let blob = StoredBlob { size: 0, reader };
        let body = Body::from_stream(tokio_util::io::ReaderStream::new(BlobStream::start(blob)));
        axum::body::to_bytes(body, usize::MAX).await.map(|b| b.to_vec())
    }

    #[tokio::test]
    async fn a_package_streams_whole_across_chunks() {
        let package: Vec<u8> = (0..(3 * CHUNK_BYTES + 17)).map(|i| (i % 251) as u8).collect();
        let streamed = body_of(Box::new(std::io::Cursor::new(package.clone())))
            .await
            .expect("body");
        assert_eq!(streamed, package);
    }

    #[tokio::test]
    async fn a_read_error_ends_the_body_with_an_error() {
        struct Failing;
        impl Read for Failing {
            fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
                Err(std::io::Error::other("disk on fire"))
            }
        }
        assert!(body_of(Box::new(Failing)).await.is_err());
    }
}
