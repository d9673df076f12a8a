//! `/tmp` on a disk of its own (`SandboxConfig::tmp_disks`): its size, its memory, its lifetime.

use std::time::{Duration, Instant};

use lamina_sandbox::MIB;

use crate::util::{self, code_dir, sh};

#[test]
fn tmp_on_disk_fills_to_its_size_and_is_not_charged_to_memory() {
    let Some(_host) = util::shared() else { return };
    let disks = tempfile::tempdir().expect("tempdir");
    let sandbox = util::sandbox_with_tmp_disks(disks.path());
    let code = code_dir();
    // 600 MiB into a 512 MiB /tmp of a sandbox with 128 MiB of memory: the disk fills, memory does not.
    let run = util::run(
        &sandbox,
        sh(
            code.path(),
            "dd if=/dev/zero of=/tmp/f bs=1M count=600 2>&1 | grep -c 'No space left on device'; \
             stat -c '%s %a' /tmp/f /tmp; stat -f -c '%b %S %T' /tmp; ls -A /tmp",
        )
        .memory(128 * MIB)
        .expect("memory")
        .tmp_size(512 * MIB)
        .expect("tmp")
        .build(),
    )
    .expect("run");
    assert!(run.status.success(), "{run:?}");
    assert!(!run.stats.oom_killed(), "{run:?}");
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.first(), Some(&"1"), "dd ends with ENOSPC: {run:?}");
    let written: u64 = lines[1]
        .split(' ')
        .next()
        .and_then(|s| s.parse().ok())
        .expect("size");
    assert!(
        (512 * MIB..530 * MIB).contains(&written),
        "wrote {written} bytes: {run:?}"
    );
    assert_eq!(
        lines[2], "4096 1777",
        "/tmp is a sticky directory for all: {run:?}"
    );
    let fs: Vec<&str> = lines[3].split(' ').collect();
    let size = fs[0].parse::<u64>().expect("blocks") * fs[1].parse::<u64>().expect("block size");
    assert!(
        (512 * MIB..540 * MIB).contains(&size),
        "filesystem of {size} bytes: {run:?}"
    );
    assert_eq!(fs[2], "ext2/ext3", "{run:?}");
    assert_eq!(lines[4..], ["f"], "nothing but what the program wrote: {run:?}");
}

#[test]
fn a_tmp_disk_is_made_ahead_of_need_and_gone_with_its_sandbox() {
    let Some(_host) = util::shared() else { return };
    let disks = tempfile::tempdir().expect("tempdir");
    let sandbox = util::sandbox_with_tmp_disks(disks.path());
    // 1,000 MiB has not been asked for: the first sandbox waits for its disk, the maker then keeps spares.
    let code = code_dir();
    let spec = || {
        sh(code.path(), "echo x > /tmp/x && cat /tmp/x")
            .tmp_size(1000 * MIB)
            .expect("tmp")
            .build()
    };
    let run = util::run(&sandbox, spec()).expect("run");
    assert_eq!(run.stdout, "x\n", "{run:?}");
    let deadline = Instant::now() + Duration::from_secs(30);
    while sandbox.tmp_disks_ready(1000 * MIB) < 2 {
        assert!(Instant::now() < deadline, "no disks made ahead of need");
        std::thread::sleep(Duration::from_millis(10));
    }
    let run = util::run(&sandbox, spec()).expect("run");
    assert_eq!(run.stdout, "x\n", "{run:?}");
    // Ended sandboxes leave no loop device: only the ready disks keep theirs (the default size's and
    // this size's, once the maker is done).
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let ready = sandbox.tmp_disks_ready(512 * MIB) + sandbox.tmp_disks_ready(1000 * MIB);
        let attached = util::loop_devices_backed_in(disks.path());
        if attached == ready {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{attached} loop devices for {ready} ready disks"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    // The spares go with the launcher.
    drop(sandbox);
    let deadline = Instant::now() + Duration::from_secs(30);
    while util::loop_devices_backed_in(disks.path()) > 0 {
        assert!(Instant::now() < deadline, "spare disks outlived their launcher");
        std::thread::sleep(Duration::from_millis(10));
    }
    // Only the pristine images are left as files; the disks were unnamed.
    let names: Vec<String> = std::fs::read_dir(disks.path())
        .expect("read")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names
            .iter()
            .all(|n| n.starts_with("pristine-") && n.ends_with(".ext4")),
        "{names:?}"
    );
}
