//! ListAliases: a function's aliases by name, optionally only those pointing to one version.

use lamina_store::{Owner, SubResourceKind};

use super::AliasRecord;
use crate::names::Scope;
use crate::not_found::function_not_found;
use crate::sub_resources::Stored;
use crate::wire::ListAliasesOutput;
use crate::{Engine, EngineError, validate};

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
        let members = [
            ("FunctionVersion", validate::optional(function_version)),
            ("Marker", validate::optional(marker)),
            ("MaxItems", validate::optional(max_items)),
        ];
        let f = validate::function_input("ListAliases", raw_name, &(), &members, scope)?;
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
