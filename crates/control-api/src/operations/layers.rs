//! PublishLayerVersion, GetLayerVersion, GetLayerVersionByArn, ListLayers, ListLayerVersions,
//! DeleteLayerVersion.

use std::borrow::Cow;
use std::sync::Arc;

use axum::Extension;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use lamina_engine::Engine;
use lamina_engine::wire::PublishLayerVersionInput;
use serde::Deserialize;

use super::code::CodeUrls;
use super::functions::{Borrowed, ZipOnly, package_request};
use super::{json_response, no_content, with_warnings};
use crate::error::ApiError;
use crate::extract::{CallerScope, Paging};
use crate::request::Query;

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
pub(crate) fn version_label(raw: &str) -> Result<i64, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::BadRequest(format!("VersionNumber must be an integer, got '{raw}'")))
}

pub(crate) async fn publish(
    State(engine): State<Engine>,
    CallerScope(scope): CallerScope,
    Extension(urls): Extension<Arc<CodeUrls>>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let (input, staged): (PublishLayerVersionInput, _) =
        package_request(&engine, &headers, body, "PublishLayerVersion", content_zip).await?;
    let published = engine.publish_layer_version(&scope, &name, input, staged).await?;
    let hex = published.value.code_hex.clone();
    let layer = published.value.with_location(urls.location(&scope, &hex)?);
    Ok(with_warnings(
        json_response(StatusCode::CREATED, &layer),
        &published.warnings,
    ))
}

pub(crate) async fn get(
    State(engine): State<Engine>,
    CallerScope(scope): CallerScope,
    Extension(urls): Extension<Arc<CodeUrls>>,
    Path((name, version)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let view = engine
        .get_layer_version(&scope, &name, version_label(&version)?)
        .await?;
    let hex = view.code_hex.clone();
    Ok(json_response(
        StatusCode::OK,
        &view.with_location(urls.location(&scope, &hex)?),
    ))
}

pub(crate) async fn delete(
    State(engine): State<Engine>,
    CallerScope(scope): CallerScope,
    Path((name, version)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    engine
        .delete_layer_version(&scope, &name, version_label(&version)?)
        .await?;
    Ok(no_content())
}

pub(crate) async fn list_versions(
    State(engine): State<Engine>,
    CallerScope(scope): CallerScope,
    Path(name): Path<String>,
    query: Query,
) -> Result<Response, ApiError> {
    let paging = Paging::of(&query)?;
    let out = engine
        .list_layer_versions(
            &scope,
            &name,
            query.get("CompatibleRuntime"),
            query.get("CompatibleArchitecture"),
            paging.marker.as_deref(),
            paging.max_items,
        )
        .await?;
    Ok(json_response(StatusCode::OK, &out))
}

/// `GET /2018-10-31/layers`: ListLayers, or GetLayerVersionByArn with `find=LayerVersion`.
pub(crate) async fn list_or_find(
    State(engine): State<Engine>,
    CallerScope(scope): CallerScope,
    Extension(urls): Extension<Arc<CodeUrls>>,
    query: Query,
) -> Result<Response, ApiError> {
    if query.get("find") == Some("LayerVersion") {
        let view = engine.get_layer_version_by_arn(&scope, query.get("Arn")).await?;
        let hex = view.code_hex.clone();
        return Ok(json_response(
            StatusCode::OK,
            &view.with_location(urls.location(&scope, &hex)?),
        ));
    }
    let paging = Paging::of(&query)?;
    let out = engine
        .list_layers(
            &scope,
            query.get("CompatibleRuntime"),
            query.get("CompatibleArchitecture"),
            paging.marker.as_deref(),
            paging.max_items,
        )
        .await?;
    Ok(json_response(StatusCode::OK, &out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_version_number_label_is_a_long() {
        assert_eq!(version_label("3").expect("number"), 3);
        assert_eq!(
            version_label("x").expect_err("not a number").to_string(),
            "VersionNumber must be an integer, got 'x'"
        );
    }
}
