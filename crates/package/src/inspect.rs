use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use lamina_model::Architecture;
use lamina_model::limits::{
    BOOTSTRAP, PROVIDED_AL2023_GLIBC, UNZIPPED_CODE_MAX_BYTES, ZIPPED_CODE_MAX_BYTES,
};
use serde::Serialize;
use zip::ZipArchive;
use zip::result::ZipError;

use crate::archive_path::{ArchivePath, PathProblem};
use crate::executable::{self, ElfInfo, Executable, GlibcVersion, Shebang};
use crate::extract::DEFAULT_MAX_ENTRIES;
use crate::index::{EntryKind, IndexProblem, IndexedEntry, PackageIndex, Resolved};

/// What to check a package against.
#[derive(Debug, Clone, Default)]
pub struct InspectOptions {
    /// The function's architecture. When given, a `bootstrap` built for another one is a finding; when
    /// not, the architecture found is reported as a note.
    pub arch: Option<Architecture>,
}

/// A problem that would make Lambda refuse the package or fail its first invoke.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// What kind of problem it is.
    pub kind: FindingKind,
    /// The entry it concerns, if one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entry: Option<String>,
    /// What is wrong, what Lambda would do, and what to do about it.
    pub message: String,
}

/// The kinds of [`Finding`], stable for scripts (`--json` prints them in kebab-case).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FindingKind {
    /// The file is not a zip at all.
    NotAZip,
    /// The zip is truncated or damaged, or an entry cannot be decompressed.
    Corrupt,
    /// No `bootstrap` at the root of the zip.
    MissingBootstrap,
    /// `bootstrap` is there, but in a folder rather than at the root.
    NestedBootstrap,
    /// `bootstrap` is a directory, or a symlink to nothing in the package.
    BootstrapNotAFile,
    /// `bootstrap` lacks execute permission for others.
    BootstrapNotExecutable,
    /// `bootstrap` lacks read permission for others.
    BootstrapNotReadable,
    /// `bootstrap` is neither an ELF executable nor a `#!` script.
    BootstrapNotExecutableFormat,
    /// The `#!` line names an interpreter that will not be found.
    BadInterpreter,
    /// The ELF is built for an architecture Lambda does not run, or other than the function's.
    ArchitectureMismatch,
    /// The ELF's dynamic loader does not exist on `provided.al2023`.
    MissingDynamicLoader,
    /// The ELF needs a newer glibc than `provided.al2023` has.
    GlibcTooNew,
    /// Files or directories not readable by others.
    NotReadable,
    /// The zip is larger than a direct upload may be.
    ZippedTooLarge,
    /// The unzipped contents are too large.
    UnzippedTooLarge,
    /// More entries than lamina accepts.
    TooManyEntries,
    /// An entry whose path leaves the package root (`..`, absolute) or is otherwise unusable.
    UnsafePath,
    /// A symlink leading outside the package, or looping.
    EscapingSymlink,
    /// Two entries with the same name.
    DuplicateName,
    /// An entry name with `\` separators, which Lambda keeps as part of a single file name.
    BackslashInName,
}

/// The result of [`inspect()`].
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The zip's size in bytes.
    pub zipped_size: u64,
    /// The bytes the entries decompress to (counting stops at the unzipped limit).
    pub unzipped_size: u64,
    /// How many entries the zip holds.
    pub entries: usize,
    /// What `bootstrap` is, when there is one to look at.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bootstrap: Option<String>,
    /// The problems found; empty when the package is deployable.
    pub findings: Vec<Finding>,
    /// Facts worth knowing that are not problems.
    pub notes: Vec<String>,
}

impl Report {
    /// Whether Lambda would accept the package and could start its `bootstrap`.
    pub fn is_deployable(&self) -> bool {
        self.findings.is_empty()
    }

    fn finding(&mut self, kind: FindingKind, entry: Option<&str>, message: String) {
        self.findings.push(Finding {
            kind,
            entry: entry.map(str::to_owned),
            message,
        });
    }
}

/// Why a package could not be inspected at all (as opposed to inspected and found wanting).
#[derive(Debug, thiserror::Error)]
pub enum InspectError {
    /// The package could not be read.
    #[error("cannot read the package: {0}")]
    Io(#[from] io::Error),
}

/// Inspects the package at `path`.
pub fn inspect_file(path: &Path, options: &InspectOptions) -> Result<Report, InspectError> {
    inspect(BufReader::new(File::open(path)?), options)
}

/// Reads a whole package and reports everything a Lambda deploy or first invoke would trip over.
///
/// Every entry is decompressed (up to the unzipped limit, whatever the headers claim), so damaged data is
/// found as well as damaged headers.
pub fn inspect<R: Read + Seek>(mut reader: R, options: &InspectOptions) -> Result<Report, InspectError> {
    let zipped_size = reader.seek(SeekFrom::End(0))?;
    reader.seek(SeekFrom::Start(0))?;
    let mut report = Report {
        zipped_size,
        unzipped_size: 0,
        entries: 0,
        bootstrap: None,
        findings: Vec::new(),
        notes: Vec::new(),
    };
    if zipped_size > ZIPPED_CODE_MAX_BYTES {
        report.finding(
            FindingKind::ZippedTooLarge,
            None,
            format!(
                "The zip is {zipped_size} bytes; a direct upload (--zip-file) may be at most \
                 {ZIPPED_CODE_MAX_BYTES} bytes (50 MB), and Lambda answers RequestEntityTooLargeException. \
                 Upload it to S3 and deploy with --code S3Bucket=...,S3Key=..., or make it smaller."
            ),
        );
    }
    let mut magic = [0u8; 2];
    let starts_like_zip = reader.read_exact(&mut magic).is_ok() && &magic == b"PK";
    reader.seek(SeekFrom::Start(0))?;
    let mut archive = match ZipArchive::new(reader) {
        Ok(archive) => archive,
        Err(ZipError::Io(e)) if !starts_like_zip || zipped_size == 0 => return not_a_zip(report, &e),
        Err(e) if !starts_like_zip => return not_a_zip(report, &e),
        Err(e) => {
            report.finding(
                FindingKind::Corrupt,
                None,
                format!(
                    "The zip is damaged or truncated ({e}); Lambda answers 'Could not unzip uploaded file'. \
                     Create it again, for example with `lamina zip`."
                ),
            );
            return Ok(report);
        }
    };
    report.entries = archive.len();
    let index = match PackageIndex::read(&mut archive, DEFAULT_MAX_ENTRIES) {
        Ok(index) => index,
        Err(e) => {
            report.finding(
                FindingKind::Corrupt,
                None,
                format!("The zip's directory cannot be read: {e}."),
            );
            return Ok(report);
        }
    };
    report_index_problems(&mut report, &index);
    if index
        .problems
        .iter()
        .any(|p| matches!(p, IndexProblem::TooManyEntries { .. }))
    {
        return Ok(report);
    }
    let bootstrap_file =
        find_bootstrap(&mut report, &index).and_then(|p| bootstrap_file(&mut report, &index, &p));
    let bootstrap_bytes = read_contents(&mut report, &mut archive, &index, bootstrap_file.as_ref());
    check_readable(&mut report, &index, bootstrap_file.as_ref());
    if let (Some(path), Some(bytes)) = (&bootstrap_file, bootstrap_bytes) {
        check_bootstrap(&mut report, &index, path, &bytes, options);
    }
    Ok(report)
}

fn not_a_zip(mut report: Report, error: &dyn std::fmt::Display) -> Result<Report, InspectError> {
    report.finding(
        FindingKind::NotAZip,
        None,
        format!(
            "This is not a zip file ({error}); Lambda answers 'Could not unzip uploaded file'. \
             Package the function with `lamina zip -o function.zip bootstrap`."
        ),
    );
    Ok(report)
}

fn report_index_problems(report: &mut Report, index: &PackageIndex) {
    for problem in &index.problems {
        let (kind, entry, advice) = match problem {
            IndexProblem::UnsafeName {
                name,
                problem: PathProblem::ComponentTooLong | PathProblem::TooLong,
            } => (
                FindingKind::UnsafePath,
                Some(name.as_str()),
                "no Linux file system stores a name or path that long, so the package cannot be unpacked; \
                 shorten the name",
            ),
            IndexProblem::UnsafeName { name, .. } => (
                FindingKind::UnsafePath,
                Some(name.as_str()),
                "Lambda refuses such entries and lamina will not extract them; zip the files from inside the \
                 function's folder so that every name is relative",
            ),
            IndexProblem::Duplicate { name } => (
                FindingKind::DuplicateName,
                name.as_deref(),
                "which one Lambda keeps is not defined; create the zip again with each file once",
            ),
            IndexProblem::UnderSymlink { name, .. } => (
                FindingKind::UnsafePath,
                Some(name.as_str()),
                "extracting it would write through the link; store the files under the link's target instead",
            ),
            IndexProblem::EscapingSymlink { name, .. } | IndexProblem::SymlinkLoop { name } => (
                FindingKind::EscapingSymlink,
                Some(name.as_str()),
                "a link may only point to files of the package (or to /opt, where layers are)",
            ),
            IndexProblem::TooManyEntries { .. } => (
                FindingKind::TooManyEntries,
                None,
                "put the files into fewer, larger ones, or move dependencies into layers",
            ),
        };
        report.finding(
            kind,
            entry,
            format!("{}: {advice}.", capitalise(&problem.to_string())),
        );
    }
    let backslashed: Vec<&IndexedEntry> = index
        .entries
        .values()
        .filter(|e| e.raw_name.contains('\\'))
        .collect();
    if let Some(first) = backslashed.first() {
        report.finding(
            FindingKind::BackslashInName,
            Some(&first.raw_name),
            format!(
                "{} entr{} use '\\' as a folder separator (for example '{}'), as some Windows tools write \
                 them; Lambda keeps the backslash as part of one file name, so no folders are created. \
                 Create the zip with `lamina zip` or build-lambda-zip.",
                backslashed.len(),
                if backslashed.len() == 1 { "y" } else { "ies" },
                first.raw_name
            ),
        );
    }
}

/// Finds the root `bootstrap`, or says where it is instead.
fn find_bootstrap(report: &mut Report, index: &PackageIndex) -> Option<ArchivePath> {
    let root = ArchivePath::parse_str(BOOTSTRAP)
        .expect("a constant, valid name")
        .0;
    if index.entries.contains_key(&root) {
        return Some(root);
    }
    let nested = index.entries.iter().find(|(path, e)| {
        e.kind != EntryKind::Directory
            && (path.file_name() == BOOTSTRAP || path.file_name().rsplit('\\').next() == Some(BOOTSTRAP))
    });
    match nested {
        Some((path, entry)) => {
            let folder = entry.raw_name.trim_end_matches(BOOTSTRAP).trim_end_matches(['/', '\\']);
            report.finding(
                FindingKind::NestedBootstrap,
                Some(&entry.raw_name),
                format!(
                    "bootstrap is at '{path}', not at the root of the zip, so Lambda cannot find \
                     /var/task/bootstrap and fails with Runtime.InvalidEntrypoint. Zip the contents of the \
                     folder rather than the folder: `cd {folder} && lamina zip -o ../function.zip bootstrap`."
                ),
            );
        }
        None => report.finding(
            FindingKind::MissingBootstrap,
            None,
            "There is no bootstrap at the root of the zip. On provided.al2023 Lambda runs /var/task/bootstrap \
             (or /opt/bootstrap from a layer) and otherwise fails with Runtime.InvalidEntrypoint. Name your \
             executable bootstrap: `go build -o bootstrap`, or `lamina build`."
                .to_owned(),
        ),
    }
    None
}

/// The file the root `bootstrap` entry leads to (itself, or a symlink's target), if it is a file of the
/// package.
fn bootstrap_file(report: &mut Report, index: &PackageIndex, root: &ArchivePath) -> Option<ArchivePath> {
    let not_a_file = |report: &mut Report, what: String| {
        report.finding(
            FindingKind::BootstrapNotAFile,
            Some(BOOTSTRAP),
            format!("bootstrap {what}, so Lambda cannot run it and fails with Runtime.InvalidEntrypoint."),
        )
    };
    match index.resolve_link(root) {
        Ok(Resolved::Inside(path)) => match index.entries.get(&path).map(|e| &e.kind) {
            Some(EntryKind::File) => return Some(path),
            Some(_) => not_a_file(report, "is a directory".to_owned()),
            None => not_a_file(
                report,
                format!("is a symlink to '{path}', which is not in the package"),
            ),
        },
        Ok(Resolved::Root) => not_a_file(report, "is a symlink to the package root".to_owned()),
        Ok(Resolved::Layers(target)) => report.notes.push(format!(
            "bootstrap is a symlink to {target}, which a layer must provide."
        )),
        // Already reported as an escaping or looping symlink.
        Err(_) => {}
    }
    None
}

/// Decompresses every file (checking its CRC), counts the unzipped size up to the limit, and returns the
/// bytes of `bootstrap_file`.
fn read_contents<R: Read + Seek>(
    report: &mut Report,
    archive: &mut ZipArchive<R>,
    index: &PackageIndex,
    bootstrap_file: Option<&ArchivePath>,
) -> Option<Vec<u8>> {
    let mut bootstrap_bytes = None;
    let mut total: u64 = 0;
    for (path, entry) in &index.entries {
        if entry.kind != EntryKind::File {
            continue;
        }
        let is_bootstrap = bootstrap_file == Some(path);
        let budget = UNZIPPED_CODE_MAX_BYTES - total;
        let result = archive
            .by_index(entry.index)
            .map_err(io::Error::from)
            .and_then(|file| {
                let mut limited = file.take(budget);
                if is_bootstrap {
                    let mut bytes = Vec::new();
                    limited.read_to_end(&mut bytes)?;
                    let n = bytes.len() as u64;
                    bootstrap_bytes = Some(bytes);
                    Ok(n)
                } else {
                    io::copy(&mut limited, &mut io::sink())
                }
            });
        match result {
            Ok(n) => total += n,
            Err(e) => report.finding(
                FindingKind::Corrupt,
                Some(&entry.raw_name),
                format!(
                    "'{}' cannot be decompressed ({e}); Lambda would refuse the zip. Create it again, for \
                     example with `lamina zip` (Lambda reads deflated and stored entries).",
                    entry.raw_name
                ),
            ),
        }
        if total >= UNZIPPED_CODE_MAX_BYTES {
            report.finding(
                FindingKind::UnzippedTooLarge,
                None,
                format!(
                    "Unzipped, the package is at least {UNZIPPED_CODE_MAX_BYTES} bytes; Lambda requires less \
                     than {UNZIPPED_CODE_MAX_BYTES} bytes (250 MB) for the function and its layers together. \
                     Trim dependencies, or deploy as a container image."
                ),
            );
            break;
        }
    }
    report.unzipped_size = total;
    bootstrap_bytes
}

/// Lambda runs code as a user that does not own the files, so "others" need read (and, for directories,
/// search) permission.
/// Directories are the exception: Lambda sets one that others cannot read or search to 755 (and so does
/// lamina's extraction), which is worth a note, not a finding.
fn check_readable(report: &mut Report, index: &PackageIndex, bootstrap: Option<&ArchivePath>) {
    let closed_directories: Vec<&ArchivePath> = index
        .entries
        .iter()
        .filter(|(_, e)| e.kind == EntryKind::Directory)
        .filter(|(_, e)| e.mode.is_some_and(|m| m & 0o005 != 0o005))
        .map(|(path, _)| path)
        .collect();
    if let Some(first) = closed_directories.first() {
        let more = match closed_directories.len() {
            1 => String::new(),
            n => format!(" and {} more", n - 1),
        };
        report.notes.push(format!(
            "directory '{first}'{more} cannot be read by others; Lambda sets such directories to 755 when it \
             unpacks the package (lamina does the same)"
        ));
    }
    let unreadable: Vec<(&ArchivePath, &IndexedEntry, u32)> = index
        .entries
        .iter()
        .filter(|(path, _)| Some(*path) != bootstrap)
        .filter(|(_, e)| e.kind == EntryKind::File)
        .filter_map(|(path, e)| e.mode.filter(|m| m & 0o004 == 0).map(|m| (path, e, m)))
        .collect();
    let Some((first, entry, mode)) = unreadable.first() else {
        return;
    };
    let more = match unreadable.len() {
        1 => String::new(),
        n => format!(" and {} more", n - 1),
    };
    report.finding(
        FindingKind::NotReadable,
        Some(&entry.raw_name),
        format!(
            "'{first}' (mode {mode:04o}){more} cannot be read by others. Lambda runs your code as a user that \
             does not own the files, so it needs 644 for files and 755 for executables: run \
             `chmod -R o+rX .` before zipping, or zip with `lamina zip`."
        ),
    );
}

/// Checks the file `bootstrap` leads to: its permission bits and what kind of program it is.
fn check_bootstrap(
    report: &mut Report,
    index: &PackageIndex,
    path: &ArchivePath,
    bytes: &[u8],
    options: &InspectOptions,
) {
    let file_entry = &index.entries[path];
    match file_entry.mode {
        None => report.finding(
            FindingKind::BootstrapNotExecutable,
            Some(BOOTSTRAP),
            "bootstrap has no Unix permissions in the zip (the tool that made it does not store them, as \
             Windows tools do not), so Lambda extracts it without execute permission and fails with \
             'permission denied'. Create the zip with `lamina zip` or build-lambda-zip."
                .to_owned(),
        ),
        Some(mode) => {
            if mode & 0o001 == 0 {
                report.finding(
                    FindingKind::BootstrapNotExecutable,
                    Some(BOOTSTRAP),
                    format!(
                        "bootstrap has mode {mode:04o} in the zip: Lambda runs it as a user that does not own \
                         it, so it fails with 'permission denied'. It needs 755: `chmod 755 bootstrap` and zip \
                         again, or use `lamina zip`."
                    ),
                );
            }
            if mode & 0o004 == 0 {
                report.finding(
                    FindingKind::BootstrapNotReadable,
                    Some(BOOTSTRAP),
                    format!(
                        "bootstrap has mode {mode:04o} in the zip, so it cannot be read by the user Lambda runs \
                         it as. It needs 755: `chmod 755 bootstrap` and zip again, or use `lamina zip`."
                    ),
                );
            }
        }
    }
    match executable::classify(bytes) {
        Executable::Elf(elf) => check_elf(report, &elf, options),
        Executable::Script(shebang) => check_script(report, index, &shebang),
        Executable::Unknown => report.finding(
            FindingKind::BootstrapNotExecutableFormat,
            Some(BOOTSTRAP),
            format!(
                "bootstrap is {}, neither a Linux (ELF) executable nor a script starting with '#!'; Lambda \
                 fails with 'exec format error'. Build it for Linux: `GOOS=linux go build -o bootstrap`, or \
                 `lamina build`.",
                describe_unknown(bytes)
            ),
        ),
    }
}

fn describe_unknown(bytes: &[u8]) -> &'static str {
    match bytes {
        [] => "an empty file",
        [b'M', b'Z', ..] => "a Windows executable (GOOS=windows?)",
        [0xcf, 0xfa, 0xed, 0xfe, ..] | [0xfe, 0xed, 0xfa, 0xcf, ..] | [0xca, 0xfe, 0xba, 0xbe, ..] => {
            "a macOS executable (GOOS=darwin?)"
        }
        [b'P', b'K', 3, 4, ..] => "a zip file (a zip inside the zip?)",
        [0x7f, b'E', b'L', b'F', ..] => "a damaged ELF file",
        _ => "a file of unknown format",
    }
}

fn check_elf(report: &mut Report, elf: &ElfInfo, options: &InspectOptions) {
    let linking = match &elf.interpreter {
        None => "statically linked".to_owned(),
        Some(interp) => format!("dynamically linked ({interp})"),
    };
    report.bootstrap = Some(format!("ELF {} executable, {linking}", elf.machine_name()));
    if !elf.is_executable {
        report.finding(
            FindingKind::BootstrapNotExecutableFormat,
            Some(BOOTSTRAP),
            "bootstrap is an ELF file but not an executable (an object file or library?); Lambda fails with \
             'exec format error'. Build an executable: `go build -o bootstrap`."
                .to_owned(),
        );
        return;
    }
    let Some(found) = elf.architecture() else {
        report.finding(
            FindingKind::ArchitectureMismatch,
            Some(BOOTSTRAP),
            format!(
                "bootstrap is a {} executable; Lambda runs only x86_64 and arm64 and fails with 'exec format \
                 error'. Build with GOARCH=amd64 or GOARCH=arm64 (`lamina build --arch x86_64|arm64`).",
                elf.machine_name()
            ),
        );
        return;
    };
    match options.arch {
        Some(wanted) if wanted != found => report.finding(
            FindingKind::ArchitectureMismatch,
            Some(BOOTSTRAP),
            format!(
                "bootstrap is built for {found}, but the function's architecture is {wanted}: Lambda fails \
                 with 'exec format error'. Build for {wanted} (`lamina build --arch {wanted}`, or \
                 GOARCH={}), or deploy with --architectures {found}.",
                wanted.go_arch()
            ),
        ),
        Some(_) => {}
        None if found != Architecture::X86_64 => report.notes.push(format!(
            "bootstrap is built for {found}: deploy with --architectures {found} (Lambda's default is x86_64)."
        )),
        None => {}
    }
    let Some(interpreter) = &elf.interpreter else {
        return;
    };
    let expected = match found {
        Architecture::X86_64 => "/lib64/ld-linux-x86-64.so.2",
        Architecture::Arm64 => "/lib/ld-linux-aarch64.so.1",
    };
    if interpreter != expected {
        report.finding(
            FindingKind::MissingDynamicLoader,
            Some(BOOTSTRAP),
            format!(
                "bootstrap is dynamically linked with the loader {interpreter}, which provided.al2023 does not \
                 have (it has glibc's {expected}); Lambda fails with 'no such file or directory'. Link it \
                 statically: CGO_ENABLED=0 for Go (`lamina build` does), a musl target for Rust."
            ),
        );
        return;
    }
    let (major, minor) = PROVIDED_AL2023_GLIBC;
    let limit = GlibcVersion(major, minor);
    match (elf.max_glibc, &elf.max_glibc_symbol) {
        (Some(needed), Some(symbol)) if needed > limit => report.finding(
            FindingKind::GlibcTooNew,
            Some(BOOTSTRAP),
            format!(
                "bootstrap is dynamically linked ({interpreter}) and needs {symbol} (glibc {needed}), but \
                 provided.al2023 has glibc {limit}: it fails to start with \"version `{symbol}' not found\". \
                 Build it statically (CGO_ENABLED=0 for Go; `lamina build` does), or on a system with glibc \
                 {limit} or older, such as Amazon Linux 2023."
            ),
        ),
        (needed, _) => report.notes.push(format!(
            "bootstrap is dynamically linked ({interpreter}){}; provided.al2023 has glibc {limit}. Any other \
             library it needs ({}) must be in the package or a layer, or part of Amazon Linux 2023.",
            needed
                .map(|v| format!(" and needs glibc {v} at most"))
                .unwrap_or_default(),
            elf.needed_libraries.join(", ")
        )),
    }
}

/// Interpreters that Amazon Linux 2023's minimal image (provided.al2023) has.
const AL2023_INTERPRETERS: [&str; 5] = [
    "/bin/sh",
    "/bin/bash",
    "/usr/bin/sh",
    "/usr/bin/bash",
    "/usr/bin/env",
];
/// Programs `#!/usr/bin/env` finds on provided.al2023.
const AL2023_ENV_PROGRAMS: [&str; 2] = ["sh", "bash"];

fn check_script(report: &mut Report, index: &PackageIndex, shebang: &Shebang) {
    let interpreter = shebang.interpreter.trim_end_matches('\r');
    report.bootstrap = Some(format!("script for {interpreter}"));
    if shebang.has_carriage_return {
        report.finding(
            FindingKind::BadInterpreter,
            Some(BOOTSTRAP),
            "bootstrap's #! line ends with a carriage return (the file has Windows line endings), so the kernel \
             looks for an interpreter whose name ends in '\\r' and Lambda fails with 'no such file or \
             directory'. Convert it to Unix line endings (`dos2unix bootstrap`, or `sed -i 's/\\r$//' \
             bootstrap`)."
                .to_owned(),
        );
        return;
    }
    if !interpreter.starts_with('/') {
        report.finding(
            FindingKind::BadInterpreter,
            Some(BOOTSTRAP),
            format!(
                "bootstrap's #! line names '{interpreter}', which is not an absolute path; the kernel refuses \
                 it and Lambda fails with 'exec format error'. Use a full path such as #!/bin/sh."
            ),
        );
        return;
    }
    if let Some(inside) = interpreter.strip_prefix("/var/task/") {
        let in_package = ArchivePath::parse_str(inside).is_ok_and(|(p, _)| index.entries.contains_key(&p));
        if !in_package {
            report.finding(
                FindingKind::BadInterpreter,
                Some(BOOTSTRAP),
                format!(
                    "bootstrap's #! line names {interpreter}, but the package has no '{inside}'; Lambda fails \
                     with 'no such file or directory'. Add the interpreter to the zip or fix the path."
                ),
            );
        }
        return;
    }
    if interpreter.starts_with("/opt/") {
        report.notes.push(format!(
            "bootstrap runs {interpreter}, which a layer must provide."
        ));
        return;
    }
    let program = match (interpreter, &shebang.argument) {
        ("/usr/bin/env", Some(arg)) => arg.split_whitespace().last().unwrap_or(arg),
        _ => interpreter.rsplit('/').next().unwrap_or(interpreter),
    };
    if program.starts_with("python") {
        report.finding(
            FindingKind::BadInterpreter,
            Some(BOOTSTRAP),
            format!(
                "bootstrap runs {program}, but provided.al2023 has no Python; Lambda fails with 'no such file \
                 or directory'. Ship an interpreter in the package or a layer (and name it by its \
                 /var/task or /opt path), or use a python3.x runtime."
            ),
        );
    } else if !AL2023_INTERPRETERS.contains(&interpreter)
        || (interpreter == "/usr/bin/env" && !AL2023_ENV_PROGRAMS.contains(&program))
    {
        report.notes.push(format!(
            "bootstrap runs {program}; provided.al2023 is a minimal image, so make sure it is there or ship it \
             in the package or a layer."
        ));
    }
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}
