//! The store conformance suites on the SQLite and file backends (one test binary per crate; a new backend adds its own run here).

use std::sync::Arc;

use lamina_store::{
    EventQueue, FsCodeStore, MetadataStore, QueuedEvent, SqliteEventQueue, SqliteStore, conformance,
};

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

#[test]
fn sqlite_event_queue_conforms() {
    conformance::run_queue(&SqliteEventQueue::in_memory().expect("open"));
    let dir = tempfile::tempdir().expect("tempdir");
    conformance::run_queue(&SqliteEventQueue::open(&dir.path().join("events.db")).expect("open"));
}

#[test]
fn sqlite_event_queue_shares_out_concurrent_work() {
    let dir = tempfile::tempdir().expect("tempdir");
    let queue: Arc<dyn EventQueue> =
        Arc::new(SqliteEventQueue::open(&dir.path().join("events.db")).expect("open"));
    conformance::run_queue_concurrent(queue, 8, 200);
}

#[test]
fn sqlite_event_queue_keeps_events_and_leases_across_reopen() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("events.db");
    let event = QueuedEvent {
        id: "e1".into(),
        enqueued_at_ms: 1,
        due_at_ms: 1,
        attempts: 0,
        document: "{}".into(),
        payload: b"{}".to_vec(),
    };
    {
        let queue = SqliteEventQueue::open(&path).expect("open");
        queue.enqueue(&event).expect("enqueue");
        assert_eq!(queue.claim(1, 1_000_000, 1).expect("claim").len(), 1);
    }
    let queue = SqliteEventQueue::open(&path).expect("reopen");
    assert!(
        queue.claim(2, 1_000, 1).expect("claim").is_empty(),
        "still leased after reopening"
    );
    assert_eq!(queue.release_leases().expect("release"), 1);
    let claimed = queue.claim(2, 1_000, 1).expect("claim");
    assert_eq!(claimed[0].event, event);
}
