//! UpdateFunctionCode: a new package for `$LATEST` (and a version of it with `Publish`), checked and
//! committed like CreateFunction's; InProgress until it settles.

use crate::code::PackageUse;
use crate::code::StagedCode;
use crate::deploy::{Deployed, S3Members};
use crate::layers::for_functions::{check_total_size, provide_bootstrap};
use crate::names::Scope;
use crate::not_found::function_not_found;
use crate::preconditions::{check_revision, check_settled};
use crate::record::{FunctionRecord, View};
use crate::validate;
use crate::wire::{FunctionConfiguration, UpdateCodeInput};
use crate::{Engine, EngineError};

impl Engine {
    /// UpdateFunctionCode.
    pub async fn update_function_code(
        &self,
        scope: &Scope,
        raw_name: &str,
        input: UpdateCodeInput,
        staged: Option<StagedCode>,
    ) -> Result<Deployed<FunctionConfiguration>, EngineError> {
        let f = validate::function_input("UpdateFunctionCode", raw_name, &input, &[], scope)?;
        let new_arch = input.architectures.as_ref().and_then(|a| a.first()).cloned();
        let s3 = S3Members {
            bucket: input.s3_bucket.as_deref(),
            key: input.s3_key.as_deref(),
            version: input.s3_object_version.as_deref(),
        };
        if input.image_uri.is_some() {
            return Err(EngineError::InvalidParameter(
                "Please don't provide ImageUri when updating a function with packageType Zip.".into(),
            ));
        }
        if staged.is_none() && !s3.any() {
            return Err(EngineError::InvalidParameter(
                "Please provide a source for function code.".into(),
            ));
        }
        let Some((_, current)) = self.load(scope, &f.name).await? else {
            return Err(function_not_found(scope, &f.name, None));
        };
        check_revision(&current, input.revision_id.as_deref())?;
        check_settled(scope, &current)?;
        let staged = self.resolve_code(scope, staged, s3).await?;
        let arch = new_arch.clone().unwrap_or_else(|| current.architecture.clone());
        let usage = PackageUse::Function {
            runtime: current.runtime.clone(),
            layer_bootstrap: provide_bootstrap(&current.layers),
        };
        let subject = format!("UpdateFunctionCode {}", f.name);
        let (staged, lint) = self
            .check_package(&subject, staged, Some(arch.clone()), usage)
            .await?;
        check_total_size(lint.unzipped_size, &current.layers)?;
        let (warnings, unzipped) = (lint.warnings, lint.unzipped_size);
        let (sha, size) = (staged.code_sha256(), staged.size());
        let publish = input.publish == Some(true);
        let change = {
            let (arch, revision) = (arch.clone(), input.revision_id.clone());
            let package_warnings = warnings.clone();
            let scope = scope.clone();
            move |record: &mut FunctionRecord| -> Result<(FunctionRecord, Option<FunctionRecord>), EngineError> {
                check_revision(record, revision.as_deref())?;
                check_settled(&scope, record)?;
                record.keep_code_before_update();
                record.code_sha256 = sha;
                record.code_size = size;
                record.code_unzipped_size = Some(unzipped);
                record.package_warnings = package_warnings.clone();
                record.architecture = arch.clone();
                record.begin_update();
                let version = publish.then(|| record.publish_next(None, true));
                Ok((record.clone(), version))
            }
        };
        if input.dry_run == Some(true) {
            let mut preview = current.clone();
            let (updated, _) = change(&mut preview)?;
            let mut shown = updated;
            shown.revision_id = current.revision_id.clone();
            shown.last_update_status = current.last_update_status;
            shown.last_update_status_reason = None;
            shown.last_update_status_reason_code = None;
            return Ok(Deployed {
                value: shown.configuration(scope, None, View::Full),
                warnings,
            });
        }
        let guard = self.inner.code_lock.lock().await;
        self.commit_blob(staged).await?;
        let result = self
            .mutate(
                scope,
                &f.name,
                function_not_found(scope, &f.name, None),
                move |record| {
                    let (updated, version) = change(record)?;
                    Ok(((updated, version.clone()), version))
                },
            )
            .await;
        if result.is_err() {
            self.sweep_unreferenced(vec![sha.to_string()]).await;
        }
        drop(guard);
        let (updated, version) = result?;
        tracing::info!(function = %updated.name, code_sha256 = %sha, "updated function code");
        self.spawn_settle(
            scope.clone(),
            updated.name.clone(),
            updated.settle_token.clone().unwrap_or_default(),
        );
        let value = match version {
            Some(v) => {
                let label = v.version_label();
                v.configuration(scope, Some(&label), View::Full)
            }
            None => updated.configuration(scope, None, View::Full),
        };
        Ok(Deployed { value, warnings })
    }
}
