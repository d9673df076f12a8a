//! UpdateCodeSigningConfig: the members given change.

use super::{CodeSigningRecord, key, not_found};
use crate::names::Scope;
use crate::record::now_timestamp;
use crate::sub_resources::{Change, Stored};
use crate::wire::{CodeSigningConfigInput, CodeSigningConfigOutput};
use crate::{Engine, EngineError, validate};

impl Engine {
    /// UpdateCodeSigningConfig.
    pub async fn update_code_signing_config(
        &self,
        scope: &Scope,
        raw_arn: &str,
        input: CodeSigningConfigInput,
    ) -> Result<CodeSigningConfigOutput, EngineError> {
        let arn = [("CodeSigningConfigArn", raw_arn.into())];
        validate::input("UpdateCodeSigningConfig", &input, &arn)?;
        let (id, _) = self.code_signing_config(scope, raw_arn).await?;
        let arn = raw_arn.to_owned();
        let (updated, _) = self
            .change_sub_resource(
                scope,
                key(scope, &id),
                not_found(raw_arn),
                move |current: Option<Stored<CodeSigningRecord>>| {
                    let Some(current) = current else {
                        return Err(not_found(&arn));
                    };
                    let mut next = current.doc;
                    if let Some(description) = &input.description {
                        next.description = description.clone();
                    }
                    if let Some(arns) = input
                        .allowed_publishers
                        .as_ref()
                        .and_then(|p| p.signing_profile_version_arns.clone())
                    {
                        next.signing_profile_version_arns = arns;
                    }
                    if let Some(policy) = input
                        .code_signing_policies
                        .as_ref()
                        .and_then(|p| p.untrusted_artifact_on_deployment.clone())
                    {
                        next.untrusted_artifact_on_deployment = policy;
                    }
                    next.last_modified = now_timestamp();
                    Ok(Change::Write {
                        doc: next.clone(),
                        versions: Vec::new(),
                        out: next,
                    })
                },
            )
            .await?;
        Ok(CodeSigningConfigOutput {
            code_signing_config: updated.configuration(scope, &id),
        })
    }
}
