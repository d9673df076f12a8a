//! What the parent and the helper say to each other.
//!
//! - The request socket (its fd number is the helper's first argument): one end of a Unix stream socket
//!   pair. When the helper's plan (its third argument, a JSON [`HelperPlan`]) asks for a listening socket
//!   inside the sandbox's network namespace, the helper first sends it there (`SCM_RIGHTS`, one byte of
//!   data); then it reads one byte saying where `/tmp` lives, [`TMP_ON_DISK`] (with `SCM_RIGHTS`: a detached
//!   mount of the sandbox's own filesystem) or [`TMP_IN_MEMORY`] (a tmpfs), and one JSON [`InitRequest`]
//!   until EOF (the parent closes its end).
//! - The status pipe (the second argument): the write end of a close-on-exec pipe carrying JSON lines of
//!   [`StatusMessage`]. Every process of the helper holds it until the program's `execve` succeeds (which
//!   closes it), so the parent reads EOF exactly when the program runs, or a `Failed` line first.
//! - Between the sandbox's init and the helper, one JSON [`ProgramExit`] when the program ends, so the helper
//!   can exit the same way and the parent's `wait` sees the program's own status.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::error::SetupError;
use crate::spec::{NetworkPlan, SandboxSpec};

/// The request's first byte when `/tmp` is a filesystem of its own, whose detached mount comes with it.
pub(crate) const TMP_ON_DISK: u8 = b'D';
/// The request's first byte when `/tmp` is a tmpfs.
pub(crate) const TMP_IN_MEMORY: u8 = b'M';

/// What the helper prepares before it reads its request: its third argument, as JSON.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct HelperPlan {
    /// The sandbox's network and the socket to listen on inside it.
    pub(crate) network: NetworkPlan,
    /// The user-mode network stack, for [`crate::Network::Outbound`].
    pub(crate) slirp4netns: Option<PathBuf>,
}

/// Everything the helper needs: the spec plus what the parent resolved on the host.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct InitRequest {
    pub(crate) spec: SandboxSpec,
    /// `cgroup.procs` files to join (empty: no cgroup).
    pub(crate) cgroup_procs: Vec<PathBuf>,
    /// An empty host directory the new root is assembled on (in the sandbox's own mount namespace).
    pub(crate) staging_dir: PathBuf,
    /// `/etc/resolv.conf` contents (the spec's, or the host's read by the parent).
    pub(crate) resolv_conf: String,
}

/// A line on the status pipe.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) enum StatusMessage {
    /// The host pid of the sandbox's init (PID 1 of its PID namespace).
    InitPid(u32),
    /// A setup step failed; the helper exits after sending this.
    Failed(SetupError),
}

/// How the program ended, as its init saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum ProgramExit {
    /// Exited with this code.
    Exited(i32),
    /// Killed by this signal.
    Signaled(i32),
}
