//! CreateFunction, Get*, ListFunctions, Update*, DeleteFunction, PublishVersion, ListVersionsByFunction.

use std::borrow::Cow;
use std::sync::Arc;

use axum::Extension;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use lamina_engine::wire::{
    CreateFunctionInput, PublishVersionInput, UpdateCodeInput, UpdateConfigurationInput,
};
use lamina_engine::{Engine, EngineError, REQUEST_MAX_BYTES, StagedCode, request_too_large};
use serde::Deserialize;

use super::code::CodeUrls;
use super::{json_response, no_content, with_warnings};
use crate::error::ApiError;
use crate::extract::{CallerScope, Paging, Qualifier};
use crate::request::{self, Query};

#[derive(Deserialize)]
struct CreateZip<'a> {
    #[serde(rename = "Code", borrow)]
    code: Option<ZipOnly<'a>>,
}

#[derive(Deserialize)]
pub(crate) struct ZipOnly<'a> {
    #[serde(rename = "ZipFile", borrow)]
    pub(crate) zip_file: Option<Borrowed<'a>>,
}

/// A string borrowed from the body when it has no JSON escapes. serde borrows a `Cow<str>` only when
/// it is the field's whole type (inside `Option` it would copy 67 MB), hence the newtype.
#[derive(Deserialize)]
pub(crate) struct Borrowed<'a>(#[serde(borrow)] pub(crate) Cow<'a, str>);

/// CreateFunction's `Code.ZipFile`, borrowed from the body (the input itself was parsed already, so
/// a body that does not parse here has no usable zip).
fn create_zip(body: &[u8]) -> Option<Cow<'_, str>> {
    serde_json::from_slice::<CreateZip<'_>>(body)
        .ok()?
        .code?
        .zip_file
        .map(|b| b.0)
}

/// UpdateFunctionCode's `ZipFile`, borrowed from the body.
fn update_zip(body: &[u8]) -> Option<Cow<'_, str>> {
    serde_json::from_slice::<ZipOnly<'_>>(body)
        .ok()?
        .zip_file
        .map(|b| b.0)
}

/// Reads a deployment request (CreateFunction, UpdateFunctionCode, PublishLayerVersion): the body, at most
/// [`REQUEST_MAX_BYTES`] (AWS's 413 naming `operation` past that), parsed and its inline zip staged off the
/// async runtime: JSON parsing and base64 decoding of a 67 MB body are CPU work. The base64 text is
/// borrowed from the body, never copied.
pub(crate) async fn package_request<T>(
    engine: &Engine,
    headers: &HeaderMap,
    body: Body,
    operation: &'static str,
    zip_of: fn(&[u8]) -> Option<Cow<'_, str>>,
) -> Result<(T, Option<StagedCode>), ApiError>
where
    T: serde::de::DeserializeOwned + Send + 'static,
{
    let bytes = request::read_body(body, headers, REQUEST_MAX_BYTES, || {
        request_too_large(operation).into()
    })
    .await?;
    let engine = engine.clone();
    tokio::task::spawn_blocking(move || {
        let input: T = request::json(&bytes)?;
        let staged = match zip_of(&bytes) {
            Some(b64) => Some(engine.stage_zip_base64(&b64)?),
            None => None,
        };
        drop(bytes);
        Ok((input, staged))
    })
    .await
    .map_err(|e| ApiError::Engine(EngineError::Internal(format!("request parsing task failed: {e}"))))?
}

pub(crate) async fn create(
    State(engine): State<Engine>,
    CallerScope(scope): CallerScope,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let (input, staged): (CreateFunctionInput, _) =
        package_request(&engine, &headers, body, "CreateFunction", create_zip).await?;
    let deployed = engine.create_function(&scope, input, staged).await?;
    Ok(with_warnings(
        json_response(StatusCode::CREATED, &deployed.value),
        &deployed.warnings,
    ))
}

pub(crate) async fn update_code(
    State(engine): State<Engine>,
    CallerScope(scope): CallerScope,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let (input, staged): (UpdateCodeInput, _) =
        package_request(&engine, &headers, body, "UpdateFunctionCode", update_zip).await?;
    let deployed = engine.update_function_code(&scope, &name, input, staged).await?;
    Ok(with_warnings(
        json_response(StatusCode::OK, &deployed.value),
        &deployed.warnings,
    ))
}

pub(crate) async fn get(
    State(engine): State<Engine>,
    CallerScope(scope): CallerScope,
    Extension(urls): Extension<Arc<CodeUrls>>,
    Path(name): Path<String>,
    Qualifier(qualifier): Qualifier,
) -> Result<Response, ApiError> {
    let view = engine.get_function(&scope, &name, qualifier.as_deref()).await?;
    let out = lamina_engine::wire::GetFunctionOutput {
        configuration: view.configuration,
        code: lamina_engine::wire::FunctionCodeLocation {
            repository_type: "S3".into(),
            location: urls.location(&scope, &view.code_hex)?,
        },
        tags: view.tags,
        concurrency: view
            .reserved_concurrency
            .map(|n| lamina_engine::wire::Concurrency {
                reserved_concurrent_executions: Some(n),
            }),
    };
    Ok(json_response(StatusCode::OK, &out))
}

pub(crate) async fn get_configuration(
    State(engine): State<Engine>,
    CallerScope(scope): CallerScope,
    Path(name): Path<String>,
    Qualifier(qualifier): Qualifier,
) -> Result<Response, ApiError> {
    let config = engine
        .get_function_configuration(&scope, &name, qualifier.as_deref())
        .await?;
    Ok(json_response(StatusCode::OK, &config))
}

pub(crate) async fn list(
    State(engine): State<Engine>,
    CallerScope(scope): CallerScope,
    query: Query,
) -> Result<Response, ApiError> {
    let paging = Paging::of(&query)?;
    let out = engine
        .list_functions(
            &scope,
            query.get("FunctionVersion"),
            paging.marker.as_deref(),
            paging.max_items,
        )
        .await?;
    Ok(json_response(StatusCode::OK, &out))
}

pub(crate) async fn update_configuration(
    State(engine): State<Engine>,
    CallerScope(scope): CallerScope,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let input: UpdateConfigurationInput =
        request::small_json(body, &headers, "UpdateFunctionConfiguration").await?;
    let config = engine.update_function_configuration(&scope, &name, input).await?;
    Ok(json_response(StatusCode::OK, &config))
}

pub(crate) async fn delete(
    State(engine): State<Engine>,
    CallerScope(scope): CallerScope,
    Path(name): Path<String>,
    Qualifier(qualifier): Qualifier,
) -> Result<Response, ApiError> {
    engine
        .delete_function(&scope, &name, qualifier.as_deref())
        .await?;
    Ok(no_content())
}

pub(crate) async fn publish_version(
    State(engine): State<Engine>,
    CallerScope(scope): CallerScope,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let input: PublishVersionInput = request::small_json(body, &headers, "PublishVersion").await?;
    let config = engine.publish_version(&scope, &name, input).await?;
    Ok(json_response(StatusCode::CREATED, &config))
}

pub(crate) async fn list_versions(
    State(engine): State<Engine>,
    CallerScope(scope): CallerScope,
    Path(name): Path<String>,
    paging: Paging,
) -> Result<Response, ApiError> {
    let out = engine
        .list_versions(&scope, &name, paging.marker.as_deref(), paging.max_items)
        .await?;
    Ok(json_response(StatusCode::OK, &out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zip_file_is_borrowed_from_the_body() {
        let body = br#"{"FunctionName":"f","Code":{"ZipFile":"UEsDBA=="}}"#;
        assert!(matches!(create_zip(body), Some(Cow::Borrowed("UEsDBA=="))));
        let body = br#"{"ZipFile":"UEsDBA==","Publish":true}"#;
        assert!(matches!(update_zip(body), Some(Cow::Borrowed("UEsDBA=="))));
        // An escaped slash cannot be borrowed, but still parses.
        let body = br#"{"ZipFile":"ab\/c"}"#;
        assert_eq!(update_zip(body).as_deref(), Some("ab/c"));
    }
}
