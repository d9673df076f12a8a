//! DeleteFunctionEventInvokeConfig.

use lamina_store::SubResourceKind;

use super::{EventInvokeRecord, config_missing, target};
use crate::names::Scope;
use crate::sub_resources::{Change, Stored};
use crate::{Engine, EngineError};

/// The operation, as the model names it.
const OPERATION: &str = "DeleteFunctionEventInvokeConfig";

impl Engine {
    /// DeleteFunctionEventInvokeConfig.
    pub async fn delete_function_event_invoke_config(
        &self,
        scope: &Scope,
        raw_name: &str,
        qualifier: Option<&str>,
    ) -> Result<(), EngineError> {
        let target = target(OPERATION, scope, raw_name, qualifier, &())?;
        let arn = target.arn.clone();
        self.change_sub_resource(
            scope,
            target.key(scope, SubResourceKind::EventInvokeConfig),
            config_missing(&target.arn),
            move |current: Option<Stored<EventInvokeRecord>>| match current {
                Some(_) => Ok(Change::Delete(())),
                None => Err(config_missing(&arn)),
            },
        )
        .await?;
        Ok(())
    }
}
