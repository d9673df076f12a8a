//! ListFunctionUrlConfigs: the function's URL, then its aliases' by name.

use lamina_store::{Owner, SubResourceKind};

use super::{UrlConfigView, UrlRecord, function_missing};
use crate::names::Scope;
use crate::sub_resources::Stored;
use crate::{Engine, EngineError};

/// One page of ListFunctionUrlConfigs, before the control API adds the URLs.
#[derive(Debug, Clone, PartialEq)]
pub struct UrlConfigPage {
    /// The page.
    pub configs: Vec<UrlConfigView>,
    /// Absent on the last page.
    pub next_marker: Option<String>,
}

impl Engine {
    /// ListFunctionUrlConfigs.
    pub async fn list_function_url_configs(
        &self,
        scope: &Scope,
        raw_name: &str,
        marker: Option<&str>,
        max_items: Option<i64>,
    ) -> Result<UrlConfigPage, EngineError> {
        let name = self
            .listed_function(
                "ListFunctionUrlConfigs",
                scope,
                raw_name,
                (marker, max_items),
                function_missing(),
            )
            .await?;
        let (configs, next_marker) = self
            .sub_resource_page(
                scope,
                Owner::Function(name.clone()),
                SubResourceKind::UrlConfig,
                marker,
                max_items,
                |key, stored: Stored<UrlRecord>| {
                    let arn = match key.key.as_str() {
                        "" => scope.function_arn(&name),
                        alias => format!("{}:{alias}", scope.function_arn(&name)),
                    };
                    Some((arn.clone(), stored.doc.view(arn)))
                },
            )
            .await?;
        Ok(UrlConfigPage { configs, next_marker })
    }
}
