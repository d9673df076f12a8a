//! Function URLs: Create/Get/Update/DeleteFunctionUrlConfig, ListFunctionUrlConfigs.

use serde::{Deserialize, Serialize};

/// `Cors`: the cross-origin resource sharing settings of a function URL.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Cors {
    /// Whether cookies and credentials may be sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_credentials: Option<bool>,
    /// Up to 100 header names.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_headers: Option<Vec<String>>,
    /// Up to 6 methods (or `*`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_methods: Option<Vec<String>>,
    /// Up to 100 origins (or `*`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_origins: Option<Vec<String>>,
    /// Up to 100 header names.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expose_headers: Option<Vec<String>>,
    /// Seconds a preflight answer may be cached, 0 to 86,400.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_age: Option<i64>,
}

/// Create/UpdateFunctionUrlConfig's body.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UrlConfigInput {
    /// `NONE` or `AWS_IAM` (required on create).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_type: Option<String>,
    /// CORS settings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cors: Option<Cors>,
    /// `BUFFERED` (default) or `RESPONSE_STREAM`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invoke_mode: Option<String>,
}

/// A function URL's configuration as the URL operations answer it (CreateFunctionUrlConfig without
/// `LastModifiedTime`, and with `InvokeMode` only when given).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct FunctionUrlConfig {
    /// The URL that invokes the function.
    pub function_url: String,
    /// The function's ARN, qualified for an alias.
    pub function_arn: String,
    /// `NONE` or `AWS_IAM`.
    pub auth_type: String,
    /// Only when set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cors: Option<Cors>,
    /// When it was created (ISO-8601).
    pub creation_time: String,
    /// When it last changed (ISO-8601).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_modified_time: Option<String>,
    /// `BUFFERED` or `RESPONSE_STREAM`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invoke_mode: Option<String>,
}

/// ListFunctionUrlConfigs' answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListFunctionUrlConfigsOutput {
    /// One page.
    pub function_url_configs: Vec<FunctionUrlConfig>,
    /// Absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_marker: Option<String>,
}
