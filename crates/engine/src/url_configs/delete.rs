//! DeleteFunctionUrlConfig.

use lamina_store::SubResourceKind;

use super::{UrlRecord, config_missing};
use crate::names::Scope;
use crate::sub_resources::{Change, Stored, Target};
use crate::{Engine, EngineError};

impl Engine {
    /// DeleteFunctionUrlConfig.
    pub async fn delete_function_url_config(
        &self,
        scope: &Scope,
        raw_name: &str,
        qualifier: Option<&str>,
    ) -> Result<(), EngineError> {
        let target = Target::checked("DeleteFunctionUrlConfig", scope, raw_name, qualifier, &())?;
        self.change_sub_resource(
            scope,
            target.key(scope, SubResourceKind::UrlConfig),
            config_missing(),
            |current: Option<Stored<UrlRecord>>| match current {
                Some(_) => Ok(Change::Delete(())),
                None => Err(config_missing()),
            },
        )
        .await?;
        Ok(())
    }
}
