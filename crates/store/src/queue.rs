//! The event queue's contract: queued asynchronous invocations, leases and the [`EventQueue`] trait.
//!
//! An event is acknowledged (202) only after [`EventQueue::enqueue`] returned, so it must be durable by
//! then. A worker *claims* due events, which leases them for a while: a claimed event is not handed out
//! again until its lease expires, and the worker ends the lease by completing the event (it is gone) or
//! rescheduling it (it comes back at a later due time). A worker that dies leaves leases that expire, so
//! every acknowledged event runs at least once; a server that knows no other worker can hold a lease (it
//! has the data directory's lock) ends them all at start with [`EventQueue::release_leases`].
//!
//! Times are milliseconds since the Unix epoch, always given by the caller, so the queue itself never
//! reads a clock and its checks can move time as they like.

/// One queued event as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedEvent {
    /// Unique in the queue (the invocation's request id).
    pub id: String,
    /// When it was accepted (for the maximum event age).
    pub enqueued_at_ms: i64,
    /// Not claimed before this time.
    pub due_at_ms: i64,
    /// How many times it ran and failed so far (the caller counts; the queue only stores it).
    pub attempts: u32,
    /// Everything about the invocation only the engine interprets (function, version, ...), as JSON.
    pub document: String,
    /// The event payload.
    pub payload: Vec<u8>,
}

/// A claimed event: the event and the token of its lease.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedEvent {
    /// The event as it was when claimed.
    pub event: QueuedEvent,
    /// What [`EventQueue::complete`] and [`EventQueue::reschedule`] must present: a later claim of the
    /// same event (after this lease expired) has another token, so a late worker changes nothing.
    pub lease: u64,
}

/// What can go wrong in an event queue.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    /// An event with this id is queued already.
    #[error("event {0} is already queued")]
    AlreadyExists(String),
    /// The backend failed (I/O, corruption, its writer gone).
    #[error("event queue failure: {0}")]
    Backend(String),
}

/// A durable queue of asynchronous invocations. Every method is atomic and, when it changes the queue,
/// durable before it returns `Ok`. Methods block (they do file I/O), so async callers run them on a
/// blocking thread; many concurrent callers should share the cost of one durable write (group commit).
pub trait EventQueue: Send + Sync {
    /// Adds `event` durably. Fails with [`QueueError::AlreadyExists`] if its id is queued.
    fn enqueue(&self, event: &QueuedEvent) -> Result<(), QueueError>;

    /// Claims up to `limit` events that are due at `now_ms` and not leased (or whose lease expired),
    /// earliest due first, leasing each until `now_ms + lease_ms`.
    fn claim(&self, now_ms: i64, lease_ms: i64, limit: usize) -> Result<Vec<ClaimedEvent>, QueueError>;

    /// Removes an event whose lease is still `lease`; `false` (and nothing changes) otherwise.
    fn complete(&self, id: &str, lease: u64) -> Result<bool, QueueError>;

    /// Ends the lease `lease` of an event, storing its attempt count and when it is due again; `false`
    /// (and nothing changes) if the event is gone or leased to another claim.
    fn reschedule(&self, id: &str, lease: u64, attempts: u32, due_at_ms: i64) -> Result<bool, QueueError>;

    /// Ends every lease (at start, by the only worker there is): the events are claimable at once.
    /// Returns how many were leased.
    fn release_leases(&self) -> Result<usize, QueueError>;

    /// When the next event can be claimed: the earliest due time of an unleased event or lease expiry
    /// (`None` when the queue is empty).
    fn next_due(&self) -> Result<Option<i64>, QueueError>;

    /// Up to `limit` queued events (leased or not), in id order.
    fn list(&self, limit: usize) -> Result<Vec<QueuedEvent>, QueueError>;

    /// How many events are queued (leased or not).
    fn count(&self) -> Result<usize, QueueError>;
}
