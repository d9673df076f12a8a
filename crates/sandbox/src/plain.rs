//! `Process` mode: the program as a plain child of the server, in its own process group, with exactly the
//! spec's environment and `RLIMIT_NOFILE`. Paths inside the sandbox are translated through the spec's
//! binds (`/var/task/bootstrap` runs from the code directory on the host). No namespaces, no cgroup, no
//! other rlimit (`RLIMIT_NPROC` would count every process of the server's user).

use std::os::unix::process::CommandExt;
use std::process::Command;

use crate::arch::Arch;
use crate::error::{Errno, ExecError, MissingEmulator, SandboxError};
use crate::process::SandboxedProcess;
use crate::spawn::std_stdio;
use crate::spec::{Emulation, SandboxSpec};

pub(crate) fn spawn(spec: SandboxSpec) -> Result<SandboxedProcess, SandboxError> {
    let program = spec
        .host_path(&spec.program)
        .unwrap_or_else(|| spec.program.clone());
    let cwd = spec.host_path(&spec.cwd).unwrap_or_else(|| spec.cwd.clone());
    let exec_error = |errno| {
        SandboxError::Exec(ExecError {
            path: spec.program.clone(),
            errno,
        })
    };

    // The kernel refuses a file that is neither ELF nor `#!` script with ENOEXEC, but the exec of the
    // standard library (execvp) would then run it with /bin/sh: refuse it the kernel's way.
    let executable = nix::unistd::access(&program, nix::unistd::AccessFlags::X_OK).is_ok();
    if executable && !executable_format(&program) {
        return Err(exec_error(Errno(libc::ENOEXEC)));
    }
    let mut command = match foreign_arch(&spec, &program) {
        None => Command::new(&program),
        Some(arch) => {
            let Some(emulator) = arch.find_emulator(std::path::Path::new("/")) else {
                return Err(SandboxError::MissingEmulator(MissingEmulator {
                    program: spec.program.clone(),
                    arch,
                    emulator: arch.emulator_name(),
                }));
            };
            nix::unistd::access(&program, nix::unistd::AccessFlags::X_OK)
                .map_err(|errno| exec_error(Errno::nix(errno)))?;
            let mut command = Command::new(emulator);
            command.arg(&program);
            command
        }
    };
    if !cwd.is_dir() {
        return Err(SandboxError::SpawnProcess {
            program,
            source: std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("working directory {} does not exist", cwd.display()),
            ),
        });
    }
    command
        .args(&spec.args)
        .env_clear()
        .envs(spec.env.iter().map(|(k, v)| (k, v)))
        .current_dir(&cwd)
        .process_group(0)
        .stdin(std_stdio(spec.stdin))
        .stdout(std_stdio(spec.stdout))
        .stderr(std_stdio(spec.stderr));
    // No code runs between the clone and the exec, so the standard library uses posix_spawn instead of
    // forking the whole server (see `spawn`); the shared hold keeps a helper's pipes from leaking in.
    let spawned = {
        let _shared = crate::spawn::SPAWNS
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        command.spawn()
    };
    match spawned {
        Ok(child) => {
            // Set from outside, as soon as the program runs: this mode isolates nothing, and the limit is
            // the one Lambda sets (the Go runtime raises its soft limit to the hard one at start, which is
            // the same value).
            let limit = rustix::process::Rlimit {
                current: Some(spec.rlimits.nofile),
                maximum: Some(spec.rlimits.nofile),
            };
            let pid = rustix::process::Pid::from_raw(child.id() as i32);
            if let Some(pid) = pid {
                let _ = rustix::process::prlimit(Some(pid), rustix::process::Resource::Nofile, limit);
            }
            Ok(SandboxedProcess::plain(spec.name.unwrap_or_default(), child))
        }
        // The working directory was checked above, so these come from the exec itself.
        Err(e)
            if matches!(
                e.raw_os_error(),
                Some(libc::ENOENT | libc::EACCES | libc::ENOEXEC)
            ) =>
        {
            Err(exec_error(Errno::of(&e)))
        }
        Err(source) => Err(SandboxError::SpawnProcess { program, source }),
    }
}

/// Whether `program` starts like something the kernel executes (`\x7fELF` or `#!`). Unreadable and
/// missing files pass: the exec reports them.
fn executable_format(program: &std::path::Path) -> bool {
    let mut magic = [0u8; 4];
    let Ok(mut file) = std::fs::File::open(program) else {
        return true;
    };
    match std::io::Read::read(&mut file, &mut magic) {
        Ok(n) => magic[..n].starts_with(b"#!") || magic[..n] == *b"\x7fELF",
        Err(_) => true,
    }
}

/// Whether the kernel executes `program`'s format: a `#!` script, an ELF of the host's architecture (or of
/// a machine it does not classify), or an ELF of the other one that a binfmt_misc handler is registered
/// and enabled for. Check it before a fork and exec ([`die_with_parent`]): the C library's `execvp` runs
/// a file the kernel refuses with ENOEXEC through `/bin/sh` instead of failing. Unreadable and missing
/// files pass: the exec reports them.
pub fn kernel_executes(program: &std::path::Path) -> bool {
    if !executable_format(program) {
        return false;
    }
    match Arch::of_elf_file(program) {
        Some(arch) if Some(arch) != Arch::host() => binfmt_handles(arch),
        _ => true,
    }
}

/// Whether binfmt_misc is enabled with an enabled handler named for `arch` (`qemu-aarch64`, as
/// qemu-user-static and binfmt-support register them).
fn binfmt_handles(arch: Arch) -> bool {
    let root = std::path::Path::new("/proc/sys/fs/binfmt_misc");
    let enabled = |path: &std::path::Path| {
        std::fs::read_to_string(path).is_ok_and(|text| text.lines().next() == Some("enabled"))
    };
    enabled(&root.join("status"))
        && std::fs::read_dir(root)
            .into_iter()
            .flatten()
            .flatten()
            .any(|entry| {
                let name = entry.file_name();
                name.to_str()
                    .is_some_and(|n| n.starts_with("qemu-") && n.contains(arch.as_str()))
                    && enabled(&entry.path())
            })
}

fn foreign_arch(spec: &SandboxSpec, program: &std::path::Path) -> Option<Arch> {
    if spec.emulation == Emulation::Disabled {
        return None;
    }
    let arch = Arch::of_elf_file(program)?;
    (Some(arch) != Arch::host()).then_some(arch)
}

/// Makes the program `command` starts die (SIGKILL) when the process that started it dies, even by
/// `kill -9`, for programs started outside a sandbox (a sandbox's helper does this for its whole tree).
///
/// The kernel sends the parent-death signal when the *thread* that forked the child ends: start the
/// program from a thread that lives as long as the process (a runtime worker thread, the main thread).
/// A parent already gone before the signal was armed is caught by comparing the parent's pid. This
/// adds code between the clone and the exec, so the standard library forks instead of using
/// `posix_spawn` (a cost of a few hundred microseconds for a large parent) and execs with `execvp`:
/// check [`kernel_executes`] first.
#[allow(unsafe_code)]
pub fn die_with_parent(command: &mut Command) {
    let parent = nix::unistd::getpid();
    // SAFETY: between fork and exec the closure only makes system calls (async-signal-safe), allocates
    // nothing and touches no memory another thread of the parent could hold locked.
    unsafe {
        command.pre_exec(move || {
            nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGKILL)?;
            if nix::unistd::getppid() != parent {
                return Err(std::io::Error::from_raw_os_error(libc::ESRCH));
            }
            Ok(())
        });
    }
}
