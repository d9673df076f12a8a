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
