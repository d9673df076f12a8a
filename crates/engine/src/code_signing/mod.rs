//! Code signing, one file per operation: `create`, `get`, `update`, `delete`, `list` for an account's
//! code signing configurations (sub-resources of the account, key: their id), and `functions`
//! (Put/Get/DeleteFunctionCodeSigningConfig, ListFunctionsByCodeSigningConfig) for the configuration a
//! function uses (a sub-resource of the function). They are stored and returned: lamina does not check
//! the signatures of packages.

mod create;
mod delete;
mod functions;
mod get;
mod list;
mod update;

use std::sync::LazyLock;

use lamina_store::{Owner, SubResourceKey, SubResourceKind};
use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::names::Scope;
use crate::validation::Checks;
use crate::wire::{AllowedPublishers, CodeSigningConfig, CodeSigningConfigInput, CodeSigningPolicies};
use crate::{Engine, EngineError};

const ARN_PATTERN: &str = r"arn:(aws[a-zA-Z-]*)?:lambda:[a-z]{2}((-gov)|(-iso(b?)))?-[a-z]+-\d{1}:\d{12}:code-signing-config:csc-[a-z0-9]{17}";
static ARN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^arn:(?:aws[a-zA-Z-]*)?:lambda:([a-z]{2}(?:(?:-gov)|(?:-iso(?:b?)))?-[a-z]+-\d{1}):(\d{12}):code-signing-config:(csc-[a-z0-9]{17})$")
        .expect("static pattern")
});
const PUBLISHER_PATTERN: &str =
    r"arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9\-])+:([a-z]{2}(-gov)?-[a-z]+-\d{1})?:(\d{12})?:(.*)";
static PUBLISHER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9\-])+:([a-z]{2}(-gov)?-[a-z]+-\d{1})?:(\d{12})?:(.*)$")
        .expect("static pattern")
});
const POLICIES: [&str; 2] = ["Warn", "Enforce"];

/// What the engine stores for a code signing configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct CodeSigningRecord {
    description: String,
    signing_profile_version_arns: Vec<String>,
    untrusted_artifact_on_deployment: String,
    last_modified: String,
}

impl CodeSigningRecord {
    fn configuration(&self, scope: &Scope, id: &str) -> CodeSigningConfig {
        CodeSigningConfig {
            code_signing_config_id: id.to_owned(),
            code_signing_config_arn: arn(scope, id),
            description: self.description.clone(),
            allowed_publishers: AllowedPublishers {
                signing_profile_version_arns: Some(self.signing_profile_version_arns.clone()),
            },
            code_signing_policies: CodeSigningPolicies {
                untrusted_artifact_on_deployment: Some(self.untrusted_artifact_on_deployment.clone()),
            },
            last_modified: self.last_modified.clone(),
        }
    }
}

/// `arn:aws:lambda:<region>:<account>:code-signing-config:<id>`.
fn arn(scope: &Scope, id: &str) -> String {
    format!(
        "arn:aws:lambda:{}:{}:code-signing-config:{id}",
        scope.region, scope.account
    )
}

fn key(scope: &Scope, id: &str) -> SubResourceKey {
    SubResourceKey {
        account: scope.account.clone(),
        region: scope.region.clone(),
        owner: Owner::Account,
        kind: SubResourceKind::CodeSigningConfig,
        key: id.to_owned(),
    }
}

/// AWS's 404 for a configuration the account does not have.
fn not_found(arn: &str) -> EngineError {
    EngineError::NotFound(format!(
        "The Lambda code signing configuration {arn} can not be found."
    ))
}

/// Checks a `CodeSigningConfigArn` and returns the id it names in the caller's account and region
/// (`None` for another account's or region's, which the caller cannot see).
fn parse_arn(scope: &Scope, raw: Option<&str>) -> Result<Option<String>, EngineError> {
    let mut checks = Checks::default();
    match raw {
        None => checks.null("codeSigningConfigArn"),
        Some(raw) => {
            checks.length(raw, "codeSigningConfigArn", 0, 200);
            checks.pattern(raw, "codeSigningConfigArn", &ARN, ARN_PATTERN);
        }
    }
    checks.finish()?;
    let caps = ARN
        .captures(raw.unwrap_or_default())
        .ok_or_else(|| EngineError::Internal("pattern matched without captures".into()))?;
    Ok((caps[1] == *scope.region && caps[2] == *scope.account).then(|| caps[3].to_owned()))
}

/// The model's checks of a configuration's members (`AllowedPublishers` required when `create`).
fn check_input(input: &CodeSigningConfigInput, create: bool) -> Result<(), EngineError> {
    let mut checks = Checks::default();
    if let Some(description) = &input.description {
        checks.length(description, "description", 0, 256);
    }
    match input.allowed_publishers.as_ref() {
        None if create => checks.null("allowedPublishers"),
        None => {}
        Some(publishers) => match &publishers.signing_profile_version_arns {
            None => checks.null("allowedPublishers.signingProfileVersionArns"),
            Some(arns) => {
                let path = "allowedPublishers.signingProfileVersionArns";
                let shown = format!("[{}]", arns.join(", "));
                if arns.is_empty() {
                    checks.string(&shown, path, "Member must have length greater than or equal to 1");
                } else if arns.len() > 20 {
                    checks.string(&shown, path, "Member must have length less than or equal to 20");
                }
                if arns.iter().any(|a| !PUBLISHER.is_match(a)) {
                    checks.string(
                        &shown,
                        path,
                        format!(
                            "Member must satisfy constraint: [Member must satisfy regular expression pattern: \
                             {PUBLISHER_PATTERN}]"
                        ),
                    );
                }
            }
        },
    }
    if let Some(policy) = input
        .code_signing_policies
        .as_ref()
        .and_then(|p| p.untrusted_artifact_on_deployment.as_ref())
        && !POLICIES.contains(&policy.as_str())
    {
        checks.string(
            policy,
            "codeSigningPolicies.untrustedArtifactOnDeployment",
            format!("Member must satisfy enum value set: [{}]", POLICIES.join(", ")),
        );
    }
    Ok(checks.finish()?)
}

impl Engine {
    /// The code signing configuration `raw_arn` names, if the caller's account has it.
    async fn code_signing_config(
        &self,
        scope: &Scope,
        raw_arn: Option<&str>,
    ) -> Result<(String, CodeSigningRecord), EngineError> {
        let missing = || not_found(raw_arn.unwrap_or_default());
        let Some(id) = parse_arn(scope, raw_arn)? else {
            return Err(missing());
        };
        match self.sub_resource::<CodeSigningRecord>(key(scope, &id)).await? {
            Some(stored) => Ok((id, stored.doc)),
            None => Err(missing()),
        }
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
    fn configuration_arns_name_this_account() {
        let arn = "arn:aws:lambda:us-east-1:000000000000:code-signing-config:csc-0123456789abcdefg";
        assert_eq!(
            parse_arn(&scope(), Some(arn)).expect("arn"),
            Some("csc-0123456789abcdefg".into())
        );
        let theirs = "arn:aws:lambda:us-east-1:111111111111:code-signing-config:csc-0123456789abcdefg";
        assert_eq!(parse_arn(&scope(), Some(theirs)).expect("arn"), None);
        assert!(
            parse_arn(&scope(), Some("csc-1"))
                .expect_err("not an arn")
                .to_string()
                .contains("at 'codeSigningConfigArn' failed to satisfy constraint")
        );
    }

    #[test]
    fn publishers_are_required_on_create() {
        assert_eq!(
            check_input(&CodeSigningConfigInput::default(), true)
                .expect_err("missing")
                .to_string(),
            "1 validation error detected: Value null at 'allowedPublishers' failed to satisfy constraint: Member \
             must not be null"
        );
        assert!(check_input(&CodeSigningConfigInput::default(), false).is_ok());
    }
}
