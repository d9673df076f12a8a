//! Spawn-to-exit latency of a sandboxed program, `Sandbox` mode against `Process` mode.
//!
//! ```sh
//! sudo cargo run --release -p lamina-sandbox --example spawn_latency -- [ITERATIONS]
//! ```
//!
//! Each iteration starts `/bin/true` (dynamically linked, from the host's `/usr`) with the code directory
//! at `/var/task`, waits for it to exit and tears the sandbox down; the figures are wall-clock times of
//! that whole cycle. This binary is also its own helper (`spawn_latency sandbox-init`), the way the
//! `lamina` binary is.

use std::ffi::OsStr;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use lamina_sandbox::{HelperCommand, IsolationMode, MIB, Sandbox, SandboxConfig, SandboxSpec, Stdio};

fn main() -> Result<()> {
    if std::env::args_os().nth(1).as_deref() == Some(OsStr::new("sandbox-init")) {
        lamina_sandbox::init::run_from_args(std::env::args_os().skip(2));
    }
    let iterations: usize = std::env::args()
        .nth(1)
        .map(|n| n.parse())
        .transpose()?
        .unwrap_or(300);
    let code = tempfile::tempdir()?;
    std::fs::set_permissions(code.path(), std::os::unix::fs::PermissionsExt::from_mode(0o755))?;

    let mut config = SandboxConfig::new(HelperCommand::current_exe("sandbox-init"));
    config.cgroup_parent = "lamina-bench".to_owned();
    let detection = lamina_sandbox::detect(&config);
    println!("host: {}", detection.reason);
    for mode in [IsolationMode::Process, IsolationMode::Sandbox] {
        let sandbox = Sandbox::new(mode, config.clone()).with_context(|| format!("{mode} mode"))?;
        let spec = || -> Result<SandboxSpec> {
            Ok(SandboxSpec::builder("/bin/true")?
                .read_only_bind(code.path(), "/var/task")?
                .cwd("/var/task")?
                .memory(128 * MIB)?
                .stdout(Stdio::Null)
                .build())
        };
        // Warm-up: page cache, cgroup parents, staging directory.
        for _ in 0..10 {
            cycle(&sandbox, spec()?)?;
        }
        let mut times: Vec<Duration> = Vec::with_capacity(iterations);
        for _ in 0..iterations {
            times.push(cycle(&sandbox, spec()?)?);
        }
        times.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        let mean = times.iter().sum::<Duration>() / u32::try_from(times.len()).unwrap_or(u32::MAX);
        println!(
            "{mode:>8}: n={} min {:.2} ms, median {:.2} ms, p95 {:.2} ms, max {:.2} ms, mean {:.2} ms",
            times.len(),
            ms(times[0]),
            ms(times[times.len() / 2]),
            ms(times[times.len() * 95 / 100]),
            ms(times[times.len() - 1]),
            ms(mean),
        );
    }
    Ok(())
}

/// Spawn, wait, teardown: the time from asking for the program to having cleaned up after it.
fn cycle(sandbox: &Sandbox, spec: SandboxSpec) -> Result<Duration> {
    let start = Instant::now();
    let mut process = sandbox.spawn(spec)?;
    let status = process.wait()?;
    process.teardown()?;
    anyhow::ensure!(status.success(), "/bin/true failed: {status}");
    Ok(start.elapsed())
}
