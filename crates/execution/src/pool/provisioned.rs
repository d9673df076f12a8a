//! Provisioned concurrency: environments of a function version started ahead of invocations and kept
//! as long as the version's provisioned concurrency says. Invocations take them before any other
//! environment; their REPORT line shows no `Init Duration`, since no invocation waited for their init.
//! One that dies (its runtime exited, an invocation timed out) is replaced. If an init fails, no more are
//! started until the provision is set again, and the version's state carries the init's error type.
//!
//! A provisioned environment holds a unit of concurrency whether busy or not: it comes out of the
//! function's reserved concurrency if it has one, else out of the account's unreserved concurrency
//! (see `Executor::acquire`).

use lamina_runtime_api::ShutdownReason;

use super::{Executor, FunctionVersion, State};
use crate::environment::{Environment, InitFailure, InitPhase};

/// What [`Executor::provision`] is asked to keep for one function version.
#[derive(Debug, Clone)]
pub struct Provision {
    /// The version, as invocations of it are resolved.
    pub version: FunctionVersion,
    /// How many environments to keep.
    pub count: u32,
    /// Changes whenever the provision is set again: a provision that failed is retried when it changes.
    pub token: String,
}

/// Where a function version's provisioned environments are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProvisionedState {
    /// How many were asked for.
    pub requested: u32,
    /// How many are initialised (idle or running an invocation).
    pub allocated: u32,
    /// How many of those are free to take an invocation now (initialised and idle).
    pub available: u32,
    /// The error type of the init that failed (no more are started until the provision changes).
    pub failure: Option<String>,
}

/// A function version's provisioned environments.
#[derive(Debug)]
pub(super) struct Provisioned {
    /// What its environments run.
    spec: FunctionVersion,
    requested: u32,
    token: String,
    /// Initialised environments waiting for an invocation.
    pub(super) idle: Vec<Environment>,
    /// Environments running an invocation.
    busy: u32,
    /// Environments being started.
    starting: u32,
    failure: Option<String>,
    /// Tells this provision from an earlier one of the same version.
    id: u64,
}

/// A provisioned environment out of its pool, running an invocation.
pub(super) struct Ticket {
    key: String,
    id: u64,
}

impl State {
    /// Concurrency held by provisioned environments of functions without reserved concurrency.
    pub(super) fn provisioned_unreserved(&self) -> u32 {
        self.provisioned
            .values()
            .filter(|p| !self.reserved.contains_key(&p.spec.function_arn))
            .map(|p| p.requested)
            .sum()
    }
}

impl Executor {
    /// Sets the provisioned environments of the versions of `function_arn` to `wanted` (at most one
    /// entry per version): environments are started for what is missing, extra ones are shut down, and
    /// versions left out release all of theirs.
    pub fn provision(&self, function_arn: &str, wanted: Vec<Provision>) {
        self.start_reaper();
        let prefix = format!("{function_arn}:");
        let mut released = Vec::new();
        let keys: Vec<String> = {
            let mut state = self.inner.lock();
            let wanted_keys: Vec<String> = wanted.iter().map(|p| Self::version_key(&p.version)).collect();
            let gone: Vec<String> = state
                .provisioned
                .keys()
                .filter(|k| k.starts_with(&prefix) && !wanted_keys.contains(k))
                .cloned()
                .collect();
            for key in gone {
                if let Some(p) = state.provisioned.remove(&key) {
                    released.extend(p.idle);
                }
            }
            for (provision, key) in wanted.into_iter().zip(&wanted_keys) {
                // The same environments serve on, unless the provision failed and is set anew.
                let same = state.provisioned.get(key).is_some_and(|p| {
                    p.spec.pool_key() == provision.version.pool_key()
                        && (p.failure.is_none() || p.token == provision.token)
                });
                if same {
                    let p = state.provisioned.get_mut(key).expect("present");
                    p.spec = provision.version;
                    p.requested = provision.count;
                    p.token = provision.token;
                    while p.idle.len() as u32 + p.busy + p.starting > p.requested {
                        let Some(environment) = p.idle.pop() else { break };
                        released.push(environment);
                    }
                } else {
                    if let Some(old) = state.provisioned.remove(key) {
                        released.extend(old.idle);
                    }
                    let id = next_id();
                    state.provisioned.insert(
                        key.clone(),
                        Provisioned {
                            spec: provision.version,
                            requested: provision.count,
                            token: provision.token,
                            idle: Vec::new(),
                            busy: 0,
                            starting: 0,
                            failure: None,
                            id,
                        },
                    );
                }
            }
            wanted_keys
        };
        if !released.is_empty() {
            tokio::spawn(async move {
                for environment in released {
                    environment.shut_down(ShutdownReason::Spindown).await;
                }
            });
        }
        for key in keys {
            self.top_up(&key);
        }
    }

    /// Where the provisioned environments of `version` (a version number) of `function_arn` are, if it
    /// has a provision.
    pub fn provisioned_state(&self, function_arn: &str, version: &str) -> Option<ProvisionedState> {
        let state = self.inner.lock();
        let p = state.provisioned.get(&format!("{function_arn}:{version}"))?;
        Some(ProvisionedState {
            requested: p.requested,
            allocated: p.idle.len() as u32 + p.busy,
            available: p.idle.len() as u32,
            failure: p.failure.clone(),
        })
    }

    /// Starts environments for what a provision is missing (none after a failed init).
    fn top_up(&self, key: &str) {
        let (spec, id, missing) = {
            let mut state = self.inner.lock();
            let Some(p) = state.provisioned.get_mut(key) else {
                return;
            };
            if p.failure.is_some() {
                return;
            }
            let missing = p
                .requested
                .saturating_sub(p.idle.len() as u32 + p.busy + p.starting);
            p.starting += missing;
            (p.spec.clone(), p.id, missing)
        };
        for _ in 0..missing {
            let executor = self.clone();
            let (key, spec) = (key.to_owned(), spec.clone());
            tokio::spawn(async move { executor.start_provisioned(key, id, spec).await });
        }
    }

    /// Starts one provisioned environment and puts it in its pool, unless the provision changed
    /// meanwhile.
    async fn start_provisioned(self, key: String, id: u64, spec: FunctionVersion) {
        let config = &self.inner.config;
        let started = Environment::start(
            &spec,
            &self.inner.logs,
            (InitPhase::Init, config.init_timeout),
            &config.isolation,
            config.platform.as_ref(),
            None,
        )
        .await;
        // What is left to shut down: an environment the provision no longer wants.
        let extra = self.place_provisioned(&key, id, &spec, started);
        if let Some(environment) = extra {
            environment.shut_down(ShutdownReason::Spindown).await;
        }
    }

    /// Puts a started environment into its provision's pool (or records why it failed to start);
    /// answers the environment back when the provision changed meanwhile or has enough.
    fn place_provisioned(
        &self,
        key: &str,
        id: u64,
        spec: &FunctionVersion,
        started: Result<Environment, (InitFailure, Option<std::sync::Arc<lamina_logs::LogStream>>)>,
    ) -> Option<Environment> {
        let mut state = self.inner.lock();
        let Some(p) = state.provisioned.get_mut(key).filter(|p| p.id == id) else {
            return started.ok();
        };
        p.starting = p.starting.saturating_sub(1);
        match started {
            Ok(mut environment) => {
                environment.provisioned();
                if p.idle.len() as u32 + p.busy < p.requested {
                    p.idle.push(environment);
                    return None;
                }
                Some(environment)
            }
            Err((failure, _)) => {
                let error_type = error_type(&failure);
                tracing::warn!(function = %spec.function_name, version = %spec.version, error_type, "a provisioned environment's init failed");
                p.failure = Some(error_type);
                None
            }
        }
    }

    /// Takes a free provisioned environment of `version` whose runtime is waiting for an event,
    /// replacing any that died.
    pub(super) async fn take_provisioned(&self, version: &FunctionVersion) -> Option<(Environment, Ticket)> {
        let key = Self::version_key(version);
        loop {
            let (mut environment, id) = {
                let mut state = self.inner.lock();
                let p = state.provisioned.get_mut(&key)?;
                let environment = p.idle.pop()?;
                p.busy += 1;
                (environment, p.id)
            };
            let ticket = Ticket { key: key.clone(), id };
            if environment.ready_for_next(super::NEXT_PATIENCE).await {
                return Some((environment, ticket));
            }
            self.give_back(ticket, environment, false).await;
        }
    }

    /// Returns a provisioned environment after an invocation (`reusable`: it may serve another one),
    /// replacing it if it is not reusable.
    pub(super) async fn give_back(&self, ticket: Ticket, mut environment: Environment, reusable: bool) {
        {
            let mut state = self.inner.lock();
            if let Some(p) = state
                .provisioned
                .get_mut(&ticket.key)
                .filter(|p| p.id == ticket.id)
            {
                p.busy = p.busy.saturating_sub(1);
                if reusable && (p.idle.len() as u32 + p.busy) < p.requested {
                    p.idle.push(environment);
                    return;
                }
            }
        }
        environment.kill().await;
        self.top_up(&ticket.key);
    }

    /// Takes out the idle provisioned environments whose runtime died, and starts their replacements.
    pub(super) fn sweep_provisioned(&self) -> Vec<Environment> {
        let (dead, keys) = {
            let mut state = self.inner.lock();
            let mut dead = Vec::new();
            let mut keys = Vec::new();
            for (key, p) in &mut state.provisioned {
                let before = dead.len();
                for mut environment in std::mem::take(&mut p.idle) {
                    if environment.is_alive() {
                        p.idle.push(environment);
                    } else {
                        dead.push(environment);
                    }
                }
                if dead.len() > before {
                    keys.push(key.clone());
                }
            }
            (dead, keys)
        };
        for key in keys {
            self.top_up(&key);
        }
        dead
    }
}

/// A fresh provision id.
fn next_id() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// The error type of a failed init, as the INIT_REPORT line and the invocation's error name it.
fn error_type(failure: &InitFailure) -> String {
    match failure {
        InitFailure::InvalidEntrypoint { .. } => "Runtime.InvalidEntrypoint".to_owned(),
        InitFailure::Reported(report) => report.error_type.clone(),
        InitFailure::Exited(_) => "Runtime.ExitError".to_owned(),
        InitFailure::UnsupportedRuntime(_) => "Runtime.Unsupported".to_owned(),
        InitFailure::OutOfMemory => "Runtime.OutOfMemory".to_owned(),
        InitFailure::TimedOut => "Sandbox.Timedout".to_owned(),
        InitFailure::Platform(message) => format!("lamina: {message}"),
    }
}
