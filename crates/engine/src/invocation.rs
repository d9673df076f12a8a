//! What the invoke path needs from the control plane: a function version resolved to its settled
//! configuration and unpacked code, with AWS's errors for names that do not resolve.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::functions::lamina_store_hex;
use crate::names::{self, NameKind, Scope};
use crate::record::State;
use crate::{Engine, EngineError};

/// A function version ready to run: everything an execution environment is started with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvocationTarget {
    /// The function's name.
    pub function_name: String,
    /// `$LATEST` or the version number (`X-Amz-Executed-Version`).
    pub version: String,
    /// The unqualified function ARN.
    pub function_arn: String,
    /// The region of the request.
    pub region: String,
    /// The unpacked package: the task root.
    pub code_dir: PathBuf,
    /// The configuration's RevisionId: environments are never reused across configurations.
    pub revision: String,
    /// `Handler`.
    pub handler: String,
    /// `Runtime`.
    pub runtime: String,
    /// MB.
    pub memory_mb: u32,
    /// Seconds.
    pub timeout_s: u32,
    /// `x86_64` or `arm64`.
    pub architecture: String,
    /// The function's own environment variables.
    pub environment: BTreeMap<String, String>,
    /// `/aws/lambda/<name>` unless configured.
    pub log_group: String,
    /// Reserved concurrency of the function, if set.
    pub reserved_concurrency: Option<u32>,
}

impl Engine {
    /// Resolves `FunctionName` (+ `Qualifier`) for Invoke: 404 with the qualified ARN when absent
    /// (`...:$LATEST` by default, as AWS says for Invoke), 409 while the function is Pending.
    pub async fn resolve_invocation(
        &self,
        scope: &Scope,
        raw_name: &str,
        qualifier: Option<&str>,
    ) -> Result<InvocationTarget, EngineError> {
        let f = names::parse_function_name(raw_name, NameKind::Namespaced, 256, scope)?;
        let q = names::resolve_qualifier(f.qualifier, qualifier)?.unwrap_or_else(|| "$LATEST".to_owned());
        let latest = self.load(&scope.region, &f.name).await?.map(|(_, r)| r);
        let Some(latest) = latest else {
            return Err(crate::functions::function_not_found(scope, &f.name, Some(&q)));
        };
        let record = if q == "$LATEST" {
            latest.clone()
        } else {
            self.resolve_version(scope, &f.name, &q).await?
        };
        if record.state == State::Pending {
            return Err(EngineError::Conflict(
                "The operation cannot be performed at this time. The function is currently in the following state: \
                 Pending"
                    .into(),
            ));
        }
        let hex = lamina_store_hex(&record.code_sha256)?;
        let code_dir = self.inner.unpacked.dir(&hex);
        let environment = record
            .environment
            .iter()
            .flatten()
            .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_owned())))
            .collect();
        let log_group = record
            .logging_config
            .as_ref()
            .and_then(|l| l.get("LogGroup"))
            .and_then(|g| g.as_str())
            .map_or_else(|| format!("/aws/lambda/{}", record.name), str::to_owned);
        Ok(InvocationTarget {
            function_name: record.name.clone(),
            version: record.version_label(),
            function_arn: scope.function_arn(&record.name),
            region: scope.region.clone(),
            code_dir,
            revision: record.revision_id.clone(),
            handler: record.handler.clone().unwrap_or_default(),
            runtime: record.runtime.clone().unwrap_or_default(),
            memory_mb: record.memory_size,
            timeout_s: record.timeout,
            architecture: record.architecture.clone(),
            environment,
            log_group,
            reserved_concurrency: latest.reserved_concurrency,
        })
    }
}
