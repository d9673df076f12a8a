//! Create/Get/Update/DeleteFunctionUrlConfig, ListFunctionUrlConfigs; and the function URLs themselves,
//! made on lamina's public endpoint.

use std::sync::Arc;

use axum::Extension;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use lamina_engine::wire::{ListFunctionUrlConfigsOutput, UrlConfigInput};
use lamina_engine::{Engine, UrlConfigView};

use super::{json_response, no_content};
use crate::error::ApiError;
use crate::extract::{CallerScope, Paging, Qualifier};
use crate::request;

/// Makes function URLs: `<scheme>://<url-id>.lambda-url.<region>.<host>[:<port>]/`, the shape of AWS's
/// `https://<url-id>.lambda-url.<region>.on.aws/` on lamina's public endpoint (`--public-endpoint`), so
/// that one listener can tell a function URL's requests from the API's by their `Host`. A loopback
/// address becomes `localhost`, whose subdomains resolve to the loopback address.
pub(crate) struct FunctionUrls {
    scheme: String,
    host: String,
}

impl FunctionUrls {
    pub(crate) fn new(public_endpoint: &str) -> Self {
        let (scheme, rest) = public_endpoint
            .split_once("://")
            .unwrap_or(("http", public_endpoint));
        let authority = rest.split('/').next().unwrap_or_default();
        let (host, port) = match authority.rsplit_once(':') {
            Some((host, port)) if !host.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => {
                (host, Some(port))
            }
            _ => (authority, None),
        };
        let host = match host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
        {
            Ok(ip) if ip.is_loopback() => "localhost",
            _ => host,
        };
        FunctionUrls {
            scheme: scheme.to_owned(),
            host: match port {
                Some(port) => format!("{host}:{port}"),
                None => host.to_owned(),
            },
        }
    }

    /// The URL of the function URL `url_id` in `region`.
    pub(crate) fn url(&self, region: &str, url_id: &str) -> String {
        format!("{}://{url_id}.lambda-url.{region}.{}/", self.scheme, self.host)
    }

    fn answer(&self, region: &str, view: UrlConfigView) -> lamina_engine::wire::FunctionUrlConfig {
        let url = self.url(region, &view.url_id);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn function_urls_live_on_the_public_endpoint() {
        let id = "a".repeat(32);
        assert_eq!(
            FunctionUrls::new("http://127.0.0.1:9001").url("us-east-1", &id),
            format!("http://{id}.lambda-url.us-east-1.localhost:9001/")
        );
        assert_eq!(
            FunctionUrls::new("https://lamina.example.com/").url("eu-west-1", &id),
            format!("https://{id}.lambda-url.eu-west-1.lamina.example.com/")
        );
        assert_eq!(
            FunctionUrls::new("http://[::1]:9001").url("us-east-1", &id),
            format!("http://{id}.lambda-url.us-east-1.localhost:9001/")
        );
    }
}
