//! Verifying a request: a header-signed one (`Authorization: AWS4-HMAC-SHA256 ...`) or a presigned URL
//! (`X-Amz-Algorithm=AWS4-HMAC-SHA256&...` in the query). The verifier is pure: the caller passes the
//! request's parts, the SHA-256 of its body and the time.

use chrono::{DateTime, Duration, Utc};
use http::{HeaderMap, Method, Uri};

use crate::sigv4::{
    self, ALGORITHM, CredentialScope, KeyCache, STREAMING_PAYLOAD, SigningKey, UNSIGNED_PAYLOAD, UriEncoding,
};
use crate::{AuthError, CredentialSet};

/// The clock skew AWS allows between `X-Amz-Date` and its own time.
pub const MAX_SKEW: Duration = Duration::minutes(15);

/// The longest `X-Amz-Expires` SigV4 allows (7 days).
pub const MAX_EXPIRES_SECONDS: i64 = 604_800;

/// Who sent a verified request, and where it acts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The access key that signed.
    pub access_key_id: String,
    /// The account of that key.
    pub account_id: String,
    /// The region of the credential scope.
    pub region: String,
}

/// How the body of a verified request is covered by its signature.
#[derive(Debug, Clone)]
pub enum PayloadSigning {
    /// The body's SHA-256 was signed (and matched).
    Signed,
    /// `UNSIGNED-PAYLOAD`: the body is not covered.
    Unsigned,
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`: an aws-chunked body, each chunk signed, chained from
    /// `seed_signature`; decode it with [`crate::chunked::decode`].
    Streaming(Box<crate::chunked::ChunkContext>),
}

/// A request that passed verification.
#[derive(Debug, Clone)]
pub struct Verified {
    /// Who sent it.
    pub caller: Caller,
    /// How its body is covered.
    pub payload: PayloadSigning,
}

/// Verifies SigV4 requests for one service against a set of keys.
#[derive(Debug)]
pub struct Verifier {
    credentials: CredentialSet,
    service: String,
    keys: KeyCache,
}

/// The parts of a request signature, from the header or the query.
struct Signature<'a> {
    scope: CredentialScope,
    amz_date: String,
    signed_headers: String,
    signature: &'a str,
}

impl Verifier {
    /// A verifier for requests to `service` (`lambda`, `s3`, ...) signed by one of `credentials`.
    pub fn new(credentials: CredentialSet, service: &str) -> Self {
        Verifier {
            credentials,
            service: service.to_owned(),
            keys: KeyCache::default(),
        }
    }

    /// The keys this verifier accepts.
    pub fn credentials(&self) -> &CredentialSet {
        &self.credentials
    }

    /// The signing-key cache (exposed for tests and measurements).
    pub fn key_cache(&self) -> &KeyCache {
        &self.keys
    }

    /// Verifies a request. `body_sha256` is the hex SHA-256 of the body as received (for an aws-chunked
    /// body, of the encoded body; it is not used then). `now` is the server's time.
    pub fn verify(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        body_sha256: &str,
        now: DateTime<Utc>,
    ) -> Result<Verified, AuthError> {
        if let Some(auth) = headers.get(http::header::AUTHORIZATION) {
            let auth = auth
                .to_str()
                .map_err(|_| AuthError::Incomplete("The Authorization header is not ASCII.".into()))?;
            self.verify_header(method, uri, headers, auth, body_sha256, now)
        } else if query_param(uri.query(), "X-Amz-Algorithm").is_some() {
            self.verify_presigned(method, uri, headers, now)
        } else {
            Err(AuthError::Missing)
        }
    }

    /// [`Verifier::verify`] for a request whose body was read whole, at the server's time now.
    pub fn verify_whole(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<Verified, AuthError> {
        self.verify(method, uri, headers, &sigv4::sha256_hex(body), Utc::now())
    }

    /// Every check that needs no body: authentication present and well-formed, a known key, this
    /// service, the time. Run it before reading a body, so an unauthenticated client cannot make the
    /// server read (and hash) a large one; [`Verifier::verify`] repeats it.
    pub fn precheck(&self, uri: &Uri, headers: &HeaderMap, now: DateTime<Utc>) -> Result<(), AuthError> {
        if let Some(auth) = headers.get(http::header::AUTHORIZATION) {
            let auth = auth
                .to_str()
                .map_err(|_| AuthError::Incomplete("The Authorization header is not ASCII.".into()))?;
            let parsed = parse_authorization(auth)?;
            let signature = header_signature(&parsed, headers, auth)?;
            self.check_scope(&signature, header_token(headers), now)?;
            let time = self.check_date(&signature)?;
            check_skew(&signature.amz_date, time, now)
        } else if query_param(uri.query(), "X-Amz-Algorithm").is_some() {
            // A presigned request's checks are cheap; verify does them whole.
            Ok(())
        } else {
            Err(AuthError::Missing)
        }
    }

    fn verify_header(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        auth: &str,
        body_sha256: &str,
        now: DateTime<Utc>,
    ) -> Result<Verified, AuthError> {
        let parsed = parse_authorization(auth)?;
        let signature = header_signature(&parsed, headers, auth)?;
        let credential = self.check_scope(&signature, header_token(headers), now)?;
        let time = self.check_date(&signature)?;
        check_skew(&signature.amz_date, time, now)?;
        let claimed = headers
            .get("x-amz-content-sha256")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let payload_hash = claimed.clone().unwrap_or_else(|| body_sha256.to_owned());
        let key = self.keys.get(&credential.secret_access_key, &signature.scope);
        self.check_signature(method, uri, headers, &signature, &payload_hash, None, &key)?;
        let payload = match claimed.as_deref() {
            Some(UNSIGNED_PAYLOAD) => PayloadSigning::Unsigned,
            Some(STREAMING_PAYLOAD) => PayloadSigning::Streaming(Box::new(crate::chunked::ChunkContext {
                key,
                amz_date: signature.amz_date.clone(),
                scope: signature.scope.scope(),
                seed_signature: signature.signature.to_owned(),
            })),
            Some(claimed) if !claimed.eq_ignore_ascii_case(body_sha256) => {
                return Err(AuthError::ContentSha256Mismatch {
                    claimed: claimed.to_owned(),
                    computed: body_sha256.to_owned(),
                });
            }
            _ => PayloadSigning::Signed,
        };
        Ok(Verified {
            caller: caller(&credential, &signature.scope),
            payload,
        })
    }

    fn verify_presigned(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        now: DateTime<Utc>,
    ) -> Result<Verified, AuthError> {
        let query = uri.query();
        let algorithm = query_param(query, "X-Amz-Algorithm").unwrap_or_default();
        if algorithm != ALGORITHM {
            return Err(AuthError::Incomplete(format!(
                "X-Amz-Algorithm only supports \"{ALGORITHM}\""
            )));
        }
        let require = |name: &str| {
            query_param(query, name).ok_or_else(|| {
                AuthError::Incomplete(format!(
                    "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters. ({name} is missing)"
                ))
            })
        };
        let credential = require("X-Amz-Credential")?;
        let amz_date = require("X-Amz-Date")?;
        let signed_headers = require("X-Amz-SignedHeaders")?;
        let signature_hex = require("X-Amz-Signature")?;
        let expires = require("X-Amz-Expires")?;
        let expires: i64 = expires
            .parse()
            .ok()
            .filter(|e| (0..=MAX_EXPIRES_SECONDS).contains(e))
            .ok_or_else(|| {
                AuthError::Incomplete(format!(
                    "X-Amz-Expires must be a number of seconds between 0 and {MAX_EXPIRES_SECONDS}"
                ))
            })?;
        let signature = Signature {
            scope: CredentialScope::parse(&credential)?,
            amz_date,
            signed_headers,
            signature: &signature_hex,
        };
        let token = query_param(query, "X-Amz-Security-Token");
        let credential = self.check_scope(&signature, token.as_deref(), now)?;
        let time = self.check_date(&signature)?;
        if time - now > MAX_SKEW {
            check_skew(&signature.amz_date, time, now)?;
        }
        let deadline = time + Duration::seconds(expires);
        if now > deadline {
            return Err(AuthError::PresignExpired {
                expires: sigv4::format_amz_date(deadline),
                now: sigv4::format_amz_date(now),
            });
        }
        let payload_hash =
            query_param(query, "X-Amz-Content-Sha256").unwrap_or_else(|| UNSIGNED_PAYLOAD.to_owned());
        let key = self.keys.get(&credential.secret_access_key, &signature.scope);
        self.check_signature(
            method,
            uri,
            headers,
            &signature,
            &payload_hash,
            Some("X-Amz-Signature"),
            &key,
        )?;
        Ok(Verified {
            caller: caller(&credential, &signature.scope),
            payload: PayloadSigning::Unsigned,
        })
    }

    /// The key's credential, once the scope names a known key and this service; temporary credentials
    /// also need their session token (`token`: `X-Amz-Security-Token`) and to be unexpired at `now`.
    fn check_scope(
        &self,
        signature: &Signature<'_>,
        token: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<crate::Credential, AuthError> {
        let credential = self
            .credentials
            .resolve(&signature.scope.access_key_id, token, now)?;
        if signature.scope.service != self.service {
            return Err(AuthError::WrongService {
                expected: self.service.clone(),
                found: signature.scope.service.clone(),
            });
        }
        Ok(credential)
    }

    /// The signing time, once it parses and its date is the scope's.
    fn check_date(&self, signature: &Signature<'_>) -> Result<DateTime<Utc>, AuthError> {
        let time = sigv4::parse_amz_date(&signature.amz_date).ok_or_else(|| {
            AuthError::Incomplete(format!(
                "Date must be in ISO-8601 'basic format'. Got '{}'. See http://en.wikipedia.org/wiki/ISO_8601",
                signature.amz_date
            ))
        })?;
        let request_date = &signature.amz_date[..8];
        if signature.scope.date != request_date {
            return Err(AuthError::ScopeDateMismatch {
                scope_date: signature.scope.date.clone(),
                request_date: request_date.to_owned(),
                amz_date: signature.amz_date.clone(),
            });
        }
        Ok(time)
    }

    #[allow(clippy::too_many_arguments)]
    fn check_signature(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        signature: &Signature<'_>,
        payload_hash: &str,
        skip_query: Option<&str>,
        key: &SigningKey,
    ) -> Result<(), AuthError> {
        let (canonical_request, string_to_sign) = canonical(
            method,
            uri,
            headers,
            &signature.signed_headers,
            payload_hash,
            skip_query,
            &signature.amz_date,
            &signature.scope,
        );
        if key.verify(&string_to_sign, signature.signature) {
            Ok(())
        } else {
            Err(AuthError::SignatureMismatch {
                canonical_request,
                string_to_sign,
            })
        }
    }
}

/// The canonical request and string to sign of a request as the signer computes them.
#[allow(clippy::too_many_arguments)]
pub fn canonical(
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    signed_headers: &str,
    payload_hash: &str,
    skip_query: Option<&str>,
    amz_date: &str,
    scope: &CredentialScope,
) -> (String, String) {
    let names: Vec<&str> = signed_headers.split(';').collect();
    let canonical_request = sigv4::canonical_request(
        method.as_str(),
        &sigv4::canonical_uri(uri.path(), UriEncoding::for_service(&scope.service)),
        &sigv4::canonical_query(uri.query(), skip_query),
        &sigv4::canonical_headers(headers, &names),
        signed_headers,
        payload_hash,
    );
    let string_to_sign = sigv4::string_to_sign(amz_date, &scope.scope(), &canonical_request);
    (canonical_request, string_to_sign)
}

/// The signature of a header-signed request.
fn header_signature<'a>(
    parsed: &AuthorizationHeader<'a>,
    headers: &HeaderMap,
    auth: &str,
) -> Result<Signature<'a>, AuthError> {
    let amz_date = headers
        .get("x-amz-date")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| {
            AuthError::Incomplete(format!(
                "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization={auth}"
            ))
        })?
        .to_owned();
    Ok(Signature {
        scope: CredentialScope::parse(parsed.credential)?,
        amz_date,
        signed_headers: parsed.signed_headers.to_owned(),
        signature: parsed.signature,
    })
}

/// The session token a request carries in its headers.
fn header_token(headers: &HeaderMap) -> Option<&str> {
    headers.get("x-amz-security-token").and_then(|v| v.to_str().ok())
}

fn caller(credential: &crate::Credential, scope: &CredentialScope) -> Caller {
    Caller {
        access_key_id: credential.access_key_id.clone(),
        account_id: credential.account_id.clone(),
        region: scope.region.clone(),
    }
}

fn check_skew(amz_date: &str, time: DateTime<Utc>, now: DateTime<Utc>) -> Result<(), AuthError> {
    let minutes = MAX_SKEW.num_minutes();
    if time < now - MAX_SKEW {
        return Err(AuthError::Expired {
            signed: amz_date.to_owned(),
            earliest: sigv4::format_amz_date(now - MAX_SKEW),
            now: sigv4::format_amz_date(now),
            skew_minutes: minutes,
        });
    }
    if time > now + MAX_SKEW {
        return Err(AuthError::NotYetCurrent {
            signed: amz_date.to_owned(),
            latest: sigv4::format_amz_date(now + MAX_SKEW),
            now: sigv4::format_amz_date(now),
            skew_minutes: minutes,
        });
    }
    Ok(())
}

/// The three parts of an `Authorization: AWS4-HMAC-SHA256 ...` header.
#[derive(Debug, PartialEq, Eq)]
pub struct AuthorizationHeader<'a> {
    /// `Credential=`.
    pub credential: &'a str,
    /// `SignedHeaders=`.
    pub signed_headers: &'a str,
    /// `Signature=`.
    pub signature: &'a str,
}

/// The service a request is signed for: its credential scope's (`lambda`, `s3`, `sts`, ...), from the
/// `Authorization` header or a presigned query; `None` for a request that is not signed (or not well
/// enough to say). Only routes the request: [`Verifier::verify`] still checks everything.
pub fn signed_service(headers: &HeaderMap, uri: &Uri) -> Option<String> {
    signed_scope(headers, uri).map(|(_, service)| service)
}

/// The region a request is signed for, as [`signed_service`] reads the service: where a server that
/// does not authenticate still takes the caller's region from.
pub fn signed_region(headers: &HeaderMap, uri: &Uri) -> Option<String> {
    signed_scope(headers, uri).map(|(region, _)| region)
}

/// The region and service of a request's credential scope, unverified.
fn signed_scope(headers: &HeaderMap, uri: &Uri) -> Option<(String, String)> {
    let credential = match headers.get(http::header::AUTHORIZATION) {
        Some(auth) => parse_authorization(auth.to_str().ok()?)
            .ok()?
            .credential
            .to_owned(),
        None => query_param(uri.query(), "X-Amz-Credential")?,
    };
    let mut parts = credential.rsplit('/');
    // <key>/<date>/<region>/<service>/aws4_request, read from the end (a key id has no '/').
    if parts.next() != Some("aws4_request") {
        return None;
    }
    let service = parts.next()?.to_owned();
    let region = parts.next()?.to_owned();
    Some((region, service))
}

/// Parses an `Authorization` header of SigV4; anything else is AWS's IncompleteSignatureException.
pub fn parse_authorization(auth: &str) -> Result<AuthorizationHeader<'_>, AuthError> {
    let rest = auth
        .strip_prefix(ALGORITHM)
        .filter(|r| r.starts_with(' '))
        .ok_or_else(|| {
            AuthError::Incomplete(format!(
                "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization={auth}"
            ))
        })?;
    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    for part in rest.split(',') {
        let part = part.trim();
        if let Some(v) = part.strip_prefix("Credential=") {
            credential = Some(v);
        } else if let Some(v) = part.strip_prefix("SignedHeaders=") {
            signed_headers = Some(v);
        } else if let Some(v) = part.strip_prefix("Signature=") {
            signature = Some(v);
        }
    }
    let mut missing = Vec::new();
    for (name, value) in [
        ("Credential", credential),
        ("Signature", signature),
        ("SignedHeaders", signed_headers),
    ] {
        if value.is_none_or(str::is_empty) {
            missing.push(format!("Authorization header requires '{name}' parameter."));
        }
    }
    match (credential, signed_headers, signature) {
        (Some(credential), Some(signed_headers), Some(signature)) if missing.is_empty() => {
            Ok(AuthorizationHeader {
                credential,
                signed_headers,
                signature,
            })
        }
        _ => Err(AuthError::Incomplete(format!(
            "{} Authorization={auth}",
            missing.join(" ")
        ))),
    }
}

/// The decoded value of a query parameter.
pub fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    query?.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (k == name).then(|| {
            percent_encoding::percent_decode_str(v)
                .decode_utf8_lossy()
                .into_owned()
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Credential;
    use std::time::SystemTime;

    fn credentials() -> CredentialSet {
        let mut set = CredentialSet::development("000000000000");
        set.insert(Credential {
            access_key_id: "AKIDOTHER".into(),
            secret_access_key: "other-secret".into(),
            account_id: "222222222222".into(),
        })
        .expect("insert");
        set
    }

    fn at(amz: &str) -> DateTime<Utc> {
        sigv4::parse_amz_date(amz).expect("date")
    }

    /// Signs with aws-sigv4 (the SDK's signer, as lamina's CLI and the Rust SDK sign) and returns the
    /// request's parts.
    fn sdk_signed(
        method: &str,
        url: &str,
        body: &[u8],
        key: (&str, &str),
        service: &str,
        time: DateTime<Utc>,
        settings: aws_sigv4::http_request::SigningSettings,
    ) -> (Method, Uri, HeaderMap) {
        sdk_signed_in_session(method, url, body, key, None, service, time, settings)
    }

    /// [`sdk_signed`] with temporary credentials' session token.
    #[allow(clippy::too_many_arguments)]
    fn sdk_signed_in_session(
        method: &str,
        url: &str,
        body: &[u8],
        key: (&str, &str),
        token: Option<&str>,
        service: &str,
        time: DateTime<Utc>,
        settings: aws_sigv4::http_request::SigningSettings,
    ) -> (Method, Uri, HeaderMap) {
        use aws_sigv4::http_request::{SignableBody, SignableRequest, sign};
        use aws_sigv4::sign::v4;
        let identity =
            aws_credential_types::Credentials::new(key.0, key.1, token.map(str::to_owned), None, "test")
                .into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region("us-east-1")
            .name(service)
            .time(SystemTime::from(time))
            .settings(settings)
            .build()
            .expect("params")
            .into();
        let uri: Uri = url.parse().expect("uri");
        let host = uri.authority().expect("authority").to_string();
        let headers = [("host", host.as_str()), ("content-type", "application/json")];
        let signable = SignableRequest::new(
            method,
            url,
            headers.iter().map(|(k, v)| (*k, *v)),
            SignableBody::Bytes(body),
        )
        .expect("signable");
        let (instructions, _) = sign(signable, &params).expect("sign").into_parts();
        let mut request = http::Request::builder().method(method).uri(url);
        for (k, v) in headers {
            request = request.header(k, v);
        }
        let mut request = request.body(()).expect("request");
        instructions.apply_to_request_http1x(&mut request);
        let (parts, ()) = request.into_parts();
        (parts.method, parts.uri, parts.headers)
    }

    fn lambda_settings() -> aws_sigv4::http_request::SigningSettings {
        aws_sigv4::http_request::SigningSettings::default()
    }

    #[test]
    fn the_signed_service_routes_requests() {
        let now = at("20260101T120000Z");
        for service in ["sts", "s3", "logs"] {
            let (_, uri, headers) = sdk_signed(
                "POST",
                "http://127.0.0.1:9001/",
                b"",
                ("test", "test"),
                service,
                now,
                lambda_settings(),
            );
            assert_eq!(signed_service(&headers, &uri).as_deref(), Some(service));
        }
        let presigned: Uri = "http://h/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=test%2F20260101%2Fus-east-1%2Fs3%2Faws4_request"
            .parse()
            .expect("uri");
        assert_eq!(
            signed_service(&HeaderMap::new(), &presigned).as_deref(),
            Some("s3")
        );
        assert_eq!(
            signed_region(&HeaderMap::new(), &presigned).as_deref(),
            Some("us-east-1")
        );
        assert_eq!(
            signed_service(&HeaderMap::new(), &"http://h/".parse().expect("uri")),
            None
        );
        let mut garbled = HeaderMap::new();
        garbled.insert(http::header::AUTHORIZATION, "Bearer x".parse().expect("value"));
        assert_eq!(signed_service(&garbled, &"http://h/".parse().expect("uri")), None);
    }

    #[test]
    fn temporary_credentials_need_their_token_and_time() {
        let set = credentials();
        let principal = crate::SessionPrincipal {
            account_id: "333333333333".into(),
            arn: "arn:aws:sts::333333333333:assumed-role/r/s".into(),
            user_id: "AROAEXAMPLE:s".into(),
        };
        let session = set
            .issue_session(principal, chrono::Duration::hours(1))
            .expect("issue");
        // A verifier made from an earlier clone of the set sees what was issued later.
        let verifier = Verifier::new(set.clone(), "lambda");
        let key = (
            session.credential.access_key_id.as_str(),
            session.credential.secret_access_key.as_str(),
        );
        let url = "http://127.0.0.1:9001/2015-03-31/functions";
        let sign = |token: Option<&str>, time| {
            sdk_signed_in_session("GET", url, b"", key, token, "lambda", time, lambda_settings())
        };
        let now = Utc::now();
        let (method, uri, headers) = sign(Some(&session.session_token), now);
        let verified = verifier
            .verify(&method, &uri, &headers, sigv4::EMPTY_SHA256, now)
            .expect("verified");
        assert_eq!(verified.caller.account_id, "333333333333");
        assert_eq!(verified.caller.access_key_id, session.credential.access_key_id);

        let (method, uri, headers) = sign(None, now);
        let refused = verifier.verify(&method, &uri, &headers, sigv4::EMPTY_SHA256, now);
        assert_eq!(refused.map(|_| ()), Err(AuthError::InvalidSessionToken));
        let (method, uri, headers) = sign(Some("not-the-token"), now);
        let refused = verifier.verify(&method, &uri, &headers, sigv4::EMPTY_SHA256, now);
        assert_eq!(refused.map(|_| ()), Err(AuthError::InvalidSessionToken));

        let later = now + chrono::Duration::hours(2);
        let (method, uri, headers) = sign(Some(&session.session_token), later);
        let refused = verifier.verify(&method, &uri, &headers, sigv4::EMPTY_SHA256, later);
        assert_eq!(
            refused.as_ref().map(|_| ()).map_err(AuthError::code),
            Err("ExpiredTokenException")
        );

        set.revoke_session(&session.credential.access_key_id);
        let (method, uri, headers) = sign(Some(&session.session_token), now);
        let refused = verifier.verify(&method, &uri, &headers, sigv4::EMPTY_SHA256, now);
        assert_eq!(
            refused.map(|_| ()).map_err(|e| e.code()),
            Err("UnrecognizedClientException")
        );
    }

    #[test]
    fn sdk_signed_requests_verify_and_name_the_caller() {
        let verifier = Verifier::new(credentials(), "lambda");
        let now = at("20260101T120000Z");
        let body = br#"{"a":1}"#;
        for url in [
            "http://127.0.0.1:9001/2015-03-31/functions/f/invocations?Qualifier=%24LATEST",
            "http://127.0.0.1:9001/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000%3Afunction%3Af/configuration",
            "http://127.0.0.1:9001/2015-03-31/functions/f%25x/code",
            "http://127.0.0.1:9001/2015-03-31/functions/",
        ] {
            let (m, u, h) = sdk_signed(
                "POST",
                url,
                body,
                ("test", "test"),
                "lambda",
                now,
                lambda_settings(),
            );
            let verified = verifier
                .verify(&m, &u, &h, &sigv4::sha256_hex(body), now)
                .unwrap_or_else(|e| panic!("{url}: {e}"));
            assert_eq!(verified.caller.account_id, "000000000000");
            assert_eq!(verified.caller.region, "us-east-1");
            assert!(matches!(verified.payload, PayloadSigning::Signed));
        }
        let (m, u, h) = sdk_signed(
            "GET",
            "http://h/2015-03-31/functions",
            b"",
            ("AKIDOTHER", "other-secret"),
            "lambda",
            now,
            lambda_settings(),
        );
        let verified = verifier
            .verify(&m, &u, &h, sigv4::EMPTY_SHA256, now)
            .expect("other key");
        assert_eq!(verified.caller.account_id, "222222222222");
        assert_eq!(verifier.key_cache().len(), 2);
    }

    #[test]
    fn each_refusal_is_awss() {
        let verifier = Verifier::new(credentials(), "lambda");
        let now = at("20260101T120000Z");
        let body = b"{}";
        let hash = sigv4::sha256_hex(body);
        let url = "http://h/2015-03-31/functions/f/invocations";
        let sign = |key, service, time| sdk_signed("POST", url, body, key, service, time, lambda_settings());

        let (m, u, h) = sign(("nobody", "x"), "lambda", now);
        assert!(matches!(
            verifier.verify(&m, &u, &h, &hash, now),
            Err(AuthError::UnknownAccessKey(_))
        ));

        let (m, u, h) = sign(("test", "wrong"), "lambda", now);
        let err = verifier.verify(&m, &u, &h, &hash, now).expect_err("wrong secret");
        assert_eq!(err.code(), "InvalidSignatureException");
        assert!(
            err.to_string()
                .starts_with("The request signature we calculated does not match")
        );
        assert!(err.to_string().contains("/2015-03-31/functions/f/invocations"));

        let (m, u, h) = sign(("test", "test"), "lambda", now);
        let tampered = sigv4::sha256_hex(b"{\"x\":1}");
        assert!(matches!(
            verifier.verify(&m, &u, &h, &tampered, now),
            Err(AuthError::SignatureMismatch { .. })
        ));
        let other_path: Uri = "http://h/2015-03-31/functions/g/invocations"
            .parse()
            .expect("uri");
        assert!(verifier.verify(&m, &other_path, &h, &hash, now).is_err());

        let (m, u, h) = sign(("test", "test"), "s3", now);
        assert_eq!(
            verifier
                .verify(&m, &u, &h, &hash, now)
                .expect_err("service")
                .to_string(),
            "Credential should be scoped to correct service: 'lambda'. "
        );

        let (m, u, h) = sign(("test", "test"), "lambda", at("20260101T114459Z"));
        assert_eq!(
            verifier
                .verify(&m, &u, &h, &hash, now)
                .expect_err("old")
                .to_string(),
            "Signature expired: 20260101T114459Z is now earlier than 20260101T114500Z (20260101T120000Z - 15 min.)"
        );
        let (m, u, h) = sign(("test", "test"), "lambda", at("20260101T114500Z"));
        assert!(
            verifier.verify(&m, &u, &h, &hash, now).is_ok(),
            "15 minutes is still accepted"
        );
        let (m, u, h) = sign(("test", "test"), "lambda", at("20260101T121501Z"));
        assert_eq!(
            verifier
                .verify(&m, &u, &h, &hash, now)
                .expect_err("future")
                .to_string(),
            "Signature not yet current: 20260101T121501Z is still later than 20260101T121500Z (20260101T120000Z + 15 min.)"
        );

        assert!(matches!(
            verifier.verify(
                &Method::GET,
                &"http://h/".parse().expect("uri"),
                &HeaderMap::new(),
                &hash,
                now
            ),
            Err(AuthError::Missing)
        ));
        let mut headers = HeaderMap::new();
        headers.insert(
            "authorization",
            http::HeaderValue::from_static("AWS4-HMAC-SHA256 Credential=a/b"),
        );
        let err = verifier.verify(
            &Method::GET,
            &"http://h/".parse().expect("uri"),
            &headers,
            &hash,
            now,
        );
        assert!(matches!(err, Err(AuthError::Incomplete(_))), "{err:?}");
    }

    #[test]
    fn the_precheck_refuses_without_the_body() {
        let verifier = Verifier::new(credentials(), "lambda");
        let now = at("20260101T120000Z");
        let url = "http://h/2015-03-31/functions";
        let (_, u, h) = sdk_signed(
            "POST",
            url,
            b"{}",
            ("test", "test"),
            "lambda",
            now,
            lambda_settings(),
        );
        verifier.precheck(&u, &h, now).expect("a known key, in time");
        let (_, u, h) = sdk_signed(
            "POST",
            url,
            b"{}",
            ("nobody", "x"),
            "lambda",
            now,
            lambda_settings(),
        );
        assert!(matches!(
            verifier.precheck(&u, &h, now),
            Err(AuthError::UnknownAccessKey(_))
        ));
        let later = at("20260101T130000Z");
        assert!(matches!(
            verifier.precheck(&u, &HeaderMap::new(), later),
            Err(AuthError::Missing)
        ));
        let (_, u, h) = sdk_signed(
            "POST",
            url,
            b"{}",
            ("test", "test"),
            "lambda",
            now,
            lambda_settings(),
        );
        assert!(matches!(
            verifier.precheck(&u, &h, later),
            Err(AuthError::Expired { .. })
        ));
    }

    #[test]
    fn a_content_sha256_header_must_be_the_bodys() {
        let verifier = Verifier::new(credentials(), "lambda");
        let now = at("20260101T120000Z");
        let mut settings = lambda_settings();
        settings.payload_checksum_kind = aws_sigv4::http_request::PayloadChecksumKind::XAmzSha256;
        let (m, u, h) = sdk_signed(
            "PUT",
            "http://h/x",
            b"body",
            ("test", "test"),
            "lambda",
            now,
            settings,
        );
        verifier
            .verify(&m, &u, &h, &sigv4::sha256_hex(b"body"), now)
            .expect("matching body");
        assert!(matches!(
            verifier.verify(&m, &u, &h, &sigv4::sha256_hex(b"other"), now),
            Err(AuthError::ContentSha256Mismatch { .. })
        ));
    }

    #[test]
    fn authorization_headers_parse() {
        let parsed = parse_authorization(
            "AWS4-HMAC-SHA256 Credential=k/20260101/r/s/aws4_request, SignedHeaders=host;x-amz-date, Signature=ab",
        )
        .expect("parse");
        assert_eq!(parsed.signed_headers, "host;x-amz-date");
        assert_eq!(parsed.signature, "ab");
        let err = parse_authorization("AWS4-HMAC-SHA256 Credential=k").expect_err("incomplete");
        assert!(
            err.to_string().contains("requires 'Signature' parameter"),
            "{err}"
        );
        assert!(parse_authorization("Bearer x").is_err());
        assert!(parse_authorization("AWS4-HMAC-SHA256X Credential=a").is_err());
    }
}
