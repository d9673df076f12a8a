//! Spawn-to-exit latency of a sandboxed program, `Sandbox` mode against `Process` mode.
//!
//! ```sh
//! sudo cargo run --release -p lamina-sandbox --example spawn_latency -- [ITERATIONS]
//! ```
//!
//! Each iteration starts `/bin/true` (dynamically linked, from the host's `/usr`) with the code directory
//! at `/var/task`, waits for it to exit and tears the sandbox down; the figures are wall-clock times of
//! that whole cycle, in `Process` mode, in `Sandbox` mode with a tmpfs `/tmp`, and in `Sandbox` mode with
//! `/tmp` on a disk of its own (made ahead of need; at the pace of this loop the maker may fall behind,
//! which then shows in the spawn time). This binary is also its own helper (`spawn_latency sandbox-init`), the way the
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
    let disks = tempfile::tempdir()?;
    let variants = [
        (IsolationMode::Process, None),
        (IsolationMode::Sandbox, None),
        (IsolationMode::Sandbox, Some(disks.path().to_owned())),
    ];
    for (mode, tmp_disks) in variants {
        let on_disk = tmp_disks.is_some();
        let sandbox = Sandbox::new(
            mode,
            SandboxConfig {
                tmp_disks,
                ..config.clone()
            },
        )
        .with_context(|| format!("{mode} mode"))?;
        if on_disk && let Err(why) = sandbox.tmp_on_disk() {
            println!("/tmp on disk: not available here ({why})");
            continue;
        }
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
        let mut phases: [Vec<Duration>; 4] = Default::default();
        for _ in 0..iterations {
            let cycle = cycle(&sandbox, spec()?)?;
            for (list, time) in phases.iter_mut().zip(cycle) {
                list.push(time);
            }
        }
        if mode == IsolationMode::Sandbox {
            let mut process = sandbox.spawn(spec()?)?;
            process.wait()?;
            let stats = process.teardown()?;
            if let Some(peak) = stats.memory_peak_bytes {
                println!(
                    "peak memory of a sandbox running /bin/true (init included): {} KiB",
                    peak / 1024
                );
            }
        }
        let tmp = match (mode, on_disk) {
            (IsolationMode::Process, _) => "",
            (_, true) => ", /tmp on disk",
            (_, false) => ", /tmp a tmpfs",
        };
        println!("{mode} mode{tmp}, {iterations} runs (min / median / p95 / max, ms):");
        for (name, times) in ["spawn (until exec)", "run (exec to exit)", "teardown", "total"]
            .iter()
            .zip(&mut phases)
        {
            times.sort();
            let ms = |d: Duration| d.as_secs_f64() * 1000.0;
            println!(
                "  {name:<20} {:>6.2} {:>6.2} {:>6.2} {:>6.2}",
                ms(times[0]),
                ms(times[times.len() / 2]),
                ms(times[times.len() * 95 / 100]),
                ms(times[times.len() - 1]),
            );
        }
    }
    Ok(())
}

/// Spawn, wait, teardown: the time of each, and from asking for the program to having cleaned up after it.
fn cycle(sandbox: &Sandbox, spec: SandboxSpec) -> Result<[Duration; 4]> {
    let start = Instant::now();
    let mut process = sandbox.spawn(spec)?;
    let spawned = Instant::now();
    let status = process.wait()?;
    let exited = Instant::now();
    process.teardown()?;
    let done = Instant::now();
    anyhow::ensure!(status.success(), "/bin/true failed: {status}");
    Ok([spawned - start, exited - spawned, done - exited, done - start])
}
