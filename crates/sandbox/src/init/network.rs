//! The sandbox's network, prepared by the helper before it reads its request (so that a spare helper has
//! done it ahead of need): a network namespace of its own with `lo` up, for [`Network::Outbound`] a
//! user-mode network stack (`slirp4netns`) attached to it, and the listening socket the parent asked for,
//! created inside the namespace and sent back to the parent over the request socket (`SCM_RIGHTS`), so that
//! connections to it can only come from inside.
//!
//! The stack runs on the host, in the host's network namespace, as a child of the helper:
//!
//! - it is started with `--disable-host-loopback`, so the gateway address (`10.0.2.2`) does not lead to
//!   the host's loopback, and the sandbox's own `127.0.0.1` is its own loopback: nothing bound on the
//!   host's loopback is reachable from inside; no port of the host is forwarded in either direction;
//! - `--enable-sandbox` and `--enable-seccomp` confine the stack itself (its own mount namespace on an
//!   empty root, capabilities dropped, a syscall filter);
//! - it ends with the sandbox: it exits when its `--exit-fd` pipe closes, whose write end only the helper
//!   holds (and the init, which the helper forked, until the program runs); it also gets SIGKILL when the
//!   helper dies (`PR_SET_PDEATHSIG`), and the helper reaps it before it exits.

use std::fs::File;
use std::io::Read;
use std::net::{SocketAddrV4, TcpListener};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::{Duration, Instant};

use nix::sched::CloneFlags;
use nix::sys::signal::Signal;
use nix::unistd::{ForkResult, Pid};

use crate::error::{Errno, SetupError};
use crate::spec::{Network, NetworkPlan};

/// How long the network stack may take to configure the namespace.
const STACK_READY_TIMEOUT: Duration = Duration::from_secs(10);

/// The interface the stack creates in the sandbox's namespace.
const STACK_INTERFACE: &str = "tap0";

/// What the helper holds for the sandbox's network until the sandbox ends.
#[derive(Debug, Default)]
pub(super) struct PreparedNetwork {
    /// The user-mode stack's pid, and the write end of its exit pipe (closing it ends the stack).
    stack: Option<(Pid, OwnedFd)>,
}

impl PreparedNetwork {
    /// Ends the network stack and reaps it: called by the helper once the sandbox is gone.
    pub(super) fn finish(self) {
        if let Some((pid, exit_pipe)) = self.stack {
            drop(exit_pipe);
            let _ = nix::sys::wait::waitpid(pid, None);
        }
    }
}

/// The recipe: each step its own function and error. Runs in the helper, single-threaded, before the
/// request is read.
pub(super) fn prepare(
    plan: &NetworkPlan,
    slirp4netns: Option<&Path>,
    channel: &UnixStream,
) -> Result<PreparedNetwork, SetupError> {
    if !plan.network.is_own_namespace() {
        return Ok(PreparedNetwork::default());
    }
    // The host's namespace, which the stack must run in, is only reachable by an fd once we left it.
    let host_namespace = match plan.network {
        Network::Outbound => Some(open_host_namespace()?),
        _ => None,
    };
    unshare_network_namespace()?;
    bring_up_loopback()?;
    let mut prepared = PreparedNetwork::default();
    if let Some(host_namespace) = host_namespace {
        let program = slirp4netns.ok_or(SetupError::NoNetworkStack)?;
        prepared.stack = Some(start_stack(program, &host_namespace)?);
    }
    if let Some(address) = plan.listen {
        let listener = listen(address)?;
        send_listener(channel, &listener)?;
        // Our copy closes here: the parent's is the only one, so no process of the sandbox inherits it.
    }
    Ok(prepared)
}

fn open_host_namespace() -> Result<File, SetupError> {
    File::open("/proc/self/ns/net").map_err(|e| SetupError::NetworkNamespace {
        what: "opening the host's network namespace".into(),
        errno: Errno::of(&e),
    })
}

fn unshare_network_namespace() -> Result<(), SetupError> {
    nix::sched::unshare(CloneFlags::CLONE_NEWNET).map_err(|errno| SetupError::Unshare {
        namespaces: "net".into(),
        errno: Errno::nix(errno),
    })
}

/// A new network namespace starts with `lo` down; bring it up so that loopback services work inside.
fn bring_up_loopback() -> Result<(), SetupError> {
    super::bring_up_loopback()
}

/// Starts `slirp4netns` in the host's network namespace, attached to the helper's, and waits until it has
/// configured it (its ready pipe). Returns its pid and the write end of its exit pipe.
fn start_stack(program: &Path, host_namespace: &File) -> Result<(Pid, OwnedFd), SetupError> {
    let pipe = |what: &str| {
        nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).map_err(|errno| SetupError::NetworkStack {
            what: what.into(),
            errno: Errno::nix(errno),
        })
    };
    let (ready_read, ready_write) = pipe("creating the network stack's ready pipe")?;
    let (exit_read, exit_write) = pipe("creating the network stack's exit pipe")?;
    let target = std::process::id().to_string();
    let args = [
        program.as_os_str().to_owned(),
        "--configure".into(),
        "--mtu=65520".into(),
        "--disable-host-loopback".into(),
        "--enable-sandbox".into(),
        "--enable-seccomp".into(),
        format!("--ready-fd={}", ready_write.as_raw_fd()).into(),
        format!("--exit-fd={}", exit_read.as_raw_fd()).into(),
        target.into(),
        STACK_INTERFACE.into(),
    ];
    let args: Vec<std::ffi::CString> = args
        .iter()
        .filter_map(|a| std::ffi::CString::new(a.as_encoded_bytes()).ok())
        .collect();
    // SAFETY: the helper is single-threaded (freshly exec'd, no thread started), so the child may do
    // anything before its exec.
    match unsafe { nix::unistd::fork() } {
        Err(errno) => Err(SetupError::Fork {
            what: "network stack".into(),
            errno: Errno::nix(errno),
        }),
        Ok(ForkResult::Child) => exec_stack(&args, host_namespace, &[&ready_write, &exit_read]),
        Ok(ForkResult::Parent { child }) => {
            drop(ready_write);
            drop(exit_read);
            match wait_until_ready(ready_read) {
                Ok(()) => Ok((child, exit_write)),
                Err(e) => {
                    let _ = nix::sys::signal::kill(child, Signal::SIGKILL);
                    let _ = nix::sys::wait::waitpid(child, None);
                    Err(e)
                }
            }
        }
    }
}

/// In the forked child: back to the host's network namespace, tied to the helper's life, stdio on
/// `/dev/null` (the helper's stdout and stderr are the function's log), then exec. Never returns.
fn exec_stack(args: &[std::ffi::CString], host_namespace: &File, inherited: &[&OwnedFd]) -> ! {
    let ok = nix::sched::setns(host_namespace.as_fd(), CloneFlags::CLONE_NEWNET).is_ok()
        && nix::sys::prctl::set_pdeathsig(Signal::SIGKILL).is_ok()
        && redirect_stdio_to_null()
        && inherited.iter().all(|fd| {
            nix::fcntl::fcntl(
                fd.as_fd(),
                nix::fcntl::FcntlArg::F_SETFD(nix::fcntl::FdFlag::empty()),
            )
            .is_ok()
        });
    if ok && let Some(program) = args.first() {
        let _ = nix::unistd::execv(program, args);
    }
    // The parent sees the ready pipe close without a byte and reports the stack as failed.
    // SAFETY: _exit ends this forked child without running the helper's atexit handlers.
    unsafe { libc::_exit(127) }
}

fn redirect_stdio_to_null() -> bool {
    let Ok(null) = File::options().read(true).write(true).open("/dev/null") else {
        return false;
    };
    (0..3).all(|fd| {
        // SAFETY: dup2 onto the standard fds of this single-threaded child; `null` stays open meanwhile.
        let duplicated = unsafe { libc::dup2(null.as_raw_fd(), fd) };
        duplicated == fd
    })
}

/// Reads the ready pipe: slirp4netns writes `1` once the interface, its address and the default route
/// are configured; EOF first means it failed.
fn wait_until_ready(ready: OwnedFd) -> Result<(), SetupError> {
    use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
    let deadline = Instant::now() + STACK_READY_TIMEOUT;
    let mut file = File::from(ready);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(SetupError::NetworkStack {
                what: format!(
                    "waiting {STACK_READY_TIMEOUT:?} for the network stack to configure the namespace"
                ),
                errno: Errno(libc::ETIMEDOUT),
            });
        }
        let millis = u16::try_from(left.as_millis()).unwrap_or(u16::MAX);
        let mut fds = [PollFd::new(file.as_fd(), PollFlags::POLLIN)];
        match poll(&mut fds, PollTimeout::from(millis)) {
            Ok(0) | Err(nix::errno::Errno::EINTR) => continue,
            Ok(_) => {}
            Err(errno) => {
                return Err(SetupError::NetworkStack {
                    what: "waiting for the network stack".into(),
                    errno: Errno::nix(errno),
                });
            }
        }
        let mut byte = [0u8; 1];
        return match file.read(&mut byte) {
            Ok(1) => Ok(()),
            Ok(_) => Err(SetupError::NetworkStack {
                what: "the network stack exited before it configured the namespace".into(),
                errno: Errno(libc::ECHILD),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => Err(SetupError::NetworkStack {
                what: "reading the network stack's ready pipe".into(),
                errno: Errno::of(&e),
            }),
        };
    }
}

fn listen(address: SocketAddrV4) -> Result<TcpListener, SetupError> {
    TcpListener::bind(address).map_err(|e| SetupError::Listen {
        address,
        errno: Errno::of(&e),
    })
}

/// Sends the listening socket to the parent as `SCM_RIGHTS` with one byte of data.
fn send_listener(channel: &UnixStream, listener: &TcpListener) -> Result<(), SetupError> {
    crate::protocol::send_byte_with_fd(channel, b'L', Some(listener.as_fd())).map_err(|errno| {
        SetupError::SendListener {
            errno: Errno::nix(errno),
        }
    })
}
