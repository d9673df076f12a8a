//! GetAlias.

use super::cannot_find_alias;
use crate::names::Scope;
use crate::not_found::function_not_found;
use crate::wire::AliasConfiguration;
use crate::{Engine, EngineError, validate};

impl Engine {
    /// GetAlias.
    pub async fn get_alias(
        &self,
        scope: &Scope,
        raw_name: &str,
        alias: &str,
    ) -> Result<AliasConfiguration, EngineError> {
        let f = validate::function_input("GetAlias", raw_name, &(), &[("Name", alias.into())], scope)?;
        if self.load(scope, &f.name).await?.is_none() {
            return Err(function_not_found(scope, &f.name, None));
        }
        match self.alias(scope, &f.name, alias).await? {
            Some(stored) => Ok(stored.doc.configuration(scope, &f.name, &stored.revision)),
            None => Err(cannot_find_alias(scope, &f.name, alias)),
        }
    }
}
