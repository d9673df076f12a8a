//! GetAlias.

use super::{cannot_find_alias, check_name};
use crate::names::{self, NameKind, Scope};
use crate::not_found::function_not_found;
use crate::validation::Checks;
use crate::wire::AliasConfiguration;
use crate::{Engine, EngineError};

impl Engine {
    /// GetAlias.
    pub async fn get_alias(
        &self,
        scope: &Scope,
        raw_name: &str,
        alias: &str,
    ) -> Result<AliasConfiguration, EngineError> {
        let f = names::parse_function_name(raw_name, NameKind::Plain, scope)?;
        let mut checks = Checks::default();
        check_name(&mut checks, alias);
        checks.finish()?;
        if self.load(scope, &f.name).await?.is_none() {
            return Err(function_not_found(scope, &f.name, None));
        }
        match self.alias(scope, &f.name, alias).await? {
            Some(stored) => Ok(stored.doc.configuration(scope, &f.name, &stored.revision)),
            None => Err(cannot_find_alias(scope, &f.name, alias)),
        }
    }
}
