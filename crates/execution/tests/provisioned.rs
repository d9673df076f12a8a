//! Provisioned environments: started ahead of invocations, used without a cold start, replaced when they
//! die, failed when their init fails, released.

use std::time::{Duration, Instant};

use lamina_execution::{Provision, ProvisionedState};

use crate::util::{Setup, text};

fn provision(setup: &Setup, count: u32, token: &str) {
    setup.executor.provision(
        &setup.version.function_arn,
        vec![Provision {
            version: setup.version.clone(),
            count,
            token: token.to_owned(),
        }],
    );
}

fn state(setup: &Setup) -> Option<ProvisionedState> {
    setup
        .executor
        .provisioned_state(&setup.version.function_arn, &setup.version.version)
}

/// Waits until the version's provisioned state satisfies `done`.
async fn wait_for(setup: &Setup, what: &str, done: impl Fn(&ProvisionedState) -> bool) -> ProvisionedState {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(state) = state(setup).filter(|s| done(s)) {
            return state;
        }
        assert!(Instant::now() < deadline, "{what}: {:?}", state(setup));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn published(fixture: &str) -> Setup {
    let mut setup = Setup::new(fixture);
    setup.version.version = "1".to_owned();
    setup
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provisioned_environments_serve_without_a_cold_start() {
    let setup = std::sync::Arc::new(published("sleep"));
    provision(&setup, 2, "a");
    let ready = wait_for(&setup, "two initialised", |s| s.allocated == 2).await;
    assert_eq!(ready.requested, 2);
    assert_eq!(ready.available, 2, "both idle");
    assert_eq!(ready.failure, None);
    assert_eq!(setup.log_text().matches("INIT_START").count(), 2);

    let tasks: Vec<_> = (0..2)
        .map(|_| {
            let setup = setup.clone();
            tokio::spawn(async move { setup.invoke(r#"{"ms":800}"#).await })
        })
        .collect();
    // While both run an invocation they stay allocated but none is available.
    wait_for(&setup, "both busy", |s| s.allocated == 2 && s.available == 0).await;
    for task in tasks {
        assert_eq!(text(&task.await.expect("join")), r#""slept""#);
    }
    let log = setup.log_text();
    assert_eq!(
        log.matches("INIT_START").count(),
        2,
        "no environment started on demand: {log}"
    );
    assert_eq!(log.matches("REPORT RequestId: ").count(), 2, "{log}");
    assert!(!log.contains("Init Duration"), "{log}");
    assert_eq!(
        setup.executor.idle_count(),
        0,
        "they went back to the provisioned pool"
    );
    assert_eq!(state(&setup).map(|s| (s.allocated, s.available)), Some((2, 2)));

    // Releasing them: the next invocation starts an environment of its own.
    setup.executor.provision(&setup.version.function_arn, Vec::new());
    assert_eq!(state(&setup), None);
    setup.invoke(r#"{"ms":1}"#).await;
    assert_eq!(setup.log_text().matches("Init Duration").count(), 1);
}

#[tokio::test]
async fn a_provisioned_environment_that_dies_is_replaced() {
    let setup = published("exit");
    provision(&setup, 1, "a");
    wait_for(&setup, "one initialised", |s| s.allocated == 1).await;
    let invoked = setup.invoke(r#"{"code":3}"#).await;
    assert!(invoked.function_error);
    wait_for(&setup, "a replacement", |s| s.allocated == 1).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    while setup.log_text().matches("INIT_START").count() < 2 {
        assert!(Instant::now() < deadline, "{}", setup.log_text());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_failed_init_stops_the_provision_until_it_is_set_again() {
    let setup = published("echo");
    let script = setup.code_dir().join("bootstrap");
    std::fs::write(&script, "#!/bin/sh\nexit 2\n").expect("write");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    provision(&setup, 2, "a");
    let failed = wait_for(&setup, "failed", |s| s.failure.is_some()).await;
    assert_eq!(failed.failure.as_deref(), Some("Runtime.ExitError"));
    assert_eq!(failed.allocated, 0);
    // The same provision again is not retried; a new one is.
    let inits = setup.log_text().matches("INIT_START").count();
    provision(&setup, 2, "a");
    assert!(state(&setup).is_some_and(|s| s.failure.is_some()));
    provision(&setup, 2, "b");
    assert_eq!(state(&setup).and_then(|s| s.failure), None);
    wait_for(&setup, "failed again", |s| s.failure.is_some()).await;
    assert!(setup.log_text().matches("INIT_START").count() > inits);
}
