//! Per-function settings: recursive loop detection (Get/PutFunctionRecursionConfig) and runtime updates
//! (Get/PutRuntimeManagementConfig).

use serde::{Deserialize, Serialize};

/// PutFunctionRecursionConfig's body, and both operations' answer.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RecursionConfig {
    /// `Allow` or `Terminate` (the default).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recursive_loop: Option<String>,
}

/// PutRuntimeManagementConfig's body.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RuntimeManagementInput {
    /// `Auto` (the default), `FunctionUpdate` or `Manual`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub update_runtime_on: Option<String>,
    /// The runtime version to stay on (`Manual`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runtime_version_arn: Option<String>,
}

/// Get/PutRuntimeManagementConfig's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RuntimeManagementConfig {
    /// `Auto`, `FunctionUpdate` or `Manual`.
    pub update_runtime_on: String,
    /// Only with `Manual`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runtime_version_arn: Option<String>,
    /// The function's ARN (qualified when asked with a qualifier).
    pub function_arn: String,
}
