//! The watchdog of process isolation: plain bootstraps die with the server, as sandboxes do.
//!
//! A plain bootstrap (`Process` mode) leads a process group of its own, and nothing of it would notice a
//! `kill -9` of the server. A parent-death signal would need code between the clone and the exec, so a
//! `fork` of the whole server instead of `posix_spawn` for every bootstrap (measured: the process-mode
//! cold start p50 went from 4.6 to 7.6 ms). Instead one watchdog process per server, started once, holds
//! the read end of a pipe whose write end only the server holds (close-on-exec, so no bootstrap inherits
//! it). The server writes each bootstrap's process group on it when the bootstrap starts, and again,
//! negated, once the group is ended: one 4-byte write each, atomic on a pipe.
//! When the server dies, however it dies, the kernel closes the write end; the watchdog reads end-of-file
//! and sends SIGKILL to every group still named. A process that leaves its group (`setsid`,
//! `setpgid`) leaves the watchdog's reach too: process isolation confines nothing.
//!
//! The watchdog is the server's own binary (`lamina sandbox-init process-groups <fd>`, see
//! [`crate::init::run_from_args`]), in a process group of its own so that a terminal's Ctrl-C, which the
//! server handles by ending its environments itself, does not take it first.

#![allow(unsafe_code)]

use std::collections::HashSet;
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, PoisonError, Weak};

use crate::HelperCommand;
use crate::error::SandboxError;

/// The argument after the helper command that makes it the watchdog.
pub(crate) const PROCESS_GROUPS: &str = "process-groups";

/// The server's side of the watchdog: started once, shared by every plain bootstrap.
#[derive(Debug)]
pub struct GroupWatchdog {
    /// The write end of the pipe (close-on-exec); `None` once dropped.
    pipe: Option<File>,
    /// The watchdog, reaped when this is dropped.
    child: Mutex<Child>,
}

impl GroupWatchdog {
    /// Starts the watchdog: `helper` with `process-groups` and the pipe's read end.
    pub fn start(helper: &HelperCommand) -> Result<Arc<GroupWatchdog>, SandboxError> {
        let (read, write) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)
            .map_err(|errno| SandboxError::Pipe { source: errno.into() })?;
        let mut command = Command::new(&helper.program);
        command
            .args(&helper.args)
            .arg(PROCESS_GROUPS)
            .arg(read.as_raw_fd().to_string())
            .env_clear()
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        let spawned = {
            // While the read end is inheritable no other process may start (see `spawn::SPAWNS`).
            let _exclusive = crate::spawn::SPAWNS
                .write()
                .unwrap_or_else(PoisonError::into_inner);
            rustix::io::fcntl_setfd(&read, rustix::io::FdFlags::empty())
                .map_err(std::io::Error::from)
                .and_then(|()| command.spawn())
        };
        // Ours closes before any other process can start: the watchdog holds the only read end.
        drop(read);
        let child = spawned.map_err(|source| SandboxError::SpawnHelper {
            helper: helper.program.clone(),
            source,
        })?;
        Ok(Arc::new(GroupWatchdog {
            pipe: Some(File::from(write)),
            child: Mutex::new(child),
        }))
    }

    /// Names the process group `pgid` (a bootstrap's pid, which leads it) to the watchdog until the
    /// returned guard is dropped: drop it once the group has been killed. The guard does not keep the
    /// watchdog: when the last [`Arc`] of it goes (the server ends), every group still named is killed.
    pub fn watch(self: &Arc<GroupWatchdog>, pgid: u32) -> WatchedGroup {
        let pgid = i32::try_from(pgid).unwrap_or(0);
        if pgid > 0 {
            self.send(pgid);
        }
        WatchedGroup {
            watchdog: Arc::downgrade(self),
            pgid,
        }
    }

    fn send(&self, message: i32) {
        if let Some(mut pipe) = self.pipe.as_ref() {
            // 4 bytes, far below PIPE_BUF: atomic, never interleaved. A watchdog that is gone (killed by
            // someone) cannot be told; the bootstrap still runs, watched as before it existed.
            let _ = pipe.write_all(&message.to_le_bytes());
        }
    }

    /// Whether the watchdog still runs.
    pub fn is_running(&self) -> bool {
        matches!(
            self.child
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .try_wait(),
            Ok(None)
        )
    }
}

impl Drop for GroupWatchdog {
    fn drop(&mut self) {
        // End-of-file: the watchdog kills what is still named (nothing, after an orderly shutdown) and
        // exits; once it is reaped, those groups have been sent their SIGKILL.
        drop(self.pipe.take());
        let _ = self
            .child
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
            .wait();
    }
}

/// A process group the watchdog kills if the server dies; dropping it takes the group off its list.
#[derive(Debug)]
pub struct WatchedGroup {
    watchdog: Weak<GroupWatchdog>,
    pgid: i32,
}

impl Drop for WatchedGroup {
    fn drop(&mut self) {
        if let Some(watchdog) = self.watchdog.upgrade().filter(|_| self.pgid > 0) {
            watchdog.send(-self.pgid);
        }
    }
}

/// The watchdog's own loop: reads the groups the server names until end-of-file, then kills those still
/// named and exits. `fd` is the inherited read end.
pub(crate) fn run(fd: OwnedFd) -> ! {
    let mut pipe = File::from(fd);
    let mut groups: HashSet<i32> = HashSet::new();
    let mut message = [0u8; 4];
    // Every write is 4 bytes and atomic, so a read of 4 never splits one; an error or end-of-file (the
    // server is gone) ends the loop.
    while pipe.read_exact(&mut message).is_ok() {
        match i32::from_le_bytes(message) {
            pgid if pgid > 0 => {
                groups.insert(pgid);
            }
            pgid if pgid < 0 => {
                groups.remove(&-pgid);
            }
            _ => {}
        }
    }
    for pgid in groups {
        if let Some(pgid) = rustix::process::Pid::from_raw(pgid) {
            let _ = rustix::process::kill_process_group(pgid, rustix::process::Signal::KILL);
        }
    }
    std::process::exit(0)
}
