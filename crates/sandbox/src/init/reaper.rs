//! PID 1 of the sandbox after the program started: forwards termination signals to everything in the
//! sandbox, reaps orphans, and when the program ends reports how to the helper and exits, which makes
//! the kernel kill whatever is left in the PID namespace.

use std::fs::File;
use std::io::Write;
use std::os::fd::OwnedFd;

use nix::sys::signal::{SigSet, SigmaskHow, Signal};
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::Pid;

use crate::protocol::ProgramExit;

/// Signals passed on to the sandbox's processes.
const FORWARDED: [Signal; 6] = [
    Signal::SIGTERM,
    Signal::SIGINT,
    Signal::SIGHUP,
    Signal::SIGQUIT,
    Signal::SIGUSR1,
    Signal::SIGUSR2,
];

fn handled() -> SigSet {
    let mut set = SigSet::empty();
    set.add(Signal::SIGCHLD);
    for signal in FORWARDED {
        set.add(signal);
    }
    set
}

/// Blocks the signals the reaper waits for (before forking the program, so none is lost).
pub(super) fn block_signals() -> nix::Result<()> {
    nix::sys::signal::sigprocmask(SigmaskHow::SIG_BLOCK, Some(&handled()), None)
}

/// Runs until the program exits, then reports and exits.
pub(super) fn run(program: Pid, result: OwnedFd) -> ! {
    let set = handled();
    loop {
        match set.wait() {
            Ok(Signal::SIGCHLD) => {
                if let Some(exit) = reap(program) {
                    report(result, exit)
                }
            }
            // -1 from PID 1: every process of the namespace but the init itself.
            Ok(signal) => {
                let _ = nix::sys::signal::kill(Pid::from_raw(-1), signal);
            }
            Err(_) => {}
        }
    }
}

/// Reaps every child that has exited; returns the program's exit once it is among them.
fn reap(program: Pid) -> Option<ProgramExit> {
    let mut exit = None;
    loop {
        match waitpid(None, Some(WaitPidFlag::WNOHANG)) {
            Ok(WaitStatus::Exited(pid, code)) if pid == program => exit = Some(ProgramExit::Exited(code)),
            Ok(WaitStatus::Signaled(pid, signal, _)) if pid == program => {
                exit = Some(ProgramExit::Signaled(signal as i32))
            }
            Ok(WaitStatus::StillAlive) | Err(_) => return exit,
            Ok(_) => {}
        }
    }
}

fn report(result: OwnedFd, exit: ProgramExit) -> ! {
    if let Ok(bytes) = serde_json::to_vec(&exit) {
        let _ = File::from(result).write_all(&bytes);
    }
    std::process::exit(0)
}
