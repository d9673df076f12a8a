//! CreateAlias: a name for a version of a function, optionally sending a share of invocations to a
//! second version.

use lamina_store::SubResourceKind;

use super::{AliasRecord, check_name, check_routing, check_version, routing_rules};
use crate::names::{self, NameKind, Scope};
use crate::not_found::function_not_found;
use crate::sub_resources::{Change, function_key};
use crate::validation::Checks;
use crate::wire::{AliasConfiguration, CreateAliasInput};
use crate::{Engine, EngineError};

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
        let f = names::parse_function_name(raw_name, NameKind::Plain, scope)?;
        let mut checks = Checks::default();
        match &input.name {
            None => checks.null("name"),
            Some(name) => check_name(&mut checks, name),
        }
        match &input.function_version {
            None => checks.null("functionVersion"),
            Some(version) => check_version(&mut checks, version, "functionVersion"),
        }
        if let Some(description) = &input.description {
            checks.length(description, "description", 0, 256);
        }
        check_routing(&mut checks, input.routing_config.as_ref());
        checks.finish()?;
        let (Some(name), Some(target)) = (input.name, input.function_version) else {
            unreachable!("the checks above refuse a missing name or version");
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
