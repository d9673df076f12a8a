//! Lambda deployment packages: writing them right, finding what is wrong with them, unpacking them safely.
//!
//! A deployment package is a zip with an executable `bootstrap` at its root (for the OS-only runtimes
//! `provided.al2023` and `provided.al2`). This crate is everything lamina knows about such zips, with no
//! HTTP and no storage:
//!
//! - [`PackageBuilder`] writes a package the way AWS's `build-lambda-zip` intends: `bootstrap` at the root,
//!   Unix modes 0755/0644 in the entries' external attributes, and byte-for-byte deterministic output (fixed
//!   timestamps, sorted entries) so that `CodeSha256` does not depend on the machine that built it.
//! - [`inspect()`] reads a package and reports every [`Finding`] that a Lambda deploy or first invoke would
//!   hit — missing or nested `bootstrap`, lost execute bits, an ELF built for the other architecture, a
//!   glibc newer than `provided.al2023` has, files Lambda's sandbox user cannot read, size limits, entries
//!   escaping the root — each with a message that says what to do.
//! - [`extract()`] unpacks a package into a directory for a server to run, refusing path traversal and
//!   escaping symlinks and stopping at the unzipped-size and entry-count limits whatever the zip's headers
//!   claim.
//! - [`executable`] classifies a `bootstrap`'s bytes (ELF machine, interpreter, glibc needs, or `#!` line).
//!
//! ```
//! use lamina_package::{PackageBuilder, inspect, InspectOptions};
//!
//! let mut package = PackageBuilder::new();
//! package.add_bytes("bootstrap", b"#!/bin/sh\necho hi\n".to_vec(), 0o755).unwrap();
//! let mut zip = std::io::Cursor::new(Vec::new());
//! package.write(&mut zip).unwrap();
//!
//! let report = inspect(zip, &InspectOptions::default()).unwrap();
//! assert!(report.is_deployable(), "{:?}", report.findings);
//! ```

mod archive_path;
mod digest;
pub mod executable;
mod extract;
mod index;
mod inspect;
mod write;

pub use archive_path::{ArchivePath, MAX_PATH_BYTES, MAX_UNPACK_DIR_BYTES, PathProblem};
pub use digest::{code_sha256, code_sha256_of_file};
pub use extract::{DEFAULT_MAX_ENTRIES, ExtractError, ExtractLimits, Extracted, extract};
pub use inspect::{Finding, FindingKind, InspectError, InspectOptions, Report, inspect, inspect_file};
pub use write::{PackageBuilder, WriteError, WrittenPackage};
