use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufWriter, Seek, Write};
use std::path::{Component, Path, PathBuf};

use lamina_model::limits::BOOTSTRAP;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, System, ZipWriter};

use crate::archive_path::{ArchivePath, PathProblem};

/// Mode of `bootstrap`, of files executable on disk, and of directories.
const EXECUTABLE_MODE: u32 = 0o755;
/// Mode of every other file.
const REGULAR_MODE: u32 = 0o644;

/// Builds a deployment package: a deterministic zip with `bootstrap` at its root.
///
/// Entries are collected first and written in sorted order with a fixed timestamp (1980-01-01, the
/// earliest a zip can hold) and the Unix modes Lambda needs (0755 for `bootstrap`, executables and
/// directories, 0644 for the rest), so the same inputs give byte-identical zips, and therefore the same
/// `CodeSha256`, on every machine.
#[derive(Debug, Default)]
pub struct PackageBuilder {
    entries: BTreeMap<ArchivePath, Entry>,
}

#[derive(Debug)]
enum Entry {
    Directory,
    File { source: Source, mode: u32 },
}

#[derive(Debug)]
enum Source {
    Disk(PathBuf),
    Bytes(Vec<u8>),
}

/// Why a package could not be written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The bootstrap given does not exist or is not a file.
    #[error("bootstrap '{}' not found: build your function first, then pass the executable as the first argument", path.display())]
    MissingBootstrap {
        /// The path given.
        path: PathBuf,
    },
    /// An input could not be read.
    #[error("cannot read '{}': {source}", path.display())]
    Read {
        /// The input.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
    /// Two inputs would land on the same name in the zip.
    #[error("'{name}' would be added to the package twice (from '{}'); pass each file once", path.display())]
    Duplicate {
        /// The name in the zip.
        name: String,
        /// The second input that maps to it.
        path: PathBuf,
    },
    /// An entry name given to [`PackageBuilder::add_bytes`] is not a safe relative name.
    #[error("'{name}' cannot be a package entry: {problem}")]
    BadName {
        /// The name.
        name: String,
        /// What is wrong with it.
        problem: PathProblem,
    },
    /// Writing the zip failed.
    #[error("cannot write '{}': {source}", path.display())]
    Write {
        /// The output.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
}

/// A package written to disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrittenPackage {
    /// Where it was written.
    pub path: PathBuf,
    /// Its size in bytes (Lambda's `CodeSize`).
    pub size: u64,
    /// Lambda's `CodeSha256` of it.
    pub code_sha256: String,
}

impl PackageBuilder {
    /// An empty package.
    pub fn new() -> Self {
        Self::default()
    }

    /// A package whose `bootstrap` is the file at `path`, whatever that file is called; it is stored as
    /// `bootstrap` at the root with mode 0755.
    pub fn with_bootstrap(path: &Path) -> Result<Self, WriteError> {
        if !path.is_file() {
            return Err(WriteError::MissingBootstrap {
                path: path.to_owned(),
            });
        }
        let absolute = std::path::absolute(path).map_err(|source| WriteError::Read {
            path: path.to_owned(),
            source,
        })?;
        let mut builder = Self::new();
        builder.insert(
            bootstrap_name(),
            Entry::File {
                source: Source::Disk(absolute),
                mode: EXECUTABLE_MODE,
            },
            path,
        )?;
        Ok(builder)
    }

    /// Adds a file or, recursively, a directory from disk. A relative path without `..` keeps its path
    /// in the zip (`lib/libfoo.so` stays `lib/libfoo.so`, as `build-lambda-zip` does); any other path is
    /// placed at the root under its own name. A directory gets entries of its own (mode 0755), as `zip -r`
    /// writes them; a file given by itself does not bring entries for the folders above it, as with
    /// `build-lambda-zip`. Symbolic links are followed.
    pub fn add_path(&mut self, path: &Path) -> Result<(), WriteError> {
        let base = name_in_package(path).ok_or_else(|| WriteError::Read {
            path: path.to_owned(),
            source: io::Error::new(io::ErrorKind::InvalidInput, "the path has no file name"),
        })?;
        let read_err = |source| WriteError::Read {
            path: path.to_owned(),
            source,
        };
        // Sources are read when the zip is written: hold them by absolute path, so that a later change of
        // working directory cannot change what is read.
        let absolute = std::path::absolute(path).map_err(read_err)?;
        let metadata = std::fs::metadata(&absolute).map_err(read_err)?;
        if !metadata.is_dir() {
            return self.insert(base, file_entry(&absolute, &metadata), path);
        }
        for item in walkdir::WalkDir::new(&absolute)
            .follow_links(true)
            .sort_by_file_name()
        {
            let item = item.map_err(|e| WriteError::Read {
                path: e.path().unwrap_or(path).to_owned(),
                source: e.into(),
            })?;
            let relative = item
                .path()
                .strip_prefix(&absolute)
                .expect("walkdir yields paths below its root");
            let mut components = base.components().to_vec();
            components.extend(relative.iter().map(|c| c.to_string_lossy().into_owned()));
            let name = ArchivePath::from_components(components);
            let metadata = item.metadata().map_err(|e| WriteError::Read {
                path: item.path().to_owned(),
                source: e.into(),
            })?;
            let entry = if metadata.is_dir() {
                Entry::Directory
            } else {
                file_entry(item.path(), &metadata)
            };
            self.insert(name, entry, item.path())?;
        }
        Ok(())
    }

    /// Adds a file from memory under `name` with the given Unix permission bits.
    pub fn add_bytes(&mut self, name: &str, data: Vec<u8>, mode: u32) -> Result<(), WriteError> {
        let (path, _) = ArchivePath::parse_str(name).map_err(|problem| WriteError::BadName {
            name: name.to_owned(),
            problem,
        })?;
        self.insert(
            path,
            Entry::File {
                source: Source::Bytes(data),
                mode: mode & 0o777,
            },
            Path::new(name),
        )
    }

    /// Whether the package has a `bootstrap` at its root.
    pub fn has_bootstrap(&self) -> bool {
        self.entries.contains_key(&bootstrap_name())
    }

    fn insert(&mut self, name: ArchivePath, entry: Entry, from: &Path) -> Result<(), WriteError> {
        match self.entries.get(&name) {
            Some(Entry::Directory) if matches!(entry, Entry::Directory) => Ok(()),
            Some(_) => Err(WriteError::Duplicate {
                name: name.to_string(),
                path: from.to_owned(),
            }),
            None => {
                self.entries.insert(name, entry);
                Ok(())
            }
        }
    }

    /// Writes the zip to `out`. Returns the writer.
    pub fn write<W: Write + Seek>(&self, out: W) -> Result<W, io::Error> {
        let mut zip = ZipWriter::new(out);
        let options = SimpleFileOptions::default()
            .compression_method(CompressionMethod::Deflated)
            // Unix modes are what Lambda reads, whatever the host writing the zip.
            .system(System::Unix)
            .last_modified_time(DateTime::default());
        for (name, entry) in &self.entries {
            match entry {
                Entry::Directory => {
                    zip.add_directory(format!("{name}/"), options.unix_permissions(EXECUTABLE_MODE))?;
                }
                Entry::File { source, mode } => {
                    let large = match source {
                        Source::Disk(path) => std::fs::metadata(path)?.len() >= u64::from(u32::MAX),
                        Source::Bytes(data) => data.len() as u64 >= u64::from(u32::MAX),
                    };
                    zip.start_file(
                        name.to_string(),
                        options.unix_permissions(*mode).large_file(large),
                    )?;
                    match source {
                        Source::Disk(path) => {
                            io::copy(&mut File::open(path)?, &mut zip)?;
                        }
                        Source::Bytes(data) => zip.write_all(data)?,
                    }
                }
            }
        }
        Ok(zip.finish()?)
    }

    /// Writes the zip to `path` atomically (a temporary file beside it, then a rename), so a failed or
    /// interrupted run never leaves a half-written package behind.
    pub fn write_file(&self, path: &Path) -> Result<WrittenPackage, WriteError> {
        let write_err = |source| WriteError::Write {
            path: path.to_owned(),
            source,
        };
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let temp = tempfile::Builder::new()
            .prefix(".lamina-zip")
            .tempfile_in(dir)
            .map_err(write_err)?;
        let writer = self.write(BufWriter::new(temp)).map_err(write_err)?;
        let temp = writer.into_inner().map_err(|e| write_err(e.into_error()))?;
        temp.as_file().sync_all().map_err(write_err)?;
        temp.persist(path).map_err(|e| write_err(e.error))?;
        let size = std::fs::metadata(path).map_err(write_err)?.len();
        let code_sha256 = crate::code_sha256_of_file(path).map_err(write_err)?;
        Ok(WrittenPackage {
            path: path.to_owned(),
            size,
            code_sha256,
        })
    }
}

fn bootstrap_name() -> ArchivePath {
    ArchivePath::from_components(vec![BOOTSTRAP.to_owned()])
}

fn file_entry(path: &Path, metadata: &std::fs::Metadata) -> Entry {
    let mode = if is_executable(metadata) {
        EXECUTABLE_MODE
    } else {
        REGULAR_MODE
    };
    Entry::File {
        source: Source::Disk(path.to_owned()),
        mode,
    }
}

#[cfg(unix)]
fn is_executable(metadata: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    metadata.permissions().mode() & 0o111 != 0
}

#[cfg(not(unix))]
fn is_executable(_: &std::fs::Metadata) -> bool {
    // Hosts without Unix modes cannot tell; only `bootstrap` is made executable there.
    false
}

/// The name an input path gets in the package: its own relative path when that stays below the current
/// directory, else its file name.
fn name_in_package(path: &Path) -> Option<ArchivePath> {
    let relative = path
        .components()
        .all(|c| matches!(c, Component::Normal(_) | Component::CurDir));
    let components: Vec<String> = if relative {
        path.iter()
            .map(|c| c.to_string_lossy().into_owned())
            .filter(|c| c != ".")
            .collect()
    } else {
        vec![path.file_name()?.to_string_lossy().into_owned()]
    };
    (!components.is_empty()).then(|| ArchivePath::from_components(components))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_inputs_like_build_lambda_zip() {
        let name = |p: &str| name_in_package(Path::new(p)).map(|n| n.to_string());
        assert_eq!(name("config.json").as_deref(), Some("config.json"));
        assert_eq!(name("./static/a.txt").as_deref(), Some("static/a.txt"));
        assert_eq!(name("../shared/a.txt").as_deref(), Some("a.txt"));
        assert_eq!(name("/etc/ssl/cert.pem").as_deref(), Some("cert.pem"));
    }

    #[test]
    fn refuses_the_same_name_twice() {
        let mut b = PackageBuilder::new();
        b.add_bytes("a/x", vec![], 0o644).expect("first");
        let err = b.add_bytes("a/x", vec![], 0o644).expect_err("second");
        assert!(
            matches!(err, WriteError::Duplicate { ref name, .. } if name == "a/x"),
            "{err}"
        );
        assert!(matches!(
            b.add_bytes("../x", vec![], 0o644),
            Err(WriteError::BadName { .. })
        ));
    }
}
