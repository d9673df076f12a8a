//! Packages built by `PackageBuilder`: names, modes, determinism.

use std::fs;
use std::io::Cursor;
use std::path::Path;

use lamina_package::{PackageBuilder, WriteError, code_sha256};
use zip::ZipArchive;

/// (name, unix mode) of every entry, in the zip's order.
pub(crate) fn entries(zip: &[u8]) -> Vec<(String, u32)> {
    let mut archive = ZipArchive::new(Cursor::new(zip)).expect("zip");
    (0..archive.len())
        .map(|i| {
            let f = archive.by_index(i).expect("entry");
            (
                f.name().expect("utf-8 name").to_string(),
                f.unix_mode().expect("unix mode") & 0o777,
            )
        })
        .collect()
}

#[cfg(unix)]
fn chmod(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).expect("chmod");
}

/// A function folder: an executable under another name, a config file, and a folder of assets with an
/// executable helper.
fn function_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    fs::write(root.join("handler"), b"\x7fELF fake").expect("write");
    fs::write(root.join("config.json"), b"{}").expect("write");
    fs::create_dir_all(root.join("assets/bin")).expect("mkdir");
    fs::write(root.join("assets/a.txt"), b"a").expect("write");
    fs::write(root.join("assets/bin/helper"), b"#!/bin/sh\n").expect("write");
    #[cfg(unix)]
    {
        chmod(&root.join("handler"), 0o700);
        chmod(&root.join("config.json"), 0o600);
        chmod(&root.join("assets/bin/helper"), 0o744);
    }
    dir
}

/// Serialises the tests that change the process's working directory.
static CWD: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn build(dir: &Path) -> Vec<u8> {
    let _cwd = CWD.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let mut package = PackageBuilder::with_bootstrap(&dir.join("handler")).expect("bootstrap");
    // Relative paths keep their place, as build-lambda-zip does; run from inside the folder.
    let cwd = std::env::current_dir().expect("cwd");
    std::env::set_current_dir(dir).expect("cd");
    let added = package
        .add_path(Path::new("config.json"))
        .and_then(|_| package.add_path(Path::new("assets")));
    std::env::set_current_dir(cwd).expect("cd back");
    added.expect("add");
    package
        .write(Cursor::new(Vec::new()))
        .expect("write")
        .into_inner()
}

#[test]
fn stores_bootstrap_at_the_root_and_normalises_modes() {
    let dir = function_dir();
    let zip = build(dir.path());
    assert_eq!(
        entries(&zip),
        [
            ("assets/".to_owned(), 0o755),
            ("assets/a.txt".to_owned(), 0o644),
            ("assets/bin/".to_owned(), 0o755),
            ("assets/bin/helper".to_owned(), 0o755),
            ("bootstrap".to_owned(), 0o755),
            ("config.json".to_owned(), 0o644),
        ]
    );
    let mut archive = ZipArchive::new(Cursor::new(&zip)).expect("zip");
    for i in 0..archive.len() {
        let entry = archive.by_index(i).expect("entry");
        assert_eq!(
            entry.last_modified().map(|t| (t.year(), t.month(), t.day())),
            Some((1980, 1, 1))
        );
    }
}

#[test]
fn same_inputs_give_identical_bytes() {
    let dir = function_dir();
    let first = build(dir.path());
    // Move every file's modification time a day on: new timestamps must not change a byte.
    for name in ["handler", "config.json", "assets/a.txt"] {
        let file = fs::File::options()
            .write(true)
            .open(dir.path().join(name))
            .expect("open");
        let modified = file.metadata().and_then(|m| m.modified()).expect("mtime");
        file.set_modified(modified + std::time::Duration::from_secs(86_400))
            .expect("set mtime");
    }
    let second = build(dir.path());
    assert_eq!(code_sha256(&first), code_sha256(&second));
    assert_eq!(first, second);
}

#[test]
fn write_file_reports_size_and_code_sha256() {
    let dir = function_dir();
    let out = dir.path().join("function.zip");
    let package = PackageBuilder::with_bootstrap(&dir.path().join("handler")).expect("bootstrap");
    let written = package.write_file(&out).expect("written");
    let bytes = fs::read(&out).expect("read");
    assert_eq!(written.size, bytes.len() as u64);
    assert_eq!(written.code_sha256, code_sha256(&bytes));
    assert_eq!(written.code_sha256.len(), 44);
    // No temporary file is left beside it.
    let leftovers: Vec<_> = fs::read_dir(dir.path())
        .expect("ls")
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with(".lamina-zip"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn a_missing_bootstrap_is_a_clear_error() {
    let err = PackageBuilder::with_bootstrap(Path::new("/nonexistent/bootstrap")).expect_err("missing");
    assert!(matches!(err, WriteError::MissingBootstrap { .. }));
    assert!(err.to_string().contains("not found"), "{err}");
}
