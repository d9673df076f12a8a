//! Which isolation the host allows, with a reason the server logs at start.

use std::path::Path;

use rustix::thread::CapabilitySet;

use crate::SandboxConfig;
use crate::cgroup::CgroupBackend;
use crate::spec::IsolationMode;

/// The strongest isolation the host allows and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detection {
    /// `Sandbox` when everything it needs is there, else `Process`.
    pub mode: IsolationMode,
    /// One sentence for the start-up log: what was found, or what is missing for `Sandbox`.
    pub reason: String,
}

/// Picks the isolation mode for this host: `Sandbox` when the process is root with `CAP_SYS_ADMIN`, the
/// namespaces exist and a cgroup hierarchy offers the memory and pids controllers; otherwise `Process`,
/// with the reason `Sandbox` is impossible.
pub fn detect(config: &SandboxConfig) -> Detection {
    match check_sandbox_support(config) {
        Ok(cgroups) => Detection {
            mode: IsolationMode::Sandbox,
            reason: format!(
                "running as root with mount, PID, IPC, UTS and network namespaces; {}",
                cgroups.describe()
            ),
        },
        Err(why) => Detection {
            mode: IsolationMode::Process,
            reason: format!(
                "sandbox isolation unavailable ({why}): functions run as plain processes with no filesystem, memory or process-count isolation"
            ),
        },
    }
}

/// Checks what `Sandbox` mode needs; returns the cgroup backend, or what is missing.
pub(crate) fn check_sandbox_support(config: &SandboxConfig) -> Result<CgroupBackend, String> {
    if !cfg!(target_os = "linux") {
        return Err("sandboxing needs Linux".to_owned());
    }
    let euid = rustix::process::geteuid();
    if !euid.is_root() {
        return Err(format!("not running as root (euid {})", euid.as_raw()));
    }
    let caps = rustix::thread::capabilities(None).map_err(|e| format!("cannot read capabilities: {e}"))?;
    for (cap, name) in [
        (CapabilitySet::SYS_ADMIN, "CAP_SYS_ADMIN"),
        (CapabilitySet::SETUID, "CAP_SETUID"),
        (CapabilitySet::SETGID, "CAP_SETGID"),
        (CapabilitySet::SETPCAP, "CAP_SETPCAP"),
    ] {
        if !caps.effective.contains(cap) {
            return Err(format!("root without {name} (a container without privileges?)"));
        }
    }
    for ns in ["mnt", "pid", "ipc", "uts", "net"] {
        if !Path::new("/proc/self/ns").join(ns).exists() {
            return Err(format!("the kernel has no {ns} namespaces"));
        }
    }
    let helper = &config.helper.program;
    if !helper.exists() {
        return Err(format!("the sandbox helper {} does not exist", helper.display()));
    }
    CgroupBackend::detect(&config.cgroup_parent).map_err(|e| e.to_string())
}
