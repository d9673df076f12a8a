//! lamina's durable state: what the control plane has acknowledged must survive a crash.
//!
//! Two interfaces, each owning one kind of data; the engine is given one implementation of each
//! (`lamina_engine::Backends`) and never names a backend:
//!
//! - [`MetadataStore`] holds one row per function, one per published version and one per layer
//!   version, keyed by account, region and name. A row carries a few columns the store itself needs
//!   (the revision for compare-and-swap, the `CodeSha256`s it references, as base64 text) and an opaque
//!   JSON `document` that only the engine interprets. The default backend is [`SqliteStore`] (WAL
//!   journal, `synchronous=FULL`, so an acknowledged commit survives `kill -9` and power loss). Every
//!   backend must pass [`conformance::run`] (and [`conformance::run_concurrent`]).
//!
//!   Everything else that belongs to a function or layer version (aliases, resource policies,
//!   asynchronous invocation settings, URL configurations, per-function settings, provisioned
//!   concurrency) and the account's code signing configurations are *sub-resources*: rows keyed by
//!   (account, region, [`Owner`], [`SubResourceKind`], key) with a revision and a JSON document,
//!   written with [`WriteCondition`]s and deleted with their owner, so a deleted function or version
//!   leaves nothing behind.
//! - [`CodeStore`] (default backend [`FsCodeStore`]) holds deployment packages, content-addressed by
//!   their [`CodeSha256`](lamina_model::CodeSha256). A package is first *staged* into a temporary file
//!   while it is being decoded, then *committed* with `fsync` + `rename` + directory `fsync`, so a blob
//!   is either complete under its final name or absent; [`CodeStore::open`] reads one back for a
//!   download. Every backend must pass [`conformance::run_code`].
//! - [`EventQueue`] (default backend [`SqliteEventQueue`], its own database file `events.db`) holds
//!   accepted asynchronous invocations until they ran: enqueued durably before the 202 (group commit:
//!   concurrent enqueues share one `fsync`), claimed with a lease, completed or rescheduled. Every
//!   backend must pass [`conformance::run_queue`] (and [`conformance::run_queue_concurrent`]).
//!
//! Where the next backends go: a PostgreSQL metadata store is a new module here implementing
//! [`MetadataStore`] (behind a cargo feature, so the default build stays SQLite) with its own run of
//! [`conformance::run`] in `tests/main.rs`; an object-store [`CodeStore`] likewise, with
//! [`conformance::run_code`]; a PostgreSQL [`EventQueue`] (claiming with `FOR UPDATE SKIP LOCKED`)
//! with [`conformance::run_queue`].
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
//!     code_sha256: blob.code_sha256().to_string(),
//!     layer_code: Vec::new(),
//!     document: "{}".into(),
//! };
//! meta.insert_function(&row, None).unwrap();
//! assert_eq!(meta.get_function("000000000000", "us-east-1", "f1").unwrap(), Some(row));
//! ```

mod code;
pub mod conformance;
mod metadata;
mod objects;
mod queue;
mod sqlite;

pub use code::{BlobDigest, CodeStore, CodeStoreError, FsCodeStore, StagedBlob, StoredBlob};
pub use metadata::{
    FunctionRow, LayerVersionRow, MetadataStore, Owner, StoreError, SubResourceKey, SubResourceKind,
    SubResourceRow, VersionRow, WriteCondition,
};
pub use objects::{ObjectError, ObjectSource, StoredObject};
pub use queue::{ClaimedEvent, EventQueue, QueueError, QueuedEvent};
pub use sqlite::{SqliteEventQueue, SqliteStore, durable};
