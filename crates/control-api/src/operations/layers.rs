//! PublishLayerVersion, GetLayerVersion, GetLayerVersionByArn, ListLayers, ListLayerVersions,
//! DeleteLayerVersion.

use std::borrow::Cow;

use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use lamina_engine::Engine;
use lamina_engine::wire::PublishLayerVersionInput;
use serde::Deserialize;

use super::code::location;
use super::functions::{Borrowed, ZipOnly, package_request};
use super::{json_response, no_content, with_warnings};
use crate::error::ApiError;
use crate::request::{self, Query};

#[derive(Deserialize)]
struct PublishZip<'a> {
    #[serde(rename = "Content", borrow)]
    content: Option<ZipOnly<'a>>,
}

/// PublishLayerVersion's `Content.ZipFile`, borrowed from the body.
fn content_zip(body: &[u8]) -> Option<Cow<'_, str>> {
    serde_json::from_slice::<PublishZip<'_>>(body)
        .ok()?
        .content?
        .zip_file
        .map(|b: Borrowed<'_>| b.0)
}

/// A `VersionNumber` path label: a long, as the service model says.
fn version_label(raw: &str) -> Result<i64, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::BadRequest(format!("VersionNumber must be an integer, got '{raw}'")))
}

pub(crate) async fn publish(
    State(engine): State<Engine>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let (input, staged): (PublishLayerVersionInput, _) =
        package_request(&engine, &headers, body, "PublishLayerVersion", content_zip).await?;
    let scope = engine.scope(&request::region(&headers));
    let published = engine.publish_layer_version(&scope, &name, input, staged).await?;
    let hex = published.value.code_hex.clone();
    let layer = published.value.with_location(location(&headers, &hex));
    Ok(with_warnings(
        json_response(StatusCode::CREATED, &layer),
        &published.warnings,
    ))
}

pub(crate) async fn get(
    State(engine): State<Engine>,
    Path((name, version)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let scope = engine.scope(&request::region(&headers));
    let view = engine
        .get_layer_version(&scope, &name, version_label(&version)?)
        .await?;
    let hex = view.code_hex.clone();
    Ok(json_response(
        StatusCode::OK,
        &view.with_location(location(&headers, &hex)),
    ))
}

pub(crate) async fn delete(
    State(engine): State<Engine>,
    Path((name, version)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let scope = engine.scope(&request::region(&headers));
    engine
        .delete_layer_version(&scope, &name, version_label(&version)?)
        .await?;
    Ok(no_content())
}

pub(crate) async fn list_versions(
    State(engine): State<Engine>,
    Path(name): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let query = Query::parse(raw.as_deref());
    let scope = engine.scope(&request::region(&headers));
    let out = engine
        .list_layer_versions(
            &scope,
            &name,
            query.get("CompatibleRuntime"),
            query.get("CompatibleArchitecture"),
            query.get("Marker"),
            query.int("MaxItems")?,
        )
        .await?;
    Ok(json_response(StatusCode::OK, &out))
}

/// `GET /2018-10-31/layers`: ListLayers, or GetLayerVersionByArn with `find=LayerVersion`.
pub(crate) async fn list_or_find(
    State(engine): State<Engine>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let query = Query::parse(raw.as_deref());
    let scope = engine.scope(&request::region(&headers));
    if query.get("find") == Some("LayerVersion") {
        let view = engine.get_layer_version_by_arn(&scope, query.get("Arn")).await?;
        let hex = view.code_hex.clone();
        return Ok(json_response(
            StatusCode::OK,
            &view.with_location(location(&headers, &hex)),
        ));
    }
    let out = engine
        .list_layers(
            &scope,
            query.get("CompatibleRuntime"),
            query.get("CompatibleArchitecture"),
            query.get("Marker"),
            query.int("MaxItems")?,
        )
        .await?;
    Ok(json_response(StatusCode::OK, &out))
}
