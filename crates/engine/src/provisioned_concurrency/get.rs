//! GetProvisionedConcurrencyConfig.

use super::{alias_or_version, config_missing};
use crate::names::Scope;
use crate::wire::ProvisionedConcurrencyConfig;
use crate::{Engine, EngineError};

impl Engine {
    /// GetProvisionedConcurrencyConfig.
    pub async fn get_provisioned_concurrency_config(
        &self,
        scope: &Scope,
        raw_name: &str,
        qualifier: Option<&str>,
    ) -> Result<ProvisionedConcurrencyConfig, EngineError> {
        let target = self
            .provisioned_target(
                "GetProvisionedConcurrencyConfig",
                scope,
                raw_name,
                qualifier,
                &(),
                alias_or_version,
            )
            .await?;
        let key = target.qualified.key();
        let configs = self.provisioned_configs(scope, &target.name).await?;
        match configs.iter().find(|c| c.key == key) {
            Some(configured) => Ok(self.provisioned_answer(scope, &target.name, configured)),
            None => Err(config_missing()),
        }
    }
}
