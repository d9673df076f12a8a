//! Timeouts, exits, unusable bootstraps, oversized responses; and a fresh environment afterwards.

use std::time::{Duration, Instant};

use crate::util::{Setup, assert_init_failed_twice, json, text};

#[tokio::test]
async fn a_timeout_kills_the_whole_process_tree_and_the_next_invoke_starts_fresh() {
    let mut setup = Setup::new("tree");
    setup.version.timeout_s = 1;
    let pid_file = setup.dir.path().join("child.pid");
    let started = Instant::now();
    let invoked = setup
        .invoke(&format!(r#"{{"pidFile":"{}"}}"#, pid_file.display()))
        .await;
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(invoked.function_error);
    assert_eq!(
        text(&invoked),
        format!(
            r#"{{"errorType":"Sandbox.Timedout","errorMessage":"RequestId: {} Error: Task timed out after 1.00 seconds"}}"#,
            invoked.request_id
        )
    );
    let child: u32 = std::fs::read_to_string(&pid_file)
        .expect("pid file")
        .trim()
        .parse()
        .expect("pid");
    // Killed with its group; gone (or a zombie until reaped) once the kernel has delivered the SIGKILL.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let state = std::fs::read_to_string(format!("/proc/{child}/stat")).unwrap_or_default();
        if state.is_empty() || state.contains(") Z ") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the bootstrap's child {child} survived: {state}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(
        setup.executor.idle_count(),
        0,
        "a timed-out environment is not reused"
    );
    assert!(
        setup.log_text().contains("Status: timeout"),
        "{}",
        setup.log_text()
    );
}

#[tokio::test]
async fn a_runtime_that_exits_mid_invocation() {
    let setup = Setup::new("exit");
    let invoked = setup.invoke(r#"{"code":3}"#).await;
    assert!(invoked.function_error);
    let error = json(&invoked);
    assert_eq!(error["errorType"], "Runtime.ExitError");
    assert_eq!(
        error["errorMessage"],
        format!(
            "RequestId: {} Error: Runtime exited with error: exit status 3",
            invoked.request_id
        )
    );
    let clean = setup.invoke(r#"{"code":0}"#).await;
    assert_eq!(
        json(&clean)["errorMessage"],
        format!(
            "RequestId: {} Error: Runtime exited without providing a reason",
            clean.request_id
        )
    );
}

#[tokio::test]
async fn a_panic_is_reported_and_the_next_invoke_gets_a_fresh_environment() {
    let setup = Setup::new("panic");
    for _ in 0..2 {
        let invoked = setup.invoke("{}").await;
        assert!(invoked.function_error);
        assert_eq!(json(&invoked)["errorMessage"], "something went very wrong");
    }
    assert_eq!(
        setup.log_text().matches("INIT_START").count(),
        2,
        "aws-lambda-go exits after a panic"
    );
}

#[tokio::test]
async fn unusable_bootstraps_are_invalid_entrypoints() {
    let setup = Setup::new("echo");
    let bootstrap = setup.code_dir().join("bootstrap");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&bootstrap, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let invoked = setup.invoke("{}").await;
    assert_eq!(
        text(&invoked),
        format!(
            r#"{{"errorType":"Runtime.InvalidEntrypoint","errorMessage":"RequestId: {} Error: fork/exec /var/task/bootstrap: permission denied"}}"#,
            invoked.request_id
        )
    );
    std::fs::remove_file(&bootstrap).expect("rm");
    let invoked = setup.invoke("{}").await;
    assert_eq!(
        json(&invoked)["errorMessage"],
        format!(
            "RequestId: {} Error: Couldn't find valid bootstrap(s): [/var/task/bootstrap /opt/bootstrap]",
            invoked.request_id
        )
    );
    assert_init_failed_twice(&setup.log_text(), "Runtime.InvalidEntrypoint");
}

#[tokio::test]
async fn a_foreign_architecture_bootstrap_is_an_exec_format_error_with_an_explanation() {
    let mut setup = Setup::new("echo");
    let foreign = if cfg!(target_arch = "x86_64") {
        "arm64"
    } else {
        "amd64"
    };
    std::fs::copy(
        lamina_testing::go_bootstrap_for("echo", foreign),
        setup.code_dir().join("bootstrap"),
    )
    .expect("copy");
    setup.version.architecture = if foreign == "arm64" {
        lamina_model::Architecture::Arm64
    } else {
        lamina_model::Architecture::X86_64
    };
    let invoked = setup.invoke("{}").await;
    let error = json(&invoked);
    assert_eq!(error["errorType"], "Runtime.InvalidEntrypoint");
    assert!(
        error["errorMessage"]
            .as_str()
            .is_some_and(|m| m.ends_with("fork/exec /var/task/bootstrap: exec format error")),
        "{error}"
    );
    assert!(
        setup.log_text().contains("qemu-user"),
        "the log says why: {}",
        setup.log_text()
    );
}

#[tokio::test]
async fn oversized_responses() {
    let setup = Setup::new("large");
    let invoked = setup.invoke(r#"{"size":7000000}"#).await;
    assert_eq!(
        text(&invoked),
        r#"{"errorType":"Function.ResponseSizeTooLarge","errorMessage":"Response payload size exceeded maximum allowed payload size (6291556 bytes)."}"#
    );
    let small = setup.invoke(r#"{"size":3}"#).await;
    assert_eq!(text(&small), r#""xxx""#);
}

#[tokio::test]
async fn init_that_never_finishes_times_out() {
    let setup = Setup::with_config("echo", |c| c.init_timeout = Duration::from_millis(500));
    let script = setup.code_dir().join("bootstrap");
    std::fs::write(&script, "#!/bin/sh\nexec sleep 30\n").expect("write");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let started = std::time::Instant::now();
    let invoked = setup.invoke("{}").await;
    assert!(invoked.function_error);
    assert_eq!(json(&invoked)["errorType"], "Sandbox.Timedout");
    assert_eq!(
        json(&invoked)["errorMessage"],
        format!(
            "RequestId: {} Error: Task timed out after 3.00 seconds",
            invoked.request_id
        )
    );
    // The init limit, then the retry within the invocation, bounded by the function's 3 s.
    assert!(
        started.elapsed() >= Duration::from_millis(3500),
        "{:?}",
        started.elapsed()
    );
    let log = setup.log_text();
    assert!(log.contains("\tPhase: init\tStatus: timeout"), "{log}");
    assert!(log.contains("\tPhase: invoke\tStatus: timeout"), "{log}");
    assert_eq!(log.matches("INIT_START").count(), 1, "{log}");
}

#[tokio::test]
async fn a_failed_init_is_retried_within_the_first_invocation() {
    let setup = Setup::new("echo");
    let code = setup.code_dir();
    std::fs::rename(code.join("bootstrap"), code.join("echo")).expect("rename");
    // Fails its first init (exits before asking for an event), then runs the echo function.
    let script = code.join("bootstrap");
    std::fs::write(
        &script,
        "#!/bin/sh\nif [ ! -e tried ]; then touch tried; exit 2; fi\nexec ./echo\n",
    )
    .expect("write");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let invoked = setup.invoke(r#"{"retried":true}"#).await;
    assert!(!invoked.function_error, "{}", text(&invoked));
    assert_eq!(text(&invoked), r#"{"retried":true}"#);
    let log = setup.log_text();
    assert!(
        log.contains("\tPhase: init\tStatus: error\tError Type: Runtime.ExitError"),
        "{log}"
    );
    assert!(!log.contains("Phase: invoke"), "{log}");
    assert!(
        log.contains("\tInit Duration: "),
        "the REPORT carries the retried init's duration: {log}"
    );
}
