//! The `/opt` of a function with several layers: a directory that stacks the layers' unpacked trees in
//! order (later layers overwrite earlier files, as on Lambda), built once per distinct list of layers
//! under `<data-dir>/opt/<key>`, of hard links to the unpacked files (copies where the filesystem refuses
//! links), via a temporary directory and a rename. Stacks are cheap to rebuild and are cleared when the
//! engine opens. Choosing between one layer's directory and a stack is module `opt`'s.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use lamina_model::CodeSha256;
use sha2::{Digest, Sha256};

use crate::EngineError;

/// The combined `/opt` directories of functions with several layers, one per distinct list of layers.
#[derive(Debug, Clone)]
pub(crate) struct Stacks {
    root: PathBuf,
}

impl Stacks {
    /// Opens the directory of stacks, removing what a previous run left (stacks are rebuilt on demand).
    pub(crate) fn open(root: PathBuf) -> Result<Self, EngineError> {
        if root.exists() {
            fs::remove_dir_all(&root).map_err(EngineError::io("remove", &root))?;
        }
        fs::create_dir_all(&root).map_err(EngineError::io("create", &root))?;
        Ok(Self { root })
    }

    /// Where the stack of the layers with these digests (in order) is, or will be.
    pub(crate) fn path(&self, layers: &[CodeSha256]) -> PathBuf {
        let mut key = Sha256::new();
        for layer in layers {
            key.update(layer.hex().as_bytes());
            key.update(b"\n");
        }
        let key: String = key.finalize().iter().map(|b| format!("{b:02x}")).collect();
        self.root.join(key)
    }

    /// The stack of `layers` (digest, unpacked directory), in order, built unless it exists.
    pub(crate) fn ensure(&self, layers: &[(CodeSha256, PathBuf)]) -> Result<PathBuf, String> {
        let digests: Vec<CodeSha256> = layers.iter().map(|(digest, _)| *digest).collect();
        let target = self.path(&digests);
        if target.is_dir() {
            return Ok(target);
        }
        let tmp = self.root.join(format!(".tmp-{}", uuid::Uuid::new_v4()));
        let built = fs::create_dir(&tmp)
            .and_then(|()| layers.iter().try_for_each(|(_, dir)| overlay(dir, &tmp)))
            .map_err(|e| format!("cannot combine the layers for /opt: {e}"))
            .and_then(|()| match fs::rename(&tmp, &target) {
                Ok(()) => Ok(()),
                // Another environment built the same stack first: theirs is as good.
                Err(_) if target.is_dir() => {
                    let _ = fs::remove_dir_all(&tmp);
                    Ok(())
                }
                Err(e) => Err(format!("cannot move the combined layers: {e}")),
            });
        if built.is_err() {
            let _ = fs::remove_dir_all(&tmp);
        }
        built.map(|()| target)
    }
}

/// Lays `src`'s tree over `dst`: files and symlinks of `src` replace whatever `dst` has at their path
/// (a later layer wins, as on Lambda); directories merge.
fn overlay(src: &Path, dst: &Path) -> io::Result<()> {
    for entry in fs::read_dir(src)? {
        let entry = entry?;
        let (from, to) = (entry.path(), dst.join(entry.file_name()));
        let kind = entry.file_type()?;
        let existing = fs::symlink_metadata(&to).ok();
        if kind.is_dir() {
            match existing {
                Some(m) if m.is_dir() => {}
                Some(_) => {
                    fs::remove_file(&to)?;
                    fs::create_dir(&to)?;
                }
                None => fs::create_dir(&to)?,
            }
            overlay(&from, &to)?;
            continue;
        }
        match existing {
            Some(m) if m.is_dir() => fs::remove_dir_all(&to)?,
            Some(_) => fs::remove_file(&to)?,
            None => {}
        }
        if kind.is_symlink() {
            std::os::unix::fs::symlink(fs::read_link(&from)?, &to)?;
        } else if fs::hard_link(&from, &to).is_err() {
            fs::copy(&from, &to)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(path: &Path, text: &str) {
        fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        fs::write(path, text).expect("write");
    }

    #[test]
    fn later_layers_overwrite_earlier_files_and_stacks_are_reused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        write(&a.join("data.txt"), "from a");
        write(&a.join("lib/only-a.so"), "a");
        write(&a.join("bin"), "a file where b has a directory");
        write(&b.join("data.txt"), "from b");
        write(&b.join("bin/tool"), "b");
        std::os::unix::fs::symlink("data.txt", b.join("link")).expect("symlink");
        let stacks = Stacks::open(dir.path().join("opt")).expect("open");
        let layers = [
            (CodeSha256::from_bytes([0xaa; 32]), a.clone()),
            (CodeSha256::from_bytes([0xbb; 32]), b.clone()),
        ];
        let stack = stacks.ensure(&layers).expect("stack");
        assert_eq!(
            fs::read_to_string(stack.join("data.txt")).expect("read"),
            "from b"
        );
        assert_eq!(
            fs::read_to_string(stack.join("lib/only-a.so")).expect("read"),
            "a"
        );
        assert_eq!(fs::read_to_string(stack.join("bin/tool")).expect("read"), "b");
        assert_eq!(
            fs::read_link(stack.join("link")).expect("link"),
            Path::new("data.txt")
        );
        assert_eq!(
            stacks.ensure(&layers).expect("again"),
            stack,
            "one stack per list"
        );
        let reversed = [layers[1].clone(), layers[0].clone()];
        let other = stacks.ensure(&reversed).expect("reversed");
        assert_ne!(other, stack);
        assert_eq!(
            fs::read_to_string(other.join("data.txt")).expect("read"),
            "from a"
        );
        assert!(other.join("bin").is_file(), "a's file replaced b's directory");
        let left: Vec<_> = fs::read_dir(dir.path().join("opt"))
            .expect("list")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        assert!(left.iter().all(|n| !n.starts_with(".tmp-")), "{left:?}");
        drop(stacks);
        Stacks::open(dir.path().join("opt")).expect("reopen");
        assert!(!stack.exists(), "stacks are cleared at open");
    }
}
