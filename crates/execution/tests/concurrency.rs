//! Scale-out, reserved and account concurrency, idle reaping and spin-down.

use std::time::{Duration, Instant};

use lamina_execution::{ExecutionError, ThrottleReason};

use crate::util::{Setup, request, text};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_invocations_scale_out() {
    // All 16 ask for an environment at once, before any could be idle again (each holds its own for
    // 300 ms after starting it): sixteen warm environments afterwards mean none waited for another's.
    // How fast environments scale out is measured by the benchmark (`lamina-bench`, scale-out), not here.
    let setup = std::sync::Arc::new(Setup::new("sleep"));
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let setup = setup.clone();
            tokio::spawn(async move { setup.invoke(r#"{"ms":300}"#).await })
        })
        .collect();
    for task in tasks {
        assert_eq!(text(&task.await.expect("join")), r#""slept""#);
    }
    assert_eq!(
        setup.executor.idle_count(),
        16,
        "one environment per concurrent invocation"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reserved_concurrency_throttles_with_its_reason() {
    let mut setup = Setup::new("sleep");
    setup.version.reserved_concurrency = Some(1);
    let setup = std::sync::Arc::new(setup);
    let busy = tokio::spawn({
        let setup = setup.clone();
        async move { setup.invoke(r#"{"ms":1500}"#).await }
    });
    wait_until_running(&setup, 1500).await;
    let throttled = setup
        .executor
        .invoke(&setup.version, request(r#"{"ms":1}"#))
        .await;
    assert_eq!(
        throttled,
        Err(ExecutionError::Throttled(
            ThrottleReason::ReservedFunctionConcurrentInvocationLimitExceeded
        ))
    );
    assert_eq!(text(&busy.await.expect("join")), r#""slept""#);
    assert!(
        setup
            .executor
            .invoke(&setup.version, request(r#"{"ms":1}"#))
            .await
            .is_ok(),
        "the slot was given back"
    );

    let mut zero = setup.version.clone();
    zero.reserved_concurrency = Some(0);
    assert_eq!(
        setup.executor.invoke(&zero, request("{}")).await,
        Err(ExecutionError::Throttled(
            ThrottleReason::ReservedFunctionConcurrentInvocationLimitExceeded
        ))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn account_concurrency_throttles_unreserved_functions() {
    let setup = std::sync::Arc::new(Setup::with_config("sleep", |c| c.account_concurrency = 1));
    let busy = tokio::spawn({
        let setup = setup.clone();
        async move { setup.invoke(r#"{"ms":1500}"#).await }
    });
    wait_until_running(&setup, 1500).await;
    assert_eq!(
        setup.executor.invoke(&setup.version, request("{}")).await,
        Err(ExecutionError::Throttled(
            ThrottleReason::ConcurrentInvocationLimitExceeded
        ))
    );
    busy.await.expect("join");
}

#[tokio::test]
async fn idle_environments_are_reaped() {
    let setup = Setup::with_config("echo", |c| c.idle_timeout = Duration::from_millis(500));
    setup.invoke("{}").await;
    assert_eq!(setup.executor.idle_count(), 1);
    let deadline = Instant::now() + Duration::from_secs(30);
    while setup.executor.idle_count() > 0 {
        assert!(
            Instant::now() < deadline,
            "an environment idle for 500 ms was not reaped in 30 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn an_update_sends_new_invocations_to_new_environments() {
    let mut setup = Setup::new("echo");
    setup.invoke("{}").await;
    setup.version.revision = "rev-2".to_owned();
    setup.executor.retire(&setup.version.function_arn).await;
    assert_eq!(setup.executor.idle_count(), 0);
    setup.invoke("{}").await;
    assert_eq!(setup.log_text().matches("INIT_START").count(), 2);
}

#[tokio::test]
async fn spin_down_sends_sigterm_to_runtimes_with_extensions() {
    let setup = Setup::new("sigterm");
    assert_eq!(text(&setup.invoke("{}").await), r#""ok""#);
    setup.executor.retire(&setup.version.function_arn).await;
    let deadline = Instant::now() + Duration::from_secs(5);
    while !setup.log_text().contains("got SIGTERM") {
        assert!(Instant::now() < deadline, "no SIGTERM: {}", setup.log_text());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until the `sleep` fixture has started sleeping `ms` (its first line is in the function's log):
/// the invocation holds its unit of concurrency from then until it wakes.
async fn wait_until_running(setup: &Setup, ms: u32) {
    let line = format!("sleeping {ms} ms");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !setup.log_text().contains(&line) {
        assert!(
            Instant::now() < deadline,
            "the invocation did not start in 30 s: {}",
            setup.log_text()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
