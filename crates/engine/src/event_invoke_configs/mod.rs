//! Asynchronous invocation settings of a function qualifier (`$LATEST`, a version or an alias), one file
//! per operation: `put` (PutFunctionEventInvokeConfig: replaces), `update` (UpdateFunctionEventInvokeConfig:
//! merges), `get`, `delete`, `list`. Each is a sub-resource of its function (key: the qualifier, `$LATEST`
//! for the unqualified function), deleted with its version or alias. The worker of the event queue
//! (`async_invocations`) applies them.

mod delete;
mod get;
mod list;
mod put;
mod update;

use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::names::Scope;
use crate::sub_resources::Target;
use crate::wire::{Destination, DestinationConfig, EventInvokeConfigInput, FunctionEventInvokeConfig};
use crate::{Engine, EngineError};

/// A lamina function as destination: region, account, name and an optional `:qualifier`.
pub(crate) static LAMBDA_DESTINATION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^arn:aws[a-zA-Z-]*:lambda:([a-z0-9-]+):(\d{12}):function:([a-zA-Z0-9_-]+)(:[a-zA-Z0-9$_-]+)?$",
    )
    .expect("static pattern")
});

/// AWS's 404 of Put, Update and List when the function (or the qualifier) does not exist.
fn function_missing() -> EngineError {
    EngineError::NotFound("The function doesn't exist.".into())
}

/// AWS's 404 of Get, Update and Delete when there are no settings.
fn config_missing(function_arn: &str) -> EngineError {
    EngineError::NotFound(format!(
        "The function {function_arn} doesn't have an EventInvokeConfig"
    ))
}

/// What the engine stores for a qualifier's asynchronous invocation settings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct EventInvokeRecord {
    pub(crate) maximum_retry_attempts: Option<i64>,
    pub(crate) maximum_event_age_in_seconds: Option<i64>,
    pub(crate) on_success: Option<String>,
    pub(crate) on_failure: Option<String>,
    /// Seconds since the epoch.
    pub(crate) last_modified: f64,
}

impl EventInvokeRecord {
    /// The answer of every operation, for the settings of `function_arn` (qualified).
    fn configuration(&self, function_arn: String) -> FunctionEventInvokeConfig {
        let destination = |arn: &Option<String>| {
            Some(Destination {
                destination: arn.clone(),
            })
        };
        FunctionEventInvokeConfig {
            last_modified: self.last_modified,
            function_arn,
            maximum_retry_attempts: self.maximum_retry_attempts,
            maximum_event_age_in_seconds: self.maximum_event_age_in_seconds,
            destination_config: DestinationConfig {
                on_success: destination(&self.on_success),
                on_failure: destination(&self.on_failure),
            },
        }
    }
}

/// Now, in seconds since the epoch with milliseconds.
fn now() -> f64 {
    let millis = chrono::Utc::now().timestamp_millis();
    // Milliseconds since 1970 stay far below 2^53: exact as f64.
    #[allow(clippy::cast_precision_loss)]
    let seconds = millis as f64 / 1000.0;
    seconds
}

/// Checks the input of an event invoke config operation against the model (`body`: its members besides
/// `FunctionName` and `Qualifier`) and parses `FunctionName` and `Qualifier`.
fn target<B: serde::Serialize>(
    operation: &str,
    scope: &Scope,
    raw_name: &str,
    qualifier: Option<&str>,
    body: &B,
) -> Result<Target, EngineError> {
    let mut target = Target::checked(operation, scope, raw_name, qualifier, body)?.unqualified_is_latest();
    // Always qualified: `...:$LATEST` for the function itself.
    target.arn = format!("{}:{}", scope.function_arn(&target.name), target.qualified.key());
    Ok(target)
}

/// The rule of Put and Update the model cannot state: at least one setting.
fn check_input(input: &EventInvokeConfigInput) -> Result<(), EngineError> {
    if input.maximum_retry_attempts.is_none()
        && input.maximum_event_age_in_seconds.is_none()
        && input.destination_config.is_none()
    {
        return Err(EngineError::InvalidParameter(
            "You must specify at least one of error handling or destination setting.".into(),
        ));
    }
    Ok(())
}

impl Engine {
    /// The target of Put and Update, after their checks in AWS's order: the members, that the function
    /// and its version or alias exist (AWS's "The function doesn't exist." otherwise), the destinations.
    async fn event_invoke_target(
        &self,
        operation: &str,
        scope: &Scope,
        raw_name: &str,
        qualifier: Option<&str>,
        input: &EventInvokeConfigInput,
    ) -> Result<Target, EngineError> {
        let target = target(operation, scope, raw_name, qualifier, input)?;
        check_input(input)?;
        self.check_qualifier_exists(scope, &target.name, &target.qualified)
            .await
            .map_err(|e| match e {
                EngineError::NotFound(_) => function_missing(),
                other => other,
            })?;
        self.check_destinations(scope, &target.name, input.destination_config.as_ref())
            .await?;
        Ok(target)
    }

    /// Checks the destinations of `config`: a function destination must exist and not be the function
    /// itself.
    async fn check_destinations(
        &self,
        scope: &Scope,
        function: &str,
        config: Option<&DestinationConfig>,
    ) -> Result<(), EngineError> {
        let Some(config) = config else { return Ok(()) };
        for destination in [&config.on_success, &config.on_failure] {
            let Some(arn) = destination.as_ref().and_then(|d| d.destination.as_deref()) else {
                continue;
            };
            let Some(caps) = LAMBDA_DESTINATION.captures(arn) else {
                continue;
            };
            let invalid = || EngineError::InvalidParameter(format!("The destination ARN {arn} is invalid."));
            let (region, account, name) = (&caps[1], &caps[2], &caps[3]);
            if region != scope.region || account != scope.account {
                return Err(invalid());
            }
            if name == function {
                return Err(EngineError::InvalidParameter(
                    "You can't specify the function as a destination for itself.".into(),
                ));
            }
            if self.load(scope, name).await?.is_none() {
                return Err(invalid());
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(input: &EventInvokeConfigInput) -> Result<Target, EngineError> {
        let scope = Scope {
            region: "us-east-1".into(),
            account: "000000000000".into(),
        };
        target("PutFunctionEventInvokeConfig", &scope, "f", None, input)
    }

    #[test]
    fn settings_need_one_member_in_range() {
        let none = EventInvokeConfigInput::default();
        assert_eq!(
            check_input(&none).expect_err("empty").to_string(),
            "You must specify at least one of error handling or destination setting."
        );
        let out_of_range = EventInvokeConfigInput {
            maximum_retry_attempts: Some(3),
            maximum_event_age_in_seconds: Some(59),
            ..Default::default()
        };
        assert_eq!(
            put(&out_of_range).err().expect("range").to_string(),
            "2 validation errors detected: Value '3' at 'maximumRetryAttempts' failed to satisfy constraint: \
             Member must have value less than or equal to 2; Value '59' at 'maximumEventAgeInSeconds' failed to \
             satisfy constraint: Member must have value greater than or equal to 60"
        );
        let bad_arn = EventInvokeConfigInput {
            destination_config: Some(DestinationConfig {
                on_failure: Some(Destination {
                    destination: Some("not-an-arn".into()),
                }),
                on_success: None,
            }),
            ..Default::default()
        };
        assert!(
            put(&bad_arn)
                .err()
                .expect("pattern")
                .to_string()
                .contains("Value 'not-an-arn' at 'destinationConfig.onFailure.destination'")
        );
        let empty = EventInvokeConfigInput {
            destination_config: Some(DestinationConfig::default()),
            ..Default::default()
        };
        assert!(
            check_input(&empty).is_ok() && put(&empty).is_ok(),
            "an empty DestinationConfig is a setting"
        );
    }

    #[test]
    fn unset_destinations_are_empty_objects() {
        let record = EventInvokeRecord {
            maximum_retry_attempts: Some(1),
            last_modified: 1.5,
            ..Default::default()
        };
        let json = serde_json::to_value(record.configuration("arn:x:$LATEST".into())).expect("json");
        assert_eq!(
            json,
            serde_json::json!({
                "LastModified": 1.5,
                "FunctionArn": "arn:x:$LATEST",
                "MaximumRetryAttempts": 1,
                "DestinationConfig": {"OnSuccess": {}, "OnFailure": {}}
            })
        );
    }
}
