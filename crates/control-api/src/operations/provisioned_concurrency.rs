//! Put/Get/DeleteProvisionedConcurrencyConfig, ListProvisionedConcurrencyConfigs (Get's path and method
//! with `List=ALL`).

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use lamina_engine::Engine;
use lamina_engine::wire::PutProvisionedConcurrencyInput;

use super::{json_response, no_content};
use crate::error::ApiError;
use crate::extract::{CallerScope, Paging, Qualifier};
use crate::request::{self, Query};

pub(crate) async fn put(
    State(engine): State<Engine>,
    CallerScope(scope): CallerScope,
    Path(name): Path<String>,
    Qualifier(qualifier): Qualifier,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let input: PutProvisionedConcurrencyInput =
        request::small_json(body, &headers, "PutProvisionedConcurrencyConfig").await?;
    let out = engine
        .put_provisioned_concurrency_config(&scope, &name, qualifier.as_deref(), input)
        .await?;
    Ok(json_response(StatusCode::ACCEPTED, &out))
}

pub(crate) async fn get_or_list(
    State(engine): State<Engine>,
    CallerScope(scope): CallerScope,
    Path(name): Path<String>,
    Qualifier(qualifier): Qualifier,
    query: Query,
) -> Result<Response, ApiError> {
    if query.get("List") == Some("ALL") {
        let paging = Paging::of(&query)?;
        let out = engine
            .list_provisioned_concurrency_configs(&scope, &name, paging.marker.as_deref(), paging.max_items)
            .await?;
        return Ok(json_response(StatusCode::OK, &out));
    }
    let out = engine
        .get_provisioned_concurrency_config(&scope, &name, qualifier.as_deref())
        .await?;
    Ok(json_response(StatusCode::OK, &out))
}

pub(crate) async fn delete(
    State(engine): State<Engine>,
    CallerScope(scope): CallerScope,
    Path(name): Path<String>,
    Qualifier(qualifier): Qualifier,
) -> Result<Response, ApiError> {
    engine
        .delete_provisioned_concurrency_config(&scope, &name, qualifier.as_deref())
        .await?;
    Ok(no_content())
}
