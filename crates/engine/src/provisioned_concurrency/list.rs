//! ListProvisionedConcurrencyConfigs: a function's configurations, versions and aliases in key order.

use crate::names::Scope;
use crate::not_found::function_not_found;
use crate::paging::paginate;
use crate::validate;
use crate::wire::{ListProvisionedConcurrencyConfigsOutput, ProvisionedConcurrencyConfigListItem};
use crate::{Engine, EngineError};

impl Engine {
    /// ListProvisionedConcurrencyConfigs.
    pub async fn list_provisioned_concurrency_configs(
        &self,
        scope: &Scope,
        raw_name: &str,
        marker: Option<&str>,
        max_items: Option<i64>,
    ) -> Result<ListProvisionedConcurrencyConfigsOutput, EngineError> {
        let members = [
            ("Marker", validate::optional(marker)),
            ("MaxItems", validate::optional(max_items)),
        ];
        let f = validate::function_input(
            "ListProvisionedConcurrencyConfigs",
            raw_name,
            &(),
            &members,
            scope,
        )?;
        if self.load(scope, &f.name).await?.is_none() {
            return Err(function_not_found(scope, &f.name, None));
        }
        let items = self
            .provisioned_configs(scope, &f.name)
            .await?
            .iter()
            .map(|configured| {
                let arn = format!("{}:{}", scope.function_arn(&f.name), configured.key);
                let item = ProvisionedConcurrencyConfigListItem {
                    function_arn: arn.clone(),
                    config: self.provisioned_answer(scope, &f.name, configured),
                };
                (arn, item)
            })
            .collect();
        let limit = usize::try_from(max_items.unwrap_or(50)).unwrap_or(50);
        let (provisioned_concurrency_configs, next_marker) = paginate(items, marker, limit);
        Ok(ListProvisionedConcurrencyConfigsOutput {
            provisioned_concurrency_configs,
            next_marker,
        })
    }
}
