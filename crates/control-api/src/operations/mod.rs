//! One module per group of operations; each handler parses, calls the engine once, and renders.

pub(crate) mod account;
pub(crate) mod aliases;
pub(crate) mod code;
pub(crate) mod code_signing;
pub(crate) mod event_invoke_configs;
pub(crate) mod event_source_mappings;
pub(crate) mod functions;
pub(crate) mod invoke;
pub(crate) mod layers;
pub(crate) mod permissions;
pub(crate) mod provisioned_concurrency;
pub(crate) mod settings;
pub(crate) mod url_configs;

use axum::Json;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use lamina_model::headers::LAMINA_WARNINGS;

/// A JSON answer with a status.
pub(crate) fn json_response<T: Serialize>(status: StatusCode, value: &T) -> Response {
    (status, Json(value)).into_response()
}

/// Adds one `X-Lamina-Warnings` line per lint warning (non-printable characters replaced).
pub(crate) fn with_warnings(mut response: Response, warnings: &[String]) -> Response {
    for warning in warnings {
        let printable: String = warning
            .chars()
            .map(|c| if (' '..='~').contains(&c) { c } else { ' ' })
            .collect();
        if let Ok(value) = HeaderValue::from_str(&printable) {
            response.headers_mut().append(LAMINA_WARNINGS, value);
        }
    }
    response
}

/// 204 with an empty body.
pub(crate) fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}
