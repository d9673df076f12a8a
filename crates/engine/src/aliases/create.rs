//! CreateAlias: a name for a version of a function, optionally sending a share of invocations to a
//! second version.

use lamina_store::SubResourceKind;

use super::{AliasRecord, routing_rules};
use crate::names::Scope;
use crate::not_found::function_not_found;
use crate::sub_resources::{Change, function_key};
use crate::wire::{AliasConfiguration, CreateAliasInput};
use crate::{Engine, EngineError, validate};

/// AWS's 409 for an alias name that is taken.
fn exists(scope: &Scope, function: &str, alias: &str) -> EngineError {
    EngineError::Conflict(format!(
        "Alias already exists: {}:{alias}",
        scope.function_arn(function)
    ))
}

impl Engine {
    /// CreateAlias.
    pub async fn create_alias(
        &self,
        scope: &Scope,
        raw_name: &str,
        input: CreateAliasInput,
    ) -> Result<AliasConfiguration, EngineError> {
        let f = validate::function_input("CreateAlias", raw_name, &input, &[], scope)?;
        let (Some(name), Some(target)) = (input.name, input.function_version) else {
            unreachable!("the model requires the name and the version");
        };
        if self.load(scope, &f.name).await?.is_none() {
            return Err(function_not_found(scope, &f.name, Some(&target)));
        }
        if target != "$LATEST" {
            self.resolve_version(scope, &f.name, &target).await?;
        }
        if self.alias(scope, &f.name, &name).await?.is_some() {
            return Err(exists(scope, &f.name, &name));
        }
        let weights = routing_rules(&target, input.routing_config.as_ref())?;
        self.check_alias_targets(scope, &f.name, &target, weights.as_ref())
            .await?;
        let record = AliasRecord {
            name: name.clone(),
            function_version: target,
            description: input.description.unwrap_or_default(),
            weights,
        };
        let (place, function) = (scope.clone(), f.name.clone());
        let (created, revision) = self
            .change_sub_resource(
                scope,
                function_key(scope, &f.name, SubResourceKind::Alias, &name),
                function_not_found(scope, &f.name, Some(&record.function_version)),
                move |current: Option<_>| match current {
                    Some(_) => Err(exists(&place, &function, &record.name)),
                    None => Ok(Change::Write {
                        versions: record.versions(),
                        doc: record.clone(),
                        out: record.clone(),
                    }),
                },
            )
            .await?;
        tracing::info!(function = %f.name, alias = %name, version = %created.function_version, "created alias");
        Ok(created.configuration(scope, &f.name, &revision.unwrap_or_default()))
    }
}
