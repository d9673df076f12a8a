//! [`SandboxedProcess`]: a started sandbox, from running to torn down.

#![allow(unsafe_code)]

use std::os::fd::OwnedFd;
use std::process::{Child, ChildStderr, ChildStdin, ChildStdout, ExitStatus};
use std::time::{Duration, Instant};

use rustix::process::{Pid, PidfdFlags, Signal, pidfd_open, pidfd_send_signal};

use crate::cgroup::{Cgroup, SandboxStats};
use crate::error::SandboxError;
use crate::spec::IsolationMode;

/// A running (or finished) sandboxed program.
///
/// In `Sandbox` mode the server's direct child is the helper, which exits exactly as the program does
/// (same exit code, or killed by the same signal), so [`Self::wait`] reports the program's status. The
/// process tree is rooted at the sandbox's init ([`Self::pid`]), PID 1 of its own PID namespace: killing
/// it kills every process of the sandbox.
///
/// Dropping it kills the tree and removes the cgroup; [`Self::teardown`] does the same and reports errors
/// and the final [`SandboxStats`]. Both block until the killed processes are reaped (well under a
/// millisecond normally); from async code, tear down through `spawn_blocking` when that matters. Piped
/// streams convert to tokio's with `tokio::process::ChildStdout::from_std` and friends.
#[derive(Debug)]
pub struct SandboxedProcess {
    name: String,
    mode: IsolationMode,
    child: Child,
    /// The sandbox's init: host pid and a pidfd, so signals never reach a recycled pid.
    init: Option<(u32, Option<OwnedFd>)>,
    cgroup: Option<Cgroup>,
    status: Option<ExitStatus>,
    torn_down: bool,
    /// The socket listening inside the sandbox's network namespace, until the caller takes it.
    listener: Option<std::net::TcpListener>,
    /// The sandbox's `/tmp` disk, let go of after the sandbox has ended (fields drop after `drop`).
    tmp_disk: Option<crate::tmp_disk::InUse>,
    /// The program's standard input, when the spec asked for [`crate::Stdio::Piped`].
    pub stdin: Option<ChildStdin>,
    /// The program's standard output, when piped.
    pub stdout: Option<ChildStdout>,
    /// The program's standard error, when piped.
    pub stderr: Option<ChildStderr>,
}

impl SandboxedProcess {
    pub(crate) fn sandboxed(
        name: String,
        mut child: Child,
        init_pid: u32,
        cgroup: Cgroup,
        listener: Option<std::net::TcpListener>,
        tmp_disk: Option<crate::tmp_disk::InUse>,
    ) -> SandboxedProcess {
        let pidfd = i32::try_from(init_pid)
            .ok()
            .and_then(Pid::from_raw)
            .and_then(|pid| pidfd_open(pid, PidfdFlags::empty()).ok());
        SandboxedProcess {
            name,
            mode: IsolationMode::Sandbox,
            stdin: child.stdin.take(),
            stdout: child.stdout.take(),
            stderr: child.stderr.take(),
            child,
            init: Some((init_pid, pidfd)),
            cgroup: Some(cgroup),
            status: None,
            torn_down: false,
            listener,
            tmp_disk,
        }
    }

    pub(crate) fn plain(name: String, mut child: Child) -> SandboxedProcess {
        SandboxedProcess {
            name,
            mode: IsolationMode::Process,
            stdin: child.stdin.take(),
            stdout: child.stdout.take(),
            stderr: child.stderr.take(),
            child,
            init: None,
            cgroup: None,
            status: None,
            torn_down: false,
            listener: None,
            tmp_disk: None,
        }
    }

    /// The sandbox's name (its cgroup's name; empty for an unnamed `Process`-mode process).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The socket listening inside the sandbox's own network namespace that the spec asked for
    /// ([`crate::SandboxSpecBuilder::listen`]), once: it was listening before the program started, and
    /// connections to it can only come from inside the sandbox.
    pub fn take_listener(&mut self) -> Option<std::net::TcpListener> {
        self.listener.take()
    }

    /// The isolation it runs in.
    pub fn mode(&self) -> IsolationMode {
        self.mode
    }

    /// Host pid of the root of the process tree: the sandbox's init in `Sandbox` mode, the program itself
    /// in `Process` mode.
    pub fn pid(&self) -> u32 {
        self.init.as_ref().map_or(self.child.id(), |(pid, _)| *pid)
    }

    /// Host pid of the server's direct child (the helper in `Sandbox` mode, the program in `Process` mode).
    pub fn child_pid(&self) -> u32 {
        self.child.id()
    }

    /// The exit status, if already known.
    pub fn exit_status(&self) -> Option<ExitStatus> {
        self.status
    }

    /// Waits for the program to exit.
    pub fn wait(&mut self) -> Result<ExitStatus, SandboxError> {
        if let Some(status) = self.status {
            return Ok(status);
        }
        let status = self.child.wait().map_err(|source| SandboxError::Wait {
            pid: self.child.id(),
            source,
        })?;
        self.status = Some(status);
        Ok(status)
    }

    /// The exit status if the program has exited, without blocking.
    pub fn try_wait(&mut self) -> Result<Option<ExitStatus>, SandboxError> {
        if self.status.is_none() {
            self.status = self.child.try_wait().map_err(|source| SandboxError::Wait {
                pid: self.child.id(),
                source,
            })?;
        }
        Ok(self.status)
    }

    /// Waits for the program to exit without blocking a thread: a pidfd registered with tokio's reactor
    /// (needs a tokio runtime with I/O enabled).
    pub async fn wait_async(&mut self) -> Result<ExitStatus, SandboxError> {
        if let Some(status) = self.try_wait()? {
            return Ok(status);
        }
        let pid = self.child.id();
        let wait_error = |source: std::io::Error| SandboxError::Wait { pid, source };
        let pidfd = i32::try_from(pid)
            .ok()
            .and_then(Pid::from_raw)
            .ok_or_else(|| wait_error(std::io::Error::other("invalid pid")))
            .and_then(|p| pidfd_open(p, PidfdFlags::NONBLOCK).map_err(|e| wait_error(e.into())))?;
        // SAFETY: the AsyncFd owns the OwnedFd, which stays open and the same file until it is dropped.
        let ready =
            unsafe { tokio::io::unix::AsyncFd::register_with_interest(pidfd, tokio::io::Interest::READABLE) }
                .map_err(|e| wait_error(e.into()))?;
        loop {
            let mut guard = ready.readable().await.map_err(wait_error)?;
            if let Some(status) = self.try_wait()? {
                return Ok(status);
            }
            guard.clear_ready();
        }
    }

    /// Kills the whole process tree: SIGTERM first when a grace period is given (the sandbox's init passes
    /// it to every process inside), then SIGKILL to whatever is left, and waits for the program's status.
    pub fn kill_tree(&mut self, grace: Option<Duration>) -> Result<ExitStatus, SandboxError> {
        if let Some(grace) = grace.filter(|g| !g.is_zero())
            && self.try_wait()?.is_none()
        {
            self.signal_tree(Signal::TERM)?;
            let deadline = Instant::now() + grace;
            while self.try_wait()?.is_none() {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    break;
                }
                std::thread::sleep(left.min(Duration::from_millis(2)));
            }
        }
        self.signal_tree(Signal::KILL)?;
        if let Some(cgroup) = &self.cgroup {
            cgroup.kill_all()?;
        }
        self.wait()
    }

    fn signal_tree(&self, signal: Signal) -> Result<(), SandboxError> {
        let error = |pid: u32, source: std::io::Error| SandboxError::Signal {
            signal: format!("{signal:?}"),
            pid,
            source,
        };
        let result = match &self.init {
            // The pidfd stays valid after the init is gone (ESRCH), so a recycled pid is never hit.
            Some((pid, Some(pidfd))) => pidfd_send_signal(pidfd, signal).map_err(|e| error(*pid, e.into())),
            // No pidfd (pre-5.3 kernel): the cgroup kill below covers the tree.
            Some((_, None)) => Ok(()),
            None => {
                // Process mode: the program's process group, as long as the program is not reaped (its pid
                // is the group's id and could be recycled after).
                if self.status.is_some() {
                    return Ok(());
                }
                let pgid = i32::try_from(self.child.id()).ok().and_then(Pid::from_raw);
                match pgid {
                    Some(pgid) => rustix::process::kill_process_group(pgid, signal)
                        .map_err(|e| error(self.child.id(), e.into())),
                    None => Ok(()),
                }
            }
        };
        match result {
            Err(SandboxError::Signal { source, .. }) if source.raw_os_error() == Some(libc::ESRCH) => Ok(()),
            other => other,
        }
    }

    /// What the sandbox's cgroup measured so far (zero in `Process` mode).
    pub fn stats(&self) -> Result<SandboxStats, SandboxError> {
        match &self.cgroup {
            Some(cgroup) => Ok(cgroup.stats()?),
            None => Ok(SandboxStats::default()),
        }
    }

    /// Kills whatever still runs, waits for it, and removes the cgroup. Returns what the cgroup measured.
    /// (Mounts live in the sandbox's mount namespace, which disappears with its last process.)
    pub fn teardown(mut self) -> Result<SandboxStats, SandboxError> {
        self.kill_tree(None)?;
        let stats = self.stats()?;
        if let Some(cgroup) = &self.cgroup {
            cgroup.remove()?;
        }
        // The sandbox is gone: its /tmp disk can go too.
        drop(self.tmp_disk.take());
        self.torn_down = true;
        Ok(stats)
    }
}

impl Drop for SandboxedProcess {
    fn drop(&mut self) {
        if self.torn_down {
            return;
        }
        let _ = self.signal_tree(Signal::KILL);
        if let Some(cgroup) = &self.cgroup {
            let _ = cgroup.kill_all();
        }
        let _ = self.wait();
        if let Some(cgroup) = &self.cgroup {
            let _ = cgroup.remove();
        }
    }
}
