//! One cgroup per sandbox: memory limit, pids limit, CPU weight (and optionally quota), peak memory and OOM
//! kills. Two backends behind one enum, picked once at start from `/proc/self/mountinfo`: cgroup v2 (the
//! unified hierarchy, when it holds the memory and pids controllers) and cgroup v1 (one hierarchy per
//! controller, as on hosts where the unified hierarchy has no controllers).

mod migrations;
mod v1;
mod v2;

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use thiserror::Error;

use crate::spec::Resources;

pub use migrations::{FastMigrations, HIERARCHY_NAME};

/// A cgroup operation that failed, naming the file or directory.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum CgroupError {
    /// No usable cgroup hierarchy.
    #[error("no usable cgroups: {reason}")]
    Unavailable {
        /// What is missing.
        reason: String,
    },
    /// Creating a cgroup directory failed.
    #[error("creating cgroup {}: {source}", path.display())]
    Create {
        /// The directory.
        path: PathBuf,
        /// The error.
        #[source]
        source: io::Error,
    },
    /// Writing a control file failed.
    #[error("writing '{value}' to {}: {source}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// The value.
        value: String,
        /// The error.
        #[source]
        source: io::Error,
    },
    /// Reading a control file failed.
    #[error("reading {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The error.
        #[source]
        source: io::Error,
    },
    /// Removing a cgroup failed (processes still in it after they were killed).
    #[error("removing cgroup {}: {source}", path.display())]
    Remove {
        /// The directory.
        path: PathBuf,
        /// The error.
        #[source]
        source: io::Error,
    },
}

/// Which cgroup version a backend drives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CgroupVersion {
    /// One hierarchy per controller.
    V1,
    /// The unified hierarchy.
    V2,
}

/// What a sandbox's cgroup measured (all zero and `None` in `Process` mode, which has no cgroup).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SandboxStats {
    /// Highest memory use in bytes (v1 `memory.max_usage_in_bytes`, v2 `memory.peak`); `None` when the
    /// kernel does not report it.
    pub memory_peak_bytes: Option<u64>,
    /// Processes the OOM killer killed in the cgroup.
    pub oom_kills: u64,
    /// Times the memory limit was hit (v1 `memory.failcnt`, v2 `memory.events` `max`).
    pub memory_limit_hits: u64,
    /// Forks refused by the pids limit (`pids.events` `max`).
    pub pids_limit_hits: u64,
}

impl SandboxStats {
    /// Whether the OOM killer killed a process of the sandbox.
    pub fn oom_killed(&self) -> bool {
        self.oom_kills > 0
    }
}

/// The cgroup hierarchy of this host, detected once; creates one cgroup per sandbox below `parent`.
#[derive(Debug, Clone)]
pub enum CgroupBackend {
    /// cgroup v1.
    V1(v1::Hierarchies),
    /// cgroup v2.
    V2(v2::Unified),
}

impl CgroupBackend {
    /// Finds the cgroup controllers from `/proc/self/mountinfo`: v2 when the unified hierarchy has the memory
    /// and pids controllers, else v1 when memory and pids hierarchies are mounted. Sandbox cgroups go below
    /// `parent` (a relative path such as `lamina`) in each hierarchy.
    pub fn detect(parent: &str) -> Result<CgroupBackend, CgroupError> {
        let mountinfo = fs::read_to_string("/proc/self/mountinfo").map_err(|source| CgroupError::Read {
            path: PathBuf::from("/proc/self/mountinfo"),
            source,
        })?;
        let mounts = parse_mountinfo(&mountinfo);
        let parent = PathBuf::from(parent);
        if parent.is_absolute()
            || parent
                .components()
                .any(|c| !matches!(c, std::path::Component::Normal(_)))
        {
            return Err(CgroupError::Unavailable {
                reason: format!(
                    "the cgroup parent '{}' must be a plain relative path",
                    parent.display()
                ),
            });
        }
        let mut why_not_v2 = "no cgroup2 mount".to_owned();
        if let Some(mount) = mounts.iter().find(|m| m.fstype == "cgroup2") {
            match v2::Unified::new(&mount.mount_point, &parent) {
                Ok(unified) => return Ok(CgroupBackend::V2(unified)),
                Err(reason) => why_not_v2 = reason,
            }
        }
        match v1::Hierarchies::new(&mounts, &parent) {
            Ok(hierarchies) => Ok(CgroupBackend::V1(hierarchies)),
            Err(why_not_v1) => Err(CgroupError::Unavailable {
                reason: format!("cgroup v2: {why_not_v2}; cgroup v1: {why_not_v1}"),
            }),
        }
    }

    /// The version in use.
    pub fn version(&self) -> CgroupVersion {
        match self {
            CgroupBackend::V1(_) => CgroupVersion::V1,
            CgroupBackend::V2(_) => CgroupVersion::V2,
        }
    }

    /// One line for the server's start-up log: version, controllers and where sandbox cgroups go.
    pub fn describe(&self) -> String {
        match self {
            CgroupBackend::V1(h) => h.describe(),
            CgroupBackend::V2(u) => u.describe(),
        }
    }

    /// The cgroup directories sandboxes get created in (one per hierarchy), for leak checks.
    pub fn parent_dirs(&self) -> Vec<PathBuf> {
        match self {
            CgroupBackend::V1(h) => h.parent_dirs(),
            CgroupBackend::V2(u) => vec![u.parent_dir()],
        }
    }

    /// Kills the processes of every sandbox cgroup below the parent and removes those cgroups: what a
    /// crashed server left behind. Returns how many cgroup directories were removed. Only for a server
    /// that owns the parent (two servers sharing one would remove each other's sandboxes).
    pub fn remove_stale(&self) -> Result<usize, CgroupError> {
        let mut removed = 0;
        for parent in self.parent_dirs() {
            let entries = match fs::read_dir(&parent) {
                Ok(entries) => entries,
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(source) => return Err(CgroupError::Read { path: parent, source }),
            };
            for entry in entries.filter_map(Result::ok) {
                let dir = entry.path();
                if !entry.file_type().is_ok_and(|t| t.is_dir()) {
                    continue;
                }
                if let CgroupBackend::V2(_) = self {
                    let kill = dir.join("cgroup.kill");
                    if kill.exists() {
                        write_file(&kill, "1")?;
                    }
                }
                kill_listed(&dir.join("cgroup.procs"))?;
                remove_dir(&dir)?;
                removed += 1;
            }
        }
        Ok(removed)
    }

    /// Creates the cgroup `name` with `resources` applied. On error nothing is left behind.
    pub(crate) fn create(&self, name: &str, resources: &Resources) -> Result<Cgroup, CgroupError> {
        match self {
            CgroupBackend::V1(h) => h.create(name, resources).map(Cgroup::V1),
            CgroupBackend::V2(u) => u.create(name, resources).map(Cgroup::V2),
        }
    }
}

/// One sandbox's cgroup.
#[derive(Debug)]
pub(crate) enum Cgroup {
    V1(v1::Cgroup),
    V2(v2::Cgroup),
}

impl Cgroup {
    /// The `cgroup.procs` files a process writes `0` to in order to join.
    pub(crate) fn procs_files(&self) -> Vec<PathBuf> {
        match self {
            Cgroup::V1(c) => c.procs_files(),
            Cgroup::V2(c) => c.procs_files(),
        }
    }

    /// What the cgroup measured so far.
    pub(crate) fn stats(&self) -> Result<SandboxStats, CgroupError> {
        match self {
            Cgroup::V1(c) => c.stats(),
            Cgroup::V2(c) => c.stats(),
        }
    }

    /// SIGKILLs every process in the cgroup until it is empty.
    pub(crate) fn kill_all(&self) -> Result<(), CgroupError> {
        match self {
            Cgroup::V1(c) => c.kill_all(),
            Cgroup::V2(c) => c.kill_all(),
        }
    }

    /// Kills what is left and removes the cgroup directories.
    pub(crate) fn remove(&self) -> Result<(), CgroupError> {
        self.kill_all()?;
        let dirs = match self {
            Cgroup::V1(c) => c.dirs(),
            Cgroup::V2(c) => vec![c.dir().to_owned()],
        };
        for dir in dirs {
            remove_dir(&dir)?;
        }
        Ok(())
    }
}

/// A mount from `/proc/self/mountinfo`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Mount {
    pub(crate) mount_point: PathBuf,
    pub(crate) fstype: String,
    pub(crate) super_options: Vec<String>,
}

/// Parses `/proc/self/mountinfo` (proc(5)): fields up to the `-` separator, then fstype, source and super
/// options. Mount points have spaces and the like escaped as octal (`\040`).
pub(crate) fn parse_mountinfo(text: &str) -> Vec<Mount> {
    text.lines()
        .filter_map(|line| {
            let (left, right) = line.split_once(" - ")?;
            let mount_point = left.split(' ').nth(4)?;
            let mut right = right.split(' ');
            let fstype = right.next()?.to_owned();
            let _source = right.next()?;
            let super_options = right.next().unwrap_or("").split(',').map(str::to_owned).collect();
            Some(Mount {
                mount_point: PathBuf::from(unescape_octal(mount_point)),
                fstype,
                super_options,
            })
        })
        .collect()
}

fn unescape_octal(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\'
            && i + 3 < bytes.len()
            && bytes[i + 1..i + 4].iter().all(|b| (b'0'..=b'7').contains(b))
        {
            let digit = |b: u8| u32::from(b - b'0');
            let v = digit(bytes[i + 1]) * 64 + digit(bytes[i + 2]) * 8 + digit(bytes[i + 3]);
            out.push(u8::try_from(v).unwrap_or(b'?'));
            i += 4;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn write_file(path: &Path, value: &str) -> Result<(), CgroupError> {
    fs::write(path, value).map_err(|source| CgroupError::Write {
        path: path.to_owned(),
        value: value.to_owned(),
        source,
    })
}

fn read_file(path: &Path) -> Result<String, CgroupError> {
    fs::read_to_string(path).map_err(|source| CgroupError::Read {
        path: path.to_owned(),
        source,
    })
}

/// Reads a number from a file such as `memory.peak`; `None` when the file does not exist.
fn read_u64(path: &Path) -> Result<Option<u64>, CgroupError> {
    match fs::read_to_string(path) {
        Ok(text) => Ok(text.trim().parse().ok()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(CgroupError::Read {
            path: path.to_owned(),
            source,
        }),
    }
}

/// The value of `key` in a flat keyed file (`memory.events`, `pids.events`, v1 `memory.oom_control`);
/// 0 when the file or key is absent.
fn read_key(path: &Path, key: &str) -> Result<u64, CgroupError> {
    let text = match fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(0),
        Err(source) => {
            return Err(CgroupError::Read {
                path: path.to_owned(),
                source,
            });
        }
    };
    Ok(keyed_value(&text, key).unwrap_or(0))
}

fn keyed_value(text: &str, key: &str) -> Option<u64> {
    text.lines().find_map(|line| {
        let (k, v) = line.split_once(' ')?;
        (k == key).then(|| v.trim().parse().ok()).flatten()
    })
}

/// Creates `dir` below an existing `base`, with the directories in between.
fn create_dir(dir: &Path) -> Result<(), CgroupError> {
    if let Some(parent) = dir.parent() {
        fs::create_dir_all(parent).map_err(|source| CgroupError::Create {
            path: parent.to_owned(),
            source,
        })?;
    }
    fs::create_dir(dir).map_err(|source| CgroupError::Create {
        path: dir.to_owned(),
        source,
    })
}

/// SIGKILLs the processes listed in `procs` until the list is empty (a process may fork while we kill:
/// we repeat). Gives up after about a second.
fn kill_listed(procs: &Path) -> Result<(), CgroupError> {
    let deadline = Instant::now() + Duration::from_secs(1);
    loop {
        let text = match fs::read_to_string(procs) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(source) => {
                return Err(CgroupError::Read {
                    path: procs.to_owned(),
                    source,
                });
            }
        };
        let pids: Vec<i32> = text.lines().filter_map(|l| l.trim().parse().ok()).collect();
        if pids.is_empty() || Instant::now() > deadline {
            return Ok(());
        }
        for pid in pids {
            // ESRCH: already gone.
            let _ =
                nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), nix::sys::signal::Signal::SIGKILL);
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Removes a cgroup directory; dying processes can keep it busy for a moment, so `EBUSY` is retried for
/// up to two seconds. A directory already gone is fine.
fn remove_dir(dir: &Path) -> Result<(), CgroupError> {
    let deadline = Instant::now() + Duration::from_secs(2);
    loop {
        match fs::remove_dir(dir) {
            Ok(()) => return Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) if e.raw_os_error() == Some(libc::EBUSY) && Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(2));
            }
            Err(source) => {
                return Err(CgroupError::Remove {
                    path: dir.to_owned(),
                    source,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MOUNTINFO: &str = "\
30 1 254:0 / / rw,relatime - ext4 /dev/vda rw
35 30 0:29 / /sys/fs/cgroup ro,nosuid - tmpfs tmpfs ro,mode=755
36 35 0:30 / /sys/fs/cgroup/unified rw,nosuid - cgroup2 cgroup2 rw
38 35 0:32 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid - cgroup cgroup rw,cpu,cpuacct
39 35 0:33 / /sys/fs/cgroup/memory rw,nosuid - cgroup cgroup rw,memory
40 35 0:34 / /sys/fs/cgroup/pids rw,nosuid - cgroup cgroup rw,pids
41 30 0:35 / /mnt/with\\040space rw - tmpfs tmpfs rw
";

    #[test]
    fn parses_mountinfo() {
        let mounts = parse_mountinfo(MOUNTINFO);
        assert_eq!(mounts.len(), 7);
        assert_eq!(mounts[2].fstype, "cgroup2");
        assert_eq!(mounts[3].mount_point, PathBuf::from("/sys/fs/cgroup/cpu,cpuacct"));
        assert_eq!(mounts[3].super_options, vec!["rw", "cpu", "cpuacct"]);
        assert_eq!(mounts[6].mount_point, PathBuf::from("/mnt/with space"));
    }

    #[test]
    fn reads_keyed_files() {
        let oom_control = "oom_kill_disable 0\nunder_oom 0\noom_kill 3\n";
        assert_eq!(keyed_value(oom_control, "oom_kill"), Some(3));
        assert_eq!(keyed_value(oom_control, "oom"), None);
        let events = "low 0\nhigh 0\nmax 12\noom 1\noom_kill 1\noom_group_kill 0\n";
        assert_eq!(keyed_value(events, "max"), Some(12));
        assert_eq!(keyed_value(events, "oom_kill"), Some(1));
    }
}
