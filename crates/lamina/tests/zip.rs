//! `lamina zip`, compared with AWS's `build-lambda-zip` on the same inputs.

use std::fs;
use std::io::Cursor;
use std::path::Path;

use lamina_model::Architecture;

use crate::util::{build_lambda_zip, built_function, entry_bytes, lamina, run, stderr};

/// (name, Unix permission bits) of every entry, sorted by name. Entries without a Unix mode (as Go's
/// `zip.Writer.Create` writes them) read as 0.
pub(crate) fn entries(zip: &Path) -> Vec<(String, u32)> {
    let mut archive = ::zip::ZipArchive::new(Cursor::new(fs::read(zip).expect("read"))).expect("zip");
    let mut out: Vec<(String, u32)> = (0..archive.len())
        .map(|i| {
            let entry = archive.by_index_raw(i).expect("entry");
            let unix = entry.system() == ::zip::System::Unix;
            let mode = if unix {
                (entry.external_attributes() >> 16) & 0o777
            } else {
                0
            };
            (entry.name_raw().iter().map(|&b| b as char).collect(), mode)
        })
        .collect();
    out.sort();
    out
}

/// What Lambda's sandbox user (not the files' owner) may do with an entry: read it, execute it. An entry
/// without Unix mode is extracted as 0644.
fn others_may(mode: u32) -> (bool, bool) {
    let mode = if mode == 0 { 0o644 } else { mode };
    (mode & 0o004 != 0, mode & 0o001 != 0)
}

/// A function folder with the real Go bootstrap, a config file and a nested asset.
fn inputs() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let bootstrap = entry_bytes(&built_function("hello", Architecture::X86_64), "bootstrap");
    fs::write(dir.path().join("bootstrap"), bootstrap).expect("write");
    fs::write(dir.path().join("config.json"), b"{\"greeting\":\"hello\"}").expect("write");
    fs::create_dir(dir.path().join("static")).expect("mkdir");
    fs::write(dir.path().join("static/index.html"), b"<h1>hi</h1>").expect("write");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let set = |name: &str, mode| {
            fs::set_permissions(dir.path().join(name), fs::Permissions::from_mode(mode)).expect("chmod")
        };
        set("bootstrap", 0o755);
        set("config.json", 0o644);
        set("static/index.html", 0o644);
    }
    dir
}

const ARGS: [&str; 3] = ["bootstrap", "config.json", "static/index.html"];

#[test]
fn matches_build_lambda_zip_names_and_permissions() {
    let dir = inputs();
    let ours = run(lamina()
        .current_dir(dir.path())
        .args(["zip", "-o", "lamina.zip"])
        .args(ARGS));
    assert!(ours.status.success(), "{}", stderr(&ours));
    let theirs = run(std::process::Command::new(build_lambda_zip())
        .current_dir(dir.path())
        .args(["-o", "aws.zip"])
        .args(ARGS));
    assert!(theirs.status.success(), "{}", stderr(&theirs));

    let ours = entries(&dir.path().join("lamina.zip"));
    let theirs = entries(&dir.path().join("aws.zip"));
    let names = |e: &[(String, u32)]| e.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    assert_eq!(names(&ours), names(&theirs));
    assert_eq!(names(&ours), ["bootstrap", "config.json", "static/index.html"]);
    // lamina writes the modes the issue asks for; build-lambda-zip writes 0777 for the executable and no
    // Unix mode for the rest. What the sandbox user may do with each entry is the same.
    assert_eq!(
        ours.iter().map(|(_, m)| *m).collect::<Vec<_>>(),
        [0o755, 0o644, 0o644]
    );
    assert_eq!(theirs.iter().map(|(_, m)| *m).collect::<Vec<_>>(), [0o777, 0, 0]);
    for ((name, our_mode), (_, their_mode)) in ours.iter().zip(&theirs) {
        assert_eq!(others_may(*our_mode), others_may(*their_mode), "{name}");
    }
    // Both unpack to the same bytes.
    for name in ARGS {
        assert_eq!(
            entry_bytes(&dir.path().join("lamina.zip"), name),
            entry_bytes(&dir.path().join("aws.zip"), name)
        );
    }
}

#[test]
fn the_same_inputs_give_byte_identical_zips() {
    let first = inputs();
    let second = inputs();
    let zip_in = |dir: &Path| {
        let output = run(lamina().current_dir(dir).args([
            "zip",
            "-o",
            "function.zip",
            "bootstrap",
            "config.json",
            "static",
        ]));
        assert!(output.status.success(), "{}", stderr(&output));
        fs::read(dir.join("function.zip")).expect("read")
    };
    let a = zip_in(first.path());
    let b = zip_in(second.path());
    assert_eq!(lamina_package::code_sha256(&a), lamina_package::code_sha256(&b));
    assert_eq!(a, b, "two zips of the same inputs differ");
}

#[test]
fn folders_are_added_recursively_with_directory_entries() {
    let dir = inputs();
    let output = run(lamina()
        .current_dir(dir.path())
        .args(["zip", "-o", "f.zip", "bootstrap", "static"]));
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        entries(&dir.path().join("f.zip")),
        [
            ("bootstrap".to_owned(), 0o755),
            ("static/".to_owned(), 0o755),
            ("static/index.html".to_owned(), 0o644)
        ]
    );
}

#[test]
fn a_missing_bootstrap_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let output = run(lamina()
        .current_dir(dir.path())
        .args(["zip", "-o", "f.zip", "bootstrap"]));
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(err.contains("bootstrap 'bootstrap' not found"), "{err}");
    assert!(!dir.path().join("f.zip").exists());
}

#[test]
fn warns_about_a_bootstrap_that_cannot_run() {
    let dir = tempfile::tempdir().expect("tempdir");
    fs::write(dir.path().join("main.exe"), b"MZ\x90\x00").expect("write");
    let output = run(lamina()
        .current_dir(dir.path())
        .args(["zip", "-o", "f.zip", "main.exe"]));
    assert_eq!(
        output.status.code(),
        Some(1),
        "the zip is written, and the exit status says it cannot be deployed: {}",
        stderr(&output)
    );
    let text = crate::util::stdout(&output);
    assert!(text.contains("Windows executable"), "{text}");
    assert_eq!(
        entries(&dir.path().join("f.zip")),
        [("bootstrap".to_owned(), 0o755)]
    );
}
