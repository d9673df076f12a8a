//! The sandbox's root filesystem: a small tmpfs holding mount points and `/etc`, with the host's system
//! directories, the code and the layers bound read-only, a sized `/tmp` (a disk of its own, or a tmpfs), a fresh `/proc` and a minimal
//! `/dev`. Everything but `/tmp` and `/dev/shm` ends up read-only.

use std::fs;
use std::io::Write;
use std::os::fd::OwnedFd;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, symlink};
use std::path::{Path, PathBuf};

use nix::mount::{MntFlags, MsFlags, mount, umount2};

use crate::error::{Errno, SetupError};
use crate::protocol::InitRequest;

/// Where the host's root sits between `pivot_root` and its detachment.
pub(super) const OLD_ROOT: &str = "/.oldroot";
/// Where the sandbox keeps what it adds itself (the emulator).
pub(super) const LAMINA_DIR: &str = "/.lamina";

/// Size of the root tmpfs: mount points and a few small files under `/etc`.
const ROOT_TMPFS_OPTIONS: &str = "mode=0755,size=4m,nr_inodes=4096";

/// Device nodes bound from the host's `/dev`.
const DEVICES: [&str; 6] = ["null", "zero", "full", "random", "urandom", "tty"];

/// The usual `/dev` symlinks into `/proc`.
const DEV_LINKS: [(&str, &str); 4] = [
    ("fd", "/proc/self/fd"),
    ("stdin", "/proc/self/fd/0"),
    ("stdout", "/proc/self/fd/1"),
    ("stderr", "/proc/self/fd/2"),
];

/// Builds the new root on `request.staging_dir` (in this mount namespace only), with `tmp` (a detached
/// mount of the sandbox's own filesystem) on `/tmp`, or a tmpfs of the spec's size without one.
pub(super) fn build(request: &InitRequest, tmp: Option<OwnedFd>) -> Result<(), SetupError> {
    let spec = &request.spec;
    let root = &request.staging_dir;
    mount_tmpfs(root, ROOT_TMPFS_OPTIONS, MsFlags::MS_NOSUID | MsFlags::MS_NODEV)?;
    for dir in &spec.system_dirs {
        system_dir(root, dir)?;
    }
    for file in &spec.system_files {
        bind_read_only(&file.source, &resolve_inside(root, &file.target))?;
    }
    for bind in &spec.binds {
        let target = inside(root, &bind.target);
        if bind.source.is_dir() {
            create_dir_all(&target)?;
        } else {
            create_file(&target)?;
        }
        bind_read_only(&bind.source, &target)?;
    }
    let tmp_dir = inside(root, Path::new("/tmp"));
    create_dir_all(&tmp_dir)?;
    match tmp {
        Some(disk) => rustix::mount::move_mount(
            &disk,
            "",
            rustix::fs::CWD,
            &tmp_dir,
            rustix::mount::MoveMountFlags::MOVE_MOUNT_F_EMPTY_PATH,
        )
        .map_err(|errno| SetupError::Mount {
            what: "the sandbox's /tmp disk".into(),
            target: tmp_dir.clone(),
            errno: Errno(errno.raw_os_error()),
        })?,
        None => mount_tmpfs(
            &tmp_dir,
            &format!("mode=1777,size={}", spec.tmp_size_bytes),
            MsFlags::MS_NOSUID | MsFlags::MS_NODEV,
        )?,
    }
    proc(root)?;
    dev(root, spec.shm_size_bytes)?;
    etc(root, request)?;
    Ok(())
}

/// `pivot_root` into the new root, keeping the old one at [`OLD_ROOT`] for now.
pub(super) fn enter(new_root: &Path) -> Result<(), SetupError> {
    let put_old = inside(new_root, Path::new(OLD_ROOT));
    fs::DirBuilder::new()
        .mode(0o700)
        .create(&put_old)
        .map_err(|e| SetupError::CreatePath {
            path: put_old.clone(),
            errno: Errno::of(&e),
        })?;
    nix::unistd::pivot_root(new_root, &put_old).map_err(|errno| SetupError::PivotRoot {
        new_root: new_root.to_owned(),
        errno: Errno::nix(errno),
    })?;
    nix::unistd::chdir("/").map_err(|errno| SetupError::Chdir {
        path: "/".into(),
        errno: Errno::nix(errno),
    })
}

/// Detaches the host's root: from here on nothing of the host is reachable but what was bound in.
pub(super) fn detach_old_root() -> Result<(), SetupError> {
    umount2(OLD_ROOT, MntFlags::MNT_DETACH).map_err(|errno| SetupError::DetachOldRoot {
        errno: Errno::nix(errno),
    })?;
    fs::remove_dir(OLD_ROOT).map_err(|e| SetupError::DetachOldRoot { errno: Errno::of(&e) })
}

/// Makes the root tmpfs read-only.
pub(super) fn seal() -> Result<(), SetupError> {
    let flags =
        MsFlags::MS_REMOUNT | MsFlags::MS_BIND | MsFlags::MS_RDONLY | MsFlags::MS_NOSUID | MsFlags::MS_NODEV;
    mount(None::<&str>, "/", None::<&str>, flags, None::<&str>).map_err(|errno| SetupError::Mount {
        what: "the sandbox root, read-only".into(),
        target: "/".into(),
        errno: Errno::nix(errno),
    })
}

/// A host system directory at the same path: a read-only bind, or the same symlink when the host's is
/// one (merged `/usr`: `/bin -> usr/bin`). Missing ones are skipped.
fn system_dir(root: &Path, dir: &Path) -> Result<(), SetupError> {
    let Ok(meta) = fs::symlink_metadata(dir) else {
        return Ok(());
    };
    let target = inside(root, dir);
    if meta.file_type().is_symlink() {
        let link = fs::read_link(dir).map_err(|e| SetupError::ReadHostFile {
            path: dir.to_owned(),
            errno: Errno::of(&e),
        })?;
        if let Some(parent) = target.parent() {
            create_dir_all(parent)?;
        }
        return symlink(&link, &target).map_err(|e| SetupError::CreatePath {
            path: target.clone(),
            errno: Errno::of(&e),
        });
    }
    if meta.is_dir() {
        create_dir_all(&target)?;
        bind_read_only(dir, &target)?;
    }
    Ok(())
}

fn proc(root: &Path) -> Result<(), SetupError> {
    let target = inside(root, Path::new("/proc"));
    create_dir_all(&target)?;
    // This process is PID 1 of the new PID namespace: the new procfs shows the sandbox's processes only.
    mount(
        Some("proc"),
        &target,
        Some("proc"),
        MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC,
        None::<&str>,
    )
    .map_err(|errno| SetupError::Mount {
        what: "proc".into(),
        target,
        errno: Errno::nix(errno),
    })
}

fn dev(root: &Path, shm_size: u64) -> Result<(), SetupError> {
    let dev = inside(root, Path::new("/dev"));
    create_dir_all(&dev)?;
    mount_tmpfs(
        &dev,
        "mode=0755,size=64k,nr_inodes=64",
        MsFlags::MS_NOSUID | MsFlags::MS_NOEXEC,
    )?;
    for name in DEVICES {
        let host = Path::new("/dev").join(name);
        if !host.exists() {
            continue;
        }
        let node = dev.join(name);
        create_file(&node)?;
        mount(Some(&host), &node, None::<&str>, MsFlags::MS_BIND, None::<&str>).map_err(|errno| {
            SetupError::Mount {
                what: host.display().to_string(),
                target: node.clone(),
                errno: Errno::nix(errno),
            }
        })?;
    }
    for (name, target) in DEV_LINKS {
        let link = dev.join(name);
        symlink(target, &link).map_err(|e| SetupError::CreatePath {
            path: link.clone(),
            errno: Errno::of(&e),
        })?;
    }
    let shm = dev.join("shm");
    create_dir_all(&shm)?;
    mount_tmpfs(
        &shm,
        &format!("mode=1777,size={shm_size}"),
        MsFlags::MS_NOSUID | MsFlags::MS_NODEV,
    )?;
    // The tmpfs of /dev itself holds only nodes and links: no writes by anyone.
    let flags =
        MsFlags::MS_REMOUNT | MsFlags::MS_BIND | MsFlags::MS_RDONLY | MsFlags::MS_NOSUID | MsFlags::MS_NOEXEC;
    mount(None::<&str>, &dev, None::<&str>, flags, None::<&str>).map_err(|errno| SetupError::Mount {
        what: "/dev, read-only".into(),
        target: dev.clone(),
        errno: Errno::nix(errno),
    })
}

fn etc(root: &Path, request: &InitRequest) -> Result<(), SetupError> {
    let spec = &request.spec;
    let etc = inside(root, Path::new("/etc"));
    create_dir_all(&etc)?;
    let user = &spec.etc.user_name;
    let (uid, gid) = (spec.uid, spec.gid);
    write(
        &etc.join("passwd"),
        &format!("root:x:0:0:root:/root:/sbin/nologin\n{user}:x:{uid}:{gid}::/tmp:/sbin/nologin\n"),
    )?;
    write(&etc.join("group"), &format!("root:x:0:\n{user}:x:{gid}:\n"))?;
    write(&etc.join("hosts"), &spec.etc.hosts)?;
    write(&etc.join("hostname"), &format!("{}\n", spec.hostname))?;
    write(&etc.join("resolv.conf"), &request.resolv_conf)?;
    write(
        &etc.join("nsswitch.conf"),
        "passwd: files\ngroup: files\nhosts: files dns\n",
    )?;
    if let Some(bundle) = &spec.etc.ca_bundle {
        let certs = etc.join("ssl/certs");
        create_dir_all(&certs)?;
        let target = certs.join("ca-certificates.crt");
        create_file(&target)?;
        bind_read_only(bundle, &target)?;
        let pki = etc.join("pki/tls/certs");
        create_dir_all(&pki)?;
        let link = pki.join("ca-bundle.crt");
        symlink("/etc/ssl/certs/ca-certificates.crt", &link).map_err(|e| SetupError::CreatePath {
            path: link.clone(),
            errno: Errno::of(&e),
        })?;
    }
    for file in &spec.etc.host_files {
        if !file.starts_with("/etc") || !file.is_file() {
            continue;
        }
        let target = inside(root, file);
        if target.exists() {
            continue;
        }
        if let Some(parent) = target.parent() {
            create_dir_all(parent)?;
        }
        create_file(&target)?;
        bind_read_only(file, &target)?;
    }
    Ok(())
}

/// `path` (absolute, inside the sandbox) below `root`.
/// Where `path` of the sandbox leads below `root` when its last component is a symlink, resolved as the
/// sandbox will see it (an absolute link names a path inside the sandbox, not on the host). At most a few
/// links are followed; what is left is returned as it is.
fn resolve_inside(root: &Path, path: &Path) -> PathBuf {
    let mut current = path.to_owned();
    for _ in 0..8 {
        let Ok(link) = fs::read_link(inside(root, &current)) else {
            break;
        };
        let joined = match current.parent() {
            Some(parent) if link.is_relative() => parent.join(link),
            _ => link,
        };
        // `..` is resolved by hand and stops at the sandbox's root, so that a link cannot lead out of it.
        current = joined
            .components()
            .fold(PathBuf::from("/"), |mut path, component| {
                match component {
                    std::path::Component::Normal(name) => path.push(name),
                    std::path::Component::ParentDir => {
                        path.pop();
                    }
                    _ => {}
                }
                path
            });
    }
    inside(root, &current)
}

fn inside(root: &Path, path: &Path) -> PathBuf {
    root.join(path.strip_prefix("/").unwrap_or(path))
}

pub(super) fn create_dir_all(path: &Path) -> Result<(), SetupError> {
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o755)
        .create(path)
        .map_err(|e| SetupError::CreatePath {
            path: path.to_owned(),
            errno: Errno::of(&e),
        })
}

/// An empty file to bind a file onto.
pub(super) fn create_file(path: &Path) -> Result<(), SetupError> {
    if let Some(parent) = path.parent() {
        create_dir_all(parent)?;
    }
    fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o644)
        .open(path)
        .map(drop)
        .map_err(|e| SetupError::CreatePath {
            path: path.to_owned(),
            errno: Errno::of(&e),
        })
}

fn write(path: &Path, contents: &str) -> Result<(), SetupError> {
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o644)
        .open(path)
        .and_then(|mut f| f.write_all(contents.as_bytes()))
        .map_err(|e| SetupError::CreatePath {
            path: path.to_owned(),
            errno: Errno::of(&e),
        })
}

fn mount_tmpfs(target: &Path, options: &str, flags: MsFlags) -> Result<(), SetupError> {
    mount(Some("tmpfs"), target, Some("tmpfs"), flags, Some(options)).map_err(|errno| SetupError::Mount {
        what: format!("tmpfs ({options})"),
        target: target.to_owned(),
        errno: Errno::nix(errno),
    })
}

/// Binds `source` at `target`, then makes that mount read-only, nosuid and nodev. (A bind ignores the
/// flags given with it; they take effect on the remount.)
pub(super) fn bind_read_only(source: &Path, target: &Path) -> Result<(), SetupError> {
    let err = |errno| SetupError::Mount {
        what: source.display().to_string(),
        target: target.to_owned(),
        errno: Errno::nix(errno),
    };
    mount(Some(source), target, None::<&str>, MsFlags::MS_BIND, None::<&str>).map_err(err)?;
    let flags =
        MsFlags::MS_REMOUNT | MsFlags::MS_BIND | MsFlags::MS_RDONLY | MsFlags::MS_NOSUID | MsFlags::MS_NODEV;
    mount(None::<&str>, target, None::<&str>, flags, None::<&str>).map_err(err)
}
