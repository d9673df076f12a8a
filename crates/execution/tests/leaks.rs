//! Thousands of short-lived sandboxed environments of real aws-lambda-go functions, ended every way the
//! executor ends them (shut down when idle, the runtime exiting mid-invocation), leave nothing behind:
//! no cgroup, mount, process, file descriptor, staging entry or tmpfs memory.

use std::time::{Duration, Instant};

use lamina_execution::{Executor, ExecutorConfig, Isolation};
use lamina_testing::footprint::{Footprint, shmem_bytes};

use crate::util::{self, json, leak_sandbox, request, text, version_for};

/// How many environments the test starts, unless `LAMINA_EXECUTION_LEAK_RUNS` says otherwise.
fn environments() -> usize {
    std::env::var("LAMINA_EXECUTION_LEAK_RUNS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(2_000)
}

/// Invocations in flight at once (each in an environment of its own).
const BATCH: usize = 8;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousands_of_environments_leave_nothing_behind() {
    let Some(sandbox) = leak_sandbox() else { return };
    let _host = util::exclusive();
    let dir = tempfile::tempdir().expect("tempdir");
    let mut versions = Vec::new();
    for fixture in ["hello", "exit"] {
        let code = dir.path().join(fixture);
        std::fs::create_dir(&code).expect("mkdir");
        std::fs::copy(lamina_testing::go_bootstrap(fixture), code.join("bootstrap")).expect("copy");
        versions.push(version_for(fixture, &code));
    }
    let mut config = ExecutorConfig::new(dir.path().join("logs"));
    config.isolation = Isolation::Sandbox(sandbox.clone());
    let executor = Executor::new(config);
    let parents = sandbox.cgroups().expect("cgroups").parent_dirs();
    let staging = sandbox.config().staging_dir.clone();

    // Warm up: the cgroup parents, the staging directory, the reaper task, the runtime's threads.
    run_batch(&executor, &versions, 0).await;
    executor.shut_down_all().await;
    let before = Footprint::measure(&parents, &staging);
    let shmem_before = shmem_bytes();

    let runs = environments();
    let started = Instant::now();
    for first in (BATCH..runs + BATCH).step_by(BATCH) {
        run_batch(&executor, &versions, first).await;
        executor.shut_down_all().await;
    }
    let elapsed = started.elapsed();

    // An environment whose runtime exited is torn down in the background: give that a moment.
    let deadline = Instant::now() + Duration::from_secs(10);
    let after = loop {
        let now = Footprint::measure(&parents, &staging);
        if within(&now, &before) || Instant::now() > deadline {
            break now;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    eprintln!("{runs} environments in {elapsed:?}; before {before:?}, after {after:?}");
    assert!(
        within(&after, &before),
        "resources leaked over {runs} environments: before {before:?}, after {after:?}"
    );
    let grown = shmem_bytes().saturating_sub(shmem_before);
    assert!(grown < 64 * 1024 * 1024, "tmpfs memory grew by {grown} bytes");
    // Logs are the one thing that stays, bounded per function.
    let log_bytes: u64 = ["hello", "exit"]
        .iter()
        .flat_map(|f| {
            executor
                .logs()
                .stream_files(&format!("000000000000/us-east-1/{f}"))
                .expect("streams")
        })
        .map(|f| std::fs::metadata(f).map_or(0, |m| m.len()))
        .sum();
    let limits = lamina_execution::logs::LogLimits::default();
    assert!(log_bytes <= 2 * limits.max_stream_bytes * limits.max_streams_per_function as u64);
}

/// Nothing grew (process-wide counts may shrink when another test's leftovers go away meanwhile; this
/// sandbox's own cgroups and staging entries must be exactly as before).
fn within(now: &Footprint, before: &Footprint) -> bool {
    now.cgroups == before.cgroups
        && now.staging_entries == before.staging_entries
        && now.host_mounts <= before.host_mounts
        && now.fds <= before.fds
        && now.children <= before.children
}

/// `BATCH` invocations at once, each in a new environment (its own revision): three of four answer, the
/// fourth's runtime exits mid-invocation.
async fn run_batch(executor: &Executor, versions: &[lamina_execution::FunctionVersion], first: usize) {
    let mut set = tokio::task::JoinSet::new();
    for i in first..first + BATCH {
        let exits = i % 4 == 3;
        let mut version = versions[usize::from(exits)].clone();
        version.revision = format!("rev-{i}");
        let executor = executor.clone();
        set.spawn(async move {
            let payload = if exits {
                r#"{"code":3}"#
            } else {
                r#"{"name":"leak"}"#
            };
            let invoked = tokio::time::timeout(
                Duration::from_secs(60),
                executor.invoke(&version, request(payload)),
            )
            .await
            .expect("an answer within a minute")
            .expect("not throttled");
            (exits, invoked)
        });
    }
    while let Some(joined) = set.join_next().await {
        let (exits, invoked) = joined.expect("invocation task");
        if exits {
            assert!(invoked.function_error, "{}", text(&invoked));
            assert_eq!(
                json(&invoked)["errorType"],
                "Runtime.ExitError",
                "{}",
                text(&invoked)
            );
        } else {
            assert!(!invoked.function_error, "{}", text(&invoked));
            assert_eq!(json(&invoked)["message"], "hello, leak");
        }
    }
}
