//! Deployment packages on their way in: decoding the base64 `ZipFile` into a staged blob (the S3 source
//! is in [`crate::s3`]), checking it
//! the way Lambda does (zip validity, unzipped size), linting it with `lamina_package::inspect`, and
//! unpacking committed blobs for the functions and layers that use them.

use std::fs::{self, File};
use std::io::{self, BufReader, Write};
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use lamina_model::limits::{UNZIPPED_CODE_MAX_BYTES, ZIPPED_CODE_MAX_BYTES};
use lamina_model::{Architecture, CodeSha256};
use lamina_package::{ExtractLimits, FindingKind, InspectOptions};
use lamina_store::{CodeStore, StagedBlob};

use crate::{EngineError, Inner};

/// The largest CreateFunction / UpdateFunctionCode request body AWS accepts.
pub const REQUEST_MAX_BYTES: u64 = 70_167_211;

/// AWS's message for a request body over [`REQUEST_MAX_BYTES`].
pub fn request_too_large(operation: &str) -> EngineError {
    EngineError::TooLarge(format!(
        "Request must be smaller than {REQUEST_MAX_BYTES} bytes for the {operation} operation"
    ))
}

/// AWS's message for a package that is not a (readable) zip.
pub(crate) const UNZIP_FAILED: &str =
    "Could not unzip uploaded file. Please check your file, then try to upload again.";

/// Whether an I/O error says the file system is full (ENOSPC) or the quota is spent (EDQUOT).
pub fn is_out_of_space(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded
    )
}

/// The answer when lamina's own disk is full: a ServiceException that says so, never a refusal of the
/// package (the package is fine; the server has no room for it). `dir` is where the space ran out.
pub fn out_of_space(dir: &Path, error: &io::Error) -> EngineError {
    EngineError::Unavailable(format!("{OUT_OF_SPACE} {}: {error}", dir.display()))
}

/// How every out-of-space message begins.
const OUT_OF_SPACE: &str = "lamina is out of disk space in";

/// Why a package could not be unpacked: something about the package (a function using it fails, as on
/// Lambda, with InvalidZipFileException), or no room on lamina's own disk (lamina's failure, not the
/// package's). Displayed as the bare reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum UnpackFailure {
    /// What is wrong with the package, or with lamina's stored copy of it.
    Package(String),
    /// The disk that holds unpacked packages is full; the message names where.
    OutOfSpace(String),
}

impl std::fmt::Display for UnpackFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UnpackFailure::Package(reason) | UnpackFailure::OutOfSpace(reason) => f.write_str(reason),
        }
    }
}

/// An unpack failure answered on the spot (an invocation that unpacks the code itself): a full disk is
/// lamina's [`out_of_space`] ServiceException; a broken stored package is lamina's internal failure.
impl From<UnpackFailure> for EngineError {
    fn from(failure: UnpackFailure) -> Self {
        match failure {
            UnpackFailure::OutOfSpace(message) => EngineError::Unavailable(message),
            UnpackFailure::Package(reason) => EngineError::Internal(reason),
        }
    }
}

/// A code store failure, answered as [`out_of_space`] when that is what it is.
pub(crate) fn code_store_failure(error: lamina_store::CodeStoreError) -> EngineError {
    match &error {
        lamina_store::CodeStoreError::Io { path, source, .. } if is_out_of_space(source) => {
            let dir = path.parent().unwrap_or(path);
            out_of_space(dir, source)
        }
        _ => error.into(),
    }
}

/// A write to a staged blob that failed.
pub(crate) fn staging_failure(blob: &StagedBlob) -> impl FnOnce(io::Error) -> EngineError + use<'_> {
    move |error| {
        if is_out_of_space(&error) {
            out_of_space(blob.path().parent().unwrap_or(blob.path()), &error)
        } else {
            EngineError::io("write", blob.path())(error)
        }
    }
}

/// A package decoded from a request and written to a staging file, not yet part of the store.
#[derive(Debug)]
pub struct StagedCode {
    pub(crate) blob: StagedBlob,
}

impl StagedCode {
    /// The package's `CodeSha256`.
    pub fn code_sha256(&self) -> CodeSha256 {
        self.blob.digest().code_sha256()
    }

    /// The package's size in bytes.
    pub fn size(&self) -> u64 {
        self.blob.size()
    }
}

/// Decodes a base64 `ZipFile` into a staging file, 64 KiB at a time, so that a 50 MB package costs
/// no more memory than the request body that carries it.
pub(crate) fn stage_base64(store: &dyn CodeStore, b64: &str) -> Result<StagedCode, EngineError> {
    let bytes = b64.as_bytes();
    let padding = bytes.iter().rev().take(2).filter(|&&b| b == b'=').count();
    let decoded_len = (bytes.len() / 4 * 3).saturating_sub(padding) as u64;
    if decoded_len > ZIPPED_CODE_MAX_BYTES {
        return Err(EngineError::TooLarge(format!(
            "Zipped size must be smaller than {ZIPPED_CODE_MAX_BYTES} bytes"
        )));
    }
    if !bytes.len().is_multiple_of(4) {
        return Err(EngineError::InvalidParameter(UNZIP_FAILED.into()));
    }
    // A failure drops the blob, which removes its staging file: a full disk leaves nothing behind.
    let mut blob = store.stage().map_err(code_store_failure)?;
    let mut out = vec![0u8; 48 * 1024];
    for chunk in bytes.chunks(64 * 1024) {
        let n = STANDARD
            .decode_slice(chunk, &mut out)
            .map_err(|_| EngineError::InvalidParameter(UNZIP_FAILED.into()))?;
        if let Err(error) = blob.write_all(&out[..n]) {
            return Err(staging_failure(&blob)(error));
        }
    }
    if let Err(error) = blob.flush() {
        return Err(staging_failure(&blob)(error));
    }
    Ok(StagedCode { blob })
}

/// What checking a package found: problems Lambda accepts but that keep the function from running,
/// and the facts the engine keeps.
#[derive(Debug, Default)]
pub(crate) struct Lint {
    pub(crate) warnings: Vec<String>,
    /// The bytes the package unzips to.
    pub(crate) unzipped_size: u64,
    /// Whether the package has a `bootstrap` at its root (what a layer provides as `/opt/bootstrap`).
    pub(crate) has_bootstrap: bool,
}

/// What a package is for, which decides the findings that apply to it.
#[derive(Debug, Clone)]
pub(crate) enum PackageUse {
    /// A function's code. `layer_bootstrap`: one of its layers provides `/opt/bootstrap`, so a missing
    /// `/var/task/bootstrap` is fine.
    Function {
        runtime: Option<String>,
        layer_bootstrap: bool,
    },
    /// A layer's content (`/opt`): a bootstrap is optional, but checked when there is one.
    Layer,
}

/// Findings that concern the `bootstrap` of an OS-only runtime; other runtimes have no bootstrap.
fn is_bootstrap_finding(kind: FindingKind) -> bool {
    matches!(
        kind,
        FindingKind::MissingBootstrap
            | FindingKind::NestedBootstrap
            | FindingKind::BootstrapNotAFile
            | FindingKind::BootstrapNotExecutable
            | FindingKind::BootstrapNotReadable
            | FindingKind::BootstrapNotExecutableFormat
            | FindingKind::BadInterpreter
            | FindingKind::ArchitectureMismatch
            | FindingKind::MissingDynamicLoader
            | FindingKind::GlibcTooNew
    )
}

/// Findings that say there is no `bootstrap` at the root.
fn is_absent_bootstrap(kind: FindingKind) -> bool {
    matches!(kind, FindingKind::MissingBootstrap | FindingKind::NestedBootstrap)
}

/// Checks a staged package as Lambda does (not a zip, empty, unzipped too large: errors), refuses what
/// cannot be unpacked safely (an error naming the entry), and lints it
/// (everything else `inspect` finds that applies to `usage`: warnings). `arch` is the architecture
/// the package must run on, if one is known.
pub(crate) fn check_package(
    path: &Path,
    arch: Option<&str>,
    usage: &PackageUse,
) -> Result<Lint, EngineError> {
    let arch = arch.and_then(|a| a.parse::<Architecture>().ok());
    let report = lamina_package::inspect_file(path, &InspectOptions { arch })?;
    let mut lint = Lint {
        unzipped_size: report.unzipped_size,
        has_bootstrap: !report.findings.iter().any(|f| is_absent_bootstrap(f.kind)),
        ..Lint::default()
    };
    for finding in report.findings {
        let applies = match usage {
            PackageUse::Function {
                runtime,
                layer_bootstrap,
            } => {
                let os_only = runtime.as_deref().is_none_or(|r| r.starts_with("provided"));
                !is_bootstrap_finding(finding.kind)
                    || (os_only && !(*layer_bootstrap && is_absent_bootstrap(finding.kind)))
            }
            PackageUse::Layer => !is_absent_bootstrap(finding.kind),
        };
        match finding.kind {
            FindingKind::NotAZip | FindingKind::Corrupt => {
                return Err(EngineError::InvalidParameter(UNZIP_FAILED.into()));
            }
            // What could not be unpacked safely is refused in every mode, whatever it is for: such a
            // package would leave the function (or every function using the layer) unable to start.
            kind if cannot_be_unpacked(kind) => {
                return Err(EngineError::InvalidParameter(format!(
                    "{UNZIP_FAILED} {}",
                    finding.message
                )));
            }
            FindingKind::UnzippedTooLarge => {
                return Err(unzipped_too_large());
            }
            FindingKind::ZippedTooLarge => {}
            _ if !applies => {}
            _ => lint.warnings.push(finding.message),
        }
    }
    if report.unzipped_size >= UNZIPPED_CODE_MAX_BYTES {
        return Err(unzipped_too_large());
    }
    if report.entries == 0 {
        return Err(EngineError::InvalidParameter(EMPTY_ZIP.into()));
    }
    Ok(lint)
}

/// Lambda's answer to a zip without a single entry.
pub(crate) const EMPTY_ZIP: &str = "Uploaded file must be a non-empty zip";

/// Findings that stop `lamina_package::extract` (entries that would land outside the package, links
/// that escape or loop, duplicates, too many entries): refused at the request, never accepted.
fn cannot_be_unpacked(kind: FindingKind) -> bool {
    matches!(
        kind,
        FindingKind::UnsafePath
            | FindingKind::EscapingSymlink
            | FindingKind::DuplicateName
            | FindingKind::TooManyEntries
    )
}

/// The bytes a stored package unzips to (for functions stored before the engine kept it).
pub(crate) fn unzipped_size(path: &Path) -> Result<u64, EngineError> {
    Ok(lamina_package::inspect_file(path, &InspectOptions { arch: None })?.unzipped_size)
}

/// Lambda's limit on a function's code and its layers together, unzipped.
pub(crate) fn check_unzipped_total(sizes: impl IntoIterator<Item = u64>) -> Result<(), EngineError> {
    let total = sizes.into_iter().fold(0u64, u64::saturating_add);
    if total >= UNZIPPED_CODE_MAX_BYTES {
        return Err(unzipped_too_large());
    }
    Ok(())
}

pub(crate) fn unzipped_too_large() -> EngineError {
    EngineError::InvalidParameter(format!(
        "Unzipped size must be smaller than {UNZIPPED_CODE_MAX_BYTES} bytes"
    ))
}

/// Unpacked packages, one directory per `CodeSha256` (hex), created by extract-to-temp + rename.
#[derive(Debug, Clone)]
pub(crate) struct Unpacked {
    root: PathBuf,
}

impl Unpacked {
    pub(crate) fn open(root: PathBuf) -> Result<Self, EngineError> {
        fs::create_dir_all(&root).map_err(EngineError::io("create", &root))?;
        for entry in fs::read_dir(&root).map_err(EngineError::io("list", &root))? {
            let entry = entry.map_err(EngineError::io("list", &root))?;
            if entry.file_name().to_string_lossy().starts_with(".tmp-") {
                let path = entry.path();
                fs::remove_dir_all(&path).map_err(EngineError::io("remove", &path))?;
            }
        }
        Ok(Self { root })
    }

    /// The directory of a package's files (named by its hex digest).
    pub(crate) fn dir(&self, code_sha256: &CodeSha256) -> PathBuf {
        self.root.join(code_sha256.hex())
    }

    /// Unpacks a committed blob unless it already is; a failure leaves nothing behind.
    pub(crate) fn ensure(&self, blob: &Path, code_sha256: &CodeSha256) -> Result<PathBuf, UnpackFailure> {
        let target = self.dir(code_sha256);
        if target.is_dir() {
            return Ok(target);
        }
        let tmp = self.root.join(format!(".tmp-{}", uuid::Uuid::new_v4()));
        let result = File::open(blob)
            .map_err(|e| UnpackFailure::Package(format!("cannot open the stored package: {e}")))
            .and_then(|f| {
                lamina_package::extract(BufReader::new(f), &tmp, &ExtractLimits::default()).map_err(|e| {
                    match &e {
                        lamina_package::ExtractError::Write { source, .. } if is_out_of_space(source) => {
                            UnpackFailure::OutOfSpace(out_of_space(&self.root, source).to_string())
                        }
                        _ => UnpackFailure::Package(e.to_string()),
                    }
                })
            })
            .and_then(|_| match fs::rename(&tmp, &target) {
                Ok(()) => Ok(()),
                // Another function with the same package unpacked it first: theirs is as good.
                Err(_) if target.is_dir() => {
                    let _ = fs::remove_dir_all(&tmp);
                    Ok(())
                }
                Err(e) => Err(UnpackFailure::Package(format!(
                    "cannot move the unpacked package: {e}"
                ))),
            });
        if result.is_err() {
            let _ = fs::remove_dir_all(&tmp);
        }
        result.map(|()| target)
    }

    /// Every unpacked package.
    pub(crate) fn list(&self) -> Result<Vec<CodeSha256>, EngineError> {
        let mut out = Vec::new();
        let entries = fs::read_dir(&self.root).map_err(EngineError::io("list", &self.root))?;
        for entry in entries {
            let entry = entry.map_err(EngineError::io("list", &self.root))?;
            if let Some(code_sha256) = entry
                .file_name()
                .to_str()
                .and_then(|name| CodeSha256::from_hex(name).ok())
            {
                out.push(code_sha256);
            }
        }
        Ok(out)
    }

    /// Removes a package's directory (no error if absent).
    pub(crate) fn remove(&self, code_sha256: &CodeSha256) {
        let _ = fs::remove_dir_all(self.dir(code_sha256));
    }
}

/// Unpacks a committed package (once; later calls find it unpacked). The error is the reason a
/// function that uses it failed to settle.
pub(crate) fn unpack(inner: &Inner, code_sha256: &CodeSha256) -> Result<PathBuf, UnpackFailure> {
    let blob = inner
        .code
        .path(code_sha256)
        .map_err(|e| UnpackFailure::Package(e.to_string()))?
        .ok_or_else(|| UnpackFailure::Package(format!("the stored package {code_sha256} is missing")))?;
    inner.unpacked.ensure(&blob, code_sha256)
}

#[cfg(test)]
mod tests {
    use lamina_store::FsCodeStore;

    use super::*;

    #[test]
    fn too_large_is_refused_before_decoding() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = FsCodeStore::open(dir.path()).expect("store");
        let b64 = "A".repeat(((ZIPPED_CODE_MAX_BYTES + 3) / 3 * 4) as usize);
        let err = stage_base64(&store, &b64).expect_err("too large");
        assert!(
            matches!(&err, EngineError::TooLarge(m) if m == "Zipped size must be smaller than 52428800 bytes"),
            "{err:?}"
        );
    }

    #[test]
    fn decodes_in_chunks() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = FsCodeStore::open(dir.path()).expect("store");
        let data: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 256) as u8).collect();
        let staged = stage_base64(&store, &STANDARD.encode(&data)).expect("stage");
        assert_eq!(staged.size(), data.len() as u64);
        assert_eq!(
            staged.code_sha256().to_string(),
            lamina_package::code_sha256(&data)
        );
    }

    #[test]
    fn concurrent_unpacking_of_one_package_succeeds_every_time() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = FsCodeStore::open(dir.path().join("code")).expect("store");
        let unpacked = Unpacked::open(dir.path().join("unpacked")).expect("unpacked");
        let mut builder = lamina_package::PackageBuilder::new();
        builder
            .add_bytes("bootstrap", b"#!/bin/sh\n".to_vec(), 0o755)
            .expect("entry");
        let zip = builder
            .write(std::io::Cursor::new(Vec::new()))
            .expect("zip")
            .into_inner();
        let staged = stage_base64(&store, &STANDARD.encode(&zip)).expect("stage");
        let digest = store.commit(staged.blob).expect("commit");
        let blob = store.path(&digest.code_sha256()).expect("path").expect("exists");
        let start = std::sync::Arc::new(std::sync::Barrier::new(8));
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let (unpacked, blob, code_sha256) = (unpacked.clone(), blob.clone(), digest.code_sha256());
                let start = std::sync::Arc::clone(&start);
                std::thread::spawn(move || {
                    start.wait();
                    unpacked.ensure(&blob, &code_sha256)
                })
            })
            .collect();
        for t in threads {
            let dir = t.join().expect("thread").expect("unpacked");
            assert!(dir.join("bootstrap").is_file());
        }
        assert_eq!(
            unpacked.list().expect("list"),
            vec![digest.code_sha256()],
            "no temporary directory left"
        );
    }

    #[test]
    fn a_full_disk_is_a_service_failure_that_says_so() {
        let full = io::Error::from_raw_os_error(28);
        let quota = io::Error::from_raw_os_error(122);
        assert!(is_out_of_space(&full) && is_out_of_space(&quota));
        assert!(!is_out_of_space(&io::Error::from_raw_os_error(13)));
        let err = code_store_failure(lamina_store::CodeStoreError::Io {
            action: "fsync",
            path: PathBuf::from("/data/code/tmp/upload-1"),
            source: full,
        });
        assert!(
            matches!(&err, EngineError::Unavailable(m)
                if m.starts_with("lamina is out of disk space in /data/code/tmp: No space left on device")),
            "{err:?}"
        );
    }

    #[test]
    fn not_base64_is_an_unzip_failure() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = FsCodeStore::open(dir.path()).expect("store");
        let err = stage_base64(&store, "!!!!").expect_err("bad");
        assert!(
            matches!(&err, EngineError::InvalidParameter(m) if m == UNZIP_FAILED),
            "{err:?}"
        );
    }
}
