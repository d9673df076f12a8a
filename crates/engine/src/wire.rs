//! The request and response shapes of the operations the engine serves, in the Lambda API's JSON
//! casing (restJson1, PascalCase members). Inputs keep every member optional so that a missing
//! required member is reported the way AWS reports it, not as a JSON error.

use std::collections::BTreeMap;

use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// `Code` of CreateFunction.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CodeInput {
    /// Present when the package is inline; its bytes are staged separately (see `Engine::stage_zip_base64`).
    pub zip_file: Option<IgnoredAny>,
    /// `S3Bucket`: the bucket of a package fetched from S3 (see `Engine::stage_s3`).
    pub s3_bucket: Option<String>,
    /// `S3Key`: the object key of a package fetched from S3.
    pub s3_key: Option<String>,
    /// `S3ObjectVersion`: the object's version (versioned buckets; the current one if absent).
    pub s3_object_version: Option<String>,
    /// Container image (not supported).
    pub image_uri: Option<String>,
}

/// `Environment` of CreateFunction / UpdateFunctionConfiguration.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct EnvironmentInput {
    /// The variables, in the order given (their JSON is what the 4 KB limit measures).
    pub variables: Option<Map<String, Value>>,
}

/// `EphemeralStorage` of CreateFunction / UpdateFunctionConfiguration.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct EphemeralStorageInput {
    /// Size of `/tmp` in MB.
    pub size: Option<i64>,
}

/// `TracingConfig` of CreateFunction / UpdateFunctionConfiguration.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TracingConfigInput {
    /// `Active` or `PassThrough`.
    pub mode: Option<String>,
}

/// Configuration members shared by CreateFunction and UpdateFunctionConfiguration.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ConfigInput {
    /// IAM role ARN.
    pub role: Option<String>,
    /// Runtime identifier.
    pub runtime: Option<String>,
    /// Handler string.
    pub handler: Option<String>,
    /// Free text, up to 256 characters.
    pub description: Option<String>,
    /// Seconds, 1..900.
    pub timeout: Option<i64>,
    /// MB, 128..10240.
    pub memory_size: Option<i64>,
    /// Environment variables.
    pub environment: Option<EnvironmentInput>,
    /// Layer version ARNs.
    pub layers: Option<Vec<String>>,
    /// Size of `/tmp`.
    pub ephemeral_storage: Option<EphemeralStorageInput>,
    /// X-Ray mode.
    pub tracing_config: Option<TracingConfigInput>,
    /// KMS key for environment variables (stored and echoed).
    #[serde(rename = "KMSKeyArn")]
    pub kms_key_arn: Option<String>,
    /// Stored and echoed.
    pub vpc_config: Option<Value>,
    /// Stored and echoed.
    pub dead_letter_config: Option<Value>,
    /// Stored and echoed.
    pub file_system_configs: Option<Value>,
    /// Stored and echoed.
    pub logging_config: Option<Value>,
    /// Stored and echoed.
    pub image_config: Option<Value>,
    /// Stored and echoed.
    pub snap_start: Option<Value>,
}

/// CreateFunction's body.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateFunctionInput {
    /// Name or ARN of the new function.
    pub function_name: Option<String>,
    /// The code source.
    pub code: Option<CodeInput>,
    /// Publish version 1 at once.
    pub publish: Option<bool>,
    /// `Zip` (default) or `Image`.
    pub package_type: Option<String>,
    /// Tags to attach.
    pub tags: Option<BTreeMap<String, String>>,
    /// `["x86_64"]` (default) or `["arm64"]`.
    pub architectures: Option<Vec<String>>,
    /// Everything else.
    #[serde(flatten)]
    pub config: ConfigInput,
}

/// UpdateFunctionConfiguration's body.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateConfigurationInput {
    /// Only apply if the function's RevisionId is still this.
    pub revision_id: Option<String>,
    /// The members to change.
    #[serde(flatten)]
    pub config: ConfigInput,
}

/// UpdateFunctionCode's body.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateCodeInput {
    /// Present when the package is inline; staged separately.
    pub zip_file: Option<IgnoredAny>,
    /// `S3Bucket`: the bucket of a package fetched from S3 (see `Engine::stage_s3`).
    pub s3_bucket: Option<String>,
    /// `S3Key`: the object key of a package fetched from S3.
    pub s3_key: Option<String>,
    /// `S3ObjectVersion`: the object's version (versioned buckets; the current one if absent).
    pub s3_object_version: Option<String>,
    /// Container image (not supported).
    pub image_uri: Option<String>,
    /// Publish a version with the new code.
    pub publish: Option<bool>,
    /// Validate only.
    pub dry_run: Option<bool>,
    /// Only apply if the function's RevisionId is still this.
    pub revision_id: Option<String>,
    /// Change the architecture with the code.
    pub architectures: Option<Vec<String>>,
}

/// PublishVersion's body.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PublishVersionInput {
    /// Only publish if `$LATEST` has this CodeSha256.
    pub code_sha256: Option<String>,
    /// The version's description.
    pub description: Option<String>,
    /// Only publish if the function's RevisionId is still this.
    pub revision_id: Option<String>,
}

/// PutFunctionConcurrency's body.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PutConcurrencyInput {
    /// Reserved concurrent executions, 0 or more.
    pub reserved_concurrent_executions: Option<i64>,
}

/// TagResource's body.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TagResourceInput {
    /// The tags to add or overwrite.
    pub tags: Option<BTreeMap<String, String>>,
}

/// `Environment` in a FunctionConfiguration.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct EnvironmentResponse {
    /// The variables.
    pub variables: Map<String, Value>,
}

/// `{"Size": n}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct EphemeralStorage {
    /// MB.
    pub size: u32,
}

/// `{"Mode": ...}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TracingConfig {
    /// `PassThrough` or `Active`.
    pub mode: String,
}

/// `{"RuntimeVersionArn": ...}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RuntimeVersionConfig {
    /// `arn:aws:lambda:<region>::runtime:<64 hex>`.
    pub runtime_version_arn: String,
}

/// A function's (or version's) configuration as every Get/Create/Update/Publish answers it.
/// Optional members are absent, never `null`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct FunctionConfiguration {
    /// Name only.
    pub function_name: String,
    /// Unqualified, or qualified when asked with a qualifier.
    pub function_arn: String,
    /// Runtime identifier.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runtime: Option<String>,
    /// Role ARN.
    pub role: String,
    /// Handler.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub handler: Option<String>,
    /// Zip size in bytes.
    pub code_size: u64,
    /// Description (`""` by default).
    pub description: String,
    /// Seconds.
    pub timeout: u32,
    /// MB.
    pub memory_size: u32,
    /// `2026-01-12T15:31:24.123+0000`.
    pub last_modified: String,
    /// base64 SHA-256 of the zip.
    pub code_sha256: String,
    /// `$LATEST` or a number.
    pub version: String,
    /// Only if configured.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environment: Option<EnvironmentResponse>,
    /// Tracing mode.
    pub tracing_config: TracingConfig,
    /// Changes on every change.
    pub revision_id: String,
    /// `Zip`.
    pub package_type: String,
    /// One architecture.
    pub architectures: Vec<String>,
    /// `/tmp` size.
    pub ephemeral_storage: EphemeralStorage,
    /// `{"ApplyOn": "None", "OptimizationStatus": "Off"}` unless configured.
    pub snap_start: Value,
    /// Log format and group.
    pub logging_config: Value,
    /// `Pending`, `Active`, `Failed` (absent in list items).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// Only while not Active.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state_reason: Option<String>,
    /// Only while not Active.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state_reason_code: Option<String>,
    /// `InProgress`, `Successful`, `Failed`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_update_status: Option<String>,
    /// Only while InProgress or Failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_update_status_reason: Option<String>,
    /// Only while InProgress or Failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_update_status_reason_code: Option<String>,
    /// Absent in list items.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runtime_version_config: Option<RuntimeVersionConfig>,
    /// The function's layers, in order (absent when it has none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub layers: Vec<LayerReference>,
    /// Members stored and echoed as given (VpcConfig, DeadLetterConfig, KMSKeyArn, FileSystemConfigs,
    /// ImageConfigResponse).
    #[serde(flatten)]
    pub echoed: BTreeMap<String, Value>,
}

/// `Code` in GetFunction's answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct FunctionCodeLocation {
    /// Always `S3`, as AWS says for zip functions.
    pub repository_type: String,
    /// A URL that downloads the zip.
    pub location: String,
}

/// `{"ReservedConcurrentExecutions": n}`, or `{}` when unset.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Concurrency {
    /// The reservation, absent when there is none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reserved_concurrent_executions: Option<u32>,
}

/// ListFunctions' answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListFunctionsOutput {
    /// One page.
    pub functions: Vec<FunctionConfiguration>,
    /// Absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_marker: Option<String>,
}

/// ListVersionsByFunction's answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListVersionsOutput {
    /// One page: `$LATEST` first, then 1, 2, ...
    pub versions: Vec<FunctionConfiguration>,
    /// Absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_marker: Option<String>,
}

/// ListTags' answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TagsOutput {
    /// The tags.
    pub tags: BTreeMap<String, String>,
}

/// GetAccountSettings' `AccountLimit`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AccountLimit {
    /// 75 GB.
    pub total_code_size: u64,
    /// 250 MB.
    pub code_size_unzipped: u64,
    /// 50 MB.
    pub code_size_zipped: u64,
    /// 1000.
    pub concurrent_executions: u32,
    /// 1000 minus every reservation.
    pub unreserved_concurrent_executions: u32,
}

/// GetAccountSettings' `AccountUsage`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AccountUsage {
    /// Bytes of every stored package (functions, versions and layer versions).
    pub total_code_size: u64,
    /// Functions in the region.
    pub function_count: u64,
}

/// GetAccountSettings' answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AccountSettings {
    /// Limits.
    pub account_limit: AccountLimit,
    /// Usage.
    pub account_usage: AccountUsage,
}

/// One of a function's layers in its FunctionConfiguration.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LayerReference {
    /// The layer version ARN.
    pub arn: String,
    /// The layer's zip size in bytes.
    pub code_size: u64,
}

/// `Content` of PublishLayerVersion.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LayerContentInput {
    /// Present when the zip is inline; its bytes are staged separately (see `Engine::stage_zip_base64`).
    pub zip_file: Option<IgnoredAny>,
    /// S3 source.
    pub s3_bucket: Option<String>,
    /// S3 source.
    pub s3_key: Option<String>,
    /// S3 source.
    pub s3_object_version: Option<String>,
}

/// PublishLayerVersion's body.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PublishLayerVersionInput {
    /// The layer's zip.
    pub content: Option<LayerContentInput>,
    /// Free text, up to 256 characters.
    pub description: Option<String>,
    /// Up to 15 runtime identifiers.
    pub compatible_runtimes: Option<Vec<String>>,
    /// Up to 2 of `x86_64`, `arm64`.
    pub compatible_architectures: Option<Vec<String>>,
    /// Up to 512 characters.
    pub license_info: Option<String>,
}

/// `Content` of a layer version.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LayerVersionContent {
    /// A URL that downloads the zip.
    pub location: String,
    /// base64 SHA-256 of the zip.
    pub code_sha256: String,
    /// Zip size in bytes.
    pub code_size: u64,
}

/// PublishLayerVersion's, GetLayerVersion's and GetLayerVersionByArn's answer. Optional members are
/// absent when they were not given.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LayerVersionOutput {
    /// Where to download the zip.
    pub content: LayerVersionContent,
    /// `arn:aws:lambda:<region>:<account>:layer:<name>`.
    pub layer_arn: String,
    /// The layer ARN with `:<version>`.
    pub layer_version_arn: String,
    /// As given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `2026-01-12T15:31:24.123+0000`.
    pub created_date: String,
    /// The version number.
    pub version: u64,
    /// As given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compatible_runtimes: Option<Vec<String>>,
    /// As given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub license_info: Option<String>,
    /// As given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compatible_architectures: Option<Vec<String>>,
}

/// One item of ListLayerVersions (and ListLayers' `LatestMatchingVersion`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LayerVersionsListItem {
    /// The layer version ARN.
    pub layer_version_arn: String,
    /// The version number.
    pub version: u64,
    /// As given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// When it was published.
    pub created_date: String,
    /// As given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compatible_runtimes: Option<Vec<String>>,
    /// As given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub license_info: Option<String>,
    /// As given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compatible_architectures: Option<Vec<String>>,
}

/// ListLayerVersions' answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListLayerVersionsOutput {
    /// One page, newest first.
    pub layer_versions: Vec<LayerVersionsListItem>,
    /// Absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_marker: Option<String>,
}

/// One item of ListLayers.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LayersListItem {
    /// The layer name.
    pub layer_name: String,
    /// The layer ARN.
    pub layer_arn: String,
    /// The newest version that matches the filters.
    pub latest_matching_version: LayerVersionsListItem,
}

/// ListLayers' answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListLayersOutput {
    /// One page, by layer name.
    pub layers: Vec<LayersListItem>,
    /// Absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_marker: Option<String>,
}
