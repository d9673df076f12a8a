//! DeleteLayerVersion.

use crate::names::Scope;
use crate::{Engine, EngineError};

use super::layer_version_target;

impl Engine {
    /// DeleteLayerVersion (idempotent). Functions that use the version keep its code.
    pub async fn delete_layer_version(
        &self,
        scope: &Scope,
        raw_name: &str,
        version: i64,
    ) -> Result<(), EngineError> {
        let (name, version) = layer_version_target("DeleteLayerVersion", raw_name, version, scope)?;
        let Some(row) = self.layer_row(scope, &name, version).await? else {
            return Ok(());
        };
        let place = scope.clone();
        let deleted = self
            .blocking(move |inner| {
                Ok(inner
                    .meta
                    .delete_layer_version(&place.account, &place.region, &name, version)?)
            })
            .await?;
        if deleted {
            tracing::info!(layer = %row.name, version, "deleted layer version");
            let _guard = self.inner.code_lock.lock().await;
            self.sweep_unreferenced(vec![row.code_sha256]).await;
        }
        Ok(())
    }
}
