//! `lamina invoke NAME [--payload JSON|@file]`: invokes a function synchronously through the Lambda API
//! and prints its result and the tail of its log, for people without the AWS CLI at hand.

use std::io::Write;

use anyhow::{Context, Result};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use lamina_model::headers;

use crate::client::{Endpoint, path_segment};

/// Invoke a function synchronously and print its result, with the tail of its log on stderr.
///
/// Talks to the Lambda API at --endpoint-url (else AWS_ENDPOINT_URL, else http://127.0.0.1:9001).
/// Exits 1 when the function returned an error.
#[derive(Debug, Clone, clap::Args)]
pub struct InvokeOptions {
    /// Function name or ARN (`name:qualifier` works too).
    pub function: String,
    /// The event as JSON, or @path to read it from a file [default: {}].
    #[arg(long)]
    pub payload: Option<String>,
    /// A version or alias.
    #[arg(long)]
    pub qualifier: Option<String>,
    /// The Lambda API endpoint.
    #[arg(long)]
    pub endpoint_url: Option<String>,
    /// The region to sign for [default: AWS_REGION, else us-east-1].
    #[arg(long)]
    pub region: Option<String>,
}

/// Invokes and prints the log tail (to `log_out`) and the result (to `out`). Returns whether the function
/// reported an error.
pub fn run(options: &InvokeOptions, out: &mut impl Write, log_out: &mut impl Write) -> Result<bool> {
    let endpoint = Endpoint::from_env(options.endpoint_url.clone(), options.region.clone());
    let payload = match options.payload.as_deref() {
        None => b"{}".to_vec(),
        Some(p) => match p.strip_prefix('@') {
            Some(path) => std::fs::read(path).with_context(|| format!("reading the payload from {path}"))?,
            None => p.as_bytes().to_vec(),
        },
    };
    let mut path = format!(
        "/2015-03-31/functions/{}/invocations",
        path_segment(&options.function)
    );
    if let Some(qualifier) = &options.qualifier {
        path.push_str(&format!("?Qualifier={}", path_segment(qualifier)));
    }
    let answer = endpoint.send("POST", &path, &[(headers::LOG_TYPE, "Tail")], &payload)?;
    if !answer.is_success() {
        return Err(answer.api_error().into());
    }
    let body = &answer.body;
    let header = |name: &str| answer.header(name);
    if let Some(log) = header(headers::LOG_RESULT).and_then(|b| STANDARD.decode(b).ok()) {
        log_out.write_all(&log)?;
        if !log.ends_with(b"\n") {
            writeln!(log_out)?;
        }
    }
    out.write_all(body)?;
    writeln!(out)?;
    Ok(header(headers::FUNCTION_ERROR).is_some())
}
