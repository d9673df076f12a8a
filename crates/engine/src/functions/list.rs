//! ListFunctions (with `FunctionVersion=ALL`, every published version too).

use crate::names::Scope;
use crate::paging::paginate;
use crate::record::View;
use crate::rows::{parse_function, parse_version};
use crate::validate;
use crate::wire::{FunctionConfiguration, ListFunctionsOutput};
use crate::{Engine, EngineError};

impl Engine {
    /// ListFunctions.
    pub async fn list_functions(
        &self,
        scope: &Scope,
        function_version: Option<&str>,
        marker: Option<&str>,
        max_items: Option<i64>,
    ) -> Result<ListFunctionsOutput, EngineError> {
        validate::input(
            "ListFunctions",
            &(),
            &[
                ("FunctionVersion", validate::optional(function_version)),
                ("Marker", validate::optional(marker)),
                ("MaxItems", validate::optional(max_items)),
            ],
        )?;
        let limit = usize::try_from(max_items.unwrap_or(50).min(50)).unwrap_or(50);
        let place = scope.clone();
        let all_versions = function_version == Some("ALL");
        let rows = self
            .blocking(move |inner| {
                Ok(inner
                    .meta
                    .list_functions(&place.account, &place.region, None, usize::MAX)?)
            })
            .await?;
        let mut items: Vec<(String, FunctionConfiguration)> = Vec::new();
        for row in rows {
            let record = parse_function(&row)?;
            items.push((
                record.name.clone(),
                record.configuration(scope, None, View::ListItem),
            ));
            if all_versions {
                let versions = self.version_rows(scope, &record.name).await?;
                for v in versions {
                    let vr = parse_version(&v)?;
                    let label = vr.version_label();
                    items.push((
                        format!("{}:{label}", vr.name),
                        vr.configuration(scope, Some(&label), View::ListItem),
                    ));
                }
            }
        }
        let (page, next_marker) = paginate(items, marker, limit);
        Ok(ListFunctionsOutput {
            functions: page,
            next_marker,
        })
    }
}
