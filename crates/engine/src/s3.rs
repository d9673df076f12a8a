//! Deployment packages from S3: the one place where lamina reads an object (`S3Bucket`, `S3Key`,
//! `S3ObjectVersion`) and stages it like an inline `ZipFile`, so that checking, linting and committing
//! stay shared. CreateFunction and UpdateFunctionCode use it; PublishLayerVersion's `Content` takes the
//! same three members and should call [`crate::Engine::stage_s3`] too.
//!
//! Where the objects come from:
//!
//! * `lamina serve --s3-endpoint-url URL`, else the SDK-standard `AWS_ENDPOINT_URL_S3`: an
//!   S3-compatible store, addressed path-style (`URL/bucket/key`).
//! * Neither, with the server's embedded S3 (`lamina-s3`, what `aws s3` on lamina's endpoint talks
//!   to): that store, read directly through [`lamina_store::ObjectSource`] (no HTTP to the server
//!   itself), in the caller's account and region.
//! * Neither, without an embedded store (an engine opened by a test or a library user): real AWS S3 in
//!   the function's region.
//!
//! The generic `AWS_ENDPOINT_URL` is ignored on purpose: users export it to point their tools at lamina
//! itself, and lamina must not send GetObject to itself. Credentials come from the SDK's usual chain
//! (environment, `~/.aws/credentials` and `~/.aws/config` profiles, credential processes, SSO, web identity,
//! container and instance metadata), loaded the first time an S3 package is fetched.
//!
//! The request is signed for the function's region (the caller's SigV4 scope), so that a bucket in
//! another region is refused as Lambda refuses it. S3's errors become Lambda's
//! `InvalidParameterValueException` with AWS's message text ([`s3_error`]).

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_s3::config::retry::RetryConfig;
use aws_sdk_s3::config::timeout::TimeoutConfig;
use aws_sdk_s3::config::{BehaviorVersion, Region};
use aws_sdk_s3::config::{ProvideCredentials, SharedCredentialsProvider};
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_http_client::tls;
use lamina_model::limits::UNZIPPED_CODE_MAX_BYTES;
use lamina_store::CodeStore;

use crate::EngineError;
use crate::code::{StagedCode, code_store_failure, staging_failure, unzipped_too_large};
use crate::names::Scope;

/// The environment variable the AWS SDKs read for an S3-only endpoint.
pub const ENDPOINT_ENV: &str = "AWS_ENDPOINT_URL_S3";

/// How long connecting to S3 may take before the attempt fails.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long instance metadata (credentials of an EC2 instance role) may take to connect and to answer.
const IMDS_CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
/// How long S3 may take to answer a request, and to send each piece of the object.
const READ_TIMEOUT: Duration = Duration::from_secs(30);

/// Where a deployment package lives in S3: the `S3Bucket`, `S3Key` and `S3ObjectVersion` members of a
/// function's `Code` (CreateFunction), of UpdateFunctionCode, or of a layer's `Content`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Location {
    /// `S3Bucket`.
    pub bucket: String,
    /// `S3Key`.
    pub key: String,
    /// `S3ObjectVersion`: a version of the object in a versioned bucket (the current one if absent).
    pub version: Option<String>,
}

impl S3Location {
    /// The location the three members name, if they name one (`S3Bucket` and `S3Key` both given).
    pub fn from_members(bucket: Option<&str>, key: Option<&str>, version: Option<&str>) -> Option<Self> {
        Some(S3Location {
            bucket: bucket?.to_owned(),
            key: key?.to_owned(),
            version: version.map(str::to_owned),
        })
    }
}

/// Reads deployment packages from S3 (or an S3-compatible store). The SDK client is built on first use,
/// so a server that never deploys from S3 never loads credentials.
#[derive(Debug)]
pub(crate) struct S3Fetcher {
    endpoint: Option<String>,
    /// The embedded store, used when no endpoint is configured.
    embedded: Option<Arc<dyn lamina_store::ObjectSource>>,
    /// Fixed credentials instead of the SDK's chain (tests: the chain would ask instance metadata).
    credentials: Option<SharedCredentialsProvider>,
    client: tokio::sync::OnceCell<Client>,
}

/// The SDK client and the credential provider it signs with (the client's config does not expose it).
#[derive(Debug)]
struct Client {
    s3: aws_sdk_s3::Client,
    credentials: Option<SharedCredentialsProvider>,
}

impl S3Fetcher {
    /// A fetcher for `endpoint` (`--s3-endpoint-url`); `None` falls back to `AWS_ENDPOINT_URL_S3`, then
    /// to AWS S3.
    pub(crate) fn new(
        endpoint: Option<String>,
        embedded: Option<Arc<dyn lamina_store::ObjectSource>>,
    ) -> Self {
        let endpoint = endpoint.or_else(endpoint_from_env);
        S3Fetcher {
            endpoint,
            embedded,
            credentials: None,
            client: tokio::sync::OnceCell::new(),
        }
    }

    /// The S3-compatible endpoint in use (`None`: AWS S3).
    pub(crate) fn endpoint(&self) -> Option<&str> {
        self.endpoint.as_deref()
    }

    /// Where packages are read from, for the server's log.
    pub(crate) fn source(&self) -> &str {
        match (&self.endpoint, &self.embedded) {
            (Some(endpoint), _) => endpoint,
            (None, Some(_)) => "the embedded S3 store",
            (None, None) => "AWS S3",
        }
    }

    async fn client(&self) -> &Client {
        self.client
            .get_or_init(|| build_client(self.endpoint.clone(), self.credentials.clone()))
            .await
    }

    /// Streams the object at `location` into a staging blob of `store`, with the request signed for
    /// `region`. Lambda's limit on a package from S3 is its unzipped size (checked later); an object
    /// larger than that limit cannot unzip to less, so it is refused before and while downloading.
    pub(crate) async fn stage(
        &self,
        store: Arc<dyn CodeStore>,
        scope: &Scope,
        location: &S3Location,
    ) -> Result<StagedCode, EngineError> {
        let region = scope.region.as_str();
        if self.endpoint.is_none()
            && let Some(embedded) = &self.embedded
        {
            return stage_embedded(Arc::clone(embedded), store, scope, location).await;
        }
        let client = self.client().await;
        // Without credentials nothing can be signed: said at once, once, rather than after every attempt
        // of the request (and every retry of a client that would take a 5xx as a reason to try again).
        if let Some(provider) = &client.credentials
            && let Err(e) = provider.provide_credentials().await
        {
            return Err(no_credentials(&e));
        }
        let override_region = aws_sdk_s3::config::Builder::default().region(Region::new(region.to_owned()));
        let sent = client
            .s3
            .get_object()
            .bucket(&location.bucket)
            .key(&location.key)
            .set_version_id(location.version.clone())
            .customize()
            .config_override(override_region)
            .send()
            .await;
        let output = match sent {
            Ok(output) => output,
            Err(SdkError::ServiceError(e)) => {
                let raw = e.raw();
                let header_region = raw.headers().get("x-amz-bucket-region").map(str::to_owned);
                let status = raw.status().as_u16();
                let err = e.into_err();
                return Err(s3_error(
                    &S3Failure {
                        status,
                        code: err.code(),
                        message: err.message(),
                        bucket_region: header_region.as_deref(),
                    },
                    region,
                    location,
                ));
            }
            Err(other) => return Err(self.unreachable(&other)),
        };
        if output
            .content_length()
            .is_some_and(|n| u64::try_from(n).unwrap_or(0) >= UNZIPPED_CODE_MAX_BYTES)
        {
            return Err(unzipped_too_large());
        }
        let mut body = output.body;
        let (tx, mut rx) = tokio::sync::mpsc::channel::<bytes::Bytes>(16);
        let writer = tokio::task::spawn_blocking(move || -> Result<StagedCode, EngineError> {
            let mut blob = store.stage().map_err(code_store_failure)?;
            let written = (|| {
                while let Some(chunk) = rx.blocking_recv() {
                    blob.write_all(&chunk)?;
                }
                blob.flush()
            })();
            written.map_err(staging_failure(&blob))?;
            Ok(StagedCode { blob })
        });
        let mut received: u64 = 0;
        let streamed: Result<(), EngineError> = async {
            loop {
                let next = tokio::time::timeout(READ_TIMEOUT, body.try_next())
                    .await
                    .map_err(|_| {
                        self.failed(&format!(
                            "the object stopped arriving for {} s",
                            READ_TIMEOUT.as_secs()
                        ))
                    })?
                    .map_err(|e| self.failed(&format!("reading the object failed: {e}")))?;
                let Some(chunk) = next else { return Ok(()) };
                received += chunk.len() as u64;
                if received >= UNZIPPED_CODE_MAX_BYTES {
                    return Err(unzipped_too_large());
                }
                if tx.send(chunk).await.is_err() {
                    // The writer stopped (a local I/O error); its result says why.
                    return Ok(());
                }
            }
        }
        .await;
        drop(tx);
        let staged = writer.await.map_err(EngineError::task("staging the S3 object"))?;
        streamed?;
        let staged = staged?;
        tracing::info!(
            bucket = %location.bucket,
            key = %location.key,
            version = location.version.as_deref().unwrap_or("-"),
            size = staged.size(),
            "fetched a deployment package from S3"
        );
        Ok(staged)
    }

    /// The request never got an answer from S3 (connection refused, timeout, ...).
    fn unreachable<E, R>(&self, error: &SdkError<E, R>) -> EngineError
    where
        E: std::error::Error + 'static,
        R: std::fmt::Debug,
    {
        self.failed(&error_chain(error))
    }

    fn failed(&self, detail: &str) -> EngineError {
        let endpoint = self.endpoint().unwrap_or("AWS S3");
        EngineError::Unavailable(format!(
            "Error occurred while GetObject: lamina could not read the object from {endpoint}: {detail}"
        ))
    }
}

/// Copies an object of the embedded store into a staging blob (on the blocking pool: files only), with
/// the same errors as a GetObject to S3 would give.
async fn stage_embedded(
    embedded: Arc<dyn lamina_store::ObjectSource>,
    store: Arc<dyn CodeStore>,
    scope: &Scope,
    location: &S3Location,
) -> Result<StagedCode, EngineError> {
    let (scope, location) = (scope.clone(), location.clone());
    tokio::task::spawn_blocking(move || {
        let opened = embedded.open_object(
            &scope.account,
            &scope.region,
            &location.bucket,
            &location.key,
            location.version.as_deref(),
        );
        let mut object = match opened {
            Ok(object) => object,
            Err(lamina_store::ObjectError::Io(e)) => {
                return Err(EngineError::Unavailable(format!(
                    "Error occurred while GetObject: lamina could not read the object from its S3 store: {}",
                    error_chain(&e)
                )));
            }
            Err(refused) => {
                let (code, status) = refused.code();
                let bucket_region = match &refused {
                    lamina_store::ObjectError::WrongRegion(r) => Some(r.as_str()),
                    _ => None,
                };
                return Err(s3_error(
                    &S3Failure {
                        status,
                        code: Some(code),
                        message: None,
                        bucket_region,
                    },
                    &scope.region,
                    &location,
                ));
            }
        };
        if object.size >= UNZIPPED_CODE_MAX_BYTES {
            return Err(unzipped_too_large());
        }
        let mut blob = store.stage().map_err(code_store_failure)?;
        let copied = std::io::copy(&mut object.body, &mut blob).and_then(|_| blob.flush());
        copied.map_err(staging_failure(&blob))?;
        tracing::info!(
            bucket = %location.bucket,
            key = %location.key,
            version = location.version.as_deref().unwrap_or("-"),
            size = object.size,
            "read a deployment package from the embedded S3 store"
        );
        Ok(StagedCode { blob })
    })
    .await
    .map_err(EngineError::task("staging the S3 object"))?
}

/// lamina itself has no credentials to read S3 with: refused as Lambda refuses an object it may not read
/// (400, so that no client retries), with what the operator can do about it.
fn no_credentials(error: &dyn std::error::Error) -> EngineError {
    EngineError::InvalidParameter(format!(
        "Error occurred while GetObject. S3 Error Code: AccessDenied. S3 Error Message: lamina has no AWS \
         credentials to read S3 with ({}): give the server's environment AWS_ACCESS_KEY_ID and \
         AWS_SECRET_ACCESS_KEY, or AWS_PROFILE with ~/.aws/credentials, and deploy again",
        error_chain(error)
    ))
}

/// An error and its sources, `: `-separated (without the SDK's debug dump).
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut out = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        let text = e.to_string();
        if !out.ends_with(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = e.source();
    }
    out
}

/// `AWS_ENDPOINT_URL_S3`, unless empty or `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS` is true.
fn endpoint_from_env() -> Option<String> {
    let ignore =
        std::env::var("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS").is_ok_and(|v| v.eq_ignore_ascii_case("true"));
    if ignore {
        return None;
    }
    std::env::var(ENDPOINT_ENV)
        .ok()
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// The S3 client: rustls (ring) for HTTPS, bounded timeouts, two attempts, credentials from the usual
/// chain; the endpoint is ours alone (never `AWS_ENDPOINT_URL`), path-style when it is set.
async fn build_client(endpoint: Option<String>, credentials: Option<SharedCredentialsProvider>) -> Client {
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(tls::rustls_provider::CryptoMode::Ring))
        .build_https();
    let timeouts = TimeoutConfig::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .read_timeout(READ_TIMEOUT)
        .build();
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .http_client(http.clone())
        .timeout_config(timeouts)
        .retry_config(RetryConfig::standard().with_max_attempts(2));
    let credentials = match credentials {
        Some(credentials) => credentials,
        // The SDK's default chain, but with one short attempt at instance metadata: off EC2 nothing
        // answers there, and the default (several attempts) kept a deploy waiting for seconds.
        None => {
            let providers =
                aws_config::provider_config::ProviderConfig::default().with_http_client(http.clone());
            SharedCredentialsProvider::new(
                aws_config::default_provider::credentials::Builder::default()
                    .configure(providers.clone())
                    .imds_client(
                        aws_config::imds::Client::builder()
                            .configure(&providers)
                            .max_attempts(1)
                            .connect_timeout(IMDS_CONNECT_TIMEOUT)
                            .read_timeout(IMDS_CONNECT_TIMEOUT)
                            .build(),
                    )
                    .build()
                    .await,
            )
        }
    };
    loader = loader.credentials_provider(credentials);
    let shared = loader.load().await;
    let mut config = aws_sdk_s3::config::Builder::from(&shared);
    config.set_endpoint_url(endpoint.clone());
    if endpoint.is_some() {
        config.set_force_path_style(Some(true));
    }
    if shared.region().is_none() {
        // Every request overrides the region with the function's; this only satisfies the builder.
        config.set_region(Some(Region::from_static("us-east-1")));
    }
    Client {
        s3: aws_sdk_s3::Client::from_conf(config.build()),
        credentials: shared.credentials_provider(),
    }
}

/// What S3 answered to a GetObject that failed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct S3Failure<'a> {
    /// The HTTP status.
    pub(crate) status: u16,
    /// S3's error code (`NoSuchKey`, ...), if the body had one.
    pub(crate) code: Option<&'a str>,
    /// S3's error message, if the body had one.
    pub(crate) message: Option<&'a str>,
    /// The `x-amz-bucket-region` header: where the bucket really is.
    pub(crate) bucket_region: Option<&'a str>,
}

/// Lambda's answer to a failed GetObject: InvalidParameterValueException (400) with
/// `Error occurred while GetObject. S3 Error Code: <code>. S3 Error Message: <message>`.
///
/// The messages are AWS S3's own texts for the codes Lambda users meet (S3-compatible stores word them
/// differently, or not at all): NoSuchBucket, NoSuchKey and PermanentRedirect as recorded from Lambda;
/// NoSuchVersion, InvalidArgument (a malformed version id) and AccessDenied as S3 words them. A bucket in
/// another region (S3 answers PermanentRedirect, or AuthorizationHeaderMalformed for regions opened
/// after March 2019, with the bucket's region in `x-amz-bucket-region`) is always reported as Lambda
/// reports it: `PermanentRedirect ... The bucket is in this region: <region>. Please use this region to
/// retry the request`.
pub(crate) fn s3_error(failure: &S3Failure<'_>, region: &str, location: &S3Location) -> EngineError {
    let code = failure.code.unwrap_or(match failure.status {
        301 => "PermanentRedirect",
        403 => "AccessDenied",
        404 if location.version.is_some() => "NoSuchVersion",
        404 => "NoSuchKey",
        _ => "",
    });
    let wrong_region = failure.bucket_region.filter(|r| *r != region);
    let (code, message) = match (code, wrong_region) {
        (
            "PermanentRedirect" | "AuthorizationHeaderMalformed" | "IllegalLocationConstraintException",
            Some(r),
        ) => (
            "PermanentRedirect",
            format!("The bucket is in this region: {r}. Please use this region to retry the request"),
        ),
        ("NoSuchBucket", _) => (code, "The specified bucket does not exist".to_owned()),
        ("NoSuchKey", _) => (code, "The specified key does not exist.".to_owned()),
        ("NoSuchVersion", _) => (code, "The specified version does not exist.".to_owned()),
        ("InvalidArgument", _) if location.version.is_some() => {
            (code, "Invalid version id specified".to_owned())
        }
        ("AccessDenied", _) => (code, "Access Denied".to_owned()),
        ("", _) => {
            return EngineError::InvalidParameter(format!(
                "Error occurred while GetObject. S3 answered HTTP {} without an error code.",
                failure.status
            ));
        }
        (other, _) => (other, failure.message.unwrap_or_default().to_owned()),
    };
    EngineError::InvalidParameter(format!(
        "Error occurred while GetObject. S3 Error Code: {code}. S3 Error Message: {message}"
    ))
}

#[cfg(test)]
mod tests {
    use aws_sdk_s3::config::Credentials;

    use super::*;

    fn location(version: Option<&str>) -> S3Location {
        S3Location {
            bucket: "code-bucket".into(),
            key: "fn.zip".into(),
            version: version.map(str::to_owned),
        }
    }

    fn message(failure: S3Failure<'_>, version: Option<&str>) -> String {
        match s3_error(&failure, "us-east-1", &location(version)) {
            EngineError::InvalidParameter(m) => m,
            other => panic!("not InvalidParameterValueException: {other:?}"),
        }
    }

    fn failure(status: u16, code: Option<&'static str>) -> S3Failure<'static> {
        S3Failure {
            status,
            code,
            message: Some("whatever the store said"),
            bucket_region: None,
        }
    }

    #[test]
    fn missing_bucket_key_and_version_use_aws_texts() {
        assert_eq!(
            message(failure(404, Some("NoSuchBucket")), None),
            "Error occurred while GetObject. S3 Error Code: NoSuchBucket. S3 Error Message: The specified bucket \
             does not exist"
        );
        assert_eq!(
            message(failure(404, Some("NoSuchKey")), None),
            "Error occurred while GetObject. S3 Error Code: NoSuchKey. S3 Error Message: The specified key does not \
             exist."
        );
        assert_eq!(
            message(failure(404, Some("NoSuchVersion")), Some("v1")),
            "Error occurred while GetObject. S3 Error Code: NoSuchVersion. S3 Error Message: The specified version \
             does not exist."
        );
        assert_eq!(
            message(failure(400, Some("InvalidArgument")), Some("bad")),
            "Error occurred while GetObject. S3 Error Code: InvalidArgument. S3 Error Message: Invalid version id \
             specified"
        );
    }

    #[test]
    fn a_404_without_a_body_is_a_missing_key_or_version() {
        assert!(message(failure(404, None), None).contains("S3 Error Code: NoSuchKey."));
        assert!(message(failure(404, None), Some("v")).contains("S3 Error Code: NoSuchVersion."));
    }

    #[test]
    fn a_bucket_in_another_region_is_a_permanent_redirect() {
        let expected = "Error occurred while GetObject. S3 Error Code: PermanentRedirect. S3 Error Message: The \
                        bucket is in this region: eu-west-1. Please use this region to retry the request";
        for (status, code) in [
            (301, Some("PermanentRedirect")),
            (301, None),
            (400, Some("AuthorizationHeaderMalformed")),
        ] {
            let f = S3Failure {
                bucket_region: Some("eu-west-1"),
                ..failure(status, code)
            };
            assert_eq!(message(f, None), expected);
        }
    }

    #[test]
    fn other_codes_pass_through_with_the_stores_message() {
        assert_eq!(
            message(failure(503, Some("SlowDown")), None),
            "Error occurred while GetObject. S3 Error Code: SlowDown. S3 Error Message: whatever the store said"
        );
        assert_eq!(
            message(failure(403, Some("AccessDenied")), None),
            "Error occurred while GetObject. S3 Error Code: AccessDenied. S3 Error Message: Access Denied"
        );
    }

    /// A one-connection-at-a-time HTTP server answering every request with `response`.
    async fn canned(response: Vec<u8>) -> String {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let mut request = Vec::new();
                let mut buf = [0u8; 4096];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let _ = socket.write_all(&response).await;
                let _ = socket.shutdown().await;
            }
        });
        format!("http://{addr}")
    }

    fn http(status: &str, headers: &str, body: &[u8]) -> Vec<u8> {
        let mut out = format!(
            "HTTP/1.1 {status}\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        )
        .into_bytes();
        out.extend_from_slice(body);
        out
    }

    fn scope() -> Scope {
        Scope {
            account: "000000000000".into(),
            region: "us-east-1".into(),
        }
    }

    fn fetcher(endpoint: String) -> S3Fetcher {
        S3Fetcher {
            endpoint: Some(endpoint),
            embedded: None,
            credentials: Some(SharedCredentialsProvider::new(Credentials::new(
                "test", "test", None, None, "test",
            ))),
            client: tokio::sync::OnceCell::new(),
        }
    }

    fn store() -> (tempfile::TempDir, Arc<dyn CodeStore>) {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = lamina_store::FsCodeStore::open(dir.path()).expect("store");
        (dir, Arc::new(store))
    }

    #[tokio::test]
    async fn an_object_is_streamed_into_a_staged_blob() {
        let data: Vec<u8> = (0..200_000u32).map(|i| (i * 13 % 251) as u8).collect();
        let endpoint = canned(http("200 OK", "Content-Type: application/zip\r\n", &data)).await;
        let (_dir, store) = store();
        let staged = fetcher(endpoint)
            .stage(store, &scope(), &location(None))
            .await
            .expect("staged");
        assert_eq!(staged.size(), data.len() as u64);
        assert_eq!(
            staged.code_sha256().to_string(),
            lamina_package::code_sha256(&data)
        );
    }

    #[tokio::test]
    async fn a_redirect_to_the_buckets_region_is_lambdas_permanent_redirect() {
        let body = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>PermanentRedirect</Code><Message>The bucket \
                     you are attempting to access must be addressed using the specified endpoint. Please send all \
                     future requests to this endpoint.</Message><Endpoint>code-bucket.s3.eu-west-1.amazonaws.com\
                     </Endpoint><Bucket>code-bucket</Bucket></Error>";
        let response = http(
            "301 Moved Permanently",
            "x-amz-bucket-region: eu-west-1\r\nContent-Type: application/xml\r\n",
            body,
        );
        let (_dir, store) = store();
        let err = fetcher(canned(response).await)
            .stage(store, &scope(), &location(None))
            .await
            .expect_err("wrong region");
        let expected = "Error occurred while GetObject. S3 Error Code: PermanentRedirect. S3 Error Message: The \
                        bucket is in this region: eu-west-1. Please use this region to retry the request";
        assert!(
            matches!(&err, EngineError::InvalidParameter(m) if m == expected),
            "{err:?}"
        );
    }

    #[tokio::test]
    async fn an_unreachable_endpoint_fails_fast_with_a_clear_error() {
        // A port that was just free: the connection is refused at once.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let endpoint = format!("http://{}", listener.local_addr().expect("addr"));
        drop(listener);
        let (_dir, store) = store();
        let started = std::time::Instant::now();
        let err = fetcher(endpoint.clone())
            .stage(store, &scope(), &location(None))
            .await
            .expect_err("unreachable");
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "took {:?}",
            started.elapsed()
        );
        match err {
            EngineError::Unavailable(m) => {
                assert!(
                    m.starts_with("Error occurred while GetObject: lamina could not read the object from"),
                    "{m}"
                );
                assert!(m.contains(&endpoint), "{m}");
            }
            other => panic!("not Unavailable: {other:?}"),
        }
    }

    #[derive(Debug)]
    struct NoCredentials;

    impl ProvideCredentials for NoCredentials {
        fn provide_credentials<'a>(&'a self) -> aws_credential_types::provider::future::ProvideCredentials<'a>
        where
            Self: 'a,
        {
            aws_credential_types::provider::future::ProvideCredentials::ready(Err(
                aws_credential_types::provider::error::CredentialsError::not_loaded("no providers in chain"),
            ))
        }
    }

    #[tokio::test]
    async fn missing_credentials_are_named_with_what_to_do() {
        let endpoint = canned(http("200 OK", "", b"unused")).await;
        let fetcher = S3Fetcher {
            endpoint: Some(endpoint),
            embedded: None,
            credentials: Some(SharedCredentialsProvider::new(NoCredentials)),
            client: tokio::sync::OnceCell::new(),
        };
        let (_dir, store) = store();
        // A 400, not a 5xx: the clients would retry a 5xx, each time waiting for the same answer.
        match fetcher.stage(store, &scope(), &location(None)).await {
            Err(EngineError::InvalidParameter(m)) => {
                assert!(
                    m.starts_with(
                        "Error occurred while GetObject. S3 Error Code: AccessDenied. S3 Error Message: lamina \
                         has no AWS credentials to read S3 with ("
                    ),
                    "{m}"
                );
                assert!(
                    m.contains(
                        "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE with ~/.aws/credentials"
                    ),
                    "{m}"
                );
            }
            other => panic!("not InvalidParameter: {other:?}"),
        }
    }

    #[tokio::test]
    async fn an_object_too_large_to_unzip_under_the_limit_is_refused_before_its_body() {
        // Only the headers are sent: the size alone decides.
        let response =
            format!("HTTP/1.1 200 OK\r\nContent-Length: {UNZIPPED_CODE_MAX_BYTES}\r\n\r\n").into_bytes();
        let (_dir, store) = store();
        let err = fetcher(canned(response).await)
            .stage(store, &scope(), &location(None))
            .await
            .expect_err("too large");
        let expected = "Unzipped size must be smaller than 262144000 bytes";
        assert!(
            matches!(&err, EngineError::InvalidParameter(m) if m == expected),
            "{err:?}"
        );
    }
}
