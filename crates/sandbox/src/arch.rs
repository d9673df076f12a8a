//! Instruction sets, read from a program's ELF header, and the qemu-user emulators that run a foreign one.

use std::fmt;
use std::fs::File;
use std::io::Read;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Directories searched for `qemu-<arch>-static`, in order (Debian's `qemu-user-static` installs to
/// `/usr/bin`).
pub const EMULATOR_DIRS: [&str; 3] = ["/usr/bin", "/usr/local/bin", "/usr/libexec/qemu-binfmt"];

/// An instruction set the sandbox can run, natively or under qemu-user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Arch {
    /// 64-bit x86 (ELF `EM_X86_64`).
    X86_64,
    /// 64-bit ARM (ELF `EM_AARCH64`).
    Aarch64,
}

impl Arch {
    /// The architecture this crate was built for, if it is one of the two.
    pub fn host() -> Option<Arch> {
        match std::env::consts::ARCH {
            "x86_64" => Some(Arch::X86_64),
            "aarch64" => Some(Arch::Aarch64),
            _ => None,
        }
    }

    /// The kernel's and qemu's name (`x86_64`, `aarch64`).
    pub fn as_str(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64",
            Arch::Aarch64 => "aarch64",
        }
    }

    /// The file name of the static qemu-user emulator for this architecture.
    pub fn emulator_name(self) -> String {
        format!("qemu-{}-static", self.as_str())
    }

    /// The architecture of an ELF machine number, if it is one of the two.
    pub fn from_elf_machine(machine: u16) -> Option<Arch> {
        match machine {
            goblin::elf::header::EM_X86_64 => Some(Arch::X86_64),
            goblin::elf::header::EM_AARCH64 => Some(Arch::Aarch64),
            _ => None,
        }
    }

    /// The architecture of the ELF file at `path`: `None` when it is not an ELF file (a script, for
    /// instance), cannot be read, or is for a machine other than the two.
    pub fn of_elf_file(path: &Path) -> Option<Arch> {
        let mut header = [0u8; 64];
        let mut file = open_regular(path)?;
        let mut filled = 0;
        while filled < header.len() {
            match file.read(&mut header[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(_) => return None,
            }
        }
        let header = goblin::elf::Elf::parse_header(&header[..filled]).ok()?;
        Arch::from_elf_machine(header.e_machine)
    }

    /// Looks for this architecture's emulator in [`EMULATOR_DIRS`] below `root` (`/` on the host, or where
    /// the host's root is still reachable during setup).
    pub fn find_emulator(self, root: &Path) -> Option<PathBuf> {
        let name = self.emulator_name();
        EMULATOR_DIRS.iter().find_map(|dir| {
            let relative = Path::new(dir).strip_prefix("/").unwrap_or(Path::new(dir));
            let candidate = root.join(relative).join(&name);
            candidate.is_file().then_some(candidate)
        })
    }
}

/// Opens `path` for reading if it is a regular file. Non-blocking and without acquiring a terminal, so that
/// a program path that is (or links to) a FIFO or a tty cannot stall the caller.
pub(crate) fn open_regular(path: &Path) -> Option<File> {
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
        .ok()?;
    file.metadata().ok()?.is_file().then_some(file)
}

impl fmt::Display for Arch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_machine_of_elf_files() {
        let me = std::env::current_exe().expect("current exe");
        assert_eq!(Arch::of_elf_file(&me), Arch::host());
        let dir = tempfile::tempdir().expect("tempdir");
        let script = dir.path().join("script");
        std::fs::write(&script, "#!/bin/sh\necho hi\n").expect("write");
        assert_eq!(Arch::of_elf_file(&script), None);
        assert_eq!(Arch::of_elf_file(&dir.path().join("missing")), None);
    }

    #[test]
    fn emulator_names() {
        assert_eq!(Arch::Aarch64.emulator_name(), "qemu-aarch64-static");
        assert_eq!(Arch::X86_64.emulator_name(), "qemu-x86_64-static");
    }
}
