//! The Runtime and Extensions API (lamina-runtime-api) of one environment: a fresh environment with one
//! invocation (`req-1`) waiting, answering a sequence of up to six arbitrary requests (the seeds are what
//! aws-lambda-go, awslambdaric and the extensions send). What must hold: no panic; every request but the
//! long polls (`/invocation/next`, `/extension/event/next`) is answered within a minute of virtual time
//! (the runtime's clock is paused, see `lamina_fuzz::paused_runtime`); no answer is a 500; a `/next`
//! that answers 200 says `Content-Type: application/json` (awslambdaric needs it).
#![no_main]

use std::time::Duration;

use lamina_runtime_api::{EnvironmentInfo, Invocation, RuntimeApi};
use libfuzzer_sys::fuzz_target;
use tower::ServiceExt;

thread_local! {
    static RUNTIME: tokio::runtime::Runtime = lamina_fuzz::paused_runtime();
}

fuzz_target!(|data: &[u8]| {
    let requests = lamina_fuzz::requests(data, 6);
    if requests.is_empty() {
        return;
    }
    RUNTIME.with(|runtime| {
        runtime.block_on(async {
            let api = RuntimeApi::new(EnvironmentInfo::new("hello", "$LATEST", "bootstrap"));
            let invoke = tokio::spawn({
                let api = api.clone();
                async move {
                    api.invoke(Invocation::new(
                        "req-1",
                        br#"{"name":"lamina"}"#.to_vec(),
                        "arn:aws:lambda:us-east-1:000000000000:function:hello",
                    ))
                    .await
                }
            });
            let router = lamina_runtime_api::router(api.clone());
            for request in requests {
                let path = request.uri().path().to_owned();
                let what = format!("{} {}", request.method(), request.uri());
                let long_poll = path.ends_with("/next");
                let Ok(answer) =
                    tokio::time::timeout(Duration::from_secs(60), router.clone().oneshot(request)).await
                else {
                    assert!(long_poll, "{what}: no answer within a minute");
                    continue;
                };
                let response = answer.expect("the router is infallible");
                let status = response.status();
                assert_ne!(status, http::StatusCode::INTERNAL_SERVER_ERROR, "{what}: 500");
                if path == "/2018-06-01/runtime/invocation/next" && status == http::StatusCode::OK {
                    assert_eq!(
                        response
                            .headers()
                            .get(http::header::CONTENT_TYPE)
                            .map(|v| v.as_bytes()),
                        Some(&b"application/json"[..]),
                        "{what}: 200 without Content-Type: application/json"
                    );
                }
                let _ = tokio::time::timeout(
                    Duration::from_secs(60),
                    axum::body::to_bytes(response.into_body(), 1 << 24),
                )
                .await;
            }
            api.abandon();
            invoke.abort();
            let _ = invoke.await;
        })
    });
});
