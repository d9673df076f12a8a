//! The table of contents of a package, read once and checked for everything that could let an entry land
//! outside the package root. [`crate::inspect()`] turns its problems into findings; [`crate::extract()`]
//! refuses a package that has any.

use std::collections::BTreeMap;
use std::io::{Read, Seek};

use zip::System;
use zip::ZipArchive;
use zip::result::ZipError;

use crate::archive_path::{ArchivePath, PathProblem};

/// Longest symlink target read from a package (Linux's `PATH_MAX`).
const MAX_SYMLINK_TARGET: u64 = 4096;
/// How many symlinks one resolution may pass through before it counts as a loop (Linux's `MAXSYMLINKS`).
const MAX_SYMLINK_HOPS: usize = 40;

/// One entry of the package, under its normalised path.
#[derive(Debug, Clone)]
pub(crate) struct IndexedEntry {
    /// Position in the zip's central directory.
    pub(crate) index: usize,
    /// The name exactly as the zip holds it.
    pub(crate) raw_name: String,
    pub(crate) kind: EntryKind,
    /// Unix permission bits (`0o777` mask), when the zip was made by a tool that stores Unix modes.
    pub(crate) mode: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum EntryKind {
    File,
    Directory,
    Symlink { target: String },
}

/// Something in a package's table of contents that makes it unsafe to extract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum IndexProblem {
    UnsafeName { name: String, problem: PathProblem },
    Duplicate { name: Option<String> },
    UnderSymlink { name: String, link: String },
    EscapingSymlink { name: String, target: String },
    SymlinkLoop { name: String },
    TooManyEntries { count: usize, limit: usize },
}

impl std::fmt::Display for IndexProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            IndexProblem::UnsafeName { name, problem } => write!(f, "entry '{name}' is refused: {problem}"),
            IndexProblem::Duplicate { name: Some(name) } => {
                write!(f, "the zip holds more than one entry named '{name}'")
            }
            IndexProblem::Duplicate { name: None } => {
                write!(f, "the zip holds more than one entry with the same name")
            }
            IndexProblem::UnderSymlink { name, link } => {
                write!(f, "entry '{name}' lies below the symlink '{link}'")
            }
            IndexProblem::EscapingSymlink { name, target } => {
                write!(f, "symlink '{name}' points to '{target}', outside the package")
            }
            IndexProblem::SymlinkLoop { name } => write!(f, "symlink '{name}' is part of a loop"),
            IndexProblem::TooManyEntries { count, limit } => {
                write!(f, "the zip has {count} entries; at most {limit} are accepted")
            }
        }
    }
}

/// Where a symlink leads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Resolved {
    /// To this path inside the package (which may or may not be an entry).
    Inside(ArchivePath),
    /// To the package root itself.
    Root,
    /// Into `/opt`, where Lambda mounts layers: outside the package, but inside the execution environment.
    Layers(String),
}

/// The package's entries by normalised path, and the problems found while reading them.
#[derive(Debug, Default)]
pub(crate) struct PackageIndex {
    pub(crate) entries: BTreeMap<ArchivePath, IndexedEntry>,
    pub(crate) problems: Vec<IndexProblem>,
}

impl PackageIndex {
    /// Reads the central directory (and the targets of symlinks) of `archive`.
    pub(crate) fn read<R: Read + Seek>(
        archive: &mut ZipArchive<R>,
        max_entries: usize,
    ) -> Result<Self, ZipError> {
        let mut index = PackageIndex::default();
        if archive.len() > max_entries {
            index.problems.push(IndexProblem::TooManyEntries {
                count: archive.len(),
                limit: max_entries,
            });
            return Ok(index);
        }
        if archive.has_duplicate_names() {
            index.problems.push(IndexProblem::Duplicate { name: None });
        }
        for i in 0..archive.len() {
            let entry = archive.by_index_raw(i)?;
            let raw_name = String::from_utf8_lossy(entry.name_raw()).into_owned();
            let (path, named_as_dir) = match ArchivePath::parse(entry.name_raw()) {
                Ok(parsed) => parsed,
                Err(problem) => {
                    index.problems.push(IndexProblem::UnsafeName {
                        name: raw_name,
                        problem,
                    });
                    continue;
                }
            };
            let mode = (entry.system() == System::Unix && entry.external_attributes() >> 16 != 0)
                .then(|| (entry.external_attributes() >> 16) & 0o777);
            let kind = if entry.is_symlink() {
                drop(entry);
                // A symlink's target is its content; `by_index` decompresses it if a tool deflated it.
                let mut target = String::new();
                archive
                    .by_index(i)?
                    .take(MAX_SYMLINK_TARGET)
                    .read_to_string(&mut target)
                    .map_err(ZipError::Io)?;
                EntryKind::Symlink { target }
            } else if named_as_dir || entry.is_dir() {
                EntryKind::Directory
            } else {
                EntryKind::File
            };
            let duplicate = index.entries.insert(
                path.clone(),
                IndexedEntry {
                    index: i,
                    raw_name,
                    kind,
                    mode,
                },
            );
            if let Some(previous) = duplicate {
                let both_dirs = previous.kind == EntryKind::Directory
                    && index
                        .entries
                        .get(&path)
                        .is_some_and(|e| e.kind == EntryKind::Directory);
                if !both_dirs {
                    index.problems.push(IndexProblem::Duplicate {
                        name: Some(path.to_string()),
                    });
                }
            }
        }
        index.check_symlinks();
        Ok(index)
    }

    fn check_symlinks(&mut self) {
        let mut problems = Vec::new();
        for (path, entry) in &self.entries {
            if let Some(link) = path.ancestors().find(|a| self.is_symlink(a)) {
                problems.push(IndexProblem::UnderSymlink {
                    name: path.to_string(),
                    link: link.to_string(),
                });
            }
            if let EntryKind::Symlink { target } = &entry.kind {
                match self.resolve_link(path) {
                    Ok(_) => {}
                    Err(LinkError::Escapes) => problems.push(IndexProblem::EscapingSymlink {
                        name: path.to_string(),
                        target: target.clone(),
                    }),
                    Err(LinkError::Loop) => problems.push(IndexProblem::SymlinkLoop {
                        name: path.to_string(),
                    }),
                }
            }
        }
        self.problems.extend(problems);
    }

    fn is_symlink(&self, path: &ArchivePath) -> bool {
        self.entries
            .get(path)
            .is_some_and(|e| matches!(e.kind, EntryKind::Symlink { .. }))
    }

    /// Where the symlink at `path` leads, following further symlinks of the package on the way, as the
    /// kernel would inside the execution environment (package at `/var/task`, layers at `/opt`).
    pub(crate) fn resolve_link(&self, path: &ArchivePath) -> Result<Resolved, LinkError> {
        let mut hops = 0;
        self.resolve_link_counted(path, &mut hops)
    }

    fn resolve_link_counted(&self, path: &ArchivePath, hops: &mut usize) -> Result<Resolved, LinkError> {
        let Some(IndexedEntry {
            kind: EntryKind::Symlink { target },
            ..
        }) = self.entries.get(path)
        else {
            return Ok(Resolved::Inside(path.clone()));
        };
        *hops += 1;
        if *hops > MAX_SYMLINK_HOPS {
            return Err(LinkError::Loop);
        }
        let mut stack: Vec<String> = path.components()[..path.components().len() - 1].to_vec();
        let relative = if let Some(absolute) = target.strip_prefix('/') {
            if absolute == "opt" || absolute.starts_with("opt/") {
                return Ok(Resolved::Layers(target.clone()));
            }
            let Some(in_task) = absolute
                .strip_prefix("var/task")
                .filter(|r| r.is_empty() || r.starts_with('/'))
            else {
                return Err(LinkError::Escapes);
            };
            stack.clear();
            in_task
        } else {
            target.as_str()
        };
        for part in relative.split('/') {
            match part {
                "" | "." => {}
                ".." => {
                    stack.pop().ok_or(LinkError::Escapes)?;
                }
                name => {
                    stack.push(name.to_owned());
                    let here = ArchivePath::from_components(stack.clone());
                    match self.resolve_link_counted(&here, hops)? {
                        Resolved::Inside(p) => stack = p.components().to_vec(),
                        Resolved::Root => stack.clear(),
                        layers @ Resolved::Layers(_) => return Ok(layers),
                    }
                }
            }
        }
        Ok(if stack.is_empty() {
            Resolved::Root
        } else {
            Resolved::Inside(ArchivePath::from_components(stack))
        })
    }
}

/// Why a symlink cannot be followed inside the package.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LinkError {
    Escapes,
    Loop,
}
