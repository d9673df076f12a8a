//! The safe extractor: what it writes, what it refuses, and that nothing lands outside its target.

use std::fs;
use std::io::Cursor;
use std::path::Path;

use lamina_package::{ExtractError, ExtractLimits, PackageBuilder, extract};

use crate::util::RawZip;

const SCRIPT: &[u8] = b"#!/bin/sh\necho hello\n";

/// Every path below `dir`, relative, sorted.
fn tree(dir: &Path) -> Vec<String> {
    let mut paths: Vec<String> = walk(dir)
        .iter()
        .map(|p| p.strip_prefix(dir).expect("below").display().to_string())
        .collect();
    paths.sort();
    paths
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).expect("ls").filter_map(Result::ok) {
        let path = entry.path();
        out.push(path.clone());
        if entry.file_type().expect("type").is_dir() {
            out.extend(walk(&path));
        }
    }
    out
}

/// Extracts `zip` into `sandbox/target` and checks that nothing appeared in `sandbox` beside it.
fn extract_in_sandbox(
    zip: Vec<u8>,
    limits: &ExtractLimits,
) -> (tempfile::TempDir, Result<lamina_package::Extracted, ExtractError>) {
    let sandbox = tempfile::tempdir().expect("tempdir");
    let target = sandbox.path().join("a/b/target");
    fs::create_dir_all(&target).expect("mkdir");
    let result = extract(Cursor::new(zip), &target, limits);
    let outside: Vec<String> = tree(sandbox.path())
        .into_iter()
        .filter(|p| !p.starts_with("a/b/target"))
        .collect();
    assert_eq!(outside, ["a", "a/b"], "the extractor wrote outside its target");
    (sandbox, result)
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    fs::symlink_metadata(path).expect("stat").permissions().mode() & 0o777
}

#[test]
#[cfg(unix)]
fn extracts_files_directories_symlinks_and_modes() {
    let zip = RawZip::new()
        .file("bootstrap", SCRIPT, 0o755)
        .dir("lib/", 0o755)
        .file("lib/libx.so.1", b"lib", 0o644)
        .symlink("lib/libx.so", "libx.so.1")
        .dos_file("readme.txt", b"from windows")
        .dir("ro/", 0o555)
        .file("ro/inside", b"x", 0o444)
        .file("setuid", b"x", 0o4755)
        .finish();
    let (sandbox, result) = extract_in_sandbox(zip, &ExtractLimits::default());
    let done = result.expect("extracted");
    let target = sandbox.path().join("a/b/target");
    assert_eq!(done.files, 5);
    assert_eq!(done.directories, 2);
    assert_eq!(done.symlinks, 1);
    assert_eq!(done.unzipped_bytes, (SCRIPT.len() + 3 + 12 + 1 + 1) as u64);
    assert_eq!(mode(&target.join("bootstrap")), 0o755);
    assert_eq!(mode(&target.join("lib/libx.so.1")), 0o644);
    assert_eq!(
        mode(&target.join("readme.txt")),
        0o644,
        "entries without a Unix mode get 0644"
    );
    assert_eq!(mode(&target.join("ro")), 0o555);
    assert_eq!(mode(&target.join("ro/inside")), 0o444);
    assert_eq!(mode(&target.join("setuid")), 0o755, "set-id bits are dropped");
    assert_eq!(
        fs::read_link(target.join("lib/libx.so")).expect("link").to_str(),
        Some("libx.so.1")
    );
    assert_eq!(
        fs::read(target.join("lib/libx.so")).expect("through link"),
        b"lib"
    );
}

#[test]
fn directories_the_code_could_not_enter_get_755_as_on_lambda() {
    let zip = RawZip::new()
        .file("bootstrap", SCRIPT, 0o755)
        .dir("private/", 0o700)
        .file("private/config.json", b"{}", 0o644)
        .file("implied/deeper/data.txt", b"x", 0o644)
        .finish();
    let (sandbox, result) = extract_in_sandbox(zip, &ExtractLimits::default());
    result.expect("extracted");
    let target = sandbox.path().join("a/b/target");
    assert_eq!(mode(&target.join("private")), 0o755);
    assert_eq!(mode(&target.join("implied")), 0o755);
    assert_eq!(mode(&target.join("implied/deeper")), 0o755);
    assert_eq!(mode(&target.join("private/config.json")), 0o644);
}

#[test]
fn round_trips_what_the_builder_writes() {
    let mut package = PackageBuilder::new();
    package
        .add_bytes("bootstrap", SCRIPT.to_vec(), 0o755)
        .expect("add");
    package
        .add_bytes("a/b/c.txt", b"deep".to_vec(), 0o644)
        .expect("add");
    let zip = package
        .write(Cursor::new(Vec::new()))
        .expect("write")
        .into_inner();
    let (sandbox, result) = extract_in_sandbox(zip, &ExtractLimits::default());
    result.expect("extracted");
    assert_eq!(
        tree(&sandbox.path().join("a/b/target")),
        ["a", "a/b", "a/b/c.txt", "bootstrap"]
    );
}

fn assert_refused(zip: Vec<u8>, limits: &ExtractLimits, hint: &str) {
    let (_sandbox, result) = extract_in_sandbox(zip, limits);
    let err = result.expect_err("refused");
    assert!(err.to_string().contains(hint), "{err} lacks {hint:?}");
}

#[test]
fn refuses_zip_slip() {
    let zip = RawZip::new()
        .file("bootstrap", SCRIPT, 0o755)
        .file("../../../escaped", b"boom", 0o644)
        .finish();
    assert_refused(zip, &ExtractLimits::default(), "'..'");
    let zip = RawZip::new()
        .file("/tmp/lamina-absolute-escape", b"boom", 0o644)
        .finish();
    assert_refused(zip, &ExtractLimits::default(), "absolute");
    assert!(!Path::new("/tmp/lamina-absolute-escape").exists());
}

#[test]
fn refuses_escaping_symlinks_and_writes_through_links() {
    let zip = RawZip::new().symlink("etc", "/etc").finish();
    assert_refused(zip, &ExtractLimits::default(), "outside the package");
    let zip = RawZip::new().symlink("up", "..").finish();
    assert_refused(zip, &ExtractLimits::default(), "outside the package");
    // A link inside the package, then a file "through" it: refused rather than followed.
    let zip = RawZip::new()
        .dir("real/", 0o755)
        .symlink("link", "real")
        .file("link/file", b"x", 0o644)
        .finish();
    assert_refused(zip, &ExtractLimits::default(), "below the symlink 'link'");
    let zip = RawZip::new()
        .symlink("self", ".")
        .symlink("up", "self/self/..")
        .finish();
    assert_refused(zip, &ExtractLimits::default(), "outside the package");
}

#[test]
fn stops_at_the_unzipped_limit_whatever_the_headers_claim() {
    let limits = ExtractLimits {
        max_unzipped_bytes: 10 * 1024 * 1024,
        ..ExtractLimits::default()
    };
    let mut zip = RawZip::new()
        .file("bootstrap", SCRIPT, 0o755)
        .zeros("bomb", 64 * 1024 * 1024)
        .finish();
    // Make the headers lie: claim the bomb unpacks to 1 KiB (central directory and local header).
    let claimed = 1024u32.to_le_bytes();
    let real = (64u32 * 1024 * 1024).to_le_bytes();
    let mut patched = 0;
    for i in 0..zip.len() - 4 {
        if zip[i..i + 4] == real {
            zip[i..i + 4].copy_from_slice(&claimed);
            patched += 1;
        }
    }
    assert_eq!(
        patched, 2,
        "expected the size in the local header and the central directory"
    );
    let (sandbox, result) = extract_in_sandbox(zip, &limits);
    assert!(result.is_err(), "a lying zip bomb was extracted");
    let written = fs::metadata(sandbox.path().join("a/b/target/bomb"))
        .map(|m| m.len())
        .unwrap_or(0);
    assert!(
        written <= 10 * 1024 * 1024,
        "wrote {written} bytes past the limit"
    );
}

#[test]
fn stops_at_the_default_unzipped_limit() {
    let zip = RawZip::new()
        .file("bootstrap", SCRIPT, 0o755)
        .zeros("bomb", 262_144_000)
        .finish();
    let (_sandbox, result) = extract_in_sandbox(zip, &ExtractLimits::default());
    assert!(
        matches!(result, Err(ExtractError::TooLarge { limit: 262_144_000 })),
        "{result:?}"
    );
}

#[test]
fn stops_at_the_entry_cap() {
    let mut zip = RawZip::new();
    for i in 0..11 {
        zip = zip.file(&format!("f{i}"), b"", 0o644);
    }
    let limits = ExtractLimits {
        max_entries: 10,
        ..ExtractLimits::default()
    };
    assert_refused(zip.finish(), &limits, "at most 10");
}

#[test]
fn refuses_a_target_that_is_not_empty() {
    let dir = tempfile::tempdir().expect("tempdir");
    fs::write(dir.path().join("old"), b"x").expect("write");
    let zip = RawZip::new().file("bootstrap", SCRIPT, 0o755).finish();
    let err = extract(Cursor::new(zip), dir.path(), &ExtractLimits::default()).expect_err("refused");
    assert!(matches!(err, ExtractError::TargetNotEmpty(_)), "{err}");
}

#[test]
fn refuses_what_is_not_a_zip() {
    let dir = tempfile::tempdir().expect("tempdir");
    let err = extract(
        Cursor::new(b"nope".to_vec()),
        &dir.path().join("t"),
        &ExtractLimits::default(),
    )
    .expect_err("refused");
    assert!(matches!(err, ExtractError::Unzip(_)), "{err}");
}
