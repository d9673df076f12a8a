//! Test support shared by lamina's crates (a dev-dependency only).
//!
//! The fixture functions live as sources under `tests/fixtures/` and are built here, once per test
//! process, with the real toolchains: Go functions with aws-lambda-go exactly as AWS documents
//! (`-tags lambda.norpc`, static), a Rust function with `lambda_runtime`, and Python handlers run by
//! `awslambdaric` from the `.venv` that `scripts/test` installs. Builds go to `target/fixtures/`.
//!
//! [`host`] decides whether a test that needs root runs, skips or fails, and checks that a test that needs
//! the host to itself gets it; [`footprint`] counts what sandboxes leave behind.

pub mod footprint;
pub mod host;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};

/// The repository's root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("the repository root exists")
}

/// Where fixtures are built: `target/fixtures` beside the running test binary
/// (`target/<profile>/deps/<test>`).
pub fn scratch_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    let target = exe
        .ancestors()
        .nth(3)
        .map(Path::to_path_buf)
        .unwrap_or_else(std::env::temp_dir);
    target.join("fixtures")
}

/// The Go module of fixture functions.
pub fn go_fixtures() -> PathBuf {
    repo_root().join("tests/fixtures/go")
}

/// Builds the Go fixture `name` for the host (`GOARCH` of this machine) and returns its `bootstrap`.
pub fn go_bootstrap(name: &str) -> PathBuf {
    go_bootstrap_for(name, host_goarch())
}

/// An exclusive lock on the file `path` (created, with its directory, if missing), held until the returned
/// file is dropped. Test processes that build the same thing at once take it around the build: under
/// cargo-nextest each test is a process of its own, and without it two of them would write one output
/// together, or one would read or run it half-written. (Go leaves an up-to-date output untouched, so
/// after the first build the others only wait for it.)
pub fn build_lock(path: &Path) -> std::fs::File {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    }
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .unwrap_or_else(|e| panic!("cannot open the lock file {}: {e}", path.display()));
    file.lock()
        .unwrap_or_else(|e| panic!("cannot lock {}: {e}", path.display()));
    file
}

/// Builds the Go fixture `name` for `goarch` (`amd64`, `arm64`) and returns its `bootstrap`.
pub fn go_bootstrap_for(name: &str, goarch: &str) -> PathBuf {
    static BUILT: OnceLock<Mutex<HashMap<String, PathBuf>>> = OnceLock::new();
    let mut built = BUILT
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    let key = format!("{name}-{goarch}");
    if let Some(path) = built.get(&key) {
        return path.clone();
    }
    let out = scratch_dir().join("go").join(&key).join("bootstrap");
    let _building = build_lock(&scratch_dir().join("go").join(format!("{key}.lock")));
    let output = Command::new("go")
        .current_dir(go_fixtures().join(name))
        .args(["build", "-tags", "lambda.norpc", "-trimpath", "-o"])
        .arg(&out)
        .arg(".")
        .env("CGO_ENABLED", "0")
        .env("GOOS", "linux")
        .env("GOARCH", goarch)
        .output()
        .expect("go is on PATH (scripts/test checks it)");
    assert!(
        output.status.success(),
        "go build {name}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    built.insert(key, out.clone());
    out
}

fn host_goarch() -> &'static str {
    match std::env::consts::ARCH {
        "aarch64" => "arm64",
        _ => "amd64",
    }
}

/// Builds the Rust `lambda_runtime` fixture (`tests/fixtures/rust/echo`) and returns its `bootstrap`.
pub fn rust_bootstrap() -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let target = scratch_dir().join("rust");
            let output = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
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

/// The Python of the `.venv` that `scripts/test` creates (with awslambdaric, boto3 and the AWS CLI).
pub fn venv_python() -> PathBuf {
    let python = repo_root().join(".venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run scripts/test, which installs it",
        python.display()
    );
    python
}

/// AWS's `build-lambda-zip`, installed from the Go module proxy at the aws-lambda-go version the
/// fixtures pin.
pub fn build_lambda_zip() -> PathBuf {
    static TOOL: OnceLock<PathBuf> = OnceLock::new();
    TOOL.get_or_init(|| {
        let bin = scratch_dir().join("tools");
        let _building = build_lock(&bin.join("build-lambda-zip.lock"));
        let output = Command::new("go")
            .args([
                "install",
                "github.com/aws/aws-lambda-go/cmd/build-lambda-zip@v1.55.1",
            ])
            .env("GOBIN", &bin)
            .env("CGO_ENABLED", "0")
            .output()
            .expect("go is on PATH");
        assert!(
            output.status.success(),
            "go install build-lambda-zip: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        bin.join("build-lambda-zip")
    })
    .clone()
}
