//! Create/Get/Update/DeleteFunctionUrlConfig, ListFunctionUrlConfigs; and the function URLs themselves,
//! made on lamina's public endpoint.

use std::sync::Arc;

use axum::Extension;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use lamina_engine::wire::{ListFunctionUrlConfigsOutput, UrlConfigInput};
use lamina_engine::{Engine, UrlAddresses, UrlConfigView};

use super::{json_response, no_content};
use crate::error::ApiError;
use crate::extract::{CallerScope, Paging, Qualifier};
use crate::request;

/// How this endpoint answers with function URLs.
pub(crate) struct FunctionUrls(UrlAddresses);

impl FunctionUrls {
    pub(crate) fn new(public_endpoint: &str) -> Self {
        FunctionUrls(UrlAddresses::new(public_endpoint))
    }

    fn answer(&self, region: &str, view: UrlConfigView) -> lamina_engine::wire::FunctionUrlConfig {
        let url = self.0.url(region, &view.url_id);
        view.with_url(url)
    }
}

pub(crate) async fn create(
    State(engine): State<Engine>,
    CallerScope(scope): CallerScope,
    Extension(urls): Extension<Arc<FunctionUrls>>,
    Path(name): Path<String>,
    Qualifier(qualifier): Qualifier,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let input: UrlConfigInput = request::small_json(body, &headers, "CreateFunctionUrlConfig").await?;
    let view = engine
        .create_function_url_config(&scope, &name, qualifier.as_deref(), input)
        .await?;
    Ok(json_response(
        StatusCode::CREATED,
        &urls.answer(&scope.region, view),
    ))
}

pub(crate) async fn get(
    State(engine): State<Engine>,
    CallerScope(scope): CallerScope,
    Extension(urls): Extension<Arc<FunctionUrls>>,
    Path(name): Path<String>,
    Qualifier(qualifier): Qualifier,
) -> Result<Response, ApiError> {
    let view = engine
        .get_function_url_config(&scope, &name, qualifier.as_deref())
        .await?;
    Ok(json_response(StatusCode::OK, &urls.answer(&scope.region, view)))
}

pub(crate) async fn update(
    State(engine): State<Engine>,
    CallerScope(scope): CallerScope,
    Extension(urls): Extension<Arc<FunctionUrls>>,
    Path(name): Path<String>,
    Qualifier(qualifier): Qualifier,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let input: UrlConfigInput = request::small_json(body, &headers, "UpdateFunctionUrlConfig").await?;
    let view = engine
        .update_function_url_config(&scope, &name, qualifier.as_deref(), input)
        .await?;
    Ok(json_response(StatusCode::OK, &urls.answer(&scope.region, view)))
}

pub(crate) async fn delete(
    State(engine): State<Engine>,
    CallerScope(scope): CallerScope,
    Path(name): Path<String>,
    Qualifier(qualifier): Qualifier,
) -> Result<Response, ApiError> {
    engine
        .delete_function_url_config(&scope, &name, qualifier.as_deref())
        .await?;
    Ok(no_content())
}

pub(crate) async fn list(
    State(engine): State<Engine>,
    CallerScope(scope): CallerScope,
    Extension(urls): Extension<Arc<FunctionUrls>>,
    Path(name): Path<String>,
    paging: Paging,
) -> Result<Response, ApiError> {
    let page = engine
        .list_function_url_configs(&scope, &name, paging.marker.as_deref(), paging.max_items)
        .await?;
    let out = ListFunctionUrlConfigsOutput {
        function_url_configs: page
            .configs
            .into_iter()
            .map(|view| urls.answer(&scope.region, view))
            .collect(),
        next_marker: page.next_marker,
    };
    Ok(json_response(StatusCode::OK, &out))
}
