//! `Process` mode: the program as a plain child of the server, in its own process group, with exactly the
//! spec's environment and `RLIMIT_NOFILE`. Paths inside the sandbox are translated through the spec's
//! binds (`/var/task/bootstrap` runs from the code directory on the host). No namespaces, no cgroup, no
//! other rlimit (`RLIMIT_NPROC` would count every process of the server's user).

#![allow(unsafe_code)]

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
    let nofile = spec.rlimits.nofile as libc::rlim_t;
    // SAFETY: runs between fork and exec in the child; setrlimit is a plain system call
    // (async-signal-safe) on a stack value, and io::Error::last_os_error does not allocate.
    unsafe {
        command.pre_exec(move || {
            let limit = libc::rlimit {
                rlim_cur: nofile,
                rlim_max: nofile,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    match command.spawn() {
        Ok(child) => Ok(SandboxedProcess::plain(spec.name.unwrap_or_default(), child)),
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
