//! Running `lamina` and the real tools the tests compare it with.

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use lamina_model::Architecture;
use lamina_package::executable::{self, Executable};

/// The `lamina` binary under test.
pub(crate) fn lamina() -> Command {
    Command::new(env!("CARGO_BIN_EXE_lamina"))
}

/// Runs a command and returns its output, failing the test with the output if it could not start.
pub(crate) fn run(command: &mut Command) -> Output {
    command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"))
}

pub(crate) fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub(crate) fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

pub(crate) use lamina_testing::{build_lambda_zip, go_fixtures};

fn tools_dir() -> PathBuf {
    lamina_testing::scratch_dir().join("cli")
}

/// `lamina build` of a fixture function for `arch`, into `out` (memoised per function and arch).
pub(crate) fn built_function(function: &str, arch: Architecture) -> PathBuf {
    let out = tools_dir().join(format!("{function}-{arch}.zip"));
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _guard = LOCK.lock().unwrap_or_else(|p| p.into_inner());
    if !out.exists() {
        std::fs::create_dir_all(tools_dir()).expect("mkdir");
        let output = run(lamina()
            .arg("build")
            .arg(go_fixtures().join(function))
            .args(["--arch", arch.as_str(), "-o"])
            .arg(&out));
        assert!(
            output.status.success(),
            "lamina build failed:\n{}\n{}",
            stdout(&output),
            stderr(&output)
        );
    }
    out
}

/// The bytes of the entry `name` of a zip.
pub(crate) fn entry_bytes(zip: &Path, name: &str) -> Vec<u8> {
    let mut archive =
        ::zip::ZipArchive::new(Cursor::new(std::fs::read(zip).expect("read zip"))).expect("zip");
    let mut entry = archive
        .by_name(name)
        .unwrap_or_else(|_| panic!("{name} in {}", zip.display()));
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut entry, &mut bytes).expect("read entry");
    bytes
}

/// What the ELF `bootstrap` of a zip is built for.
pub(crate) fn bootstrap_elf(zip: &Path) -> executable::ElfInfo {
    match executable::classify(&entry_bytes(zip, "bootstrap")) {
        Executable::Elf(info) => info,
        other => panic!("bootstrap is not ELF: {other:?}"),
    }
}
