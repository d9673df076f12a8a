//! CreateCodeSigningConfig.

use super::{CodeSigningRecord, key};
use crate::names::Scope;
use crate::record::now_timestamp;
use crate::sub_resources::{Change, Stored};
use crate::wire::{CodeSigningConfigInput, CodeSigningConfigOutput};
use crate::{Engine, EngineError, validate};

impl Engine {
    /// CreateCodeSigningConfig.
    pub async fn create_code_signing_config(
        &self,
        scope: &Scope,
        input: CodeSigningConfigInput,
    ) -> Result<CodeSigningConfigOutput, EngineError> {
        validate::input("CreateCodeSigningConfig", &input, &[])?;
        // `csc-` and 17 lowercase letters and digits, as AWS's ids.
        let hex = uuid::Uuid::new_v4().simple().to_string();
        let id = format!("csc-{}", &hex[..17]);
        let record = CodeSigningRecord {
            description: input.description.unwrap_or_default(),
            signing_profile_version_arns: input
                .allowed_publishers
                .and_then(|p| p.signing_profile_version_arns)
                .unwrap_or_default(),
            untrusted_artifact_on_deployment: input
                .code_signing_policies
                .and_then(|p| p.untrusted_artifact_on_deployment)
                .unwrap_or_else(|| "Warn".into()),
            last_modified: now_timestamp(),
        };
        let (created, _) = self
            .change_sub_resource(
                scope,
                key(scope, &id),
                EngineError::Internal("an account's configuration hangs on nothing".into()),
                move |current: Option<Stored<CodeSigningRecord>>| match current {
                    Some(_) => Err(EngineError::Internal(
                        "a fresh code signing config id was taken".into(),
                    )),
                    None => Ok(Change::Write {
                        doc: record.clone(),
                        versions: Vec::new(),
                        out: record.clone(),
                    }),
                },
            )
            .await?;
        Ok(CodeSigningConfigOutput {
            code_signing_config: created.configuration(scope, &id),
        })
    }
}
