//! What to run and how to box it: [`SandboxSpec`], built with [`SandboxSpecBuilder`], which checks each
//! value as it is given so that a spec that exists is one the sandbox can set up.
//!
//! Paths in a spec are paths *inside* the sandbox (`/var/task/bootstrap`), except the sources of
//! read-only binds and the CA bundle, which are host paths. The spec is serialised (JSON) and handed to the
//! freshly exec'd helper that builds the sandbox, so it holds only plain data.

use std::net::SocketAddrV4;
use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// One mebibyte, for readable sizes.
pub const MIB: u64 = 1024 * 1024;

/// Memory, in MiB (what Lambda calls MB), that buys one full CPU when the CPU share is derived from the
/// memory limit: 1,769 MB is one vCPU, as on AWS Lambda.
pub const MEMORY_MB_PER_CPU: u64 = 1769;

/// The directories a dynamically linked program needs from the host, mounted read-only when present.
pub const DEFAULT_SYSTEM_DIRS: [&str; 5] = ["/usr", "/lib", "/lib64", "/bin", "/sbin"];

/// Host files under `/etc` that a dynamically linked program reads, bound read-only when present.
pub const DEFAULT_ETC_FILES: [&str; 1] = ["/etc/ld.so.cache"];

/// Where the host keeps its CA bundle, tried in order (Debian/Ubuntu, then Fedora/Amazon Linux).
pub const CA_BUNDLE_CANDIDATES: [&str; 2] = [
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
];

/// Paths the sandbox itself lays out; binds may not land on or under them.
const RESERVED_TARGETS: [&str; 5] = ["/proc", "/dev", "/tmp", "/etc", "/.lamina"];

/// A value the spec refuses, with the field it was given for.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum SpecError {
    /// A path inside the sandbox must be absolute and plain (no `..`, no `.`).
    #[error("{field}: '{path}' must be an absolute path without '.' or '..' components")]
    NotAbsolute {
        /// Which part of the spec.
        field: &'static str,
        /// The path given.
        path: PathBuf,
    },
    /// A host path given as the source of a bind does not exist.
    #[error("{field}: host path '{path}' does not exist")]
    MissingSource {
        /// Which part of the spec.
        field: &'static str,
        /// The host path.
        path: PathBuf,
    },
    /// A bind target collides with a path the sandbox lays out itself or with another bind.
    #[error(
        "bind target '{target}' overlaps '{other}'; bind targets may not nest in each other or in {RESERVED_TARGETS:?} or the system directories"
    )]
    OverlappingTarget {
        /// The target given.
        target: PathBuf,
        /// What it overlaps.
        other: PathBuf,
    },
    /// A system file to replace that does not lie in one of the system directories.
    #[error("system file '{target}' is not in one of the system directories {dirs:?}")]
    NotASystemFile {
        /// The target given.
        target: PathBuf,
        /// The system directories.
        dirs: Vec<PathBuf>,
    },
    /// An environment variable name that cannot be passed to `execve`.
    #[error("environment variable name '{0}' is empty or contains '=' or NUL")]
    EnvName(String),
    /// A string (argument, environment value, hostname...) contains a NUL byte.
    #[error("{field} contains a NUL byte")]
    Nul {
        /// Which part of the spec.
        field: &'static str,
    },
    /// A hostname that `sethostname` would refuse or that is not a DNS label.
    #[error("hostname '{0}' must be 1 to 64 characters of letters, digits, '-' and '.'")]
    Hostname(String),
    /// A sandbox name (used for its cgroup) with characters outside `[A-Za-z0-9_-]` or too long.
    #[error("sandbox name '{0}' must be 1 to 64 characters of letters, digits, '-' and '_'")]
    Name(String),
    /// A size or count below what the sandbox can work with.
    #[error("{field} must be at least {min} (got {value})")]
    TooSmall {
        /// Which part of the spec.
        field: &'static str,
        /// The minimum.
        min: u64,
        /// The value given.
        value: u64,
    },
    /// Running the program as root would defeat the sandbox.
    #[error("the sandbox {field} must not be 0 (root)")]
    Root {
        /// `uid` or `gid`.
        field: &'static str,
    },
    /// A user or group name unfit for `/etc/passwd`.
    #[error("user name '{0}' must be 1 to 32 characters of lowercase letters, digits, '_' and '-'")]
    UserName(String),
}

/// How strongly a host isolates what it runs. The server picks one at start (explicitly or with
/// [`crate::detect()`]) and never falls back to a weaker one on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IsolationMode {
    /// Namespaces, a minimal read-only root, cgroups, rlimits, a non-root user without capabilities.
    /// Needs root on Linux.
    Sandbox,
    /// A plain child process in its own process group with a clean environment: for hosts without the
    /// privileges for `Sandbox`. No filesystem, memory or process-count isolation.
    Process,
}

impl IsolationMode {
    /// The name used in configuration and logs (`sandbox`, `process`).
    pub fn as_str(self) -> &'static str {
        match self {
            IsolationMode::Sandbox => "sandbox",
            IsolationMode::Process => "process",
        }
    }
}

impl std::fmt::Display for IsolationMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a standard stream of the program goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Stdio {
    /// The caller's own stream.
    #[default]
    Inherit,
    /// `/dev/null`.
    Null,
    /// A pipe the caller reads or writes through [`crate::SandboxedProcess`].
    Piped,
}

/// Whether a program built for another architecture runs under qemu-user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Emulation {
    /// An ELF program for a foreign architecture (aarch64 on x86_64 or the reverse) runs under the host's
    /// `qemu-<arch>-static`, bound read-only into the sandbox; without the emulator, spawning fails with
    /// [`crate::SandboxError::MissingEmulator`].
    #[default]
    Auto,
    /// Exec the program as it is (a foreign binary fails with "exec format error").
    Disabled,
}

/// Whether the sandbox gets its own network namespace, and what it reaches from there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Network {
    /// The host's network (the program reaches loopback services such as a Runtime API directly).
    #[default]
    Host,
    /// A fresh network namespace with only the loopback interface, brought up: nothing outside the
    /// sandbox is reachable.
    Isolated,
    /// A fresh network namespace whose loopback is its own, with a default route through a user-mode
    /// network stack (`slirp4netns`, [`SandboxConfig::slirp4netns`](crate::SandboxConfig::slirp4netns))
    /// running on the host: connections to addresses outside the host work and names resolve through
    /// the stack's DNS forwarder (`/etc/resolv.conf` names it), while the host's loopback, and so every
    /// service bound only there, stays out of reach.
    Outbound,
}

impl Network {
    /// Whether the sandbox has a network namespace of its own.
    pub fn is_own_namespace(self) -> bool {
        self != Network::Host
    }
}

/// The address of the DNS forwarder of the user-mode stack, as seen from a sandbox with
/// [`Network::Outbound`] (slirp4netns's built-in `10.0.2.3`).
pub const OUTBOUND_DNS: &str = "10.0.2.3";

/// What a helper prepares before it reads its request (so that a spare helper has done it ahead of
/// need): the sandbox's network namespace, and a listening socket inside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct NetworkPlan {
    /// The network of the sandbox.
    pub network: Network,
    /// A TCP socket to listen on inside the sandbox's network namespace, handed to the caller
    /// ([`crate::SandboxedProcess::take_listener`]) before the program starts.
    pub listen: Option<SocketAddrV4>,
}

/// A host path mounted read-only at a path inside the sandbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bind {
    /// Host path (a directory or a file).
    pub source: PathBuf,
    /// Absolute path inside the sandbox.
    pub target: PathBuf,
}

/// Limits enforced through the sandbox's cgroup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resources {
    /// Memory limit in bytes (swap is not allowed on top).
    pub memory_bytes: u64,
    /// Maximum number of processes and threads in the sandbox.
    pub pids_max: u64,
    /// CPU share in thousandths of a CPU: the cgroup's weight (v2 `cpu.weight`, v1 `cpu.shares`) and, when
    /// `cpu_hard_limit` is set, its quota.
    pub cpu_millis: u64,
    /// Also cap CPU time at `cpu_millis` (v2 `cpu.max`, v1 `cpu.cfs_quota_us`), as Lambda does.
    pub cpu_hard_limit: bool,
}

impl Resources {
    /// The CPU share that goes with a memory limit: 1,769 MB ([`MEMORY_MB_PER_CPU`]) is one CPU, at least
    /// 1/100 of a CPU.
    pub fn cpu_millis_for_memory(memory_bytes: u64) -> u64 {
        (memory_bytes / MIB * 1000 / MEMORY_MB_PER_CPU).max(10)
    }
}

/// Resource limits (`setrlimit`) applied to the program.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rlimits {
    /// `RLIMIT_NOFILE`, soft and hard.
    pub nofile: u64,
    /// `RLIMIT_NPROC`, soft and hard. The kernel counts it per user id across the whole host, so it only
    /// limits one sandbox when each sandbox has its own uid; the cgroup's `pids_max` always does.
    pub nproc: Option<u64>,
}

/// What the sandbox's `/etc` holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Etc {
    /// Contents of `/etc/resolv.conf`; `None` copies the host's at spawn time.
    pub resolv_conf: Option<String>,
    /// Contents of `/etc/hosts`.
    pub hosts: String,
    /// Host CA bundle, bound read-only at `/etc/ssl/certs/ca-certificates.crt` (with
    /// `/etc/pki/tls/certs/ca-bundle.crt` linking to it); `None` leaves the sandbox without one.
    pub ca_bundle: Option<PathBuf>,
    /// Other host files bound read-only at the same path (each must be under `/etc`).
    pub host_files: Vec<PathBuf>,
    /// The user name `/etc/passwd` gives the sandbox uid (and `/etc/group` its gid).
    pub user_name: String,
}

/// Everything about one sandboxed process: the program, its view of the filesystem, its identity and its
/// limits. Build one with [`SandboxSpec::builder`], the only way to make one, so that every spec has been
/// validated; read it back with the accessors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SandboxSpec {
    /// Name of the sandbox (its cgroup's name); unique among running sandboxes. Generated when not given.
    pub(crate) name: Option<String>,
    /// Absolute path of the program inside the sandbox.
    pub(crate) program: PathBuf,
    /// Arguments after `argv[0]` (which is the program path).
    pub(crate) args: Vec<String>,
    /// The whole environment of the program (nothing is inherited).
    pub(crate) env: Vec<(String, String)>,
    /// Working directory inside the sandbox.
    pub(crate) cwd: PathBuf,
    /// Read-only binds (the code directory first, then layers...).
    pub(crate) binds: Vec<Bind>,
    /// Host directories mounted read-only at the same path when they exist (symlinks such as a merged
    /// `/bin -> usr/bin` are recreated as symlinks).
    pub(crate) system_dirs: Vec<PathBuf>,
    /// Files of the system directories replaced by host files, read-only (for example `/bin/sh`).
    #[serde(default)]
    pub(crate) system_files: Vec<Bind>,
    /// Size of the `/tmp` tmpfs in bytes.
    pub(crate) tmp_size_bytes: u64,
    /// Size of the `/dev/shm` tmpfs in bytes.
    pub(crate) shm_size_bytes: u64,
    /// Hostname inside the sandbox's UTS namespace.
    pub(crate) hostname: String,
    /// User id the program runs as (never 0).
    pub(crate) uid: u32,
    /// Group id the program runs as (never 0).
    pub(crate) gid: u32,
    /// `/etc` contents.
    pub(crate) etc: Etc,
    /// Network namespace or not.
    pub(crate) network: Network,
    /// A socket listening inside the sandbox's network namespace, for the caller.
    #[serde(default)]
    pub(crate) listen: Option<SocketAddrV4>,
    /// qemu-user for foreign architectures or not.
    pub(crate) emulation: Emulation,
    /// Whether the seccomp deny-list is installed before the exec.
    pub(crate) seccomp: bool,
    /// cgroup limits.
    pub(crate) resources: Resources,
    /// rlimits.
    pub(crate) rlimits: Rlimits,
    /// Standard input of the program.
    pub(crate) stdin: Stdio,
    /// Standard output of the program.
    pub(crate) stdout: Stdio,
    /// Standard error of the program.
    pub(crate) stderr: Stdio,
}

impl SandboxSpec {
    /// Starts a spec for `program` (an absolute path inside the sandbox) with the defaults: no binds,
    /// [`DEFAULT_SYSTEM_DIRS`], 512 MiB `/tmp`, 64 MiB `/dev/shm`, uid and gid 993 (`sbx_user`), hostname
    /// `sandbox`, the host's network, 128 MiB of memory with the matching CPU share, 1024 processes, 1024
    /// open files, working directory `/`, an empty environment.
    pub fn builder(program: impl Into<PathBuf>) -> Result<SandboxSpecBuilder, SpecError> {
        let program = absolute("program", program.into())?;
        let memory_bytes = 128 * MIB;
        Ok(SandboxSpecBuilder {
            spec: SandboxSpec {
                name: None,
                program,
                args: Vec::new(),
                env: Vec::new(),
                cwd: PathBuf::from("/"),
                binds: Vec::new(),
                system_dirs: DEFAULT_SYSTEM_DIRS.iter().map(PathBuf::from).collect(),
                system_files: Vec::new(),
                tmp_size_bytes: 512 * MIB,
                shm_size_bytes: 64 * MIB,
                hostname: "sandbox".to_owned(),
                uid: 993,
                gid: 993,
                etc: Etc {
                    resolv_conf: None,
                    hosts: "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n".to_owned(),
                    ca_bundle: CA_BUNDLE_CANDIDATES
                        .iter()
                        .map(PathBuf::from)
                        .find(|p| p.is_file()),
                    host_files: DEFAULT_ETC_FILES
                        .iter()
                        .map(PathBuf::from)
                        .filter(|p| p.exists())
                        .collect(),
                    user_name: "sbx_user".to_owned(),
                },
                network: Network::Host,
                listen: None,
                emulation: Emulation::Auto,
                seccomp: true,
                resources: Resources {
                    memory_bytes,
                    pids_max: 1024,
                    cpu_millis: Resources::cpu_millis_for_memory(memory_bytes),
                    cpu_hard_limit: false,
                },
                rlimits: Rlimits {
                    nofile: 1024,
                    nproc: Some(1024),
                },
                stdin: Stdio::Inherit,
                stdout: Stdio::Inherit,
                stderr: Stdio::Inherit,
            },
            cpu_given: false,
        })
    }

    /// The sandbox's name, when one was given.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// The program, as a path inside the sandbox.
    pub fn program(&self) -> &Path {
        &self.program
    }

    /// The arguments after `argv[0]`.
    pub fn args(&self) -> &[String] {
        &self.args
    }

    /// The program's whole environment.
    pub fn env(&self) -> &[(String, String)] {
        &self.env
    }

    /// The working directory inside the sandbox.
    pub fn cwd(&self) -> &Path {
        &self.cwd
    }

    /// The read-only binds.
    pub fn binds(&self) -> &[Bind] {
        &self.binds
    }

    /// The cgroup limits.
    pub fn resources(&self) -> &Resources {
        &self.resources
    }

    /// The rlimits.
    pub fn rlimits(&self) -> &Rlimits {
        &self.rlimits
    }

    /// Size of `/tmp` in bytes.
    pub fn tmp_size_bytes(&self) -> u64 {
        self.tmp_size_bytes
    }

    /// User and group ids the program runs as.
    pub fn user(&self) -> (u32, u32) {
        (self.uid, self.gid)
    }

    /// The network of the sandbox and the socket to listen on inside it.
    pub fn network_plan(&self) -> NetworkPlan {
        NetworkPlan {
            network: self.network,
            listen: self.listen,
        }
    }

    /// The host path a sandbox path maps to through the binds, if any (used by `Process` mode, where the
    /// program runs on the host's filesystem).
    pub fn host_path(&self, inside: &Path) -> Option<PathBuf> {
        self.binds.iter().find_map(|bind| {
            inside.strip_prefix(&bind.target).ok().map(|rest| {
                if rest.as_os_str().is_empty() {
                    bind.source.clone()
                } else {
                    bind.source.join(rest)
                }
            })
        })
    }
}

/// Builds a [`SandboxSpec`]; each method checks its value and returns an error at once when it is unusable.
#[derive(Debug, Clone)]
pub struct SandboxSpecBuilder {
    spec: SandboxSpec,
    cpu_given: bool,
}

impl SandboxSpecBuilder {
    /// Names the sandbox (its cgroup): 1 to 64 of `[A-Za-z0-9_-]`, unique among running sandboxes.
    pub fn name(mut self, name: impl Into<String>) -> Result<Self, SpecError> {
        let name = name.into();
        let ok = !name.is_empty()
            && name.len() <= 64
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !ok {
            return Err(SpecError::Name(name));
        }
        self.spec.name = Some(name);
        Ok(self)
    }

    /// Appends one argument.
    pub fn arg(mut self, arg: impl Into<String>) -> Result<Self, SpecError> {
        let arg = arg.into();
        no_nul("argument", &arg)?;
        self.spec.args.push(arg);
        Ok(self)
    }

    /// Appends arguments.
    pub fn args<I, S>(mut self, args: I) -> Result<Self, SpecError>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        for arg in args {
            self = self.arg(arg)?;
        }
        Ok(self)
    }

    /// Sets one environment variable (replacing an earlier value of the same name).
    pub fn env(mut self, name: impl Into<String>, value: impl Into<String>) -> Result<Self, SpecError> {
        let (name, value) = (name.into(), value.into());
        if name.is_empty() || name.contains('=') || name.contains('\0') {
            return Err(SpecError::EnvName(name));
        }
        no_nul("environment value", &value)?;
        self.spec.env.retain(|(n, _)| *n != name);
        self.spec.env.push((name, value));
        Ok(self)
    }

    /// Sets the working directory (absolute, inside the sandbox).
    pub fn cwd(mut self, cwd: impl Into<PathBuf>) -> Result<Self, SpecError> {
        self.spec.cwd = absolute("cwd", cwd.into())?;
        Ok(self)
    }

    /// Mounts host path `source` read-only at `target` inside the sandbox: the code directory
    /// (`/var/task`), layers (`/opt`)... Targets may not nest in each other or in the paths the sandbox lays
    /// out itself (`/proc`, `/dev`, `/tmp`, `/etc` and the system directories).
    pub fn read_only_bind(
        mut self,
        source: impl Into<PathBuf>,
        target: impl Into<PathBuf>,
    ) -> Result<Self, SpecError> {
        let source = source.into();
        let target = absolute("bind target", target.into())?;
        if !source.exists() {
            return Err(SpecError::MissingSource {
                field: "bind source",
                path: source,
            });
        }
        let source = source.canonicalize().map_err(|_| SpecError::MissingSource {
            field: "bind source",
            path: source.clone(),
        })?;
        let reserved = RESERVED_TARGETS
            .iter()
            .map(PathBuf::from)
            .chain(self.spec.system_dirs.iter().cloned())
            .chain(self.spec.binds.iter().map(|b| b.target.clone()));
        for other in reserved {
            if target.starts_with(&other) || other.starts_with(&target) {
                return Err(SpecError::OverlappingTarget { target, other });
            }
        }
        self.spec.binds.push(Bind { source, target });
        Ok(self)
    }

    /// Replaces the file at `target`, inside one of the system directories, with the host file `source`,
    /// read-only: for example `/bin/sh` with bash where the host's `sh` is another shell. A symlink at
    /// `target` is followed inside the sandbox (the file it names is replaced).
    pub fn replace_system_file(
        mut self,
        source: impl Into<PathBuf>,
        target: impl Into<PathBuf>,
    ) -> Result<Self, SpecError> {
        let target = absolute("system file", target.into())?;
        let source = source.into();
        let source = source
            .canonicalize()
            .ok()
            .filter(|s| s.is_file())
            .ok_or(SpecError::MissingSource {
                field: "system file source",
                path: source,
            })?;
        if !self.spec.system_dirs.iter().any(|dir| target.starts_with(dir)) {
            return Err(SpecError::NotASystemFile {
                target,
                dirs: self.spec.system_dirs.clone(),
            });
        }
        self.spec.system_files.push(Bind { source, target });
        Ok(self)
    }

    /// Replaces the list of host system directories mounted read-only at the same path (default
    /// [`DEFAULT_SYSTEM_DIRS`]). Ones missing on the host are skipped at spawn time.
    pub fn system_dirs<I, P>(mut self, dirs: I) -> Result<Self, SpecError>
    where
        I: IntoIterator<Item = P>,
        P: Into<PathBuf>,
    {
        let mut list = Vec::new();
        for dir in dirs {
            let dir = absolute("system dir", dir.into())?;
            for reserved in RESERVED_TARGETS.iter().map(Path::new) {
                if dir.starts_with(reserved) || reserved.starts_with(&dir) {
                    return Err(SpecError::OverlappingTarget {
                        target: dir,
                        other: reserved.to_owned(),
                    });
                }
            }
            list.push(dir);
        }
        self.spec.system_dirs = list;
        Ok(self)
    }

    /// Size of `/tmp` (at least 1 MiB).
    pub fn tmp_size(mut self, bytes: u64) -> Result<Self, SpecError> {
        at_least("tmp size", MIB, bytes)?;
        self.spec.tmp_size_bytes = bytes;
        Ok(self)
    }

    /// Size of `/dev/shm` (at least 1 MiB).
    pub fn shm_size(mut self, bytes: u64) -> Result<Self, SpecError> {
        at_least("shm size", MIB, bytes)?;
        self.spec.shm_size_bytes = bytes;
        Ok(self)
    }

    /// Hostname inside the sandbox.
    pub fn hostname(mut self, hostname: impl Into<String>) -> Result<Self, SpecError> {
        let hostname = hostname.into();
        let ok = !hostname.is_empty()
            && hostname.len() <= 64
            && hostname
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
        if !ok {
            return Err(SpecError::Hostname(hostname));
        }
        self.spec.hostname = hostname;
        Ok(self)
    }

    /// User and group the program runs as (neither may be 0).
    pub fn user(mut self, uid: u32, gid: u32) -> Result<Self, SpecError> {
        if uid == 0 {
            return Err(SpecError::Root { field: "uid" });
        }
        if gid == 0 {
            return Err(SpecError::Root { field: "gid" });
        }
        self.spec.uid = uid;
        self.spec.gid = gid;
        Ok(self)
    }

    /// The name `/etc/passwd` and `/etc/group` give the sandbox user (default `sbx_user`).
    pub fn user_name(mut self, name: impl Into<String>) -> Result<Self, SpecError> {
        let name = name.into();
        let ok = !name.is_empty()
            && name.len() <= 32
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
        if !ok {
            return Err(SpecError::UserName(name));
        }
        self.spec.etc.user_name = name;
        Ok(self)
    }

    /// Contents of `/etc/resolv.conf` (default: the host's, read at spawn time).
    pub fn resolv_conf(mut self, contents: impl Into<String>) -> Self {
        self.spec.etc.resolv_conf = Some(contents.into());
        self
    }

    /// Contents of `/etc/hosts`.
    pub fn hosts(mut self, contents: impl Into<String>) -> Self {
        self.spec.etc.hosts = contents.into();
        self
    }

    /// The host CA bundle to expose (default: the first of [`CA_BUNDLE_CANDIDATES`] present), or `None`.
    pub fn ca_bundle(mut self, bundle: Option<PathBuf>) -> Result<Self, SpecError> {
        if let Some(path) = &bundle
            && !path.is_file()
        {
            return Err(SpecError::MissingSource {
                field: "ca bundle",
                path: path.clone(),
            });
        }
        self.spec.etc.ca_bundle = bundle;
        Ok(self)
    }

    /// Network namespace or the host's network.
    pub fn network(mut self, network: Network) -> Self {
        self.spec.network = network;
        self
    }

    /// A TCP socket listening at `address` inside the sandbox's own network namespace (a network other
    /// than [`Network::Host`]), created before the program starts and handed to the caller through
    /// [`crate::SandboxedProcess::take_listener`]: how a server serves a program on its loopback (the
    /// Runtime API at `127.0.0.1:9001`) while connections can only come from inside.
    pub fn listen(mut self, address: SocketAddrV4) -> Self {
        self.spec.listen = Some(address);
        self
    }

    /// qemu-user for foreign architectures (default [`Emulation::Auto`]).
    pub fn emulation(mut self, emulation: Emulation) -> Self {
        self.spec.emulation = emulation;
        self
    }

    /// Whether to install the seccomp filter (default on): it denies user namespaces, mounts, `bpf`,
    /// `perf_event_open`, `userfaultfd`, `io_uring`, keyrings and module loading with `EPERM`.
    pub fn seccomp(mut self, enabled: bool) -> Self {
        self.spec.seccomp = enabled;
        self
    }

    /// Memory limit in bytes (at least 8 MiB). Unless [`Self::cpu_millis`] is given, the CPU share follows:
    /// 1,769 MB is one CPU.
    pub fn memory(mut self, bytes: u64) -> Result<Self, SpecError> {
        at_least("memory", 8 * MIB, bytes)?;
        self.spec.resources.memory_bytes = bytes;
        if !self.cpu_given {
            self.spec.resources.cpu_millis = Resources::cpu_millis_for_memory(bytes);
        }
        Ok(self)
    }

    /// Maximum number of processes and threads (at least 4: the sandbox's init, the program and room to
    /// fork).
    pub fn pids_max(mut self, pids: u64) -> Result<Self, SpecError> {
        at_least("pids max", 4, pids)?;
        self.spec.resources.pids_max = pids;
        Ok(self)
    }

    /// CPU share in thousandths of a CPU (at least 10), instead of the one derived from memory.
    pub fn cpu_millis(mut self, millis: u64) -> Result<Self, SpecError> {
        at_least("cpu millis", 10, millis)?;
        self.spec.resources.cpu_millis = millis;
        self.cpu_given = true;
        Ok(self)
    }

    /// Caps CPU time at the CPU share (a quota), not only weighs it.
    pub fn cpu_hard_limit(mut self, hard: bool) -> Self {
        self.spec.resources.cpu_hard_limit = hard;
        self
    }

    /// `RLIMIT_NOFILE` (at least 16).
    pub fn nofile(mut self, limit: u64) -> Result<Self, SpecError> {
        at_least("nofile", 16, limit)?;
        self.spec.rlimits.nofile = limit;
        Ok(self)
    }

    /// `RLIMIT_NPROC`, or `None` to leave it to the cgroup's pids limit.
    pub fn nproc(mut self, limit: Option<u64>) -> Result<Self, SpecError> {
        if let Some(limit) = limit {
            at_least("nproc", 4, limit)?;
        }
        self.spec.rlimits.nproc = limit;
        Ok(self)
    }

    /// Standard input of the program.
    pub fn stdin(mut self, stdio: Stdio) -> Self {
        self.spec.stdin = stdio;
        self
    }

    /// Standard output of the program.
    pub fn stdout(mut self, stdio: Stdio) -> Self {
        self.spec.stdout = stdio;
        self
    }

    /// Standard error of the program.
    pub fn stderr(mut self, stdio: Stdio) -> Self {
        self.spec.stderr = stdio;
        self
    }

    /// The finished spec.
    pub fn build(self) -> SandboxSpec {
        self.spec
    }
}

fn absolute(field: &'static str, path: PathBuf) -> Result<PathBuf, SpecError> {
    let plain = path.is_absolute()
        && path
            .components()
            .all(|c| matches!(c, Component::RootDir | Component::Normal(_)));
    if !plain || path.as_os_str().as_encoded_bytes().contains(&0) {
        return Err(SpecError::NotAbsolute { field, path });
    }
    Ok(path)
}

fn no_nul(field: &'static str, value: &str) -> Result<(), SpecError> {
    if value.contains('\0') {
        return Err(SpecError::Nul { field });
    }
    Ok(())
}

fn at_least(field: &'static str, min: u64, value: u64) -> Result<(), SpecError> {
    if value < min {
        return Err(SpecError::TooSmall { field, min, value });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn program_must_be_absolute_and_plain() {
        assert!(matches!(
            SandboxSpec::builder("bootstrap"),
            Err(SpecError::NotAbsolute { .. })
        ));
        assert!(matches!(
            SandboxSpec::builder("/var/task/../bootstrap"),
            Err(SpecError::NotAbsolute { .. })
        ));
        assert!(SandboxSpec::builder("/var/task/bootstrap").is_ok());
    }

    #[test]
    fn only_files_of_the_system_directories_can_be_replaced() {
        let file = tempfile::NamedTempFile::new().expect("file");
        let b = SandboxSpec::builder("/var/task/bootstrap").expect("builder");
        let replaced = b
            .clone()
            .replace_system_file(file.path(), "/bin/sh")
            .expect("a file of /bin")
            .build();
        assert_eq!(replaced.system_files[0].target, Path::new("/bin/sh"));
        assert!(matches!(
            b.clone().replace_system_file(file.path(), "/var/task/sh"),
            Err(SpecError::NotASystemFile { .. })
        ));
        assert!(matches!(
            b.clone().replace_system_file("/nonexistent/bash", "/bin/sh"),
            Err(SpecError::MissingSource { .. })
        ));
        assert!(matches!(
            b.replace_system_file(std::env::temp_dir(), "/bin/sh"),
            Err(SpecError::MissingSource { .. })
        ));
    }

    #[test]
    fn binds_may_not_nest_or_cover_reserved_paths() {
        let dir = tempfile::tempdir().expect("tempdir");
        let b = SandboxSpec::builder("/var/task/bootstrap")
            .expect("builder")
            .read_only_bind(dir.path(), "/var/task")
            .expect("code bind");
        let err = b
            .clone()
            .read_only_bind(dir.path(), "/var/task/lib")
            .expect_err("refused");
        assert!(matches!(err, SpecError::OverlappingTarget { .. }), "{err}");
        let err = b
            .clone()
            .read_only_bind(dir.path(), "/tmp/x")
            .expect_err("refused");
        assert!(matches!(err, SpecError::OverlappingTarget { .. }), "{err}");
        let err = b
            .clone()
            .read_only_bind(dir.path(), "/usr/local")
            .expect_err("refused");
        assert!(matches!(err, SpecError::OverlappingTarget { .. }), "{err}");
        let err = b
            .clone()
            .read_only_bind("/nonexistent/lamina", "/opt")
            .expect_err("refused");
        assert!(matches!(err, SpecError::MissingSource { .. }), "{err}");
        assert!(b.read_only_bind(dir.path(), "/opt").is_ok());
    }

    #[test]
    fn validates_values_as_they_are_given() {
        let b = SandboxSpec::builder("/bin/true").expect("builder");
        assert!(matches!(
            b.clone().user(0, 993),
            Err(SpecError::Root { field: "uid" })
        ));
        assert!(matches!(
            b.clone().user(993, 0),
            Err(SpecError::Root { field: "gid" })
        ));
        assert!(matches!(b.clone().env("A=B", "x"), Err(SpecError::EnvName(_))));
        assert!(matches!(b.clone().arg("a\0b"), Err(SpecError::Nul { .. })));
        assert!(matches!(b.clone().hostname("a b"), Err(SpecError::Hostname(_))));
        assert!(matches!(b.clone().name("../x"), Err(SpecError::Name(_))));
        assert!(matches!(b.clone().memory(MIB), Err(SpecError::TooSmall { .. })));
        assert!(matches!(b.clone().user_name("Root"), Err(SpecError::UserName(_))));
    }

    #[test]
    fn env_replaces_earlier_values() {
        let spec = SandboxSpec::builder("/bin/true")
            .and_then(|b| b.env("A", "1"))
            .and_then(|b| b.env("B", "2"))
            .and_then(|b| b.env("A", "3"))
            .expect("spec")
            .build();
        assert_eq!(spec.env, vec![("B".into(), "2".into()), ("A".into(), "3".into())]);
    }

    #[test]
    fn cpu_follows_memory_unless_given() {
        let spec = SandboxSpec::builder("/bin/true")
            .and_then(|b| b.memory(1769 * MIB))
            .expect("spec")
            .build();
        assert_eq!(spec.resources.cpu_millis, 1000);
        let spec = SandboxSpec::builder("/bin/true")
            .and_then(|b| b.cpu_millis(250))
            .and_then(|b| b.memory(1769 * MIB))
            .expect("spec")
            .build();
        assert_eq!(spec.resources.cpu_millis, 250);
        assert_eq!(Resources::cpu_millis_for_memory(128 * MIB), 72);
    }

    #[test]
    fn host_path_follows_binds() {
        let dir = tempfile::tempdir().expect("tempdir");
        let spec = SandboxSpec::builder("/var/task/bootstrap")
            .and_then(|b| b.read_only_bind(dir.path(), "/var/task"))
            .expect("spec")
            .build();
        let root = dir.path().canonicalize().expect("canonical");
        assert_eq!(
            spec.host_path(Path::new("/var/task/bootstrap")),
            Some(root.join("bootstrap"))
        );
        assert_eq!(spec.host_path(Path::new("/var/task")), Some(root));
        assert_eq!(spec.host_path(Path::new("/var/taskx")), None);
    }
}
