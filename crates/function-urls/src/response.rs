//! The HTTP response a function's result becomes. A JSON object with `statusCode` is the response
//! itself (`headers`, `cookies`, `body`, `isBase64Encoded`); any other JSON is the body of a 200 with
//! `Content-Type: application/json` (a JSON string gives its text). A function error, or a result that
//! is not JSON or names an impossible response, is a 502.

use base64::Engine as _;
use bytes::Bytes;
use serde_json::Value;

/// A response, before CORS headers are added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UrlResponse {
    pub(crate) status: u16,
    /// Header names and values, in order.
    pub(crate) headers: Vec<(String, String)>,
    /// One `Set-Cookie` each.
    pub(crate) cookies: Vec<String>,
    pub(crate) body: Bytes,
}

impl UrlResponse {
    /// The answer to a function error or an unusable result: 502.
    pub(crate) fn bad_gateway() -> Self {
        UrlResponse {
            status: 502,
            headers: vec![("content-type".into(), "application/json".into())],
            cookies: Vec::new(),
            body: Bytes::from_static(b"Internal Server Error"),
        }
    }

    /// An error of the URL itself, with AWS's `{"Message": ...}` body.
    pub(crate) fn message(status: u16, message: &str) -> Self {
        UrlResponse {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            cookies: Vec::new(),
            body: Bytes::from(serde_json::json!({ "Message": message }).to_string()),
        }
    }
}

/// The response of a function that returned `payload` (without a function error).
pub(crate) fn from_result(payload: &[u8]) -> UrlResponse {
    let Ok(value) = serde_json::from_slice::<Value>(payload) else {
        return UrlResponse::bad_gateway();
    };
    let json = |body: Bytes| UrlResponse {
        status: 200,
        headers: vec![("content-type".into(), "application/json".into())],
        cookies: Vec::new(),
        body,
    };
    match &value {
        Value::Object(object) if object.contains_key("statusCode") => {
            structured(object).unwrap_or_else(UrlResponse::bad_gateway)
        }
        Value::String(text) => json(Bytes::from(text.clone())),
        _ => json(Bytes::copy_from_slice(payload)),
    }
}

/// The response a streamed result's prelude describes (the JSON before the 8 NUL bytes of an
/// `application/vnd.awslambda.http-integration-response` body: `statusCode`, 200 when absent, `headers`
/// and `cookies`); `None` when it cannot be one. The body is what follows the NULs.
pub(crate) fn from_prelude(prelude: &[u8]) -> Option<UrlResponse> {
    let Value::Object(mut object) = serde_json::from_slice::<Value>(prelude).ok()? else {
        return None;
    };
    object.entry("statusCode").or_insert(Value::from(200));
    object.remove("body");
    object.remove("isBase64Encoded");
    structured(&object)
}

/// The response an object with `statusCode` describes; `None` when it cannot be one.
fn structured(object: &serde_json::Map<String, Value>) -> Option<UrlResponse> {
    let status = object.get("statusCode")?.as_u64()?;
    let status = u16::try_from(status).ok().filter(|s| (100..=599).contains(s))?;
    let mut headers = Vec::new();
    if let Some(given) = object.get("headers").filter(|h| !h.is_null()) {
        for (name, value) in given.as_object()? {
            let value = match value {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                _ => return None,
            };
            headers.push((name.clone(), value));
        }
    }
    let cookies = match object.get("cookies").filter(|c| !c.is_null()) {
        Some(list) => list
            .as_array()?
            .iter()
            .map(|c| c.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()?,
        None => Vec::new(),
    };
    let text = match object.get("body") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    };
    let body = if object.get("isBase64Encoded").and_then(Value::as_bool) == Some(true) {
        Bytes::from(base64::engine::general_purpose::STANDARD.decode(text).ok()?)
    } else {
        Bytes::from(text)
    };
    Some(UrlResponse {
        status,
        headers,
        cookies,
        body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_structured_result_is_the_response() {
        let got = from_result(
            br#"{"statusCode":201,"headers":{"Content-Type":"text/plain","X-Count":3},
                "cookies":["a=1; Path=/","b=2"],"body":"made"}"#,
        );
        assert_eq!(got.status, 201);
        assert_eq!(
            got.headers,
            [
                ("Content-Type".into(), "text/plain".into()),
                ("X-Count".into(), "3".into())
            ]
        );
        assert_eq!(got.cookies, ["a=1; Path=/", "b=2"]);
        assert_eq!(got.body, "made");
    }

    #[test]
    fn a_base64_body_is_decoded() {
        let got = from_result(br#"{"statusCode":200,"body":"AP8=","isBase64Encoded":true}"#);
        assert_eq!(got.body.as_ref(), b"\x00\xff");
        assert!(got.headers.is_empty());
    }

    #[test]
    fn other_json_is_a_json_body() {
        let got = from_result(br#"{"message":"hi"}"#);
        assert_eq!(
            (got.status, got.body.as_ref()),
            (200, &br#"{"message":"hi"}"#[..])
        );
        assert_eq!(got.headers, [("content-type".into(), "application/json".into())]);
        assert_eq!(from_result(br#""Hello (world)""#).body, "Hello (world)");
        assert_eq!(from_result(b"[1,2]").body, "[1,2]");
        assert_eq!(from_result(b"null").body, "null");
    }

    #[test]
    fn a_prelude_is_the_head_of_the_response() {
        let got =
            from_prelude(br#"{"statusCode":201,"headers":{"Content-Type":"text/plain"},"cookies":["a=1"]}"#)
                .expect("prelude");
        assert_eq!(got.status, 201);
        assert_eq!(got.headers, [("Content-Type".into(), "text/plain".into())]);
        assert_eq!(got.cookies, ["a=1"]);
        assert!(got.body.is_empty());
        assert_eq!(from_prelude(b"{}").expect("defaults").status, 200);
        assert_eq!(from_prelude(br#"{"statusCode":"x"}"#), None);
        assert_eq!(from_prelude(b"[1]"), None);
    }

    #[test]
    fn impossible_responses_are_502() {
        for payload in [
            &b"not json"[..],
            br#"{"statusCode":"200"}"#,
            br#"{"statusCode":99}"#,
            br#"{"statusCode":200,"headers":["x"]}"#,
            br#"{"statusCode":200,"cookies":[1]}"#,
            br#"{"statusCode":200,"body":"%%%","isBase64Encoded":true}"#,
        ] {
            assert_eq!(
                from_result(payload),
                UrlResponse::bad_gateway(),
                "{}",
                String::from_utf8_lossy(payload)
            );
        }
    }
}
