//! ListCodeSigningConfigs: the account's configurations in the region, by id.

use lamina_store::{Owner, SubResourceKind};

use super::CodeSigningRecord;
use crate::names::Scope;
use crate::sub_resources::Stored;
use crate::wire::ListCodeSigningConfigsOutput;
use crate::{Engine, EngineError, validate};

impl Engine {
    /// ListCodeSigningConfigs.
    pub async fn list_code_signing_configs(
        &self,
        scope: &Scope,
        marker: Option<&str>,
        max_items: Option<i64>,
    ) -> Result<ListCodeSigningConfigsOutput, EngineError> {
        let members = [
            ("Marker", validate::optional(marker)),
            ("MaxItems", validate::optional(max_items)),
        ];
        validate::input("ListCodeSigningConfigs", &(), &members)?;
        let (code_signing_configs, next_marker) = self
            .sub_resource_page(
                scope,
                Owner::Account,
                SubResourceKind::CodeSigningConfig,
                marker,
                max_items,
                |key, stored: Stored<CodeSigningRecord>| {
                    Some((key.key.clone(), stored.doc.configuration(scope, &key.key)))
                },
            )
            .await?;
        Ok(ListCodeSigningConfigsOutput {
            code_signing_configs,
            next_marker,
        })
    }
}
