//! UpdateFunctionEventInvokeConfig: changes the members given of existing settings (within
//! `DestinationConfig`, each of `OnSuccess` and `OnFailure` given).

use lamina_store::SubResourceKind;

use super::{EventInvokeRecord, config_missing, function_missing, now};
use crate::names::Scope;
use crate::sub_resources::{Change, Stored};
use crate::wire::{EventInvokeConfigInput, FunctionEventInvokeConfig};
use crate::{Engine, EngineError};

impl Engine {
    /// UpdateFunctionEventInvokeConfig.
    pub async fn update_function_event_invoke_config(
        &self,
        scope: &Scope,
        raw_name: &str,
        qualifier: Option<&str>,
        input: EventInvokeConfigInput,
    ) -> Result<FunctionEventInvokeConfig, EngineError> {
        let target = self
            .event_invoke_target(
                "UpdateFunctionEventInvokeConfig",
                scope,
                raw_name,
                qualifier,
                &input,
            )
            .await?;
        let arn = target.arn.clone();
        let (written, _) = self
            .change_sub_resource(
                scope,
                target.key(scope, SubResourceKind::EventInvokeConfig),
                function_missing(),
                move |current: Option<Stored<EventInvokeRecord>>| {
                    let Some(current) = current else {
                        return Err(config_missing(&arn));
                    };
                    let mut next = current.doc;
                    if let Some(n) = input.maximum_retry_attempts {
                        next.maximum_retry_attempts = Some(n);
                    }
                    if let Some(n) = input.maximum_event_age_in_seconds {
                        next.maximum_event_age_in_seconds = Some(n);
                    }
                    if let Some(config) = &input.destination_config {
                        if let Some(success) = &config.on_success {
                            next.on_success = success.destination.clone();
                        }
                        if let Some(failure) = &config.on_failure {
                            next.on_failure = failure.destination.clone();
                        }
                    }
                    next.last_modified = now();
                    Ok(Change::Write {
                        doc: next.clone(),
                        versions: Vec::new(),
                        out: next,
                    })
                },
            )
            .await?;
        Ok(written.configuration(target.arn))
    }
}
