//! The download behind `Code.Location` (GetFunction) and `Content.Location` (GetLayerVersion): the
//! stored zip, streamed from disk, at a URL presigned with the server's key. As AWS's are, the URLs are
//! valid for 10 minutes, and they name the account they were issued to: a URL downloads only a package
//! that account's functions or layers use.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::extract::{Extension, Path, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use lamina_auth::presign::PresignRequest;
use lamina_auth::{AuthError, ServerKey, Verifier};
use lamina_engine::{Engine, EngineError, Scope};

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
    let Some(path) = engine.code_blob_path(&scope, &hex).await? else {
        return Err(ApiError::Download {
            code: "NoSuchKey",
            message: "The specified key does not exist.".into(),
        });
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
