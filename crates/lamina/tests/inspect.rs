//! `lamina inspect` on real binaries: exit codes, messages, `--json`.

use std::fs;
use std::path::Path;
use std::process::Command;

use lamina_model::Architecture;

use crate::util::{built_function, lamina, run, stderr, stdout};

fn inspect(zip: &Path, extra: &[&str]) -> (Option<i32>, String) {
    let output = run(lamina().arg("inspect").arg(zip).args(extra));
    (output.status.code(), stdout(&output) + &stderr(&output))
}

#[test]
fn a_built_function_is_deployable() {
    for arch in Architecture::ALL {
        let zip = built_function("hello", arch);
        let (code, text) = inspect(&zip, &["--arch", arch.as_str()]);
        assert_eq!(code, Some(0), "{text}");
        assert!(
            text.contains(&format!("ELF {arch} executable, statically linked")),
            "{text}"
        );
        assert!(text.contains("deployable: no problems found"), "{text}");
    }
}

#[test]
fn an_arm64_bootstrap_checked_as_x86_64() {
    let zip = built_function("hello", Architecture::Arm64);
    let (code, text) = inspect(&zip, &["--arch", "x86_64"]);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("problem [architecture-mismatch]: bootstrap is built for arm64"),
        "{text}"
    );
}

#[test]
fn json_output_is_machine_readable() {
    let zip = built_function("hello", Architecture::Arm64);
    let output = run(lamina()
        .arg("inspect")
        .arg(&zip)
        .args(["--arch", "x86_64", "--json"]));
    assert_eq!(output.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(doc["deployable"], false);
    assert_eq!(doc["findings"][0]["kind"], "architecture-mismatch");
    assert_eq!(doc["findings"][0]["entry"], "bootstrap");
    assert_eq!(
        doc["code_sha256"],
        lamina_package::code_sha256_of_file(&zip).expect("hash")
    );
    assert_eq!(doc["zipped_size"], fs::metadata(&zip).expect("stat").len());
    assert!(doc["unzipped_size"].as_u64().expect("number") > doc["zipped_size"].as_u64().expect("number"));
}

/// A C program calling `arc4random`, which glibc gained in 2.36: built here (Debian 12 has glibc 2.36),
/// it needs `GLIBC_2.36`, which provided.al2023 (glibc 2.34) lacks.
#[test]
fn a_dynamic_binary_needing_a_newer_glibc() {
    let dir = tempfile::tempdir().expect("tempdir");
    let source = dir.path().join("main.c");
    fs::write(&source, "#include <stdio.h>\n#include <stdlib.h>\nint main(void) { printf(\"%u\\n\", arc4random()); return 0; }\n")
        .expect("write");
    let bootstrap = dir.path().join("bootstrap");
    let output = run(Command::new("gcc")
        .arg("-O2")
        .arg("-o")
        .arg(&bootstrap)
        .arg(&source));
    assert!(
        output.status.success(),
        "gcc failed (glibc 2.36 or newer is needed to build this fixture): {}",
        stderr(&output)
    );
    let zip = dir.path().join("f.zip");
    let output = run(lamina()
        .current_dir(dir.path())
        .args(["zip", "-o", "f.zip", "bootstrap"]));
    assert_eq!(
        output.status.code(),
        Some(1),
        "the zip is written and the exit status says it is not deployable: {}",
        stderr(&output)
    );
    assert!(zip.exists());
    assert!(
        stdout(&output).contains("glibc-too-new"),
        "lamina zip warns at once: {}",
        stdout(&output)
    );

    let (code, text) = inspect(&zip, &["--arch", "x86_64"]);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("dynamically linked (/lib64/ld-linux-x86-64.so.2)"),
        "{text}"
    );
    assert!(text.contains("needs GLIBC_2.36 (glibc 2.36)"), "{text}");
    assert!(text.contains("provided.al2023 has glibc 2.34"), "{text}");
}

/// With CGO on, Go links against glibc dynamically but needs nothing past 2.34: deployable, with a note.
#[test]
fn a_cgo_binary_within_glibc_2_34_is_deployable() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bootstrap = dir.path().join("bootstrap");
    let output = run(Command::new("go")
        .current_dir(crate::util::go_fixtures().join("hello"))
        .args(["build", "-o"])
        .arg(&bootstrap)
        .arg(".")
        .env("CGO_ENABLED", "1")
        .env("GOOS", "linux")
        .env("GOARCH", "amd64"));
    assert!(output.status.success(), "{}", stderr(&output));
    let output = run(lamina()
        .current_dir(dir.path())
        .args(["zip", "-o", "f.zip", "bootstrap"]));
    assert!(output.status.success(), "{}", stderr(&output));
    let (code, text) = inspect(&dir.path().join("f.zip"), &["--arch", "x86_64"]);
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains(
            "note: bootstrap is dynamically linked (/lib64/ld-linux-x86-64.so.2) and needs glibc 2.34 at most"
        ),
        "{text}"
    );
}

#[test]
fn exit_codes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text_file = dir.path().join("notes.zip");
    fs::write(&text_file, "not a zip").expect("write");
    let (code, text) = inspect(&text_file, &[]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("[not-a-zip]"), "{text}");

    let (code, text) = inspect(&dir.path().join("missing.zip"), &[]);
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("error: cannot inspect"), "{text}");
}
