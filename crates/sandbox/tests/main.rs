//! Integration tests of lamina-sandbox, on the real kernel. They need root (they create namespaces, mounts
//! and cgroups); run without it they print why and skip, or fail when `LAMINA_REQUIRE_ROOT_TESTS` is set
//! (`scripts/test` as root, and CI). Anything else the host lacks (cgroups, qemu-user, Go) makes them
//! fail, loudly. Tests that count host-wide resources take the host exclusively (`util::exclusive`) and
//! are listed in the `host-exclusive` test group of `.config/nextest.toml`.
//!
//! Where new tests go:
//! - `isolation`: what a program sees and cannot do inside a sandbox (filesystem, processes, identity).
//! - `limits`: memory, pids, /tmp size, CPU share, OOM reporting.
//! - `tmp_disk`: `/tmp` on a disk of its own: its size, not charged to memory, made ahead, gone after.
//! - `lifecycle`: exit statuses, kill_tree, async wait, teardown, setup and exec errors.
//! - `arch`: foreign architectures under qemu-user.
//! - `network`: a sandbox's own network namespace: the listener handed over, loopback, the way out.
//! - `process_mode`: the plain, unisolated mode.
//! - `leaks`: many sandboxes leave nothing behind.
//! - `util`: the shared harness.

mod arch;
mod isolation;
mod leaks;
mod lifecycle;
mod limits;
mod network;
mod process_mode;
mod tmp_disk;
mod util;
