//! DeleteProvisionedConcurrencyConfig: releases the version's or alias's provisioned environments.
//! Deleting a configuration that does not exist succeeds, as on AWS.

use lamina_store::SubResourceKind;

use super::{ProvisionedRecord, alias_or_version};
use crate::names::Scope;
use crate::sub_resources::{Change, Stored};
use crate::{Engine, EngineError};

impl Engine {
    /// DeleteProvisionedConcurrencyConfig.
    pub async fn delete_provisioned_concurrency_config(
        &self,
        scope: &Scope,
        raw_name: &str,
        qualifier: Option<&str>,
    ) -> Result<(), EngineError> {
        let target = self
            .provisioned_target(
                "DeleteProvisionedConcurrencyConfig",
                scope,
                raw_name,
                qualifier,
                &(),
                alias_or_version,
            )
            .await?;
        self.change_sub_resource(
            scope,
            target.key(scope, SubResourceKind::ProvisionedConcurrency),
            EngineError::Internal("a delete found nothing to hang on".into()),
            |current: Option<Stored<ProvisionedRecord>>| {
                Ok(match current {
                    Some(_) => Change::Delete(()),
                    None => Change::Keep(()),
                })
            },
        )
        .await?;
        self.sync_provisioned(scope, &target.name).await
    }
}
