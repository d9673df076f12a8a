//! lamina's durable state: what the control plane has acknowledged must survive a crash.
//!
//! Two stores, each owning one kind of data:
//!
//! - [`MetadataStore`] holds one row per function, one per published version and one per layer
//!   version, keyed by account, region and name. A row carries a few columns the store itself needs (the revision for compare-and-swap, the
//!   code digest it references) and an opaque JSON `document` that only the engine interprets. The
//!   default backend is [`SqliteStore`] (WAL journal, `synchronous=FULL`, so an acknowledged commit
//!   survives `kill -9` and power loss). Every backend must pass [`conformance::run`].
//! - [`CodeStore`] (default backend [`FsCodeStore`]) holds deployment packages, content-addressed by their SHA-256 (Lambda's `CodeSha256`).
//!   A package is first *staged* into a temporary file while it is being decoded, then *committed* with
//!   `fsync` + `rename` + directory `fsync`, so a blob is either complete under its final name or absent.
//!   Every backend must pass [`conformance::run_code`].
//!
//! The order that makes deploys crash-safe is the caller's: commit the blob, then commit the metadata
//! row that references it. A crash in between leaves an unreferenced blob, which
//! [`CodeStore::remove_unreferenced`] sweeps at the next start; never a function without its code.
//!
//! ```
//! use std::io::Write;
//! use lamina_store::{CodeStore, FsCodeStore, FunctionRow, MetadataStore, SqliteStore};
//!
//! let dir = tempfile::tempdir().unwrap();
//! let code = FsCodeStore::open(dir.path().join("code")).unwrap();
//! let mut staged = code.stage().unwrap();
//! staged.write_all(b"PK\x05\x06 not really a zip").unwrap();
//! let blob = code.commit(staged).unwrap();
//!
//! let meta = SqliteStore::open(&dir.path().join("lamina.db"), "000000000000").unwrap();
//! let row = FunctionRow {
//!     account: "000000000000".into(),
//!     region: "us-east-1".into(),
//!     name: "f1".into(),
//!     revision: "r1".into(),
//!     code_sha256: blob.code_sha256(),
//!     layer_code: Vec::new(),
//!     document: "{}".into(),
//! };
//! meta.insert_function(&row, None).unwrap();
//! assert_eq!(meta.get_function("000000000000", "us-east-1", "f1").unwrap(), Some(row));
//! ```

mod code;
pub mod conformance;
mod metadata;
mod sqlite;

pub use code::{BlobDigest, CodeStore, CodeStoreError, FsCodeStore, StagedBlob};
pub use metadata::{FunctionRow, LayerVersionRow, MetadataStore, StoreError, VersionRow};
pub use sqlite::SqliteStore;
