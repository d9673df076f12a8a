//! What every handler needs from a request: query parameters, a body read under a limit, and the
//! request id on every response; and the region of an unverified request (`--auth none`).

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use http_body_util::BodyExt;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

const REQUEST_ID: HeaderName = HeaderName::from_static(lamina_model::headers::REQUEST_ID);

/// Bodies of operations that carry no package are small; this is generous.
pub(crate) const SMALL_BODY_MAX: u64 = 6 * 1024 * 1024;

/// Adds `x-amzn-RequestId` to every response, and logs each request.
pub(crate) async fn request_id(request: Request, next: Next) -> Response {
    let id = uuid::Uuid::new_v4().to_string();
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let mut response = next.run(request).await;
    tracing::debug!(%method, %path, status = response.status().as_u16(), request_id = %id, "request");
    // Invoke sets its own: the invocation's request id.
    if !response.headers().contains_key(REQUEST_ID)
        && let Ok(value) = HeaderValue::from_str(&id)
    {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    response
}

/// The region of the SigV4 credential scope (`Credential=AKID/20260101/us-east-1/lambda/aws4_request`),
/// or `us-east-1` for unsigned requests: how `--auth none` picks a region without verifying anything.
pub(crate) fn region(headers: &HeaderMap) -> String {
    headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(region_of_authorization)
        .unwrap_or_else(|| "us-east-1".to_owned())
}

fn region_of_authorization(auth: &str) -> Option<String> {
    let credential = auth.split("Credential=").nth(1)?;
    let scope = credential.split([',', ' ']).next()?;
    let mut parts = scope.split('/');
    let _key = parts.next()?;
    let _date = parts.next()?;
    let region = parts.next()?;
    let valid = !region.is_empty()
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    valid.then(|| region.to_owned())
}

/// Query parameters, repeated keys kept (UntagResource sends `tagKeys` once per key).
#[derive(Debug, Default)]
pub(crate) struct Query(Vec<(String, String)>);

impl Query {
    pub(crate) fn parse(raw: Option<&str>) -> Self {
        Query(
            form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
                .into_owned()
                .collect(),
        )
    }

    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    pub(crate) fn all(&self, key: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// An integer parameter; a non-integer is reported like AWS's deserializer would.
    pub(crate) fn int(&self, key: &str) -> Result<Option<i64>, ApiError> {
        self.get(key)
            .map(|v| {
                v.parse::<i64>()
                    .map_err(|_| ApiError::BadRequest(format!("{key} must be an integer, got '{v}'")))
            })
            .transpose()
    }
}

/// The body of a request, at most `limit` bytes (`too_large` otherwise). The authentication layer
/// received it whole ([`crate::body`]) and set `Content-Length` to its size; a body too large to keep
/// arrives empty with that size. A body in one piece is handed back without a copy.
pub(crate) async fn read_body(
    body: Body,
    headers: &HeaderMap,
    limit: u64,
    too_large: impl FnOnce() -> ApiError,
) -> Result<Bytes, ApiError> {
    let declared = headers
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(0);
    if declared > limit {
        return Err(too_large());
    }
    let bytes = body
        .collect()
        .await
        .map_err(|e| ApiError::BadRequest(format!("could not read the request body: {e}")))?
        .to_bytes();
    if bytes.len() as u64 > limit {
        return Err(too_large());
    }
    Ok(bytes)
}

/// Reads and parses the JSON body of an operation that carries no package: at most [`SMALL_BODY_MAX`]
/// bytes, over which AWS's RequestEntityTooLargeException names `operation`.
pub(crate) async fn small_json<T: DeserializeOwned>(
    body: Body,
    headers: &HeaderMap,
    operation: &str,
) -> Result<T, ApiError> {
    let bytes = read_body(body, headers, SMALL_BODY_MAX, || {
        lamina_engine::request_too_large(operation).into()
    })
    .await?;
    json(&bytes)
}

/// Parses a JSON body; an empty body counts as `{}`, as the SDKs that send nothing mean it.
pub(crate) fn json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let bytes: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        bytes
    };
    serde_json::from_slice(bytes)
        .map_err(|e| ApiError::BadRequest(format!("Could not parse request body into json: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_comes_from_the_credential_scope() {
        let auth = "AWS4-HMAC-SHA256 Credential=test/20260101/eu-central-1/lambda/aws4_request, \
                    SignedHeaders=host;x-amz-date, Signature=abc";
        assert_eq!(region_of_authorization(auth).as_deref(), Some("eu-central-1"));
        assert_eq!(region_of_authorization("Bearer x"), None);
        assert_eq!(region(&HeaderMap::new()), "us-east-1");
    }

    fn read(body: Body, declared: usize) -> Result<Bytes, ApiError> {
        let mut headers = HeaderMap::new();
        headers.insert(axum::http::header::CONTENT_LENGTH, HeaderValue::from(declared));
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime")
            .block_on(read_body(body, &headers, 64, || {
                ApiError::BadRequest("too large".into())
            }))
    }

    #[test]
    fn a_body_in_one_piece_is_kept_without_a_copy_and_pieces_are_joined() {
        let whole = Bytes::from_static(b"0123456789");
        let read_whole = read(Body::from(whole.clone()), 10).expect("read");
        assert_eq!(read_whole, whole);
        assert_eq!(read_whole.as_ptr(), whole.as_ptr(), "the same buffer, not a copy");

        // Three frames of at most 4 bytes.
        let pieces = Body::from_stream(tokio_util::io::ReaderStream::with_capacity(
            std::io::Cursor::new(b"0123456789".to_vec()),
            4,
        ));
        assert_eq!(read(pieces, 10).expect("read"), whole);

        let too_big = Body::from(vec![b'x'; 65]);
        assert!(read(too_big, 65).is_err());
    }

    #[test]
    fn repeated_query_keys_are_kept() {
        let q = Query::parse(Some("tagKeys=a&tagKeys=b&Qualifier=%24LATEST"));
        assert_eq!(q.all("tagKeys"), ["a", "b"]);
        assert_eq!(q.get("Qualifier"), Some("$LATEST"));
    }
}
