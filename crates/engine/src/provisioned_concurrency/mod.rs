//! Provisioned concurrency of a published version or an alias, one file per operation: `put`
//! (PutProvisionedConcurrencyConfig), `get`, `delete`, `list`. Each configuration is a sub-resource of
//! its function (key: the version number or alias name), deleted with its version or alias.
//!
//! The executor keeps the environments (`lamina_execution::Executor::provision`). After every change
//! that can move them (a configuration put or deleted; an alias updated or deleted, its weights
//! included; a version or the function deleted) [`Engine::sync_provisioned`] tells it what all of the
//! function's configurations ask for, each alias's followed to its version, or spread over both versions
//! of a weighted alias by [`split`]; [`Engine::restore_provisioned`] does so for every function at
//! start. A configuration's `Status` and its `Allocated`/`Available` counts are read from the executor:
//! `IN_PROGRESS` until its environments are initialised, then `READY`, or `FAILED` when an init failed.

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

/// One configuration of a function, with the versions it provisions.
pub(crate) struct Configured {
    /// Its key: the version number or alias name.
    pub(crate) key: String,
    /// The versions it provisions and how many environments each: the version's own, or the alias's
    /// version, or both versions of a weighted alias (its own first) as [`split`] shares them out.
    pub(crate) shares: Vec<(String, u32)>,
    /// The configuration.
    pub(crate) stored: Stored<ProvisionedRecord>,
}

impl Configured {
    /// Whether it is an alias's.
    fn is_alias(&self) -> bool {
        !matches!(Qualified::of(Some(&self.key)), Qualified::Version(_))
    }

    /// Whether it provisions `version` (for a weighted alias, either of its versions).
    fn provisions(&self, version: &str) -> bool {
        self.shares.iter().any(|(v, _)| v == version)
    }
}

/// How `count` provisioned environments of an alias are spread over its versions when it routes
/// `weight` of its invocations to an additional version: (its own version's, the additional version's).
/// The additional version gets `count × weight` rounded to the nearest whole number (halves away from
/// zero), the alias's own version the rest, so the two always add up to `count`. AWS documents that a
/// weighted alias's provisioned concurrency follows the weights, not how it rounds: this rule is
/// lamina's.
fn split(count: u32, weight: f64) -> (u32, u32) {
    let exact = f64::from(count) * weight.clamp(0.0, 1.0);
    // In 0..=count by the clamp, so the conversion neither truncates nor wraps.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let additional = (exact.round() as u32).min(count);
    (count - additional, additional)
}

/// The versions an alias's `count` provisioned environments go to, with how many each.
fn alias_shares(alias: &AliasRecord, count: u32) -> Vec<(String, u32)> {
    match alias.routes() {
        (own, None) => vec![(own, count)],
        (own, Some((additional, weight))) => {
            let (own_share, additional_share) = split(count, weight);
            vec![(own, own_share), (additional, additional_share)]
        }
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
        let aliases: BTreeMap<String, AliasRecord> = self
            .sub_resources::<AliasRecord>(scope, Some(owner), SubResourceKind::Alias)
            .await?
            .into_iter()
            .map(|(key, stored)| (key.key, stored.doc))
            .collect();
        Ok(rows
            .into_iter()
            .filter_map(|(key, stored)| {
                let count = stored.doc.requested;
                let shares = match Qualified::of(Some(&key.key)) {
                    Qualified::Version(_) => vec![(key.key.clone(), count)],
                    _ => alias_shares(aliases.get(&key.key)?, count),
                };
                Some(Configured {
                    key: key.key,
                    shares,
                    stored,
                })
            })
            .collect())
    }

    /// The provisioned concurrency `function`'s configurations request together, leaving out the one
    /// keyed `except` (what the function's reserved concurrency must hold).
    pub(crate) async fn provisioned_total(
        &self,
        scope: &Scope,
        function: &str,
        except: Option<&str>,
    ) -> Result<u32, EngineError> {
        Ok(self
            .provisioned_configs(scope, function)
            .await?
            .iter()
            .filter(|c| Some(c.key.as_str()) != except)
            .map(|c| c.stored.doc.requested)
            .fold(0, u32::saturating_add))
    }

    /// A configuration as Get and List answer it, read from the executor: `Allocated` counts the
    /// initialised environments it holds (idle or running an invocation; for a weighted alias, on both
    /// versions, each up to its share, so it moves while the weights move them), `Available` those of
    /// them free to take an invocation now.
    fn provisioned_answer(
        &self,
        scope: &Scope,
        function: &str,
        configured: &Configured,
    ) -> ProvisionedConcurrencyConfig {
        let record = &configured.stored.doc;
        let arn = scope.function_arn(function);
        let (mut allocated, mut available, mut failed) = (0, 0, false);
        for (version, share) in &configured.shares {
            if let Some(state) = self.inner.executor.provisioned_state(&arn, version) {
                allocated += state.allocated.min(*share);
                available += state.available.min(*share);
                failed |= *share > 0 && state.failure.is_some();
            }
        }
        let (status, status_reason) = if failed {
            ("FAILED", Some("FUNCTION_ERROR_INIT_FAILURE".to_owned()))
        } else if allocated >= record.requested {
            ("READY", None)
        } else {
            ("IN_PROGRESS", None)
        };
        ProvisionedConcurrencyConfig {
            requested_provisioned_concurrent_executions: record.requested,
            available_provisioned_concurrent_executions: available,
            allocated_provisioned_concurrent_executions: allocated,
            status: status.to_owned(),
            status_reason,
            last_modified: record.last_modified.clone(),
        }
    }

    /// Tells the executor what the provisioned concurrency configurations of `function` ask for now:
    /// the environments of each version they name (an alias's version, or both of a weighted alias's
    /// by their shares; configurations naming one version add up). Versions no configuration names any
    /// more release theirs.
    pub(crate) async fn sync_provisioned(&self, scope: &Scope, function: &str) -> Result<(), EngineError> {
        let _one_at_a_time = self.inner.provisioning.lock().await;
        let mut wanted: BTreeMap<String, Provision> = BTreeMap::new();
        for configured in self.provisioned_configs(scope, function).await? {
            for (version, count) in configured.shares {
                if count == 0 {
                    continue;
                }
                // A share that changes (the alias's weights moved) is the provision set anew.
                let token = format!("{}/{count};", configured.stored.revision);
                if let Some(provision) = wanted.get_mut(&version) {
                    provision.count += count;
                    provision.token.push_str(&token);
                    continue;
                }
                match self.resolve_from_store(scope, function, &version).await {
                    Ok(resolved) => {
                        wanted.insert(
                            version,
                            Provision {
                                version: resolved,
                                count,
                                token,
                            },
                        );
                    }
                    Err(e) => {
                        tracing::warn!(function, %version, "cannot provision: {}", e.display_chain());
                    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_weighted_alias_splits_its_count_by_the_weight() {
        assert_eq!(split(10, 0.3), (7, 3));
        assert_eq!(split(10, 0.5), (5, 5));
        assert_eq!(split(10, 0.0), (10, 0));
        assert_eq!(split(10, 1.0), (0, 10));
        // Rounded to the nearest, halves away from zero.
        assert_eq!(split(10, 0.05), (9, 1));
        assert_eq!(split(10, 0.04), (10, 0));
        assert_eq!(split(3, 0.5), (1, 2));
        assert_eq!(split(1, 0.49), (1, 0));
        // Never more than the count, whatever the weight.
        assert_eq!(split(4, 7.0), (0, 4));
        assert_eq!(split(4, -1.0), (4, 0));
    }

    #[test]
    fn the_shares_always_add_up_to_the_count() {
        for count in 1..=50 {
            for percent in 0..=100 {
                let (own, additional) = split(count, f64::from(percent) / 100.0);
                assert_eq!(own + additional, count, "{count} at {percent}%");
                let exact = f64::from(count) * f64::from(percent) / 100.0;
                assert!(
                    (f64::from(additional) - exact).abs() <= 0.5 + 1e-9,
                    "{count} at {percent}%"
                );
            }
        }
    }

    #[test]
    fn an_alias_provisions_its_versions_by_their_shares() {
        let alias = AliasRecord {
            name: "live".into(),
            function_version: "1".into(),
            description: String::new(),
            weights: Some([("2".to_owned(), 0.3)].into()),
        };
        assert_eq!(
            alias_shares(&alias, 10),
            [("1".to_owned(), 7), ("2".to_owned(), 3)]
        );
        let plain = AliasRecord {
            weights: None,
            ..alias
        };
        assert_eq!(alias_shares(&plain, 10), [("1".to_owned(), 10)]);
    }
}
