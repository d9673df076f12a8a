//! The route table: method, path, handler. Nothing else.

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post, put};
use axum::{Extension, Router};
use lamina_engine::Engine;

use crate::auth::{ApiConfig, Gate, authenticate};
use crate::operations::code::CodeUrls;
use crate::operations::{account, code, functions, invoke, layers, unsupported};
use crate::request;

/// The Lambda REST API over `engine`: every operation behind SigV4 verification (as `config` says),
/// and the presigned code downloads beside it.
pub fn router(engine: Engine, config: ApiConfig) -> Router {
    let gate = Arc::new(Gate::new(&config));
    let urls = Arc::new(CodeUrls::new(&config.public_endpoint, config.server_key.clone()));
    let lambda = Router::new()
        .route(
            "/2015-03-31/functions",
            post(functions::create).get(functions::list),
        )
        .route("/2015-03-31/functions/", get(functions::list))
        .route(
            "/2015-03-31/functions/{name}",
            get(functions::get).delete(functions::delete),
        )
        .route(
            "/2015-03-31/functions/{name}/configuration",
            get(functions::get_configuration).put(functions::update_configuration),
        )
        .route("/2015-03-31/functions/{name}/code", put(functions::update_code))
        .route("/2015-03-31/functions/{name}/invocations", post(invoke::invoke))
        .route(
            "/2014-11-13/functions/{name}/invoke-async",
            post(invoke::invoke_async),
        )
        .route(
            "/2014-11-13/functions/{name}/invoke-async/",
            post(invoke::invoke_async),
        )
        .route(
            "/2015-03-31/functions/{name}/versions",
            post(functions::publish_version).get(functions::list_versions),
        )
        .route(
            "/2017-10-31/functions/{name}/concurrency",
            put(account::put_concurrency).delete(account::delete_concurrency),
        )
        .route(
            "/2019-09-30/functions/{name}/concurrency",
            get(account::get_concurrency),
        )
        .route("/2016-08-19/account-settings", get(account::settings))
        .route("/2016-08-19/account-settings/", get(account::settings))
        .route(
            "/2017-03-31/tags/{arn}",
            post(account::tag).delete(account::untag).get(account::list_tags),
        )
        .route("/2018-10-31/layers", get(layers::list_or_find))
        .route("/2018-10-31/layers/", get(layers::list_or_find))
        .route(
            "/2018-10-31/layers/{name}/versions",
            post(layers::publish).get(layers::list_versions),
        )
        .route(
            "/2018-10-31/layers/{name}/versions/{version}",
            get(layers::get).delete(layers::delete),
        )
        .fallback(unsupported::fallback)
        .method_not_allowed_fallback(unsupported::fallback)
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
