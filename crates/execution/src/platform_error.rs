//! The error payloads Lambda itself produces when an invocation fails outside the function's code,
//! with the exact types and messages the wire reference records (section 4.3 of the Runtime API notes,
//! section 9 of the control-plane notes). Each is delivered to a synchronous caller as status 200 with
//! `X-Amz-Function-Error: Unhandled`.

use bytes::Bytes;

/// A platform error: its `errorType` and `errorMessage`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlatformError {
    /// `errorType`, e.g. `Sandbox.Timedout`.
    pub error_type: &'static str,
    /// `errorMessage`.
    pub message: String,
}

impl PlatformError {
    /// The JSON payload (`errorType` first, as current Lambda renders it).
    pub fn payload(&self) -> Bytes {
        let mut out = String::from("{\"errorType\":");
        out.push_str(&serde_json::Value::from(self.error_type).to_string());
        out.push_str(",\"errorMessage\":");
        out.push_str(&serde_json::Value::from(self.message.as_str()).to_string());
        out.push('}');
        Bytes::from(out)
    }
}

/// The invocation ran past the function's timeout.
pub fn timed_out(request_id: &str, timeout_s: u32) -> PlatformError {
    PlatformError {
        error_type: "Sandbox.Timedout",
        message: format!("RequestId: {request_id} Error: Task timed out after {timeout_s}.00 seconds"),
    }
}

/// The runtime process ended during the invocation (or its init). `exit` is how it ended, in Go's
/// `exec.ExitError` words: `exit status 1`, `signal: killed`; `None` when it exited with status 0.
pub fn runtime_exited(request_id: &str, exit: Option<&str>) -> PlatformError {
    let message = match exit {
        Some(how) => format!("RequestId: {request_id} Error: Runtime exited with error: {how}"),
        None => format!("RequestId: {request_id} Error: Runtime exited without providing a reason"),
    };
    PlatformError {
        error_type: "Runtime.ExitError",
        message,
    }
}

/// The environment ran out of memory during the invocation: its cgroup's OOM killer ended the runtime.
pub fn out_of_memory(request_id: &str) -> PlatformError {
    PlatformError {
        error_type: "Runtime.OutOfMemory",
        message: format!("RequestId: {request_id} Error: Runtime exited with error: signal: killed"),
    }
}

/// The bootstrap could not be started. `reason` is the `fork/exec` error or the lookup failure.
pub fn invalid_entrypoint(request_id: &str, reason: &str) -> PlatformError {
    PlatformError {
        error_type: "Runtime.InvalidEntrypoint",
        message: format!("RequestId: {request_id} Error: {reason}"),
    }
}

/// The function's runtime is not one lamina starts (Lambda has no such error: lamina's own, named like
/// Lambda's platform errors). `why` says which runtimes lamina runs.
pub fn unsupported_runtime(request_id: &str, why: &str) -> PlatformError {
    PlatformError {
        error_type: "Runtime.Unsupported",
        message: format!("RequestId: {request_id} Error: {why}"),
    }
}

/// The runtime posted a response larger than Lambda accepts (`limit` bytes: 6 MB buffered, 200 MB
/// streamed).
pub fn response_too_large(limit: usize) -> PlatformError {
    PlatformError {
        error_type: "Function.ResponseSizeTooLarge",
        message: format!("Response payload size exceeded maximum allowed payload size ({limit} bytes)."),
    }
}

/// The runtime's chunked response ended before its last chunk.
pub fn truncated_response(request_id: &str) -> PlatformError {
    PlatformError {
        error_type: "Runtime.TruncatedResponse",
        message: format!("RequestId: {request_id} Error: Runtime response was truncated"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_recorded_payloads() {
        assert_eq!(
            timed_out("abc", 1).payload(),
            r#"{"errorType":"Sandbox.Timedout","errorMessage":"RequestId: abc Error: Task timed out after 1.00 seconds"}"#
        );
        assert_eq!(
            runtime_exited("abc", None).payload(),
            r#"{"errorType":"Runtime.ExitError","errorMessage":"RequestId: abc Error: Runtime exited without providing a reason"}"#
        );
        assert_eq!(
            runtime_exited("abc", Some("exit status 127")).message,
            "RequestId: abc Error: Runtime exited with error: exit status 127"
        );
        assert_eq!(
            out_of_memory("abc").payload(),
            r#"{"errorType":"Runtime.OutOfMemory","errorMessage":"RequestId: abc Error: Runtime exited with error: signal: killed"}"#
        );
        assert_eq!(
            response_too_large(lamina_runtime_api::wire::MAX_RESPONSE_BYTES).payload(),
            r#"{"errorType":"Function.ResponseSizeTooLarge","errorMessage":"Response payload size exceeded maximum allowed payload size (6291556 bytes)."}"#
        );
    }
}
