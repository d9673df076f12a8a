//! Presigned URLs (SigV4 in the query string), and the server's own key that signs the URLs lamina
//! hands out (`Code.Location`, `Content.Location`).

use std::io::Write;
use std::path::Path;

use chrono::{DateTime, Utc};

use crate::sigv4::{self, CredentialScope, SigningKey, UNSIGNED_PAYLOAD, UriEncoding, uri_encode};
use crate::{Credential, CredentialSet, Verifier};

/// The access key id of the server's own key.
pub const SERVER_KEY_ID: &str = "LAMINASERVERKEY";

/// What to presign: a `GET` (or other method) of `path` on `endpoint`, with `query` parameters of its own.
#[derive(Debug, Clone)]
pub struct PresignRequest<'a> {
    /// The method the URL is for.
    pub method: &'a str,
    /// `scheme://host[:port]`, without a trailing slash: the host clients will connect to.
    pub endpoint: &'a str,
    /// The path, already encoded as it goes on the wire.
    pub path: &'a str,
    /// Extra query parameters (decoded); they are signed with the rest.
    pub query: &'a [(&'a str, &'a str)],
    /// The region of the scope.
    pub region: &'a str,
    /// The service of the scope.
    pub service: &'a str,
    /// The signing time.
    pub now: DateTime<Utc>,
    /// `X-Amz-Expires`, in seconds.
    pub expires_seconds: u32,
}

/// Why an endpoint cannot be presigned for.
#[derive(Debug, thiserror::Error)]
pub enum PresignError {
    /// The endpoint is not `scheme://authority`.
    #[error("the endpoint '{0}' is not a URL like http://host:port")]
    Endpoint(String),
}

/// A presigned URL for `request`, signed with `credential`. Only `host` is signed, and the payload is
/// `UNSIGNED-PAYLOAD`, as S3's presigned URLs are.
pub fn presign(credential: &Credential, request: &PresignRequest<'_>) -> Result<String, PresignError> {
    let endpoint = request.endpoint.trim_end_matches('/');
    let host = endpoint
        .split_once("://")
        .map(|(_, rest)| rest)
        .filter(|h| !h.is_empty() && !h.contains('/'))
        .ok_or_else(|| PresignError::Endpoint(request.endpoint.to_owned()))?;
    let amz_date = sigv4::format_amz_date(request.now);
    let scope = CredentialScope {
        access_key_id: credential.access_key_id.clone(),
        date: amz_date[..8].to_owned(),
        region: request.region.to_owned(),
        service: request.service.to_owned(),
    };
    let expires = request.expires_seconds.to_string();
    let credential_value = scope.credential();
    let mut pairs: Vec<(&str, &str)> = vec![
        ("X-Amz-Algorithm", sigv4::ALGORITHM),
        ("X-Amz-Credential", &credential_value),
        ("X-Amz-Date", &amz_date),
        ("X-Amz-Expires", &expires),
        ("X-Amz-SignedHeaders", "host"),
    ];
    pairs.extend_from_slice(request.query);
    let query = pairs
        .iter()
        .map(|(k, v)| format!("{}={}", uri_encode(k), uri_encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    let canonical_request = sigv4::canonical_request(
        request.method,
        &sigv4::canonical_uri(request.path, UriEncoding::for_service(request.service)),
        &sigv4::canonical_query(Some(&query), None),
        &format!("host:{host}\n"),
        "host",
        UNSIGNED_PAYLOAD,
    );
    let string_to_sign = sigv4::string_to_sign(&amz_date, &scope.scope(), &canonical_request);
    let key = SigningKey::derive(
        &credential.secret_access_key,
        &scope.date,
        &scope.region,
        &scope.service,
    );
    let signature = key.sign(&string_to_sign);
    Ok(format!(
        "{endpoint}{}?{query}&X-Amz-Signature={signature}",
        request.path
    ))
}

/// Why the server key could not be loaded or created.
#[derive(Debug, thiserror::Error)]
pub enum ServerKeyError {
    /// Reading, creating or writing the file failed.
    #[error("server key file {path}")]
    Io {
        /// The file.
        path: std::path::PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The file does not hold a key.
    #[error("server key file {0} does not hold a 64-hex-digit key; delete it to have a new one made")]
    Corrupt(std::path::PathBuf),
    /// The system's random source failed.
    #[error("no randomness for a server key: {0}")]
    Random(String),
}

/// The key lamina signs its own URLs with: 32 random bytes, made once and kept (mode 0600) in the data
/// directory, so URLs stay valid across a restart until they expire.
#[derive(Clone)]
pub struct ServerKey {
    credential: Credential,
}

impl std::fmt::Debug for ServerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ServerKey(..)")
    }
}

impl ServerKey {
    /// Reads the key at `path`, creating it first if there is none.
    pub fn load_or_create(path: &Path) -> Result<Self, ServerKeyError> {
        let io = |source| ServerKeyError::Io {
            path: path.to_owned(),
            source,
        };
        match std::fs::read_to_string(path) {
            Ok(text) => {
                let secret = text.trim();
                if secret.len() != 64 || !secret.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(ServerKeyError::Corrupt(path.to_owned()));
                }
                Ok(Self::from_secret(secret))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut bytes = [0u8; 32];
                getrandom::fill(&mut bytes).map_err(|e| ServerKeyError::Random(e.to_string()))?;
                let secret = hex::encode(bytes);
                let tmp = path.with_extension("tmp");
                let mut options = std::fs::OpenOptions::new();
                options.write(true).create(true).truncate(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
                let mut file = options.open(&tmp).map_err(io)?;
                file.write_all(secret.as_bytes()).map_err(io)?;
                file.sync_all().map_err(io)?;
                std::fs::rename(&tmp, path).map_err(io)?;
                Ok(Self::from_secret(&secret))
            }
            Err(e) => Err(io(e)),
        }
    }

    /// A key with this secret (tests and measurements).
    pub fn from_secret(secret: &str) -> Self {
        ServerKey {
            credential: Credential {
                access_key_id: SERVER_KEY_ID.to_owned(),
                secret_access_key: secret.to_owned(),
                account_id: "000000000000".to_owned(),
            },
        }
    }

    /// A URL for `request`, signed with this key.
    pub fn presign(&self, request: &PresignRequest<'_>) -> Result<String, PresignError> {
        presign(&self.credential, request)
    }

    /// A verifier that accepts exactly the URLs this key signed for `service`.
    pub fn verifier(&self, service: &str) -> Verifier {
        let mut set = CredentialSet::new();
        // The one credential is valid by construction (12-digit account, a fresh set).
        let _ = set.insert(self.credential.clone());
        Verifier::new(set, service)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::AuthError;

    fn request(now: DateTime<Utc>) -> PresignRequest<'static> {
        PresignRequest {
            method: "GET",
            endpoint: "http://lamina.example:9001",
            path: "/_lamina/code/abc.zip",
            query: &[("x-lamina-account", "111111111111")],
            region: "us-east-1",
            service: "s3",
            now,
            expires_seconds: 600,
        }
    }

    fn parts(url: &str) -> (http::Method, http::Uri, http::HeaderMap) {
        let uri: http::Uri = url.parse().expect("uri");
        let mut headers = http::HeaderMap::new();
        headers.insert(
            "host",
            http::HeaderValue::from_str(uri.authority().expect("authority").as_ref()).expect("host"),
        );
        (http::Method::GET, uri, headers)
    }

    fn at(s: &str) -> DateTime<Utc> {
        sigv4::parse_amz_date(s).expect("date")
    }

    #[test]
    fn presigned_urls_verify_until_they_expire() {
        let key = ServerKey::from_secret(&"ab".repeat(32));
        let verifier = key.verifier("s3");
        let signed_at = at("20260101T120000Z");
        let url = key.presign(&request(signed_at)).expect("presign");
        assert!(url.starts_with(
            "http://lamina.example:9001/_lamina/code/abc.zip?X-Amz-Algorithm=AWS4-HMAC-SHA256&"
        ));
        assert!(url.contains("X-Amz-Expires=600"));
        let (m, u, h) = parts(&url);
        let ok = |now| verifier.verify(&m, &u, &h, sigv4::EMPTY_SHA256, now);
        ok(signed_at).expect("fresh");
        ok(at("20260101T121000Z")).expect("at the last second");
        let err = ok(at("20260101T121001Z")).expect_err("expired");
        assert!(matches!(err, AuthError::PresignExpired { .. }), "{err:?}");
        assert_eq!(err.to_string(), "Request has expired");
        assert!(ok(at("20260101T113000Z")).is_err(), "signed in the future");
    }

    #[test]
    fn any_change_to_a_presigned_url_is_refused() {
        let key = ServerKey::from_secret(&"ab".repeat(32));
        let verifier = key.verifier("s3");
        let now = at("20260101T120000Z");
        let url = key.presign(&request(now)).expect("presign");
        for altered in [
            url.replace("111111111111", "222222222222"),
            url.replace("abc.zip", "abd.zip"),
            url.replace("X-Amz-Expires=600", "X-Amz-Expires=6000"),
            url.replace("X-Amz-Date=20260101T120000Z", "X-Amz-Date=20260101T120500Z"),
            format!("{url}&extra=1"),
            url.replace("lamina.example:9001", "other:9001"),
        ] {
            let (m, u, h) = parts(&altered);
            assert!(
                verifier.verify(&m, &u, &h, sigv4::EMPTY_SHA256, now).is_err(),
                "{altered}"
            );
        }
        let other = ServerKey::from_secret(&"cd".repeat(32)).verifier("s3");
        let (m, u, h) = parts(&url);
        assert!(
            other.verify(&m, &u, &h, sigv4::EMPTY_SHA256, now).is_err(),
            "another server's key"
        );
    }

    #[test]
    fn the_server_key_is_made_once_and_kept_private() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("server-key");
        let first = ServerKey::load_or_create(&path).expect("create");
        let again = ServerKey::load_or_create(&path).expect("load");
        assert_eq!(first.credential, again.credential);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(&path, "short").expect("write");
        assert!(matches!(
            ServerKey::load_or_create(&path),
            Err(ServerKeyError::Corrupt(_))
        ));
        assert!(
            presign(
                &first.credential,
                &PresignRequest {
                    endpoint: "nohost",
                    ..request(Utc::now())
                }
            )
            .is_err()
        );
    }
}
