//! Asynchronous invocation settings: Put/Update/Get/DeleteFunctionEventInvokeConfig,
//! ListFunctionEventInvokeConfigs.

use serde::{Deserialize, Serialize};

/// `OnSuccess` / `OnFailure`: where records of asynchronous invocations go.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Destination {
    /// A queue, topic, bus, bucket or function ARN (absent: none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destination: Option<String>,
}

/// `DestinationConfig`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DestinationConfig {
    /// For invocations that succeeded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_success: Option<Destination>,
    /// For invocations that failed every attempt or aged out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_failure: Option<Destination>,
}

/// Put/UpdateFunctionEventInvokeConfig's body.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct EventInvokeConfigInput {
    /// Retries after a function error, 0 to 2.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub maximum_retry_attempts: Option<i64>,
    /// How long an event may wait, 60 to 21,600 seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub maximum_event_age_in_seconds: Option<i64>,
    /// Where records go.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destination_config: Option<DestinationConfig>,
}

/// A function qualifier's asynchronous invocation settings, as every event invoke config operation
/// answers them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct FunctionEventInvokeConfig {
    /// Seconds since the epoch (a JSON number, as the model's timestamp).
    pub last_modified: f64,
    /// The qualified function ARN (`:$LATEST` for the unqualified function).
    pub function_arn: String,
    /// As set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub maximum_retry_attempts: Option<i64>,
    /// As set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub maximum_event_age_in_seconds: Option<i64>,
    /// Both members, empty when unset.
    pub destination_config: DestinationConfig,
}

/// ListFunctionEventInvokeConfigs' answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListEventInvokeConfigsOutput {
    /// One page.
    pub function_event_invoke_configs: Vec<FunctionEventInvokeConfig>,
    /// Absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_marker: Option<String>,
}
