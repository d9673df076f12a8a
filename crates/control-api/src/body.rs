//! Receiving request bodies without letting clients hold the server's memory or connections hostage.
//!
//! Every body is received here, once, before any handler runs (the authentication layer hashes it on
//! the way for SigV4). Three rules bound what a client can make the server hold:
//!
//! - **Time.** A body must keep arriving: no gap longer than [`Uploads::idle_timeout`] between two
//!   pieces, and, after [`Uploads::grace`], at least [`Uploads::min_rate`] bytes per second on
//!   average. A client too slow for either is answered 408 and the connection is closed. (The request
//!   line and headers have their own limit, in the HTTP server.)
//! - **Memory while receiving.** A small body is kept in memory; a body larger than
//!   [`Uploads::in_memory_max`], or any body once the memory budget is spent, is written to an unnamed
//!   file in [`Uploads::spool_dir`] as it arrives. So a stalled upload costs disk, not memory, and a
//!   crash leaves nothing behind (the file has no name).
//! - **Memory once received.** A spooled body is read into memory only when its handler is about to use
//!   it, and only when the budget has room for it: bodies then wait their turn. The budget
//!   ([`Uploads::memory_budget`]) counts every body held in memory, until the handler drops it.

use std::io::{Read, Seek, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use http_body_util::BodyExt;
use sha2::{Digest, Sha256};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::error::ApiError;

/// How request bodies are received (see the module documentation).
#[derive(Debug, Clone)]
pub struct Uploads {
    /// Where bodies over [`Uploads::in_memory_max`] are written as they arrive (unnamed files).
    pub spool_dir: PathBuf,
    /// The longest gap allowed between two pieces of a body.
    pub idle_timeout: Duration,
    /// Bytes per second a body must average once [`Uploads::grace`] has passed.
    pub min_rate: u64,
    /// How long a body may take before the rate counts.
    pub grace: Duration,
    /// Bodies up to this size are received in memory (while the budget has room).
    pub in_memory_max: u64,
    /// Memory all bodies together may hold; at least the largest body an operation takes.
    pub memory_budget: u64,
    budget: Arc<Semaphore>,
}

/// The budget's unit: one permit per KiB.
const UNIT: u64 = 1024;

impl Uploads {
    /// The defaults: 20 s gaps at most, 16 KiB/s on average after 10 s, bodies over 1 MiB spooled to
    /// `spool_dir`, 192 MiB for all bodies in memory together (two of the largest CreateFunction
    /// bodies, and room for many small ones).
    pub fn new(spool_dir: PathBuf) -> Uploads {
        Uploads::with_budget(spool_dir, 192 * 1024 * 1024)
    }

    /// The defaults with another memory budget (raised to the largest body an operation takes).
    pub fn with_budget(spool_dir: PathBuf, memory_budget: u64) -> Uploads {
        let memory_budget = memory_budget.max(lamina_engine::REQUEST_MAX_BYTES);
        Uploads {
            spool_dir,
            idle_timeout: Duration::from_secs(20),
            min_rate: 16 * 1024,
            grace: Duration::from_secs(10),
            in_memory_max: 1024 * 1024,
            memory_budget,
            budget: Arc::new(Semaphore::new(permits(memory_budget))),
        }
    }
}

fn permits(bytes: u64) -> usize {
    usize::try_from(bytes.div_ceil(UNIT)).unwrap_or(usize::MAX)
}

/// A received body: its length, its SHA-256 (hex) when asked for, and its bytes unless it was larger
/// than the caller keeps.
pub(crate) struct Received {
    pub(crate) len: u64,
    pub(crate) sha256: Option<String>,
    pub(crate) kept: Option<Bytes>,
}

/// Where the body goes while it arrives.
enum Sink {
    Memory {
        first: Option<Bytes>,
        rest: Vec<u8>,
        permit: Option<OwnedSemaphorePermit>,
    },
    Spool(std::fs::File),
    /// Over the size kept: only counted (and hashed).
    Discard,
}

/// Receives `body` under the rules of `uploads`: bodies over `keep_max` bytes are hashed (when `hash`)
/// and counted but not kept, and past `read_max` reading stops.
pub(crate) async fn receive(
    mut body: Body,
    uploads: &Uploads,
    hash: bool,
    keep_max: u64,
    read_max: u64,
) -> Result<Received, ApiError> {
    let started = Instant::now();
    let mut hasher = hash.then(Sha256::new);
    let mut len: u64 = 0;
    let mut sink = Sink::Memory {
        first: None,
        rest: Vec::new(),
        permit: None,
    };
    loop {
        let frame = match tokio::time::timeout(uploads.idle_timeout, body.frame()).await {
            Err(_) => {
                return Err(ApiError::SlowBody(format!(
                    "no part of the request body arrived for {} s",
                    uploads.idle_timeout.as_secs()
                )));
            }
            Ok(None) => break,
            Ok(Some(frame)) => {
                frame.map_err(|e| ApiError::BadRequest(format!("could not read the request body: {e}")))?
            }
        };
        let Ok(data) = frame.into_data() else { continue };
        len += data.len() as u64;
        if let Some(hasher) = &mut hasher {
            hasher.update(&data);
        }
        check_rate(uploads, started, len)?;
        if len > keep_max {
            sink = Sink::Discard;
        }
        sink = match sink {
            Sink::Discard if len > read_max => break,
            Sink::Discard => Sink::Discard,
            Sink::Spool(file) => Sink::Spool(append(uploads, file, data).await?),
            Sink::Memory {
                mut first,
                mut rest,
                mut permit,
            } => {
                let held = first.as_ref().map_or(0, Bytes::len) + rest.len() + data.len();
                match (held as u64 <= uploads.in_memory_max)
                    .then(|| grow(&uploads.budget, &mut permit, held as u64))
                    .flatten()
                {
                    Some(()) => {
                        match first.take() {
                            None if rest.is_empty() => first = Some(data),
                            None => rest.extend_from_slice(&data),
                            Some(earlier) => {
                                rest.reserve(earlier.len() + data.len());
                                rest.extend_from_slice(&earlier);
                                rest.extend_from_slice(&data);
                            }
                        }
                        Sink::Memory { first, rest, permit }
                    }
                    // Too large, or no room in the budget: to disk, with what came so far.
                    None => {
                        let file = spool(uploads).await?;
                        let file = match first {
                            Some(earlier) => append(uploads, file, earlier).await?,
                            None => append(uploads, file, Bytes::from(rest)).await?,
                        };
                        Sink::Spool(append(uploads, file, data).await?)
                    }
                }
            }
        };
    }
    let kept = match sink {
        Sink::Discard => None,
        Sink::Memory { first, rest, permit } => {
            // A body in one piece is handed on as the piece it came in, never copied.
            let bytes = first.unwrap_or_else(|| Bytes::from(rest));
            Some(match permit {
                Some(permit) => Bytes::from_owner(Held {
                    bytes,
                    _permit: permit,
                }),
                None => bytes,
            })
        }
        Sink::Spool(file) => Some(load(uploads, file, len).await?),
    };
    Ok(Received {
        len,
        sha256: hasher.map(|h| hex::encode(h.finalize())),
        kept,
    })
}

/// A body in memory and its share of the budget, given back when the last reference is dropped.
struct Held {
    bytes: Bytes,
    _permit: OwnedSemaphorePermit,
}

impl AsRef<[u8]> for Held {
    fn as_ref(&self) -> &[u8] {
        &self.bytes
    }
}

/// Takes more of the budget for a body now `held` bytes long, if the budget has room right now.
fn grow(budget: &Arc<Semaphore>, permit: &mut Option<OwnedSemaphorePermit>, held: u64) -> Option<()> {
    let have = permit.as_ref().map_or(0, OwnedSemaphorePermit::num_permits);
    let want = permits(held);
    if want > have {
        let more = Arc::clone(budget)
            .try_acquire_many_owned(u32::try_from(want - have).ok()?)
            .ok()?;
        match permit {
            Some(p) => p.merge(more),
            None => *permit = Some(more),
        }
    }
    Some(())
}

fn check_rate(uploads: &Uploads, started: Instant, len: u64) -> Result<(), ApiError> {
    let elapsed = started.elapsed();
    let Some(counted) = elapsed.checked_sub(uploads.grace) else {
        return Ok(());
    };
    let required = (uploads.min_rate as f64 * counted.as_secs_f64()) as u64;
    if len < required {
        return Err(ApiError::SlowBody(format!(
            "the request body arrived at {} bytes/s, below the {} bytes/s required after the first {} s",
            (len as f64 / elapsed.as_secs_f64()) as u64,
            uploads.min_rate,
            uploads.grace.as_secs()
        )));
    }
    Ok(())
}

/// A failure of the spool directory: a full disk is said as such (the client's request was fine); any
/// other failure is for the log.
fn spool_error(uploads: &Uploads, e: std::io::Error) -> ApiError {
    if lamina_engine::is_out_of_space(&e) {
        return lamina_engine::out_of_space(&uploads.spool_dir, &e).into();
    }
    ApiError::Spool(format!(
        "cannot keep the request body in {}: {e}",
        uploads.spool_dir.display()
    ))
}

/// A new unnamed file in the spool directory.
async fn spool(uploads: &Uploads) -> Result<std::fs::File, ApiError> {
    let dir = uploads.spool_dir.clone();
    tokio::task::spawn_blocking(move || {
        std::fs::create_dir_all(&dir)?;
        tempfile::tempfile_in(&dir)
    })
    .await
    .map_err(|e| ApiError::Spool(format!("the spooling task failed: {e}")))?
    .map_err(|e| spool_error(uploads, e))
}

async fn append(uploads: &Uploads, mut file: std::fs::File, data: Bytes) -> Result<std::fs::File, ApiError> {
    tokio::task::spawn_blocking(move || file.write_all(&data).map(|()| file))
        .await
        .map_err(|e| ApiError::Spool(format!("the spooling task failed: {e}")))?
        .map_err(|e| spool_error(uploads, e))
}

/// Reads a spooled body into memory once the budget has room for it (waiting for other bodies to be
/// dropped if needed).
async fn load(uploads: &Uploads, mut file: std::fs::File, len: u64) -> Result<Bytes, ApiError> {
    let wanted = u32::try_from(permits(len)).unwrap_or(u32::MAX);
    let permit = Arc::clone(&uploads.budget)
        .acquire_many_owned(wanted)
        .await
        .map_err(|e| ApiError::Spool(format!("the body budget is closed: {e}")))?;
    let bytes = tokio::task::spawn_blocking(move || -> std::io::Result<Vec<u8>> {
        file.rewind()?;
        let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
        file.read_to_end(&mut bytes)?;
        Ok(bytes)
    })
    .await
    .map_err(|e| ApiError::Spool(format!("the spooling task failed: {e}")))?
    .map_err(|e| spool_error(uploads, e))?;
    Ok(Bytes::from_owner(Held {
        bytes: Bytes::from(bytes),
        _permit: permit,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uploads(dir: &std::path::Path) -> Uploads {
        let mut uploads = Uploads::with_budget(dir.to_path_buf(), 0);
        uploads.in_memory_max = 8;
        uploads
    }

    /// A body sent in `parts`, one frame each, as a client writing them one after another would; after
    /// the parts, it ends (`stall`: never ends and sends nothing more).
    struct Parts {
        parts: std::collections::VecDeque<Bytes>,
        stall: bool,
    }

    impl axum::body::HttpBody for Parts {
        type Data = Bytes;
        type Error = std::io::Error;

        fn poll_frame(
            mut self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, std::io::Error>>> {
            match self.parts.pop_front() {
                Some(part) => std::task::Poll::Ready(Some(Ok(http_body::Frame::data(part)))),
                None if self.stall => std::task::Poll::Pending,
                None => std::task::Poll::Ready(None),
            }
        }
    }

    fn chunks(parts: &[&'static [u8]]) -> Body {
        Body::new(Parts {
            parts: parts.iter().map(|p| Bytes::from_static(p)).collect(),
            stall: false,
        })
    }

    #[tokio::test]
    async fn small_bodies_stay_in_memory_and_large_ones_are_spooled_and_hashed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let uploads = uploads(dir.path());
        let small = receive(chunks(&[b"abc", b"de"]), &uploads, true, 100, 100)
            .await
            .expect("small");
        assert_eq!(small.kept.as_deref(), Some(&b"abcde"[..]));
        assert_eq!(small.len, 5);
        assert_eq!(
            small.sha256.as_deref(),
            Some(hex::encode(Sha256::digest(b"abcde")).as_str())
        );

        let large = receive(chunks(&[b"0123", b"4567", b"89"]), &uploads, false, 100, 100)
            .await
            .expect("large");
        assert_eq!(large.kept.as_deref(), Some(&b"0123456789"[..]));
        assert_eq!(large.sha256, None);
        // Spooled files have no name: nothing is left in the directory.
        assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 0);

        let over = receive(chunks(&[b"0123456789", b"0123456789"]), &uploads, true, 12, 100)
            .await
            .expect("over");
        assert!(over.kept.is_none());
        assert_eq!(over.len, 20);
    }

    #[tokio::test]
    async fn a_body_in_one_piece_is_handed_on_without_a_copy() {
        let dir = tempfile::tempdir().expect("tempdir");
        let uploads = uploads(dir.path());
        let piece = Bytes::from(b"{\"a\":1}".to_vec());
        let received = receive(Body::from(piece.clone()), &uploads, true, 100, 100)
            .await
            .expect("received");
        let kept = received.kept.expect("kept");
        assert_eq!(kept, piece);
        assert_eq!(kept.as_ptr(), piece.as_ptr(), "the same buffer, not a copy");
    }

    #[tokio::test]
    async fn the_budget_is_held_until_the_body_is_dropped() {
        let dir = tempfile::tempdir().expect("tempdir");
        let uploads = uploads(dir.path());
        let all = uploads.budget.available_permits();
        let large = receive(
            chunks(&[b"0123456789", b"0123456789", b"0123456789"]),
            &uploads,
            false,
            100,
            100,
        )
        .await
        .expect("large");
        assert!(uploads.budget.available_permits() < all);
        drop(large);
        assert_eq!(uploads.budget.available_permits(), all);
    }

    #[tokio::test(start_paused = true)]
    async fn a_stalled_body_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let uploads = uploads(dir.path());
        let body = Body::new(Parts {
            parts: [Bytes::from_static(b"01234")].into(),
            stall: true,
        });
        let received = receive(body, &uploads, false, 100, 100).await;
        assert!(
            matches!(received, Err(ApiError::SlowBody(_))),
            "{:?}",
            received.err()
        );
    }
}
