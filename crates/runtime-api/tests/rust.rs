//! A bootstrap built with AWS's Rust runtime, `lambda_runtime`.

use crate::util::{Environment, function_error, repo_root, response_text, rust_bootstrap};

#[tokio::test]
async fn echoes_and_reports_errors() {
    let env = Environment::start(&rust_bootstrap(), &[], &repo_root()).await;
    let reply: serde_json::Value =
        serde_json::from_str(&response_text(&env.invoke("req-1", r#"{"x":1}"#).await)).expect("JSON");
    assert_eq!(reply["event"]["x"], 1);
    assert_eq!(reply["requestId"], "req-1");
    assert_eq!(reply["functionName"], "fixture");

    let (error, error_type) = function_error(&env.invoke("req-2", r#"{"fail":true}"#).await);
    assert_eq!(error["errorMessage"], "asked to fail");
    assert!(!error_type.is_empty());
    // The runtime carries on after a handler error.
    let reply = response_text(&env.invoke("req-3", r#"{"x":2}"#).await);
    assert!(reply.contains(r#""x":2"#), "{reply}");
}
