//! aws-lambda-go bootstraps: results, errors, panics, limits, trailers and its SIGTERM extension.

use lamina_runtime_api::{Invocation, Lifecycle, Outcome};

use crate::util::{ARN, Environment, function_error, go_bootstrap, repo_root, response_text};

async fn start(name: &str) -> Environment {
    Environment::start(&go_bootstrap(name), &[], &repo_root()).await
}

#[tokio::test]
async fn echoes_events_byte_for_byte_and_stays_warm() {
    let env = start("echo").await;
    for (i, payload) in [r#"{"a":1}"#, r#"[1,2,3]"#, r#""text""#].iter().enumerate() {
        let outcome = env.invoke(&format!("req-{i}"), payload).await;
        assert_eq!(response_text(&outcome), *payload);
        if let Outcome::Response { content_type, .. } = &outcome {
            assert_eq!(content_type.as_deref(), Some("application/json"));
        }
    }
    assert_eq!(*env.api.lifecycle().borrow(), Lifecycle::Ready);
}

#[tokio::test]
async fn passes_the_invocation_context() {
    let env = start("context").await;
    let mut invocation = Invocation::new(
        "8476a536-e9f4-11e8-9739-2dfe598c3fcd",
        b"{}".to_vec(),
        &format!("{ARN}:7"),
    );
    invocation.deadline_ms = 4_102_444_800_000; // 2100-01-01
    invocation.trace_id =
        Some("Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1".into());
    invocation.client_context = Some(r#"{"client":{},"custom":{"tenant":"blue"},"env":{}}"#.into());
    let report: serde_json::Value =
        serde_json::from_str(&response_text(&env.invoke_with(invocation).await)).expect("JSON");
    assert_eq!(report["requestId"], "8476a536-e9f4-11e8-9739-2dfe598c3fcd");
    assert_eq!(report["invokedFunctionArn"], format!("{ARN}:7"));
    assert_eq!(report["deadlineMs"], 4_102_444_800_000_i64);
    assert_eq!(report["functionName"], "fixture");
    assert_eq!(report["functionVersion"], "$LATEST");
    assert_eq!(report["memoryLimitInMB"], 128);
    assert_eq!(report["clientContextCustom"]["tenant"], "blue");
    assert!(
        report["traceId"]
            .as_str()
            .is_some_and(|t| t.starts_with("Root=1-5bef4de7")),
        "{report}"
    );
}

#[tokio::test]
async fn returned_errors_are_function_errors_and_the_runtime_lives_on() {
    let env = start("fail").await;
    for i in 0..2 {
        let (error, error_type) = function_error(&env.invoke(&format!("req-{i}"), "{}").await);
        assert_eq!(error_type, "errorString");
        assert_eq!(error["errorMessage"], "boom");
        assert_eq!(error["errorType"], "errorString");
    }
}

#[tokio::test]
async fn panics_are_reported_then_the_runtime_exits() {
    let mut env = start("panic").await;
    let (error, _) = function_error(&env.invoke("req-1", "{}").await);
    assert_eq!(error["errorMessage"], "something went very wrong");
    assert!(
        error["stackTrace"].as_array().is_some_and(|s| !s.is_empty()),
        "{error}"
    );
    let status = env.exit_status().await;
    assert!(!status.success(), "aws-lambda-go exits after a panic: {status}");
}

#[tokio::test]
async fn responses_up_to_the_limit_pass_and_larger_ones_are_refused() {
    let limit = lamina_runtime_api::wire::MAX_RESPONSE_BYTES;
    let env = start("large").await;
    // A JSON string of n characters is n + 2 bytes.
    let body = response_text(&env.invoke("fits", &format!(r#"{{"size":{}}}"#, limit - 2)).await);
    assert_eq!(body.len(), limit);

    let mut env = start("large").await;
    let outcome = env
        .invoke("too-big", &format!(r#"{{"size":{}}}"#, limit - 1))
        .await;
    assert_eq!(outcome, Outcome::ResponseTooLarge);
    // aws-lambda-go treats the 413 as fatal.
    assert!(!env.exit_status().await.success());
    assert!(env.output().contains("413"), "{}", env.output());
}

#[tokio::test]
async fn errors_in_chunked_trailers_become_function_errors() {
    let env = start("readererr").await;
    let (error, error_type) = function_error(&env.invoke("req-1", "{}").await);
    assert_eq!(error_type, "errorString", "{error}");
    assert_eq!(error["errorMessage"], "the stream broke");
}

#[tokio::test]
async fn the_sigterm_extension_registers_and_holds_init_until_it_polls() {
    let env = start("sigterm").await;
    assert_eq!(env.wait_initialized().await, Lifecycle::Ready);
    assert!(
        env.api.has_extensions(),
        "WithEnableSIGTERM registers an internal extension"
    );
    assert_eq!(response_text(&env.invoke("req-1", "{}").await), r#""ok""#);
    env.signal("TERM");
    tokio::time::timeout(std::time::Duration::from_secs(10), async {
        while !env.output().contains("got SIGTERM") {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("no SIGTERM handler ran: {}", env.output()));
}
