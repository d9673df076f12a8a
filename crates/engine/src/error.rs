//! The engine's errors. They say *what* went wrong in Lambda's vocabulary (not found, conflict, ...),
//! and carry AWS's exact message text; `lamina-control-api` alone turns them into HTTP statuses and
//! `x-amzn-ErrorType` codes.
//!
//! Failures inside lamina (the stores, the file system, a stored document, a background task) keep
//! their source error, so the server's log shows the whole chain; [`EngineError::is_internal`] says
//! which variants those are (the client only learns that something failed inside lamina).

use std::io;
use std::path::Path;

/// Why an engine operation was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// Pattern, length, range or enum violations, rendered with AWS's
    /// `N validation error(s) detected: ...` grammar (AWS: ValidationException).
    #[error("{}", lamina_model::validation::render(.0))]
    Validation(Vec<String>),
    /// A semantically invalid parameter (AWS: InvalidParameterValueException).
    #[error("{0}")]
    InvalidParameter(String),
    /// The function, version or configuration does not exist (AWS: ResourceNotFoundException).
    #[error("{0}")]
    NotFound(String),
    /// The code signing configuration a request names does not exist (AWS:
    /// CodeSigningConfigNotFoundException).
    #[error("{0}")]
    CodeSigningConfigNotFound(String),
    /// The version or alias has no provisioned concurrency configuration (AWS:
    /// ProvisionedConcurrencyConfigNotFoundException).
    #[error("{0}")]
    ProvisionedConcurrencyConfigNotFound(String),
    /// The resource exists already or is busy (AWS: ResourceConflictException).
    #[error("{0}")]
    Conflict(String),
    /// The `RevisionId` given is not the current one (AWS: PreconditionFailedException).
    #[error("{0}")]
    PreconditionFailed(String),
    /// The package or request is larger than Lambda allows (AWS: RequestEntityTooLargeException).
    #[error("{0}")]
    TooLarge(String),
    /// Over the account's or the function's concurrency (AWS: TooManyRequestsException, "Rate
    /// Exceeded."); the value is the `Reason`.
    #[error("Rate Exceeded.")]
    Throttled(String),
    /// The ARN names another account (AWS: AccessDeniedException).
    #[error("access denied")]
    AccessDenied,
    /// A service lamina depends on could not be reached or failed (the S3 endpoint of a deployment
    /// package); the message says which and is shown to the client (AWS: ServiceException).
    #[error("{0}")]
    Unavailable(String),
    /// Something inside lamina is not as it must be (a data directory in use, an execution platform
    /// failure); the message is for the log, not the client.
    #[error("internal error: {0}")]
    Internal(String),
    /// The metadata store failed.
    #[error("the metadata store failed")]
    Store(#[from] lamina_store::StoreError),
    /// The queue of asynchronous invocations failed.
    #[error("the event queue failed")]
    Queue(#[from] lamina_store::QueueError),
    /// The code store failed.
    #[error("the code store failed")]
    CodeStore(#[from] lamina_store::CodeStoreError),
    /// A file-system operation of the engine's own (its data directory, unpacked packages, staging).
    #[error("cannot {action} {path}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// On which path (or what, when there is no path).
        path: String,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// A stored document (a function's, version's or layer version's JSON) could not be read or
    /// written.
    #[error("a stored document is unreadable")]
    Document(#[from] serde_json::Error),
    /// A `CodeSha256` read from a store row is not a digest.
    #[error("a stored CodeSha256 is unreadable")]
    Digest(#[from] lamina_model::BadCodeSha256),
    /// A deployment package could not be inspected (an I/O failure, not a finding about the package).
    #[error("cannot inspect the package")]
    Inspect(#[from] lamina_package::InspectError),
    /// Blocking work handed to a worker thread did not finish (it panicked or was cancelled).
    #[error("{work} did not finish")]
    Task {
        /// The work that was running.
        work: &'static str,
        /// Why it stopped.
        #[source]
        source: tokio::task::JoinError,
    },
}

impl EngineError {
    /// Whether this is a failure inside lamina (answered as ServiceException with a generic message,
    /// the details logged) rather than a refusal of the request.
    pub fn is_internal(&self) -> bool {
        matches!(
            self,
            EngineError::Internal(_)
                | EngineError::Store(_)
                | EngineError::CodeStore(_)
                | EngineError::Queue(_)
                | EngineError::Io { .. }
                | EngineError::Document(_)
                | EngineError::Digest(_)
                | EngineError::Inspect(_)
                | EngineError::Task { .. }
        )
    }

    /// The message followed by each source's, `: `-separated: what the server's log shows.
    pub fn display_chain(&self) -> String {
        let mut out = self.to_string();
        let mut source = std::error::Error::source(self);
        while let Some(cause) = source {
            out.push_str(": ");
            out.push_str(&cause.to_string());
            source = cause.source();
        }
        out
    }

    /// A closure that wraps an I/O error of `action` on `path` (for `map_err`).
    pub(crate) fn io(action: &'static str, path: &Path) -> impl FnOnce(io::Error) -> Self + use<> {
        let path = path.display().to_string();
        move |source| EngineError::Io { action, path, source }
    }

    /// A closure that wraps the failure of blocking `work` (for `map_err` on a join handle).
    pub(crate) fn task(work: &'static str) -> impl FnOnce(tokio::task::JoinError) -> Self {
        move |source| EngineError::Task { work, source }
    }
}

impl From<lamina_model::validation::ValidationErrors> for EngineError {
    fn from(e: lamina_model::validation::ValidationErrors) -> Self {
        EngineError::Validation(e.0)
    }
}

impl From<lamina_model::names::NameError> for EngineError {
    fn from(e: lamina_model::names::NameError) -> Self {
        use lamina_model::names::NameError;
        match e {
            NameError::Invalid(items) => items.into(),
            NameError::OtherRegion { .. } => EngineError::NotFound(e.to_string()),
            NameError::OtherAccount => EngineError::AccessDenied,
            NameError::QualifierMismatch => EngineError::InvalidParameter(e.to_string()),
            NameError::NotFunction(_) => EngineError::NotFound(e.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_failures_keep_their_source() {
        let e = EngineError::io("open", Path::new("/data/lock"))(io::Error::other("disk on fire"));
        assert!(e.is_internal());
        assert_eq!(e.to_string(), "cannot open /data/lock");
        assert_eq!(
            std::error::Error::source(&e).map(ToString::to_string),
            Some("disk on fire".to_owned())
        );
        assert_eq!(e.display_chain(), "cannot open /data/lock: disk on fire");
        assert!(!EngineError::NotFound("x".into()).is_internal());
    }
}
