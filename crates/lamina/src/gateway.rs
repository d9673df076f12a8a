//! One endpoint for every service lamina serves: a request goes to the service its SigV4 credential
//! scope names (`lambda`, `s3`, `logs`, `sts`, `cloudformation`); unsigned requests, and lamina's own paths
//! (`/_lamina/...`), go to the Lambda API's router, which refuses what is not signed as AWS does.
//! A service lamina does not serve is answered with an error in that service's protocol naming it (JSON
//! `UnknownOperationException` for the JSON protocols, XML `InvalidAction` otherwise), never a status an
//! SDK retries. Function URLs sit in front of this (`lamina_function_urls::in_front_of`): they are told
//! by their host name, before any signature is read.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tower::ServiceExt;

/// The services besides Lambda, by the name their requests are signed for.
pub(crate) struct Services {
    /// STS (`lamina-sts`).
    pub(crate) sts: Router,
    /// CloudWatch Logs (`lamina-logs-api`).
    pub(crate) logs: Router,
    /// CloudFormation (`lamina-cloudformation`).
    pub(crate) cloudformation: Router,
    /// S3 (`lamina-s3`), path-style or virtual-host-style.
    pub(crate) s3: Router,
}

/// The names of the services served, as the error for the others lists them.
const SERVED: &str = "cloudformation, lambda, logs, s3, sts";

/// `lambda` (the Lambda API's router) with the other services beside it.
pub(crate) fn router(lambda: Router, services: Services) -> Router {
    lambda.layer(axum::middleware::from_fn_with_state(Arc::new(services), dispatch))
}

/// Paths of lamina's own (code download URLs, presigned as S3 URLs by the server's key), which the
/// Lambda API's router serves whatever service their signature names.
const OWN_PATHS: &str = "/_lamina/";

async fn dispatch(State(services): State<Arc<Services>>, request: Request, next: Next) -> Response {
    if request.uri().path().starts_with(OWN_PATHS) {
        return next.run(request).await;
    }
    let service = lamina_auth::signed_service(request.headers(), request.uri())
        .or_else(|| signed_v2(request.headers(), request.uri()).then(|| "s3".to_owned()));
    match service.as_deref() {
        None | Some("lambda") => next.run(request).await,
        Some("sts") => services.sts.clone().oneshot(request).await.into_response(),
        Some("logs") => services.logs.clone().oneshot(request).await.into_response(),
        Some("cloudformation") => services
            .cloudformation
            .clone()
            .oneshot(request)
            .await
            .into_response(),
        Some("s3") => services.s3.clone().oneshot(request).await.into_response(),
        Some(other) => not_served(other, request.headers()),
    }
}

/// Whether a request is signed with Signature Version 2 (`Authorization: AWS <key>:<signature>`, or a
/// presigned `AWSAccessKeyId=...&Signature=...` query), which only S3 still takes: boto3 presigns S3 URLs
/// in us-east-1 with it unless told `signature_version="s3v4"`.
fn signed_v2(headers: &HeaderMap, uri: &axum::http::Uri) -> bool {
    let header = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("AWS ") && v.contains(':'));
    header
        || (lamina_auth::query_param(uri.query(), "AWSAccessKeyId").is_some()
            && lamina_auth::query_param(uri.query(), "Signature").is_some())
}

/// The answer to a request for a service lamina does not serve.
fn not_served(service: &str, headers: &HeaderMap) -> Response {
    let message = format!(
        "lamina does not serve the '{service}' service on this endpoint; it serves {SERVED}. Point that \
         service's client at AWS or at another endpoint (for example AWS_ENDPOINT_URL_{} for it alone).",
        service.to_ascii_uppercase().replace('-', "_")
    );
    let request_id = uuid::Uuid::new_v4().to_string();
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-amz-json"));
    let (content_type, body, code) = if json {
        let body = serde_json::json!({ "__type": "UnknownOperationException", "message": message });
        (
            "application/x-amz-json-1.1",
            body.to_string(),
            "UnknownOperationException",
        )
    } else {
        let body = format!(
            "<ErrorResponse><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>{}</Message></Error>\
             <RequestId>{request_id}</RequestId></ErrorResponse>",
            lamina_query::escape(&message)
        );
        ("text/xml", body, "InvalidAction")
    };
    tracing::info!(service, "refused a request for a service not served");
    Response::builder()
        .status(StatusCode::BAD_REQUEST)
        .header(header::CONTENT_TYPE, content_type)
        .header("x-amzn-RequestId", &request_id)
        .header("x-amzn-ErrorType", code)
        .body(Body::from(body))
        .unwrap_or_else(|_| StatusCode::BAD_REQUEST.into_response())
}
