//! Asynchronous (`Event`) invocations: durable from the 202 on, retried and delivered as Lambda does.
//!
//! - `Engine::enqueue_event` (called by Invoke) writes the event to the store's
//!   [`EventQueue`](lamina_store::EventQueue) before Invoke answers 202; the version it runs is resolved
//!   then (an alias's weights are applied at enqueue time, as on Lambda).
//! - `worker` claims due events and runs them through the executor, applying the event invoke config of
//!   the qualifier the caller invoked (`MaximumRetryAttempts`, `MaximumEventAgeInSeconds`): function
//!   errors are retried after about one minute, then two; throttles and platform failures with
//!   exponential backoff (1 s to 5 min) until the event's maximum age.
//! - `destinations` sends the invocation record to `OnSuccess` / `OnFailure` (a lamina function, invoked
//!   asynchronously) and says in the log what it cannot deliver (SQS, SNS, EventBridge, S3 and the
//!   function's `DeadLetterConfig`).

mod destinations;
mod worker;

use serde::{Deserialize, Serialize};

use crate::names::Scope;
use crate::{Engine, EngineError};

pub(crate) use worker::now_ms;

/// What the engine stores about a queued event besides its payload (the queue row's document).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct EventDocument {
    pub(crate) account: String,
    pub(crate) region: String,
    /// The function name.
    pub(crate) function: String,
    /// The version it runs (`$LATEST` or a number), resolved at enqueue time.
    pub(crate) version: String,
    /// The qualifier the caller invoked (a version or an alias), if any: its event invoke config applies
    /// and the function's context reports it in its ARN.
    pub(crate) qualifier: Option<String>,
}

impl EventDocument {
    pub(crate) fn scope(&self) -> Scope {
        Scope {
            region: self.region.clone(),
            account: self.account.clone(),
        }
    }

    /// The key of the event invoke config that applies (`$LATEST` for an unqualified invoke).
    pub(crate) fn config_key(&self) -> &str {
        self.qualifier.as_deref().unwrap_or("$LATEST")
    }
}

impl Engine {
    /// Queues an asynchronous invocation durably: when this returns `Ok`, the event survives a crash.
    pub(crate) async fn enqueue_event(
        &self,
        request_id: String,
        payload: Vec<u8>,
        document: &EventDocument,
    ) -> Result<(), EngineError> {
        let now = now_ms();
        let event = lamina_store::QueuedEvent {
            id: request_id,
            enqueued_at_ms: now,
            due_at_ms: now,
            attempts: 0,
            document: serde_json::to_string(document)?,
            payload,
        };
        let queue = std::sync::Arc::clone(&self.inner.events);
        tokio::task::spawn_blocking(move || queue.enqueue(&event))
            .await
            .map_err(EngineError::task("enqueueing an event"))??;
        self.inner.event_wakeup.notify_one();
        Ok(())
    }
}
