//! Function versions whose code folder holds a Go fixture's bootstrap.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use lamina_execution::lamina_sandbox::{
    HelperCommand, IsolationMode, Network, NetworkPlan, Sandbox, SandboxConfig,
};
use lamina_execution::{Executor, ExecutorConfig, FunctionVersion, InvokeRequest, Invoked, Isolation};
use lamina_model::Architecture;

/// Every test that starts environments holds the host shared; the leak test, which counts the process's
/// children and file descriptors, holds it exclusively. (A std `RwLock` guard is not `Send`, and a
/// `Setup` moves between tasks.)
struct HostState {
    shared: usize,
    exclusive: bool,
}

static HOST: Mutex<HostState> = Mutex::new(HostState {
    shared: 0,
    exclusive: false,
});
static HOST_CHANGED: Condvar = Condvar::new();

fn host_state() -> std::sync::MutexGuard<'static, HostState> {
    HOST.lock().unwrap_or_else(|e| e.into_inner())
}

/// A shared hold on the host, given back on drop.
pub(crate) struct SharedHold;

impl SharedHold {
    fn take() -> SharedHold {
        let mut state = host_state();
        while state.exclusive {
            state = HOST_CHANGED.wait(state).unwrap_or_else(|e| e.into_inner());
        }
        state.shared += 1;
        SharedHold
    }
}

impl Drop for SharedHold {
    fn drop(&mut self) {
        host_state().shared -= 1;
        HOST_CHANGED.notify_all();
    }
}

/// The host to oneself until dropped: no other test starts environments meanwhile.
pub(crate) struct ExclusiveHold;

impl Drop for ExclusiveHold {
    fn drop(&mut self) {
        host_state().exclusive = false;
        HOST_CHANGED.notify_all();
    }
}

/// Waits until no other test holds the host, then holds it alone. That orders the tests of one process
/// (`cargo test`); under cargo-nextest, where each test is a process of its own, the `host-exclusive`
/// test group of `.config/nextest.toml` does, and this checks that the test is in it.
pub(crate) fn exclusive() -> ExclusiveHold {
    lamina_testing::host::assert_exclusive_under_nextest();
    let mut state = host_state();
    while state.exclusive || state.shared > 0 {
        state = HOST_CHANGED.wait(state).unwrap_or_else(|e| e.into_inner());
    }
    state.exclusive = true;
    ExclusiveHold
}

/// A code folder, an executor with logs beside it, and a version of a function running `fixture`.
pub(crate) struct Setup {
    pub(crate) dir: tempfile::TempDir,
    pub(crate) executor: Executor,
    pub(crate) version: FunctionVersion,
    _host: SharedHold,
}

impl Setup {
    pub(crate) fn new(fixture: &str) -> Setup {
        Setup::with_config(fixture, |_| {})
    }

    pub(crate) fn with_config(fixture: &str, configure: impl FnOnce(&mut ExecutorConfig)) -> Setup {
        let host = SharedHold::take();
        let dir = tempfile::tempdir().expect("tempdir");
        let code = dir.path().join("code");
        std::fs::create_dir(&code).expect("mkdir");
        std::fs::copy(lamina_testing::go_bootstrap(fixture), code.join("bootstrap")).expect("copy bootstrap");
        let mut config = ExecutorConfig::new(dir.path().join("logs"));
        configure(&mut config);
        let version = version_for(fixture, &code);
        Setup {
            executor: Executor::new(config),
            version,
            dir,
            _host: host,
        }
    }

    /// A setup whose environments run in sandboxes, or `None` (after printing why) when the tests do not
    /// run as root.
    pub(crate) fn sandboxed(fixture: &str, goarch: &str) -> Option<Setup> {
        Self::sandboxed_by(sandbox()?, fixture, goarch)
    }

    /// A setup whose environments run in sandboxes of `sandbox`.
    pub(crate) fn sandboxed_by(sandbox: Arc<Sandbox>, fixture: &str, goarch: &str) -> Option<Setup> {
        let setup = Setup::with_config(fixture, |c| c.isolation = Isolation::Sandbox(sandbox));
        std::fs::copy(
            lamina_testing::go_bootstrap_for(fixture, goarch),
            setup.code_dir().join("bootstrap"),
        )
        .expect("copy bootstrap");
        Some(setup)
    }

    pub(crate) fn code_dir(&self) -> &Path {
        &self.version.code_dir
    }

    pub(crate) async fn invoke(&self, payload: &str) -> Invoked {
        self.invoke_request(request(payload)).await
    }

    pub(crate) async fn invoke_request(&self, request: InvokeRequest) -> Invoked {
        tokio::time::timeout(
            Duration::from_secs(60),
            self.executor.invoke(&self.version, request),
        )
        .await
        .expect("an answer within a minute")
        .expect("not throttled")
    }

    /// Every line of every log stream of the function.
    pub(crate) fn log_text(&self) -> String {
        let mut text = String::new();
        for file in self
            .executor
            .logs()
            .stream_files(&self.version.log_folder())
            .expect("streams")
        {
            text.push_str(&std::fs::read_to_string(file).expect("read log"));
        }
        text
    }
}

/// The sandbox launcher of the tests (its own cgroup parent and staging directory, apart from a
/// server's), or `None` after printing why when not root (a failure instead when
/// `LAMINA_REQUIRE_ROOT_TESTS` is set). Fails when root cannot sandbox.
pub(crate) fn sandbox() -> Option<Arc<Sandbox>> {
    static SANDBOX: OnceLock<Arc<Sandbox>> = OnceLock::new();
    sandbox_named(&SANDBOX, "lamina-test-execution")
}

/// A sandbox launcher of its own for the test that counts what sandboxes leave behind.
pub(crate) fn leak_sandbox() -> Option<Arc<Sandbox>> {
    static SANDBOX: OnceLock<Arc<Sandbox>> = OnceLock::new();
    sandbox_named(&SANDBOX, "lamina-test-execution-leaks")
}

/// A sandbox launcher whose sandboxes have a network namespace of their own with only loopback, where
/// the Runtime API listens at 127.0.0.1:9001 (`lamina serve --function-network none`).
pub(crate) fn sandbox_with_own_network() -> Option<Arc<Sandbox>> {
    static SANDBOX: OnceLock<Arc<Sandbox>> = OnceLock::new();
    sandbox_configured(&SANDBOX, "lamina-test-execution-netns", |config| {
        config.spare_network = NetworkPlan {
            network: Network::Isolated,
            listen: Some(std::net::SocketAddrV4::new(std::net::Ipv4Addr::LOCALHOST, 9001)),
        };
    })
}

fn sandbox_named(cell: &'static OnceLock<Arc<Sandbox>>, name: &str) -> Option<Arc<Sandbox>> {
    sandbox_configured(cell, name, |_| {})
}

fn sandbox_configured(
    cell: &'static OnceLock<Arc<Sandbox>>,
    name: &str,
    configure: impl FnOnce(&mut SandboxConfig),
) -> Option<Arc<Sandbox>> {
    if !lamina_testing::host::root_or_skip(
        "sandbox isolation needs root",
        "run `sudo cargo test -p lamina-execution`",
    ) {
        return None;
    }
    let sandbox = cell.get_or_init(|| {
        let mut config = SandboxConfig::new(HelperCommand::binary(env!(
            "CARGO_BIN_EXE_lamina-execution-sandbox-init"
        )));
        config.cgroup_parent = name.to_owned();
        config.staging_dir = format!("/run/{name}/sandbox-root").into();
        configure(&mut config);
        let sandbox = Sandbox::new(IsolationMode::Sandbox, config)
            .expect("sandbox isolation must work as root (namespaces, cgroups with memory and pids)");
        Arc::new(sandbox)
    });
    Some(sandbox.clone())
}

pub(crate) fn version_for(name: &str, code: &Path) -> FunctionVersion {
    FunctionVersion {
        function_name: name.to_owned(),
        version: "$LATEST".to_owned(),
        function_arn: format!("arn:aws:lambda:us-east-1:000000000000:function:{name}"),
        region: "us-east-1".to_owned(),
        code_dir: code.to_owned(),
        opt_dir: None,
        revision: "rev-1".to_owned(),
        handler: "bootstrap".to_owned(),
        memory_mb: 128,
        timeout_s: 3,
        ephemeral_mb: 512,
        architecture: Architecture::host().expect("a Lambda architecture"),
        environment: BTreeMap::from([("GREETING".to_owned(), "hello".to_owned())]),
        log_group: format!("/aws/lambda/{name}"),
        logging: Default::default(),
        reserved_concurrency: None,
        runtime: Some("provided.al2023".to_owned()),
        package_warnings: Vec::new(),
        role: "arn:aws:iam::000000000000:role/lambda-role".to_owned(),
    }
}

pub(crate) fn request(payload: &str) -> InvokeRequest {
    InvokeRequest {
        payload: Bytes::from(payload.to_owned()),
        invoked_function_arn: "arn:aws:lambda:us-east-1:000000000000:function:f".to_owned(),
        ..InvokeRequest::default()
    }
}

pub(crate) fn text(invoked: &Invoked) -> String {
    String::from_utf8_lossy(&invoked.payload).into_owned()
}

pub(crate) fn json(invoked: &Invoked) -> serde_json::Value {
    serde_json::from_slice(&invoked.payload).unwrap_or_else(|e| panic!("{e}: {}", text(invoked)))
}

/// The log has the INIT_REPORT of a failed init twice, in the init phase and again within the invocation
/// (Lambda's suppressed init), with `error_type`.
pub(crate) fn assert_init_failed_twice(log: &str, error_type: &str) {
    for phase in ["init", "invoke"] {
        assert!(
            log.contains(&format!(
                "\tPhase: {phase}\tStatus: error\tError Type: {error_type}"
            )),
            "tried in the init phase, then again within the invocation: {log}"
        );
    }
}
