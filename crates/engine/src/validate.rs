//! Every operation's first check: its input against the service model (`lamina_model::service_model`),
//! all of whose violations AWS reports in one ValidationException before it looks at anything else.
//! The operation's own rules (semantic ones, InvalidParameterValueException and the like) come after.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::EngineError;
use crate::names::{self, FunctionRef, NameKind, Scope};
use crate::validation::Checks;

/// Checks `operation`'s input: `body` (a wire input, serialized with the model's member names) and the
/// members the request carries elsewhere (URI, query, headers) by their model names.
pub(crate) fn input<B: Serialize>(
    operation: &str,
    body: &B,
    members: &[(&str, Value)],
) -> Result<(), EngineError> {
    let mut input = match serde_json::to_value(body)? {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    for (name, value) in members {
        input.insert((*name).to_owned(), value.clone());
    }
    let mut checks = Checks::default();
    checks.input(operation, &Value::Object(input));
    Ok(checks.finish()?)
}

/// Checks the input of an operation on a function (its `FunctionName`, `raw_name`, with `body` and
/// `members` as [`input`] takes them), then takes the name apart in the caller's `scope` (the region and
/// account an ARN names).
pub(crate) fn function_input<B: Serialize>(
    operation: &str,
    raw_name: &str,
    body: &B,
    members: &[(&str, Value)],
    scope: &Scope,
) -> Result<FunctionRef, EngineError> {
    let mut all = vec![("FunctionName", Value::from(raw_name))];
    all.extend_from_slice(members);
    input(operation, body, &all)?;
    Ok(names::parse_function_name(
        raw_name,
        NameKind::of(operation),
        scope,
    )?)
}

/// A member that may be absent, as [`input`] takes it.
pub(crate) fn optional<T: Into<Value>>(value: Option<T>) -> Value {
    value.map_or(Value::Null, Into::into)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::wire::{
        ConfigInput, DeadLetterConfigInput, EnvironmentInput, FileSystemConfigInput, SnapStartInput,
        UpdateConfigurationInput, VpcConfigInput,
    };

    fn update(config: ConfigInput) -> Result<(), EngineError> {
        let body = UpdateConfigurationInput {
            revision_id: None,
            config,
        };
        input(
            "UpdateFunctionConfiguration",
            &body,
            &[("FunctionName", json!("f"))],
        )
    }

    #[test]
    fn role_pattern_is_the_models() {
        let config = ConfigInput {
            role: Some("r1".into()),
            ..Default::default()
        };
        assert_eq!(
            update(config).expect_err("bad role").to_string(),
            "1 validation error detected: Value 'r1' at 'role' failed to satisfy constraint: Member must satisfy \
             regular expression pattern: arn:(aws[a-zA-Z-]*)?:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+"
        );
    }

    #[test]
    fn architectures_messages() {
        let msg = input(
            "UpdateFunctionCode",
            &json!({"Architectures": ["x86_64", "arm64"]}),
            &[("FunctionName", json!("f"))],
        )
        .expect_err("two")
        .to_string();
        assert_eq!(
            msg,
            "1 validation error detected: Value '[x86_64, arm64]' at 'architectures' failed to satisfy constraint: \
             Member must have length less than or equal to 1"
        );
        let msg = input(
            "UpdateFunctionCode",
            &json!({"Architectures": ["X86_64"]}),
            &[("FunctionName", json!("f"))],
        )
        .expect_err("case")
        .to_string();
        assert!(msg.ends_with("Value '[X86_64]' at 'architectures' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [x86_64, arm64], Member must not be null]"), "{msg}");
    }

    #[test]
    fn classic_functions_have_awss_smaller_maxima() {
        let config = ConfigInput {
            timeout: Some(3000),
            memory_size: Some(20_000),
            ..Default::default()
        };
        assert_eq!(
            update(config).expect_err("too much").to_string(),
            "2 validation errors detected: Value '3000' at 'timeout' failed to satisfy constraint: Member must \
             have value less than or equal to 900; Value '20000' at 'memorySize' failed to satisfy constraint: \
             Member must have value less than or equal to 10240"
        );
        let runtime = ConfigInput {
            runtime: Some("cobol".into()),
            ..Default::default()
        };
        assert!(
            update(runtime).is_ok(),
            "the runtime is the operation's own check"
        );
    }

    #[test]
    fn structured_members_are_checked_at_awss_paths() {
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
        let msg = update(config).expect_err("bad members").to_string();
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
        assert!(update(fine).is_ok());
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
        let msg = update(config).expect_err("bad key").to_string();
        assert_eq!(
            msg,
            "1 validation error detected: Value at 'environment.variables' failed to satisfy constraint: Map keys \
             must satisfy constraint: [Member must satisfy regular expression pattern: [a-zA-Z]([a-zA-Z0-9_])+]"
        );
    }

    #[test]
    fn s3_members_are_checked_at_their_paths() {
        let code = json!({"S3Bucket": "ab", "S3Key": "", "S3ObjectVersion": ""});
        let body = json!({"FunctionName": "f", "Role": "arn:aws:iam::123456789012:role/r", "Code": code});
        assert_eq!(
            input("CreateFunction", &body, &[])
                .expect_err("invalid")
                .to_string(),
            "3 validation errors detected: Value 'ab' at 'code.s3Bucket' failed to satisfy constraint: Member must \
             have length greater than or equal to 3; Value '' at 'code.s3Key' failed to satisfy constraint: Member \
             must have length greater than or equal to 1; Value '' at 'code.s3ObjectVersion' failed to satisfy \
             constraint: Member must have length greater than or equal to 1"
        );
        let bucket = json!({"S3Bucket": "bad bucket.", "S3Key": "k"});
        assert_eq!(
            input("UpdateFunctionCode", &bucket, &[("FunctionName", json!("f"))])
                .expect_err("invalid")
                .to_string(),
            "1 validation error detected: Value 'bad bucket.' at 's3Bucket' failed to satisfy constraint: Member \
             must satisfy regular expression pattern: [0-9A-Za-z\\.\\-_]*(?<!\\.)"
        );
        let fine = json!({"S3Bucket": "my.code-bucket_1", "S3Key": "k".repeat(1024), "S3ObjectVersion": "v"});
        assert!(input("UpdateFunctionCode", &fine, &[("FunctionName", json!("f"))]).is_ok());
    }

    #[test]
    fn required_members_are_named_in_the_models_order() {
        assert_eq!(
            input("CreateFunction", &json!({"FunctionName": "bad name"}), &[])
                .expect_err("invalid")
                .to_string(),
            format!(
                "3 validation errors detected: Value 'bad name' at 'functionName' failed to satisfy constraint: \
                 Member must satisfy regular expression pattern: {}; Value null at 'role' failed to satisfy \
                 constraint: Member must not be null; Value null at 'code' failed to satisfy constraint: Member \
                 must not be null",
                crate::names::NameKind::Plain.pattern()
            )
        );
    }
}
