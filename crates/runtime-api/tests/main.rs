//! The Runtime API driven by real bootstraps, each started as a plain process against a live listener.
//! Where a new test goes:
//! - `go`: functions built with aws-lambda-go (`tests/fixtures/go`);
//! - `rust`: a function built with AWS's `lambda_runtime` crate (`tests/fixtures/rust/echo`);
//! - `python`: handlers run by `awslambdaric` (`tests/fixtures/python`, from the `.venv` that
//!   `scripts/test` installs);
//! - `shell`: a custom runtime written with curl (`tests/fixtures/shell`);
//! - `protocol`: the status codes for stale, repeated, oversized and out-of-order requests, over raw HTTP;
//! - `util`: starting environments and building fixtures.

mod go;
mod protocol;
mod python;
mod rust;
mod shell;
mod util;
