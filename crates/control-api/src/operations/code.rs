//! The download behind GetFunction's `Code.Location`: the stored zip, streamed from disk.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use lamina_engine::{Engine, EngineError};

use crate::error::ApiError;

/// Where packages are served, by the hex SHA-256 of the zip. Outside the Lambda API's paths.
pub(crate) const DOWNLOAD_ROUTE: &str = "/_lamina/code/{hex}";

/// The `Code.Location` URL for a package, on the host the client used to reach lamina.
pub(crate) fn location(headers: &HeaderMap, hex: &str) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1:9001");
    format!("http://{host}/_lamina/code/{hex}")
}

pub(crate) async fn download(
    State(engine): State<Engine>,
    Path(hex): Path<String>,
) -> Result<Response, ApiError> {
    let hex = hex.strip_suffix(".zip").unwrap_or(&hex).to_owned();
    let Some(path) = engine.code_blob_path(&hex).await? else {
        return Err(EngineError::NotFound("The resource you requested does not exist.".into()).into());
    };
    let file = tokio::fs::File::open(&path)
        .await
        .map_err(|e| EngineError::Internal(format!("opening {}: {e}", path.display())))?;
    let len = file
        .metadata()
        .await
        .map_err(|e| EngineError::Internal(e.to_string()))?
        .len();
    let body = Body::from_stream(tokio_util::io::ReaderStream::new(file));
    let mut response = (StatusCode::OK, body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/zip"));
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    Ok(response)
}
