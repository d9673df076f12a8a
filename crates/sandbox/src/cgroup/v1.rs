//! cgroup v1: one directory per controller hierarchy (memory, pids and, when mounted, cpu).

use std::path::{Path, PathBuf};

use super::{
    CgroupError, Mount, SandboxStats, create_dir, kill_listed, read_key, read_u64, remove_dir, write_file,
};
use crate::spec::Resources;

/// `cpu.cfs_period_us` used with a quota.
const CFS_PERIOD_US: u64 = 100_000;

/// The v1 hierarchies a sandbox cgroup lives in.
#[derive(Debug, Clone)]
pub struct Hierarchies {
    memory: PathBuf,
    pids: PathBuf,
    cpu: Option<PathBuf>,
    parent: PathBuf,
}

impl Hierarchies {
    /// Finds the memory, pids and cpu hierarchies among `mounts`; memory and pids are required.
    pub(crate) fn new(mounts: &[Mount], parent: &Path) -> Result<Hierarchies, String> {
        let find = |controller: &str| {
            mounts
                .iter()
                .find(|m| m.fstype == "cgroup" && m.super_options.iter().any(|o| o == controller))
                .map(|m| m.mount_point.clone())
        };
        let memory = find("memory").ok_or("no memory hierarchy mounted")?;
        let pids = find("pids").ok_or("no pids hierarchy mounted")?;
        Ok(Hierarchies {
            memory,
            pids,
            cpu: find("cpu"),
            parent: parent.to_owned(),
        })
    }

    pub(crate) fn describe(&self) -> String {
        format!(
            "cgroup v1: memory at {}, pids at {}, cpu {}; sandboxes under '{}'",
            self.memory.display(),
            self.pids.display(),
            self.cpu
                .as_ref()
                .map_or("not mounted (no CPU weighting)".to_owned(), |p| format!(
                    "at {}",
                    p.display()
                )),
            self.parent.display()
        )
    }

    pub(crate) fn parent_dirs(&self) -> Vec<PathBuf> {
        [Some(&self.memory), Some(&self.pids), self.cpu.as_ref()]
            .into_iter()
            .flatten()
            .map(|h| h.join(&self.parent))
            .collect()
    }

    pub(crate) fn create(&self, name: &str, resources: &Resources) -> Result<Cgroup, CgroupError> {
        let mut cgroup = Cgroup {
            memory: None,
            pids: None,
            cpu: None,
        };
        // On any error `cgroup` is dropped after removing what was created.
        let result = (|| {
            let memory = self.memory.join(&self.parent).join(name);
            create_dir(&memory)?;
            cgroup.memory = Some(memory.clone());
            let bytes = resources.memory_bytes.to_string();
            write_file(&memory.join("memory.limit_in_bytes"), &bytes)?;
            // With swap accounting, forbid swap on top of the limit (memsw = memory + swap).
            let memsw = memory.join("memory.memsw.limit_in_bytes");
            if memsw.exists() {
                write_file(&memsw, &bytes)?;
            }

            let pids = self.pids.join(&self.parent).join(name);
            create_dir(&pids)?;
            cgroup.pids = Some(pids.clone());
            write_file(&pids.join("pids.max"), &resources.pids_max.to_string())?;

            if let Some(cpu_root) = &self.cpu {
                let cpu = cpu_root.join(&self.parent).join(name);
                create_dir(&cpu)?;
                cgroup.cpu = Some(cpu.clone());
                // 1024 shares = one CPU.
                let shares = (resources.cpu_millis * 1024 / 1000).max(2);
                write_file(&cpu.join("cpu.shares"), &shares.to_string())?;
                if resources.cpu_hard_limit {
                    write_file(&cpu.join("cpu.cfs_period_us"), &CFS_PERIOD_US.to_string())?;
                    let quota = (resources.cpu_millis * CFS_PERIOD_US / 1000).max(1000);
                    write_file(&cpu.join("cpu.cfs_quota_us"), &quota.to_string())?;
                }
            }
            Ok(())
        })();
        match result {
            Ok(()) => Ok(cgroup),
            Err(e) => {
                for dir in cgroup.dirs() {
                    let _ = remove_dir(&dir);
                }
                Err(e)
            }
        }
    }
}

/// One sandbox's v1 cgroup: a directory in each hierarchy.
#[derive(Debug)]
pub(crate) struct Cgroup {
    memory: Option<PathBuf>,
    pids: Option<PathBuf>,
    cpu: Option<PathBuf>,
}

impl Cgroup {
    pub(crate) fn dirs(&self) -> Vec<PathBuf> {
        [&self.memory, &self.pids, &self.cpu]
            .into_iter()
            .flatten()
            .cloned()
            .collect()
    }

    pub(crate) fn procs_files(&self) -> Vec<PathBuf> {
        self.dirs().into_iter().map(|d| d.join("cgroup.procs")).collect()
    }

    pub(crate) fn stats(&self) -> Result<SandboxStats, CgroupError> {
        let mut stats = SandboxStats::default();
        if let Some(memory) = &self.memory {
            stats.memory_peak_bytes = read_u64(&memory.join("memory.max_usage_in_bytes"))?;
            // `oom_kill` in memory.oom_control exists since Linux 4.13.
            stats.oom_kills = read_key(&memory.join("memory.oom_control"), "oom_kill")?;
            stats.memory_limit_hits = read_u64(&memory.join("memory.failcnt"))?.unwrap_or(0);
        }
        if let Some(pids) = &self.pids {
            stats.pids_limit_hits = read_key(&pids.join("pids.events"), "max")?;
        }
        Ok(stats)
    }

    pub(crate) fn kill_all(&self) -> Result<(), CgroupError> {
        // The pids hierarchy holds every process of the sandbox, like the others; one is enough.
        match self.pids.as_ref().or(self.memory.as_ref()) {
            Some(dir) => kill_listed(&dir.join("cgroup.procs")),
            None => Ok(()),
        }
    }
}
