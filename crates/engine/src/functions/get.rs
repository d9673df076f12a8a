//! GetFunction and GetFunctionConfiguration, and the package download behind GetFunction's
//! `Code.Location` (and GetLayerVersion's `Content.Location`).

use std::collections::BTreeMap;

use lamina_model::CodeSha256;
use lamina_store::StoredBlob;

use crate::names::Scope;
use crate::record::View;
use crate::wire::FunctionConfiguration;
use crate::{Engine, EngineError};

/// GetFunction's answer, before the control API adds the download URL.
#[derive(Debug, Clone, PartialEq)]
pub struct FunctionView {
    /// The configuration.
    pub configuration: FunctionConfiguration,
    /// The package's digest in hex: the key of the download URL.
    pub code_hex: String,
    /// Tags (only for an unqualified request, as AWS; empty maps are omitted).
    pub tags: BTreeMap<String, String>,
    /// Reserved concurrency, if set.
    pub reserved_concurrency: Option<u32>,
}

impl Engine {
    /// GetFunctionConfiguration.
    pub async fn get_function_configuration(
        &self,
        scope: &Scope,
        raw_name: &str,
        qualifier: Option<&str>,
    ) -> Result<FunctionConfiguration, EngineError> {
        let (name, q) = Self::parse_read_name(scope, "GetFunctionConfiguration", raw_name, qualifier)?;
        let record = self.resolve(scope, &name, q.as_deref()).await?;
        Ok(record.configuration(scope, q.as_deref(), View::Full))
    }

    /// GetFunction.
    pub async fn get_function(
        &self,
        scope: &Scope,
        raw_name: &str,
        qualifier: Option<&str>,
    ) -> Result<FunctionView, EngineError> {
        let (name, q) = Self::parse_read_name(scope, "GetFunction", raw_name, qualifier)?;
        let record = self.resolve(scope, &name, q.as_deref()).await?;
        let (tags, reserved) = if record.version.is_none() {
            (record.tags.clone(), record.reserved_concurrency)
        } else {
            let latest = self.load(scope, &name).await?.map(|(_, r)| r);
            (
                latest.as_ref().map(|r| r.tags.clone()).unwrap_or_default(),
                latest.and_then(|r| r.reserved_concurrency),
            )
        };
        let code_hex = record.code_sha256.hex();
        Ok(FunctionView {
            configuration: record.configuration(scope, q.as_deref(), View::Full),
            code_hex,
            tags,
            reserved_concurrency: reserved,
        })
    }

    /// Opens a stored package for a download, if a function, version or layer version of the scope's
    /// account uses it: an account never downloads another's package.
    pub async fn open_code(
        &self,
        scope: &Scope,
        code_sha256: &CodeSha256,
    ) -> Result<Option<StoredBlob>, EngineError> {
        let (account, code_sha256) = (scope.account.clone(), *code_sha256);
        self.blocking(move |inner| {
            if !inner
                .meta
                .account_references_code(&account, &code_sha256.to_string())?
            {
                return Ok(None);
            }
            Ok(inner.code.open(&code_sha256)?)
        })
        .await
    }
}
