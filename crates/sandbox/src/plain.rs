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

fn foreign_arch(spec: &SandboxSpec, program: &std::path::Path) -> Option<Arch> {
    if spec.emulation == Emulation::Disabled {
        return None;
    }
    let arch = Arch::of_elf_file(program)?;
    (Some(arch) != Arch::host()).then_some(arch)
}
