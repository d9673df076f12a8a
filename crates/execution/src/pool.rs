//! The [`Executor`]: pools of warm environments, concurrency accounting and the reaper. Provisioned
//! environments (started ahead of invocations and kept) are in `provisioned`.

mod provisioned;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::Bytes;
use lamina_runtime_api::{Invocation, ResponseSink, ShutdownReason};

use crate::environment::{Environment, InitFailure, InitPhase, write_event};
use crate::isolation::Isolation;
use crate::logging::{Event, Status};
use crate::platform_error;
use crate::spec::FunctionVersion;
use lamina_logs::{LogLimits, LogStore, LogStream};

use provisioned::Provisioned;
pub use provisioned::{Provision, ProvisionedState};

/// How long a warm environment's runtime may take to come back to `/next` after its last answer
/// before the environment is given up.
const NEXT_PATIENCE: Duration = Duration::from_secs(2);

/// How an [`Executor`] runs environments.
#[derive(Debug, Clone)]
pub struct ExecutorConfig {
    /// Where log streams are written.
    pub log_dir: PathBuf,
    /// Log rotation limits.
    pub log_limits: LogLimits,
    /// Concurrent executions allowed in the account (Lambda's default quota: 1,000).
    pub account_concurrency: u32,
    /// An environment idle this long is shut down.
    pub idle_timeout: Duration,
    /// Longest an init may take (Lambda: 10 s for on-demand environments).
    pub init_timeout: Duration,
    /// How environments are isolated (default: plain processes).
    pub isolation: Isolation,
    /// What environments get of the platform: session credentials, and its API if offered (default:
    /// nothing).
    pub platform: Option<crate::PlatformAccess>,
}

impl ExecutorConfig {
    /// Lambda's defaults, with logs under `log_dir`.
    pub fn new(log_dir: PathBuf) -> Self {
        ExecutorConfig {
            log_dir,
            log_limits: LogLimits::default(),
            account_concurrency: 1000,
            idle_timeout: Duration::from_secs(600),
            init_timeout: Duration::from_secs(10),
            isolation: Isolation::default(),
            platform: None,
        }
    }
}

/// One synchronous invocation.
#[derive(Debug, Clone, Default)]
pub struct InvokeRequest {
    /// The request id (a fresh UUID when empty).
    pub request_id: String,
    /// The event.
    pub payload: Bytes,
    /// The ARN as the caller invoked it (qualified or not).
    pub invoked_function_arn: String,
    /// The client context as JSON, already base64-decoded.
    pub client_context: Option<String>,
    /// Keep the last 4 KB of the invocation's log (`X-Amz-Log-Type: Tail`).
    pub tail: bool,
    /// Where the result goes as the function writes it, when the caller takes it as a stream; the
    /// [`Invoked`] then carries only how it ended (an empty payload, or the error).
    pub stream: Option<ResponseSink>,
}

/// The result of an invocation that ran (or failed once the platform took it on).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invoked {
    /// The request id.
    pub request_id: String,
    /// The response, or the error JSON.
    pub payload: Bytes,
    /// Whether `payload` is an error (`X-Amz-Function-Error: Unhandled`).
    pub function_error: bool,
    /// The last 4 KB of the invocation's log, when asked for.
    pub log_tail: Option<Vec<u8>>,
}

/// Throttling reasons, as `TooManyRequestsException.Reason` names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThrottleReason {
    /// The account's unreserved concurrency is exhausted.
    ConcurrentInvocationLimitExceeded,
    /// The function's reserved concurrency is exhausted (or zero).
    ReservedFunctionConcurrentInvocationLimitExceeded,
}

impl ThrottleReason {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            ThrottleReason::ConcurrentInvocationLimitExceeded => "ConcurrentInvocationLimitExceeded",
            ThrottleReason::ReservedFunctionConcurrentInvocationLimitExceeded => {
                "ReservedFunctionConcurrentInvocationLimitExceeded"
            }
        }
    }
}

/// Why an invocation was not run. Both happen before the function starts, so a client may retry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExecutionError {
    /// Over the account's or the function's concurrency.
    #[error("Rate Exceeded.")]
    Throttled(ThrottleReason),
    /// The platform could not start an environment (no port, no log file).
    #[error("{0}")]
    Platform(String),
}

/// Runs invocations in pools of execution environments. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Executor {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: ExecutorConfig,
    logs: LogStore,
    state: Mutex<State>,
    reaper_started: std::sync::Once,
}

#[derive(Debug, Default)]
struct State {
    /// Idle environments by pool key, most recently used last.
    idle: HashMap<String, Vec<Environment>>,
    /// The newest revision seen per function version: environments of older ones are not reused.
    current_revision: HashMap<String, String>,
    /// Reserved concurrency per function ARN.
    reserved: HashMap<String, u32>,
    /// In-flight invocations per function ARN.
    running: HashMap<String, u32>,
    /// In-flight invocations of functions without reserved concurrency, outside provisioned
    /// environments.
    running_unreserved: u32,
    /// Provisioned environments by function version (`<function ARN>:<version>`).
    provisioned: HashMap<String, Provisioned>,
}

/// A held unit of concurrency, given back on drop.
struct Slot {
    inner: Arc<Inner>,
    function_arn: String,
    /// Whether it counts in `running_unreserved`.
    unreserved: bool,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut state = self.inner.lock();
        if let Some(n) = state.running.get_mut(&self.function_arn) {
            *n = n.saturating_sub(1);
        }
        if self.unreserved {
            state.running_unreserved = state.running_unreserved.saturating_sub(1);
        }
    }
}

impl Executor {
    /// An executor with no environments yet.
    pub fn new(config: ExecutorConfig) -> Self {
        let logs = LogStore::new(config.log_dir.clone(), config.log_limits);
        Executor {
            inner: Arc::new(Inner {
                config,
                logs,
                state: Mutex::default(),
                reaper_started: std::sync::Once::new(),
            }),
        }
    }

    /// How environments are isolated.
    pub fn isolation(&self) -> &Isolation {
        &self.inner.config.isolation
    }

    /// The log streams.
    pub fn logs(&self) -> &LogStore {
        &self.inner.logs
    }

    /// Records a function's reserved concurrency (`None` to remove it).
    pub fn set_reserved_concurrency(&self, function_arn: &str, reserved: Option<u32>) {
        let mut state = self.inner.lock();
        match reserved {
            Some(n) => state.reserved.insert(function_arn.to_owned(), n),
            None => state.reserved.remove(function_arn),
        };
    }

    /// Runs one invocation of `version`: in one of its provisioned environments if one is free, else
    /// in an idle environment if there is one, else in a new one.
    pub async fn invoke(
        &self,
        version: &FunctionVersion,
        request: InvokeRequest,
    ) -> Result<Invoked, ExecutionError> {
        self.start_reaper();
        self.set_reserved_concurrency(&version.function_arn, version.reserved_concurrency);
        let provisioned = self.take_provisioned(version).await;
        let _slot = match self.acquire(&version.function_arn, provisioned.is_some()) {
            Ok(slot) => slot,
            Err(throttled) => {
                if let Some((environment, ticket)) = provisioned {
                    self.give_back(ticket, environment, true).await;
                }
                return Err(throttled);
            }
        };
        let request_id = if request.request_id.is_empty() {
            uuid::Uuid::new_v4().to_string()
        } else {
            request.request_id.clone()
        };
        let key = version.pool_key();
        let (mut environment, ticket) = match provisioned {
            Some((environment, ticket)) => (environment, Some(ticket)),
            None => match self.take_ready(version, &key).await {
                Some(environment) => (environment, None),
                None => match self.start_environment(version).await {
                    Ok(environment) => (environment, None),
                    Err((failure, log)) => {
                        return self.failed_start(version, &request, request_id, failure, log);
                    }
                },
            },
        };
        if request.tail {
            environment.log().begin_capture();
        }
        let mut invocation = Invocation::new(
            &request_id,
            request.payload.clone(),
            &request.invoked_function_arn,
        );
        invocation.client_context = request.client_context.clone();
        let ran = environment.invoke(version, invocation, request.stream).await;
        let log_tail = request.tail.then(|| environment.log().end_capture());
        let reusable = ran.reusable && environment.is_alive();
        if let Some(ticket) = ticket {
            self.give_back(ticket, environment, reusable).await;
        } else if reusable && self.is_current(version) {
            self.inner.lock().idle.entry(key).or_default().push(environment);
        } else {
            environment.kill().await;
        }
        Ok(Invoked {
            request_id,
            payload: ran.payload,
            function_error: ran.function_error,
            log_tail,
        })
    }

    /// Shuts down the idle environments of `function_arn` (all versions), after an update or a delete.
    /// Environments still running an invocation finish it and are then discarded.
    pub async fn retire(&self, function_arn: &str) {
        let prefix = format!("{function_arn}:");
        let retired: Vec<Environment> = {
            let mut state = self.inner.lock();
            state.current_revision.retain(|k, _| !k.starts_with(&prefix));
            let keys: Vec<String> = state
                .idle
                .keys()
                .filter(|k| k.starts_with(&prefix))
                .cloned()
                .collect();
            keys.into_iter()
                .flat_map(|k| state.idle.remove(&k).unwrap_or_default())
                .collect()
        };
        for environment in retired {
            environment.shut_down(ShutdownReason::Spindown).await;
        }
    }

    /// Shuts down every idle environment, provisioned ones included (at server shutdown).
    pub async fn shut_down_all(&self) {
        let all: Vec<Environment> = {
            let mut state = self.inner.lock();
            let provisioned: Vec<Environment> = state.provisioned.drain().flat_map(|(_, p)| p.idle).collect();
            state
                .idle
                .drain()
                .flat_map(|(_, envs)| envs)
                .chain(provisioned)
                .collect()
        };
        for environment in all {
            environment.shut_down(ShutdownReason::Spindown).await;
        }
    }

    /// How many environments are idle (warm) now.
    pub fn idle_count(&self) -> usize {
        self.inner.lock().idle.values().map(Vec::len).sum()
    }

    /// Takes a unit of the function's concurrency: of its reserved concurrency if it has some, else of
    /// the account's unreserved concurrency (what neither reservations nor the provisioned
    /// environments of functions without one hold), unless the invocation runs in a provisioned
    /// environment, whose concurrency is allocated already.
    fn acquire(&self, function_arn: &str, provisioned: bool) -> Result<Slot, ExecutionError> {
        let mut state = self.inner.lock();
        let running = state.running.get(function_arn).copied().unwrap_or(0);
        let reserved = state.reserved.get(function_arn).copied();
        let unreserved = reserved.is_none() && !provisioned;
        match reserved {
            Some(limit) if running >= limit => {
                return Err(ExecutionError::Throttled(
                    ThrottleReason::ReservedFunctionConcurrentInvocationLimitExceeded,
                ));
            }
            _ if unreserved => {
                let total_reserved: u32 = state.reserved.values().sum();
                let available = self
                    .inner
                    .config
                    .account_concurrency
                    .saturating_sub(total_reserved)
                    .saturating_sub(state.provisioned_unreserved());
                if state.running_unreserved >= available {
                    return Err(ExecutionError::Throttled(
                        ThrottleReason::ConcurrentInvocationLimitExceeded,
                    ));
                }
                state.running_unreserved += 1;
            }
            _ => {}
        }
        *state.running.entry(function_arn.to_owned()).or_default() += 1;
        Ok(Slot {
            inner: self.inner.clone(),
            function_arn: function_arn.to_owned(),
            unreserved,
        })
    }

    fn version_key(version: &FunctionVersion) -> String {
        format!("{}:{}", version.function_arn, version.version)
    }

    /// Takes a warm environment of `key` whose runtime is waiting for an event, shutting down any that
    /// died or never came back to `/next`. Records `version` as the newest configuration of its function
    /// version.
    async fn take_ready(&self, version: &FunctionVersion, key: &str) -> Option<Environment> {
        loop {
            let mut environment = {
                let mut state = self.inner.lock();
                state
                    .current_revision
                    .insert(Self::version_key(version), version.revision.clone());
                state.idle.get_mut(key)?.pop()?
            };
            if environment.ready_for_next(NEXT_PATIENCE).await {
                return Some(environment);
            }
            tokio::spawn(async move { environment.kill().await });
        }
    }

    fn is_current(&self, version: &FunctionVersion) -> bool {
        self.inner
            .lock()
            .current_revision
            .get(&Self::version_key(version))
            == Some(&version.revision)
    }

    /// Turns a failed start into the invocation's error payload, with START/END/REPORT in the log.
    /// Starts an environment for an invocation. An init that fails or outlasts the init limit is retried
    /// once, as part of the invocation and bounded by the function's timeout (Lambda's suppressed init);
    /// a second failure is the invocation's answer.
    async fn start_environment(
        &self,
        version: &FunctionVersion,
    ) -> Result<Environment, (InitFailure, Option<Arc<LogStream>>)> {
        let config = &self.inner.config;
        let first = Environment::start(
            version,
            &self.inner.logs,
            (InitPhase::Init, config.init_timeout),
            &config.isolation,
            config.platform.as_ref(),
            None,
        )
        .await;
        match first {
            Err((InitFailure::Platform(_) | InitFailure::UnsupportedRuntime(_), _)) | Ok(_) => first,
            Err((_, log)) => {
                Environment::start(
                    version,
                    &self.inner.logs,
                    (
                        InitPhase::Invoke,
                        Duration::from_secs(u64::from(version.timeout_s)),
                    ),
                    &config.isolation,
                    config.platform.as_ref(),
                    log,
                )
                .await
            }
        }
    }

    fn failed_start(
        &self,
        version: &FunctionVersion,
        request: &InvokeRequest,
        request_id: String,
        failure: InitFailure,
        log: Option<Arc<LogStream>>,
    ) -> Result<Invoked, ExecutionError> {
        let mut explanation = None;
        let (payload, error_type) = match failure {
            InitFailure::Platform(message) => return Err(ExecutionError::Platform(message)),
            InitFailure::InvalidEntrypoint {
                reason,
                explanation: why,
            } => {
                explanation = why;
                let error = platform_error::invalid_entrypoint(&request_id, &reason);
                (error.payload(), error.error_type.to_owned())
            }
            InitFailure::UnsupportedRuntime(why) => {
                let error = platform_error::unsupported_runtime(&request_id, &why);
                (error.payload(), error.error_type.to_owned())
            }
            InitFailure::Reported(report) => (report.body, report.error_type),
            InitFailure::OutOfMemory => {
                let error = platform_error::out_of_memory(&request_id);
                (error.payload(), error.error_type.to_owned())
            }
            InitFailure::Exited(how) => {
                let error = platform_error::runtime_exited(&request_id, how.as_deref());
                (error.payload(), error.error_type.to_owned())
            }
            InitFailure::TimedOut => {
                let error = platform_error::timed_out(&request_id, version.timeout_s);
                (error.payload(), error.error_type.to_owned())
            }
        };
        let log_tail = log.map(|log| {
            if request.tail {
                log.begin_capture();
            }
            let logging = &version.logging;
            write_event(
                &log,
                logging,
                &Event::Start {
                    request_id: &request_id,
                    version: &version.version,
                },
            );
            crate::environment::write_package_warnings(&log, version);
            if let Some(explanation) = &explanation {
                log.line(&format!("lamina: {explanation}"));
            }
            log.line(&String::from_utf8_lossy(&payload));
            // The invocation never reached a runtime: nothing ran, nothing was billed.
            let status = Status::Error(error_type);
            write_event(
                &log,
                logging,
                &Event::End {
                    request_id: &request_id,
                    status: &status,
                    duration: Duration::ZERO,
                    produced_bytes: None,
                },
            );
            write_event(
                &log,
                logging,
                &Event::Report {
                    request_id: &request_id,
                    status: &status,
                    duration: Duration::ZERO,
                    billed_ms: 0,
                    memory_mb: version.memory_mb,
                    max_memory_mb: 0,
                    init: None,
                },
            );
            log.end_capture()
        });
        Ok(Invoked {
            request_id,
            payload,
            function_error: true,
            log_tail: log_tail.filter(|_| request.tail),
        })
    }

    /// Starts, once, the task that shuts down environments idle for longer than the idle timeout.
    fn start_reaper(&self) {
        self.inner.reaper_started.call_once(|| {
            let weak = Arc::downgrade(&self.inner);
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(Duration::from_secs(1));
                loop {
                    tick.tick().await;
                    let Some(inner) = weak.upgrade() else { break };
                    let expired: Vec<Environment> = {
                        let mut state = inner.lock();
                        let timeout = inner.config.idle_timeout;
                        let mut expired = Vec::new();
                        for pool in state.idle.values_mut() {
                            let (old, fresh): (Vec<_>, Vec<_>) =
                                pool.drain(..).partition(|e| e.idle_since.elapsed() >= timeout);
                            *pool = fresh;
                            expired.extend(old);
                        }
                        state.idle.retain(|_, pool| !pool.is_empty());
                        expired
                    };
                    let executor = Executor { inner };
                    // Provisioned environments are never reaped, but one that died is replaced.
                    for mut dead in executor.sweep_provisioned() {
                        dead.kill().await;
                    }
                    drop(executor);
                    for environment in expired {
                        environment.shut_down(ShutdownReason::Spindown).await;
                    }
                }
            });
        });
    }
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}
