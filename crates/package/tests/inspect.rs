//! The corpus of bad packages: each yields its finding, and a good one yields none.

use std::io::Cursor;

use lamina_model::Architecture;
use lamina_package::{FindingKind, InspectOptions, Report, inspect};

use crate::util::{EM_386, EM_AARCH64, EM_X86_64, RawZip, elf_header};

const SCRIPT: &[u8] = b"#!/bin/sh\necho hello\n";

fn report(zip: Vec<u8>) -> Report {
    report_for(zip, None)
}

fn report_for(zip: Vec<u8>, arch: Option<Architecture>) -> Report {
    inspect(Cursor::new(zip), &InspectOptions { arch }).expect("inspectable")
}

fn kinds(report: &Report) -> Vec<FindingKind> {
    report.findings.iter().map(|f| f.kind).collect()
}

/// Asserts that `report` has exactly the findings `expected`, and that each message mentions `hint`.
fn assert_findings(report: &Report, expected: &[FindingKind], hint: &str) {
    assert_eq!(kinds(report), expected, "{:#?}", report.findings);
    for finding in &report.findings {
        assert!(
            finding.message.contains(hint),
            "message lacks {hint:?}: {}",
            finding.message
        );
    }
    assert!(!report.is_deployable());
}

#[test]
fn a_good_package_has_no_findings() {
    let zip = RawZip::new()
        .file("bootstrap", &elf_header(EM_X86_64), 0o755)
        .dir("lib/", 0o755)
        .file("lib/data.json", b"{}", 0o644)
        .symlink("current", "lib/data.json")
        .finish();
    let report = report_for(zip, Some(Architecture::X86_64));
    assert!(report.is_deployable(), "{:#?}", report.findings);
    assert_eq!(report.entries, 4);
    assert_eq!(report.unzipped_size, 64 + 2);
    assert_eq!(
        report.bootstrap.as_deref(),
        Some("ELF x86_64 executable, statically linked")
    );
}

#[test]
fn not_a_zip() {
    let report = report(b"this is text, not a zip".to_vec());
    assert_findings(&report, &[FindingKind::NotAZip], "Could not unzip uploaded file");
    assert_findings(&self::report(Vec::new()), &[FindingKind::NotAZip], "not a zip");
}

#[test]
fn truncated_zip() {
    let mut zip = RawZip::new().file("bootstrap", SCRIPT, 0o755).finish();
    zip.truncate(zip.len() - 10);
    assert_findings(&report(zip), &[FindingKind::Corrupt], "damaged");
}

#[test]
fn damaged_entry_data() {
    let data = vec![b'x'; 4096];
    let mut zip = RawZip::new()
        .file("bootstrap", SCRIPT, 0o755)
        .file("data", &data, 0o644)
        .finish();
    // Flip bytes inside the compressed data of the second entry, leaving the headers intact.
    let at = zip
        .windows(4)
        .position(|w| w == b"data")
        .expect("local header name")
        + 4
        + 2;
    zip[at] ^= 0xff;
    zip[at + 1] ^= 0xff;
    let report = report(zip);
    assert_eq!(kinds(&report), [FindingKind::Corrupt], "{:#?}", report.findings);
    assert_eq!(report.findings[0].entry.as_deref(), Some("data"));
}

#[test]
fn missing_bootstrap() {
    let zip = RawZip::new().file("main", SCRIPT, 0o755).finish();
    assert_findings(
        &report(zip),
        &[FindingKind::MissingBootstrap],
        "Runtime.InvalidEntrypoint",
    );
}

#[test]
fn nested_bootstrap_says_where_it_is() {
    let zip = RawZip::new()
        .dir("dist/", 0o755)
        .file("dist/bootstrap", SCRIPT, 0o755)
        .finish();
    let report = report(zip);
    assert_findings(&report, &[FindingKind::NestedBootstrap], "'dist/bootstrap'");
    assert!(
        report.findings[0].message.contains("cd dist &&"),
        "{}",
        report.findings[0].message
    );
}

#[test]
fn bootstrap_not_executable() {
    let zip = RawZip::new().file("bootstrap", SCRIPT, 0o644).finish();
    assert_findings(
        &report(zip),
        &[FindingKind::BootstrapNotExecutable],
        "permission denied",
    );
}

#[test]
fn bootstrap_executable_by_owner_only() {
    let zip = RawZip::new().file("bootstrap", SCRIPT, 0o700).finish();
    let report = report(zip);
    assert_eq!(
        kinds(&report),
        [
            FindingKind::BootstrapNotExecutable,
            FindingKind::BootstrapNotReadable
        ],
        "{:#?}",
        report.findings
    );
}

#[test]
fn zip_made_without_unix_modes() {
    let zip = RawZip::new()
        .dos_file("bootstrap", SCRIPT)
        .dos_file("config.json", b"{}")
        .finish();
    assert_findings(
        &report(zip),
        &[FindingKind::BootstrapNotExecutable],
        "Unix permissions",
    );
}

#[test]
fn bootstrap_of_unknown_format() {
    for (bytes, hint) in [
        (b"MZ\x90\x00\x03".as_slice(), "Windows executable"),
        (&[0xcf, 0xfa, 0xed, 0xfe, 7, 0, 0, 1], "macOS executable"),
        (b"just text", "unknown format"),
        (b"", "empty file"),
    ] {
        let zip = RawZip::new().file("bootstrap", bytes, 0o755).finish();
        assert_findings(&report(zip), &[FindingKind::BootstrapNotExecutableFormat], hint);
    }
}

#[test]
fn arm64_bootstrap_checked_as_x86_64() {
    let zip = RawZip::new()
        .file("bootstrap", &elf_header(EM_AARCH64), 0o755)
        .finish();
    let report = report_for(zip.clone(), Some(Architecture::X86_64));
    assert_findings(&report, &[FindingKind::ArchitectureMismatch], "built for arm64");
    assert!(report_for(zip.clone(), Some(Architecture::Arm64)).is_deployable());
    // Without --arch, the architecture is a note, not a problem.
    let unchecked = report_for(zip, None);
    assert!(unchecked.is_deployable());
    assert!(
        unchecked
            .notes
            .iter()
            .any(|n| n.contains("--architectures arm64")),
        "{:?}",
        unchecked.notes
    );
}

#[test]
fn architecture_lambda_does_not_run() {
    let zip = RawZip::new()
        .file("bootstrap", &elf_header(EM_386), 0o755)
        .finish();
    assert_findings(&report(zip), &[FindingKind::ArchitectureMismatch], "32-bit x86");
}

#[test]
fn scripts_with_windows_line_endings_or_missing_interpreters() {
    let cases: [(&[u8], &str); 4] = [
        (b"#!/bin/sh\r\necho hi\r\n", "carriage return"),
        (b"#!sh\n", "not an absolute path"),
        (b"#!/usr/bin/env python3\n", "no Python"),
        (b"#!/var/task/bin/node\n", "has no 'bin/node'"),
    ];
    for (script, hint) in cases {
        let zip = RawZip::new().file("bootstrap", script, 0o755).finish();
        assert_findings(&report(zip), &[FindingKind::BadInterpreter], hint);
    }
    let shipped = RawZip::new()
        .file("bootstrap", b"#!/var/task/bin/node\n", 0o755)
        .file("bin/node", &elf_header(EM_X86_64), 0o755)
        .finish();
    assert!(report(shipped).is_deployable());
}

#[test]
fn files_not_readable_by_others() {
    let zip = RawZip::new()
        .file("bootstrap", SCRIPT, 0o755)
        .file("secret.json", b"{}", 0o600)
        .file("other.json", b"{}", 0o640)
        .dir("private/", 0o700)
        .finish();
    let report = report(zip);
    assert_findings(&report, &[FindingKind::NotReadable], "chmod -R o+rX");
    assert!(
        report.findings[0].message.contains("and 1 more"),
        "{}",
        report.findings[0].message
    );
    assert!(
        report
            .notes
            .iter()
            .any(|n| n.contains("'private'") && n.contains("755")),
        "a directory others cannot enter is a note (Lambda sets it to 755): {:?}",
        report.notes
    );
}

#[test]
fn a_closed_directory_alone_is_deployable() {
    let zip = RawZip::new()
        .file("bootstrap", SCRIPT, 0o755)
        .dir("private/", 0o700)
        .file("private/config.json", b"{}", 0o644)
        .finish();
    assert!(report(zip).is_deployable());
}

#[test]
fn over_the_unzipped_limit() {
    // 250 MiB of zeros deflates to about 250 KB: a small zip that expands past Lambda's limit.
    let zip = RawZip::new()
        .file("bootstrap", SCRIPT, 0o755)
        .zeros("padding", 262_144_000)
        .finish();
    assert!(zip.len() < 1_000_000, "the test zip is {} bytes", zip.len());
    let report = report(zip);
    assert_findings(&report, &[FindingKind::UnzippedTooLarge], "262144000");
    assert_eq!(report.unzipped_size, 262_144_000);
}

#[test]
fn just_under_the_unzipped_limit() {
    let zip = RawZip::new()
        .file("bootstrap", SCRIPT, 0o755)
        .zeros("padding", 262_144_000 - 100)
        .finish();
    assert!(report(zip).is_deployable());
}

#[test]
fn over_the_zipped_limit() {
    // Incompressible content just over 50 MB, stored as a file of pseudo-random bytes.
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let noise: Vec<u8> = (0..52_428_800 + 1024)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect();
    let zip = RawZip::new()
        .file("bootstrap", SCRIPT, 0o755)
        .file("noise.bin", &noise, 0o644)
        .finish();
    assert!(zip.len() > 52_428_800);
    assert_findings(&report(zip), &[FindingKind::ZippedTooLarge], "S3");
}

#[test]
fn zip_slip_and_absolute_names() {
    let zip = RawZip::new()
        .file("bootstrap", SCRIPT, 0o755)
        .file("../../evil.sh", b"boom", 0o644)
        .file("/etc/cron.d/evil", b"boom", 0o644)
        .finish();
    let report = report(zip);
    assert_eq!(
        kinds(&report),
        [FindingKind::UnsafePath, FindingKind::UnsafePath],
        "{:#?}",
        report.findings
    );
    assert!(
        report.findings[0].message.contains("'..'"),
        "{}",
        report.findings[0].message
    );
    assert!(
        report.findings[1].message.contains("absolute"),
        "{}",
        report.findings[1].message
    );
}

#[test]
fn symlinks_escaping_the_package() {
    for target in ["/etc/passwd", "../../etc", "../lib/../../x"] {
        let zip = RawZip::new()
            .file("bootstrap", SCRIPT, 0o755)
            .dir("lib/", 0o755)
            .symlink("lib/link", target)
            .finish();
        let report = report(zip);
        assert_findings(&report, &[FindingKind::EscapingSymlink], "outside the package");
    }
}

#[test]
fn symlink_chains_that_escape_through_each_other() {
    // `self` is the root itself; `self/self/self/..` climbs above it although no single link does.
    let zip = RawZip::new()
        .file("bootstrap", SCRIPT, 0o755)
        .symlink("self", ".")
        .symlink("up", "self/self/self/../..")
        .finish();
    let report = report(zip);
    assert_eq!(
        kinds(&report),
        [FindingKind::EscapingSymlink],
        "{:#?}",
        report.findings
    );
    assert_eq!(report.findings[0].entry.as_deref(), Some("up"));
}

#[test]
fn symlink_loops() {
    let zip = RawZip::new()
        .file("bootstrap", SCRIPT, 0o755)
        .symlink("a", "b")
        .symlink("b", "a")
        .finish();
    let report = report(zip);
    assert_eq!(
        kinds(&report),
        [FindingKind::EscapingSymlink, FindingKind::EscapingSymlink]
    );
    assert!(
        report.findings[0].message.contains("loop"),
        "{}",
        report.findings[0].message
    );
}

#[test]
fn links_into_layers_and_bootstrap_links() {
    // build-lambda-zip stores a differently named executable with a `bootstrap` symlink to it.
    let zip = RawZip::new()
        .symlink("bootstrap", "main")
        .file("main", &elf_header(EM_X86_64), 0o755)
        .symlink("lib", "/opt/lib")
        .finish();
    let report = report_for(zip, Some(Architecture::X86_64));
    assert!(report.is_deployable(), "{:#?}", report.findings);
    assert!(report.bootstrap.is_some());

    let dangling = RawZip::new().symlink("bootstrap", "main").finish();
    assert_findings(
        &self::report(dangling),
        &[FindingKind::BootstrapNotAFile],
        "not in the package",
    );
}

#[test]
fn duplicate_names() {
    let zip = RawZip::new()
        .file("bootstrap", SCRIPT, 0o755)
        .file("a.txt", b"1", 0o644)
        .file("./a.txt", b"2", 0o644)
        .finish();
    let report = report(zip);
    assert_eq!(
        kinds(&report),
        [FindingKind::DuplicateName],
        "{:#?}",
        report.findings
    );
    assert_eq!(report.findings[0].entry.as_deref(), Some("a.txt"));
}

#[test]
fn backslash_separators() {
    let zip = RawZip::new().dos_file("build\\bootstrap", SCRIPT).finish();
    let report = report(zip);
    assert_eq!(
        kinds(&report),
        [FindingKind::BackslashInName, FindingKind::NestedBootstrap],
        "{:#?}",
        report.findings
    );
}

#[test]
fn too_many_entries() {
    let mut zip = RawZip::new().file("bootstrap", SCRIPT, 0o755);
    for i in 0..lamina_package::DEFAULT_MAX_ENTRIES {
        zip = zip.file(&format!("f/{i}"), b"", 0o644);
    }
    let report = report(zip.finish());
    assert_findings(&report, &[FindingKind::TooManyEntries], "at most 100000");
}
