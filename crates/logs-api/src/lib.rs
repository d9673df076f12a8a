//! CloudWatch Logs on lamina's endpoint (JSON 1.1, `X-Amz-Target: Logs_20140328.<Operation>`), over the
//! functions' log streams that `lamina-logs` keeps. Requests are verified with SigV4 for service `logs`;
//! a key sees the groups of its own account in the region it signed for.
//!
//! A function's streams form the group its `LoggingConfig.LogGroup` names (`/aws/lambda/<function>` by
//! default; functions that name one group share it). Served: DescribeLogGroups, DescribeLogStreams, GetLogEvents,
//! FilterLogEvents (terms, quoted phrases, `?terms`, `-terms`: `filter.rs`), CreateLogGroup,
//! DeleteLogGroup (a function's group loses its streams; new ones start at its next environment) and
//! PutRetentionPolicy (stored and shown; lamina's own bounds on streams apply, see `lamina-logs`). Other
//! operations answer 400 `UnknownOperationException` naming them.

mod filter;
mod groups;
mod operations;

use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::Response;
use lamina_auth::{CredentialSet, Verifier};
use lamina_logs::{LogLimits, LogStore};

use crate::groups::Groups;

/// The largest request body taken.
const BODY_MAX: usize = 1024 * 1024;

/// What the Logs API needs.
#[derive(Debug, Clone)]
pub struct LogsConfig {
    /// Where the functions' streams are (`<data-dir>/logs`).
    pub log_root: PathBuf,
    /// The server's keys; `None`: every request is taken in `default_account`, region `us-east-1`.
    pub credentials: Option<CredentialSet>,
    /// The account of unauthenticated requests.
    pub default_account: String,
}

struct Logs {
    store: LogStore,
    groups: Groups,
    verifier: Option<Verifier>,
    default_account: String,
}

/// The Logs API as a router that answers every path.
pub fn router(config: LogsConfig) -> std::io::Result<Router> {
    let logs = Logs {
        store: LogStore::new(config.log_root.clone(), LogLimits::default()),
        groups: Groups::open(&config.log_root)?,
        verifier: config.credentials.map(|keys| Verifier::new(keys, "logs")),
        default_account: config.default_account,
    };
    Ok(Router::new().fallback(handle).with_state(Arc::new(logs)))
}

/// An error as CloudWatch Logs answers it: status, `__type`, message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LogsError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl LogsError {
    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        LogsError {
            status: StatusCode::BAD_REQUEST,
            code: "InvalidParameterException",
            message: message.into(),
        }
    }

    pub(crate) fn not_found(message: &str) -> Self {
        LogsError {
            status: StatusCode::BAD_REQUEST,
            code: "ResourceNotFoundException",
            message: message.to_owned(),
        }
    }

    pub(crate) fn exists(message: &str) -> Self {
        LogsError {
            status: StatusCode::BAD_REQUEST,
            code: "ResourceAlreadyExistsException",
            message: message.to_owned(),
        }
    }

    pub(crate) fn internal(message: String) -> Self {
        LogsError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            code: "ServiceUnavailableException",
            message,
        }
    }
}

/// Who is asking: the account and region requests are scoped to.
#[derive(Debug, Clone)]
pub(crate) struct Scope {
    pub(crate) account: String,
    pub(crate) region: String,
}

async fn handle(State(logs): State<Arc<Logs>>, request: Request) -> Response {
    let request_id = uuid::Uuid::new_v4().to_string();
    let answered = answer(logs, request).await;
    let (status, body) = match answered {
        Ok(value) => (StatusCode::OK, value),
        Err(e) => (
            e.status,
            serde_json::json!({ "__type": e.code, "message": e.message }),
        ),
    };
    let mut response = Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/x-amz-json-1.1")
        .header("x-amzn-RequestId", &request_id);
    if let Some(code) = body
        .get("__type")
        .and_then(|c| c.as_str())
        .filter(|_| !status.is_success())
    {
        response = response.header("x-amzn-ErrorType", code);
    }
    response
        .body(Body::from(body.to_string()))
        .unwrap_or_else(|_| Response::new(Body::empty()))
}

async fn answer(logs: Arc<Logs>, request: Request) -> Result<serde_json::Value, LogsError> {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, BODY_MAX)
        .await
        .map_err(|_| LogsError::invalid("The request body is too large."))?;
    let scope = match &logs.verifier {
        Some(verifier) => {
            let caller = verifier
                .verify_whole(&parts.method, &parts.uri, &parts.headers, &body)
                .map_err(|refusal| LogsError {
                    status: StatusCode::from_u16(refusal.status()).unwrap_or(StatusCode::FORBIDDEN),
                    code: refusal.code(),
                    message: refusal.to_string(),
                })?
                .caller;
            Scope {
                account: caller.account_id,
                region: caller.region,
            }
        }
        None => Scope {
            account: logs.default_account.clone(),
            region: "us-east-1".into(),
        },
    };
    let target = parts
        .headers
        .get("x-amz-target")
        .and_then(|t| t.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let operation = target
        .strip_prefix("Logs_20140328.")
        .unwrap_or(&target)
        .to_owned();
    let input: serde_json::Value = if body.is_empty() {
        serde_json::json!({})
    } else {
        serde_json::from_slice(&body).map_err(|e| LogsError {
            status: StatusCode::BAD_REQUEST,
            code: "SerializationException",
            message: format!("the request body is not JSON: {e}"),
        })?
    };
    tokio::task::spawn_blocking(move || operations::run(&logs, &scope, &operation, &input))
        .await
        .map_err(|e| LogsError::internal(format!("the request was not finished: {e}")))?
}
