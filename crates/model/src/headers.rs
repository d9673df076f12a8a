//! The HTTP header names of the Lambda API that lamina reads or writes, lower-case as HTTP/2 and the
//! `http` crate spell them (HTTP header names are case-insensitive).

/// `RequestResponse` (default), `Event` or `DryRun` (Invoke's request).
pub const INVOCATION_TYPE: &str = "x-amz-invocation-type";
/// `Tail` asks for the last 4 KB of the invocation's log (Invoke's request).
pub const LOG_TYPE: &str = "x-amz-log-type";
/// Base64 JSON passed to the function as its client context (Invoke's request).
pub const CLIENT_CONTEXT: &str = "x-amz-client-context";
/// The version that ran (Invoke's answer).
pub const EXECUTED_VERSION: &str = "x-amz-executed-version";
/// `Unhandled` when the function returned an error (Invoke's answer).
pub const FUNCTION_ERROR: &str = "x-amz-function-error";
/// The base64 log tail asked for with [`LOG_TYPE`] (Invoke's answer).
pub const LOG_RESULT: &str = "x-amz-log-result";
/// The request id of every answer.
pub const REQUEST_ID: &str = "x-amzn-requestid";
/// An error answer's code (`ResourceNotFoundException`, ...), read by the SDKs.
pub const ERROR_TYPE: &str = "x-amzn-errortype";
/// lamina's own: one line per finding about a package the server accepted (CreateFunction,
/// UpdateFunctionCode, PublishLayerVersion), so that clients can show what would fail on Lambda.
pub const LAMINA_WARNINGS: &str = "x-lamina-warnings";
