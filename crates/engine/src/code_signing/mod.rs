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
use crate::wire::{AllowedPublishers, CodeSigningConfig, CodeSigningPolicies};
use crate::{Engine, EngineError};

static ARN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^arn:(?:aws[a-zA-Z-]*)?:lambda:([a-z]{2}(?:(?:-gov)|(?:-iso(?:b?)))?-[a-z]+-\d{1}):(\d{12}):code-signing-config:(csc-[a-z0-9]{17})$")
        .expect("static pattern")
});
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

/// The id a `CodeSigningConfigArn` (checked against the model by the operation) names in the caller's
/// account and region; `None` for another account's or region's, which the caller cannot see.
fn config_id(scope: &Scope, raw: &str) -> Option<String> {
    let caps = ARN.captures(raw)?;
    (caps[1] == *scope.region && caps[2] == *scope.account).then(|| caps[3].to_owned())
}

impl Engine {
    /// The code signing configuration `raw_arn` names, if the caller's account has it.
    async fn code_signing_config(
        &self,
        scope: &Scope,
        raw_arn: &str,
    ) -> Result<(String, CodeSigningRecord), EngineError> {
        let missing = || not_found(raw_arn);
        let Some(id) = config_id(scope, raw_arn) else {
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
    use crate::wire::CodeSigningConfigInput;

    fn scope() -> Scope {
        Scope {
            region: "us-east-1".into(),
            account: "000000000000".into(),
        }
    }

    #[test]
    fn configuration_arns_name_this_account() {
        let arn = "arn:aws:lambda:us-east-1:000000000000:code-signing-config:csc-0123456789abcdefg";
        assert_eq!(config_id(&scope(), arn), Some("csc-0123456789abcdefg".into()));
        let theirs = "arn:aws:lambda:us-east-1:111111111111:code-signing-config:csc-0123456789abcdefg";
        assert_eq!(config_id(&scope(), theirs), None);
        let elsewhere = "arn:aws:lambda:eu-west-1:000000000000:code-signing-config:csc-0123456789abcdefg";
        assert_eq!(config_id(&scope(), elsewhere), None);
    }

    #[test]
    fn members_are_the_models() {
        let check =
            |operation: &str, input: &CodeSigningConfigInput, members: &[(&str, serde_json::Value)]| {
                crate::validate::input(operation, input, members).map_err(|e| e.to_string())
            };
        assert_eq!(
            check("CreateCodeSigningConfig", &CodeSigningConfigInput::default(), &[]),
            Err("1 validation error detected: Value null at 'allowedPublishers' failed to satisfy constraint: \
                 Member must not be null"
                .into())
        );
        let arn = [("CodeSigningConfigArn", "csc-1".into())];
        assert!(
            check(
                "UpdateCodeSigningConfig",
                &CodeSigningConfigInput::default(),
                &arn
            )
            .expect_err("not an arn")
            .contains("Value 'csc-1' at 'codeSigningConfigArn' failed to satisfy constraint")
        );
    }
}
