//! Starting a bootstrap against a live Runtime API, and building the fixtures it runs.

use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lamina_runtime_api::{EnvironmentInfo, Invocation, Lifecycle, Outcome, RuntimeApi};
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// Longest a test waits for a bootstrap to answer or exit.
const PATIENCE: Duration = Duration::from_secs(60);

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

pub(crate) use lamina_testing::{go_bootstrap, repo_root, rust_bootstrap, venv_python};
