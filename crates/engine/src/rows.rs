//! Store rows and the engine's documents: (de)serialising a [`FunctionRecord`] to and from the rows of
//! the metadata store, and the reads every operation shares.
//!
//! A row keeps the columns the store needs (revision, the `CodeSha256`s it references, as base64 text)
//! next to the JSON document only the engine reads; the document's format is the record's serde form.

use lamina_store::{FunctionRow, LayerVersionRow, VersionRow};

use crate::layers::record::LayerRecord;
use crate::names::Scope;
use crate::record::{FunctionRecord, fresh_id};
use crate::{Engine, EngineError};

/// The record of a function's row.
pub(crate) fn parse_function(row: &FunctionRow) -> Result<FunctionRecord, EngineError> {
    Ok(serde_json::from_str(&row.document)?)
}

/// The record of a published version's row.
pub(crate) fn parse_version(row: &VersionRow) -> Result<FunctionRecord, EngineError> {
    Ok(serde_json::from_str(&row.document)?)
}

/// The record of a layer version's row.
pub(crate) fn parse_layer_version(row: &LayerVersionRow) -> Result<LayerRecord, EngineError> {
    Ok(serde_json::from_str(&row.document)?)
}

/// The row of a function's `$LATEST` record, with a fresh store revision.
pub(crate) fn function_row(scope: &Scope, record: &FunctionRecord) -> Result<FunctionRow, EngineError> {
    Ok(FunctionRow {
        account: scope.account.clone(),
        region: scope.region.clone(),
        name: record.name.clone(),
        revision: fresh_id(),
        code_sha256: record.code_sha256.to_string(),
        layer_code: record.held_code().map(|sha| sha.to_string()).collect(),
        document: serde_json::to_string(record)?,
    })
}

/// The row of a published version's record.
pub(crate) fn version_row(scope: &Scope, record: &FunctionRecord) -> Result<VersionRow, EngineError> {
    Ok(VersionRow {
        account: scope.account.clone(),
        region: scope.region.clone(),
        name: record.name.clone(),
        version: record.version.unwrap_or_default(),
        code_sha256: record.code_sha256.to_string(),
        layer_code: record.layers.iter().map(|l| l.code_sha256.to_string()).collect(),
        document: serde_json::to_string(record)?,
    })
}

impl Engine {
    /// Reads a function's row and record.
    pub(crate) async fn load(
        &self,
        scope: &Scope,
        name: &str,
    ) -> Result<Option<(FunctionRow, FunctionRecord)>, EngineError> {
        let (place, name) = (scope.clone(), name.to_owned());
        self.blocking(
            move |inner| match inner.meta.get_function(&place.account, &place.region, &name)? {
                Some(row) => {
                    let record = parse_function(&row)?;
                    Ok(Some((row, record)))
                }
                None => Ok(None),
            },
        )
        .await
    }

    /// Every function of `scope`'s region, in name order.
    pub(crate) async fn region_functions(&self, scope: &Scope) -> Result<Vec<FunctionRecord>, EngineError> {
        let place = scope.clone();
        self.blocking(move |inner| {
            inner
                .meta
                .list_functions(&place.account, &place.region, None, usize::MAX)?
                .iter()
                .map(parse_function)
                .collect()
        })
        .await
    }

    /// Every published version of a function in `scope`, oldest first, as stored.
    pub(crate) async fn version_rows(
        &self,
        scope: &Scope,
        name: &str,
    ) -> Result<Vec<VersionRow>, EngineError> {
        let (place, name) = (scope.clone(), name.to_owned());
        self.blocking(move |inner| {
            Ok(inner
                .meta
                .list_versions(&place.account, &place.region, &name, None, usize::MAX)?)
        })
        .await
    }

    /// Reads one layer version's row.
    pub(crate) async fn layer_row(
        &self,
        scope: &Scope,
        name: &str,
        version: u64,
    ) -> Result<Option<LayerVersionRow>, EngineError> {
        let (place, name) = (scope.clone(), name.to_owned());
        self.blocking(move |inner| {
            Ok(inner
                .meta
                .get_layer_version(&place.account, &place.region, &name, version)?)
        })
        .await
    }
}
