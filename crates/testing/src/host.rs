//! What a test needs of the host, decided in one place.
//!
//! - Root: the sandbox tests create namespaces, mounts and cgroups. Run as another user they print why and
//!   skip, so that `cargo test` works anywhere; but where the tests must run (CI, `scripts/test` as root),
//!   [`REQUIRE_ROOT`] turns that skip into a failure, so that they cannot pass by not running.
//! - The host to oneself: tests that count host-wide resources (mounts, cgroups, network stacks) must not
//!   overlap any other test that makes them. Within one test process a lock orders them; under
//!   cargo-nextest every test is a process of its own, and only the `host-exclusive` test group of
//!   `.config/nextest.toml` does. [`assert_exclusive_under_nextest`] checks that such a test is in it.

/// The environment variable that makes a test needing root fail, not skip, when not run as root (any value
/// but empty or `0`). `scripts/test` sets it when it runs as root, and CI (`.ci/run`) always.
pub const REQUIRE_ROOT: &str = "LAMINA_REQUIRE_ROOT_TESTS";

/// The nextest test group whose tests run alone (see `.config/nextest.toml`).
pub const EXCLUSIVE_GROUP: &str = "host-exclusive";

/// Whether a test that needs root runs here: `true` as root. Otherwise it prints
/// `SKIPPED: <needs>; <how>` and returns `false`, or panics with that message when [`REQUIRE_ROOT`] is
/// set. `needs` says what needs root ("lamina-sandbox tests need root (namespaces, mounts, cgroups)"),
/// `how` how to run them (`run \`sudo cargo test -p lamina-sandbox\``).
pub fn root_or_skip(needs: &str, how: &str) -> bool {
    if effective_uid() == Some(0) {
        return true;
    }
    decide_without_root(needs, how, std::env::var(REQUIRE_ROOT).ok().as_deref())
}

/// The skip-or-fail decision for a test that needs root and does not have it.
fn decide_without_root(needs: &str, how: &str, required: Option<&str>) -> bool {
    if required.is_some_and(|v| !v.is_empty() && v != "0") {
        panic!(
            "{needs}, and {REQUIRE_ROOT} is set: these tests must run here. Run them as root, or unset \
             {REQUIRE_ROOT} to skip them"
        );
    }
    eprintln!("SKIPPED: {needs}; {how}");
    false
}

/// The process's effective user id, from the `Uid:` line of `/proc/self/status` (real, effective, saved,
/// filesystem).
fn effective_uid() -> Option<u32> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// Panics when the test runs under cargo-nextest outside the [`EXCLUSIVE_GROUP`] test group: there, the
/// in-process lock a test takes to have the host to itself orders nothing, and another test process
/// could start sandboxes while this one counts what sandboxes left behind. Under `cargo test` (one
/// process) it does nothing.
pub fn assert_exclusive_under_nextest() {
    check_exclusive(
        std::env::var("NEXTEST_EXECUTION_MODE").ok().as_deref(),
        std::env::var("NEXTEST_TEST_GROUP").ok().as_deref(),
    );
}

fn check_exclusive(execution_mode: Option<&str>, group: Option<&str>) {
    if execution_mode == Some("process-per-test") && group != Some(EXCLUSIVE_GROUP) {
        panic!(
            "this test needs the host to itself, but nextest runs it in the test group {}: add it to the \
             `{EXCLUSIVE_GROUP}` override of .config/nextest.toml",
            group.unwrap_or("(none)")
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_root_a_test_skips_unless_root_is_required() {
        assert!(!decide_without_root("x needs root", "run it with sudo", None));
        assert!(!decide_without_root("x needs root", "run it with sudo", Some("")));
        assert!(!decide_without_root(
            "x needs root",
            "run it with sudo",
            Some("0")
        ));
    }

    #[test]
    #[should_panic(expected = "x needs root, and LAMINA_REQUIRE_ROOT_TESTS is set")]
    fn without_root_a_required_test_fails() {
        decide_without_root("x needs root", "run it with sudo", Some("1"));
    }

    #[test]
    fn the_effective_uid_is_read() {
        let meta = std::os::unix::fs::MetadataExt::uid(&std::fs::metadata("/proc/self").expect("/proc/self"));
        assert_eq!(effective_uid(), Some(meta));
    }

    #[test]
    fn exclusive_tests_must_be_in_the_group_under_nextest() {
        check_exclusive(None, None);
        check_exclusive(Some("process-per-test"), Some(EXCLUSIVE_GROUP));
        let outside = std::panic::catch_unwind(|| check_exclusive(Some("process-per-test"), Some("@global")));
        assert!(outside.is_err());
    }
}
