//! The errors of the sandbox: [`SandboxError`] for the caller, [`SetupError`] for a step that failed inside
//! the helper (it crosses the status pipe as JSON), and [`ExecError`] for the final exec, worded the way
//! Lambda reports an invalid entrypoint.

use std::fmt;
use std::io;
use std::path::PathBuf;
use std::process::ExitStatus;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::arch::Arch;
use crate::cgroup::CgroupError;
use crate::spec::SpecError;

/// An `errno` value that survives serialisation, displayed as Go's `syscall.Errno` words it ("permission
/// denied", "exec format error", "no such file or directory"), which is how Lambda's messages read.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Errno(pub i32);

impl Errno {
    /// The errno of an I/O error (`EIO` when it carries none).
    pub fn of(error: &io::Error) -> Errno {
        Errno(error.raw_os_error().unwrap_or(libc::EIO))
    }

    /// The errno of a nix error.
    pub(crate) fn nix(errno: nix::errno::Errno) -> Errno {
        Errno(errno as i32)
    }
}

impl fmt::Display for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let desc = nix::errno::Errno::from_raw(self.0).desc();
        let mut chars = desc.chars();
        match chars.next() {
            Some(first) => write!(f, "{}{}", first.to_lowercase(), chars.as_str()),
            None => write!(f, "errno {}", self.0),
        }
    }
}

impl fmt::Debug for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", nix::errno::Errno::from_raw(self.0))
    }
}

/// Why the program itself could not be executed: what Lambda reports as `Runtime.InvalidEntrypoint`.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize, Deserialize)]
#[error("fork/exec {}: {errno}", path.display())]
pub struct ExecError {
    /// The program, as a path inside the sandbox.
    pub path: PathBuf,
    /// What `execve` (or the access check before an emulated exec) returned.
    pub errno: Errno,
}

/// A program built for another architecture, on a host without the emulator that would run it.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize, Deserialize)]
#[error(
    "fork/exec {}: exec format error ({arch} program; the host has no {emulator} to run it: install it with `apt-get install qemu-user-static`)",
    program.display()
)]
pub struct MissingEmulator {
    /// The program, as a path inside the sandbox.
    pub program: PathBuf,
    /// Its architecture.
    pub arch: Arch,
    /// The emulator looked for.
    pub emulator: String,
}

/// The classes of exec failure Lambda tells apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExecErrorKind {
    /// `ENOENT`: no such program, or its ELF interpreter or `#!` interpreter is missing.
    NotFound,
    /// `EACCES`: not executable, or a directory on the way is not searchable.
    PermissionDenied,
    /// `ENOEXEC`: not an executable format (or a foreign architecture with emulation disabled).
    FormatError,
    /// Anything else (`E2BIG`, `ENOMEM`, `ETXTBSY`...).
    Other,
}

impl ExecError {
    /// The class of failure.
    pub fn kind(&self) -> ExecErrorKind {
        match self.errno.0 {
            libc::ENOENT => ExecErrorKind::NotFound,
            libc::EACCES => ExecErrorKind::PermissionDenied,
            libc::ENOEXEC => ExecErrorKind::FormatError,
            _ => ExecErrorKind::Other,
        }
    }
}

/// A step of the setup inside the helper that failed. Each variant names the step and what it acted on.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize, Deserialize)]
#[non_exhaustive]
pub enum SetupError {
    /// The helper could not read or parse what the parent sent.
    #[error("reading the sandbox request from the parent: {detail}")]
    ReadRequest {
        /// What went wrong.
        detail: String,
    },
    /// Moving into the sandbox's cgroup failed.
    #[error("joining cgroup {}: {errno}", path.display())]
    JoinCgroup {
        /// The `cgroup.procs` file.
        path: PathBuf,
        /// The error.
        errno: Errno,
    },
    /// `unshare` of the namespaces failed.
    #[error("creating namespaces ({namespaces}): {errno}")]
    Unshare {
        /// Which namespaces.
        namespaces: String,
        /// The error.
        errno: Errno,
    },
    /// A `fork` in the helper failed.
    #[error("forking the {what}: {errno}")]
    Fork {
        /// Which process was being created.
        what: String,
        /// The error.
        errno: Errno,
    },
    /// A pipe or signal mask of the helper could not be set up.
    #[error("{what}: {errno}")]
    Helper {
        /// What was being done.
        what: String,
        /// The error.
        errno: Errno,
    },
    /// A mount failed.
    #[error("mounting {what} on {}: {errno}", target.display())]
    Mount {
        /// The source (a host path) or filesystem type.
        what: String,
        /// The mount point, as a host path before `pivot_root` or a sandbox path after.
        target: PathBuf,
        /// The error.
        errno: Errno,
    },
    /// Creating a directory, file or symlink of the new root failed.
    #[error("creating {}: {errno}", path.display())]
    CreatePath {
        /// The path.
        path: PathBuf,
        /// The error.
        errno: Errno,
    },
    /// Reading a host file the sandbox copies from failed.
    #[error("reading {}: {errno}", path.display())]
    ReadHostFile {
        /// The path.
        path: PathBuf,
        /// The error.
        errno: Errno,
    },
    /// Setting the hostname failed.
    #[error("setting hostname {hostname}: {errno}")]
    Hostname {
        /// The hostname.
        hostname: String,
        /// The error.
        errno: Errno,
    },
    /// Bringing up the loopback interface of the network namespace failed.
    #[error("bringing up the loopback interface: {errno}")]
    Loopback {
        /// The error.
        errno: Errno,
    },
    /// The sandbox asked for outbound network and the host has no user-mode network stack.
    #[error(
        "no user-mode network stack for outbound network: install slirp4netns (Debian package `slirp4netns`) or give sandboxes no outbound network"
    )]
    NoNetworkStack,
    /// A step of creating the sandbox's network namespace failed.
    #[error("{what}: {errno}")]
    NetworkNamespace {
        /// What was being done.
        what: String,
        /// The error.
        errno: Errno,
    },
    /// Starting or waiting for the user-mode network stack (slirp4netns) failed.
    #[error("{what}: {errno}")]
    NetworkStack {
        /// What was being done.
        what: String,
        /// The error.
        errno: Errno,
    },
    /// Listening inside the sandbox's network namespace failed.
    #[error("listening on {address} inside the sandbox's network namespace: {errno}")]
    Listen {
        /// The address.
        address: std::net::SocketAddrV4,
        /// The error.
        errno: Errno,
    },
    /// Handing the listening socket to the parent failed.
    #[error("sending the listening socket to the parent: {errno}")]
    SendListener {
        /// The error.
        errno: Errno,
    },
    /// The request asked for another network than the helper prepared.
    #[error("the helper prepared the network {prepared:?}, the request asks for {requested:?}")]
    NetworkMismatch {
        /// What the helper prepared.
        prepared: crate::spec::NetworkPlan,
        /// What the request's spec says.
        requested: crate::spec::NetworkPlan,
    },
    /// `pivot_root` into the new root failed.
    #[error("pivot_root into {}: {errno}", new_root.display())]
    PivotRoot {
        /// The new root (host path).
        new_root: PathBuf,
        /// The error.
        errno: Errno,
    },
    /// Detaching the host's root after `pivot_root` failed.
    #[error("detaching the old root: {errno}")]
    DetachOldRoot {
        /// The error.
        errno: Errno,
    },
    /// Setting a resource limit failed.
    #[error("setting {resource} to {value}: {errno}")]
    Rlimit {
        /// `RLIMIT_NOFILE`...
        resource: String,
        /// The limit.
        value: u64,
        /// The error.
        errno: Errno,
    },
    /// Dropping capabilities failed.
    #[error("dropping capabilities: {errno}")]
    DropCapabilities {
        /// The error.
        errno: Errno,
    },
    /// Switching to the sandbox user failed.
    #[error("switching to uid {uid} gid {gid}: {errno}")]
    SetIds {
        /// The uid.
        uid: u32,
        /// The gid.
        gid: u32,
        /// The error.
        errno: Errno,
    },
    /// Building or installing the seccomp filter failed.
    #[error("installing the seccomp filter: {detail}")]
    Seccomp {
        /// What went wrong.
        detail: String,
    },
    /// Setting `no_new_privs` failed.
    #[error("setting no_new_privs: {errno}")]
    NoNewPrivs {
        /// The error.
        errno: Errno,
    },
    /// The working directory is not usable by the sandbox user.
    #[error("changing to working directory {}: {errno}", path.display())]
    Chdir {
        /// The directory, inside the sandbox.
        path: PathBuf,
        /// The error.
        errno: Errno,
    },
    /// The program could not be executed.
    #[error(transparent)]
    Exec(ExecError),
    /// The program is built for another architecture and the host has no emulator for it.
    #[error(transparent)]
    MissingEmulator(MissingEmulator),
}

/// Why a disk for a sandbox's `/tmp` could not be made (see [`crate::SandboxConfig::tmp_disks`]).
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum TmpDiskError {
    /// The disks' directory could not be created.
    #[error("creating the directory for /tmp disks {}: {source}", dir.display())]
    Directory {
        /// The directory.
        dir: PathBuf,
        /// The error.
        #[source]
        source: io::Error,
    },
    /// Neither `mke2fs` nor `mkfs.ext4` is in the system's program directories.
    #[error("no mke2fs in /usr/sbin or /sbin (Debian package `e2fsprogs`)")]
    NoMke2fs,
    /// `mke2fs` failed.
    #[error("formatting a /tmp image with {}: {detail}", program.display())]
    Mke2fs {
        /// The program.
        program: PathBuf,
        /// Its exit status and error output, or why it did not start.
        detail: String,
    },
    /// A file operation in the disks' directory failed (a full disk among others).
    #[error("{what} {}: {source}", dir.display())]
    Io {
        /// What was being done.
        what: &'static str,
        /// The disks' directory.
        dir: PathBuf,
        /// The error.
        #[source]
        source: io::Error,
    },
    /// A loop device could not be had.
    #[error("{what}: {source} (loop devices: kernel module `loop`)")]
    Loop {
        /// What was being done.
        what: String,
        /// The error.
        #[source]
        source: io::Error,
    },
    /// The filesystem could not be mounted or prepared.
    #[error("mounting the ext4 filesystem on {}: {source}", device.display())]
    Mount {
        /// The loop device.
        device: PathBuf,
        /// The error.
        #[source]
        source: io::Error,
    },
    /// The thread that makes disks ahead of need could not be started.
    #[error("starting the thread that makes /tmp disks: {source}")]
    Thread {
        /// The error.
        #[source]
        source: io::Error,
    },
}

/// Everything that can go wrong starting or managing a sandboxed process.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum SandboxError {
    /// The spec was refused.
    #[error(transparent)]
    Spec(#[from] SpecError),
    /// The host cannot provide the requested isolation; nothing weaker is used in its place.
    #[error("{mode} isolation is not available on this host: {reason}")]
    Unavailable {
        /// The mode asked for.
        mode: crate::IsolationMode,
        /// Why not.
        reason: String,
    },
    /// A cgroup operation failed.
    #[error(transparent)]
    Cgroup(#[from] CgroupError),
    /// A disk for the sandbox's `/tmp` could not be made.
    #[error("/tmp of the sandbox: {0}")]
    TmpDisk(#[from] TmpDiskError),
    /// Creating a pipe to the helper failed.
    #[error("creating a pipe to the sandbox helper: {source}")]
    Pipe {
        /// The error.
        #[source]
        source: io::Error,
    },
    /// The helper could not be started.
    #[error("starting the sandbox helper {}: {source} (is the helper command right? lamina runs itself as `lamina sandbox-init`)", helper.display())]
    SpawnHelper {
        /// The helper program.
        helper: PathBuf,
        /// The error.
        #[source]
        source: io::Error,
    },
    /// The program could not be started in `Process` mode.
    #[error("starting {}: {source}", program.display())]
    SpawnProcess {
        /// The program (host path).
        program: PathBuf,
        /// The error.
        #[source]
        source: io::Error,
    },
    /// Sending the request to the helper failed.
    #[error("sending the sandbox request to the helper: {source}")]
    SendRequest {
        /// The error.
        #[source]
        source: io::Error,
    },
    /// Receiving the listening socket the helper created inside the sandbox's network namespace failed.
    #[error("receiving the listening socket from the sandbox helper: {source}")]
    ReceiveListener {
        /// The error.
        #[source]
        source: io::Error,
    },
    /// A spec whose network namespace needs something the host or the spec lacks.
    #[error("sandbox network: {reason}")]
    Network {
        /// What is missing.
        reason: String,
    },
    /// Encoding the request failed.
    #[error("encoding the sandbox request: {source}")]
    Encode {
        /// The error.
        #[source]
        source: serde_json::Error,
    },
    /// The helper said something that is not part of the protocol.
    #[error("the sandbox helper broke protocol: {detail}")]
    Protocol {
        /// What was wrong.
        detail: String,
    },
    /// The helper exited before the program started, without saying why.
    #[error("the sandbox helper exited with {status} before the program started")]
    HelperExited {
        /// Its exit status.
        status: ExitStatus,
    },
    /// The setup did not finish in time.
    #[error("the sandbox setup did not finish within {after:?}")]
    SetupTimeout {
        /// The time allowed.
        after: Duration,
    },
    /// A step of the setup inside the helper failed.
    #[error("setting up the sandbox: {0}")]
    Setup(SetupError),
    /// The program could not be executed (Lambda's `Runtime.InvalidEntrypoint`).
    #[error(transparent)]
    Exec(ExecError),
    /// The program is built for another architecture and the host has no emulator for it.
    #[error(transparent)]
    MissingEmulator(MissingEmulator),
    /// Signalling the sandbox failed.
    #[error("sending {signal} to process {pid}: {source}")]
    Signal {
        /// The signal.
        signal: String,
        /// The process.
        pid: u32,
        /// The error.
        #[source]
        source: io::Error,
    },
    /// Waiting for the sandbox failed.
    #[error("waiting for process {pid}: {source}")]
    Wait {
        /// The process.
        pid: u32,
        /// The error.
        #[source]
        source: io::Error,
    },
}

impl SandboxError {
    /// The exec failure, when the program itself could not be executed.
    pub fn exec_error(&self) -> Option<&ExecError> {
        match self {
            SandboxError::Exec(e) => Some(e),
            _ => None,
        }
    }
}

impl From<SetupError> for SandboxError {
    fn from(error: SetupError) -> Self {
        match error {
            SetupError::Exec(e) => SandboxError::Exec(e),
            SetupError::MissingEmulator(e) => SandboxError::MissingEmulator(e),
            other => SandboxError::Setup(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exec_errors_read_like_lambda() {
        let e = |errno| ExecError {
            path: PathBuf::from("/var/task/bootstrap"),
            errno: Errno(errno),
        };
        assert_eq!(
            e(libc::EACCES).to_string(),
            "fork/exec /var/task/bootstrap: permission denied"
        );
        assert_eq!(
            e(libc::ENOEXEC).to_string(),
            "fork/exec /var/task/bootstrap: exec format error"
        );
        assert_eq!(
            e(libc::ENOENT).to_string(),
            "fork/exec /var/task/bootstrap: no such file or directory"
        );
        assert_eq!(e(libc::EACCES).kind(), ExecErrorKind::PermissionDenied);
        assert_eq!(e(libc::ENOEXEC).kind(), ExecErrorKind::FormatError);
        assert_eq!(e(libc::ENOENT).kind(), ExecErrorKind::NotFound);
        assert_eq!(e(libc::E2BIG).kind(), ExecErrorKind::Other);
    }

    #[test]
    fn setup_errors_cross_the_pipe() {
        let error = SetupError::Mount {
            what: "tmpfs".into(),
            target: PathBuf::from("/tmp"),
            errno: Errno(libc::EPERM),
        };
        let json = serde_json::to_string(&error).expect("encode");
        let back: SetupError = serde_json::from_str(&json).expect("decode");
        assert_eq!(back, error);
        assert_eq!(
            back.to_string(),
            "mounting tmpfs on /tmp: operation not permitted"
        );
        let exec = SetupError::Exec(ExecError {
            path: "/x".into(),
            errno: Errno(libc::ENOENT),
        });
        assert!(matches!(SandboxError::from(exec), SandboxError::Exec(_)));
    }
}
