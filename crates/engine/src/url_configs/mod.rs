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

use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::EngineError;
use crate::names::{self, NameKind, Scope};
use crate::sub_resources::{Qualified, Target};
use crate::validation::Checks;
use crate::wire::{Cors, FunctionUrlConfig, UrlConfigInput};

const QUALIFIER_PATTERN: &str = r"((?!^\d+$)^[0-9a-zA-Z-_]+$)";
static ALIAS_CHARS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[0-9a-zA-Z_-]+$").expect("static pattern"));
const AUTH_TYPES: [&str; 2] = ["NONE", "AWS_IAM"];
/// The values of `InvokeMode`, in the order AWS's message lists them.
const INVOKE_MODES: [&str; 2] = ["RESPONSE_STREAM", "BUFFERED"];

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

/// Parses `FunctionName` and `Qualifier` of a URL operation: the qualifier must be an alias name.
fn target(scope: &Scope, raw_name: &str, qualifier: Option<&str>) -> Result<Target, EngineError> {
    let f = names::parse_function_name(raw_name, NameKind::Plain, scope)?;
    let q = names::resolve_qualifier(f.qualifier, qualifier)?;
    if let Some(q) = &q {
        let mut checks = Checks::default();
        checks.length(q, "qualifier", 1, 128);
        if !ALIAS_CHARS.is_match(q) || q.bytes().all(|b| b.is_ascii_digit()) {
            checks.string(
                q,
                "qualifier",
                format!("Member must satisfy regular expression pattern: {QUALIFIER_PATTERN}"),
            );
        }
        checks.finish()?;
    }
    let qualified = Qualified::of(q.as_deref());
    let arn = match &q {
        Some(q) => format!("{}:{q}", scope.function_arn(&f.name)),
        None => scope.function_arn(&f.name),
    };
    Ok(Target {
        name: f.name,
        qualified,
        arn,
    })
}

fn check_list(checks: &mut Checks, values: Option<&Vec<String>>, path: &str, most: usize, longest: usize) {
    let Some(values) = values else { return };
    let shown = format!("[{}]", values.join(", "));
    if values.len() > most {
        checks.string(
            &shown,
            path,
            format!("Member must have length less than or equal to {most}"),
        );
    }
    if values.iter().any(|v| v.chars().count() > longest) {
        checks.string(
            &shown,
            path,
            format!(
                "Member must satisfy constraint: [Member must have length less than or equal to {longest}, \
                 Member must satisfy regular expression pattern: .*]"
            ),
        );
    }
}

/// The model's checks of a URL configuration's members (`AuthType` required when `required`).
fn check_input(input: &UrlConfigInput, required: bool) -> Result<(), EngineError> {
    let mut checks = Checks::default();
    let enumerated = |checks: &mut Checks, value: &str, path: &str, values: &[&str]| {
        if !values.contains(&value) {
            checks.string(
                value,
                path,
                format!("Member must satisfy enum value set: [{}]", values.join(", ")),
            );
        }
    };
    match &input.auth_type {
        None if required => checks.null("authType"),
        None => {}
        Some(auth_type) => enumerated(&mut checks, auth_type, "authType", &AUTH_TYPES),
    }
    if let Some(cors) = &input.cors {
        check_list(
            &mut checks,
            cors.allow_headers.as_ref(),
            "cors.allowHeaders",
            100,
            1024,
        );
        check_list(
            &mut checks,
            cors.allow_methods.as_ref(),
            "cors.allowMethods",
            6,
            6,
        );
        check_list(
            &mut checks,
            cors.allow_origins.as_ref(),
            "cors.allowOrigins",
            100,
            253,
        );
        check_list(
            &mut checks,
            cors.expose_headers.as_ref(),
            "cors.exposeHeaders",
            100,
            1024,
        );
        if let Some(age) = cors.max_age {
            checks.range(age, "cors.maxAge", 0, 86_400);
        }
    }
    if let Some(mode) = &input.invoke_mode {
        enumerated(&mut checks, mode, "invokeMode", &INVOKE_MODES);
    }
    Ok(checks.finish()?)
}

impl crate::Engine {
    /// The target of Create and Update, after their checks in AWS's order: the qualifier, the members
    /// (`AuthType` required when `required`), that the function and the alias exist (AWS's "Function
    /// does not exist" otherwise).
    async fn url_target(
        &self,
        scope: &Scope,
        raw_name: &str,
        qualifier: Option<&str>,
        input: &UrlConfigInput,
        required: bool,
    ) -> Result<Target, EngineError> {
        let target = target(scope, raw_name, qualifier)?;
        check_input(input, required)?;
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
    fn a_url_qualifier_is_an_alias() {
        assert!(target(&scope(), "f", Some("live")).is_ok());
        for refused in ["1", "$LATEST"] {
            assert_eq!(
                target(&scope(), "f", Some(refused)).err().map(|e| e.to_string()),
                Some(format!(
                    "1 validation error detected: Value '{refused}' at 'qualifier' failed to satisfy constraint: \
                     Member must satisfy regular expression pattern: ((?!^\\d+$)^[0-9a-zA-Z-_]+$)"
                ))
            );
        }
        let unqualified = target(&scope(), "f", None).expect("function");
        assert_eq!(
            unqualified.arn,
            "arn:aws:lambda:us-east-1:000000000000:function:f"
        );
    }

    #[test]
    fn auth_type_and_invoke_mode_are_enums() {
        let input = UrlConfigInput {
            auth_type: Some("OPEN".into()),
            invoke_mode: Some("FAST".into()),
            ..Default::default()
        };
        assert_eq!(
            check_input(&input, true).expect_err("enums").to_string(),
            "2 validation errors detected: Value 'OPEN' at 'authType' failed to satisfy constraint: Member must \
             satisfy enum value set: [NONE, AWS_IAM]; Value 'FAST' at 'invokeMode' failed to satisfy constraint: \
             Member must satisfy enum value set: [RESPONSE_STREAM, BUFFERED]"
        );
        assert!(check_input(&UrlConfigInput::default(), false).is_ok());
        assert!(check_input(&UrlConfigInput::default(), true).is_err());
    }
}
