//! The `lamina` binary driven as a user drives it, with the real tools beside it: Go and
//! aws-lambda-go from the module proxy, AWS's own `build-lambda-zip`, gcc. Where a new test goes:
//! - `aws_sdk`: `lamina serve` driven by the Rust `aws-sdk-lambda` crate;
//! - `build`: `lamina build` of the Go fixtures, for both architectures;
//! - `zip`: `lamina zip`, compared with `build-lambda-zip`, and its determinism;
//! - `inspect`: `lamina inspect` on real binaries, its exit codes and `--json`;
//! - `util`: running commands and locating fixtures and tools.

#[cfg(unix)]
mod aws_sdk;
mod build;
mod inspect;
mod util;
mod zip;
