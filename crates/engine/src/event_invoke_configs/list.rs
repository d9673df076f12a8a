//! ListFunctionEventInvokeConfigs: every qualifier's settings of a function (`$LATEST`, then versions and
//! aliases in key order).

use lamina_store::{Owner, SubResourceKind};

use super::{EventInvokeRecord, function_missing};
use crate::names::Scope;
use crate::sub_resources::Stored;
use crate::wire::ListEventInvokeConfigsOutput;
use crate::{Engine, EngineError};

impl Engine {
    /// ListFunctionEventInvokeConfigs.
    pub async fn list_function_event_invoke_configs(
        &self,
        scope: &Scope,
        raw_name: &str,
        marker: Option<&str>,
        max_items: Option<i64>,
    ) -> Result<ListEventInvokeConfigsOutput, EngineError> {
        let name = self
            .listed_function(
                "ListFunctionEventInvokeConfigs",
                scope,
                raw_name,
                (marker, max_items),
                function_missing(),
            )
            .await?;
        let (function_event_invoke_configs, next_marker) = self
            .sub_resource_page(
                scope,
                Owner::Function(name.clone()),
                SubResourceKind::EventInvokeConfig,
                marker,
                max_items,
                |key, stored: Stored<EventInvokeRecord>| {
                    let arn = format!("{}:{}", scope.function_arn(&name), key.key);
                    Some((arn.clone(), stored.doc.configuration(arn)))
                },
            )
            .await?;
        Ok(ListEventInvokeConfigsOutput {
            function_event_invoke_configs,
            next_marker,
        })
    }
}
