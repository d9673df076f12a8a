//! `lamina build` of real aws-lambda-go functions.

use lamina_model::Architecture;

use crate::util::{bootstrap_elf, built_function, go_fixtures, lamina, run, stderr, stdout};

#[test]
fn builds_a_static_bootstrap_for_each_architecture() {
    for arch in Architecture::ALL {
        let zip = built_function("hello", arch);
        let elf = bootstrap_elf(&zip);
        assert_eq!(elf.architecture(), Some(arch), "{elf:?}");
        assert!(elf.is_static(), "CGO_ENABLED=0 gives a static binary: {elf:?}");
        let names = crate::zip::entries(&zip);
        assert_eq!(names, [("bootstrap".to_owned(), 0o755)]);
    }
}

#[test]
fn prints_path_size_and_code_sha256() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("fn.zip");
    let output = run(lamina()
        .arg("build")
        .arg(go_fixtures().join("hello"))
        .arg("-o")
        .arg(&out));
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    let size = std::fs::metadata(&out).expect("zip written").len();
    let sha = lamina_package::code_sha256_of_file(&out).expect("hash");
    assert!(text.contains(&out.display().to_string()), "{text}");
    assert!(text.contains(&format!("CodeSha256: {sha}")), "{text}");
    let grouped = size
        .to_string()
        .as_bytes()
        .rchunks(3)
        .rev()
        .map(|c| std::str::from_utf8(c).expect("digits"))
        .collect::<Vec<_>>()
        .join(",");
    assert!(text.contains(&format!("{grouped} bytes")), "{text}");
    // The default architecture is Lambda's default, x86_64.
    assert_eq!(
        crate::util::bootstrap_elf(&out).architecture(),
        Some(Architecture::X86_64)
    );
}

#[test]
fn go_errors_reach_the_user_untouched() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("go.mod"), "module broken\n\ngo 1.22\n").expect("write");
    std::fs::write(
        dir.path().join("main.go"),
        "package main\n\nfunc main() { undefinedCall() }\n",
    )
    .expect("write");
    let output = run(lamina()
        .arg("build")
        .arg(dir.path())
        .arg("-o")
        .arg(dir.path().join("f.zip")));
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(
        err.contains("undefined: undefinedCall"),
        "Go's message is passed through: {err}"
    );
    assert!(err.contains("go build failed"), "{err}");
    assert!(!dir.path().join("f.zip").exists());
}

#[test]
fn a_missing_go_toolchain_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let output = run(lamina()
        .arg("build")
        .arg(go_fixtures().join("hello"))
        .arg("-o")
        .arg(dir.path().join("f.zip"))
        .env("LAMINA_GO", "/nonexistent/go"));
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(
        err.contains("Go toolchain was not found") && err.contains("LAMINA_GO"),
        "{err}"
    );
}

#[test]
fn a_missing_source_folder_is_named_not_blamed_on_go() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("nonexistent");
    let output = run(lamina()
        .arg("build")
        .arg(&missing)
        .arg("-o")
        .arg(dir.path().join("f.zip")));
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(
        err.contains("is not a directory") && err.contains("nonexistent") && !err.contains("PATH"),
        "{err}"
    );
}
