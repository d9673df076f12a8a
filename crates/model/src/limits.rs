//! Lambda's documented quotas, in bytes or counts, as AWS enforces them.
//!
//! Sources: the "Lambda quotas" page of the AWS documentation and the recorded error messages in the
//! control-plane reference (`Zipped size must be smaller than 52428800 bytes`, `Unzipped size must be
//! smaller than 262144000 bytes`).

/// Largest deployment package accepted inline by CreateFunction / UpdateFunctionCode (50 MiB). Larger
/// packages must come from S3.
pub const ZIPPED_CODE_MAX_BYTES: u64 = 52_428_800;

/// The unzipped size of a function's code and layers must be *smaller* than this (250 MiB).
pub const UNZIPPED_CODE_MAX_BYTES: u64 = 262_144_000;

/// The newest glibc on `provided.al2023` (Amazon Linux 2023 ships glibc 2.34): a dynamically linked
/// bootstrap needing a later `GLIBC_x.y` symbol version fails to start there.
pub const PROVIDED_AL2023_GLIBC: (u32, u32) = (2, 34);

/// Where Lambda looks for the bootstrap of an OS-only runtime, in order.
pub const BOOTSTRAP_PATHS: [&str; 2] = ["/var/task/bootstrap", "/opt/bootstrap"];

/// The file name of the executable an OS-only runtime starts.
pub const BOOTSTRAP: &str = "bootstrap";
