//! The Lambda Runtime API (2018-06-01), and the subset of the Extensions API (2020-01-01) that runtime
//! libraries use, for one execution environment.
//!
//! A `bootstrap` built with aws-lambda-go, Rust's `lambda_runtime`, Python's `awslambdaric` or by hand
//! long-polls `GET /2018-06-01/runtime/invocation/next`, runs the event and posts the result to
//! `/runtime/invocation/{id}/response` or `/error`. [`RuntimeApi`] is the platform's side of that
//! handoff for one environment: [`RuntimeApi::invoke`] hands it an [`Invocation`] and resolves to the
//! [`Outcome`] the bootstrap posted ([`RuntimeApi::invoke_streaming`] also passes the result's body on
//! to a [`ResponseSink`] as it arrives, for callers that take a stream); [`RuntimeApi::lifecycle`] says
//! when init is done or failed; [`router`] serves the HTTP side, on a listener of its own or nested
//! under a prefix of a shared one.
//!
//! Everything a client library depends on is exact here (see the wire reference, sections 1, 2 and 7):
//! `Content-Type: application/json` on `/next` (awslambdaric crashes without it), `202 {"status":"OK"}`
//! for results (aws-lambda-go exits on anything else), chunked bodies with trailers (aws-lambda-go
//! reports mid-stream errors in them), the 400/403/410/413 rules for stale, repeated, late and oversized
//! results, and the internal extensions that aws-lambda-go's `WithEnableSIGTERM` and Rust's graceful
//! shutdown helper register.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use lamina_runtime_api::{EnvironmentInfo, Invocation, RuntimeApi};
//!
//! let api = RuntimeApi::new(EnvironmentInfo::new("hello", "$LATEST", "bootstrap"));
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! // Start the bootstrap with AWS_LAMBDA_RUNTIME_API set to this address.
//! let address = listener.local_addr()?;
//! tokio::spawn(lamina_runtime_api::serve(api.clone(), listener));
//! let outcome = api.invoke(Invocation::new("req-1", br#"{"name":"lamina"}"#.to_vec(), "arn:aws:lambda:us-east-1:000000000000:function:hello")).await;
//! # let _ = (address, outcome); Ok(()) }
//! ```

mod environment;
mod routes;
pub mod wire;

pub use environment::{
    EnvironmentInfo, ErrorReport, Invocation, InvokeError, Lifecycle, Outcome, ResponsePart, ResponseSink,
    RuntimeApi, ShutdownReason,
};
pub use routes::{router, serve, serve_with};
