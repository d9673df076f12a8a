//! The router: the Lambda API built from the operation table ([`crate::surface::OPERATIONS`]), behind
//! SigV4 verification, and the presigned code downloads beside it.

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, Request};
use axum::routing::{MethodFilter, get};
use axum::{Extension, Router};
use lamina_engine::Engine;

use crate::auth::{ApiConfig, Gate, authenticate};
use crate::error::ApiError;
use crate::operations::code::{self, CodeUrls};
use crate::operations::url_configs::FunctionUrls;
use crate::request::{self, Query};
use crate::surface::{Answer, OPERATIONS, operation_at};

/// The Lambda REST API over `engine`: every operation behind SigV4 verification (as `config` says),
/// and the presigned code downloads beside it.
pub fn router(engine: Engine, config: ApiConfig) -> Router {
    let gate = Arc::new(Gate::new(&config));
    let urls = Arc::new(CodeUrls::new(&config.public_endpoint, config.server_key.clone()));
    let function_urls = Arc::new(FunctionUrls::new(&config.public_endpoint));
    let operations = served_operations()
        .fallback(unserved)
        .method_not_allowed_fallback(unserved)
        .with_state(engine.clone());
    // The operations are routed behind both layers: after authentication, which signs the path as
    // sent, and after `decodable_path`, so that routing decodes the path it leaves.
    let lambda = Router::new()
        .fallback_service(operations)
        .layer(axum::middleware::from_fn(decodable_path))
        .layer(axum::middleware::from_fn_with_state(gate, authenticate));
    // Downloads carry their own authentication (the presigned query), checked by the handler.
    let downloads = Router::new().route(code::DOWNLOAD_ROUTE, get(code::download));
    lambda
        .merge(downloads)
        .layer(Extension(urls))
        .layer(Extension(function_urls))
        // Bodies are read by the handlers themselves, with the limits AWS applies per operation.
        .layer(DefaultBodyLimit::disable())
        .layer(axum::middleware::from_fn(request::request_id))
        .with_state(engine)
}

/// One route per operation lamina serves, at its method and path(s).
fn served_operations() -> Router<Engine> {
    let mut routes = Router::new();
    for operation in OPERATIONS {
        let Answer::Handler(handler) = operation.answer else {
            continue;
        };
        let method = MethodFilter::try_from(operation.method.clone())
            .expect("the operation table names only standard methods");
        for path in operation.route_paths() {
            routes = routes.route(&path, handler(method));
        }
    }
    routes
}

/// Makes a path whose percent-escapes decode to bytes that are not UTF-8 (`/functions/%FF/invocations`)
/// decodable, so that the operation answers it as AWS does instead of the path extractor refusing it
/// in plain text. Lambda's Java front end decodes labels the way Java decodes bytes, replacing each
/// malformed sequence with U+FFFD; the operation then refuses the label as it refuses any other value
/// outside its pattern (ValidationException at `functionName`, for instance). Paths that decode to
/// UTF-8 are left as they are.
async fn decodable_path(mut request: Request, next: axum::middleware::Next) -> axum::response::Response {
    if let Some(path) = lossy_path(request.uri().path()) {
        let mut parts = request.uri().clone().into_parts();
        let path_and_query = match request.uri().query() {
            Some(query) => format!("{path}?{query}"),
            None => path,
        };
        if let Ok(path_and_query) = path_and_query.parse() {
            parts.path_and_query = Some(path_and_query);
            if let Ok(uri) = axum::http::Uri::from_parts(parts) {
                *request.uri_mut() = uri;
            }
        }
    }
    next.run(request).await
}

/// `path` with each segment that does not decode to UTF-8 decoded lossily and escaped again, or `None`
/// when every segment decodes.
fn lossy_path(path: &str) -> Option<String> {
    let segments: Vec<Vec<u8>> = path.split('/').map(percent_decode).collect();
    if segments.iter().all(|s| std::str::from_utf8(s).is_ok()) {
        return None;
    }
    let escaped: Vec<String> = segments
        .iter()
        .map(|segment| percent_encode(&String::from_utf8_lossy(segment)))
        .collect();
    Some(escaped.join("/"))
}

/// The bytes a path segment's percent-escapes stand for (a `%` not followed by two hex digits is kept).
fn percent_decode(segment: &str) -> Vec<u8> {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%')
            .then(|| bytes.get(i + 1..i + 3))
            .flatten()
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    out
}

/// A path segment with every byte outside RFC 3986's unreserved characters and `:$@` escaped.
fn percent_encode(segment: &str) -> String {
    segment
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~:$@".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Every request no route takes: an operation of the service model that lamina does not serve yet is a
/// 400 naming it (SDKs do not retry 4xx); anything else a 404.
async fn unserved(request: Request) -> ApiError {
    let method = request.method().as_str().to_owned();
    let path = request.uri().path().to_owned();
    let query = Query::parse(request.uri().query());
    match operation_at(&method, &path, &query) {
        Some(operation) if matches!(operation.answer, Answer::Unsupported) => ApiError::Unsupported {
            operation: operation.name,
            method,
            path,
        },
        _ => ApiError::UnknownOperation { method, path },
    }
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;

    use super::*;

    /// The operation's URI with every label filled, its query kept, and a trailing slash if asked for.
    fn example_uri(uri: &str, trailing_slash: bool) -> String {
        let (path, query) = uri.split_once('?').map_or((uri, None), |(p, q)| (p, Some(q)));
        let mut filled: String = path
            .split('/')
            .map(|segment| if segment.starts_with('{') { "x" } else { segment })
            .collect::<Vec<_>>()
            .join("/");
        if trailing_slash {
            filled.push('/');
        }
        match query {
            Some(query) => format!("{filled}?{query}"),
            None => filled,
        }
    }

    #[test]
    fn undecodable_segments_are_decoded_lossily() {
        assert_eq!(lossy_path("/2015-03-31/functions/f%3A1/invocations"), None);
        assert_eq!(
            lossy_path("/2015-03-31/functions/a%FFb/invocations").as_deref(),
            Some("/2015-03-31/functions/a%EF%BF%BDb/invocations")
        );
        assert_eq!(percent_decode("%4x%41%"), b"%4xA%");
    }

    #[tokio::test]
    async fn every_operation_is_answered_as_the_table_says() {
        let dir = tempfile::tempdir().expect("tempdir");
        let engine =
            Engine::open(lamina_engine::EngineConfig::new(dir.path().to_path_buf())).expect("engine");
        let router = router(
            engine,
            ApiConfig {
                authentication: crate::Authentication::None,
                default_account: "000000000000".into(),
                public_endpoint: "http://lamina.test:9001".into(),
                server_key: lamina_auth::ServerKey::load_or_create(&dir.path().join("server-key"))
                    .expect("key"),
                uploads: crate::Uploads::new(dir.path().join("spool")),
            },
        );
        for operation in OPERATIONS {
            let slash_variants: &[bool] = if operation.route_paths().len() == 2 {
                &[false, true]
            } else {
                &[false]
            };
            for &trailing_slash in slash_variants {
                let uri = example_uri(operation.uri, trailing_slash);
                let request = Request::builder()
                    .method(operation.method.clone())
                    .uri(&uri)
                    .body(Body::empty())
                    .expect("request");
                let response = router.clone().oneshot(request).await.expect("response");
                let code = response
                    .headers()
                    .get("x-amzn-errortype")
                    .map(|v| v.to_str().expect("ascii").to_owned());
                let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
                    .await
                    .expect("body");
                let body = String::from_utf8_lossy(&bytes);
                let what = format!("{} ({} {uri})", operation.name, operation.method);
                match operation.answer {
                    Answer::Unsupported => {
                        assert_eq!(code.as_deref(), Some("UnsupportedOperationException"), "{what}");
                        assert!(body.contains(operation.name), "{what}: {body}");
                    }
                    Answer::Handler(_) | Answer::SharedRoute => assert!(
                        !matches!(
                            code.as_deref(),
                            Some("UnsupportedOperationException" | "UnknownOperationException")
                        ),
                        "{what} reached no handler: {body}"
                    ),
                }
            }
        }
    }
}
