//! `/tmp` on disk: each sandbox gets a fresh ext4 filesystem of its own, on a loop device over an unnamed
//! file, so that what a function writes to `/tmp` takes disk space up to its size and then fails with
//! `ENOSPC`, and is not charged to the sandbox's memory limit as a tmpfs would be (its page cache is, but
//! that is reclaimable: a 128 MB sandbox can fill a 512 MB `/tmp`).
//!
//! Making one costs milliseconds the start of a sandbox cannot afford (attaching a loop device and
//! mounting wait for RCU grace periods and the disk), so they are made ahead of need: a thread keeps
//! [`SPARES`] ready for each of the sizes asked for recently, as detached mounts (`fsmount`), which the
//! server sends to the sandbox's helper and its init moves onto `/tmp` (`move_mount`). Only a size never
//! asked for before is made while a sandbox waits.
//!
//! How one is made:
//! - an empty filesystem of each size is formatted once (`mke2fs`: no journal, which a scratch
//!   filesystem that dies with its sandbox has no use for; no reserved blocks; inode tables left for
//!   the kernel to treat as zeroed), into `pristine-<bytes>.ext4` in the disks' directory;
//! - a sandbox's disk is an unnamed (`O_TMPFILE`) sparse file in that directory with the pristine image's
//!   few hundred KiB of data copied in, so there is nothing to clean up, even after `kill -9`: its blocks
//!   are freed when the last reference goes;
//! - a loop device over it (detached automatically when its filesystem is unmounted), mounted
//!   `nosuid,nodev`, its root made `1777` and `lost+found` removed, as a fresh `/tmp` looks.
//!
//! The server keeps its own reference to the mount while the sandbox runs ([`InUse`]), so that when the
//! sandbox's mount namespace ends, the filesystem is only detached there; the costly part (the
//! filesystem's last sync, the loop device's detachment, the file's space freed) happens when the server
//! lets go of it, on the maker's thread, not in the sandbox's exit.

#![allow(unsafe_code)]

use std::collections::HashMap;
use std::fs::{self, File};
use std::io;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Condvar, Mutex, PoisonError, Weak};
use std::thread;

use rustix::fs::{AtFlags, Mode, OFlags, SeekFrom};
use rustix::mount::{FsMountFlags, FsOpenFlags, MountAttrFlags};

use crate::error::TmpDiskError;
use crate::spec::MIB;

/// How many ready disks are kept for each size asked for recently.
pub(crate) const SPARES: usize = 4;
/// How many ended sandboxes' disks may wait to be let go of while the maker makes new ones first.
const RETIRED_WAITING: usize = 16;
/// How many sizes are kept ready: those asked for most recently.
const SIZES_KEPT: usize = 4;
/// The size every host is likely to ask for first: Lambda's default ephemeral storage.
const DEFAULT_SIZE: u64 = 512 * MIB;

/// Where `mke2fs` may be: the system's program directories (the server's `PATH` is not trusted for a
/// program that runs as root).
const MKE2FS: [&str; 4] = [
    "/usr/sbin/mke2fs",
    "/sbin/mke2fs",
    "/usr/sbin/mkfs.ext4",
    "/sbin/mkfs.ext4",
];

/// The disks of one [`crate::Sandbox`]; made ahead of need by a thread that ends with it.
#[derive(Debug)]
pub(crate) struct TmpDisks {
    shared: Arc<Shared>,
    maker: Option<thread::JoinHandle<()>>,
}

#[derive(Debug)]
struct Shared {
    dir: PathBuf,
    mke2fs: PathBuf,
    /// The pristine image of each size, formatted once.
    pristine: Mutex<HashMap<u64, Arc<File>>>,
    state: Mutex<State>,
    /// Signalled when a disk was taken (the maker refills) or the disks are dropped (it ends).
    wake: Condvar,
}

#[derive(Debug, Default)]
struct State {
    /// Ready disks by size.
    ready: HashMap<u64, Vec<TmpDisk>>,
    /// The sizes to keep ready, most recently asked for last.
    sizes: Vec<u64>,
    /// Disks whose sandboxes ended, for the maker to let go of.
    retired: Vec<TmpDisk>,
    /// Whether the maker's last attempt failed: it waits for the next take instead of retrying in a loop.
    failed: bool,
    stopping: bool,
}

/// A ready `/tmp`: a detached mount of a fresh filesystem, for one sandbox.
#[derive(Debug)]
pub(crate) struct TmpDisk {
    mount: OwnedFd,
}

impl TmpDisk {
    /// The detached mount, to send to the sandbox's helper.
    pub(crate) fn mount_fd(&self) -> &OwnedFd {
        &self.mount
    }
}

/// A disk in use by a sandbox: dropped once the sandbox has ended, it goes to the maker's thread, which
/// unmounts it for good (or is dropped here if the disks are gone).
#[derive(Debug)]
pub(crate) struct InUse {
    disk: Option<TmpDisk>,
    disks: Weak<Shared>,
}

impl Drop for InUse {
    fn drop(&mut self) {
        let (Some(disk), Some(shared)) = (self.disk.take(), self.disks.upgrade()) else {
            return;
        };
        shared.lock().retired.push(disk);
        shared.wake.notify_one();
    }
}

impl TmpDisks {
    /// Disks in `dir` (created if missing; pristine images of an earlier run are removed). Makes the first
    /// disk of the default size right away, so that a host that cannot (no loop devices, no ext4, no
    /// `mke2fs`) is told so here, once, with the reason.
    pub(crate) fn open(dir: &Path) -> Result<TmpDisks, TmpDiskError> {
        fs::create_dir_all(dir).map_err(|source| TmpDiskError::Directory {
            dir: dir.to_owned(),
            source,
        })?;
        if let Ok(entries) = fs::read_dir(dir) {
            for entry in entries.flatten() {
                if entry.file_name().to_string_lossy().starts_with("pristine-") {
                    let _ = fs::remove_file(entry.path());
                }
            }
        }
        let mke2fs = MKE2FS
            .iter()
            .map(PathBuf::from)
            .find(|path| path.is_file())
            .ok_or(TmpDiskError::NoMke2fs)?;
        let shared = Arc::new(Shared {
            dir: dir.to_owned(),
            mke2fs,
            pristine: Mutex::default(),
            state: Mutex::default(),
            wake: Condvar::new(),
        });
        let first = shared.make(DEFAULT_SIZE)?;
        {
            let mut state = shared.lock();
            state.sizes.push(DEFAULT_SIZE);
            state.ready.entry(DEFAULT_SIZE).or_default().push(first);
        }
        let maker = {
            let shared = Arc::clone(&shared);
            thread::Builder::new()
                .name("tmp-disks".into())
                .spawn(move || shared.keep_ready())
                .map_err(|source| TmpDiskError::Thread { source })?
        };
        shared.wake.notify_one();
        Ok(TmpDisks {
            shared,
            maker: Some(maker),
        })
    }

    /// A disk whose filesystem holds `bytes` of files: a ready one, or one made now.
    pub(crate) fn take(&self, bytes: u64) -> Result<TmpDisk, TmpDiskError> {
        let ready = {
            let mut state = self.shared.lock();
            state.sizes.retain(|size| *size != bytes);
            state.sizes.push(bytes);
            if state.sizes.len() > SIZES_KEPT {
                let dropped = state.sizes.remove(0);
                state.ready.remove(&dropped);
            }
            state.failed = false;
            state.ready.get_mut(&bytes).and_then(Vec::pop)
        };
        self.shared.wake.notify_one();
        match ready {
            Some(disk) => Ok(disk),
            None => self.shared.make(bytes),
        }
    }

    /// Marks `disk` as in use by a sandbox.
    pub(crate) fn in_use(&self, disk: TmpDisk) -> InUse {
        InUse {
            disk: Some(disk),
            disks: Arc::downgrade(&self.shared),
        }
    }

    /// How many disks of `bytes` are ready now.
    pub(crate) fn ready(&self, bytes: u64) -> usize {
        self.shared.lock().ready.get(&bytes).map_or(0, Vec::len)
    }
}

impl Drop for TmpDisks {
    fn drop(&mut self) {
        self.shared.lock().stopping = true;
        self.shared.wake.notify_all();
        if let Some(maker) = self.maker.take() {
            let _ = maker.join();
        }
    }
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The maker thread: refills the sizes kept until the disks are dropped.
    fn keep_ready(&self) {
        let mut state = self.lock();
        loop {
            if state.stopping {
                return;
            }
            let short = (!state.failed)
                .then(|| {
                    state
                        .sizes
                        .iter()
                        .rev()
                        .copied()
                        .find(|size| state.ready.get(size).map_or(0, Vec::len) < SPARES)
                })
                .flatten();
            // New disks first (a sandbox may be waiting for one), unless ended ones pile up.
            if !state.retired.is_empty() && (short.is_none() || state.retired.len() >= RETIRED_WAITING) {
                let retired = std::mem::take(&mut state.retired);
                drop(state);
                drop(retired);
                state = self.lock();
                continue;
            }
            let Some(size) = short else {
                state = self.wake.wait(state).unwrap_or_else(PoisonError::into_inner);
                continue;
            };
            drop(state);
            let made = self.make(size);
            state = self.lock();
            match made {
                // A size no longer kept is not stored.
                Ok(disk) if state.sizes.contains(&size) => state.ready.entry(size).or_default().push(disk),
                Ok(_) => {}
                // Tried again when a disk is next taken (which reports the error itself).
                Err(_) => state.failed = true,
            }
        }
    }

    /// Makes a disk whose filesystem holds `bytes` of files.
    fn make(&self, bytes: u64) -> Result<TmpDisk, TmpDiskError> {
        let pristine = self.pristine(bytes)?;
        let image = rustix::fs::openat(
            rustix::fs::CWD,
            &self.dir,
            OFlags::TMPFILE | OFlags::RDWR | OFlags::CLOEXEC,
            Mode::from_raw_mode(0o600),
        )
        .map_err(|errno| self.io_error("creating an unnamed disk image in", errno))?;
        copy_sparse(&pristine, &image).map_err(|source| TmpDiskError::Io {
            what: "copying the pristine image into a disk image in",
            dir: self.dir.clone(),
            source,
        })?;
        let (device, device_path) = attach_loop(&image)?;
        drop(image);
        let mount = mount_detached(&device_path).map_err(|errno| TmpDiskError::Mount {
            device: device_path.clone(),
            source: errno.into(),
        })?;
        // The superblock holds the device now; the loop device detaches when it is unmounted.
        drop(device);
        rustix::fs::chmodat(&mount, ".", Mode::from_raw_mode(0o1777), AtFlags::empty()).map_err(|errno| {
            TmpDiskError::Mount {
                device: device_path.clone(),
                source: errno.into(),
            }
        })?;
        rustix::fs::unlinkat(&mount, "lost+found", AtFlags::REMOVEDIR).map_err(|errno| {
            TmpDiskError::Mount {
                device: device_path,
                source: errno.into(),
            }
        })?;
        Ok(TmpDisk { mount })
    }

    /// The pristine image of a filesystem holding `bytes`, formatted on first use.
    fn pristine(&self, bytes: u64) -> Result<Arc<File>, TmpDiskError> {
        let mut pristine = self.pristine.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(image) = pristine.get(&bytes) {
            return Ok(Arc::clone(image));
        }
        let path = self.dir.join(format!("pristine-{bytes}.ext4"));
        let partial = self.dir.join(format!("pristine-{bytes}.ext4.partial"));
        let error = |what, source| TmpDiskError::Io {
            what,
            dir: self.dir.clone(),
            source,
        };
        let file = fs::File::create(&partial).map_err(|e| error("creating a pristine image in", e))?;
        file.set_len(image_bytes(bytes))
            .map_err(|e| error("sizing a pristine image in", e))?;
        drop(file);
        let mut command = Command::new(&self.mke2fs);
        command
            .args(["-q", "-F", "-t", "ext4", "-b", "4096", "-i", "16384", "-m", "0"])
            .args(["-O", "^has_journal,^resize_inode"])
            .args(["-E", "lazy_itable_init=1,nodiscard,root_owner=0:0"])
            .arg(&partial)
            .env_clear()
            .stdin(std::process::Stdio::null());
        let output = {
            // A plain start: it must not inherit a helper's pipe ends.
            let _shared = crate::spawn::SPAWNS
                .read()
                .unwrap_or_else(PoisonError::into_inner);
            command.output()
        }
        .map_err(|source| TmpDiskError::Mke2fs {
            program: self.mke2fs.clone(),
            detail: source.to_string(),
        })?;
        if !output.status.success() {
            let _ = fs::remove_file(&partial);
            return Err(TmpDiskError::Mke2fs {
                program: self.mke2fs.clone(),
                detail: format!(
                    "{}: {}",
                    output.status,
                    String::from_utf8_lossy(&output.stderr).trim()
                ),
            });
        }
        fs::rename(&partial, &path).map_err(|e| error("naming a pristine image in", e))?;
        let image = Arc::new(File::open(&path).map_err(|e| error("opening a pristine image in", e))?);
        pristine.insert(bytes, Arc::clone(&image));
        Ok(image)
    }

    fn io_error(&self, what: &'static str, errno: rustix::io::Errno) -> TmpDiskError {
        TmpDiskError::Io {
            what,
            dir: self.dir.clone(),
            source: errno.into(),
        }
    }
}

/// The size of the image whose filesystem has `bytes` free for files. ext4 takes about 1.6 % for its
/// own structures (inode tables at one inode per 16 KiB, bitmaps, group descriptors) and keeps 2 % of
/// the rest (at most 16 MiB) in reserve for itself, so that delayed allocation never runs out: 4 %
/// more, plus a little, covers both.
pub(crate) fn image_bytes(bytes: u64) -> u64 {
    (bytes + bytes / 25 + 4 * MIB).next_multiple_of(MIB)
}

/// Copies `from`'s data into `to`, leaving holes where `from` has them (`to` is empty; it is sized first).
fn copy_sparse(from: &File, to: &OwnedFd) -> io::Result<()> {
    let len = from.metadata()?.len();
    rustix::fs::ftruncate(to, len)?;
    let mut offset = 0u64;
    while offset < len {
        let data = match rustix::fs::seek(from, SeekFrom::Data(offset)) {
            Ok(data) => data,
            // No data past `offset`.
            Err(rustix::io::Errno::NXIO) => break,
            Err(errno) => return Err(errno.into()),
        };
        let hole = rustix::fs::seek(from, SeekFrom::Hole(data))?;
        let (mut from_at, mut to_at) = (data, data);
        while from_at < hole {
            let chunk = usize::try_from(hole - from_at).unwrap_or(usize::MAX);
            let copied = rustix::fs::copy_file_range(from, Some(&mut from_at), to, Some(&mut to_at), chunk)?;
            if copied == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the pristine image shrank",
                ));
            }
        }
        offset = hole;
    }
    Ok(())
}

// The loop device interface (linux/loop.h).
const LOOP_CTL_GET_FREE: libc::c_ulong = 0x4C82;
const LOOP_CONFIGURE: libc::c_ulong = 0x4C0A;
const LO_FLAGS_AUTOCLEAR: u32 = 4;

/// `struct loop_info64`.
#[repr(C)]
struct LoopInfo64 {
    lo_device: u64,
    lo_inode: u64,
    lo_rdevice: u64,
    lo_offset: u64,
    lo_sizelimit: u64,
    lo_number: u32,
    lo_encrypt_type: u32,
    lo_encrypt_key_size: u32,
    lo_flags: u32,
    lo_file_name: [u8; 64],
    lo_crypt_name: [u8; 64],
    lo_encrypt_key: [u8; 32],
    lo_init: [u64; 2],
}

/// `struct loop_config`.
#[repr(C)]
struct LoopConfig {
    fd: u32,
    block_size: u32,
    info: LoopInfo64,
    reserved: [u64; 8],
}

/// Attaches a free loop device to `image` (detached on last close); returns the open device and its
/// path. Not with direct I/O: the filesystem's mount would then read the freshly copied metadata from the
/// disk after writing it back, tens of milliseconds on a busy disk, where buffered it reads the page cache.
/// The image's pages are cached twice (in the sandbox's filesystem and as the image file's), but the
/// second copy is the host's page cache, charged to no sandbox's memory and reclaimed as any.
fn attach_loop(image: &OwnedFd) -> Result<(OwnedFd, PathBuf), TmpDiskError> {
    let control = fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/loop-control")
        .map_err(|source| TmpDiskError::Loop {
            what: "opening /dev/loop-control".into(),
            source,
        })?;
    let fd = u32::try_from(image.as_raw_fd()).map_err(|_| TmpDiskError::Loop {
        what: "passing the image".into(),
        source: io::Error::from(io::ErrorKind::InvalidInput),
    })?;
    // Another process may take the device between GET_FREE and CONFIGURE (EBUSY): ask again.
    for _ in 0..64 {
        // SAFETY: LOOP_CTL_GET_FREE takes no argument and returns a device number or -1.
        let number = unsafe { libc::ioctl(control.as_raw_fd(), LOOP_CTL_GET_FREE) };
        if number < 0 {
            return Err(TmpDiskError::Loop {
                what: "finding a free loop device".into(),
                source: io::Error::last_os_error(),
            });
        }
        let path = PathBuf::from(format!("/dev/loop{number}"));
        let device = fs::OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(libc::O_CLOEXEC)
            .open(&path)
            .map_err(|source| TmpDiskError::Loop {
                what: format!("opening {}", path.display()),
                source,
            })?;
        let config = LoopConfig {
            fd,
            block_size: 4096,
            info: LoopInfo64 {
                lo_device: 0,
                lo_inode: 0,
                lo_rdevice: 0,
                lo_offset: 0,
                lo_sizelimit: 0,
                lo_number: 0,
                lo_encrypt_type: 0,
                lo_encrypt_key_size: 0,
                lo_flags: LO_FLAGS_AUTOCLEAR,
                lo_file_name: [0; 64],
                lo_crypt_name: [0; 64],
                lo_encrypt_key: [0; 32],
                lo_init: [0; 2],
            },
            reserved: [0; 8],
        };
        // SAFETY: LOOP_CONFIGURE reads one `struct loop_config`, which `config` is (repr(C), the
        // kernel's layout), alive for the call.
        let configured = unsafe { libc::ioctl(device.as_raw_fd(), LOOP_CONFIGURE, &config) };
        if configured == 0 {
            return Ok((device.into(), path));
        }
        let error = io::Error::last_os_error();
        if error.raw_os_error() != Some(libc::EBUSY) {
            return Err(TmpDiskError::Loop {
                what: format!("attaching {}", path.display()),
                source: error,
            });
        }
    }
    Err(TmpDiskError::Loop {
        what: "attaching a loop device".into(),
        source: io::Error::from_raw_os_error(libc::EBUSY),
    })
}

/// Mounts the ext4 filesystem on `device`, detached (attached to no mount namespace until moved).
fn mount_detached(device: &Path) -> rustix::io::Result<OwnedFd> {
    let context = rustix::mount::fsopen("ext4", FsOpenFlags::FSOPEN_CLOEXEC)?;
    rustix::mount::fsconfig_set_string(context.as_fd(), "source", device)?;
    // The inode tables are zero (holes): no thread need write them.
    rustix::mount::fsconfig_set_flag(context.as_fd(), "noinit_itable")?;
    rustix::mount::fsconfig_create(context.as_fd())?;
    rustix::mount::fsmount(
        context.as_fd(),
        FsMountFlags::FSMOUNT_CLOEXEC,
        MountAttrFlags::MOUNT_ATTR_NOSUID | MountAttrFlags::MOUNT_ATTR_NODEV,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_image_leaves_room_for_the_files_and_a_little_more() {
        for mib in [512, 1000, 10_240] {
            let image = image_bytes(mib * MIB);
            assert!(image > mib * MIB * 104 / 100, "{mib} MiB: {image}");
            assert!(image < mib * MIB * 105 / 100 + 5 * MIB, "{mib} MiB: {image}");
            assert_eq!(image % MIB, 0);
        }
    }

    #[test]
    fn the_loop_structures_have_the_kernels_layout() {
        assert_eq!(std::mem::size_of::<LoopInfo64>(), 232);
        assert_eq!(std::mem::size_of::<LoopConfig>(), 304);
        assert_eq!(std::mem::offset_of!(LoopInfo64, lo_flags), 52);
    }
}
