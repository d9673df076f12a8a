//! The Lambda API surface in one table: every operation of the Lambda service model (2015-03-31), its
//! HTTP method and URI exactly as the model states them, and how lamina answers it: with a handler, or
//! with 400 `UnsupportedOperationException` naming the operation (never a status the SDKs retry).
//!
//! The router (`routes.rs`) is built from [`OPERATIONS`], and so is the answer to every request no route
//! takes ([`operation_at`]); a test (`surface/service_model.rs`) checks the table against the checked-in copy
//! of the service model, so an operation AWS adds or a URI typed wrong fails `cargo test`.
//!
//! Two rules complete the table:
//! - A URI whose last segment is literal (`/2015-03-31/functions`, `.../configuration`) is also taken with
//!   a trailing slash, as some SDKs send it (`GET /2015-03-31/functions/`); one ending in a `{Label}` is not.
//! - An operation whose URI carries a query (`/2018-10-31/layers?find=LayerVersion`) shares its path and
//!   method with another operation; a request with that query parameter is the former.

use axum::http::Method;
use axum::routing::{MethodFilter, MethodRouter, on};
use lamina_engine::Engine;

use crate::operations::{
    account, aliases, code_signing, event_invoke_configs, event_source_mappings, functions, invoke, layers,
    permissions, provisioned_concurrency, settings, url_configs,
};
use crate::request::Query;

#[cfg(test)]
mod service_model;

/// One operation of the service model and how lamina answers it.
pub(crate) struct Operation {
    /// The model's operation name (`CreateFunction`).
    pub(crate) name: &'static str,
    /// The HTTP method.
    pub(crate) method: Method,
    /// The model's `requestUri`: a path template with `{Label}`s, and optionally `?key=value`.
    pub(crate) uri: &'static str,
    /// How lamina answers it.
    pub(crate) answer: Answer,
}

/// How lamina answers an operation.
pub(crate) enum Answer {
    /// With this handler, registered for the operation's method and path.
    Handler(fn(MethodFilter) -> MethodRouter<Engine>),
    /// With the handler of the operation at the same method and path without the query, which reads the
    /// query to tell the two apart (GetLayerVersionByArn is ListLayers' path with `find=LayerVersion`).
    SharedRoute,
    /// With 400 `UnsupportedOperationException` naming the operation: lamina does not serve it yet.
    Unsupported,
}

const GET: Method = Method::GET;
const POST: Method = Method::POST;
const PUT: Method = Method::PUT;
const DELETE: Method = Method::DELETE;

const fn served(
    name: &'static str,
    method: Method,
    uri: &'static str,
    handler: fn(MethodFilter) -> MethodRouter<Engine>,
) -> Operation {
    Operation {
        name,
        method,
        uri,
        answer: Answer::Handler(handler),
    }
}

const fn shared(name: &'static str, method: Method, uri: &'static str) -> Operation {
    Operation {
        name,
        method,
        uri,
        answer: Answer::SharedRoute,
    }
}

const fn unsupported(name: &'static str, method: Method, uri: &'static str) -> Operation {
    Operation {
        name,
        method,
        uri,
        answer: Answer::Unsupported,
    }
}

/// Every operation of the Lambda service model, grouped by resource.
#[rustfmt::skip]
pub(crate) const OPERATIONS: &[Operation] = &[
    // Functions.
    served("CreateFunction", POST, "/2015-03-31/functions", |m| on(m, functions::create)),
    served("ListFunctions", GET, "/2015-03-31/functions", |m| on(m, functions::list)),
    served("GetFunction", GET, "/2015-03-31/functions/{FunctionName}", |m| on(m, functions::get)),
    served("DeleteFunction", DELETE, "/2015-03-31/functions/{FunctionName}", |m| on(m, functions::delete)),
    served("GetFunctionConfiguration", GET, "/2015-03-31/functions/{FunctionName}/configuration", |m| on(m, functions::get_configuration)),
    served("UpdateFunctionConfiguration", PUT, "/2015-03-31/functions/{FunctionName}/configuration", |m| on(m, functions::update_configuration)),
    served("UpdateFunctionCode", PUT, "/2015-03-31/functions/{FunctionName}/code", |m| on(m, functions::update_code)),
    served("PublishVersion", POST, "/2015-03-31/functions/{FunctionName}/versions", |m| on(m, functions::publish_version)),
    served("ListVersionsByFunction", GET, "/2015-03-31/functions/{FunctionName}/versions", |m| on(m, functions::list_versions)),
    // Invocation.
    served("Invoke", POST, "/2015-03-31/functions/{FunctionName}/invocations", |m| on(m, invoke::invoke)),
    served("InvokeAsync", POST, "/2014-11-13/functions/{FunctionName}/invoke-async", |m| on(m, invoke::invoke_async)),
    served("InvokeWithResponseStream", POST, "/2021-11-15/functions/{FunctionName}/response-streaming-invocations", |m| on(m, invoke::invoke_with_response_stream)),
    // Concurrency and account.
    served("PutFunctionConcurrency", PUT, "/2017-10-31/functions/{FunctionName}/concurrency", |m| on(m, account::put_concurrency)),
    served("DeleteFunctionConcurrency", DELETE, "/2017-10-31/functions/{FunctionName}/concurrency", |m| on(m, account::delete_concurrency)),
    served("GetFunctionConcurrency", GET, "/2019-09-30/functions/{FunctionName}/concurrency", |m| on(m, account::get_concurrency)),
    served("GetAccountSettings", GET, "/2016-08-19/account-settings", |m| on(m, account::settings)),
    // Tags.
    served("TagResource", POST, "/2017-03-31/tags/{Resource}", |m| on(m, account::tag)),
    served("UntagResource", DELETE, "/2017-03-31/tags/{Resource}", |m| on(m, account::untag)),
    served("ListTags", GET, "/2017-03-31/tags/{Resource}", |m| on(m, account::list_tags)),
    // Layers.
    served("ListLayers", GET, "/2018-10-31/layers", |m| on(m, layers::list_or_find)),
    shared("GetLayerVersionByArn", GET, "/2018-10-31/layers?find=LayerVersion"),
    served("PublishLayerVersion", POST, "/2018-10-31/layers/{LayerName}/versions", |m| on(m, layers::publish)),
    served("ListLayerVersions", GET, "/2018-10-31/layers/{LayerName}/versions", |m| on(m, layers::list_versions)),
    served("GetLayerVersion", GET, "/2018-10-31/layers/{LayerName}/versions/{VersionNumber}", |m| on(m, layers::get)),
    served("DeleteLayerVersion", DELETE, "/2018-10-31/layers/{LayerName}/versions/{VersionNumber}", |m| on(m, layers::delete)),
    served("AddLayerVersionPermission", POST, "/2018-10-31/layers/{LayerName}/versions/{VersionNumber}/policy", |m| on(m, permissions::add_layer)),
    served("GetLayerVersionPolicy", GET, "/2018-10-31/layers/{LayerName}/versions/{VersionNumber}/policy", |m| on(m, permissions::get_layer)),
    served("RemoveLayerVersionPermission", DELETE, "/2018-10-31/layers/{LayerName}/versions/{VersionNumber}/policy/{StatementId}", |m| on(m, permissions::remove_layer)),
    // Aliases.
    served("CreateAlias", POST, "/2015-03-31/functions/{FunctionName}/aliases", |m| on(m, aliases::create)),
    served("ListAliases", GET, "/2015-03-31/functions/{FunctionName}/aliases", |m| on(m, aliases::list)),
    served("GetAlias", GET, "/2015-03-31/functions/{FunctionName}/aliases/{Name}", |m| on(m, aliases::get)),
    served("UpdateAlias", PUT, "/2015-03-31/functions/{FunctionName}/aliases/{Name}", |m| on(m, aliases::update)),
    served("DeleteAlias", DELETE, "/2015-03-31/functions/{FunctionName}/aliases/{Name}", |m| on(m, aliases::delete)),
    // Resource-based policies.
    served("AddPermission", POST, "/2015-03-31/functions/{FunctionName}/policy", |m| on(m, permissions::add)),
    served("GetPolicy", GET, "/2015-03-31/functions/{FunctionName}/policy", |m| on(m, permissions::get)),
    served("RemovePermission", DELETE, "/2015-03-31/functions/{FunctionName}/policy/{StatementId}", |m| on(m, permissions::remove)),
    // Function URLs.
    served("CreateFunctionUrlConfig", POST, "/2021-10-31/functions/{FunctionName}/url", |m| on(m, url_configs::create)),
    served("GetFunctionUrlConfig", GET, "/2021-10-31/functions/{FunctionName}/url", |m| on(m, url_configs::get)),
    served("UpdateFunctionUrlConfig", PUT, "/2021-10-31/functions/{FunctionName}/url", |m| on(m, url_configs::update)),
    served("DeleteFunctionUrlConfig", DELETE, "/2021-10-31/functions/{FunctionName}/url", |m| on(m, url_configs::delete)),
    served("ListFunctionUrlConfigs", GET, "/2021-10-31/functions/{FunctionName}/urls", |m| on(m, url_configs::list)),
    // Asynchronous invocation settings.
    served("PutFunctionEventInvokeConfig", PUT, "/2019-09-25/functions/{FunctionName}/event-invoke-config", |m| on(m, event_invoke_configs::put)),
    served("UpdateFunctionEventInvokeConfig", POST, "/2019-09-25/functions/{FunctionName}/event-invoke-config", |m| on(m, event_invoke_configs::update)),
    served("GetFunctionEventInvokeConfig", GET, "/2019-09-25/functions/{FunctionName}/event-invoke-config", |m| on(m, event_invoke_configs::get)),
    served("DeleteFunctionEventInvokeConfig", DELETE, "/2019-09-25/functions/{FunctionName}/event-invoke-config", |m| on(m, event_invoke_configs::delete)),
    served("ListFunctionEventInvokeConfigs", GET, "/2019-09-25/functions/{FunctionName}/event-invoke-config/list", |m| on(m, event_invoke_configs::list)),
    // Event source mappings: answered as for an account without any (lamina serves no queues or streams).
    served("CreateEventSourceMapping", POST, "/2015-03-31/event-source-mappings", |m| on(m, event_source_mappings::create)),
    served("ListEventSourceMappings", GET, "/2015-03-31/event-source-mappings", |m| on(m, event_source_mappings::list)),
    served("GetEventSourceMapping", GET, "/2015-03-31/event-source-mappings/{UUID}", |m| on(m, event_source_mappings::one)),
    served("UpdateEventSourceMapping", PUT, "/2015-03-31/event-source-mappings/{UUID}", |m| on(m, event_source_mappings::one)),
    served("DeleteEventSourceMapping", DELETE, "/2015-03-31/event-source-mappings/{UUID}", |m| on(m, event_source_mappings::one)),
    // Provisioned concurrency.
    served("PutProvisionedConcurrencyConfig", PUT, "/2019-09-30/functions/{FunctionName}/provisioned-concurrency", |m| on(m, provisioned_concurrency::put)),
    served("GetProvisionedConcurrencyConfig", GET, "/2019-09-30/functions/{FunctionName}/provisioned-concurrency", |m| on(m, provisioned_concurrency::get_or_list)),
    served("DeleteProvisionedConcurrencyConfig", DELETE, "/2019-09-30/functions/{FunctionName}/provisioned-concurrency", |m| on(m, provisioned_concurrency::delete)),
    shared("ListProvisionedConcurrencyConfigs", GET, "/2019-09-30/functions/{FunctionName}/provisioned-concurrency?List=ALL"),
    // Code signing.
    served("CreateCodeSigningConfig", POST, "/2020-04-22/code-signing-configs", |m| on(m, code_signing::create)),
    served("ListCodeSigningConfigs", GET, "/2020-04-22/code-signing-configs", |m| on(m, code_signing::list)),
    served("GetCodeSigningConfig", GET, "/2020-04-22/code-signing-configs/{CodeSigningConfigArn}", |m| on(m, code_signing::get)),
    served("UpdateCodeSigningConfig", PUT, "/2020-04-22/code-signing-configs/{CodeSigningConfigArn}", |m| on(m, code_signing::update)),
    served("DeleteCodeSigningConfig", DELETE, "/2020-04-22/code-signing-configs/{CodeSigningConfigArn}", |m| on(m, code_signing::delete)),
    served("ListFunctionsByCodeSigningConfig", GET, "/2020-04-22/code-signing-configs/{CodeSigningConfigArn}/functions", |m| on(m, code_signing::list_functions)),
    served("PutFunctionCodeSigningConfig", PUT, "/2020-06-30/functions/{FunctionName}/code-signing-config", |m| on(m, code_signing::put_function)),
    served("GetFunctionCodeSigningConfig", GET, "/2020-06-30/functions/{FunctionName}/code-signing-config", |m| on(m, code_signing::get_function)),
    served("DeleteFunctionCodeSigningConfig", DELETE, "/2020-06-30/functions/{FunctionName}/code-signing-config", |m| on(m, code_signing::delete_function)),
    // Runtime management and recursion.
    served("PutRuntimeManagementConfig", PUT, "/2021-07-20/functions/{FunctionName}/runtime-management-config", |m| on(m, settings::put_runtime_management)),
    served("GetRuntimeManagementConfig", GET, "/2021-07-20/functions/{FunctionName}/runtime-management-config", |m| on(m, settings::get_runtime_management)),
    served("PutFunctionRecursionConfig", PUT, "/2024-08-31/functions/{FunctionName}/recursion-config", |m| on(m, settings::put_recursion)),
    served("GetFunctionRecursionConfig", GET, "/2024-08-31/functions/{FunctionName}/recursion-config", |m| on(m, settings::get_recursion)),
    // Capacity providers and scaling.
    unsupported("CreateCapacityProvider", POST, "/2025-11-30/capacity-providers"),
    unsupported("ListCapacityProviders", GET, "/2025-11-30/capacity-providers"),
    unsupported("GetCapacityProvider", GET, "/2025-11-30/capacity-providers/{CapacityProviderName}"),
    unsupported("UpdateCapacityProvider", PUT, "/2025-11-30/capacity-providers/{CapacityProviderName}"),
    unsupported("DeleteCapacityProvider", DELETE, "/2025-11-30/capacity-providers/{CapacityProviderName}"),
    unsupported("ListFunctionVersionsByCapacityProvider", GET, "/2025-11-30/capacity-providers/{CapacityProviderName}/function-versions"),
    unsupported("PutFunctionScalingConfig", PUT, "/2025-11-30/functions/{FunctionName}/function-scaling-config"),
    unsupported("GetFunctionScalingConfig", GET, "/2025-11-30/functions/{FunctionName}/function-scaling-config"),
    // Durable executions.
    unsupported("ListDurableExecutionsByFunction", GET, "/2025-12-01/functions/{FunctionName}/durable-executions"),
    unsupported("GetDurableExecution", GET, "/2025-12-01/durable-executions/{DurableExecutionArn}"),
    unsupported("GetDurableExecutionHistory", GET, "/2025-12-01/durable-executions/{DurableExecutionArn}/history"),
    unsupported("GetDurableExecutionState", GET, "/2025-12-01/durable-executions/{DurableExecutionArn}/state"),
    unsupported("CheckpointDurableExecution", POST, "/2025-12-01/durable-executions/{DurableExecutionArn}/checkpoint"),
    unsupported("StopDurableExecution", POST, "/2025-12-01/durable-executions/{DurableExecutionArn}/stop"),
    unsupported("SendDurableExecutionCallbackSuccess", POST, "/2025-12-01/durable-execution-callbacks/{CallbackId}/succeed"),
    unsupported("SendDurableExecutionCallbackFailure", POST, "/2025-12-01/durable-execution-callbacks/{CallbackId}/fail"),
    unsupported("SendDurableExecutionCallbackHeartbeat", POST, "/2025-12-01/durable-execution-callbacks/{CallbackId}/heartbeat"),
    unsupported("PauseDurableExecution", POST, "/2025-12-01/durable-executions/{DurableExecutionArn}/pause"),
    unsupported("ResumeDurableExecution", POST, "/2025-12-01/durable-executions/{DurableExecutionArn}/resume"),
    unsupported("DeleteDurableExecution", DELETE, "/2025-12-01/durable-executions/{DurableExecutionArn}"),
    // Resource policies of other resources than functions.
    unsupported("PutResourcePolicy", PUT, "/2026-07-09/resource-policy/{ResourceArn}"),
    unsupported("GetResourcePolicy", GET, "/2026-07-09/resource-policy/{ResourceArn}"),
    unsupported("DeleteResourcePolicy", DELETE, "/2026-07-09/resource-policy/{ResourceArn}"),
];

impl Operation {
    /// The path template, without the query.
    pub(crate) fn path(&self) -> &'static str {
        self.uri.split_once('?').map_or(self.uri, |(path, _)| path)
    }

    /// The query parameter the URI requires (`("find", "LayerVersion")`), if any.
    pub(crate) fn required_query(&self) -> Option<(&'static str, &'static str)> {
        self.uri.split_once('?')?.1.split_once('=')
    }

    /// The paths the router registers for this operation: the template, and the template with a trailing
    /// slash when its last segment is literal.
    pub(crate) fn route_paths(&self) -> Vec<String> {
        let path = self.path();
        if ends_in_literal(path) {
            vec![path.to_owned(), format!("{path}/")]
        } else {
            vec![path.to_owned()]
        }
    }

    /// Whether a request with this method, path and query is this operation.
    fn matches(&self, method: &str, path: &str, query: &Query) -> bool {
        self.method.as_str() == method
            && path_matches(self.path(), path)
            && self
                .required_query()
                .is_none_or(|(key, value)| query.get(key) == Some(value))
    }
}

/// The operation a request is, by method, path and query: of two operations at one method and path, the
/// one whose query parameter the request carries.
pub(crate) fn operation_at(method: &str, path: &str, query: &Query) -> Option<&'static Operation> {
    OPERATIONS
        .iter()
        .filter(|op| op.matches(method, path, query))
        .max_by_key(|op| op.required_query().is_some())
}

/// `{FunctionName}` is a label; anything else is literal.
fn is_label(segment: &str) -> bool {
    segment.starts_with('{') && segment.ends_with('}')
}

fn ends_in_literal(template: &str) -> bool {
    template.rsplit('/').next().is_some_and(|last| !is_label(last))
}

/// Whether `path` fills `template`: literal segments equal, each label a non-empty segment (as the
/// router's `{Label}` captures are), and a trailing slash allowed after a literal last segment.
fn path_matches(template: &str, path: &str) -> bool {
    let path = match path.strip_suffix('/') {
        Some(trimmed) if ends_in_literal(template) => trimmed,
        _ => path,
    };
    let mut wanted = template.split('/');
    let mut given = path.split('/');
    loop {
        match (wanted.next(), given.next()) {
            (None, None) => return true,
            (Some(label), Some(segment)) if is_label(label) => {
                if segment.is_empty() {
                    return false;
                }
            }
            (Some(literal), Some(segment)) => {
                if literal != segment {
                    return false;
                }
            }
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    fn at(method: &str, path_and_query: &str) -> Option<&'static str> {
        let (path, query) = match path_and_query.split_once('?') {
            Some((path, query)) => (path, Some(query)),
            None => (path_and_query, None),
        };
        operation_at(method, path, &Query::parse(query)).map(|op| op.name)
    }

    #[test]
    fn requests_are_named_by_method_path_and_query() {
        assert_eq!(at("POST", "/2015-03-31/functions/f/invocations"), Some("Invoke"));
        assert_eq!(
            at("GET", "/2015-03-31/functions/f/aliases/prod"),
            Some("GetAlias")
        );
        assert_eq!(
            at("PUT", "/2015-03-31/functions/f/aliases/prod"),
            Some("UpdateAlias")
        );
        assert_eq!(at("GET", "/2015-03-31/functions/f/aliases/"), Some("ListAliases"));
        assert_eq!(
            at("GET", "/2015-03-31/functions/f/aliases/prod/"),
            None,
            "a label takes no slash after it"
        );
        assert_eq!(
            at("GET", "/2015-03-31/functions//aliases"),
            None,
            "a label is never empty"
        );
        assert_eq!(at("POST", "/2015-03-31/functions/f/configuration"), None);
        assert_eq!(at("GET", "/nothing"), None);
    }

    #[test]
    fn a_required_query_parameter_picks_between_operations_at_one_path() {
        assert_eq!(at("GET", "/2018-10-31/layers"), Some("ListLayers"));
        assert_eq!(
            at("GET", "/2018-10-31/layers?find=LayerVersion&Arn=x"),
            Some("GetLayerVersionByArn")
        );
        assert_eq!(at("GET", "/2018-10-31/layers?find=Other"), Some("ListLayers"));
        let path = "/2019-09-30/functions/f/provisioned-concurrency";
        assert_eq!(at("GET", path), Some("GetProvisionedConcurrencyConfig"));
        assert_eq!(
            at("GET", &format!("{path}?List=ALL")),
            Some("ListProvisionedConcurrencyConfigs")
        );
    }

    #[test]
    fn routes_take_a_trailing_slash_only_after_a_literal_segment() {
        let list = OPERATIONS
            .iter()
            .find(|op| op.name == "ListFunctions")
            .expect("ListFunctions");
        assert_eq!(
            list.route_paths(),
            ["/2015-03-31/functions", "/2015-03-31/functions/"]
        );
        let get = OPERATIONS
            .iter()
            .find(|op| op.name == "GetFunction")
            .expect("GetFunction");
        assert_eq!(get.route_paths(), ["/2015-03-31/functions/{FunctionName}"]);
    }

    #[test]
    fn operations_are_named_once_and_addresses_are_not_shared() {
        let mut names = HashSet::new();
        let mut addresses = HashSet::new();
        for op in OPERATIONS {
            assert!(names.insert(op.name), "{} twice", op.name);
            assert!(
                addresses.insert((op.method.clone(), op.uri)),
                "{} {} twice",
                op.method,
                op.uri
            );
        }
    }

    #[test]
    fn the_readme_lists_every_operation_lamina_refuses() {
        let readme = include_str!("../../../README.md");
        let start = readme
            .find("- Deliberately not served")
            .expect("the README lists the operations lamina refuses");
        let listed = &readme[start..start + readme[start..].find("\n- ").unwrap_or(readme.len() - start)];
        let words: HashSet<&str> = listed
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|w| !w.is_empty())
            .collect();
        for op in OPERATIONS {
            let refused = matches!(op.answer, Answer::Unsupported);
            assert_eq!(
                words.contains(op.name),
                refused,
                "{} is {} but the README's list {} it",
                op.name,
                if refused { "refused" } else { "served" },
                if refused { "misses" } else { "names" }
            );
        }
    }

    #[test]
    fn a_shared_route_is_served_by_the_operation_at_its_path() {
        for op in OPERATIONS
            .iter()
            .filter(|op| matches!(op.answer, Answer::SharedRoute))
        {
            assert!(
                op.required_query().is_some(),
                "{} needs a query to be told apart",
                op.name
            );
            let owner = OPERATIONS
                .iter()
                .find(|other| other.method == op.method && other.uri == op.path())
                .unwrap_or_else(|| panic!("no operation at {} {}", op.method, op.path()));
            assert!(
                matches!(owner.answer, Answer::Handler(_)),
                "{} is not served",
                owner.name
            );
        }
    }
}
