//! The checks every change of a function makes first: AWS's 412 for a stale `RevisionId` and 409 while
//! the function is Pending or an update is in progress.

use crate::EngineError;
use crate::names::Scope;
use crate::record::{CREATING_CODE, FunctionRecord, State, UpdateStatus};

/// AWS refuses changes while the function is Pending or an update is in progress.
pub(crate) fn check_settled(scope: &Scope, record: &FunctionRecord) -> Result<(), EngineError> {
    let arn = scope.function_arn(&record.name);
    if record.state == State::Pending {
        return Err(EngineError::Conflict(format!(
            "The operation cannot be performed at this time. The resource {arn} is currently in the following \
             state: 'Pending'. StateReasonCode: '{}'",
            record.state_reason_code.as_deref().unwrap_or(CREATING_CODE)
        )));
    }
    if record.last_update_status == Some(UpdateStatus::InProgress) {
        return Err(EngineError::Conflict(format!(
            "The operation cannot be performed at this time. An update is in progress for resource: {arn}"
        )));
    }
    Ok(())
}

/// A `RevisionId` given with a change must be the current one.
pub(crate) fn check_revision(record: &FunctionRecord, given: Option<&str>) -> Result<(), EngineError> {
    check_revision_id(&record.revision_id, given)
}

/// A `RevisionId` given with a change of a function or alias must be `current`.
pub(crate) fn check_revision_id(current: &str, given: Option<&str>) -> Result<(), EngineError> {
    match given {
        Some(rev) if rev != current => Err(EngineError::PreconditionFailed(
            "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to \
             retrieve the latest Revision Id"
                .into(),
        )),
        _ => Ok(()),
    }
}
