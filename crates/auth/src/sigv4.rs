//! The pieces of Signature Version 4 that signing and verifying share: the credential scope, the
//! canonical request, the string to sign, signing keys (and their cache), and AWS's URI encoding.
//!
//! Spec: <https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html>.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, NaiveDateTime, Utc};
use hmac::{Hmac, KeyInit, Mac};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use sha2::{Digest, Sha256};

use crate::AuthError;

/// The only algorithm lamina accepts (and the only one SigV4 has for symmetric keys).
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// The payload hash of a request whose body is not signed.
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";
/// The payload hash of an aws-chunked body whose chunks are signed one by one.
pub const STREAMING_PAYLOAD: &str = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
/// The last element of every credential scope.
pub const TERMINATOR: &str = "aws4_request";
/// The ISO 8601 basic format of `X-Amz-Date`.
pub const AMZ_DATE_FORMAT: &str = "%Y%m%dT%H%M%SZ";

pub(crate) type HmacSha256 = Hmac<Sha256>;

/// Characters AWS leaves unencoded: `A-Z a-z 0-9 - _ . ~`.
const AWS_URI: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Percent-encodes `s` the way SigV4 does (RFC 3986 unreserved characters kept, upper-case hex).
pub fn uri_encode(s: &str) -> String {
    utf8_percent_encode(s, AWS_URI).to_string()
}

/// Lower-case hex SHA-256 of `data`.
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// The SHA-256 of an empty payload.
pub const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

pub(crate) fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    // HMAC takes keys of any length: new_from_slice cannot fail.
    let mut mac = match HmacSha256::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => unreachable_hmac(),
    };
    mac.update(data);
    mac.finalize().into_bytes().into()
}

#[cold]
fn unreachable_hmac() -> ! {
    panic!("HMAC accepts keys of every length")
}

/// Parses an `X-Amz-Date` value (`20150830T123600Z`).
pub fn parse_amz_date(value: &str) -> Option<DateTime<Utc>> {
    NaiveDateTime::parse_from_str(value, AMZ_DATE_FORMAT)
        .ok()
        .map(|t| t.and_utc())
}

/// Formats a time as `X-Amz-Date`.
pub fn format_amz_date(t: DateTime<Utc>) -> String {
    t.format(AMZ_DATE_FORMAT).to_string()
}

/// The credential scope: `<key>/<yyyymmdd>/<region>/<service>/aws4_request`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialScope {
    /// The access key id.
    pub access_key_id: String,
    /// The date, `yyyymmdd`.
    pub date: String,
    /// The region the request was signed for.
    pub region: String,
    /// The service the request was signed for (`lambda`, `s3`, ...).
    pub service: String,
}

impl CredentialScope {
    /// Parses `AKID/20150830/us-east-1/iam/aws4_request`.
    pub fn parse(credential: &str) -> Result<Self, AuthError> {
        let malformed = || AuthError::MalformedCredential(credential.to_owned());
        let mut parts = credential.rsplitn(5, '/');
        let terminator = parts.next().ok_or_else(malformed)?;
        let service = parts.next().ok_or_else(malformed)?;
        let region = parts.next().ok_or_else(malformed)?;
        let date = parts.next().ok_or_else(malformed)?;
        let access_key_id = parts.next().ok_or_else(malformed)?;
        if terminator != TERMINATOR
            || access_key_id.is_empty()
            || region.is_empty()
            || service.is_empty()
            || date.len() != 8
            || !date.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(malformed());
        }
        Ok(CredentialScope {
            access_key_id: access_key_id.to_owned(),
            date: date.to_owned(),
            region: region.to_owned(),
            service: service.to_owned(),
        })
    }

    /// `<yyyymmdd>/<region>/<service>/aws4_request`: the scope line of the string to sign.
    pub fn scope(&self) -> String {
        format!("{}/{}/{}/{TERMINATOR}", self.date, self.region, self.service)
    }

    /// The whole credential, key id first.
    pub fn credential(&self) -> String {
        format!("{}/{}", self.access_key_id, self.scope())
    }
}

/// The string to sign: algorithm, time, scope, and the hex SHA-256 of the canonical request.
pub fn string_to_sign(amz_date: &str, scope: &str, canonical_request: &str) -> String {
    format!(
        "{ALGORITHM}\n{amz_date}\n{scope}\n{}",
        sha256_hex(canonical_request.as_bytes())
    )
}

/// A derived signing key (`kSigning`), ready to sign strings.
#[derive(Clone)]
pub struct SigningKey {
    /// HMAC state keyed with kSigning: cloning it skips the key schedule.
    mac: HmacSha256,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKey(..)")
    }
}

impl SigningKey {
    /// Derives `kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")`.
    pub fn derive(secret: &str, date: &str, region: &str, service: &str) -> Self {
        let k_date = hmac(format!("AWS4{secret}").as_bytes(), date.as_bytes());
        let k_region = hmac(&k_date, region.as_bytes());
        let k_service = hmac(&k_region, service.as_bytes());
        let k_signing = hmac(&k_service, TERMINATOR.as_bytes());
        let mac = match HmacSha256::new_from_slice(&k_signing) {
            Ok(mac) => mac,
            Err(_) => unreachable_hmac(),
        };
        SigningKey { mac }
    }

    /// The raw signature of `data`.
    pub fn sign_raw(&self, data: &[u8]) -> [u8; 32] {
        let mut mac = self.mac.clone();
        mac.update(data);
        mac.finalize().into_bytes().into()
    }

    /// The hex signature of `data`.
    pub fn sign(&self, data: &str) -> String {
        hex::encode(self.sign_raw(data.as_bytes()))
    }

    /// Whether `signature` (hex) is the signature of `data`, compared in constant time.
    pub fn verify(&self, data: &str, signature: &str) -> bool {
        let Ok(given) = hex::decode(signature) else {
            return false;
        };
        let mut mac = self.mac.clone();
        mac.update(data.as_bytes());
        mac.verify_slice(&given).is_ok()
    }
}

/// Signing keys by (access key, date, region, service): a key is derived once a day per scope instead
/// of four HMACs per request. Bounded: when full it is emptied (keys are cheap to derive again).
#[derive(Debug, Default)]
pub struct KeyCache {
    keys: Mutex<HashMap<CacheKey, SigningKey>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct CacheKey {
    access_key_id: String,
    /// The secret's hash: a rotated secret for the same key id never reuses a stale key.
    secret_sha256: [u8; 32],
    date: String,
    region: String,
    service: String,
}

/// More entries than this and the cache starts over.
const KEY_CACHE_MAX: usize = 4096;

impl KeyCache {
    /// The signing key for `secret` in `scope`, derived on first use.
    pub fn get(&self, secret: &str, scope: &CredentialScope) -> SigningKey {
        let key = CacheKey {
            access_key_id: scope.access_key_id.clone(),
            secret_sha256: Sha256::digest(secret.as_bytes()).into(),
            date: scope.date.clone(),
            region: scope.region.clone(),
            service: scope.service.clone(),
        };
        let mut keys = self.keys.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(found) = keys.get(&key) {
            return found.clone();
        }
        let derived = SigningKey::derive(secret, &scope.date, &scope.region, &scope.service);
        if keys.len() >= KEY_CACHE_MAX {
            keys.clear();
        }
        keys.insert(key, derived.clone());
        derived
    }

    /// How many keys are cached.
    pub fn len(&self) -> usize {
        self.keys.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// Whether no key is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// How a service's canonical URI is formed from the path the client sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UriEncoding {
    /// Every service but S3: the path (as sent, already encoded once) is normalised and encoded again,
    /// segment by segment, as the SDKs do.
    Double,
    /// S3: the path as sent, neither normalised nor encoded again.
    Single,
}

impl UriEncoding {
    /// The encoding the SDKs use for `service`.
    pub fn for_service(service: &str) -> Self {
        if service == "s3" {
            UriEncoding::Single
        } else {
            UriEncoding::Double
        }
    }
}

/// The canonical URI of a request whose path is `raw_path` (as it came on the wire).
pub fn canonical_uri(raw_path: &str, encoding: UriEncoding) -> String {
    let path = if raw_path.is_empty() { "/" } else { raw_path };
    match encoding {
        UriEncoding::Single => path.to_owned(),
        UriEncoding::Double => {
            let normalized = normalize_path(path);
            normalized
                .split('/')
                .map(uri_encode)
                .collect::<Vec<_>>()
                .join("/")
        }
    }
}

/// Removes `.` and `..` segments and repeated slashes, keeping a trailing slash (as the SDKs'
/// normalisation does).
fn normalize_path(path: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                out.pop();
            }
            s => out.push(s),
        }
    }
    let mut joined = format!("/{}", out.join("/"));
    if path.ends_with('/') && !joined.ends_with('/') {
        joined.push('/');
    }
    joined
}

/// The canonical query string: every parameter decoded and encoded again the AWS way, sorted by name
/// then value, `skip` left out (a presigned URL's own `X-Amz-Signature`).
pub fn canonical_query(raw_query: Option<&str>, skip: Option<&str>) -> String {
    let Some(raw) = raw_query.filter(|q| !q.is_empty()) else {
        return String::new();
    };
    let mut pairs: Vec<(String, String)> = raw
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (reencode(name), reencode(value))
        })
        .filter(|(name, _)| skip.is_none_or(|s| uri_encode(s) != *name))
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

fn reencode(raw: &str) -> String {
    uri_encode(&percent_decode_str(raw).decode_utf8_lossy())
}

/// The value of a header in a canonical request: trimmed, inner runs of spaces collapsed.
pub fn canonical_header_value(value: &[u8]) -> String {
    let text = String::from_utf8_lossy(value);
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The canonical headers block (`name:value\n` per signed header) of `headers`, for the signed header
/// names `signed` (lower case, in the order given). Several values of one header are joined by `,`.
pub fn canonical_headers(headers: &http::HeaderMap, signed: &[&str]) -> String {
    let mut out = String::new();
    for name in signed {
        out.push_str(name);
        out.push(':');
        let values: Vec<String> = headers
            .get_all(*name)
            .iter()
            .map(|v| canonical_header_value(v.as_bytes()))
            .collect();
        out.push_str(&values.join(","));
        out.push('\n');
    }
    out
}

/// The whole canonical request.
pub fn canonical_request(
    method: &str,
    canonical_uri: &str,
    canonical_query: &str,
    canonical_headers: &str,
    signed_headers: &str,
    payload_hash: &str,
) -> String {
    format!(
        "{method}\n{canonical_uri}\n{canonical_query}\n{canonical_headers}\n{signed_headers}\n{payload_hash}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// AWS's worked example: `GET https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08`
    /// (IAM User Guide, "Examples of the complete Signature Version 4 signing process", and the
    /// aws-sig-v4-test-suite's `get-vanilla` family use the same secret).
    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

    #[test]
    fn signing_key_matches_the_published_derivation() {
        // docs.aws.amazon.com/general/latest/gr/signature-v4-examples.html: the kSigning of
        // 20120215/us-east-1/iam.
        let key = SigningKey::derive(SECRET, "20120215", "us-east-1", "iam");
        // kSigning itself is not exposed; recompute it the long way and compare signatures.
        let k_date = hmac(format!("AWS4{SECRET}").as_bytes(), b"20120215");
        let k_region = hmac(&k_date, b"us-east-1");
        let k_service = hmac(&k_region, b"iam");
        let k_signing = hmac(&k_service, b"aws4_request");
        assert_eq!(
            hex::encode(k_signing),
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"
        );
        assert_eq!(key.sign_raw(b"x"), hmac(&k_signing, b"x"));
    }

    #[test]
    fn the_iam_list_users_example_signs_as_published() {
        // From the IAM User Guide's example (`GET /?Action=ListUsers&Version=2010-05-08`, content-type
        // form, host iam.amazonaws.com, 20150830T123600Z): the canonical request hash and signature
        // below are AWS's published values.
        let mut headers = http::HeaderMap::new();
        headers.insert(
            "content-type",
            http::HeaderValue::from_static("application/x-www-form-urlencoded; charset=utf-8"),
        );
        headers.insert("host", http::HeaderValue::from_static("iam.amazonaws.com"));
        headers.insert("x-amz-date", http::HeaderValue::from_static("20150830T123600Z"));
        let signed = ["content-type", "host", "x-amz-date"];
        let creq = canonical_request(
            "GET",
            &canonical_uri("/", UriEncoding::Double),
            &canonical_query(Some("Version=2010-05-08&Action=ListUsers"), None),
            &canonical_headers(&headers, &signed),
            &signed.join(";"),
            EMPTY_SHA256,
        );
        assert_eq!(
            sha256_hex(creq.as_bytes()),
            "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59"
        );
        let sts = string_to_sign("20150830T123600Z", "20150830/us-east-1/iam/aws4_request", &creq);
        let key = SigningKey::derive(SECRET, "20150830", "us-east-1", "iam");
        let signature = key.sign(&sts);
        assert_eq!(
            signature,
            "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
        );
        assert!(key.verify(&sts, &signature));
        assert!(!key.verify(&sts, &signature.replace('5', "6")));
        assert!(!key.verify(&sts, "not hex"));
    }

    #[test]
    fn scopes_parse_and_reject_malformed_ones() {
        let scope = CredentialScope::parse("AKID/20260101/eu-west-1/lambda/aws4_request").expect("scope");
        assert_eq!(scope.access_key_id, "AKID");
        assert_eq!(scope.region, "eu-west-1");
        assert_eq!(scope.service, "lambda");
        assert_eq!(scope.scope(), "20260101/eu-west-1/lambda/aws4_request");
        assert_eq!(scope.credential(), "AKID/20260101/eu-west-1/lambda/aws4_request");
        for bad in [
            "AKID/20260101/eu-west-1/lambda/aws5_request",
            "AKID/2026010/eu-west-1/lambda/aws4_request",
            "AKID/20260101/eu-west-1/aws4_request",
            "/20260101/eu-west-1/lambda/aws4_request",
            "AKID/20260101//lambda/aws4_request",
            "",
        ] {
            assert!(CredentialScope::parse(bad).is_err(), "{bad}");
        }
        // Key ids may contain slashes in the wild; only the last four elements are the scope.
        let scope = CredentialScope::parse("a/b/20260101/r/s/aws4_request").expect("scope");
        assert_eq!(scope.access_key_id, "a/b");
    }

    #[test]
    fn paths_are_encoded_twice_for_lambda_and_once_for_s3() {
        // What botocore sends for GetFunction(FunctionName='f:$LATEST') and what it signs.
        let sent = "/2015-03-31/functions/f%3A%24LATEST";
        assert_eq!(
            canonical_uri(sent, UriEncoding::Double),
            "/2015-03-31/functions/f%253A%2524LATEST"
        );
        assert_eq!(canonical_uri(sent, UriEncoding::Single), sent);
        assert_eq!(canonical_uri("", UriEncoding::Double), "/");
        assert_eq!(canonical_uri("/a/./b/../c//d/", UriEncoding::Double), "/a/c/d/");
        assert_eq!(
            canonical_uri("/2015-03-31/functions/", UriEncoding::Double),
            "/2015-03-31/functions/"
        );
    }

    #[test]
    fn queries_are_decoded_reencoded_and_sorted() {
        assert_eq!(canonical_query(None, None), "");
        assert_eq!(
            canonical_query(Some("b=2&a=1&a=0&Qualifier=%24LATEST&x=a b"), None),
            "Qualifier=%24LATEST&a=0&a=1&b=2&x=a%20b"
        );
        assert_eq!(canonical_query(Some("flag&k=v~"), None), "flag=&k=v~");
        assert_eq!(
            canonical_query(Some("X-Amz-Signature=abc&X-Amz-Date=1"), Some("X-Amz-Signature")),
            "X-Amz-Date=1"
        );
    }

    #[test]
    fn header_values_are_trimmed_and_joined() {
        let mut headers = http::HeaderMap::new();
        headers.append("x-a", http::HeaderValue::from_static("  one   two  "));
        headers.append("x-a", http::HeaderValue::from_static("three"));
        assert_eq!(
            canonical_headers(&headers, &["x-a", "x-missing"]),
            "x-a:one two,three\nx-missing:\n"
        );
    }

    #[test]
    fn the_key_cache_derives_once_per_scope_and_secret() {
        let cache = KeyCache::default();
        let scope = CredentialScope::parse("AKID/20260101/us-east-1/lambda/aws4_request").expect("scope");
        let a = cache.get("secret", &scope);
        let b = cache.get("secret", &scope);
        assert_eq!(cache.len(), 1);
        assert_eq!(a.sign("x"), b.sign("x"));
        let rotated = cache.get("other", &scope);
        assert_eq!(cache.len(), 2);
        assert_ne!(rotated.sign("x"), a.sign("x"));
        let other_day = CredentialScope {
            date: "20260102".into(),
            ..scope
        };
        cache.get("secret", &other_day);
        assert_eq!(cache.len(), 3);
    }

    #[test]
    fn amz_dates_round_trip() {
        let t = parse_amz_date("20150830T123600Z").expect("date");
        assert_eq!(format_amz_date(t), "20150830T123600Z");
        assert!(parse_amz_date("2015-08-30T12:36:00Z").is_none());
    }
}
