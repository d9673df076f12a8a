//! Invoke, InvokeWithResponseStream and the deprecated InvokeAsync: headers in, the engine runs it, the
//! result and its headers out. Once the function has started, every outcome is a 2xx: a 5xx or 429 would
//! make the SDKs run it again. InvokeWithResponseStream answers once the function's result begins (or
//! the invocation ended without one), then sends the result as `PayloadChunk` events while the function
//! writes it and ends with `InvokeComplete` (`event_stream.rs`).

use axum::body::Body;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use lamina_engine::{
    Engine, EngineError, InvocationType, InvokeInput, InvokeOutput, ResponsePart, ResponseSink,
};
use lamina_model::headers;

use crate::error::ApiError;
use crate::event_stream::{self, InvokeComplete};
use crate::extract::{CallerScope, Qualifier};
use crate::request;

/// Largest synchronous request payload (6 MB).
const SYNC_PAYLOAD_MAX: u64 = 6_291_456;
/// Largest asynchronous (`Event`) payload: 1 MB since AWS raised it in 2025 (the Invoke API reference;
/// see docs/async-invocations.md).
const EVENT_PAYLOAD_MAX: u64 = 1_048_576;
/// Largest InvokeAsync payload: still 256 KB.
const INVOKE_ASYNC_PAYLOAD_MAX: u64 = 262_144;
/// Largest `X-Amz-Client-Context`, base64 (the model's limit).
const CLIENT_CONTEXT_MAX: usize = 3583;

/// The values of `X-Amz-Invocation-Type` (the model's `InvocationType`), in the order AWS's message
/// lists them.
pub(crate) const INVOCATION_TYPES: [(&str, InvocationType); 3] = [
    ("Event", InvocationType::Event),
    ("RequestResponse", InvocationType::RequestResponse),
    ("DryRun", InvocationType::DryRun),
];

/// The values of InvokeWithResponseStream's `X-Amz-Invocation-Type` (the model's
/// `ResponseStreamingInvocationType`), in the order AWS's message lists them.
pub(crate) const STREAMING_INVOCATION_TYPES: [(&str, InvocationType); 2] = [
    ("RequestResponse", InvocationType::RequestResponse),
    ("DryRun", InvocationType::DryRun),
];

/// The values of `X-Amz-Log-Type` (the model's `LogType`) and whether each asks for the log tail, in the
/// order AWS's message lists them.
pub(crate) const LOG_TYPES: [(&str, bool); 2] = [("Tail", true), ("None", false)];

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// `X-Amz-Invocation-Type`, one of `types`: `RequestResponse` when absent.
fn invocation_type<const N: usize>(
    value: Option<&str>,
    types: [(&str, InvocationType); N],
) -> Result<InvocationType, ApiError> {
    let value = value.unwrap_or("RequestResponse");
    types
        .iter()
        .find(|(name, _)| *name == value)
        .map(|(_, invocation_type)| *invocation_type)
        .ok_or_else(|| not_in_enum(value, "invocationType", types.map(|(name, _)| name)))
}

/// `X-Amz-Log-Type`: whether the log tail is asked for (`Tail`); `None` when absent.
fn log_tail(value: Option<&str>) -> Result<bool, ApiError> {
    let value = value.unwrap_or("None");
    LOG_TYPES
        .iter()
        .find(|(name, _)| *name == value)
        .map(|(_, tail)| *tail)
        .ok_or_else(|| not_in_enum(value, "logType", LOG_TYPES.map(|(name, _)| name)))
}

/// AWS's ValidationException for a header value outside its enum.
fn not_in_enum<const N: usize>(value: &str, member: &str, values: [&str; N]) -> ApiError {
    EngineError::Validation(vec![format!(
        "Value '{value}' at '{member}' failed to satisfy constraint: Member must satisfy enum value set: [{}]",
        values.join(", ")
    )])
    .into()
}

/// `Content-Length`, when the client sent one that is a number.
fn declared_length(headers: &HeaderMap) -> Option<u64> {
    header(headers, "content-length").and_then(|v| v.parse::<u64>().ok())
}

/// Invoke's headers, checked in the order AWS checks them, before the payload is read.
#[derive(Debug, Clone)]
pub(crate) struct InvokeHeaders {
    /// `X-Amz-Invocation-Type`.
    invocation_type: InvocationType,
    /// `X-Amz-Log-Type: Tail`.
    tail: bool,
    /// The decoded `X-Amz-Client-Context`.
    client_context: Option<String>,
    /// `Content-Length`, which the too-large message quotes.
    declared_length: Option<u64>,
}

impl InvokeHeaders {
    /// Parses Invoke's headers, the invocation type one of `types`.
    fn parse<const N: usize>(
        headers: &HeaderMap,
        types: [(&str, InvocationType); N],
    ) -> Result<Self, ApiError> {
        Ok(InvokeHeaders {
            invocation_type: invocation_type(header(headers, headers::INVOCATION_TYPE), types)?,
            tail: log_tail(header(headers, headers::LOG_TYPE))?,
            client_context: client_context(header(headers, headers::CLIENT_CONTEXT))?,
            declared_length: declared_length(headers),
        })
    }
}

impl<S: Send + Sync> FromRequestParts<S> for InvokeHeaders {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        InvokeHeaders::parse(&parts.headers, INVOCATION_TYPES)
    }
}

/// InvokeWithResponseStream's headers: Invoke's, with its own invocation types.
#[derive(Debug, Clone)]
pub(crate) struct StreamingInvokeHeaders(InvokeHeaders);

impl<S: Send + Sync> FromRequestParts<S> for StreamingInvokeHeaders {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        InvokeHeaders::parse(&parts.headers, STREAMING_INVOCATION_TYPES).map(StreamingInvokeHeaders)
    }
}

/// The invocation a request asks for: its payload read within the limit of its invocation type and
/// checked to be JSON, under a fresh request id.
async fn invoke_input(
    InvokeHeaders {
        invocation_type,
        tail,
        client_context,
        declared_length,
    }: InvokeHeaders,
    headers: &HeaderMap,
    body: Body,
) -> Result<InvokeInput, ApiError> {
    let limit = if invocation_type == InvocationType::Event {
        EVENT_PAYLOAD_MAX
    } else {
        SYNC_PAYLOAD_MAX
    };
    let payload = request::read_body(body, headers, limit, || {
        too_large(invocation_type, limit, declared_length.unwrap_or(limit + 1))
    })
    .await?;
    Ok(InvokeInput {
        invocation_type,
        payload: check_json(payload)?,
        // Lambda returns the tail for synchronous invocations only.
        tail: tail && invocation_type == InvocationType::RequestResponse,
        client_context: client_context.filter(|_| invocation_type == InvocationType::RequestResponse),
        request_id: uuid::Uuid::new_v4().to_string(),
        stream: None,
    })
}

/// Sets the response headers every Invoke answer has.
fn set_headers(response: &mut Response, request_id: &str, out: &InvokeOutput) {
    let headers = response.headers_mut();
    let mut set = |name: &'static str, value: &str| {
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.insert(HeaderName::from_static(name), value);
        }
    };
    set(headers::REQUEST_ID, request_id);
    if let Some(version) = &out.executed_version {
        set(headers::EXECUTED_VERSION, version);
    }
    if out.function_error {
        set(headers::FUNCTION_ERROR, "Unhandled");
    }
    if let Some(tail) = &out.log_tail {
        set(headers::LOG_RESULT, &STANDARD.encode(tail));
    }
}

pub(crate) async fn invoke(
    State(engine): State<Engine>,
    CallerScope(scope): CallerScope,
    Path(name): Path<String>,
    Qualifier(qualifier): Qualifier,
    invoke_headers: InvokeHeaders,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let input = invoke_input(invoke_headers, &headers, body).await?;
    let request_id = input.request_id.clone();
    let out = engine.invoke(&scope, &name, qualifier.as_deref(), input).await?;
    let status = StatusCode::from_u16(out.status).unwrap_or(StatusCode::OK);
    let mut response = if status == StatusCode::OK {
        (
            status,
            [(axum::http::header::CONTENT_TYPE, "application/json")],
            out.payload.clone(),
        )
            .into_response()
    } else {
        status.into_response()
    };
    set_headers(&mut response, &request_id, &out);
    Ok(response)
}

/// InvokeWithResponseStream: errors before the function starts are Lambda's usual errors; from then on
/// a 200 whose event stream carries the result as the function writes it.
pub(crate) async fn invoke_with_response_stream(
    State(engine): State<Engine>,
    CallerScope(scope): CallerScope,
    Path(name): Path<String>,
    Qualifier(qualifier): Qualifier,
    StreamingInvokeHeaders(invoke_headers): StreamingInvokeHeaders,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let mut input = invoke_input(invoke_headers, &headers, body).await?;
    let request_id = input.request_id.clone();
    if input.invocation_type == InvocationType::DryRun {
        let out = engine.invoke(&scope, &name, qualifier.as_deref(), input).await?;
        let mut response = StatusCode::NO_CONTENT.into_response();
        set_headers(&mut response, &request_id, &out);
        return Ok(response);
    }
    let (sink, mut parts) = ResponseSink::channel();
    input.stream = Some(sink);
    let resolved = engine
        .resolve_invoke(&scope, &name, qualifier.as_deref(), input)
        .await?;
    let executed_version = resolved.executed_version().to_owned();
    // Its own task: the invocation runs to its end (and the environment stays busy until then) even when
    // the client goes away.
    let mut run = tokio::spawn(resolved.run());
    // The answer's head waits for the result to begin, so that a throttle is still an error.
    let finished = tokio::select! {
        biased;
        part = parts.recv() => match part {
            Some(_) => None,
            None => Some(joined(&mut run).await?),
        },
        ran = &mut run => Some(task_result(ran)?),
    };
    let (frames, body) = tokio::sync::mpsc::channel::<Bytes>(4);
    tokio::spawn(async move {
        if finished.is_none() {
            while let Some(part) = parts.recv().await {
                if let ResponsePart::Chunk(chunk) = part
                    && frames.send(event_stream::payload_chunk(chunk)).await.is_err()
                {
                    // The client went away; the invocation carries on to its end.
                    return;
                }
            }
        }
        let out = match finished {
            Some(out) => Ok(out),
            None => joined(&mut run).await,
        };
        let _ = frames.send(event_stream::invoke_complete(&completion(out))).await;
    });
    let body = futures_util::stream::unfold(body, |mut frames| async move {
        let frame = frames.recv().await?;
        Some((Ok::<_, std::convert::Infallible>(frame), frames))
    });
    let mut response = Response::new(Body::from_stream(body));
    let out = InvokeOutput {
        status: 200,
        executed_version: Some(executed_version),
        payload: Bytes::new(),
        function_error: false,
        log_tail: None,
    };
    set_headers(&mut response, &request_id, &out);
    response.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        HeaderValue::from_static(event_stream::CONTENT_TYPE),
    );
    Ok(response)
}

/// The result of the invocation's task, once it has ended.
async fn joined(
    run: &mut tokio::task::JoinHandle<Result<InvokeOutput, EngineError>>,
) -> Result<InvokeOutput, ApiError> {
    task_result(run.await)
}

fn task_result(
    ran: Result<Result<InvokeOutput, EngineError>, tokio::task::JoinError>,
) -> Result<InvokeOutput, ApiError> {
    match ran {
        Ok(out) => Ok(out?),
        Err(e) => Err(EngineError::Internal(format!("the invocation's task failed: {e}")).into()),
    }
}

/// The `InvokeComplete` event for how a streamed invocation ended: the error's type and JSON when it
/// failed, the log tail when asked for.
fn completion(out: Result<InvokeOutput, ApiError>) -> InvokeComplete {
    match out {
        Ok(out) => {
            let log_result = out.log_tail.as_ref().map(|tail| STANDARD.encode(tail));
            if !out.function_error {
                return InvokeComplete {
                    log_result,
                    ..InvokeComplete::default()
                };
            }
            let error_code = serde_json::from_slice::<serde_json::Value>(&out.payload)
                .ok()
                .and_then(|v| v.get("errorType").and_then(|t| t.as_str()).map(str::to_owned))
                .unwrap_or_else(|| "Unhandled".to_owned());
            InvokeComplete {
                error_code: Some(error_code),
                error_details: Some(String::from_utf8_lossy(&out.payload).into_owned()),
                log_result,
            }
        }
        // Only a platform failure after the stream began (the task itself failing) comes here.
        Err(e) => InvokeComplete {
            error_code: Some("ServiceException".into()),
            error_details: Some(e.to_string()),
            log_result: None,
        },
    }
}

/// InvokeAsync (deprecated): an `Event` invocation with its own path and 256 KB limit.
pub(crate) async fn invoke_async(
    State(engine): State<Engine>,
    CallerScope(scope): CallerScope,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let declared = declared_length(&headers);
    let payload = request::read_body(body, &headers, INVOKE_ASYNC_PAYLOAD_MAX, || {
        too_large(
            InvocationType::Event,
            INVOKE_ASYNC_PAYLOAD_MAX,
            declared.unwrap_or(INVOKE_ASYNC_PAYLOAD_MAX + 1),
        )
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
            .insert(HeaderName::from_static(headers::REQUEST_ID), value);
    }
    Ok(response)
}

/// AWS's 413 for a payload of `size` bytes over `limit`.
fn too_large(invocation_type: InvocationType, limit: u64, size: u64) -> ApiError {
    match invocation_type {
        InvocationType::Event => EngineError::TooLarge(format!(
            "{size} byte payload is too large for the Event invocation type (limit {limit} bytes)"
        )),
        _ => EngineError::TooLarge(format!(
            "Request must be smaller than {SYNC_PAYLOAD_MAX} bytes for the InvokeFunction operation"
        )),
    }
    .into()
}

/// The payload must be a JSON document in UTF-8; an empty one is `{}`. AWS refuses anything else with
/// InvalidRequestContentException `Could not parse request body into json: Could not parse payload into
/// json: <parser detail>`, invalid UTF-8 included (recorded: `... Could not parse payload into json:
/// Invalid UTF-8 start byte 0x97`, awsdocs/aws-lambda-developer-guide issue 382). UTF-8 is checked
/// first and whole: serde_json skips over the bytes inside a string it is told to ignore, so it
/// would pass invalid UTF-8 there on to the function.
fn check_json(payload: axum::body::Bytes) -> Result<axum::body::Bytes, ApiError> {
    if payload.is_empty() {
        return Ok(axum::body::Bytes::from_static(b"{}"));
    }
    let refused = |detail: String| {
        ApiError::BadRequest(format!(
            "Could not parse request body into json: Could not parse payload into json: {detail}"
        ))
    };
    let text = std::str::from_utf8(&payload).map_err(|e| {
        let at = e.valid_up_to();
        refused(format!(
            "Invalid UTF-8 start byte 0x{:02x} at byte {at}",
            payload[at]
        ))
    })?;
    match serde_json::from_str::<serde::de::IgnoredAny>(text) {
        Ok(_) => Ok(payload),
        Err(e) => Err(refused(e.to_string())),
    }
}

/// `X-Amz-Client-Context`: base64 of a JSON object, at most 3,583 characters; absent or empty is none.
fn client_context(value: Option<&str>) -> Result<Option<String>, ApiError> {
    let Some(raw) = value.filter(|v| !v.is_empty()) else {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(payload: &'static [u8]) -> String {
        match check_json(axum::body::Bytes::from_static(payload)) {
            Err(ApiError::BadRequest(message)) => message,
            other => panic!("{payload:?} was not refused as bad content: {other:?}"),
        }
    }

    #[test]
    fn payloads_must_be_json_in_utf8() {
        assert_eq!(
            check_json(axum::body::Bytes::new())
                .expect("empty is {}")
                .as_ref(),
            b"{}"
        );
        assert!(check_json(axum::body::Bytes::from_static("{\"k\": \"é\"}".as_bytes())).is_ok());
        assert_eq!(
            refusal(b"{\"k\": \"\xff\"}"),
            "Could not parse request body into json: Could not parse payload into json: Invalid UTF-8 start \
             byte 0xff at byte 7"
        );
        assert!(refusal(b"hello").starts_with(
            "Could not parse request body into json: Could not parse payload into json: expected value"
        ));
    }

    #[test]
    fn invocation_and_log_types_default_and_refuse_what_the_model_does_not_name() {
        assert_eq!(
            invocation_type(None, INVOCATION_TYPES).expect("default"),
            InvocationType::RequestResponse
        );
        assert_eq!(
            invocation_type(Some("Event"), INVOCATION_TYPES).expect("event"),
            InvocationType::Event
        );
        assert_eq!(
            invocation_type(Some("DryRun"), INVOCATION_TYPES).expect("dry run"),
            InvocationType::DryRun
        );
        assert_eq!(
            invocation_type(Some("event"), INVOCATION_TYPES)
                .expect_err("case matters")
                .to_string(),
            "1 validation error detected: Value 'event' at 'invocationType' failed to satisfy constraint: Member \
             must satisfy enum value set: [Event, RequestResponse, DryRun]"
        );
        assert!(!log_tail(None).expect("default"));
        assert!(log_tail(Some("Tail")).expect("tail"));
        assert!(!log_tail(Some("None")).expect("none"));
        assert_eq!(
            log_tail(Some("tail")).expect_err("case matters").to_string(),
            "1 validation error detected: Value 'tail' at 'logType' failed to satisfy constraint: Member must \
             satisfy enum value set: [Tail, None]"
        );
    }

    #[test]
    fn client_context_is_base64_of_a_json_object() {
        assert_eq!(client_context(None).expect("absent"), None);
        assert_eq!(client_context(Some("")).expect("empty"), None);
        let encoded = STANDARD.encode(r#"{"custom":{"a":1}}"#);
        assert_eq!(
            client_context(Some(&encoded)).expect("object").as_deref(),
            Some(r#"{"custom":{"a":1}}"#)
        );
        for refused in [
            STANDARD.encode("[1]"),
            STANDARD.encode("not json"),
            "***".to_owned(),
        ] {
            assert_eq!(
                client_context(Some(&refused)).expect_err("refused").to_string(),
                "Client context must be a valid Base64-encoded JSON object."
            );
        }
        let long = "A".repeat(CLIENT_CONTEXT_MAX + 1);
        assert!(
            client_context(Some(&long))
                .expect_err("too long")
                .to_string()
                .ends_with("Member must have length less than or equal to 3583")
        );
    }

    #[test]
    fn headers_are_checked_in_awss_order() {
        let mut headers = HeaderMap::new();
        headers.insert("x-amz-log-type", HeaderValue::from_static("bogus"));
        headers.insert("x-amz-client-context", HeaderValue::from_static("***"));
        let refused = InvokeHeaders::parse(&headers, INVOCATION_TYPES).expect_err("log type first");
        assert!(refused.to_string().contains("'logType'"), "{refused}");
        headers.insert("x-amz-invocation-type", HeaderValue::from_static("bogus"));
        let refused = InvokeHeaders::parse(&headers, INVOCATION_TYPES).expect_err("invocation type first");
        assert!(refused.to_string().contains("'invocationType'"), "{refused}");
        let mut headers = HeaderMap::new();
        headers.insert("x-amz-invocation-type", HeaderValue::from_static("Event"));
        headers.insert("content-length", HeaderValue::from_static("12"));
        let parsed = InvokeHeaders::parse(&headers, INVOCATION_TYPES).expect("valid");
        assert!(
            InvokeHeaders::parse(&headers, STREAMING_INVOCATION_TYPES)
                .expect_err("no Event stream")
                .to_string()
                .ends_with("Member must satisfy enum value set: [RequestResponse, DryRun]")
        );
        assert_eq!(parsed.invocation_type, InvocationType::Event);
        assert!(!parsed.tail);
        assert_eq!(parsed.declared_length, Some(12));
    }
}
