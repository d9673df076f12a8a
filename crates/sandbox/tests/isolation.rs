//! What a program sees inside a sandbox and what it cannot do.

use std::io::Read;

use lamina_sandbox::{Network, Stdio};

use crate::util::{self, code_dir, run_sh, sandbox, sh};

#[test]
fn code_dir_is_read_only_and_readable() {
    let Some(_host) = util::shared() else { return };
    let code = code_dir();
    std::fs::write(code.path().join("data.txt"), "payload").expect("write");
    let run = util::run(
        &sandbox(),
        sh(
            code.path(),
            "cat /var/task/data.txt; echo; if echo x > /var/task/new 2>/dev/null; then echo WROTE; else echo refused; fi; \
             if rm /var/task/data.txt 2>/dev/null; then echo REMOVED; else echo kept; fi",
        )
        .build(),
    )
    .expect("run");
    assert!(run.status.success(), "{run:?}");
    assert_eq!(run.stdout, "payload\nrefused\nkept\n");
    assert!(code.path().join("data.txt").exists());
    assert!(!code.path().join("new").exists());
}

#[test]
fn tmp_is_writable_with_the_configured_size() {
    let Some(_host) = util::shared() else { return };
    // 16 MiB /tmp (util::sh): a 8 MiB file fits, 20 MiB more does not.
    let run = run_sh(
        "stat -f -c '%b %S' /tmp; dd if=/dev/zero of=/tmp/fits bs=1M count=8 2>/dev/null && echo fits; \
         if dd if=/dev/zero of=/tmp/big bs=1M count=20 2>/dev/null; then echo OVERFLOWED; else echo full; fi; \
         stat -c '%a' /tmp",
    )
    .expect("run");
    let mut lines = run.stdout.lines();
    let (blocks, block_size) = lines.next().and_then(|l| l.split_once(' ')).expect("stat output");
    let size: u64 = blocks.parse::<u64>().expect("blocks") * block_size.parse::<u64>().expect("block size");
    assert_eq!(size, 16 * 1024 * 1024);
    assert_eq!(lines.collect::<Vec<_>>(), ["fits", "full", "1777"], "{run:?}");
}

#[test]
fn everything_but_tmp_and_shm_is_read_only() {
    let Some(_host) = util::shared() else { return };
    let run = run_sh(
        "for d in / /etc /usr /usr/bin /dev /var /proc/sys; do if touch $d/probe 2>/dev/null; then echo \"WROTE $d\"; fi; done; \
         touch /dev/shm/ok && echo shm; echo done",
    )
    .expect("run");
    assert_eq!(run.stdout, "shm\ndone\n");
}

#[test]
fn host_processes_are_invisible() {
    let Some(_host) = util::shared() else { return };
    let run = run_sh("echo $$; ls /proc | grep -E '^[0-9]+$' | sort -n | tr '\\n' ' '; echo").expect("run");
    let mut lines = run.stdout.lines();
    // PID 1 is the sandbox's init, the shell is PID 2.
    assert_eq!(lines.next(), Some("2"));
    let pids: Vec<u32> = lines
        .next()
        .expect("pids")
        .split_whitespace()
        .map(|p| p.parse().expect("pid"))
        .collect();
    // The init, the shell and the pipeline (ls, grep, sort, tr): nothing of the host.
    assert!(
        pids.starts_with(&[1, 2]) && pids.len() <= 6,
        "visible pids: {pids:?}"
    );
    assert!(pids.iter().all(|p| *p < 10), "{pids:?}");
}

#[test]
fn runs_as_an_unprivileged_user_without_capabilities() {
    let Some(_host) = util::shared() else { return };
    let run =
        run_sh("id -u; id -g; id -un; grep -E '^(Cap|NoNewPrivs)' /proc/self/status; hostname").expect("run");
    let expected = "993\n993\nsbx_user\nCapInh:\t0000000000000000\nCapPrm:\t0000000000000000\n\
                    CapEff:\t0000000000000000\nCapBnd:\t0000000000000000\nCapAmb:\t0000000000000000\nNoNewPrivs:\t1\nsandbox\n";
    assert_eq!(run.stdout, expected);
}

#[test]
fn rlimits_are_lambdas() {
    let Some(_host) = util::shared() else { return };
    let run = run_sh("grep -E '^Max (open files|processes)' /proc/self/limits | tr -s ' '").expect("run");
    assert_eq!(
        run.stdout,
        "Max processes 1024 1024 processes \nMax open files 1024 1024 files \n"
    );
}

#[test]
fn host_files_outside_the_allowed_set_are_not_visible() {
    let Some(_host) = util::shared() else { return };
    let run = run_sh(
        "for p in /root /home /etc/shadow /etc/ssh /work /run /sys /var/lib /.oldroot /boot; do \
           if [ -e $p ]; then echo \"VISIBLE $p\"; fi; done; \
         ls /etc | tr '\\n' ' '; echo; ls / | tr '\\n' ' '; echo; \
         grep sbx_user /etc/passwd; test -s /etc/ssl/certs/ca-certificates.crt && echo ca; \
         test -L /etc/pki/tls/certs/ca-bundle.crt && echo ca-link",
    )
    .expect("run");
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(
        lines[0], "group hostname hosts ld.so.cache nsswitch.conf passwd pki resolv.conf ssl ",
        "{run:?}"
    );
    assert_eq!(
        lines[1], "bin dev etc lib lib64 proc sbin tmp usr var ",
        "{run:?}"
    );
    assert_eq!(
        lines[2..],
        ["sbx_user:x:993:993::/tmp:/sbin/nologin", "ca", "ca-link"],
        "{run:?}"
    );
}

#[test]
fn dev_is_minimal_and_works() {
    let Some(_host) = util::shared() else { return };
    let run = run_sh(
        "ls /dev | tr '\\n' ' '; echo; head -c 16 /dev/urandom | wc -c; echo x > /dev/null && echo null; \
         head -c 3 /dev/zero | od -An -tx1; readlink /dev/fd",
    )
    .expect("run");
    assert_eq!(
        run.stdout,
        "fd full null random shm stderr stdin stdout tty urandom zero \n16\nnull\n 00 00 00\n/proc/self/fd\n"
    );
}

#[test]
fn a_neighbours_tmp_and_processes_are_invisible() {
    let Some(_host) = util::shared() else { return };
    let sandbox = sandbox();
    let code = code_dir();
    let mut neighbour = sandbox
        .spawn(
            sh(
                code.path(),
                "echo secret > /tmp/neighbour-secret && echo ready && exec sleep 60",
            )
            .name(format!("neighbour-{}", std::process::id()))
            .expect("name")
            .build(),
        )
        .expect("spawn neighbour");
    let mut ready = [0u8; 6];
    neighbour
        .stdout
        .as_mut()
        .expect("stdout")
        .read_exact(&mut ready)
        .expect("neighbour ready");
    assert_eq!(&ready, b"ready\n");

    let run = util::run(
        &sandbox,
        sh(code.path(), "ls -A /tmp | wc -l; cat /tmp/neighbour-secret 2>/dev/null || echo absent; ps -e 2>/dev/null | grep -c sleep || true")
            .build(),
    )
    .expect("run");
    assert_eq!(run.stdout, "0\nabsent\n0\n");
    // Nor does the host see it: the neighbour's /tmp lives in the neighbour's mount namespace.
    assert!(!std::path::Path::new("/tmp/neighbour-secret").exists());
    // And the neighbour is still alive.
    assert_eq!(neighbour.try_wait().expect("try_wait"), None);
    let status = neighbour.kill_tree(None).expect("kill");
    assert_eq!(std::os::unix::process::ExitStatusExt::signal(&status), Some(9));
    neighbour.teardown().expect("teardown");
}

#[test]
fn isolated_network_has_only_loopback_and_it_is_up() {
    let Some(_host) = util::shared() else { return };
    let code = code_dir();
    let interfaces = "tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ' | sort | tr '\\n' ' '";
    let run = util::run(
        &sandbox(),
        sh(
            code.path(),
            &format!("{interfaces}; echo; ip -o link show lo | grep -o 'LOOPBACK,UP' || echo down"),
        )
        .network(Network::Isolated)
        .build(),
    )
    .expect("run");
    assert_eq!(run.stdout, "lo \nLOOPBACK,UP\n", "{run:?}");

    // Without the flag the sandbox shares the host's network.
    let host = std::fs::read_to_string("/proc/net/dev").expect("host interfaces");
    let run = util::run(
        &sandbox(),
        sh(code.path(), "tail -n +3 /proc/net/dev | wc -l")
            .stdin(Stdio::Null)
            .build(),
    )
    .expect("run");
    assert_eq!(
        run.stdout.trim().parse::<usize>().expect("count"),
        host.lines().count() - 2
    );
}

#[test]
fn seccomp_denies_user_namespaces_and_kernel_surface() {
    let Some(_host) = util::shared() else { return };
    // `unshare -U` would give the program a namespace-local root; `unshare -m` needs a capability it
    // lacks anyway. Go, qemu and the shell itself (clone, not clone3) keep working, as the other tests show.
    let run = run_sh(
        "grep '^Seccomp:' /proc/self/status | tr -d '\\t'; \
         unshare -U true 2>&1 | grep -o 'Operation not permitted' || echo ALLOWED; \
         unshare -r true 2>&1 | grep -o 'Operation not permitted' || echo ALLOWED; \
         (sleep 0 &) && echo forks",
    )
    .expect("run");
    assert_eq!(
        run.stdout,
        "Seccomp:2\nOperation not permitted\nOperation not permitted\nforks\n"
    );

    let code = code_dir();
    let run = util::run(
        &sandbox(),
        sh(code.path(), "grep '^Seccomp:' /proc/self/status | tr -d '\\t'")
            .seccomp(false)
            .build(),
    )
    .expect("run");
    assert_eq!(run.stdout, "Seccomp:0\n");
}
