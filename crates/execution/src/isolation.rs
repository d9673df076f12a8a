//! How execution environments are isolated from the host and from each other.

use std::sync::Arc;

use lamina_model::Architecture;
use lamina_sandbox::{GroupWatchdog, IsolationMode, Sandbox};

/// The isolation of every environment an [`crate::Executor`] starts, chosen once at start.
///
/// The server picks it (explicitly or with [`lamina_sandbox::detect()`]) and logs it; the executor
/// never falls back to a weaker one on its own.
#[derive(Debug, Clone)]
pub enum Isolation {
    /// Each bootstrap is a plain child process in its own process group, with the code directory as its
    /// task root: no filesystem, memory or process-count isolation, and no emulation of foreign
    /// architectures. With a [`GroupWatchdog`], every group is killed when the server dies, even by
    /// `kill -9` (the server starts one; without it, a bootstrap outlives a killed server until it
    /// exits by itself).
    Process(Option<Arc<GroupWatchdog>>),
    /// Each bootstrap runs in its own [`lamina_sandbox`] sandbox: the code read-only at `/var/task`, a
    /// `/tmp` tmpfs of the function's EphemeralStorage size, a cgroup limited to its MemorySize (with a
    /// CPU share proportional to it and a pids limit), a non-root user, and qemu-user for a foreign
    /// architecture. The [`Sandbox`] is the host-wide launcher, created once (in
    /// [`IsolationMode::Sandbox`]).
    Sandbox(Arc<Sandbox>),
}

impl Default for Isolation {
    /// Process isolation without a watchdog.
    fn default() -> Isolation {
        Isolation::Process(None)
    }
}

impl Isolation {
    /// The mode's name for logs (`sandbox`, `process`).
    pub fn mode(&self) -> IsolationMode {
        match self {
            Isolation::Process(_) => IsolationMode::Process,
            Isolation::Sandbox(sandbox) => sandbox.mode(),
        }
    }

    /// Whether functions of `arch` can run here: natively, under an emulator (its path), or not, with
    /// why and what fixes it. Checked at start (the banner) and at every deploy (a warning where the
    /// user looks), since Lambda accepts a function of either architecture.
    pub fn runs(&self, arch: Architecture) -> ArchitectureSupport {
        let Some(host) = Architecture::host() else {
            return ArchitectureSupport::Unavailable(format!(
                "this host's processor ({}) is neither x86_64 nor arm64",
                std::env::consts::ARCH
            ));
        };
        if host == arch {
            return ArchitectureSupport::Native;
        }
        if self.sandbox().is_none() {
            return ArchitectureSupport::Unavailable(format!(
                "process isolation runs {host} executables only; `lamina serve --isolation sandbox` (as root) \
                 runs {arch} functions under qemu-user"
            ));
        }
        let wanted = match arch {
            Architecture::X86_64 => lamina_sandbox::Arch::X86_64,
            Architecture::Arm64 => lamina_sandbox::Arch::Aarch64,
        };
        match wanted.find_emulator(std::path::Path::new("/")) {
            Some(path) => ArchitectureSupport::Emulated(path),
            None => ArchitectureSupport::Unavailable(format!(
                "{} is not installed: `sudo apt-get install qemu-user-static`, then start lamina again",
                wanted.emulator_name()
            )),
        }
    }

    /// The watchdog of plain bootstraps' process groups, in process isolation.
    pub(crate) fn watchdog(&self) -> Option<&Arc<GroupWatchdog>> {
        match self {
            Isolation::Process(watchdog) => watchdog.as_ref(),
            Isolation::Sandbox(_) => None,
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

/// How this server runs functions of one architecture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArchitectureSupport {
    /// The host's own.
    Native,
    /// Under the qemu-user emulator at this path, inside the sandbox.
    Emulated(std::path::PathBuf),
    /// Not at all: why, and what would fix it.
    Unavailable(String),
}
