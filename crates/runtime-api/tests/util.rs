//! Starting a bootstrap against a live Runtime API, and building the fixtures it runs.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use lamina_runtime_api::{EnvironmentInfo, Invocation, Lifecycle, Outcome, RuntimeApi};
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// Longest a test waits for a bootstrap to answer or exit.
const PATIENCE: Duration = Duration::from_secs(60);

pub(crate) fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("repo root")
}

fn scratch() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("runtime-api-fixtures")
}

/// A running bootstrap and the Runtime API it talks to.
pub(crate) struct Environment {
    pub(crate) api: Arc<RuntimeApi>,
    child: tokio::process::Child,
    output: Arc<Mutex<String>>,
    server: JoinHandle<std::io::Result<()>>,
    readers: Vec<JoinHandle<()>>,
}

impl Environment {
    /// Starts `program` with the environment variables every runtime library needs.
    pub(crate) async fn start(program: &Path, args: &[&str], cwd: &Path) -> Environment {
        let api = RuntimeApi::new(EnvironmentInfo::new("fixture", "$LATEST", "handler"));
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = listener.local_addr().expect("address");
        let server = tokio::spawn(lamina_runtime_api::serve(api.clone(), listener));
        let mut child = tokio::process::Command::new(program)
            .args(args)
            .current_dir(cwd)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("AWS_LAMBDA_RUNTIME_API", address.to_string())
            .env("AWS_LAMBDA_FUNCTION_NAME", "fixture")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
            .env("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/fixture")
            .env(
                "AWS_LAMBDA_LOG_STREAM_NAME",
                "2026/11/24/[$LATEST]0123456789abcdef0123456789abcdef",
            )
            .env("AWS_REGION", "us-east-1")
            .env("LAMBDA_TASK_ROOT", cwd)
            .env("_HANDLER", args.last().copied().unwrap_or("bootstrap"))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", program.display()));
        let output = Arc::new(Mutex::new(String::new()));
        let mut readers = Vec::new();
        let stdout = child.stdout.take().expect("stdout");
        let stderr = child.stderr.take().expect("stderr");
        readers.push(tokio::spawn(capture(stdout, output.clone())));
        readers.push(tokio::spawn(capture(stderr, output.clone())));
        Environment {
            api,
            child,
            output,
            server,
            readers,
        }
    }

    /// Invokes with `payload` and waits for the answer.
    pub(crate) async fn invoke(&self, request_id: &str, payload: &str) -> Outcome {
        self.invoke_with(Invocation::new(request_id, payload.as_bytes().to_vec(), ARN))
            .await
    }

    pub(crate) async fn invoke_with(&self, invocation: Invocation) -> Outcome {
        match tokio::time::timeout(PATIENCE, self.api.invoke(invocation)).await {
            Ok(Ok(outcome)) => outcome,
            Ok(Err(e)) => panic!("invoke failed: {e}\n{}", self.output()),
            Err(_) => panic!("no answer in {PATIENCE:?}\n{}", self.output()),
        }
    }

    /// Waits until init is over (the runtime and its extensions polled, or init failed).
    pub(crate) async fn wait_initialized(&self) -> Lifecycle {
        let mut lifecycle = self.api.lifecycle();
        let waited =
            tokio::time::timeout(PATIENCE, lifecycle.wait_for(|l| *l != Lifecycle::Initializing)).await;
        match waited {
            Ok(Ok(state)) => state.clone(),
            _ => panic!("init did not finish\n{}", self.output()),
        }
    }

    /// Waits for the bootstrap to exit.
    pub(crate) async fn exit_status(&mut self) -> ExitStatus {
        let status = tokio::time::timeout(PATIENCE, self.child.wait()).await;
        let status = status
            .unwrap_or_else(|_| panic!("still running\n{}", self.output()))
            .expect("wait");
        for reader in self.readers.drain(..) {
            let _ = reader.await;
        }
        status
    }

    /// Sends `signal` to the bootstrap.
    pub(crate) fn signal(&self, signal: &str) {
        let pid = self.child.id().expect("running").to_string();
        let status = Command::new("kill")
            .args(["-s", signal, &pid])
            .status()
            .expect("kill");
        assert!(status.success());
    }

    /// Everything the bootstrap printed so far.
    pub(crate) fn output(&self) -> String {
        self.output.lock().map(|o| o.clone()).unwrap_or_default()
    }
}

impl Drop for Environment {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn capture(mut stream: impl tokio::io::AsyncRead + Unpin, output: Arc<Mutex<String>>) {
    let mut buf = vec![0u8; 8192];
    while let Ok(n) = stream.read(&mut buf).await {
        if n == 0 {
            break;
        }
        if let Ok(mut out) = output.lock() {
            out.push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    }
}

pub(crate) const ARN: &str = "arn:aws:lambda:us-east-1:000000000000:function:fixture";

/// The body of a response outcome as text; panics on any other outcome.
pub(crate) fn response_text(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Response { body, .. } => String::from_utf8_lossy(body).into_owned(),
        other => panic!("expected a response, got {other:?}"),
    }
}

/// The error JSON and type of a function-error outcome; panics on any other outcome.
pub(crate) fn function_error(outcome: &Outcome) -> (serde_json::Value, String) {
    match outcome {
        Outcome::FunctionError { body, error_type } => (
            serde_json::from_slice(body).expect("error JSON"),
            error_type.clone(),
        ),
        other => panic!("expected a function error, got {other:?}"),
    }
}

/// Builds a Go fixture as AWS documents (`-tags lambda.norpc`, static) once per test run.
pub(crate) fn go_bootstrap(name: &str) -> PathBuf {
    static BUILT: OnceLock<Mutex<HashMap<String, PathBuf>>> = OnceLock::new();
    let built = BUILT.get_or_init(Default::default);
    let mut built = built.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(path) = built.get(name) {
        return path.clone();
    }
    let out = scratch().join("go").join(name).join("bootstrap");
    let output = Command::new("go")
        .current_dir(repo_root().join("tests/fixtures/go").join(name))
        .args(["build", "-tags", "lambda.norpc", "-trimpath", "-o"])
        .arg(&out)
        .arg(".")
        .env("CGO_ENABLED", "0")
        .output()
        .expect("go is on PATH");
    assert!(
        output.status.success(),
        "go build {name}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    built.insert(name.to_owned(), out.clone());
    out
}

/// Builds the Rust `lambda_runtime` fixture once per test run.
pub(crate) fn rust_bootstrap() -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let target = scratch().join("rust");
            let output = Command::new(env!("CARGO"))
                .args(["build", "--release", "--locked", "--manifest-path"])
                .arg(repo_root().join("tests/fixtures/rust/echo/Cargo.toml"))
                .arg("--target-dir")
                .arg(&target)
                .env_remove("CARGO_TARGET_DIR")
                .env_remove("RUSTFLAGS")
                .output()
                .expect("cargo");
            assert!(
                output.status.success(),
                "cargo build: {}",
                String::from_utf8_lossy(&output.stderr)
            );
            target.join("release/bootstrap")
        })
        .clone()
}

/// The Python of the `.venv` that `scripts/test` creates, with awslambdaric installed.
pub(crate) fn venv_python() -> PathBuf {
    let python = repo_root().join(".venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run scripts/test, which installs it",
        python.display()
    );
    python
}
