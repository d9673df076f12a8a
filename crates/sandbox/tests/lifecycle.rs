//! Exit statuses, signals, async wait, teardown, and the errors of setup and exec.

use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::time::{Duration, Instant};

use lamina_sandbox::{ExecErrorKind, SandboxError, SandboxSpec, Stdio};

use crate::util::{self, code_dir, run_sh, sandbox, script, sh};

#[test]
fn exit_codes_and_signals_are_the_programs() {
    let Some(_host) = util::shared() else { return };
    assert_eq!(run_sh("exit 0").expect("run").status.code(), Some(0));
    assert_eq!(run_sh("exit 42").expect("run").status.code(), Some(42));
    let run = run_sh("kill -SEGV $$").expect("run");
    assert_eq!(run.status.signal(), Some(11), "{run:?}");
    assert!(!run.status.core_dumped());
}

#[test]
fn environment_is_exactly_the_specs() {
    let Some(_host) = util::shared() else { return };
    let code = code_dir();
    let spec = sh(code.path(), "env | sort; pwd")
        .env("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001")
        .expect("env")
        .cwd("/tmp")
        .expect("cwd")
        .build();
    let run = util::run(&sandbox(), spec).expect("run");
    assert_eq!(
        run.stdout,
        "AWS_LAMBDA_RUNTIME_API=127.0.0.1:9001\nPATH=/usr/local/bin:/usr/bin:/bin\nPWD=/tmp\n/tmp\n"
    );
}

#[test]
fn kill_tree_with_grace_lets_the_program_handle_sigterm() {
    let Some(_host) = util::shared() else { return };
    let code = code_dir();
    let mut process = sandbox()
        .spawn(
            sh(
                code.path(),
                "trap 'echo terminated; exit 3' TERM; echo up; while :; do sleep 0.05; done",
            )
            .stderr(Stdio::Null)
            .build(),
        )
        .expect("spawn");
    let mut out = process.stdout.take().expect("stdout");
    let mut up = [0u8; 3];
    std::io::Read::read_exact(&mut out, &mut up).expect("up");
    let status = process.kill_tree(Some(Duration::from_secs(5))).expect("kill");
    assert_eq!(status.code(), Some(3));
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut out, &mut rest).expect("read");
    assert_eq!(rest, "terminated\n");
    process.teardown().expect("teardown");
}

#[test]
fn kill_tree_kills_every_process_of_the_sandbox() {
    let Some(_host) = util::shared() else { return };
    let code = code_dir();
    // A SIGTERM-immune tree with a daemonised grandchild.
    let mut process = sandbox()
        .spawn(
            sh(
                code.path(),
                "trap '' TERM; (trap '' TERM; setsid sleep 300 &) ; sleep 300 & echo up; wait",
            )
            .build(),
        )
        .expect("spawn");
    let mut up = [0u8; 3];
    std::io::Read::read_exact(process.stdout.as_mut().expect("stdout"), &mut up).expect("up");
    let before = Instant::now();
    let status = process.kill_tree(Some(Duration::from_millis(200))).expect("kill");
    assert!(before.elapsed() >= Duration::from_millis(200));
    assert_eq!(status.signal(), Some(9));
    let init = process.pid();
    process.teardown().expect("teardown");
    assert!(!Path::new(&format!("/proc/{init}")).exists());
    assert!(
        sleepers_in_host().is_empty(),
        "left behind: {:?}",
        sleepers_in_host()
    );
}

/// Processes on the host whose command line is `sleep 300` (none of the tests' sandboxes leave one).
fn sleepers_in_host() -> Vec<String> {
    std::fs::read_dir("/proc")
        .expect("proc")
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            std::fs::read(e.path().join("cmdline"))
                .ok()
                .map(|c| (e.file_name(), c))
        })
        .filter(|(_, c)| c == b"sleep\x00300\x00")
        .map(|(pid, _)| pid.to_string_lossy().into_owned())
        .collect()
}

#[test]
fn killing_the_helper_takes_the_sandbox_down() {
    let Some(_host) = util::shared() else { return };
    let code = code_dir();
    let mut process = sandbox()
        .spawn(sh(code.path(), "exec sleep 300").stdout(Stdio::Null).build())
        .expect("spawn");
    let init = process.pid();
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(process.child_pid() as i32),
        nix::sys::signal::Signal::SIGKILL,
    )
    .expect("kill helper");
    assert_eq!(process.wait().expect("wait").signal(), Some(9));
    let deadline = Instant::now() + Duration::from_secs(10);
    while Path::new(&format!("/proc/{init}/cmdline")).exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    // The init was reparented and killed; it may linger as a zombie only until its new parent reaps it.
    let state = std::fs::read_to_string(format!("/proc/{init}/stat")).unwrap_or_default();
    assert!(
        state.is_empty() || state.contains(") Z "),
        "init still running: {state}"
    );
    process.teardown().expect("teardown");
}

// The guard only orders this test against the leak test; the runtime has a single thread.
#[allow(clippy::await_holding_lock)]
#[tokio::test(flavor = "current_thread")]
async fn wait_async_does_not_block_the_runtime() {
    let Some(_host) = util::shared() else { return };
    let code = code_dir();
    let mut process = sandbox()
        .spawn(sh(code.path(), "sleep 0.3; exit 7").stdout(Stdio::Null).build())
        .expect("spawn");
    let ticker = tokio::spawn(async {
        let mut ticks = 0;
        for _ in 0..5 {
            tokio::time::sleep(Duration::from_millis(20)).await;
            ticks += 1;
        }
        ticks
    });
    let status = process.wait_async().await.expect("wait");
    assert_eq!(status.code(), Some(7));
    assert_eq!(ticker.await.expect("ticker"), 5);
    process.teardown().expect("teardown");
}

#[test]
fn exec_failures_are_told_apart() {
    let Some(_host) = util::shared() else { return };
    let sandbox = sandbox();
    let code = code_dir();
    script(
        code.path(),
        "script-without-interpreter",
        "#!/nonexistent/interpreter\n",
    );
    std::fs::write(code.path().join("not-executable"), "#!/bin/sh\necho hi\n").expect("write");
    script(code.path(), "garbage", "\u{1}\u{2}\u{3} not a program at all\n");
    let cases = [
        (
            "/var/task/bootstrap",
            ExecErrorKind::NotFound,
            "fork/exec /var/task/bootstrap: no such file or directory",
        ),
        (
            "/var/task/not-executable",
            ExecErrorKind::PermissionDenied,
            "fork/exec /var/task/not-executable: permission denied",
        ),
        (
            "/var/task/garbage",
            ExecErrorKind::FormatError,
            "fork/exec /var/task/garbage: exec format error",
        ),
        (
            "/var/task/script-without-interpreter",
            ExecErrorKind::NotFound,
            "fork/exec /var/task/script-without-interpreter: no such file or directory",
        ),
    ];
    for (program, kind, message) in cases {
        let spec = SandboxSpec::builder(program)
            .and_then(|b| b.read_only_bind(code.path(), "/var/task"))
            .expect("spec")
            .build();
        let error = sandbox.spawn(spec).expect_err(program);
        let exec = error
            .exec_error()
            .unwrap_or_else(|| panic!("{program}: not an exec error: {error}"));
        assert_eq!(exec.kind(), kind, "{program}");
        assert_eq!(error.to_string(), message);
    }
}

#[test]
fn setup_errors_name_the_step() {
    let Some(_host) = util::shared() else { return };
    let code = code_dir();
    // A working directory the sandbox user cannot enter.
    let private = code.path().join("private");
    std::fs::create_dir(&private).expect("mkdir");
    std::fs::set_permissions(&private, std::os::unix::fs::PermissionsExt::from_mode(0o700)).expect("chmod");
    let spec = sh(code.path(), "true")
        .cwd("/var/task/private")
        .expect("cwd")
        .build();
    let error = sandbox().spawn(spec).expect_err("cwd");
    assert!(matches!(error, SandboxError::Setup(_)), "{error:?}");
    assert_eq!(
        error.to_string(),
        "setting up the sandbox: changing to working directory /var/task/private: permission denied"
    );
}

#[test]
fn sandbox_mode_is_detected_here() {
    let Some(_host) = util::shared() else { return };
    let detection = lamina_sandbox::detect(&util::config());
    assert_eq!(
        detection.mode,
        lamina_sandbox::IsolationMode::Sandbox,
        "{}",
        detection.reason
    );
    assert!(detection.reason.contains("cgroup v"), "{}", detection.reason);
}

/// The helpers (`lamina-sandbox-init`) that are this process's children and alive: the test's sandboxes
/// are all over, so these are spares.
fn waiting_helpers() -> Vec<u32> {
    let me = std::process::id();
    let helper = env!("CARGO_BIN_EXE_lamina-sandbox-init");
    std::fs::read_dir("/proc")
        .expect("/proc")
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            let fields: Vec<&str> = stat
                .rsplit_once(')')
                .map_or("", |(_, rest)| rest)
                .split_whitespace()
                .collect();
            let exe = std::fs::read_link(format!("/proc/{pid}/exe")).unwrap_or_default();
            // Not a zombie, parent this process, the helper's binary.
            fields.first() != Some(&"Z")
                && fields.get(1) == Some(&me.to_string().as_str())
                && exe == Path::new(helper)
        })
        .collect()
}

#[test]
fn a_helper_waits_ahead_of_need_is_replaced_after_use_and_goes_with_the_sandbox() {
    // Exclusive: it counts this process's helpers.
    let Some(_host) = util::exclusive() else { return };
    let sandbox = sandbox();
    let spare = waiting_helpers();
    assert_eq!(spare.len(), 1, "one helper started ahead of need: {spare:?}");

    let code = code_dir();
    let usual = |script: &str| {
        sh(code.path(), script)
            .stdin(Stdio::Null)
            .stderr(Stdio::Piped)
            .build()
    };
    let run = util::run(&sandbox, usual("echo first")).expect("run");
    assert_eq!(run.stdout, "first\n");
    let next = waiting_helpers();
    assert_eq!(next.len(), 1, "{next:?}");
    assert_ne!(next, spare, "the spare was used and replaced");

    // A spare that died meanwhile is not used: the sandbox starts with a fresh helper.
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(next[0] as i32),
        nix::sys::signal::Signal::SIGKILL,
    )
    .expect("kill the spare");
    let deadline = Instant::now() + Duration::from_secs(5);
    while std::fs::read_to_string(format!("/proc/{}/stat", next[0])).is_ok_and(|s| !s.contains(") Z "))
        && Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(5));
    }
    let run = util::run(&sandbox, usual("echo second")).expect("run after the spare died");
    assert_eq!(run.stdout, "second\n");
    assert_eq!(waiting_helpers().len(), 1);

    drop(sandbox);
    assert_eq!(
        waiting_helpers(),
        Vec::<u32>::new(),
        "the spare goes with the sandbox"
    );
    assert!(
        !Path::new(&format!("/proc/{}", next[0])).exists(),
        "the dead spare was reaped"
    );
}
