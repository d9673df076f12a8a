//! Handlers run by Python's `awslambdaric` (which needs `Content-Type: application/json` on `/next` to
//! decode the event, and crashes without one).

use crate::util::{Environment, function_error, repo_root, response_text, venv_python};

#[tokio::test]
async fn decodes_json_events_and_reports_exceptions() {
    let fixtures = repo_root().join("tests/fixtures/python");
    let env = Environment::start(&venv_python(), &["-m", "awslambdaric", "app.echo"], &fixtures).await;
    let reply: serde_json::Value =
        serde_json::from_str(&response_text(&env.invoke("req-1", r#"{"value":3}"#).await)).expect("JSON");
    assert_eq!(
        reply["event"]["value"], 3,
        "the event arrives decoded, not as bytes: {reply}"
    );
    assert_eq!(reply["requestId"], "req-1");

    let env = Environment::start(&venv_python(), &["-m", "awslambdaric", "app.fail"], &fixtures).await;
    let (error, error_type) = function_error(&env.invoke("req-2", r#"{"value":3}"#).await);
    assert_eq!(error_type, "ValueError");
    assert_eq!(error["errorMessage"], "bad value: 3");
    assert_eq!(error["requestId"], "req-2");
}

#[tokio::test]
async fn an_import_error_is_an_init_error() {
    let fixtures = repo_root().join("tests/fixtures/python");
    let mut env = Environment::start(
        &venv_python(),
        &["-m", "awslambdaric", "nosuchmodule.handler"],
        &fixtures,
    )
    .await;
    match env.wait_initialized().await {
        lamina_runtime_api::Lifecycle::InitFailed(report) => {
            assert_eq!(report.error_type, "Runtime.ImportModuleError");
            let body: serde_json::Value = serde_json::from_slice(&report.body).expect("JSON");
            assert!(
                body["errorMessage"]
                    .as_str()
                    .is_some_and(|m| m.contains("nosuchmodule")),
                "{body}"
            );
        }
        other => panic!("expected an init error, got {other:?}"),
    }
    assert!(!env.exit_status().await.success());
}
