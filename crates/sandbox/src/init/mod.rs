//! The child side: what runs in the freshly exec'd helper (`lamina sandbox-init`) and builds the sandbox.
//!
//! The server is a multi-threaded tokio process, so it does nothing between `fork` and `exec` but two
//! `dup2` calls; all the privileged work happens here, in a process that has just been exec'd and is
//! single-threaded, where `fork` and allocation are safe. Three processes take part:
//!
//! ```text
//! server ──spawn──► helper (host PID namespace)            reads the request, unshares, relays the exit
//!                     └─fork─► init (PID 1 of the sandbox)  joins the cgroup, builds the root, reaps
//!                                └─fork─► program (PID 2)   drops privileges, execs the program
//! ```
//!
//! The helper stays in the host PID namespace so the server can wait for it as its child; it exits with
//! the program's own status (code, or the same signal), so `wait` needs no translation. It also watches
//! the server's lifeline (a pipe only the server can write to): when the server dies, even by `kill -9`,
//! the helper kills the init, so no sandbox outlives its server. The init is PID 1
//! of the new namespace: when it dies, the kernel kills everything in the sandbox, which is how
//! [`crate::SandboxedProcess::kill_tree`] takes the whole tree down at once. It forwards SIGTERM and
//! friends to the sandbox and reaps orphans, as a container init (tini) does, so the program is never
//! PID 1 with PID 1's odd signal rules.
//!
//! Errors travel back on the status pipe (the protocol module documents it) as [`SetupError`]s naming the step.

#![allow(unsafe_code)]

mod network;
mod program;
mod reaper;
mod root;
mod seccomp;

use std::ffi::OsStr;
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsFd, FromRawFd, OwnedFd};
use std::path::{Path, PathBuf};

use nix::sched::CloneFlags;
use nix::sys::signal::{SigHandler, SigSet, SigmaskHow, Signal};
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, Pid};

use crate::arch::Arch;
use crate::error::{Errno, MissingEmulator, SetupError};
use crate::protocol::{HelperPlan, InitRequest, ProgramExit, StatusMessage, TMP_IN_MEMORY, TMP_ON_DISK};
use crate::spec::Emulation;

/// Entry point of the hidden `sandbox-init` command: builds the sandbox described by the request the
/// parent writes on the request socket and runs its program; reports failures on the status pipe. `args`
/// are the arguments after `sandbox-init`: the numbers of the three inherited fds, request socket, status
/// pipe and the read end of the server's lifeline (end-of-file on it means the server died: the sandbox
/// is killed), and optionally the network plan as JSON (what to prepare before the request; none by
/// default). Never returns: exits with the program's status. With `process-groups <fd>` instead, it is
/// the watchdog of process isolation ([`crate::GroupWatchdog`]), and exits once the server is gone.
///
/// Call it first thing in `main`, before starting threads or a runtime:
///
/// ```no_run
/// if std::env::args_os().nth(1).as_deref() == Some(std::ffi::OsStr::new("sandbox-init")) {
///     lamina_sandbox::init::run_from_args(std::env::args_os().skip(2));
/// }
/// ```
pub fn run_from_args<I, S>(args: I) -> !
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let args: Vec<_> = args.into_iter().map(|a| a.as_ref().to_owned()).collect();
    if args.first().map(|a| a.as_os_str()) == Some(OsStr::new(crate::group_watchdog::PROCESS_GROUPS)) {
        match args.get(1).and_then(|a| inherited_fd(a)) {
            Some(pipe) => crate::group_watchdog::run(pipe),
            None => {
                eprintln!(
                    "sandbox-init: expected the process groups' pipe, got {args:?}: this command is started by \
                     lamina itself, not by hand"
                );
                std::process::exit(2);
            }
        }
    }
    let fds: Vec<_> = args.iter().take(3).filter_map(|a| inherited_fd(a)).collect();
    let plan = match args.get(3) {
        None => Ok(HelperPlan::default()),
        Some(json) => {
            serde_json::from_slice::<HelperPlan>(json.as_encoded_bytes()).map_err(|e| e.to_string())
        }
    };
    let (3 | 4, Ok([request, status, lifeline]), Ok(plan)) =
        (args.len(), <[OwnedFd; 3]>::try_from(fds), plan)
    else {
        eprintln!(
            "sandbox-init: expected the request socket, the status pipe, the lifeline and the network plan, got \
             {args:?}: this command is started by lamina itself, not by hand"
        );
        std::process::exit(2);
    };
    let status = StatusPipe(File::from(status));
    // No channel may reach the program; the status pipe's close at the program's exec is the
    // parent's "started".
    for fd in [request.as_fd(), status.0.as_fd(), lifeline.as_fd()] {
        if let Err(errno) =
            nix::fcntl::fcntl(fd, nix::fcntl::FcntlArg::F_SETFD(nix::fcntl::FdFlag::FD_CLOEXEC))
        {
            status.fail(SetupError::Helper {
                what: "marking the parent's pipes close-on-exec".into(),
                errno: Errno::nix(errno),
            })
        }
    }
    helper(
        std::os::unix::net::UnixStream::from(request),
        status,
        lifeline,
        plan,
    )
}

/// Takes ownership of an fd the parent left open for us, given as its number, if it is open.
fn inherited_fd(arg: &OsStr) -> Option<OwnedFd> {
    let fd: i32 = arg.to_str()?.parse().ok().filter(|fd| *fd > 2)?;
    // SAFETY: F_GETFD on an arbitrary integer only reads the fd table; it fails with EBADF when closed.
    let open = unsafe { libc::fcntl(fd, libc::F_GETFD) } != -1;
    // SAFETY: the fd is open, and nothing else in this freshly exec'd process owns it: the parent left it
    // open for us alone, and the two numbers differ (the parent's pipe ends are distinct fds).
    open.then(|| unsafe { OwnedFd::from_raw_fd(fd) })
}

/// The write end of the status pipe.
struct StatusPipe(File);

impl StatusPipe {
    fn send(&self, message: &StatusMessage) {
        if let Ok(mut line) = serde_json::to_vec(message) {
            line.push(b'\n');
            // One write below PIPE_BUF is atomic. If the parent is gone there is no one to tell.
            let _ = (&self.0).write_all(&line);
        }
    }

    /// Reports `error` and exits.
    fn fail(&self, error: SetupError) -> ! {
        self.send(&StatusMessage::Failed(error));
        std::process::exit(1)
    }
}

/// The helper: prepares the network, reads the request, creates the other namespaces, forks the init
/// and relays its exit.
fn helper(
    request: std::os::unix::net::UnixStream,
    status: StatusPipe,
    lifeline: OwnedFd,
    plan: HelperPlan,
) -> ! {
    // 0. The network first, before the request: a spare helper has it ready when the request comes.
    let network = match network::prepare(&plan.network, plan.slirp4netns.as_deref(), &request) {
        Ok(network) => network,
        Err(e) => status.fail(e),
    };
    let (request, tmp) = match read_request(request) {
        Ok(request) => request,
        Err(e) => status.fail(e),
    };
    if request.spec.network_plan() != plan.network {
        status.fail(SetupError::NetworkMismatch {
            prepared: plan.network,
            requested: request.spec.network_plan(),
        })
    }
    // 1. New namespaces. The PID namespace applies to children only: the init forked next is its PID 1.
    if let Err(e) = unshare_namespaces() {
        status.fail(e)
    }
    // 2. The pipe on which the init reports how the program ended.
    let (result_read, result_write) = match nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC) {
        Ok(pipe) => pipe,
        Err(errno) => status.fail(SetupError::Helper {
            what: "creating the exit pipe".into(),
            errno: Errno::nix(errno),
        }),
    };
    // 3. Fork the init.
    // SAFETY: this process was just exec'd and has started no thread, so the child may do anything.
    match unsafe { nix::unistd::fork() } {
        Err(errno) => status.fail(SetupError::Fork {
            what: "sandbox init".into(),
            errno: Errno::nix(errno),
        }),
        Ok(ForkResult::Child) => {
            drop(result_read);
            drop(lifeline);
            sandbox_init(request, tmp, status, result_write)
        }
        Ok(ForkResult::Parent { child }) => {
            drop(result_write);
            drop(tmp);
            status.send(&StatusMessage::InitPid(child.as_raw().unsigned_abs()));
            // Only the init and the program hold the status pipe from here on.
            drop(status);
            wait_for_init_or_server(child, &lifeline);
            relay_exit(child, result_read, network)
        }
    }
}

/// Reads the request: the byte saying where `/tmp` lives (with the mount's fd when on disk), then the
/// JSON until EOF.
fn read_request(
    socket: std::os::unix::net::UnixStream,
) -> Result<(InitRequest, Option<OwnedFd>), SetupError> {
    let error = |detail: String| SetupError::ReadRequest { detail };
    let (byte, tmp) = crate::protocol::receive_byte_with_fd(&socket)
        .map_err(|errno| error(format!("receiving the /tmp byte: {errno}")))?;
    let Some(byte) = byte else {
        return Err(error("the request ended before its first byte".into()));
    };
    match (byte, &tmp) {
        (TMP_ON_DISK, Some(_)) | (TMP_IN_MEMORY, None) => {}
        (other, _) => {
            return Err(error(format!(
                "unexpected first byte {other:#04x} (with a mount: {})",
                tmp.is_some()
            )));
        }
    }
    let mut bytes = Vec::new();
    File::from(OwnedFd::from(socket))
        .read_to_end(&mut bytes)
        .map_err(|e| error(e.to_string()))?;
    let request = serde_json::from_slice(&bytes).map_err(|e| error(e.to_string()))?;
    Ok((request, tmp))
}

/// The namespaces other than the network's (which [`network::prepare`] created before the request).
fn unshare_namespaces() -> Result<(), SetupError> {
    let flags = CloneFlags::CLONE_NEWNS
        | CloneFlags::CLONE_NEWPID
        | CloneFlags::CLONE_NEWIPC
        | CloneFlags::CLONE_NEWUTS;
    nix::sched::unshare(flags).map_err(|errno| SetupError::Unshare {
        namespaces: "mount, pid, ipc, uts".into(),
        errno: Errno::nix(errno),
    })
}

/// Waits until the init ends, or the server dies; in the latter case kills the init (and with it the
/// whole PID namespace). The server's death is end-of-file on the lifeline, which comes when the last
/// process holding its write end, the server, is gone. (Both are waited for with `poll`, on the
/// lifeline and a pidfd of the init: a process that unshared its PID namespace cannot start threads.)
fn wait_for_init_or_server(init: Pid, lifeline: &OwnedFd) {
    use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
    let Some(pidfd) = rustix::process::Pid::from_raw(init.as_raw())
        .and_then(|pid| rustix::process::pidfd_open(pid, rustix::process::PidfdFlags::empty()).ok())
    else {
        // Without a pidfd (kernels before 5.3) the sandbox is left to the server, as before.
        return;
    };
    loop {
        let mut fds = [
            PollFd::new(pidfd.as_fd(), PollFlags::POLLIN),
            PollFd::new(lifeline.as_fd(), PollFlags::POLLIN),
        ];
        match poll(&mut fds, PollTimeout::NONE) {
            Err(nix::errno::Errno::EINTR) => continue,
            Err(_) => return,
            Ok(_) => {}
        }
        if fds[0].any().unwrap_or(true) {
            return;
        }
        // Readable or hung up: nothing is ever written, so it is end-of-file.
        if fds[1].any().unwrap_or(false) {
            let _ = nix::sys::signal::kill(init, Signal::SIGKILL);
            return;
        }
    }
}

/// Waits for the init, ends the sandbox's network stack, and exits the way the program did.
fn relay_exit(init: Pid, result: OwnedFd, network: network::PreparedNetwork) -> ! {
    let status = loop {
        match waitpid(init, None) {
            Err(nix::errno::Errno::EINTR) => continue,
            Err(_) => std::process::exit(1),
            Ok(status) => break status,
        }
    };
    network.finish();
    let mut report = String::new();
    let _ = File::from(result).read_to_string(&mut report);
    let exit = match serde_json::from_str::<ProgramExit>(&report) {
        Ok(exit) => exit,
        // No report: the init itself died (killed by the server, or by the OOM killer) or failed setup.
        Err(_) => match status {
            WaitStatus::Signaled(_, signal, _) => ProgramExit::Signaled(signal as i32),
            WaitStatus::Exited(_, code) => ProgramExit::Exited(code),
            _ => ProgramExit::Exited(1),
        },
    };
    mirror(exit)
}

/// Ends this process as the program ended: the same exit code, or death by the same signal.
fn mirror(exit: ProgramExit) -> ! {
    match exit {
        ProgramExit::Exited(code) => std::process::exit(code),
        ProgramExit::Signaled(number) => {
            if let Ok(signal) = Signal::try_from(number) {
                // No core file for a signal we only relay.
                let _ = nix::sys::resource::setrlimit(nix::sys::resource::Resource::RLIMIT_CORE, 0, 0);
                // SAFETY: restoring the default disposition installs no handler.
                let _ = unsafe { nix::sys::signal::signal(signal, SigHandler::SigDfl) };
                let mut set = SigSet::empty();
                set.add(signal);
                let _ = nix::sys::signal::sigprocmask(SigmaskHow::SIG_UNBLOCK, Some(&set), None);
                let _ = nix::sys::signal::raise(signal);
            }
            std::process::exit(128 + number)
        }
    }
}

/// What the setup decided for the final exec.
struct Launch {
    /// The emulator to exec the program with (a path inside the sandbox), for a foreign architecture.
    emulator: Option<PathBuf>,
}

/// The init: PID 1 of the sandbox. Builds the sandbox, forks the program and reaps.
fn sandbox_init(request: InitRequest, tmp: Option<OwnedFd>, status: StatusPipe, result: OwnedFd) -> ! {
    let launch = match setup(&request, tmp) {
        Ok(launch) => launch,
        Err(e) => status.fail(e),
    };
    // Signals are blocked before the fork so that none is lost before the reaper waits for them; the
    // program unblocks them before its exec.
    if let Err(errno) = reaper::block_signals() {
        status.fail(SetupError::Helper {
            what: "blocking signals in the sandbox init".into(),
            errno: Errno::nix(errno),
        })
    }
    // SAFETY: the init is single-threaded (forked from the single-threaded helper).
    match unsafe { nix::unistd::fork() } {
        Err(errno) => status.fail(SetupError::Fork {
            what: "program".into(),
            errno: Errno::nix(errno),
        }),
        Ok(ForkResult::Child) => {
            drop(result);
            match program::exec(&request.spec, &launch) {
                Err(e) => status.fail(e),
                Ok(never) => match never {},
            }
        }
        Ok(ForkResult::Parent { child }) => {
            drop(status);
            reaper::run(child, result)
        }
    }
}

/// The recipe. Each step is a small function with its own error; the order matters where noted.
fn setup(request: &InitRequest, tmp: Option<OwnedFd>) -> Result<Launch, SetupError> {
    let spec = &request.spec;
    // If the helper dies, so does the init, and with it the whole PID namespace: nothing outlives a
    // sandbox whose helper the server killed.
    die_with_parent()?;
    // First, so that every allocation and fork from here on is accounted and limited.
    join_cgroup(&request.cgroup_procs)?;
    // Before any mount: nothing mounted below may propagate back to the host.
    make_mounts_private()?;
    // The new root, assembled on the staging directory while host paths are still reachable.
    root::build(request, tmp)?;
    set_hostname(&spec.hostname)?;
    // pivot_root keeps the host's root at /.oldroot until it is detached ...
    root::enter(&request.staging_dir)?;
    // ... because a foreign program's emulator is bound in from there, once the program (now at its
    // sandbox path, symlinks resolving inside the sandbox) has been looked at.
    let emulator = prepare_emulator(spec.emulation, &spec.program)?;
    root::detach_old_root()?;
    // Last: nothing of the root tmpfs is writable by anyone after this.
    root::seal()?;
    Ok(Launch { emulator })
}

fn die_with_parent() -> Result<(), SetupError> {
    nix::sys::prctl::set_pdeathsig(Signal::SIGKILL).map_err(|errno| SetupError::Helper {
        what: "setting the parent-death signal".into(),
        errno: Errno::nix(errno),
    })
}

fn join_cgroup(procs_files: &[PathBuf]) -> Result<(), SetupError> {
    for path in procs_files {
        // "0" moves the writing process (its pid in this namespace would be 1, which is not what we mean).
        std::fs::write(path, "0").map_err(|e| SetupError::JoinCgroup {
            path: path.clone(),
            errno: Errno::of(&e),
        })?;
    }
    Ok(())
}

fn make_mounts_private() -> Result<(), SetupError> {
    use nix::mount::MsFlags;
    nix::mount::mount(
        None::<&str>,
        "/",
        None::<&str>,
        MsFlags::MS_REC | MsFlags::MS_PRIVATE,
        None::<&str>,
    )
    .map_err(|errno| SetupError::Mount {
        what: "/ as private (recursively)".into(),
        target: "/".into(),
        errno: Errno::nix(errno),
    })
}

fn set_hostname(hostname: &str) -> Result<(), SetupError> {
    nix::unistd::sethostname(hostname).map_err(|errno| SetupError::Hostname {
        hostname: hostname.to_owned(),
        errno: Errno::nix(errno),
    })
}

/// A new network namespace starts with `lo` down; bring it up so that loopback services work inside.
pub(crate) fn bring_up_loopback() -> Result<(), SetupError> {
    let err = |errno| SetupError::Loopback { errno };
    // SAFETY: plain socket(2) call; the returned fd is owned below.
    let raw = unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) };
    if raw < 0 {
        return Err(err(Errno::of(&std::io::Error::last_os_error())));
    }
    // SAFETY: `raw` is a fresh fd that nothing else owns.
    let socket = unsafe { OwnedFd::from_raw_fd(raw) };
    let fd = std::os::fd::AsRawFd::as_raw_fd(&socket);
    // SAFETY: ifreq is plain old data; all-zero is a valid value.
    let mut ifr: libc::ifreq = unsafe { std::mem::zeroed() };
    for (dst, src) in ifr.ifr_name.iter_mut().zip(b"lo\0") {
        *dst = *src as libc::c_char;
    }
    // SAFETY: SIOCGIFFLAGS reads into the ifreq we own, which names a NUL-terminated interface.
    if unsafe { libc::ioctl(fd, libc::SIOCGIFFLAGS, &mut ifr) } < 0 {
        return Err(err(Errno::of(&std::io::Error::last_os_error())));
    }
    // SAFETY: after SIOCGIFFLAGS the flags member of the union is the initialised one.
    unsafe {
        ifr.ifr_ifru.ifru_flags |= (libc::IFF_UP | libc::IFF_RUNNING) as libc::c_short;
    }
    // SAFETY: SIOCSIFFLAGS reads the ifreq we own.
    if unsafe { libc::ioctl(fd, libc::SIOCSIFFLAGS, &ifr) } < 0 {
        return Err(err(Errno::of(&std::io::Error::last_os_error())));
    }
    Ok(())
}

/// For an ELF program of a foreign architecture, binds the host's static qemu-user emulator read-only at
/// `/.lamina/<emulator>` and returns that path. Runs after `pivot_root`, with the host's root at
/// `/.oldroot`.
fn prepare_emulator(emulation: Emulation, program: &Path) -> Result<Option<PathBuf>, SetupError> {
    if emulation == Emulation::Disabled {
        return Ok(None);
    }
    // Not ELF, unreadable or missing: the exec reports it.
    let Some(arch) = Arch::of_elf_file(program) else {
        return Ok(None);
    };
    if Some(arch) == Arch::host() {
        return Ok(None);
    }
    let Some(source) = arch.find_emulator(Path::new(root::OLD_ROOT)) else {
        return Err(SetupError::MissingEmulator(MissingEmulator {
            program: program.to_owned(),
            arch,
            emulator: arch.emulator_name(),
        }));
    };
    let target = Path::new(root::LAMINA_DIR).join(arch.emulator_name());
    root::create_dir_all(Path::new(root::LAMINA_DIR))?;
    root::create_file(&target)?;
    root::bind_read_only(&source, &target)?;
    Ok(Some(target))
}
