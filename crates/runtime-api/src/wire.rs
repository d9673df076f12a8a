//! Names, paths and limits of the Runtime and Extensions APIs, each from the wire reference.

/// Version segment of every Runtime API path.
pub const RUNTIME_API_VERSION: &str = "2018-06-01";
/// Version segment of the Extensions API paths.
pub const EXTENSIONS_API_VERSION: &str = "2020-01-01";

/// `/next` response header: the invocation's request id (Rust and Python clients exit without it).
pub const REQUEST_ID: &str = "lambda-runtime-aws-request-id";
/// `/next` response header: the deadline as epoch milliseconds (the Rust client panics without it).
pub const DEADLINE_MS: &str = "lambda-runtime-deadline-ms";
/// `/next` response header: the ARN the caller invoked, qualified when it was.
pub const INVOKED_FUNCTION_ARN: &str = "lambda-runtime-invoked-function-arn";
/// `/next` response header: the X-Ray trace header.
pub const TRACE_ID: &str = "lambda-runtime-trace-id";
/// `/next` response header: the caller's client context (JSON), synchronous invokes only.
pub const CLIENT_CONTEXT: &str = "lambda-runtime-client-context";
/// `/next` response header: the Cognito identity (JSON).
pub const COGNITO_IDENTITY: &str = "lambda-runtime-cognito-identity";
/// Result header or trailer: the error type.
pub const FUNCTION_ERROR_TYPE: &str = "lambda-runtime-function-error-type";
/// Result trailer: base64 of the error JSON, when a chunked response failed mid-body (aws-lambda-go).
pub const FUNCTION_ERROR_BODY: &str = "lambda-runtime-function-error-body";
/// Result header: `streaming` for streamed responses; absent for buffered ones.
pub const FUNCTION_RESPONSE_MODE: &str = "lambda-runtime-function-response-mode";

/// Extensions API request header: the extension's name.
pub const EXTENSION_NAME: &str = "lambda-extension-name";
/// Extensions API header: the identifier handed out at registration.
pub const EXTENSION_IDENTIFIER: &str = "lambda-extension-identifier";
/// Extensions API response header: the identifier of an event.
pub const EXTENSION_EVENT_IDENTIFIER: &str = "lambda-extension-event-identifier";

/// Largest buffered response or error body a runtime may post (RIE `interop.MaxPayloadSize`:
/// 6 MiB + 100 bytes).
pub const MAX_RESPONSE_BYTES: usize = 6 * 1024 * 1024 + 100;
/// Largest response a runtime may stream to a caller that takes a stream (Lambda's default maximum
/// since 2025-07-31: 200 MB).
pub const MAX_STREAMED_RESPONSE_BYTES: usize = 200 * 1024 * 1024;
/// The start of the error that Rust's `lambda_runtime` (1.5) writes as the last data chunk of a stream
/// that failed (its `to_tailer`), where the other runtimes use trailers.
pub const STREAM_ERROR_CHUNK_PREFIX: &[u8] = b"Lambda-Runtime-Function-Error-Type: ";

/// Most extensions one environment may register.
pub const MAX_EXTENSIONS: usize = 10;

/// The body of every Runtime API error answer.
pub fn error_body(error_type: &str, message: &str) -> String {
    serde_json::json!({ "errorMessage": message, "errorType": error_type }).to_string()
}
