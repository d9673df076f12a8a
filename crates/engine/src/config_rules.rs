//! The rules for configuration members shared by CreateFunction and UpdateFunctionConfiguration, in
//! AWS's order: pattern/range/enum violations first (one ValidationException listing them all), then
//! the semantic checks (InvalidParameterValueException) one at a time.

use std::sync::LazyLock;

use regex::Regex;
use serde_json::{Map, Value};

use crate::EngineError;
use crate::validation::{Checks, list};
use crate::wire::ConfigInput;

/// AWS's role pattern.
pub const ROLE_PATTERN: &str = r"arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+";
static ROLE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@_/-]+$").expect("static")
});

/// AWS's handler pattern.
pub const HANDLER_PATTERN: &str = r"[^\s]+";
static HANDLER: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^[^\s]+$").expect("static"));

/// AWS's environment variable key pattern.
pub const ENV_KEY_PATTERN: &str = "[a-zA-Z]([a-zA-Z0-9_])+";
static ENV_KEY: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^[a-zA-Z]([a-zA-Z0-9_])+$").expect("static"));

/// AWS's layer version ARN pattern.
pub const LAYER_PATTERN: &str = r"arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:\d{12}:layer:[a-zA-Z0-9-_]+:[0-9]+";
/// [`LAYER_PATTERN`] with captures: region, account, layer name, version.
pub(crate) static LAYER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^arn:[a-zA-Z0-9-]+:lambda:([a-zA-Z0-9-]+):(\d{12}):layer:([a-zA-Z0-9_-]+):([0-9]+)$")
        .expect("static")
});

/// Lambda's limit on layers per function.
pub const MAX_LAYERS: usize = 5;

/// A layer version ARN taken apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LayerVersionArn {
    /// The ARN as given.
    pub(crate) arn: String,
    /// Its region.
    pub(crate) region: String,
    /// Its account.
    pub(crate) account: String,
    /// The layer name.
    pub(crate) name: String,
    /// The version number (`None` when it does not fit in 64 bits: no such version exists).
    pub(crate) version: Option<u64>,
}

impl LayerVersionArn {
    /// Takes apart an ARN that matches [`LAYER_PATTERN`].
    pub(crate) fn parse(arn: &str) -> Option<Self> {
        let caps = LAYER.captures(arn)?;
        Some(LayerVersionArn {
            arn: arn.to_owned(),
            region: caps[1].to_owned(),
            account: caps[2].to_owned(),
            name: caps[3].to_owned(),
            version: caps[4].parse().ok(),
        })
    }
}

/// Environment variables Lambda sets itself and refuses to let a function override.
pub const RESERVED_ENV_KEYS: [&str; 18] = [
    "_HANDLER",
    "_X_AMZN_TRACE_ID",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE",
    "AWS_LAMBDA_LOG_GROUP_NAME",
    "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_ACCESS_KEY",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_LAMBDA_RUNTIME_API",
    "LAMBDA_TASK_ROOT",
    "LAMBDA_RUNTIME_DIR",
];

/// Environment variables' JSON may be at most this many bytes.
pub const ENV_MAX_BYTES: usize = 4096;

/// Memory range of classic functions, MB.
pub const MEMORY_RANGE: (i64, i64) = (128, 10_240);
/// Timeout range, seconds.
pub const TIMEOUT_RANGE: (i64, i64) = (1, 900);
/// `/tmp` range, MB.
pub const EPHEMERAL_RANGE: (i64, i64) = (512, 10_240);

/// AWS's `DeadLetterConfig.TargetArn` pattern (botocore's `ResourceArn`: an ARN, or empty to remove it).
pub const TARGET_ARN_PATTERN: &str = "(arn:(aws[a-zA-Z-]*)?:[a-z0-9-.]+:.*)|()";
static TARGET_ARN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(?:arn:(aws[a-zA-Z-]*)?:[a-z0-9.-]+:.*|)$").expect("static"));

/// AWS's file system (EFS or S3 Files access point) ARN pattern, botocore's `FileSystemArn`.
pub const FILE_SYSTEM_ARN_PATTERN: &str = r"arn:aws[a-zA-Z-]*:elasticfilesystem:[a-z]{2}((-gov)|(-iso(b?)))?-[a-z]+-\d{1}:\d{12}:access-point/fsap-[a-f0-9]{17}$|^arn:aws[-a-z]*:s3files:[0-9a-z-:]+:file-system/fs-[0-9a-f]{17,40}/access-point/fsap-[0-9a-f]{17,40}";
static FILE_SYSTEM_ARN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^(?:arn:aws[a-zA-Z-]*:elasticfilesystem:[a-z]{2}((-gov)|(-iso(b?)))?-[a-z]+-\d{1}:\d{12}:access-point/fsap-[a-f0-9]{17}|arn:aws[-a-z]*:s3files:[0-9a-z:-]+:file-system/fs-[0-9a-f]{17,40}/access-point/fsap-[0-9a-f]{17,40})$",
    )
    .expect("static")
});

/// AWS's `LocalMountPath` pattern.
pub const LOCAL_MOUNT_PATH_PATTERN: &str = "/mnt/[a-zA-Z0-9-_.]+";
static LOCAL_MOUNT_PATH: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^/mnt/[a-zA-Z0-9_.-]+$").expect("static"));

/// AWS's `LogGroup` pattern.
pub const LOG_GROUP_PATTERN: &str = r"[\.\-_/#A-Za-z0-9]+";
static LOG_GROUP: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^[._/#A-Za-z0-9-]+$").expect("static"));

/// The model's enums of the structured members, in the order AWS's messages list them.
const LOG_FORMATS: [&str; 2] = ["JSON", "Text"];
const APPLICATION_LOG_LEVELS: [&str; 6] = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"];
const SYSTEM_LOG_LEVELS: [&str; 3] = ["DEBUG", "INFO", "WARN"];
const SNAP_START_APPLY_ON: [&str; 2] = ["PublishedVersions", "None"];

/// Adds an item when `value` is not one of `values`.
fn one_of(value: &str, path: &str, values: &[&str], checks: &mut Checks) {
    if !values.contains(&value) {
        checks.string(
            value,
            path,
            format!("Member must satisfy enum value set: [{}]", values.join(", ")),
        );
    }
}

/// Adds an item when a list has more than `max` items.
fn at_most(items: &[String], path: &str, max: usize, checks: &mut Checks) {
    if items.len() > max {
        checks.string(
            &list(items),
            path,
            format!("Member must have length less than or equal to {max}"),
        );
    }
}

/// Adds the items for the structured members (`VpcConfig`, `DeadLetterConfig`, `FileSystemConfigs`,
/// `LoggingConfig`, `ImageConfig`, `SnapStart`): the lengths, patterns and enums of botocore's model,
/// at the camelCase member paths AWS names (`vpcConfig.subnetIds`; a list item is
/// `fileSystemConfigs.1.member.arn`, counted from 1).
fn structured(config: &ConfigInput, checks: &mut Checks) {
    if let Some(vpc) = &config.vpc_config {
        if let Some(subnets) = &vpc.subnet_ids {
            at_most(subnets, "vpcConfig.subnetIds", 16, checks);
        }
        if let Some(groups) = &vpc.security_group_ids {
            at_most(groups, "vpcConfig.securityGroupIds", 5, checks);
        }
    }
    if let Some(target) = config
        .dead_letter_config
        .as_ref()
        .and_then(|d| d.target_arn.as_deref())
    {
        checks.pattern(
            target,
            "deadLetterConfig.targetArn",
            &TARGET_ARN,
            TARGET_ARN_PATTERN,
        );
    }
    if let Some(file_systems) = &config.file_system_configs {
        if file_systems.len() > 1 {
            let shown: Vec<String> = file_systems
                .iter()
                .map(|f| serde_json::to_string(f).unwrap_or_default())
                .collect();
            checks.string(
                &list(&shown),
                "fileSystemConfigs",
                "Member must have length less than or equal to 1",
            );
        }
        for (i, file_system) in file_systems.iter().enumerate() {
            let at = |member: &str| format!("fileSystemConfigs.{}.member.{member}", i + 1);
            match &file_system.arn {
                Some(arn) => {
                    checks.length(arn, &at("arn"), 0, 256);
                    checks.pattern(arn, &at("arn"), &FILE_SYSTEM_ARN, FILE_SYSTEM_ARN_PATTERN);
                }
                None => checks.null(&at("arn")),
            }
            match &file_system.local_mount_path {
                Some(path) => {
                    checks.length(path, &at("localMountPath"), 0, 160);
                    checks.pattern(
                        path,
                        &at("localMountPath"),
                        &LOCAL_MOUNT_PATH,
                        LOCAL_MOUNT_PATH_PATTERN,
                    );
                }
                None => checks.null(&at("localMountPath")),
            }
        }
    }
    if let Some(logging) = &config.logging_config {
        if let Some(format) = &logging.log_format {
            one_of(format, "loggingConfig.logFormat", &LOG_FORMATS, checks);
        }
        if let Some(level) = &logging.application_log_level {
            one_of(
                level,
                "loggingConfig.applicationLogLevel",
                &APPLICATION_LOG_LEVELS,
                checks,
            );
        }
        if let Some(level) = &logging.system_log_level {
            one_of(level, "loggingConfig.systemLogLevel", &SYSTEM_LOG_LEVELS, checks);
        }
        if let Some(group) = &logging.log_group {
            checks.length(group, "loggingConfig.logGroup", 1, 512);
            checks.pattern(group, "loggingConfig.logGroup", &LOG_GROUP, LOG_GROUP_PATTERN);
        }
    }
    if let Some(image) = &config.image_config {
        if let Some(entry_point) = &image.entry_point {
            at_most(entry_point, "imageConfig.entryPoint", 1500, checks);
        }
        if let Some(command) = &image.command {
            at_most(command, "imageConfig.command", 1500, checks);
        }
        if let Some(directory) = &image.working_directory {
            checks.length(directory, "imageConfig.workingDirectory", 0, 1000);
        }
    }
    if let Some(apply_on) = config.snap_start.as_ref().and_then(|s| s.apply_on.as_deref()) {
        one_of(apply_on, "snapStart.applyOn", &SNAP_START_APPLY_ON, checks);
    }
}

/// Adds the pattern/range items for every member that is present.
pub(crate) fn syntax(config: &ConfigInput, checks: &mut Checks) {
    if let Some(role) = &config.role {
        checks.pattern(role, "role", &ROLE, ROLE_PATTERN);
    }
    if let Some(handler) = &config.handler {
        checks.length(handler, "handler", 0, 128);
        checks.pattern(handler, "handler", &HANDLER, HANDLER_PATTERN);
    }
    if let Some(description) = &config.description {
        checks.length(description, "description", 0, 256);
    }
    if let Some(timeout) = config.timeout {
        checks.range(timeout, "timeout", TIMEOUT_RANGE.0, TIMEOUT_RANGE.1);
    }
    if let Some(memory) = config.memory_size {
        checks.range(memory, "memorySize", MEMORY_RANGE.0, MEMORY_RANGE.1);
    }
    if let Some(storage) = &config.ephemeral_storage {
        match storage.size {
            Some(size) => checks.range(
                size,
                "ephemeralStorage.size",
                EPHEMERAL_RANGE.0,
                EPHEMERAL_RANGE.1,
            ),
            None => checks.null("ephemeralStorage.size"),
        }
    }
    if let Some(mode) = config.tracing_config.as_ref().and_then(|t| t.mode.as_deref())
        && mode != "Active"
        && mode != "PassThrough"
    {
        checks.string(
            mode,
            "tracingConfig.mode",
            "Member must satisfy enum value set: [Active, PassThrough]",
        );
    }
    if let Some(vars) = config.environment.as_ref().and_then(|e| e.variables.as_ref())
        && vars.keys().any(|k| !ENV_KEY.is_match(k))
    {
        checks.hidden(
            "environment.variables",
            format!("Map keys must satisfy constraint: [Member must satisfy regular expression pattern: {ENV_KEY_PATTERN}]"),
        );
    }
    if let Some(layers) = &config.layers {
        for layer in layers {
            if !LAYER.is_match(layer) || layer.len() > 140 {
                checks.string(
                    &list(layers),
                    "layers",
                    format!(
                        "Member must satisfy constraint: [Member must have length less than or equal to 140, Member \
                         must have length greater than or equal to 1, Member must satisfy regular expression \
                         pattern: {LAYER_PATTERN}, Member must not be null]"
                    ),
                );
                break;
            }
        }
    }
    structured(config, checks);
}

/// Checks tag keys (1..128 characters) and values (0..256).
pub(crate) fn tags(tags: &std::collections::BTreeMap<String, String>, checks: &mut Checks) {
    for (k, v) in tags {
        checks.length(k, "tags.key", 1, 128);
        checks.length(v, "tags.value", 0, 256);
    }
}

/// Checks `Architectures` (exactly one of x86_64, arm64) and returns it.
pub(crate) fn architectures(values: Option<&Vec<String>>, checks: &mut Checks) -> Option<String> {
    let values = values?;
    if values.len() > 1 {
        checks.string(
            &list(values),
            "architectures",
            "Member must have length less than or equal to 1",
        );
        return None;
    }
    if values.is_empty() {
        checks.string(
            &list(values),
            "architectures",
            "Member must have length greater than or equal to 1",
        );
        return None;
    }
    if values.iter().any(|a| a != "x86_64" && a != "arm64") {
        checks.string(
            &list(values),
            "architectures",
            "Member must satisfy constraint: [Member must satisfy enum value set: [x86_64, arm64], Member must not be null]",
        );
        return None;
    }
    values.first().cloned()
}

/// Checks environment variables' values, size and reserved keys; returns them as stored.
pub(crate) fn environment(vars: &Map<String, Value>) -> Result<Map<String, Value>, EngineError> {
    if vars.values().any(|v| !v.is_string()) {
        return Err(EngineError::InvalidParameter(
            "Environment variable values must be strings.".into(),
        ));
    }
    let measured = serde_json::to_string(vars)?;
    if measured.len() > ENV_MAX_BYTES {
        return Err(EngineError::InvalidParameter(format!(
            "Lambda was unable to configure your environment variables because the environment variables you have \
             provided exceeded the 4KB limit. String measured: {measured}"
        )));
    }
    let reserved: Vec<&str> = vars
        .keys()
        .map(String::as_str)
        .filter(|k| RESERVED_ENV_KEYS.contains(k))
        .collect();
    if !reserved.is_empty() {
        return Err(EngineError::InvalidParameter(format!(
            "Lambda was unable to configure your environment variables because the environment variables you have \
             provided contains reserved keys that are currently not supported for modification. Reserved keys used \
             in this request: {}",
            reserved.join(", ")
        )));
    }
    Ok(vars.clone())
}

/// The rules of a function's `Layers` that need no store (the syntax was checked by [`syntax`]): at most
/// [`MAX_LAYERS`], all in the function's region, no two versions of one layer. Whether each version
/// exists is the engine's check.
pub(crate) fn layers(layers: &[String], region: &str) -> Result<Vec<LayerVersionArn>, EngineError> {
    if layers.len() > MAX_LAYERS {
        return Err(EngineError::InvalidParameter(format!(
            "Cannot reference more than {MAX_LAYERS} layers."
        )));
    }
    let mut parsed: Vec<LayerVersionArn> = Vec::new();
    for arn in layers {
        let Some(layer) = LayerVersionArn::parse(arn) else {
            return Err(EngineError::InvalidParameter(format!(
                "Layer version {arn} does not exist."
            )));
        };
        if layer.region != region {
            return Err(EngineError::InvalidParameter(format!(
                "Layers are not in the same region as the function. Layers are expected to be in region {region}."
            )));
        }
        if let Some(other) = parsed
            .iter()
            .find(|p| p.account == layer.account && p.name == layer.name)
        {
            return Err(EngineError::InvalidParameter(format!(
                "Two different versions of the same layer are not allowed to be referenced in the same function. \
                 {} and {} are versions of the same layer.",
                other.arn, layer.arn
            )));
        }
        parsed.push(layer);
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::EnvironmentInput;

    #[test]
    fn role_pattern_is_quoted() {
        let mut checks = Checks::default();
        let config = ConfigInput {
            role: Some("r1".into()),
            ..Default::default()
        };
        syntax(&config, &mut checks);
        assert_eq!(
            checks.finish().expect_err("bad role").to_string(),
            "1 validation error detected: Value 'r1' at 'role' failed to satisfy constraint: Member must satisfy \
             regular expression pattern: arn:(aws[a-zA-Z-]*)?:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+"
        );
    }

    #[test]
    fn architectures_messages() {
        let mut checks = Checks::default();
        architectures(Some(&vec!["x86_64".into(), "arm64".into()]), &mut checks);
        architectures(Some(&vec!["X86_64".into()]), &mut checks);
        let msg = checks.finish().expect_err("bad").to_string();
        assert!(msg.starts_with("2 validation errors detected: Value '[x86_64, arm64]' at 'architectures' failed to satisfy constraint: Member must have length less than or equal to 1; "), "{msg}");
        assert!(msg.ends_with("Value '[X86_64]' at 'architectures' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [x86_64, arm64], Member must not be null]"), "{msg}");
    }

    #[test]
    fn environment_limit_is_4096_bytes_of_json() {
        let mut vars = Map::new();
        // {"LARGE_VAR":"..."} is 16 bytes plus the value.
        vars.insert("LARGE_VAR".into(), Value::from("x".repeat(4096 - 16)));
        assert!(environment(&vars).is_ok());
        vars.insert("LARGE_VAR".into(), Value::from("x".repeat(4097 - 16)));
        let msg = environment(&vars).expect_err("too big").to_string();
        assert!(
            msg.contains("exceeded the 4KB limit. String measured: {\"LARGE_VAR\":\"xxx"),
            "{msg}"
        );
    }

    #[test]
    fn reserved_keys_are_named() {
        let mut vars = Map::new();
        vars.insert("AWS_REGION".into(), Value::from("x"));
        assert!(
            environment(&vars)
                .expect_err("reserved")
                .to_string()
                .ends_with("Reserved keys used in this request: AWS_REGION")
        );
    }

    #[test]
    fn layer_rules_have_aws_messages() {
        let arn = |region: &str, name: &str, n: u32| {
            format!("arn:aws:lambda:{region}:000000000000:layer:{name}:{n}")
        };
        let six: Vec<String> = (1..=6).map(|i| arn("us-east-1", &format!("l{i}"), 1)).collect();
        assert_eq!(
            layers(&six, "us-east-1").expect_err("six").to_string(),
            "Cannot reference more than 5 layers."
        );
        assert_eq!(
            layers(&[arn("eu-west-1", "l", 1)], "us-east-1")
                .expect_err("region")
                .to_string(),
            "Layers are not in the same region as the function. Layers are expected to be in region us-east-1."
        );
        assert_eq!(
            layers(&[arn("us-east-1", "l", 1), arn("us-east-1", "l", 2)], "us-east-1")
                .expect_err("two versions")
                .to_string(),
            "Two different versions of the same layer are not allowed to be referenced in the same function. \
             arn:aws:lambda:us-east-1:000000000000:layer:l:1 and arn:aws:lambda:us-east-1:000000000000:layer:l:2 \
             are versions of the same layer."
        );
        let ok = layers(&[arn("us-east-1", "a", 3), arn("us-east-1", "b", 1)], "us-east-1").expect("ok");
        assert_eq!(
            ok.iter()
                .map(|l| (l.name.as_str(), l.version))
                .collect::<Vec<_>>(),
            [("a", Some(3)), ("b", Some(1))]
        );
    }

    #[test]
    fn structured_members_are_checked_at_awss_paths() {
        use crate::wire::{DeadLetterConfigInput, FileSystemConfigInput, SnapStartInput, VpcConfigInput};
        let config = ConfigInput {
            vpc_config: Some(VpcConfigInput {
                subnet_ids: Some((0..17).map(|i| format!("subnet-{i}")).collect()),
                ..Default::default()
            }),
            dead_letter_config: Some(DeadLetterConfigInput {
                target_arn: Some("queue".into()),
            }),
            file_system_configs: Some(vec![FileSystemConfigInput {
                arn: None,
                local_mount_path: Some("/mnt/efs".into()),
            }]),
            snap_start: Some(SnapStartInput {
                apply_on: Some("PublishedVersions".into()),
            }),
            ..Default::default()
        };
        let mut checks = Checks::default();
        syntax(&config, &mut checks);
        let msg = checks.finish().expect_err("bad members").to_string();
        assert!(
            msg.starts_with("3 validation errors detected: Value '[subnet-0, "),
            "{msg}"
        );
        assert!(
            msg.contains("at 'vpcConfig.subnetIds' failed to satisfy constraint: Member must have length less than or equal to 16"),
            "{msg}"
        );
        assert!(
            msg.contains("Value 'queue' at 'deadLetterConfig.targetArn' failed to satisfy constraint"),
            "{msg}"
        );
        assert!(
            msg.ends_with("Value null at 'fileSystemConfigs.1.member.arn' failed to satisfy constraint: Member must not be null"),
            "{msg}"
        );
        let fine = ConfigInput {
            dead_letter_config: Some(DeadLetterConfigInput {
                target_arn: Some(String::new()),
            }),
            file_system_configs: Some(vec![FileSystemConfigInput {
                arn: Some(
                    "arn:aws:elasticfilesystem:us-east-1:123456789012:access-point/fsap-0123456789abcdef0"
                        .into(),
                ),
                local_mount_path: Some("/mnt/efs".into()),
            }]),
            ..Default::default()
        };
        let mut checks = Checks::default();
        syntax(&fine, &mut checks);
        assert!(checks.finish().is_ok());
    }

    #[test]
    fn bad_env_key_hides_values() {
        let mut vars = Map::new();
        vars.insert("1BAD".into(), Value::from("secret"));
        let config = ConfigInput {
            environment: Some(EnvironmentInput {
                variables: Some(vars),
            }),
            ..Default::default()
        };
        let mut checks = Checks::default();
        syntax(&config, &mut checks);
        let msg = checks.finish().expect_err("bad key").to_string();
        assert!(!msg.contains("secret"), "{msg}");
        assert!(msg.contains("at 'environment.variables'"), "{msg}");
    }
}
