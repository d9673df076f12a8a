//! Programs for the other architecture run under qemu-user, inside the sandbox.

use lamina_sandbox::{Arch, Emulation, ExecErrorKind, IsolationMode, Sandbox, SandboxSpec, Stdio};

use crate::util::{self, code_dir, sandbox};

/// The Go architecture that is foreign on this host.
fn foreign_goarch() -> &'static str {
    match Arch::host() {
        Some(Arch::Aarch64) => "amd64",
        _ => "arm64",
    }
}

fn bootstrap_spec(code: &std::path::Path, emulation: Emulation) -> SandboxSpec {
    SandboxSpec::builder("/var/task/bootstrap")
        .and_then(|b| b.read_only_bind(code, "/var/task"))
        .and_then(|b| b.cwd("/var/task"))
        .expect("spec")
        .emulation(emulation)
        .stdout(Stdio::Piped)
        .build()
}

#[test]
fn a_foreign_static_binary_runs_under_qemu() {
    let Some(_host) = util::shared() else { return };
    let goarch = foreign_goarch();
    let code = code_dir();
    std::fs::copy(util::hello(goarch), code.path().join("bootstrap")).expect("copy");
    let run = util::run(&sandbox(), bootstrap_spec(code.path(), Emulation::Auto)).expect("run");
    assert!(run.status.success(), "{run:?}");
    assert_eq!(run.stdout, format!("hello from {goarch} as uid 993\n"));
}

#[test]
fn a_native_binary_runs_without_emulator() {
    let Some(_host) = util::shared() else { return };
    let native = if foreign_goarch() == "arm64" {
        "amd64"
    } else {
        "arm64"
    };
    let code = code_dir();
    std::fs::copy(util::hello(native), code.path().join("bootstrap")).expect("copy");
    let run = util::run(&sandbox(), bootstrap_spec(code.path(), Emulation::Auto)).expect("run");
    assert_eq!(run.stdout, format!("hello from {native} as uid 993\n"));
}

#[test]
fn without_emulation_a_foreign_binary_is_an_exec_format_error() {
    let Some(_host) = util::shared() else { return };
    let code = code_dir();
    std::fs::copy(util::hello(foreign_goarch()), code.path().join("bootstrap")).expect("copy");
    let error = sandbox()
        .spawn(bootstrap_spec(code.path(), Emulation::Disabled))
        .expect_err("foreign");
    assert_eq!(
        error.exec_error().map(|e| e.kind()),
        Some(ExecErrorKind::FormatError),
        "{error}"
    );
    assert_eq!(
        error.to_string(),
        "fork/exec /var/task/bootstrap: exec format error"
    );
}

#[test]
fn an_emulated_program_that_is_not_executable_is_permission_denied() {
    let Some(_host) = util::shared() else { return };
    let code = code_dir();
    let bootstrap = code.path().join("bootstrap");
    std::fs::copy(util::hello(foreign_goarch()), &bootstrap).expect("copy");
    std::fs::set_permissions(&bootstrap, std::os::unix::fs::PermissionsExt::from_mode(0o644)).expect("chmod");
    let error = sandbox()
        .spawn(bootstrap_spec(code.path(), Emulation::Auto))
        .expect_err("not executable");
    assert_eq!(
        error.to_string(),
        "fork/exec /var/task/bootstrap: permission denied"
    );
}

#[test]
fn process_mode_runs_foreign_binaries_too() {
    let Some(_host) = util::shared() else { return };
    let goarch = foreign_goarch();
    let code = code_dir();
    std::fs::copy(util::hello(goarch), code.path().join("bootstrap")).expect("copy");
    let sandbox = Sandbox::new(IsolationMode::Process, util::config()).expect("process mode");
    let run = util::run(&sandbox, bootstrap_spec(code.path(), Emulation::Auto)).expect("run");
    assert_eq!(run.stdout, format!("hello from {goarch} as uid 0\n"));
}
