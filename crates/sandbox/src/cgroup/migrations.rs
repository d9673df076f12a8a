//! Moving a process into a cgroup without waiting for an RCU grace period.
//!
//! Every sandbox's init joins its cgroup by writing to `cgroup.procs`. That write takes the kernel's
//! `cgroup_threadgroup_rwsem` for writing, a per-CPU rwsem whose writer waits for an RCU grace period
//! unless another writer came just before: 5 to 15 ms on an otherwise idle host, the largest part of a
//! sandboxed cold start. Since Linux 6.0 a cgroup hierarchy mounted with `favordynmods` switches that
//! rwsem, kernel-wide, to a mode whose writers do not wait (at a small cost to `fork` and `exit`, which
//! take it for reading), and the mode lasts while such a hierarchy exists.
//!
//! On cgroup v1 hosts, [`FastMigrations::enable`] creates one: a controller-less, named cgroup v1 hierarchy with
//! `favordynmods`, mounted through `fsopen`/`fsmount` and never attached to any directory, so it is
//! visible nowhere but in `/proc/<pid>/cgroup` (as `name=lamina`). Holding the returned value keeps it;
//! dropping it lets the kernel destroy the hierarchy (kernels from 6.18 keep the faster mode once a
//! hierarchy asked for it). Where the kernel refuses (before 6.0, or built without cgroup v1), sandboxes
//! work as before, only with slower starts.

use std::os::fd::OwnedFd;

use rustix::mount::{FsMountFlags, FsOpenFlags, MountAttrFlags};

/// The name of the hierarchy, as `/proc/<pid>/cgroup` shows it (`N:name=lamina:/`).
pub const HIERARCHY_NAME: &str = "lamina";

/// A `favordynmods` cgroup hierarchy held open: cgroup migrations on this host skip the RCU grace period
/// while it lives.
#[derive(Debug)]
pub struct FastMigrations {
    _mount: OwnedFd,
}

impl FastMigrations {
    /// Creates (or joins, when another server holds it) the hierarchy; the error says what the kernel
    /// refused.
    pub fn enable() -> Result<FastMigrations, String> {
        // The kernel answers EBUSY while another holder's copy of the hierarchy is being torn down.
        let mut attempts = 0;
        loop {
            match Self::mount() {
                Err((rustix::io::Errno::BUSY, _)) if attempts < 40 => {
                    attempts += 1;
                    std::thread::sleep(std::time::Duration::from_millis(5));
                }
                result => return result.map_err(|(_, message)| message),
            }
        }
    }

    fn mount() -> Result<FastMigrations, (rustix::io::Errno, String)> {
        let step = |what: &str, e: rustix::io::Errno| (e, format!("{what}: {e}"));
        let context = rustix::mount::fsopen("cgroup", FsOpenFlags::FSOPEN_CLOEXEC)
            .map_err(|e| step("fsopen(cgroup)", e))?;
        rustix::mount::fsconfig_set_flag(&context, "none").map_err(|e| step("cgroup option none", e))?;
        rustix::mount::fsconfig_set_string(&context, "name", HIERARCHY_NAME)
            .map_err(|e| step("cgroup option name", e))?;
        rustix::mount::fsconfig_set_flag(&context, "favordynmods")
            .map_err(|e| step("cgroup option favordynmods (Linux 6.0 or later)", e))?;
        rustix::mount::fsconfig_create(&context).map_err(|e| step("creating the cgroup hierarchy", e))?;
        let mount = rustix::mount::fsmount(
            &context,
            FsMountFlags::FSMOUNT_CLOEXEC,
            MountAttrFlags::MOUNT_ATTR_NOSUID
                | MountAttrFlags::MOUNT_ATTR_NODEV
                | MountAttrFlags::MOUNT_ATTR_NOEXEC,
        )
        .map_err(|e| step("fsmount", e))?;
        Ok(FastMigrations { _mount: mount })
    }
}
