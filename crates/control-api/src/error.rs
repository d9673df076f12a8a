//! Every error the API sends, mapped to AWS's wire form in one place: HTTP status, the
//! `x-amzn-ErrorType` header (which every SDK reads first), and a body whose message member has the
//! casing of the service model (`Message` for ResourceNotFoundException and ServiceException,
//! `message` for the others). Refused authentication is AWS's too (`MissingAuthenticationTokenException`,
//! `UnrecognizedClientException`, `InvalidSignatureException`, ...; see `docs/auth.md`), and a refused
//! code download answers as S3 does, in XML, since `Code.Location` URLs stand for S3 URLs.

use axum::Json;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use lamina_engine::EngineError;
use lamina_model::errors::{ErrorCode, MessageMember};
use lamina_model::headers;
use serde_json::{Value, json};

/// An error on its way to the client.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Anything the engine refused or failed at.
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// A body that is not the JSON the operation takes.
    #[error("{0}")]
    BadRequest(String),
    /// An operation of the Lambda service model that lamina does not serve yet.
    #[error("lamina does not implement the Lambda operation {operation} ({method} {path}) yet")]
    Unsupported {
        /// The service model's operation name.
        operation: &'static str,
        /// The request method.
        method: String,
        /// The request path.
        path: String,
    },
    /// A request whose authentication was refused.
    #[error(transparent)]
    Auth(#[from] lamina_auth::AuthError),
    /// A code download that was refused: answered in S3's XML.
    #[error("{message}")]
    Download {
        /// S3's error code (`AccessDenied`, `SignatureDoesNotMatch`, `NoSuchKey`, ...).
        code: &'static str,
        /// S3's message.
        message: String,
    },
    /// A request body that arrived too slowly (the connection is closed after the answer).
    #[error("{0}")]
    SlowBody(String),
    /// A request body that could not be kept while it arrived (the spool directory failed); the
    /// message is for the log.
    #[error("{0}")]
    Spool(String),
    /// A path that is not part of the Lambda API.
    #[error("{method} {path} is not an operation of the Lambda API")]
    UnknownOperation {
        /// The request method.
        method: String,
        /// The request path.
        path: String,
    },
}

impl ApiError {
    /// The Lambda error code this error is answered with (the rest of the wire form, status, message
    /// member and fault, comes with the code: [`ErrorCode`]). Refused authentication and downloads
    /// answer with codes of their own.
    fn code(&self) -> Option<ErrorCode> {
        use EngineError as E;
        Some(match self {
            ApiError::Engine(e) => match e {
                E::Validation(_) => ErrorCode::Validation,
                E::InvalidParameter(_) => ErrorCode::InvalidParameterValue,
                E::NotFound(_) => ErrorCode::ResourceNotFound,
                E::CodeSigningConfigNotFound(_) => ErrorCode::CodeSigningConfigNotFound,
                E::ProvisionedConcurrencyConfigNotFound(_) => ErrorCode::ProvisionedConcurrencyConfigNotFound,
                E::Conflict(_) => ErrorCode::ResourceConflict,
                E::PreconditionFailed(_) => ErrorCode::PreconditionFailed,
                E::TooLarge(_) => ErrorCode::RequestEntityTooLarge,
                E::Throttled(_) => ErrorCode::TooManyRequests,
                E::AccessDenied => ErrorCode::AccessDenied,
                E::Unavailable(_) => ErrorCode::Service,
                // Failures inside lamina: the client learns only that (see `into_response`).
                E::Internal(_)
                | E::Store(_)
                | E::CodeStore(_)
                | E::Queue(_)
                | E::Io { .. }
                | E::Document(_)
                | E::Digest(_)
                | E::Inspect(_)
                | E::Task { .. } => ErrorCode::Service,
            },
            ApiError::BadRequest(_) => ErrorCode::InvalidRequestContent,
            ApiError::SlowBody(_) => ErrorCode::RequestTimeout,
            ApiError::Spool(_) => ErrorCode::Service,
            ApiError::Unsupported { .. } => ErrorCode::UnsupportedOperation,
            ApiError::UnknownOperation { .. } => ErrorCode::UnknownOperation,
            ApiError::Auth(_) | ApiError::Download { .. } => return None,
        })
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, member, fault) = match (&self, self.code()) {
            (ApiError::Download { code, message }, _) => {
                let status = if *code == "NoSuchKey" {
                    StatusCode::NOT_FOUND
                } else {
                    StatusCode::FORBIDDEN
                };
                return s3_xml(status, code, message);
            }
            (_, Some(code)) => (
                StatusCode::from_u16(code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                code.as_str(),
                code.message_member(),
                code.fault(),
            ),
            (ApiError::Auth(refusal), None) => (
                StatusCode::from_u16(refusal.status()).unwrap_or(StatusCode::FORBIDDEN),
                refusal.code(),
                MessageMember::Lower,
                None,
            ),
            (_, None) => unreachable!("every error but refusals and downloads has a Lambda error code"),
        };
        let message = match &self {
            // Internal details (the whole chain of sources) go to the log, not to the client.
            ApiError::Engine(e) if e.is_internal() => {
                tracing::error!("{}", e.display_chain());
                "An internal error occurred in lamina; see the server log.".to_owned()
            }
            ApiError::Spool(detail) => {
                tracing::error!("{detail}");
                "An internal error occurred in lamina; see the server log.".to_owned()
            }
            other => other.to_string(),
        };
        let mut body = serde_json::Map::new();
        if let Some(fault) = fault {
            body.insert("Type".into(), Value::from(fault));
        }
        match member {
            MessageMember::Lower => {
                body.insert("message".into(), Value::from(message));
            }
            MessageMember::Upper => {
                body.insert("Message".into(), Value::from(message));
            }
            MessageMember::None => {}
        }
        if let ApiError::Engine(EngineError::Throttled(reason)) = &self {
            body.insert("Reason".into(), Value::from(reason.as_str()));
        }
        let mut response = (status, Json(json!(body))).into_response();
        response
            .headers_mut()
            .insert(headers::ERROR_TYPE, HeaderValue::from_static(code));
        response
    }
}

/// S3's error document.
fn s3_xml(status: StatusCode, code: &str, message: &str) -> Response {
    let escaped = message
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{escaped}</Message></Error>"
    );
    let mut response = (status, body).into_response();
    response.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/xml"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn render(e: ApiError) -> (StatusCode, String, Value) {
        let response = e.into_response();
        let status = response.status();
        let code = response.headers()["x-amzn-errortype"]
            .to_str()
            .expect("ascii")
            .to_owned();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .expect("body");
        (status, code, serde_json::from_slice(&bytes).expect("json"))
    }

    #[tokio::test]
    async fn not_found_uses_capital_message() {
        let (status, code, body) = render(EngineError::NotFound("Function not found: x".into()).into()).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(code, "ResourceNotFoundException");
        assert_eq!(body, json!({"Type": "User", "Message": "Function not found: x"}));
    }

    #[tokio::test]
    async fn validation_has_only_message() {
        let (status, code, body) =
            render(EngineError::Validation(vec!["Value 'x' at 'y' failed".into()]).into()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(code, "ValidationException");
        assert_eq!(
            body,
            json!({"message": "1 validation error detected: Value 'x' at 'y' failed"})
        );
    }

    #[tokio::test]
    async fn internal_errors_are_not_leaked() {
        let (status, code, body) =
            render(EngineError::Internal("disk on fire at /var/x".into()).into()).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(code, "ServiceException");
        assert!(!body.to_string().contains("/var/x"));
    }

    #[tokio::test]
    async fn failures_with_a_source_are_service_exceptions_that_leak_nothing() {
        let source = serde_json::from_str::<Value>("{\"at\": \"/var/x\"").expect_err("truncated");
        let (status, code, body) = render(EngineError::Document(source).into()).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(code, "ServiceException");
        assert_eq!(
            body,
            json!({"Type": "Service", "Message": "An internal error occurred in lamina; see the server log."})
        );
    }

    #[tokio::test]
    async fn an_unreachable_dependency_is_a_service_exception_that_says_which() {
        let message = "Error occurred while GetObject: lamina could not read the object from http://127.0.0.1:1: \
                       connection refused";
        let (status, code, body) = render(EngineError::Unavailable(message.into()).into()).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(code, "ServiceException");
        assert_eq!(body, json!({"Type": "Service", "Message": message}));
    }

    #[tokio::test]
    async fn s3_errors_are_invalid_parameter_values() {
        let message = "Error occurred while GetObject. S3 Error Code: NoSuchKey. S3 Error Message: The specified key \
                       does not exist.";
        let (status, code, body) = render(EngineError::InvalidParameter(message.into()).into()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(code, "InvalidParameterValueException");
        assert_eq!(body, json!({"Type": "User", "message": message}));
    }

    #[tokio::test]
    async fn conflict_and_precondition() {
        assert_eq!(
            render(EngineError::Conflict("c".into()).into()).await.0,
            StatusCode::CONFLICT
        );
        assert_eq!(
            render(EngineError::PreconditionFailed("p".into()).into()).await.0,
            StatusCode::PRECONDITION_FAILED
        );
        assert_eq!(
            render(EngineError::TooLarge("t".into()).into()).await.1,
            "RequestEntityTooLargeException"
        );
    }

    #[tokio::test]
    async fn authentication_refusals_are_awss() {
        use lamina_auth::AuthError;
        let (status, code, body) = render(AuthError::Missing.into()).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(code, "MissingAuthenticationTokenException");
        assert_eq!(body, json!({"message": "Missing Authentication Token"}));
        let (status, code, body) = render(AuthError::UnknownAccessKey("AKID".into()).into()).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(code, "UnrecognizedClientException");
        assert_eq!(
            body,
            json!({"message": "The security token included in the request is invalid."})
        );
        let (status, code, _) = render(AuthError::Incomplete("x".into()).into()).await;
        assert_eq!(
            (status, code.as_str()),
            (StatusCode::BAD_REQUEST, "IncompleteSignatureException")
        );
    }

    #[tokio::test]
    async fn refused_downloads_answer_in_s3s_xml() {
        let response = ApiError::Download {
            code: "AccessDenied",
            message: "Request has expired".into(),
        }
        .into_response();
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        assert_eq!(response.headers()["content-type"], "application/xml");
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .expect("body");
        assert_eq!(
            std::str::from_utf8(&bytes).expect("utf-8"),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>"
        );
    }
}
