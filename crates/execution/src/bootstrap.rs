//! The bootstrap of an environment as a process: a plain child process, or a sandbox.

use std::process::ExitStatus;
use std::sync::Arc;
use std::time::{Duration, Instant};

use lamina_sandbox::{GroupWatchdog, SandboxStats, SandboxedProcess, WatchedGroup};
use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use tokio::process::Child;

/// A plain bootstrap: the child process leading its own process group, what is known of the group's
/// members, and the watchdog's hold on the group (which kills it if the server dies; taken off when this
/// is dropped, after the group was killed).
#[derive(Debug)]
pub(crate) struct Plain {
    pub(crate) child: Child,
    members: GroupMembers,
    _watched: Option<WatchedGroup>,
}

impl Plain {
    /// `child`, watched by `watchdog` when there is one.
    pub(crate) fn new(child: Child, watchdog: Option<&Arc<GroupWatchdog>>) -> Plain {
        let watched = watchdog.zip(child.id()).map(|(w, pid)| w.watch(pid));
        Plain {
            child,
            members: GroupMembers::default(),
            _watched: watched,
        }
    }
}

/// A running bootstrap.
#[derive(Debug)]
pub(crate) enum Bootstrap {
    /// A plain child process leading its own process group.
    Process(Box<Plain>),
    /// A sandboxed process; `None` once torn down.
    Sandboxed(Option<Box<SandboxedProcess>>),
}

impl Bootstrap {
    /// Waits for the bootstrap to exit (never resolves once a sandbox is torn down).
    pub(crate) async fn wait(&mut self) -> Result<ExitStatus, String> {
        match self {
            Bootstrap::Process(plain) => plain.child.wait().await.map_err(|e| e.to_string()),
            Bootstrap::Sandboxed(Some(process)) => process.wait_async().await.map_err(|e| e.to_string()),
            Bootstrap::Sandboxed(None) => std::future::pending().await,
        }
    }

    /// Whether the bootstrap still runs.
    pub(crate) fn is_alive(&mut self) -> bool {
        match self {
            Bootstrap::Process(plain) => matches!(plain.child.try_wait(), Ok(None)),
            Bootstrap::Sandboxed(Some(process)) => matches!(process.try_wait(), Ok(None)),
            Bootstrap::Sandboxed(None) => false,
        }
    }

    /// What the sandbox's cgroup measured (nothing for a plain process).
    pub(crate) fn stats(&self) -> SandboxStats {
        match self {
            Bootstrap::Sandboxed(Some(process)) => process.stats().unwrap_or_default(),
            _ => SandboxStats::default(),
        }
    }

    /// Peak memory in MB, rounded up: the cgroup's peak for a sandbox; for a plain process, the sum of the
    /// peak resident sets (`VmHWM`) of the processes of its process group (see [`GroupMembers`]).
    pub(crate) fn max_memory_mb(&mut self) -> u64 {
        const MIB: u64 = 1024 * 1024;
        match self {
            Bootstrap::Process(plain) => {
                let Some(leader) = plain.child.id() else { return 0 };
                plain.members.peak_rss_kib(leader).div_ceil(1024)
            }
            Bootstrap::Sandboxed(_) => self.stats().memory_peak_bytes.unwrap_or(0).div_ceil(MIB),
        }
    }

    /// Ends the bootstrap and everything it started: SIGTERM first and up to `grace` to exit when given,
    /// then SIGKILL to the whole process group (plain) or sandbox (whose cgroup is then removed).
    pub(crate) async fn kill(&mut self, grace: Option<Duration>) {
        match self {
            Bootstrap::Process(plain) => {
                let child = &mut plain.child;
                if let Some(grace) = grace {
                    signal_group(child, Signal::SIGTERM);
                    let _ = tokio::time::timeout(grace, child.wait()).await;
                }
                signal_group(child, Signal::SIGKILL);
                let _ = child.kill().await;
            }
            Bootstrap::Sandboxed(slot) => {
                let Some(mut process) = slot.take() else { return };
                let name = process.name().to_owned();
                // Killing and reaping block for a moment; the teardown removes the cgroup.
                let torn_down = tokio::task::spawn_blocking(move || {
                    if grace.is_some() {
                        process.kill_tree(grace)?;
                    }
                    process.teardown()
                })
                .await;
                match torn_down {
                    Ok(Ok(_)) => {}
                    Ok(Err(e)) => tracing::warn!(sandbox = %name, "tearing down a sandbox: {e}"),
                    Err(e) => tracing::warn!(sandbox = %name, "tearing down a sandbox: {e}"),
                }
            }
        }
    }
}

fn signal_group(child: &Child, signal: Signal) {
    if let Some(pid) = child.id() {
        // The bootstrap leads its own process group: signalling the group reaches every process it
        // started.
        let _ = killpg(Pid::from_raw(pid as i32), signal);
    }
}

/// The processes of a plain bootstrap's group, found again at most every [`GroupMembers::REFRESH`].
///
/// Finding them walks the bootstrap's descendants, a read per thread of each (an aws-lambda-go bootstrap
/// has about eight threads): on every invocation that walk took about a tenth of the server's time per
/// warm invocation at concurrency 32 and 50 µs of each invocation's latency (see BENCHMARKS.md). Between
/// walks only the known members' `VmHWM` is read (one file for a single-process runtime). A process
/// started since the last walk is counted from the next one, at most a second later.
#[derive(Debug, Default)]
pub(crate) struct GroupMembers {
    pids: Vec<u32>,
    found_at: Option<Instant>,
}

impl GroupMembers {
    /// How long a walk's result is used.
    const REFRESH: Duration = Duration::from_secs(1);

    /// The sum of the peak RSS (KiB) of the processes of `leader`'s group.
    fn peak_rss_kib(&mut self, leader: u32) -> u64 {
        if self.found_at.is_none_or(|at| at.elapsed() >= Self::REFRESH) {
            self.pids = group_members(leader);
            self.found_at = Some(Instant::now());
        }
        self.pids.iter().map(|pid| peak_rss_kib(*pid)).sum()
    }
}

/// Most processes of one bootstrap's tree that [`group_members`] visits.
const MAX_TREE: usize = 4096;

/// The processes of `leader`'s process group.
///
/// They are found by walking the leader's descendants (`/proc/<pid>/task/<tid>/children`), so the cost
/// follows the size of the tree, not the number of processes on the host: scanning all of `/proc` on
/// every invocation cost about a millisecond with a few hundred processes and grew with every warm
/// environment (see BENCHMARKS.md). A process that left the tree (reparented to init after its parent
/// exited) is not counted; a sandbox's cgroup counts it. Where the kernel has no `children` files, every
/// process is scanned.
fn group_members(leader: u32) -> Vec<u32> {
    if std::path::Path::new(&format!("/proc/{leader}/task/{leader}/children")).exists() {
        let mut pending = vec![leader];
        let mut seen = std::collections::HashSet::new();
        let mut members = Vec::new();
        while let Some(pid) = pending.pop() {
            if seen.len() >= MAX_TREE || !seen.insert(pid) {
                continue;
            }
            if process_group(pid) == Some(leader) {
                members.push(pid);
            }
            pending.extend(children(pid));
        }
        members
    } else {
        let Ok(entries) = std::fs::read_dir("/proc") else {
            return Vec::new();
        };
        entries
            .filter_map(Result::ok)
            .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
            .filter(|pid| process_group(*pid) == Some(leader))
            .collect()
    }
}

/// The children of every thread of `pid`.
fn children(pid: u32) -> Vec<u32> {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return Vec::new();
    };
    tasks
        .filter_map(Result::ok)
        .filter_map(|task| std::fs::read_to_string(task.path().join("children")).ok())
        .flat_map(|list| {
            list.split_whitespace()
                .filter_map(|c| c.parse::<u32>().ok())
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The process group of `pid` (field 5 of `/proc/<pid>/stat`, read after the command name, which may
/// itself hold spaces and parentheses).
fn process_group(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit_once(')')?.1.split_whitespace().nth(2)?.parse().ok()
}

/// `VmHWM` of `pid` in KiB (0 when it is gone).
fn peak_rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use std::os::unix::process::CommandExt as _;
    use std::process::Command;
    use std::time::{Duration, Instant};

    use super::{GroupMembers, group_members, peak_rss_kib};

    #[test]
    fn a_groups_peak_counts_the_descendants() {
        // A shell leading its own group, with two children in the group and a grandchild.
        let mut leader = Command::new("sh")
            .args(["-c", "sleep 30 & sh -c 'sleep 30 & wait' & wait"])
            .process_group(0)
            .spawn()
            .expect("spawn sh");
        let pid = leader.id();
        // Until both sleeps have been exec'd, the group is still forming.
        let deadline = Instant::now() + Duration::from_secs(30);
        while sleepers(&group_members(pid)) < 2 {
            assert!(
                Instant::now() < deadline,
                "the group did not form in 30 s: {:?}",
                group_members(pid)
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        let alone = peak_rss_kib(pid);
        let group = GroupMembers::default().peak_rss_kib(pid);
        let _ = nix::sys::signal::killpg(
            nix::unistd::Pid::from_raw(pid as i32),
            nix::sys::signal::Signal::SIGKILL,
        );
        let _ = leader.wait();
        assert!(alone > 0);
        assert!(
            group > alone * 2,
            "the group's {group} KiB against the leader's {alone} KiB"
        );
    }

    /// How many of `pids` run `sleep 30`.
    fn sleepers(pids: &[u32]) -> usize {
        pids.iter()
            .filter(|pid| {
                std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| c == b"sleep\x0030\x00")
            })
            .count()
    }
}
