//! The Lambda API (lamina-control-api) as a client reaches it: the whole router over an engine in a
//! temporary directory, with `--auth none`, answering a sequence of up to four arbitrary requests (any
//! method, path, query, headers and body; the seeds are real Lambda API requests). What must hold: no
//! panic; every request is answered within a minute (of virtual time: the runtime's clock is paused, see
//! `lamina_fuzz::paused_runtime`); every answer carries `x-amzn-RequestId`, and an error answer carries
//! its `x-amzn-ErrorType`; bad input is never answered with a 500.
//!
//! Requests that would run function code (`/invocations`) are left out: running a bootstrap is not
//! request parsing, and it would make each run slow and dependent on the host.
#![no_main]

use std::time::Duration;

use lamina_engine::{Engine, EngineConfig};
use libfuzzer_sys::fuzz_target;
use tower::ServiceExt;

struct App {
    runtime: tokio::runtime::Runtime,
    router: axum::Router,
    _dir: tempfile::TempDir,
}

fn app() -> App {
    let dir = tempfile::tempdir().expect("tempdir");
    let runtime = lamina_fuzz::paused_runtime();
    let router = runtime.block_on(async {
        let engine = Engine::open(EngineConfig {
            // Nothing listens there: S3 code locations fail at once.
            s3_endpoint_url: Some("http://127.0.0.1:9".into()),
            ..EngineConfig::new(dir.path().to_path_buf())
        })
        .expect("engine");
        let config = lamina_control_api::ApiConfig {
            authentication: lamina_control_api::Authentication::None,
            default_account: "000000000000".into(),
            public_endpoint: "http://lamina.test:9001".into(),
            server_key: lamina_auth::ServerKey::from_secret("fuzz"),
            uploads: lamina_control_api::Uploads::new(dir.path().join("spool")),
        };
        lamina_control_api::router(engine, config)
    });
    App {
        runtime,
        router,
        _dir: dir,
    }
}

thread_local! {
    // One engine for the whole run: opening one per input would cost more than the requests. State
    // (functions created by earlier inputs) carries over, as it does on a server.
    static APP: App = app();
}

fuzz_target!(|data: &[u8]| {
    let requests: Vec<_> = lamina_fuzz::requests(data, 4)
        .into_iter()
        .filter(|r| !r.uri().path().contains("invocations"))
        .collect();
    if requests.is_empty() {
        return;
    }
    APP.with(|app| {
        app.runtime.block_on(async {
            for request in requests {
                let what = format!("{} {}", request.method(), request.uri());
                let response =
                    tokio::time::timeout(Duration::from_secs(60), app.router.clone().oneshot(request))
                        .await
                        .unwrap_or_else(|_| panic!("{what}: no answer within a minute"))
                        .expect("the router is infallible");
                let status = response.status();
                assert!(
                    response.headers().contains_key("x-amzn-requestid"),
                    "{what}: {status} without x-amzn-RequestId"
                );
                assert_ne!(status, http::StatusCode::INTERNAL_SERVER_ERROR, "{what}: 500");
                if status.is_client_error() {
                    assert!(
                        response.headers().contains_key("x-amzn-errortype"),
                        "{what}: {status} without x-amzn-ErrorType"
                    );
                }
                let _ = axum::body::to_bytes(response.into_body(), 1 << 26).await;
            }
        })
    });
});
