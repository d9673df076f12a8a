//! Lambda's `Runtime` enum (the service model's) and which of its values may still be used to create or
//! update a function.

use crate::EngineError;

/// Runtimes AWS accepts for new functions, in the order its error message lists them (recorded
/// 2025-2026). Newer values of the model's enum are accepted too (see [`check`]).
pub const ACCEPTED: [&str; 25] = [
    "nodejs20.x",
    "python3.14",
    "provided.al2023",
    "python3.12",
    "python3.13",
    "nodejs24.x",
    "nodejs22.x",
    "java25",
    "python3.10",
    "python3.11",
    "java21",
    "ruby3.3",
    "ruby3.4",
    "ruby3.2",
    "python3.8",
    "python3.9",
    "java17",
    "nodejs16.x",
    "dotnet10",
    "dotnet8",
    "java11",
    "dotnet6",
    "nodejs18.x",
    "provided.al2",
    "java8.al2",
];

/// Values of the service model's `Runtime` enum that AWS no longer allows for creating or updating.
pub const RETIRED: [&str; 20] = [
    "nodejs",
    "nodejs4.3",
    "nodejs6.10",
    "nodejs8.10",
    "nodejs10.x",
    "nodejs12.x",
    "nodejs14.x",
    "nodejs4.3-edge",
    "java8",
    "python2.7",
    "python3.6",
    "python3.7",
    "dotnetcore1.0",
    "dotnetcore2.0",
    "dotnetcore2.1",
    "dotnetcore3.1",
    "go1.x",
    "ruby2.5",
    "ruby2.7",
    "provided",
];

/// Every value of the service model's `Runtime` enum, in the model's order: what a layer's
/// `CompatibleRuntimes` (and the `CompatibleRuntime` filters) accept, retired ones included.
pub fn layer_runtimes() -> impl Iterator<Item = &'static str> {
    lamina_model::service_model::ServiceModel::get()
        .named("Runtime")
        .map(|shape| shape.values())
        .unwrap_or_default()
        .iter()
        .map(String::as_str)
}

/// Checks a `Runtime` value for CreateFunction / UpdateFunctionConfiguration.
///
/// Every value of the model's enum that is not [`RETIRED`] is accepted (the model's newer runtimes
/// too, as AWS accepts them once they are in its model). AWS answers an unknown value (including wrong
/// case) with InvalidParameterValueException, not ValidationException, with the value unquoted; a
/// retired value with its own message.
pub fn check(value: &str) -> Result<(), EngineError> {
    if RETIRED.contains(&value) {
        return Err(EngineError::InvalidParameter(format!(
            "The runtime parameter of {value} is no longer supported for creating or updating AWS Lambda \
             functions. We recommend you use a supported runtime while creating or updating functions."
        )));
    }
    if layer_runtimes().any(|known| known == value) {
        return Ok(());
    }
    Err(EngineError::InvalidParameter(format!(
        "Value {value} at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: [{}] or be \
         a valid ARN",
        ACCEPTED.join(", ")
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go1x_is_retired_with_aws_text() {
        assert_eq!(
            check("go1.x").expect_err("retired").to_string(),
            "The runtime parameter of go1.x is no longer supported for creating or updating AWS Lambda functions. \
             We recommend you use a supported runtime while creating or updating functions."
        );
    }

    #[test]
    fn unknown_runtime_lists_the_enum() {
        let msg = check("Python3.12").expect_err("wrong case").to_string();
        assert!(msg.starts_with("Value Python3.12 at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: [nodejs20.x, python3.14, provided.al2023,"), "{msg}");
        assert!(
            msg.ends_with("provided.al2, java8.al2] or be a valid ARN"),
            "{msg}"
        );
    }

    #[test]
    fn current_runtimes_pass() {
        for r in ["provided.al2023", "provided.al2", "python3.12", "ruby4.0"] {
            assert!(check(r).is_ok(), "{r}");
        }
    }
}
