//! Account-level and per-function settings that are not configuration: reserved concurrency, account
//! settings, tags.

use std::collections::BTreeMap;

use lamina_model::limits::{UNZIPPED_CODE_MAX_BYTES, ZIPPED_CODE_MAX_BYTES};

use crate::functions::{function_not_found, parse_record};
use crate::names::{self, NameKind, Scope};
use crate::record::FunctionRecord;
use crate::validation::Checks;
use crate::wire::{
    AccountLimit, AccountSettings, AccountUsage, Concurrency, PutConcurrencyInput, TagResourceInput,
    TagsOutput,
};
use crate::{Engine, EngineError};

/// Concurrent executions per account and region.
/// Lambda's default quota of concurrent executions per account and region.
pub(crate) const ACCOUNT_CONCURRENCY: u32 = 1000;
/// Concurrency that must stay unreserved.
pub(crate) const MIN_UNRESERVED: u32 = 100;
/// Code storage per account (75 GB).
pub(crate) const TOTAL_CODE_SIZE: u64 = 80_530_636_800;

const ONLY_FUNCTIONS: &str = "This operation is permitted on Lambda functions only. Aliases and versions do not \
                              support this operation. Please specify either a function name or an unqualified \
                              function ARN.";

impl Engine {
    async fn region_functions(&self, scope: &Scope) -> Result<Vec<FunctionRecord>, EngineError> {
        let place = scope.clone();
        self.blocking(move |inner| {
            inner
                .meta
                .list_functions(&place.account, &place.region, None, usize::MAX)?
                .iter()
                .map(parse_record)
                .collect()
        })
        .await
    }

    /// PutFunctionConcurrency.
    pub async fn put_function_concurrency(
        &self,
        scope: &Scope,
        raw_name: &str,
        input: PutConcurrencyInput,
    ) -> Result<Concurrency, EngineError> {
        let f = names::parse_function_name(raw_name, NameKind::Plain, 140, scope)?;
        let mut checks = Checks::default();
        match input.reserved_concurrent_executions {
            None => checks.null("reservedConcurrentExecutions"),
            Some(n) => checks.range(
                n,
                "reservedConcurrentExecutions",
                0,
                i64::from(self.inner.account_concurrency),
            ),
        }
        checks.finish()?;
        if f.qualifier.is_some() {
            return Err(EngineError::InvalidParameter(ONLY_FUNCTIONS.into()));
        }
        let wanted =
            u32::try_from(input.reserved_concurrent_executions.unwrap_or_default()).unwrap_or_default();
        let others: u32 = self
            .region_functions(scope)
            .await?
            .iter()
            .filter(|r| r.name != f.name)
            .filter_map(|r| r.reserved_concurrency)
            .sum();
        let account = self.inner.account_concurrency;
        if account.saturating_sub(others.saturating_add(wanted)) < MIN_UNRESERVED
            || others.saturating_add(wanted) > account
        {
            return Err(EngineError::InvalidParameter(format!(
                "Specified ReservedConcurrentExecutions for function decreases account's \
                 UnreservedConcurrentExecution below its minimum value of [{MIN_UNRESERVED}]."
            )));
        }
        self.mutate(
            scope,
            &f.name,
            function_not_found(scope, &f.name, Some("$LATEST")),
            move |record| {
                record.reserved_concurrency = Some(wanted);
                Ok(((), None))
            },
        )
        .await?;
        self.inner
            .executor
            .set_reserved_concurrency(&scope.function_arn(&f.name), Some(wanted));
        Ok(Concurrency {
            reserved_concurrent_executions: Some(wanted),
        })
    }

    /// GetFunctionConcurrency (`{}` when unset).
    pub async fn get_function_concurrency(
        &self,
        scope: &Scope,
        raw_name: &str,
    ) -> Result<Concurrency, EngineError> {
        let f = names::parse_function_name(raw_name, NameKind::Plain, 140, scope)?;
        if f.qualifier.is_some() {
            return Err(EngineError::InvalidParameter(ONLY_FUNCTIONS.into()));
        }
        let Some((_, record)) = self.load(scope, &f.name).await? else {
            return Err(function_not_found(scope, &f.name, None));
        };
        Ok(Concurrency {
            reserved_concurrent_executions: record.reserved_concurrency,
        })
    }

    /// DeleteFunctionConcurrency.
    pub async fn delete_function_concurrency(
        &self,
        scope: &Scope,
        raw_name: &str,
    ) -> Result<(), EngineError> {
        let f = names::parse_function_name(raw_name, NameKind::Plain, 140, scope)?;
        if f.qualifier.is_some() {
            return Err(EngineError::InvalidParameter(ONLY_FUNCTIONS.into()));
        }
        self.mutate(
            scope,
            &f.name,
            function_not_found(scope, &f.name, None),
            |record| {
                record.reserved_concurrency = None;
                Ok(((), None))
            },
        )
        .await?;
        self.inner
            .executor
            .set_reserved_concurrency(&scope.function_arn(&f.name), None);
        Ok(())
    }

    /// GetAccountSettings.
    pub async fn account_settings(&self, scope: &Scope) -> Result<AccountSettings, EngineError> {
        let functions = self.region_functions(scope).await?;
        let place = scope.clone();
        // Published versions and layer versions of the region.
        let version_bytes: u64 = self
            .blocking(move |inner| {
                Ok(inner
                    .meta
                    .all_versions()?
                    .iter()
                    .filter(|v| v.account == place.account && v.region == place.region)
                    .filter_map(|v| serde_json::from_str::<FunctionRecord>(&v.document).ok())
                    .map(|v| v.code_size)
                    .sum::<u64>()
                    + inner
                        .meta
                        .list_layer_versions(&place.account, &place.region, None)?
                        .iter()
                        .filter_map(|l| serde_json::from_str::<crate::layers::LayerRecord>(&l.document).ok())
                        .map(|l| l.code_size)
                        .sum::<u64>())
            })
            .await?;
        let reserved: u32 = functions.iter().filter_map(|f| f.reserved_concurrency).sum();
        Ok(AccountSettings {
            account_limit: AccountLimit {
                total_code_size: TOTAL_CODE_SIZE,
                code_size_unzipped: UNZIPPED_CODE_MAX_BYTES,
                code_size_zipped: ZIPPED_CODE_MAX_BYTES,
                concurrent_executions: self.inner.account_concurrency,
                unreserved_concurrent_executions: self.inner.account_concurrency.saturating_sub(reserved),
            },
            account_usage: AccountUsage {
                total_code_size: functions.iter().map(|f| f.code_size).sum::<u64>() + version_bytes,
                function_count: functions.len() as u64,
            },
        })
    }

    fn tag_target(scope: &Scope, resource: &str) -> Result<String, EngineError> {
        let r = names::parse_resource_arn(resource, scope)?;
        if r.qualifier.is_some() {
            return Err(EngineError::InvalidParameter(
                "Tags on function aliases and versions are not supported. Please specify a function ARN."
                    .into(),
            ));
        }
        Ok(r.name)
    }

    /// TagResource.
    pub async fn tag_resource(
        &self,
        scope: &Scope,
        resource: &str,
        input: TagResourceInput,
    ) -> Result<(), EngineError> {
        let name = Self::tag_target(scope, resource)?;
        let tags = input.tags.unwrap_or_default();
        let mut checks = Checks::default();
        crate::config_rules::tags(&tags, &mut checks);
        checks.finish()?;
        if tags.is_empty() {
            return Err(EngineError::InvalidParameter(
                "An error occurred and the request cannot be processed.".into(),
            ));
        }
        self.mutate(
            scope,
            &name,
            function_not_found(scope, &name, None),
            move |record| {
                let mut merged = record.tags.clone();
                merged.extend(tags.clone());
                if merged.len() > 50 {
                    return Err(EngineError::InvalidParameter(
                        "Number of tags exceeds resource tag limit.".into(),
                    ));
                }
                record.tags = merged;
                Ok(((), None))
            },
        )
        .await
    }

    /// UntagResource.
    pub async fn untag_resource(
        &self,
        scope: &Scope,
        resource: &str,
        keys: Vec<String>,
    ) -> Result<(), EngineError> {
        let name = Self::tag_target(scope, resource)?;
        if keys.is_empty() {
            let mut checks = Checks::default();
            checks.null("tagKeys");
            checks.finish()?;
        }
        self.mutate(
            scope,
            &name,
            function_not_found(scope, &name, None),
            move |record| {
                for k in &keys {
                    record.tags.remove(k);
                }
                Ok(((), None))
            },
        )
        .await
    }

    /// ListTags.
    pub async fn list_tags(&self, scope: &Scope, resource: &str) -> Result<TagsOutput, EngineError> {
        let name = Self::tag_target(scope, resource)?;
        let Some((_, record)) = self.load(scope, &name).await? else {
            return Err(function_not_found(scope, &name, None));
        };
        Ok(TagsOutput {
            tags: record.tags.into_iter().collect::<BTreeMap<_, _>>(),
        })
    }
}
