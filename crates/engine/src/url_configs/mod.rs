//! Function URL configurations, one file per operation: `create`, `get`, `update`, `delete`, `list`. A
//! function has at most one URL per alias and one for itself (never for a version or `$LATEST`); each is
//! a sub-resource of its function (key: the alias name, `""` for the function), deleted with its alias
//! or function.
//!
//! The engine keeps the URL's id (32 lowercase hex characters, as random as AWS's); the control API
//! makes the URL of it on lamina's public endpoint ([`UrlConfigView::with_url`]). The configuration is
//! stored and returned; `lamina-function-urls` serves the URLs, finding each by its id (`lookup`).

mod create;
mod delete;
mod get;
mod list;
mod lookup;
mod update;

pub use list::UrlConfigPage;
pub use lookup::FunctionUrlTarget;

use serde::{Deserialize, Serialize};

use crate::EngineError;
use crate::names::Scope;
use crate::sub_resources::Target;
use crate::wire::{Cors, FunctionUrlConfig, UrlConfigInput};

/// The addresses of function URLs: `<scheme>://<url-id>.lambda-url.<region>.<host>[:<port>]/`, the shape of AWS's
/// `https://<url-id>.lambda-url.<region>.on.aws/` on lamina's public endpoint (`--public-endpoint`), so
/// that one listener can tell a function URL's requests from the API's by their `Host`. A loopback
/// address becomes `localhost`, whose subdomains resolve to the loopback address.
pub struct UrlAddresses {
    scheme: String,
    host: String,
}

impl UrlAddresses {
    /// The addresses on `public_endpoint` (`--public-endpoint`, else the listener's).
    pub fn new(public_endpoint: &str) -> Self {
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
        UrlAddresses {
            scheme: scheme.to_owned(),
            host: match port {
                Some(port) => format!("{host}:{port}"),
                None => host.to_owned(),
            },
        }
    }

    /// The URL of the function URL `url_id` in `region`.
    pub fn url(&self, region: &str, url_id: &str) -> String {
        format!("{}://{url_id}.lambda-url.{region}.{}/", self.scheme, self.host)
    }
}

/// AWS's 404 of Create, Update and List when the function (or alias) does not exist.
fn function_missing() -> EngineError {
    EngineError::NotFound("Function does not exist".into())
}

/// AWS's 404 of Get, Update and Delete when there is no URL.
fn config_missing() -> EngineError {
    EngineError::NotFound("The resource you requested does not exist.".into())
}

/// A function URL as its operations answer it, before the control API adds the URL itself.
#[derive(Debug, Clone, PartialEq)]
pub struct UrlConfigView {
    /// The answer; `FunctionUrl` is empty.
    pub config: FunctionUrlConfig,
    /// The URL's id: the first label of its host name.
    pub url_id: String,
}

impl UrlConfigView {
    /// The answer with `FunctionUrl` set to `url`.
    pub fn with_url(mut self, url: String) -> FunctionUrlConfig {
        self.config.function_url = url;
        self.config
    }
}

/// What the engine stores for a function URL.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct UrlRecord {
    pub(crate) url_id: String,
    pub(crate) auth_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) cors: Option<Cors>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) invoke_mode: Option<String>,
    pub(crate) creation_time: String,
    pub(crate) last_modified_time: String,
}

impl UrlRecord {
    /// The answer of Get, Update and List (Create shows less).
    fn view(&self, function_arn: String) -> UrlConfigView {
        UrlConfigView {
            config: FunctionUrlConfig {
                function_url: String::new(),
                function_arn,
                auth_type: self.auth_type.clone(),
                cors: self.cors.clone(),
                creation_time: self.creation_time.clone(),
                last_modified_time: Some(self.last_modified_time.clone()),
                invoke_mode: Some(self.invoke_mode.clone().unwrap_or_else(|| "BUFFERED".into())),
            },
            url_id: self.url_id.clone(),
        }
    }
}

/// ISO-8601 with microseconds, as function URL times are shown.
fn now() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

impl crate::Engine {
    /// The target of Create and Update (`operation`), after their checks in AWS's order: the model's,
    /// then that the function and the alias exist (AWS's "Function does not exist" otherwise).
    async fn url_target(
        &self,
        scope: &Scope,
        operation: &str,
        raw_name: &str,
        qualifier: Option<&str>,
        input: &UrlConfigInput,
    ) -> Result<Target, EngineError> {
        // The model's `FunctionUrlQualifier` takes only an alias name as `Qualifier`, and its
        // `FunctionUrlFunctionName` only an alias as a qualifier in the name.
        let target = Target::checked(operation, scope, raw_name, qualifier, input)?;
        self.check_qualifier_exists(scope, &target.name, &target.qualified)
            .await
            .map_err(|e| match e {
                EngineError::NotFound(_) => function_missing(),
                other => other,
            })?;
        Ok(target)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope() -> Scope {
        Scope {
            region: "us-east-1".into(),
            account: "000000000000".into(),
        }
    }

    #[test]
    fn function_urls_live_on_the_public_endpoint() {
        let id = "a".repeat(32);
        assert_eq!(
            UrlAddresses::new("http://127.0.0.1:9001").url("us-east-1", &id),
            format!("http://{id}.lambda-url.us-east-1.localhost:9001/")
        );
        assert_eq!(
            UrlAddresses::new("https://lamina.example.com/").url("eu-west-1", &id),
            format!("https://{id}.lambda-url.eu-west-1.lamina.example.com/")
        );
        assert_eq!(
            UrlAddresses::new("http://[::1]:9001").url("us-east-1", &id),
            format!("http://{id}.lambda-url.us-east-1.localhost:9001/")
        );
    }

    #[test]
    fn a_url_qualifier_is_an_alias() {
        let get =
            |name: &str, q: Option<&str>| Target::checked("GetFunctionUrlConfig", &scope(), name, q, &());
        assert!(get("f", Some("live")).is_ok());
        let in_the_name = get("f:7", None).err().map(|e| e.to_string());
        assert!(
            in_the_name
                .as_deref()
                .is_some_and(|m| m.contains("Value 'f:7' at 'functionName' failed to satisfy constraint")),
            "{in_the_name:?}"
        );
        for (name, q, refused) in [("f", Some("1"), "1"), ("f", Some("$LATEST"), "$LATEST")] {
            assert_eq!(
                get(name, q).err().map(|e| e.to_string()),
                Some(format!(
                    "1 validation error detected: Value '{refused}' at 'qualifier' failed to satisfy constraint: \
                     Member must satisfy regular expression pattern: ((?!^\\d+$)^[0-9a-zA-Z-_]+$)"
                ))
            );
        }
        let unqualified = get("f", None).expect("function");
        assert_eq!(
            unqualified.arn,
            "arn:aws:lambda:us-east-1:000000000000:function:f"
        );
    }

    #[test]
    fn members_are_checked_as_aws_checks_them() {
        let check = |input: &UrlConfigInput| {
            Target::checked("CreateFunctionUrlConfig", &scope(), "f", None, input)
                .err()
                .map(|e| e.to_string())
        };
        let input = UrlConfigInput {
            auth_type: Some("OPEN".into()),
            invoke_mode: Some("FAST".into()),
            ..Default::default()
        };
        assert_eq!(
            check(&input).expect("enums"),
            "2 validation errors detected: Value 'OPEN' at 'authType' failed to satisfy constraint: Member must \
             satisfy enum value set: [NONE, AWS_IAM]; Value 'FAST' at 'invokeMode' failed to satisfy constraint: \
             Member must satisfy enum value set: [BUFFERED, RESPONSE_STREAM]"
        );
        assert!(
            check(&UrlConfigInput::default()).is_some(),
            "AuthType is required"
        );
        // AWS's answer to a method longer than six characters, as real responses show it.
        let input = UrlConfigInput {
            auth_type: Some("NONE".into()),
            cors: Some(Cors {
                allow_methods: Some(vec!["GET".into(), "POST".into(), "OPTIONS".into()]),
                ..Default::default()
            }),
            ..Default::default()
        };
        assert_eq!(
            check(&input).expect("a long method"),
            "1 validation error detected: Value '[GET, POST, OPTIONS]' at 'cors.allowMethods' failed to satisfy \
             constraint: Member must satisfy constraint: [Member must have length less than or equal to 6, Member \
             must have length greater than or equal to 0, Member must satisfy regular expression pattern: .*, \
             Member must not be null]"
        );
    }
}
