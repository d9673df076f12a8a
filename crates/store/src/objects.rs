//! Objects of the embedded S3 store, as the engine reads deployment packages from them
//! (`S3Bucket`/`S3Key`/`S3ObjectVersion` in CreateFunction, UpdateFunctionCode and
//! PublishLayerVersion). The engine knows only this trait; `lamina-s3`'s storage implements it and
//! `lamina serve` hands it over, so no request goes over HTTP to the server itself.

use std::io::Read;

/// An object opened for reading.
pub struct StoredObject {
    /// Its size in bytes.
    pub size: u64,
    /// Its bytes.
    pub body: Box<dyn Read + Send>,
}

impl std::fmt::Debug for StoredObject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredObject")
            .field("size", &self.size)
            .finish_non_exhaustive()
    }
}

/// Why an object could not be opened: the S3 error a GetObject would have answered.
#[derive(Debug, thiserror::Error)]
pub enum ObjectError {
    /// The bucket does not exist.
    #[error("NoSuchBucket")]
    NoSuchBucket,
    /// The bucket is in another region than the request's (this is that region).
    #[error("the bucket is in {0}")]
    WrongRegion(String),
    /// The bucket belongs to another account.
    #[error("AccessDenied")]
    AccessDenied,
    /// No such key (or its current version is a delete marker).
    #[error("NoSuchKey")]
    NoSuchKey,
    /// No such version of the key.
    #[error("NoSuchVersion")]
    NoSuchVersion,
    /// A version id that cannot be one.
    #[error("InvalidArgument")]
    InvalidVersion,
    /// Reading the store failed.
    #[error("reading the object store failed")]
    Io(#[source] std::io::Error),
}

impl ObjectError {
    /// S3's error code for this refusal, and the HTTP status S3 answers it with.
    pub fn code(&self) -> (&'static str, u16) {
        match self {
            ObjectError::NoSuchBucket => ("NoSuchBucket", 404),
            ObjectError::WrongRegion(_) => ("PermanentRedirect", 301),
            ObjectError::AccessDenied => ("AccessDenied", 403),
            ObjectError::NoSuchKey => ("NoSuchKey", 404),
            ObjectError::NoSuchVersion => ("NoSuchVersion", 404),
            ObjectError::InvalidVersion => ("InvalidArgument", 400),
            ObjectError::Io(_) => ("InternalError", 500),
        }
    }
}

/// Reads objects of an S3 store on this machine (blocking: call it off the async runtime).
pub trait ObjectSource: Send + Sync + std::fmt::Debug {
    /// Opens `key` (at `version`, else its current version) in `bucket`, for a request of `account`
    /// in `region`. A bucket of another account is [`ObjectError::AccessDenied`]; one in another region
    /// is [`ObjectError::WrongRegion`], checked before the key.
    fn open_object(
        &self,
        account: &str,
        region: &str,
        bucket: &str,
        key: &str,
        version: Option<&str>,
    ) -> Result<StoredObject, ObjectError>;
}
