//! Execution environments: running a function version's `bootstrap` and handing it invocations.
//!
//! An *execution environment* is one bootstrap process, the [`lamina_runtime_api::RuntimeApi`] it polls
//! on a listener of its own, and its log stream. It serves one invocation at a time and is reused while
//! warm, as on Lambda. The [`Executor`] keeps a pool of idle environments per function version (and per
//! configuration: an update sends new invocations to new environments while in-flight ones finish on the
//! old code), starts more when invocations arrive concurrently, enforces account and reserved
//! concurrency with AWS's throttling reasons, and reaps environments that stay idle.
//!
//! Each bootstrap runs in its own [`lamina_sandbox`] sandbox ([`Isolation::Sandbox`]: read-only
//! `/var/task`, `/tmp` of the EphemeralStorage size, a cgroup of the MemorySize, a non-root user, qemu-user
//! for a foreign architecture) or as a plain process ([`Isolation::Process`]), as [`ExecutorConfig`] says.
//!
//! Everything that can go wrong once a function has started ends in AWS's exact error payload
//! ([`platform_error`]): a timeout kills the whole sandbox or process group (`Sandbox.Timedout`), a
//! runtime that exits is `Runtime.ExitError` (`Runtime.OutOfMemory` when its cgroup OOM-killed it), a
//! missing or unusable bootstrap is `Runtime.InvalidEntrypoint`, a response over 6 MB is `Function.ResponseSizeTooLarge`; the environment is discarded and the next
//! invocation gets a fresh one. Each environment writes START, END and REPORT lines and the function's
//! own output to a rotated log stream ([`lamina_logs`]) of the function's log group, as its `LoggingConfig`
//! says ([`logging`]: Lambda's text lines, or its JSON events filtered by level).

mod bootstrap;
mod environment;
mod isolation;
pub mod logging;
mod output;
mod platform;
pub mod platform_error;
mod pool;
mod spec;

pub use isolation::{ArchitectureSupport, Isolation};
/// The log streams environments write (re-exported: callers configure them through [`ExecutorConfig`]).
pub use lamina_logs as logs;
pub use lamina_runtime_api::{ResponsePart, ResponseSink};
pub use lamina_sandbox;
pub use logging::{LogFormat, LogLevel, Logging};
pub use platform::{CredentialIssuer, PlatformAccess, SessionKeys};
pub use pool::{
    ExecutionError, Executor, ExecutorConfig, InvokeRequest, Invoked, Provision, ProvisionedState,
    ThrottleReason,
};
pub use spec::FunctionVersion;
