//! Why a request was not authenticated. Each variant is one of AWS's answers; the services map them to
//! their wire (JSON for Lambda, XML for S3) in their own error modules.

/// A refused request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// Neither an `Authorization` header nor a presigned query.
    #[error("Missing Authentication Token")]
    Missing,
    /// An `Authorization` header or presigned query that lacks a part or is not SigV4.
    #[error("{0}")]
    Incomplete(String),
    /// A credential that is not `<key>/<date>/<region>/<service>/aws4_request`.
    #[error("Credential should be scoped to a valid region. ")]
    MalformedCredential(String),
    /// The access key id is not one the server knows.
    #[error("The security token included in the request is invalid.")]
    UnknownAccessKey(String),
    /// Temporary credentials whose session token is missing or not theirs.
    #[error("The security token included in the request is invalid.")]
    InvalidSessionToken,
    /// Temporary credentials past their expiry.
    #[error("The security token included in the request is expired")]
    ExpiredSessionToken,
    /// The credential scope names another service.
    #[error("Credential should be scoped to correct service: '{expected}'. ")]
    WrongService {
        /// The service that verifies.
        expected: String,
        /// The service in the credential scope.
        found: String,
    },
    /// The scope's date is not the date of `X-Amz-Date`.
    #[error(
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{scope_date}' != '{request_date}', from '{amz_date}'."
    )]
    ScopeDateMismatch {
        /// The date in the credential scope.
        scope_date: String,
        /// The date of `X-Amz-Date`.
        request_date: String,
        /// `X-Amz-Date` itself.
        amz_date: String,
    },
    /// The signature does not match. Lambda's message names the canonical request and the string to sign
    /// it expected, so a client can see where it differs.
    #[error(
        "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.\n\nThe Canonical String for this request should have been\n'{canonical_request}'\n\nThe String-to-Sign should have been\n'{string_to_sign}'\n"
    )]
    SignatureMismatch {
        /// The canonical request the server computed.
        canonical_request: String,
        /// The string to sign the server computed.
        string_to_sign: String,
    },
    /// `X-Amz-Date` is more than the allowed skew before now.
    #[error("Signature expired: {signed} is now earlier than {earliest} ({now} - {skew_minutes} min.)")]
    Expired {
        /// `X-Amz-Date`.
        signed: String,
        /// The earliest accepted time.
        earliest: String,
        /// The server's time.
        now: String,
        /// The allowed skew.
        skew_minutes: i64,
    },
    /// `X-Amz-Date` is more than the allowed skew after now.
    #[error("Signature not yet current: {signed} is still later than {latest} ({now} + {skew_minutes} min.)")]
    NotYetCurrent {
        /// `X-Amz-Date`.
        signed: String,
        /// The latest accepted time.
        latest: String,
        /// The server's time.
        now: String,
        /// The allowed skew.
        skew_minutes: i64,
    },
    /// A presigned URL used after `X-Amz-Date` + `X-Amz-Expires`.
    #[error("Request has expired")]
    PresignExpired {
        /// When the URL expired (`X-Amz-Date` form).
        expires: String,
        /// The server's time.
        now: String,
    },
    /// `x-amz-content-sha256` is not the SHA-256 of the body that came.
    #[error("The provided 'x-amz-content-sha256' header does not match what was computed.")]
    ContentSha256Mismatch {
        /// The header's value.
        claimed: String,
        /// The body's hash.
        computed: String,
    },
    /// An aws-chunked body that is malformed or whose chunk signatures do not chain.
    #[error("{0}")]
    Chunked(String),
}

impl AuthError {
    /// AWS's error code for this refusal (`x-amzn-ErrorType` for JSON services, `<Code>` for S3's XML).
    pub fn code(&self) -> &'static str {
        match self {
            AuthError::Missing => "MissingAuthenticationTokenException",
            AuthError::Incomplete(_) => "IncompleteSignatureException",
            AuthError::MalformedCredential(_)
            | AuthError::WrongService { .. }
            | AuthError::ScopeDateMismatch { .. }
            | AuthError::SignatureMismatch { .. }
            | AuthError::Expired { .. }
            | AuthError::NotYetCurrent { .. }
            | AuthError::ContentSha256Mismatch { .. }
            | AuthError::Chunked(_) => "InvalidSignatureException",
            AuthError::UnknownAccessKey(_) | AuthError::InvalidSessionToken => "UnrecognizedClientException",
            AuthError::ExpiredSessionToken => "ExpiredTokenException",
            AuthError::PresignExpired { .. } => "AccessDenied",
        }
    }

    /// The HTTP status AWS answers with: 400 for a malformed signature, 403 otherwise.
    pub fn status(&self) -> u16 {
        match self {
            AuthError::Incomplete(_) => 400,
            _ => 403,
        }
    }
}
