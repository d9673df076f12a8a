//! The executor running real aws-lambda-go bootstraps as plain processes and in sandboxes. Where a new
//! test goes:
//! - `invoke`: results, warm reuse, the environment a bootstrap sees, log tails;
//! - `failures`: timeouts, exits, unusable bootstraps, oversized responses, and a fresh environment after;
//! - `concurrency`: scale-out, reserved and account concurrency, reaping idle environments;
//! - `provisioned`: provisioned environments: no cold start, replaced when they die, failed inits, release;
//! - `leaks`: thousands of environments, ended every way the executor ends them, leave nothing behind;
//! - `sandbox`: sandbox isolation (root only): the task root, identity, memory, foreign architectures;
//! - `util`: function versions and code folders built from the Go fixtures.

mod concurrency;
mod failures;
mod invoke;
mod leaks;
mod provisioned;
mod sandbox;
mod util;
