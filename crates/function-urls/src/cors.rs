//! CORS as a function URL's `Cors` settings ask: the URL answers preflight requests itself (the function
//! is not invoked), and adds the allow/expose headers to the function's responses, replacing any the
//! function set, for an origin it allows.

use lamina_engine::wire::Cors;

/// Whether the request is a CORS preflight: `OPTIONS` with `Origin` and `Access-Control-Request-Method`.
pub(crate) fn is_preflight(method: &str, origin: Option<&str>, requested_method: Option<&str>) -> bool {
    method == "OPTIONS" && origin.is_some() && requested_method.is_some()
}

/// The `Access-Control-Allow-Origin` for `origin`: `*` when every origin is allowed, the origin itself
/// when it is listed (compared without case), none otherwise.
fn allowed_origin(cors: &Cors, origin: &str) -> Option<String> {
    let origins = cors.allow_origins.as_deref().unwrap_or_default();
    if origins.iter().any(|o| o == "*") {
        Some("*".into())
    } else {
        origins
            .iter()
            .any(|o| o.eq_ignore_ascii_case(origin))
            .then(|| origin.to_owned())
    }
}

/// The headers of the answer to a preflight from `origin` (status 200, no body): none when the origin
/// is not allowed.
pub(crate) fn preflight_headers(cors: &Cors, origin: &str) -> Vec<(String, String)> {
    let Some(allowed) = allowed_origin(cors, origin) else {
        return Vec::new();
    };
    let mut headers = vec![("access-control-allow-origin".to_owned(), allowed)];
    let join = |values: &Option<Vec<String>>| values.as_ref().filter(|v| !v.is_empty()).map(|v| v.join(","));
    if let Some(methods) = join(&cors.allow_methods) {
        headers.push(("access-control-allow-methods".into(), methods));
    }
    if let Some(allowed_headers) = join(&cors.allow_headers) {
        headers.push(("access-control-allow-headers".into(), allowed_headers));
    }
    if let Some(age) = cors.max_age {
        headers.push(("access-control-max-age".into(), age.to_string()));
    }
    if cors.allow_credentials == Some(true) {
        headers.push(("access-control-allow-credentials".into(), "true".into()));
    }
    headers.push(("vary".into(), "Origin".into()));
    headers
}

/// The CORS headers of a response to a request from `origin`: none when the origin is not allowed.
pub(crate) fn response_headers(cors: &Cors, origin: &str) -> Vec<(String, String)> {
    let Some(allowed) = allowed_origin(cors, origin) else {
        return Vec::new();
    };
    let mut headers = vec![("access-control-allow-origin".to_owned(), allowed)];
    if let Some(exposed) = cors.expose_headers.as_ref().filter(|v| !v.is_empty()) {
        headers.push(("access-control-expose-headers".into(), exposed.join(",")));
    }
    if cors.allow_credentials == Some(true) {
        headers.push(("access-control-allow-credentials".into(), "true".into()));
    }
    headers.push(("vary".into(), "Origin".into()));
    headers
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cors(origins: &[&str]) -> Cors {
        Cors {
            allow_credentials: Some(true),
            allow_headers: Some(vec!["content-type".into(), "x-custom".into()]),
            allow_methods: Some(vec!["GET".into(), "POST".into()]),
            allow_origins: Some(origins.iter().map(|o| (*o).to_owned()).collect()),
            expose_headers: Some(vec!["x-answer".into()]),
            max_age: Some(300),
        }
    }

    fn value<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
        headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    #[test]
    fn a_listed_origin_gets_every_setting() {
        let got = preflight_headers(&cors(&["https://app.example"]), "https://APP.example");
        assert_eq!(
            value(&got, "access-control-allow-origin"),
            Some("https://APP.example")
        );
        assert_eq!(value(&got, "access-control-allow-methods"), Some("GET,POST"));
        assert_eq!(
            value(&got, "access-control-allow-headers"),
            Some("content-type,x-custom")
        );
        assert_eq!(value(&got, "access-control-max-age"), Some("300"));
        assert_eq!(value(&got, "access-control-allow-credentials"), Some("true"));
        let got = response_headers(&cors(&["https://app.example"]), "https://app.example");
        assert_eq!(value(&got, "access-control-expose-headers"), Some("x-answer"));
        assert_eq!(
            value(&got, "access-control-allow-methods"),
            None,
            "preflight only"
        );
    }

    #[test]
    fn a_wildcard_allows_everyone_and_others_get_nothing() {
        assert_eq!(
            value(
                &preflight_headers(&cors(&["*"]), "https://any.example"),
                "access-control-allow-origin"
            ),
            Some("*")
        );
        assert!(preflight_headers(&cors(&["https://app.example"]), "https://evil.example").is_empty());
        assert!(response_headers(&cors(&[]), "https://app.example").is_empty());
    }

    #[test]
    fn preflight_needs_origin_and_requested_method() {
        assert!(is_preflight("OPTIONS", Some("o"), Some("POST")));
        assert!(!is_preflight("OPTIONS", Some("o"), None));
        assert!(!is_preflight("OPTIONS", None, Some("POST")));
        assert!(!is_preflight("GET", Some("o"), Some("POST")));
    }
}
