//! The engine's errors. They say *what* went wrong in Lambda's vocabulary (not found, conflict, ...),
//! and carry AWS's exact message text; `lamina-control-api` alone turns them into HTTP statuses and
//! `x-amzn-ErrorType` codes.

/// Why an engine operation was refused or failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    /// Pattern, length, range or enum violations, rendered with AWS's
    /// `N validation error(s) detected: ...` grammar (AWS: ValidationException).
    #[error("{}", crate::validation::render(.0))]
    Validation(Vec<String>),
    /// A semantically invalid parameter (AWS: InvalidParameterValueException).
    #[error("{0}")]
    InvalidParameter(String),
    /// The function, version or configuration does not exist (AWS: ResourceNotFoundException).
    #[error("{0}")]
    NotFound(String),
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
    /// Something failed inside lamina (storage, I/O); the message is for the log, not the client.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<lamina_store::StoreError> for EngineError {
    fn from(e: lamina_store::StoreError) -> Self {
        EngineError::Internal(e.to_string())
    }
}

impl From<lamina_store::CodeStoreError> for EngineError {
    fn from(e: lamina_store::CodeStoreError) -> Self {
        EngineError::Internal(e.to_string())
    }
}

impl From<std::io::Error> for EngineError {
    fn from(e: std::io::Error) -> Self {
        EngineError::Internal(e.to_string())
    }
}

impl From<serde_json::Error> for EngineError {
    fn from(e: serde_json::Error) -> Self {
        EngineError::Internal(format!("stored document unreadable: {e}"))
    }
}
