//! Who a request is from, with lamina's keys as the one source of truth: `s3s` verifies SigV4
//! signatures (SigV4 header, presigned query and aws-chunked payloads; SigV2 as S3 still takes it) with the secrets [`Keys`] hands it from
//! the server's [`CredentialSet`], and [`Keys`]' access check then resolves the key as every other
//! service does ([`CredentialSet::resolve`]: session credentials need their token and must not have
//! expired). Virtual-host addressing (`<bucket>.localhost:<port>`) is [`Hosts`].

use lamina_auth::{AuthError, CredentialSet};
use s3s::access::{S3Access, S3AccessContext};
use s3s::auth::{S3Auth, SecretKey};
use s3s::host::{S3Host, VirtualHost};
use s3s::{S3Error, S3ErrorCode, S3Request, S3Result};

/// The region of a request whose signature was not checked (`--auth none`), as its scope names it.
#[derive(Debug, Clone)]
pub(crate) struct UncheckedRegion(pub(crate) String);

/// Who acts: the account and the region of the request.
#[derive(Debug, Clone)]
pub(crate) struct Caller {
    pub(crate) account: String,
    pub(crate) region: String,
}

/// How requests are authenticated.
#[derive(Debug)]
pub(crate) struct Identity {
    /// The server's keys; `None`: `--auth none`.
    pub(crate) keys: Option<CredentialSet>,
    /// The account of unauthenticated requests.
    pub(crate) default_account: String,
}

impl Identity {
    /// The caller of a request that reached an operation (its signature verified by `s3s`).
    pub(crate) fn caller<T>(&self, req: &S3Request<T>) -> S3Result<Caller> {
        let Some(keys) = &self.keys else {
            let region = req
                .extensions
                .get::<UncheckedRegion>()
                .map_or_else(|| "us-east-1".to_owned(), |r| r.0.clone());
            return Ok(Caller {
                account: self.default_account.clone(),
                region,
            });
        };
        let credentials = req.credentials.as_ref().ok_or_else(access_denied)?;
        let account = keys
            .get(&credentials.access_key)
            .map(|c| c.account_id.clone())
            .or_else(|| {
                keys.session(&credentials.access_key)
                    .map(|s| s.credential.account_id)
            })
            .ok_or_else(access_denied)?;
        let region = req
            .region
            .as_ref()
            .map_or_else(|| "us-east-1".to_owned(), |r| r.as_str().to_owned());
        Ok(Caller { account, region })
    }
}

fn access_denied() -> S3Error {
    S3Error::with_message(S3ErrorCode::AccessDenied, "Access Denied")
}

/// A refused key as S3 words it.
fn refused(e: &AuthError) -> S3Error {
    match e {
        AuthError::InvalidSessionToken => S3Error::with_message(
            S3ErrorCode::InvalidToken,
            "The provided token is malformed or otherwise invalid.",
        ),
        AuthError::ExpiredSessionToken => {
            S3Error::with_message(S3ErrorCode::ExpiredToken, "The provided token has expired.")
        }
        _ => S3Error::with_message(
            S3ErrorCode::InvalidAccessKeyId,
            "The AWS Access Key Id you provided does not exist in our records.",
        ),
    }
}

/// The server's keys, for `s3s`'s signature checks and access check.
#[derive(Debug)]
pub(crate) struct Keys(pub(crate) CredentialSet);

#[async_trait::async_trait]
impl S3Auth for Keys {
    async fn get_secret_key(&self, access_key: &str) -> S3Result<SecretKey> {
        if let Some(credential) = self.0.get(access_key) {
            return Ok(SecretKey::from(credential.secret_access_key.as_str()));
        }
        match self.0.session(access_key) {
            Some(session) => Ok(SecretKey::from(session.credential.secret_access_key.as_str())),
            None => Err(refused(&AuthError::UnknownAccessKey(access_key.to_owned()))),
        }
    }
}

#[async_trait::async_trait]
impl S3Access for Keys {
    async fn check(&self, cx: &mut S3AccessContext<'_>) -> S3Result<()> {
        let Some(credentials) = cx.credentials() else {
            return Err(access_denied());
        };
        let token = cx
            .headers()
            .get("x-amz-security-token")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .or_else(|| lamina_auth::query_param(cx.uri().query(), "X-Amz-Security-Token"))
            // Signature Version 2 presigned URLs carry it in lower case.
            .or_else(|| lamina_auth::query_param(cx.uri().query(), "x-amz-security-token"));
        self.0
            .resolve(&credentials.access_key, token.as_deref(), chrono::Utc::now())
            .map(|_| ())
            .map_err(|e| refused(&e))
    }
}

/// Virtual-host addressing: `<bucket>.localhost[:port]` (what the SDKs make of
/// `AWS_ENDPOINT_URL=http://localhost:PORT` with virtual addressing) and `<bucket>.<public host>`;
/// any other host is path-style.
#[derive(Debug)]
pub(crate) struct Hosts {
    /// The base domains (`localhost`, and the public endpoint's host).
    pub(crate) domains: Vec<String>,
}

impl S3Host for Hosts {
    fn parse_host_header<'a>(&'a self, host: &'a str) -> S3Result<VirtualHost<'a>> {
        let name = match host.rsplit_once(':') {
            Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
            _ => host,
        };
        for domain in &self.domains {
            if let Some(bucket) = name
                .strip_suffix(domain.as_str())
                .and_then(|rest| rest.strip_suffix('.'))
                .filter(|b| !b.is_empty())
            {
                return Ok(VirtualHost::new(domain.as_str()).with_bucket(bucket));
            }
        }
        Ok(VirtualHost::new(name))
    }
}
