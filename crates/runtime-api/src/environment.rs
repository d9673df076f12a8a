//! The platform's side of one environment's Runtime API: the handoff of invocations to the bootstrap and
//! of results back, and the registry of extensions.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;
use tokio::sync::{Notify, mpsc, oneshot, watch};

/// What the environment's Runtime API tells the bootstrap about its function (the extension registration
/// answer carries it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvironmentInfo {
    /// The function's name.
    pub function_name: String,
    /// `$LATEST` or a version number.
    pub function_version: String,
    /// The function's `Handler` setting.
    pub handler: String,
}

impl EnvironmentInfo {
    /// The facts about a function version.
    pub fn new(function_name: &str, function_version: &str, handler: &str) -> Self {
        EnvironmentInfo {
            function_name: function_name.to_owned(),
            function_version: function_version.to_owned(),
            handler: handler.to_owned(),
        }
    }
}

/// One event for the bootstrap, with what `/next` sends along with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    /// The request id (a UUID on Lambda).
    pub request_id: String,
    /// The event, byte for byte as the caller sent it.
    pub payload: Bytes,
    /// The event's content type; `application/json` when `None` (awslambdaric decodes JSON only then).
    pub content_type: Option<String>,
    /// When the invocation times out, as milliseconds since the Unix epoch.
    pub deadline_ms: u64,
    /// The ARN the caller invoked.
    pub invoked_function_arn: String,
    /// The X-Ray trace header, if any.
    pub trace_id: Option<String>,
    /// The caller's client context as JSON (decoded from `X-Amz-Client-Context`).
    pub client_context: Option<String>,
    /// The Cognito identity as JSON.
    pub cognito_identity: Option<String>,
}

impl Invocation {
    /// An invocation with a deadline 3 seconds (Lambda's default timeout) from now and no optional headers.
    pub fn new(request_id: &str, payload: impl Into<Bytes>, invoked_function_arn: &str) -> Self {
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or_default();
        Invocation {
            request_id: request_id.to_owned(),
            payload: payload.into(),
            content_type: None,
            deadline_ms: now_ms + 3_000,
            invoked_function_arn: invoked_function_arn.to_owned(),
            trace_id: None,
            client_context: None,
            cognito_identity: None,
        }
    }
}

/// How the bootstrap answered an invocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// `POST /response`: the function's result.
    Response {
        /// The result bytes.
        body: Bytes,
        /// The content type the runtime gave, if any.
        content_type: Option<String>,
    },
    /// `POST /error`, or a chunked response whose trailers reported an error: a function error, passed
    /// to the caller as the payload with `X-Amz-Function-Error: Unhandled`.
    FunctionError {
        /// The error JSON (`{"errorMessage":..,"errorType":..}`).
        body: Bytes,
        /// The error type, from the body or else the header.
        error_type: String,
    },
    /// The runtime posted more than [`crate::wire::MAX_RESPONSE_BYTES`]; it was answered 413.
    ResponseTooLarge,
    /// The runtime's chunked body ended before its last chunk.
    Truncated,
    /// `POST /response` for a caller that takes the result as a stream: the body went to its
    /// [`ResponseSink`] as it arrived, and ended without an error.
    Streamed,
}

/// A piece of a result sent to a caller that takes it as a stream, as the runtime writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResponsePart {
    /// The result begins (sent once, first), with the content type the runtime gave.
    Head {
        /// The `Content-Type` of the runtime's `/response`, if any.
        content_type: Option<String>,
    },
    /// The next bytes of the result.
    Chunk(Bytes),
}

/// Where a streamed result goes: [`RuntimeApi::invoke_streaming`] sends the result's parts here while
/// the runtime writes them; the caller reads the receiving end. The outcome still ends the invocation
/// ([`Outcome::Streamed`], or the error that ended the stream).
#[derive(Debug, Clone)]
pub struct ResponseSink(mpsc::Sender<ResponsePart>);

/// How many parts may wait for a slow caller before the runtime's writes wait too.
const STREAM_DEPTH: usize = 16;

impl ResponseSink {
    /// A sink and the receiver its caller reads.
    pub fn channel() -> (ResponseSink, mpsc::Receiver<ResponsePart>) {
        let (sender, receiver) = mpsc::channel(STREAM_DEPTH);
        (ResponseSink(sender), receiver)
    }

    /// Sends `part`, waiting while the caller is behind; `false` when the caller is gone.
    pub(crate) async fn send(&self, part: ResponsePart) -> bool {
        self.0.send(part).await.is_ok()
    }
}

/// An error the runtime reported about itself (`/runtime/init/error`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorReport {
    /// The error type, e.g. `Runtime.ImportModuleError`.
    pub error_type: String,
    /// The error JSON as posted.
    pub body: Bytes,
}

/// Where the environment is in its init phase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lifecycle {
    /// The bootstrap has not asked for its first event yet (or an extension has not).
    Initializing,
    /// The runtime and every registered extension called their `next`: init is complete.
    Ready,
    /// The runtime posted `/runtime/init/error`.
    InitFailed(ErrorReport),
}

/// Why [`RuntimeApi::invoke`] did not produce an outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum InvokeError {
    /// The environment already has an invocation in flight: one at a time, as on Lambda.
    #[error("the environment is busy with another invocation")]
    Busy,
    /// The environment was shut down, or its init failed, before the bootstrap answered.
    #[error("the environment stopped before the runtime answered")]
    Closed,
}

/// Why an environment is shutting down, as the SHUTDOWN event says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShutdownReason {
    /// Idle environment reclaimed.
    Spindown,
    /// An invocation timed out.
    Timeout,
    /// The runtime failed.
    Failure,
}

impl ShutdownReason {
    fn as_str(self) -> &'static str {
        match self {
            ShutdownReason::Spindown => "spindown",
            ShutdownReason::Timeout => "timeout",
            ShutdownReason::Failure => "failure",
        }
    }
}

/// One environment's Runtime API state. Cheap to share (`Arc`); every method is safe to call from any
/// task.
#[derive(Debug)]
pub struct RuntimeApi {
    info: EnvironmentInfo,
    state: Mutex<State>,
    /// Wakes a `/next` long poll when an invocation is submitted.
    next_ready: Notify,
    lifecycle: watch::Sender<Lifecycle>,
    /// Whether the runtime is parked on `/next`, waiting for an event.
    polling: watch::Sender<bool>,
}

#[derive(Debug, Default)]
struct State {
    /// Submitted, not yet taken by `/next`.
    pending: Option<InFlight>,
    /// Handed to the runtime, not yet answered.
    current: Option<InFlight>,
    /// The request id of the last invocation answered (a second answer gets 403).
    last_answered: Option<String>,
    /// Request ids given up on (timed out): a late answer gets 410.
    abandoned: VecDeque<String>,
    runtime_polled: bool,
    /// Whether a `GET /next` is waiting for an event now: the environment's one consumer.
    next_waiting: bool,
    init_failed: bool,
    closed: bool,
    extensions: HashMap<String, Extension>,
}

/// An invocation, where its outcome goes, and where its result streams to if the caller takes a stream.
#[derive(Debug)]
struct InFlight {
    invocation: Invocation,
    reply: oneshot::Sender<Outcome>,
    sink: Option<ResponseSink>,
}

#[derive(Debug)]
struct Extension {
    name: String,
    subscribes_invoke: bool,
    subscribes_shutdown: bool,
    polled: bool,
    events: VecDeque<serde_json::Value>,
    wake: Arc<Notify>,
}

/// How many abandoned request ids are remembered for 410 answers.
const ABANDONED_MEMORY: usize = 16;

/// The answer the routes give to a runtime's result for an id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ResultVerdict {
    Accepted,
    UnknownId,
    AlreadyAnswered,
    TimedOut,
}

/// What `/next` should do.
#[derive(Debug)]
pub(crate) enum NextStep {
    Deliver(Invocation),
    Wait,
    InitFailed,
}

/// What an extension's `event/next` should do.
#[derive(Debug)]
pub(crate) enum ExtensionStep {
    Deliver(serde_json::Value),
    Wait(Arc<Notify>),
    Unknown,
}

/// Why an extension was not registered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RegisterError {
    Closed,
    TooMany,
    Duplicate,
}

impl RuntimeApi {
    /// A fresh environment, initializing, with no invocation.
    pub fn new(info: EnvironmentInfo) -> Arc<Self> {
        Arc::new(RuntimeApi {
            info,
            state: Mutex::new(State::default()),
            next_ready: Notify::new(),
            lifecycle: watch::Sender::new(Lifecycle::Initializing),
            polling: watch::Sender::new(false),
        })
    }

    /// The function facts this environment serves.
    pub fn info(&self) -> &EnvironmentInfo {
        &self.info
    }

    /// Follows the init phase: `Initializing` until the runtime (and every extension) first calls
    /// `next`, then `Ready`, or `InitFailed` when the runtime posted `/runtime/init/error`.
    pub fn lifecycle(&self) -> watch::Receiver<Lifecycle> {
        self.lifecycle.subscribe()
    }

    /// Whether the runtime is parked on `/next` now (see [`RuntimeApi::wait_until_polling`]).
    pub fn is_polling(&self) -> bool {
        *self.polling.borrow()
    }

    /// Resolves once the runtime is parked on `/next`: the previous invocation is complete (Lambda ends
    /// an invocation when the runtime asks for the next event) and the environment can take another.
    pub async fn wait_until_polling(&self) {
        let mut polling = self.polling.subscribe();
        // The sender lives as long as `self`, so this cannot fail while we hold `&self`.
        let _ = polling.wait_for(|p| *p).await;
    }

    /// Whether any extension registered: then the runtime gets SIGTERM before SIGKILL at shutdown.
    pub fn has_extensions(&self) -> bool {
        !self.lock().extensions.is_empty()
    }

    /// Hands `invocation` to the bootstrap and waits for its answer. Drop the future (for example on
    /// timeout) and call [`RuntimeApi::abandon`] to give up on it.
    pub async fn invoke(&self, invocation: Invocation) -> Result<Outcome, InvokeError> {
        self.submit(invocation, None).await
    }

    /// [`RuntimeApi::invoke`] for a caller that takes the result as a stream: the body of the runtime's
    /// `/response` goes to `sink` as it arrives (any body: aws-lambda-go streams without the mode
    /// header), and the outcome comes when it has ended.
    pub async fn invoke_streaming(
        &self,
        invocation: Invocation,
        sink: ResponseSink,
    ) -> Result<Outcome, InvokeError> {
        self.submit(invocation, Some(sink)).await
    }

    async fn submit(
        &self,
        invocation: Invocation,
        sink: Option<ResponseSink>,
    ) -> Result<Outcome, InvokeError> {
        let (reply, answer) = oneshot::channel();
        {
            let mut state = self.lock();
            if state.closed || state.init_failed {
                return Err(InvokeError::Closed);
            }
            if state.pending.is_some() || state.current.is_some() {
                return Err(InvokeError::Busy);
            }
            let event = invoke_event(&invocation);
            for extension in state.extensions.values_mut().filter(|e| e.subscribes_invoke) {
                extension.events.push_back(event.clone());
                extension.wake.notify_one();
            }
            state.pending = Some(InFlight {
                invocation,
                reply,
                sink,
            });
        }
        self.next_ready.notify_one();
        answer.await.map_err(|_| InvokeError::Closed)
    }

    /// Gives up on the invocation in flight (it timed out): a late answer from the runtime gets 410.
    pub fn abandon(&self) {
        let mut state = self.lock();
        let taken = state.current.take().or_else(|| state.pending.take());
        if let Some(in_flight) = taken {
            state.abandoned.push_back(in_flight.invocation.request_id);
            if state.abandoned.len() > ABANDONED_MEMORY {
                state.abandoned.pop_front();
            }
        }
    }

    /// Ends the environment's API: pending invocations fail with [`InvokeError::Closed`], and extensions
    /// subscribed to SHUTDOWN receive the event (give them their deadline before killing the process).
    pub fn shutdown(&self, reason: ShutdownReason, deadline_ms: u64) {
        let mut state = self.lock();
        state.closed = true;
        state.pending = None;
        state.current = None;
        let event = serde_json::json!({
            "eventType": "SHUTDOWN",
            "shutdownReason": reason.as_str(),
            "deadlineMs": deadline_ms,
        });
        for extension in state.extensions.values_mut().filter(|e| e.subscribes_shutdown) {
            extension.events.push_back(event.clone());
            extension.wake.notify_one();
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave the state half-updated in a way that matters more
        // than stopping every environment would.
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Makes the caller the one `GET /next` of this environment until the returned claim is dropped (the
    /// request answered, or its client gone, which drops the request's future); `None` while another
    /// `/next` waits: a second consumer never gets the event.
    pub(crate) fn claim_next(self: &Arc<Self>) -> Option<NextClaim> {
        let mut state = self.lock();
        if state.next_waiting {
            return None;
        }
        state.next_waiting = true;
        Some(NextClaim { api: self.clone() })
    }

    /// Called by `GET /next`.
    pub(crate) fn next_step(&self) -> NextStep {
        let mut state = self.lock();
        if state.init_failed {
            return NextStep::InitFailed;
        }
        if !state.runtime_polled {
            state.runtime_polled = true;
            self.update_lifecycle(&state);
        }
        // A second `/next` while an event is unanswered gets the same event again (the emulator's
        // behaviour; a runtime that lost its connection can carry on).
        if let Some(in_flight) = &state.current {
            return NextStep::Deliver(in_flight.invocation.clone());
        }
        match state.pending.take() {
            Some(in_flight) => {
                let delivered = in_flight.invocation.clone();
                state.current = Some(in_flight);
                self.polling.send_replace(false);
                NextStep::Deliver(delivered)
            }
            None => {
                self.polling.send_replace(true);
                NextStep::Wait
            }
        }
    }

    pub(crate) async fn wait_for_invocation(&self) {
        self.next_ready.notified().await
    }

    /// Whether a result for `request_id` would be accepted, without taking the invocation.
    pub(crate) fn check_result(&self, request_id: &str) -> ResultVerdict {
        let state = self.lock();
        Self::verdict(&state, request_id)
    }

    /// [`RuntimeApi::check_result`] for `/response`, with the sink to stream the body to when the caller
    /// takes a stream.
    pub(crate) fn check_response(&self, request_id: &str) -> Result<Option<ResponseSink>, ResultVerdict> {
        let state = self.lock();
        match Self::verdict(&state, request_id) {
            ResultVerdict::Accepted => Ok(state.current.as_ref().and_then(|c| c.sink.clone())),
            refused => Err(refused),
        }
    }

    fn verdict(state: &State, request_id: &str) -> ResultVerdict {
        match &state.current {
            Some(in_flight) if in_flight.invocation.request_id == request_id => ResultVerdict::Accepted,
            _ if state.last_answered.as_deref() == Some(request_id) => ResultVerdict::AlreadyAnswered,
            _ if state.abandoned.iter().any(|id| id == request_id) => ResultVerdict::TimedOut,
            _ => ResultVerdict::UnknownId,
        }
    }

    /// Delivers the runtime's answer for `request_id`, if it is the invocation in flight.
    pub(crate) fn complete(&self, request_id: &str, outcome: Outcome) -> ResultVerdict {
        let mut state = self.lock();
        let verdict = Self::verdict(&state, request_id);
        if verdict == ResultVerdict::Accepted
            && let Some(in_flight) = state.current.take()
        {
            state.last_answered = Some(request_id.to_owned());
            // The caller may have given up (timeout) in the meantime; then nobody needs the answer.
            let _ = in_flight.reply.send(outcome);
        }
        verdict
    }

    /// Called by `/runtime/init/error`.
    pub(crate) fn init_failed(&self, report: ErrorReport) {
        let mut state = self.lock();
        state.init_failed = true;
        state.pending = None;
        state.current = None;
        self.lifecycle.send_replace(Lifecycle::InitFailed(report));
    }

    pub(crate) fn register_extension(&self, name: &str, events: &[String]) -> Result<String, RegisterError> {
        let mut state = self.lock();
        if state.runtime_polled || state.closed {
            return Err(RegisterError::Closed);
        }
        if state.extensions.len() >= crate::wire::MAX_EXTENSIONS {
            return Err(RegisterError::TooMany);
        }
        if state.extensions.values().any(|e| e.name == name) {
            return Err(RegisterError::Duplicate);
        }
        let id = uuid::Uuid::new_v4().to_string();
        state.extensions.insert(
            id.clone(),
            Extension {
                name: name.to_owned(),
                subscribes_invoke: events.iter().any(|e| e == "INVOKE"),
                subscribes_shutdown: events.iter().any(|e| e == "SHUTDOWN"),
                polled: false,
                events: VecDeque::new(),
                wake: Arc::new(Notify::new()),
            },
        );
        Ok(id)
    }

    pub(crate) fn extension_step(&self, id: &str) -> ExtensionStep {
        let mut state = self.lock();
        let Some(extension) = state.extensions.get_mut(id) else {
            return ExtensionStep::Unknown;
        };
        let first_poll = !extension.polled;
        extension.polled = true;
        let step = match extension.events.pop_front() {
            Some(event) => ExtensionStep::Deliver(event),
            None => ExtensionStep::Wait(extension.wake.clone()),
        };
        if first_poll {
            self.update_lifecycle(&state);
        }
        step
    }

    fn update_lifecycle(&self, state: &State) {
        let ready = state.runtime_polled && state.extensions.values().all(|e| e.polled);
        if ready && *self.lifecycle.borrow() == Lifecycle::Initializing {
            self.lifecycle.send_replace(Lifecycle::Ready);
        }
    }
}

/// The one waiting `GET /next` of an environment (see [`RuntimeApi::claim_next`]).
#[derive(Debug)]
pub(crate) struct NextClaim {
    api: Arc<RuntimeApi>,
}

impl Drop for NextClaim {
    fn drop(&mut self) {
        let mut state = self.api.lock();
        state.next_waiting = false;
        // A runtime whose `/next` went away is not waiting for an event any more.
        self.api.polling.send_replace(false);
    }
}

fn invoke_event(invocation: &Invocation) -> serde_json::Value {
    let mut event = serde_json::json!({
        "eventType": "INVOKE",
        "deadlineMs": invocation.deadline_ms,
        "requestId": invocation.request_id,
        "invokedFunctionArn": invocation.invoked_function_arn,
    });
    if let Some(trace) = &invocation.trace_id {
        event["tracing"] = serde_json::json!({ "type": "X-Amzn-Trace-Id", "value": trace });
    }
    event
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api() -> Arc<RuntimeApi> {
        RuntimeApi::new(EnvironmentInfo::new("f", "$LATEST", "bootstrap"))
    }

    #[tokio::test]
    async fn hands_over_one_invocation_and_its_answer() {
        let api = api();
        let invoke = tokio::spawn({
            let api = api.clone();
            async move { api.invoke(Invocation::new("r1", b"{}".to_vec(), "arn")).await }
        });
        let delivered = loop {
            match api.next_step() {
                NextStep::Deliver(i) => break i,
                NextStep::Wait => api.wait_for_invocation().await,
                NextStep::InitFailed => panic!("init failed"),
            }
        };
        assert_eq!(delivered.request_id, "r1");
        assert_eq!(*api.lifecycle().borrow(), Lifecycle::Ready);
        let outcome = Outcome::Response {
            body: Bytes::from_static(b"ok"),
            content_type: None,
        };
        assert_eq!(api.complete("other", outcome.clone()), ResultVerdict::UnknownId);
        assert_eq!(api.complete("r1", outcome.clone()), ResultVerdict::Accepted);
        assert_eq!(
            api.complete("r1", outcome.clone()),
            ResultVerdict::AlreadyAnswered
        );
        assert_eq!(invoke.await.expect("join"), Ok(outcome));
    }

    #[tokio::test]
    async fn one_invocation_at_a_time_and_late_answers_after_abandon() {
        let api = api();
        let first = tokio::spawn({
            let api = api.clone();
            async move { api.invoke(Invocation::new("r1", b"{}".to_vec(), "arn")).await }
        });
        tokio::task::yield_now().await;
        while api.check_result("r1") != ResultVerdict::Accepted {
            if let NextStep::Wait = api.next_step() {
                api.wait_for_invocation().await;
            }
        }
        assert_eq!(
            api.invoke(Invocation::new("r2", b"{}".to_vec(), "arn")).await,
            Err(InvokeError::Busy)
        );
        api.abandon();
        assert_eq!(first.await.expect("join"), Err(InvokeError::Closed));
        let late = Outcome::Response {
            body: Bytes::new(),
            content_type: None,
        };
        assert_eq!(api.complete("r1", late), ResultVerdict::TimedOut);
    }

    #[test]
    fn extensions_register_only_during_init_and_hold_init_open() {
        let api = api();
        let id = api
            .register_extension("GoLangEnableSIGTERM", &[])
            .expect("registered");
        assert_eq!(
            api.register_extension("GoLangEnableSIGTERM", &[]),
            Err(RegisterError::Duplicate)
        );
        assert!(api.has_extensions());
        assert!(matches!(api.next_step(), NextStep::Wait));
        assert_eq!(
            *api.lifecycle().borrow(),
            Lifecycle::Initializing,
            "the extension has not polled yet"
        );
        assert!(matches!(api.extension_step(&id), ExtensionStep::Wait(_)));
        assert_eq!(*api.lifecycle().borrow(), Lifecycle::Ready);
        assert_eq!(api.register_extension("late", &[]), Err(RegisterError::Closed));
        assert!(matches!(api.extension_step("nope"), ExtensionStep::Unknown));
    }
}
