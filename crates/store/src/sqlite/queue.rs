//! The SQLite backend of [`EventQueue`], with group commit.
//!
//! One writer thread owns the connection. Callers hand it jobs over a channel and wait for their
//! answer; the thread takes every job waiting, runs them in one transaction (each inside a savepoint,
//! so a job that fails changes nothing while the others commit) and commits once: with WAL and
//! `synchronous=FULL` the commit is one `fsync` of the WAL, shared by every enqueue of the batch. While
//! it syncs, the next callers' jobs gather in the channel and become the next batch, so the more
//! concurrent enqueues there are, the more share each `fsync`.
//!
//! Only the changes a crash must not undo wait for the `fsync` (enqueue, complete, reschedule): a batch
//! of claims alone commits with `synchronous=NORMAL` (WAL frames written, not synced), as a lease lost
//! in a crash only makes its event claimable again, which the next start does anyway
//! ([`EventQueue::release_leases`]). The next durable commit syncs them too. So an idle worker's claim
//! does not add a second `fsync` between an enqueue and the start of its event.
//!
//! A row's `available_at` is when it can next be claimed: its due time while unleased, its lease's
//! expiry while leased. Claims read the rows with the smallest `available_at` (indexed).

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::thread::JoinHandle;

use rusqlite::{Connection, ErrorCode, OptionalExtension, Transaction, params};

use crate::queue::{ClaimedEvent, EventQueue, QueueError, QueuedEvent};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS events (
    id           TEXT PRIMARY KEY,
    enqueued_at  INTEGER NOT NULL,
    due_at       INTEGER NOT NULL,
    attempts     INTEGER NOT NULL,
    lease        INTEGER,
    available_at INTEGER NOT NULL,
    document     TEXT NOT NULL,
    payload      BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS events_available ON events (available_at);
";

/// The most jobs one transaction takes (a bound on how long the first caller of a batch waits).
const BATCH_MAX: usize = 4096;

/// The columns [`event_from_row`] reads, in its order.
const EVENT_COLUMNS: &str = "id, enqueued_at, due_at, attempts, document, payload";

/// A job runs in the batch's transaction (or learns that it could not begin).
type Run = Box<dyn FnOnce(Result<&Transaction<'_>, &rusqlite::Error>) -> Finish + Send>;

/// A job, and whether its commit must be durable before it is answered.
struct Job {
    durable: bool,
    run: Run,
}
/// Sends a job's answer once the batch's commit is known (`Some`: it failed).
type Finish = Box<dyn FnOnce(Option<&rusqlite::Error>) + Send>;

fn backend(e: impl std::fmt::Display) -> QueueError {
    QueueError::Backend(e.to_string())
}

/// [`EventQueue`] on one SQLite database file (its own, beside the metadata's).
pub struct SqliteEventQueue {
    jobs: Option<mpsc::Sender<Job>>,
    writer: Option<JoinHandle<()>>,
    next_lease: AtomicU64,
}

impl std::fmt::Debug for SqliteEventQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteEventQueue").finish_non_exhaustive()
    }
}

impl SqliteEventQueue {
    /// Opens (creating if needed) the queue at `path`.
    pub fn open(path: &Path) -> Result<Self, QueueError> {
        Self::start(Connection::open(path).map_err(backend)?)
    }

    /// An in-memory queue, for tests.
    pub fn in_memory() -> Result<Self, QueueError> {
        Self::start(Connection::open_in_memory().map_err(backend)?)
    }

    fn start(mut conn: Connection) -> Result<Self, QueueError> {
        super::durable(&conn).map_err(backend)?;
        conn.execute_batch(SCHEMA).map_err(backend)?;
        let (jobs, incoming) = mpsc::channel::<Job>();
        let writer = std::thread::Builder::new()
            .name("event-queue".into())
            .spawn(move || write_batches(&mut conn, &incoming))
            .map_err(backend)?;
        // Lease tokens only need to differ from those of earlier claims: start from the clock, so a
        // reopened queue does not reuse the tokens of its last run.
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| u64::try_from(d.as_micros()).unwrap_or(1));
        Ok(Self {
            jobs: Some(jobs),
            writer: Some(writer),
            next_lease: AtomicU64::new(seed),
        })
    }

    /// Runs `work` in the writer's next transaction and answers once that committed durably.
    fn submit<T, F>(&self, work: F) -> Result<T, QueueError>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> Result<T, QueueError> + Send + 'static,
    {
        self.submit_as(true, work)
    }

    /// Runs `work` in the writer's next transaction and answers once that committed (durably, or only
    /// written when no job of the batch needs durability and `durable` is false).
    fn submit_as<T, F>(&self, durable: bool, work: F) -> Result<T, QueueError>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> Result<T, QueueError> + Send + 'static,
    {
        let (answer, answered) = mpsc::sync_channel(1);
        let run: Run = Box::new(move |tx| {
            let result = match tx {
                Ok(tx) => in_savepoint(tx, work),
                Err(e) => Err(backend(e)),
            };
            Box::new(move |commit_error| {
                let _ = answer.send(match commit_error {
                    Some(e) => Err(backend(e)),
                    None => result,
                });
            })
        });
        self.jobs
            .as_ref()
            .ok_or_else(|| backend("the queue is closed"))?
            .send(Job { durable, run })
            .map_err(|_| backend("the queue's writer has stopped"))?;
        answered
            .recv()
            .map_err(|_| backend("the queue's writer has stopped"))?
    }
}

impl Drop for SqliteEventQueue {
    fn drop(&mut self) {
        // Closing the channel ends the writer, which closes the connection.
        self.jobs = None;
        if let Some(writer) = self.writer.take() {
            let _ = writer.join();
        }
    }
}

/// The writer thread: one transaction per batch of waiting jobs.
fn write_batches(conn: &mut Connection, incoming: &mpsc::Receiver<Job>) {
    let mut synced = true;
    while let Ok(first) = incoming.recv() {
        let mut batch = vec![first];
        while batch.len() < BATCH_MAX {
            match incoming.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let durable = batch.iter().any(|job| job.durable);
        if durable != synced {
            let mode = if durable { "FULL" } else { "NORMAL" };
            match conn.execute_batch(&format!("PRAGMA synchronous = {mode}")) {
                Ok(()) => synced = durable,
                Err(e) => {
                    for job in batch {
                        (job.run)(Err(&e))(None);
                    }
                    continue;
                }
            }
        }
        match conn.transaction() {
            Ok(tx) => {
                let finishes: Vec<Finish> = batch.into_iter().map(|job| (job.run)(Ok(&tx))).collect();
                let committed = tx.commit();
                for finish in finishes {
                    finish(committed.as_ref().err());
                }
            }
            Err(e) => {
                for job in batch {
                    (job.run)(Err(&e))(None);
                }
            }
        }
    }
}

/// Runs `work` inside a savepoint, rolled back when it fails.
fn in_savepoint<T>(
    tx: &Transaction<'_>,
    work: impl FnOnce(&Transaction<'_>) -> Result<T, QueueError>,
) -> Result<T, QueueError> {
    tx.execute_batch("SAVEPOINT job").map_err(backend)?;
    let result = work(tx);
    let end = if result.is_ok() {
        "RELEASE job"
    } else {
        "ROLLBACK TO job; RELEASE job"
    };
    tx.execute_batch(end).map_err(backend)?;
    result
}

fn event_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<QueuedEvent> {
    Ok(QueuedEvent {
        id: r.get(0)?,
        enqueued_at_ms: r.get(1)?,
        due_at_ms: r.get(2)?,
        attempts: r.get(3)?,
        document: r.get(4)?,
        payload: r.get(5)?,
    })
}

fn lease_column(lease: u64) -> Result<i64, QueueError> {
    i64::try_from(lease).map_err(|_| backend(format!("lease token {lease} out of range")))
}

impl EventQueue for SqliteEventQueue {
    fn enqueue(&self, event: &QueuedEvent) -> Result<(), QueueError> {
        let event = event.clone();
        self.submit(move |tx| {
            let inserted = tx.execute(
                "INSERT INTO events (id, enqueued_at, due_at, attempts, lease, available_at, document, payload)
                 VALUES (?1, ?2, ?3, ?4, NULL, ?3, ?5, ?6)",
                params![
                    event.id,
                    event.enqueued_at_ms,
                    event.due_at_ms,
                    event.attempts,
                    event.document,
                    event.payload
                ],
            );
            match inserted {
                Ok(_) => Ok(()),
                Err(rusqlite::Error::SqliteFailure(e, _)) if e.code == ErrorCode::ConstraintViolation => {
                    Err(QueueError::AlreadyExists(event.id))
                }
                Err(e) => Err(backend(e)),
            }
        })
    }

    fn claim(&self, now_ms: i64, lease_ms: i64, limit: usize) -> Result<Vec<ClaimedEvent>, QueueError> {
        let first_lease = self.next_lease.fetch_add(limit as u64, Ordering::Relaxed);
        self.submit_as(false, move |tx| {
            let limit = i64::try_from(limit).unwrap_or(i64::MAX);
            let mut select = tx
                .prepare_cached(&format!(
                    "SELECT {EVENT_COLUMNS} FROM events WHERE available_at <= ?1 ORDER BY available_at LIMIT ?2"
                ))
                .map_err(backend)?;
            let events = select
                .query_map(params![now_ms, limit], event_from_row)
                .and_then(Iterator::collect::<rusqlite::Result<Vec<_>>>)
                .map_err(backend)?;
            let mut update = tx
                .prepare_cached("UPDATE events SET lease = ?2, available_at = ?3 WHERE id = ?1")
                .map_err(backend)?;
            let mut claimed = Vec::with_capacity(events.len());
            for (event, lease) in events.into_iter().zip(first_lease..) {
                update
                    .execute(params![event.id, lease_column(lease)?, now_ms.saturating_add(lease_ms)])
                    .map_err(backend)?;
                claimed.push(ClaimedEvent { event, lease });
            }
            Ok(claimed)
        })
    }

    fn complete(&self, id: &str, lease: u64) -> Result<bool, QueueError> {
        let id = id.to_owned();
        let lease = lease_column(lease)?;
        self.submit(move |tx| {
            tx.execute(
                "DELETE FROM events WHERE id = ?1 AND lease = ?2",
                params![id, lease],
            )
            .map(|n| n == 1)
            .map_err(backend)
        })
    }

    fn reschedule(&self, id: &str, lease: u64, attempts: u32, due_at_ms: i64) -> Result<bool, QueueError> {
        let id = id.to_owned();
        let lease = lease_column(lease)?;
        self.submit(move |tx| {
            tx.execute(
                "UPDATE events SET lease = NULL, attempts = ?3, due_at = ?4, available_at = ?4
                 WHERE id = ?1 AND lease = ?2",
                params![id, lease, attempts, due_at_ms],
            )
            .map(|n| n == 1)
            .map_err(backend)
        })
    }

    fn release_leases(&self) -> Result<usize, QueueError> {
        self.submit(|tx| {
            tx.execute(
                "UPDATE events SET lease = NULL, available_at = due_at WHERE lease IS NOT NULL",
                [],
            )
            .map_err(backend)
        })
    }

    fn next_due(&self) -> Result<Option<i64>, QueueError> {
        self.submit(|tx| {
            tx.query_row("SELECT MIN(available_at) FROM events", [], |r| r.get(0))
                .optional()
                .map(Option::flatten)
                .map_err(backend)
        })
    }

    fn list(&self, limit: usize) -> Result<Vec<QueuedEvent>, QueueError> {
        self.submit(move |tx| {
            let limit = i64::try_from(limit).unwrap_or(i64::MAX);
            let mut select = tx
                .prepare_cached(&format!(
                    "SELECT {EVENT_COLUMNS} FROM events ORDER BY id LIMIT ?1"
                ))
                .map_err(backend)?;
            select
                .query_map(params![limit], event_from_row)
                .and_then(Iterator::collect)
                .map_err(backend)
        })
    }

    fn count(&self) -> Result<usize, QueueError> {
        self.submit(|tx| {
            tx.query_row("SELECT COUNT(*) FROM events", [], |r| r.get::<_, i64>(0))
                .map(|n| usize::try_from(n).unwrap_or_default())
                .map_err(backend)
        })
    }
}
