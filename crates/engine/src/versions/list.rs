//! ListVersionsByFunction: `$LATEST`, then every published version, oldest first.

use crate::names::Scope;
use crate::not_found::function_not_found;
use crate::paging::paginate;
use crate::record::View;
use crate::rows::parse_version;
use crate::validate;
use crate::wire::ListVersionsOutput;
use crate::{Engine, EngineError};

impl Engine {
    /// ListVersionsByFunction.
    pub async fn list_versions(
        &self,
        scope: &Scope,
        raw_name: &str,
        marker: Option<&str>,
        max_items: Option<i64>,
    ) -> Result<ListVersionsOutput, EngineError> {
        let paging = [
            ("Marker", validate::optional(marker)),
            ("MaxItems", validate::optional(max_items)),
        ];
        let f = validate::function_input("ListVersionsByFunction", raw_name, &(), &paging, scope)?;
        let limit = usize::try_from(max_items.unwrap_or(50)).unwrap_or(50);
        let Some((_, latest)) = self.load(scope, &f.name).await? else {
            return Err(function_not_found(scope, &f.name, None));
        };
        let versions = self.version_rows(scope, &f.name).await?;
        let mut items = vec![(
            "$LATEST".to_owned(),
            latest.configuration(scope, Some("$LATEST"), View::ListItem),
        )];
        for v in versions {
            let vr = parse_version(&v)?;
            let label = vr.version_label();
            items.push((
                label.clone(),
                vr.configuration(scope, Some(&label), View::ListItem),
            ));
        }
        let (page, next_marker) = paginate(items, marker, limit);
        Ok(ListVersionsOutput {
            versions: page,
            next_marker,
        })
    }
}
