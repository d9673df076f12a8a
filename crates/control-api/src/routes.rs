//! The router: the Lambda API built from the operation table ([`crate::surface::OPERATIONS`]), behind
//! SigV4 verification, and the presigned code downloads beside it.

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, Request};
use axum::routing::{MethodFilter, get};
use axum::{Extension, Router};
use lamina_engine::Engine;

use crate::auth::{ApiConfig, Gate, authenticate};
use crate::error::ApiError;
use crate::operations::code::{self, CodeUrls};
use crate::request::{self, Query};
use crate::surface::{Answer, OPERATIONS, operation_at};

/// The Lambda REST API over `engine`: every operation behind SigV4 verification (as `config` says),
/// and the presigned code downloads beside it.
pub fn router(engine: Engine, config: ApiConfig) -> Router {
    let gate = Arc::new(Gate::new(&config));
    let urls = Arc::new(CodeUrls::new(&config.public_endpoint, config.server_key.clone()));
    let lambda = served_operations()
        .fallback(unserved)
        .method_not_allowed_fallback(unserved)
        .layer(axum::middleware::from_fn_with_state(gate, authenticate));
    // Downloads carry their own authentication (the presigned query), checked by the handler.
    let downloads = Router::new().route(code::DOWNLOAD_ROUTE, get(code::download));
    lambda
        .merge(downloads)
        .layer(Extension(urls))
        // Bodies are read by the handlers themselves, with the limits AWS applies per operation.
        .layer(DefaultBodyLimit::disable())
        .layer(axum::middleware::from_fn(request::request_id))
        .with_state(engine)
}

/// One route per operation lamina serves, at its method and path(s).
fn served_operations() -> Router<Engine> {
    let mut routes = Router::new();
    for operation in OPERATIONS {
        let Answer::Handler(handler) = operation.answer else {
            continue;
        };
        let method = MethodFilter::try_from(operation.method.clone())
            .expect("the operation table names only standard methods");
        for path in operation.route_paths() {
            routes = routes.route(&path, handler(method));
        }
    }
    routes
}

/// Every request no route takes: an operation of the service model that lamina does not serve yet is a
/// 400 naming it (SDKs do not retry 4xx); anything else a 404.
async fn unserved(request: Request) -> ApiError {
    let method = request.method().as_str().to_owned();
    let path = request.uri().path().to_owned();
    let query = Query::parse(request.uri().query());
    match operation_at(&method, &path, &query) {
        Some(operation) if matches!(operation.answer, Answer::Unsupported) => ApiError::Unsupported {
            operation: operation.name,
            method,
            path,
        },
        _ => ApiError::UnknownOperation { method, path },
    }
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;

    use super::*;

    /// The operation's URI with every label filled, its query kept, and a trailing slash if asked for.
    fn example_uri(uri: &str, trailing_slash: bool) -> String {
        let (path, query) = uri.split_once('?').map_or((uri, None), |(p, q)| (p, Some(q)));
        let mut filled: String = path
            .split('/')
            .map(|segment| if segment.starts_with('{') { "x" } else { segment })
            .collect::<Vec<_>>()
            .join("/");
        if trailing_slash {
            filled.push('/');
        }
        match query {
            Some(query) => format!("{filled}?{query}"),
            None => filled,
        }
    }

    #[tokio::test]
    async fn every_operation_is_answered_as_the_table_says() {
        let dir = tempfile::tempdir().expect("tempdir");
        let engine =
            Engine::open(lamina_engine::EngineConfig::new(dir.path().to_path_buf())).expect("engine");
        let router = router(
            engine,
            ApiConfig {
                authentication: crate::Authentication::None,
                default_account: "000000000000".into(),
                public_endpoint: "http://lamina.test:9001".into(),
                server_key: lamina_auth::ServerKey::load_or_create(&dir.path().join("server-key"))
                    .expect("key"),
                uploads: crate::Uploads::new(dir.path().join("spool")),
            },
        );
        for operation in OPERATIONS {
            let slash_variants: &[bool] = if operation.route_paths().len() == 2 {
                &[false, true]
            } else {
                &[false]
            };
            for &trailing_slash in slash_variants {
                let uri = example_uri(operation.uri, trailing_slash);
                let request = Request::builder()
                    .method(operation.method.clone())
                    .uri(&uri)
                    .body(Body::empty())
                    .expect("request");
                let response = router.clone().oneshot(request).await.expect("response");
                let code = response
                    .headers()
                    .get("x-amzn-errortype")
                    .map(|v| v.to_str().expect("ascii").to_owned());
                let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
                    .await
                    .expect("body");
                let body = String::from_utf8_lossy(&bytes);
                let what = format!("{} ({} {uri})", operation.name, operation.method);
                match operation.answer {
                    Answer::Unsupported => {
                        assert_eq!(code.as_deref(), Some("UnsupportedOperationException"), "{what}");
                        assert!(body.contains(operation.name), "{what}: {body}");
                    }
                    Answer::Handler(_) | Answer::SharedRoute => assert!(
                        !matches!(
                            code.as_deref(),
                            Some("UnsupportedOperationException" | "UnknownOperationException")
                        ),
                        "{what} reached no handler: {body}"
                    ),
                }
            }
        }
    }
}
