//! Results, warm reuse, the environment a bootstrap sees, log tails.

use base64::Engine;

use crate::util::{Setup, json, request, text};

#[tokio::test]
async fn cold_then_warm() {
    let setup = Setup::new("echo");
    let first = setup.invoke(r#"{"n":1}"#).await;
    assert_eq!(text(&first), r#"{"n":1}"#);
    assert!(!first.function_error);
    assert_eq!(setup.executor.idle_count(), 1);
    let second = setup.invoke(r#"{"n":2}"#).await;
    assert_eq!(text(&second), r#"{"n":2}"#);
    assert_eq!(setup.executor.idle_count(), 1, "the warm environment was reused");
    let log = setup.log_text();
    assert_eq!(log.matches("INIT_START").count(), 1, "{log}");
    assert_eq!(
        log.matches("Init Duration:").count(),
        1,
        "only the cold start reports init: {log}"
    );
    assert_eq!(log.matches("REPORT RequestId: ").count(), 2, "{log}");
    assert!(
        log.contains(&format!("START RequestId: {} Version: $LATEST", first.request_id)),
        "{log}"
    );
    assert!(
        log.contains(&format!("END RequestId: {}", second.request_id)),
        "{log}"
    );
}

#[tokio::test]
async fn the_bootstrap_sees_lambdas_environment() {
    let setup = Setup::new("env");
    let vars = json(&setup.invoke("{}").await);
    let code = setup.code_dir().to_string_lossy().into_owned();
    assert_eq!(vars["__cwd"], code.as_str());
    assert_eq!(vars["LAMBDA_TASK_ROOT"], code.as_str());
    assert_eq!(vars["AWS_LAMBDA_FUNCTION_NAME"], "env");
    assert_eq!(vars["AWS_LAMBDA_FUNCTION_VERSION"], "$LATEST");
    assert_eq!(vars["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"], "128");
    assert_eq!(vars["AWS_LAMBDA_LOG_GROUP_NAME"], "/aws/lambda/env");
    assert!(
        vars["AWS_LAMBDA_LOG_STREAM_NAME"]
            .as_str()
            .is_some_and(|s| s.contains("/[$LATEST]")),
        "{vars}"
    );
    assert!(
        vars["AWS_LAMBDA_RUNTIME_API"]
            .as_str()
            .is_some_and(|s| s.starts_with("127.0.0.1:")),
        "{vars}"
    );
    assert_eq!(vars["AWS_REGION"], "us-east-1");
    assert_eq!(vars["AWS_DEFAULT_REGION"], "us-east-1");
    assert_eq!(vars["_HANDLER"], "bootstrap");
    assert_eq!(vars["TZ"], ":UTC");
    assert_eq!(vars["GREETING"], "hello", "the function's own variables");
    assert!(vars.get("AWS_LAMBDA_MAX_CONCURRENCY").is_none() && vars.get("_LAMBDA_SERVER_PORT").is_none());
}

#[tokio::test]
async fn tails_hold_the_invocations_log() {
    let setup = Setup::new("sleep");
    let mut req = request(r#"{"ms":1}"#);
    req.tail = true;
    let invoked = setup.invoke_request(req).await;
    let tail = String::from_utf8(invoked.log_tail.expect("a tail")).expect("text");
    assert!(
        tail.starts_with(&format!("START RequestId: {}", invoked.request_id)),
        "{tail}"
    );
    assert!(tail.contains("sleeping 1 ms\nwoke up\n"), "{tail}");
    assert!(
        tail.contains(&format!("END RequestId: {}", invoked.request_id)),
        "{tail}"
    );
    let report = tail.lines().last().expect("REPORT line");
    assert!(
        report.starts_with(&format!("REPORT RequestId: {}\tDuration: ", invoked.request_id)),
        "{report}"
    );
    assert!(
        report.contains("\tMemory Size: 128 MB\tMax Memory Used: ") && report.ends_with('\t'),
        "{report}"
    );
    assert!(report.contains("\tInit Duration: "), "{report}");
    // As the control API will send it.
    assert!(
        !base64::engine::general_purpose::STANDARD
            .encode(tail.as_bytes())
            .is_empty()
    );
}

#[tokio::test]
async fn max_memory_used_is_measured() {
    // Measured from /proc for the whole process group: a Go echo function uses a few MB.
    let setup = Setup::new("echo");
    let mut req = request("{}");
    req.tail = true;
    let tail = String::from_utf8(setup.invoke_request(req).await.log_tail.expect("tail")).expect("text");
    let used: u64 = tail
        .split("Max Memory Used: ")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .expect("a Max Memory Used figure");
    assert!(
        (1..128).contains(&used),
        "{used} MB for a Go echo function: {tail}"
    );
}

#[tokio::test]
async fn a_layers_bootstrap_runs_when_the_function_has_none() {
    let mut setup = Setup::new("env");
    let opt = setup.dir.path().join("opt");
    std::fs::create_dir(&opt).expect("mkdir");
    std::fs::rename(setup.code_dir().join("bootstrap"), opt.join("bootstrap")).expect("move bootstrap");
    setup.version.opt_dir = Some(opt.clone());
    let vars = json(&setup.invoke("{}").await);
    let code = setup.code_dir().to_string_lossy().into_owned();
    let opt = opt.to_string_lossy().into_owned();
    assert_eq!(
        vars["__cwd"],
        code.as_str(),
        "the working directory stays the task root"
    );
    assert_eq!(vars["LAMINA_OPT_DIR"], opt.as_str(), "{vars}");
    assert!(
        vars["PATH"]
            .as_str()
            .is_some_and(|p| p.ends_with(&format!(":{opt}/bin"))),
        "{vars}"
    );
    assert!(
        vars["LD_LIBRARY_PATH"]
            .as_str()
            .is_some_and(|p| p.ends_with(&format!(":{opt}/lib"))),
        "{vars}"
    );
}
