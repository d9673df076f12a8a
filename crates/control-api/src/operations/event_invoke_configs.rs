//! Put/Update/Get/DeleteFunctionEventInvokeConfig, ListFunctionEventInvokeConfigs.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use lamina_engine::Engine;
use lamina_engine::wire::EventInvokeConfigInput;

use super::{json_response, no_content};
use crate::error::ApiError;
use crate::extract::{CallerScope, Paging, Qualifier};
use crate::request;

pub(crate) async fn put(
    State(engine): State<Engine>,
    CallerScope(scope): CallerScope,
    Path(name): Path<String>,
    Qualifier(qualifier): Qualifier,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let input: EventInvokeConfigInput =
        request::small_json(body, &headers, "PutFunctionEventInvokeConfig").await?;
    let out = engine
        .put_function_event_invoke_config(&scope, &name, qualifier.as_deref(), input)
        .await?;
    Ok(json_response(StatusCode::OK, &out))
}

pub(crate) async fn update(
    State(engine): State<Engine>,
    CallerScope(scope): CallerScope,
    Path(name): Path<String>,
    Qualifier(qualifier): Qualifier,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let input: EventInvokeConfigInput =
        request::small_json(body, &headers, "UpdateFunctionEventInvokeConfig").await?;
    let out = engine
        .update_function_event_invoke_config(&scope, &name, qualifier.as_deref(), input)
        .await?;
    Ok(json_response(StatusCode::OK, &out))
}

pub(crate) async fn get(
    State(engine): State<Engine>,
    CallerScope(scope): CallerScope,
    Path(name): Path<String>,
    Qualifier(qualifier): Qualifier,
) -> Result<Response, ApiError> {
    let out = engine
        .get_function_event_invoke_config(&scope, &name, qualifier.as_deref())
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
        .delete_function_event_invoke_config(&scope, &name, qualifier.as_deref())
        .await?;
    Ok(no_content())
}

pub(crate) async fn list(
    State(engine): State<Engine>,
    CallerScope(scope): CallerScope,
    Path(name): Path<String>,
    paging: Paging,
) -> Result<Response, ApiError> {
    let out = engine
        .list_function_event_invoke_configs(&scope, &name, paging.marker.as_deref(), paging.max_items)
        .await?;
    Ok(json_response(StatusCode::OK, &out))
}
