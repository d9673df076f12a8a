//! How execution environments are isolated from the host and from each other.

use std::sync::Arc;

use lamina_sandbox::{IsolationMode, Sandbox};

/// The isolation of every environment an [`crate::Executor`] starts, chosen once at start.
///
/// The server picks it (explicitly or with [`lamina_sandbox::detect()`]) and logs it; the executor
/// never falls back to a weaker one on its own.
#[derive(Debug, Clone, Default)]
pub enum Isolation {
    /// Each bootstrap is a plain child process in its own process group, with the code directory as its
    /// task root: no filesystem, memory or process-count isolation, and no emulation of foreign
    /// architectures.
    #[default]
    Process,
    /// Each bootstrap runs in its own [`lamina_sandbox`] sandbox: the code read-only at `/var/task`, a
    /// `/tmp` tmpfs of the function's EphemeralStorage size, a cgroup limited to its MemorySize (with a
    /// CPU share proportional to it and a pids limit), a non-root user, and qemu-user for a foreign
    /// architecture. The [`Sandbox`] is the host-wide launcher, created once (in
    /// [`IsolationMode::Sandbox`]).
    Sandbox(Arc<Sandbox>),
}

impl Isolation {
    /// The mode's name for logs (`sandbox`, `process`).
    pub fn mode(&self) -> IsolationMode {
        match self {
            Isolation::Process => IsolationMode::Process,
            Isolation::Sandbox(sandbox) => sandbox.mode(),
        }
    }

    /// The sandbox launcher, when environments are sandboxed (a launcher in `Process` mode counts as
    /// process isolation).
    pub(crate) fn sandbox(&self) -> Option<&Arc<Sandbox>> {
        match self {
            Isolation::Sandbox(sandbox) if sandbox.mode() == IsolationMode::Sandbox => Some(sandbox),
            _ => None,
        }
    }
}
