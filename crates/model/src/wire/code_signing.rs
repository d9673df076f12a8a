//! Code signing: Create/Get/Update/Delete/ListCodeSigningConfigs, Put/Get/DeleteFunctionCodeSigningConfig,
//! ListFunctionsByCodeSigningConfig.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// `AllowedPublishers`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AllowedPublishers {
    /// 1 to 20 signing profile version ARNs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signing_profile_version_arns: Option<Vec<String>>,
}

/// `CodeSigningPolicies`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CodeSigningPolicies {
    /// `Warn` (the default) or `Enforce`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub untrusted_artifact_on_deployment: Option<String>,
}

/// Create/UpdateCodeSigningConfig's body.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CodeSigningConfigInput {
    /// Free text, up to 256 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Who may sign (required on create).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_publishers: Option<AllowedPublishers>,
    /// What happens to unsigned code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code_signing_policies: Option<CodeSigningPolicies>,
    /// Tags (CreateCodeSigningConfig).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<BTreeMap<String, String>>,
}

/// A code signing configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CodeSigningConfig {
    /// `csc-` and 17 characters.
    pub code_signing_config_id: String,
    /// `arn:aws:lambda:<region>:<account>:code-signing-config:<id>`.
    pub code_signing_config_arn: String,
    /// `""` unless given.
    pub description: String,
    /// Who may sign.
    pub allowed_publishers: AllowedPublishers,
    /// What happens to unsigned code.
    pub code_signing_policies: CodeSigningPolicies,
    /// Lambda's timestamp format.
    pub last_modified: String,
}

/// The answer of Create/Get/UpdateCodeSigningConfig.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CodeSigningConfigOutput {
    /// The configuration.
    pub code_signing_config: CodeSigningConfig,
}

/// ListCodeSigningConfigs' answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListCodeSigningConfigsOutput {
    /// One page, by id.
    pub code_signing_configs: Vec<CodeSigningConfig>,
    /// Absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_marker: Option<String>,
}

/// PutFunctionCodeSigningConfig's body.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct FunctionCodeSigningInput {
    /// The configuration the function uses.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code_signing_config_arn: Option<String>,
}

/// Put/GetFunctionCodeSigningConfig's answer (empty when the function uses none).
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct FunctionCodeSigningConfig {
    /// The configuration the function uses.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code_signing_config_arn: Option<String>,
    /// The function's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub function_name: Option<String>,
}

/// ListFunctionsByCodeSigningConfig's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListFunctionsByCodeSigningConfigOutput {
    /// One page of function ARNs.
    pub function_arns: Vec<String>,
    /// Absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_marker: Option<String>,
}
