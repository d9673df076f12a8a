//! GetFunctionEventInvokeConfig.

use lamina_store::SubResourceKind;

use super::{EventInvokeRecord, config_missing, target};
use crate::names::Scope;
use crate::wire::FunctionEventInvokeConfig;
use crate::{Engine, EngineError};

/// The operation, as the model names it.
const OPERATION: &str = "GetFunctionEventInvokeConfig";

impl Engine {
    /// GetFunctionEventInvokeConfig.
    pub async fn get_function_event_invoke_config(
        &self,
        scope: &Scope,
        raw_name: &str,
        qualifier: Option<&str>,
    ) -> Result<FunctionEventInvokeConfig, EngineError> {
        let target = target(OPERATION, scope, raw_name, qualifier, &())?;
        let key = target.key(scope, SubResourceKind::EventInvokeConfig);
        match self.sub_resource::<EventInvokeRecord>(key).await? {
            Some(stored) => Ok(stored.doc.configuration(target.arn)),
            None => Err(config_missing(&target.arn)),
        }
    }
}
