//! One execution environment: a bootstrap process, its Runtime API listener and its log stream.

use std::collections::BTreeMap;
use std::os::fd::OwnedFd;
use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use lamina_runtime_api::{
    EnvironmentInfo, ErrorReport, Invocation, InvokeError, Lifecycle, Outcome, ResponseSink, RuntimeApi,
    ShutdownReason,
};
use lamina_sandbox::{
    MIB, NetworkPlan, Sandbox, SandboxError, SandboxSpec, SpecError, Stdio as SandboxStdio,
};
use tokio::net::TcpListener;
use tokio::process::{Child, Command};
use tokio::task::JoinHandle;

use crate::bootstrap::{Bootstrap, Plain};
use crate::isolation::Isolation;
use crate::logging::{Event, Logging, Status};
use crate::output::Output;
use crate::platform::{Issued, PlatformAccess, offered_api};
use crate::platform_error::{self, PlatformError};
use crate::spec::FunctionVersion;
use lamina_logs::{LogStore, LogStream};

/// Where Lambda looks for the bootstrap, in order: the function's own, then one from a layer. Error
/// messages name these paths whatever the bootstrap's path on this host (they are its paths inside a
/// sandbox).
const BOOTSTRAPS: [&str; 2] = lamina_model::limits::BOOTSTRAP_PATHS;
/// Where the host keeps bash, which is `/bin/sh` in a sandbox as on Amazon Linux.
const HOST_BASH: [&str; 2] = ["/usr/bin/bash", "/bin/bash"];
/// The task root inside a sandbox.
const TASK_ROOT: &str = "/var/task";
/// Where the layers are inside a sandbox.
const OPT: &str = "/opt";
/// Where the Runtime API listens inside an environment with a network namespace of its own, as on Lambda.
const RUNTIME_API_INSIDE: std::net::SocketAddrV4 =
    std::net::SocketAddrV4::new(std::net::Ipv4Addr::LOCALHOST, 9001);
/// Processes and threads a sandboxed environment may have (Lambda's limit).
const SANDBOX_PIDS_MAX: u64 = 1024;
/// How long a runtime with extensions gets between SIGTERM and SIGKILL (Lambda: 500 ms with an
/// internal extension).
const SIGTERM_GRACE: Duration = Duration::from_millis(500);
/// How long an answer posted just before the runtime exited may take to arrive.
const EXIT_GRACE: Duration = Duration::from_millis(100);
/// Attempts to start a bootstrap that is "text file busy" (a write handle to it, inherited by a process
/// another thread was forking, has not been closed yet).
const SPAWN_ATTEMPTS: u32 = 5;

/// A started environment, ready for invocations.
#[derive(Debug)]
pub(crate) struct Environment {
    api: Arc<RuntimeApi>,
    child: Bootstrap,
    server: JoinHandle<std::io::Result<()>>,
    /// The bootstrap's stdout and stderr, on their way into `log`.
    output: Output,
    /// Its session credentials, held to be revoked when the environment is dropped.
    _credentials: Option<Issued>,
    log: Arc<LogStream>,
    /// The init duration, reported with the first invocation only (never for a provisioned
    /// environment, whose init happened before any invocation asked for it).
    init_duration: Option<Duration>,
    /// No invocation has run here yet.
    fresh: bool,
    pub(crate) idle_since: Instant,
}

/// Why an environment could not be started.
#[derive(Debug)]
pub(crate) enum InitFailure {
    /// The bootstrap is missing or cannot be executed: the `fork/exec` error, and lamina's explanation of
    /// it when it has one (repeated in the invocation's log, where the user reads the tail).
    InvalidEntrypoint {
        reason: String,
        explanation: Option<String>,
    },
    /// The runtime posted `/runtime/init/error`.
    Reported(ErrorReport),
    /// The runtime exited before asking for an event.
    Exited(Option<String>),
    /// The function's runtime is not one lamina can start (only the OS-only `provided.*` runtimes are):
    /// why, and what to do.
    UnsupportedRuntime(String),
    /// The runtime was OOM-killed (by its sandbox's cgroup) before asking for an event.
    OutOfMemory,
    /// Init did not finish in time.
    TimedOut,
    /// The platform itself failed (no port, no log file).
    Platform(String),
}

/// Which phase an init runs in: the environment's own init (bounded by the 10 s init limit), or, after
/// that failed, Lambda's "suppressed init": the same init retried as part of the first invocation,
/// bounded by the function's timeout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum InitPhase {
    Init,
    Invoke,
}

impl InitPhase {
    fn as_str(self) -> &'static str {
        match self {
            InitPhase::Init => "init",
            InitPhase::Invoke => "invoke",
        }
    }
}

/// What became of an invocation in an environment, and whether the environment may be reused.
#[derive(Debug)]
pub(crate) struct Ran {
    pub(crate) payload: Bytes,
    pub(crate) function_error: bool,
    pub(crate) reusable: bool,
}

impl Environment {
    /// Starts the bootstrap of `spec` and waits until its init is complete. `log` is the stream of a
    /// failed init being retried (a new stream is opened otherwise).
    pub(crate) async fn start(
        spec: &FunctionVersion,
        logs: &LogStore,
        (phase, init_timeout): (InitPhase, Duration),
        isolation: &Isolation,
        platform: Option<&PlatformAccess>,
        log: Option<Arc<LogStream>>,
    ) -> Result<Environment, (InitFailure, Option<Arc<LogStream>>)> {
        let log = match log {
            Some(log) => log,
            None => logs.open_stream(&spec.log_folder(), &spec.version).map_err(|e| {
                (
                    InitFailure::Platform(format!("cannot open a log stream: {e}")),
                    None,
                )
            })?,
        };
        let fail = |failure| (failure, Some(log.clone()));
        let api = RuntimeApi::new(EnvironmentInfo::new(
            &spec.function_name,
            &spec.version,
            &spec.handler,
        ));
        // In a sandbox with a network namespace of its own, the Runtime API listens inside it, at
        // Lambda's address, on a socket the sandbox hands over; otherwise on the host's loopback.
        let network = isolation
            .sandbox()
            .map(|sandbox| sandbox.config().spare_network)
            .filter(|plan| plan.network.is_own_namespace());
        let (mut server, address) = match network {
            Some(plan) => (None, plan.listen.unwrap_or(RUNTIME_API_INSIDE).to_string()),
            None => {
                let listener = bind_host_loopback().await.map_err(|e| {
                    fail(InitFailure::Platform(format!(
                        "cannot listen for the Runtime API: {e}"
                    )))
                })?;
                let address = listener.local_addr().map_err(|e| {
                    fail(InitFailure::Platform(format!(
                        "cannot listen for the Runtime API: {e}"
                    )))
                })?;
                let server = tokio::spawn(lamina_runtime_api::serve_with(
                    api.clone(),
                    listener,
                    offered_api(platform),
                ));
                (Some(server), address.to_string())
            }
        };
        // The environment's credentials (and the platform's API, when offered, on the Runtime API's
        // address), in variables Lambda reserves, so no function setting can collide with them.
        let issued = Issued::for_environment(platform, spec);
        let with_platform;
        let spec = match (&issued, offered_api(platform)) {
            (None, None) => spec,
            (keys, api) => {
                let mut extended = spec.clone();
                if let Some(issued) = keys {
                    let keys = &issued.keys;
                    extended.environment.extend([
                        ("AWS_ACCESS_KEY_ID".to_owned(), keys.access_key_id.clone()),
                        ("AWS_SECRET_ACCESS_KEY".to_owned(), keys.secret_access_key.clone()),
                        ("AWS_SESSION_TOKEN".to_owned(), keys.session_token.clone()),
                    ]);
                }
                if api.is_some() {
                    extended
                        .environment
                        .insert("AWS_ENDPOINT_URL".to_owned(), format!("http://{address}"));
                }
                with_platform = extended;
                &with_platform
            }
        };
        if phase == InitPhase::Init {
            let runtime_version_arn = format!("arn:aws:lambda:{}::runtime:lamina", spec.region);
            write_event(
                &log,
                &spec.logging,
                &Event::InitStart {
                    runtime_version: "provided:al2023.lamina",
                    runtime_version_arn: &runtime_version_arn,
                    function_name: &spec.function_name,
                    function_version: &spec.version,
                },
            );
            write_package_warnings(&log, spec);
        }
        if let Some(why) = spec.unsupported_runtime() {
            if let Some(server) = &server {
                server.abort();
            }
            report_init_failure(&log, &spec.logging, Instant::now(), phase, "Runtime.Unsupported");
            log.line(&format!("lamina: {why}"));
            return Err(fail(InitFailure::UnsupportedRuntime(why)));
        }
        let started = Instant::now();
        let mut output = Output::default();
        let spawned = match isolation.sandbox() {
            Some(sandbox) => spawn_sandboxed(sandbox, spec, network, &address, log.name()).await,
            None => spawn_bootstrap(spec, &address, log.name()).map(|mut child| {
                let fd = |pipe: Option<std::io::Result<OwnedFd>>| pipe.and_then(Result::ok);
                output = Output::capture(
                    fd(child.stdout.take().map(|p| p.into_owned_fd())),
                    fd(child.stderr.take().map(|p| p.into_owned_fd())),
                    &log,
                    spec.logging.application_filter(),
                );
                Bootstrap::Process(Box::new(Plain::new(child, isolation.watchdog())))
            }),
        };
        let child = match spawned {
            Ok(Bootstrap::Sandboxed(Some(mut process))) => {
                output = Output::capture(
                    process.stdout.take().map(OwnedFd::from),
                    process.stderr.take().map(OwnedFd::from),
                    &log,
                    spec.logging.application_filter(),
                );
                if let Some(listener) = process.take_listener() {
                    match serve_inside(api.clone(), listener, offered_api(platform)) {
                        Ok(inside) => server = Some(inside),
                        Err(e) => {
                            let reason = format!("cannot serve the Runtime API inside the sandbox: {e}");
                            report_init_failure(&log, &spec.logging, started, phase, "Runtime.ExitError");
                            log.line(&format!("lamina: cannot start the environment: {reason}"));
                            return Err(fail(InitFailure::Platform(reason)));
                        }
                    }
                }
                Bootstrap::Sandboxed(Some(process))
            }
            Ok(child) => child,
            Err(SpawnFailure::Platform(reason)) => {
                if let Some(server) = &server {
                    server.abort();
                }
                report_init_failure(&log, &spec.logging, started, phase, "Runtime.ExitError");
                log.line(&format!("lamina: cannot start the environment: {reason}"));
                return Err(fail(InitFailure::Platform(reason)));
            }
            Err(SpawnFailure::InvalidEntrypoint { reason, explanation }) => {
                if let Some(server) = &server {
                    server.abort();
                }
                report_init_failure(&log, &spec.logging, started, phase, "Runtime.InvalidEntrypoint");
                let explanation = explanation.or_else(|| foreign_architecture(spec, &reason));
                if let Some(explanation) = &explanation {
                    log.line(&format!("lamina: {explanation}"));
                }
                return Err(fail(InitFailure::InvalidEntrypoint { reason, explanation }));
            }
        };
        let Some(server) = server else {
            let reason = "the sandbox handed over no Runtime API listener".to_owned();
            report_init_failure(&log, &spec.logging, started, phase, "Runtime.ExitError");
            log.line(&format!("lamina: cannot start the environment: {reason}"));
            let mut child = child;
            child.kill(None).await;
            return Err(fail(InitFailure::Platform(reason)));
        };
        let mut environment = Environment {
            api,
            child,
            server,
            output,
            _credentials: issued,
            log: log.clone(),
            init_duration: None,
            fresh: true,
            idle_since: Instant::now(),
        };
        let mut lifecycle = environment.api.lifecycle();
        let mut failure = tokio::select! {
            state = lifecycle.wait_for(|l| *l != Lifecycle::Initializing) => match state.map(|s| s.clone()) {
                Ok(Lifecycle::Ready) => None,
                Ok(Lifecycle::InitFailed(report)) => Some(InitFailure::Reported(report)),
                _ => Some(InitFailure::Platform("the Runtime API stopped".into())),
            },
            status = environment.child.wait() => Some(InitFailure::Exited(status.ok().and_then(|s| exit_description(&s)))),
            _ = tokio::time::sleep(init_timeout) => Some(InitFailure::TimedOut),
        };
        if matches!(failure, Some(InitFailure::Exited(_))) && environment.child.stats().oom_killed() {
            failure = Some(InitFailure::OutOfMemory);
        }
        match failure {
            None => {
                environment.init_duration = Some(started.elapsed());
                Ok(environment)
            }
            Some(failure) => {
                match &failure {
                    InitFailure::Reported(report) => {
                        report_init_failure(&log, &spec.logging, started, phase, &report.error_type)
                    }
                    InitFailure::TimedOut => report_init_timeout(&log, &spec.logging, started, phase),
                    InitFailure::OutOfMemory => {
                        report_init_failure(&log, &spec.logging, started, phase, "Runtime.OutOfMemory")
                    }
                    _ => report_init_failure(&log, &spec.logging, started, phase, "Runtime.ExitError"),
                }
                environment.kill().await;
                Err(fail(failure))
            }
        }
    }

    /// Makes this a provisioned environment: initialised ahead of invocations, so no invocation
    /// reports its init (no `Init Duration` in the REPORT line).
    pub(crate) fn provisioned(&mut self) {
        self.init_duration = None;
    }

    /// The environment's log stream.
    pub(crate) fn log(&self) -> &Arc<LogStream> {
        &self.log
    }

    /// Waits until the runtime has come back to `/next` after its last invocation (Lambda's end of an
    /// invocation). `false` when the bootstrap exited instead, or did not come back within `patience`.
    pub(crate) async fn ready_for_next(&mut self, patience: Duration) -> bool {
        // Usually the runtime is back already: no timer, no waiting.
        if self.api.is_polling() {
            return self.is_alive();
        }
        let api = self.api.clone();
        tokio::select! {
            biased;
            _ = api.wait_until_polling() => self.is_alive(),
            _ = self.child.wait() => false,
            _ = tokio::time::sleep(patience) => false,
        }
    }

    /// Whether the bootstrap is still running.
    pub(crate) fn is_alive(&mut self) -> bool {
        self.child.is_alive()
    }

    /// Runs one invocation, writing START, END and REPORT around it. With a `sink`, the result goes there
    /// as the runtime writes it; the invocation (its timeout, its END and REPORT) lasts until the body
    /// has ended.
    pub(crate) async fn invoke(
        &mut self,
        spec: &FunctionVersion,
        mut invocation: Invocation,
        sink: Option<ResponseSink>,
    ) -> Ran {
        let request_id = invocation.request_id.clone();
        write_event(
            &self.log,
            &spec.logging,
            &Event::Start {
                request_id: &request_id,
                version: &spec.version,
            },
        );
        // The first invocation of an environment repeats what is wrong with the package, so that the log
        // tail a client asks for shows it.
        if std::mem::take(&mut self.fresh) {
            write_package_warnings(&self.log, spec);
        }
        let timeout = Duration::from_secs(u64::from(spec.timeout_s));
        invocation.deadline_ms = epoch_ms() + timeout.as_millis() as u64;
        let started = Instant::now();
        let api = self.api.clone();
        let limit = if sink.is_some() {
            lamina_runtime_api::wire::MAX_STREAMED_RESPONSE_BYTES
        } else {
            lamina_runtime_api::wire::MAX_RESPONSE_BYTES
        };
        let streamed = sink.is_some();
        let invoke = async {
            match sink {
                Some(sink) => api.invoke_streaming(invocation, sink).await,
                None => api.invoke(invocation).await,
            }
        };
        tokio::pin!(invoke);
        let raced = tokio::select! {
            biased;
            outcome = &mut invoke => Raced::Outcome(outcome),
            status = self.child.wait() => {
                // A runtime may answer and exit at once (aws-lambda-go after a panic): its answer wins if
                // it is on its way.
                match tokio::time::timeout(EXIT_GRACE, &mut invoke).await {
                    Ok(outcome) => Raced::Outcome(outcome),
                    Err(_) => Raced::Exited(status.ok().and_then(|s| exit_description(&s))),
                }
            }
            _ = tokio::time::sleep(timeout) => Raced::TimedOut,
        };
        let duration = started.elapsed();
        let (ran, platform, status) = match raced {
            Raced::Outcome(Ok(Outcome::Response { body, .. })) => (
                Ran {
                    payload: body,
                    function_error: false,
                    reusable: true,
                },
                None,
                Status::Success,
            ),
            Raced::Outcome(Ok(Outcome::FunctionError { body, error_type })) => (
                Ran {
                    payload: body,
                    function_error: true,
                    reusable: true,
                },
                None,
                Status::Error(error_type),
            ),
            Raced::Outcome(Ok(Outcome::Streamed)) => (
                Ran {
                    payload: Bytes::new(),
                    function_error: false,
                    reusable: true,
                },
                None,
                Status::Success,
            ),
            Raced::Outcome(Ok(Outcome::ResponseTooLarge)) => {
                platform_failure(platform_error::response_too_large(limit))
            }
            Raced::Outcome(Ok(Outcome::Truncated)) => {
                platform_failure(platform_error::truncated_response(&request_id))
            }
            Raced::Outcome(Err(InvokeError::Busy | InvokeError::Closed)) => {
                let how = self.child.wait().await.ok().and_then(|s| exit_description(&s));
                platform_failure(self.exit_error(&request_id, how.as_deref()))
            }
            Raced::Exited(how) => platform_failure(self.exit_error(&request_id, how.as_deref())),
            Raced::TimedOut => {
                self.api.abandon();
                let (ran, error, _) =
                    platform_failure(platform_error::timed_out(&request_id, spec.timeout_s));
                (ran, error, Status::Timeout)
            }
        };
        // What the function printed before it answered goes ahead of END.
        self.output.drain();
        // The size of the response the platform held whole (a streamed one went straight to the caller).
        let produced_bytes = (platform.is_none() && !streamed).then_some(ran.payload.len());
        let end = spec.logging.platform_line(&Event::End {
            request_id: &request_id,
            status: &status,
            duration,
            produced_bytes,
        });
        let report = self.report_line(&request_id, spec, duration, &status);
        // One write, on the stack: the platform's error lines, END and REPORT (those the format keeps).
        let mut lines = [""; 4];
        let mut count = 0;
        let error_lines = platform.as_ref().map(|e| [e.message.as_str(), e.error_type]);
        for line in error_lines
            .iter()
            .flatten()
            .copied()
            .chain(end.as_deref())
            .chain(report.as_deref())
        {
            lines[count] = line;
            count += 1;
        }
        if count > 0 {
            self.log.lines(&lines[..count]);
        }
        self.idle_since = Instant::now();
        ran
    }

    /// The error for a runtime that ended during an invocation: `Runtime.OutOfMemory` when the sandbox's
    /// cgroup saw an OOM kill, else `Runtime.ExitError`.
    fn exit_error(&self, request_id: &str, how: Option<&str>) -> PlatformError {
        if self.child.stats().oom_killed() {
            platform_error::out_of_memory(request_id)
        } else {
            platform_error::runtime_exited(request_id, how)
        }
    }

    /// The REPORT line of an invocation (reporting the environment's init with its first one), or
    /// `None` when the function's log format leaves it out.
    fn report_line(
        &mut self,
        request_id: &str,
        spec: &FunctionVersion,
        duration: Duration,
        status: &Status,
    ) -> Option<String> {
        let init = self.init_duration.take();
        // OS-only runtimes have always been billed for init as well.
        let billed = (duration.as_secs_f64() * 1000.0 + init.map_or(0.0, |i| i.as_secs_f64() * 1000.0))
            .ceil()
            .max(1.0);
        spec.logging.platform_line(&Event::Report {
            request_id,
            status,
            duration,
            billed_ms: billed as u64,
            memory_mb: spec.memory_mb,
            max_memory_mb: self.max_memory_mb(),
            init,
        })
    }

    /// Peak memory of the environment in MB (rounded up): its cgroup's peak in a sandbox, the bootstrap
    /// process's peak resident set otherwise.
    fn max_memory_mb(&mut self) -> u64 {
        self.child.max_memory_mb()
    }

    /// Ends the environment: the whole process tree is killed (after SIGTERM and a grace period when
    /// extensions registered, as Lambda does at spin-down), a sandbox torn down and the listener closed.
    pub(crate) async fn shut_down(mut self, reason: ShutdownReason) {
        let grace = if self.api.has_extensions() && self.is_alive() {
            self.api
                .shutdown(reason, epoch_ms() + SIGTERM_GRACE.as_millis() as u64);
            Some(SIGTERM_GRACE)
        } else {
            None
        };
        self.child.kill(grace).await;
        self.server.abort();
    }

    /// Kills the whole process tree at once (the process group, or the sandbox, whose cgroup is removed)
    /// and reaps the bootstrap.
    pub(crate) async fn kill(&mut self) {
        self.child.kill(None).await;
        self.server.abort();
    }
}

enum Raced {
    Outcome(Result<Outcome, InvokeError>),
    Exited(Option<String>),
    TimedOut,
}

fn platform_failure(error: PlatformError) -> (Ran, Option<PlatformError>, Status) {
    let ran = Ran {
        payload: error.payload(),
        function_error: true,
        reusable: false,
    };
    let status = Status::Error(error.error_type.to_owned());
    (ran, Some(error), status)
}

/// Writes a platform line in the function's log format, unless its system log level leaves it out.
pub(crate) fn write_event(log: &LogStream, logging: &Logging, event: &Event<'_>) {
    if let Some(line) = logging.platform_line(event) {
        log.line(&line);
    }
}

fn report_init_failure(
    log: &LogStream,
    logging: &Logging,
    started: Instant,
    phase: InitPhase,
    error_type: &str,
) {
    report_init(log, logging, started, phase, Status::Error(error_type.to_owned()));
}

fn report_init_timeout(log: &LogStream, logging: &Logging, started: Instant, phase: InitPhase) {
    report_init(log, logging, started, phase, Status::Timeout);
}

fn report_init(log: &LogStream, logging: &Logging, started: Instant, phase: InitPhase, status: Status) {
    write_event(
        log,
        logging,
        &Event::InitReport {
            phase: phase.as_str(),
            status: &status,
            duration: started.elapsed(),
        },
    );
}

/// An `exec format error` for a bootstrap built for the other architecture: say why in the function's
/// log (the error payload stays Lambda's).
/// What linting found wrong with the function's package when it was deployed, one `lamina:` line each.
pub(crate) fn write_package_warnings(log: &LogStream, spec: &FunctionVersion) {
    for warning in &spec.package_warnings {
        log.line(&format!("lamina: found at deploy: {warning}"));
    }
}

/// Why a plain process could not start a bootstrap of the function's architecture, when that is why.
fn foreign_architecture(spec: &FunctionVersion, reason: &str) -> Option<String> {
    if !reason.ends_with("exec format error") {
        return None;
    }
    let host = lamina_model::Architecture::host()?;
    (host != spec.architecture).then(|| {
        format!(
            "this function's architecture is {} and this host runs {host}; process isolation cannot run \
             foreign executables (the sandbox isolation mode runs them under qemu-user)",
            spec.architecture,
        )
    })
}

fn epoch_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or_default()
}

/// How a process ended, in the words of Go's `exec.ExitError` (which Lambda's messages use); `None` for
/// a clean exit.
fn exit_description(status: &ExitStatus) -> Option<String> {
    use std::os::unix::process::ExitStatusExt;
    if let Some(code) = status.code() {
        return (code != 0).then(|| format!("exit status {code}"));
    }
    let signal = status.signal()?;
    let name = match signal {
        9 => "killed".to_owned(),
        11 => "segmentation fault".to_owned(),
        6 => "aborted".to_owned(),
        15 => "terminated".to_owned(),
        other => format!("signal {other}"),
    };
    Some(format!("signal: {name}"))
}

/// The environment variables of a bootstrap: the function's own, then Lambda's reserved ones over them.
/// Nothing of the server's own environment (its variables, its AWS credentials) is passed on.
///
/// `task_root` and `opt` are where the code and the layers are as the bootstrap sees them: `/var/task` and
/// `/opt` in a sandbox, their host directories for a plain process.
pub(crate) fn variables(
    spec: &FunctionVersion,
    task_root: &str,
    opt: &str,
    runtime_api: &str,
    log_stream: &str,
) -> BTreeMap<String, String> {
    let task_root = task_root.to_owned();
    let mut vars: BTreeMap<String, String> = [
        ("PATH", format!("/usr/local/bin:/usr/bin/:/bin:{opt}/bin")),
        ("LANG", "en_US.UTF-8".to_owned()),
        (
            "LD_LIBRARY_PATH",
            format!("/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:{task_root}:{task_root}/lib:{opt}/lib"),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    // Customer variables may not start with '_' (Lambda drops them).
    vars.extend(
        spec.environment
            .iter()
            .filter(|(k, _)| !k.starts_with('_'))
            .map(|(k, v)| (k.clone(), v.clone())),
    );
    let reserved = [
        ("AWS_LAMBDA_RUNTIME_API", runtime_api.to_owned()),
        ("_HANDLER", spec.handler.clone()),
        ("LAMBDA_TASK_ROOT", task_root.clone()),
        ("LAMBDA_RUNTIME_DIR", "/var/runtime".to_owned()),
        ("AWS_LAMBDA_FUNCTION_NAME", spec.function_name.clone()),
        ("AWS_LAMBDA_FUNCTION_VERSION", spec.version.clone()),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", spec.memory_mb.to_string()),
        ("AWS_LAMBDA_LOG_GROUP_NAME", spec.log_group.clone()),
        ("AWS_LAMBDA_LOG_STREAM_NAME", log_stream.to_owned()),
        ("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand".to_owned()),
        ("AWS_REGION", spec.region.clone()),
        ("AWS_DEFAULT_REGION", spec.region.clone()),
        ("TZ", ":UTC".to_owned()),
    ];
    vars.extend(reserved.into_iter().map(|(k, v)| (k.to_owned(), v)));
    // The logging settings, for the runtime's logger (a function's own value of these wins).
    for (name, value) in spec.logging.variables().into_iter().flatten() {
        vars.entry(name.to_owned()).or_insert_with(|| value.to_owned());
    }
    // Not a Lambda variable: where the layers are, for a plain process only (in a sandbox they are at
    // `/opt`, as on Lambda, and the environment has nothing of lamina's).
    if opt != OPT {
        vars.insert("LAMINA_OPT_DIR".to_owned(), opt.to_owned());
    }
    vars
}

/// Why a bootstrap could not be started.
#[derive(Debug)]
enum SpawnFailure {
    /// The bootstrap is missing or cannot be executed: Lambda's `Runtime.InvalidEntrypoint` reason, and
    /// a longer explanation for the function's log.
    InvalidEntrypoint {
        reason: String,
        explanation: Option<String>,
    },
    /// The platform failed to set the environment up.
    Platform(String),
}

impl From<String> for SpawnFailure {
    fn from(reason: String) -> Self {
        SpawnFailure::InvalidEntrypoint {
            reason,
            explanation: None,
        }
    }
}

/// The bootstrap to run, as Lambda picks it: `/var/task/bootstrap` if the function has one, else
/// `/opt/bootstrap` from its layers. Returns its path inside the environment and on the host, or Lambda's
/// reason when there is neither.
fn find_bootstrap(spec: &FunctionVersion) -> Result<(&'static str, PathBuf), String> {
    let candidates = [Some(&spec.code_dir), spec.opt_dir.as_ref()];
    for (inside, dir) in BOOTSTRAPS.into_iter().zip(candidates) {
        if let Some(dir) = dir {
            let host = dir.join(lamina_model::limits::BOOTSTRAP);
            if std::fs::symlink_metadata(&host).is_ok() {
                return Ok((inside, host));
            }
        }
    }
    Err(format!(
        "Couldn't find valid bootstrap(s): [{}]",
        BOOTSTRAPS.join(" ")
    ))
}

/// Lambda runs a function on processors of the architecture it declares, where a bootstrap built for the
/// other one fails with `exec format error`. It fails the same way here, although this host could run it
/// (natively, or under qemu-user), and the log says what happened and what to do. Programs that are not
/// ELF executables (scripts) run on either.
fn check_architecture(
    spec: &FunctionVersion,
    inside: &str,
    host_path: &std::path::Path,
) -> Result<(), SpawnFailure> {
    let Some(found) = lamina_sandbox::Arch::of_elf_file(host_path) else {
        return Ok(());
    };
    let found = match found {
        lamina_sandbox::Arch::X86_64 => lamina_model::Architecture::X86_64,
        lamina_sandbox::Arch::Aarch64 => lamina_model::Architecture::Arm64,
    };
    let declared = spec.architecture;
    if found == declared {
        return Ok(());
    }
    Err(SpawnFailure::InvalidEntrypoint {
        reason: format!("fork/exec {inside}: exec format error"),
        explanation: Some(format!(
            "bootstrap is a {found} executable but the function's architecture is {declared}, so Lambda cannot \
             run it and neither does lamina. Build it with GOOS=linux GOARCH={goarch} in go build's \
             environment (`export GOOS=linux GOARCH={goarch}`, or on the same line as `go build`: the two \
             assignments alone on a line of their own do not reach it), or `lamina build --arch {declared}`; \
             or deploy it as --architectures {found}.",
            goarch = declared.go_arch()
        )),
    })
}

/// What a sandboxed bootstrap runs in: the code read-only at `/var/task` (also its working directory),
/// `/tmp` of the EphemeralStorage size, the function's memory (and the CPU share that goes with it), a
/// pids limit of 1,024 processes and threads, the host's network (the Runtime API listens on its loopback), the bootstrap's output
/// piped to the log.
fn sandbox_spec(
    spec: &FunctionVersion,
    bootstrap: &str,
    network: Option<NetworkPlan>,
    runtime_api: &str,
    log_stream: &str,
) -> Result<SandboxSpec, SpecError> {
    let mut builder = SandboxSpec::builder(bootstrap)?.read_only_bind(&spec.code_dir, TASK_ROOT)?;
    if let Some(plan) = network {
        builder = builder
            .network(plan.network)
            .listen(plan.listen.unwrap_or(RUNTIME_API_INSIDE));
    }
    if let Some(opt) = &spec.opt_dir {
        builder = builder.read_only_bind(opt, OPT)?;
    }
    // Amazon Linux's `/bin/sh` is bash: `#!/bin/sh` bootstraps written with bash in mind run as on
    // Lambda, where the host's `sh` is another shell (Debian's dash).
    if let Some(bash) = HOST_BASH.iter().find(|p| std::path::Path::new(p).is_file()) {
        builder = builder.replace_system_file(bash, "/bin/sh")?;
    }
    let mut builder = builder
        .cwd(TASK_ROOT)?
        .memory(u64::from(spec.memory_mb) * MIB)?
        .tmp_size(u64::from(spec.ephemeral_mb.max(1)) * MIB)?
        .pids_max(SANDBOX_PIDS_MAX)?
        // Every sandbox runs as the same uid, and RLIMIT_NPROC counts that uid's processes host-wide: one
        // function's fork bomb would starve its neighbours. The cgroup's pids limit bounds each sandbox.
        .nproc(None)?
        .stdin(SandboxStdio::Null)
        .stdout(SandboxStdio::Piped)
        .stderr(SandboxStdio::Piped);
    for (name, value) in variables(spec, TASK_ROOT, OPT, runtime_api, log_stream) {
        builder = builder.env(name, value)?;
    }
    Ok(builder.build())
}

/// Starts the bootstrap in a sandbox (the setup blocks for a few milliseconds, so it runs on a blocking
/// thread), retrying while the executable is "text file busy" as [`spawn_bootstrap`] does.
async fn spawn_sandboxed(
    sandbox: &Arc<Sandbox>,
    spec: &FunctionVersion,
    network: Option<NetworkPlan>,
    runtime_api: &str,
    log_stream: &str,
) -> Result<Bootstrap, SpawnFailure> {
    let (bootstrap, host_path) = find_bootstrap(spec)?;
    check_architecture(spec, bootstrap, &host_path)?;
    let sandbox_spec = sandbox_spec(spec, bootstrap, network, runtime_api, log_stream)
        .map_err(|e| SpawnFailure::Platform(format!("invalid sandbox: {e}")))?;
    let mut attempt = 1;
    loop {
        let sandbox = sandbox.clone();
        let sandbox_spec = sandbox_spec.clone();
        let spawned = tokio::task::spawn_blocking(move || sandbox.spawn(sandbox_spec))
            .await
            .map_err(|e| SpawnFailure::Platform(format!("the sandbox setup task failed: {e}")))?;
        match spawned {
            Ok(process) => return Ok(Bootstrap::Sandboxed(Some(Box::new(process)))),
            Err(SandboxError::Exec(e)) if e.errno.0 == nix::libc::ETXTBSY && attempt < SPAWN_ATTEMPTS => {
                attempt += 1;
                tokio::time::sleep(Duration::from_millis(10 * u64::from(attempt))).await;
            }
            Err(SandboxError::Exec(e)) => return Err(e.to_string().into()),
            Err(e @ SandboxError::MissingEmulator(_)) => {
                return Err(SpawnFailure::InvalidEntrypoint {
                    reason: format!("fork/exec {bootstrap}: exec format error"),
                    explanation: Some(e.to_string()),
                });
            }
            Err(e) => return Err(SpawnFailure::Platform(e.to_string())),
        }
    }
}

/// A listener on the host's loopback, for environments that share the host's network.
async fn bind_host_loopback() -> std::io::Result<TcpListener> {
    TcpListener::bind("127.0.0.1:0").await
}

/// Serves the Runtime API on the listener a sandbox created inside its network namespace.
fn serve_inside(
    api: Arc<RuntimeApi>,
    listener: std::net::TcpListener,
    platform_api: Option<axum::Router>,
) -> std::io::Result<JoinHandle<std::io::Result<()>>> {
    listener.set_nonblocking(true)?;
    let listener = TcpListener::from_std(listener)?;
    Ok(tokio::spawn(lamina_runtime_api::serve_with(
        api,
        listener,
        platform_api,
    )))
}

fn spawn_bootstrap(
    spec: &FunctionVersion,
    runtime_api: &str,
    log_stream: &str,
) -> Result<Child, SpawnFailure> {
    let (inside, bootstrap) = find_bootstrap(spec)?;
    check_architecture(spec, inside, &bootstrap)?;
    // No mount namespace: the layers stay in their host directory, which the variables name instead of
    // `/opt` (a layer's files that hard-code `/opt/...` are not found).
    let opt = spec
        .opt_dir
        .as_ref()
        .map_or_else(|| OPT.to_owned(), |d| d.to_string_lossy().into_owned());
    let mut command = Command::new(&bootstrap);
    command
        .current_dir(&spec.code_dir)
        .env_clear()
        .envs(variables(
            spec,
            &spec.code_dir.to_string_lossy(),
            &opt,
            runtime_api,
            log_stream,
        ))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Its own process group, so that a timeout or teardown can kill everything it started.
        .process_group(0)
        .kill_on_drop(true);
    let mut attempt = 1;
    loop {
        match command.spawn() {
            Err(e) if e.raw_os_error() == Some(nix::libc::ETXTBSY) && attempt < SPAWN_ATTEMPTS => {
                attempt += 1;
                std::thread::sleep(Duration::from_millis(10 * u64::from(attempt)));
            }
            result => return result.map_err(|e| fork_exec_error(inside, &e).into()),
        }
    }
}

/// The `fork/exec` error Lambda reports, naming the bootstrap by its path inside the environment.
fn fork_exec_error(bootstrap: &str, error: &std::io::Error) -> String {
    let what = match error.raw_os_error() {
        Some(code) if code == nix::libc::EACCES => "permission denied".to_owned(),
        Some(code) if code == nix::libc::ENOEXEC => "exec format error".to_owned(),
        Some(code) if code == nix::libc::ENOENT => "no such file or directory".to_owned(),
        _ => error.to_string(),
    };
    format!("fork/exec {bootstrap}: {what}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sandbox_gets_the_task_root_tmp_memory_and_limits_of_the_version() {
        let code = tempfile::tempdir().expect("tempdir");
        let spec = FunctionVersion {
            function_name: "f".to_owned(),
            version: "$LATEST".to_owned(),
            function_arn: "arn:aws:lambda:us-east-1:000000000000:function:f".to_owned(),
            region: "us-east-1".to_owned(),
            code_dir: code.path().to_owned(),
            opt_dir: None,
            revision: "r".to_owned(),
            handler: "bootstrap".to_owned(),
            memory_mb: 1769,
            timeout_s: 3,
            ephemeral_mb: 1024,
            architecture: lamina_model::Architecture::X86_64,
            environment: BTreeMap::from([("STAGE".to_owned(), "test".to_owned())]),
            log_group: "/aws/lambda/f".to_owned(),
            logging: Default::default(),
            reserved_concurrency: None,
            runtime: Some("provided.al2023".to_owned()),
            package_warnings: Vec::new(),
            role: "arn:aws:iam::000000000000:role/lambda-role".to_owned(),
        };
        let sandbox = sandbox_spec(&spec, BOOTSTRAPS[0], None, "127.0.0.1:9999", "stream").expect("spec");
        assert_eq!(sandbox.program(), std::path::Path::new("/var/task/bootstrap"));
        assert_eq!(sandbox.cwd(), std::path::Path::new("/var/task"));
        let bind = &sandbox.binds()[0];
        assert_eq!(bind.target, std::path::Path::new("/var/task"));
        assert_eq!(bind.source, code.path().canonicalize().expect("canonical"));
        assert_eq!(sandbox.tmp_size_bytes(), 1024 * MIB);
        assert_eq!(sandbox.resources().memory_bytes, 1769 * MIB);
        assert_eq!(sandbox.resources().cpu_millis, 1000, "1,769 MB is one CPU");
        assert_eq!(sandbox.resources().pids_max, 1024);
        assert_eq!(sandbox.rlimits().nproc, None);
        let env: BTreeMap<_, _> = sandbox.env().iter().cloned().collect();
        assert_eq!(env["LAMBDA_TASK_ROOT"], "/var/task");
        assert_eq!(env["AWS_LAMBDA_RUNTIME_API"], "127.0.0.1:9999");
        assert_eq!(env["STAGE"], "test");
        assert!(env["LD_LIBRARY_PATH"].contains(":/var/task:/var/task/lib:"));
    }

    #[test]
    fn layers_are_bound_at_opt_and_their_bootstrap_is_the_fallback() {
        let code = tempfile::tempdir().expect("tempdir");
        let opt = tempfile::tempdir().expect("tempdir");
        let mut spec = FunctionVersion {
            function_name: "f".to_owned(),
            version: "$LATEST".to_owned(),
            function_arn: "arn:aws:lambda:us-east-1:000000000000:function:f".to_owned(),
            region: "us-east-1".to_owned(),
            code_dir: code.path().to_owned(),
            opt_dir: Some(opt.path().to_owned()),
            revision: "r".to_owned(),
            handler: "bootstrap".to_owned(),
            memory_mb: 128,
            timeout_s: 3,
            ephemeral_mb: 512,
            architecture: lamina_model::Architecture::X86_64,
            environment: BTreeMap::new(),
            log_group: "/aws/lambda/f".to_owned(),
            logging: Default::default(),
            reserved_concurrency: None,
            runtime: Some("provided.al2023".to_owned()),
            package_warnings: Vec::new(),
            role: "arn:aws:iam::000000000000:role/lambda-role".to_owned(),
        };
        assert_eq!(
            find_bootstrap(&spec).expect_err("neither"),
            "Couldn't find valid bootstrap(s): [/var/task/bootstrap /opt/bootstrap]"
        );
        std::fs::write(opt.path().join("bootstrap"), "#!/bin/sh\n").expect("write");
        let (inside, host) = find_bootstrap(&spec).expect("layer bootstrap");
        assert_eq!((inside, host), ("/opt/bootstrap", opt.path().join("bootstrap")));
        std::fs::write(code.path().join("bootstrap"), "#!/bin/sh\n").expect("write");
        assert_eq!(
            find_bootstrap(&spec).expect("own bootstrap").0,
            "/var/task/bootstrap"
        );

        let sandbox = sandbox_spec(&spec, "/opt/bootstrap", None, "127.0.0.1:9999", "stream").expect("spec");
        assert_eq!(sandbox.program(), std::path::Path::new("/opt/bootstrap"));
        let bind = &sandbox.binds()[1];
        assert_eq!(bind.target, std::path::Path::new("/opt"));
        assert_eq!(bind.source, opt.path().canonicalize().expect("canonical"));
        let env: BTreeMap<_, _> = sandbox.env().iter().cloned().collect();
        assert!(
            env.keys().all(|k| !k.starts_with("LAMINA_")),
            "nothing of lamina's in a sandbox: {env:?}"
        );
        assert!(env["PATH"].ends_with(":/opt/bin"));
        spec.opt_dir = None;
        assert_eq!(
            sandbox_spec(&spec, "/var/task/bootstrap", None, "a", "s")
                .expect("spec")
                .binds()
                .len(),
            1
        );
    }
}
