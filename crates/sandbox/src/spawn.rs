//! The server side of `Sandbox` mode: create the cgroup, start the helper with the request socket and the
//! status pipe, receive the listener it made inside the sandbox's network namespace (if the spec asked for
//! one), send the request, and read the status pipe until the program runs or a step fails.
//!
//! The helper is started without a `fork` of the server: the standard library then uses `posix_spawn`
//! (a `vfork`-style clone that shares the server's memory until the `exec`), where a `fork` would copy the
//! page tables of the whole, possibly large, server and make its next writes copy pages. That leaves no
//! code to run between the clone and the `exec`, so the three fds the helper needs (its end of the request
//! socket pair, the status pipe's write end, the read end of the server's [`LIFELINE`]) are inherited as
//! they are (not close-on-exec) and their numbers passed as its arguments. While they are inheritable, no other process may be started, or it
//! would inherit them too: [`SPAWNS`] orders that.

#![allow(unsafe_code)]

use std::fs::File;
use std::io::{self, Read, Write};
use std::net::TcpListener;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock, PoisonError, RwLock};
use std::time::{Duration, Instant};

use nix::poll::{PollFd, PollFlags, PollTimeout, poll};

use crate::SandboxConfig;
use crate::cgroup::{Cgroup, CgroupBackend};
use crate::error::SandboxError;
use crate::process::SandboxedProcess;
use crate::protocol::{
    HelperPlan, InitRequest, StatusMessage, TMP_IN_MEMORY, TMP_ON_DISK, receive_byte_with_fd,
    send_byte_with_fd,
};
use crate::spec::{Network, NetworkPlan, OUTBOUND_DNS, SandboxSpec, Stdio};
use crate::tmp_disk::{TmpDisk, TmpDisks};

/// Every process the sandbox starts: a helper start holds it exclusively while the helper's pipe ends are
/// inheritable; a plain start holds it shared, so that it never inherits them.
pub(crate) static SPAWNS: RwLock<()> = RwLock::new(());

/// The server's lifeline: a pipe whose write end only this process holds (close-on-exec, never written).
/// Every helper gets the read end; when this process dies, however it dies (even by `kill -9`), the
/// kernel closes the write end, every helper reads end-of-file and kills its sandbox. So no function
/// outlives the server.
static LIFELINE: OnceLock<(OwnedFd, OwnedFd)> = OnceLock::new();

/// The lifeline's read end (the pipe is made by the first sandbox).
fn lifeline() -> Result<&'static OwnedFd, SandboxError> {
    if let Some((read, _write)) = LIFELINE.get() {
        return Ok(read);
    }
    // Two first sandboxes may race: one pipe is kept, and either serves.
    let _ = LIFELINE.set(pipe()?);
    let (read, _write) = LIFELINE.get().expect("the lifeline was set just above");
    Ok(read)
}

/// Starts `spec` in a new sandbox, with the spare helper when its stdio fits.
pub(crate) fn spawn(
    config: &SandboxConfig,
    cgroups: &CgroupBackend,
    spare: &Spare,
    tmp_disks: Option<&TmpDisks>,
    spec: SandboxSpec,
) -> Result<SandboxedProcess, SandboxError> {
    let name = spec.name.clone().unwrap_or_else(generated_name);
    let tmp = tmp_disks
        .map(|disks| disks.take(spec.tmp_size_bytes()))
        .transpose()?;
    let stdio = [spec.stdin, spec.stdout, spec.stderr];
    let plan = helper_plan(config, spec.network_plan())?;
    let cgroup = cgroups.create(&name, &spec.resources)?;
    let request = match encode_request(config, &cgroup, spec) {
        Ok(request) => request,
        Err(e) => {
            let _ = cgroup.remove();
            return Err(e);
        }
    };
    let helper = match spare.take(stdio, &plan) {
        Some(helper) => Ok(helper),
        None => Helper::start(config, stdio, &plan),
    };
    let tmp_mount = tmp.as_ref().map(TmpDisk::mount_fd);
    match helper.and_then(|helper| helper.run(&request, tmp_mount, config.setup_timeout)) {
        Ok(started) => {
            // The program runs (and its runtime starts) while the next spare starts.
            if stdio == Spare::STDIO {
                spare.refill(config, &plan);
            }
            Ok(SandboxedProcess::sandboxed(
                name,
                started.child,
                started.init_pid,
                cgroup,
                started.listener,
                tmp_disks.zip(tmp).map(|(disks, disk)| disks.in_use(disk)),
            ))
        }
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

/// What the helper of a sandbox with `network` prepares before its request, checked against the host.
pub(crate) fn helper_plan(config: &SandboxConfig, network: NetworkPlan) -> Result<HelperPlan, SandboxError> {
    if network.listen.is_some() && !network.network.is_own_namespace() {
        return Err(SandboxError::Network {
            reason: "a listening socket inside the sandbox needs a network namespace of its own".into(),
        });
    }
    if network.network == Network::Outbound && config.slirp4netns.is_none() {
        return Err(SandboxError::Network {
            reason:
                "outbound network needs slirp4netns (Debian package `slirp4netns`), which this host lacks"
                    .into(),
        });
    }
    Ok(HelperPlan {
        network,
        slirp4netns: config.slirp4netns.clone(),
    })
}

fn encode_request(
    config: &SandboxConfig,
    cgroup: &Cgroup,
    spec: SandboxSpec,
) -> Result<Vec<u8>, SandboxError> {
    let resolv_conf = match (&spec.etc.resolv_conf, spec.network) {
        (Some(contents), _) => contents.clone(),
        (None, Network::Host) => std::fs::read_to_string("/etc/resolv.conf").unwrap_or_default(),
        // The user-mode stack's forwarder, which asks the host's resolvers.
        (None, Network::Outbound) => format!("nameserver {OUTBOUND_DNS}\n"),
        // Loopback only: no resolver is reachable, so none is named.
        (None, Network::Isolated) => String::new(),
    };
    let request = InitRequest {
        spec,
        cgroup_procs: cgroup.procs_files(),
        staging_dir: config.staging_dir.clone(),
        resolv_conf,
    };
    serde_json::to_vec(&request).map_err(|source| SandboxError::Encode { source })
}

/// The helper the next sandbox with the usual stdio ([`Spare::STDIO`], what execution environments use)
/// gets: started ahead of need and waiting for its request, so that a sandbox's start does not wait for
/// the helper's `exec` and start-up (about 2.5 ms for the server's own binary, most of it the page
/// faults of its relocations). At most one is kept; an unused one is killed with the [`crate::Sandbox`].
/// A helper holds no resources of a sandbox until it reads its request: no namespace, cgroup or mount.
#[derive(Debug, Default)]
pub(crate) struct Spare(Mutex<Option<(HelperPlan, Helper)>>);

impl Spare {
    /// The stdio a spare helper is started with: stdin from /dev/null, stdout and stderr piped.
    pub(crate) const STDIO: [Stdio; 3] = [Stdio::Null, Stdio::Piped, Stdio::Piped];

    /// The spare helper, if `stdio` is its stdio, `plan` what it prepared, and it still waits.
    fn take(&self, stdio: [Stdio; 3], plan: &HelperPlan) -> Option<Helper> {
        if stdio != Self::STDIO {
            return None;
        }
        let mut spare = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if spare.as_ref().is_none_or(|(prepared, _)| prepared != plan) {
            return None;
        }
        let (_, mut helper) = spare.take()?;
        helper.is_waiting().then_some(helper)
    }

    /// Starts a spare helper that prepares `plan` unless there is one. A helper that cannot start here
    /// will fail again for the next sandbox, which reports it.
    pub(crate) fn refill(&self, config: &SandboxConfig, plan: &HelperPlan) {
        let mut spare = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if spare.is_none() {
            *spare = Helper::start(config, Self::STDIO, plan)
                .ok()
                .map(|helper| (plan.clone(), helper));
        }
    }
}

impl Drop for Spare {
    fn drop(&mut self) {
        if let Some((_, mut helper)) = self.0.get_mut().unwrap_or_else(PoisonError::into_inner).take() {
            let _ = helper.child.kill();
            let _ = helper.child.wait();
        }
    }
}

/// A started helper, waiting for its request.
#[derive(Debug)]
struct Helper {
    child: std::process::Child,
    /// Our end of the request socket.
    request: UnixStream,
    /// The read end of the status pipe.
    status: OwnedFd,
    /// Whether the helper sends a listening socket before it reads the request.
    sends_listener: bool,
}

struct Started {
    child: std::process::Child,
    init_pid: u32,
    listener: Option<TcpListener>,
}

impl Helper {
    fn start(config: &SandboxConfig, stdio: [Stdio; 3], plan: &HelperPlan) -> Result<Helper, SandboxError> {
        let (request_write, request_read) =
            UnixStream::pair().map_err(|source| SandboxError::Pipe { source })?;
        let request_read = OwnedFd::from(request_read);
        let (status_read, status_write) = pipe()?;
        let lifeline = lifeline()?;
        let plan_json = serde_json::to_string(plan).map_err(|source| SandboxError::Encode { source })?;
        let mut command = Command::new(&config.helper.program);
        command
            .args(&config.helper.args)
            .arg(request_read.as_raw_fd().to_string())
            .arg(status_write.as_raw_fd().to_string())
            .arg(lifeline.as_raw_fd().to_string())
            .arg(plan_json)
            .env_clear()
            .stdin(std_stdio(stdio[0]))
            .stdout(std_stdio(stdio[1]))
            .stderr(std_stdio(stdio[2]));
        let spawned = {
            let _exclusive = SPAWNS.write().unwrap_or_else(PoisonError::into_inner);
            let spawned = inheritable(&request_read)
                .and_then(|()| inheritable(&status_write))
                .and_then(|()| inheritable(lifeline))
                .and_then(|()| command.spawn());
            // The helper has its copies; ours close (and the lifeline is close-on-exec again) before any
            // other process can start.
            drop(request_read);
            drop(status_write);
            spawned.and_then(|child| close_on_exec(lifeline).map(|()| child))
        };
        let child = spawned.map_err(|source| SandboxError::SpawnHelper {
            helper: config.helper.program.clone(),
            source,
        })?;
        Ok(Helper {
            child,
            request: request_write,
            status: status_read,
            sends_listener: plan.network.listen.is_some(),
        })
    }

    /// Whether the helper still waits for its request (a spare may have been killed meanwhile).
    fn is_waiting(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Sends the request (with `tmp`, the detached mount to put on `/tmp`, if `/tmp` is on disk) and reads
    /// the status until the program runs or a step fails.
    fn run(self, request: &[u8], tmp: Option<&OwnedFd>, timeout: Duration) -> Result<Started, SandboxError> {
        let Helper {
            mut child,
            request: mut request_socket,
            status,
            sends_listener,
        } = self;
        // The listener comes first (a spare sent it long ago); without it (the helper failed, and says
        // why on the status pipe) the request is not sent.
        let listener = match sends_listener {
            true => receive_listener(&request_socket, timeout),
            false => Ok(None),
        };
        let outcome = match listener {
            Ok(listener) => {
                // The request socket must be closed before reading the status: the helper reads the
                // request to EOF.
                let sent = match (sends_listener, &listener) {
                    (true, None) => Ok(()),
                    _ => send_request(&mut request_socket, tmp, request)
                        .map_err(|source| SandboxError::SendRequest { source }),
                };
                drop(request_socket);
                sent.and_then(|()| read_status(status, timeout))
                    .map(|pid| pid.map(|pid| (pid, listener)))
            }
            Err(e) => Err(e),
        };
        match outcome {
            Ok(Some((init_pid, listener))) => Ok(Started {
                child,
                init_pid,
                listener,
            }),
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
                    SandboxError::SetupTimeout { .. }
                        | SandboxError::SendRequest { .. }
                        | SandboxError::ReceiveListener { .. }
                ) {
                    let _ = child.kill();
                }
                let _ = child.wait();
                Err(e)
            }
        }
    }
}

/// Sends the request: first one byte, [`TMP_ON_DISK`] with the mount's fd (`SCM_RIGHTS`) or
/// [`TMP_IN_MEMORY`], then the JSON.
fn send_request(socket: &mut UnixStream, tmp: Option<&OwnedFd>, request: &[u8]) -> io::Result<()> {
    let byte = if tmp.is_some() { TMP_ON_DISK } else { TMP_IN_MEMORY };
    send_byte_with_fd(socket, byte, tmp.map(AsFd::as_fd)).map_err(io::Error::from)?;
    socket.write_all(request)
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

/// Receives the listening socket the helper created inside the sandbox's network namespace; `Ok(None)`
/// when the helper closed the socket without sending one (it failed and reports why on the status pipe).
fn receive_listener(socket: &UnixStream, timeout: Duration) -> Result<Option<TcpListener>, SandboxError> {
    let error = |source: io::Error| SandboxError::ReceiveListener { source };
    let millis = u16::try_from(timeout.as_millis()).unwrap_or(u16::MAX);
    loop {
        let mut fds = [PollFd::new(socket.as_fd(), PollFlags::POLLIN)];
        match poll(&mut fds, PollTimeout::from(millis)) {
            Ok(0) => return Err(SandboxError::SetupTimeout { after: timeout }),
            Ok(_) => break,
            Err(nix::errno::Errno::EINTR) => {}
            Err(errno) => return Err(error(errno.into())),
        }
    }
    let (_, fd) = receive_byte_with_fd(socket).map_err(|errno| error(errno.into()))?;
    let listener = fd.map(TcpListener::from);
    Ok(listener)
}

fn pipe() -> Result<(OwnedFd, OwnedFd), SandboxError> {
    nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)
        .map_err(|errno| SandboxError::Pipe { source: errno.into() })
}

/// Sets close-on-exec on `fd` again.
fn close_on_exec(fd: &OwnedFd) -> io::Result<()> {
    rustix::io::fcntl_setfd(fd, rustix::io::FdFlags::CLOEXEC).map_err(io::Error::from)
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
