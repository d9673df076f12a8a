//! The metadata store conformance suite on the SQLite backend (one test binary per crate; a new backend adds its own run here).

use std::sync::Arc;

use lamina_store::{FsCodeStore, MetadataStore, SqliteStore, conformance};

#[test]
fn sqlite_in_memory_conforms() {
    let store = SqliteStore::in_memory().expect("open");
    conformance::run(&store);
}

#[test]
fn sqlite_file_conforms() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open(&dir.path().join("lamina.db"), "000000000000").expect("open");
    conformance::run(&store);
}

#[test]
fn sqlite_never_loses_concurrent_updates() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store: Arc<dyn MetadataStore> =
        Arc::new(SqliteStore::open(&dir.path().join("lamina.db"), "000000000000").expect("open"));
    conformance::run_concurrent(store, 8);
}

#[test]
fn file_code_store_conforms() {
    let dir = tempfile::tempdir().expect("tempdir");
    conformance::run_code(&FsCodeStore::open(dir.path()).expect("open"));
}
