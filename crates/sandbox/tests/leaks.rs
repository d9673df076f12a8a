//! Many sandboxes, started and torn down, leave nothing behind: mounts, cgroups, processes, fds, files.

use std::path::Path;

use lamina_testing::footprint::{Footprint, shmem_bytes};

use crate::util::{self, code_dir, sandbox, sh};

/// How many sandboxes the leak test runs, unless `LAMINA_SANDBOX_LEAK_RUNS` says otherwise (the issue's
/// 10,000 take about two minutes).
fn sandboxes() -> usize {
    std::env::var("LAMINA_SANDBOX_LEAK_RUNS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(500)
}

fn footprint(sandbox: &lamina_sandbox::Sandbox) -> Footprint {
    let parents = sandbox.cgroups().expect("cgroups").parent_dirs();
    Footprint::measure(&parents, &sandbox.config().staging_dir)
}

#[test]
fn hundreds_of_sandboxes_leave_nothing_behind() {
    let Some(_host) = util::exclusive() else { return };
    let sandbox = sandbox();
    let code = code_dir();
    std::fs::write(code.path().join("data"), "x").expect("write");
    // Warm up (creates the cgroup parents and the staging directory).
    util::run(&sandbox, sh(code.path(), "true").build()).expect("warm-up");
    let before = footprint(&sandbox);
    let shmem_before = shmem_bytes();
    let runs = sandboxes();
    for i in 0..runs {
        // Every other one is killed while running instead of exiting by itself; each writes to /tmp.
        let spec = sh(
            code.path(),
            "dd if=/dev/zero of=/tmp/f bs=1M count=1 2>/dev/null; cat /var/task/data; sleep 5",
        )
        .build();
        let mut process = sandbox.spawn(spec).expect("spawn");
        let mut byte = [0u8; 1];
        std::io::Read::read_exact(process.stdout.as_mut().expect("stdout"), &mut byte).expect("output");
        if i % 2 == 0 {
            process.teardown().expect("teardown");
        } else {
            drop(process);
        }
    }
    let after = footprint(&sandbox);
    assert_eq!(after, before, "resources leaked over {runs} sandboxes");
    assert!(!Path::new(&sandbox.config().staging_dir).join("tmp").exists());
    // Files: each sandbox wrote 1 MiB to its /tmp, a tmpfs that must be freed with its mount namespace
    // (500 leaked would be 500 MiB of shared memory). Allow for the rest of the machine's noise.
    let grown = shmem_bytes().saturating_sub(shmem_before);
    assert!(grown < 64 * 1024 * 1024, "tmpfs memory grew by {grown} bytes");
    // And nothing was written on the host next to the staging directory.
    let parent = sandbox.config().staging_dir.parent().expect("parent");
    assert_eq!(std::fs::read_dir(parent).expect("read").count(), 1);
}

/// Running `slirp4netns` processes that serve one of `helpers` (the pid before `tap0` at the end of their
/// command line): only this test's, whatever else on the host runs sandboxes meanwhile.
fn network_stacks_serving(helpers: &[u32]) -> usize {
    std::fs::read_dir("/proc")
        .expect("/proc")
        .filter_map(Result::ok)
        .filter_map(|e| std::fs::read(e.path().join("cmdline")).ok())
        .filter(|cmdline| {
            let args: Vec<&[u8]> = cmdline.split(|b| *b == 0).filter(|a| !a.is_empty()).collect();
            args.first()
                .is_some_and(|program| program.ends_with(b"slirp4netns"))
                && args.len() >= 2
                && std::str::from_utf8(args[args.len() - 2])
                    .ok()
                    .and_then(|pid| pid.parse::<u32>().ok())
                    .is_some_and(|pid| helpers.contains(&pid))
        })
        .count()
}

#[test]
fn sandboxes_with_their_own_network_leave_nothing_behind() {
    let Some(_host) = util::exclusive() else { return };
    let plan = lamina_sandbox::NetworkPlan {
        network: lamina_sandbox::Network::Outbound,
        listen: Some(std::net::SocketAddrV4::new(std::net::Ipv4Addr::LOCALHOST, 9001)),
    };
    let mut config = util::config();
    config.spare_network = plan;
    let sandbox =
        lamina_sandbox::Sandbox::new(lamina_sandbox::IsolationMode::Sandbox, config).expect("sandbox");
    let code = code_dir();
    let spec = || {
        sh(code.path(), "echo started; sleep 5")
            .stdin(lamina_sandbox::Stdio::Null)
            .stderr(lamina_sandbox::Stdio::Piped)
            .network(plan.network)
            .listen(plan.listen.expect("address"))
            .build()
    };
    util::run(&sandbox, spec()).expect("warm-up");
    let before = footprint(&sandbox);
    let runs = sandboxes() / 5;
    let mut helpers = Vec::with_capacity(runs);
    for i in 0..runs {
        let mut process = sandbox.spawn(spec()).expect("spawn");
        helpers.push(process.child_pid());
        let listener = process.take_listener().expect("listener");
        let mut byte = [0u8; 1];
        std::io::Read::read_exact(process.stdout.as_mut().expect("stdout"), &mut byte).expect("output");
        if i == 0 {
            assert_eq!(
                network_stacks_serving(&helpers),
                1,
                "a running sandbox's stack is counted"
            );
        }
        drop(listener);
        if i % 2 == 0 {
            process.teardown().expect("teardown");
        } else {
            drop(process);
        }
    }
    let after = footprint(&sandbox);
    assert_eq!(after, before, "resources leaked over {runs} sandboxes");
    // Each helper's stack went with it (the spare helper's, started ahead of need, remains).
    assert_eq!(
        network_stacks_serving(&helpers),
        0,
        "network stacks outlived their sandboxes"
    );
}
