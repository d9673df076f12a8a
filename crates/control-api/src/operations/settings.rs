//! Get/PutFunctionRecursionConfig, Get/PutRuntimeManagementConfig.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use lamina_engine::Engine;
use lamina_engine::wire::{RecursionConfig, RuntimeManagementInput};

use super::json_response;
use crate::error::ApiError;
use crate::extract::{CallerScope, Qualifier};
use crate::request;

pub(crate) async fn get_recursion(
    State(engine): State<Engine>,
    CallerScope(scope): CallerScope,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    let out = engine.get_function_recursion_config(&scope, &name).await?;
    Ok(json_response(StatusCode::OK, &out))
}

pub(crate) async fn put_recursion(
    State(engine): State<Engine>,
    CallerScope(scope): CallerScope,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let input: RecursionConfig = request::small_json(body, &headers, "PutFunctionRecursionConfig").await?;
    let out = engine.put_function_recursion_config(&scope, &name, input).await?;
    Ok(json_response(StatusCode::OK, &out))
}

pub(crate) async fn get_runtime_management(
    State(engine): State<Engine>,
    CallerScope(scope): CallerScope,
    Path(name): Path<String>,
    Qualifier(qualifier): Qualifier,
) -> Result<Response, ApiError> {
    let out = engine
        .get_runtime_management_config(&scope, &name, qualifier.as_deref())
        .await?;
    Ok(json_response(StatusCode::OK, &out))
}

pub(crate) async fn put_runtime_management(
    State(engine): State<Engine>,
    CallerScope(scope): CallerScope,
    Path(name): Path<String>,
    Qualifier(qualifier): Qualifier,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let input: RuntimeManagementInput =
        request::small_json(body, &headers, "PutRuntimeManagementConfig").await?;
    let out = engine
        .put_runtime_management_config(&scope, &name, qualifier.as_deref(), input)
        .await?;
    Ok(json_response(StatusCode::OK, &out))
}
