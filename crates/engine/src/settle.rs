//! Settling: the background step that ends `Pending` and `InProgress`.
//!
//! After a create or update is committed, a task unpacks the package (once per `CodeSha256`) and then
//! flips the function to `Active` / `Successful` with a fresh RevisionId, or to `Failed` with the
//! reason. The function carries a settle token; a task only settles the change that issued its token,
//! so a slow task never settles a newer change. [`Engine::recover`] re-runs the step for anything a
//! crash left unsettled, and sweeps blobs that no row references.

use std::collections::BTreeSet;

use crate::functions::{function_row, lamina_store_hex, parse_record, version_row};
use crate::record::{FunctionRecord, State, UpdateStatus, fresh_id};
use crate::{Engine, EngineError, Inner, Scope};

impl Engine {
    /// Starts settling a function in the background.
    pub(crate) fn spawn_settle(&self, scope: Scope, name: String, token: String) {
        let engine = self.clone();
        tokio::spawn(async move {
            if let Err(e) = engine.settle(&scope, &name, &token).await {
                tracing::error!(function = %name, account = %scope.account, region = %scope.region, "could not settle function: {e}");
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
                    let record = parse_record(&row)?;
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
        let count = unsettled.len();
        for (scope, name, token) in unsettled {
            self.settle(&scope, &name, &token).await?;
        }
        let _guard = self.inner.code_lock.lock().await;
        let removed = self
            .blocking(|inner| {
                let referenced = inner.meta.referenced_code()?;
                let removed = inner.code.remove_unreferenced(&referenced)?;
                let referenced_hex: BTreeSet<String> = referenced
                    .iter()
                    .filter_map(|sha| lamina_store_hex(sha).ok())
                    .collect();
                for hex in inner.unpacked.list()? {
                    if !referenced_hex.contains(&hex) {
                        inner.unpacked.remove(&hex);
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

    async fn settle(&self, scope: &Scope, name: &str, token: &str) -> Result<(), EngineError> {
        let (scope, name, token) = (scope.clone(), name.to_owned(), token.to_owned());
        self.blocking(move |inner| settle_blocking(inner, &scope, &name, &token))
            .await
    }
}

fn settle_blocking(inner: &Inner, scope: &Scope, name: &str, token: &str) -> Result<(), EngineError> {
    let Some(row) = inner.meta.get_function(&scope.account, &scope.region, name)? else {
        return Ok(());
    };
    let record = parse_record(&row)?;
    if record.settle_token.as_deref() != Some(token) {
        return Ok(());
    }
    // The layers are unpacked (and stacked) now too, so the first invocation does not wait for them.
    let outcome = unpack(inner, &record.code_sha256)
        .and_then(|()| crate::layers::opt_dir(inner, &record.layers).map(|_| ()));
    loop {
        let Some(row) = inner.meta.get_function(&scope.account, &scope.region, name)? else {
            return Ok(());
        };
        let mut record = parse_record(&row)?;
        if record.settle_token.as_deref() != Some(token) {
            return Ok(());
        }
        apply_outcome(&mut record, &outcome);
        record.settle_token = None;
        record.revision_id = fresh_id();
        let next = function_row(scope, &record)?;
        match inner.meta.replace_function(&next, &row.revision, None) {
            Ok(()) => break,
            Err(lamina_store::StoreError::RevisionMismatch(_)) => continue,
            Err(lamina_store::StoreError::NotFound(_)) => return Ok(()),
            Err(e) => return Err(e.into()),
        }
    }
    // Versions published together with this code wait for it too.
    for v in inner
        .meta
        .list_versions(&scope.account, &scope.region, name, None, usize::MAX)?
    {
        let mut version: FunctionRecord = serde_json::from_str(&v.document)?;
        if version.state == State::Pending {
            apply_outcome(&mut version, &outcome);
            if version.state == State::Active {
                version.last_update_status = Some(UpdateStatus::Successful);
            }
            inner.meta.update_version(&version_row(scope, &version)?)?;
        }
    }
    match &outcome {
        Ok(()) => tracing::info!(function = %name, "function settled"),
        Err(reason) => tracing::warn!(function = %name, "function failed to settle: {reason}"),
    }
    Ok(())
}

/// Unpacks a function's committed package (once; later calls find it unpacked).
pub(crate) fn unpack(inner: &Inner, code_sha256: &str) -> Result<(), String> {
    let hex = lamina_store_hex(code_sha256).map_err(|e| e.to_string())?;
    let blob = inner
        .code
        .path(code_sha256)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("the stored package {code_sha256} is missing"))?;
    inner.unpacked.ensure(&blob, &hex).map(|_| ())
}

fn apply_outcome(record: &mut FunctionRecord, outcome: &Result<(), String>) {
    match outcome {
        Ok(()) => {
            if record.state == State::Pending {
                record.state = State::Active;
                record.state_reason = None;
                record.state_reason_code = None;
            }
            record.last_update_status = Some(UpdateStatus::Successful);
            record.last_update_status_reason = None;
            record.last_update_status_reason_code = None;
        }
        Err(reason) => {
            let reason = format!("The deployment package could not be unpacked: {reason}");
            if record.state == State::Pending {
                record.state = State::Failed;
                record.state_reason = Some(reason.clone());
                record.state_reason_code = Some("InvalidZipFileException".into());
            }
            record.last_update_status = Some(UpdateStatus::Failed);
            record.last_update_status_reason = Some(reason);
            record.last_update_status_reason_code = Some("InvalidZipFileException".into());
        }
    }
}
