//! Invoke and the deprecated InvokeAsync: headers in, the engine runs it, the result and its headers
//! out. Once the function has started, every outcome is a 2xx: a 5xx or 429 would make the SDKs run it
//! again.

use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use lamina_engine::{Engine, EngineError, InvocationType, InvokeInput};

use crate::auth::CallerScope;
use crate::error::ApiError;
use crate::request::{self, Query};

/// Largest synchronous request payload (6 MB).
const SYNC_PAYLOAD_MAX: u64 = 6_291_456;
/// Largest asynchronous (`Event`) payload, and InvokeAsync's.
const EVENT_PAYLOAD_MAX: u64 = 262_144;
/// Largest `X-Amz-Client-Context`, base64 (the model's limit).
const CLIENT_CONTEXT_MAX: usize = 3583;

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

pub(crate) async fn invoke(
    State(engine): State<Engine>,
    CallerScope(scope): CallerScope,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let invocation_type = match header(&headers, "x-amz-invocation-type").unwrap_or("RequestResponse") {
        "RequestResponse" => InvocationType::RequestResponse,
        "Event" => InvocationType::Event,
        "DryRun" => InvocationType::DryRun,
        other => {
            return Err(EngineError::Validation(vec![format!(
                "Value '{other}' at 'invocationType' failed to satisfy constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun]"
            )])
            .into());
        }
    };
    let tail = match header(&headers, "x-amz-log-type").unwrap_or("None") {
        "None" => false,
        "Tail" => true,
        other => {
            return Err(EngineError::Validation(vec![format!(
                "Value '{other}' at 'logType' failed to satisfy constraint: Member must satisfy enum value set: [Tail, None]"
            )])
            .into());
        }
    };
    let client_context = client_context(&headers)?;
    let limit = if invocation_type == InvocationType::Event {
        EVENT_PAYLOAD_MAX
    } else {
        SYNC_PAYLOAD_MAX
    };
    let declared = header(&headers, "content-length").and_then(|v| v.parse::<u64>().ok());
    let payload = request::read_body(body, &headers, limit, || {
        too_large(invocation_type, declared.unwrap_or(limit + 1))
    })
    .await?;
    let payload = check_json(payload)?;
    let query = Query::parse(query.as_deref());
    let request_id = uuid::Uuid::new_v4().to_string();
    let input = InvokeInput {
        invocation_type,
        payload,
        // Lambda returns the tail for synchronous invocations only.
        tail: tail && invocation_type == InvocationType::RequestResponse,
        client_context: client_context.filter(|_| invocation_type == InvocationType::RequestResponse),
        request_id: request_id.clone(),
    };
    let out = engine
        .invoke(&scope, &name, query.get("Qualifier"), input)
        .await?;
    let status = StatusCode::from_u16(out.status).unwrap_or(StatusCode::OK);
    let mut response = if status == StatusCode::OK {
        (
            status,
            [(axum::http::header::CONTENT_TYPE, "application/json")],
            out.payload,
        )
            .into_response()
    } else {
        status.into_response()
    };
    let headers = response.headers_mut();
    let mut set = |name: &'static str, value: &str| {
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.insert(HeaderName::from_static(name), value);
        }
    };
    set("x-amzn-requestid", &request_id);
    if let Some(version) = &out.executed_version {
        set("x-amz-executed-version", version);
    }
    if out.function_error {
        set("x-amz-function-error", "Unhandled");
    }
    if let Some(tail) = &out.log_tail {
        set("x-amz-log-result", &STANDARD.encode(tail));
    }
    Ok(response)
}

/// InvokeAsync (deprecated): an `Event` invocation with its own path and 256 KB limit.
pub(crate) async fn invoke_async(
    State(engine): State<Engine>,
    CallerScope(scope): CallerScope,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let declared = header(&headers, "content-length").and_then(|v| v.parse::<u64>().ok());
    let payload = request::read_body(body, &headers, EVENT_PAYLOAD_MAX, || {
        too_large(InvocationType::Event, declared.unwrap_or(EVENT_PAYLOAD_MAX + 1))
    })
    .await?;
    let payload = check_json(payload)?;
    let request_id = uuid::Uuid::new_v4().to_string();
    let input = InvokeInput {
        invocation_type: InvocationType::Event,
        payload,
        request_id: request_id.clone(),
        ..InvokeInput::default()
    };
    engine.invoke(&scope, &name, None, input).await?;
    let mut response = (
        StatusCode::ACCEPTED,
        axum::Json(serde_json::json!({ "Status": 202 })),
    )
        .into_response();
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response
            .headers_mut()
            .insert(HeaderName::from_static("x-amzn-requestid"), value);
    }
    Ok(response)
}

fn too_large(invocation_type: InvocationType, size: u64) -> ApiError {
    match invocation_type {
        InvocationType::Event => EngineError::TooLarge(format!(
            "{size} byte payload is too large for the Event invocation type (limit {EVENT_PAYLOAD_MAX} bytes)"
        )),
        _ => EngineError::TooLarge(format!(
            "Request must be smaller than {SYNC_PAYLOAD_MAX} bytes for the InvokeFunction operation"
        )),
    }
    .into()
}

/// The payload must be JSON; an empty one is `{}`.
fn check_json(payload: axum::body::Bytes) -> Result<axum::body::Bytes, ApiError> {
    if payload.is_empty() {
        return Ok(axum::body::Bytes::from_static(b"{}"));
    }
    match serde_json::from_slice::<serde::de::IgnoredAny>(&payload) {
        Ok(_) => Ok(payload),
        Err(e) => Err(ApiError::BadRequest(format!(
            "Could not parse request body into json: Could not parse payload into json: {e}"
        ))),
    }
}

/// `X-Amz-Client-Context`: base64 of a JSON object, at most 3,583 characters.
fn client_context(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(raw) = header(headers, "x-amz-client-context").filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    if raw.len() > CLIENT_CONTEXT_MAX {
        return Err(EngineError::Validation(vec![format!(
            "Value '{raw}' at 'clientContext' failed to satisfy constraint: Member must have length less than or equal to {CLIENT_CONTEXT_MAX}"
        )])
        .into());
    }
    let decoded = STANDARD
        .decode(raw)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .filter(|text| serde_json::from_str::<serde_json::Value>(text).is_ok_and(|v| v.is_object()));
    match decoded {
        Some(text) => Ok(Some(text)),
        None => Err(EngineError::InvalidParameter(
            "Client context must be a valid Base64-encoded JSON object.".into(),
        )
        .into()),
    }
}
