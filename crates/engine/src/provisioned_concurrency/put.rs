//! PutProvisionedConcurrencyConfig: sets a version's or alias's provisioned concurrency (202, and
//! `IN_PROGRESS` until its environments are initialised).

use lamina_store::SubResourceKind;

use super::{ProvisionedRecord, now, unpublished};
use crate::account::MIN_UNRESERVED;
use crate::names::Scope;
use crate::not_found::function_not_found;
use crate::sub_resources::{Change, Qualified, Stored};
use crate::wire::{ProvisionedConcurrencyConfig, PutProvisionedConcurrencyInput};
use crate::{Engine, EngineError};

impl Engine {
    /// PutProvisionedConcurrencyConfig.
    pub async fn put_provisioned_concurrency_config(
        &self,
        scope: &Scope,
        raw_name: &str,
        qualifier: Option<&str>,
        input: PutProvisionedConcurrencyInput,
    ) -> Result<ProvisionedConcurrencyConfig, EngineError> {
        let target = self
            .provisioned_target(
                "PutProvisionedConcurrencyConfig",
                scope,
                raw_name,
                qualifier,
                &input,
                unpublished,
            )
            .await?;
        // Required and at least 1 (the model's checks).
        let wanted = u32::try_from(input.provisioned_concurrent_executions.unwrap_or(1)).unwrap_or(u32::MAX);
        let name = &target.name;
        let own_key = target.qualified.key();
        let configs = self.provisioned_configs(scope, name).await?;
        match &target.qualified {
            Qualified::Alias(alias) => {
                let Some(stored) = self.alias(scope, name, alias).await? else {
                    return Err(crate::aliases::cannot_find_alias(scope, name, alias));
                };
                if stored.doc.function_version == "$LATEST" {
                    return Err(unpublished());
                }
                // Either version of a weighted alias.
                let routed = stored
                    .doc
                    .versions()
                    .iter()
                    .map(u64::to_string)
                    .collect::<Vec<_>>();
                if configs.iter().any(|c| !c.is_alias() && routed.contains(&c.key)) {
                    return Err(EngineError::Conflict(
                        "Alias can't be used for Provisioned Concurrency configuration on an already Provisioned \
                         version"
                            .into(),
                    ));
                }
            }
            _ => {
                if configs.iter().any(|c| c.is_alias() && c.provisions(&own_key)) {
                    return Err(EngineError::Conflict(
                        "Version is pointed by a Provisioned Concurrency alias".into(),
                    ));
                }
            }
        }
        let others = self.provisioned_total(scope, name, Some(&own_key)).await?;
        let Some((_, function)) = self.load(scope, name).await? else {
            return Err(function_not_found(scope, name, None));
        };
        match function.reserved_concurrency {
            Some(reserved) => {
                if others.saturating_add(wanted) > reserved {
                    return Err(EngineError::InvalidParameter(
                        "Requested Provisioned Concurrency should not be greater than the \
                         reservedConcurrentExecution for function"
                            .into(),
                    ));
                }
            }
            None => {
                let unreserved = self.unreserved_concurrency(scope, Some((name, &own_key))).await?;
                if unreserved.saturating_sub(wanted) < MIN_UNRESERVED || wanted > unreserved {
                    return Err(EngineError::InvalidParameter(format!(
                        "Specified ConcurrentExecutions for function decreases account's \
                         UnreservedConcurrentExecution below its minimum value of [{MIN_UNRESERVED}]."
                    )));
                }
            }
        }
        let record = ProvisionedRecord {
            requested: wanted,
            last_modified: now(),
        };
        let written = record.clone();
        self.change_sub_resource(
            scope,
            target.key(scope, SubResourceKind::ProvisionedConcurrency),
            function_not_found(scope, name, Some(&own_key)),
            move |_: Option<Stored<ProvisionedRecord>>| {
                Ok(Change::Write {
                    doc: written.clone(),
                    versions: Vec::new(),
                    out: (),
                })
            },
        )
        .await?;
        self.sync_provisioned(scope, name).await?;
        Ok(ProvisionedConcurrencyConfig {
            requested_provisioned_concurrent_executions: record.requested,
            available_provisioned_concurrent_executions: 0,
            allocated_provisioned_concurrent_executions: 0,
            status: "IN_PROGRESS".to_owned(),
            status_reason: None,
            last_modified: record.last_modified,
        })
    }
}
