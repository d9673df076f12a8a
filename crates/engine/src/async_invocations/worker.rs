//! The worker: claims due events from the queue, runs them, and completes or reschedules them.

use std::sync::Arc;
use std::time::Duration;

use lamina_execution::{ExecutionError, InvokeRequest};
use lamina_store::{ClaimedEvent, SubResourceKind};

use super::EventDocument;
use super::destinations::Condition;
use crate::event_invoke_configs::EventInvokeRecord;
use crate::sub_resources::function_key;
use crate::{Engine, EngineError};

/// How long a claim leases an event: longer than the longest function timeout (900 s), so a running
/// event is never handed out twice. A server ends its predecessor's leases at start.
const LEASE_MS: i64 = 16 * 60 * 1000;
/// The most events one claim takes.
const CLAIM_BATCH: usize = 64;
/// The longest the worker sleeps without looking at the queue.
const IDLE_POLL: Duration = Duration::from_secs(1);
/// Lambda's defaults: two retries of a function error, events kept for six hours.
const DEFAULT_RETRIES: u32 = 2;
const DEFAULT_MAX_AGE_S: i64 = 21_600;
/// Function errors are retried after about a minute, then two.
const FUNCTION_ERROR_DELAY: Duration = Duration::from_secs(60);
/// Throttles and platform failures: from 1 s, growing to at most 5 minutes.
const BACKOFF_MIN: Duration = Duration::from_secs(1);
const BACKOFF_MAX: Duration = Duration::from_secs(300);

/// Milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// The asynchronous invocation settings of the qualifier an event was invoked with.
#[derive(Debug, Clone, Default)]
pub(super) struct Settings {
    max_retries: u32,
    max_age_ms: i64,
    pub(super) on_success: Option<String>,
    pub(super) on_failure: Option<String>,
}

impl Settings {
    fn of(record: Option<EventInvokeRecord>) -> Settings {
        let record = record.unwrap_or_default();
        Settings {
            max_retries: record
                .maximum_retry_attempts
                .and_then(|n| u32::try_from(n).ok())
                .unwrap_or(DEFAULT_RETRIES),
            max_age_ms: record
                .maximum_event_age_in_seconds
                .unwrap_or(DEFAULT_MAX_AGE_S)
                .saturating_mul(1000),
            on_success: record.on_success.filter(|d| !d.is_empty()),
            on_failure: record.on_failure.filter(|d| !d.is_empty()),
        }
    }
}

/// What becomes of a claimed event.
enum Next {
    /// It ran (or can never run): gone from the queue.
    Done,
    /// It runs again later.
    Retry { attempts: u32, after: Duration },
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

impl Engine {
    /// Starts the worker of the event queue on the current runtime: ends the leases an earlier run left
    /// (this process holds the data directory's lock, so no other worker has them), then runs events as
    /// they come due. Returns how many events were waiting.
    pub async fn start_event_worker(&self) -> Result<usize, EngineError> {
        let queue = Arc::clone(&self.inner.events);
        let waiting = tokio::task::spawn_blocking(move || {
            queue.release_leases()?;
            queue.count()
        })
        .await
        .map_err(EngineError::task("reading the event queue"))??;
        let engine = self.clone();
        tokio::spawn(async move { engine.work_events().await });
        Ok(waiting)
    }

    /// Claims and runs events for as long as the runtime runs, at most `account_concurrency` at once
    /// (more would only be throttled).
    async fn work_events(self) {
        let slots = Arc::new(tokio::sync::Semaphore::new(
            usize::try_from(self.inner.account_concurrency.max(1)).unwrap_or(1),
        ));
        loop {
            let free = slots.available_permits();
            if free == 0 {
                // Wait for a running event to end.
                drop(Arc::clone(&slots).acquire_owned().await);
                continue;
            }
            let limit = free.min(CLAIM_BATCH);
            let queue = Arc::clone(&self.inner.events);
            let claimed = tokio::task::spawn_blocking(move || {
                let claimed = queue.claim(now_ms(), LEASE_MS, limit)?;
                let next = if claimed.len() < limit {
                    queue.next_due()?
                } else {
                    None
                };
                Ok::<_, lamina_store::QueueError>((claimed, next))
            })
            .await;
            let (claimed, next) = match claimed {
                Ok(Ok(claimed)) => claimed,
                Ok(Err(e)) => {
                    tracing::error!(error = %e, "cannot claim asynchronous invocations");
                    tokio::time::sleep(IDLE_POLL).await;
                    continue;
                }
                Err(e) => {
                    tracing::error!(error = %e, "the event queue's claim task failed");
                    tokio::time::sleep(IDLE_POLL).await;
                    continue;
                }
            };
            let full = claimed.len() == limit;
            for event in claimed {
                let Ok(slot) = Arc::clone(&slots).acquire_owned().await else {
                    return;
                };
                let engine = self.clone();
                tokio::spawn(async move {
                    engine.run_claimed(event).await;
                    drop(slot);
                });
            }
            if full {
                continue;
            }
            let wait = next.map_or(IDLE_POLL, |due| {
                Duration::from_millis(u64::try_from(due - now_ms()).unwrap_or(0)).min(IDLE_POLL)
            });
            if wait.is_zero() {
                continue;
            }
            tokio::select! {
                () = self.inner.event_wakeup.notified() => {}
                () = tokio::time::sleep(wait) => {}
            }
        }
    }

    /// Runs one claimed event and ends its lease.
    async fn run_claimed(&self, claimed: ClaimedEvent) {
        let next = self.attempt(&claimed).await;
        let queue = Arc::clone(&self.inner.events);
        let id = claimed.event.id.clone();
        let ended = tokio::task::spawn_blocking(move || match next {
            Next::Done => queue.complete(&claimed.event.id, claimed.lease),
            Next::Retry { attempts, after } => queue.reschedule(
                &claimed.event.id,
                claimed.lease,
                attempts,
                now_ms().saturating_add(millis(after)),
            ),
        })
        .await;
        match ended {
            Ok(Ok(true)) => {}
            Ok(Ok(false)) => {
                tracing::warn!(request_id = %id, "asynchronous invocation's lease ended before it finished");
            }
            Ok(Err(e)) => tracing::error!(request_id = %id, error = %e, "cannot update the event queue"),
            Err(e) => tracing::error!(request_id = %id, error = %e, "the event queue's update task failed"),
        }
    }

    /// The asynchronous invocation settings that apply to an event.
    async fn event_settings(&self, doc: &EventDocument) -> Settings {
        let key = function_key(
            &doc.scope(),
            &doc.function,
            SubResourceKind::EventInvokeConfig,
            doc.config_key(),
        );
        match self.sub_resource::<EventInvokeRecord>(key).await {
            Ok(stored) => Settings::of(stored.map(|s| s.doc)),
            Err(e) => {
                tracing::error!(function = %doc.function, error = %e, "cannot read the event invoke config; using the defaults");
                Settings::of(None)
            }
        }
    }

    /// Runs a claimed event once and decides what becomes of it.
    async fn attempt(&self, claimed: &ClaimedEvent) -> Next {
        let event = &claimed.event;
        let doc: EventDocument = match serde_json::from_str(&event.document) {
            Ok(doc) => doc,
            Err(e) => {
                tracing::error!(request_id = %event.id, error = %e, "asynchronous invocation dropped: its queue entry is unreadable");
                return Next::Done;
            }
        };
        let settings = self.event_settings(&doc).await;
        let age_ms = now_ms() - event.enqueued_at_ms;
        let backoff = self.retry_delay(
            Duration::from_millis(u64::try_from(age_ms).unwrap_or(0)).clamp(BACKOFF_MIN, BACKOFF_MAX),
        );
        if age_ms > settings.max_age_ms {
            tracing::warn!(
                request_id = %event.id,
                function = %doc.function,
                attempts = event.attempts,
                "asynchronous invocation dropped: older than its maximum event age ({} s)",
                settings.max_age_ms / 1000
            );
            self.deliver_failure(&settings, &doc, event, Condition::EventAgeExceeded, None)
                .await;
            return Next::Done;
        }
        let scope = doc.scope();
        let version = match self.routed(&scope, &doc.function, &doc.version).await {
            Ok(routed) => routed.pick(),
            Err(EngineError::NotFound(message)) => {
                tracing::warn!(request_id = %event.id, function = %doc.function, "asynchronous invocation dropped: {message}");
                return Next::Done;
            }
            Err(e) => {
                tracing::warn!(request_id = %event.id, function = %doc.function, error = %e, "asynchronous invocation not run yet; retrying");
                return Next::Retry {
                    attempts: event.attempts,
                    after: backoff,
                };
            }
        };
        let invoked_function_arn = match &doc.qualifier {
            Some(q) => format!("{}:{q}", version.function_arn),
            None => version.function_arn.clone(),
        };
        let request = InvokeRequest {
            request_id: event.id.clone(),
            payload: bytes::Bytes::from(event.payload.clone()),
            invoked_function_arn,
            client_context: None,
            tail: false,
            stream: None,
        };
        match self.inner.executor.invoke(&version, request).await {
            Ok(invoked) if !invoked.function_error => {
                let record = super::destinations::record(
                    &doc,
                    event,
                    Condition::Success,
                    event.attempts + 1,
                    Some(&invoked),
                );
                if let Some(destination) = &settings.on_success {
                    self.deliver(&doc, destination, record).await;
                }
                Next::Done
            }
            Ok(invoked) => {
                let attempts = event.attempts + 1;
                if attempts > settings.max_retries {
                    tracing::warn!(
                        request_id = %event.id,
                        function = %doc.function,
                        attempts,
                        "asynchronous invocation dropped: it failed on every attempt"
                    );
                    self.deliver_failure(
                        &settings,
                        &doc,
                        event,
                        Condition::RetriesExhausted,
                        Some(&invoked),
                    )
                    .await;
                    Next::Done
                } else {
                    tracing::info!(request_id = %event.id, function = %doc.function, attempts, "asynchronous invocation failed; it will be retried");
                    Next::Retry {
                        attempts,
                        after: self.retry_delay(FUNCTION_ERROR_DELAY * attempts),
                    }
                }
            }
            Err(ExecutionError::Throttled(reason)) => {
                tracing::debug!(request_id = %event.id, function = %doc.function, reason = reason.as_str(), "asynchronous invocation throttled; retrying");
                Next::Retry {
                    attempts: event.attempts,
                    after: backoff,
                }
            }
            Err(ExecutionError::Platform(message)) => {
                tracing::error!(request_id = %event.id, function = %doc.function, "asynchronous invocation not run: {message}; retrying");
                Next::Retry {
                    attempts: event.attempts,
                    after: backoff,
                }
            }
        }
    }

    /// A retry delay of Lambda's, scaled by the server's `async_retry_delay_scale`.
    fn retry_delay(&self, lambda: Duration) -> Duration {
        lambda.mul_f64(self.inner.async_retry_delay_scale)
    }
}
