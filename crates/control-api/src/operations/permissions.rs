//! AddPermission, RemovePermission, GetPolicy, and the layer version ones: AddLayerVersionPermission,
//! RemoveLayerVersionPermission, GetLayerVersionPolicy.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use lamina_engine::Engine;
use lamina_engine::wire::{AddLayerVersionPermissionInput, AddPermissionInput};

use super::layers::version_label;
use super::{json_response, no_content};
use crate::error::ApiError;
use crate::extract::{CallerScope, Qualifier};
use crate::request::{self, Query};

pub(crate) async fn add(
    State(engine): State<Engine>,
    CallerScope(scope): CallerScope,
    Path(name): Path<String>,
    Qualifier(qualifier): Qualifier,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let input: AddPermissionInput = request::small_json(body, &headers, "AddPermission").await?;
    let out = engine
        .add_permission(&scope, &name, qualifier.as_deref(), input)
        .await?;
    Ok(json_response(StatusCode::CREATED, &out))
}

pub(crate) async fn remove(
    State(engine): State<Engine>,
    CallerScope(scope): CallerScope,
    Path((name, sid)): Path<(String, String)>,
    Qualifier(qualifier): Qualifier,
    query: Query,
) -> Result<Response, ApiError> {
    engine
        .remove_permission(&scope, &name, &sid, qualifier.as_deref(), query.get("RevisionId"))
        .await?;
    Ok(no_content())
}

pub(crate) async fn get(
    State(engine): State<Engine>,
    CallerScope(scope): CallerScope,
    Path(name): Path<String>,
    Qualifier(qualifier): Qualifier,
) -> Result<Response, ApiError> {
    let out = engine.get_policy(&scope, &name, qualifier.as_deref()).await?;
    Ok(json_response(StatusCode::OK, &out))
}

pub(crate) async fn add_layer(
    State(engine): State<Engine>,
    CallerScope(scope): CallerScope,
    Path((name, version)): Path<(String, String)>,
    query: Query,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let input: AddLayerVersionPermissionInput =
        request::small_json(body, &headers, "AddLayerVersionPermission").await?;
    let out = engine
        .add_layer_version_permission(
            &scope,
            &name,
            version_label(&version)?,
            query.get("RevisionId"),
            input,
        )
        .await?;
    Ok(json_response(StatusCode::CREATED, &out))
}

pub(crate) async fn remove_layer(
    State(engine): State<Engine>,
    CallerScope(scope): CallerScope,
    Path((name, version, sid)): Path<(String, String, String)>,
    query: Query,
) -> Result<Response, ApiError> {
    engine
        .remove_layer_version_permission(
            &scope,
            &name,
            version_label(&version)?,
            &sid,
            query.get("RevisionId"),
        )
        .await?;
    Ok(no_content())
}

pub(crate) async fn get_layer(
    State(engine): State<Engine>,
    CallerScope(scope): CallerScope,
    Path((name, version)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let out = engine
        .get_layer_version_policy(&scope, &name, version_label(&version)?)
        .await?;
    Ok(json_response(StatusCode::OK, &out))
}
