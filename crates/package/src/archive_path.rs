use std::fmt;
use std::path::{Path, PathBuf};

/// A zip entry name that stays inside the package root, held as its components (`lib/libfoo.so` is
/// `["lib", "libfoo.so"]`). `.` and empty components are dropped; `..` and absolute names are refused.
///
/// This is the one place that decides whether a name is safe: [`crate::inspect()`] reports the
/// [`PathProblem`] as a finding and [`crate::extract()`] refuses the whole package.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ArchivePath {
    components: Vec<String>,
}

/// Why a zip entry name cannot be placed inside the package root.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PathProblem {
    /// The name is not UTF-8 (Lambda's unzip would mangle it).
    #[error("its name is not valid UTF-8")]
    NotUtf8,
    /// The name is empty, or only `.` and `/`.
    #[error("its name is empty")]
    Empty,
    /// The name contains a NUL byte.
    #[error("its name contains a NUL byte")]
    Nul,
    /// The name starts with `/`.
    #[error("it has an absolute path")]
    Absolute,
    /// A component is `..`, which would climb out of the root ("zip slip").
    #[error("its path climbs out of the package with '..'")]
    Traversal,
    /// A component is longer than 255 bytes (`NAME_MAX`): no Linux file system can hold it, so the
    /// package could never be unpacked.
    #[error("a file or directory name in its path is longer than 255 bytes")]
    ComponentTooLong,
    /// The whole path is longer than [`MAX_PATH_BYTES`]: unpacked under a directory, it would pass
    /// Linux's `PATH_MAX` (4,096 bytes), so no process could open it by name.
    #[error("its path is longer than 3,584 bytes")]
    TooLong,
}

/// The longest file or directory name Linux file systems store, in bytes (`NAME_MAX`).
const NAME_MAX: usize = 255;

/// The longest entry name unpacked, in bytes. A path under `/var/task/` or `/opt/` must stay within
/// `PATH_MAX` (4,096 bytes with its NUL) for the function to open it; this bound leaves 511 bytes for
/// the directory a package is unpacked in on the host, which `lamina serve` checks its data directory
/// against ([`MAX_UNPACK_DIR_BYTES`]).
pub const MAX_PATH_BYTES: usize = 3584;

/// The longest directory path a package may be unpacked under so that every name up to
/// [`MAX_PATH_BYTES`] fits in `PATH_MAX`, with its separator and NUL.
pub const MAX_UNPACK_DIR_BYTES: usize = 4096 - 1 - 1 - MAX_PATH_BYTES;

impl ArchivePath {
    /// Parses a raw entry name. Returns the path and whether the name denotes a directory (ends with `/`).
    pub fn parse(raw: &[u8]) -> Result<(ArchivePath, bool), PathProblem> {
        let name = std::str::from_utf8(raw).map_err(|_| PathProblem::NotUtf8)?;
        Self::parse_str(name)
    }

    /// [`ArchivePath::parse`] for a name already known to be UTF-8.
    pub fn parse_str(name: &str) -> Result<(ArchivePath, bool), PathProblem> {
        if name.contains('\0') {
            return Err(PathProblem::Nul);
        }
        if name.starts_with('/') {
            return Err(PathProblem::Absolute);
        }
        if name.len() > MAX_PATH_BYTES {
            return Err(PathProblem::TooLong);
        }
        let mut components = Vec::new();
        for part in name.split('/') {
            match part {
                "" | "." => {}
                ".." => return Err(PathProblem::Traversal),
                other if other.len() > NAME_MAX => return Err(PathProblem::ComponentTooLong),
                other => components.push(other.to_owned()),
            }
        }
        if components.is_empty() {
            return Err(PathProblem::Empty);
        }
        Ok((ArchivePath { components }, name.ends_with('/')))
    }

    /// The components, root first.
    pub fn components(&self) -> &[String] {
        &self.components
    }

    /// The last component.
    pub fn file_name(&self) -> &str {
        self.components.last().map(String::as_str).unwrap_or_default()
    }

    /// Whether the path is a single component (the entry sits at the root of the package).
    pub fn is_at_root(&self) -> bool {
        self.components.len() == 1
    }

    /// The directories above this path, nearest the root first (`a/b/c` gives `a`, `a/b`).
    pub fn ancestors(&self) -> impl Iterator<Item = ArchivePath> + '_ {
        (1..self.components.len()).map(|n| ArchivePath {
            components: self.components[..n].to_vec(),
        })
    }

    /// The path below `root` on the local file system.
    pub fn under(&self, root: &Path) -> PathBuf {
        let mut path = root.to_path_buf();
        path.extend(&self.components);
        path
    }

    pub(crate) fn from_components(components: Vec<String>) -> ArchivePath {
        ArchivePath { components }
    }
}

impl fmt::Display for ArchivePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.components.join("/"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(name: &str) -> (String, bool) {
        let (path, dir) = ArchivePath::parse_str(name).expect(name);
        (path.to_string(), dir)
    }

    #[test]
    fn normalises_dots_and_slashes() {
        assert_eq!(ok("bootstrap"), ("bootstrap".into(), false));
        assert_eq!(ok("./lib//x.so"), ("lib/x.so".into(), false));
        assert_eq!(ok("lib/"), ("lib".into(), true));
        assert_eq!(
            ok("a\\b"),
            ("a\\b".into(), false),
            "a backslash is an ordinary character on Linux"
        );
    }

    #[test]
    fn refuses_names_that_leave_the_root() {
        assert_eq!(ArchivePath::parse_str("../evil"), Err(PathProblem::Traversal));
        assert_eq!(
            ArchivePath::parse_str("a/../../evil"),
            Err(PathProblem::Traversal)
        );
        assert_eq!(ArchivePath::parse_str("/etc/passwd"), Err(PathProblem::Absolute));
        assert_eq!(ArchivePath::parse_str("./"), Err(PathProblem::Empty));
        assert_eq!(ArchivePath::parse_str("a\0b"), Err(PathProblem::Nul));
        assert_eq!(ArchivePath::parse(b"\xff"), Err(PathProblem::NotUtf8));
    }

    #[test]
    fn refuses_names_no_file_system_holds() {
        let longest = "n".repeat(NAME_MAX);
        assert_eq!(ok(&format!("lib/{longest}")), (format!("lib/{longest}"), false));
        assert_eq!(
            ArchivePath::parse_str(&format!("lib/{longest}n/x")),
            Err(PathProblem::ComponentTooLong)
        );
    }

    #[test]
    fn refuses_paths_no_process_could_open() {
        let deep = "d/".repeat(MAX_PATH_BYTES / 2);
        assert_eq!(deep.len(), MAX_PATH_BYTES);
        assert!(ArchivePath::parse_str(&deep).is_ok(), "the longest path unpacks");
        assert_eq!(
            ArchivePath::parse_str(&format!("{deep}x")),
            Err(PathProblem::TooLong)
        );
        assert_eq!(
            PathProblem::TooLong.to_string(),
            format!(
                "its path is longer than {},{:03} bytes",
                MAX_PATH_BYTES / 1000,
                MAX_PATH_BYTES % 1000
            )
        );
    }

    #[test]
    fn lists_ancestors_root_first() {
        let (path, _) = ArchivePath::parse_str("a/b/c").expect("valid");
        let ancestors: Vec<String> = path.ancestors().map(|p| p.to_string()).collect();
        assert_eq!(ancestors, ["a", "a/b"]);
        assert_eq!(path.file_name(), "c");
        assert!(!path.is_at_root());
    }
}
