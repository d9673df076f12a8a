//! `lamina-bench verify`: the CPU one SigV4 verification of a typical signed Invoke request costs
//! (`lamina_auth::Verifier`, as `lamina serve` runs it on every request), with the signing key cached,
//! and what hashing the body and deriving a key add.

use std::time::Duration;

use anyhow::{Context, Result};
use hyper::Method;
use hyper::header::{HeaderMap, HeaderValue};
use lamina_auth::{Credential, CredentialSet, Signer, Verifier, sign_request, sigv4};

/// The thread's CPU time so far (`/proc/thread-self/schedstat`, first field, nanoseconds).
fn thread_cpu() -> Result<Duration> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").context("reading schedstat")?;
    let ns: u64 = text
        .split_whitespace()
        .next()
        .and_then(|v| v.parse().ok())
        .context("parsing schedstat")?;
    Ok(Duration::from_nanos(ns))
}

/// CPU per call of `f`, over `iterations` calls after a tenth as many unmeasured.
fn per_call(iterations: u64, mut f: impl FnMut() -> Result<()>) -> Result<Duration> {
    for _ in 0..iterations / 10 {
        f()?;
    }
    let before = thread_cpu()?;
    for _ in 0..iterations {
        f()?;
    }
    let spent = thread_cpu()? - before;
    Ok(spent / u32::try_from(iterations).unwrap_or(u32::MAX))
}

/// Measures and prints.
pub(crate) fn run(iterations: u64) -> Result<()> {
    let credential = Credential {
        access_key_id: "AKIAIOSFODNN7EXAMPLE".into(),
        secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into(),
        account_id: "123456789012".into(),
    };
    let mut keys = CredentialSet::new();
    keys.insert(credential.clone())?;
    let verifier = Verifier::new(keys, "lambda");
    // What the Rust SDK sends for Invoke(FunctionName="hello", Payload=...): its headers, all signed.
    let body = br#"{"name":"lamina","items":[1,2,3],"nested":{"key":"value"}}"#;
    let uri: hyper::Uri = "http://127.0.0.1:9001/2015-03-31/functions/hello/invocations".parse()?;
    let mut headers = HeaderMap::new();
    headers.insert("content-type", HeaderValue::from_static("application/json"));
    headers.insert("content-length", HeaderValue::from(body.len()));
    headers.insert(
        "x-amz-invocation-type",
        HeaderValue::from_static("RequestResponse"),
    );
    headers.insert("x-amz-log-type", HeaderValue::from_static("None"));
    headers.insert(
        "x-amz-user-agent",
        HeaderValue::from_static("aws-sdk-rust/1.3.9 ua/2.1 api/lambda/1.98.0 os/linux lang/rust/1.95.0"),
    );
    headers.insert(
        "user-agent",
        HeaderValue::from_static("aws-sdk-rust/1.3.9 os/linux lang/rust/1.95.0"),
    );
    headers.insert(
        "amz-sdk-invocation-id",
        HeaderValue::from_static("9f2f4fb5-7d5c-4a8f-a0a3-0f6d0b6f2a8e"),
    );
    headers.insert("amz-sdk-request", HeaderValue::from_static("attempt=1; max=3"));
    let now = chrono::Utc::now();
    let signer = Signer {
        credential: &credential,
        region: "us-east-1",
        service: "lambda",
        now,
    };
    sign_request(&signer, &Method::POST, &uri, &mut headers, body)?;
    let body_sha256 = sigv4::sha256_hex(body);
    let signed = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split("SignedHeaders=").nth(1))
        .and_then(|v| v.split(',').next())
        .unwrap_or_default()
        .to_owned();

    let verify = per_call(iterations, || {
        verifier
            .verify(&Method::POST, &uri, &headers, &body_sha256, now)
            .map(|_| ())
            .context("verification failed")
    })?;
    let with_hash = per_call(iterations, || {
        let hash = sigv4::sha256_hex(body);
        verifier
            .verify(&Method::POST, &uri, &headers, &hash, now)
            .map(|_| ())
            .context("verification failed")
    })?;
    let derive = per_call(iterations / 10, || {
        std::hint::black_box(sigv4::SigningKey::derive(
            &credential.secret_access_key,
            "20260101",
            "us-east-1",
            "lambda",
        ));
        Ok(())
    })?;
    println!(
        "SigV4 verification of a signed Invoke ({} signed headers: {signed}), {} B body, {iterations} iterations, one thread:",
        signed.split(';').count(),
        body.len()
    );
    println!(
        "  verify, signing key cached:          {:>6.2} µs CPU",
        verify.as_secs_f64() * 1e6
    );
    println!(
        "  body SHA-256 + verify:               {:>6.2} µs CPU",
        with_hash.as_secs_f64() * 1e6
    );
    println!(
        "  signing-key derivation (cache miss): {:>6.2} µs CPU",
        derive.as_secs_f64() * 1e6
    );
    Ok(())
}
