//! DeleteAlias: the alias and everything of its qualifier (policy, asynchronous invocation settings, URL
//! configuration). Deleting an alias that does not exist succeeds, as on AWS.

use lamina_store::SubResourceKind;

use super::AliasRecord;
use crate::names::Scope;
use crate::sub_resources::{Change, Stored, function_key};
use crate::{Engine, EngineError, validate};

impl Engine {
    /// DeleteAlias.
    pub async fn delete_alias(&self, scope: &Scope, raw_name: &str, alias: &str) -> Result<(), EngineError> {
        let f = validate::function_input("DeleteAlias", raw_name, &(), &[("Name", alias.into())], scope)?;
        let (deleted, _) = self
            .change_sub_resource(
                scope,
                function_key(scope, &f.name, SubResourceKind::Alias, alias),
                EngineError::Internal("a delete found nothing to hang on".into()),
                |current: Option<Stored<AliasRecord>>| {
                    Ok(match current {
                        Some(_) => Change::Delete(true),
                        None => Change::Keep(false),
                    })
                },
            )
            .await?;
        if deleted {
            tracing::info!(function = %f.name, alias, "deleted alias");
            // Its provisioned concurrency went with it.
            self.sync_provisioned(scope, &f.name).await?;
        }
        Ok(())
    }
}
