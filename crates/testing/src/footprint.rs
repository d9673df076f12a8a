//! What a test process holds on the host, counted before and after starting and tearing down many
//! sandboxes or execution environments: anything that grew has leaked.

use std::path::{Path, PathBuf};

/// Host resources that sandboxes use and teardown must give back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Footprint {
    /// Mounts visible to this process (sandbox mounts live in their own namespaces and must never show).
    pub host_mounts: usize,
    /// Child cgroups under the given parent directories.
    pub cgroups: usize,
    /// This process's open file descriptors.
    pub fds: usize,
    /// This process's child processes (zombies included: an unreaped child is a leak too).
    pub children: usize,
    /// Entries in the sandbox staging directory.
    pub staging_entries: usize,
}

impl Footprint {
    /// Counts now: the cgroups below each of `cgroup_parents`, and the entries of `staging_dir`.
    pub fn measure(cgroup_parents: &[PathBuf], staging_dir: &Path) -> Footprint {
        let cgroups = cgroup_parents
            .iter()
            .map(|dir| {
                std::fs::read_dir(dir).map_or(0, |d| {
                    d.filter_map(|e| e.ok()).filter(|e| e.path().is_dir()).count()
                })
            })
            .sum();
        let me = std::process::id().to_string();
        let children = std::fs::read_dir("/proc")
            .expect("/proc")
            .filter_map(|e| e.ok())
            .filter_map(|e| std::fs::read_to_string(e.path().join("stat")).ok())
            .filter(|stat| {
                // Field 4 (after the parenthesised command) is the parent pid.
                stat.rsplit_once(") ")
                    .and_then(|(_, rest)| rest.split(' ').nth(1))
                    == Some(me.as_str())
            })
            .count();
        Footprint {
            host_mounts: std::fs::read_to_string("/proc/self/mountinfo")
                .expect("mountinfo")
                .lines()
                .count(),
            cgroups,
            fds: std::fs::read_dir("/proc/self/fd").expect("fds").count(),
            children,
            staging_entries: std::fs::read_dir(staging_dir).map_or(0, |d| d.count()),
        }
    }
}

/// `Shmem` of /proc/meminfo: memory held by tmpfs files (and shared memory), in bytes. A sandbox's `/tmp`
/// is a tmpfs that must be freed with its mount namespace.
pub fn shmem_bytes() -> u64 {
    let meminfo = std::fs::read_to_string("/proc/meminfo").expect("meminfo");
    let kib: u64 = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("Shmem:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("Shmem in /proc/meminfo");
    kib * 1024
}
