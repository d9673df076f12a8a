//! `lamina-bench queue`: the event queue of asynchronous invocations (`lamina_store::SqliteEventQueue`,
//! as `lamina serve` opens it in its data directory), on a file in a temporary directory on disk.
//!
//! - **Durable enqueue rate**: N threads each enqueue events of 100 bytes back to back for a few
//!   seconds; an enqueue returns only after the WAL commit that holds it was `fsync`ed (what Invoke waits
//!   for before its 202), so the rate is what group commit makes of the disk's sync latency.
//! - **Idle enqueue-to-claim latency**: one event at a time into an idle queue, and one thread that
//!   waits for it as the engine's worker does (woken when an enqueue returned, then a claim, itself a
//!   write that does not wait for an `fsync`); from the start of the enqueue to the claim's return, and
//!   from the enqueue's return (the 202) to the claim's return. An Invoke adds the HTTP
//!   request and the executor's start of a warm environment (see the invoke latency above).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use hdrhistogram::Histogram;
use lamina_store::{EventQueue, QueuedEvent, SqliteEventQueue};

fn event(id: String) -> QueuedEvent {
    QueuedEvent {
        id,
        enqueued_at_ms: 0,
        due_at_ms: 0,
        attempts: 0,
        document: r#"{"account":"000000000000","region":"us-east-1","function":"hello","version":"$LATEST","qualifier":null}"#.into(),
        payload: br#"{"name":"lamina","padding":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}"#.to_vec(),
    }
}

/// One line of the table: what, the rate (or nothing), and p50, p99 and max of `h` (µs).
fn row(what: &str, rate: &str, h: &Histogram<u64>) {
    println!(
        "| {what} | {rate} | {} µs | {} µs | {} µs |",
        h.value_at_quantile(0.5),
        h.value_at_quantile(0.99),
        h.max()
    );
}

/// Enqueues from `threads` threads for `seconds`; prints the rate and the per-enqueue latency.
fn enqueue_rate(queue: &Arc<SqliteEventQueue>, threads: usize, seconds: u64) -> Result<()> {
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let workers: Vec<_> = (0..threads)
        .map(|t| {
            let (queue, stop, done) = (Arc::clone(queue), Arc::clone(&stop), Arc::clone(&done));
            std::thread::spawn(move || -> Result<Histogram<u64>> {
                let mut latency = Histogram::<u64>::new(3)?;
                let mut i = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let t0 = Instant::now();
                    queue.enqueue(&event(format!("{threads}-{t}-{i}")))?;
                    latency.record(u64::try_from(t0.elapsed().as_micros()).unwrap_or(u64::MAX))?;
                    done.fetch_add(1, Ordering::Relaxed);
                    i += 1;
                }
                Ok(latency)
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs(seconds));
    stop.store(true, Ordering::Relaxed);
    let mut latency = Histogram::<u64>::new(3)?;
    for w in workers {
        latency.add(
            w.join()
                .map_err(|_| anyhow::anyhow!("enqueue thread panicked"))??,
        )?;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let n = done.load(Ordering::Relaxed);
    #[allow(clippy::cast_precision_loss)]
    let rate = n as f64 / elapsed;
    row(
        &format!("durable enqueue, {threads} threads"),
        &format!("{rate:.0} events/s"),
        &latency,
    );
    Ok(())
}

/// What the claiming thread is told.
enum Signal {
    Idle,
    Sent(Instant),
    Stop,
}

/// One event at a time into an idle queue, claimed by a waiting thread.
fn enqueue_to_claim(queue: &Arc<SqliteEventQueue>, samples: u64) -> Result<()> {
    let wakeup = Arc::new((Mutex::new(Signal::Idle), Condvar::new()));
    let (claims, claimed) = std::sync::mpsc::channel::<Duration>();
    let consumer = {
        let (queue, wakeup) = (Arc::clone(queue), Arc::clone(&wakeup));
        std::thread::spawn(move || -> Result<()> {
            loop {
                let (lock, cvar) = &*wakeup;
                let mut signal = lock.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
                while matches!(*signal, Signal::Idle) {
                    signal = cvar.wait(signal).map_err(|_| anyhow::anyhow!("poisoned"))?;
                }
                let t0 = match std::mem::replace(&mut *signal, Signal::Idle) {
                    Signal::Sent(t0) => t0,
                    Signal::Stop | Signal::Idle => return Ok(()),
                };
                drop(signal);
                let got = queue.claim(i64::MAX / 2, 60_000, 16)?;
                let elapsed = t0.elapsed();
                for c in got {
                    queue.complete(&c.event.id, c.lease)?;
                }
                claims.send(elapsed)?;
            }
        })
    };
    let signal = |s: Signal| -> Result<()> {
        let (lock, cvar) = &*wakeup;
        *lock.lock().map_err(|_| anyhow::anyhow!("poisoned"))? = s;
        cvar.notify_one();
        Ok(())
    };
    let mut latency = Histogram::<u64>::new(3)?;
    let mut after_ack = Histogram::<u64>::new(3)?;
    for i in 0..samples {
        let t0 = Instant::now();
        queue.enqueue(&event(format!("idle-{i}")))?;
        let acknowledged = t0.elapsed();
        signal(Signal::Sent(t0))?;
        let elapsed = claimed.recv().context("the claiming thread stopped")?;
        latency.record(u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX))?;
        after_ack.record(u64::try_from((elapsed - acknowledged).as_micros()).unwrap_or(u64::MAX))?;
        std::thread::sleep(Duration::from_millis(5));
    }
    signal(Signal::Stop)?;
    consumer
        .join()
        .map_err(|_| anyhow::anyhow!("claiming thread panicked"))??;
    row(
        &format!("idle enqueue-to-claim, {samples} events (from the enqueue's start)"),
        "",
        &latency,
    );
    row(
        "idle acknowledged-to-claim (from the enqueue's return, the 202)",
        "",
        &after_ack,
    );
    Ok(())
}

/// Measures and prints a table.
pub(crate) fn run(seconds: u64) -> Result<()> {
    let dir = tempfile::tempdir().context("temporary directory")?;
    let queue = Arc::new(SqliteEventQueue::open(&dir.path().join("events.db"))?);
    println!("| queue (`{}`) | rate | p50 | p99 | max |", dir.path().display());
    println!("|---|---:|---:|---:|---:|");
    for threads in [1, 16, 64, 256] {
        enqueue_rate(&queue, threads, seconds)?;
    }
    drop(queue);
    let idle = Arc::new(SqliteEventQueue::open(&dir.path().join("idle.db"))?);
    enqueue_to_claim(&idle, 500)?;
    Ok(())
}
