//! Everything not in the route table: operations of the Lambda service model that lamina does not
//! serve yet get a 400 naming the operation (SDKs do not retry 4xx); other paths a 404.

use std::sync::LazyLock;

use axum::extract::Request;
use regex::Regex;

use crate::error::ApiError;

/// (method, path pattern, operation) for the service model's operations outside the route table.
const OPERATIONS: &[(&str, &str, &str)] = &[
    ("POST", r"^/2015-03-31/functions/[^/]+/invocations/?$", "Invoke"),
    (
        "POST",
        r"^/2014-11-13/functions/[^/]+/invoke-async/?$",
        "InvokeAsync",
    ),
    (
        "POST",
        r"^/2021-11-15/functions/[^/]+/response-streaming-invocations/?$",
        "InvokeWithResponseStream",
    ),
    ("POST", r"^/2015-03-31/functions/[^/]+/aliases/?$", "CreateAlias"),
    ("GET", r"^/2015-03-31/functions/[^/]+/aliases/?$", "ListAliases"),
    ("GET", r"^/2015-03-31/functions/[^/]+/aliases/[^/]+$", "GetAlias"),
    (
        "PUT",
        r"^/2015-03-31/functions/[^/]+/aliases/[^/]+$",
        "UpdateAlias",
    ),
    (
        "DELETE",
        r"^/2015-03-31/functions/[^/]+/aliases/[^/]+$",
        "DeleteAlias",
    ),
    ("POST", r"^/2015-03-31/functions/[^/]+/policy/?$", "AddPermission"),
    ("GET", r"^/2015-03-31/functions/[^/]+/policy/?$", "GetPolicy"),
    (
        "DELETE",
        r"^/2015-03-31/functions/[^/]+/policy/[^/]+$",
        "RemovePermission",
    ),
    (
        "POST",
        r"^/2018-10-31/layers/[^/]+/versions/?$",
        "PublishLayerVersion",
    ),
    (
        "GET",
        r"^/2018-10-31/layers/[^/]+/versions/?$",
        "ListLayerVersions",
    ),
    (
        "GET",
        r"^/2018-10-31/layers/[^/]+/versions/[^/]+$",
        "GetLayerVersion",
    ),
    (
        "DELETE",
        r"^/2018-10-31/layers/[^/]+/versions/[^/]+$",
        "DeleteLayerVersion",
    ),
    ("GET", r"^/2018-10-31/layers/?$", "ListLayers"),
    (
        "POST",
        r"^/2018-10-31/layers/[^/]+/versions/[^/]+/policy/?$",
        "AddLayerVersionPermission",
    ),
    (
        "GET",
        r"^/2018-10-31/layers/[^/]+/versions/[^/]+/policy/?$",
        "GetLayerVersionPolicy",
    ),
    (
        "DELETE",
        r"^/2018-10-31/layers/[^/]+/versions/[^/]+/policy/[^/]+$",
        "RemoveLayerVersionPermission",
    ),
    (
        "POST",
        r"^/2021-10-31/functions/[^/]+/url/?$",
        "CreateFunctionUrlConfig",
    ),
    (
        "GET",
        r"^/2021-10-31/functions/[^/]+/url/?$",
        "GetFunctionUrlConfig",
    ),
    (
        "PUT",
        r"^/2021-10-31/functions/[^/]+/url/?$",
        "UpdateFunctionUrlConfig",
    ),
    (
        "DELETE",
        r"^/2021-10-31/functions/[^/]+/url/?$",
        "DeleteFunctionUrlConfig",
    ),
    (
        "GET",
        r"^/2021-10-31/functions/[^/]+/urls/?$",
        "ListFunctionUrlConfigs",
    ),
    (
        "PUT",
        r"^/2019-09-25/functions/[^/]+/event-invoke-config/?$",
        "PutFunctionEventInvokeConfig",
    ),
    (
        "POST",
        r"^/2019-09-25/functions/[^/]+/event-invoke-config/?$",
        "UpdateFunctionEventInvokeConfig",
    ),
    (
        "GET",
        r"^/2019-09-25/functions/[^/]+/event-invoke-config/list/?$",
        "ListFunctionEventInvokeConfigs",
    ),
    (
        "GET",
        r"^/2019-09-25/functions/[^/]+/event-invoke-config/?$",
        "GetFunctionEventInvokeConfig",
    ),
    (
        "DELETE",
        r"^/2019-09-25/functions/[^/]+/event-invoke-config/?$",
        "DeleteFunctionEventInvokeConfig",
    ),
    (
        "POST",
        r"^/2015-03-31/event-source-mappings/?$",
        "CreateEventSourceMapping",
    ),
    (
        "GET",
        r"^/2015-03-31/event-source-mappings/?$",
        "ListEventSourceMappings",
    ),
    (
        "GET",
        r"^/2015-03-31/event-source-mappings/[^/]+$",
        "GetEventSourceMapping",
    ),
    (
        "PUT",
        r"^/2015-03-31/event-source-mappings/[^/]+$",
        "UpdateEventSourceMapping",
    ),
    (
        "DELETE",
        r"^/2015-03-31/event-source-mappings/[^/]+$",
        "DeleteEventSourceMapping",
    ),
    (
        "PUT",
        r"^/2019-09-30/functions/[^/]+/provisioned-concurrency/?$",
        "PutProvisionedConcurrencyConfig",
    ),
    (
        "GET",
        r"^/2019-09-30/functions/[^/]+/provisioned-concurrency/?$",
        "GetProvisionedConcurrencyConfig",
    ),
    (
        "DELETE",
        r"^/2019-09-30/functions/[^/]+/provisioned-concurrency/?$",
        "DeleteProvisionedConcurrencyConfig",
    ),
    (
        "POST",
        r"^/2020-04-22/code-signing-configs/?$",
        "CreateCodeSigningConfig",
    ),
    (
        "GET",
        r"^/2020-04-22/code-signing-configs/?$",
        "ListCodeSigningConfigs",
    ),
    (
        "PUT",
        r"^/2020-06-30/functions/[^/]+/code-signing-config/?$",
        "PutFunctionCodeSigningConfig",
    ),
    (
        "GET",
        r"^/2020-06-30/functions/[^/]+/code-signing-config/?$",
        "GetFunctionCodeSigningConfig",
    ),
    (
        "DELETE",
        r"^/2020-06-30/functions/[^/]+/code-signing-config/?$",
        "DeleteFunctionCodeSigningConfig",
    ),
    (
        "PUT",
        r"^/2021-07-20/functions/[^/]+/runtime-management-config/?$",
        "PutRuntimeManagementConfig",
    ),
    (
        "GET",
        r"^/2021-07-20/functions/[^/]+/runtime-management-config/?$",
        "GetRuntimeManagementConfig",
    ),
    (
        "PUT",
        r"^/2024-08-31/functions/[^/]+/recursion-config/?$",
        "PutFunctionRecursionConfig",
    ),
    (
        "GET",
        r"^/2024-08-31/functions/[^/]+/recursion-config/?$",
        "GetFunctionRecursionConfig",
    ),
];

static COMPILED: LazyLock<Vec<(&'static str, Regex, &'static str)>> = LazyLock::new(|| {
    OPERATIONS
        .iter()
        .filter_map(|(method, pattern, op)| Regex::new(pattern).ok().map(|re| (*method, re, *op)))
        .collect()
});

/// The operation a method and path would be in the Lambda service model, if lamina knows it.
pub(crate) fn operation_of(method: &str, path: &str) -> Option<&'static str> {
    COMPILED
        .iter()
        .find(|(m, re, _)| *m == method && re.is_match(path))
        .map(|(_, _, op)| *op)
}

pub(crate) async fn fallback(request: Request) -> ApiError {
    let method = request.method().as_str().to_owned();
    let path = request.uri().path().to_owned();
    match operation_of(&method, &path) {
        Some(operation) => ApiError::Unsupported {
            operation,
            method,
            path,
        },
        None => ApiError::UnknownOperation { method, path },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pattern_compiles() {
        assert_eq!(COMPILED.len(), OPERATIONS.len());
    }

    #[test]
    fn names_known_operations() {
        assert_eq!(
            operation_of("POST", "/2015-03-31/functions/f/invocations"),
            Some("Invoke")
        );
        assert_eq!(
            operation_of("GET", "/2015-03-31/functions/f/aliases/prod"),
            Some("GetAlias")
        );
        assert_eq!(operation_of("GET", "/nothing"), None);
    }
}
