//! Environments in sandbox isolation (as root; skipped otherwise, failed when `LAMINA_REQUIRE_ROOT_TESTS` is
//! set): the task root, the identity, the memory limit and foreign architectures under qemu-user.

use lamina_execution::Invoked;

use crate::util::{Setup, assert_init_failed_twice, json, text};

/// The answer of an invocation whose runtime the OOM killer ended.
fn assert_out_of_memory(invoked: &Invoked) {
    assert!(invoked.function_error);
    assert_eq!(
        text(invoked),
        format!(
            r#"{{"errorType":"Runtime.OutOfMemory","errorMessage":"RequestId: {} Error: Runtime exited with error: signal: killed"}}"#,
            invoked.request_id
        )
    );
}

fn host_goarch() -> &'static str {
    if cfg!(target_arch = "aarch64") {
        "arm64"
    } else {
        "amd64"
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bootstrap_sees_a_read_only_task_root_as_a_non_root_user() {
    let Some(setup) = Setup::sandboxed("hostile", host_goarch()) else {
        return;
    };
    let host_code = setup.code_dir().display().to_string();
    let invoked = setup
        .invoke(&format!(
            r#"{{"action":"probe","paths":["{host_code}/bootstrap","/etc/shadow","/root"]}}"#
        ))
        .await;
    assert!(!invoked.function_error, "{}", text(&invoked));
    let probe = json(&invoked);
    assert_eq!(probe["cwd"], "/var/task", "{probe}");
    assert_eq!(probe["taskRoot"], "/var/task", "{probe}");
    assert_ne!(probe["uid"], 0, "{probe}");
    assert_ne!(probe["euid"], 0, "{probe}");
    assert_eq!(
        probe["writeTask"], "open /var/task/planted: read-only file system",
        "{probe}"
    );
    assert!(
        !setup.code_dir().join("planted").exists(),
        "nothing lands in the code directory"
    );
    assert_eq!(probe["setuid0"], "operation not permitted", "{probe}");
    assert_eq!(probe["writeTmp"], "ok", "{probe}");
    let reads = &probe["reads"];
    assert!(
        reads[format!("{host_code}/bootstrap")]
            .as_str()
            .is_some_and(|e| e.ends_with("no such file or directory")),
        "the host path of the code is not visible: {probe}"
    );
    assert!(
        reads["/etc/shadow"]
            .as_str()
            .is_some_and(|e| e.ends_with("no such file or directory")),
        "{probe}"
    );
    assert!(
        reads["/root"]
            .as_str()
            .is_some_and(|e| e.ends_with("no such file or directory")),
        "{probe}"
    );
    let pids = probe["pids"].as_array().expect("pids");
    assert!(
        pids.len() <= 3,
        "only the sandbox's own processes are visible: {pids:?}"
    );
    let log = setup.log_text();
    assert!(log.contains("Max Memory Used: "), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn allocating_past_the_memory_size_during_init_is_runtime_out_of_memory() {
    let Some(mut setup) = Setup::sandboxed("hostile", host_goarch()) else {
        return;
    };
    setup
        .version
        .environment
        .insert("HOSTILE_INIT_ALLOCATE_MB".to_owned(), "512".to_owned());
    let invoked = setup.invoke(r#"{"action":"allocate","mb":1}"#).await;
    assert_out_of_memory(&invoked);
    assert_init_failed_twice(&setup.log_text(), "Runtime.OutOfMemory");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn allocating_past_the_memory_size_is_runtime_out_of_memory_and_the_next_invoke_starts_fresh() {
    let Some(setup) = Setup::sandboxed("hostile", host_goarch()) else {
        return;
    };
    let invoked = setup.invoke(r#"{"action":"allocate","mb":512}"#).await;
    assert_out_of_memory(&invoked);
    let small = setup.invoke(r#"{"action":"allocate","mb":16}"#).await;
    assert!(!small.function_error, "{}", text(&small));
    assert_eq!(json(&small)["allocated"], 16);
    let log = setup.log_text();
    assert_eq!(log.matches("INIT_START").count(), 2, "a fresh environment: {log}");
    assert!(log.contains("Error Type: Runtime.OutOfMemory"), "{log}");
    let peak: u64 = log
        .lines()
        .filter(|l| l.contains("REPORT RequestId"))
        .filter_map(|l| l.split("Max Memory Used: ").nth(1))
        .filter_map(|v| v.split(' ').next()?.parse().ok())
        .max()
        .expect("a REPORT with Max Memory Used");
    assert!(
        (100..=128).contains(&peak),
        "the OOM-killed environment peaked at its limit: {peak} MB\n{log}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_foreign_architecture_bootstrap_runs_under_qemu() {
    let foreign = if host_goarch() == "amd64" {
        "arm64"
    } else {
        "amd64"
    };
    let Some(mut setup) = Setup::sandboxed("echo", foreign) else {
        return;
    };
    setup.version.architecture = if foreign == "arm64" {
        lamina_model::Architecture::Arm64
    } else {
        lamina_model::Architecture::X86_64
    };
    let invoked = setup.invoke(r#"{"hello":"qemu"}"#).await;
    assert!(
        !invoked.function_error,
        "{}\n{}",
        text(&invoked),
        setup.log_text()
    );
    assert_eq!(text(&invoked), r#"{"hello":"qemu"}"#);
    // Warm reuse works under the emulator too.
    let again = setup.invoke(r#"{"n":2}"#).await;
    assert_eq!(text(&again), r#"{"n":2}"#);
    assert_eq!(setup.log_text().matches("INIT_START").count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timeout_tears_the_sandbox_down() {
    let Some(mut setup) = Setup::sandboxed("sleep", host_goarch()) else {
        return;
    };
    setup.version.timeout_s = 1;
    let invoked = setup.invoke(r#"{"ms":5000}"#).await;
    assert_eq!(json(&invoked)["errorType"], "Sandbox.Timedout");
    assert_eq!(setup.executor.idle_count(), 0);
    let cgroups = std::fs::read_dir("/sys/fs/cgroup/memory/lamina-test-execution")
        .map(|d| d.filter_map(Result::ok).filter(|e| e.path().is_dir()).count())
        .unwrap_or(0);
    // Other tests of this binary may have sandboxes running; this one's is gone with its processes.
    assert!(cgroups <= 3, "{cgroups} sandbox cgroups left");
    let ok = setup.invoke(r#"{"ms":1}"#).await;
    assert_eq!(text(&ok), r#""slept""#);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_runtime_api_is_at_lambdas_address_inside_the_environments_own_network() {
    let Some(sandbox) = crate::util::sandbox_with_own_network() else {
        return;
    };
    let Some(setup) = Setup::sandboxed_by(sandbox, "hostile", host_goarch()) else {
        return;
    };
    let host_listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let host_service = host_listener.local_addr().expect("address");
    let payload = format!(r#"{{"action":"network","hostService":"{host_service}"}}"#);
    for attempt in ["cold", "warm"] {
        let invoked = setup.invoke(&payload).await;
        assert!(!invoked.function_error, "{attempt}: {}", text(&invoked));
        let report = json(&invoked);
        assert_eq!(report["runtimeApi"], "127.0.0.1:9001", "{attempt}: {report}");
        assert!(
            report["hostService"]
                .as_str()
                .is_some_and(|r| r.starts_with("error")),
            "{attempt}: the host's loopback is out of reach: {report}"
        );
    }
}
