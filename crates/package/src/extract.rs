use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek};
use std::path::{Path, PathBuf};

use lamina_model::limits::UNZIPPED_CODE_MAX_BYTES;
use zip::ZipArchive;
use zip::result::ZipError;

use crate::index::{EntryKind, IndexProblem, PackageIndex};

/// Default cap on the number of entries [`extract()`] accepts.
pub const DEFAULT_MAX_ENTRIES: usize = 100_000;

/// Bounds on what [`extract()`] writes, checked against the bytes actually decompressed, never against
/// what the zip's headers claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExtractLimits {
    /// The unzipped contents must be smaller than this many bytes (Lambda: 262,144,000).
    pub max_unzipped_bytes: u64,
    /// At most this many entries.
    pub max_entries: usize,
}

impl Default for ExtractLimits {
    fn default() -> Self {
        ExtractLimits {
            max_unzipped_bytes: UNZIPPED_CODE_MAX_BYTES,
            max_entries: DEFAULT_MAX_ENTRIES,
        }
    }
}

/// What [`extract()`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Extracted {
    /// Bytes of file contents written.
    pub unzipped_bytes: u64,
    /// Regular files written.
    pub files: usize,
    /// Directories created.
    pub directories: usize,
    /// Symbolic links created.
    pub symlinks: usize,
}

/// Why a package was not extracted.
#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    /// Not a zip, or a damaged one.
    #[error("could not unzip the package: {0}")]
    Unzip(#[from] ZipError),
    /// An entry could not be placed safely inside the target directory.
    #[error("the package is unsafe to extract: {0}")]
    Unsafe(String),
    /// The contents decompress to too many bytes.
    #[error("unzipped, the package is at least {limit} bytes; it must be smaller than {limit} bytes")]
    TooLarge {
        /// The limit in force.
        limit: u64,
    },
    /// The target directory exists and is not empty.
    #[error("'{}' is not empty", .0.display())]
    TargetNotEmpty(PathBuf),
    /// Writing to the target failed.
    #[error("cannot write '{}': {source}", path.display())]
    Write {
        /// What was being written.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
}

/// Extracts a package into `target` (created if missing, else it must be empty) and reports what it
/// wrote.
///
/// Nothing is ever written outside `target`: names with `..` or a leading `/` are refused, as are
/// symlinks that lead out of the package and entries below a symlink; files are created with
/// `O_CREAT|O_EXCL`, so nothing is written through a link, and symlinks are created last. Extraction stops
/// as soon as the bytes actually decompressed reach [`ExtractLimits::max_unzipped_bytes`]. Unix modes are
/// kept (permission bits only; set-id bits are dropped); entries without one get 0644, directories
/// without one (or implied by a file's path) 0755, and directories that others could not read or search
/// 0755 too, as Lambda does.
///
/// On error, `target` may hold part of the package: extract into a fresh directory and discard it on
/// failure.
pub fn extract<R: Read + Seek>(
    reader: R,
    target: &Path,
    limits: &ExtractLimits,
) -> Result<Extracted, ExtractError> {
    let mut archive = ZipArchive::new(reader)?;
    let index = PackageIndex::read(&mut archive, limits.max_entries)?;
    if let Some(problem) = index.problems.first() {
        return Err(match problem {
            IndexProblem::TooManyEntries { .. } => ExtractError::Unsafe(problem.to_string()),
            other => ExtractError::Unsafe(other.to_string()),
        });
    }
    prepare_target(target)?;
    let write_err = |path: &Path| {
        let path = path.to_owned();
        move |source| ExtractError::Write { path, source }
    };
    let mut done = Extracted::default();
    // Every directory of the package, explicit or implied by a file's path, with the mode it ends with.
    let mut directory_modes = std::collections::BTreeMap::new();
    let mut symlinks = Vec::new();
    for (path, entry) in &index.entries {
        let dest = path.under(target);
        match &entry.kind {
            EntryKind::Directory => {
                // Directories stay writable until every file is in; their modes are applied at the end.
                fs::create_dir_all(&dest).map_err(write_err(&dest))?;
                directory_modes.insert(dest, directory_mode(entry.mode));
                done.directories += 1;
            }
            EntryKind::Symlink { target } => symlinks.push((dest, target.clone())),
            EntryKind::File => {
                if let Some(parent) = dest.parent() {
                    fs::create_dir_all(parent).map_err(write_err(parent))?;
                    for implied in parent.ancestors().take_while(|d| *d != target) {
                        directory_modes.entry(implied.to_owned()).or_insert(0o755);
                    }
                }
                let mut out = OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(&dest)
                    .map_err(write_err(&dest))?;
                let budget = limits.max_unzipped_bytes - done.unzipped_bytes;
                let written = io::copy(&mut archive.by_index(entry.index)?.take(budget), &mut out)
                    .map_err(write_err(&dest))?;
                done.unzipped_bytes += written;
                if done.unzipped_bytes >= limits.max_unzipped_bytes {
                    return Err(ExtractError::TooLarge {
                        limit: limits.max_unzipped_bytes,
                    });
                }
                set_mode(&out, &dest, entry.mode.unwrap_or(0o644))?;
                done.files += 1;
            }
        }
    }
    for (dest, link_target) in symlinks {
        make_symlink(&link_target, &dest)?;
        done.symlinks += 1;
    }
    // Deepest first (a child sorts after its parent), so that a read-only parent does not stop its
    // children from being set.
    for (dest, mode) in directory_modes.iter().rev() {
        let dir = File::open(dest).map_err(write_err(dest))?;
        set_mode(&dir, dest, *mode)?;
    }
    Ok(done)
}

fn prepare_target(target: &Path) -> Result<(), ExtractError> {
    let err = |source| ExtractError::Write {
        path: target.to_owned(),
        source,
    };
    match fs::read_dir(target) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                return Err(ExtractError::TargetNotEmpty(target.to_owned()));
            }
            Ok(())
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => fs::create_dir_all(target).map_err(err),
        Err(e) => Err(err(e)),
    }
}

/// The mode a directory gets: its own, unless it would shut out the user the code runs as (no read or
/// search permission for others), in which case 0755, as Lambda sets such directories.
fn directory_mode(mode: Option<u32>) -> u32 {
    match mode {
        Some(mode) if mode & 0o005 == 0o005 => mode,
        _ => 0o755,
    }
}

#[cfg(unix)]
fn set_mode(file: &File, path: &Path, mode: u32) -> Result<(), ExtractError> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(fs::Permissions::from_mode(mode & 0o777))
        .map_err(|source| ExtractError::Write {
            path: path.to_owned(),
            source,
        })
}

#[cfg(not(unix))]
fn set_mode(_: &File, _: &Path, _: u32) -> Result<(), ExtractError> {
    Ok(())
}

#[cfg(unix)]
fn make_symlink(link_target: &str, dest: &Path) -> Result<(), ExtractError> {
    if let Some(parent) = dest.parent() {
        fs::create_dir_all(parent).map_err(|source| ExtractError::Write {
            path: parent.to_owned(),
            source,
        })?;
    }
    std::os::unix::fs::symlink(link_target, dest).map_err(|source| ExtractError::Write {
        path: dest.to_owned(),
        source,
    })
}

#[cfg(not(unix))]
fn make_symlink(_: &str, dest: &Path) -> Result<(), ExtractError> {
    Err(ExtractError::Write {
        path: dest.to_owned(),
        source: io::Error::new(
            io::ErrorKind::Unsupported,
            "symbolic links are extracted on Unix hosts only",
        ),
    })
}
