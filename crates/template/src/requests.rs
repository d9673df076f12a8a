//! The Lambda API requests a template's function or layer stands for: CreateFunction,
//! UpdateFunctionConfiguration, UpdateFunctionCode and PublishLayerVersion bodies, with the code given
//! as the API's `Code` members (an inline zip or an S3 location). `lamina deploy` sends them over HTTP;
//! the CloudFormation service hands them to the engine.

use lamina_model::wire::{
    CodeInput, ConfigInput, CreateFunctionInput, EnvironmentInput, EphemeralStorageInput, LayerContentInput,
    PublishLayerVersionInput, UpdateCodeInput, UpdateConfigurationInput,
};
use serde_json::Value;

use crate::resources::{FunctionSpec, LayerSpec};

/// UpdateFunctionConfiguration's body: every member the template controls, so that a value removed
/// from the template goes back to Lambda's default, as with CloudFormation.
pub fn update_configuration(spec: &FunctionSpec) -> UpdateConfigurationInput {
    UpdateConfigurationInput {
        revision_id: None,
        config: config_input(spec),
    }
}

/// The configuration members of a function as the template describes it.
fn config_input(spec: &FunctionSpec) -> ConfigInput {
    let variables = spec
        .environment
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    ConfigInput {
        role: spec.role.clone(),
        runtime: spec.runtime.clone(),
        handler: spec.handler.clone(),
        description: Some(spec.description.clone()),
        timeout: Some(number(spec.timeout)),
        memory_size: Some(number(spec.memory_size)),
        environment: Some(EnvironmentInput {
            variables: Some(variables),
        }),
        layers: Some(spec.layers.clone()),
        ephemeral_storage: Some(EphemeralStorageInput {
            size: Some(number(spec.ephemeral_storage)),
        }),
        ..ConfigInput::default()
    }
}

/// A template's number as the API's (template values are checked far below `i64::MAX`).
fn number(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// CreateFunction's body; `default_role` stands for `Role` when the template has none.
pub fn create_function(spec: &FunctionSpec, code: CodeInput, default_role: &str) -> CreateFunctionInput {
    let mut config = config_input(spec);
    config.role = Some(spec.role.clone().unwrap_or_else(|| default_role.to_owned()));
    if spec.environment.is_empty() {
        config.environment = None;
    }
    if spec.layers.is_empty() {
        config.layers = None;
    }
    CreateFunctionInput {
        function_name: Some(spec.name.clone()),
        code: Some(code),
        architectures: Some(vec![spec.architecture.as_str().to_owned()]),
        config,
        ..CreateFunctionInput::default()
    }
}

/// UpdateFunctionCode's body.
pub fn update_code(spec: &FunctionSpec, code: CodeInput) -> UpdateCodeInput {
    UpdateCodeInput {
        zip_file: code.zip_file,
        s3_bucket: code.s3_bucket,
        s3_key: code.s3_key,
        s3_object_version: code.s3_object_version,
        architectures: Some(vec![spec.architecture.as_str().to_owned()]),
        ..UpdateCodeInput::default()
    }
}

/// PublishLayerVersion's body.
pub fn publish_layer(spec: &LayerSpec, code: CodeInput) -> PublishLayerVersionInput {
    let listed = |values: &Vec<String>| (!values.is_empty()).then(|| values.clone());
    PublishLayerVersionInput {
        content: Some(LayerContentInput {
            zip_file: code.zip_file,
            s3_bucket: code.s3_bucket,
            s3_key: code.s3_key,
            s3_object_version: code.s3_object_version,
        }),
        description: Some(spec.description.clone()),
        compatible_runtimes: listed(&spec.compatible_runtimes),
        compatible_architectures: listed(&spec.compatible_architectures),
        license_info: spec.license_info.clone(),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use lamina_model::Architecture;
    use lamina_model::wire::ZipFile;
    use serde_json::json;

    use super::*;
    use crate::resources::CodeSource;

    fn spec() -> FunctionSpec {
        FunctionSpec {
            logical_id: "Hello".into(),
            name: "hello".into(),
            runtime: Some("provided.al2023".into()),
            handler: Some("bootstrap".into()),
            description: String::new(),
            role: None,
            architecture: Architecture::X86_64,
            memory_size: 128,
            timeout: 3,
            environment: BTreeMap::new(),
            ephemeral_storage: 512,
            layers: Vec::new(),
            reserved_concurrency: None,
            code: CodeSource::Zip("f.zip".into()),
            ignored: Vec::new(),
        }
    }

    fn zip() -> CodeInput {
        CodeInput {
            zip_file: Some(ZipFile::new("UEs=".into())),
            ..CodeInput::default()
        }
    }

    fn to_json(value: &impl serde::Serialize) -> Value {
        serde_json::to_value(value).expect("serialisable")
    }

    #[test]
    fn writes_the_request_bodies() {
        let mut s = spec();
        s.layers = vec!["arn:aws:lambda:us-east-1:000000000000:layer:shared:1".into()];
        let body = to_json(&create_function(
            &s,
            zip(),
            "arn:aws:iam::000000000000:role/HelloRole",
        ));
        assert_eq!(
            body,
            json!({
                "FunctionName": "hello", "Role": "arn:aws:iam::000000000000:role/HelloRole",
                "Runtime": "provided.al2023", "Handler": "bootstrap", "Description": "", "MemorySize": 128,
                "Timeout": 3, "EphemeralStorage": {"Size": 512}, "Architectures": ["x86_64"],
                "Layers": ["arn:aws:lambda:us-east-1:000000000000:layer:shared:1"],
                "Code": {"ZipFile": "UEs="}
            })
        );
        let body = to_json(&update_configuration(&spec()));
        assert_eq!(
            body["Environment"],
            json!({"Variables": {}}),
            "clears removed variables"
        );
        assert_eq!(body["Layers"], json!([]), "clears removed layers");
        assert_eq!(
            to_json(&update_code(&spec(), zip())),
            json!({"ZipFile": "UEs=", "Architectures": ["x86_64"]})
        );
        let layer = LayerSpec {
            logical_id: "Shared".into(),
            name: "shared".into(),
            description: "libs".into(),
            compatible_runtimes: vec!["provided.al2023".into()],
            compatible_architectures: vec![],
            license_info: None,
            content: CodeSource::Zip("l.zip".into()),
            ignored: vec![],
        };
        assert_eq!(
            to_json(&publish_layer(&layer, zip())),
            json!({"Content": {"ZipFile": "UEs="}, "Description": "libs", "CompatibleRuntimes": ["provided.al2023"]})
        );
    }
}
