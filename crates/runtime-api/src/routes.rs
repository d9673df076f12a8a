//! The HTTP side: one route table, thin handlers over [`RuntimeApi`].

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::{Bytes, BytesMut};
use http_body_util::BodyExt;
use tokio::net::TcpListener;

use crate::environment::{
    ErrorReport, ExtensionStep, Invocation, NextStep, Outcome, RegisterError, ResponsePart, ResponseSink,
    ResultVerdict, RuntimeApi,
};
use crate::wire::{self, error_body};

type Api = State<Arc<RuntimeApi>>;

/// The Runtime and Extensions API routes of one environment.
pub fn router(api: Arc<RuntimeApi>) -> Router {
    Router::new()
        .route("/2018-06-01/runtime/invocation/next", get(next))
        .route("/2018-06-01/runtime/invocation/{id}/response", post(response))
        .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
        .route("/2018-06-01/runtime/init/error", post(init_error))
        .route("/2018-06-01/ping", get(|| async { "pong" }))
        .route("/2020-01-01/extension/register", post(register_extension))
        .route("/2020-01-01/extension/event/next", get(extension_next))
        .route("/2020-01-01/extension/init/error", post(extension_error))
        .route("/2020-01-01/extension/exit/error", post(extension_error))
        .route("/2022-07-01/telemetry", put(telemetry))
        .route("/2020-08-15/logs", put(telemetry))
        .with_state(api)
}

/// Serves [`router`] on `listener` until the task is dropped, with Nagle's algorithm off (every answer is
/// one small write the bootstrap is waiting for).
pub async fn serve(api: Arc<RuntimeApi>, listener: TcpListener) -> std::io::Result<()> {
    serve_with(api, listener, None).await
}

/// [`serve`], with every request that is not the Runtime API's handed to `others` when given (the
/// platform's own API, offered to the function on the same address); without it they get 404.
pub async fn serve_with(
    api: Arc<RuntimeApi>,
    listener: TcpListener,
    others: Option<Router>,
) -> std::io::Result<()> {
    use axum::serve::ListenerExt;
    let listener = listener.tap_io(|stream| {
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!("cannot set TCP_NODELAY on a Runtime API connection: {e}");
        }
    });
    let routes = match others {
        Some(others) => router(api).fallback_service(others),
        None => router(api),
    };
    axum::serve(listener, routes).await
}

fn json(status: StatusCode, body: String) -> Response {
    (status, [(CONTENT_TYPE, "application/json")], body).into_response()
}

fn api_error(status: StatusCode, error_type: &str, message: &str) -> Response {
    json(status, error_body(error_type, message))
}

async fn next(State(api): Api) -> Response {
    // One consumer per environment: whoever else asks while the runtime waits is refused, never handed
    // the event.
    let Some(_claim) = api.claim_next() else {
        tracing::warn!(
            function = %api.info().function_name,
            "refused a second GET /runtime/invocation/next while one is waiting"
        );
        return api_error(
            StatusCode::FORBIDDEN,
            "InvalidStateTransition",
            "State transition from RuntimeNextWaiting to Next failed for runtime. Error: another GET /runtime/invocation/next is already waiting for this environment's next event",
        );
    };
    loop {
        match api.next_step() {
            NextStep::Deliver(invocation) => return event_response(&invocation),
            NextStep::Wait => api.wait_for_invocation().await,
            NextStep::InitFailed => {
                return api_error(
                    StatusCode::FORBIDDEN,
                    "InvalidStateTransition",
                    "State transition from InitErrorState to Ready failed for runtime. Error: State transition is not allowed",
                );
            }
        }
    }
}

fn event_response(invocation: &Invocation) -> Response {
    let mut headers = HeaderMap::new();
    let mut set = |name: &'static str, value: &str| {
        // Values that cannot be header values (control characters) are left out, as empty ones are.
        if let Ok(value) = HeaderValue::from_str(value)
            && !value.is_empty()
        {
            headers.insert(HeaderName::from_static(name), value);
        }
    };
    set(wire::REQUEST_ID, &invocation.request_id);
    set(wire::DEADLINE_MS, &invocation.deadline_ms.to_string());
    set(wire::INVOKED_FUNCTION_ARN, &invocation.invoked_function_arn);
    set(
        "content-type",
        invocation.content_type.as_deref().unwrap_or("application/json"),
    );
    for (name, value) in [
        (wire::TRACE_ID, &invocation.trace_id),
        (wire::CLIENT_CONTEXT, &invocation.client_context),
        (wire::COGNITO_IDENTITY, &invocation.cognito_identity),
    ] {
        if let Some(value) = value {
            set(name, value);
        }
    }
    (StatusCode::OK, headers, invocation.payload.clone()).into_response()
}

fn accepted() -> Response {
    json(StatusCode::ACCEPTED, r#"{"status":"OK"}"#.to_owned())
}

fn refused(verdict: ResultVerdict) -> Response {
    match verdict {
        ResultVerdict::Accepted => accepted(),
        ResultVerdict::UnknownId => {
            api_error(StatusCode::BAD_REQUEST, "InvalidRequestID", "Invalid request ID")
        }
        ResultVerdict::AlreadyAnswered => api_error(
            StatusCode::FORBIDDEN,
            "InvalidStateTransition",
            "State transition from RuntimeResponseSentState to InvocationResponse failed for runtime. Error: State transition is not allowed",
        ),
        ResultVerdict::TimedOut => api_error(StatusCode::GONE, "InvokeTimeout", "Invoke timeout"),
    }
}

/// A result body read whole, with the trailers of a chunked body.
struct ResultBody {
    bytes: Bytes,
    trailers: Option<HeaderMap>,
}

enum BodyProblem {
    /// Over the limit (bytes) for its kind of result.
    TooLarge(usize),
    Truncated,
}

async fn read_result(body: Body) -> Result<ResultBody, BodyProblem> {
    let mut body = body;
    let mut bytes = BytesMut::new();
    let mut trailers = None;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|_| BodyProblem::Truncated)?;
        match frame.into_data() {
            Ok(data) => {
                if bytes.len() + data.len() > wire::MAX_RESPONSE_BYTES {
                    return Err(BodyProblem::TooLarge(wire::MAX_RESPONSE_BYTES));
                }
                bytes.extend_from_slice(&data);
            }
            Err(frame) => trailers = frame.into_trailers().ok(),
        }
    }
    Ok(ResultBody {
        bytes: bytes.freeze(),
        trailers,
    })
}

/// Answers a body problem to the runtime and records it as the invocation's outcome.
fn body_problem(api: &RuntimeApi, id: &str, problem: BodyProblem) -> Response {
    match problem {
        BodyProblem::TooLarge(limit) => {
            api.complete(id, Outcome::ResponseTooLarge);
            api_error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "RequestEntityTooLarge",
                &format!("Exceeded maximum allowed payload size ({limit} bytes)."),
            )
        }
        BodyProblem::Truncated => {
            api.complete(id, Outcome::Truncated);
            api_error(
                StatusCode::BAD_REQUEST,
                "TruncatedHTTPRequest",
                "HTTP request detected as truncated",
            )
        }
    }
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

async fn response(State(api): Api, Path(id): Path<String>, headers: HeaderMap, body: Body) -> Response {
    let sink = match api.check_response(&id) {
        Ok(sink) => sink,
        Err(verdict) => return refused(verdict),
    };
    let streaming = match header_str(&headers, wire::FUNCTION_RESPONSE_MODE) {
        None => false,
        Some("streaming") => true,
        Some(mode) => {
            return api_error(
                StatusCode::BAD_REQUEST,
                "InvalidFunctionResponseMode",
                &format!("Invalid function response mode: {mode}"),
            );
        }
    };
    if let Some(sink) = sink {
        return stream_result(&api, &id, &headers, body, sink).await;
    }
    let result = match read_result(body).await {
        Ok(result) => result,
        Err(problem) => return body_problem(&api, &id, problem),
    };
    // aws-lambda-go reports an error met while writing a chunked response in the trailers; Rust's
    // lambda_runtime writes it as the last chunk of a streamed body.
    let failure = result
        .trailers
        .as_ref()
        .and_then(trailer_error)
        .or_else(|| streaming.then(|| stream_error_at_end(&result.bytes)).flatten());
    let outcome = failure.unwrap_or_else(|| Outcome::Response {
        body: result.bytes,
        content_type: header_str(&headers, "content-type").map(str::to_owned),
    });
    refused(api.complete(&id, outcome))
}

/// Sends the body of a `/response` to the caller that takes it as a stream, chunk by chunk as it
/// arrives, then completes the invocation with the error that ended it (trailers, or Rust's error
/// chunk) or as [`Outcome::Streamed`].
async fn stream_result(
    api: &RuntimeApi,
    id: &str,
    headers: &HeaderMap,
    mut body: Body,
    sink: ResponseSink,
) -> Response {
    let content_type = header_str(headers, "content-type").map(str::to_owned);
    // A caller that went away stops the forwarding, not the function: its body is still read whole.
    let mut forwarding = sink.send(ResponsePart::Head { content_type }).await;
    let mut written = 0usize;
    let mut failure = None;
    while let Some(frame) = body.frame().await {
        let Ok(frame) = frame else {
            return body_problem(api, id, BodyProblem::Truncated);
        };
        let data = match frame.into_data() {
            Ok(data) => data,
            Err(frame) => {
                if let Ok(trailers) = frame.into_trailers() {
                    failure = failure.or_else(|| trailer_error(&trailers));
                }
                continue;
            }
        };
        if failure.is_some() || data.is_empty() {
            continue;
        }
        if data.starts_with(wire::STREAM_ERROR_CHUNK_PREFIX)
            && let Some(outcome) = stream_error_chunk(&data)
        {
            failure = Some(outcome);
            continue;
        }
        written += data.len();
        if written > wire::MAX_STREAMED_RESPONSE_BYTES {
            return body_problem(api, id, BodyProblem::TooLarge(wire::MAX_STREAMED_RESPONSE_BYTES));
        }
        // Once the invocation is over (it timed out), its caller has had its answer.
        forwarding = forwarding
            && api.check_result(id) == ResultVerdict::Accepted
            && sink.send(ResponsePart::Chunk(data)).await;
    }
    drop(sink);
    refused(api.complete(id, failure.unwrap_or(Outcome::Streamed)))
}

/// The function error that the trailers of a chunked `/response` report (aws-lambda-go).
fn trailer_error(trailers: &HeaderMap) -> Option<Outcome> {
    let error_type = header_str(trailers, wire::FUNCTION_ERROR_TYPE)?;
    let body = header_str(trailers, wire::FUNCTION_ERROR_BODY).and_then(|b| STANDARD.decode(b).ok());
    Some(function_error(error_type, body))
}

/// A function error of `error_type` whose details are `body`: the error JSON as the runtime gave it, or
/// Lambda's error JSON around a message that is not JSON (or around nothing).
fn function_error(error_type: &str, body: Option<Vec<u8>>) -> Outcome {
    let body = match body {
        Some(body) if serde_json::from_slice::<serde_json::Value>(&body).is_ok_and(|v| v.is_object()) => {
            Bytes::from(body)
        }
        Some(message) => Bytes::from(error_body(error_type, &String::from_utf8_lossy(&message))),
        None => Bytes::from(error_body(error_type, "")),
    };
    Outcome::FunctionError {
        body,
        error_type: error_type.to_owned(),
    }
}

/// The function error in a data chunk that is exactly Rust `lambda_runtime`'s stream error:
/// `Lambda-Runtime-Function-Error-Type: <type>\r\nLambda-Runtime-Function-Error-Body: <base64>\r\n`.
fn stream_error_chunk(chunk: &[u8]) -> Option<Outcome> {
    let text = std::str::from_utf8(chunk).ok()?;
    let rest = text.strip_prefix("Lambda-Runtime-Function-Error-Type: ")?;
    let (error_type, rest) = rest.split_once("\r\n")?;
    let encoded = rest
        .strip_prefix("Lambda-Runtime-Function-Error-Body: ")?
        .strip_suffix("\r\n")?;
    let error_type = error_type.trim();
    if error_type.is_empty() || encoded.contains("\r\n") {
        return None;
    }
    Some(function_error(error_type, STANDARD.decode(encoded.trim()).ok()))
}

/// How far from the end of a whole streamed body Rust's error chunk is looked for.
const STREAM_ERROR_WINDOW: usize = 64 * 1024;

/// The function error of Rust `lambda_runtime`'s error chunk, when a whole streamed body ends in one.
fn stream_error_at_end(body: &[u8]) -> Option<Outcome> {
    let from = body.len().saturating_sub(STREAM_ERROR_WINDOW);
    let prefix = wire::STREAM_ERROR_CHUNK_PREFIX;
    let at = body[from..].windows(prefix.len()).rposition(|w| w == prefix)? + from;
    stream_error_chunk(&body[at..])
}

/// The error type of an error report: the body's `errorType`, else the header, else `Unhandled`.
fn error_type_of(body: &[u8], headers: &HeaderMap) -> String {
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("errorType").and_then(|t| t.as_str()).map(str::to_owned))
        .or_else(|| header_str(headers, wire::FUNCTION_ERROR_TYPE).map(str::to_owned))
        .unwrap_or_else(|| "Unhandled".to_owned())
}

/// The error JSON to pass on: the body as posted, or a minimal one when the runtime posted none.
fn error_payload(body: Bytes, error_type: &str) -> Bytes {
    if body.iter().all(u8::is_ascii_whitespace) {
        Bytes::from(error_body(error_type, ""))
    } else {
        body
    }
}

async fn error(State(api): Api, Path(id): Path<String>, headers: HeaderMap, body: Body) -> Response {
    let verdict = api.check_result(&id);
    if verdict != ResultVerdict::Accepted {
        return refused(verdict);
    }
    let result = match read_result(body).await {
        Ok(result) => result,
        Err(problem) => return body_problem(&api, &id, problem),
    };
    let error_type = error_type_of(&result.bytes, &headers);
    let body = error_payload(result.bytes, &error_type);
    refused(api.complete(&id, Outcome::FunctionError { body, error_type }))
}

async fn init_error(State(api): Api, headers: HeaderMap, body: Body) -> Response {
    if !matches!(*api.lifecycle().borrow(), crate::Lifecycle::Initializing) {
        return api_error(
            StatusCode::FORBIDDEN,
            "InvalidStateTransition",
            "State transition from Ready to InitError failed for runtime. Error: State transition is not allowed",
        );
    }
    let bytes = match read_result(body).await {
        Ok(result) => result.bytes,
        Err(_) => Bytes::new(),
    };
    let error_type = error_type_of(&bytes, &headers);
    let body = error_payload(bytes, &error_type);
    api.init_failed(ErrorReport { error_type, body });
    accepted()
}

#[derive(serde::Deserialize)]
struct Registration {
    events: Option<Vec<String>>,
}

async fn register_extension(State(api): Api, headers: HeaderMap, body: Bytes) -> Response {
    let Some(name) = header_str(&headers, wire::EXTENSION_NAME) else {
        return api_error(
            StatusCode::FORBIDDEN,
            "Extension.MissingExtensionName",
            "Empty extension name",
        );
    };
    let registration: Registration = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => return api_error(StatusCode::BAD_REQUEST, "InvalidRequestFormat", &e.to_string()),
    };
    let events = registration.events.unwrap_or_default();
    if let Some(bad) = events.iter().find(|e| *e != "INVOKE" && *e != "SHUTDOWN") {
        return api_error(
            StatusCode::FORBIDDEN,
            "Extension.InvalidEventType",
            &format!("Invalid event type: {bad}"),
        );
    }
    let id = match api.register_extension(name, &events) {
        Ok(id) => id,
        Err(RegisterError::Closed) => {
            return api_error(
                StatusCode::FORBIDDEN,
                "Extension.RegistrationClosed",
                "Extension registration closed already",
            );
        }
        Err(RegisterError::TooMany) => {
            return api_error(
                StatusCode::FORBIDDEN,
                "Extension.TooManyExtensions",
                "Too many extensions",
            );
        }
        Err(RegisterError::Duplicate) => {
            return api_error(
                StatusCode::FORBIDDEN,
                "Extension.AlreadyRegistered",
                &format!("Extension {name} is already registered"),
            );
        }
    };
    let info = api.info();
    let body = serde_json::json!({
        "functionName": info.function_name,
        "functionVersion": info.function_version,
        "handler": info.handler,
    });
    let mut response = json(StatusCode::OK, body.to_string());
    if let Ok(value) = HeaderValue::from_str(&id) {
        response
            .headers_mut()
            .insert(HeaderName::from_static(wire::EXTENSION_IDENTIFIER), value);
    }
    response
}

async fn extension_next(State(api): Api, headers: HeaderMap) -> Response {
    let Some(id) = header_str(&headers, wire::EXTENSION_IDENTIFIER).map(str::to_owned) else {
        return api_error(
            StatusCode::FORBIDDEN,
            "Extension.MissingExtensionIdentifier",
            "Missing Lambda-Extension-Identifier header",
        );
    };
    loop {
        match api.extension_step(&id) {
            ExtensionStep::Deliver(event) => {
                let mut response = json(StatusCode::OK, event.to_string());
                if let Ok(value) = HeaderValue::from_str(&uuid::Uuid::new_v4().to_string()) {
                    response
                        .headers_mut()
                        .insert(HeaderName::from_static(wire::EXTENSION_EVENT_IDENTIFIER), value);
                }
                return response;
            }
            ExtensionStep::Wait(wake) => wake.notified().await,
            ExtensionStep::Unknown => {
                return api_error(
                    StatusCode::FORBIDDEN,
                    "Extension.InvalidExtensionIdentifier",
                    "Invalid Lambda-Extension-Identifier",
                );
            }
        }
    }
}

async fn extension_error() -> Response {
    accepted()
}

async fn telemetry() -> Response {
    api_error(
        StatusCode::ACCEPTED,
        "Telemetry.NotSupported",
        "Telemetry API is not supported",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error_of(outcome: Option<Outcome>) -> (String, serde_json::Value) {
        match outcome {
            Some(Outcome::FunctionError { body, error_type }) => {
                (error_type, serde_json::from_slice(&body).expect("error JSON"))
            }
            other => panic!("not a function error: {other:?}"),
        }
    }

    #[test]
    fn rusts_stream_error_chunk_is_a_function_error() {
        // What lambda_runtime 1.5 writes (`to_tailer`): the error's text, base64, as a data chunk.
        let chunk = format!(
            "Lambda-Runtime-Function-Error-Type: Runtime.StreamError\r\nLambda-Runtime-Function-Error-Body: {}\r\n",
            STANDARD.encode("the stream broke")
        );
        let (error_type, body) = error_of(stream_error_chunk(chunk.as_bytes()));
        assert_eq!(error_type, "Runtime.StreamError");
        assert_eq!(
            body,
            serde_json::json!({"errorMessage": "the stream broke", "errorType": "Runtime.StreamError"})
        );
        let mut whole = b"first chunk, second chunk".to_vec();
        whole.extend_from_slice(chunk.as_bytes());
        assert_eq!(error_of(stream_error_at_end(&whole)).0, "Runtime.StreamError");
        // Data that only looks like it is data.
        for data in [
            &b"Lambda-Runtime-Function-Error-Type: X\r\n"[..],
            b"Lambda-Runtime-Function-Error-Type: X\r\nLambda-Runtime-Function-Error-Body: eA==\r\nmore",
            b"Lambda-Runtime-Function-Error-Type: \r\nLambda-Runtime-Function-Error-Body: eA==\r\n",
            b"plain data",
        ] {
            assert_eq!(
                stream_error_chunk(data),
                None,
                "{}",
                String::from_utf8_lossy(data)
            );
            assert_eq!(stream_error_at_end(data), None);
        }
        let mut not_at_end = chunk.into_bytes();
        not_at_end.extend_from_slice(b"then more data");
        assert_eq!(stream_error_at_end(&not_at_end), None);
    }

    #[test]
    fn go_trailers_are_a_function_error_with_their_json() {
        let mut trailers = HeaderMap::new();
        assert_eq!(trailer_error(&trailers), None);
        trailers.insert(wire::FUNCTION_ERROR_TYPE, HeaderValue::from_static("errorString"));
        let (error_type, body) = error_of(trailer_error(&trailers));
        assert_eq!(error_type, "errorString");
        assert_eq!(
            body,
            serde_json::json!({"errorMessage": "", "errorType": "errorString"})
        );
        let json = STANDARD.encode(r#"{"errorMessage":"the stream broke","errorType":"errorString"}"#);
        trailers.insert(
            wire::FUNCTION_ERROR_BODY,
            HeaderValue::from_str(&json).expect("header"),
        );
        let (_, body) = error_of(trailer_error(&trailers));
        assert_eq!(body["errorMessage"], "the stream broke");
    }
}
