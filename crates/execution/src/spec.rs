use std::collections::BTreeMap;
use std::path::PathBuf;

use lamina_model::Architecture;

use crate::logging::Logging;

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
    /// The log group (`/aws/lambda/<name>` by default, else `LoggingConfig.LogGroup`): its streams'
    /// folder ([`FunctionVersion::log_folder`]) and `AWS_LAMBDA_LOG_GROUP_NAME`.
    pub log_group: String,
    /// The rest of `LoggingConfig`: the format of the platform's lines and the levels that filter them and
    /// the function's output.
    pub logging: Logging,
    /// Reserved concurrency, if set (0 throttles every invocation).
    pub reserved_concurrency: Option<u32>,
    /// The `Runtime` setting: only the OS-only runtimes (`provided.*`) start a `bootstrap`; a function of
    /// another runtime is refused at each invoke, saying so.
    pub runtime: Option<String>,
    /// What linting found wrong with the package at deploy: each new environment writes it to the log.
    pub package_warnings: Vec<String>,
    /// The execution role's ARN: the environment's session credentials act as it.
    pub role: String,
}

impl FunctionVersion {
    /// Whether lamina can start this function: `None` for the OS-only runtimes (and functions without a
    /// runtime), else why not.
    pub fn unsupported_runtime(&self) -> Option<String> {
        let runtime = self.runtime.as_deref()?;
        (!runtime.starts_with("provided")).then(|| {
            format!(
                "lamina runs functions of the OS-only runtimes (provided.al2023, provided.al2), which start the \
                 package's bootstrap; this function's runtime is {runtime}. Deploy it as provided.al2023 with a \
                 bootstrap (for {runtime}, the language's runtime interface client started by a bootstrap script)"
            )
        })
    }

    /// The folder of this function's log streams under the log root: its log group's in the account and
    /// region of the function ARN (`<account>/<region>/<name>` for the default group), so groups of one
    /// name in two accounts (or regions) never share streams. An ARN of another shape gives the bare name.
    pub fn log_folder(&self) -> String {
        let parts: Vec<&str> = self.function_arn.split(':').collect();
        match parts.as_slice() {
            ["arn", _, "lambda", region, account, "function", ..] => {
                lamina_logs::group_folder(account, region, &self.log_group)
            }
            _ => self.function_name.clone(),
        }
    }

    /// The key of the pool of environments this version may use.
    pub(crate) fn pool_key(&self) -> String {
        format!("{}:{}:{}", self.function_arn, self.version, self.revision)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(arn: &str) -> FunctionVersion {
        FunctionVersion {
            function_name: "f".to_owned(),
            version: "$LATEST".to_owned(),
            function_arn: arn.to_owned(),
            region: "us-east-1".to_owned(),
            code_dir: PathBuf::new(),
            opt_dir: None,
            revision: "r".to_owned(),
            handler: "bootstrap".to_owned(),
            memory_mb: 128,
            timeout_s: 3,
            ephemeral_mb: 512,
            architecture: Architecture::X86_64,
            environment: BTreeMap::new(),
            log_group: "/aws/lambda/f".to_owned(),
            logging: Logging::default(),
            reserved_concurrency: None,
            runtime: Some("provided.al2023".to_owned()),
            package_warnings: Vec::new(),
            role: "arn:aws:iam::000000000000:role/lambda-role".to_owned(),
        }
    }

    #[test]
    fn only_os_only_runtimes_are_started() {
        let mut f = version("arn:aws:lambda:us-east-1:000000000000:function:f");
        assert_eq!(f.unsupported_runtime(), None);
        f.runtime = Some("provided.al2".to_owned());
        assert_eq!(f.unsupported_runtime(), None);
        f.runtime = None;
        assert_eq!(f.unsupported_runtime(), None);
        f.runtime = Some("nodejs22.x".to_owned());
        let why = f.unsupported_runtime().expect("refused");
        assert!(
            why.contains("nodejs22.x") && why.contains("provided.al2023"),
            "{why}"
        );
    }

    #[test]
    fn log_folders_keep_accounts_and_regions_apart() {
        let a = version("arn:aws:lambda:us-east-1:111111111111:function:f");
        let b = version("arn:aws:lambda:us-east-1:222222222222:function:f");
        assert_eq!(a.log_folder(), "111111111111/us-east-1/f");
        assert_ne!(a.log_folder(), b.log_folder());
        assert_eq!(version("not an arn").log_folder(), "f");
        let custom = FunctionVersion {
            log_group: "/shared/app".to_owned(),
            ..version("arn:aws:lambda:us-east-1:111111111111:function:f")
        };
        assert_eq!(
            custom.log_folder(),
            lamina_logs::group_folder("111111111111", "us-east-1", "/shared/app")
        );
        assert_ne!(custom.log_folder(), a.log_folder());
    }
}
