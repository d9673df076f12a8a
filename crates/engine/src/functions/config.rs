//! The configuration members CreateFunction and UpdateFunctionConfiguration share: checking them in
//! AWS's order, and applying them to a record.

use crate::EngineError;
use crate::config_rules;
use crate::record::FunctionRecord;
use crate::wire::ConfigInput;

/// Checked environment variables (`None`: the request has no `Environment.Variables`).
pub(super) type Environment = Option<serde_json::Map<String, serde_json::Value>>;

/// Checks what the service model cannot say of the configuration members (the model's constraints
/// were checked first): the runtime, answered with InvalidParameterValueException.
pub(super) fn validate_config(config: &ConfigInput) -> Result<(), EngineError> {
    if let Some(runtime) = &config.runtime {
        crate::runtime::check(runtime)?;
    }
    Ok(())
}

/// The environment variables of `config`, checked (reserved keys, total size).
pub(super) fn checked_environment(config: &ConfigInput) -> Result<Environment, EngineError> {
    match config.environment.as_ref().and_then(|e| e.variables.as_ref()) {
        Some(vars) => config_rules::environment(vars).map(Some),
        None => Ok(None),
    }
}

/// Applies the members of `config` that are present; validation has already passed.
pub(super) fn apply_config(record: &mut FunctionRecord, config: &ConfigInput, env: Environment) {
    if let Some(role) = &config.role {
        record.role = role.clone();
    }
    if let Some(runtime) = &config.runtime {
        record.runtime = Some(runtime.clone());
    }
    if let Some(handler) = &config.handler {
        record.handler = Some(handler.clone());
    }
    if let Some(description) = &config.description {
        record.description = description.clone();
    }
    if let Some(timeout) = config.timeout {
        record.timeout = u32::try_from(timeout).unwrap_or(3);
    }
    if let Some(memory) = config.memory_size {
        record.memory_size = u32::try_from(memory).unwrap_or(128);
    }
    if let Some(size) = config.ephemeral_storage.as_ref().and_then(|e| e.size) {
        record.ephemeral_storage = u32::try_from(size).unwrap_or(512);
    }
    if config.environment.is_some() {
        record.environment = Some(env.unwrap_or_default());
    }
    if let Some(mode) = config.tracing_config.as_ref().and_then(|t| t.mode.clone()) {
        record.tracing_mode = mode;
    }
    if let Some(logging) = &config.logging_config {
        record.logging_config = Some(as_json(logging));
    }
    if let Some(snap) = &config.snap_start {
        record.snap_start = Some(as_json(snap));
    }
    let echoed = [
        (
            "KMSKeyArn",
            config.kms_key_arn.clone().map(serde_json::Value::from),
        ),
        ("VpcConfig", config.vpc_config.as_ref().map(as_json)),
        (
            "DeadLetterConfig",
            config.dead_letter_config.as_ref().map(as_json),
        ),
        (
            "FileSystemConfigs",
            config.file_system_configs.as_ref().map(as_json),
        ),
        (
            "ImageConfigResponse",
            config
                .image_config
                .as_ref()
                .map(|c| serde_json::json!({"ImageConfig": as_json(c)})),
        ),
    ];
    for (key, value) in echoed {
        if let Some(value) = value {
            record.echoed.insert(key.to_owned(), value);
        }
    }
}

/// A structured member as stored and echoed: the members given, in the API's casing.
fn as_json<T: serde::Serialize>(member: &T) -> serde_json::Value {
    serde_json::to_value(member)
        .expect("the input shapes hold only strings, booleans and lists, which always serialize")
}
