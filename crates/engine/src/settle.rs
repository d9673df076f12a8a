//! Settling: the background step that ends `Pending` and `InProgress`.
//!
//! After a create or update is committed, a task unpacks the package (once per `CodeSha256`) and then
//! flips the function to `Active` / `Successful` with a fresh RevisionId, or to `Failed` with the
//! reason. The function carries a settle token; a task only settles the change that issued its token,
//! so a slow task never settles a newer change. [`Engine::recover`] re-runs the step for anything a
//! crash left unsettled, and sweeps blobs that no row references.
//!
//! A change stays transitional for at least [`TRANSITION_MIN`], however quickly its package unpacks
//! (an update that keeps the code unpacks nothing): as on Lambda, the answer to a create or update
//! and a read right after it say `Pending` / `InProgress`, a second update then gets the 409 Lambda
//! gives, and the waiters (`function_active_v2`, `function_updated_v2`) see the transition happen.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use lamina_model::CodeSha256;
use lamina_store::StoreError;

use crate::code::{UnpackFailure, unpack};
use crate::opt::build_opt_dir;
use crate::record::{FunctionRecord, State, UpdateStatus};
use crate::rows::{function_row, parse_function, parse_version, version_row};
use crate::{Engine, EngineError, Inner, Scope};

/// The shortest time a create stays `Pending` and an update `InProgress` (see the module docs). Lambda
/// takes a second or more; this is long enough for a client's next request to see the state, and
/// short enough that waiting for it costs little.
pub(crate) const TRANSITION_MIN: Duration = Duration::from_millis(200);

impl Engine {
    /// Starts settling a function in the background: the change just committed settles no sooner than
    /// [`TRANSITION_MIN`] from now.
    pub(crate) fn spawn_settle(&self, scope: Scope, name: String, token: String) {
        let engine = self.clone();
        let not_before = Instant::now() + TRANSITION_MIN;
        tokio::spawn(async move {
            if let Err(e) = engine.settle(&scope, &name, &token, Some(not_before)).await {
                tracing::error!(function = %name, account = %scope.account, region = %scope.region, "could not settle function: {}", e.display_chain());
            }
        });
    }

    /// Settles every unsettled function and removes unreferenced blobs; returns how many functions it
    /// settled. Call once at start, before serving.
    pub async fn recover(&self) -> Result<usize, EngineError> {
        let unsettled = self
            .blocking(|inner| {
                let mut out = Vec::new();
                for row in inner.meta.all_functions()? {
                    let record = parse_function(&row)?;
                    if let Some(token) = record.settle_token {
                        out.push((
                            Scope {
                                region: row.region,
                                account: row.account,
                            },
                            record.name,
                            token,
                        ));
                    }
                }
                Ok(out)
            })
            .await?;
        self.load_reserved_concurrency().await?;
        self.restore_provisioned().await?;
        let count = unsettled.len();
        for (scope, name, token) in unsettled {
            self.settle(&scope, &name, &token, None).await?;
        }
        let _guard = self.inner.code_lock.lock().await;
        let removed = self
            .blocking(|inner| {
                // Rows hold digests as base64 text; one that does not parse names no blob.
                let referenced: BTreeSet<CodeSha256> = inner
                    .meta
                    .referenced_code()?
                    .iter()
                    .filter_map(|sha| CodeSha256::from_base64(sha).ok())
                    .collect();
                let removed = inner.code.remove_unreferenced(&referenced)?;
                for unpacked in inner.unpacked.list()? {
                    if !referenced.contains(&unpacked) {
                        inner.unpacked.remove(&unpacked);
                    }
                }
                Ok(removed)
            })
            .await?;
        if !removed.is_empty() {
            tracing::info!(count = removed.len(), "removed code blobs no function references");
        }
        Ok(count)
    }

    /// Settles the change that issued `token`: unpacks its code and layers, waits until `not_before`
    /// (if given), then writes the outcome. Nothing happens if a newer change (or a delete) came first.
    async fn settle(
        &self,
        scope: &Scope,
        name: &str,
        token: &str,
        not_before: Option<Instant>,
    ) -> Result<(), EngineError> {
        let (place, fname, tok) = (scope.clone(), name.to_owned(), token.to_owned());
        let Some(outcome) = self
            .blocking(move |inner| prepare(inner, &place, &fname, &tok))
            .await?
        else {
            return Ok(());
        };
        if let Some(at) = not_before {
            tokio::time::sleep_until(at.into()).await;
        }
        let (place, fname, tok) = (scope.clone(), name.to_owned(), token.to_owned());
        let replaced = self
            .blocking(move |inner| finish(inner, &place, &fname, &tok, &outcome))
            .await?;
        if !replaced.is_empty() {
            // The code and layers the settled change replaced may be referenced by nothing now
            // (a layer version deleted while the function used it, code no version keeps).
            let _guard = self.inner.code_lock.lock().await;
            self.sweep_replaced(replaced).await;
        }
        Ok(())
    }
}

/// Unpacks the function's code and builds its `/opt`; `None` if the change is no longer the one to
/// settle.
fn prepare(
    inner: &Inner,
    scope: &Scope,
    name: &str,
    token: &str,
) -> Result<Option<Result<(), UnpackFailure>>, EngineError> {
    let Some(row) = inner.meta.get_function(&scope.account, &scope.region, name)? else {
        return Ok(None);
    };
    let record = parse_function(&row)?;
    if record.settle_token.as_deref() != Some(token) {
        return Ok(None);
    }
    // The layers are unpacked (and stacked) now too, so the first invocation does not wait for them.
    let layers: Vec<CodeSha256> = record.layers.iter().map(|l| l.code_sha256).collect();
    let outcome = unpack(inner, &record.code_sha256)
        .and_then(|_| build_opt_dir(inner, &layers))
        .map(|_| ());
    Ok(Some(outcome))
}

/// Writes the outcome of [`prepare`] to the function (and to the versions published with the change);
/// returns the digests of the code and layers a successful change replaced.
fn finish(
    inner: &Inner,
    scope: &Scope,
    name: &str,
    token: &str,
    outcome: &Result<(), UnpackFailure>,
) -> Result<Vec<String>, EngineError> {
    let replaced = loop {
        let Some(row) = inner.meta.get_function(&scope.account, &scope.region, name)? else {
            return Ok(Vec::new());
        };
        let mut record = parse_function(&row)?;
        if record.settle_token.as_deref() != Some(token) {
            return Ok(Vec::new());
        }
        let replaced = apply_outcome(&mut record, outcome);
        record.settle_token = None;
        record.revise();
        let next = function_row(scope, &record)?;
        match inner.write_function(scope, name, |meta| {
            meta.replace_function(&next, &row.revision, None)
        }) {
            Ok(()) => break replaced,
            Err(StoreError::RevisionMismatch(_)) => continue,
            Err(StoreError::NotFound(_)) => return Ok(Vec::new()),
            Err(e) => return Err(e.into()),
        }
    };
    // Versions published together with this code wait for it too (their RevisionId stays: a published
    // version becoming Active is no change of it on Lambda either).
    for v in inner
        .meta
        .list_versions(&scope.account, &scope.region, name, None, usize::MAX)?
    {
        let mut version = parse_version(&v)?;
        if version.state == State::Pending {
            apply_outcome(&mut version, outcome);
            if version.state == State::Active {
                version.last_update_status = Some(UpdateStatus::Successful);
            }
            let row = version_row(scope, &version)?;
            inner.write_function(scope, name, |meta| meta.update_version(&row))?;
        }
    }
    match outcome {
        Ok(()) => tracing::info!(function = %name, "function settled"),
        Err(reason) => tracing::warn!(function = %name, "function failed to settle: {reason}"),
    }
    Ok(replaced)
}

/// Applies the outcome to `record`; returns the digests a successful change replaced (see
/// [`FunctionRecord::drop_code_before_update`]).
fn apply_outcome(record: &mut FunctionRecord, outcome: &Result<(), UnpackFailure>) -> Vec<String> {
    match outcome {
        Ok(()) => {
            let replaced = record.drop_code_before_update();
            if record.state == State::Pending {
                record.state = State::Active;
                record.state_reason = None;
                record.state_reason_code = None;
            }
            record.last_update_status = Some(UpdateStatus::Successful);
            record.last_update_status_reason = None;
            record.last_update_status_reason_code = None;
            replaced
        }
        Err(reason) => {
            // A full disk is lamina's failure, not the package's: said as it is, with Lambda's code for
            // a failure inside the service.
            let (mut reason, code) = match reason {
                UnpackFailure::OutOfSpace(message) => (message.clone(), "InternalError"),
                UnpackFailure::Package(why) => (
                    format!("The deployment package could not be unpacked: {why}"),
                    "InvalidZipFileException",
                ),
            };
            if record.restore_code_before_update() {
                reason.push_str("; the function keeps running its previous code");
            }
            if record.state == State::Pending {
                record.state = State::Failed;
                record.state_reason = Some(reason.clone());
                record.state_reason_code = Some(code.into());
            }
            record.last_update_status = Some(UpdateStatus::Failed);
            record.last_update_status_reason = Some(reason);
            record.last_update_status_reason_code = Some(code.into());
            Vec::new()
        }
    }
}
