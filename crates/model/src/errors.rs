//! The Lambda API's error codes: the `x-amzn-ErrorType` an SDK reads, the HTTP status it comes with, the
//! casing of the message member in the body (the service model names it `Message` in some error shapes
//! and `message` in others, and the SDKs read the one their model names) and the `Type` member.

/// One of the error codes lamina answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// Pattern, length, range or enum violations (400).
    Validation,
    /// A semantically invalid parameter (400).
    InvalidParameterValue,
    /// A body that is not the operation's JSON (400).
    InvalidRequestContent,
    /// An operation lamina does not serve (400).
    UnsupportedOperation,
    /// No such function, version, layer or configuration (404).
    ResourceNotFound,
    /// A path that is not an operation (404).
    UnknownOperation,
    /// No such code signing configuration (404).
    CodeSigningConfigNotFound,
    /// No provisioned concurrency configuration for the version or alias (404).
    ProvisionedConcurrencyConfigNotFound,
    /// The resource exists already or is busy (409).
    ResourceConflict,
    /// The `RevisionId` given is not the current one (412).
    PreconditionFailed,
    /// The request or package is too large (413).
    RequestEntityTooLarge,
    /// Over a concurrency limit (429).
    TooManyRequests,
    /// Another account's resource (403).
    AccessDenied,
    /// Something failed on the server's side (500).
    Service,
    /// A request (its body) that did not arrive in time (408); lamina's, for slow clients.
    RequestTimeout,
}

/// The member of an error body that carries its message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageMember {
    /// `"message"`.
    Lower,
    /// `"Message"`.
    Upper,
    /// No message member.
    None,
}

impl ErrorCode {
    /// Every code, for checks against the service model.
    pub const ALL: [ErrorCode; 15] = [
        ErrorCode::Validation,
        ErrorCode::InvalidParameterValue,
        ErrorCode::InvalidRequestContent,
        ErrorCode::UnsupportedOperation,
        ErrorCode::ResourceNotFound,
        ErrorCode::UnknownOperation,
        ErrorCode::CodeSigningConfigNotFound,
        ErrorCode::ProvisionedConcurrencyConfigNotFound,
        ErrorCode::ResourceConflict,
        ErrorCode::PreconditionFailed,
        ErrorCode::RequestEntityTooLarge,
        ErrorCode::TooManyRequests,
        ErrorCode::AccessDenied,
        ErrorCode::Service,
        ErrorCode::RequestTimeout,
    ];

    /// The code, as `x-amzn-ErrorType` carries it.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Validation => "ValidationException",
            ErrorCode::InvalidParameterValue => "InvalidParameterValueException",
            ErrorCode::InvalidRequestContent => "InvalidRequestContentException",
            ErrorCode::UnsupportedOperation => "UnsupportedOperationException",
            ErrorCode::ResourceNotFound => "ResourceNotFoundException",
            ErrorCode::UnknownOperation => "UnknownOperationException",
            ErrorCode::CodeSigningConfigNotFound => "CodeSigningConfigNotFoundException",
            ErrorCode::ProvisionedConcurrencyConfigNotFound => {
                "ProvisionedConcurrencyConfigNotFoundException"
            }
            ErrorCode::ResourceConflict => "ResourceConflictException",
            ErrorCode::PreconditionFailed => "PreconditionFailedException",
            ErrorCode::RequestEntityTooLarge => "RequestEntityTooLargeException",
            ErrorCode::TooManyRequests => "TooManyRequestsException",
            ErrorCode::AccessDenied => "AccessDeniedException",
            ErrorCode::Service => "ServiceException",
            ErrorCode::RequestTimeout => "RequestTimeoutException",
        }
    }

    /// The HTTP status it is sent with.
    pub fn http_status(self) -> u16 {
        match self {
            ErrorCode::Validation
            | ErrorCode::InvalidParameterValue
            | ErrorCode::InvalidRequestContent
            | ErrorCode::UnsupportedOperation => 400,
            ErrorCode::AccessDenied => 403,
            ErrorCode::ResourceNotFound
            | ErrorCode::UnknownOperation
            | ErrorCode::CodeSigningConfigNotFound
            | ErrorCode::ProvisionedConcurrencyConfigNotFound => 404,
            ErrorCode::ResourceConflict => 409,
            ErrorCode::PreconditionFailed => 412,
            ErrorCode::RequestEntityTooLarge => 413,
            ErrorCode::TooManyRequests => 429,
            ErrorCode::Service => 500,
            ErrorCode::RequestTimeout => 408,
        }
    }

    /// Where the body carries the message (the service model's member name).
    pub fn message_member(self) -> MessageMember {
        match self {
            ErrorCode::ResourceNotFound | ErrorCode::CodeSigningConfigNotFound | ErrorCode::Service => {
                MessageMember::Upper
            }
            ErrorCode::AccessDenied => MessageMember::None,
            _ => MessageMember::Lower,
        }
    }

    /// The body's `Type` member: whose fault it is (`User` or `Service`), where Lambda says it.
    pub fn fault(self) -> Option<&'static str> {
        match self {
            ErrorCode::Validation | ErrorCode::AccessDenied | ErrorCode::UnknownOperation => None,
            ErrorCode::Service => Some("Service"),
            _ => Some("User"),
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
