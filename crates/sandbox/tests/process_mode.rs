//! `Process` mode: a plain child process, for hosts that cannot sandbox.

use std::os::unix::process::{CommandExt, ExitStatusExt};
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

/// The pids of the processes whose command line holds `marker`.
fn marked(marker: &str) -> Vec<i32> {
    std::fs::read_dir("/proc")
        .expect("/proc")
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .is_ok_and(|cmdline| cmdline.windows(marker.len()).any(|w| w == marker.as_bytes()))
        })
        .collect()
}

/// Whether `pid` is gone or a zombie (killed, waiting for its parent to reap it).
fn dead(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        // The state follows the command name in parentheses: `pid (comm) S ...`.
        Ok(stat) => stat
            .rsplit_once(") ")
            .is_some_and(|(_, rest)| rest.starts_with('Z')),
    }
}

#[test]
fn the_watchdog_kills_the_groups_still_named_when_the_server_goes() {
    let _host = util::shared_unprivileged();
    let watchdog = lamina_sandbox::GroupWatchdog::start(&util::config().helper).expect("the watchdog starts");
    assert!(watchdog.is_running());
    // Two groups, each a leader with a child in the background: one still named when the watchdog's
    // pipe closes, one whose guard was dropped before (the server ended it itself).
    let spawn_group = |marker: &str| {
        std::process::Command::new("/bin/sh")
            .arg("-c")
            .arg(format!("sleep {marker} & exec sleep {marker}"))
            .process_group(0)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn")
    };
    let (named, released) = ("3001.0417", "3001.0418");
    let mut named_leader = spawn_group(named);
    let mut released_leader = spawn_group(released);
    let _named_guard = watchdog.watch(named_leader.id());
    drop(watchdog.watch(released_leader.id()));
    let deadline = Instant::now() + Duration::from_secs(10);
    while marked(named).len() < 2 || marked(released).len() < 2 {
        assert!(
            Instant::now() < deadline,
            "both groups started their two processes"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let named_pids = marked(named);
    // The last hold of the watchdog goes, as when the server dies: end-of-file on its pipe. Dropping
    // returns once the watchdog has exited, after its kills (which the kernel still has to carry out).
    drop(watchdog);
    let deadline = Instant::now() + Duration::from_secs(10);
    while !named_pids.iter().all(|pid| dead(*pid)) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    let released_alive = marked(released).len();
    let _ = rustix::process::kill_process_group(
        rustix::process::Pid::from_raw(released_leader.id() as i32).expect("pid"),
        rustix::process::Signal::KILL,
    );
    let _ = released_leader.wait();
    assert!(
        named_pids.iter().all(|pid| dead(*pid)),
        "every process of the named group is killed: {named_pids:?}"
    );
    assert_eq!(named_leader.wait().expect("wait").signal(), Some(libc::SIGKILL));
    assert_eq!(released_alive, 2, "a group taken off the list is left alone");
}
