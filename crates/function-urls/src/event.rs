//! The event a function URL request becomes: API Gateway's payload format 2.0, as Lambda sends it for
//! function URLs (`routeKey` and `stage` are `$default`; `pathParameters` and `stageVariables` are null).

use axum::http::HeaderMap;
use axum::http::request::Parts;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

/// What the event says of the request besides the request itself.
#[derive(Debug, Clone)]
pub(crate) struct RequestFacts<'a> {
    /// The URL's id, `requestContext.apiId` and `domainPrefix`.
    pub(crate) url_id: &'a str,
    /// The host name the request was sent to, without its port.
    pub(crate) domain_name: &'a str,
    /// The caller's account (`AWS_IAM`), or `anonymous`.
    pub(crate) account_id: &'a str,
    /// `requestContext.authorizer` for `AWS_IAM` URLs.
    pub(crate) authorizer: Option<Value>,
    /// The invocation's request id.
    pub(crate) request_id: &'a str,
    /// The client's address.
    pub(crate) source_ip: &'a str,
    /// When the request arrived.
    pub(crate) now: DateTime<Utc>,
}

/// The event of the request `parts` with `body`.
pub(crate) fn event(parts: &Parts, body: &[u8], facts: &RequestFacts<'_>) -> Value {
    let raw_path = parts.uri.path();
    let raw_query = parts.uri.query().unwrap_or_default();
    let mut event = Map::new();
    event.insert("version".into(), json!("2.0"));
    event.insert("routeKey".into(), json!("$default"));
    event.insert("rawPath".into(), json!(raw_path));
    event.insert("rawQueryString".into(), json!(raw_query));
    let cookies = cookies(&parts.headers);
    if !cookies.is_empty() {
        event.insert("cookies".into(), json!(cookies));
    }
    event.insert("headers".into(), Value::Object(headers(&parts.headers)));
    if let Some(query) = query_parameters(raw_query) {
        event.insert("queryStringParameters".into(), Value::Object(query));
    }
    let mut context = json!({
        "accountId": facts.account_id,
        "apiId": facts.url_id,
        "domainName": facts.domain_name,
        "domainPrefix": facts.url_id,
        "http": {
            "method": parts.method.as_str(),
            "path": raw_path,
            "protocol": "HTTP/1.1",
            "sourceIp": facts.source_ip,
            "userAgent": header(&parts.headers, "user-agent").unwrap_or_default(),
        },
        "requestId": facts.request_id,
        "routeKey": "$default",
        "stage": "$default",
        "time": facts.now.format("%d/%b/%Y:%H:%M:%S %z").to_string(),
        "timeEpoch": facts.now.timestamp_millis(),
    });
    if let Some(authorizer) = &facts.authorizer {
        context["authorizer"] = authorizer.clone();
    }
    event.insert("requestContext".into(), context);
    let is_base64 = !body.is_empty() && !is_text(&parts.headers, body);
    if !body.is_empty() {
        let shown = if is_base64 {
            base64::engine::general_purpose::STANDARD.encode(body)
        } else {
            String::from_utf8_lossy(body).into_owned()
        };
        event.insert("body".into(), json!(shown));
    }
    event.insert("isBase64Encoded".into(), json!(is_base64));
    Value::Object(event)
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The request's headers with lower-case names, repeated ones joined with commas; `Cookie` goes to
/// `cookies` instead.
fn headers(headers: &HeaderMap) -> Map<String, Value> {
    let mut out = Map::new();
    for name in headers.keys() {
        if name == "cookie" {
            continue;
        }
        let values: Vec<String> = headers
            .get_all(name)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .collect();
        out.insert(name.as_str().to_owned(), json!(values.join(",")));
    }
    out
}

/// The cookies of every `Cookie` header, one per `name=value`.
fn cookies(headers: &HeaderMap) -> Vec<String> {
    headers
        .get_all("cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The decoded query parameters, repeated ones joined with commas; `None` without a query.
fn query_parameters(raw_query: &str) -> Option<Map<String, Value>> {
    if raw_query.is_empty() {
        return None;
    }
    let mut out: Map<String, Value> = Map::new();
    for (name, value) in form_urlencoded::parse(raw_query.as_bytes()) {
        match out.get_mut(name.as_ref()) {
            Some(Value::String(joined)) => {
                joined.push(',');
                joined.push_str(&value);
            }
            _ => {
                out.insert(name.into_owned(), json!(value));
            }
        }
    }
    Some(out)
}

/// Whether the body is passed as text: UTF-8 with a textual `Content-Type` (`text/*`, JSON, XML,
/// JavaScript, YAML and their `+json`/`+xml` kin). Anything else, form posts included, is base64.
fn is_text(headers: &HeaderMap, body: &[u8]) -> bool {
    let Some(content_type) = header(headers, "content-type") else {
        return false;
    };
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let textual = essence.starts_with("text/")
        || essence.ends_with("+json")
        || essence.ends_with("+xml")
        || matches!(
            essence.as_str(),
            "application/json" | "application/javascript" | "application/xml" | "application/yaml"
        );
    textual && std::str::from_utf8(body).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Request;

    fn facts() -> RequestFacts<'static> {
        RequestFacts {
            url_id: "abcdefghijklmnopqrstuvwxyz012345",
            domain_name: "abcdefghijklmnopqrstuvwxyz012345.lambda-url.us-east-1.localhost",
            account_id: "anonymous",
            authorizer: None,
            request_id: "req-1",
            source_ip: "127.0.0.1",
            now: DateTime::from_timestamp_millis(1_583_348_638_390).expect("time"),
        }
    }

    fn parts(request: Request<()>) -> Parts {
        request.into_parts().0
    }

    #[test]
    fn a_post_with_query_cookies_and_json() {
        let request = Request::post("/my/path?a=1&a=2&b=x%20y")
            .header("Content-Type", "application/json")
            .header("Cookie", "c1=v1; c2=v2")
            .header("X-Multi", "one")
            .header("X-Multi", "two")
            .header("User-Agent", "curl/8")
            .body(())
            .expect("request");
        let event = event(&parts(request), br#"{"k":"v"}"#, &facts());
        assert_eq!(event["version"], "2.0");
        assert_eq!(event["routeKey"], "$default");
        assert_eq!(event["rawPath"], "/my/path");
        assert_eq!(event["rawQueryString"], "a=1&a=2&b=x%20y");
        assert_eq!(event["cookies"], json!(["c1=v1", "c2=v2"]));
        assert_eq!(event["headers"]["x-multi"], "one,two");
        assert!(
            event["headers"].get("cookie").is_none(),
            "cookies are not headers"
        );
        assert_eq!(event["queryStringParameters"], json!({"a": "1,2", "b": "x y"}));
        assert_eq!(event["body"], r#"{"k":"v"}"#);
        assert_eq!(event["isBase64Encoded"], false);
        let context = &event["requestContext"];
        assert_eq!(context["http"]["method"], "POST");
        assert_eq!(context["http"]["path"], "/my/path");
        assert_eq!(context["http"]["userAgent"], "curl/8");
        assert_eq!(context["accountId"], "anonymous");
        assert_eq!(context["apiId"], "abcdefghijklmnopqrstuvwxyz012345");
        assert_eq!(context["time"], "04/Mar/2020:19:03:58 +0000");
        assert_eq!(context["timeEpoch"], 1_583_348_638_390_i64);
        assert!(context.get("authorizer").is_none());
    }

    #[test]
    fn a_get_has_no_body_query_or_cookies() {
        let event = event(
            &parts(Request::get("/").body(()).expect("request")),
            b"",
            &facts(),
        );
        for absent in ["body", "cookies", "queryStringParameters"] {
            assert!(event.get(absent).is_none(), "{absent} in {event}");
        }
        assert_eq!(event["isBase64Encoded"], false);
        assert_eq!(event["rawQueryString"], "");
    }

    #[test]
    fn binary_and_form_bodies_are_base64() {
        for (content_type, body) in [
            (Some("application/octet-stream"), &b"\x00\xff"[..]),
            (Some("application/x-www-form-urlencoded"), b"a=1"),
            (Some("text/plain"), b"\xff\xfe"),
            (None, b"plain"),
        ] {
            let mut request = Request::post("/");
            if let Some(content_type) = content_type {
                request = request.header("content-type", content_type);
            }
            let event = event(&parts(request.body(()).expect("request")), body, &facts());
            assert_eq!(event["isBase64Encoded"], true, "{content_type:?}");
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(event["body"].as_str().expect("body"))
                .expect("base64");
            assert_eq!(decoded, body);
        }
        let request = Request::post("/").header("content-type", "application/vnd.api+json; charset=utf-8");
        let event = event(&parts(request.body(()).expect("request")), b"{}", &facts());
        assert_eq!(
            (event["isBase64Encoded"].clone(), event["body"].clone()),
            (json!(false), json!("{}"))
        );
    }
}
