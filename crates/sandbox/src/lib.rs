//! Starts one process isolated from the host, and manages it until it is gone without a trace.
//!
//! The sandbox knows nothing about Lambda: the engine describes what to run in a [`SandboxSpec`] (program,
//! arguments, environment, read-only binds such as the code at `/var/task`, `/tmp` size, memory, pids,
//! CPU share, uid...) and a host-wide [`Sandbox`] starts it in the host's [`IsolationMode`]:
//!
//! - [`IsolationMode::Sandbox`] (root on Linux): new mount, PID, IPC and UTS namespaces (and optionally
//!   network), `pivot_root` into a fresh minimal root (system directories, code and layers read-only; a
//!   sized `/tmp`, a disk of its own or a tmpfs, see [`SandboxConfig::tmp_disks`]; `/proc`; a minimal `/dev`; a generated `/etc`), a cgroup with memory, pids and
//!   CPU limits (v1 or v2, detected), rlimits, a non-root user without any capability and with
//!   `no_new_privs`, and a seccomp deny-list. A program built for the other architecture (aarch64 on x86_64 or the reverse) runs
//!   under the host's static qemu-user emulator.
//! - [`IsolationMode::Process`]: a plain child process with a clean environment, for hosts that cannot do
//!   the above. Choose it explicitly or through [`detect()`], which says why; nothing falls back silently.
//!
//! [`Sandbox::spawn`] returns a [`SandboxedProcess`]: wait for it (blocking or async), read what its
//! cgroup measured ([`SandboxStats`]: peak memory, OOM kills), kill the whole tree with an optional grace
//! period, and tear it down (mounts live in the sandbox's own mount namespace and vanish with it; the
//! cgroup is removed). Errors say which step failed on what ([`SandboxError`], [`SetupError`]); a program
//! that cannot be executed gives an [`ExecError`] worded as Lambda's `Runtime.InvalidEntrypoint`
//! ("fork/exec /var/task/bootstrap: permission denied").
//!
//! # The helper
//!
//! The server is multi-threaded, so the privileged setup runs in a freshly exec'd helper: the server's own
//! binary re-exec'd as `lamina sandbox-init` (see [`HelperCommand`]), whose `main` calls
//! [`init::run_from_args`] before anything else. The [`init`] module documents the three processes
//! involved and why.
//!
//! # Example
//!
//! ```no_run
//! use lamina_sandbox::{HelperCommand, Sandbox, SandboxConfig, SandboxSpec, MIB};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let config = SandboxConfig::new(HelperCommand::current_exe("sandbox-init"));
//! let detection = lamina_sandbox::detect(&config);
//! println!("isolation: {} ({})", detection.mode, detection.reason);
//! let sandbox = Sandbox::new(detection.mode, config)?;
//!
//! let spec = SandboxSpec::builder("/var/task/bootstrap")?
//!     .read_only_bind("/srv/functions/hello", "/var/task")?
//!     .cwd("/var/task")?
//!     .env("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001")?
//!     .memory(128 * MIB)?
//!     .tmp_size(512 * MIB)?
//!     .build();
//! let mut process = sandbox.spawn(spec)?;
//! let status = process.wait()?;
//! let stats = process.teardown()?;
//! println!("{status}, peak memory {:?}, OOM killed: {}", stats.memory_peak_bytes, stats.oom_killed());
//! # Ok(())
//! # }
//! ```

#![warn(missing_docs)]

pub mod arch;
pub mod cgroup;
mod detect;
pub mod error;
mod group_watchdog;
pub mod init;
mod plain;
mod process;
mod protocol;
mod spawn;
pub mod spec;
mod tmp_disk;

use std::path::PathBuf;
use std::time::Duration;

pub use arch::Arch;
pub use cgroup::{CgroupBackend, CgroupVersion, SandboxStats};
pub use detect::{Detection, detect};
pub use error::{Errno, ExecError, ExecErrorKind, MissingEmulator, SandboxError, SetupError, TmpDiskError};
pub use group_watchdog::{GroupWatchdog, WatchedGroup};
pub use process::SandboxedProcess;
pub use spec::{
    Emulation, IsolationMode, MIB, Network, NetworkPlan, OUTBOUND_DNS, SandboxSpec, SandboxSpecBuilder,
    SpecError, Stdio,
};

/// How the server runs the helper: a program and the arguments that make it call
/// [`init::run_from_args`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelperCommand {
    /// The program (`/proc/self/exe` for the server's own binary).
    pub program: PathBuf,
    /// Its arguments (`["sandbox-init"]`).
    pub args: Vec<String>,
}

impl HelperCommand {
    /// The running binary itself with one subcommand: `/proc/self/exe <subcommand>`. `/proc/self/exe` keeps
    /// pointing at the binary the server started from even if the file is replaced on disk.
    pub fn current_exe(subcommand: &str) -> HelperCommand {
        HelperCommand {
            program: PathBuf::from("/proc/self/exe"),
            args: vec![subcommand.to_owned()],
        }
    }

    /// Another binary whose `main` calls [`init::run_from_args`] with no arguments.
    pub fn binary(program: impl Into<PathBuf>) -> HelperCommand {
        HelperCommand {
            program: program.into(),
            args: Vec::new(),
        }
    }
}

/// Host-wide settings of the sandbox, shared by every sandbox the server starts.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// How to start the helper.
    pub helper: HelperCommand,
    /// Where sandbox cgroups go, relative to each hierarchy's root (default `lamina`).
    pub cgroup_parent: String,
    /// An empty host directory on which each sandbox assembles its root, in its own mount namespace, so
    /// the host never sees those mounts (default `/run/lamina/sandbox-root`).
    pub staging_dir: PathBuf,
    /// How long the setup may take before the sandbox is killed (default 30 s).
    pub setup_timeout: Duration,
    /// Whether to hold a `favordynmods` cgroup hierarchy while the [`Sandbox`] lives, so that joining a
    /// sandbox's cgroup does not wait for an RCU grace period (see [`cgroup::FastMigrations`]; default
    /// on).
    pub fast_cgroup_migrations: bool,
    /// The user-mode network stack that gives sandboxes with [`Network::Outbound`] their way out
    /// (default: `slirp4netns` from the usual system directories, see [`find_slirp4netns`]); without it,
    /// such sandboxes are refused.
    pub slirp4netns: Option<PathBuf>,
    /// The network the spare helper prepares ahead of need (see [`Sandbox::spawn`]): that of the
    /// sandboxes this host starts most (default: the host's network, nothing to prepare).
    pub spare_network: NetworkPlan,
    /// Where the disks that hold sandboxes' `/tmp` are made (unnamed files, plus one small pristine image
    /// per size): each sandbox's `/tmp` is then an ext4 filesystem of its own on a loop device, sized as
    /// its spec says, not charged to its memory limit. `None` (the default), or a host that cannot (see
    /// [`Sandbox::tmp_on_disk`]): `/tmp` is a tmpfs, whose pages count against the sandbox's memory.
    pub tmp_disks: Option<PathBuf>,
}

/// Where `slirp4netns` is, among the system's program directories (the server's `PATH` is not trusted
/// for a program that runs as root).
pub fn find_slirp4netns() -> Option<PathBuf> {
    ["/usr/bin", "/bin", "/usr/local/bin", "/usr/sbin", "/sbin"]
        .iter()
        .map(|dir| PathBuf::from(dir).join("slirp4netns"))
        .find(|path| path.is_file())
}

impl SandboxConfig {
    /// The defaults with the given helper.
    pub fn new(helper: HelperCommand) -> SandboxConfig {
        SandboxConfig {
            helper,
            cgroup_parent: "lamina".to_owned(),
            staging_dir: PathBuf::from("/run/lamina/sandbox-root"),
            setup_timeout: Duration::from_secs(30),
            fast_cgroup_migrations: true,
            slirp4netns: find_slirp4netns(),
            spare_network: NetworkPlan::default(),
            tmp_disks: None,
        }
    }
}

/// The host's sandbox launcher in one isolation mode: checked once at start, then [`Sandbox::spawn`] for
/// each process. Cheap to share (`&Sandbox` is all `spawn` needs).
#[derive(Debug)]
pub struct Sandbox {
    mode: IsolationMode,
    config: SandboxConfig,
    cgroups: Option<CgroupBackend>,
    fast_migrations: Result<cgroup::FastMigrations, String>,
    spare: spawn::Spare,
    tmp_disks: Result<tmp_disk::TmpDisks, String>,
}

impl Sandbox {
    /// A launcher for `mode`. For [`IsolationMode::Sandbox`], checks that the host allows it (root,
    /// namespaces, cgroups with the memory and pids controllers) and prepares the staging directory; if it
    /// does not, fails with [`SandboxError::Unavailable`] rather than isolating less.
    pub fn new(mode: IsolationMode, config: SandboxConfig) -> Result<Sandbox, SandboxError> {
        let cgroups = match mode {
            IsolationMode::Process => None,
            IsolationMode::Sandbox => {
                let cgroups = detect::check_sandbox_support(&config)
                    .map_err(|reason| SandboxError::Unavailable { mode, reason })?;
                std::fs::create_dir_all(&config.staging_dir).map_err(|e| SandboxError::Unavailable {
                    mode,
                    reason: format!(
                        "cannot create the staging directory {}: {e}",
                        config.staging_dir.display()
                    ),
                })?;
                Some(cgroups)
            }
        };
        let fast_migrations = match (&cgroups, config.fast_cgroup_migrations) {
            (None, _) => Err("process isolation has no cgroups".to_owned()),
            (Some(_), false) => Err("turned off".to_owned()),
            // A named v1 hierarchy beside cgroup v2 is refused where v1 is disabled, and with the
            // attempts (retried on EBUSY) a 6.1 kernel booted with cgroup_no_v1=all hung in a soft
            // lockup in about half the test runs; there, favordynmods is an option of the unified
            // hierarchy's mount, which is the host's to choose.
            (Some(CgroupBackend::V2(_)), true) => Err(
                "cgroup v2: favordynmods is a mount option of the host's unified hierarchy, left as it is"
                    .to_owned(),
            ),
            (Some(CgroupBackend::V1(_)), true) => cgroup::FastMigrations::enable(),
        };
        let tmp_disks = match (mode, &config.tmp_disks) {
            (IsolationMode::Process, _) => Err("process isolation uses the host's /tmp".to_owned()),
            (IsolationMode::Sandbox, None) => Err("not configured".to_owned()),
            (IsolationMode::Sandbox, Some(dir)) => tmp_disk::TmpDisks::open(dir).map_err(|e| e.to_string()),
        };
        let spare = spawn::Spare::default();
        if mode == IsolationMode::Sandbox {
            // A plan the host cannot provide gets no spare: the sandboxes asking for it are refused.
            if let Ok(plan) = spawn::helper_plan(&config, config.spare_network) {
                spare.refill(&config, &plan);
            }
        }
        Ok(Sandbox {
            mode,
            config,
            cgroups,
            fast_migrations,
            spare,
            tmp_disks,
        })
    }

    /// The isolation mode.
    pub fn mode(&self) -> IsolationMode {
        self.mode
    }

    /// The cgroup backend (`None` in `Process` mode).
    pub fn cgroups(&self) -> Option<&CgroupBackend> {
        self.cgroups.as_ref()
    }

    /// Whether joining a sandbox's cgroup skips the RCU grace period: `Ok` while this launcher holds the
    /// `favordynmods` hierarchy, else why not (see [`cgroup::FastMigrations`]).
    pub fn fast_cgroup_migrations(&self) -> Result<(), &str> {
        self.fast_migrations.as_ref().map(|_| ()).map_err(String::as_str)
    }

    /// Whether sandboxes' `/tmp` is a disk of its own (see [`SandboxConfig::tmp_disks`]): `Ok`, or why it
    /// is a tmpfs charged to the sandbox's memory instead.
    pub fn tmp_on_disk(&self) -> Result<(), &str> {
        self.tmp_disks.as_ref().map(|_| ()).map_err(String::as_str)
    }

    /// How many `/tmp` disks of `bytes` are ready for the next sandboxes (0 when `/tmp` is not on disk).
    pub fn tmp_disks_ready(&self, bytes: u64) -> usize {
        self.tmp_disks.as_ref().map_or(0, |disks| disks.ready(bytes))
    }

    /// The host-wide settings.
    pub fn config(&self) -> &SandboxConfig {
        &self.config
    }

    /// Starts `spec`'s program and returns once it runs (its `execve` succeeded) or failed to start.
    ///
    /// This blocks for the time the setup takes (a few milliseconds in `Sandbox` mode); from async code,
    /// call it through `tokio::task::spawn_blocking`. One helper waits ahead of need for the usual stdio
    /// (stdin from `/dev/null`, stdout and stderr piped) and [`SandboxConfig::spare_network`]: it has
    /// already created the network namespace, started the network stack and listened inside, so a
    /// sandbox that fits it waits for none of that.
    pub fn spawn(&self, spec: SandboxSpec) -> Result<SandboxedProcess, SandboxError> {
        match (self.mode, &self.cgroups) {
            (IsolationMode::Sandbox, Some(cgroups)) => spawn::spawn(
                &self.config,
                cgroups,
                &self.spare,
                self.tmp_disks.as_ref().ok(),
                spec,
            ),
            (IsolationMode::Sandbox, None) => Err(SandboxError::Unavailable {
                mode: self.mode,
                reason: "no cgroup backend".to_owned(),
            }),
            (IsolationMode::Process, _) => plain::spawn(spec),
        }
    }
}
