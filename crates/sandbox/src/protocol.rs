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

#![allow(unsafe_code)]

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

/// Sends one byte with at most one fd (`SCM_RIGHTS`): how the helper hands the parent its listener, and
/// the parent hands the helper its `/tmp` mount.
pub(crate) fn send_byte_with_fd(
    socket: &std::os::unix::net::UnixStream,
    byte: u8,
    fd: Option<std::os::fd::BorrowedFd<'_>>,
) -> nix::Result<()> {
    use nix::sys::socket::{ControlMessage, MsgFlags, sendmsg};
    use std::os::fd::AsRawFd;
    let fds: Vec<std::os::fd::RawFd> = fd.iter().map(AsRawFd::as_raw_fd).collect();
    let rights = [ControlMessage::ScmRights(&fds)];
    let control: &[ControlMessage<'_>] = if fds.is_empty() { &[] } else { &rights };
    let data = [std::io::IoSlice::new(std::slice::from_ref(&byte))];
    sendmsg::<()>(socket.as_raw_fd(), &data, control, MsgFlags::empty(), None).map(|_| ())
}

/// Receives what [`send_byte_with_fd`] sent: the byte (`None` at end-of-file) and the fd if one came
/// (close-on-exec).
pub(crate) fn receive_byte_with_fd(
    socket: &std::os::unix::net::UnixStream,
) -> nix::Result<(Option<u8>, Option<std::os::fd::OwnedFd>)> {
    use nix::sys::socket::{ControlMessageOwned, MsgFlags, recvmsg};
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
    let mut byte = [0u8; 1];
    let mut data = [std::io::IoSliceMut::new(&mut byte)];
    let mut control = nix::cmsg_space!([std::os::fd::RawFd; 1]);
    let message = loop {
        match recvmsg::<()>(
            socket.as_raw_fd(),
            &mut data,
            Some(&mut control),
            MsgFlags::MSG_CMSG_CLOEXEC,
        ) {
            Err(nix::errno::Errno::EINTR) => continue,
            other => break other?,
        }
    };
    let received = message.bytes;
    let mut fd = None;
    for message in message.cmsgs()? {
        if let ControlMessageOwned::ScmRights(fds) = message {
            for raw in fds {
                // SAFETY: the kernel just installed this fd in our table for us (SCM_RIGHTS); nothing
                // else owns it. Any extra one is closed as it drops.
                let owned = unsafe { OwnedFd::from_raw_fd(raw) };
                fd.get_or_insert(owned);
            }
        }
    }
    Ok(((received == 1).then_some(byte[0]), fd))
}
