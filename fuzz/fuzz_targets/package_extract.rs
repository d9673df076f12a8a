//! `lamina_package::extract` of arbitrary zips into a fresh directory with small limits. What must hold:
//! no panic; nothing is written outside the target directory (the directory around it holds only the
//! target, and no symlink inside resolves outside it); the byte limit holds; and inspection and
//! extraction agree: a package `inspect()` reports as impossible to unpack safely is refused.
#![no_main]

use std::io::Cursor;
use std::path::Path;

use lamina_package::{ExtractLimits, FindingKind, InspectOptions, extract, inspect};
use libfuzzer_sys::fuzz_target;

const LIMITS: ExtractLimits = ExtractLimits {
    max_unzipped_bytes: 1 << 20,
    max_entries: 256,
};

/// Findings that mean the package cannot be unpacked safely (or at all).
const UNPACKABLE: &[FindingKind] = &[
    FindingKind::NotAZip,
    FindingKind::Corrupt,
    FindingKind::UnsafePath,
    FindingKind::EscapingSymlink,
    FindingKind::DuplicateName,
    FindingKind::TooManyEntries,
];

fuzz_target!(|data: &[u8]| {
    let report = inspect(Cursor::new(data), &InspectOptions::default()).expect("inspect reads memory");
    let dir = tempfile::tempdir().expect("tempdir");
    let target = dir.path().join("target");
    let result = extract(Cursor::new(data), &target, &LIMITS);

    let around: Vec<_> = std::fs::read_dir(dir.path())
        .expect("read the temp dir")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert!(
        around.is_empty() || around == ["target"],
        "extract wrote beside its target: {around:?}"
    );
    if target.exists() {
        let root = target.canonicalize().expect("canonical target");
        stays_inside(&target, &root);
    }

    if let Ok(extracted) = result {
        assert!(extracted.unzipped_bytes < LIMITS.max_unzipped_bytes);
        if let Some(finding) = report.findings.iter().find(|f| UNPACKABLE.contains(&f.kind)) {
            panic!("extract accepted a package inspect calls unpackable: {finding:?}");
        }
    }
    // Extraction may leave read-only directories; make them writable so the temp dir can go.
    make_writable(dir.path());
});

/// Every symlink under `dir` that resolves, resolves inside `root`.
fn stays_inside(dir: &Path, root: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(kind) = entry.file_type() else { continue };
        if kind.is_symlink() {
            if let Ok(resolved) = path.canonicalize() {
                assert!(
                    resolved.starts_with(root),
                    "{} resolves outside the target: {}",
                    path.display(),
                    resolved.display()
                );
            }
        } else if kind.is_dir() {
            stays_inside(&path, root);
        }
    }
}

fn make_writable(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        if entry.file_type().is_ok_and(|k| k.is_dir()) {
            let path = entry.path();
            let _ = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755));
            make_writable(&path);
        }
    }
}
