//! The last steps before the program runs, in the process that becomes it: limits, identity, privileges,
//! working directory, seccomp, then `execve`. Order matters: rlimits and the capability bounding set need
//! root's privileges, so they come before the switch to the sandbox user; `no_new_privs` comes after it so
//! that nothing the program execs can regain privileges, and it must precede the seccomp filter, which an
//! unprivileged process may only install with it.

use std::convert::Infallible;
use std::ffi::{CString, OsStr};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use nix::sys::resource::{Resource, setrlimit};
use nix::sys::signal::{SigHandler, SigSet, SigmaskHow, Signal};
use nix::unistd::{AccessFlags, Gid, Uid};
use rustix::thread::{CapabilitySet, CapabilitySets};

use super::{Launch, seccomp};
use crate::error::{Errno, ExecError, SetupError};
use crate::spec::SandboxSpec;

/// Prepares this process and execs the program; returns only on failure.
pub(super) fn exec(spec: &SandboxSpec, launch: &Launch) -> Result<Infallible, SetupError> {
    let filters = if spec.seccomp {
        seccomp::filters()?.to_vec()
    } else {
        Vec::new()
    };
    restore_signals();
    set_rlimits(spec)?;
    drop_bounding_set()?;
    switch_user(spec.uid, spec.gid)?;
    clear_capabilities()?;
    set_no_new_privs()?;
    change_dir(&spec.cwd)?;
    close_other_fds_on_exec();
    // Last before the exec: from here on the denied calls fail, for this process and all it starts.
    seccomp::install(&filters)?;
    let exec_error = |errno| {
        SetupError::Exec(ExecError {
            path: spec.program.clone(),
            errno,
        })
    };
    let env: Vec<CString> = spec
        .env
        .iter()
        .filter_map(|(k, v)| CString::new(format!("{k}={v}")).ok())
        .collect();
    let program = c_string(spec.program.as_os_str());
    let args = spec.args.iter().map(|a| c_string(OsStr::new(a)));
    match &launch.emulator {
        None => {
            let argv: Vec<CString> = std::iter::once(program.clone()).chain(args).collect();
            let errno = nix::unistd::execve(&program, &argv, &env)
                .err()
                .unwrap_or(nix::errno::Errno::EINVAL);
            Err(exec_error(Errno::nix(errno)))
        }
        Some(emulator) => {
            // The kernel would check these for a native exec; the emulator would report them its own way.
            nix::unistd::access(&spec.program, AccessFlags::X_OK)
                .map_err(|errno| exec_error(Errno::nix(errno)))?;
            let emulator = c_string(emulator.as_os_str());
            let argv: Vec<CString> = [emulator.clone(), program].into_iter().chain(args).collect();
            let errno = nix::unistd::execve(&emulator, &argv, &env)
                .err()
                .unwrap_or(nix::errno::Errno::EINVAL);
            Err(exec_error(Errno::nix(errno)))
        }
    }
}

fn c_string(s: &OsStr) -> CString {
    // The spec refuses NULs in every string it holds.
    CString::new(s.as_bytes()).unwrap_or_default()
}

/// The program starts with no blocked signal and default dispositions (Rust ignores SIGPIPE, and an
/// ignored disposition would survive the exec).
fn restore_signals() {
    let _ = nix::sys::signal::sigprocmask(SigmaskHow::SIG_SETMASK, Some(&SigSet::empty()), None);
    // SAFETY: restoring the default disposition installs no handler.
    let _ = unsafe { nix::sys::signal::signal(Signal::SIGPIPE, SigHandler::SigDfl) };
}

fn set_rlimits(spec: &SandboxSpec) -> Result<(), SetupError> {
    let mut limits = vec![(Resource::RLIMIT_NOFILE, "RLIMIT_NOFILE", spec.rlimits.nofile)];
    if let Some(nproc) = spec.rlimits.nproc {
        limits.push((Resource::RLIMIT_NPROC, "RLIMIT_NPROC", nproc));
    }
    for (resource, name, value) in limits {
        setrlimit(resource, value, value).map_err(|errno| SetupError::Rlimit {
            resource: name.to_owned(),
            value,
            errno: Errno::nix(errno),
        })?;
    }
    Ok(())
}

/// Removes every capability from the bounding set, so that no file capability can grant one back.
fn drop_bounding_set() -> Result<(), SetupError> {
    let last = std::fs::read_to_string("/proc/sys/kernel/cap_last_cap")
        .ok()
        .and_then(|s| s.trim().parse::<u32>().ok())
        .unwrap_or(40)
        .min(63);
    for cap in 0..=last {
        rustix::thread::remove_capability_from_bounding_set(CapabilitySet::from_bits_retain(1 << cap))
            .map_err(|e| SetupError::DropCapabilities {
                errno: Errno(e.raw_os_error()),
            })?;
    }
    Ok(())
}

/// Supplementary groups, then gid, then uid (after which the kernel clears the permitted and effective
/// capability sets, since no keep-caps bit is set).
fn switch_user(uid: u32, gid: u32) -> Result<(), SetupError> {
    let err = |errno| SetupError::SetIds {
        uid,
        gid,
        errno: Errno::nix(errno),
    };
    let (uid, gid) = (Uid::from_raw(uid), Gid::from_raw(gid));
    nix::unistd::setgroups(&[gid]).map_err(err)?;
    nix::unistd::setresgid(gid, gid, gid).map_err(err)?;
    nix::unistd::setresuid(uid, uid, uid).map_err(err)
}

/// Empties the effective, permitted and inheritable sets (which also empties the ambient set).
fn clear_capabilities() -> Result<(), SetupError> {
    let none = CapabilitySets {
        effective: CapabilitySet::empty(),
        permitted: CapabilitySet::empty(),
        inheritable: CapabilitySet::empty(),
    };
    rustix::thread::set_capabilities(None, none).map_err(|e| SetupError::DropCapabilities {
        errno: Errno(e.raw_os_error()),
    })
}

fn set_no_new_privs() -> Result<(), SetupError> {
    nix::sys::prctl::set_no_new_privs().map_err(|errno| SetupError::NoNewPrivs {
        errno: Errno::nix(errno),
    })
}

fn change_dir(cwd: &Path) -> Result<(), SetupError> {
    nix::unistd::chdir(cwd).map_err(|errno| SetupError::Chdir {
        path: cwd.to_owned(),
        errno: Errno::nix(errno),
    })
}

/// Only stdin, stdout and stderr reach the program, whatever the server leaked into the helper.
fn close_other_fds_on_exec() {
    // SAFETY: close_range with CLOSE_RANGE_CLOEXEC only sets flags on this process's fds.
    unsafe {
        libc::syscall(libc::SYS_close_range, 3u32, u32::MAX, libc::CLOSE_RANGE_CLOEXEC);
    }
}
