//! ListAliases: a function's aliases by name, optionally only those pointing to one version.

use lamina_store::{Owner, SubResourceKind};

use super::{AliasRecord, check_version};
use crate::names::{self, NameKind, Scope};
use crate::not_found::function_not_found;
use crate::sub_resources::Stored;
use crate::validation::Checks;
use crate::wire::ListAliasesOutput;
use crate::{Engine, EngineError};

impl Engine {
    /// ListAliases.
    pub async fn list_aliases(
        &self,
        scope: &Scope,
        raw_name: &str,
        function_version: Option<&str>,
        marker: Option<&str>,
        max_items: Option<i64>,
    ) -> Result<ListAliasesOutput, EngineError> {
        let f = names::parse_function_name(raw_name, NameKind::Plain, scope)?;
        let mut checks = Checks::default();
        if let Some(version) = function_version {
            check_version(&mut checks, version, "functionVersion");
        }
        if let Some(n) = max_items {
            checks.range(n, "maxItems", 1, 10_000);
        }
        checks.finish()?;
        if self.load(scope, &f.name).await?.is_none() {
            return Err(function_not_found(scope, &f.name, None));
        }
        let (aliases, next_marker) = self
            .sub_resource_page(
                scope,
                Owner::Function(f.name.clone()),
                SubResourceKind::Alias,
                marker,
                max_items,
                |key, stored: Stored<AliasRecord>| {
                    function_version
                        .is_none_or(|v| stored.doc.function_version == v)
                        .then(|| {
                            let configuration = stored.doc.configuration(scope, &f.name, &stored.revision);
                            (key.key.clone(), configuration)
                        })
                },
            )
            .await?;
        Ok(ListAliasesOutput { aliases, next_marker })
    }
}
