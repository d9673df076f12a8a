//! Execution environments: running a function version's `bootstrap` and handing it invocations.
//!
//! An *execution environment* is one bootstrap process, the [`lamina_runtime_api::RuntimeApi`] it polls
//! on a listener of its own, and its log stream. It serves one invocation at a time and is reused while
//! warm, as on Lambda. The [`Executor`] keeps a pool of idle environments per function version (and per
//! configuration: an update sends new invocations to new environments while in-flight ones finish on the
//! old code), starts more when invocations arrive concurrently, enforces account and reserved
//! concurrency with AWS's throttling reasons, and reaps environments that stay idle.
//!
//! Everything that can go wrong once a function has started ends in AWS's exact error payload
//! ([`platform_error`]): a timeout kills the whole process group (`Sandbox.Timedout`), a runtime that
//! exits is `Runtime.ExitError`, a missing or unusable bootstrap is `Runtime.InvalidEntrypoint`, a
//! response over 6 MB is `Function.ResponseSizeTooLarge`; the environment is discarded and the next
//! invocation gets a fresh one. Each environment writes START, END and REPORT lines and the function's
//! own output to a rotated log stream ([`logs`]).

mod bootstrap;
mod environment;
mod isolation;
pub mod logs;
pub mod platform_error;
mod pool;
mod spec;

pub use isolation::Isolation;
pub use lamina_sandbox;
pub use pool::{ExecutionError, Executor, ExecutorConfig, InvokeRequest, Invoked, ThrottleReason};
pub use spec::FunctionVersion;
