//! AWS's answers for things that do not exist (ResourceNotFoundException), shared by every operation.

use crate::EngineError;
use crate::names::Scope;

/// `Function not found: <arn>[:<qualifier>]`.
pub(crate) fn function_not_found(scope: &Scope, name: &str, qualifier: Option<&str>) -> EngineError {
    let arn = scope.function_arn(name);
    EngineError::NotFound(match qualifier {
        Some(q) => format!("Function not found: {arn}:{q}"),
        None => format!("Function not found: {arn}"),
    })
}

/// A layer version (or layer) that does not exist.
pub(crate) fn layer_version_not_found() -> EngineError {
    EngineError::NotFound("The resource you requested does not exist.".into())
}
