//! Content-addressed deployment packages: the [`CodeStore`] contract and its local file-system
//! backend, [`FsCodeStore`].
//!
//! Every backend stages an upload in a local temporary file ([`StagedBlob`]), because the engine
//! inspects the package before committing it, and hands out a local path to read a committed blob from
//! (a remote backend would keep a local cache). Layout of [`FsCodeStore`] under its root directory:
//!
//! ```text
//! blobs/<hex sha256>    committed packages, never modified after the rename that created them
//! tmp/                  staging files; anything here at start belongs to an upload that never finished
//! ```

use std::collections::BTreeSet;
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use lamina_model::CodeSha256;
use sha2::{Digest, Sha256};

/// What can go wrong in the code store.
#[derive(Debug, thiserror::Error)]
pub enum CodeStoreError {
    /// A file-system operation failed.
    #[error("code store: cannot {action} {path}: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// On which path.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
}

fn io_err<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> CodeStoreError + 'a {
    move |source| CodeStoreError::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}

/// A committed (or staged) package's identity and size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BlobDigest {
    code_sha256: CodeSha256,
    size: u64,
}

impl BlobDigest {
    /// Lambda's `CodeSha256` of the package.
    pub fn code_sha256(&self) -> CodeSha256 {
        self.code_sha256
    }

    /// The digest in lowercase hex: the blob's file name.
    pub fn hex(&self) -> String {
        self.code_sha256.hex()
    }

    /// The package's size in bytes (Lambda's `CodeSize`).
    pub fn size(&self) -> u64 {
        self.size
    }
}

/// A committed package opened for reading (to stream it to a download).
pub struct StoredBlob {
    /// The package's size in bytes.
    pub size: u64,
    /// Its bytes, from the first.
    pub reader: Box<dyn Read + Send>,
}

impl std::fmt::Debug for StoredBlob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredBlob")
            .field("size", &self.size)
            .finish_non_exhaustive()
    }
}

/// A package being written: bytes go to a temporary file and through SHA-256 at once. Dropping it
/// without [`CodeStore::commit`] deletes the file.
pub struct StagedBlob {
    file: tempfile::NamedTempFile,
    hasher: Sha256,
    size: u64,
}

impl std::fmt::Debug for StagedBlob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StagedBlob")
            .field("path", &self.file.path())
            .field("size", &self.size)
            .finish()
    }
}

impl StagedBlob {
    /// Where the staged bytes are (to inspect the package before committing it).
    pub fn path(&self) -> &Path {
        self.file.path()
    }

    /// Bytes written so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The digest of the bytes written so far.
    pub fn digest(&self) -> BlobDigest {
        BlobDigest {
            code_sha256: CodeSha256::from_bytes(self.hasher.clone().finalize().into()),
            size: self.size,
        }
    }
}

impl Write for StagedBlob {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.file.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.size += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

/// Durable deployment packages addressed by their `CodeSha256`. Every backend must pass
/// [`crate::conformance::run_code`].
pub trait CodeStore: Send + Sync + std::fmt::Debug {
    /// Starts writing a package into a local staging file.
    fn stage(&self) -> Result<StagedBlob, CodeStoreError>;

    /// Makes a staged package durable under its digest; once this returns, the blob survives a crash.
    /// Committing a digest that exists already keeps the existing blob.
    fn commit(&self, staged: StagedBlob) -> Result<BlobDigest, CodeStoreError>;

    /// A local path to read a committed blob from, if it exists: what unpacking and inspecting a
    /// package read (a remote backend keeps a local cache).
    fn path(&self, code_sha256: &CodeSha256) -> Result<Option<PathBuf>, CodeStoreError>;

    /// Opens a committed blob for reading from its first byte, if it exists: what a download streams.
    fn open(&self, code_sha256: &CodeSha256) -> Result<Option<StoredBlob>, CodeStoreError>;

    /// Deletes one blob (no error if absent).
    fn remove(&self, code_sha256: &CodeSha256) -> Result<(), CodeStoreError>;

    /// Every committed blob.
    fn list(&self) -> Result<BTreeSet<CodeSha256>, CodeStoreError>;

    /// Deletes every blob not in `referenced`; returns the deleted ones.
    fn remove_unreferenced(
        &self,
        referenced: &BTreeSet<CodeSha256>,
    ) -> Result<Vec<CodeSha256>, CodeStoreError> {
        let mut removed = Vec::new();
        for sha in self.list()? {
            if !referenced.contains(&sha) {
                self.remove(&sha)?;
                removed.push(sha);
            }
        }
        Ok(removed)
    }
}

/// Packages stored by digest under one local directory.
#[derive(Debug, Clone)]
pub struct FsCodeStore {
    root: PathBuf,
}

impl FsCodeStore {
    /// Opens the store at `root`, creating its directories, and deletes staging files left by a crash.
    pub fn open(root: impl Into<PathBuf>) -> Result<Self, CodeStoreError> {
        let store = Self { root: root.into() };
        for dir in [store.blobs_dir(), store.tmp_dir()] {
            fs::create_dir_all(&dir).map_err(io_err("create", &dir))?;
        }
        let tmp = store.tmp_dir();
        for entry in fs::read_dir(&tmp).map_err(io_err("list", &tmp))? {
            let path = entry.map_err(io_err("list", &tmp))?.path();
            let _ = if path.is_dir() {
                fs::remove_dir_all(&path)
            } else {
                fs::remove_file(&path)
            };
        }
        Ok(store)
    }

    fn blobs_dir(&self) -> PathBuf {
        self.root.join("blobs")
    }

    fn blob_path(&self, code_sha256: &CodeSha256) -> PathBuf {
        self.blobs_dir().join(code_sha256.hex())
    }

    /// A directory for temporary files on the same file system as the blobs (renames stay atomic).
    pub fn tmp_dir(&self) -> PathBuf {
        self.root.join("tmp")
    }
}

impl CodeStore for FsCodeStore {
    fn stage(&self) -> Result<StagedBlob, CodeStoreError> {
        let tmp = self.tmp_dir();
        let file = tempfile::Builder::new()
            .prefix("upload-")
            .tempfile_in(&tmp)
            .map_err(io_err("create a staging file in", &tmp))?;
        Ok(StagedBlob {
            file,
            hasher: Sha256::new(),
            size: 0,
        })
    }

    fn commit(&self, staged: StagedBlob) -> Result<BlobDigest, CodeStoreError> {
        let digest = staged.digest();
        let target = self.blobs_dir().join(digest.hex());
        if target.exists() {
            return Ok(digest);
        }
        let StagedBlob { file, .. } = staged;
        file.as_file().sync_all().map_err(io_err("fsync", file.path()))?;
        file.persist(&target).map_err(|e| CodeStoreError::Io {
            action: "rename into",
            path: target.clone(),
            source: e.error,
        })?;
        let dir = self.blobs_dir();
        File::open(&dir)
            .and_then(|d| d.sync_all())
            .map_err(io_err("fsync", &dir))?;
        Ok(digest)
    }

    fn path(&self, code_sha256: &CodeSha256) -> Result<Option<PathBuf>, CodeStoreError> {
        let path = self.blob_path(code_sha256);
        Ok(path.exists().then_some(path))
    }

    fn open(&self, code_sha256: &CodeSha256) -> Result<Option<StoredBlob>, CodeStoreError> {
        let path = self.blob_path(code_sha256);
        let file = match File::open(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_err("open", &path)(e)),
        };
        let size = file.metadata().map_err(io_err("stat", &path))?.len();
        Ok(Some(StoredBlob {
            size,
            reader: Box::new(file),
        }))
    }

    fn remove(&self, code_sha256: &CodeSha256) -> Result<(), CodeStoreError> {
        let path = self.blob_path(code_sha256);
        match fs::remove_file(&path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(io_err("remove", &path)(e)),
            _ => Ok(()),
        }
    }

    fn list(&self) -> Result<BTreeSet<CodeSha256>, CodeStoreError> {
        let dir = self.blobs_dir();
        let mut out = BTreeSet::new();
        for entry in fs::read_dir(&dir).map_err(io_err("list", &dir))? {
            let name = entry.map_err(io_err("list", &dir))?.file_name();
            let Some(name) = name.to_str() else { continue };
            if let Ok(code_sha256) = CodeSha256::from_hex(name) {
                out.insert(code_sha256);
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commit_names_the_blob_by_its_digest() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = FsCodeStore::open(dir.path()).expect("open");
        let mut staged = store.stage().expect("stage");
        staged.write_all(b"").expect("write");
        let digest = store.commit(staged).expect("commit");
        assert_eq!(
            digest.code_sha256().to_string(),
            "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
        );
        assert_eq!(
            digest.hex(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert!(store.path(&digest.code_sha256()).expect("path").is_some());
        assert_eq!(
            store.list().expect("list").into_iter().collect::<Vec<_>>(),
            vec![digest.code_sha256()]
        );
    }

    #[test]
    fn dropped_staging_leaves_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = FsCodeStore::open(dir.path()).expect("open");
        let mut staged = store.stage().expect("stage");
        staged.write_all(b"partial").expect("write");
        drop(staged);
        assert_eq!(fs::read_dir(store.tmp_dir()).expect("tmp").count(), 0);
        assert!(store.list().expect("list").is_empty());
    }

    #[test]
    fn open_sweeps_leftover_staging_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = FsCodeStore::open(dir.path()).expect("open");
        fs::write(store.tmp_dir().join("upload-crashed"), b"half").expect("write");
        let store = FsCodeStore::open(dir.path()).expect("reopen");
        assert_eq!(fs::read_dir(store.tmp_dir()).expect("tmp").count(), 0);
    }

    #[test]
    fn unreferenced_blobs_are_swept() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = FsCodeStore::open(dir.path()).expect("open");
        let mut keep = BTreeSet::new();
        for content in [&b"a"[..], b"b"] {
            let mut staged = store.stage().expect("stage");
            staged.write_all(content).expect("write");
            let d = store.commit(staged).expect("commit");
            if content == b"a" {
                keep.insert(d.code_sha256());
            }
        }
        let removed = store.remove_unreferenced(&keep).expect("sweep");
        assert_eq!(removed.len(), 1);
        assert_eq!(store.list().expect("list"), keep);
    }
}
