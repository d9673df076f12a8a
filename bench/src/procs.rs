//! The programs under test: building them, starting and stopping them, and reading their memory from
//! `/proc`.

use std::fs::File;
use std::io::Write as _;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use base64::Engine as _;
use bytes::Bytes;
use hyper::Method;

use crate::load::Connection;

/// The RIE version the Go module proxy serves.
pub(crate) const RIE_MODULE: &str = "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@v0.0.0-20261030222936-bef5c4ba774d";

/// An IAM role ARN CreateFunction accepts.
const ROLE: &str = "arn:aws:iam::111122223333:role/lambda-ex";

/// The repository root.
pub(crate) fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// Cargo's target directory.
pub(crate) fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| repo_root().join("target"), PathBuf::from)
}

/// Runs `command`, failing with its output when it fails.
fn run(command: &mut Command) -> Result<()> {
    let output = command.output().with_context(|| format!("running {command:?}"))?;
    if !output.status.success() {
        bail!(
            "{command:?} failed ({}):\n{}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(())
}

/// Builds the `lamina` binary (release unless `debug`) and returns its path.
pub(crate) fn build_lamina(debug: bool) -> Result<PathBuf> {
    let mut cargo = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cargo
        .current_dir(repo_root())
        .args(["build", "--locked", "-p", "lamina"]);
    if !debug {
        cargo.arg("--release");
    }
    run(&mut cargo)?;
    Ok(target_dir()
        .join(if debug { "debug" } else { "release" })
        .join("lamina"))
}

/// Builds the aws-lambda-go fixture `name` with `lamina build` into `dir`: the zip and its unzipped
/// `bootstrap`.
pub(crate) fn build_fixture(lamina: &Path, name: &str, dir: &Path) -> Result<(Vec<u8>, PathBuf)> {
    let zip_path = dir.join(format!("{name}.zip"));
    let arch = if cfg!(target_arch = "aarch64") {
        "arm64"
    } else {
        "x86_64"
    };
    run(Command::new(lamina)
        .arg("build")
        .arg(repo_root().join("tests/fixtures/go").join(name))
        .args(["--arch", arch, "-o"])
        .arg(&zip_path))?;
    let zip_bytes = std::fs::read(&zip_path)?;
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip_bytes.as_slice()))?;
    let mut entry = archive.by_name("bootstrap")?;
    let bootstrap_dir = dir.join(name);
    std::fs::create_dir_all(&bootstrap_dir)?;
    let bootstrap = bootstrap_dir.join("bootstrap");
    let mut out = File::create(&bootstrap)?;
    std::io::copy(&mut entry, &mut out)?;
    drop(out);
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(&bootstrap, std::fs::Permissions::from_mode(0o755))?;
    drop(entry);
    drop(archive);
    Ok((zip_bytes, bootstrap))
}

/// Builds (once) `aws-lambda-rie` from the Go module proxy and returns its path.
pub(crate) fn build_rie() -> Result<PathBuf> {
    let bin = target_dir().join("lamina-bench").join("bin");
    let rie = bin.join("aws-lambda-rie");
    if !rie.exists() {
        run(
            Command::new(std::env::var("LAMINA_GO").unwrap_or_else(|_| "go".into()))
                .args(["install", RIE_MODULE])
                .env("GOBIN", &bin)
                .env("CGO_ENABLED", "0"),
        )?;
    }
    Ok(rie)
}

/// A free loopback port.
pub(crate) fn free_addr() -> Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?)
}

/// A started server process, killed on drop.
pub(crate) struct Server {
    /// Its process.
    pub(crate) child: Child,
    /// Where it answers.
    pub(crate) addr: SocketAddr,
}

impl Server {
    /// The process id.
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Starts `lamina serve` on a free port with its state in `data_dir`, environments as plain
    /// processes, and waits until it answers.
    pub(crate) async fn lamina(binary: &Path, data_dir: &Path, log: &Path) -> Result<Server> {
        Self::lamina_isolated(binary, data_dir, log, &["--isolation", "process"]).await
    }

    /// Starts `lamina serve` with the isolation arguments given (`--isolation sandbox --function-network none`...).
    pub(crate) async fn lamina_isolated(
        binary: &Path,
        data_dir: &Path,
        log: &Path,
        isolation_args: &[&str],
    ) -> Result<Server> {
        let addr = free_addr()?;
        let log = File::create(log)?;
        let child = Command::new(binary)
            .args(["serve", "--listen", &addr.to_string(), "--data-dir"])
            .arg(data_dir)
            .args(["--account-concurrency", "2000"])
            .args(isolation_args)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .context("starting lamina serve")?;
        let mut server = Server { child, addr };
        server.wait_listening().await?;
        Ok(server)
    }

    /// Starts the Runtime Interface Emulator on a free port with `bootstrap` as its runtime. It starts
    /// the bootstrap on the first invoke.
    pub(crate) async fn rie(rie: &Path, bootstrap: &Path, log: &Path) -> Result<Server> {
        let addr = free_addr()?;
        let runtime_api = free_addr()?;
        let log = File::create(log)?;
        let child = Command::new(rie)
            .arg("--runtime-interface-emulator-address")
            .arg(addr.to_string())
            .arg("--runtime-api-address")
            .arg(runtime_api.to_string())
            .args(["--log-level", "error"])
            .arg(bootstrap)
            .current_dir(bootstrap.parent().unwrap_or(Path::new("/")))
            .env("AWS_LAMBDA_FUNCTION_NAME", "function")
            .env("AWS_REGION", "us-east-1")
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .context("starting aws-lambda-rie")?;
        let mut server = Server { child, addr };
        server.wait_listening().await?;
        Ok(server)
    }

    async fn wait_listening(&mut self) -> Result<()> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!("the server exited at start: {status}");
            }
            if tokio::net::TcpStream::connect(self.addr).await.is_ok() {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!("the server did not listen on {} within 30 s", self.addr);
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Stops the server: SIGTERM (so lamina shuts its environments down), SIGKILL after 10 s.
    pub(crate) fn stop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = Command::new("kill")
                .args(["-TERM", &self.pid().to_string()])
                .status();
            let deadline = Instant::now() + Duration::from_secs(10);
            while matches!(self.child.try_wait(), Ok(None)) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// CPU time `pid` has used so far: the sum over its threads of `/proc/<pid>/task/<tid>/schedstat`'s time
/// on CPU, in nanoseconds (`/proc/<pid>/stat` counts whole clock ticks, rounding a short-lived process's
/// few milliseconds down to nothing). Threads that already exited are not counted.
pub(crate) fn cpu_time(pid: u32) -> Result<Duration> {
    let mut nanos: u64 = 0;
    for task in std::fs::read_dir(format!("/proc/{pid}/task"))? {
        let Ok(schedstat) = std::fs::read_to_string(task?.path().join("schedstat")) else {
            continue;
        };
        nanos += schedstat
            .split_whitespace()
            .next()
            .and_then(|n| n.parse::<u64>().ok())
            .unwrap_or(0);
    }
    Ok(Duration::from_nanos(nanos))
}

/// A field of `/proc/<pid>/status` in KiB (`VmRSS`, `VmHWM`).
pub(crate) fn status_kib(pid: u32, field: &str) -> Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|line| {
            let rest = line.strip_prefix(field)?.strip_prefix(':')?;
            rest.trim().trim_end_matches("kB").trim().parse().ok()
        })
        .with_context(|| format!("no {field} in /proc/{pid}/status"))
}

/// The direct children of `pid` (scanning `/proc/*/stat`).
pub(crate) fn children(pid: u32) -> Result<Vec<u32>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc")? {
        let entry = entry?;
        let Some(child) = entry.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // The command name is in parentheses and may contain spaces: the fields after it are fixed.
        let Some((_, after)) = stat.rsplit_once(") ") else {
            continue;
        };
        let ppid = after.split(' ').nth(1).and_then(|p| p.parse::<u32>().ok());
        if ppid == Some(pid) {
            out.push(child);
        }
    }
    Ok(out)
}

/// The Lambda API calls the harness makes.
pub(crate) struct Api {
    addr: SocketAddr,
}

impl Api {
    /// The API of the lamina server at `addr`.
    pub(crate) fn new(addr: SocketAddr) -> Self {
        Api { addr }
    }

    async fn call(&self, method: Method, path: &str, body: Bytes) -> Result<(u16, Bytes)> {
        let mut connection = Connection::open(self.addr).await?;
        connection.call(method, path, body).await
    }

    /// CreateFunction with an inline zip; returns once the server answered (the function is Pending).
    pub(crate) async fn create_function(
        &self,
        name: &str,
        zip: &[u8],
        extra: serde_json::Value,
    ) -> Result<()> {
        let mut request = serde_json::json!({
            "FunctionName": name,
            "Runtime": "provided.al2023",
            "Handler": "bootstrap",
            "Role": ROLE,
            "Architectures": [if cfg!(target_arch = "aarch64") { "arm64" } else { "x86_64" }],
            "Code": { "ZipFile": base64::engine::general_purpose::STANDARD.encode(zip) },
        });
        if let (Some(request), Some(extra)) = (request.as_object_mut(), extra.as_object()) {
            request.extend(extra.clone());
        }
        let body = Bytes::from(serde_json::to_vec(&request)?);
        drop(request);
        let (status, answer) = self.call(Method::POST, "/2015-03-31/functions", body).await?;
        if status != 201 {
            bail!(
                "CreateFunction {name}: {status} {}",
                String::from_utf8_lossy(&answer)
            );
        }
        Ok(())
    }

    /// Polls GetFunctionConfiguration until the function is Active.
    pub(crate) async fn wait_active(&self, name: &str) -> Result<()> {
        let path = format!("/2015-03-31/functions/{name}/configuration");
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let (status, body) = self.call(Method::GET, &path, Bytes::new()).await?;
            let config: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
            if status == 200 && config["State"] == "Active" && config["LastUpdateStatus"] != "InProgress" {
                return Ok(());
            }
            if config["State"] == "Failed" || Instant::now() > deadline {
                bail!("{name} did not become Active: {status} {config}");
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// DeleteFunction.
    pub(crate) async fn delete_function(&self, name: &str) -> Result<()> {
        let (status, body) = self
            .call(
                Method::DELETE,
                &format!("/2015-03-31/functions/{name}"),
                Bytes::new(),
            )
            .await?;
        if status != 204 {
            bail!(
                "DeleteFunction {name}: {status} {}",
                String::from_utf8_lossy(&body)
            );
        }
        Ok(())
    }
}

/// A deployment zip of `size` bytes, give or take a few hundred: a `#!/bin/sh` bootstrap plus an
/// incompressible (stored) filler. CreateFunction's cost depends on the size, not on the program.
pub(crate) fn padded_zip(size: usize) -> Result<Vec<u8>> {
    let mut buffer = std::io::Cursor::new(Vec::with_capacity(size + 4096));
    {
        let mut writer = zip::ZipWriter::new(&mut buffer);
        let executable = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored)
            .unix_permissions(0o755);
        writer.start_file("bootstrap", executable)?;
        writer.write_all(b"#!/bin/sh\necho hello\n")?;
        let filler = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored)
            .unix_permissions(0o644);
        writer.start_file("filler.bin", filler)?;
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        // Local headers and the central directory take about 300 bytes.
        let mut remaining = size.saturating_sub(300);
        let mut chunk = vec![0u8; 64 * 1024];
        while remaining > 0 {
            for word in chunk.chunks_exact_mut(8) {
                // xorshift64: incompressible and fast.
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                word.copy_from_slice(&state.to_le_bytes());
            }
            let n = remaining.min(chunk.len());
            writer.write_all(&chunk[..n])?;
            remaining -= n;
        }
        writer.finish()?;
    }
    Ok(buffer.into_inner())
}
