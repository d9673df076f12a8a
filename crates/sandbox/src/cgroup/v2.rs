//! cgroup v2: the unified hierarchy. Controllers are enabled in `cgroup.subtree_control` of every ancestor
//! of the sandbox cgroups; the parent holds no processes itself (the "no internal processes" rule).

use std::path::{Path, PathBuf};

use super::{CgroupError, SandboxStats, create_dir, kill_listed, read_file, read_key, read_u64, write_file};
use crate::spec::Resources;

/// `cpu.max` period in microseconds.
const CPU_PERIOD_US: u64 = 100_000;

/// The unified hierarchy and the parent sandbox cgroups go under.
#[derive(Debug, Clone)]
pub struct Unified {
    root: PathBuf,
    parent: PathBuf,
    cpu: bool,
}

impl Unified {
    /// Checks that the unified hierarchy at `root` offers the memory and pids controllers.
    pub(crate) fn new(root: &Path, parent: &Path) -> Result<Unified, String> {
        let controllers = std::fs::read_to_string(root.join("cgroup.controllers"))
            .map_err(|e| format!("reading {}/cgroup.controllers: {e}", root.display()))?;
        let has = |c: &str| controllers.split_whitespace().any(|x| x == c);
        for required in ["memory", "pids"] {
            if !has(required) {
                return Err(format!(
                    "the unified hierarchy at {} has no {required} controller (controllers: '{}')",
                    root.display(),
                    controllers.trim()
                ));
            }
        }
        Ok(Unified {
            root: root.to_owned(),
            parent: parent.to_owned(),
            cpu: has("cpu"),
        })
    }

    pub(crate) fn describe(&self) -> String {
        format!(
            "cgroup v2 at {}: memory, pids{}; sandboxes under '{}'",
            self.root.display(),
            if self.cpu {
                ", cpu"
            } else {
                " (no cpu controller: no CPU weighting)"
            },
            self.parent.display()
        )
    }

    pub(crate) fn parent_dir(&self) -> PathBuf {
        self.root.join(&self.parent)
    }

    /// Enables the controllers from the root down to the parent, so that the parent's children get
    /// `memory.*`, `pids.*` and `cpu.*` files.
    fn enable_controllers(&self) -> Result<(), CgroupError> {
        let wanted: &[&str] = if self.cpu {
            &["memory", "pids", "cpu"]
        } else {
            &["memory", "pids"]
        };
        let mut dir = self.root.clone();
        let mut levels = vec![dir.clone()];
        for component in self.parent.components() {
            dir.push(component);
            levels.push(dir.clone());
        }
        for level in levels {
            if !level.exists() {
                create_dir(&level)?;
            }
            let control = level.join("cgroup.subtree_control");
            let enabled = read_file(&control)?;
            for controller in wanted {
                if !enabled.split_whitespace().any(|c| c == *controller) {
                    write_file(&control, &format!("+{controller}"))?;
                }
            }
        }
        Ok(())
    }

    pub(crate) fn create(&self, name: &str, resources: &Resources) -> Result<Cgroup, CgroupError> {
        self.enable_controllers()?;
        let dir = self.parent_dir().join(name);
        create_dir(&dir)?;
        let cgroup = Cgroup { dir };
        let result = (|| {
            let dir = &cgroup.dir;
            write_file(&dir.join("memory.max"), &resources.memory_bytes.to_string())?;
            let swap = dir.join("memory.swap.max");
            if swap.exists() {
                write_file(&swap, "0")?;
            }
            write_file(&dir.join("pids.max"), &resources.pids_max.to_string())?;
            if self.cpu {
                // weight 100 = one CPU's worth (the default), range 1..=10000.
                let weight = (resources.cpu_millis / 10).clamp(1, 10_000);
                write_file(&dir.join("cpu.weight"), &weight.to_string())?;
                if resources.cpu_hard_limit {
                    let quota = (resources.cpu_millis * CPU_PERIOD_US / 1000).max(1000);
                    write_file(&dir.join("cpu.max"), &format!("{quota} {CPU_PERIOD_US}"))?;
                }
            }
            Ok(())
        })();
        match result {
            Ok(()) => Ok(cgroup),
            Err(e) => {
                let _ = cgroup.remove_dir();
                Err(e)
            }
        }
    }
}

/// One sandbox's v2 cgroup.
#[derive(Debug)]
pub(crate) struct Cgroup {
    dir: PathBuf,
}

impl Cgroup {
    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    fn remove_dir(&self) -> Result<(), CgroupError> {
        super::remove_dir(&self.dir)
    }

    pub(crate) fn procs_files(&self) -> Vec<PathBuf> {
        vec![self.dir.join("cgroup.procs")]
    }

    pub(crate) fn stats(&self) -> Result<SandboxStats, CgroupError> {
        let events = self.dir.join("memory.events");
        Ok(SandboxStats {
            // memory.peak exists since Linux 5.19.
            memory_peak_bytes: read_u64(&self.dir.join("memory.peak"))?,
            oom_kills: read_key(&events, "oom_kill")?,
            memory_limit_hits: read_key(&events, "max")?,
            pids_limit_hits: read_key(&self.dir.join("pids.events"), "max")?,
        })
    }

    pub(crate) fn kill_all(&self) -> Result<(), CgroupError> {
        // cgroup.kill (Linux 5.14) kills everything at once, including processes forking meanwhile.
        let kill = self.dir.join("cgroup.kill");
        if kill.exists() {
            write_file(&kill, "1")?;
        }
        kill_listed(&self.dir.join("cgroup.procs"))
    }
}
