//! `Process` mode: a plain child process, for hosts that cannot sandbox.

use std::os::unix::process::ExitStatusExt;
use std::time::{Duration, Instant};

use lamina_sandbox::{ExecErrorKind, IsolationMode, Sandbox, SandboxSpec, Stdio};

use crate::util::{self, code_dir, script};

fn process_sandbox() -> Sandbox {
    Sandbox::new(IsolationMode::Process, util::config()).expect("process mode is always available")
}

#[test]
fn runs_the_program_from_the_code_dir_with_only_the_specs_environment() {
    // Needs no privileges; takes the shared hold only to keep the leak test's counts steady.
    let _host = util::shared_unprivileged();
    let code = code_dir();
    script(
        code.path(),
        "bootstrap",
        "#!/bin/sh\necho \"$GREETING from $(pwd)\"; env | wc -l\n",
    );
    let spec = SandboxSpec::builder("/var/task/bootstrap")
        .and_then(|b| b.read_only_bind(code.path(), "/var/task"))
        .and_then(|b| b.cwd("/var/task"))
        .and_then(|b| b.env("GREETING", "hello"))
        .expect("spec")
        .stdout(Stdio::Piped)
        .build();
    let run = util::run(&process_sandbox(), spec).expect("run");
    let canonical = code.path().canonicalize().expect("canonical");
    // GREETING and PWD (set by the shell).
    assert_eq!(run.stdout, format!("hello from {}\n2\n", canonical.display()));
    assert_eq!(run.stats, lamina_sandbox::SandboxStats::default());
}

#[test]
fn exec_failures_are_told_apart() {
    let _host = util::shared_unprivileged();
    let code = code_dir();
    std::fs::write(code.path().join("not-executable"), "#!/bin/sh\n").expect("write");
    script(code.path(), "garbage", "\u{1}\u{2} not a program\n");
    for (name, kind) in [
        ("missing", ExecErrorKind::NotFound),
        ("not-executable", ExecErrorKind::PermissionDenied),
        ("garbage", ExecErrorKind::FormatError),
    ] {
        let spec = SandboxSpec::builder(format!("/var/task/{name}"))
            .and_then(|b| b.read_only_bind(code.path(), "/var/task"))
            .expect("spec")
            .build();
        let error = process_sandbox().spawn(spec).expect_err(name);
        assert_eq!(
            error.exec_error().map(|e| e.kind()),
            Some(kind),
            "{name}: {error}"
        );
        assert!(
            error
                .to_string()
                .starts_with(&format!("fork/exec /var/task/{name}: ")),
            "{error}"
        );
    }
}

#[test]
fn kill_tree_kills_the_process_group() {
    let _host = util::shared_unprivileged();
    let code = code_dir();
    let spec = SandboxSpec::builder("/bin/sh")
        .and_then(|b| b.args(["-c", "sleep 301 & sleep 301 & echo up; wait"]))
        .expect("spec")
        .stdout(Stdio::Piped)
        .build();
    let _ = code;
    let mut process = process_sandbox().spawn(spec).expect("spawn");
    let mut up = [0u8; 3];
    std::io::Read::read_exact(process.stdout.as_mut().expect("stdout"), &mut up).expect("up");
    let status = process.kill_tree(Some(Duration::from_millis(100))).expect("kill");
    assert_eq!(status.signal(), Some(15));
    process.teardown().expect("teardown");
    // The killed sleepers were reparented: they are gone once their new parent has reaped them.
    let sleepers = || {
        std::fs::read_dir("/proc")
            .expect("proc")
            .filter_map(|e| e.ok())
            .filter(|e| std::fs::read(e.path().join("cmdline")).is_ok_and(|c| c == b"sleep\x00301\x00"))
            .count()
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while sleepers() > 0 {
        assert!(Instant::now() < deadline, "{} sleepers left", sleepers());
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn the_program_gets_the_specs_open_files_limit() {
    let _host = util::shared_unprivileged();
    let code = code_dir();
    script(code.path(), "bootstrap", "#!/bin/sh\nexec sleep 30\n");
    let spec = SandboxSpec::builder("/var/task/bootstrap")
        .and_then(|b| b.read_only_bind(code.path(), "/var/task"))
        .and_then(|b| b.nofile(64))
        .expect("spec")
        .build();
    let mut process = process_sandbox().spawn(spec).expect("spawn");
    // Set by the time spawn returns.
    let limits = std::fs::read_to_string(format!("/proc/{}/limits", process.pid())).expect("limits");
    process.kill_tree(None).expect("kill");
    process.wait().expect("wait");
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .expect("Max open files");
    assert_eq!(
        line.split_whitespace().collect::<Vec<_>>(),
        ["Max", "open", "files", "64", "64", "files"],
        "{limits}"
    );
}
