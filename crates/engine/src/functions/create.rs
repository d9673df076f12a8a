//! CreateFunction: [`validate`] checks the request in AWS's order (everything that needs no package),
//! [`new_record`] builds the function's `$LATEST` (and `publish_next` its version 1 when published
//! with it), and [`Engine::create_function`] runs the steps between: fetch and check the package,
//! resolve the layers, commit the blob, then the row.

use std::collections::BTreeMap;

use crate::code::{Lint, PackageUse, StagedCode};
use crate::deploy::{Deployed, S3Members};
use crate::layers::for_functions::{check_total_size, provide_bootstrap};
use crate::names::{self, NameKind, Scope};
use crate::record::{
    CREATING_CODE, CREATING_REASON, FunctionLayer, FunctionRecord, State, View, fresh_id, now_timestamp,
};
use crate::validate;
use crate::wire::{CreateFunctionInput, FunctionConfiguration};
use crate::{Engine, EngineError};

use super::config::{Environment, apply_config, checked_environment, validate_config};

/// Most tags of a function.
pub(super) const MAX_TAGS: usize = 50;

/// What [`validate`] found valid: the function's name and architecture.
struct Valid {
    name: String,
    architecture: String,
}

/// Checks a CreateFunction request in AWS's order: the service model's constraints on every member
/// (one ValidationException for all), then the name's region, account and 64 characters, the runtime,
/// the package type and the members a `.zip` function must (not) have.
fn validate(scope: &Scope, input: &CreateFunctionInput) -> Result<Valid, EngineError> {
    validate::input("CreateFunction", input, &[])?;
    let raw = input.function_name.as_deref().unwrap_or_default();
    let function = names::parse_function_name(raw, NameKind::of("CreateFunction"), scope)?;
    if function.name.chars().count() > 64 {
        return Err(EngineError::InvalidParameter(format!(
            "1 validation error detected: Value '{}' at 'functionName' failed to satisfy constraint: Member \
             must have length less than or equal to 64",
            function.name
        )));
    }
    validate_config(&input.config)?;
    let config = &input.config;
    if input.package_type.as_deref() == Some("Image") {
        if config.handler.is_some() || config.runtime.is_some() || config.layers.is_some() {
            return Err(EngineError::InvalidParameter(
                "Please don't provide Handler or Runtime or Layer when the intended function PackageType is Image."
                    .into(),
            ));
        }
        return Err(EngineError::InvalidParameter(
            "lamina runs .zip deployment packages only; PackageType Image (container images) is not supported. \
             Deploy the function as a .zip with a bootstrap, for example with `lamina zip`."
                .into(),
        ));
    }
    if input.code.as_ref().is_some_and(|c| c.image_uri.is_some()) {
        return Err(EngineError::InvalidParameter(
            "Please don't provide ImageUri when the intended function PackageType is Zip.".into(),
        ));
    }
    if config.runtime.is_none() || config.handler.is_none() {
        return Err(EngineError::InvalidParameter(
            "Runtime and Handler are mandatory parameters for functions created with deployment packages."
                .into(),
        ));
    }
    let architecture = input.architectures.as_ref().and_then(|a| a.first());
    Ok(Valid {
        name: function.name,
        architecture: architecture.cloned().unwrap_or_else(|| "x86_64".to_owned()),
    })
}

/// A new function's `$LATEST`: Lambda's defaults, the checked package's facts, then the request's
/// configuration; Pending until it settles.
fn new_record(
    input: &CreateFunctionInput,
    valid: Valid,
    staged: &StagedCode,
    lint: &Lint,
    layers: Vec<FunctionLayer>,
    env: Environment,
    tags: BTreeMap<String, String>,
) -> FunctionRecord {
    let mut record = FunctionRecord {
        name: valid.name,
        version: None,
        runtime: None,
        handler: None,
        role: String::new(),
        description: String::new(),
        timeout: 3,
        memory_size: 128,
        architecture: valid.architecture,
        ephemeral_storage: 512,
        environment: None,
        tracing_mode: "PassThrough".into(),
        logging_config: None,
        snap_start: None,
        echoed: BTreeMap::new(),
        code_sha256: staged.code_sha256(),
        code_size: staged.size(),
        code_unzipped_size: Some(lint.unzipped_size),
        package_warnings: lint.warnings.clone(),
        layers,
        last_modified: now_timestamp(),
        revision_id: fresh_id(),
        state: State::Pending,
        state_reason: Some(CREATING_REASON.into()),
        state_reason_code: Some(CREATING_CODE.into()),
        last_update_status: None,
        last_update_status_reason: None,
        last_update_status_reason_code: None,
        settle_token: Some(fresh_id()),
        tags,
        reserved_concurrency: None,
        last_version: 0,
        last_published_fingerprint: None,
        code_before_update: None,
    };
    apply_config(&mut record, &input.config, env);
    record
}

impl Engine {
    /// CreateFunction.
    pub async fn create_function(
        &self,
        scope: &Scope,
        input: CreateFunctionInput,
        staged: Option<StagedCode>,
    ) -> Result<Deployed<FunctionConfiguration>, EngineError> {
        let valid = validate(scope, &input)?;
        let config = &input.config;
        let code_input = input.code.as_ref();
        let s3 = S3Members {
            bucket: code_input.and_then(|c| c.s3_bucket.as_deref()),
            key: code_input.and_then(|c| c.s3_key.as_deref()),
            version: code_input.and_then(|c| c.s3_object_version.as_deref()),
        };
        let code_signing = match input.code_signing_config_arn.as_deref() {
            Some(raw_arn) => Some(self.code_signing_config_for_function(scope, raw_arn).await?),
            None => None,
        };
        let staged = self.resolve_code(scope, staged, s3).await?;
        let layers = match &config.layers {
            Some(arns) => self.resolve_function_layers(scope, arns).await?,
            None => Vec::new(),
        };
        let usage = PackageUse::Function {
            runtime: config.runtime.clone(),
            layer_bootstrap: provide_bootstrap(&layers),
        };
        let subject = format!("CreateFunction {}", valid.name);
        let (staged, lint) = self
            .check_package(&subject, staged, Some(valid.architecture.clone()), usage)
            .await?;
        check_total_size(lint.unzipped_size, &layers)?;
        let env = checked_environment(config)?;
        let tags = input.tags.clone().unwrap_or_default();
        if tags.len() > MAX_TAGS {
            return Err(EngineError::InvalidParameter(
                "Number of tags exceeds resource tag limit.".into(),
            ));
        }

        let mut record = new_record(&input, valid, &staged, &lint, layers, env, tags);
        let version = (input.publish == Some(true)).then(|| record.publish_next(None, true));
        let token = record.settle_token.clone().unwrap_or_default();
        {
            let _guard = self.inner.code_lock.lock().await;
            self.check_layer_code(&record.layers).await?;
            self.commit_blob(staged).await?;
            self.insert_function(scope, record.clone(), version.clone())
                .await?;
        }
        if let Some(id) = code_signing {
            self.bind_code_signing_config(scope, &record.name, &id).await?;
        }
        tracing::info!(function = %record.name, region = %scope.region, code_sha256 = %record.code_sha256, "created function");
        self.spawn_settle(scope.clone(), record.name.clone(), token);
        let shown = version.as_ref().unwrap_or(&record);
        Ok(Deployed {
            value: shown.configuration(scope, None, View::Full),
            warnings: lint.warnings,
        })
    }
}
