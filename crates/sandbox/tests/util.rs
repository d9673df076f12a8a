//! The shared harness: a `Sandbox` driven by this crate's own helper binary, a shell-script runner, and
//! the probes built from source.

use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};
use std::sync::{OnceLock, RwLock, RwLockReadGuard, RwLockWriteGuard};

use anyhow::{Context, Result, bail};
use lamina_sandbox::{
    HelperCommand, IsolationMode, MIB, Sandbox, SandboxConfig, SandboxSpec, SandboxSpecBuilder, SandboxStats,
    Stdio,
};

/// The cgroup parent the tests use, apart from a server's.
pub(crate) const CGROUP_PARENT: &str = "lamina-test";

/// Tests that count host-wide resources (mounts, cgroups, fds, processes) take this exclusively; the
/// others share it. It orders the tests of one process (`cargo test`); under cargo-nextest, where each
/// test is a process of its own, the `host-exclusive` test group of `.config/nextest.toml` does.
static HOST: RwLock<()> = RwLock::new(());

/// A shared hold on the host, or `None` (after printing why) when the tests cannot run here; a failure
/// instead of `None` when `LAMINA_REQUIRE_ROOT_TESTS` is set.
pub(crate) fn shared() -> Option<RwLockReadGuard<'static, ()>> {
    root_or_skip().then(shared_unprivileged)
}

/// A shared hold on the host for tests that need no root (the plain process mode).
pub(crate) fn shared_unprivileged() -> RwLockReadGuard<'static, ()> {
    HOST.read().unwrap_or_else(|e| e.into_inner())
}

/// The host to oneself, or `None` (after printing why) when the tests cannot run here; a failure instead
/// of `None` when `LAMINA_REQUIRE_ROOT_TESTS` is set.
pub(crate) fn exclusive() -> Option<RwLockWriteGuard<'static, ()>> {
    if !root_or_skip() {
        return None;
    }
    lamina_testing::host::assert_exclusive_under_nextest();
    Some(HOST.write().unwrap_or_else(|e| e.into_inner()))
}

fn root_or_skip() -> bool {
    lamina_testing::host::root_or_skip(
        "lamina-sandbox tests need root (namespaces, mounts, cgroups)",
        "run `sudo cargo test -p lamina-sandbox`",
    )
}

pub(crate) fn config() -> SandboxConfig {
    let mut config = SandboxConfig::new(HelperCommand::binary(env!("CARGO_BIN_EXE_lamina-sandbox-init")));
    config.cgroup_parent = CGROUP_PARENT.to_owned();
    config.staging_dir = PathBuf::from("/run/lamina-test/sandbox-root");
    config
}

/// A `Sandbox`-mode launcher. Fails (does not skip) when the host cannot sandbox.
pub(crate) fn sandbox() -> Sandbox {
    Sandbox::new(IsolationMode::Sandbox, config())
        .expect("sandbox isolation must work on this host (root, namespaces, cgroups)")
}

/// A code directory readable by the sandbox user, like an extracted package.
pub(crate) fn code_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    dir
}

/// Writes an executable script into `dir`.
pub(crate) fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, body).expect("write script");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    path
}

/// A spec running `/bin/sh -c script` with the code directory at `/var/task` and stdout piped.
pub(crate) fn sh(code: &Path, script: &str) -> SandboxSpecBuilder {
    SandboxSpec::builder("/bin/sh")
        .and_then(|b| b.args(["-c", script]))
        .and_then(|b| b.read_only_bind(code, "/var/task"))
        .and_then(|b| b.cwd("/var/task"))
        .and_then(|b| b.env("PATH", "/usr/local/bin:/usr/bin:/bin"))
        .and_then(|b| b.memory(64 * MIB))
        .and_then(|b| b.tmp_size(16 * MIB))
        .expect("spec")
        .stdout(Stdio::Piped)
}

/// What one run produced.
#[derive(Debug)]
pub(crate) struct Run {
    pub(crate) status: ExitStatus,
    pub(crate) stdout: String,
    pub(crate) stats: SandboxStats,
}

/// Runs `spec` to completion and tears it down.
pub(crate) fn run(sandbox: &Sandbox, spec: SandboxSpec) -> Result<Run> {
    let mut process = sandbox.spawn(spec).context("spawn")?;
    let mut stdout = String::new();
    if let Some(mut out) = process.stdout.take() {
        out.read_to_string(&mut stdout).context("read stdout")?;
    }
    let status = process.wait()?;
    let stats = process.teardown()?;
    Ok(Run {
        status,
        stdout,
        stats,
    })
}

/// Runs a shell script in a fresh sandbox with a fresh code directory.
pub(crate) fn run_sh(script: &str) -> Result<Run> {
    let code = code_dir();
    run(&sandbox(), sh(code.path(), script).build())
}

/// A static Go program built for `goarch` from `source` (cached per test run in cargo's tmp dir).
pub(crate) fn go_binary(name: &str, goarch: &str, source: &str) -> Result<PathBuf> {
    let probes = Path::new(env!("CARGO_TARGET_TMPDIR")).join("lamina-sandbox-probes");
    let dir = probes.join(format!("{name}-{goarch}"));
    // One test process at a time writes the source and builds (each test is a process under nextest).
    let _building = lamina_testing::build_lock(&probes.join(format!("{name}-{goarch}.lock")));
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join("main.go"), source)?;
    let out = dir.join(name);
    let go = std::env::var("LAMINA_GO").unwrap_or_else(|_| "go".to_owned());
    let output = Command::new(&go)
        .args(["build", "-trimpath", "-o"])
        .arg(&out)
        .arg("main.go")
        .current_dir(&dir)
        .env("GOOS", "linux")
        .env("GOARCH", goarch)
        .env("CGO_ENABLED", "0")
        .env("GO111MODULE", "off")
        .output()
        .with_context(|| format!("running {go} (Go is needed to build the test probes)"))?;
    if !output.status.success() {
        bail!(
            "go build {name} for {goarch} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755))?;
    Ok(out)
}

/// Builds the hello probe once per architecture.
pub(crate) fn hello(goarch: &str) -> PathBuf {
    static AMD64: OnceLock<PathBuf> = OnceLock::new();
    static ARM64: OnceLock<PathBuf> = OnceLock::new();
    let cell = if goarch == "arm64" { &ARM64 } else { &AMD64 };
    cell.get_or_init(|| {
        go_binary(
            "hello",
            goarch,
            "package main\n\nimport (\n\t\"fmt\"\n\t\"os\"\n\t\"runtime\"\n)\n\nfunc main() {\n\tfmt.Printf(\"hello from %s as uid %d\\n\", runtime.GOARCH, os.Getuid())\n}\n",
        )
        .expect("build the hello probe")
    })
    .clone()
}

/// A `Sandbox`-mode launcher whose sandboxes' `/tmp` is a disk of its own, made in `dir`. Fails (does
/// not skip) when the host cannot: loop devices, ext4 and `mke2fs` are part of what the tests need.
pub(crate) fn sandbox_with_tmp_disks(dir: &Path) -> Sandbox {
    let mut config = config();
    config.tmp_disks = Some(dir.to_owned());
    let sandbox = Sandbox::new(IsolationMode::Sandbox, config)
        .expect("sandbox isolation must work on this host (root, namespaces, cgroups)");
    if let Err(reason) = sandbox.tmp_on_disk() {
        panic!("/tmp on disk must work on this host: {reason}");
    }
    sandbox
}

/// Loop devices whose backing file is in `dir` (attached ones list theirs in sysfs).
pub(crate) fn loop_devices_backed_in(dir: &Path) -> usize {
    let dir = dir.to_string_lossy().into_owned();
    std::fs::read_dir("/sys/block")
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter_map(|e| std::fs::read_to_string(e.path().join("loop/backing_file")).ok())
                .filter(|backing| backing.starts_with(&format!("{dir}/")))
                .count()
        })
        .unwrap_or(0)
}
