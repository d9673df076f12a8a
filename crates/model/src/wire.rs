//! The request and response shapes of the Lambda API operations lamina serves, in the API's JSON casing
//! (restJson1, PascalCase members), for the server (which parses inputs and renders outputs) and for
//! clients such as `lamina deploy` (which do the opposite) alike. Inputs keep every member optional so
//! that a missing required member is reported the way AWS reports it, not as a JSON error; absent
//! members are not sent.
//!
//! ```
//! use lamina_model::wire::{CreateFunctionInput, ZipFile};
//!
//! let input = CreateFunctionInput {
//!     function_name: Some("hello".into()),
//!     code: Some(lamina_model::wire::CodeInput {
//!         zip_file: Some(ZipFile::new("UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA==".into())),
//!         ..Default::default()
//!     }),
//!     ..Default::default()
//! };
//! let json = serde_json::to_value(&input).unwrap();
//! assert_eq!(json["Code"]["ZipFile"], "UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA==");
//! assert!(json.get("Publish").is_none());
//!
//! // A server reads the members, but not the package itself (it stages that from the raw body).
//! let parsed: CreateFunctionInput = serde_json::from_value(json).unwrap();
//! assert!(parsed.code.unwrap().zip_file.is_some_and(|z| z.base64().is_none()));
//! ```

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

// The shapes of the sub-resources of functions, one module each.
mod aliases;
mod code_signing;
mod event_invoke_configs;
mod permissions;
mod provisioned_concurrency;
mod settings;
mod url_configs;

pub use aliases::*;
pub use code_signing::*;
pub use event_invoke_configs::*;
pub use permissions::*;
pub use provisioned_concurrency::*;
pub use settings::*;
pub use url_configs::*;

/// `ZipFile`: an inline package, base64-encoded.
///
/// A client sends it whole ([`ZipFile::new`]). A server parsing a request skips its content, so that a
/// 50 MB package is not copied into a string: the engine stages the bytes straight from the raw body,
/// and a parsed `ZipFile` only says that one was given.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ZipFile {
    base64: Option<String>,
}

impl ZipFile {
    /// A package to send, already base64-encoded.
    pub fn new(base64: String) -> Self {
        ZipFile { base64: Some(base64) }
    }

    /// The base64 text of a package built to be sent (`None` once parsed: the content was skipped).
    pub fn base64(&self) -> Option<&str> {
        self.base64.as_deref()
    }
}

impl Serialize for ZipFile {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.base64.as_deref().unwrap_or_default())
    }
}

impl<'de> Deserialize<'de> for ZipFile {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        serde::de::IgnoredAny::deserialize(deserializer)?;
        Ok(ZipFile::default())
    }
}

/// A function's lifecycle state (`State`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum State {
    /// Code accepted, not yet stored and extracted.
    Pending,
    /// Ready to invoke.
    Active,
    /// Not used recently (Lambda's); lamina never makes a function inactive.
    Inactive,
    /// Could not be made ready; delete and recreate.
    Failed,
}

/// The outcome of the last update (`LastUpdateStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LastUpdateStatus {
    /// Being applied.
    InProgress,
    /// Applied.
    Successful,
    /// Could not be applied.
    Failed,
}

/// `Code` of CreateFunction.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CodeInput {
    /// Present when the package is inline; its bytes are staged separately (see `Engine::stage_zip_base64`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zip_file: Option<ZipFile>,
    /// `S3Bucket`: the bucket of a package fetched from S3 (see `Engine::stage_s3`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub s3_bucket: Option<String>,
    /// `S3Key`: the object key of a package fetched from S3.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub s3_key: Option<String>,
    /// `S3ObjectVersion`: the object's version (versioned buckets; the current one if absent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub s3_object_version: Option<String>,
    /// Container image (not supported).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_uri: Option<String>,
}

/// `Environment` of CreateFunction / UpdateFunctionConfiguration.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct EnvironmentInput {
    /// The variables, in the order given (their JSON is what the 4 KB limit measures).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variables: Option<Map<String, Value>>,
}

/// `EphemeralStorage` of CreateFunction / UpdateFunctionConfiguration.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct EphemeralStorageInput {
    /// Size of `/tmp` in MB.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<i64>,
}

/// `TracingConfig` of CreateFunction / UpdateFunctionConfiguration.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TracingConfigInput {
    /// `Active` or `PassThrough`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
}

/// Configuration members shared by CreateFunction and UpdateFunctionConfiguration.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ConfigInput {
    /// IAM role ARN.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// Runtime identifier.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runtime: Option<String>,
    /// Handler string.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub handler: Option<String>,
    /// Free text, up to 256 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Seconds, 1..900.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout: Option<i64>,
    /// MB, 128..10240.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory_size: Option<i64>,
    /// Environment variables.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environment: Option<EnvironmentInput>,
    /// Layer version ARNs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layers: Option<Vec<String>>,
    /// Size of `/tmp`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ephemeral_storage: Option<EphemeralStorageInput>,
    /// X-Ray mode.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tracing_config: Option<TracingConfigInput>,
    /// KMS key for environment variables (stored and echoed).
    #[serde(rename = "KMSKeyArn")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kms_key_arn: Option<String>,
    /// `VpcConfig`: stored and echoed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vpc_config: Option<VpcConfigInput>,
    /// `DeadLetterConfig`: stored and echoed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dead_letter_config: Option<DeadLetterConfigInput>,
    /// `FileSystemConfigs`: stored and echoed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_system_configs: Option<Vec<FileSystemConfigInput>>,
    /// `LoggingConfig`: stored, and echoed over the defaults.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logging_config: Option<LoggingConfigInput>,
    /// `ImageConfig`: stored and echoed (inside `ImageConfigResponse`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_config: Option<ImageConfigInput>,
    /// `SnapStart`: stored, and echoed over the defaults.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snap_start: Option<SnapStartInput>,
}

// The structured members lamina stores and echoes without acting on them. Each is typed as botocore's
// model types it, so that a wrong-typed member (`"VpcConfig": "x"`, `"TargetArn": 5`) is refused as
// the body it is (InvalidRequestContentException, like a wrong-typed `Timeout`) instead of being
// stored; the patterns, enums and lengths are the engine's checks.

/// `VpcConfig` of CreateFunction / UpdateFunctionConfiguration.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct VpcConfigInput {
    /// Up to 16 subnet ids.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subnet_ids: Option<Vec<String>>,
    /// Up to 5 security group ids.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub security_group_ids: Option<Vec<String>>,
    /// Whether IPv6 traffic is allowed on dual-stack subnets.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ipv6_allowed_for_dual_stack: Option<bool>,
}

/// `DeadLetterConfig` of CreateFunction / UpdateFunctionConfiguration.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeadLetterConfigInput {
    /// The queue or topic ARN (empty to remove it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_arn: Option<String>,
}

/// One item of `FileSystemConfigs` (both members required).
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct FileSystemConfigInput {
    /// The access point ARN.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    /// Where it is mounted, `/mnt/...`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub local_mount_path: Option<String>,
}

/// `LoggingConfig` of CreateFunction / UpdateFunctionConfiguration.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LoggingConfigInput {
    /// `JSON` or `Text`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_format: Option<String>,
    /// `TRACE` .. `FATAL`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub application_log_level: Option<String>,
    /// `DEBUG`, `INFO` or `WARN`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system_log_level: Option<String>,
    /// The log group name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_group: Option<String>,
}

/// `ImageConfig` of CreateFunction / UpdateFunctionConfiguration.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ImageConfigInput {
    /// Overrides the image's entry point.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entry_point: Option<Vec<String>>,
    /// Overrides the image's command.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<Vec<String>>,
    /// Overrides the image's working directory.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub working_directory: Option<String>,
}

/// `SnapStart` of CreateFunction / UpdateFunctionConfiguration.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SnapStartInput {
    /// `PublishedVersions` or `None`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub apply_on: Option<String>,
}

/// CreateFunction's body.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateFunctionInput {
    /// Name or ARN of the new function.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub function_name: Option<String>,
    /// The code source.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<CodeInput>,
    /// Publish version 1 at once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub publish: Option<bool>,
    /// `Zip` (default) or `Image`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub package_type: Option<String>,
    /// Tags to attach.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<BTreeMap<String, String>>,
    /// `["x86_64"]` (default) or `["arm64"]`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub architectures: Option<Vec<String>>,
    /// The code signing configuration the function uses (as PutFunctionCodeSigningConfig sets it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code_signing_config_arn: Option<String>,
    /// Everything else.
    #[serde(flatten)]
    pub config: ConfigInput,
}

/// UpdateFunctionConfiguration's body.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateConfigurationInput {
    /// Only apply if the function's RevisionId is still this.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision_id: Option<String>,
    /// The members to change.
    #[serde(flatten)]
    pub config: ConfigInput,
}

/// UpdateFunctionCode's body.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateCodeInput {
    /// Present when the package is inline; staged separately.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zip_file: Option<ZipFile>,
    /// `S3Bucket`: the bucket of a package fetched from S3 (see `Engine::stage_s3`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub s3_bucket: Option<String>,
    /// `S3Key`: the object key of a package fetched from S3.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub s3_key: Option<String>,
    /// `S3ObjectVersion`: the object's version (versioned buckets; the current one if absent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub s3_object_version: Option<String>,
    /// Container image (not supported).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_uri: Option<String>,
    /// Publish a version with the new code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub publish: Option<bool>,
    /// Validate only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dry_run: Option<bool>,
    /// Only apply if the function's RevisionId is still this.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision_id: Option<String>,
    /// Change the architecture with the code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub architectures: Option<Vec<String>>,
}

/// PublishVersion's body.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PublishVersionInput {
    /// Only publish if `$LATEST` has this CodeSha256.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code_sha256: Option<String>,
    /// The version's description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Only publish if the function's RevisionId is still this.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision_id: Option<String>,
}

/// PutFunctionConcurrency's body.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PutConcurrencyInput {
    /// Reserved concurrent executions, 0 or more.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reserved_concurrent_executions: Option<i64>,
}

/// TagResource's body.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TagResourceInput {
    /// The tags to add or overwrite.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<BTreeMap<String, String>>,
}

/// `Environment` in a FunctionConfiguration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct EnvironmentResponse {
    /// The variables.
    pub variables: Map<String, Value>,
}

/// `{"Size": n}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct EphemeralStorage {
    /// MB.
    pub size: u32,
}

/// `{"Mode": ...}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TracingConfig {
    /// `PassThrough` or `Active`.
    pub mode: String,
}

/// `{"RuntimeVersionArn": ...}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RuntimeVersionConfig {
    /// `arn:aws:lambda:<region>::runtime:<64 hex>`.
    pub runtime_version_arn: String,
}

/// A function's (or version's) configuration as every Get/Create/Update/Publish answers it.
/// Optional members are absent, never `null`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
    pub state: Option<State>,
    /// Only while not Active.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state_reason: Option<String>,
    /// Only while not Active.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state_reason_code: Option<String>,
    /// `InProgress`, `Successful`, `Failed`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_update_status: Option<LastUpdateStatus>,
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
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub layers: Vec<LayerReference>,
    /// Members stored and echoed as given (VpcConfig, DeadLetterConfig, KMSKeyArn, FileSystemConfigs,
    /// ImageConfigResponse).
    #[serde(flatten)]
    pub echoed: BTreeMap<String, Value>,
}

/// `Code` in GetFunction's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct FunctionCodeLocation {
    /// Always `S3`, as AWS says for zip functions.
    pub repository_type: String,
    /// A URL that downloads the zip.
    pub location: String,
}

/// GetFunction's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetFunctionOutput {
    /// The version's configuration.
    pub configuration: FunctionConfiguration,
    /// Where to download the package.
    pub code: FunctionCodeLocation,
    /// The function's tags (absent when it has none).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
    /// The reserved concurrency (absent when there is none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub concurrency: Option<Concurrency>,
}

/// `{"ReservedConcurrentExecutions": n}`, or `{}` when unset.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Concurrency {
    /// The reservation, absent when there is none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reserved_concurrent_executions: Option<u32>,
}

/// ListFunctions' answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListFunctionsOutput {
    /// One page.
    pub functions: Vec<FunctionConfiguration>,
    /// Absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_marker: Option<String>,
}

/// ListVersionsByFunction's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListVersionsOutput {
    /// One page: `$LATEST` first, then 1, 2, ...
    pub versions: Vec<FunctionConfiguration>,
    /// Absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_marker: Option<String>,
}

/// ListTags' answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TagsOutput {
    /// The tags.
    pub tags: BTreeMap<String, String>,
}

/// GetAccountSettings' `AccountLimit`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AccountUsage {
    /// Bytes of every stored package (functions, versions and layer versions).
    pub total_code_size: u64,
    /// Functions in the region.
    pub function_count: u64,
}

/// GetAccountSettings' answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AccountSettings {
    /// Limits.
    pub account_limit: AccountLimit,
    /// Usage.
    pub account_usage: AccountUsage,
}

/// One of a function's layers in its FunctionConfiguration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LayerReference {
    /// The layer version ARN.
    pub arn: String,
    /// The layer's zip size in bytes.
    pub code_size: u64,
}

/// `Content` of PublishLayerVersion.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LayerContentInput {
    /// Present when the zip is inline; its bytes are staged separately (see `Engine::stage_zip_base64`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zip_file: Option<ZipFile>,
    /// S3 source.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub s3_bucket: Option<String>,
    /// S3 source.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub s3_key: Option<String>,
    /// S3 source.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub s3_object_version: Option<String>,
}

/// PublishLayerVersion's body.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PublishLayerVersionInput {
    /// The layer's zip.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<LayerContentInput>,
    /// Free text, up to 256 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Up to 15 runtime identifiers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compatible_runtimes: Option<Vec<String>>,
    /// Up to 2 of `x86_64`, `arm64`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compatible_architectures: Option<Vec<String>>,
    /// Up to 512 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub license_info: Option<String>,
}

/// `Content` of a layer version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListLayerVersionsOutput {
    /// One page, newest first.
    pub layer_versions: Vec<LayerVersionsListItem>,
    /// Absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_marker: Option<String>,
}

/// One item of ListLayers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListLayersOutput {
    /// One page, by layer name.
    pub layers: Vec<LayersListItem>,
    /// Absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_marker: Option<String>,
}
