//! What kind of program a `bootstrap` is, read from its bytes: an ELF executable (which machine, static or
//! dynamic, which interpreter and glibc versions it needs) or a script with a `#!` line.
//!
//! Lambda starts `bootstrap` with `execve`, so these are exactly the facts that decide between a running
//! function and `Runtime.InvalidEntrypoint` ("exec format error", "no such file or directory").

use goblin::elf::Elf;
use goblin::elf::header::{EM_386, EM_AARCH64, EM_ARM, EM_X86_64, ET_DYN, ET_EXEC};
use lamina_model::Architecture;

/// A `bootstrap` as the kernel's `execve` would see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Executable {
    /// An ELF file.
    Elf(ElfInfo),
    /// A script starting with `#!`.
    Script(Shebang),
    /// Neither: `execve` fails with "exec format error".
    Unknown,
}

/// The facts about an ELF file that decide whether it starts on Lambda.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElfInfo {
    /// The ELF `e_machine` value.
    pub machine: u16,
    /// Whether it is a 64-bit ELF.
    pub is_64: bool,
    /// Whether it is an executable (`ET_EXEC`, or `ET_DYN` as position-independent executables are),
    /// rather than a relocatable object or core file.
    pub is_executable: bool,
    /// The program interpreter (`PT_INTERP`), present for dynamically linked executables.
    pub interpreter: Option<String>,
    /// The shared libraries it needs (`DT_NEEDED`).
    pub needed_libraries: Vec<String>,
    /// The highest `GLIBC_x.y` symbol version it needs, if any.
    pub max_glibc: Option<GlibcVersion>,
    /// The glibc symbol version that required `max_glibc` (for example `GLIBC_2.36` or
    /// `GLIBC_ABI_DT_RELR`).
    pub max_glibc_symbol: Option<String>,
}

/// A glibc version `major.minor`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct GlibcVersion(pub u32, pub u32);

impl std::fmt::Display for GlibcVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.0, self.1)
    }
}

/// A script's `#!` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shebang {
    /// The interpreter path, as the kernel reads it (up to the first space or tab).
    pub interpreter: String,
    /// The optional argument after the interpreter.
    pub argument: Option<String>,
    /// Whether the line ends in `\r\n` (a script saved on Windows): the kernel then looks for an
    /// interpreter whose name ends in a carriage return.
    pub has_carriage_return: bool,
}

impl ElfInfo {
    /// The Lambda architecture this ELF runs on, if it is one Lambda offers.
    pub fn architecture(&self) -> Option<Architecture> {
        match (self.machine, self.is_64) {
            (EM_X86_64, true) => Some(Architecture::X86_64),
            (EM_AARCH64, true) => Some(Architecture::Arm64),
            _ => None,
        }
    }

    /// A human name for the machine: `x86_64`, `arm64`, `32-bit x86`...
    pub fn machine_name(&self) -> String {
        if let Some(arch) = self.architecture() {
            return arch.to_string();
        }
        match self.machine {
            EM_386 => "32-bit x86 (i386)".to_owned(),
            EM_ARM => "32-bit ARM".to_owned(),
            EM_X86_64 => "x86_64 with 32-bit pointers (x32)".to_owned(),
            other => format!(
                "{} (ELF machine {other})",
                goblin::elf::header::machine_to_str(other)
            ),
        }
    }

    /// Whether the executable is statically linked (has no program interpreter).
    pub fn is_static(&self) -> bool {
        self.interpreter.is_none()
    }
}

/// Classifies the bytes of a `bootstrap`.
pub fn classify(bytes: &[u8]) -> Executable {
    if bytes.starts_with(b"\x7fELF") {
        return match Elf::parse(bytes) {
            Ok(elf) => Executable::Elf(elf_info(&elf)),
            // An ELF magic with headers goblin cannot read: the kernel refuses it too.
            Err(_) => Executable::Unknown,
        };
    }
    if let Some(rest) = bytes.strip_prefix(b"#!") {
        return parse_shebang(rest).map_or(Executable::Unknown, Executable::Script);
    }
    Executable::Unknown
}

fn elf_info(elf: &Elf<'_>) -> ElfInfo {
    let mut max: Option<(GlibcVersion, String)> = None;
    if let Some(verneed) = &elf.verneed {
        for need in verneed.iter() {
            for aux in need.iter() {
                let Some(name) = elf.dynstrtab.get_at(aux.vna_name) else {
                    continue;
                };
                let Some(version) = glibc_version_of_symbol(name) else {
                    continue;
                };
                if max.as_ref().is_none_or(|(current, _)| version > *current) {
                    max = Some((version, name.to_owned()));
                }
            }
        }
    }
    let (max_glibc, max_glibc_symbol) = match max {
        Some((version, symbol)) => (Some(version), Some(symbol)),
        None => (None, None),
    };
    ElfInfo {
        machine: elf.header.e_machine,
        is_64: elf.is_64,
        is_executable: matches!(elf.header.e_type, ET_EXEC | ET_DYN),
        interpreter: elf.interpreter.map(str::to_owned),
        needed_libraries: elf.libraries.iter().map(|s| (*s).to_owned()).collect(),
        max_glibc,
        max_glibc_symbol,
    }
}

/// The glibc release that introduced a version-needed name: `GLIBC_2.34` is 2.34, `GLIBC_2.2.5` is 2.2;
/// `GLIBC_ABI_DT_RELR` (binaries linked with packed relative relocations) first appeared in glibc 2.36.
fn glibc_version_of_symbol(name: &str) -> Option<GlibcVersion> {
    if name == "GLIBC_ABI_DT_RELR" {
        return Some(GlibcVersion(2, 36));
    }
    let mut parts = name.strip_prefix("GLIBC_")?.split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next().map_or(Some(0), |m| m.parse().ok())?;
    Some(GlibcVersion(major, minor))
}

fn parse_shebang(rest: &[u8]) -> Option<Shebang> {
    // The kernel reads the first line (at most 255 bytes on older kernels), skips leading blanks, and
    // splits off one optional argument at the first blank.
    let line_end = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
    let line = std::str::from_utf8(&rest[..line_end]).ok()?;
    let has_carriage_return = line.ends_with('\r');
    let line = line.trim_start_matches([' ', '\t']);
    let (interpreter, argument) = match line.find([' ', '\t']) {
        Some(i) => {
            let argument = line[i..].trim_matches([' ', '\t', '\r']);
            (&line[..i], (!argument.is_empty()).then(|| argument.to_owned()))
        }
        None => (line, None),
    };
    Some(Shebang {
        interpreter: interpreter.to_owned(),
        argument,
        has_carriage_return,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_glibc_versions() {
        assert_eq!(glibc_version_of_symbol("GLIBC_2.34"), Some(GlibcVersion(2, 34)));
        assert_eq!(glibc_version_of_symbol("GLIBC_2.2.5"), Some(GlibcVersion(2, 2)));
        assert_eq!(
            glibc_version_of_symbol("GLIBC_ABI_DT_RELR"),
            Some(GlibcVersion(2, 36))
        );
        assert_eq!(glibc_version_of_symbol("GLIBC_PRIVATE"), None);
        assert_eq!(glibc_version_of_symbol("GCC_3.0"), None);
        assert!(GlibcVersion(2, 35) > GlibcVersion(2, 34));
        assert!(GlibcVersion(2, 4) < GlibcVersion(2, 34));
    }

    #[test]
    fn reads_shebang_lines() {
        let Executable::Script(s) = classify(b"#!/bin/sh -e\necho") else {
            panic!("not a script")
        };
        assert_eq!(
            (s.interpreter.as_str(), s.argument.as_deref()),
            ("/bin/sh", Some("-e"))
        );
        assert!(!s.has_carriage_return);

        let Executable::Script(s) = classify(b"#! /usr/bin/env bash\r\n") else {
            panic!("not a script")
        };
        assert_eq!(
            (s.interpreter.as_str(), s.argument.as_deref()),
            ("/usr/bin/env", Some("bash"))
        );
        assert!(s.has_carriage_return);

        let Executable::Script(s) = classify(b"#!/bin/sh\r\n") else {
            panic!("not a script")
        };
        assert_eq!(s.interpreter, "/bin/sh\r");
        assert!(s.has_carriage_return);
    }

    #[test]
    fn anything_else_is_unknown() {
        assert_eq!(classify(b"MZ\x90\x00"), Executable::Unknown);
        assert_eq!(classify(b"\x7fELF garbage"), Executable::Unknown);
        assert_eq!(classify(b""), Executable::Unknown);
    }

    #[test]
    fn reads_the_running_test_binary() {
        // This test binary is a real ELF built for the host, dynamically linked against glibc.
        let bytes = std::fs::read(std::env::current_exe().expect("exe")).expect("read");
        let Executable::Elf(info) = classify(&bytes) else {
            panic!("not ELF")
        };
        assert!(info.is_executable);
        assert_eq!(info.architecture(), Architecture::host());
        if cfg!(all(target_os = "linux", target_env = "gnu")) {
            assert!(
                info.interpreter
                    .as_deref()
                    .is_some_and(|i| i.contains("ld-linux")),
                "{info:?}"
            );
            assert!(info.max_glibc.is_some(), "{info:?}");
        }
    }
}
