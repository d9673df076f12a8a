//! The behaviour every [`EventQueue`] must show.

use std::collections::BTreeSet;
use std::sync::Arc;

use crate::queue::{EventQueue, QueueError, QueuedEvent};

fn event(id: &str, due_at_ms: i64) -> QueuedEvent {
    QueuedEvent {
        id: id.into(),
        enqueued_at_ms: due_at_ms,
        due_at_ms,
        attempts: 0,
        document: format!("{{\"id\":\"{id}\"}}"),
        payload: format!("{{\"n\":\"{id}\"}}").into_bytes(),
    }
}

/// Runs every check on `queue`, which must be empty.
pub fn run_queue(queue: &dyn EventQueue) {
    enqueue_keeps_everything(queue);
    claims_are_due_first_and_leased(queue);
    complete_and_reschedule_need_the_lease(queue);
    expired_and_released_leases_come_back(queue);
    assert_eq!(
        queue.count().expect("count"),
        0,
        "the checks leave the queue empty"
    );
}

fn drain(queue: &dyn EventQueue, now: i64) {
    for claimed in queue.claim(now, 1_000, 1_000).expect("claim") {
        assert!(
            queue
                .complete(&claimed.event.id, claimed.lease)
                .expect("complete")
        );
    }
}

fn enqueue_keeps_everything(queue: &dyn EventQueue) {
    let mut e = event("keep", 100);
    e.attempts = 1;
    e.enqueued_at_ms = 50;
    e.payload = vec![0, 159, 255];
    queue.enqueue(&e).expect("enqueue");
    assert_eq!(queue.list(10).expect("list"), vec![e.clone()], "stored as given");
    assert_eq!(queue.count().expect("count"), 1);
    match queue.enqueue(&e) {
        Err(QueueError::AlreadyExists(id)) => assert_eq!(id, "keep"),
        other => panic!("a second enqueue of one id must fail with AlreadyExists, got {other:?}"),
    }
    assert_eq!(
        queue.count().expect("count"),
        1,
        "the refused enqueue changed nothing"
    );
    assert_eq!(queue.next_due().expect("next due"), Some(100));
    let claimed = queue.claim(100, 10, 10).expect("claim");
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].event, e, "a claim hands out the event as stored");
    assert!(queue.complete("keep", claimed[0].lease).expect("complete"));
    assert_eq!(queue.count().expect("count"), 0, "complete removes it");
    assert_eq!(
        queue.next_due().expect("next due"),
        None,
        "nothing is due in an empty queue"
    );
}

fn claims_are_due_first_and_leased(queue: &dyn EventQueue) {
    for (id, due) in [("c", 300), ("a", 100), ("b", 200), ("later", 10_000)] {
        queue.enqueue(&event(id, due)).expect("enqueue");
    }
    assert!(
        queue.claim(99, 1_000, 10).expect("claim").is_empty(),
        "nothing due before 100"
    );
    let first = queue.claim(250, 1_000, 1).expect("claim");
    assert_eq!(
        first.iter().map(|c| c.event.id.as_str()).collect::<Vec<_>>(),
        ["a"],
        "earliest first, up to the limit"
    );
    let rest = queue.claim(300, 1_000, 10).expect("claim");
    assert_eq!(
        rest.iter().map(|c| c.event.id.as_str()).collect::<Vec<_>>(),
        ["b", "c"],
        "a leased event is not claimed again; a future one not yet"
    );
    assert!(queue.claim(300, 1_000, 10).expect("claim").is_empty());
    let leases: BTreeSet<u64> = first.iter().chain(&rest).map(|c| c.lease).collect();
    assert_eq!(leases.len(), 3, "every claim has its own lease");
    assert_eq!(
        queue.next_due().expect("next due"),
        Some(1_250),
        "the first lease expiry is next"
    );
    for c in first.iter().chain(&rest) {
        assert!(queue.complete(&c.event.id, c.lease).expect("complete"));
    }
    assert_eq!(queue.next_due().expect("next due"), Some(10_000));
    drain(queue, 10_000);
}

fn complete_and_reschedule_need_the_lease(queue: &dyn EventQueue) {
    queue.enqueue(&event("r", 0)).expect("enqueue");
    let claimed = queue.claim(0, 100, 1).expect("claim").remove(0);
    assert!(
        !queue.complete("r", claimed.lease + 1).expect("complete"),
        "another lease completes nothing"
    );
    assert!(!queue.complete("absent", claimed.lease).expect("complete"));
    assert!(
        queue
            .reschedule("r", claimed.lease, 1, 5_000)
            .expect("reschedule")
    );
    assert!(
        !queue
            .reschedule("r", claimed.lease, 2, 6_000)
            .expect("reschedule"),
        "the lease ended"
    );
    assert!(
        !queue.complete("r", claimed.lease).expect("complete"),
        "the lease ended"
    );
    let stored = queue.list(10).expect("list").remove(0);
    assert_eq!(
        (stored.attempts, stored.due_at_ms, stored.enqueued_at_ms),
        (1, 5_000, 0),
        "rescheduled"
    );
    assert!(
        queue.claim(4_999, 100, 1).expect("claim").is_empty(),
        "not due before its new time"
    );
    let again = queue.claim(5_000, 100, 1).expect("claim").remove(0);
    assert_eq!(again.event.attempts, 1);
    assert_ne!(again.lease, claimed.lease);
    assert!(queue.complete("r", again.lease).expect("complete"));
}

fn expired_and_released_leases_come_back(queue: &dyn EventQueue) {
    queue.enqueue(&event("x", 0)).expect("enqueue");
    let first = queue.claim(0, 100, 1).expect("claim").remove(0);
    assert!(
        queue.claim(99, 100, 1).expect("claim").is_empty(),
        "leased until 100"
    );
    let second = queue.claim(100, 100, 1).expect("claim").remove(0);
    assert_eq!(second.event.id, "x", "an expired lease frees the event");
    assert!(
        !queue.complete("x", first.lease).expect("complete"),
        "the expired lease completes nothing"
    );
    assert_eq!(queue.release_leases().expect("release"), 1);
    let third = queue.claim(0, 100, 1).expect("claim").remove(0);
    assert_eq!(
        third.event.id, "x",
        "a released event is due at its due time again"
    );
    assert!(!queue.complete("x", second.lease).expect("complete"));
    assert!(queue.complete("x", third.lease).expect("complete"));
    assert_eq!(queue.release_leases().expect("release"), 0);
}

/// `threads` threads enqueue `per_thread` events each while as many claim and complete them: every
/// event is claimed exactly once (no lease expires during the run) and the queue ends empty.
pub fn run_queue_concurrent(queue: Arc<dyn EventQueue>, threads: usize, per_thread: usize) {
    let producers: Vec<_> = (0..threads)
        .map(|t| {
            let queue = Arc::clone(&queue);
            std::thread::spawn(move || {
                for i in 0..per_thread {
                    queue.enqueue(&event(&format!("t{t}-{i}"), 0)).expect("enqueue");
                }
            })
        })
        .collect();
    let consumers: Vec<_> = (0..threads)
        .map(|_| {
            let queue = Arc::clone(&queue);
            std::thread::spawn(move || {
                let mut seen = Vec::new();
                let mut idle = 0;
                while idle < 200 {
                    let claimed = queue.claim(0, i64::MAX / 2, 7).expect("claim");
                    if claimed.is_empty() {
                        idle += 1;
                        std::thread::yield_now();
                        continue;
                    }
                    idle = 0;
                    for c in claimed {
                        assert!(queue.complete(&c.event.id, c.lease).expect("complete"));
                        seen.push(c.event.id);
                    }
                }
                seen
            })
        })
        .collect();
    for p in producers {
        p.join().expect("producer");
    }
    let mut seen: Vec<String> = consumers
        .into_iter()
        .flat_map(|c| c.join().expect("consumer"))
        .collect();
    // Consumers may stop before the last producers finished: claim what is left.
    for c in queue.claim(0, 1_000, usize::MAX >> 1).expect("claim") {
        assert!(queue.complete(&c.event.id, c.lease).expect("complete"));
        seen.push(c.event.id);
    }
    let total = seen.len();
    let unique: BTreeSet<String> = seen.into_iter().collect();
    assert_eq!(total, unique.len(), "no event was claimed twice");
    assert_eq!(unique.len(), threads * per_thread, "every event was claimed");
    assert_eq!(queue.count().expect("count"), 0);
}
