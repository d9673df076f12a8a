//! cgroup limits and what the cgroup reports.

use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::time::{Duration, Instant};

use lamina_sandbox::{CgroupVersion, MIB};

use crate::util::{self, code_dir, sandbox, sh};

#[test]
fn allocating_past_the_memory_limit_is_oom_killed_and_reported() {
    let Some(_host) = util::shared() else { return };
    let code = code_dir();
    // dd allocates its block (128 MiB) and fills it from /dev/zero: far past a 32 MiB limit.
    let run = util::run(
        &sandbox(),
        sh(code.path(), "exec dd if=/dev/zero of=/dev/null bs=128M count=1")
            .memory(32 * MIB)
            .expect("memory")
            .build(),
    )
    .expect("run");
    assert_eq!(run.status.signal(), Some(9), "{run:?}");
    assert!(run.stats.oom_killed(), "{run:?}");
    let peak = run.stats.memory_peak_bytes.expect("peak memory reported");
    assert!(peak > 24 * MIB && peak <= 32 * MIB, "peak {peak}");
}

#[test]
fn peak_memory_is_reported_without_oom() {
    let Some(_host) = util::shared() else { return };
    let code = code_dir();
    let run = util::run(
        &sandbox(),
        sh(
            code.path(),
            "dd if=/dev/zero of=/dev/null bs=20M count=1 2>/dev/null; echo ok",
        )
        .memory(64 * MIB)
        .expect("memory")
        .build(),
    )
    .expect("run");
    assert_eq!(run.stdout, "ok\n");
    assert!(!run.stats.oom_killed());
    let peak = run.stats.memory_peak_bytes.expect("peak");
    assert!(peak > 20 * MIB && peak < 64 * MIB, "peak {peak}");
}

#[test]
fn a_fork_bomb_hits_the_pids_limit() {
    let Some(_host) = util::shared() else { return };
    let sandbox = sandbox();
    let code = code_dir();
    let spec = sh(
        code.path(),
        "bomb() { bomb | bomb & }; bomb; sleep 1; echo survived",
    )
    .pids_max(32)
    .expect("pids")
    .nproc(None)
    .expect("nproc")
    .stderr(lamina_sandbox::Stdio::Null)
    .build();
    let mut process = sandbox.spawn(spec).expect("spawn");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let stats = process.stats().expect("stats");
        if stats.pids_limit_hits > 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no fork was refused in 30 s: {stats:?}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    process.kill_tree(None).expect("kill");
    process.teardown().expect("teardown");
}

#[test]
fn cgroup_gets_memory_pids_and_cpu_share() {
    let Some(_host) = util::shared() else { return };
    let sandbox = sandbox();
    let code = code_dir();
    let name = format!("limits-{}", std::process::id());
    let spec = sh(code.path(), "sleep 30")
        .name(&name)
        .and_then(|b| b.memory(1769 * MIB))
        .and_then(|b| b.pids_max(77))
        .expect("spec")
        .build();
    let process = sandbox.spawn(spec).expect("spawn");
    let backend = sandbox.cgroups().expect("cgroups");
    let read = |controller: &str, file: &str| {
        let dir = backend
            .parent_dirs()
            .into_iter()
            .map(|d| d.join(&name))
            .find(|d| d.join(file).exists())
            .unwrap_or_else(|| panic!("no {controller} cgroup with {file}"));
        std::fs::read_to_string(dir.join(file))
            .expect("read")
            .trim()
            .to_owned()
    };
    match backend.version() {
        CgroupVersion::V1 => {
            assert_eq!(read("memory", "memory.limit_in_bytes"), (1769 * MIB).to_string());
            assert_eq!(read("pids", "pids.max"), "77");
            // One vCPU for 1,769 MB = 1024 shares.
            assert_eq!(read("cpu", "cpu.shares"), "1024");
        }
        CgroupVersion::V2 => {
            assert_eq!(read("memory", "memory.max"), (1769 * MIB).to_string());
            assert_eq!(read("pids", "pids.max"), "77");
            assert_eq!(read("cpu", "cpu.weight"), "100");
        }
    }
    // The sandbox's processes are in it.
    let procs = read("pids", "cgroup.procs");
    assert!(
        procs.lines().any(|p| p.trim() == process.pid().to_string()),
        "{procs}"
    );
    let init = process.pid();
    process.teardown().expect("teardown");
    assert!(backend.parent_dirs().iter().all(|d| !d.join(&name).exists()));
    assert!(!Path::new("/proc").join(init.to_string()).exists());
}

#[test]
fn stale_cgroups_of_a_crashed_server_are_removed() {
    // Exclusive: it removes every cgroup under the test parent.
    let Some(_host) = util::exclusive() else { return };
    let sandbox = sandbox();
    let code = code_dir();
    let process = sandbox
        .spawn(sh(code.path(), "exec sleep 300").build())
        .expect("spawn");
    let init = process.pid();
    // A crashed server never tears down.
    std::mem::forget(process);
    let backend = sandbox.cgroups().expect("cgroups");
    assert!(backend.remove_stale().expect("remove stale") >= 1);
    let deadline = Instant::now() + Duration::from_secs(10);
    while Path::new(&format!("/proc/{init}/cmdline")).exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    let state = std::fs::read_to_string(format!("/proc/{init}/stat")).unwrap_or_default();
    assert!(
        state.is_empty() || state.contains(") Z "),
        "sandbox still running: {state}"
    );
    for parent in backend.parent_dirs() {
        let left = std::fs::read_dir(&parent)
            .expect("parent")
            .filter_map(Result::ok)
            .filter(|e| e.path().is_dir())
            .count();
        assert_eq!(left, 0, "{}", parent.display());
    }
}

#[test]
fn the_launcher_holds_a_favordynmods_hierarchy_unless_told_not_to() {
    let Some(_host) = util::shared() else { return };
    let sandbox = sandbox();
    let version = sandbox.cgroups().expect("cgroups").version();
    match sandbox.fast_cgroup_migrations() {
        Ok(()) => favordynmods_hierarchy_is_there(),
        // On cgroup v2 hosts the unified hierarchy's mount options are the host's choice.
        Err(why) if version == CgroupVersion::V2 => assert!(why.starts_with("cgroup v2"), "{why}"),
        Err(why) => panic!("no favordynmods hierarchy on a cgroup v1 host: {why}"),
    }

    let mut config = util::config();
    config.fast_cgroup_migrations = false;
    let plain =
        lamina_sandbox::Sandbox::new(lamina_sandbox::IsolationMode::Sandbox, config).expect("sandbox");
    assert_eq!(plain.fast_cgroup_migrations(), Err("turned off"));
    let code = code_dir();
    let run = util::run(&plain, sh(code.path(), "echo ok").build()).expect("run");
    assert!(run.status.success(), "{run:?}");
    assert_eq!(run.stdout.trim(), "ok");
}

/// The hierarchy is in `/proc/self/cgroup`, and mounted where it can be seen, its options say
/// favordynmods.
fn favordynmods_hierarchy_is_there() {
    let cgroups = std::fs::read_to_string("/proc/self/cgroup").expect("read /proc/self/cgroup");
    let name = format!(":name={}:", lamina_sandbox::cgroup::HIERARCHY_NAME);
    assert!(cgroups.contains(&name), "{name} not in\n{cgroups}");
    let dir = tempfile::tempdir().expect("tempdir");
    let options = format!("none,name={}", lamina_sandbox::cgroup::HIERARCHY_NAME);
    nix::mount::mount(
        Some("cgroup"),
        dir.path(),
        Some("cgroup"),
        nix::mount::MsFlags::empty(),
        Some(options.as_str()),
    )
    .expect("mount the named hierarchy");
    let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").expect("mountinfo");
    nix::mount::umount(dir.path()).expect("umount");
    let line = mountinfo
        .lines()
        .find(|l| l.contains(&dir.path().display().to_string()))
        .expect("the mount in mountinfo");
    assert!(line.contains("favordynmods"), "{line}");
}
