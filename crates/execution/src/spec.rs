use std::collections::BTreeMap;
use std::path::PathBuf;

use lamina_model::Architecture;

/// Everything needed to start environments for one version of a function, as the engine resolved it.
/// Two versions with the same [`FunctionVersion::pool_key`] share warm environments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionVersion {
    /// The function's name.
    pub function_name: String,
    /// `$LATEST` or a published version number.
    pub version: String,
    /// The unqualified function ARN.
    pub function_arn: String,
    /// The region (for `AWS_REGION`).
    pub region: String,
    /// The unpacked code: the task root and the bootstrap's working directory.
    pub code_dir: PathBuf,
    /// The function's layers, unpacked and combined in order (`/opt`), if it has any.
    pub opt_dir: Option<PathBuf>,
    /// Identifies this configuration of the version (the RevisionId): environments are never reused
    /// across configurations.
    pub revision: String,
    /// The `Handler` setting (`_HANDLER`).
    pub handler: String,
    /// Memory in MB.
    pub memory_mb: u32,
    /// Timeout in seconds.
    pub timeout_s: u32,
    /// EphemeralStorage in MB: the size of `/tmp` in sandbox isolation.
    pub ephemeral_mb: u32,
    /// The function's architecture.
    pub architecture: Architecture,
    /// The function's own environment variables.
    pub environment: BTreeMap<String, String>,
    /// The log group (`/aws/lambda/<name>` by default).
    pub log_group: String,
    /// Reserved concurrency, if set (0 throttles every invocation).
    pub reserved_concurrency: Option<u32>,
}

impl FunctionVersion {
    /// The key of the pool of environments this version may use.
    pub(crate) fn pool_key(&self) -> String {
        format!("{}:{}:{}", self.function_arn, self.version, self.revision)
    }
}
