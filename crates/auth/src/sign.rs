//! Signing a request with a header signature, as the SDKs do: for lamina's own clients (the benchmark
//! harness, tests) and for the services' outgoing requests.

use chrono::{DateTime, Utc};
use http::{HeaderMap, HeaderValue, Method, Uri};

use crate::Credential;
use crate::sigv4::{self, CredentialScope, SigningKey, sha256_hex};

/// Why a request could not be signed.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    /// The URI has no host to sign.
    #[error("the request URI '{0}' has no host")]
    NoHost(String),
    /// A computed header value is not a valid header value.
    #[error("invalid header value: {0}")]
    Header(#[from] http::header::InvalidHeaderValue),
}

/// Who signs, for where, and when.
#[derive(Debug, Clone, Copy)]
pub struct Signer<'a> {
    /// The key that signs.
    pub credential: &'a Credential,
    /// The region of the scope.
    pub region: &'a str,
    /// The service of the scope.
    pub service: &'a str,
    /// The signing time.
    pub now: DateTime<Utc>,
}

/// Signs a request in place: adds `host` (from the URI, unless present), `x-amz-date` and `Authorization`
/// over every header the request then has. The payload hash signed is `x-amz-content-sha256` when the
/// request has one (`UNSIGNED-PAYLOAD`, `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`, a hash), else the body's
/// SHA-256.
pub fn sign_request(
    signer: &Signer<'_>,
    method: &Method,
    uri: &Uri,
    headers: &mut HeaderMap,
    body: &[u8],
) -> Result<(), SignError> {
    let Signer {
        credential,
        region,
        service,
        now,
    } = *signer;
    if !headers.contains_key(http::header::HOST) {
        let host = uri
            .authority()
            .ok_or_else(|| SignError::NoHost(uri.to_string()))?
            .to_string();
        headers.insert(http::header::HOST, HeaderValue::from_str(&host)?);
    }
    let amz_date = sigv4::format_amz_date(now);
    headers.insert("x-amz-date", HeaderValue::from_str(&amz_date)?);
    headers.remove(http::header::AUTHORIZATION);
    let payload_hash = headers
        .get("x-amz-content-sha256")
        .and_then(|v| v.to_str().ok())
        .map_or_else(|| sha256_hex(body), str::to_owned);
    let mut names: Vec<String> = headers.keys().map(|k| k.as_str().to_owned()).collect();
    names.sort();
    names.dedup();
    let signed_headers = names.join(";");
    let scope = CredentialScope {
        access_key_id: credential.access_key_id.clone(),
        date: amz_date[..8].to_owned(),
        region: region.to_owned(),
        service: service.to_owned(),
    };
    let (_, string_to_sign) = crate::canonical(
        method,
        uri,
        headers,
        &signed_headers,
        &payload_hash,
        None,
        &amz_date,
        &scope,
    );
    let key = SigningKey::derive(&credential.secret_access_key, &scope.date, region, service);
    let authorization = format!(
        "{} Credential={}, SignedHeaders={signed_headers}, Signature={}",
        sigv4::ALGORITHM,
        scope.credential(),
        key.sign(&string_to_sign)
    );
    headers.insert(
        http::header::AUTHORIZATION,
        HeaderValue::from_str(&authorization)?,
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CredentialSet, Verifier};

    #[test]
    fn signed_requests_verify() {
        let credential = Credential {
            access_key_id: "test".into(),
            secret_access_key: "test".into(),
            account_id: "000000000000".into(),
        };
        let now = Utc::now();
        let uri: Uri = "http://127.0.0.1:9001/2015-03-31/functions/f%3A1/invocations?Qualifier=%24LATEST"
            .parse()
            .expect("uri");
        let mut headers = HeaderMap::new();
        headers.insert("content-type", HeaderValue::from_static("application/json"));
        let signer = Signer {
            credential: &credential,
            region: "eu-west-1",
            service: "lambda",
            now,
        };
        sign_request(&signer, &Method::POST, &uri, &mut headers, b"{}").expect("sign");
        let verifier = Verifier::new(CredentialSet::development("000000000000"), "lambda");
        let verified = verifier
            .verify(&Method::POST, &uri, &headers, &sha256_hex(b"{}"), now)
            .expect("verify");
        assert_eq!(verified.caller.region, "eu-west-1");
        assert!(
            verifier
                .verify(&Method::POST, &uri, &headers, &sha256_hex(b"{ }"), now)
                .is_err()
        );
    }
}
