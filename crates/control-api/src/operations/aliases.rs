//! CreateAlias, GetAlias, UpdateAlias, DeleteAlias, ListAliases.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use lamina_engine::Engine;
use lamina_engine::wire::{CreateAliasInput, UpdateAliasInput};

use super::{json_response, no_content};
use crate::error::ApiError;
use crate::extract::{CallerScope, Paging};
use crate::request::{self, Query};

pub(crate) async fn create(
    State(engine): State<Engine>,
    CallerScope(scope): CallerScope,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let input: CreateAliasInput = request::small_json(body, &headers, "CreateAlias").await?;
    let out = engine.create_alias(&scope, &name, input).await?;
    Ok(json_response(StatusCode::CREATED, &out))
}

pub(crate) async fn get(
    State(engine): State<Engine>,
    CallerScope(scope): CallerScope,
    Path((name, alias)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let out = engine.get_alias(&scope, &name, &alias).await?;
    Ok(json_response(StatusCode::OK, &out))
}

pub(crate) async fn update(
    State(engine): State<Engine>,
    CallerScope(scope): CallerScope,
    Path((name, alias)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let input: UpdateAliasInput = request::small_json(body, &headers, "UpdateAlias").await?;
    let out = engine.update_alias(&scope, &name, &alias, input).await?;
    Ok(json_response(StatusCode::OK, &out))
}

pub(crate) async fn delete(
    State(engine): State<Engine>,
    CallerScope(scope): CallerScope,
    Path((name, alias)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    engine.delete_alias(&scope, &name, &alias).await?;
    Ok(no_content())
}

pub(crate) async fn list(
    State(engine): State<Engine>,
    CallerScope(scope): CallerScope,
    Path(name): Path<String>,
    query: Query,
) -> Result<Response, ApiError> {
    let paging = Paging::of(&query)?;
    let out = engine
        .list_aliases(
            &scope,
            &name,
            query.get("FunctionVersion"),
            paging.marker.as_deref(),
            paging.max_items,
        )
        .await?;
    Ok(json_response(StatusCode::OK, &out))
}
