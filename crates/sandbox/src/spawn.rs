//! The server side of `Sandbox` mode: create the cgroup, start the helper with the request and status
//! pipes, send the request, and read the status pipe until the program runs or a step fails.
//!
//! The helper is started without a `fork` of the server: the standard library then uses `posix_spawn`
//! (a `vfork`-style clone that shares the server's memory until the `exec`), where a `fork` would copy the
//! page tables of the whole, possibly large, server and make its next writes copy pages. That leaves no
//! code to run between the clone and the `exec`, so the two pipe ends the helper needs are inherited as
//! they are (not close-on-exec) and their numbers passed as its arguments. While they are inheritable,
//! no other process may be started, or it would inherit them too: [`SPAWNS`] orders that.

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::process::Command;
use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use nix::poll::{PollFd, PollFlags, PollTimeout, poll};

use crate::SandboxConfig;
use crate::cgroup::{Cgroup, CgroupBackend};
use crate::error::SandboxError;
use crate::process::SandboxedProcess;
use crate::protocol::{InitRequest, StatusMessage};
use crate::spec::{SandboxSpec, Stdio};

/// Every process the sandbox starts: a helper start holds it exclusively while the helper's pipe ends are
/// inheritable; a plain start holds it shared, so that it never inherits them.
pub(crate) static SPAWNS: RwLock<()> = RwLock::new(());

/// Starts `spec` in a new sandbox.
pub(crate) fn spawn(
    config: &SandboxConfig,
    cgroups: &CgroupBackend,
    spec: SandboxSpec,
) -> Result<SandboxedProcess, SandboxError> {
    let name = spec.name.clone().unwrap_or_else(generated_name);
    let cgroup = cgroups.create(&name, &spec.resources)?;
    match start(config, &cgroup, spec) {
        Ok(started) => Ok(SandboxedProcess::sandboxed(
            name,
            started.child,
            started.init_pid,
            cgroup,
        )),
        Err(e) => {
            let _ = cgroup.remove();
            Err(e)
        }
    }
}

/// A unique name: the server's pid, a counter, and the time (so that a restarted server does not collide
/// with cgroups a crashed one left behind).
fn generated_name() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!("sbx-{}-{n}-{nanos:08x}", std::process::id())
}

struct Started {
    child: std::process::Child,
    init_pid: u32,
}

fn start(config: &SandboxConfig, cgroup: &Cgroup, spec: SandboxSpec) -> Result<Started, SandboxError> {
    let resolv_conf = match &spec.etc.resolv_conf {
        Some(contents) => contents.clone(),
        None => std::fs::read_to_string("/etc/resolv.conf").unwrap_or_default(),
    };
    let stdio = [spec.stdin, spec.stdout, spec.stderr];
    let request = InitRequest {
        spec,
        cgroup_procs: cgroup.procs_files(),
        staging_dir: config.staging_dir.clone(),
        resolv_conf,
    };
    let request = serde_json::to_vec(&request).map_err(|source| SandboxError::Encode { source })?;

    let (request_read, request_write) = pipe()?;
    let (status_read, status_write) = pipe()?;

    let mut command = Command::new(&config.helper.program);
    command
        .args(&config.helper.args)
        .arg(request_read.as_raw_fd().to_string())
        .arg(status_write.as_raw_fd().to_string())
        .env_clear()
        .stdin(std_stdio(stdio[0]))
        .stdout(std_stdio(stdio[1]))
        .stderr(std_stdio(stdio[2]));
    let spawned = {
        let _exclusive = SPAWNS.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        let spawned = inheritable(&request_read)
            .and_then(|()| inheritable(&status_write))
            .and_then(|()| command.spawn());
        // The helper has its copies; ours close before any other process can start.
        drop(request_read);
        drop(status_write);
        spawned
    };
    let mut child = spawned.map_err(|source| SandboxError::SpawnHelper {
        helper: config.helper.program.clone(),
        source,
    })?;

    // The request pipe must be closed before reading the status: the helper reads the request to EOF.
    let sent = File::from(request_write)
        .write_all(&request)
        .map_err(|source| SandboxError::SendRequest { source });
    let outcome = sent.and_then(|()| read_status(status_read, config.setup_timeout));
    match outcome {
        Ok(Some(init_pid)) => Ok(Started { child, init_pid }),
        Ok(None) => {
            let status = child.wait().map_err(|source| SandboxError::Wait {
                pid: child.id(),
                source,
            })?;
            Err(SandboxError::HelperExited { status })
        }
        Err(e) => {
            // A failed helper exits by itself; a stuck one is killed (its init and sandbox go with it).
            if matches!(
                e,
                SandboxError::SetupTimeout { .. } | SandboxError::SendRequest { .. }
            ) {
                let _ = child.kill();
            }
            let _ = child.wait();
            Err(e)
        }
    }
}

/// Reads the status pipe until EOF. `Ok(Some(pid))`: the program runs, in a sandbox whose init has host
/// pid `pid`; `Ok(None)`: the helper went away without a word; `Err`: a step failed.
fn read_status(pipe: OwnedFd, timeout: Duration) -> Result<Option<u32>, SandboxError> {
    let deadline = Instant::now() + timeout;
    let mut bytes = Vec::new();
    let mut file = File::from(pipe);
    let mut chunk = [0u8; 4096];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let millis = u16::try_from(left.as_millis()).unwrap_or(u16::MAX);
        let mut fds = [PollFd::new(file.as_fd(), PollFlags::POLLIN)];
        match poll(&mut fds, PollTimeout::from(millis)) {
            Ok(0) if Instant::now() >= deadline => return Err(SandboxError::SetupTimeout { after: timeout }),
            Ok(_) | Err(nix::errno::Errno::EINTR) => {}
            Err(errno) => return Err(SandboxError::Pipe { source: errno.into() }),
        }
        if fds[0].revents().is_none_or(|r| r.is_empty()) {
            continue;
        }
        match file.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => bytes.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(source) => return Err(SandboxError::Pipe { source }),
        }
    }
    let mut init_pid = None;
    for line in bytes.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
        match serde_json::from_slice::<StatusMessage>(line) {
            Ok(StatusMessage::InitPid(pid)) => init_pid = Some(pid),
            Ok(StatusMessage::Failed(error)) => return Err(error.into()),
            Err(e) => {
                return Err(SandboxError::Protocol {
                    detail: format!("{e} in {:?}", String::from_utf8_lossy(line)),
                });
            }
        }
    }
    Ok(init_pid)
}

fn pipe() -> Result<(OwnedFd, OwnedFd), SandboxError> {
    nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)
        .map_err(|errno| SandboxError::Pipe { source: errno.into() })
}

/// Clears close-on-exec on `fd`, so that the next process started inherits it.
fn inheritable(fd: &OwnedFd) -> io::Result<()> {
    rustix::io::fcntl_setfd(fd, rustix::io::FdFlags::empty()).map_err(io::Error::from)
}

pub(crate) fn std_stdio(stdio: Stdio) -> std::process::Stdio {
    match stdio {
        Stdio::Inherit => std::process::Stdio::inherit(),
        Stdio::Null => std::process::Stdio::null(),
        Stdio::Piped => std::process::Stdio::piped(),
    }
}
