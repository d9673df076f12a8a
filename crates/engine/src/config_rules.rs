//! The rules for configuration members shared by CreateFunction and UpdateFunctionConfiguration that
//! the service model cannot state (its patterns, lengths, enums and ranges are checked first, by
//! `validate`): environment variables' size and reserved keys, and the layers' count, region and
//! versions. Each is an InvalidParameterValueException, checked one at a time.

use std::sync::LazyLock;

use regex::Regex;
use serde_json::{Map, Value};

use crate::EngineError;

/// Takes apart a layer version ARN the model's `LayerVersionArn` pattern accepted: region, account,
/// layer name, version.
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
}
