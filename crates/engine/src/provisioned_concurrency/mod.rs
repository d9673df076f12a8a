//! Provisioned concurrency of a published version or an alias, one file per operation: `put`
//! (PutProvisionedConcurrencyConfig), `get`, `delete`, `list`. Each configuration is a sub-resource of
//! its function (key: the version number or alias name), deleted with its version or alias.
//!
//! The executor keeps the environments (`lamina_execution::Executor::provision`). After every change
//! that can move them (a configuration put or deleted; an alias updated or deleted; a version or the
//! function deleted) [`Engine::sync_provisioned`] tells it what all of the function's configurations
//! ask for, each alias's followed to its version; [`Engine::restore_provisioned`] does so for every
//! function at start. A configuration's `Status` is read from the executor: `IN_PROGRESS` until its
//! environments are initialised, then `READY`, or `FAILED` when an init failed.

mod delete;
mod get;
mod list;
mod put;

use std::collections::{BTreeMap, BTreeSet};

use lamina_execution::Provision;
use lamina_store::{Owner, SubResourceKind};
use serde::{Deserialize, Serialize};

use crate::aliases::AliasRecord;
use crate::names::{self, Scope};
use crate::sub_resources::{Qualified, Stored, Target};
use crate::validate;
use crate::wire::ProvisionedConcurrencyConfig;
use crate::{Engine, EngineError};

/// What the engine stores for a version's or alias's provisioned concurrency.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ProvisionedRecord {
    /// `ProvisionedConcurrentExecutions`.
    pub(crate) requested: u32,
    /// When it was put (`2019-12-31T20:29:00+0000`).
    pub(crate) last_modified: String,
}

/// One configuration of a function, with the version it provisions.
pub(crate) struct Configured {
    /// Its key: the version number or alias name.
    pub(crate) key: String,
    /// The version it provisions (an alias's version).
    pub(crate) version: String,
    /// The configuration.
    pub(crate) stored: Stored<ProvisionedRecord>,
}

impl Configured {
    /// Whether it is an alias's.
    fn is_alias(&self) -> bool {
        self.key != self.version
    }
}

/// AWS's answer to a Put on `$LATEST` (or an alias of it).
fn unpublished() -> EngineError {
    EngineError::InvalidParameter(
        "Provisioned Concurrency Configs cannot be applied to unpublished function versions.".into(),
    )
}

/// AWS's answer to a Get or Delete on `$LATEST`.
fn alias_or_version() -> EngineError {
    EngineError::InvalidParameter(
        "The function resource provided must be an alias or a published version.".into(),
    )
}

/// AWS's 404 when the version or alias has no configuration.
fn config_missing() -> EngineError {
    EngineError::ProvisionedConcurrencyConfigNotFound(
        "No Provisioned Concurrency Config found for this function".into(),
    )
}

/// Lambda's timestamp of a configuration: `2019-12-31T20:29:00+0000`.
fn now() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%z").to_string()
}

impl Engine {
    /// The target of Put, Get and Delete, after their checks in AWS's order: the model's (with `body`),
    /// `$LATEST` (answered with `latest`), and that the function and its version or alias exist.
    async fn provisioned_target<B: Serialize>(
        &self,
        operation: &str,
        scope: &Scope,
        raw_name: &str,
        qualifier: Option<&str>,
        body: &B,
        latest: fn() -> EngineError,
    ) -> Result<Target, EngineError> {
        let members = [("Qualifier", validate::optional(qualifier))];
        let f = validate::function_input(operation, raw_name, body, &members, scope)?;
        let q = names::resolve_qualifier(f.qualifier, qualifier)?;
        let qualified = match Qualified::of(q.as_deref()) {
            Qualified::Function | Qualified::Latest => return Err(latest()),
            other => other,
        };
        self.check_qualifier_exists(scope, &f.name, &qualified).await?;
        let arn = format!("{}:{}", scope.function_arn(&f.name), qualified.key());
        Ok(Target {
            name: f.name,
            qualified,
            arn,
        })
    }

    /// Every provisioned concurrency configuration of a function, in key order, with its version.
    pub(crate) async fn provisioned_configs(
        &self,
        scope: &Scope,
        function: &str,
    ) -> Result<Vec<Configured>, EngineError> {
        let owner = Owner::Function(function.to_owned());
        let rows = self
            .sub_resources::<ProvisionedRecord>(
                scope,
                Some(owner.clone()),
                SubResourceKind::ProvisionedConcurrency,
            )
            .await?;
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let aliases: BTreeMap<String, String> = self
            .sub_resources::<AliasRecord>(scope, Some(owner), SubResourceKind::Alias)
            .await?
            .into_iter()
            .map(|(key, stored)| (key.key, stored.doc.function_version))
            .collect();
        Ok(rows
            .into_iter()
            .filter_map(|(key, stored)| {
                let version = match Qualified::of(Some(&key.key)) {
                    Qualified::Version(_) => key.key.clone(),
                    _ => aliases.get(&key.key)?.clone(),
                };
                Some(Configured {
                    key: key.key,
                    version,
                    stored,
                })
            })
            .collect())
    }

    /// A configuration as Get and List answer it, its state read from the executor.
    fn provisioned_answer(
        &self,
        scope: &Scope,
        function: &str,
        configured: &Configured,
    ) -> ProvisionedConcurrencyConfig {
        let record = &configured.stored.doc;
        let state = self
            .inner
            .executor
            .provisioned_state(&scope.function_arn(function), &configured.version);
        let (allocated, status, status_reason) = match state {
            Some(state) if state.failure.is_some() => (
                state.allocated.min(record.requested),
                "FAILED",
                Some("FUNCTION_ERROR_INIT_FAILURE".to_owned()),
            ),
            Some(state) if state.allocated >= state.requested => (record.requested, "READY", None),
            Some(state) => (state.allocated.min(record.requested), "IN_PROGRESS", None),
            None => (0, "IN_PROGRESS", None),
        };
        ProvisionedConcurrencyConfig {
            requested_provisioned_concurrent_executions: record.requested,
            available_provisioned_concurrent_executions: allocated,
            allocated_provisioned_concurrent_executions: allocated,
            status: status.to_owned(),
            status_reason,
            last_modified: record.last_modified.clone(),
        }
    }

    /// Tells the executor what the provisioned concurrency configurations of `function` ask for now:
    /// the environments of each version they name (an alias's version; configurations naming one
    /// version add up). Versions no configuration names any more release theirs.
    pub(crate) async fn sync_provisioned(&self, scope: &Scope, function: &str) -> Result<(), EngineError> {
        let _one_at_a_time = self.inner.provisioning.lock().await;
        let mut wanted: BTreeMap<String, Provision> = BTreeMap::new();
        for configured in self.provisioned_configs(scope, function).await? {
            let count = configured.stored.doc.requested;
            if let Some(provision) = wanted.get_mut(&configured.version) {
                provision.count += count;
                provision.token.push_str(&configured.stored.revision);
                continue;
            }
            match self
                .resolve_from_store(scope, function, &configured.version)
                .await
            {
                Ok(version) => {
                    wanted.insert(
                        configured.version,
                        Provision {
                            version,
                            count,
                            token: configured.stored.revision,
                        },
                    );
                }
                Err(e) => {
                    tracing::warn!(function, version = %configured.version, "cannot provision: {}", e.display_chain());
                }
            }
        }
        self.inner
            .executor
            .provision(&scope.function_arn(function), wanted.into_values().collect());
        Ok(())
    }

    /// Starts the provisioned environments of every function that has provisioned concurrency (at
    /// start).
    pub(crate) async fn restore_provisioned(&self) -> Result<(), EngineError> {
        let functions: BTreeSet<(String, String, String)> = self
            .blocking(|inner| {
                Ok(inner
                    .meta
                    .all_sub_resources(SubResourceKind::ProvisionedConcurrency)?
                    .into_iter()
                    .filter_map(|row| match row.key.owner {
                        Owner::Function(name) => Some((row.key.account, row.key.region, name)),
                        _ => None,
                    })
                    .collect())
            })
            .await?;
        for (account, region, name) in functions {
            self.sync_provisioned(&Scope { region, account }, &name).await?;
        }
        Ok(())
    }

    /// Concurrency held by the provisioned concurrency of the region's functions without reserved
    /// concurrency (it comes out of the account's unreserved concurrency), leaving out `except` (a
    /// function and configuration key).
    pub(crate) async fn provisioned_unreserved(
        &self,
        scope: &Scope,
        except: Option<(&str, &str)>,
    ) -> Result<u32, EngineError> {
        let reserved: BTreeSet<String> = self
            .region_functions(scope)
            .await?
            .into_iter()
            .filter(|f| f.reserved_concurrency.is_some())
            .map(|f| f.name)
            .collect();
        Ok(self
            .sub_resources::<ProvisionedRecord>(scope, None, SubResourceKind::ProvisionedConcurrency)
            .await?
            .into_iter()
            .filter(|(key, _)| match &key.owner {
                Owner::Function(name) => {
                    !reserved.contains(name) && except != Some((name.as_str(), key.key.as_str()))
                }
                _ => false,
            })
            .map(|(_, stored)| stored.doc.requested)
            .sum())
    }
}
