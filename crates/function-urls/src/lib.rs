//! Function URLs as lamina serves them.
//!
//! A function URL is `http://<url-id>.lambda-url.<region>.<host>:<port>/` on lamina's own endpoint (the
//! control API makes it from `--public-endpoint`; a loopback address becomes `localhost`, whose
//! subdomains browsers and curl resolve to the loopback address). [`in_front_of`] puts the URLs in
//! front of the Lambda API's router: a request whose `Host` starts with `<32 characters>.lambda-url.`
//! goes to its function URL, anything else to the API.
//!
//! A request to a URL becomes a payload format 2.0 event (`event.rs`), is invoked synchronously through
//! [`lamina_engine::Engine::invoke`] (the URL of an alias invokes the alias), and the function's result
//! becomes the response (`response.rs`). `AuthType: AWS_IAM` URLs take SigV4-signed requests (service
//! `lambda`) from a key of the function's account; `NONE` URLs take anyone (lamina does not enforce
//! resource policies yet, so the `lambda:InvokeFunctionUrl` permission AWS also requires is not
//! checked). CORS settings are applied by the URL (`cors.rs`). `RESPONSE_STREAM` URLs answer as the
//! function's result begins and pass its body on while the function writes it (`stream.rs`).

mod cors;
mod event;
mod response;
mod stream;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use lamina_auth::Verifier;
use lamina_engine::{Engine, EngineError, FunctionUrlTarget, InvocationType, InvokeInput, InvokeOutput};

use crate::response::UrlResponse;

/// The largest request body a URL takes: Lambda's 6 MB synchronous payload limit.
const BODY_MAX: usize = 6 * 1024 * 1024;

/// How long a client has to send a URL request's body.
const BODY_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// What serving function URLs needs.
#[derive(Clone)]
pub struct FunctionUrls {
    engine: Engine,
    /// Verifies `AWS_IAM` requests; `None` when the server authenticates nobody (`--auth none`).
    verifier: Option<Arc<Verifier>>,
}

impl FunctionUrls {
    /// Function URLs over `engine`; `verifier` checks the signatures of requests to `AWS_IAM` URLs
    /// (`None`: every request is taken, as the API takes them with authentication off).
    pub fn new(engine: Engine, verifier: Option<Verifier>) -> Self {
        FunctionUrls {
            engine,
            verifier: verifier.map(Arc::new),
        }
    }
}

/// `api` with the function URLs in front of it (see the crate docs).
pub fn in_front_of(api: Router, urls: FunctionUrls) -> Router {
    api.layer(axum::middleware::from_fn_with_state(Arc::new(urls), dispatch))
}

/// The URL id a `Host` names: its first label, when the second is `lambda-url` and the first is 32
/// lowercase letters and digits (the shape of the ids lamina makes, and AWS's).
pub fn url_id_of_host(host: &str) -> Option<&str> {
    let (id, rest) = host.split_once('.')?;
    let looks_like_id = id.len() == 32 && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    (looks_like_id && rest.starts_with("lambda-url.")).then_some(id)
}

async fn dispatch(State(urls): State<Arc<FunctionUrls>>, request: Request, next: Next) -> Response {
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_owned)
        .or_else(|| request.uri().host().map(str::to_owned));
    match host.as_deref().and_then(url_id_of_host) {
        Some(url_id) => {
            let url_id = url_id.to_owned();
            let domain = host.as_deref().unwrap_or_default();
            let domain = domain
                .rsplit_once(':')
                .map_or(domain, |(name, _)| name)
                .to_owned();
            serve(&urls, &url_id, &domain, request).await
        }
        None => next.run(request).await,
    }
}

/// Answers one request to the URL `url_id`.
async fn serve(urls: &FunctionUrls, url_id: &str, domain: &str, request: Request) -> Response {
    let request_id = uuid::Uuid::new_v4().to_string();
    let answer = |r: UrlResponse| render(r, None, &request_id);
    let target = match urls.engine.function_url(url_id).await {
        Ok(Some(target)) => target,
        // AWS answers an unknown URL id as it answers a request it refuses.
        Ok(None) => return answer(UrlResponse::message(403, "Forbidden")),
        Err(e) => {
            tracing::error!(url_id, "cannot look up the function URL: {}", e.display_chain());
            return answer(UrlResponse::message(500, "Internal Server Error"));
        }
    };
    let source_ip = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_else(|| "127.0.0.1".into());
    let (parts, body) = request.into_parts();
    let body = match tokio::time::timeout(BODY_READ_TIMEOUT, axum::body::to_bytes(body, BODY_MAX)).await {
        Ok(Ok(body)) => body,
        Ok(Err(_)) => return answer(UrlResponse::message(413, "Request Entity Too Large")),
        Err(_) => return answer(UrlResponse::message(408, "Request Timeout")),
    };
    let origin = parts.headers.get(header::ORIGIN).and_then(|o| o.to_str().ok());
    if let Some(cors) = &target.cors {
        let requested = parts.headers.get(header::ACCESS_CONTROL_REQUEST_METHOD);
        if cors::is_preflight(
            parts.method.as_str(),
            origin,
            requested.and_then(|m| m.to_str().ok()),
        ) {
            let headers = cors::preflight_headers(cors, origin.unwrap_or_default());
            return answer(UrlResponse {
                status: 200,
                headers,
                cookies: Vec::new(),
                body: bytes::Bytes::new(),
            });
        }
    }
    let (account_id, authorizer) = match authorize(urls, &target, &parts, &body) {
        Ok(who) => who,
        Err(refusal) => return answer(refusal),
    };
    let facts = event::RequestFacts {
        url_id,
        domain_name: domain,
        account_id: &account_id,
        authorizer,
        request_id: &request_id,
        source_ip: &source_ip,
        now: chrono::Utc::now(),
    };
    let event = event::event(&parts, &body, &facts);
    let input = InvokeInput {
        invocation_type: InvocationType::RequestResponse,
        payload: bytes::Bytes::from(event.to_string()),
        tail: false,
        client_context: None,
        request_id: request_id.clone(),
        stream: None,
    };
    let (mut response, streamed_body) = if target.invoke_mode == "RESPONSE_STREAM" {
        stream::invoke(&urls.engine, &target, input).await
    } else {
        let invoked = urls
            .engine
            .invoke(
                &target.scope,
                &target.function_name,
                target.alias.as_deref(),
                input,
            )
            .await;
        (answer_of(invoked), None)
    };
    if let (Some(cors), Some(origin)) = (&target.cors, origin) {
        let added = cors::response_headers(cors, origin);
        if !added.is_empty() {
            response
                .headers
                .retain(|(name, _)| !name.to_ascii_lowercase().starts_with("access-control-"));
            response.headers.extend(added);
        }
    }
    render(response, streamed_body, &request_id)
}

/// The response to an invocation's result, or to the error that kept it from running.
pub(crate) fn answer_of(invoked: Result<InvokeOutput, EngineError>) -> UrlResponse {
    match invoked {
        Ok(out) if out.function_error => UrlResponse::bad_gateway(),
        Ok(out) => response::from_result(&out.payload),
        Err(EngineError::Throttled(_)) => UrlResponse::message(429, "Rate Exceeded."),
        Err(e) => {
            tracing::info!("function URL invocation failed: {}", e.display_chain());
            UrlResponse::bad_gateway()
        }
    }
}

/// Who is calling a URL: `("anonymous", None)` for `NONE`; for `AWS_IAM`, the verified caller's account
/// and the event's `authorizer.iam`, or the 403 AWS answers.
fn authorize(
    urls: &FunctionUrls,
    target: &FunctionUrlTarget,
    parts: &axum::http::request::Parts,
    body: &[u8],
) -> Result<(String, Option<serde_json::Value>), UrlResponse> {
    if target.auth_type != "AWS_IAM" {
        return Ok(("anonymous".into(), None));
    }
    let Some(verifier) = &urls.verifier else {
        return Ok((target.scope.account.clone(), None));
    };
    let verified = verifier
        .verify_whole(&parts.method, &parts.uri, &parts.headers, body)
        .map_err(|refusal| {
            tracing::info!(code = refusal.code(), "refused a function URL request: {refusal}");
            UrlResponse::message(403, "Forbidden")
        })?;
    let caller = verified.caller;
    // Another account's key would need the function's resource policy, which lamina does not enforce:
    // refused.
    if caller.account_id != target.scope.account {
        return Err(UrlResponse::message(403, "Forbidden"));
    }
    let authorizer = serde_json::json!({
        "iam": {
            "accessKey": caller.access_key_id,
            "accountId": caller.account_id,
            "callerId": caller.access_key_id,
            "cognitoIdentity": null,
            "principalOrgId": null,
            "userArn": format!("arn:aws:iam::{}:root", caller.account_id),
            "userId": caller.access_key_id,
        }
    });
    Ok((caller.account_id, Some(authorizer)))
}

/// The response `r` describes, with `body` as its body when given (a streamed one), else `r.body`.
fn render(r: UrlResponse, body: Option<Body>, request_id: &str) -> Response {
    let mut builder = Response::builder().status(r.status);
    for (name, value) in &r.headers {
        if let (Ok(name), Ok(value)) = (
            header::HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            builder = builder.header(name, value);
        }
    }
    for cookie in &r.cookies {
        if let Ok(value) = HeaderValue::from_str(cookie) {
            builder = builder.header(header::SET_COOKIE, value);
        }
    }
    builder = builder.header("x-amzn-requestid", request_id);
    builder
        .body(body.unwrap_or_else(|| Body::from(r.body)))
        .unwrap_or_else(|e| {
            tracing::warn!("cannot render a function URL response: {e}");
            let mut fallback = Response::new(Body::from("Internal Server Error"));
            *fallback.status_mut() = axum::http::StatusCode::BAD_GATEWAY;
            fallback
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_hosts_are_told_from_the_apis() {
        let id = "abcdefghijklmnopqrstuvwxyz012345";
        assert_eq!(
            url_id_of_host(&format!("{id}.lambda-url.us-east-1.localhost:9001")),
            Some(id)
        );
        assert_eq!(
            url_id_of_host(&format!("{id}.lambda-url.eu-west-1.on.aws")),
            Some(id)
        );
        assert_eq!(url_id_of_host("127.0.0.1:9001"), None);
        assert_eq!(url_id_of_host("localhost"), None);
        assert_eq!(
            url_id_of_host(&format!("{}.lambda-url.us-east-1.localhost", id.to_uppercase())),
            None
        );
        assert_eq!(url_id_of_host("short.lambda-url.us-east-1.localhost"), None);
        assert_eq!(url_id_of_host(&format!("{id}.lambda.us-east-1.localhost")), None);
    }
}
