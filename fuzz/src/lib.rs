//! What the fuzz targets share: reading a fuzz input as readable HTTP requests, so the seed corpora are
//! real requests a person can read and edit, and the fuzzer mutates methods, paths, headers and bodies
//! alike.
//!
//! One request is written as
//!
//! ```text
//! POST /2015-03-31/functions?Marker=x
//! content-type: application/json
//!
//! {"FunctionName": "hello"}
//! ```
//!
//! (a request line, header lines, an empty line, the body); a line `\x1e` (ASCII record separator)
//! alone starts the next request of a sequence.

use axum::body::Body;
use http::{HeaderName, HeaderValue, Method, Request};

/// The line that separates the requests of a sequence.
pub const SEPARATOR: &[u8] = b"\n\x1e\n";

/// Splits a fuzz input into the requests of a sequence (at most `limit`) and parses each; requests
/// that are not well-formed enough for `http` to build are skipped, as a server never sees them.
pub fn requests(data: &[u8], limit: usize) -> Vec<Request<Body>> {
    split(data, SEPARATOR)
        .into_iter()
        .take(limit)
        .filter_map(request)
        .collect()
}

/// Parses one request (see the crate documentation).
pub fn request(data: &[u8]) -> Option<Request<Body>> {
    let body = body_of(data).unwrap_or_default();
    let head = &data[..data.len() - body.len()];
    let mut lines = head.split(|&b| b == b'\n');
    let request_line = std::str::from_utf8(lines.next()?).ok()?;
    let (method, target) = request_line.split_once(' ').unwrap_or((request_line, "/"));
    let mut builder = Request::builder()
        .method(Method::from_bytes(method.as_bytes()).ok()?)
        .uri(target.trim_end());
    for line in lines {
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(&line[..colon]),
            HeaderValue::from_bytes(line[colon + 1..].trim_ascii()),
        ) else {
            continue;
        };
        builder = builder.header(name, value);
    }
    builder.body(Body::from(body.to_vec())).ok()
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn split<'a>(mut data: &'a [u8], separator: &[u8]) -> Vec<&'a [u8]> {
    let mut parts = Vec::new();
    while let Some(at) = find(data, separator) {
        parts.push(&data[..at]);
        data = &data[at + separator.len()..];
    }
    parts.push(data);
    parts
}

/// A single-threaded runtime whose clock is paused: when every task waits, time jumps to the next timer,
/// so a request that waits for something that never comes (a long poll, a retry's backoff) ends at once
/// in virtual time, and a timeout tells a hang from an answer without waiting for it.
pub fn paused_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .expect("a tokio runtime")
}

/// The body of a one-request input (everything after the first empty line), if it has one.
pub fn body_of(data: &[u8]) -> Option<&[u8]> {
    find(data, b"\n\n").map(|at| &data[at + 2..])
}
