//! Create/Get/Update/Delete/ListCodeSigningConfigs, Put/Get/DeleteFunctionCodeSigningConfig,
//! ListFunctionsByCodeSigningConfig.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use lamina_engine::Engine;
use lamina_engine::wire::{CodeSigningConfigInput, FunctionCodeSigningInput};

use super::{json_response, no_content};
use crate::error::ApiError;
use crate::extract::{CallerScope, Paging};
use crate::request;

pub(crate) async fn create(
    State(engine): State<Engine>,
    CallerScope(scope): CallerScope,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let input: CodeSigningConfigInput =
        request::small_json(body, &headers, "CreateCodeSigningConfig").await?;
    let out = engine.create_code_signing_config(&scope, input).await?;
    Ok(json_response(StatusCode::CREATED, &out))
}

pub(crate) async fn get(
    State(engine): State<Engine>,
    CallerScope(scope): CallerScope,
    Path(arn): Path<String>,
) -> Result<Response, ApiError> {
    let out = engine.get_code_signing_config(&scope, &arn).await?;
    Ok(json_response(StatusCode::OK, &out))
}

pub(crate) async fn update(
    State(engine): State<Engine>,
    CallerScope(scope): CallerScope,
    Path(arn): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let input: CodeSigningConfigInput =
        request::small_json(body, &headers, "UpdateCodeSigningConfig").await?;
    let out = engine.update_code_signing_config(&scope, &arn, input).await?;
    Ok(json_response(StatusCode::OK, &out))
}

pub(crate) async fn delete(
    State(engine): State<Engine>,
    CallerScope(scope): CallerScope,
    Path(arn): Path<String>,
) -> Result<Response, ApiError> {
    engine.delete_code_signing_config(&scope, &arn).await?;
    Ok(no_content())
}

pub(crate) async fn list(
    State(engine): State<Engine>,
    CallerScope(scope): CallerScope,
    paging: Paging,
) -> Result<Response, ApiError> {
    let out = engine
        .list_code_signing_configs(&scope, paging.marker.as_deref(), paging.max_items)
        .await?;
    Ok(json_response(StatusCode::OK, &out))
}

pub(crate) async fn list_functions(
    State(engine): State<Engine>,
    CallerScope(scope): CallerScope,
    Path(arn): Path<String>,
    paging: Paging,
) -> Result<Response, ApiError> {
    let out = engine
        .list_functions_by_code_signing_config(&scope, &arn, paging.marker.as_deref(), paging.max_items)
        .await?;
    Ok(json_response(StatusCode::OK, &out))
}

pub(crate) async fn put_function(
    State(engine): State<Engine>,
    CallerScope(scope): CallerScope,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let input: FunctionCodeSigningInput =
        request::small_json(body, &headers, "PutFunctionCodeSigningConfig").await?;
    let out = engine
        .put_function_code_signing_config(&scope, &name, input)
        .await?;
    Ok(json_response(StatusCode::OK, &out))
}

pub(crate) async fn get_function(
    State(engine): State<Engine>,
    CallerScope(scope): CallerScope,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    let out = engine.get_function_code_signing_config(&scope, &name).await?;
    Ok(json_response(StatusCode::OK, &out))
}

pub(crate) async fn delete_function(
    State(engine): State<Engine>,
    CallerScope(scope): CallerScope,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    engine.delete_function_code_signing_config(&scope, &name).await?;
    Ok(no_content())
}
