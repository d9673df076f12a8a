//! PutFunctionEventInvokeConfig: replaces a qualifier's asynchronous invocation settings.

use lamina_store::SubResourceKind;

use super::{EventInvokeRecord, function_missing, now};
use crate::names::Scope;
use crate::sub_resources::{Change, Stored};
use crate::wire::{EventInvokeConfigInput, FunctionEventInvokeConfig};
use crate::{Engine, EngineError};

impl Engine {
    /// PutFunctionEventInvokeConfig.
    pub async fn put_function_event_invoke_config(
        &self,
        scope: &Scope,
        raw_name: &str,
        qualifier: Option<&str>,
        input: EventInvokeConfigInput,
    ) -> Result<FunctionEventInvokeConfig, EngineError> {
        let target = self
            .event_invoke_target("PutFunctionEventInvokeConfig", scope, raw_name, qualifier, &input)
            .await?;
        let destinations = input.destination_config.clone().unwrap_or_default();
        let record = EventInvokeRecord {
            maximum_retry_attempts: input.maximum_retry_attempts,
            maximum_event_age_in_seconds: input.maximum_event_age_in_seconds,
            on_success: destinations.on_success.and_then(|d| d.destination),
            on_failure: destinations.on_failure.and_then(|d| d.destination),
            last_modified: now(),
        };
        let (written, _) = self
            .change_sub_resource(
                scope,
                target.key(scope, SubResourceKind::EventInvokeConfig),
                function_missing(),
                move |_: Option<Stored<EventInvokeRecord>>| {
                    Ok(Change::Write {
                        doc: record.clone(),
                        versions: Vec::new(),
                        out: record.clone(),
                    })
                },
            )
            .await?;
        Ok(written.configuration(target.arn))
    }
}
