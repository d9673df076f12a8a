//! The seccomp filter installed just before the program's exec: a deny-list of system calls that open
//! kernel attack surface a function never needs. Without capabilities most of them fail anyway; the ones
//! that matter are those an unprivileged process may still call: creating user namespaces (which hand out
//! a namespace-local root and with it much of the kernel), `bpf`, `perf_event_open`, `userfaultfd`,
//! `io_uring` and the kernel keyrings (shared by every sandbox of the same uid).
//!
//! Denied calls fail with `EPERM`; `clone3` fails with `ENOSYS`, its flags being out of the filter's reach,
//! so that the C library falls back to `clone`, whose flags are checked. A process of another
//! architecture's ABI (i386 on x86_64) is killed: a deny-list by syscall number only holds for one ABI.
//! On x86_64 the x32 numbers of the denied calls are denied too.

use std::collections::BTreeMap;

use seccompiler::{
    BpfProgram, SeccompAction, SeccompCmpArgLen, SeccompCmpOp, SeccompCondition, SeccompFilter, SeccompRule,
    TargetArch,
};

use crate::error::SetupError;

/// Namespace flags `clone` and `unshare` may not carry.
const NAMESPACE_FLAGS: [libc::c_int; 7] = [
    libc::CLONE_NEWUSER,
    libc::CLONE_NEWNS,
    libc::CLONE_NEWPID,
    libc::CLONE_NEWNET,
    libc::CLONE_NEWIPC,
    libc::CLONE_NEWUTS,
    libc::CLONE_NEWCGROUP,
];

/// Calls denied whatever their arguments.
const DENIED: [libc::c_long; 27] = [
    libc::SYS_setns,
    libc::SYS_mount,
    libc::SYS_umount2,
    libc::SYS_pivot_root,
    libc::SYS_open_tree,
    libc::SYS_move_mount,
    libc::SYS_fsopen,
    libc::SYS_fsconfig,
    libc::SYS_fsmount,
    libc::SYS_fspick,
    libc::SYS_mount_setattr,
    libc::SYS_keyctl,
    libc::SYS_add_key,
    libc::SYS_request_key,
    libc::SYS_bpf,
    libc::SYS_perf_event_open,
    libc::SYS_userfaultfd,
    libc::SYS_io_uring_setup,
    libc::SYS_io_uring_enter,
    libc::SYS_io_uring_register,
    libc::SYS_kexec_load,
    libc::SYS_kexec_file_load,
    libc::SYS_init_module,
    libc::SYS_finit_module,
    libc::SYS_delete_module,
    libc::SYS_open_by_handle_at,
    libc::SYS_acct,
];

/// The x32 ABI marks its syscall numbers with this bit (and shares x86_64's audit architecture).
#[cfg(target_arch = "x86_64")]
const X32_SYSCALL_BIT: i64 = 0x4000_0000;

/// Builds both filters: the `EPERM` deny-list and the `ENOSYS` for `clone3`.
pub(super) fn filters() -> Result<[BpfProgram; 2], SetupError> {
    let arch = TargetArch::try_from(std::env::consts::ARCH).map_err(err)?;

    let mut denied: BTreeMap<i64, Vec<SeccompRule>> = BTreeMap::new();
    let with_namespace_flag = |arg: u8| -> Result<Vec<SeccompRule>, seccompiler::BackendError> {
        NAMESPACE_FLAGS
            .iter()
            .map(|flag| {
                let flag = *flag as u64;
                SeccompRule::new(vec![SeccompCondition::new(
                    arg,
                    SeccompCmpArgLen::Qword,
                    SeccompCmpOp::MaskedEq(flag),
                    flag,
                )?])
            })
            .collect()
    };
    denied.insert(libc::SYS_unshare, with_namespace_flag(0).map_err(err)?);
    // clone's flags are its first argument on x86_64 and aarch64.
    denied.insert(libc::SYS_clone, with_namespace_flag(0).map_err(err)?);
    for call in DENIED {
        denied.insert(call, Vec::new());
    }
    #[cfg(target_arch = "x86_64")]
    {
        let x32: Vec<(i64, Vec<SeccompRule>)> = denied
            .iter()
            .map(|(nr, rules)| (nr | X32_SYSCALL_BIT, rules.clone()))
            .collect();
        denied.extend(x32);
    }
    let deny = SeccompFilter::new(
        denied,
        SeccompAction::Allow,
        SeccompAction::Errno(libc::EPERM as u32),
        arch,
    )
    .and_then(BpfProgram::try_from)
    .map_err(err)?;

    let clone3 = SeccompFilter::new(
        BTreeMap::from([(libc::SYS_clone3, Vec::new())]),
        SeccompAction::Allow,
        SeccompAction::Errno(libc::ENOSYS as u32),
        arch,
    )
    .and_then(BpfProgram::try_from)
    .map_err(err)?;
    Ok([deny, clone3])
}

fn err(error: impl std::fmt::Display) -> SetupError {
    SetupError::Seccomp {
        detail: error.to_string(),
    }
}

/// Installs the filters on this process (which has `no_new_privs`, as unprivileged seccomp requires).
pub(super) fn install(filters: &[BpfProgram]) -> Result<(), SetupError> {
    for filter in filters {
        seccompiler::apply_filter(filter).map_err(|e| SetupError::Seccomp {
            detail: e.to_string(),
        })?;
    }
    Ok(())
}
