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
}

/// The longest file or directory name Linux file systems store, in bytes (`NAME_MAX`).
const NAME_MAX: usize = 255;

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
    fn lists_ancestors_root_first() {
        let (path, _) = ArchivePath::parse_str("a/b/c").expect("valid");
        let ancestors: Vec<String> = path.ancestors().map(|p| p.to_string()).collect();
        assert_eq!(ancestors, ["a", "a/b"]);
        assert_eq!(path.file_name(), "c");
        assert!(!path.is_at_root());
    }
}
