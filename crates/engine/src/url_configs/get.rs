//! GetFunctionUrlConfig.

use lamina_store::SubResourceKind;

use super::{UrlConfigView, UrlRecord, config_missing};
use crate::names::Scope;
use crate::sub_resources::Target;
use crate::{Engine, EngineError};

impl Engine {
    /// GetFunctionUrlConfig.
    pub async fn get_function_url_config(
        &self,
        scope: &Scope,
        raw_name: &str,
        qualifier: Option<&str>,
    ) -> Result<UrlConfigView, EngineError> {
        let target = Target::checked("GetFunctionUrlConfig", scope, raw_name, qualifier, &())?;
        let key = target.key(scope, SubResourceKind::UrlConfig);
        match self.sub_resource::<UrlRecord>(key).await? {
            Some(stored) => Ok(stored.doc.view(target.arn)),
            None => Err(config_missing()),
        }
    }
}
