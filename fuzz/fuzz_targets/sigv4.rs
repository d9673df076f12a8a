//! SigV4 verification of untrusted requests (lamina-auth): the `Authorization` header, presigned query
//! parameters and aws-chunked bodies, through [`Verifier::verify`] as the services call it and through
//! the parsers it is made of. What must hold: no panic, whatever the header, query or body; a request
//! that verifies also passes the body-less precheck; and a verified streaming body decodes or is refused.
//!
//! The input is one readable request (`lamina_fuzz::request`); the seeds are requests signed with the
//! development key at [`NOW`].
#![no_main]

use chrono::{DateTime, TimeZone, Utc};
use lamina_auth::chunked::{self, ChunkContext};
use lamina_auth::sigv4::{self, CredentialScope, SigningKey, UriEncoding};
use lamina_auth::{CredentialSet, PayloadSigning, Verifier, parse_authorization};
use libfuzzer_sys::fuzz_target;

/// The server's clock: the time the seed requests were signed at.
fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0)
        .single()
        .expect("a valid time")
}

thread_local! {
    static VERIFIERS: [Verifier; 2] = [
        Verifier::new(CredentialSet::development("000000000000"), "lambda"),
        Verifier::new(CredentialSet::development("000000000000"), "s3"),
    ];
}

fuzz_target!(|data: &[u8]| {
    let Some(request) = lamina_fuzz::request(data) else {
        return;
    };
    let (parts, _) = request.into_parts();
    let body = lamina_fuzz::body_of(data).unwrap_or_default();
    let now = now();

    VERIFIERS.with(|verifiers| {
        for verifier in verifiers {
            let precheck = verifier.precheck(&parts.uri, &parts.headers, now);
            let verified = verifier.verify(
                &parts.method,
                &parts.uri,
                &parts.headers,
                &sigv4::sha256_hex(body),
                now,
            );
            if let Ok(verified) = verified {
                assert!(
                    precheck.is_ok(),
                    "verified, yet the precheck refused: {precheck:?}"
                );
                if let PayloadSigning::Streaming(context) = verified.payload {
                    let _ = chunked::decode(&context, body);
                }
            }
        }
    });

    // The parsers on their own, past the checks that come first in `verify`.
    if let Some(Ok(auth)) = parts.headers.get(http::header::AUTHORIZATION).map(|v| v.to_str()) {
        if let Ok(header) = parse_authorization(auth) {
            let _ = CredentialScope::parse(header.credential);
        }
    }
    let _ = sigv4::canonical_uri(parts.uri.path(), UriEncoding::for_service("lambda"));
    let _ = sigv4::canonical_uri(parts.uri.path(), UriEncoding::for_service("s3"));
    let _ = sigv4::canonical_query(parts.uri.query(), Some("X-Amz-Signature"));
    if let Some(Ok(date)) = parts.headers.get("x-amz-date").map(|v| v.to_str()) {
        let _ = sigv4::parse_amz_date(date);
    }
    // An aws-chunked body under a fixed key: its framing is parsed before any signature is checked.
    let context = ChunkContext {
        key: SigningKey::derive("test", "20240101", "us-east-1", "s3"),
        amz_date: "20240101T000000Z".into(),
        scope: "20240101/us-east-1/s3/aws4_request".into(),
        seed_signature: "0".repeat(64),
    };
    let _ = chunked::decode(&context, body);
});
