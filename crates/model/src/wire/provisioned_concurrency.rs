//! Provisioned concurrency: Put/Get/DeleteProvisionedConcurrencyConfig,
//! ListProvisionedConcurrencyConfigs.

use serde::{Deserialize, Serialize};

/// PutProvisionedConcurrencyConfig's body.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PutProvisionedConcurrencyInput {
    /// How many environments to keep initialised (at least 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provisioned_concurrent_executions: Option<i64>,
}

/// A version's or alias's provisioned concurrency, as Put and Get answer it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ProvisionedConcurrencyConfig {
    /// As set.
    pub requested_provisioned_concurrent_executions: u32,
    /// Initialised environments.
    pub available_provisioned_concurrent_executions: u32,
    /// Initialised environments.
    pub allocated_provisioned_concurrent_executions: u32,
    /// `IN_PROGRESS`, `READY` or `FAILED`.
    pub status: String,
    /// Why it `FAILED`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_reason: Option<String>,
    /// When it was set (ISO 8601).
    pub last_modified: String,
}

/// One item of ListProvisionedConcurrencyConfigs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ProvisionedConcurrencyConfigListItem {
    /// The version's or alias's ARN.
    pub function_arn: String,
    /// The configuration.
    #[serde(flatten)]
    pub config: ProvisionedConcurrencyConfig,
}

/// ListProvisionedConcurrencyConfigs' answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListProvisionedConcurrencyConfigsOutput {
    /// One page.
    pub provisioned_concurrency_configs: Vec<ProvisionedConcurrencyConfigListItem>,
    /// Absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_marker: Option<String>,
}
