//! GetRuntimeManagementConfig and PutRuntimeManagementConfig: when a function's runtime is updated
//! (`Auto`, the default; `FunctionUpdate`; `Manual` with a runtime version). Stored per qualifier and
//! returned; lamina runs the host's operating system, so no runtime version is applied.

use lamina_store::SubResourceKind;
use serde::{Deserialize, Serialize};

use crate::names::Scope;
use crate::sub_resources::{Change, Stored, Target, function_key};
use crate::wire::{RuntimeManagementConfig, RuntimeManagementInput};
use crate::{Engine, EngineError};

/// What the engine stores for a qualifier's runtime update mode.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct RuntimeManagementRecord {
    update_runtime_on: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    runtime_version_arn: Option<String>,
}

/// The function, what the qualifier names (`$LATEST` for none) and the ARN the answer names, once
/// `operation`'s input (`body`, the name and the qualifier) is checked against the model.
fn target<B: Serialize>(
    scope: &Scope,
    operation: &str,
    raw_name: &str,
    qualifier: Option<&str>,
    body: &B,
) -> Result<Target, EngineError> {
    Ok(Target::checked(operation, scope, raw_name, qualifier, body)?.unqualified_is_latest())
}

impl Engine {
    /// GetRuntimeManagementConfig.
    pub async fn get_runtime_management_config(
        &self,
        scope: &Scope,
        raw_name: &str,
        qualifier: Option<&str>,
    ) -> Result<RuntimeManagementConfig, EngineError> {
        let operation = "GetRuntimeManagementConfig";
        let Target { name, qualified, arn } = target(scope, operation, raw_name, qualifier, &())?;
        self.check_qualifier_exists(scope, &name, &qualified).await?;
        let stored = self
            .sub_resource::<RuntimeManagementRecord>(function_key(
                scope,
                &name,
                SubResourceKind::RuntimeManagementConfig,
                &qualified.key(),
            ))
            .await?;
        Ok(match stored {
            Some(stored) => RuntimeManagementConfig {
                update_runtime_on: stored.doc.update_runtime_on,
                runtime_version_arn: stored.doc.runtime_version_arn,
                function_arn: arn,
            },
            None => RuntimeManagementConfig {
                update_runtime_on: "Auto".into(),
                runtime_version_arn: None,
                function_arn: arn,
            },
        })
    }

    /// PutRuntimeManagementConfig.
    pub async fn put_runtime_management_config(
        &self,
        scope: &Scope,
        raw_name: &str,
        qualifier: Option<&str>,
        input: RuntimeManagementInput,
    ) -> Result<RuntimeManagementConfig, EngineError> {
        let operation = "PutRuntimeManagementConfig";
        let Target { name, qualified, arn } = target(scope, operation, raw_name, qualifier, &input)?;
        self.check_qualifier_exists(scope, &name, &qualified).await?;
        let record = RuntimeManagementRecord {
            update_runtime_on: input.update_runtime_on.unwrap_or_default(),
            runtime_version_arn: input.runtime_version_arn,
        };
        let (written, _) = self
            .change_sub_resource(
                scope,
                function_key(
                    scope,
                    &name,
                    SubResourceKind::RuntimeManagementConfig,
                    &qualified.key(),
                ),
                crate::not_found::function_not_found(scope, &name, None),
                move |_: Option<Stored<RuntimeManagementRecord>>| {
                    Ok(Change::Write {
                        doc: record.clone(),
                        versions: Vec::new(),
                        out: record.clone(),
                    })
                },
            )
            .await?;
        Ok(RuntimeManagementConfig {
            update_runtime_on: written.update_runtime_on,
            runtime_version_arn: written.runtime_version_arn,
            function_arn: arn,
        })
    }
}
