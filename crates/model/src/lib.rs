//! The Lambda vocabulary shared by every lamina crate.
//!
//! This crate holds the nouns of AWS Lambda that more than one part of lamina needs — the instruction-set
//! [`Architecture`] a function runs on, the [`CodeSha256`] that names a deployment package, the
//! documented [`limits`], the API's request and response shapes ([`wire`]), its [`headers`] and
//! [`errors`] codes, the grammar of function [`names`] and ARNs, the [`service_model`] AWS publishes and
//! the [`validation`] of requests against it, in AWS's message grammar — and nothing that does I/O. Values
//! are parsed once at the boundary (`"arm64".parse::<Architecture>()`) and passed around typed.
//!
//! ```
//! use lamina_model::{Architecture, limits};
//!
//! let arch: Architecture = "arm64".parse().unwrap();
//! assert_eq!(arch.go_arch(), "arm64");
//! assert_eq!(limits::ZIPPED_CODE_MAX_BYTES, 50 * 1024 * 1024);
//! ```

mod architecture;
mod digest;
pub mod errors;
pub mod headers;
pub mod limits;
pub mod names;
pub mod service_model;
pub mod validation;
pub mod wire;

pub use architecture::{Architecture, UnknownArchitecture};
pub use digest::{BadCodeSha256, CodeSha256};
