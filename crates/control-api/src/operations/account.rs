//! Put/Get/DeleteFunctionConcurrency, GetAccountSettings, TagResource/UntagResource/ListTags.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use lamina_engine::Engine;
use lamina_engine::wire::{PutConcurrencyInput, TagResourceInput};

use super::{json_response, no_content};
use crate::error::ApiError;
use crate::extract::CallerScope;
use crate::request::{self, Query};

pub(crate) async fn put_concurrency(
    State(engine): State<Engine>,
    CallerScope(scope): CallerScope,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let input: PutConcurrencyInput = request::small_json(body, &headers, "PutFunctionConcurrency").await?;
    let out = engine.put_function_concurrency(&scope, &name, input).await?;
    Ok(json_response(StatusCode::OK, &out))
}

pub(crate) async fn get_concurrency(
    State(engine): State<Engine>,
    CallerScope(scope): CallerScope,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    let out = engine.get_function_concurrency(&scope, &name).await?;
    Ok(json_response(StatusCode::OK, &out))
}

pub(crate) async fn delete_concurrency(
    State(engine): State<Engine>,
    CallerScope(scope): CallerScope,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    engine.delete_function_concurrency(&scope, &name).await?;
    Ok(no_content())
}

pub(crate) async fn settings(
    State(engine): State<Engine>,
    CallerScope(scope): CallerScope,
) -> Result<Response, ApiError> {
    let out = engine.account_settings(&scope).await?;
    Ok(json_response(StatusCode::OK, &out))
}

pub(crate) async fn tag(
    State(engine): State<Engine>,
    CallerScope(scope): CallerScope,
    Path(arn): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let input: TagResourceInput = request::small_json(body, &headers, "TagResource").await?;
    engine.tag_resource(&scope, &arn, input).await?;
    Ok(no_content())
}

pub(crate) async fn untag(
    State(engine): State<Engine>,
    CallerScope(scope): CallerScope,
    Path(arn): Path<String>,
    query: Query,
) -> Result<Response, ApiError> {
    engine.untag_resource(&scope, &arn, query.all("tagKeys")).await?;
    Ok(no_content())
}

pub(crate) async fn list_tags(
    State(engine): State<Engine>,
    CallerScope(scope): CallerScope,
    Path(arn): Path<String>,
) -> Result<Response, ApiError> {
    let out = engine.list_tags(&scope, &arn).await?;
    Ok(json_response(StatusCode::OK, &out))
}
